#include "locks/zookeeper/zookeeperlockbackend.h"
#include "tcprelay.h"
#include "zkclients.h"
#include "zookeeperserver.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <vector>

using namespace fulcrum;
using namespace fulcrum::test;

// The live ZooKeeper table (issue 18) against a real ZooKeeper and real Kazoo and Curator
// clients: after one pass, child watches on every folder read and exists watches on holders
// follow every change; no test here scans after the first pass. The backend reaches ZooKeeper
// through a relay in the test's own loop, so that its connection can be cut while the lock
// clients (connected directly) go on: briefly (the session survives, ZooKeeper fires the
// watches of what changed), or past the session timeout (a new session, read whole again).
class TestZooKeeperLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void everyChangeFollowsTheWatches();
    void semaphoreLeasesFollowTheirFolders();
    void aShortCutKeepsTheSessionAndItsWatches();
    void anExpiredSessionIsReadWholeAgainAndWatchedAnew();
    void watchOffPolls();

private:
    std::unique_ptr<ZooKeeperLockBackend> liveBackend(const QString &hosts, const QString &root, QSignalSpy **passes, bool watch = true);
    std::unique_ptr<ZkLockProcess> acquired(ZkLockProcess::Library library, const QString &recipe, const QString &path,
                                            const QString &identifier, int maxLeases = 1);

    std::unique_ptr<ZooKeeperServer> m_server;
    std::vector<std::unique_ptr<QSignalSpy>> m_spies;
};

static const LockInfo *rowOf(const LockScanResult &result, const QByteArray &key)
{
    for (const LockInfo &info : result.locks) {
        if (info.key == key)
            return &info;
    }
    return nullptr;
}

void TestZooKeeperLive::initTestCase()
{
    m_server = std::make_unique<ZooKeeperServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY2(ZkLockProcess::prepareCurator(&error), qPrintable(error));
}

// Connected, one pass done, live; `passes` counts scanFinished from then on.
std::unique_ptr<ZooKeeperLockBackend> TestZooKeeperLive::liveBackend(const QString &hosts, const QString &root, QSignalSpy **passes, bool watch)
{
    ZooKeeperEndpointConfig config;
    config.name = QStringLiteral("zk");
    config.hosts = hosts;
    config.paths = {root};
    config.sessionTimeoutMs = 4000;
    config.fourLetterWords = false;
    config.watch = watch;
    auto backend = std::make_unique<ZooKeeperLockBackend>(config, QByteArray());
    backend->open();
    if (!QTest::qWaitFor([&] { return backend->isConnected(); }, 20'000))
        return nullptr;
    QSignalSpy first(backend.get(), &LockBackend::scanFinished);
    backend->scan();
    if (!QTest::qWaitFor([&] { return first.count() > 0; }, 20'000))
        return nullptr;
    m_spies.push_back(std::make_unique<QSignalSpy>(backend.get(), &LockBackend::scanFinished));
    *passes = m_spies.back().get();
    return backend;
}

std::unique_ptr<ZkLockProcess> TestZooKeeperLive::acquired(ZkLockProcess::Library library, const QString &recipe, const QString &path,
                                                           const QString &identifier, int maxLeases)
{
    auto client = std::make_unique<ZkLockProcess>(library, recipe, m_server->hosts(), path, identifier, maxLeases);
    QString error;
    if (!client->start(&error))
        qWarning("lock client did not start: %s", qPrintable(error));
    if (!QTest::qWaitFor([&] { return client->isAcquired(); }, 30'000))
        qWarning("%s did not acquire %s: %s", qPrintable(identifier), qPrintable(path), qPrintable(client->output()));
    return client;
}

void TestZooKeeperLive::everyChangeFollowsTheWatches()
{
    QSignalSpy *passes = nullptr;
    auto backend = liveBackend(m_server->hosts(), QStringLiteral("/live"), &passes);
    QVERIFY(backend);
    QCOMPARE(backend->feedState().mode, LockFeedState::Live);
    QSignalSpy changes(backend.get(), &LockBackend::rowsChanged);
    const QByteArray name = "/live/orders/cart-1";

    // A lock in a folder that did not exist: the root's watch, then the new folders read down.
    auto holder = acquired(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QString::fromUtf8(name), QStringLiteral("worker-a"));
    QVERIFY(holder->isAcquired());
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), name), 10'000);
    QCOMPARE(rowOf(backend->lastResult(), name)->holderText, QStringLiteral("worker-a"));
    QVERIFY(rowOf(backend->lastResult(), name)->readAt.isValid());

    // A waiter queues in the folder that is watched now.
    auto waiter = std::make_unique<ZkLockProcess>(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), m_server->hosts(),
                                                  QString::fromUtf8(name), QStringLiteral("worker-b"));
    QVERIFY(waiter->start());
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), name) && rowOf(backend->lastResult(), name)->waiters.size() == 1, 10'000);

    // The holder lets go: the waiter holds (the folder's watch fired and was armed again).
    holder->release();
    QVERIFY(QTest::qWaitFor([&] { return waiter->isAcquired(); }, 20'000));
    QTRY_COMPARE_WITH_TIMEOUT(rowOf(backend->lastResult(), name) ? rowOf(backend->lastResult(), name)->holderText : QString(),
                              QStringLiteral("worker-b"), 10'000);
    QVERIFY(rowOf(backend->lastResult(), name)->waiters.isEmpty());

    // A Curator mutex beside it, in another new folder.
    auto curator = acquired(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), QStringLiteral("/live/stock/sku-42"), QStringLiteral("curator-1"));
    QVERIFY(curator->isAcquired());
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), "/live/stock/sku-42"), 10'000);
    QCOMPARE(rowOf(backend->lastResult(), "/live/stock/sku-42")->kind, QStringLiteral("curator-mutex"));

    // Its holder dies: its session ends with the process (Curator closes it), the row goes.
    waiter->release();
    QTRY_VERIFY_WITH_TIMEOUT(!rowOf(backend->lastResult(), name), 10'000);
    bool removedSeen = false;
    for (const QList<QVariant> &signal : std::as_const(changes))
        removedSeen = removedSeen || signal.at(0).value<LockChanges>().removed.contains(name);
    QVERIFY(removedSeen);
    curator->release();
    QTRY_VERIFY_WITH_TIMEOUT(!rowOf(backend->lastResult(), "/live/stock/sku-42"), 10'000);

    QCOMPARE(passes->count(), 0);                                // all of it without a pass
    QCOMPARE(backend->feedState().mode, LockFeedState::Live);
    QVERIFY(backend->feedState().eventsApplied >= 5);
}

void TestZooKeeperLive::semaphoreLeasesFollowTheirFolders()
{
    QSignalSpy *passes = nullptr;
    auto backend = liveBackend(m_server->hosts(), QStringLiteral("/sem"), &passes);
    QVERIFY(backend);
    const QByteArray name = "/sem/exports";
    auto first = acquired(ZkLockProcess::Library::Curator, QStringLiteral("semaphore"), QString::fromUtf8(name), QStringLiteral("export-1"), 2);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), name), 10'000);
    QCOMPARE(rowOf(backend->lastResult(), name)->holders.size(), 1);
    // A second lease is taken in the semaphore's leases folder, below the folder of the row.
    auto second = acquired(ZkLockProcess::Library::Curator, QStringLiteral("semaphore"), QString::fromUtf8(name), QStringLiteral("export-2"), 2);
    QTRY_COMPARE_WITH_TIMEOUT(rowOf(backend->lastResult(), name) ? rowOf(backend->lastResult(), name)->holders.size() : 0, 2, 10'000);
    first->release();
    QTRY_COMPARE_WITH_TIMEOUT(rowOf(backend->lastResult(), name) ? rowOf(backend->lastResult(), name)->holders.size() : 0, 1, 10'000);
    second->release();
    QCOMPARE(passes->count(), 0);
}

void TestZooKeeperLive::aShortCutKeepsTheSessionAndItsWatches()
{
    TcpRelay relay(m_server->port());
    QVERIFY(relay.start());
    QSignalSpy *passes = nullptr;
    auto backend = liveBackend(QStringLiteral("127.0.0.1:%1").arg(relay.port()), QStringLiteral("/short"), &passes);
    QVERIFY(backend);
    auto holder = acquired(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QStringLiteral("/short/job"), QStringLiteral("a"));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), "/short/job"), 10'000);

    // Cut for less than the session timeout (4 s): the lock changes hands meanwhile.
    relay.cut();
    QTRY_COMPARE_WITH_TIMEOUT(backend->feedState().mode, LockFeedState::Resyncing, 10'000);
    auto next = std::make_unique<ZkLockProcess>(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), m_server->hosts(),
                                                QStringLiteral("/short/job"), QStringLiteral("b"));
    QVERIFY(next->start());
    holder->release();
    QVERIFY(QTest::qWaitFor([&] { return next->isAcquired(); }, 20'000));
    QVERIFY(relay.restore());

    // The same session: ZooKeeper fires the folder's watch; no pass reads anything.
    QTRY_COMPARE_WITH_TIMEOUT(backend->feedState().mode, LockFeedState::Live, 20'000);
    QTRY_COMPARE_WITH_TIMEOUT(rowOf(backend->lastResult(), "/short/job") ? rowOf(backend->lastResult(), "/short/job")->holderText : QString(),
                              QStringLiteral("b"), 10'000);
    QCOMPARE(passes->count(), 0);
    next->release();
    QTRY_VERIFY_WITH_TIMEOUT(!rowOf(backend->lastResult(), "/short/job"), 10'000);
}

void TestZooKeeperLive::anExpiredSessionIsReadWholeAgainAndWatchedAnew()
{
    TcpRelay relay(m_server->port());
    QVERIFY(relay.start());
    QSignalSpy *passes = nullptr;
    auto backend = liveBackend(QStringLiteral("127.0.0.1:%1").arg(relay.port()), QStringLiteral("/expiry"), &passes);
    QVERIFY(backend);
    auto holder = acquired(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QStringLiteral("/expiry/a"), QStringLiteral("a"));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), "/expiry/a"), 10'000);

    // Cut for longer than the session timeout: ZooKeeper expires the session and drops its
    // watches; one lock goes and another comes meanwhile.
    relay.cut();
    holder->release();
    auto during = acquired(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QStringLiteral("/expiry/b"), QStringLiteral("b"));
    QTest::qWait(8000);
    QVERIFY(relay.restore());

    QTRY_VERIFY_WITH_TIMEOUT(passes->count() > 0, 30'000);      // the new session reads everything
    QTRY_COMPARE_WITH_TIMEOUT(backend->feedState().mode, LockFeedState::Live, 10'000);
    QVERIFY2(backend->feedState().liveSince.isValid(), "live again since the new session's pass");
    QVERIFY(rowOf(backend->lastResult(), "/expiry/b"));
    QVERIFY(!rowOf(backend->lastResult(), "/expiry/a"));
    const int passesAfter = int(passes->count());

    // The new session's watches follow changes again.
    auto later = acquired(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QStringLiteral("/expiry/c"), QStringLiteral("c"));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), "/expiry/c"), 10'000);
    during->release();
    QTRY_VERIFY_WITH_TIMEOUT(!rowOf(backend->lastResult(), "/expiry/b"), 10'000);
    QCOMPARE(int(passes->count()), passesAfter);
    later->release();
}

void TestZooKeeperLive::watchOffPolls()
{
    QSignalSpy *passes = nullptr;
    auto backend = liveBackend(m_server->hosts(), QStringLiteral("/off"), &passes, false);
    QVERIFY(backend);
    QCOMPARE(backend->feedState().mode, LockFeedState::Polling);
    QVERIFY2(backend->feedState().why.contains(QStringLiteral("watch: false")), qPrintable(backend->feedState().why));
    auto holder = acquired(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QStringLiteral("/off/job"), QStringLiteral("a"));
    QTest::qWait(500);
    QVERIFY(!rowOf(backend->lastResult(), "/off/job"));
    backend->scan();
    QTRY_VERIFY_WITH_TIMEOUT(passes->count() > 0, 20'000);
    QVERIFY(rowOf(backend->lastResult(), "/off/job"));
    holder->release();
}

QTEST_GUILESS_MAIN(TestZooKeeperLive)
#include "tst_zookeeperlive.moc"
