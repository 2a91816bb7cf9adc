#include "engine.h"

#include "proxy/tls.h"

#include "balancer/pool.h"
#include "common/wallclock.h"
#include "health/healthchecker.h"
#include "engine/lockservice.h"
#include "proxy/proxyserver.h"

#include <QDir>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>

namespace fulcrum {

namespace {

// A listener's routes for its start event: ", and /api/ to pool \"api\", /static/ to …".
QString routesText(const std::vector<ListenerRoute> &routes)
{
    QStringList parts;
    for (const ListenerRoute &route : routes)
        parts << QStringLiteral("%1 to pool \"%2\"").arg(route.text(), route.pool);
    return parts.isEmpty() ? QString() : QStringLiteral(", but %1").arg(parts.join(QStringLiteral(", ")));
}

} // namespace

namespace {

constexpr int kEventsKept = 1000;
constexpr int kHistorySeconds = 3600;
constexpr int kWindowSeconds = 10;

qint64 monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A reload must not put a drained, maintained or down server back into rotation until the
// health checker's next decision: servers that stay keep the state they have now.
std::vector<BackendSpec> withCurrentStates(const Pool &pool, std::vector<BackendSpec> servers)
{
    const auto current = pool.snapshot();
    for (BackendSpec &spec : servers) {
        const int index = current->indexOf(spec.name);
        if (index >= 0)
            spec.state = current->backends[size_t(index)].spec.state;
    }
    return servers;
}

} // namespace

const LockEndpointView *EngineSnapshot::lockEndpoint(QStringView name) const
{
    for (const LockEndpointView &e : lockEndpoints) {
        if (e.name == name)
            return &e;
    }
    return nullptr;
}

const ServerSnapshot *PoolView::server(QStringView name) const
{
    for (const ServerSnapshot &s : servers) {
        if (s.spec.name == name)
            return &s;
    }
    return nullptr;
}

int PoolView::weightInUse(const ServerSnapshot &s) const
{
    const bool used = s.spec.state == BackendState::Up || (panic && s.spec.state == BackendState::Down);
    return used ? s.effectiveWeight : 0;
}

const PoolView *EngineSnapshot::pool(QStringView name) const
{
    for (const PoolView &p : pools) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

Engine::Engine(QObject *parent)
    : QObject(parent)
    , m_proxy(new ProxyServer(this))
    , m_audit(std::make_unique<AuditLog>())
{
    qRegisterMetaType<fulcrum::EngineSnapshot>();
    qRegisterMetaType<fulcrum::EngineEvent>();
    m_tickTimer = new QTimer(this);
    connect(m_tickTimer, &QTimer::timeout, this, &Engine::tick);
    m_locks = new LockService(m_audit.get(), this);
    connect(m_locks, &LockService::scanFinished, this, &Engine::lockScanFinished);
    connect(m_locks, &LockService::rowsChanged, this, &Engine::lockRowsChanged);
    connect(m_locks, &LockService::eventOccurred, this, [this](int severity, const QString &source, const QString &text) {
        addEvent(EngineEvent::Severity(severity), source, text);
    });
    connect(m_proxy, &ProxyServer::stopped, this, [this] {
        m_tickTimer->stop();
        for (const auto &[name, checker] : m_health)
            checker->stop();
        m_locks->clear();
        tick();
        addEvent(EngineEvent::Info, QStringLiteral("engine"), QStringLiteral("stopped"));
        Q_EMIT stopped();
    });
}

Engine::~Engine()
{
    m_locks->clear();
    for (const auto &[name, checker] : m_health)
        delete checker;
    m_health.clear();
}

bool Engine::isRunning() const
{
    return m_proxy->isRunning();
}

QHash<QString, std::shared_ptr<Pool>> Engine::poolMap() const
{
    QHash<QString, std::shared_ptr<Pool>> map;
    for (const auto &[name, pool] : m_pools)
        map.insert(name, pool);
    return map;
}

void Engine::applyPools(const Config &config)
{
    std::map<QString, std::shared_ptr<Pool>> next;
    for (const PoolConfig &pc : config.pools) {
        auto it = m_pools.find(pc.name);
        if (it != m_pools.end()) {
            it->second->replace(pc.options, pc.servers);
            next.emplace(pc.name, it->second);
        } else {
            next.emplace(pc.name, std::make_shared<Pool>(pc.name, pc.options, pc.servers));
        }
    }
    // Removed pools live on in the workers until no listener or request uses them.
    m_pools = std::move(next);
}

bool Engine::start(const Config &config, QStringList *errors)
{
    if (isRunning()) {
        errors->append(QStringLiteral("the engine is already running; reload instead"));
        return false;
    }
    if (!config.stateDir.isEmpty()) {
        QDir().mkpath(config.stateDir);
        m_audit = std::make_unique<AuditLog>(QDir(config.stateDir).filePath(QStringLiteral("audit.log")));
        m_locks->setAuditLog(m_audit.get());
    }
    m_locks->setKeychain(m_keychain);
    m_config = config;
    QString runtimeError;
    if (!runtimeStatePath().isEmpty() && !m_runtime.load(runtimeStatePath(), &runtimeError))
        addEvent(EngineEvent::Error, QStringLiteral("engine"), QStringLiteral("%1; starting with the config's weights and states only").arg(runtimeError));
    applyPools(config);
    QStringList notes;
    if (!m_proxy->start(config.proxy, config.listeners, poolMap(), errors, &notes)) {
        m_pools.clear();
        return false;
    }
    for (const ProxyServer::BoundListener &l : m_proxy->listeners())
        addEvent(EngineEvent::Info, QStringLiteral("proxy"),
                 l.redirectTo.isEmpty()
                     ? QStringLiteral("listening on %1:%2 (%3) for pool \"%4\"%5").arg(l.host).arg(l.port).arg(l.tls ? QStringLiteral("https") : QStringLiteral("http"), l.pool, routesText(l.routes))
                 : l.redirectExcept.isEmpty()
                     ? QStringLiteral("listening on %1:%2 (http), redirecting every request to https on listener \"%3\"").arg(l.host).arg(l.port).arg(l.redirectTo)
                     : QStringLiteral("listening on %1:%2 (http), redirecting every request to https on listener \"%3\" but %4, sent to pool \"%5\"")
                           .arg(l.host).arg(l.port).arg(l.redirectTo, QString::fromLatin1(l.redirectExcept.join(", ")), l.pool));
    for (const QString &note : notes)
        addEvent(EngineEvent::Warning, QStringLiteral("config"), note);
    applyHealthCheckers(config);
    applyRuntimeState();
    m_locks->apply(config.locks);
    setTickRate(m_tickHz);
    tick();
    return true;
}

bool Engine::reload(const Config &config, QStringList *errors)
{
    // Bind new listeners before touching the pools, so a failure leaves everything as it was.
    const auto oldPools = m_pools;
    QHash<QString, std::shared_ptr<Pool>> candidate;
    for (const PoolConfig &pc : config.pools) {
        auto it = m_pools.find(pc.name);
        candidate.insert(pc.name, it != m_pools.end() ? it->second : std::make_shared<Pool>(pc.name, pc.options, pc.servers));
    }
    QStringList notes;
    if (!m_proxy->reconfigure(config.proxy, config.listeners, candidate, errors, &notes)) {
        addEvent(EngineEvent::Error, QStringLiteral("config"), QStringLiteral("reload rejected, still serving the previous config: %1").arg(errors->join(QStringLiteral("; "))));
        return false;
    }
    std::map<QString, std::shared_ptr<Pool>> next;
    for (const PoolConfig &pc : config.pools) {
        std::shared_ptr<Pool> pool = candidate.value(pc.name);
        if (oldPools.count(pc.name))
            pool->replace(pc.options, withCurrentStates(*pool, pc.servers));
        next.emplace(pc.name, pool);
    }
    m_pools = std::move(next);
    m_config = config;
    applyHealthCheckers(config);
    applyRuntimeState();
    m_locks->apply(config.locks);
    for (const QString &note : notes)
        addEvent(EngineEvent::Warning, QStringLiteral("config"), note);
    addEvent(EngineEvent::Info, QStringLiteral("config"), QStringLiteral("reloaded: %1 listener(s), %2 pool(s)").arg(config.listeners.size()).arg(config.pools.size()));
    Q_EMIT reloaded();
    tick();
    return true;
}

void Engine::stop()
{
    addEvent(EngineEvent::Info, QStringLiteral("engine"), QStringLiteral("stopping: no new connections, finishing requests in flight (up to %1 ms)").arg(m_config.proxy.stopTimeoutMs));
    m_proxy->stop();
}

QStringList Engine::poolNames() const
{
    QStringList names;
    for (const PoolConfig &pc : m_config.pools)
        names.append(pc.name);
    return names;
}

std::shared_ptr<Pool> Engine::pool(const QString &name) const
{
    auto it = m_pools.find(name);
    return it == m_pools.end() ? nullptr : it->second;
}

// The audit entry every operator command on a server starts from.
static AuditEntry operatorAction(const QString &action, const QString &poolName, const QString &server, const QString &user, const QString &origin)
{
    AuditEntry entry;
    entry.time = wallclock::nowUtc();
    entry.user = user;
    entry.origin = origin;
    entry.action = action;
    entry.target = QStringLiteral("%1/%2").arg(poolName, server);
    return entry;
}

bool Engine::setWeight(const QString &poolName, const QString &server, int weight, const QString &user, const QString &origin, QString *error)
{
    AuditEntry entry = operatorAction(QStringLiteral("set-weight"), poolName, server, user, origin);
    entry.after = QString::number(weight);
    QString message;
    bool ok = false;
    if (const std::shared_ptr<Pool> p = pool(poolName)) {
        const auto snapshot = p->snapshot();
        const int index = snapshot->indexOf(server);
        if (index >= 0)
            entry.before = QString::number(snapshot->backends[size_t(index)].spec.weight);
        ok = p->setWeight(server, weight, &message);
    } else {
        message = QStringLiteral("pool \"%1\" does not exist; pools: %2").arg(poolName, poolList());
    }
    entry.result = ok ? QStringLiteral("ok") : message;
    m_audit->append(entry);
    if (ok) {
        m_runtime.setWeight(poolName, server, weight);
        saveRuntimeState();
        if (HealthChecker *checker = healthChecker(poolName))
            checker->weightsChanged();
    }
    addEvent(ok ? EngineEvent::Info : EngineEvent::Warning, QStringLiteral("operator"),
             ok ? QStringLiteral("%1 set weight of %2 from %3 to %4").arg(user, entry.target, entry.before, entry.after)
                : QStringLiteral("%1 could not set weight of %2: %3").arg(user, entry.target, message));
    if (error)
        *error = message;
    return ok;
}

bool Engine::setAdminState(const QString &poolName, const QString &server, AdminState state, const QString &user, const QString &origin, QString *error)
{
    AuditEntry entry = operatorAction(QStringLiteral("set-state"), poolName, server, user, origin);
    entry.after = adminStateName(state);
    QString message;
    bool ok = false;
    if (HealthChecker *checker = healthChecker(poolName)) {
        for (const ServerHealth &h : checker->snapshot().servers) {
            if (h.name == server)
                entry.before = h.stateText;
        }
        ok = checker->setAdminState(server, state, &message);
    } else {
        message = QStringLiteral("pool \"%1\" does not exist; pools: %2").arg(poolName, poolList());
    }
    entry.result = ok ? QStringLiteral("ok") : message;
    m_audit->append(entry);
    addEvent(ok ? EngineEvent::Info : EngineEvent::Warning, QStringLiteral("operator"),
             ok ? QStringLiteral("%1 set state of %2 from %3 to %4").arg(user, entry.target, entry.before, entry.after)
                : QStringLiteral("%1 could not set state of %2: %3").arg(user, entry.target, message));
    if (ok) {
        m_runtime.setState(poolName, server, state);
        saveRuntimeState();
        tick();
    }
    if (error)
        *error = message;
    return ok;
}

bool Engine::setState(const QString &poolName, const QString &server, BackendState state, const QString &user, const QString &origin, QString *error)
{
    switch (state) {
    case BackendState::Up:
        return setAdminState(poolName, server, AdminState::Ready, user, origin, error);
    case BackendState::Drain:
        return setAdminState(poolName, server, AdminState::Drain, user, origin, error);
    case BackendState::Maint:
        return setAdminState(poolName, server, AdminState::Maint, user, origin, error);
    case BackendState::Down:
        break;
    }
    if (error)
        *error = QStringLiteral("state \"down\" comes from health checks only; set ready, drain or maint");
    return false;
}

QString Engine::runtimeStatePath() const
{
    return m_config.stateDir.isEmpty() ? QString() : QDir(m_config.stateDir).filePath(QStringLiteral("runtime-state.json"));
}

void Engine::applyRuntimeState()
{
    int applied = 0;
    for (const auto &[key, entry] : m_runtime.overrides()) {
        const std::shared_ptr<Pool> p = pool(key.first);
        HealthChecker *checker = healthChecker(key.first);
        // Entries for servers not in this config stay on file: a later config may bring them back.
        if (!p || !checker || p->snapshot()->indexOf(key.second) < 0)
            continue;
        QString why;
        if (entry.weight && !p->setWeight(key.second, *entry.weight, &why))
            addEvent(EngineEvent::Warning, QStringLiteral("engine"), QStringLiteral("runtime weight of %1/%2 not applied: %3").arg(key.first, key.second, why));
        // The event says where the state came from: at a start it is not an operator's action now.
        if (entry.state && !checker->setAdminState(key.second, *entry.state, &why, QStringLiteral("kept in %1").arg(runtimeStatePath())))
            addEvent(EngineEvent::Warning, QStringLiteral("engine"), QStringLiteral("runtime state of %1/%2 not applied: %3").arg(key.first, key.second, why));
        ++applied;
    }
    if (applied > 0)
        addEvent(EngineEvent::Info, QStringLiteral("engine"), QStringLiteral("applied runtime weights/states of %1 server(s) from %2").arg(applied).arg(runtimeStatePath()));
}

void Engine::saveRuntimeState()
{
    QString why;
    if (!runtimeStatePath().isEmpty() && !m_runtime.save(runtimeStatePath(), &why))
        addEvent(EngineEvent::Error, QStringLiteral("engine"), QStringLiteral("%1; the change applies now but will not survive a restart").arg(why));
}

QString Engine::poolList() const
{
    return poolNames().isEmpty() ? QStringLiteral("(none)") : poolNames().join(QStringLiteral(", "));
}

void Engine::applyHealthCheckers(const Config &config)
{
    std::map<QString, HealthChecker *> next;
    for (const PoolConfig &pc : config.pools) {
        auto it = m_health.find(pc.name);
        HealthChecker *checker = nullptr;
        if (it != m_health.end()) {
            checker = it->second;
            m_health.erase(it);
            checker->setConfig(pc);
        } else {
            checker = new HealthChecker(pool(pc.name), pc, {}, this);
            connect(checker, &HealthChecker::eventOccurred, this, &Engine::onHealthEvent);
            connect(checker, &HealthChecker::dnsNotice, this, [this](bool warning, const QString &text) {
                addEvent(warning ? EngineEvent::Warning : EngineEvent::Info, QStringLiteral("dns"), text);
            });
        }
        checker->setResolver(config.proxy.resolver);
        checker->start();
        next.emplace(pc.name, checker);
    }
    for (const auto &[name, checker] : m_health)
        delete checker;
    m_health = std::move(next);
}

void Engine::onHealthEvent(const HealthEvent &event)
{
    EngineEvent::Severity severity = EngineEvent::Info;
    if (event.to.startsWith(u"down") || event.to == u"PANIC" || event.kind == HealthEvent::Outage)
        severity = EngineEvent::Error;     // a pool that stops serving, and the end of it, are the loudest events there are
    else if (event.kind == HealthEvent::Outlier || event.to.contains(u"failed") || event.to == u"ejected")
        severity = EngineEvent::Warning;
    // A pool-wide event's text names the pool already ("pool web: serving → NO SERVER ...").
    addEvent(severity, QStringLiteral("health"), event.server.isEmpty() ? event.text() : QStringLiteral("%1: %2").arg(event.pool, event.text()));
    Q_EMIT healthEventOccurred(event);
}

HealthChecker *Engine::healthChecker(const QString &poolName) const
{
    auto it = m_health.find(poolName);
    return it == m_health.end() ? nullptr : it->second;
}

std::vector<HealthEvent> Engine::healthEvents() const
{
    std::vector<HealthEvent> all;
    for (const auto &[name, checker] : m_health) {
        const std::vector<HealthEvent> events = checker->events();
        all.insert(all.end(), events.begin(), events.end());
    }
    std::stable_sort(all.begin(), all.end(), [](const HealthEvent &a, const HealthEvent &b) { return a.timeMs < b.timeMs; });
    return all;
}

QStringList Engine::lockEndpointNames() const
{
    return m_locks->endpointNames();
}

void Engine::scanLocks(const QString &endpoint)
{
    m_locks->scan(endpoint);
}

void Engine::inspectLock(const QString &endpoint, const QByteArray &key, std::function<void(const LockInspection &)> done)
{
    m_locks->inspect(endpoint, key, std::move(done));
}

void Engine::enableLockNotifications(const QString &endpoint, const QString &user, const QString &origin,
                                     std::function<void(bool ok, const QString &message)> done)
{
    m_locks->enableNotifications(endpoint, user, origin, std::move(done));
}

std::vector<LockEndpointView> Engine::lockViews() const
{
    return m_locks->views();
}

std::optional<LockEndpointView> Engine::lockView(const QString &endpoint) const
{
    return m_locks->view(endpoint);
}

LockFeedState Engine::lockFeed(const QString &endpoint) const
{
    return m_locks->feed(endpoint);
}

void Engine::releaseLock(const QString &endpoint, const LockReleaseRequest &request, const QString &user, const QString &origin,
                         std::function<void(const ForceReleaseResult &)> done)
{
    m_locks->release(endpoint, request, user, origin, std::move(done));
}

void Engine::setTickRate(int hz)
{
    m_tickHz = qBound(1, hz, 4);
    m_tickTimer->start(1000 / m_tickHz);
}

void Engine::tick()
{
    const qint64 now = monotonicMs();
    const QDateTime wall = wallclock::nowUtc();
    std::map<std::pair<QString, QString>, ServerTotals> totals;
    m_proxy->collect([&totals](const WorkerServer &s) { s.counters.addTo(totals[{s.pool, s.name}]); });

    EngineSnapshot snapshot;
    snapshot.sequence = m_snapshot.sequence + 1;
    snapshot.time = wall;
    snapshot.proxyRunning = m_proxy->isRunning();
    snapshot.workers = m_proxy->workerCount();
    for (const ProxyServer::WorkerLoad &load : m_proxy->workerLoads()) {
        snapshot.workerConnections.push_back(load.connections);
        snapshot.workerHandoffs.push_back(load.handedOff);
    }
    for (const ProxyServer::BoundListener &l : m_proxy->listeners()) {
        ListenerView view{l.name, l.host, l.port, l.pool, l.tls, l.redirectTo};
        for (const QByteArray &prefix : l.redirectExcept)
            view.redirectExcept << QString::fromLatin1(prefix);
        for (const ListenerRoute &route : l.routes)
            view.routes.push_back({QString::fromLatin1(route.prefix), route.pool, QString::fromLatin1(route.host), QString::fromLatin1(route.prefixRewrite)});
        if (l.tlsStats) {
            view.tlsExpiresMs = l.tlsExpiry * 1000;
            view.tlsHandshakes = l.tlsStats->handshakes.load(std::memory_order_relaxed);
            view.tlsFailures = l.tlsStats->handshakeFailures.count.load(std::memory_order_relaxed);
            std::tie(view.tlsLastFailure, view.tlsLastFailureMs) = l.tlsStats->handshakeFailures.last();
            view.h2Connections = l.tlsStats->h2Connections.load(std::memory_order_relaxed);
            view.h2Streams = l.tlsStats->h2Streams.load(std::memory_order_relaxed);
            view.h2Refusals = l.tlsStats->h2Refusals.count.load(std::memory_order_relaxed);
            std::tie(view.h2LastRefusal, view.h2LastRefusalMs) = l.tlsStats->h2Refusals.last();
        }
        snapshot.listeners.push_back(std::move(view));
    }
    {
        const AccessLogStats &stats = m_proxy->accessLogStats();
        AccessLogView &log = snapshot.accessLog;
        log.enabled = m_config.proxy.accessLog.enabled();
        log.path = m_config.proxy.accessLog.path;
        log.lines = stats.lines.load(std::memory_order_relaxed);
        log.linesLost = stats.droppedLines.load(std::memory_order_relaxed);
        log.failures = stats.failures.count.load(std::memory_order_relaxed);
        std::tie(log.lastFailure, log.lastFailureMs) = stats.failures.last();
    }
    std::set<std::pair<QString, QString>> seen;
    const std::map<QString, quint64> unserved = m_proxy->unservedTotals();
    for (const PoolConfig &pc : m_config.pools) {
        const std::shared_ptr<Pool> p = pool(pc.name);
        if (!p)
            continue;
        const auto ps = p->snapshot();
        PoolView view;
        view.name = ps->name;
        view.options = ps->options;
        view.connectTimeoutMs = ps->options.connectTimeoutOr(m_config.proxy.connectTimeoutMs);
        view.responseTimeoutMs = ps->options.responseTimeoutOr(m_config.proxy.responseTimeoutMs);
        view.maxBodyBytes = ps->options.maxBodyBytesOr(m_config.proxy.maxBodyBytes);
        view.keepaliveTimeoutMs = ps->options.keepaliveTimeoutOr(m_config.proxy.idleTimeoutMs);
        view.maxIdlePerServer = ps->options.maxIdlePerServerOr(m_config.proxy.maxIdlePerServer);
        PoolHealth health;
        if (const HealthChecker *checker = healthChecker(pc.name))
            health = checker->snapshot();
        view.panic = health.panic;
        view.cannotServe = !ps->canServe();
        if (const auto it = unserved.find(ps->name); it != unserved.end())
            view.unservedTotal = it->second;
        view.healthy = health.healthy;
        view.eligible = health.eligible;
        for (const PoolBackend &b : ps->backends) {
            const std::pair<QString, QString> key{ps->name, b.spec.name};
            seen.insert(key);
            std::unique_ptr<ServerStatsTracker> &tracker = m_trackers[key];
            if (!tracker)
                tracker = std::make_unique<ServerStatsTracker>(kHistorySeconds, kWindowSeconds);
            tracker->update(totals[key], b.live->inFlight.load(std::memory_order_relaxed),
                            b.live->consecutiveFailures.load(std::memory_order_relaxed), now, wall.toMSecsSinceEpoch());
            ServerSnapshot server{b.spec, b.effectiveWeight, tracker->stats(), {}};
            for (const ServerHealth &h : health.servers) {
                if (h.name != b.spec.name)
                    continue;
                server.health = h;
                // The server's own state, as the admin API says it: in panic mode the balancer
                // sees a down server up, and a console showed it up (weightInUse says it serves).
                if (!h.state.isEmpty())
                    server.spec.state = backendStateOfHealth(h.state);
            }
            view.servers.push_back(std::move(server));
        }
        snapshot.pools.push_back(std::move(view));
    }
    snapshot.lockEndpoints = m_locks->views();
    for (auto it = m_trackers.begin(); it != m_trackers.end();) {
        if (seen.count(it->first))
            ++it;
        else
            it = m_trackers.erase(it);
    }
    m_snapshot = std::move(snapshot);
    m_totals = std::move(totals);
    noteAccessLog(now);
    Q_EMIT snapshotReady(m_snapshot);
}

void Engine::noteAccessLog(qint64 nowMs)
{
    // The tick's snapshot has just read the workers' figures.
    const AccessLogView &log = m_snapshot.accessLog;
    const quint64 failures = log.failures;
    const quint64 lines = log.lines;
    const quint64 dropped = log.linesLost;
    if (failures != m_accessLogFailures) {
        // Each worker tries again every second: say it once, then once a minute while it lasts.
        m_accessLogFailures = failures;
        if (!m_accessLogFailing || nowMs - m_accessLogWarnedMs >= 60'000) {
            addEvent(EngineEvent::Warning, QStringLiteral("access-log"),
                     QStringLiteral("%1; %2 line(s) lost so far (proxy.access_log; requests are served as before)").arg(log.lastFailure).arg(dropped));
            m_accessLogWarnedMs = nowMs;
        }
        m_accessLogFailing = true;
        m_accessLogLinesAtFailure = lines;
    } else if (m_accessLogFailing && lines > m_accessLogLinesAtFailure) {
        m_accessLogFailing = false;
        addEvent(EngineEvent::Info, QStringLiteral("access-log"), QStringLiteral("the access log is written again; %1 line(s) were lost in all").arg(dropped));
    }
}

std::vector<StatsPoint> Engine::history(const QString &pool, const QString &server) const
{
    auto it = m_trackers.find({pool, server});
    return it == m_trackers.end() ? std::vector<StatsPoint>{} : it->second->history().points();
}

const ServerTotals *Engine::totals(const QString &pool, const QString &server) const
{
    auto it = m_totals.find({pool, server});
    return it == m_totals.end() ? nullptr : &it->second;
}

void Engine::addEvent(EngineEvent::Severity severity, const QString &source, const QString &text)
{
    EngineEvent event{wallclock::nowUtc(), severity, source, text};
    m_events.push_back(event);
    while (int(m_events.size()) > kEventsKept)
        m_events.pop_front();
    Q_EMIT eventOccurred(event);
}

QList<EngineEvent> Engine::recentEvents() const
{
    return QList<EngineEvent>(m_events.begin(), m_events.end());
}

} // namespace fulcrum
