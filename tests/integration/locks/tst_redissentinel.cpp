// Redis behind Sentinel as a lock endpoint, against a real redis-sentinel watching a real
// master and its replica: the endpoint asks the sentinel for the master, lists its locks, and
// after SENTINEL FAILOVER (announced by +switch-master) reconnects to the promoted replica,
// lists the same locks there and releases on the new master.
#include "locks/lockbackends.h"
#include "locks/redis/redislockbackend.h"
#include "redisserver.h"
#include "redissentinelserver.h"

#include <QDeadlineTimer>
#include <QSignalSpy>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;

class TestRedisSentinel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void unknownMasterNameIsNamed();
    void followsTheMasterThroughAFailover();

private:
    RedisEndpointConfig config(const QString &masterName = QStringLiteral("shop")) const;
    static bool hasLock(LockBackend &backend, const QByteArray &key, QString *node = nullptr);

    std::unique_ptr<RedisServer> m_master;
    std::unique_ptr<RedisServer> m_replica;
    std::unique_ptr<RedisSentinelServer> m_sentinel;
};

void TestRedisSentinel::initTestCase()
{
    QString error;
    m_master = std::make_unique<RedisServer>();
    QVERIFY2(m_master->start(&error), qPrintable(error));
    m_replica = std::make_unique<RedisServer>(RedisServer::Options{{}, false, {QStringLiteral("replicaof 127.0.0.1 %1").arg(m_master->port())}, false, false});
    QVERIFY2(m_replica->start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(m_replica->command({"INFO", "replication"}).string.contains("master_link_status:up"), 15'000);
    m_sentinel = std::make_unique<RedisSentinelServer>(QStringLiteral("shop"), m_master->address());
    QVERIFY2(m_sentinel->start(&error), qPrintable(error));
    // A failover needs a replica the sentinel knows of (it learns them from the master's INFO).
    QTRY_VERIFY_WITH_TIMEOUT(m_sentinel->command({"SENTINEL", "replicas", "shop"}).string.contains(QByteArray::number(m_replica->port())), 30'000);
}

RedisEndpointConfig TestRedisSentinel::config(const QString &masterName) const
{
    RedisEndpointConfig c;
    c.name = QStringLiteral("shop");
    c.topology = RedisEndpointConfig::Topology::Sentinel;
    // A dead sentinel first: the next one is asked.
    c.nodes = {QStringLiteral("127.0.0.1:1"), m_sentinel->address()};
    c.masterName = masterName;
    return c;
}

bool TestRedisSentinel::hasLock(LockBackend &backend, const QByteArray &key, QString *node)
{
    QSignalSpy finished(&backend, &LockBackend::scanFinished);
    backend.scan();
    if (!QTest::qWaitFor([&] { return finished.count() > 0; }, 10'000))
        return false;
    for (const LockInfo &lock : backend.lastResult().locks) {
        if (lock.key == key)
            return true;
    }
    return false;
}

void TestRedisSentinel::unknownMasterNameIsNamed()
{
    RedisLockBackend backend(config(QStringLiteral("nosuchmaster")), {});
    QSignalSpy errors(&backend, &LockBackend::errorOccurred);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(errors.count() > 0, 15'000);
    const QString message = errors.first().first().toString();
    QVERIFY2(message.contains(u"does not monitor a master named \"nosuchmaster\"") && message.contains(u"master_name"), qPrintable(message));
    QVERIFY(!backend.isConnected());
}

void TestRedisSentinel::followsTheMasterThroughAFailover()
{
    m_master->command({"SET", "lock:checkout:1", "before-failover", "PX", "600000"});
    RedisLockBackend backend(config(), {});
    QCOMPARE(backend.url(), QStringLiteral("redis-sentinel://127.0.0.1:1,%1/shop").arg(m_sentinel->address()));
    QSignalSpy topology(&backend, &LockBackend::topologyChanged);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    QVERIFY(topology.count() >= 1);
    QVERIFY2(topology.first().first().toString().contains(m_master->address()), qPrintable(topology.first().first().toString()));
    QVERIFY(hasLock(backend, "lock:checkout:1"));

    // Replicated before the failover, so the lock is on the replica too.
    QCOMPARE(m_master->command({"WAIT", "1", "5000"}).integer, 1);
    QVERIFY(m_sentinel->command({"SENTINEL", "FAILOVER", "shop"}).type != RedisReply::Error);
    // The endpoint hears of it and reconnects to the promoted replica.
    QTRY_VERIFY_WITH_TIMEOUT(topology.count() >= 2, 30'000);
    const QString announced = topology.last().first().toString();
    QVERIFY2(announced.contains(u"failover") && announced.contains(m_replica->address()), qPrintable(announced));
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(m_replica->command({"ROLE"}).elements.value(0).string == "master", 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(hasLock(backend, "lock:checkout:1"), 15'000);

    // A lock written on the new master after the failover is seen; a release deletes it there.
    m_replica->command({"SET", "lock:checkout:2", "after-failover", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(hasLock(backend, "lock:checkout:2"), 15'000);
    std::optional<ForceReleaseResult> outcome;
    // The old master may still be demoting: retry until the release lands on a master.
    QDeadlineTimer deadline(15'000);
    while (!deadline.hasExpired()) {
        outcome.reset();
        backend.release({LockReleaseRequest::Delete, "lock:checkout:2", "after-failover"}, [&](const ForceReleaseResult &r) { outcome = r; });
        QTRY_VERIFY_WITH_TIMEOUT(outcome.has_value(), 10'000);
        if (outcome->outcome == ForceReleaseResult::Released)
            break;
        QTest::qWait(300);
    }
    QVERIFY2(outcome->outcome == ForceReleaseResult::Released, qPrintable(outcome->message));
    QCOMPARE(m_replica->command({"EXISTS", "lock:checkout:2"}).integer, 0);
}

QTEST_GUILESS_MAIN(TestRedisSentinel)
#include "tst_redissentinel.moc"
