#pragma once

#include <QObject>

#include <cstdint>
#include <memory>
#include <vector>

class QSocketNotifier;

namespace fulcrum {

class EpollEventDispatcher;

// Something with a file descriptor in an EventPoller: gets the epoll events of that fd.
class PollHandler
{
public:
    virtual ~PollHandler() = default;
    virtual void pollEvents(std::uint32_t events) = 0;
    // Writes held back until the batch of events has been handled (EventPoller::deferFlush).
    virtual void flushDeferred() {}
};

// One epoll set per proxy worker. Qt's own dispatcher polls every socket notifier on every
// wake-up (a ppoll over all of them, an ioctl per read, a notifier toggle per write); with
// thousands of connections that is most of the proxy's user-space time. Here the sockets are
// read and written with plain syscalls when epoll says they are ready.
// In a thread that runs an EpollEventDispatcher (the proxy's workers) the poller's handlers
// live in the dispatcher's own set and the loop sleeps in one epoll_wait; in any other thread
// the poller has a set of its own, watched by one QSocketNotifier.
// Not thread-safe: created, used and destroyed in the worker's thread.
class EventPoller : public QObject
{
public:
    explicit EventPoller(QObject *parent = nullptr);
    ~EventPoller() override;

    bool isValid() const { return m_fd >= 0; }
    // Edge-triggered for streams (EPOLLET in events), level-triggered for listeners.
    bool add(int fd, std::uint32_t events, PollHandler *handler);
    void remove(int fd);
    // Deletes the handler once no event of the batch being dispatched can still point at it.
    // Its fd must already be removed.
    void retire(PollHandler *handler);
    // A 64 KiB scratch buffer for reads, shared by the worker's sockets.
    char *scratch() { return m_scratch.get(); }
    static constexpr int kScratchSize = 64 * 1024;

    // Called by the notifier; public for the worker's sweep to free retired handlers.
    void dispatch();
    void freeRetired();

    // Around a batch of events, by dispatch() or by the thread's EpollEventDispatcher: the
    // deferred flushes go and the retired handlers are freed when it ends.
    void beginBatch() { m_dispatching = true; }
    void endBatch();
    // The dispatcher is going before the poller: the set is the poller's dup alone from now.
    void detachedFromDispatcher() { m_dispatcher = nullptr; }

    // True while a batch of events is being handled.
    bool dispatching() const { return m_dispatching; }
    // Calls handler->flushDeferred() once the current batch of events has been handled.
    void deferFlush(PollHandler *handler) { m_deferred.push_back(handler); }
    void cancelFlush(PollHandler *handler);

private:
    void flushDeferred();

    int m_fd = -1;
    QSocketNotifier *m_notifier = nullptr;
    EpollEventDispatcher *m_dispatcher = nullptr;   // whose set this is, when shared
    bool m_dispatching = false;
    std::vector<PollHandler *> m_retired;
    std::vector<PollHandler *> m_deferred;
    std::vector<PollHandler *> m_flushing;   // the deferred flushes being made now
    std::unique_ptr<char[]> m_scratch;
};

} // namespace fulcrum
