#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"
#include "locks/lockobservations.h"
#include "locks/pendingreleases.h"
#include "locks/redis/redisclustertopology.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>

#include <functional>
#include <memory>
#include <vector>

namespace fulcrum {

class RedisConnection;
class RedisMasterFeeds;
class RedisNodeSet;

// A Redis Cluster as one lock endpoint. The topology is read from any node that answers (the
// seeds, then every node the last topology named): CLUSTER SHARDS, or CLUSTER NODES on servers
// before 7. Every master is scanned at once (SCAN is per node) and the rows merged, each with
// its shard and node. A release goes to the master of the key's slot and follows MOVED (the
// map is re-read) and ASK (ASKING first). A master that drops, a MOVED, or a pass that missed a
// shard makes the next pass re-read the topology; a change is announced as an event.
class RedisClusterLockBackend final : public LockBackend
{
    Q_OBJECT
public:
    RedisClusterLockBackend(const RedisEndpointConfig &config, const QByteArray &password = {}, QObject *parent = nullptr);
    ~RedisClusterLockBackend() override;

    LockBackendCapabilities capabilities() const override;
    QString url() const override;
    void open() override;
    LockBackendState state() const override;
    void scan() override;
    void cancelScan() override;
    bool isScanning() const override;
    QString passProgressDetail() const override;
    const LockScanResult &lastResult() const override;
    LockFeedState feedState() const override;
    // CONFIG SET notify-keyspace-events (merged) on every master; audited by the lock service.
    void enableNotifications(std::function<void(bool ok, const QString &message)> done) override;
    void release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done) override;

    const RedisClusterTopology &topology() const { return m_topology; }

    // One node's map of the cluster: CLUSTER SHARDS, or CLUSTER NODES before Redis 7, on a
    // connected `connection` to `address`. `done` runs once: with a map that serves slots, or
    // nullopt and an error that names the node (not a cluster node, refused, no slots yet).
    static void readTopology(RedisConnection *connection, const QString &address, bool tls,
                             std::function<void(std::optional<RedisClusterTopology> topology, const QString &error)> done);

    // "Test connection": reads the topology once from the seeds.
    static void probe(const RedisEndpointConfig &config, const QByteArray &password, QObject *context,
                      std::function<void(bool ok, const QString &message)> done);

private:
    struct Discovery;

    void discover();
    void applyTopology(const RedisClusterTopology &topology);
    void startPass();
    void passFinished();
    void sendRelease(const std::shared_ptr<PendingRelease> &pending, const QString &node, bool asking, int hops);
    RedisConnection *connectionTo(const QString &node);

    // Live: the masters' change sets merged into the one table, each row by its slot's master.
    void nodeRowsChanged(const QString &master, const LockChanges &changes);
    void placeRow(LockInfo &row, int slot, const RedisClusterShard &shard);

    RedisEndpointConfig m_config;
    QByteArray m_password;
    RedisNodeSet *m_nodes = nullptr;
    RedisClusterTopology m_topology;
    QHash<int, QJsonObject> m_placement;        // slot → {node, shard, slot} under m_topology
    bool m_known = false;               // a topology has been read
    bool m_stale = false;               // re-read it before the next pass
    bool m_wanted = false;
    std::shared_ptr<Discovery> m_discovery;
    bool m_scanAfterDiscovery = false;
    bool m_scanning = false;
    QString m_lastDiscoveryError;
    QElapsedTimer m_passClock;
    LockObservations m_observations;
    LockScanResult m_last;
    PendingReleases m_releases;
    std::vector<RedisConnection *> m_redirectConnections;   // nodes a redirect named that are not masters we scan

    RedisMasterFeeds *m_feeds = nullptr;       // one keyspace subscription per master, and the live table
};

} // namespace fulcrum
