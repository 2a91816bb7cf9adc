// The engine with its health checkers and lock inspectors against real components: demo
// backend processes (killed as a crash), in-process demo backends behind the proxy, and a real
// redis-server with a password read from a 0600 file.
#include "balancer/pool.h"
#include "demobackends.h"
#include "admin/adminjson.h"
#include "engine/engine.h"
#include "engine/linkfigures.h"
#include "health/healthchecker.h"
#include "proxy/proxyserver.h"
#include "redisserver.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "engineconfigs.h"

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

const ServerSnapshot *serverIn(const Engine &engine, const QString &name)
{
    const PoolView *pool = engine.snapshot().pool(u"web");
    return pool ? pool->server(name) : nullptr;
}

QString stateOf(Engine &engine, const QString &name)
{
    engine.tick();
    const ServerSnapshot *s = serverIn(engine, name);
    return s ? s->health.stateText : QStringLiteral("(missing)");
}

} // namespace

class TestEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killedBackendShowsDownWithReason();
    void panicShowsDownServersDownButServing();
    void drainThroughEngineStopsNewRequests();
    void operatorStateValidation();
    void reloadKeepsHealthCheckers();
    void locksAppearInSnapshot();
    void lockPollingBacksOffOnBigKeyspaces();
    void releaseThroughEngine();
    void unreadablePasswordShowsErrorAndProxyRuns();

private:
    // app1 and app2 started as processes, behind `engine` checking them fast, each checked once.
    void startCheckedPair(DemoBackendProcess &app1, DemoBackendProcess &app2, Engine &engine);
    bool startRedisWithPassword(RedisServer &redis, QTemporaryDir &dir, RedisEndpointConfig *endpoint);
};

void TestEngine::startCheckedPair(DemoBackendProcess &app1, DemoBackendProcess &app2, Engine &engine)
{
    QVERIFY2(app1.start(), qPrintable(app1.error()));
    QVERIFY2(app2.start(), qPrintable(app2.error()));
    QStringList errors;
    QVERIFY2(engine.start(fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port()), loopbackServer(QStringLiteral("app2"), app2.port())}), &errors),
             qPrintable(errors.join(u'\n')));
    QVERIFY(engine.healthChecker(QStringLiteral("web")));
    for (const QString &name : {QStringLiteral("app1"), QStringLiteral("app2")})
        QTRY_VERIFY_WITH_TIMEOUT(serverIn(engine, name) && serverIn(engine, name)->health.checks > 0, 5000);
}

void TestEngine::killedBackendShowsDownWithReason()
{
    DemoBackendProcess app1(QStringLiteral("app1"));
    DemoBackendProcess app2(QStringLiteral("app2"));
    Engine engine;
    startCheckedPair(app1, app2, engine);
    if (QTest::currentTestFailed())
        return;

    QSignalSpy healthEvents(&engine, &Engine::healthEventOccurred);
    app1.kill();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(engine, QStringLiteral("app1")), QStringLiteral("down"), 5000);
    const ServerSnapshot *s = serverIn(engine, QStringLiteral("app1"));
    QCOMPARE(s->health.state, QStringLiteral("down"));
    QCOMPARE(s->spec.state, BackendState::Down);
    QCOMPARE(s->health.lastCheck.reasonText(), QStringLiteral("L4CON"));
    QVERIFY(s->health.lastCheck.durationUs >= 0);
    QVERIFY(s->health.timeInStateMs >= 0);
    QCOMPARE(s->health.weight, 10);
    QCOMPARE(serverIn(engine, QStringLiteral("app2"))->health.stateText, QStringLiteral("up"));

    // The way down passed through the transitional states, and each reached the event list.
    QStringList seen;
    for (const QList<QVariant> &args : healthEvents)
        seen.append(args.at(0).value<HealthEvent>().to);
    QVERIFY2(seen.contains(QStringLiteral("up, 1/3 failed")), qPrintable(seen.join(u'|')));
    QVERIFY(seen.contains(QStringLiteral("down")));
    bool logged = false;
    for (const EngineEvent &e : engine.recentEvents())
        logged |= e.source == u"health" && e.severity == EngineEvent::Error && e.text.contains(u"app1") && e.text.contains(u"L4CON");
    QVERIFY(logged);
    QVERIFY(!engine.healthEvents().empty());

    QVERIFY(app1.start());
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(engine, QStringLiteral("app1")), QStringLiteral("up"), 5000);
}

// Both servers of a pool killed: panic mode (below 50 % healthy) balances across them anyway.
// The snapshot says each is down, as the admin API does (the in-process console showed them
// up, since the balancer sees them up), and that they serve: their weight is in use, and the
// pool is in panic, not out of service.
void TestEngine::panicShowsDownServersDownButServing()
{
    DemoBackendProcess app1(QStringLiteral("app1"));
    DemoBackendProcess app2(QStringLiteral("app2"));
    Engine engine;
    startCheckedPair(app1, app2, engine);
    if (QTest::currentTestFailed())
        return;
    app1.kill();
    app2.kill();
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), engine.snapshot().pool(u"web")->panic), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(engine, QStringLiteral("app2")), QStringLiteral("down"), 5000);
    QCOMPARE(stateOf(engine, QStringLiteral("app1")), QStringLiteral("down"));
    // The balancer itself sees them up: that is what panic is.
    for (const PoolBackend &b : engine.pool(QStringLiteral("web"))->snapshot()->backends)
        QCOMPARE(b.spec.state, BackendState::Up);
    const EngineSnapshot snapshot = engine.snapshot();
    const PoolView *pool = snapshot.pool(u"web");
    QVERIFY(!pool->cannotServe);
    for (const ServerSnapshot &s : pool->servers) {
        QCOMPARE(s.spec.state, BackendState::Down);
        QCOMPARE(pool->weightInUse(s), 10);
    }
    // The console's view, in process and across the wire alike: down, 0 of 2 up, weights in use.
    for (const LinkSnapshot &view : {SnapshotMapper().map(snapshot, 250), SnapshotMapper().map(snapshotFromJson(snapshotToJson(snapshot)), 250)}) {
        QCOMPARE(view.servers.size(), 2);
        for (const ServerStatus &s : view.servers) {
            QCOMPARE(s.state, BackendState::Down);
            QCOMPARE(s.effectiveWeight, 10);
        }
        QVERIFY(view.pool(QStringLiteral("web"))->panic);
        QVERIFY(!view.pool(QStringLiteral("web"))->cannotServe);
    }
}

void TestEngine::drainThroughEngineStopsNewRequests()
{
    InProcessDemoBackend app1(QStringLiteral("app1"));
    InProcessDemoBackend app2(QStringLiteral("app2"));
    QVERIFY(app1.isListening() && app2.isListening());
    Engine engine;
    QStringList errors;
    QVERIFY(engine.start(fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port()), loopbackServer(QStringLiteral("app2"), app2.port())}), &errors));
    const quint16 port = engine.proxy().listeners().front().port;

    auto servedBy = [port](int n) {
        QMap<QByteArray, int> counts;
        SimpleHttpConnection client(port);
        for (int i = 0; i < n; ++i)
            ++counts[client.get("/").header("x-served-by")];
        return counts;
    };
    QVERIFY(servedBy(20).value("app1") > 0);

    QString error;
    QVERIFY2(engine.setAdminState(QStringLiteral("web"), QStringLiteral("app1"), AdminState::Drain, QStringLiteral("alice"), QStringLiteral("test"), &error),
             qPrintable(error));
    QCOMPARE(serverIn(engine, QStringLiteral("app1"))->health.stateText, QStringLiteral("drain"));
    // Health checks keep running on a drained server; their next decision must not undo the drain.
    const quint64 checksBefore = serverIn(engine, QStringLiteral("app1"))->health.checks;
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), serverIn(engine, QStringLiteral("app1"))->health.checks > checksBefore + 2), 5000);
    const QMap<QByteArray, int> afterDrain = servedBy(30);
    QCOMPARE(afterDrain.value("app1"), 0);
    QCOMPARE(afterDrain.value("app2"), 30);

    QVERIFY(engine.setState(QStringLiteral("web"), QStringLiteral("app1"), BackendState::Up, QStringLiteral("alice"), QStringLiteral("test"), &error));
    QTRY_VERIFY_WITH_TIMEOUT(servedBy(10).value("app1") > 0, 5000);

    const QList<AuditEntry> audit = engine.auditLog().recent();
    QVERIFY(audit.size() >= 2);
    QCOMPARE(audit.at(audit.size() - 2).after, QStringLiteral("drain"));
    QCOMPARE(audit.at(audit.size() - 2).before, QStringLiteral("up"));
    QCOMPARE(audit.last().user, QStringLiteral("alice"));
}

void TestEngine::operatorStateValidation()
{
    InProcessDemoBackend app1(QStringLiteral("app1"));
    Engine engine;
    QStringList errors;
    QVERIFY(engine.start(fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())}), &errors));
    QString error;
    QVERIFY(!engine.setState(QStringLiteral("web"), QStringLiteral("app1"), BackendState::Down, QStringLiteral("bob"), QStringLiteral("test"), &error));
    QVERIFY2(error.contains(u"health checks"), qPrintable(error));
    QVERIFY(!engine.setAdminState(QStringLiteral("web"), QStringLiteral("nope"), AdminState::Drain, QStringLiteral("bob"), QStringLiteral("test"), &error));
    QVERIFY2(error.contains(u"\"nope\""), qPrintable(error));
    QVERIFY(!engine.setAdminState(QStringLiteral("api"), QStringLiteral("app1"), AdminState::Drain, QStringLiteral("bob"), QStringLiteral("test"), &error));
    QVERIFY2(error.contains(u"\"api\"") && error.contains(u"web"), qPrintable(error));
    QVERIFY(engine.setWeight(QStringLiteral("web"), QStringLiteral("app1"), 42, QStringLiteral("bob"), QStringLiteral("test"), &error));
    engine.tick();
    QCOMPARE(serverIn(engine, QStringLiteral("app1"))->spec.weight, 42);
    QTRY_COMPARE_WITH_TIMEOUT((engine.tick(), serverIn(engine, QStringLiteral("app1"))->effectiveWeight), 42, 5000);
}

void TestEngine::reloadKeepsHealthCheckers()
{
    InProcessDemoBackend app1(QStringLiteral("app1"));
    InProcessDemoBackend app2(QStringLiteral("app2"));
    Engine engine;
    QStringList errors;
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())});
    QVERIFY(engine.start(config, &errors));
    QVERIFY(engine.setAdminState(QStringLiteral("web"), QStringLiteral("app1"), AdminState::Maint, QStringLiteral("carol"), QStringLiteral("test")));
    HealthChecker *checker = engine.healthChecker(QStringLiteral("web"));
    config.pools.front().servers.push_back(loopbackServer(QStringLiteral("app2"), app2.port()));
    config.pools.front().health.rise = 1;
    QVERIFY2(engine.reload(config, &errors), qPrintable(errors.join(u'\n')));
    // Right after the reload, before the checker runs again, the balancer still sees maint.
    const auto pool = engine.pool(QStringLiteral("web"))->snapshot();
    QCOMPARE(pool->backends[size_t(pool->indexOf(QStringLiteral("app1")))].spec.state, BackendState::Maint);
    QCOMPARE(engine.healthChecker(QStringLiteral("web")), checker);
    QCOMPARE(checker->config().health.rise, 1);
    QTRY_VERIFY_WITH_TIMEOUT(serverIn(engine, QStringLiteral("app2")) && stateOf(engine, QStringLiteral("app2")) == u"up"
                                 && serverIn(engine, QStringLiteral("app2"))->health.checks > 0, 5000);
    QCOMPARE(stateOf(engine, QStringLiteral("app1")), QStringLiteral("maint"));
}

bool TestEngine::startRedisWithPassword(RedisServer &redis, QTemporaryDir &dir, RedisEndpointConfig *endpoint)
{
    QString error;
    if (!redis.start(&error)) {
        qWarning("redis-server: %s", qPrintable(error));
        return false;
    }
    QFile file(dir.filePath(QStringLiteral("redis.pass")));
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(redis.password() + '\n');
    file.close();
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    endpoint->name = QStringLiteral("cache");
    endpoint->port = redis.port();
    endpoint->password = SecretSource{SecretSource::File, file.fileName()};
    endpoint->pollIntervalMs = 100;
    return true;
}

void TestEngine::lockPollingBacksOffOnBigKeyspaces()
{
    // 300 000 keys: a pass takes tens of milliseconds or more. With poll_interval 100 ms the
    // inspector would scan back to back; the engine waits at least 4x the last pass instead.
    RedisServer redis(RedisServer::Options{QByteArrayLiteral("s3cret-pass"), false, {}});
    QTemporaryDir dir;
    RedisEndpointConfig endpoint;
    QVERIFY(startRedisWithPassword(redis, dir, &endpoint));
    for (int batch = 0; batch < 300; ++batch) {
        QList<QByteArray> mset{QByteArrayLiteral("MSET")};
        for (int i = 0; i < 1000; ++i)
            mset << "data:" + QByteArray::number(batch * 1000 + i) << QByteArrayLiteral("x");
        redis.command(mset);
    }
    redis.command({"SET", "lock:orders", "worker-7", "PX", "60000"});
    InProcessDemoBackend app1(QStringLiteral("app1"));
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())});
    config.locks.push_back(LockEndpointConfig::fromRedis(endpoint));
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    QSignalSpy scans(&engine, &Engine::lockScanFinished);
    QTRY_VERIFY_WITH_TIMEOUT(!scans.isEmpty(), 20'000);
    engine.tick();
    const LockEndpointView *view = engine.snapshot().lockEndpoint(u"cache");
    QVERIFY(view->hasResult);
    QCOMPARE(view->pollIntervalMs, qint64(100));
    QCOMPARE(view->effectivePollIntervalMs, std::max<qint64>(100, 4 * view->lastResult.elapsedMs));
    if (view->lastResult.elapsedMs <= 25)
        QSKIP("the pass was too quick here to need backing off");
    QVERIFY(view->effectivePollIntervalMs > view->pollIntervalMs);
}

void TestEngine::locksAppearInSnapshot()
{
    RedisServer redis(RedisServer::Options{QByteArrayLiteral("s3cret-pass"), false, {}});
    QTemporaryDir dir;
    RedisEndpointConfig endpoint;
    QVERIFY(startRedisWithPassword(redis, dir, &endpoint));
    redis.command({"SET", "lock:orders", "worker-7", "PX", "60000"});
    redis.command({"HSET", "jobs:lock:nightly", "6f0c1e2a-1111-2222-3333-444455556666:42", "1"});

    InProcessDemoBackend app1(QStringLiteral("app1"));
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())});
    config.locks.push_back(LockEndpointConfig::fromRedis(endpoint));
    Engine engine;
    QSignalSpy scans(&engine, &Engine::lockScanFinished);
    QStringList errors;
    QVERIFY(engine.start(config, &errors));
    QCOMPARE(engine.lockEndpointNames(), QStringList{QStringLiteral("cache")});
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), lockIn(engine, QStringLiteral("cache"), "lock:orders") != nullptr), 5000);
    const LockEndpointView *view = engine.snapshot().lockEndpoint(u"cache");
    QCOMPARE(view->connectionState, QStringLiteral("connected"));
    QVERIFY(view->hasResult);
    QVERIFY(!view->url.contains(u"s3cret"));
    QCOMPARE(lockIn(engine, QStringLiteral("cache"), "lock:orders")->holder, QByteArrayLiteral("worker-7"));
    const LockInfo *redisson = lockIn(engine, QStringLiteral("cache"), "jobs:lock:nightly");
    QVERIFY(redisson);
    QCOMPARE(redisson->kind, QStringLiteral("redisson"));
    QVERIFY(!scans.isEmpty());
    QCOMPARE(scans.first().at(0).toString(), QStringLiteral("cache"));

    // Polling continues: a new lock shows up without anything asking for it.
    redis.command({"SET", "lock:late", "worker-9"});
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), lockIn(engine, QStringLiteral("cache"), "lock:late") != nullptr), 5000);

    // Redis goes away: the endpoint says so, the proxy keeps serving.
    redis.kill();
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), engine.snapshot().lockEndpoint(u"cache")->connectionState != u"connected"), 5000);
    QVERIFY(engine.isRunning());
    QCOMPARE(httpGet(engine.proxy().listeners().front().port, "/").status, 200);
}

void TestEngine::releaseThroughEngine()
{
    RedisServer redis(RedisServer::Options{QByteArrayLiteral("s3cret-pass"), false, {}});
    QTemporaryDir dir;
    RedisEndpointConfig endpoint;
    QVERIFY(startRedisWithPassword(redis, dir, &endpoint));
    redis.command({"SET", "lock:orders", "worker-7"});
    InProcessDemoBackend app1(QStringLiteral("app1"));
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())});
    config.locks.push_back(LockEndpointConfig::fromRedis(endpoint));
    Engine engine;
    QStringList errors;
    QVERIFY(engine.start(config, &errors));
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), lockIn(engine, QStringLiteral("cache"), "lock:orders") != nullptr), 5000);

    auto release = [&engine](const QString &name, const QByteArray &key, const QByteArray &holder) {
        std::optional<ForceReleaseResult> result;
        engine.releaseLock(name, LockReleaseRequest{LockReleaseRequest::Delete, key, holder}, QStringLiteral("dave"), QStringLiteral("test"), [&result](const ForceReleaseResult &r) { result = r; });
        (void)QTest::qWaitFor([&result] { return result.has_value(); }, 5000);
        return result.value_or(ForceReleaseResult{});
    };

    // The holder changed since it was listed: nothing is deleted.
    redis.command({"SET", "lock:orders", "worker-8"});
    ForceReleaseResult r = release(QStringLiteral("cache"), "lock:orders", "worker-7");
    QCOMPARE(r.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(r.currentHolder, QByteArrayLiteral("worker-8"));
    QCOMPARE(redis.command({"GET", "lock:orders"}).string, QByteArrayLiteral("worker-8"));

    r = release(QStringLiteral("cache"), "lock:orders", "worker-8");
    QCOMPARE(r.outcome, ForceReleaseResult::Released);
    QCOMPARE(redis.command({"EXISTS", "lock:orders"}).integer, 0);
    QTRY_VERIFY_WITH_TIMEOUT((engine.tick(), lockIn(engine, QStringLiteral("cache"), "lock:orders") == nullptr), 5000);

    r = release(QStringLiteral("nosuch"), "lock:orders", "worker-8");
    QCOMPARE(r.outcome, ForceReleaseResult::Failed);
    QVERIFY2(r.message.contains(u"\"nosuch\"") && r.message.contains(u"cache"), qPrintable(r.message));

    // The endpoint is reconfigured while a release waits for Redis: its caller still gets an answer.
    redis.command({"SET", "lock:orders", "worker-9"});
    std::optional<ForceReleaseResult> interrupted;
    engine.releaseLock(QStringLiteral("cache"), LockReleaseRequest{LockReleaseRequest::Delete, "lock:orders", "worker-9"}, QStringLiteral("dave"), QStringLiteral("test"),
                       [&interrupted](const ForceReleaseResult &r) { interrupted = r; });
    config.locks.front().redis.pollIntervalMs = 200;
    QVERIFY2(engine.reload(config, &errors), qPrintable(errors.join(u'\n')));
    QTRY_VERIFY_WITH_TIMEOUT(interrupted.has_value(), 5000);
    QCOMPARE(interrupted->outcome, ForceReleaseResult::Failed);
    QVERIFY2(interrupted->message.contains(u"reconfigured"), qPrintable(interrupted->message));

    const QList<AuditEntry> audit = engine.auditLog().recent();
    QCOMPARE(audit.size(), 3);
    QVERIFY(audit.last().result.startsWith(u"unknown"));
    QCOMPARE(audit.at(1).result, QStringLiteral("ok"));
    QCOMPARE(audit.first().user, QStringLiteral("dave"));
    QCOMPARE(audit.first().action, QStringLiteral("force-release"));
    QVERIFY(audit.first().result.startsWith(u"holder changed"));
}

void TestEngine::unreadablePasswordShowsErrorAndProxyRuns()
{
    InProcessDemoBackend app1(QStringLiteral("app1"));
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port())});
    RedisEndpointConfig endpoint;
    endpoint.name = QStringLiteral("cache");
    endpoint.port = 1;
    endpoint.password = SecretSource{SecretSource::Environment, QStringLiteral("FULCRUM_TEST_UNSET_PASSWORD")};
    config.locks.push_back(LockEndpointConfig::fromRedis(endpoint));
    RedisEndpointConfig keychainEndpoint = endpoint;
    keychainEndpoint.name = QStringLiteral("vault");
    keychainEndpoint.password = SecretSource{SecretSource::Keychain, {}};
    config.locks.push_back(LockEndpointConfig::fromRedis(keychainEndpoint));
    Engine engine;
    QStringList errors;
    QVERIFY(engine.start(config, &errors));
    const LockEndpointView *view = engine.snapshot().lockEndpoint(u"cache");
    QVERIFY(view);
    QCOMPARE(view->connectionState, QStringLiteral("not started"));
    QVERIFY2(view->lastError.contains(u"FULCRUM_TEST_UNSET_PASSWORD"), qPrintable(view->lastError));
    QVERIFY2(engine.snapshot().lockEndpoint(u"vault")->lastError.contains(u"keychain"), qPrintable(engine.snapshot().lockEndpoint(u"vault")->lastError));
    QCOMPARE(httpGet(engine.proxy().listeners().front().port, "/").status, 200);
}

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
