#pragma once

#include "balancer/backend.h"
#include "balancer/pool.h"
#include "health/healthchecker.h"
#include "locks/lockbackend.h"
#include "locks/lockinfo.h"
#include "metrics/serverstats.h"

#include <QDateTime>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace fulcrum {

struct ServerSnapshot
{
    BackendSpec spec;              // spec.weight is the set weight, spec.state the state
    int effectiveWeight = 0;       // what the balancer uses now (below the set weight during slow start)
    ServerStats stats;
    // The health checker's view: state text with the transitional count ("up, 1/3 failed"),
    // last check (reason, duration), time in state, ejected, slow start.
    ServerHealth health;
};

struct PoolView
{
    QString name;
    PoolOptions options;
    bool panic = false;            // too few healthy servers: balancing across all of them
    bool cannotServe = false;      // no server takes traffic (up with an effective weight above 0)
    quint64 unservedTotal = 0;     // 503s the proxy answered itself for want of a server (cumulative)
    int healthy = 0;
    int eligible = 0;
    // The timeouts in force for this pool's servers: its own (options.connectTimeoutMs,
    // options.responseTimeoutMs) where set, else the proxy's; 0: not known (another balancer).
    qint64 connectTimeoutMs = 0;
    qint64 responseTimeoutMs = 0;
    // The request body limit in force, the same way (options.maxBodyBytes): 0 none, -1 not known.
    qint64 maxBodyBytes = -1;
    // The server connections kept alive, the same way: how long one may wait unused (0: not
    // known) and how many per server and worker (-1: not known).
    qint64 keepaliveTimeoutMs = 0;
    int maxIdlePerServer = -1;
    std::vector<ServerSnapshot> servers;

    const ServerSnapshot *server(QStringView name) const;
    // The weight the balancer gives `s` now: its effective weight while it is up, and while it
    // is down in panic mode (the pool balances across failed servers too); 0 otherwise.
    int weightInUse(const ServerSnapshot &s) const;
};

struct ListenerView
{
    QString name{};
    QString host{};
    quint16 port = 0;
    QString pool{};
    bool tls = false;    // HTTPS
    QString redirectTo{};   // a listener that redirects every request to this TLS listener
    QStringList redirectExcept{};   // but these path prefixes, which go to `pool`
    // listeners[].routes: path prefixes and host names sent to other pools than `pool`.
    struct Route
    {
        QString prefix{};    // empty: every path of `host`
        QString pool{};
        QString host{};      // empty: any host
        QString prefixRewrite{};   // what the servers get in place of `prefix`; empty: the path as sent
        friend bool operator==(const Route &, const Route &) = default;
    };
    std::vector<Route> routes{};
    // TLS listeners: when the first certificate expires (ms since the epoch), handshakes done
    // and failed since start, and the last failure's reason and time.
    qint64 tlsExpiresMs = 0;
    quint64 tlsHandshakes = 0;
    quint64 tlsFailures = 0;
    QString tlsLastFailure{};
    qint64 tlsLastFailureMs = 0;
    // HTTP/2 on a TLS listener: connections, streams (requests), connections refused for
    // abuse (rapid reset, CONTINUATION flood, HPACK bomb, stream flood) and the last reason.
    quint64 h2Connections = 0;
    quint64 h2Streams = 0;
    quint64 h2Refusals = 0;
    QString h2LastRefusal{};
    qint64 h2LastRefusalMs = 0;
};

// proxy.access_log and what became of its lines since the start (across reloads): written,
// lost (a file that could not be opened or written), and the failures with the last reason.
struct AccessLogView
{
    bool enabled = false;
    QString path{};
    quint64 lines = 0;
    quint64 linesLost = 0;
    quint64 failures = 0;
    QString lastFailure{};
    qint64 lastFailureMs = 0;
};

// One configured lock endpoint (any backend) and what its inspector last saw.
struct LockEndpointView
{
    QString name;
    QString backend;               // "redis", "zookeeper"
    LockBackendCapabilities capabilities;
    QString url;                   // never with a password
    bool tlsInsecure = false;      // TLS without certificate verification (tls_insecure): shown in red
    QString connectionState;       // "connected", "connecting", "waiting to reconnect", "disconnected", "not started"
    QString lastError;             // the last connection, password or scan failure; empty when fine
    qint64 pollIntervalMs = 0;
    // What the engine waits between passes: poll_interval, or 4× the last pass when that is
    // longer (the inspector never takes more than a fifth of the server's one thread).
    qint64 effectivePollIntervalMs = 0;
    bool scanning = false;
    qint64 passKeysScanned = 0;    // progress of the pass that runs now
    QString passDetail;            // the same per node, where a pass reads several at once (a Cluster's shards)
    int passLocksFound = 0;
    bool hasResult = false;        // lastResult is from a finished pass
    LockScanResult lastResult;
    LockFeedState feed;            // polling (why), live, or resyncing
};

// Everything the console shows at one tick, as plain values (safe to queue across threads).
struct EngineSnapshot
{
    quint64 sequence = 0;
    QDateTime time;                // UTC
    bool proxyRunning = false;
    int workers = 0;
    // Per worker, in order: open client connections, and connections it accepted that another
    // (less loaded) worker serves (cumulative).
    std::vector<int> workerConnections;
    std::vector<quint64> workerHandoffs;
    std::vector<ListenerView> listeners;
    AccessLogView accessLog;
    std::vector<PoolView> pools;
    std::vector<LockEndpointView> lockEndpoints;

    const PoolView *pool(QStringView name) const;
    const LockEndpointView *lockEndpoint(QStringView name) const;
};

// Something the operator should see in the event list: a reload, a rejected config, a
// server going down. Other parts (health checker, lock inspectors) add theirs too.
struct EngineEvent
{
    enum Severity { Info, Warning, Error };
    QDateTime time;                // UTC
    Severity severity = Info;
    QString source;                // "engine", "config", "proxy", "health", "locks", "operator"
    QString text;

    // "info", "warning", "error": how the admin API and the console's event list name it.
    static QLatin1StringView severityName(Severity severity)
    {
        switch (severity) {
        case Info: break;
        case Warning: return QLatin1StringView("warning");
        case Error: return QLatin1StringView("error");
        }
        return QLatin1StringView("info");
    }
    // The severity a name names; none for anything else.
    static std::optional<Severity> parseSeverity(QStringView name)
    {
        for (Severity candidate : {Info, Warning, Error}) {
            if (name == severityName(candidate))
                return candidate;
        }
        return std::nullopt;
    }
};

} // namespace fulcrum

Q_DECLARE_METATYPE(fulcrum::EngineSnapshot)
Q_DECLARE_METATYPE(fulcrum::EngineEvent)
