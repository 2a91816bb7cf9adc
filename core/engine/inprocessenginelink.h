#pragma once

#include "balancer/pool.h"
#include "config/config.h"
#include "engine/enginelink.h"

#include <QHash>
#include <QThread>

#include <functional>
#include <memory>
#include <optional>

namespace fulcrum {

class AuditLog;
class Engine;
class EngineWorker;
class LocalRedisServer;

// One demo server: its backend's behaviour and its weight in the pool.
struct DemoServerProfile
{
    BackendSpec spec;
    double latencyMs = 8;         // the demo backend's response time (jitter a third of it)
    double errorRate = 0.002;     // the demo backend's steady 5xx fraction
    bool flaky = false;           // its demo backend fails /health for a while, now and then
};

// One Redis whose locks the engine lists and force-releases: one of the Engine's own lock
// endpoints.
// A lock endpoint of any backend for the embedded engine.
struct InProcessLockEndpoint
{
    LockEndpointConfig config;           // config.name() is what views and commands call it (empty: its address); its password source is not read
    QByteArray password;                 // in memory only (the app reads it from the keychain); empty = no auth
    bool demoLocks = false;              // demo mode (Redis): write a few locks of each kind, and keep some coming and going

    static InProcessLockEndpoint redis(const QString &host, quint16 port);
    QString endpoint() const;            // the endpoint's name in the engine
};

struct InProcessOptions
{
    // The operator's own validated config (fulcrum --config FILE): the engine runs it as
    // fulcrumd would (its listeners, pools, health checks and lock endpoints; its state_dir
    // keeps the audit log, the runtime weights and states, and the history), with no demo
    // backends, load or flapping. Unset: the demo scenario below makes the config the same
    // engine runs. Its admin API stays off (the console is its interface).
    std::optional<Config> config;
    QString configSource;         // the file it came from, for the title and the events
    // Keychain entries the config's lock passwords name, read by the app before the event loop
    // (QtKeychain's nested wait must not run on the engine's thread): entry → secret.
    QHash<QString, QByteArray> keychainSecrets;

    // The demo scenario (used when `config` is unset).
    QString poolName = QStringLiteral("checkout");
    PoolOptions pool;
    QList<DemoServerProfile> servers;
    double demandRps = 300;       // requests per second the demo load sends through the proxy
    int tickMs = 250;             // 4 Hz
    bool flapping = true;         // let flaky servers' backends fail their checks
    QList<InProcessLockEndpoint> locks;
    // Makes the engine's history (store, recorder, reports) on the engine's thread once the
    // engine runs; unset: no history, and exportReport answers why. fulcrum_core cannot make
    // it itself (the store is fulcrum_history, PDF needs Qt Gui): the app installs it.
    std::function<std::unique_ptr<ReportService>(Engine *engine)> history;

    static InProcessOptions demo();
};

// The embedded engine link: on a worker thread, the real Engine (proxy, per-server stats,
// audit log, health checkers, one lock inspector per lock endpoint) running the operator's
// config, or the demo scenario's: six real demo backends on loopback, with a steady load
// through its listener. Lock tables, scan progress
// and Redis connection states are the Engine's; force-release is the Engine's audited
// command, so the console, fulcrumd and the admin API see and act on the same locks.
// Commands are queued to the worker and answered with commandFinished; snapshots come back
// queued at the engine's tick. Nothing here blocks the caller.
class InProcessEngineLink : public EngineLink
{
    Q_OBJECT
public:
    explicit InProcessEngineLink(InProcessOptions options, QObject *parent = nullptr);
    ~InProcessEngineLink() override;

    LinkState state() const override;
    QString description() const override;
    int tickMs() const override;
    QList<LockEndpointInfo> lockEndpoints() const override;

    quint64 setWeight(const QString &pool, const QString &server, int weight) override;
    quint64 setState(const QString &pool, const QString &server, BackendState state) override;
    quint64 requestLockRelease(const QString &endpoint, const LockReleaseRequest &request) override;
    quint64 requestLockDetail(const QString &endpoint, const QByteArray &key) override;
    quint64 enableLockNotifications(const QString &endpoint) override;
    quint64 testLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &password) override;
    quint64 exportReport(const ReportRequest &request, const QString &path) override;
    void cancelReport(quint64 id) override;
    quint64 requestHistory(const HistoryQuery &query) override;
    EngineCapabilities capabilities() const override;
    // What an embedded engine can do, with or without history (what its kind declares).
    static EngineCapabilities embeddedCapabilities(bool history);

    // Keeps a redis-server the options point at running for as long as the engine does (the
    // demo's own), and stops it after the engine has.
    void adoptRedisServer(std::unique_ptr<LocalRedisServer> server);

    // What the engine itself holds (thread-safe read of the live pool, the config's first
    // one), from the first snapshot on (null before): for tests and tools.
    std::shared_ptr<const PoolSnapshot> poolSnapshot() const;
    const AuditLog *auditLog() const;

private:
    friend class EngineWorker;
    void attach(std::shared_ptr<Pool> pool, const AuditLog *audit);

    quint64 nextCommandId();
    void finish(quint64 id, bool ok, const QString &message);

    InProcessOptions m_options;
    QList<LockEndpointInfo> m_lockEndpoints;
    std::unique_ptr<LocalRedisServer> m_redisServer;   // outlives the engine thread (stopped after it in the destructor)
    std::shared_ptr<Pool> m_pool;          // set from the engine thread before the first snapshot
    const AuditLog *m_audit = nullptr;
    QThread m_thread;
    EngineWorker *m_traffic = nullptr;       // lives on m_thread
    quint64 m_lastCommandId = 0;
    QHash<quint64, std::shared_ptr<std::atomic_bool>> m_reports;   // running exports, by command id
};

} // namespace fulcrum
