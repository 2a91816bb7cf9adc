#include "locks/etcd/etcdclient.h"
#include "locks/etcd/etcdrecipes.h"

#include <QJsonArray>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::etcdrecipes;

// The Go client's lock and election recipes as etcd's range reads show them: which keys are
// contenders, who holds, who waits in which order, what a lease adds (no server).
class TestEtcdRecipes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lockName_data();
    void lockName();
    void holderIsTheLowestCreateRevision();
    void electionShowsTheLeadersProposal();
    void holderLease();
    void orphanedWaiters();
    void gatewayJson();
    void prefixEnd_data();
    void prefixEnd();
};

static EtcdKey contender(const QByteArray &name, qint64 lease, qint64 createRevision, const QByteArray &value = {})
{
    return EtcdKey{name + '/' + QByteArray::number(lease, 16), value, createRevision, createRevision, lease};
}

void TestEtcdRecipes::lockName_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<qint64>("lease");
    QTest::addColumn<QByteArray>("name");       // empty: not a contender

    QTest::newRow("etcdctl lock") << QByteArray("mylock/694d7ca3fd3a4b05") << qint64(0x694d7ca3fd3a4b05) << QByteArray("mylock");
    QTest::newRow("Mutex under a folder") << QByteArray("/locks/orders/694d7ca3fd3a4b05") << qint64(0x694d7ca3fd3a4b05)
                                          << QByteArray("/locks/orders");
    QTest::newRow("NewMutex(s, \"/x/\") doubles the slash") << QByteArray("/x//1a") << qint64(0x1a) << QByteArray("/x/");
    QTest::newRow("zero-padded, as etcdctl prints lease ids") << QByteArray("/paged/lock-1/0694d7ca3fd3a4b0") << qint64(0x694d7ca3fd3a4b0)
                                                              << QByteArray("/paged/lock-1");
    QTest::newRow("longer than a lease id") << QByteArray("l/00000000000000001a") << qint64(0x1a) << QByteArray();
    QTest::newRow("no lease") << QByteArray("mylock/694d7ca3fd3a4b05") << qint64(0) << QByteArray();
    QTest::newRow("another lease's id") << QByteArray("mylock/694d7ca3fd3a4b05") << qint64(0x694d7ca3fd3a4b06) << QByteArray();
    QTest::newRow("upper-case hex is not the Go client's") << QByteArray("mylock/694D7CA3FD3A4B05") << qint64(0x694d7ca3fd3a4b05)
                                                           << QByteArray();
    QTest::newRow("no prefix") << QByteArray("694d7ca3fd3a4b05") << qint64(0x694d7ca3fd3a4b05) << QByteArray();
    QTest::newRow("a session key, not a lock") << QByteArray("/sessions/worker-7") << qint64(0x1a) << QByteArray();
    QTest::newRow("lease id with the top bit set") << QByteArray("l/8000000000000001") << qint64(0x8000000000000001ULL) << QByteArray("l");
}

void TestEtcdRecipes::lockName()
{
    QFETCH(QByteArray, key);
    QFETCH(qint64, lease);
    QFETCH(QByteArray, name);
    const auto found = etcdrecipes::lockName(EtcdKey{key, {}, 5, 5, lease});
    QCOMPARE(found.value_or(QByteArray()), name);
}

void TestEtcdRecipes::holderIsTheLowestCreateRevision()
{
    // Given in key order (hex ids sort by lease, not by age): the queue is by create revision.
    const QList<EtcdKey> keys{contender("/locks/a", 0x10, 30), contender("/locks/a", 0x20, 12), contender("/locks/a", 0x30, 20)};
    const std::optional<LockInfo> row = lockFromContenders("/locks/a", keys);
    QVERIFY(row);
    QCOMPARE(row->backend, QStringLiteral("etcd"));
    QCOMPARE(row->kind, QStringLiteral("etcd-mutex"));
    QCOMPARE(row->key, QByteArray("/locks/a"));
    QCOMPARE(row->holder, QByteArray("/locks/a/20"));
    QCOMPARE(row->session, QStringLiteral("20"));
    QCOMPARE(row->detailString(QStringLiteral("lease_id")), QStringLiteral("32"));
    QCOMPARE(row->detailString(QStringLiteral("lease_id_hex")), QStringLiteral("20"));
    QCOMPARE(row->detailInteger(QStringLiteral("create_revision")), 12);
    QVERIFY(row->holderText.isEmpty());
    QCOMPARE(row->waiters.size(), 2);
    QCOMPARE(row->waiters[0].id, QByteArray("/locks/a/30"));
    QCOMPARE(row->waiters[1].id, QByteArray("/locks/a/10"));
    QCOMPARE(row->waiters[1].session, QStringLiteral("10"));
    QVERIFY(!lockFromContenders("/locks/a", {}));
}

void TestEtcdRecipes::electionShowsTheLeadersProposal()
{
    const QList<EtcdKey> keys{contender("leader", 0x2, 8, "bob:8080"), contender("leader", 0x1, 7, "alice:8080")};
    const std::optional<LockInfo> row = lockFromContenders("leader", keys);
    QVERIFY(row);
    QCOMPARE(row->kind, QStringLiteral("etcd-election"));
    QCOMPARE(row->holderText, QStringLiteral("alice:8080"));
    QCOMPARE(row->detailString(QStringLiteral("role")), QStringLiteral("leader"));
    QCOMPARE(row->waiters.at(0).who, QStringLiteral("bob:8080"));
}

void TestEtcdRecipes::holderLease()
{
    LockInfo row = *lockFromContenders("/locks/a", {contender("/locks/a", 0x20, 12)});
    applyHolderLease(row, EtcdLease{0x20, 7, 10, {"/locks/a/20", "/sessions/worker-7"}}, 3'600'000);
    QCOMPARE(row.ttlMs, 7000);
    QCOMPARE(row.detailInteger(QStringLiteral("granted_ttl_s")), 10);
    QCOMPARE(row.details.value(QStringLiteral("lease_keys")).toArray(), QJsonArray{QStringLiteral("/sessions/worker-7")});
    QCOMPARE(row.flags & LockInfo::NoExpiry, 0);

    LockInfo longLease = *lockFromContenders("/locks/b", {contender("/locks/b", 0x21, 13)});
    applyHolderLease(longLease, EtcdLease{0x21, 86'000, 86'400, {"/locks/b/21"}}, 3'600'000);
    QVERIFY(longLease.flags & LockInfo::NoExpiry);

    LockInfo gone = *lockFromContenders("/locks/c", {contender("/locks/c", 0x22, 14)});
    applyHolderLease(gone, EtcdLease{0x22, -1, 0, {}}, 3'600'000);
    QCOMPARE(gone.ttlMs, 0);
    QVERIFY(gone.details.value(QStringLiteral("lease_gone")).toBool());
}

void TestEtcdRecipes::orphanedWaiters()
{
    LockInfo row = *lockFromContenders("/locks/a", {contender("/locks/a", 0x1, 1), contender("/locks/a", 0x2, 2), contender("/locks/a", 0x3, 3)});
    markOrphanedWaiters(row, {0x1, 0x3});
    QVERIFY(row.flags & LockInfo::OrphanedWaiter);
    QVERIFY(row.waiters[0].note.contains(QStringLiteral("lease 2 is gone")));
    QVERIFY(row.waiters[1].note.isEmpty());
    LockInfo healthy = *lockFromContenders("/locks/a", {contender("/locks/a", 0x1, 1), contender("/locks/a", 0x2, 2)});
    markOrphanedWaiters(healthy, {0x1, 0x2});
    QCOMPARE(healthy.flags & LockInfo::OrphanedWaiter, 0);
}

void TestEtcdRecipes::gatewayJson()
{
    // etcd 3.4's gateway: base64 bytes, int64 as strings, absent fields zero.
    const QJsonObject kv{{QStringLiteral("key"), QStringLiteral("L2xvY2tzL2EvMzkwZGEyM2MzODczNDAwNQ==")},
                         {QStringLiteral("create_revision"), QStringLiteral("2")},
                         {QStringLiteral("mod_revision"), QStringLiteral("3")},
                         {QStringLiteral("lease"), QStringLiteral("4111120414387945477")}};
    const EtcdKey key = keyFromJson(kv);
    QCOMPARE(key.key, QByteArray("/locks/a/390da23c38734005"));
    QVERIFY(key.value.isEmpty());
    QCOMPARE(key.createRevision, 2);
    QCOMPARE(key.modRevision, 3);
    QCOMPARE(key.lease, Q_INT64_C(4111120414387945477));
    QCOMPARE(etcdrecipes::lockName(key).value_or(QByteArray()), QByteArray("/locks/a"));
    const EtcdLease lease = leaseFromJson(QJsonObject{{QStringLiteral("ID"), QStringLiteral("4111120414387945477")},
                                                      {QStringLiteral("TTL"), QStringLiteral("8")},
                                                      {QStringLiteral("grantedTTL"), QStringLiteral("10")},
                                                      {QStringLiteral("keys"), QJsonArray{QStringLiteral("L2xvY2tzL2EvMzkwZGEyM2MzODczNDAwNQ==")}}});
    QCOMPARE(lease.ttlSeconds, 8);
    QCOMPARE(lease.grantedTtlSeconds, 10);
    QCOMPARE(lease.keys, QList<QByteArray>{key.key});
    QCOMPARE(leaseFromJson(QJsonObject{{QStringLiteral("ID"), QStringLiteral("123")}, {QStringLiteral("TTL"), QStringLiteral("-1")}}).ttlSeconds, -1);
}

void TestEtcdRecipes::prefixEnd_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("end");
    QTest::newRow("plain") << QByteArray("/locks/") << QByteArray("/locks0");
    QTest::newRow("trailing 0xff") << QByteArray("a\xff") << QByteArray("b");
    QTest::newRow("all 0xff") << QByteArray("\xff\xff") << QByteArray(1, '\0');
}

void TestEtcdRecipes::prefixEnd()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, end);
    QCOMPARE(EtcdClient::prefixEnd(prefix), end);
}

QTEST_GUILESS_MAIN(TestEtcdRecipes)
#include "tst_etcdrecipes.moc"
