#pragma once

#include "backend.h"
#include "picker.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>
#include <optional>
#include <mutex>
#include <vector>

namespace fulcrum {

// Where the consistent-hash key of a request comes from.
struct HashKeySource
{
    // Uri: the request target as the client sent it, path and query (nginx's $request_uri);
    // Path: the same up to its '?' (a cache tier that ignores tracking parameters).
    enum Kind { ClientIp, Header, Cookie, Uri, Path };
    Kind kind = ClientIp;
    QString name; // header or cookie name

    friend bool operator==(const HashKeySource &, const HashKeySource &) = default;
};

struct PoolOptions
{
    Algorithm algorithm = Algorithm::WeightedRoundRobin;
    int choices = 1;                      // random: 2 = power of two choices
    HashKeySource hashKey;                // consistent-hash
    quint32 maglevTableSize = 65537;      // consistent-hash, prime
    // How long a server of this pool may take to start answering (504 after it); 0: the
    // proxy's response_timeout. Not a balancing option: changing it keeps the pickers' state.
    qint64 responseTimeoutMs = 0;
    // How long a connect to a server of this pool may take before the next server is tried;
    // 0: the proxy's connect_timeout. Not a balancing option either.
    qint64 connectTimeoutMs = 0;
    // The largest request body a client may send to this pool (413 beyond); -1: the proxy's
    // max_body_bytes, 0: no limit. Not a balancing option either.
    qint64 maxBodyBytes = -1;
    // How long a kept-alive connection to a server of this pool may wait unused before it is
    // closed; 0: the proxy's idle_timeout. Below the servers' own keep-alive timeout, no
    // request is sent on a connection the server is closing at that moment.
    qint64 keepaliveTimeoutMs = 0;
    // Kept-alive connections per server and worker; -1: the proxy's max_idle_per_server, 0:
    // none (a connection per request).
    int maxIdlePerServer = -1;
    // How many requests one server connection of this pool carries, and how long after it was
    // opened it may still take one, before it is closed instead of kept (nginx's
    // keepalive_requests and keepalive_time, HAProxy's max-reuse); 0: no limit. Spreads a
    // server's connections over time, frees what a server holds per connection.
    qint64 keepaliveRequests = 0;
    qint64 keepaliveTimeMs = 0;

    // Whether the pool has a setting of its own, and the one in force: its own, else the proxy's.
    bool ownsConnectTimeout() const { return connectTimeoutMs > 0; }
    bool ownsResponseTimeout() const { return responseTimeoutMs > 0; }
    bool ownsMaxBodyBytes() const { return maxBodyBytes >= 0; }
    bool ownsKeepaliveTimeout() const { return keepaliveTimeoutMs > 0; }
    bool ownsMaxIdlePerServer() const { return maxIdlePerServer >= 0; }
    qint64 connectTimeoutOr(qint64 proxyMs) const { return ownsConnectTimeout() ? connectTimeoutMs : proxyMs; }
    qint64 responseTimeoutOr(qint64 proxyMs) const { return ownsResponseTimeout() ? responseTimeoutMs : proxyMs; }
    qint64 maxBodyBytesOr(qint64 proxyBytes) const { return ownsMaxBodyBytes() ? maxBodyBytes : proxyBytes; }
    qint64 keepaliveTimeoutOr(qint64 proxyMs) const { return ownsKeepaliveTimeout() ? keepaliveTimeoutMs : proxyMs; }
    int maxIdlePerServerOr(int proxyCount) const { return ownsMaxIdlePerServer() ? maxIdlePerServer : proxyCount; }

    friend bool operator==(const PoolOptions &, const PoolOptions &) = default;
    // Whether two option sets pick servers alike (everything but the timeouts, the body limit and
    // the kept-alive connections).
    bool picksLike(const PoolOptions &other) const
    {
        return algorithm == other.algorithm && choices == other.choices && hashKey == other.hashKey && maglevTableSize == other.maglevTableSize;
    }
};

struct PoolBackend
{
    BackendSpec spec;
    int effectiveWeight = 1;              // what pickers use: spec.weight, or less while slow start ramps
    quint64 nameHash = 0;
    std::shared_ptr<BackendLive> live;

    // Whether pickers may choose it (in its tier: primary, or backup when no primary can).
    bool takesTraffic() const { return spec.state == BackendState::Up && effectiveWeight > 0; }
};

// One server's new state and/or effective weight, for Pool::applyUpdates. The index is a
// hint into the current snapshot; the name decides.
struct BackendUpdate
{
    int index = -1;
    QString server;
    std::optional<BackendState> state;
    std::optional<int> effectiveWeight;   // clamped to 0..the set weight
};

// An immutable view of a pool. Workers keep one and compare versions; the engine publishes
// a new one for every change.
struct PoolSnapshot
{
    quint64 version = 0;
    quint64 membership = 0;   // changes only when servers are added/removed/reordered or the algorithm changes
    quint64 id = 0;           // unique in the process: which published snapshot this is, whatever the pool
    QString name;
    PoolOptions options;
    std::vector<PoolBackend> backends;

    int indexOf(QStringView serverName) const;
    // Whether any server, primary or backup, takes traffic: when none does, every request
    // gets the proxy's own 503.
    bool canServe() const;
};

// A pool of servers. Worker threads check version() (one atomic load) on every pick and
// fetch the snapshot only when it changed; the engine thread changes weights and states,
// which publishes a new snapshot. The pointer swap is guarded by a mutex held only for a
// reference-count increment, and taken by a worker only after a change, never in steady
// state (libstdc++ 12's atomic<shared_ptr> would do the same with a spin bit, and
// ThreadSanitizer cannot see through that).
class Pool
{
public:
    Pool(QString name, PoolOptions options, std::vector<BackendSpec> backends);

    QString name() const;
    std::shared_ptr<const PoolSnapshot> snapshot() const;
    // Cheap check for "has anything changed since version v" on the request path.
    quint64 version() const noexcept { return m_version.load(std::memory_order_acquire); }

    // Each returns false with a message naming the server and the fix when it cannot apply.
    bool setWeight(const QString &server, int weight, QString *error = nullptr);
    bool setState(const QString &server, BackendState state, QString *error = nullptr);
    bool setEffectiveWeight(const QString &server, int effectiveWeight, QString *error = nullptr);
    // Many servers in one new snapshot: a health sweep over thousands of servers must not
    // copy the pool once per server. Servers no longer in the pool are skipped; returns how
    // many updates applied.
    int applyUpdates(const std::vector<BackendUpdate> &updates);
    // A reload: servers keeping their name keep their live figures.
    void replace(PoolOptions options, std::vector<BackendSpec> backends);

private:
    template<typename Change>
    bool change(const QString &server, QString *error, Change &&apply);
    void publish(std::shared_ptr<PoolSnapshot> next);

    mutable std::mutex m_writeMutex;     // serialises writers
    mutable std::mutex m_pointerMutex;   // guards m_snapshot itself
    std::shared_ptr<const PoolSnapshot> m_snapshot;
    std::atomic<quint64> m_version{0};
};

} // namespace fulcrum
