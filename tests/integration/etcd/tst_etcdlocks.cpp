#include "locks/etcd/etcdlockbackend.h"
#include "etcdclients.h"
#include "etcdserver.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include <functional>
#include <memory>
#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;

// EtcdLockBackend against a real etcd (Debian's etcd-server) and real `etcdctl lock` and
// `etcdctl elect` processes. One single-member server for the suite; servers with auth, TLS and
// three members only where that is the point. Every test uses its own lock names.
class TestEtcdLocks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void holderWithTwoWaiters();
    void killedHolderLeaseExpiresAndTheNextTakesIt();
    void holderChangedBetweenListAndRelease();
    void releaseByKeyPassesItOnAndTheHolderIsNotTold();
    void revokeLeaseEndsTheHolderAndItsOtherKeys();
    void electionShowsTheLeaderAndProposals();
    void prefixesNarrowAndPagesAndMaxKeys();
    void wrongPasswordIsAClearErrorAndTheRightOneWorks();
    void tlsWithTheTestsOwnCa();
    void clusterMemberKilledTheEndpointStaysConnected();

private:
    std::unique_ptr<EtcdLockBackend> connectedBackend(const EtcdEndpointConfig &config, const QByteArray &password = {});
    EtcdEndpointConfig configFor(const EtcdServer &server, const QStringList &prefixes = {}) const;
    LockScanResult scanUntil(EtcdLockBackend &backend, const std::function<bool(const LockScanResult &)> &accept);
    // The row of `name` once a pass shows it with `waiters` waiters (an etcdctl may still be queueing).
    LockInfo rowWithWaiters(EtcdLockBackend &backend, const QString &name, qsizetype waiters);
    ForceReleaseResult releaseNow(EtcdLockBackend &backend, const LockReleaseRequest &request);
    std::unique_ptr<EtcdLockProcess> acquiredLock(const EtcdServer &server, const QString &name);

    std::unique_ptr<EtcdServer> m_server;
};

static const LockInfo *rowOf(const LockScanResult &result, const QByteArray &key)
{
    for (const LockInfo &info : result.locks) {
        if (info.key == key)
            return &info;
    }
    return nullptr;
}

void TestEtcdLocks::initTestCase()
{
    m_server = std::make_unique<EtcdServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
}

EtcdEndpointConfig TestEtcdLocks::configFor(const EtcdServer &server, const QStringList &prefixes) const
{
    EtcdEndpointConfig config;
    config.name = QStringLiteral("etcd");
    config.endpoints = server.clientUrls();
    config.prefixes = prefixes;
    return config;
}

std::unique_ptr<EtcdLockBackend> TestEtcdLocks::connectedBackend(const EtcdEndpointConfig &config, const QByteArray &password)
{
    auto backend = std::make_unique<EtcdLockBackend>(config, password);
    backend->open();
    if (!QTest::qWaitFor([&] { return backend->isConnected(); }, 20'000))
        return nullptr;
    return backend;
}

LockScanResult TestEtcdLocks::scanUntil(EtcdLockBackend &backend, const std::function<bool(const LockScanResult &)> &accept)
{
    QDeadlineTimer deadline(40'000);
    while (!deadline.hasExpired()) {
        QSignalSpy finished(&backend, &LockBackend::scanFinished);
        backend.scan();
        if (!QTest::qWaitFor([&] { return finished.count() > 0; }, 20'000))
            continue;
        if (accept(backend.lastResult()))
            return backend.lastResult();
        QTest::qWait(200);
    }
    return backend.lastResult();
}

LockInfo TestEtcdLocks::rowWithWaiters(EtcdLockBackend &backend, const QString &name, qsizetype waiters)
{
    const LockScanResult result = scanUntil(backend, [&](const LockScanResult &r) {
        const LockInfo *row = rowOf(r, name.toUtf8());
        return row && row->waiters.size() == waiters;
    });
    const LockInfo *row = rowOf(result, name.toUtf8());
    return row ? *row : LockInfo{};
}

ForceReleaseResult TestEtcdLocks::releaseNow(EtcdLockBackend &backend, const LockReleaseRequest &request)
{
    std::optional<ForceReleaseResult> outcome;
    backend.release(request, [&outcome](const ForceReleaseResult &r) { outcome = r; });
    (void)QTest::qWaitFor([&] { return outcome.has_value(); }, 15'000);
    return outcome.value_or(ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("no answer")});
}

std::unique_ptr<EtcdLockProcess> TestEtcdLocks::acquiredLock(const EtcdServer &server, const QString &name)
{
    auto holder = EtcdLockProcess::lock(server, name);
    if (!QTest::qWaitFor([&] { return holder->isAcquired(); }, 20'000))
        qWarning("etcdctl lock %s did not acquire: %s", qPrintable(name), qPrintable(holder->output()));
    return holder;
}

// Waits until `count` contenders are queued on `name` (the waiters' keys exist before they hold).
static bool contendersQueued(const EtcdServer &server, const QString &name, int count)
{
    return QTest::qWaitFor([&] {
        QString out;
        server.etcdctl({QStringLiteral("get"), QStringLiteral("--prefix"), QStringLiteral("--keys-only"), name + u'/'}, &out);
        return out.split(u'\n', Qt::SkipEmptyParts).size() >= count;
    }, 20'000);
}

void TestEtcdLocks::holderWithTwoWaiters()
{
    const QString name = QStringLiteral("/locks/orders/cart-1");
    auto backend = connectedBackend(configFor(*m_server));
    QVERIFY(backend);
    auto holder = acquiredLock(*m_server, name);
    QVERIFY(holder->isAcquired());
    auto first = EtcdLockProcess::lock(*m_server, name);
    QVERIFY(contendersQueued(*m_server, name, 2));
    auto second = EtcdLockProcess::lock(*m_server, name);
    QVERIFY(contendersQueued(*m_server, name, 3));
    const LockInfo found = rowWithWaiters(*backend, name, 2);
    const LockInfo *row = &found;
    QCOMPARE(row->backend, QStringLiteral("etcd"));
    QCOMPARE(row->kind, QStringLiteral("etcd-mutex"));
    QCOMPARE(row->holder, holder->key());
    // The lease id as etcdctl prints it in the key (hex) and as `etcdctl lease list` does (decimal).
    const QString hex = QString::fromUtf8(holder->key().mid(holder->key().lastIndexOf('/') + 1));
    QCOMPARE(row->session, hex);
    QCOMPARE(row->detailString(QStringLiteral("lease_id_hex")), hex);
    QCOMPARE(row->detailString(QStringLiteral("lease_id")), QString::number(hex.toULongLong(nullptr, 16)));
    QString leases;
    QVERIFY(m_server->etcdctl({QStringLiteral("lease"), QStringLiteral("list")}, &leases));
    QVERIFY2(leases.contains(hex), qPrintable(leases));
    QCOMPARE(row->detailInteger(QStringLiteral("granted_ttl_s")), 10);     // etcdctl lock's default --ttl
    QVERIFY2(row->ttlMs > 0 && row->ttlMs <= 10'000, qPrintable(QString::number(row->ttlMs)));
    QVERIFY(row->detailInteger(QStringLiteral("create_revision")) > 0);
    QVERIFY(row->detailInteger(QStringLiteral("mod_revision")) >= row->detailInteger(QStringLiteral("create_revision")));
    QCOMPARE(row->details.value(QStringLiteral("lease_keys")).toArray().size(), 0);
    QCOMPARE(row->flags & LockInfo::NoExpiry, 0);
    QCOMPARE(row->waiters.size(), 2);
    QVERIFY(!first->isAcquired());
    QVERIFY(!second->isAcquired());
    // Waiters in the order they queued: etcdctl prints nothing until it holds, so their keys
    // are known by their leases.
    QVERIFY(row->waiters[0].id != row->waiters[1].id);
    QVERIFY(row->waiters[0].id.startsWith(name.toUtf8() + '/'));
    QCOMPARE(row->waiters[0].session, QString::fromUtf8(row->waiters[0].id.mid(row->waiters[0].id.lastIndexOf('/') + 1)));
    QVERIFY(row->waiters[0].note.isEmpty());
    first->release();
    const LockInfo after = rowWithWaiters(*backend, name, 1);
    // The first waiter left: the one left is the second, and the holder has not changed.
    QCOMPARE(after.holder, holder->key());
    QCOMPARE(after.waiters.value(0).id, row->waiters[1].id);
}

void TestEtcdLocks::killedHolderLeaseExpiresAndTheNextTakesIt()
{
    const QString name = QStringLiteral("/locks/killed");
    auto backend = connectedBackend(configFor(*m_server, {QStringLiteral("/locks/killed")}));
    QVERIFY(backend);
    auto holder = acquiredLock(*m_server, name);
    auto waiter = EtcdLockProcess::lock(*m_server, name);
    QVERIFY(contendersQueued(*m_server, name, 2));
    const QByteArray held = holder->key();
    holder->kill();
    // Its lease (TTL 10 s) expires; etcd deletes its key and the waiter takes the lock.
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 30'000);
    const LockScanResult result = scanUntil(*backend, [&](const LockScanResult &r) {
        const LockInfo *row = rowOf(r, name.toUtf8());
        return row && row->holder != held;
    });
    const LockInfo *row = rowOf(result, name.toUtf8());
    QVERIFY(row);
    QCOMPARE(row->holder, waiter->key());
    QVERIFY(row->waiters.isEmpty());
}

void TestEtcdLocks::holderChangedBetweenListAndRelease()
{
    const QString name = QStringLiteral("/locks/changed");
    auto backend = connectedBackend(configFor(*m_server, {QStringLiteral("/locks/changed")}));
    QVERIFY(backend);
    auto holder = acquiredLock(*m_server, name);
    auto waiter = EtcdLockProcess::lock(*m_server, name);
    QVERIFY(contendersQueued(*m_server, name, 2));
    const LockScanResult seen = scanUntil(*backend, [&](const LockScanResult &r) { return rowOf(r, name.toUtf8()); });
    const QByteArray shown = rowOf(seen, name.toUtf8())->holder;
    QCOMPARE(shown, holder->key());
    holder->release();                                  // the holder unlocks: the waiter holds now
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 15'000);
    for (LockReleaseRequest::Mode mode : {LockReleaseRequest::Delete, LockReleaseRequest::RevokeSession}) {
        const ForceReleaseResult result = releaseNow(*backend, {mode, name.toUtf8(), shown});
        QCOMPARE(result.outcome, ForceReleaseResult::HolderChanged);
        QCOMPARE(result.currentHolder, waiter->key());
        QVERIFY2(result.message.contains(QStringLiteral("nothing was")), qPrintable(result.message));
    }
    QString out;
    QVERIFY(m_server->etcdctl({QStringLiteral("get"), QString::fromUtf8(waiter->key())}, &out));
    QVERIFY2(out.contains(QString::fromUtf8(waiter->key())), qPrintable(out));      // nothing deleted
    QVERIFY(waiter->isRunning());
}

void TestEtcdLocks::releaseByKeyPassesItOnAndTheHolderIsNotTold()
{
    const QString name = QStringLiteral("/locks/bykey");
    auto backend = connectedBackend(configFor(*m_server, {QStringLiteral("/locks/bykey")}));
    QVERIFY(backend);
    auto holder = acquiredLock(*m_server, name);
    auto waiter = EtcdLockProcess::lock(*m_server, name);
    QVERIFY(contendersQueued(*m_server, name, 2));
    const LockInfo row = rowWithWaiters(*backend, name, 1);
    const ForceReleaseResult result = releaseNow(*backend, {LockReleaseRequest::Delete, name.toUtf8(), row.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::Released);
    QVERIFY2(result.message.contains(QString::fromUtf8(row.waiters.at(0).id)), qPrintable(result.message));
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 15'000);
    // The old holder is not told: it still runs, its lease lives.
    QTest::qWait(500);
    QVERIFY(holder->isRunning());
    QString leases;
    QVERIFY(m_server->etcdctl({QStringLiteral("lease"), QStringLiteral("list")}, &leases));
    QVERIFY2(leases.contains(row.session), qPrintable(leases));
    // A second release of the same holder: it is gone, nothing else is touched.
    const ForceReleaseResult again = releaseNow(*backend, {LockReleaseRequest::Delete, name.toUtf8(), row.holder});
    QCOMPARE(again.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(again.currentHolder, waiter->key());
}

void TestEtcdLocks::revokeLeaseEndsTheHolderAndItsOtherKeys()
{
    const QString name = QStringLiteral("/locks/revoke");
    auto backend = connectedBackend(configFor(*m_server, {QStringLiteral("/locks/revoke"), QStringLiteral("/sessions/")}));
    QVERIFY(backend);
    auto holder = acquiredLock(*m_server, name);
    auto waiter = EtcdLockProcess::lock(*m_server, name);
    QVERIFY(contendersQueued(*m_server, name, 2));
    const QByteArray held = holder->key();
    const QString hex = QString::fromUtf8(held.mid(held.lastIndexOf('/') + 1));
    // Another key on the holder's lease, as a service registers itself on its session's lease.
    QVERIFY(m_server->etcdctl({QStringLiteral("put"), QStringLiteral("--lease=%1").arg(hex), QStringLiteral("/sessions/worker-7"), QStringLiteral("up")}));
    const LockInfo row = rowWithWaiters(*backend, name, 1);
    QCOMPARE(row.details.value(QStringLiteral("lease_keys")).toArray(), QJsonArray{QStringLiteral("/sessions/worker-7")});
    const ForceReleaseResult result = releaseNow(*backend, {LockReleaseRequest::RevokeSession, name.toUtf8(), held});
    QCOMPARE(result.outcome, ForceReleaseResult::Released);
    QVERIFY2(result.message.contains(QStringLiteral("/sessions/worker-7")), qPrintable(result.message));
    QVERIFY2(result.message.contains(hex), qPrintable(result.message));
    // The holder learns on its next keep-alive that its session is over and exits.
    QTRY_VERIFY_WITH_TIMEOUT(!holder->isRunning(), 20'000);
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 15'000);
    QString out;
    QVERIFY(m_server->etcdctl({QStringLiteral("get"), QStringLiteral("/sessions/worker-7")}, &out));
    QVERIFY2(out.trimmed().isEmpty(), qPrintable(out));
}

void TestEtcdLocks::electionShowsTheLeaderAndProposals()
{
    const QString name = QStringLiteral("/elections/settlement");
    auto backend = connectedBackend(configFor(*m_server, {QStringLiteral("/elections/")}));
    QVERIFY(backend);
    auto alice = EtcdLockProcess::elect(*m_server, name, QStringLiteral("alice:8080"));
    QTRY_VERIFY_WITH_TIMEOUT(alice->isAcquired(), 20'000);
    auto bob = EtcdLockProcess::elect(*m_server, name, QStringLiteral("bob:8080"));
    QVERIFY(contendersQueued(*m_server, name, 2));
    const LockInfo found = rowWithWaiters(*backend, name, 1);
    const LockInfo *row = &found;
    QCOMPARE(row->kind, QStringLiteral("etcd-election"));
    QCOMPARE(row->holder, alice->key());
    QCOMPARE(row->holderText, QStringLiteral("alice:8080"));
    QCOMPARE(row->detailString(QStringLiteral("role")), QStringLiteral("leader"));
    QCOMPARE(row->waiters.at(0).who, QStringLiteral("bob:8080"));
    // etcdctl elect's session has no --ttl: Go's default, 60 s.
    QCOMPARE(row->detailInteger(QStringLiteral("granted_ttl_s")), 60);
}

void TestEtcdLocks::prefixesNarrowAndPagesAndMaxKeys()
{
    // Ten lock keys on one lease, beside plain keys: a page of 3 keys reads them all; a
    // max_keys of 4 stops the pass and says so.
    QString lease;
    QVERIFY(m_server->etcdctl({QStringLiteral("lease"), QStringLiteral("grant"), QStringLiteral("600")}, &lease));
    const QString id = lease.section(u' ', 1, 1);
    QVERIFY2(!id.isEmpty(), qPrintable(lease));
    for (int i = 0; i < 10; ++i) {
        QVERIFY(m_server->etcdctl({QStringLiteral("put"), QStringLiteral("--lease=%1").arg(id),
                                   QStringLiteral("/paged/lock-%1/%2").arg(i).arg(id), QString()}));
        QVERIFY(m_server->etcdctl({QStringLiteral("put"), QStringLiteral("/paged/plain-%1").arg(i), QStringLiteral("not a lock")}));
    }
    EtcdEndpointConfig config = configFor(*m_server, {QStringLiteral("/paged/")});
    config.pageSize = 3;
    auto backend = connectedBackend(config);
    QVERIFY(backend);
    LockScanResult result = scanUntil(*backend, [](const LockScanResult &) { return true; });
    QCOMPARE(result.locks.size(), 10);
    QCOMPARE(result.keysScanned, 20);
    QVERIFY(!result.truncated);
    QCOMPARE(result.locks.at(0).details.value(QStringLiteral("lease_keys")).toArray().size(), 9);
    QCOMPARE(result.locks.at(0).flags & LockInfo::NoExpiry, 0);
    config.maxKeys = 4;
    config.longLeaseMs = 60'000;
    auto bounded = connectedBackend(config);
    QVERIFY(bounded);
    result = scanUntil(*bounded, [](const LockScanResult &) { return true; });
    QCOMPARE(result.locks.size(), 4);
    QVERIFY(result.truncated);
    QVERIFY(result.locks.at(0).flags & LockInfo::NoExpiry);       // 600 s granted, above long_lease
    QVERIFY(!result.notes.isEmpty());
    QVERIFY(m_server->etcdctl({QStringLiteral("lease"), QStringLiteral("revoke"), id}));
}

void TestEtcdLocks::wrongPasswordIsAClearErrorAndTheRightOneWorks()
{
    // Tokens that expire after a second: the backend logs in again when etcd says so.
    EtcdServer server(EtcdServer::Options{1, false, {QStringLiteral("--auth-token-ttl=1")}});
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QVERIFY(server.etcdctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("root:root-secret")}, &error));
    QVERIFY2(server.etcdctl({QStringLiteral("auth"), QStringLiteral("enable")}, &error), qPrintable(error));
    EtcdEndpointConfig config = configFor(server);
    config.user = QStringLiteral("root");
    EtcdLockBackend wrong(config, "not-the-password");
    QSignalSpy errors(&wrong, &LockBackend::errorOccurred);
    wrong.open();
    QTRY_VERIFY_WITH_TIMEOUT(errors.count() > 0, 15'000);
    const QString message = errors.first().first().toString();
    QVERIFY2(message.contains(server.clientUrl()), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("authentication failed")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("\"root\"")), qPrintable(message));
    QVERIFY2(!message.contains(QStringLiteral("not-the-password")), qPrintable(message));
    QCOMPARE(wrong.state(), LockBackendState::Disconnected);

    auto holder = EtcdLockProcess::lock(server, QStringLiteral("/locks/authed"), {QStringLiteral("--user=root:root-secret")});
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 20'000);
    auto right = connectedBackend(config, "root-secret");
    QVERIFY(right);
    const LockScanResult result = scanUntil(*right, [](const LockScanResult &r) { return !r.locks.isEmpty(); });
    QVERIFY(rowOf(result, "/locks/authed"));
    QVERIFY(rowOf(result, "/locks/authed")->ttlMs > 0);
    // Long after the token's TTL, passes still complete (with a new token) and nothing failed.
    QSignalSpy failed(right.get(), &LockBackend::scanFailed);
    QSignalSpy lost(right.get(), &LockBackend::errorOccurred);
    QSignalSpy finished(right.get(), &LockBackend::scanFinished);
    QTest::qWait(3000);
    right->scan();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 15'000);
    QVERIFY(rowOf(right->lastResult(), "/locks/authed"));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(lost.count(), 0);
}

void TestEtcdLocks::tlsWithTheTestsOwnCa()
{
    EtcdServer server(EtcdServer::Options{1, true, {}});
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    auto holder = acquiredLock(server, QStringLiteral("/locks/tls"));
    QVERIFY(holder->isAcquired());
    EtcdEndpointConfig config = configFor(server);
    QVERIFY(config.endpoints.first().startsWith(u"https://"));
    QVERIFY(config.url().startsWith(u"etcds://"));
    // Without the CA the member's certificate is not trusted; without a client certificate the
    // member refuses us: both said, with the member.
    for (bool withCa : {false, true}) {
        EtcdEndpointConfig partial = config;
        if (withCa)
            partial.caFile = server.caFile();
        EtcdLockBackend refused(partial, {});
        QSignalSpy errors(&refused, &LockBackend::errorOccurred);
        refused.open();
        QTRY_VERIFY_WITH_TIMEOUT(errors.count() > 0, 15'000);
        QVERIFY2(errors.first().first().toString().contains(server.clientUrl()), qPrintable(errors.first().first().toString()));
        QVERIFY(!refused.isConnected());
    }
    config.caFile = server.caFile();
    config.certFile = server.clientCertFile();
    config.keyFile = server.clientKeyFile();
    auto backend = connectedBackend(config);
    QVERIFY(backend);
    const LockScanResult result = scanUntil(*backend, [](const LockScanResult &r) { return !r.locks.isEmpty(); });
    QVERIFY(rowOf(result, "/locks/tls"));
    QCOMPARE(rowOf(result, "/locks/tls")->holder, holder->key());
}

void TestEtcdLocks::clusterMemberKilledTheEndpointStaysConnected()
{
    EtcdServer cluster(EtcdServer::Options{3, false, {}});
    QString error;
    QVERIFY2(cluster.start(&error), qPrintable(error));
    auto holder = acquiredLock(cluster, QStringLiteral("/locks/cluster"));
    QVERIFY(holder->isAcquired());
    auto backend = connectedBackend(configFor(cluster));
    QVERIFY(backend);
    LockScanResult result = scanUntil(*backend, [](const LockScanResult &r) { return rowOf(r, "/locks/cluster"); });
    QVERIFY(rowOf(result, "/locks/cluster"));
    cluster.kill(0);                                    // the member the backend talks to first
    QSignalSpy interrupted(backend.get(), &LockBackend::scanInterrupted);
    result = scanUntil(*backend, [&](const LockScanResult &r) { return r.finishedAt > result.finishedAt && rowOf(r, "/locks/cluster"); });
    QVERIFY(rowOf(result, "/locks/cluster"));
    QCOMPARE(rowOf(result, "/locks/cluster")->holder, holder->key());
    QVERIFY(!result.truncated);
    QVERIFY(backend->isConnected());
    QCOMPARE(interrupted.count(), 0);                   // the next member answered within the same pass
}

QTEST_GUILESS_MAIN(TestEtcdLocks)
#include "tst_etcdlocks.moc"
