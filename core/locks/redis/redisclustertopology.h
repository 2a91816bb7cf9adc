#pragma once

#include "locks/redis/redisreply.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace fulcrum {

// Redis Cluster's key → slot → node map, and the redirects a node answers with. hiredis 0.14
// has no cluster support and Debian 12 packages no cluster client, so this is ours: small,
// pure, and tested without a server (tst_redisclustertopology) and with one (tst_rediscluster).

constexpr int redisClusterSlots = 16384;

// CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with.
quint16 redisCrc16(const QByteArray &bytes);
// A key's hash tag as Redis Cluster reads it: between the first '{' and the next '}', when
// non-empty; empty when the key has none (then the whole key is hashed).
QByteArray redisHashTag(const QByteArray &key);
// The slot of a key: CRC16 of the key, or of its {hash tag} when the key has a non-empty one.
int redisKeySlot(const QByteArray &key);

// One master and the slots it serves, with its replicas.
struct RedisClusterShard
{
    QList<QPair<int, int>> slots;   // inclusive ranges
    QString masterId;
    QString master;                 // "host:port"; empty when the shard has no reachable master
    QStringList replicas;           // "host:port"
    bool masterFailed = false;      // the cluster marks its master failed and none took over yet

    QString slotsText() const;      // "0-5460" or "0-100,200-300"
    int slotCount() const;
};

struct RedisClusterTopology
{
    QList<RedisClusterShard> shards;   // sorted by first slot

    QStringList masters() const;       // the reachable masters, in slot order
    QStringList nodes() const;         // every node named, masters first
    const RedisClusterShard *shardForSlot(int slot) const;
    int coveredSlots() const;          // slots whose shard has a master that is not failed
    QString describe() const;          // "127.0.0.1:7000 0-5460, 127.0.0.1:7001 5461-10922, ..."
};

// CLUSTER SHARDS (Redis 7): nodes with role "master" and health not "fail" serve the slots.
// `tls` picks each node's "tls-port" when it has one. nullopt with *error when the reply is
// not what Redis 7 sends.
std::optional<RedisClusterTopology> parseClusterShards(const RedisReply &reply, bool tls, QString *error);
// CLUSTER NODES (every version): one line per node; "myself" is named by `self` since a node
// may print its own address as ":0" before it knows it.
std::optional<RedisClusterTopology> parseClusterNodes(const QByteArray &text, const QString &self, QString *error);

// "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381".
struct RedisRedirect
{
    bool ask = false;
    int slot = -1;
    QString node;                   // "host:port"
};
std::optional<RedisRedirect> parseRedisRedirect(const RedisReply &reply);

} // namespace fulcrum
