#include "epolldispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace fulcrum {

namespace {

constexpr int kBatch = 128;

// The last wake-up's clock reading of a thread that runs an EpollEventDispatcher; 0 elsewhere.
thread_local qint64 t_loopNs = 0;

qint64 steadyNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace

// The eventfd that wakeUp() writes: read empty on each wake-up (level-triggered).
class EpollEventDispatcher::WakeReader final : public PollHandler
{
public:
    explicit WakeReader(int fd)
        : m_fd(fd)
    {
    }
    void pollEvents(std::uint32_t) override
    {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t n = ::read(m_fd, &count, sizeof count);
    }

private:
    const int m_fd;
};

// The Qt socket notifiers of one fd (read, write, exception), as one entry of the set.
class EpollEventDispatcher::NotifierSet final : public PollHandler
{
public:
    explicit NotifierSet(int fd)
        : fd(fd)
    {
    }
    void pollEvents(std::uint32_t events) override
    {
        // As poll() reports them to Qt's dispatcher: an error or hang-up wakes every notifier.
        const bool broken = events & (EPOLLERR | EPOLLHUP);
        activate(QSocketNotifier::Read, broken || (events & (EPOLLIN | EPOLLRDHUP)));
        activate(QSocketNotifier::Write, broken || (events & EPOLLOUT));
        activate(QSocketNotifier::Exception, events & EPOLLPRI);
    }
    std::uint32_t wanted() const
    {
        return (notifiers[QSocketNotifier::Read] ? EPOLLIN : 0u) | (notifiers[QSocketNotifier::Write] ? EPOLLOUT : 0u)
               | (notifiers[QSocketNotifier::Exception] ? EPOLLPRI : 0u);
    }

    const int fd;
    QSocketNotifier *notifiers[3] = {nullptr, nullptr, nullptr};
    std::uint32_t registered = 0;   // the events the set watches for this fd; 0 when not in it

private:
    void activate(QSocketNotifier::Type type, bool ready)
    {
        // Looked up each time: an earlier notifier's slot may have disabled this one.
        if (ready && notifiers[type]) {
            QEvent event(QEvent::SockAct);
            QCoreApplication::sendEvent(notifiers[type], &event);
        }
    }
};

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
    , m_fd(::epoll_create1(EPOLL_CLOEXEC))
    , m_wakeFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
    if (m_fd < 0 || m_wakeFd < 0) {
        qWarning("fulcrum: the proxy worker's event loop has no %s (%s); the worker cannot run", m_fd < 0 ? "epoll set" : "eventfd",
                 qPrintable(qt_error_string(errno)));
        return;
    }
    m_wakeReader = new WakeReader(m_wakeFd);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = static_cast<PollHandler *>(m_wakeReader);
    if (::epoll_ctl(m_fd, EPOLL_CTL_ADD, m_wakeFd, &event) != 0) {
        qWarning("fulcrum: the proxy worker's event loop cannot watch its eventfd (%s)", qPrintable(qt_error_string(errno)));
        ::close(m_wakeFd);
        m_wakeFd = -1;
    }
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    if (m_poller)
        m_poller->detachedFromDispatcher();
    for (auto &entry : m_notifiers)
        delete entry.second;
    for (NotifierSet *set : m_retiredSets)
        delete set;
    delete m_wakeReader;
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_fd >= 0)
        ::close(m_fd);
}

EpollEventDispatcher *EpollEventDispatcher::current()
{
    return dynamic_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

qint64 EpollEventDispatcher::loopTimeMs()
{
    return (t_loopNs ? t_loopNs : steadyNs()) / 1'000'000;
}

bool EpollEventDispatcher::attach(EventPoller *poller)
{
    if (m_poller || !isValid() || thread() != QThread::currentThread())
        return false;
    m_poller = poller;
    return true;
}

void EpollEventDispatcher::detach(EventPoller *poller)
{
    if (m_poller == poller)
        m_poller = nullptr;
}

void EpollEventDispatcher::readClock()
{
    m_nowNs = steadyNs();
    t_loopNs = m_nowNs;
}

int EpollEventDispatcher::waitMs() const
{
    if (m_timers.empty())
        return -1;
    qint64 soonest = m_timers.front().dueNs;
    for (const Timer &timer : m_timers)
        soonest = std::min(soonest, timer.dueNs);
    if (soonest <= m_nowNs)
        return 0;
    // Rounded up: waking a little before the due time would only make another wait.
    return int(std::min<qint64>((soonest - m_nowNs + 999'999) / 1'000'000, 24 * 3600 * 1000));
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupt.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    // Cleared before the posted events are sent: one posted while they are, wakes us again.
    m_wakePending.store(false, std::memory_order_seq_cst);
    QCoreApplication::sendPostedEvents();

    const bool canWait = (flags & QEventLoop::WaitForMoreEvents) && !m_wakePending.load(std::memory_order_seq_cst)
                         && !m_interrupt.load(std::memory_order_relaxed);
    if (canWait)
        Q_EMIT aboutToBlock();
    if (m_interrupt.load(std::memory_order_relaxed))
        return false;
    // Read again before a wait: the last reading is from before the last batch was handled,
    // and a timer that fell due meanwhile must not wait a whole timeout more.
    if (canWait || !m_nowNs)
        readClock();
    const int timeout = canWait ? waitMs() : 0;

    int handled = 0;
    if (flags & QEventLoop::ExcludeSocketNotifiers) {
        // Nothing from the sockets now: their events stay in the set's ready list for the next
        // wait. Only a posted event or a timer ends this one.
        pollfd wake{m_wakeFd, POLLIN, 0};
        if (::poll(&wake, 1, timeout) > 0)
            m_wakeReader->pollEvents(EPOLLIN);
        readClock();
    } else {
        epoll_event events[kBatch];
        const int n = ::epoll_wait(m_fd, events, kBatch, timeout);
        readClock();
        if (n > 0) {
            m_handling = true;
            if (m_poller)
                m_poller->beginBatch();
            for (int i = 0; i < n; ++i)
                static_cast<PollHandler *>(events[i].data.ptr)->pollEvents(events[i].events);
            m_handling = false;
            if (m_poller)
                m_poller->endBatch();
            for (NotifierSet *set : m_retiredSets)
                delete set;
            m_retiredSets.clear();
            handled += n;
        }
    }
    if (!(flags & QEventLoop::X11ExcludeTimers))
        handled += activateTimers();
    return handled > 0;
}

int EpollEventDispatcher::activateTimers()
{
    // By id, looked up again for each: a timer's receiver may start or stop timers.
    std::vector<int> due;
    for (const Timer &timer : m_timers) {
        if (timer.dueNs <= m_nowNs)
            due.push_back(timer.id);
    }
    int fired = 0;
    for (const int id : due) {
        auto it = std::find_if(m_timers.begin(), m_timers.end(), [id](const Timer &t) { return t.id == id; });
        if (it == m_timers.end() || it->dueNs > m_nowNs)
            continue;
        // The next period from the due time, so a periodic timer keeps its rate; from now when
        // the loop fell more than a period behind, so it does not fire a burst to catch up.
        it->dueNs += it->intervalMs * 1'000'000;
        if (it->dueNs <= m_nowNs)
            it->dueNs = m_nowNs + it->intervalMs * 1'000'000;
        QObject *const object = it->object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++fired;
    }
    return fired;
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    // Qt registers a timer from the dispatcher's own thread (a moved object's timers too).
    const qint64 intervalMs = std::max<qint64>(interval, 0);
    m_timers.push_back(Timer{timerId, intervalMs, timerType, object, steadyNs() + intervalMs * 1'000'000});
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = std::find_if(m_timers.begin(), m_timers.end(), [timerId](const Timer &t) { return t.id == timerId; });
    if (it == m_timers.end())
        return false;
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    const auto end = std::remove_if(m_timers.begin(), m_timers.end(), [object](const Timer &t) { return t.object == object; });
    const bool any = end != m_timers.end();
    m_timers.erase(end, m_timers.end());
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> list;
    for (const Timer &timer : m_timers) {
        if (timer.object == object)
            list.append(TimerInfo(timer.id, int(timer.intervalMs), timer.type));
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = std::find_if(m_timers.begin(), m_timers.end(), [timerId](const Timer &t) { return t.id == timerId; });
    if (it == m_timers.end())
        return -1;
    return int(std::max<qint64>(0, (it->dueNs - steadyNs()) / 1'000'000));
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    NotifierSet *&set = m_notifiers[fd];
    if (!set)
        set = new NotifierSet(fd);
    if (set->notifiers[notifier->type()] && set->notifiers[notifier->type()] != notifier)
        qWarning("fulcrum: two socket notifiers of one type for fd %d in a proxy worker; the later one wins", fd);
    set->notifiers[notifier->type()] = notifier;
    updateNotifierSet(set);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const auto it = m_notifiers.find(fd);
    if (it == m_notifiers.end() || it->second->notifiers[notifier->type()] != notifier)
        return;
    NotifierSet *set = it->second;
    set->notifiers[notifier->type()] = nullptr;
    updateNotifierSet(set);
    if (set->wanted() == 0) {
        m_notifiers.erase(it);
        if (m_handling)
            m_retiredSets.push_back(set);   // the batch being handled may still name it
        else
            delete set;
    }
}

void EpollEventDispatcher::updateNotifierSet(NotifierSet *set)
{
    const std::uint32_t wanted = set->wanted();
    if (wanted == set->registered)
        return;
    if (wanted == 0) {
        ::epoll_ctl(m_fd, EPOLL_CTL_DEL, set->fd, nullptr);
        set->registered = 0;
        return;
    }
    epoll_event event{};
    event.events = wanted;
    event.data.ptr = static_cast<PollHandler *>(set);
    if (::epoll_ctl(m_fd, set->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, set->fd, &event) == 0)
        set->registered = wanted;
    else
        qWarning("fulcrum: a proxy worker cannot watch fd %d for a socket notifier (%s)", set->fd, qPrintable(qt_error_string(errno)));
}

void EpollEventDispatcher::wakeUp()
{
    // Any thread. One write per wake-up, however many events were posted before it.
    if (!m_wakePending.exchange(true, std::memory_order_seq_cst)) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t n = ::write(m_wakeFd, &one, sizeof one);
    }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupt.store(true, std::memory_order_relaxed);
    wakeUp();
}

} // namespace fulcrum
