#pragma once

#include "locks/lockinfo.h"
#include "locks/redis/redisconnection.h"
#include "locks/redis/redislockinspector.h"

#include <QObject>
#include <QStringList>

#include <memory>
#include <vector>

class QThread;

namespace fulcrum {

// Several Redis nodes read side by side: the masters of a Cluster, or the independent masters
// of a Redlock. One connection (reconnecting by itself) and one inspector per node; a pass
// starts every node's pass at once, so the pass takes as long as the slowest node, not their sum.
// Each node's passes run on a thread of the set (one per node, up to kMaxPassThreads, then
// shared) over a second connection of the node's: reading and parsing a master's keys is as
// much CPU as the master spends serving them, and on one thread the client, not the masters,
// bounded a pass. The rows come back to this thread, which merges them.
// A node that is not connected, or loses its connection mid-pass, is left out of that pass and
// named; the others finish.
class RedisNodeSet : public QObject
{
    Q_OBJECT
public:
    struct Node
    {
        QString address;                // "host:port"
        RedisConnection *connection = nullptr;  // everything but passes: release, topology, live reads
        RedisLockInspector *inspector = nullptr;
        bool inPass = false;            // started in the running pass and not finished
        bool read = false;              // finished the last pass
        QString failure;                // why it was left out of the last pass
        qint64 scanned = 0;
        int found = 0;
        int passThread = -1;            // index into the set's pass threads
    };

    RedisNodeSet(RedisConnectionOptions base, RedisLockInspectorOptions inspector, QObject *parent = nullptr);
    ~RedisNodeSet() override;

    // Keeps the nodes still listed, adds new ones (connecting at once), drops the rest.
    void setNodes(const QStringList &addresses);
    QStringList addresses() const;
    Node *node(const QString &address) const;
    const std::vector<std::unique_ptr<Node>> &nodes() const { return m_nodes; }
    int connectedCount() const;

    void scan();
    void cancel();
    bool isScanning() const { return m_running; }

    // Options of a connection to `address` with this set's credentials and TLS.
    RedisConnectionOptions optionsFor(const QString &address) const;

Q_SIGNALS:
    void progress(qint64 scanned, int locksFound);
    // Every node started has finished or dropped out; read each node's inspector->lastResult()
    // for those with `read`, `failure` for the others.
    void passFinished();
    void nodeConnected(const QString &address);
    void nodeError(const QString &address, const QString &message);

private:
    void nodeDone(Node *node, const QString &failure);
    void maybeFinish();

    int pickPassThread();

    static constexpr int kMaxPassThreads = 16;
    std::vector<QThread *> m_passThreads;
    std::vector<int> m_passThreadNodes;  // nodes per pass thread
    RedisConnectionOptions m_base;
    RedisLockInspectorOptions m_inspectorOptions;
    std::vector<std::unique_ptr<Node>> m_nodes;
    bool m_running = false;
};

// "host:port" or "[v6]:port" → host and port; false when it is neither.
bool splitRedisNodeAddress(const QString &address, QString *host, quint16 *port);

} // namespace fulcrum
