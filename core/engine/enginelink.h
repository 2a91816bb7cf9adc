#pragma once

#include "balancer/backend.h"
#include "config/config.h"
#include "engine/reportservice.h"
#include "locks/lockbackend.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QObject>

#include <optional>
#include <QString>

namespace fulcrum {

// One server as the console sees it at one tick. Plain values: copied across threads.
struct ServerStatus
{
    QString pool;
    QString name;
    QString address;
    BackendState state = BackendState::Up;
    QString stateText;            // HAProxy style, with transitions: "up", "up, 1/3 failed", "drain"
    QString reason;               // last check outcome: "L7OK 200 in 4 ms", "L7STS 503", "operator"
    int weight = 1;               // set by config or operator
    int effectiveWeight = 1;      // what the balancer uses now (slow start, 0 while not up)
    bool backup = false;
    int activeConnections = 0;    // being served now: in-flight requests (fulcrumd), scur (HAProxy), busy (httpd)
    double requestsPerSecond = 0;
    double share = 0;             // this server's fraction of the pool's requests over the last tick, 0..1
    double p50Ms = 0;
    double p95Ms = 0;
    double p99Ms = 0;
    double errorRate = 0;         // 5xx and connect failures / requests, 0..1
    QDateTime lastCheck;
    QDateTime stateSince;

    QString key() const { return pool + u'/' + name; }
    // Whether new requests may go to it, which is what target shares are computed over.
    bool takesTraffic() const { return state == BackendState::Up && weight > 0 && !backup; }
};

// What an engine says about a pool as a whole, beyond its servers.
struct PoolStatus
{
    QString name;                 // as in ServerStatus::pool ("east/checkout" in a composite)
    bool cannotServe = false;     // no server takes traffic: every request gets 503
    bool panic = false;           // too few healthy servers: balancing across all of them
    bool reportsUnserved = false; // the engine counts the 503s it answers itself (fulcrumd: yes)
    double unservedPerSecond = 0; // those 503s per second over the last second
};

// Everything the views show, published at a fixed tick.
struct LinkSnapshot
{
    quint64 sequence = 0;
    QDateTime time;
    int tickMs = 250;
    QList<ServerStatus> servers;
    QList<PoolStatus> pools;      // may be empty: an engine that says nothing beyond its servers

    int indexOf(const QString &pool, const QString &name) const;
    const PoolStatus *pool(const QString &name) const;
    // Whether no server of `pool` takes traffic, so every request gets 503: as the engine says it
    // (PoolStatus), else from its servers (none up with a weight above 0).
    bool cannotServe(const QString &pool) const;
};

// Something worth an operator's attention, in the order it happened.
struct LinkEvent
{
    // Engine: the engine's own notices (its config, proxy, admin API, start); Lock: a lock
    // endpoint's notices and force-releases; Link: the console's connection to an engine.
    enum class Kind { Health, Ejection, Panic, Operator, Lock, Link, Outage, Engine };
    QDateTime time;
    Kind kind = Kind::Health;
    QString who;                  // "engine", or the OS user for operator actions
    QString target;               // "pool/server", "endpoint key"
    QString what;                 // "state", "set-weight", "force-release", ...
    QString before;
    QString after;
    QString detail;               // reason or outcome
    // An engine's own notice (config, proxy, admin API, a lock endpoint: `what` is its source,
    // `detail` its text) carries the engine's severity; every other event is judged by its
    // kind and change.
    enum class Severity : quint8 { None, Info, Warning, Error };
    Severity severity = Severity::None;
};
QString eventKindName(LinkEvent::Kind kind);

// One lock as a lock endpoint's inspector found it, any backend (LockInfo's fields the console
// shows, with where it was read).
struct LockRow
{
    QString endpoint;
    QString backend;              // "redis", "zookeeper"
    QByteArray key;               // the lock's name: Redis key, ZooKeeper lock folder, ...
    QString kind;                 // plain, redisson, redisson-rw, fulcrum, curator-mutex, kazoo-lock, ...
    QByteArray holder;            // what a release compares, whole
    QList<QByteArray> holders;    // every holder of a shared hold
    QString holderText;           // readable holder (client id, address) where `holder` is not
    QString session;              // the holder's session (ZooKeeper 0x…)
    QString clientAddress;
    QDateTime acquiredAt;         // as the backend reports it
    qint64 ttlMs = -1;            // -1: no expiry
    QDateTime readAt;             // when ttlMs was read: the view counts down from here
    QDateTime firstSeen;          // when the current holder was first seen holding (readAt - held for)
    QDateTime lastRead;           // when the backend was last asked for this lock (a live table: its last change)
    QList<LockWaiter> waiters;    // in queue order
    QJsonObject details;          // backend specifics for the detail pane
    bool noExpiry() const { return ttlMs < 0; }
    bool longHeld = false;
    bool churning = false;
    bool orphanedWaiter = false;
    bool redlockSplit = false;      // Redlock: no token on a majority of the masters
    bool redlockMinority = false;   // Redlock: a token on a minority of them (a leftover)
    bool ttlSkew = false;           // Redlock: one token's TTLs disagree across masters

    static LockRow fromInfo(const QString &endpoint, const LockInfo &info, const QDateTime &readAt);
};

// The answer to EngineLink::requestLockDetail: one lock read whole, or why not.
struct LockDetail
{
    QString endpoint;
    QByteArray key;
    std::optional<LockRow> row;
    bool gone = false;            // the lock is not there (any more)
    QString error;                // for a person, when there is no row
};

// One lock endpoint as a link knows it: enough to name it and read its backend's capabilities
// (lockBackendCapabilities(backend)).
struct LockEndpointInfo
{
    QString name;
    QString backend;
    QString displayName;          // "Redis Cluster", "Redlock", "ZooKeeper"; empty = the backend's
    bool tlsInsecure = false;     // TLS without certificate verification: the console shows it in red
    friend bool operator==(const LockEndpointInfo &, const LockEndpointInfo &) = default;
};

struct LockTable
{
    QString endpoint{};
    QString backend{};
    QList<LockRow> rows{};
    bool scanning = false;
    qint64 keysScanned = 0;
    QString error{};              // why the last pass failed, empty when it did not
    QString passDetail{};         // while scanning several nodes at once: how far each is (a Cluster's shards)
    LockFeedState feed{};         // polling (why), live (following the backend's changes), resyncing
    QList<LockScanNote> notes{};  // keys matched and not shown as locks, and why; with no key, about the endpoint
    qint64 notesOmitted = 0;      // more such keys, counted only
};

// Outcome of a command; id is the one the command call returned.
struct CommandResult
{
    quint64 id = 0;
    bool ok = false;
    QString message;              // for a person: what happened, or what went wrong and the fix
};

// What an engine can do and report; the console and fulcrumctl read this instead of naming a
// kind of engine. A Fulcrum engine (in-process or fulcrumd) has everything.
struct EngineCapabilities
{
    int minWeight = 0;
    int maxWeight = kMaxWeight;
    bool drain = true;
    bool maintenance = true;
    bool locks = true;
    bool reports = true;
    bool responseTimes = true;    // a typical response time per server (p50, or an average)
    bool percentiles = true;      // p95 and p99
    bool errorRates = true;       // the share of 5xx and failed connections per server
    bool auditLog = true;         // keeps its own audit log of operator actions
    QString forgetsOnRestart;     // what a restart of the engine loses; empty: nothing
    bool embedded = false;        // runs inside the program that opens it and ends with it (not reachable by fulcrumctl)
};

enum class LinkState { Disconnected, Connecting, Connected };
QString linkStateName(LinkState state);

// The only way the console reaches an engine. Commands return at once with an id and are
// answered by commandFinished; snapshots and events arrive as queued value types. Nothing
// here may block the caller's thread on the network.
class EngineLink : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual LinkState state() const = 0;
    virtual QString description() const = 0;
    // What is unsafe about the way this engine is reached, for the console to show in red
    // ("unencrypted: …" for http to a host that is not loopback); empty when nothing is.
    virtual QString transportWarning() const { return {}; }
    virtual int tickMs() const = 0;
    // The lock endpoints this engine polls, of any backend; none by default.
    virtual QList<LockEndpointInfo> lockEndpoints() const { return {}; }
    QStringList lockEndpointNames() const;
    QString lockEndpointBackend(const QString &endpoint) const;

    virtual quint64 setWeight(const QString &pool, const QString &server, int weight) = 0;
    virtual quint64 setState(const QString &pool, const QString &server, BackendState state) = 0;
    // Connects to a lock endpoint of any backend from the engine's side, once ("test connection"
    // in the settings); the password is used for this attempt only and not kept. The default
    // answers that this engine has no lock endpoints.
    virtual quint64 testLockEndpoint(const fulcrum::LockEndpointConfig &endpoint, const QByteArray &password);
    // Releases the lock only if its holder is still request.holder (compare first); the default
    // answers that this engine has no lock endpoints.
    virtual quint64 requestLockRelease(const QString &endpoint, const fulcrum::LockReleaseRequest &request);
    // Reads one lock whole now (its waiters too, where passes list them by name only), answered
    // by lockDetailReady with the id returned here. The default answers that this engine has no
    // lock endpoints.
    virtual quint64 requestLockDetail(const QString &endpoint, const QByteArray &key);
    // The audited enable action: the endpoint's server starts publishing the change
    // notifications a live lock table follows (Redis: CONFIG SET notify-keyspace-events),
    // answered by commandFinished. The default answers that this engine cannot.
    virtual quint64 enableLockNotifications(const QString &endpoint);
    quint64 releaseLock(const QString &endpoint, const QByteArray &key, const QByteArray &expectedHolder)
    {
        return requestLockRelease(endpoint, LockReleaseRequest{LockReleaseRequest::Delete, key, expectedHolder});
    }
    // Builds a health report over the engine's history into `path` (csv: one file per section
    // next to it), answered by commandFinished with reportProgress on the way. The default
    // answers that this engine has no reports, for links that cannot build them.
    virtual quint64 exportReport(const fulcrum::ReportRequest &request, const QString &path);
    // Stops a report exportReport started; it is then answered as cancelled.
    virtual void cancelReport(quint64 id);
    // Per-server series over a window from the engine's history store (the JSON of
    // GET /api/v1/history), answered by historyReady with the id returned here. The default
    // answers that this engine keeps no history.
    virtual quint64 requestHistory(const fulcrum::HistoryQuery &query);

    // What this engine can do and report (views hide what it has not, instead of showing 0).
    virtual EngineCapabilities capabilities() const { return EngineCapabilities{}; }

    // The weights this engine takes: the console's drags, arrows and inputs stop there
    // (0 = no new traffic for most; Apache httpd's load factors are 1–100).
    int maxWeight() const { return capabilities().maxWeight; }
    int minWeight() const { return capabilities().minWeight; }
    // One sentence for the operator when this engine's weights are not Fulcrum's 0..kMaxWeight
    // (HAProxy: 0–256); empty when they are.
    virtual QString weightNote() const { return QString(); }

protected:
    // Ids for the answers of the defaults above.
    static quint64 nextDefaultAnswerId();

Q_SIGNALS:
    void snapshotReady(const fulcrum::LinkSnapshot &snapshot);
    void eventsReady(const QList<fulcrum::LinkEvent> &events);
    void lockTableReady(const fulcrum::LockTable &table);
    void lockDetailReady(quint64 id, const fulcrum::LockDetail &detail);
    void stateChanged(fulcrum::LinkState state, const QString &detail);
    void lockEndpointStateChanged(const QString &endpoint, fulcrum::LinkState state, const QString &detail);
    void commandFinished(const fulcrum::CommandResult &result);
    void reportProgress(quint64 id, int done, int total);
    // The answer to requestHistory: the series, or an error for a person (series empty).
    void historyReady(quint64 id, const QJsonObject &series, const QString &error);
    // The engines behind this link changed while it runs (a composite gained or lost one):
    // its lock endpoints, weight limit and weight note may differ from before.
    void enginesChanged();
};

} // namespace fulcrum

Q_DECLARE_METATYPE(fulcrum::ServerStatus)
Q_DECLARE_METATYPE(fulcrum::LinkSnapshot)
Q_DECLARE_METATYPE(fulcrum::LinkEvent)
Q_DECLARE_METATYPE(fulcrum::LockTable)
Q_DECLARE_METATYPE(fulcrum::LockDetail)
Q_DECLARE_METATYPE(fulcrum::CommandResult)
