#pragma once

#include "redisserver.h"

#include <QStringList>

#include <memory>
#include <vector>

namespace fulcrum::test {

// A real Redis Cluster for one suite: `masters` redis-servers with cluster-enabled (free
// loopback ports, temporary directories), joined by `redis-cli --cluster create` with
// `replicasPerMaster` replicas each, ready once every node says cluster_state:ok. command()
// follows MOVED like a cluster client, so a test writes a key wherever its slot lives.
class RedisClusterServers
{
public:
    RedisClusterServers(int masters, int replicasPerMaster);
    ~RedisClusterServers();

    bool start(QString *error);

    int size() const { return int(m_servers.size()); }
    RedisServer &server(int i) { return *m_servers.at(size_t(i)); }
    RedisServer *serverAt(const QString &address);
    QStringList addresses() const;                      // every node, "127.0.0.1:PORT"
    QStringList masterAddresses();                      // the nodes now serving slots, in slot order
    QString masterOf(const QByteArray &key);            // the node serving the key's slot now
    QString nodeId(const QString &address);

    // Sends to any node and follows MOVED (and ASK) to the one that serves the key.
    RedisReply command(const QList<QByteArray> &arguments);
    // Waits until every running node reports cluster_state:ok and `masters` masters serve all slots.
    bool waitUntilHealthy(int masters, int timeoutMs, QString *error);

private:
    int m_masters;
    int m_replicas;
    std::vector<std::unique_ptr<RedisServer>> m_servers;
};

} // namespace fulcrum::test
