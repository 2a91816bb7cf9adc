#include "engine.h"

#include "balancer/pool.h"
#include "proxy/proxyserver.h"

#include <QDir>
#include <QTimer>

#include <chrono>
#include <set>

namespace fulcrum {

namespace {

constexpr int kEventsKept = 1000;
constexpr int kHistorySeconds = 3600;
constexpr int kWindowSeconds = 10;

qint64 monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace

const ServerSnapshot *PoolView::server(QStringView name) const
{
    for (const ServerSnapshot &s : servers) {
        if (s.spec.name == name)
            return &s;
    }
    return nullptr;
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
    connect(m_proxy, &ProxyServer::stopped, this, [this] {
        m_tickTimer->stop();
        tick();
        addEvent(EngineEvent::Info, QStringLiteral("engine"), QStringLiteral("stopped"));
        Q_EMIT stopped();
    });
}

Engine::~Engine() = default;

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
    }
    m_config = config;
    applyPools(config);
    if (!m_proxy->start(config.proxy, config.listeners, poolMap(), errors)) {
        m_pools.clear();
        return false;
    }
    for (const ProxyServer::BoundListener &l : m_proxy->listeners())
        addEvent(EngineEvent::Info, QStringLiteral("proxy"), QStringLiteral("listening on %1:%2 for pool \"%3\"").arg(l.host).arg(l.port).arg(l.pool));
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
            pool->replace(pc.options, pc.servers);
        next.emplace(pc.name, pool);
    }
    m_pools = std::move(next);
    m_config = config;
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

bool Engine::setWeight(const QString &poolName, const QString &server, int weight, const QString &user, const QString &origin, QString *error)
{
    AuditEntry entry;
    entry.time = QDateTime::currentDateTimeUtc();
    entry.user = user;
    entry.origin = origin;
    entry.action = QStringLiteral("set-weight");
    entry.target = QStringLiteral("%1/%2").arg(poolName, server);
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
        message = QStringLiteral("pool \"%1\" does not exist; pools: %2").arg(poolName, poolNames().join(QStringLiteral(", ")));
    }
    entry.result = ok ? QStringLiteral("ok") : message;
    m_audit->append(entry);
    addEvent(ok ? EngineEvent::Info : EngineEvent::Warning, QStringLiteral("operator"),
             ok ? QStringLiteral("%1 set weight of %2 from %3 to %4").arg(user, entry.target, entry.before, entry.after)
                : QStringLiteral("%1 could not set weight of %2: %3").arg(user, entry.target, message));
    if (error)
        *error = message;
    return ok;
}

bool Engine::setState(const QString &poolName, const QString &server, BackendState state, const QString &user, const QString &origin, QString *error)
{
    AuditEntry entry;
    entry.time = QDateTime::currentDateTimeUtc();
    entry.user = user;
    entry.origin = origin;
    entry.action = QStringLiteral("set-state");
    entry.target = QStringLiteral("%1/%2").arg(poolName, server);
    entry.after = backendStateName(state);
    QString message;
    bool ok = false;
    if (const std::shared_ptr<Pool> p = pool(poolName)) {
        const auto snapshot = p->snapshot();
        const int index = snapshot->indexOf(server);
        if (index >= 0)
            entry.before = backendStateName(snapshot->backends[size_t(index)].spec.state);
        ok = p->setState(server, state, &message);
    } else {
        message = QStringLiteral("pool \"%1\" does not exist; pools: %2").arg(poolName, poolNames().join(QStringLiteral(", ")));
    }
    entry.result = ok ? QStringLiteral("ok") : message;
    m_audit->append(entry);
    addEvent(ok ? EngineEvent::Info : EngineEvent::Warning, QStringLiteral("operator"),
             ok ? QStringLiteral("%1 set state of %2 from %3 to %4").arg(user, entry.target, entry.before, entry.after)
                : QStringLiteral("%1 could not set state of %2: %3").arg(user, entry.target, message));
    if (error)
        *error = message;
    return ok;
}

void Engine::setTickRate(int hz)
{
    m_tickHz = qBound(1, hz, 4);
    m_tickTimer->start(1000 / m_tickHz);
}

void Engine::tick()
{
    const qint64 now = monotonicMs();
    const QDateTime wall = QDateTime::currentDateTimeUtc();
    std::map<std::pair<QString, QString>, ServerTotals> totals;
    m_proxy->collect([&totals](const WorkerServer &s) { s.counters.addTo(totals[{s.pool, s.name}]); });

    EngineSnapshot snapshot;
    snapshot.sequence = m_snapshot.sequence + 1;
    snapshot.time = wall;
    snapshot.proxyRunning = m_proxy->isRunning();
    snapshot.workers = m_proxy->workerCount();
    for (const ProxyServer::BoundListener &l : m_proxy->listeners())
        snapshot.listeners.push_back(ListenerView{l.name, l.host, l.port, l.pool});
    std::set<std::pair<QString, QString>> seen;
    for (const PoolConfig &pc : m_config.pools) {
        const std::shared_ptr<Pool> p = pool(pc.name);
        if (!p)
            continue;
        const auto ps = p->snapshot();
        PoolView view;
        view.name = ps->name;
        view.options = ps->options;
        for (const PoolBackend &b : ps->backends) {
            const std::pair<QString, QString> key{ps->name, b.spec.name};
            seen.insert(key);
            std::unique_ptr<ServerStatsTracker> &tracker = m_trackers[key];
            if (!tracker)
                tracker = std::make_unique<ServerStatsTracker>(kHistorySeconds, kWindowSeconds);
            tracker->update(totals[key], b.live->inFlight.load(std::memory_order_relaxed),
                            b.live->consecutiveFailures.load(std::memory_order_relaxed), now, wall.toMSecsSinceEpoch());
            view.servers.push_back(ServerSnapshot{b.spec, b.effectiveWeight, tracker->stats()});
        }
        snapshot.pools.push_back(std::move(view));
    }
    for (auto it = m_trackers.begin(); it != m_trackers.end();) {
        if (seen.count(it->first))
            ++it;
        else
            it = m_trackers.erase(it);
    }
    m_snapshot = std::move(snapshot);
    Q_EMIT snapshotReady(m_snapshot);
}

std::vector<StatsPoint> Engine::history(const QString &pool, const QString &server) const
{
    auto it = m_trackers.find({pool, server});
    return it == m_trackers.end() ? std::vector<StatsPoint>{} : it->second->history().points();
}

void Engine::addEvent(EngineEvent::Severity severity, const QString &source, const QString &text)
{
    EngineEvent event{QDateTime::currentDateTimeUtc(), severity, source, text};
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
