#pragma once

#include "config/config.h"
#include "engine/auditlog.h"
#include "engine/enginesnapshot.h"
#include "metrics/serverstats.h"

#include <QHash>
#include <QObject>
#include <QStringList>

#include <deque>
#include <map>
#include <memory>

class QTimer;

namespace fulcrum {

class Pool;
class ProxyServer;

// The engine facade: owns the running config, the pools, the proxy workers and the stats
// tick. Every operator command goes through here, is validated and written to the audit
// log; the console sees the engine only through snapshots and events (value types, sent by
// queued signals at a fixed tick). Lives in one thread (the main thread of fulcrumd, or
// the console's engine thread).
class Engine : public QObject
{
    Q_OBJECT

public:
    explicit Engine(QObject *parent = nullptr);
    ~Engine() override;

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
    bool setState(const QString &pool, const QString &server, BackendState state, const QString &user, const QString &origin, QString *error = nullptr);

    // The latest snapshot (updated at every tick) and one server's 1 s history (oldest first).
    const EngineSnapshot &snapshot() const { return m_snapshot; }
    std::vector<StatsPoint> history(const QString &pool, const QString &server) const;
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
    void reloaded();
    void stopped();

private:
    void applyPools(const Config &config);
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
};

} // namespace fulcrum
