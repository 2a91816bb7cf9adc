// Redis behind Sentinel as a lock endpoint, against a real redis-sentinel watching a real
// master and its replica: the endpoint asks the sentinel for the master, lists its locks, and
// after SENTINEL FAILOVER (announced by +switch-master) reconnects to the promoted replica,
// lists the same locks there and releases on the new master. The sentinel wants a password of
// its own (requirepass) and has an ACL user, as production sentinels do; the master has none.
#include "locks/lockbackends.h"
#include "locks/redis/redislockbackend.h"
#include "locks/redis/redissentinel.h"
#include "freeport.h"
#include "programs.h"
#include "redisserver.h"
#include "redissentinelserver.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
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
    void sentinelCredentialsAreTheirOwn();
    void fulcrumctlAsksAnAuthenticatedSentinel();
    void followsTheMasterThroughAFailover();

private:
    RedisEndpointConfig config(const QString &masterName = QStringLiteral("shop")) const;
    static QString firstError(LockBackend &backend);
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
    m_sentinel = std::make_unique<RedisSentinelServer>(QStringLiteral("shop"), m_master->address(),
                                                       QStringList{QStringLiteral("requirepass sentinel-pw"),
                                                                   QStringLiteral("user watcher on >watcher-pw +@all ~* &*")},
                                                       QByteArrayLiteral("sentinel-pw"));
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

QString TestRedisSentinel::firstError(LockBackend &backend)
{
    QSignalSpy errors(&backend, &LockBackend::errorOccurred);
    backend.open();
    if (!QTest::qWaitFor([&] { return errors.count() > 0; }, 15'000))
        return QStringLiteral("(no error within 15 s)");
    return errors.first().first().toString();
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
    RedisLockBackend backend(config(QStringLiteral("nosuchmaster")), {}, nullptr, "sentinel-pw");
    QSignalSpy errors(&backend, &LockBackend::errorOccurred);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(errors.count() > 0, 15'000);
    const QString message = errors.first().first().toString();
    QVERIFY2(message.contains(u"does not monitor a master named \"nosuchmaster\"") && message.contains(u"master_name"), qPrintable(message));
    QVERIFY(!backend.isConnected());
}

void TestRedisSentinel::sentinelCredentialsAreTheirOwn()
{
    const QString sentinel = QStringLiteral("sentinel %1").arg(m_sentinel->address());
    {
        // None given: the sentinel's NOAUTH, and the keys that fix it.
        RedisLockBackend backend(config(), {});
        const QString message = firstError(backend);
        QVERIFY2(message.contains(sentinel) && message.contains(u"NOAUTH") && message.contains(u"\"sentinel_password\""), qPrintable(message));
        QVERIFY(!backend.isConnected());
    }
    {
        // The master's password is not the sentinels': given only that, the sentinel still refuses.
        RedisLockBackend backend(config(), "sentinel-pw-is-not-this");
        QVERIFY2(firstError(backend).contains(u"NOAUTH"), "the master's password went to the sentinel");
    }
    {
        RedisLockBackend backend(config(), {}, nullptr, "wrong");
        const QString message = firstError(backend);
        QVERIFY2(message.contains(sentinel) && message.contains(u"WRONGPASS"), qPrintable(message));
    }
    m_master->command({"SET", "lock:checkout:acl", "ops-7", "PX", "600000"});
    for (const QString &user : {QString(), QStringLiteral("watcher")}) {
        // requirepass (the default user), then an ACL user of the sentinel's own.
        RedisEndpointConfig c = config();
        c.sentinelUser = user;
        RedisLockBackend backend(c, {}, nullptr, user.isEmpty() ? "sentinel-pw" : "watcher-pw");
        backend.open();
        QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
        QVERIFY(hasLock(backend, "lock:checkout:acl"));
    }
    m_master->command({"DEL", "lock:checkout:acl"});
}

void TestRedisSentinel::fulcrumctlAsksAnAuthenticatedSentinel()
{
    m_master->command({"SET", "lock:checkout:ctl", "ops-9", "PX", "600000"});
    QTemporaryDir state;
    QProcessEnvironment env = componentEnvironment();
    env.insert(QStringLiteral("XDG_STATE_HOME"), state.path());   // never the tester's own audit log
    const QString fulcrumctl = binaryPath(QStringLiteral("fulcrumctl"));
    const QStringList list{QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--json"),
                           QStringLiteral("--redis"), QStringLiteral("redis-sentinel://%1/shop").arg(m_sentinel->address())};
    ProgramRun run = runProgram(fulcrumctl, list, env, {}, 30'000);
    QVERIFY2(run.exitCode != 0 && run.err.contains(u"NOAUTH") && run.err.contains(u"FULCRUM_SENTINEL_PASSWORD"), qPrintable(run.err));

    QProcessEnvironment withPassword = env;
    withPassword.insert(QStringLiteral("FULCRUM_SENTINEL_PASSWORD"), QStringLiteral("sentinel-pw"));
    run = runProgram(fulcrumctl, list, withPassword, {}, 30'000);
    QVERIFY2(run.exitCode == 0 && run.out.contains(u"lock:checkout:ctl"), qPrintable(run.err));

    // An ACL user of the sentinel's, its password in a 0600 file.
    QFile file(state.filePath(QStringLiteral("sentinel.pass")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write("watcher-pw\n");
    file.close();
    run = runProgram(fulcrumctl, list + QStringList{QStringLiteral("--sentinel-user"), QStringLiteral("watcher"), QStringLiteral("--sentinel-password-file"), file.fileName()},
                     env, {}, 30'000);
    QVERIFY2(run.exitCode == 0 && run.out.contains(u"lock:checkout:ctl"), qPrintable(run.err));
    // Not for a single node: the error says where that node's password goes.
    run = runProgram(fulcrumctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--redis"), QStringLiteral("redis://") + m_master->address(),
                                  QStringLiteral("--sentinel-password-file"), file.fileName()}, env, {}, 30'000);
    QVERIFY2(run.exitCode == 2 && run.err.contains(u"--password-file"), qPrintable(run.err));
    m_master->command({"DEL", "lock:checkout:ctl"});
}

void TestRedisSentinel::followsTheMasterThroughAFailover()
{
    m_master->command({"SET", "lock:checkout:1", "before-failover", "PX", "600000"});
    RedisLockBackend backend(config(), {}, nullptr, "sentinel-pw");
    // A watch that only listens (its own check once an hour): +switch-master reaches it only if
    // its subscriber authenticated to the sentinel.
    RedisConnectionOptions watchOptions;
    watchOptions.sentinelUser = QStringLiteral("watcher");
    watchOptions.sentinelPassword = "watcher-pw";
    RedisSentinelWatch listener({m_sentinel->address()}, QStringLiteral("shop"), watchOptions);
    listener.checkIntervalMs = 3'600'000;
    QSignalSpy announced(&listener, &RedisSentinelWatch::masterChanged);
    listener.start();
    // Fulcrum's own lock client through the sentinels holds a lock across the failover: it renews
    // on the old master, then on the promoted one, and releases there when its command ends.
    QTemporaryDir state;
    QProcessEnvironment env = componentEnvironment();
    env.insert(QStringLiteral("XDG_STATE_HOME"), state.path());
    env.insert(QStringLiteral("FULCRUM_SENTINEL_PASSWORD"), QStringLiteral("sentinel-pw"));
    QProcess run;
    run.setProcessEnvironment(env);
    run.start(binaryPath(QStringLiteral("fulcrumctl")),
              {QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("lock:nightly"), QStringLiteral("--ttl"), QStringLiteral("6s"),
               QStringLiteral("--redis"), QStringLiteral("redis-sentinel://%1/shop").arg(m_sentinel->address()), QStringLiteral("--"),
               QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("sleep 10; echo done")});
    QTRY_VERIFY_WITH_TIMEOUT(m_master->command({"GET", "lock:nightly"}).string.startsWith("fulcrum:"), 15'000);
    const QByteArray runToken = m_master->command({"GET", "lock:nightly"}).string;
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
    const QString failover = topology.last().first().toString();
    QVERIFY2(failover.contains(u"failover") && failover.contains(m_replica->address()), qPrintable(failover));
    QTRY_VERIFY_WITH_TIMEOUT(!announced.isEmpty(), 15'000);
    QCOMPARE(announced.last().at(1).toString(), m_replica->address());
    QVERIFY2(announced.last().at(2).toString().startsWith(u"+switch-master from sentinel"), qPrintable(announced.last().at(2).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(m_replica->command({"ROLE"}).elements.value(0).string == "master", 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(hasLock(backend, "lock:checkout:1"), 15'000);
    // The lock client's key lives on in the new master, renewed there (its TTL goes back up).
    QCOMPARE(m_replica->command({"GET", "lock:nightly"}).string, runToken);
    const qint64 ttlAfterFailover = m_replica->command({"PTTL", "lock:nightly"}).integer;
    QTRY_VERIFY_WITH_TIMEOUT(m_replica->command({"PTTL", "lock:nightly"}).integer > ttlAfterFailover, 10'000);
    QVERIFY2(run.waitForFinished(30'000), "lock run did not end");
    QVERIFY2(run.exitStatus() == QProcess::NormalExit && run.exitCode() == 0, qPrintable(QString::fromUtf8(run.readAllStandardError())));
    QVERIFY(run.readAllStandardOutput().contains("done"));
    QCOMPARE(m_replica->command({"EXISTS", "lock:nightly"}).integer, 0);   // released on the new master

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
