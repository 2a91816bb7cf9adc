#include "admin/prometheus.h"
#include "demobackends.h"
#include "freeport.h"
#include "engine/engine.h"
#include "locks/lockbackends.h"
#include "engineconfigs.h"
#include "programs.h"
#include "zkclients.h"
#include "zookeeperserver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;

// ZooKeeper as a member of the lock family, above the backend: the engine's lock service
// (polling, release, audit), the Prometheus metrics and fulcrumctl's one command line for
// every backend, against a real ZooKeeper and locks held by real Curator and Kazoo clients.
class TestZooKeeperFamily : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void engineShowsReleasesAndAuditsZooKeeperLocks();
    void fulcrumctlListsAndReleasesWithTheSameCommandLine();
    void configuredZooKeeperThatIsDownIsAStateNotACrash();
    void fulcrumdServesZooKeeperLocksOnItsAdminApi();
    void ensembleWithADeadMemberAndAChroot();
    void fulcrumdIsLiveAndFulcrumctlFollowsTheWatches();

private:
    std::unique_ptr<ZkLockProcess> startClient(ZkLockProcess::Library library, const QString &recipe, const QString &path,
                                               const QString &identifier = {});
    std::unique_ptr<ZooKeeperServer> m_server;
};

void TestZooKeeperFamily::initTestCase()
{
    m_server = std::make_unique<ZooKeeperServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY2(ZkLockProcess::prepareCurator(&error), qPrintable(error));
}

std::unique_ptr<ZkLockProcess> TestZooKeeperFamily::startClient(ZkLockProcess::Library library, const QString &recipe, const QString &path,
                                                                const QString &identifier)
{
    auto client = std::make_unique<ZkLockProcess>(library, recipe, m_server->hosts(), path, identifier);
    QString error;
    if (!client->start(&error))
        qWarning("lock client did not start: %s", qPrintable(error));
    return client;
}

static ZooKeeperEndpointConfig zookeeperEndpoint(const QString &name, const QString &hosts, const QString &root)
{
    ZooKeeperEndpointConfig z;
    z.name = name;
    z.hosts = hosts;
    z.paths = {root};
    z.pollIntervalMs = 200;
    z.sessionTimeoutMs = 4000;
    return z;
}

void TestZooKeeperFamily::engineShowsReleasesAndAuditsZooKeeperLocks()
{
    const QString path = QStringLiteral("/locks/family/order-7");
    auto holder = startClient(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), path);
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    auto waiter = startClient(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), path);

    QTemporaryDir state;
    InProcessDemoBackend app1(QStringLiteral("app1"));
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())});
    config.stateDir = state.path();
    config.locks.push_back(LockEndpointConfig::fromZooKeeper(zookeeperEndpoint(QStringLiteral("zk"), m_server->hosts(), QStringLiteral("/locks/family"))));
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    QCOMPARE(engine.lockEndpointNames(), QStringList{QStringLiteral("zk")});
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), lockIn(engine, QStringLiteral("zk"), path.toUtf8()) && lockIn(engine, QStringLiteral("zk"), path.toUtf8())->waiters.size() == 1),
                             30'000);
    const LockEndpointView *view = engine.snapshot().lockEndpoint(u"zk");
    QCOMPARE(view->backend, QStringLiteral("zookeeper"));
    QCOMPARE(view->connectionState, QStringLiteral("connected"));
    QVERIFY(view->url.startsWith(u"zookeeper://127.0.0.1:"));
    QVERIFY(view->capabilities.waiters && view->capabilities.sessions && !view->capabilities.ttl);
    const LockInfo shown = *lockIn(engine, QStringLiteral("zk"), path.toUtf8());
    QCOMPARE(shown.kind, QStringLiteral("curator-mutex"));
    QVERIFY(shown.session.startsWith(u"0x"));

    // Prometheus: the same lock families, labelled with the backend.
    const QByteArray metrics = prometheusMetrics(engine);
    QVERIFY2(metrics.contains("fulcrum_locks{endpoint=\"zk\",backend=\"zookeeper\"} 1"), metrics.constData());
    QVERIFY(metrics.contains("fulcrum_lock_waiters{endpoint=\"zk\",backend=\"zookeeper\"} 1"));
    QVERIFY2(!metrics.contains("fulcrum_locks_without_expiry{endpoint=\"zk\""), "ZooKeeper locks have no TTL to be without");

    auto release = [&engine](const QByteArray &key, const QByteArray &holderNode) -> ForceReleaseResult {
        std::optional<ForceReleaseResult> result;
        engine.releaseLock(QStringLiteral("zk"), LockReleaseRequest{LockReleaseRequest::Delete, key, holderNode}, QStringLiteral("erin"),
                           QStringLiteral("test"), [&result](const ForceReleaseResult &r) { result = r; });
        if (!QTest::qWaitFor([&result] { return result.has_value(); }, 10'000))
            return ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("no answer within 10 s")};
        return *result;
    };
    // A holder the operator did not see (the lock changed hands in between): nothing is deleted.
    const ForceReleaseResult changed = release(path.toUtf8(), "_c_00000000-0000-0000-0000-000000000000-lock-0000000099");
    QVERIFY2(changed.outcome == ForceReleaseResult::HolderChanged || changed.outcome == ForceReleaseResult::Gone, qPrintable(changed.message));
    QVERIFY(holder->isRunning() && !waiter->isAcquired());

    const ForceReleaseResult released = release(path.toUtf8(), shown.holder);
    QCOMPARE(released.outcome, ForceReleaseResult::Released);
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 30'000);

    // Both attempts are in the engine's audit log, written by the lock service, not the backend.
    const QList<AuditEntry> audit = engine.auditLog().recent();
    QCOMPARE(audit.size(), 2);
    for (const AuditEntry &entry : audit) {
        QCOMPARE(entry.user, QStringLiteral("erin"));
        QCOMPARE(entry.action, QStringLiteral("force-release"));
        QVERIFY2(entry.target.startsWith(u"zookeeper://127.0.0.1:") && entry.target.endsWith(path), qPrintable(entry.target));
    }
    QVERIFY2(audit.first().result.startsWith(u"holder changed") || audit.first().result.startsWith(u"gone"), qPrintable(audit.first().result));
    QCOMPARE(audit.last().result, QStringLiteral("ok"));
    QCOMPARE(audit.last().before, QString::fromUtf8(shown.holder));
    holder->release();
    waiter->release();
}

void TestZooKeeperFamily::fulcrumctlListsAndReleasesWithTheSameCommandLine()
{
    const QString path = QStringLiteral("/locks/ctl/stock-9");
    auto holder = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("worker-1"));
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    auto waiter = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), path, QStringLiteral("worker-2"));
    QTRY_VERIFY_WITH_TIMEOUT(waiter->hasSaid(QStringLiteral("waiting")), 30'000);

    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    QJsonObject row;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const ProgramRun list = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--zookeeper"), m_server->hosts(),
                                                 QStringLiteral("--path"), QStringLiteral("/locks/ctl"), QStringLiteral("--json")});
        if (list.exitCode != 0)
            return false;
        for (const QJsonValue &value : QJsonDocument::fromJson(list.out.toUtf8()).array()) {
            if (value.toObject().value(QStringLiteral("key")).toString() == path)
                row = value.toObject();
        }
        return row.value(QStringLiteral("waiters")).toArray().size() == 1;
    })(), 30'000);
    QCOMPARE(row.value(QStringLiteral("backend")).toString(), QStringLiteral("zookeeper"));
    QCOMPARE(row.value(QStringLiteral("kind")).toString(), QStringLiteral("kazoo-lock"));
    QCOMPARE(row.value(QStringLiteral("holder_text")).toString(), QStringLiteral("worker-1"));
    QCOMPARE(row.value(QStringLiteral("waiters")).toArray().first().toObject().value(QStringLiteral("who")).toString(), QStringLiteral("worker-2"));
    const QString holderNode = row.value(QStringLiteral("holder")).toString();
    QVERIFY(holderNode.contains(u"__lock__"));

    // One lock whole, with the same endpoint options.
    const ProgramRun show = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("show"), path, QStringLiteral("--zookeeper"), m_server->hosts(),
                                             QStringLiteral("--path"), QStringLiteral("/locks/ctl")});
    QVERIFY2(show.exitCode == 0, qPrintable(show.err));
    QVERIFY2(show.out.contains(path) && show.out.contains(u"[worker-1]") && show.out.contains(u"[worker-2]") && show.out.contains(u"session 0x"),
             qPrintable(show.out));
    const ProgramRun missing = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("show"), QStringLiteral("/locks/ctl/none-such"),
                                                QStringLiteral("--zookeeper"), m_server->hosts(), QStringLiteral("--path"), QStringLiteral("/locks/ctl")});
    QVERIFY2(missing.exitCode == 3 && missing.err.contains(u"/locks/ctl/none-such"), qPrintable(missing.err));

    // The table form names the lock and the readable holder.
    const ProgramRun table = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--zookeeper"), m_server->hosts(),
                                              QStringLiteral("--path"), QStringLiteral("/locks/ctl")});
    QCOMPARE(table.exitCode, 0);
    QVERIFY2(table.out.contains(path) && table.out.contains(u"[worker-1]") && table.out.contains(u"1 waiting"), qPrintable(table.out));

    QTemporaryDir dir;
    const QString auditPath = dir.filePath(QStringLiteral("audit.log"));
    const QStringList release{QStringLiteral("locks"), QStringLiteral("release"), path, QStringLiteral("--zookeeper"), m_server->hosts(),
                              QStringLiteral("--audit-log"), auditPath, QStringLiteral("--holder")};
    // Exit 3: the holder given is not the one holding; nothing is deleted.
    const ProgramRun wrong = runProgram(ctl, release + QStringList{holderNode + QStringLiteral("0")});
    QVERIFY2(wrong.exitCode == 3, qPrintable(wrong.err));
    QVERIFY(!waiter->isAcquired());
    const ProgramRun right = runProgram(ctl, release + QStringList{holderNode});
    QVERIFY2(right.exitCode == 0, qPrintable(right.err));
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 30'000);

    QFile audit(auditPath);
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray written = audit.readAll();
    QCOMPARE(written.count("force-release"), 2);
    QVERIFY(written.contains(holderNode.toUtf8()));

    // A ZooKeeper address without a port is refused with the forms it may take.
    const ProgramRun bad = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--zookeeper"), QStringLiteral("zk1")});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains(u"--zookeeper") && bad.err.contains(u"HOST:PORT"), qPrintable(bad.err));
    holder->release();
    waiter->release();
}

void TestZooKeeperFamily::configuredZooKeeperThatIsDownIsAStateNotACrash()
{
    ZooKeeperServer down;
    QString error;
    QVERIFY2(down.start(&error), qPrintable(error));
    const QString hosts = down.hosts();
    down.stop();

    InProcessDemoBackend app1(QStringLiteral("app1"));
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())});
    config.locks.push_back(LockEndpointConfig::fromZooKeeper(zookeeperEndpoint(QStringLiteral("zk-down"), hosts, QStringLiteral("/locks"))));
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), !engine.snapshot().lockEndpoint(u"zk-down")->lastError.isEmpty()), 20'000);
    QCOMPARE_NE(engine.snapshot().lockEndpoint(u"zk-down")->connectionState, QStringLiteral("connected"));
    QVERIFY(engine.isRunning());

    // A release is refused at once with the reason; nothing waits on a server that is not there.
    std::optional<ForceReleaseResult> result;
    engine.releaseLock(QStringLiteral("zk-down"), LockReleaseRequest{LockReleaseRequest::Delete, "/locks/x", "_c_x-lock-0000000001"},
                       QStringLiteral("erin"), QStringLiteral("test"), [&result](const ForceReleaseResult &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QCOMPARE(result->outcome, ForceReleaseResult::Failed);
    QVERIFY2(result->message.contains(u"not connected") && result->message.contains(u"nothing deleted"), qPrintable(result->message));

    // It comes back on the same port: the endpoint connects by itself.
    QVERIFY2(down.restart(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT((engine.tick(), engine.snapshot().lockEndpoint(u"zk-down")->connectionState), QStringLiteral("connected"), 30'000);
}

void TestZooKeeperFamily::fulcrumdServesZooKeeperLocksOnItsAdminApi()
{
    const QString path = QStringLiteral("/locks/daemon/refund-12");
    auto holder = startClient(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), path);
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    auto waiter = startClient(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), path);

    QTemporaryDir dir;
    const quint16 adminPort = freeLoopbackPort();
    const QString configPath = dir.filePath(QStringLiteral("fulcrum.json"));
    QFile file(configPath);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral(R"({
  "locks": [{"backend": "zookeeper", "name": "orders-zk", "hosts": "%1", "paths": ["/locks/daemon"], "poll_interval": "200ms",
             "session_timeout": "4s", "waiter_details": 0}],
  "admin": {"listen": "127.0.0.1:%2"},
  "state_dir": "%3"
}
)").arg(m_server->hosts()).arg(adminPort).arg(dir.filePath(QStringLiteral("state"))).toUtf8());
    file.close();
    QProcess fulcrumd;
    QString log;
    QVERIFY2(startFulcrumd(fulcrumd, configPath, &log), qPrintable(log));
    const QString engine = QStringLiteral("http://127.0.0.1:%1").arg(adminPort);
    const QString tokenFile = dir.filePath(QStringLiteral("state/admin.token"));
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const QStringList list{QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile};
    QJsonObject endpoint;
    QJsonObject row;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const ProgramRun run = runProgram(ctl, list + QStringList{QStringLiteral("--endpoint"), QStringLiteral("orders-zk"), QStringLiteral("--json")});
        endpoint = QJsonDocument::fromJson(run.out.toUtf8()).object();
        for (const QJsonValue &value : endpoint.value(QStringLiteral("locks")).toArray()) {
            if (value.toObject().value(QStringLiteral("key")).toString() == path)
                row = value.toObject();
        }
        return row.value(QStringLiteral("waiters")).toArray().size() == 1;
    })(), 30'000);
    QCOMPARE(endpoint.value(QStringLiteral("backend")).toString(), QStringLiteral("zookeeper"));
    QVERIFY(endpoint.value(QStringLiteral("capabilities")).toObject().value(QStringLiteral("waiters")).toBool());
    QVERIFY(!endpoint.value(QStringLiteral("capabilities")).toObject().value(QStringLiteral("ttl")).toBool());
    QCOMPARE(row.value(QStringLiteral("kind")).toString(), QStringLiteral("curator-mutex"));
    const ProgramRun table = runProgram(ctl, list);
    QVERIFY2(table.exitCode == 0 && table.out.contains(u"orders-zk (zookeeper, zookeeper://") && table.out.contains(u"1 waiting"), qPrintable(table.out + table.err));

    // waiter_details 0: passes list the waiter by name only; `locks show` has the engine read it whole.
    const QJsonObject listedWaiter = row.value(QStringLiteral("waiters")).toArray().first().toObject();
    QVERIFY2(listedWaiter.value(QStringLiteral("session")).toString().isEmpty(), "a pass with waiter_details 0 reads no waiter");
    QCOMPARE(row.value(QStringLiteral("waiters_unread")).toInt(), 1);
    const QStringList show{QStringLiteral("locks"), QStringLiteral("show"), path, QStringLiteral("--endpoint"), QStringLiteral("orders-zk"),
                           QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile};
    const ProgramRun shownJson = runProgram(ctl, show + QStringList{QStringLiteral("--json")});
    QVERIFY2(shownJson.exitCode == 0, qPrintable(shownJson.err));
    const QJsonObject whole = QJsonDocument::fromJson(shownJson.out.toUtf8()).object();
    const QJsonObject readWaiter = whole.value(QStringLiteral("waiters")).toArray().first().toObject();
    QCOMPARE(readWaiter.value(QStringLiteral("id")).toString(), listedWaiter.value(QStringLiteral("id")).toString());
    QVERIFY2(readWaiter.value(QStringLiteral("session")).toString().startsWith(u"0x"), qPrintable(shownJson.out));
    QVERIFY(!readWaiter.value(QStringLiteral("queued_at")).toString().isEmpty());
    QCOMPARE(whole.value(QStringLiteral("holder")).toString(), row.value(QStringLiteral("holder")).toString());
    const ProgramRun shownText = runProgram(ctl, show);
    QVERIFY2(shownText.exitCode == 0 && shownText.out.contains(u"waiters  1") && shownText.out.contains(u"  1. ")
                 && shownText.out.contains(readWaiter.value(QStringLiteral("session")).toString()),
             qPrintable(shownText.out + shownText.err));
    // A lock that is not there: a 404 that says so.
    const ProgramRun none = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("show"), QStringLiteral("/locks/daemon/none-such"),
                                             QStringLiteral("--endpoint"), QStringLiteral("orders-zk"), QStringLiteral("--engine"), engine,
                                             QStringLiteral("--token-file"), tokenFile});
    QVERIFY2(none.exitCode != 0 && none.err.contains(u"404") && none.err.contains(u"/locks/daemon/none-such"), qPrintable(none.err));

    const QStringList release{QStringLiteral("locks"), QStringLiteral("release"), path, QStringLiteral("--endpoint"), QStringLiteral("orders-zk"),
                              QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile, QStringLiteral("--holder")};
    const ProgramRun wrong = runProgram(ctl, release + QStringList{QStringLiteral("_c_00000000-0000-0000-0000-000000000000-lock-0000000099")});
    QVERIFY2(wrong.exitCode != 0, qPrintable(wrong.out));
    QVERIFY(!waiter->isAcquired());
    const ProgramRun right = runProgram(ctl, release + QStringList{row.value(QStringLiteral("holder")).toString()});
    QVERIFY2(right.exitCode == 0, qPrintable(right.err));
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 30'000);
    stopProcess(fulcrumd);
    QFile audit(dir.filePath(QStringLiteral("state/audit.log")));
    QVERIFY(audit.open(QIODevice::ReadOnly));
    QCOMPARE(audit.readAll().count("force-release"), 2);
    waiter->release();
}

void TestZooKeeperFamily::ensembleWithADeadMemberAndAChroot()
{
    // A shop's Kazoo client under its chroot /shop: to it the lock is /locks/cart-5.
    auto holder = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QStringLiteral("/shop/locks/cart-5"), QStringLiteral("cart-worker"));
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    // The first member of the ensemble is down; the client moves on to the next.
    const quint16 dead = freeLoopbackPort();
    const QString hosts = QStringLiteral("127.0.0.1:%1,%2/shop").arg(dead).arg(m_server->hosts());
    LockEndpointConfig endpoint;
    QString error;
    QVERIFY2(parseLockEndpointAddress(QStringLiteral("zookeeper://") + hosts, &endpoint, &error), qPrintable(error));
    QCOMPARE(endpoint.zookeeper.chroot, QStringLiteral("/shop"));
    endpoint.zookeeper.name = QStringLiteral("shop-zk");
    endpoint.zookeeper.pollIntervalMs = 200;

    InProcessDemoBackend app1(QStringLiteral("app1"));
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())});
    config.locks.push_back(endpoint);
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), lockIn(engine, QStringLiteral("shop-zk"), "/locks/cart-5") != nullptr), 30'000);
    const LockEndpointView *view = engine.snapshot().lockEndpoint(u"shop-zk");
    QCOMPARE(view->connectionState, QStringLiteral("connected"));
    QVERIFY2(view->url.endsWith(u"/shop"), qPrintable(view->url));
    QCOMPARE(lockIn(engine, QStringLiteral("shop-zk"), "/locks/cart-5")->holderText, QStringLiteral("cart-worker"));
    holder->release();
}

QTEST_GUILESS_MAIN(TestZooKeeperFamily)
// Issue 18 through a real fulcrumd: a ZooKeeper endpoint is live after its first pass (its
// reconcile pass an hour away), the admin API says so, and `fulcrumctl locks list --follow`
// prints each change as the watches bring it.
void TestZooKeeperFamily::fulcrumdIsLiveAndFulcrumctlFollowsTheWatches()
{
    QTemporaryDir dir;
    const quint16 adminPort = freeLoopbackPort();
    const QString configPath = dir.filePath(QStringLiteral("fulcrum.json"));
    QFile file(configPath);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral(R"({
  "locks": [{"backend": "zookeeper", "name": "zk", "hosts": "%1", "paths": ["/locks/follow"], "reconcile_interval": "1h",
             "four_letter_words": false}],
  "admin": {"listen": "127.0.0.1:%2"},
  "state_dir": "%3"
}
)").arg(m_server->hosts()).arg(adminPort).arg(dir.filePath(QStringLiteral("state"))).toUtf8());
    file.close();
    QProcess fulcrumd;
    QString log;
    QVERIFY2(startFulcrumd(fulcrumd, configPath, &log), qPrintable(log));
    const QString engine = QStringLiteral("http://127.0.0.1:%1").arg(adminPort);
    const QString tokenFile = dir.filePath(QStringLiteral("state/admin.token"));
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const QStringList list{QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--engine"), engine, QStringLiteral("--token-file"),
                           tokenFile, QStringLiteral("--endpoint"), QStringLiteral("zk")};
    QTRY_VERIFY_WITH_TIMEOUT(QJsonDocument::fromJson(runProgram(ctl, list + QStringList{QStringLiteral("--json")}).out.toUtf8())
                                     .object().value(QStringLiteral("feed")).toObject().value(QStringLiteral("mode")).toString() == u"live",
                             30'000);

    QProcess follow;
    follow.start(ctl, list + QStringList{QStringLiteral("--follow")});
    QVERIFY(follow.waitForStarted());
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += follow.readAllStandardOutput()).contains("live ("), 15'000);
    auto holder = startClient(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), QStringLiteral("/locks/follow/job-7"), QStringLiteral("worker-7"));
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 30'000);
    QTRY_VERIFY_WITH_TIMEOUT((out += follow.readAllStandardOutput()).contains("zk: + /locks/follow/job-7  kazoo-lock"), 15'000);
    holder->release();
    QTRY_VERIFY_WITH_TIMEOUT((out += follow.readAllStandardOutput()).contains("zk: - /locks/follow/job-7"), 15'000);
    follow.kill();
    follow.waitForFinished();
    stopProcess(fulcrumd);
}

#include "tst_zookeeperfamily.moc"
