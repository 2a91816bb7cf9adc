// The proxy workers' event loop (EpollEventDispatcher): what the workers rely on from Qt's loop
// (queued calls from the main thread, timers, socket notifiers, deleteLater, quit) works on it,
// and the worker's EventPoller shares its epoll set, so the loop sleeps in one epoll_wait.

#include "proxy/epolldispatcher.h"
#include "proxy/eventpoller.h"

#include <QAtomicInt>
#include <QEventLoop>
#include <QPointer>
#include <QSocketNotifier>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <memory>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace fulcrum;

namespace {

// A thread that runs an EpollEventDispatcher, and an object living in it to run code there.
class LoopThread
{
public:
    LoopThread()
    {
        dispatcher = new EpollEventDispatcher;
        thread.setEventDispatcher(dispatcher);
        context = new QObject;
        context->moveToThread(&thread);
        QObject::connect(&thread, &QThread::finished, context, &QObject::deleteLater);
        thread.start();
    }
    ~LoopThread()
    {
        thread.quit();
        thread.wait();
    }
    template <typename F>
    void run(F &&function)
    {
        QMetaObject::invokeMethod(context, std::forward<F>(function), Qt::BlockingQueuedConnection);
    }

    QThread thread;
    EpollEventDispatcher *dispatcher = nullptr;
    QObject *context = nullptr;
};

struct SocketPair
{
    SocketPair() { QVERIFY(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0); }
    ~SocketPair()
    {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    void send(const char *bytes) const { QVERIFY(::write(fds[1], bytes, strlen(bytes)) == ssize_t(strlen(bytes))); }
    int fds[2] = {-1, -1};
};

class CountingHandler final : public PollHandler
{
public:
    explicit CountingHandler(int fd)
        : fd(fd)
    {
    }
    void pollEvents(std::uint32_t events) override
    {
        if (!(events & EPOLLIN))
            return;
        char buffer[64];
        while (::read(fd, buffer, sizeof buffer) > 0)
            reads.fetchAndAddOrdered(1);
    }
    const int fd;
    QAtomicInt reads;
};

} // namespace

class TestEpollDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runsQueuedCallsFromAnotherThread();
    void firesPeriodicAndSingleShotTimers();
    void stoppedTimerStaysQuiet();
    void socketNotifierFollowsReadableData();
    void pollerSharesTheLoopsEpollSet();
    void pollerWorksOnQtsOwnLoopToo();
    void nestedEventLoopRuns();
    void deleteLaterDeletesInTheThread();
    void loopClockIsReadOnWakeUp();
};

void TestEpollDispatcher::runsQueuedCallsFromAnotherThread()
{
    LoopThread loop;
    QAtomicInt calls;
    for (int i = 0; i < 100; ++i)
        QMetaObject::invokeMethod(loop.context, [&calls] { calls.fetchAndAddOrdered(1); }, Qt::QueuedConnection);
    QThread *ranIn = nullptr;
    loop.run([&ranIn] { ranIn = QThread::currentThread(); });
    QCOMPARE(ranIn, &loop.thread);
    // Queued before the blocking call, so delivered before it, in order, none lost.
    QCOMPARE(calls.loadAcquire(), 100);
}

void TestEpollDispatcher::firesPeriodicAndSingleShotTimers()
{
    LoopThread loop;
    QAtomicInt ticks;
    QAtomicInt shots;
    loop.run([&] {
        auto *timer = new QTimer(loop.context);
        QObject::connect(timer, &QTimer::timeout, [&ticks] { ticks.fetchAndAddOrdered(1); });
        timer->start(5);
        QTimer::singleShot(10, loop.context, [&shots] { shots.fetchAndAddOrdered(1); });
    });
    QTRY_VERIFY_WITH_TIMEOUT(ticks.loadAcquire() >= 5, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(shots.loadAcquire(), 1, 10000);
    const int before = ticks.loadAcquire();
    QTRY_VERIFY_WITH_TIMEOUT(ticks.loadAcquire() > before, 10000);   // still periodic
    QTest::qWait(50);
    QCOMPARE(shots.loadAcquire(), 1);   // a single shot fires once
}

void TestEpollDispatcher::stoppedTimerStaysQuiet()
{
    LoopThread loop;
    QAtomicInt ticks;
    QTimer *timer = nullptr;
    loop.run([&] {
        timer = new QTimer(loop.context);
        QObject::connect(timer, &QTimer::timeout, [&ticks] { ticks.fetchAndAddOrdered(1); });
        timer->start(1);
    });
    QTRY_VERIFY_WITH_TIMEOUT(ticks.loadAcquire() >= 2, 10000);
    int remaining = 0;
    loop.run([&] {
        remaining = timer->remainingTime();
        timer->stop();
    });
    QVERIFY(remaining >= 0 && remaining <= 1);
    const int stoppedAt = ticks.loadAcquire();
    QTest::qWait(30);
    loop.run([] {});   // a round trip through the loop, after which a live timer would have fired
    QCOMPARE(ticks.loadAcquire(), stoppedAt);
}

void TestEpollDispatcher::socketNotifierFollowsReadableData()
{
    LoopThread loop;
    SocketPair pair;
    QAtomicInt activations;
    QSocketNotifier *notifier = nullptr;
    loop.run([&] {
        notifier = new QSocketNotifier(pair.fds[0], QSocketNotifier::Read, loop.context);
        QObject::connect(notifier, &QSocketNotifier::activated, [&] {
            char buffer[64];
            while (::read(pair.fds[0], buffer, sizeof buffer) > 0) {
            }
            activations.fetchAndAddOrdered(1);
        });
    });
    loop.run([] {});
    QCOMPARE(activations.loadAcquire(), 0);   // nothing to read, no activation
    pair.send("one");
    QTRY_COMPARE_WITH_TIMEOUT(activations.loadAcquire(), 1, 10000);
    pair.send("two");
    QTRY_COMPARE_WITH_TIMEOUT(activations.loadAcquire(), 2, 10000);
    loop.run([&] { notifier->setEnabled(false); });
    pair.send("three");
    QTest::qWait(30);
    loop.run([] {});
    QCOMPARE(activations.loadAcquire(), 2);   // disabled: left out of the set
    loop.run([&] { notifier->setEnabled(true); });   // level-triggered: the waiting bytes wake it
    QTRY_COMPARE_WITH_TIMEOUT(activations.loadAcquire(), 3, 10000);
    loop.run([&] { delete notifier; });
}

void TestEpollDispatcher::pollerSharesTheLoopsEpollSet()
{
    LoopThread loop;
    SocketPair pair;
    std::unique_ptr<EventPoller> poller;
    std::unique_ptr<CountingHandler> handler(new CountingHandler(pair.fds[0]));
    bool shared = false;
    bool added = false;
    loop.run([&] {
        poller.reset(new EventPoller);
        // Shared: the poller's fd names the dispatcher's set (a dup of it), so a socket added
        // through the poller is in the set the loop waits on.
        epoll_event probe{};
        probe.events = EPOLLIN;
        added = poller->add(pair.fds[0], EPOLLIN | EPOLLET, handler.get());
        shared = ::epoll_ctl(loop.dispatcher->epollFd(), EPOLL_CTL_ADD, pair.fds[0], &probe) == -1 && errno == EEXIST;
    });
    QVERIFY(added);
    QVERIFY(shared);
    pair.send("ping");
    QTRY_COMPARE_WITH_TIMEOUT(handler->reads.loadAcquire(), 1, 10000);
    pair.send("pong");
    QTRY_COMPARE_WITH_TIMEOUT(handler->reads.loadAcquire(), 2, 10000);
    loop.run([&] {
        poller->remove(pair.fds[0]);
        poller.reset();
    });
}

void TestEpollDispatcher::pollerWorksOnQtsOwnLoopToo()
{
    // This thread runs Qt's dispatcher: the poller keeps a set of its own, watched by a notifier.
    QVERIFY(!EpollEventDispatcher::current());
    SocketPair pair;
    EventPoller poller;
    CountingHandler handler(pair.fds[0]);
    QVERIFY(poller.add(pair.fds[0], EPOLLIN | EPOLLET, &handler));
    pair.send("ping");
    QTRY_COMPARE_WITH_TIMEOUT(handler.reads.loadAcquire(), 1, 10000);
    poller.remove(pair.fds[0]);
}

void TestEpollDispatcher::nestedEventLoopRuns()
{
    LoopThread loop;
    bool timedOut = false;
    loop.run([&] {
        // A worker slot that waits in a local loop (as a BlockingQueuedConnection's caller may not,
        // but Qt's own code sometimes does): timers and exit still reach it.
        QEventLoop local;
        QTimer::singleShot(5, &local, [&] {
            timedOut = true;
            local.quit();
        });
        local.exec();
    });
    QVERIFY(timedOut);
}

void TestEpollDispatcher::deleteLaterDeletesInTheThread()
{
    LoopThread loop;
    QPointer<QObject> doomed;
    loop.run([&] {
        doomed = new QObject;
        doomed->deleteLater();
    });
    QTRY_VERIFY_WITH_TIMEOUT(doomed.isNull(), 10000);
}

void TestEpollDispatcher::loopClockIsReadOnWakeUp()
{
    LoopThread loop;
    qint64 first = 0;
    qint64 second = 0;
    qint64 outside = 0;
    loop.run([&] { first = EpollEventDispatcher::loopTimeMs(); });
    QTest::qWait(20);
    loop.run([&] { second = EpollEventDispatcher::loopTimeMs(); });
    outside = EpollEventDispatcher::loopTimeMs();   // this thread runs Qt's loop: the clock itself
    // Read again on the wake-up that brought the second call: it moved on with the clock.
    QVERIFY2(second - first >= 20, qPrintable(QStringLiteral("first %1 ms, second %2 ms").arg(first).arg(second)));
    QVERIFY(outside >= second);
}

QTEST_GUILESS_MAIN(TestEpollDispatcher)
#include "tst_epolldispatcher.moc"
