// The wire codec (core/admin/adminjson.*): every type the admin API carries, encoded and decoded
// again, field by field, and the console's view of an engine (SnapshotMapper) the same whether
// the snapshot came from the engine in this process or across the wire.
#include "admin/adminjson.h"
#include "balancer/picker.h"
#include "common/wallclock.h"
#include "engine/auditlog.h"
#include "engine/linkfigures.h"

#include <QJsonArray>
#include <QTest>

using namespace fulcrum;

namespace {

// The engine's clock now, in whole ms as the wire carries it: nothing here depends on the date.
const QDateTime kTime = QDateTime::fromMSecsSinceEpoch(wallclock::nowMs(), Qt::UTC);

ServerSnapshot makeServer(const QString &name, const QString &host, quint16 port)
{
    ServerSnapshot s;
    s.spec.name = name;
    s.spec.host = host;
    s.spec.port = port;
    s.spec.weight = 80;
    s.spec.backup = true;
    s.spec.state = BackendState::Drain;
    s.effectiveWeight = 40;
    s.stats.inFlight = 3;
    s.stats.activeConnections = 7;
    s.stats.consecutiveFailures = 2;
    s.stats.requestsPerSecond = 123.5;
    s.stats.meanMs = 4.25;
    s.stats.p50Ms = 3.5;
    s.stats.p95Ms = 9.75;
    s.stats.p99Ms = 21.125;
    s.stats.totals.requests = 100'000;
    s.stats.totals.responses = {1, 90'000, 300, 9'000, 699};
    s.stats.totals.connectFailures = 12;
    s.stats.totals.timeouts = 5;
    ServerHealth &h = s.health;
    h.name = name;
    h.state = QStringLiteral("drain");
    h.stateText = QStringLiteral("drain, 1/3 failed");
    h.admin = AdminState::Drain;
    h.timeInStateMs = 65'000;
    h.lastCheck.reason = CheckReason::L7STS;
    h.lastCheck.httpStatus = 503;
    h.lastCheck.durationUs = 2'500;
    h.lastCheck.detail = QStringLiteral("body lacks \"ok\"");
    h.lastCheckMs = kTime.toMSecsSinceEpoch() - 1'500;
    h.checks = 42;
    h.ejected = false;
    h.slowStarting = true;
    return s;
}

LockInfo makeLock(const QByteArray &key)
{
    LockInfo lock;
    lock.backend = QStringLiteral("redis");
    lock.key = key;
    lock.kind = QStringLiteral("redisson");
    lock.holder = QByteArray("8743c9c0:57\x01\xff", 13);
    lock.holderText = QStringLiteral("worker-7");
    lock.ttlMs = 29'000;
    lock.acquiredAt = kTime.addSecs(-30);
    lock.firstSeen = kTime.addSecs(-20);
    lock.heldForMs = 20'000;
    lock.flags = LockInfo::LongHeld;
    lock.readAt = kTime;
    return lock;
}

LockEndpointView makeEndpoint(bool withRows)
{
    LockEndpointView e;
    e.name = QStringLiteral("orders");
    e.backend = QStringLiteral("redis");
    e.url = QStringLiteral("rediss://ops@127.0.0.1:6380/0");
    e.tlsInsecure = true;
    e.connectionState = QStringLiteral("connected");
    e.lastError = QStringLiteral("pass restarted");
    e.pollIntervalMs = 2'000;
    e.effectivePollIntervalMs = 5'200;
    e.scanning = true;
    e.passKeysScanned = 5'000;
    e.passDetail = QStringLiteral("shard 1: 5000 keys");
    e.hasResult = true;
    e.lastResult.keysScanned = 123'456;
    e.lastResult.elapsedMs = 1'300;
    e.lastResult.finishedAt = kTime.addSecs(-2);
    e.lastResult.truncated = true;
    e.capabilities.backend = e.backend;
    e.capabilities.displayName = QStringLiteral("Redis Cluster");
    e.capabilities.ttl = true;
    e.capabilities.sessions = true;
    e.capabilities.clientAddress = true;
    e.capabilities.kinds = {QStringLiteral("plain"), QStringLiteral("redisson")};
    e.capabilities.releaseEffect = QStringLiteral("deletes the key if the holder is unchanged");
    e.feed.mode = LockFeedState::Live;
    e.feed.why = QStringLiteral("following keyspace notifications");
    e.feed.liveSince = kTime.addSecs(-600);
    e.feed.eventsApplied = 77;
    if (withRows) {
        e.lastResult.locks = {makeLock("lock:a"), makeLock("lock:b\n")};
        e.lastResult.notes = {LockScanNote{QByteArray("lock:x\x02", 7), QStringLiteral("a list, not a lock")}};
    }
    return e;
}

EngineSnapshot makeSnapshot()
{
    EngineSnapshot snapshot;
    snapshot.sequence = 9'001;
    snapshot.time = kTime;
    snapshot.proxyRunning = true;
    snapshot.workers = 2;
    snapshot.listeners = {ListenerView{QStringLiteral("web"), QStringLiteral("::1"), 8080, QStringLiteral("shop"), true}};
    PoolView pool;
    pool.name = QStringLiteral("shop");
    pool.options.algorithm = Algorithm::LeastConnections;
    pool.panic = true;
    pool.cannotServe = true;
    pool.unservedTotal = 17;
    pool.healthy = 1;
    pool.eligible = 2;
    pool.servers = {makeServer(QStringLiteral("app1"), QStringLiteral("127.0.0.1"), 9001),
                    makeServer(QStringLiteral("app2"), QStringLiteral("::1"), 9002)};
    pool.servers[1].spec.state = BackendState::Up;
    pool.servers[1].health.state = QStringLiteral("up");
    pool.servers[1].health.stateText = QStringLiteral("up");
    pool.servers[1].health.admin = AdminState::Ready;
    snapshot.pools = {pool};
    snapshot.lockEndpoints = {makeEndpoint(false)};
    return snapshot;
}

void compareServers(const ServerSnapshot &got, const ServerSnapshot &want)
{
    QCOMPARE(got.spec.name, want.spec.name);
    QCOMPARE(got.spec.host, want.spec.host);
    QCOMPARE(got.spec.port, want.spec.port);
    QCOMPARE(got.spec.address(), want.spec.address());
    QCOMPARE(got.spec.weight, want.spec.weight);
    QCOMPARE(got.spec.backup, want.spec.backup);
    QCOMPARE(got.spec.state, want.spec.state);
    QCOMPARE(got.effectiveWeight, want.effectiveWeight);
    QCOMPARE(got.stats.inFlight, want.stats.inFlight);
    QCOMPARE(got.stats.activeConnections, want.stats.activeConnections);
    QCOMPARE(got.stats.consecutiveFailures, want.stats.consecutiveFailures);
    QCOMPARE(got.stats.requestsPerSecond, want.stats.requestsPerSecond);
    QCOMPARE(got.stats.meanMs, want.stats.meanMs);
    QCOMPARE(got.stats.p50Ms, want.stats.p50Ms);
    QCOMPARE(got.stats.p95Ms, want.stats.p95Ms);
    QCOMPARE(got.stats.p99Ms, want.stats.p99Ms);
    QCOMPARE(got.stats.totals.requests, want.stats.totals.requests);
    QCOMPARE(got.stats.totals.responses, want.stats.totals.responses);
    QCOMPARE(got.stats.totals.connectFailures, want.stats.totals.connectFailures);
    QCOMPARE(got.stats.totals.timeouts, want.stats.totals.timeouts);
    QCOMPARE(got.health.state, want.health.state);
    QCOMPARE(got.health.stateText, want.health.stateText);
    QCOMPARE(got.health.admin, want.health.admin);
    QCOMPARE(got.health.timeInStateMs, want.health.timeInStateMs);
    QCOMPARE(got.health.lastCheck.reason, want.health.lastCheck.reason);
    QCOMPARE(got.health.lastCheck.httpStatus, want.health.lastCheck.httpStatus);
    QCOMPARE(got.health.lastCheck.durationUs, want.health.lastCheck.durationUs);
    QCOMPARE(got.health.lastCheck.detail, want.health.lastCheck.detail);
    QCOMPARE(got.health.lastCheckMs, want.health.lastCheckMs);
    QCOMPARE(got.health.checks, want.health.checks);
    QCOMPARE(got.health.checksEnabled, want.health.checksEnabled);
    QCOMPARE(got.health.ejected, want.health.ejected);
    QCOMPARE(got.health.slowStarting, want.health.slowStarting);
}

void compareLocks(const QList<LockInfo> &got, const QList<LockInfo> &want)
{
    QCOMPARE(got.size(), want.size());
    for (qsizetype i = 0; i < got.size(); ++i) {
        QCOMPARE(got[i].key, want[i].key);
        QCOMPARE(got[i].holder, want[i].holder);
        QCOMPARE(got[i].kind, want[i].kind);
        QCOMPARE(got[i].ttlMs, want[i].ttlMs);
        QCOMPARE(got[i].readAt, want[i].readAt);
        QCOMPARE(got[i].toJson(), want[i].toJson());
    }
}

} // namespace

class TestWireCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void serverRoundTrips();
    void serverBeforeItsFirstCheck();
    void ejectedServerIsDownForTheBalancer();
    void poolRoundTrips();
    void weightInUseFollowsPanic();
    void lockEndpointRoundTrips_data();
    void lockEndpointRoundTrips();
    void snapshotRoundTrips();
    void engineEventRoundTrips_data();
    void engineEventRoundTrips();
    void healthEventRoundTrips_data();
    void healthEventRoundTrips();
    void lockChangesRoundTrip();
    void lockFeedRoundTrips();
    void auditEntryRoundTrips();
    void emptyJsonDecodesToDefaults();
    void consoleViewIsTheSameInProcessAndAcrossTheWire();
};

void TestWireCodec::serverRoundTrips()
{
    const ServerSnapshot server = makeServer(QStringLiteral("app1"), QStringLiteral("::1"), 9001);
    const QJsonObject json = serverToJson(server);
    QCOMPARE(json.value(QStringLiteral("address")).toString(), QStringLiteral("[::1]:9001"));
    QCOMPARE(json.value(QStringLiteral("last_check")).toObject().value(QStringLiteral("reason")).toString(), QStringLiteral("L7STS 503"));
    QCOMPARE(json.value(QStringLiteral("last_check")).toObject().value(QStringLiteral("at")).toString(), kTime.addMSecs(-1'500).toString(Qt::ISODateWithMs));
    const ServerSnapshot back = serverFromJson(json);
    compareServers(back, server);
    QCOMPARE(serverToJson(back), json);
}

void TestWireCodec::serverBeforeItsFirstCheck()
{
    ServerSnapshot server = makeServer(QStringLiteral("app1"), QStringLiteral("10.0.0.5"), 80);
    server.health.lastCheck = CheckResult();
    server.health.lastCheckMs = 0;
    server.health.checks = 0;
    server.health.admin = AdminState::Ready;
    const QJsonObject json = serverToJson(server);
    QVERIFY(json.value(QStringLiteral("last_check")).toObject().value(QStringLiteral("at")).isNull());
    const ServerSnapshot back = serverFromJson(json);
    QCOMPARE(back.health.lastCheck.reason, CheckReason::None);
    QCOMPARE(back.health.lastCheckMs, 0);
    QCOMPARE(serverToJson(back), json);
    // The console's reason column: a check is coming, or none ever will (checks off).
    const auto reasonShown = [](const ServerSnapshot &s) {
        EngineSnapshot engine;
        engine.time = kTime;
        PoolView pool;
        pool.name = QStringLiteral("web");
        pool.servers.push_back(s);
        engine.pools.push_back(pool);
        return SnapshotMapper().map(engine, 250).servers.value(0).reason;
    };
    QCOMPARE(reasonShown(back), QStringLiteral("not checked yet"));
    server.health.checksEnabled = false;
    const ServerSnapshot off = serverFromJson(serverToJson(server));
    QCOMPARE(off.health.checksEnabled, false);
    QCOMPARE(reasonShown(off), QStringLiteral("checks off"));
    // From an engine that does not send the field: as before, a check is coming.
    QJsonObject old = serverToJson(server);
    old.remove(QStringLiteral("checks_enabled"));
    QCOMPARE(serverFromJson(old).health.checksEnabled, true);
}

void TestWireCodec::ejectedServerIsDownForTheBalancer()
{
    ServerSnapshot server = makeServer(QStringLiteral("app1"), QStringLiteral("127.0.0.1"), 80);
    server.spec.state = BackendState::Down;
    server.health.state = QStringLiteral("ejected");
    server.health.ejected = true;
    const ServerSnapshot back = serverFromJson(serverToJson(server));
    QCOMPARE(back.spec.state, BackendState::Down);
    QCOMPARE(back.health.state, QStringLiteral("ejected"));
    QVERIFY(back.health.ejected);
}

void TestWireCodec::poolRoundTrips()
{
    const PoolView pool = makeSnapshot().pools.front();
    const QJsonObject json = poolToJson(pool);
    const PoolView back = poolFromJson(json);
    QCOMPARE(back.name, pool.name);
    QCOMPARE(back.options.algorithm, Algorithm::LeastConnections);
    QCOMPARE(back.panic, true);
    QCOMPARE(back.cannotServe, true);
    QCOMPARE(back.unservedTotal, 17u);
    QCOMPARE(back.healthy, 1);
    QCOMPARE(back.eligible, 2);
    QCOMPARE(back.servers.size(), size_t(2));
    for (size_t i = 0; i < back.servers.size(); ++i)
        compareServers(back.servers[i], pool.servers[i]);
    QCOMPARE(poolToJson(back), json);
}

// The weight the console and `backends list` show as in use: the effective weight of a server
// that takes traffic, and 0 for one that does not. In panic mode a down server does take
// traffic (the proxy balances across failed servers too); drained and maintenance ones never.
void TestWireCodec::weightInUseFollowsPanic()
{
    PoolView pool;
    pool.name = QStringLiteral("web");
    const std::pair<BackendState, int> servers[] = {{BackendState::Up, 5}, {BackendState::Down, 3}, {BackendState::Drain, 2}, {BackendState::Maint, 1}};
    for (const auto &[state, weight] : servers) {
        ServerSnapshot s = makeServer(QStringLiteral("app%1").arg(pool.servers.size() + 1), QStringLiteral("127.0.0.1"), quint16(9000 + pool.servers.size()));
        s.spec.state = state;
        s.health.state = s.health.stateText = backendStateName(state);
        s.spec.weight = weight;
        s.effectiveWeight = weight;
        pool.servers.push_back(s);
    }
    const auto shown = [&](bool panic) {
        pool.panic = panic;
        EngineSnapshot engine;
        engine.time = kTime;
        engine.pools.push_back(poolFromJson(poolToJson(pool)));   // as a remote console gets it
        QList<int> weights;
        for (const ServerStatus &s : SnapshotMapper().map(engine, 250).servers)
            weights << s.effectiveWeight;
        return weights;
    };
    QCOMPARE(shown(false), (QList<int>{5, 0, 0, 0}));
    QCOMPARE(shown(true), (QList<int>{5, 3, 0, 0}));
}

void TestWireCodec::lockEndpointRoundTrips_data()
{
    QTest::addColumn<bool>("withRows");
    QTest::newRow("snapshot: counts only") << false;
    QTest::newRow("table: rows and notes") << true;
}

void TestWireCodec::lockEndpointRoundTrips()
{
    QFETCH(bool, withRows);
    const LockEndpointView endpoint = makeEndpoint(withRows);
    const QJsonObject json = lockEndpointToJson(endpoint, withRows);
    const LockEndpointView back = lockEndpointFromJson(json);
    QCOMPARE(back.name, endpoint.name);
    QCOMPARE(back.backend, endpoint.backend);
    QCOMPARE(back.url, endpoint.url);
    QCOMPARE(back.tlsInsecure, true);
    QCOMPARE(back.connectionState, endpoint.connectionState);
    QCOMPARE(back.lastError, endpoint.lastError);
    QCOMPARE(back.pollIntervalMs, endpoint.pollIntervalMs);
    QCOMPARE(back.effectivePollIntervalMs, endpoint.effectivePollIntervalMs);
    QCOMPARE(back.scanning, true);
    QCOMPARE(back.passKeysScanned, endpoint.passKeysScanned);
    QCOMPARE(back.passDetail, endpoint.passDetail);
    QCOMPARE(back.hasResult, true);
    QCOMPARE(back.lastResult.keysScanned, endpoint.lastResult.keysScanned);
    QCOMPARE(back.lastResult.elapsedMs, endpoint.lastResult.elapsedMs);
    QCOMPARE(back.lastResult.finishedAt, endpoint.lastResult.finishedAt);
    QCOMPARE(back.lastResult.truncated, true);
    QCOMPARE(back.capabilities.displayName, QStringLiteral("Redis Cluster"));
    QCOMPARE(back.capabilities.ttl, true);
    QCOMPARE(back.capabilities.waiters, false);
    QCOMPARE(back.capabilities.sessions, true);
    QCOMPARE(back.capabilities.clientAddress, true);
    QCOMPARE(back.capabilities.kinds, endpoint.capabilities.kinds);
    QCOMPARE(back.capabilities.releaseEffect, endpoint.capabilities.releaseEffect);
    QVERIFY(back.feed == endpoint.feed);
    compareLocks(back.lastResult.locks, endpoint.lastResult.locks);
    QCOMPARE(back.lastResult.notes.size(), endpoint.lastResult.notes.size());
    for (qsizetype i = 0; i < back.lastResult.notes.size(); ++i) {
        QCOMPARE(back.lastResult.notes[i].key, endpoint.lastResult.notes[i].key);
        QCOMPARE(back.lastResult.notes[i].text, endpoint.lastResult.notes[i].text);
    }
    if (withRows)
        QCOMPARE(lockEndpointToJson(back, true), json);
}

void TestWireCodec::snapshotRoundTrips()
{
    const EngineSnapshot snapshot = makeSnapshot();
    const QJsonObject json = snapshotToJson(snapshot);
    const EngineSnapshot back = snapshotFromJson(json);
    QCOMPARE(back.sequence, snapshot.sequence);
    QCOMPARE(back.time, snapshot.time);
    QCOMPARE(back.proxyRunning, true);
    QCOMPARE(back.workers, 2);
    QCOMPARE(back.listeners.size(), size_t(1));
    QCOMPARE(back.listeners[0].name, QStringLiteral("web"));
    QCOMPARE(back.listeners[0].host, QStringLiteral("::1"));
    QCOMPARE(back.listeners[0].port, 8080);
    QCOMPARE(back.listeners[0].pool, QStringLiteral("shop"));
    QVERIFY(back.listeners[0].tls);
    QCOMPARE(back.pools.size(), size_t(1));
    QCOMPARE(back.pools[0].servers.size(), size_t(2));
    compareServers(back.pools[0].servers[1], snapshot.pools[0].servers[1]);
    QCOMPARE(back.lockEndpoints.size(), size_t(1));
    QCOMPARE(back.lockEndpoints[0].name, QStringLiteral("orders"));
    QCOMPARE(back.lockEndpoints[0].lastResult.locks.size(), 0);
    // What is on the wire survives whole, except the lock count of an endpoint sent without
    // its rows (the snapshot's), which is the size of the rows.
    QJsonObject again = snapshotToJson(back);
    QJsonArray endpoints = again.value(QStringLiteral("lock_endpoints")).toArray();
    QJsonObject endpoint = endpoints[0].toObject();
    QCOMPARE(endpoint.value(QStringLiteral("lock_count")).toInt(), 0);
    endpoint.insert(QStringLiteral("lock_count"), json.value(QStringLiteral("lock_endpoints")).toArray()[0].toObject().value(QStringLiteral("lock_count")));
    endpoints[0] = endpoint;
    again.insert(QStringLiteral("lock_endpoints"), endpoints);
    QCOMPARE(again, json);
}

void TestWireCodec::engineEventRoundTrips_data()
{
    QTest::addColumn<int>("severity");
    QTest::newRow("info") << int(EngineEvent::Info);
    QTest::newRow("warning") << int(EngineEvent::Warning);
    QTest::newRow("error") << int(EngineEvent::Error);
}

void TestWireCodec::engineEventRoundTrips()
{
    QFETCH(int, severity);
    const EngineEvent event{kTime, EngineEvent::Severity(severity), QStringLiteral("config"), QStringLiteral("reload refused: pools[0].name: empty")};
    const QJsonObject json = engineEventToJson(event);
    const EngineEvent back = engineEventFromJson(json);
    QCOMPARE(back.time, event.time);
    QCOMPARE(back.severity, event.severity);
    QCOMPARE(back.source, event.source);
    QCOMPARE(back.text, event.text);
    QCOMPARE(engineEventToJson(back), json);
}

void TestWireCodec::healthEventRoundTrips_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<qint64>("durationUs");
    QTest::newRow("check, timed") << int(HealthEvent::Check) << qint64(2'500);
    QTest::newRow("operator") << int(HealthEvent::Operator) << qint64(-1);
    QTest::newRow("outlier") << int(HealthEvent::Outlier) << qint64(-1);
    QTest::newRow("panic") << int(HealthEvent::Panic) << qint64(-1);
    QTest::newRow("outage") << int(HealthEvent::Outage) << qint64(-1);
}

void TestWireCodec::healthEventRoundTrips()
{
    QFETCH(int, kind);
    QFETCH(qint64, durationUs);
    HealthEvent event;
    event.kind = HealthEvent::Kind(kind);
    event.timeMs = kTime.toMSecsSinceEpoch();
    event.pool = QStringLiteral("shop");
    event.server = event.kind == HealthEvent::Panic || event.kind == HealthEvent::Outage ? QString() : QStringLiteral("app1");
    event.from = QStringLiteral("up, 2/3 failed");
    event.to = QStringLiteral("down");
    event.reason = QStringLiteral("L4CON (Connection refused)");
    event.checkDurationUs = durationUs;
    const QJsonObject json = healthEventToJson(event);
    const HealthEvent back = healthEventFromJson(json);
    QCOMPARE(back.kind, event.kind);
    QCOMPARE(back.timeMs, event.timeMs);
    QCOMPARE(back.pool, event.pool);
    QCOMPARE(back.server, event.server);
    QCOMPARE(back.from, event.from);
    QCOMPARE(back.to, event.to);
    QCOMPARE(back.reason, event.reason);
    QCOMPARE(back.checkDurationUs, event.checkDurationUs);
    QCOMPARE(healthEventToJson(back), json);
}

void TestWireCodec::lockChangesRoundTrip()
{
    LockChanges changes;
    changes.at = kTime;
    changes.upserted = {makeLock("lock:cart:1001")};
    changes.removed = {QByteArray("lock:gone"), QByteArray("lock:\x00\xfe", 7)};
    const LockFeedState feed = makeEndpoint(false).feed;
    const QJsonObject json = lockChangesToJson(QStringLiteral("orders"), feed, changes);
    const LockChangesMessage back = lockChangesFromJson(json);
    QCOMPARE(back.endpoint, QStringLiteral("orders"));
    QVERIFY(back.feed == feed);
    QCOMPARE(back.changes.at, changes.at);
    QCOMPARE(back.changes.removed, changes.removed);
    compareLocks(back.changes.upserted, changes.upserted);
    QCOMPARE(lockChangesToJson(back.endpoint, back.feed, back.changes), json);
}

void TestWireCodec::lockFeedRoundTrips()
{
    LockFeedState polling;
    polling.why = QStringLiteral("the server's notify-keyspace-events lacks K");
    polling.needs = QStringLiteral("notify-keyspace-events Kg$hxe");
    polling.canEnable = true;
    for (const LockFeedState &feed : {polling, makeEndpoint(false).feed}) {
        const QJsonObject json = lockFeedToJson(feed);
        QVERIFY(lockFeedFromJson(json) == feed);
        QCOMPARE(lockFeedToJson(lockFeedFromJson(json)), json);
    }
}

void TestWireCodec::auditEntryRoundTrips()
{
    const AuditEntry entry{kTime, QStringLiteral("alice"), QStringLiteral("fulcrumctl"), QStringLiteral("force-release"),
                           QStringLiteral("orders lock:a"), QStringLiteral("worker-7"), QString(), QStringLiteral("holder changed: worker-9")};
    const AuditEntry back = AuditEntry::fromJson(entry.toJson());
    QCOMPARE(back.time, entry.time);
    QCOMPARE(back.user, entry.user);
    QCOMPARE(back.origin, entry.origin);
    QCOMPARE(back.action, entry.action);
    QCOMPARE(back.target, entry.target);
    QCOMPARE(back.before, entry.before);
    QCOMPARE(back.after, entry.after);
    QCOMPARE(back.result, entry.result);
    // The console lists it as the lock action it was, with the engine's refusal.
    const LinkEvent event = auditLinkEvent(back);
    QCOMPARE(event.kind, LinkEvent::Kind::Lock);
    QCOMPARE(event.who, QStringLiteral("alice"));
    QCOMPARE(event.detail, entry.result);
}

void TestWireCodec::emptyJsonDecodesToDefaults()
{
    // An engine that says less (or a JSON object that is not ours) reads as "not known", never
    // as made-up figures.
    const EngineSnapshot snapshot = snapshotFromJson(QJsonObject());
    QVERIFY(snapshot.pools.empty());
    QVERIFY(!snapshot.time.isValid());
    const ServerSnapshot server = serverFromJson(QJsonObject{{QStringLiteral("name"), QStringLiteral("app1")}});
    QCOMPARE(server.spec.name, QStringLiteral("app1"));
    QCOMPARE(server.spec.state, BackendState::Down);
    QCOMPARE(server.health.lastCheck.reason, CheckReason::None);
    QCOMPARE(server.health.lastCheckMs, 0);
    const LockEndpointView endpoint = lockEndpointFromJson(QJsonObject());
    QCOMPARE(endpoint.backend, QStringLiteral("redis"));
    QVERIFY(!endpoint.hasResult);
    QCOMPARE(endpoint.feed.mode, LockFeedState::Polling);
    QCOMPARE(healthEventFromJson(QJsonObject()).checkDurationUs, -1);
}

void TestWireCodec::consoleViewIsTheSameInProcessAndAcrossTheWire()
{
    // Two ticks, so that the error rate over the last second has a window.
    EngineSnapshot first = makeSnapshot();
    EngineSnapshot second = makeSnapshot();
    second.sequence += 2;
    second.time = first.time.addMSecs(1'000);
    for (ServerSnapshot &s : second.pools[0].servers) {
        s.stats.totals.requests += 200;
        s.stats.totals.responses[4] += 30;
        s.stats.totals.connectFailures += 20;
    }
    SnapshotMapper inProcess;
    SnapshotMapper remote;
    LinkSnapshot local;
    LinkSnapshot wire;
    for (const EngineSnapshot &tick : {first, second}) {
        local = inProcess.map(tick, 500);
        wire = remote.map(snapshotFromJson(snapshotToJson(tick)), 500);
    }
    QCOMPARE(wire.sequence, local.sequence);
    QCOMPARE(wire.time, local.time);
    QCOMPARE(wire.pools.size(), 1);
    QCOMPARE(wire.pools[0].name, local.pools[0].name);
    QCOMPARE(wire.pools[0].cannotServe, true);
    QCOMPARE(wire.pools[0].panic, true);
    QCOMPARE(wire.servers.size(), local.servers.size());
    for (qsizetype i = 0; i < wire.servers.size(); ++i) {
        const ServerStatus &w = wire.servers[i];
        const ServerStatus &l = local.servers[i];
        QCOMPARE(w.key(), l.key());
        QCOMPARE(w.address, l.address);
        QCOMPARE(w.state, l.state);
        QCOMPARE(w.stateText, l.stateText);
        QCOMPARE(w.reason, l.reason);
        QCOMPARE(w.weight, l.weight);
        QCOMPARE(w.effectiveWeight, l.effectiveWeight);
        QCOMPARE(w.backup, l.backup);
        QCOMPARE(w.activeConnections, l.activeConnections);
        QCOMPARE(w.requestsPerSecond, l.requestsPerSecond);
        QCOMPARE(w.share, l.share);
        QCOMPARE(w.p99Ms, l.p99Ms);
        QCOMPARE(w.errorRate, l.errorRate);
        QCOMPARE(w.lastCheck, l.lastCheck);
        QCOMPARE(w.stateSince, l.stateSince);
    }
    // And the figures are the ones an operator expects: 50 of 200 requests failed in that second.
    QCOMPARE(wire.servers[0].errorRate, 0.25);
    QCOMPARE(wire.servers[0].reason, QStringLiteral("operator"));   // drained by an operator
    QCOMPARE(wire.servers[1].reason, QStringLiteral("L7STS 503 in 2ms (body lacks \"ok\")"));
    QCOMPARE(wire.servers[1].lastCheck, kTime.addMSecs(-1'500));
    QCOMPARE(wire.servers[1].stateSince, second.time.addMSecs(-65'000));
    QCOMPARE(wire.servers[0].effectiveWeight, 0);   // not up: no traffic, whatever the balancer's figure
    QCOMPARE(wire.servers[1].effectiveWeight, 40);
}

QTEST_GUILESS_MAIN(TestWireCodec)
#include "tst_wirecodec.moc"
