#include "eventpoller.h"

#include "proxy/epolldispatcher.h"

#include <QSocketNotifier>

#include <algorithm>

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

namespace fulcrum {

namespace {
constexpr int kBatch = 128;
// Batches per wake-up before Qt's loop gets a turn (timers, queued config changes):
// bounded so a flood of events cannot starve the sweep that enforces timeouts.
constexpr int kRoundsPerWake = 8;
} // namespace

EventPoller::EventPoller(QObject *parent)
    : QObject(parent)
    , m_scratch(new char[kScratchSize])
{
    EpollEventDispatcher *dispatcher = EpollEventDispatcher::current();
    if (dispatcher && dispatcher->attach(this)) {
        // A dup of the dispatcher's set: the same set, but an fd the poller may close itself.
        m_fd = ::fcntl(dispatcher->epollFd(), F_DUPFD_CLOEXEC, 0);
        if (m_fd >= 0) {
            m_dispatcher = dispatcher;
            return;
        }
        dispatcher->detach(this);
    }
    m_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_fd < 0)
        return;
    m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &EventPoller::dispatch);
}

EventPoller::~EventPoller()
{
    delete m_notifier;
    m_notifier = nullptr;
    if (m_dispatcher)
        m_dispatcher->detach(this);
    freeRetired();
    if (m_fd >= 0)
        ::close(m_fd);
}

bool EventPoller::add(int fd, std::uint32_t events, PollHandler *handler)
{
    epoll_event event{};
    event.events = events;
    event.data.ptr = handler;
    return ::epoll_ctl(m_fd, EPOLL_CTL_ADD, fd, &event) == 0;
}

void EventPoller::remove(int fd)
{
    // Explicit: closing a dup'ed fd (the listeners) would not take it out of the set.
    ::epoll_ctl(m_fd, EPOLL_CTL_DEL, fd, nullptr);
}

void EventPoller::retire(PollHandler *handler)
{
    m_retired.push_back(handler);
}

void EventPoller::cancelFlush(PollHandler *handler)
{
    m_deferred.erase(std::remove(m_deferred.begin(), m_deferred.end(), handler), m_deferred.end());
    std::replace(m_flushing.begin(), m_flushing.end(), handler, static_cast<PollHandler *>(nullptr));
}

void EventPoller::flushDeferred()
{
    // A flush may defer more (a failed send closes a session, which answers another socket).
    while (!m_deferred.empty()) {
        m_flushing.swap(m_deferred);
        for (std::size_t i = 0; i < m_flushing.size(); ++i) {
            if (PollHandler *handler = m_flushing[i])
                handler->flushDeferred();
        }
        m_flushing.clear();
    }
}

void EventPoller::freeRetired()
{
    if (m_dispatching)
        return;
    // A destructor may retire more (a session ending releases its server connection).
    while (!m_retired.empty()) {
        std::vector<PollHandler *> batch;
        batch.swap(m_retired);
        for (PollHandler *handler : batch)
            delete handler;
    }
}

void EventPoller::endBatch()
{
    flushDeferred();
    m_dispatching = false;
    freeRetired();
}

void EventPoller::dispatch()
{
    epoll_event events[kBatch];
    beginBatch();
    for (int round = 0; round < kRoundsPerWake; ++round) {
        const int n = ::epoll_wait(m_fd, events, kBatch, 0);
        for (int i = 0; i < n; ++i)
            static_cast<PollHandler *>(events[i].data.ptr)->pollEvents(events[i].events);
        if (n < kBatch)
            break;
        flushDeferred();   // a full batch: its writes go before the next one is read
    }
    endBatch();
}

} // namespace fulcrum
