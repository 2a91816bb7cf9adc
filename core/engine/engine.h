#pragma once

#include "config/config.h"
#include "engine/auditlog.h"
#include "engine/enginesnapshot.h"
#include "engine/runtimestate.h"
#include "locks/lockbackend.h"
#include "metrics/serverstats.h"

#include <QHash>
#include <QObject>
#include <QStringList>

#include <deque>
#include <functional>
#include <map>
#include <memory>

class QTimer;

namespace fulcrum {

class HealthChecker;
class LockService;
class Pool;
class ProxyServer;
class SecretStore;

// The engine facade: owns the running config, the pools, the proxy workers, one health
// checker per pool, the lock service (one backend per lock endpoint) and the stats tick. Every operator command goes through here, is validated and written to the audit
// log; the console sees the engine only through snapshots and events (value types, sent by
// queued signals at a fixed tick). Lives in one thread (the main thread of fulcrumd, or
// the console's engine thread).
class Engine : public QObject
{
    Q_OBJECT

public:
    explicit Engine(QObject *parent = nullptr);
    ~Engine() override;

    // Where `"password": {"keychain": ...}` secrets come from (fulcrum_core cannot link
    // QtKeychain; the app injects a KeychainSecretStore). Set before start(); not owned. Without
    // one, endpoints with a keychain password show the error and are not polled.
    void setKeychain(SecretStore *keychain) { m_keychain = keychain; }

    // Starts serving a validated config. Errors name what failed (a listener that cannot
    // bind, ...); nothing is left running then.
    bool start(const Config &config, QStringList *errors);
    // Applies a new validated config while serving: pools keep their servers' live figures
    // and kept-alive connections where names match; on any error the running config stays.
    bool reload(const Config &config, QStringList *errors);
    // Graceful: stops accepting, lets requests in flight finish (proxy.stopTimeoutMs),
    // then emits stopped().
    void stop();
    bool isRunning() const;

    const Config &config() const { return m_config; }
    QStringList poolNames() const;
    std::shared_ptr<Pool> pool(const QString &name) const;
    ProxyServer &proxy() { return *m_proxy; }
    const ProxyServer &proxy() const { return *m_proxy; }
    AuditLog &auditLog() { return *m_audit; }

    // Operator commands. user/origin go to the audit log ("alice", "console").
    bool setWeight(const QString &pool, const QString &server, int weight, const QString &user, const QString &origin, QString *error = nullptr);
    // Drain, maint and ready go to the pool's health checker (a direct Pool::setState would be
    // overwritten by its next decision); up/down come from checks only.
    bool setAdminState(const QString &pool, const QString &server, AdminState state, const QString &user, const QString &origin, QString *error = nullptr);
    // The same with BackendState: Up means ready; Down is refused.
    bool setState(const QString &pool, const QString &server, BackendState state, const QString &user, const QString &origin, QString *error = nullptr);

    HealthChecker *healthChecker(const QString &pool) const;
    // Every pool's recent health events, oldest first.
    std::vector<HealthEvent> healthEvents() const;

    QStringList lockEndpointNames() const;
    // Starts a lock pass on the endpoint now (does nothing while one runs or when not connected).
    void scanLocks(const QString &endpoint);
    // Reads one lock of a lock endpoint whole, now (LockService::inspect).
    void inspectLock(const QString &endpoint, const QByteArray &key, std::function<void(const LockInspection &)> done);
    // Releases the lock only if the request's holder still holds it (compare first, audited as
    // `user` from `origin`), then rescans. `done` runs exactly once, later on this thread:
    // Failed when the endpoint is unknown, not connected, or reconfigured/stopped before the
    // backend answered.
    // The audited enable action of a lock endpoint (LockService::enableNotifications).
    void enableLockNotifications(const QString &endpoint, const QString &user, const QString &origin,
                                 std::function<void(bool ok, const QString &message)> done);
    // The lock endpoints as they are now (a live table's latest rows), not as of the last tick.
    std::vector<LockEndpointView> lockViews() const;
    std::optional<LockEndpointView> lockView(const QString &endpoint) const;
    LockFeedState lockFeed(const QString &endpoint) const;
    void releaseLock(const QString &endpoint, const LockReleaseRequest &request, const QString &user, const QString &origin,
                     std::function<void(const ForceReleaseResult &)> done);

    // The latest snapshot (updated at every tick) and one server's 1 s history (oldest first).
    const EngineSnapshot &snapshot() const { return m_snapshot; }
    std::vector<StatsPoint> history(const QString &pool, const QString &server) const;
    // Cumulative counts and latency histogram of one server as of the last tick (for /metrics).
    const ServerTotals *totals(const QString &pool, const QString &server) const;
    // <state dir>/runtime-state.json: weights and states set at runtime, applied after every
    // config (start and reload). Empty when there is no state dir.
    QString runtimeStatePath() const;
    // 1..4 snapshots per second.
    void setTickRate(int hz);
    int tickRate() const { return m_tickHz; }
    // Builds and emits a snapshot now (tests, and the console right after a command).
    void tick();

    void addEvent(EngineEvent::Severity severity, const QString &source, const QString &text);
    QList<EngineEvent> recentEvents() const;

Q_SIGNALS:
    void snapshotReady(const fulcrum::EngineSnapshot &snapshot);
    void eventOccurred(const fulcrum::EngineEvent &event);
    // The structured form of the health events that also arrive as eventOccurred.
    void healthEventOccurred(const fulcrum::HealthEvent &event);
    void lockScanFinished(const QString &endpoint, const fulcrum::LockScanResult &result);
    void lockRowsChanged(const QString &endpoint, const fulcrum::LockChanges &changes);
    void reloaded();
    void stopped();

private:
    void applyPools(const Config &config);
    void applyHealthCheckers(const Config &config);
    void onHealthEvent(const HealthEvent &event);
    // Events when the access log cannot be written (at most one a minute) and when it can again.
    void noteAccessLog(qint64 nowMs);
    QString poolList() const;
    void applyRuntimeState();
    void saveRuntimeState();
    QHash<QString, std::shared_ptr<Pool>> poolMap() const;

    Config m_config;
    std::map<QString, std::shared_ptr<Pool>> m_pools;
    ProxyServer *m_proxy = nullptr;
    std::unique_ptr<AuditLog> m_audit;
    QTimer *m_tickTimer = nullptr;
    int m_tickHz = 2;
    EngineSnapshot m_snapshot;
    std::map<std::pair<QString, QString>, std::unique_ptr<ServerStatsTracker>> m_trackers;
    std::deque<EngineEvent> m_events;
    std::map<QString, HealthChecker *> m_health;  // children of the engine
    LockService *m_locks = nullptr;               // child of the engine
    SecretStore *m_keychain = nullptr;
    RuntimeState m_runtime;
    std::map<std::pair<QString, QString>, ServerTotals> m_totals;
    quint64 m_accessLogFailures = 0;
    quint64 m_accessLogLinesAtFailure = 0;
    bool m_accessLogFailing = false;
    qint64 m_accessLogWarnedMs = 0;
};

} // namespace fulcrum
