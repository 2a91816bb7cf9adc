#pragma once

#include "eventpoller.h"

#include <QAbstractEventDispatcher>

#include <atomic>
#include <unordered_map>
#include <vector>

namespace fulcrum {

// The Qt event dispatcher of a proxy worker's thread, built on one epoll set that the
// worker's EventPoller shares. The worker then sleeps in one epoll_wait and handles what it
// returns, as an nginx worker does. Under Qt's own dispatcher it slept in a ppoll over the
// poller's epoll fd, then asked epoll again: two system calls per wake-up, Qt's socket
// notifier and timer bookkeeping, and a clock read for each timeout taken during the batch.
//
// Qt's posted events (queued calls from the main thread, deleteLater), timers and socket
// notifiers work as under Qt's dispatcher: an eventfd in the set wakes the loop for a posted
// event or an interrupt; timers fire in the loop at millisecond precision; a notifier is its
// fd in the set, level-triggered, as poll() would report it.
//
// The loop reads the clock after each wake-up (loopTimeMs), as nginx's event loop does, and
// again before a wait; the worker's timeouts use the reading of the wake-up, so a long batch
// can make a timeout fire up to the batch's length late, never early.
class EpollEventDispatcher : public QAbstractEventDispatcher
{
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    // The current thread's dispatcher when it is one of these, else null.
    static EpollEventDispatcher *current();
    // Milliseconds of the steady clock as read after the current thread's last wake-up, when
    // that thread runs this dispatcher; else read from the clock now.
    static qint64 loopTimeMs();

    bool isValid() const { return m_fd >= 0 && m_wakeFd >= 0; }
    int epollFd() const { return m_fd; }
    // The poller whose handlers share the set: a batch that holds its events is handled as
    // it would handle one (deferred flushes, retired handlers). One at a time.
    bool attach(EventPoller *poller);
    void detach(EventPoller *poller);

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;
    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;
    void wakeUp() override;
    void interrupt() override;

private:
    class WakeReader;
    class NotifierSet;
    struct Timer
    {
        int id;
        qint64 intervalMs;
        Qt::TimerType type;
        QObject *object;
        qint64 dueNs;
    };

    void readClock();
    int waitMs() const;
    int activateTimers();
    void updateNotifierSet(NotifierSet *set);

    int m_fd = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_wakePending{false};
    std::atomic<bool> m_interrupt{false};
    WakeReader *m_wakeReader = nullptr;
    EventPoller *m_poller = nullptr;
    bool m_handling = false;
    qint64 m_nowNs = 0;
    std::vector<Timer> m_timers;
    std::unordered_map<int, NotifierSet *> m_notifiers;
    std::vector<NotifierSet *> m_retiredSets;   // freed once the batch that may name them is done
};

} // namespace fulcrum
