#include "locks/zookeeper/zkmutex.h"
#include "locks/zookeeper/zookeeperlockbackend.h"
#include "programs.h"
#include "zkclients.h"
#include "zookeeperserver.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;

// ZooKeeperLockBackend and ZkMutex against a real ZooKeeper and real Curator and Kazoo clients.
// One server for the suite (cons allowed); a second one without four-letter words only where
// that is the point. Every test uses its own lock paths.
class TestZooKeeperLocks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void curatorMutexShowsHolderAndWaitersAndReleasePassesItOn();
    void curatorReadWriteLock();
    void curatorSemaphore();
    void kazooLockWithWaiters();
    void waitersBeyondTheBudgetAreListedByNameAndReadOnDemand();
    void kazooReadWriteLockAndSemaphore();
    void killedClientVanishesAfterItsSessionTimeout();
    void holderChangedBetweenListAndRelease();
    void askHolderRevokesACuratorMutex();
    void aclThatRefusesDeleteGivesAClearFailure();
    void withoutFourLetterWordsANoteInsteadOfAddresses();
    void fulcrumMutexAgainstCurator();
    void fulcrumMutexAgainstKazoo();
    void restartMidInspectionGivesOneCompletePass();

private:
    std::unique_ptr<ZooKeeperLockBackend> connectedBackend(const QString &hosts, const QStringList &paths, bool fourLetterWords = true,
                                                           const QString &user = {}, const QByteArray &password = {},
                                                           int waiterDetails = 1000);
    // Scans until `accept` likes a pass (a lock client may still be queueing), at most 30 s.
    LockScanResult scanUntil(ZooKeeperLockBackend &backend, const std::function<bool(const LockScanResult &)> &accept);
    std::unique_ptr<ZkLockProcess> startClient(ZkLockProcess::Library library, const QString &recipe, const QString &path,
                                               const QString &identifier = {}, int maxLeases = 1);
    ForceReleaseResult releaseNow(ZooKeeperLockBackend &backend, const LockReleaseRequest &request);
    void runKazooSetup(const QString &script);

    std::unique_ptr<ZooKeeperServer> m_server;
};

static ZkClient::Options clientOptions(const QString &hosts)
{
    ZkClient::Options options;
    options.hosts = hosts;
    options.sessionTimeoutMs = 4000;
    return options;
}

static const LockInfo *rowOf(const LockScanResult &result, const QByteArray &key)
{
    for (const LockInfo &info : result.locks) {
        if (info.key == key)
            return &info;
    }
    return nullptr;
}

void TestZooKeeperLocks::initTestCase()
{
    m_server = std::make_unique<ZooKeeperServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY2(ZkLockProcess::prepareCurator(&error), qPrintable(error));
}

std::unique_ptr<ZooKeeperLockBackend> TestZooKeeperLocks::connectedBackend(const QString &hosts, const QStringList &paths,
                                                                           bool fourLetterWords, const QString &user,
                                                                           const QByteArray &password, int waiterDetails)
{
    ZooKeeperEndpointConfig config;
    config.name = QStringLiteral("zk");
    config.hosts = hosts;
    config.paths = paths;
    config.sessionTimeoutMs = 4000;
    config.fourLetterWords = fourLetterWords;
    config.user = user;
    config.waiterDetails = waiterDetails;
    auto backend = std::make_unique<ZooKeeperLockBackend>(config, password);
    backend->open();
    if (!QTest::qWaitFor([&] { return backend->isConnected(); }, 20'000))
        return nullptr;
    return backend;
}

LockScanResult TestZooKeeperLocks::scanUntil(ZooKeeperLockBackend &backend, const std::function<bool(const LockScanResult &)> &accept)
{
    QDeadlineTimer deadline(30'000);
    while (!deadline.hasExpired()) {
        QSignalSpy finished(&backend, &LockBackend::scanFinished);
        backend.scan();
        if (!QTest::qWaitFor([&] { return finished.count() > 0; }, 20'000))
            break;
        if (accept(backend.lastResult()))
            return backend.lastResult();
        QTest::qWait(100);
    }
    return backend.lastResult();
}

std::unique_ptr<ZkLockProcess> TestZooKeeperLocks::startClient(ZkLockProcess::Library library, const QString &recipe,
                                                               const QString &path, const QString &identifier, int maxLeases)
{
    auto client = std::make_unique<ZkLockProcess>(library, recipe, m_server->hosts(), path, identifier, maxLeases);
    QString error;
    if (!client->start(&error))
        qWarning("lock client did not start: %s", qPrintable(error));
    return client;
}

ForceReleaseResult TestZooKeeperLocks::releaseNow(ZooKeeperLockBackend &backend, const LockReleaseRequest &request)
{
    std::optional<ForceReleaseResult> outcome;
    backend.release(request, [&outcome](const ForceReleaseResult &r) { outcome = r; });
    (void)QTest::qWaitFor([&] { return outcome.has_value(); }, 15'000);
    return outcome.value_or(ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("no answer")});
}

void TestZooKeeperLocks::runKazooSetup(const QString &script)
{
    const QString program = QStringLiteral("from kazoo.client import KazooClient\n"
                                           "from kazoo.security import make_digest_acl, make_acl\n"
                                           "zk = KazooClient(hosts='%1', auth_data=[('digest', 'admin:secret')])\n"
                                           "zk.start(timeout=15)\n%2\nzk.stop()\n")
                                .arg(m_server->hosts(), script);
    const ProgramRun run = runProgram(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), program}, componentEnvironment());
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
}

void TestZooKeeperLocks::curatorMutexShowsHolderAndWaitersAndReleasePassesItOn()
{
    const QString path = QStringLiteral("/locks/orders/cart-1");
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks")});
    QVERIFY(backend);
    auto holder = startClient(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), path);
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    auto first = startClient(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), path);
    scanUntil(*backend, [](const LockScanResult &r) { auto row = rowOf(r, "/locks/orders/cart-1"); return row && row->waiters.size() == 1; });
    auto second = startClient(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), path);
    const LockScanResult result = scanUntil(*backend, [](const LockScanResult &r) {
        auto row = rowOf(r, "/locks/orders/cart-1");
        return row && row->waiters.size() == 2;
    });
    const LockInfo *row = rowOf(result, path.toUtf8());
    QVERIFY(row);
    QCOMPARE(row->backend, QStringLiteral("zookeeper"));
    QCOMPARE(row->kind, QStringLiteral("curator-mutex"));
    QVERIFY2(QRegularExpression(QStringLiteral(R"(^_c_[0-9a-f-]{36}-lock-\d{10}$)")).match(QString::fromUtf8(row->holder)).hasMatch(),
             row->holder.constData());
    QVERIFY(row->session.startsWith(u"0x"));
    // Curator writes its host's address as the node's data (empty where the JVM cannot resolve
    // its own host name, as in a minimal container): the row shows exactly what is there.
    {
        ZkClient reader(clientOptions(m_server->hosts()));
        reader.open();
        QTRY_VERIFY_WITH_TIMEOUT(reader.isConnected(), 20'000);
        std::optional<QByteArray> data;
        reader.get(path.toUtf8() + '/' + row->holder, this, [&data](int, const QByteArray &bytes, const ZkStat &) { data = bytes; });
        QTRY_VERIFY_WITH_TIMEOUT(data.has_value(), 10'000);
        QCOMPARE(row->holderText, QString::fromUtf8(*data));
    }
    QVERIFY2(row->clientAddress.startsWith(u"127.0.0.1:"), qPrintable(row->clientAddress));
    QVERIFY(row->acquiredAt.isValid());
    QCOMPARE(row->waiters.size(), 2);
    QVERIFY(row->waiters[0].id != row->waiters[1].id);
    QVERIFY(row->waiters[0].queuedAt <= row->waiters[1].queuedAt);
    QVERIFY(!row->waiters[0].session.isEmpty());
    QVERIFY(row->detailInteger(QStringLiteral("holder_version")) >= 0);
    QCOMPARE(row->detailString(QStringLiteral("holder_path")), path + u'/' + QString::fromUtf8(row->holder));
    QVERIFY(!first->isAcquired());
    QVERIFY(!second->isAcquired());

    const QByteArray next = row->waiters[0].id;
    const ForceReleaseResult released = releaseNow(*backend, {LockReleaseRequest::Delete, path.toUtf8(), row->holder});
    QCOMPARE(released.outcome, ForceReleaseResult::Released);
    QVERIFY2(released.message.contains(QString::fromUtf8(next)), qPrintable(released.message));
    QTRY_VERIFY_WITH_TIMEOUT(first->isAcquired(), 15'000);   // the next waiter, a real Curator client, takes it
    QVERIFY(!second->isAcquired());
    const LockScanResult after = scanUntil(*backend, [&](const LockScanResult &r) {
        auto row = rowOf(r, path.toUtf8());
        return row && row->holder == next;
    });
    QCOMPARE(rowOf(after, path.toUtf8())->holder, next);
    QCOMPARE(rowOf(after, path.toUtf8())->waiters.size(), 1);
}

void TestZooKeeperLocks::curatorReadWriteLock()
{
    const QString path = QStringLiteral("/locks/rw/catalog");
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/rw")});
    QVERIFY(backend);
    auto reader = startClient(ZkLockProcess::Library::Curator, QStringLiteral("read"), path);
    QTRY_VERIFY_WITH_TIMEOUT(reader->isAcquired(), 30'000);
    auto writer = startClient(ZkLockProcess::Library::Curator, QStringLiteral("write"), path);
    scanUntil(*backend, [&](const LockScanResult &r) { auto row = rowOf(r, path.toUtf8()); return row && row->waiters.size() == 1; });
    auto lateReader = startClient(ZkLockProcess::Library::Curator, QStringLiteral("read"), path);
    const LockScanResult result = scanUntil(*backend, [&](const LockScanResult &r) {
        auto row = rowOf(r, path.toUtf8());
        return row && row->waiters.size() == 2;
    });
    const LockInfo *row = rowOf(result, path.toUtf8());
    QVERIFY(row);
    QCOMPARE(row->kind, QStringLiteral("curator-rwlock"));
    QCOMPARE(row->detailString(QStringLiteral("mode")), QStringLiteral("read"));
    QCOMPARE(row->holders.size(), 1);
    QVERIFY(row->holder.contains("__READ__"));
    QVERIFY(row->waiters[0].id.contains("__WRIT__"));       // the writer queues behind the reader
    QVERIFY(row->waiters[1].id.contains("__READ__"));       // and the late reader behind the writer
    QVERIFY(!writer->isAcquired());
    QVERIFY(!lateReader->isAcquired());
    reader->release();
    QTRY_VERIFY_WITH_TIMEOUT(writer->isAcquired(), 15'000);
    const LockScanResult writing = scanUntil(*backend, [&](const LockScanResult &r) {
        auto row = rowOf(r, path.toUtf8());
        return row && row->detailString(QStringLiteral("mode")) == u"write";
    });
    QVERIFY(rowOf(writing, path.toUtf8())->holder.contains("__WRIT__"));
}

void TestZooKeeperLocks::curatorSemaphore()
{
    const QString path = QStringLiteral("/locks/sem/payments");
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/sem")});
    QVERIFY(backend);
    auto a = startClient(ZkLockProcess::Library::Curator, QStringLiteral("semaphore"), path, {}, 2);
    auto b = startClient(ZkLockProcess::Library::Curator, QStringLiteral("semaphore"), path, {}, 2);
    QTRY_VERIFY_WITH_TIMEOUT(a->isAcquired() && b->isAcquired(), 30'000);
    auto c = startClient(ZkLockProcess::Library::Curator, QStringLiteral("semaphore"), path, {}, 2);
    // The third client first takes the semaphore's internal lock (shown as a waiter on it), then
    // creates its lease, which waits for a slot.
    const LockScanResult result = scanUntil(*backend, [&](const LockScanResult &r) {
        auto row = rowOf(r, path.toUtf8());
        return row && row->waiters.size() == 1 && row->waiters[0].id.contains("-lease-");
    });
    const LockInfo *row = rowOf(result, path.toUtf8());
    QVERIFY(row);
    QCOMPARE(row->kind, QStringLiteral("curator-semaphore"));
    QCOMPARE(row->holders.size(), 2);
    QVERIFY(row->holder.contains("-lease-"));
    QVERIFY(row->waiters[0].id.contains("-lease-"));
    QVERIFY(!rowOf(result, path.toUtf8() + "/locks"));      // the internal mutex is part of the row, not a lock
    QVERIFY(!rowOf(result, path.toUtf8() + "/leases"));
    QVERIFY(!c->isAcquired());
    a->release();
    QTRY_VERIFY_WITH_TIMEOUT(c->isAcquired(), 15'000);
}

void TestZooKeeperLocks::kazooLockWithWaiters()
{
    const QString path = QStringLiteral("/locks/kazoo/stock-42");
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/kazoo")});
    QVERIFY(backend);
    auto holder = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("worker-1"));
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    auto w2 = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("worker-2"));
    scanUntil(*backend, [&](const LockScanResult &r) { auto row = rowOf(r, path.toUtf8()); return row && row->waiters.size() == 1; });
    auto w3 = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("worker-3"));
    const LockScanResult result = scanUntil(*backend, [&](const LockScanResult &r) {
        auto row = rowOf(r, path.toUtf8());
        return row && row->waiters.size() == 2;
    });
    const LockInfo *row = rowOf(result, path.toUtf8());
    QVERIFY(row);
    QCOMPARE(row->kind, QStringLiteral("kazoo-lock"));
    QVERIFY(row->holder.contains("__lock__"));
    QCOMPARE(row->holderText, QStringLiteral("worker-1"));
    QCOMPARE(row->waiters[0].who, QStringLiteral("worker-2"));
    QCOMPARE(row->waiters[1].who, QStringLiteral("worker-3"));
}

// A pass reads at most waiter_details waiters whole; a lock whose waiters do not fit lists them
// by name, in queue order, and inspect() reads them when the operator opens the lock. What was
// read once is not read again: the next pass shows it from the cache.
void TestZooKeeperLocks::waitersBeyondTheBudgetAreListedByNameAndReadOnDemand()
{
    const QByteArray cart = "/locks/budget/cart-7";
    const QByteArray stock = "/locks/budget/stock-7";
    std::vector<std::unique_ptr<ZkLockProcess>> clients;
    for (const QByteArray &path : {cart, stock}) {
        for (int i = 1; i <= 3; ++i) {
            clients.push_back(startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QString::fromUtf8(path),
                                          QStringLiteral("%1-worker-%2").arg(QString::fromUtf8(path.mid(path.lastIndexOf('/') + 1))).arg(i)));
            if (i == 1)
                QTRY_VERIFY_WITH_TIMEOUT(clients.back()->isAcquired(), 30'000);
        }
    }
    {
        auto watcher = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/budget")});
        QVERIFY(watcher);
        const LockScanResult queued = scanUntil(*watcher, [&](const LockScanResult &r) {
            return rowOf(r, cart) && rowOf(r, stock) && rowOf(r, cart)->waiters.size() == 2 && rowOf(r, stock)->waiters.size() == 2;
        });
        QVERIFY(rowOf(queued, cart) && rowOf(queued, cart)->waiters.size() == 2);
        QVERIFY(rowOf(queued, stock) && rowOf(queued, stock)->waiters.size() == 2);
    }
    // Room for one lock's two waiters, not for both locks' four: one pass.
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/budget")}, true, {}, {}, 2);
    QVERIFY(backend);
    QSignalSpy passes(backend.get(), &LockBackend::scanFinished);
    backend->scan();
    QTRY_VERIFY_WITH_TIMEOUT(passes.count() == 1, 20'000);
    const LockScanResult first = backend->lastResult();
    const LockInfo *a = rowOf(first, cart);
    const LockInfo *b = rowOf(first, stock);
    QVERIFY(a && b);
    QCOMPARE(a->waiters.size(), 2);
    QCOMPARE(b->waiters.size(), 2);
    const LockInfo *read = a->detailInteger(QStringLiteral("waiters_unread"), 0) == 0 ? a : b;
    const LockInfo *byName = read == a ? b : a;
    QCOMPARE(read->detailInteger(QStringLiteral("waiters_unread"), 0), 0);
    QCOMPARE(byName->detailInteger(QStringLiteral("waiters_unread"), 0), 2);
    const QString prefix = QString::fromUtf8(read->key.mid(read->key.lastIndexOf('/') + 1));
    // worker-2 and worker-3 queue in whichever order their processes got there.
    const QSet<QString> waiting{prefix + QStringLiteral("-worker-2"), prefix + QStringLiteral("-worker-3")};
    QCOMPARE((QSet<QString>{read->waiters[0].who, read->waiters[1].who}), waiting);
    QVERIFY(read->waiters[0].session.startsWith(u"0x"));
    // Listed by name: in queue order, holder shown whole, nothing else about the waiters yet.
    QVERIFY(byName->waiters[0].id.contains("__lock__"));
    QVERIFY(byName->waiters[0].who.isEmpty());
    QVERIFY(byName->waiters[0].session.isEmpty());
    QVERIFY(!byName->waiters[0].queuedAt.isValid());
    const QString byNamePrefix = QString::fromUtf8(byName->key.mid(byName->key.lastIndexOf('/') + 1));
    QCOMPARE(byName->holderText, byNamePrefix + QStringLiteral("-worker-1"));
    QVERIFY(byName->session.startsWith(u"0x"));

    // Opening the lock reads its waiters whole, in the same order.
    std::optional<LockInfo> inspected;
    QString error;
    bool answered = false;
    backend->inspect(byName->key, [&](const LockInspection &answer) {
        inspected = answer.lock;
        error = answer.error;
        answered = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered, 15'000);
    QVERIFY2(inspected, qPrintable(error));
    QCOMPARE(inspected->waiters.size(), 2);
    QCOMPARE(inspected->waiters[0].id, byName->waiters[0].id);
    QCOMPARE(inspected->waiters[1].id, byName->waiters[1].id);
    QCOMPARE((QSet<QString>{inspected->waiters[0].who, inspected->waiters[1].who}),
             (QSet<QString>{byNamePrefix + QStringLiteral("-worker-2"), byNamePrefix + QStringLiteral("-worker-3")}));
    QVERIFY(inspected->waiters[1].session.startsWith(u"0x"));
    QVERIFY(inspected->waiters[1].queuedAt.isValid());
    QCOMPARE(inspected->firstSeen, byName->firstSeen);

    // The next pass knows both locks' waiters without reading them again.
    QSignalSpy finished(backend.get(), &LockBackend::scanFinished);
    backend->scan();
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 20'000);
    for (const QByteArray &key : {cart, stock}) {
        const LockInfo *row = rowOf(backend->lastResult(), key);
        QVERIFY(row);
        QCOMPARE(row->detailInteger(QStringLiteral("waiters_unread"), 0), 0);
        QCOMPARE(row->waiters.size(), 2);
        QVERIFY(row->waiters[0].session.startsWith(u"0x"));
        QVERIFY(row->waiters[1].who.contains(u"-worker-"));
    }

    // A lock that is gone answers so.
    answered = false;
    bool gone = false;
    backend->inspect("/locks/budget/none-such", [&](const LockInspection &answer) {
        inspected = answer.lock;
        error = answer.error;
        gone = answer.gone;
        answered = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered, 15'000);
    QVERIFY(!inspected);
    QVERIFY(gone);
    QVERIFY2(error.contains(u"/locks/budget/none-such"), qPrintable(error));
}

void TestZooKeeperLocks::kazooReadWriteLockAndSemaphore()
{
    const QString rw = QStringLiteral("/locks/kz2/prices");
    const QString sem = QStringLiteral("/locks/kz2/exports");
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/kz2")});
    QVERIFY(backend);
    auto writer = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("write"), rw, QStringLiteral("repricer"));
    QTRY_VERIFY_WITH_TIMEOUT(writer->isAcquired(), 30'000);
    auto reader = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("read"), rw, QStringLiteral("shop-front"));
    auto leaseHolder = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("semaphore"), sem, QStringLiteral("export-1"), 1);
    QTRY_VERIFY_WITH_TIMEOUT(leaseHolder->isAcquired(), 30'000);
    auto leaseWaiter = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("semaphore"), sem, QStringLiteral("export-2"), 1);
    const LockScanResult result = scanUntil(*backend, [&](const LockScanResult &r) {
        auto a = rowOf(r, rw.toUtf8());
        auto b = rowOf(r, sem.toUtf8());
        return a && a->waiters.size() == 1 && b && b->waiters.size() == 1;
    });
    const LockInfo *rwRow = rowOf(result, rw.toUtf8());
    QVERIFY(rwRow);
    QCOMPARE(rwRow->kind, QStringLiteral("kazoo-rwlock"));
    QCOMPARE(rwRow->detailString(QStringLiteral("mode")), QStringLiteral("write"));
    QCOMPARE(rwRow->holderText, QStringLiteral("repricer"));
    QCOMPARE(rwRow->waiters[0].who, QStringLiteral("shop-front"));
    QVERIFY(rwRow->waiters[0].id.contains("__rlock__"));
    const LockInfo *semRow = rowOf(result, sem.toUtf8());
    QVERIFY(semRow);
    QCOMPARE(semRow->kind, QStringLiteral("kazoo-semaphore"));
    QCOMPARE(semRow->holders.size(), 1);
    QCOMPARE(semRow->holderText, QStringLiteral("export-1"));
    // Kazoo's Semaphore hands its identifier, already bytes, to its internal Lock, which writes
    // str() of it: "b'export-2'". The row shows what is there.
    QVERIFY2(semRow->waiters[0].who.contains(u"export-2"), qPrintable(semRow->waiters[0].who));
    QCOMPARE(semRow->detailInteger(QStringLiteral("max_leases")), 1);
    QVERIFY(!rowOf(result, sem.toUtf8() + "-__lock__"));
    QVERIFY(!reader->isAcquired());
    QVERIFY(!leaseWaiter->isAcquired());
}

void TestZooKeeperLocks::killedClientVanishesAfterItsSessionTimeout()
{
    const QString path = QStringLiteral("/locks/killed/job");
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/killed")});
    QVERIFY(backend);
    auto holder = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("doomed"));
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    auto waiter = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("survivor"));
    const LockScanResult before = scanUntil(*backend, [&](const LockScanResult &r) {
        auto row = rowOf(r, path.toUtf8());
        return row && row->waiters.size() == 1;
    });
    QCOMPARE(rowOf(before, path.toUtf8())->holderText, QStringLiteral("doomed"));
    holder->kill();
    // Its node lives until the server expires the session (3 s here); then the waiter holds.
    const LockScanResult after = scanUntil(*backend, [&](const LockScanResult &r) {
        auto row = rowOf(r, path.toUtf8());
        return row && row->holderText == u"survivor";
    });
    QCOMPARE(rowOf(after, path.toUtf8())->holderText, QStringLiteral("survivor"));
    QVERIFY(rowOf(after, path.toUtf8())->waiters.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 15'000);
}

void TestZooKeeperLocks::holderChangedBetweenListAndRelease()
{
    const QString path = QStringLiteral("/locks/changed/cart-9");
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/changed")});
    QVERIFY(backend);
    auto first = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("first"));
    QTRY_VERIFY_WITH_TIMEOUT(first->isAcquired(), 30'000);
    auto second = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("second"));
    const LockScanResult listed = scanUntil(*backend, [&](const LockScanResult &r) {
        auto row = rowOf(r, path.toUtf8());
        return row && row->waiters.size() == 1;
    });
    const LockInfo seen = *rowOf(listed, path.toUtf8());
    first->release();                                       // between the table and the release
    QTRY_VERIFY_WITH_TIMEOUT(second->isAcquired(), 15'000);
    const ForceReleaseResult r = releaseNow(*backend, {LockReleaseRequest::Delete, path.toUtf8(), seen.holder});
    QCOMPARE(r.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(r.currentHolder, seen.waiters[0].id);
    QVERIFY2(r.message.contains(u"nothing was deleted"), qPrintable(r.message));
    const LockScanResult after = scanUntil(*backend, [](const LockScanResult &) { return true; });
    QCOMPARE(rowOf(after, path.toUtf8())->holder, seen.waiters[0].id);   // the new holder's node is untouched
    QVERIFY(second->isRunning());
    QVERIFY(!second->hasSaid(QStringLiteral("released")));
}

void TestZooKeeperLocks::askHolderRevokesACuratorMutex()
{
    const QString path = QStringLiteral("/locks/revocable/report");
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/revocable")});
    QVERIFY(backend);
    auto holder = startClient(ZkLockProcess::Library::Curator, QStringLiteral("revocable"), path);
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    const LockScanResult listed = scanUntil(*backend, [&](const LockScanResult &r) { return rowOf(r, path.toUtf8()); });
    const ForceReleaseResult r = releaseNow(*backend, {LockReleaseRequest::AskHolder, path.toUtf8(), rowOf(listed, path.toUtf8())->holder});
    QCOMPARE(r.outcome, ForceReleaseResult::Asked);
    QTRY_VERIFY_WITH_TIMEOUT(holder->hasSaid(QStringLiteral("revoke-requested")), 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(holder->hasSaid(QStringLiteral("released")), 15'000);
}

void TestZooKeeperLocks::aclThatRefusesDeleteGivesAClearFailure()
{
    // A lock folder anyone may read and queue in, but only "admin" may delete in.
    runKazooSetup(QStringLiteral(
        "acl = [make_digest_acl('admin', 'secret', all=True), make_acl('world', 'anyone', read=True, write=True, create=True)]\n"
        "zk.ensure_path('/guarded')\n"
        "zk.create('/guarded/ledger', acl=acl)\n"
        "zk.create('/guarded/ledger/0123456789abcdef0123456789abcdef__lock__', b'ledger-writer', sequence=True)\n"));
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/guarded")}, true, QStringLiteral("viewer"), "wrong");
    QVERIFY(backend);
    const LockScanResult listed = scanUntil(*backend, [](const LockScanResult &r) { return rowOf(r, "/guarded/ledger"); });
    const LockInfo *row = rowOf(listed, "/guarded/ledger");
    QVERIFY(row);
    const ForceReleaseResult r = releaseNow(*backend, {LockReleaseRequest::Delete, "/guarded/ledger", row->holder});
    QCOMPARE(r.outcome, ForceReleaseResult::Failed);
    QVERIFY2(r.message.contains(u"DELETE permission") && r.message.contains(u"\"viewer\"") && r.message.contains(u"/guarded/ledger"),
             qPrintable(r.message));
    const LockScanResult after = scanUntil(*backend, [](const LockScanResult &) { return true; });
    QCOMPARE(rowOf(after, "/guarded/ledger")->holder, row->holder);
}

void TestZooKeeperLocks::withoutFourLetterWordsANoteInsteadOfAddresses()
{
    ZooKeeperServer::Options options;
    options.fourLetterWords = false;
    ZooKeeperServer closed(options);
    QString error;
    QVERIFY2(closed.start(&error), qPrintable(error));
    auto holder = std::make_unique<ZkLockProcess>(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), closed.hosts(),
                                                  QStringLiteral("/locks/x"), QStringLiteral("quiet"));
    QVERIFY(holder->start());
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    auto backend = connectedBackend(closed.hosts(), {QStringLiteral("/locks")});
    QVERIFY(backend);
    const LockScanResult result = scanUntil(*backend, [](const LockScanResult &r) { return rowOf(r, "/locks/x"); });
    const LockInfo *row = rowOf(result, "/locks/x");
    QVERIFY(row);
    QVERIFY(row->clientAddress.isEmpty());
    QVERIFY(!row->session.isEmpty());
    QVERIFY(std::any_of(result.notes.begin(), result.notes.end(), [](const LockScanNote &n) {
        return n.text.contains(u"does not allow the \"cons\"") && n.text.contains(u"4lw.commands.whitelist");
    }));
    QVERIFY(!backend->capabilities().clientAddress);
}

void TestZooKeeperLocks::fulcrumMutexAgainstCurator()
{
    const QByteArray path = "/locks/fulcrum/curator";
    ZkClient client(clientOptions(m_server->hosts()));
    client.open();
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), 20'000);

    // Fulcrum holds, Curator waits.
    ZkMutex mutex(&client, path, {});
    QSignalSpy acquired(&mutex, &ZkMutex::acquired);
    mutex.acquire();
    QTRY_COMPARE_WITH_TIMEOUT(acquired.count(), 1, 15'000);
    QVERIFY(mutex.nodePath().contains("/_c_"));
    auto curator = startClient(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), QString::fromUtf8(path));
    QTRY_VERIFY_WITH_TIMEOUT(curator->hasSaid(QStringLiteral("waiting")), 30'000);
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/fulcrum")});
    QVERIFY(backend);
    scanUntil(*backend, [&](const LockScanResult &r) { auto row = rowOf(r, path); return row && row->waiters.size() == 1; });
    QVERIFY(!curator->isAcquired());
    QSignalSpy released(&mutex, &ZkMutex::released);
    mutex.release();
    QTRY_COMPARE_WITH_TIMEOUT(released.count(), 1, 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(curator->isAcquired(), 15'000);

    // Curator holds, Fulcrum waits.
    ZkMutex second(&client, path, "fulcrumctl");
    QSignalSpy secondAcquired(&second, &ZkMutex::acquired);
    second.acquire();
    scanUntil(*backend, [&](const LockScanResult &r) { auto row = rowOf(r, path); return row && row->waiters.size() == 1; });
    QCOMPARE(secondAcquired.count(), 0);
    curator->release();
    QTRY_COMPARE_WITH_TIMEOUT(secondAcquired.count(), 1, 15'000);
    QVERIFY(second.isHeld());
}

void TestZooKeeperLocks::fulcrumMutexAgainstKazoo()
{
    const QByteArray path = "/locks/fulcrum/kazoo";
    ZkClient client(clientOptions(m_server->hosts()));
    client.open();
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), 20'000);
    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/locks/fulcrum")});
    QVERIFY(backend);

    ZkMutex mutex(&client, path, "fulcrumctl");
    QSignalSpy acquired(&mutex, &ZkMutex::acquired);
    mutex.acquire();
    QTRY_COMPARE_WITH_TIMEOUT(acquired.count(), 1, 15'000);
    auto kazoo = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("curator-compatible"), QString::fromUtf8(path),
                             QStringLiteral("kazoo-worker"));
    scanUntil(*backend, [&](const LockScanResult &r) { auto row = rowOf(r, path); return row && row->waiters.size() == 1; });
    QVERIFY(!kazoo->isAcquired());
    mutex.release();
    QTRY_VERIFY_WITH_TIMEOUT(kazoo->isAcquired(), 15'000);

    ZkMutex second(&client, path, "fulcrumctl");
    QSignalSpy secondAcquired(&second, &ZkMutex::acquired);
    second.acquire();
    scanUntil(*backend, [&](const LockScanResult &r) { auto row = rowOf(r, path); return row && row->waiters.size() == 1; });
    QCOMPARE(secondAcquired.count(), 0);
    kazoo->release();
    QTRY_COMPARE_WITH_TIMEOUT(secondAcquired.count(), 1, 15'000);
}

void TestZooKeeperLocks::restartMidInspectionGivesOneCompletePass()
{
    // 1500 lock folders with two contenders each, written as Curator names.
    ZkClient writer(clientOptions(m_server->hosts()));
    writer.open();
    QTRY_VERIFY_WITH_TIMEOUT(writer.isConnected(), 20'000);
    const int folders = 1500;
    int pending = 1 + folders * 3;
    int failures = 0;
    auto count = [&](int rc, const QByteArray &) {
        if (rc != zkrc::Ok)
            ++failures;
        --pending;
    };
    writer.create("/bulk", {}, ZkClient::Persistent, this, count);
    for (int i = 0; i < folders; ++i) {
        const QByteArray folder = "/bulk/lock-folder-" + QByteArray::number(i);
        writer.create(folder, {}, ZkClient::Persistent, this, count);
        for (int c = 0; c < 2; ++c)
            writer.create(folder + "/_c_11111111-2222-3333-4444-55555555555" + QByteArray::number(c) + "-lock-", "10.0.0.1",
                          ZkClient::Persistent | ZkClient::Sequential, this, count);
    }
    QTRY_COMPARE_WITH_TIMEOUT(pending, 0, 60'000);
    QCOMPARE(failures, 0);

    auto backend = connectedBackend(m_server->hosts(), {QStringLiteral("/bulk")});
    QVERIFY(backend);
    QSignalSpy interrupted(backend.get(), &LockBackend::scanInterrupted);
    QSignalSpy finished(backend.get(), &LockBackend::scanFinished);
    backend->scan();
    QVERIFY(backend->isScanning());
    QString error;
    QVERIFY2(m_server->restart(&error), qPrintable(error));   // the pass's reads are in flight
    QTRY_VERIFY_WITH_TIMEOUT(interrupted.count() >= 1, 20'000);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60'000);
    const LockScanResult &result = backend->lastResult();
    QVERIFY(result.restarts >= 1);
    QCOMPARE(result.locks.size(), folders);
    QSet<QByteArray> keys;
    for (const LockInfo &info : result.locks) {
        keys.insert(info.key);
        QCOMPARE(info.waiters.size(), 1);
    }
    QCOMPARE(keys.size(), folders);
    QVERIFY(!result.truncated);
}

QTEST_GUILESS_MAIN(TestZooKeeperLocks)
#include "tst_zookeeperlocks.moc"
