#pragma once

#include "locks/lockinfo.h"
#include "locks/redis/redisreply.h"

#include <optional>

namespace fulcrum {

// The lock kinds found in Redis. plain: a string token (redsync, node-redlock, pottery,
// python-redis-lock, Spring RedisLockRegistry, naive SET NX EX); redisson: hash
// "<uuid>:<threadId>" -> reentrancy; redisson-rw: Redisson's read/write lock, a hash with a
// "mode" field; fulcrum: Fulcrum's own "fulcrum:<token>:<fence>".
namespace redislockkind {
inline const QString plain = QStringLiteral("plain");
inline const QString redisson = QStringLiteral("redisson");
inline const QString redissonRw = QStringLiteral("redisson-rw");
inline const QString fulcrum = QStringLiteral("fulcrum");
} // namespace redislockkind

// A hash is read with HSCAN key 0 COUNT hashReadCountText, never HGETALL: one call reads a
// small hash whole (a Redisson lock has one field per holder, and Redis answers a small hash
// whole whatever the count), and no more than about this many fields of a big one. A big hash
// under a broad pattern ("*") is no lock, and reading it whole at every pass would hold up Redis
// each time.
inline constexpr QByteArrayView hashReadCountText = "1000";

// A string longer than this is no lock (a token, a JSON of who holds it: a few hundred bytes),
// but a cached blob under a broad pattern. It is noted, not listed, and the inspector asks only
// its length (STRLEN) afterwards, so a pass never reads megabytes out of Redis again and again.
inline constexpr qsizetype kMaxLockValueBytes = 64 * 1024;
QString tooLargeStringNote(qint64 bytes);

// What one key's TYPE, PTTL and value say (for a hash, its HSCAN reply as above), as a row with
// backend "redis" (Redisson's owner_uuid, thread_id, reentrancy, mode and Fulcrum's fence in
// `details`). Returns nullopt for keys that are not locks; `note` says why when a person should
// know (wrong type), stays empty for known companion keys.
std::optional<LockInfo> classifyLockKey(const QByteArray &key, const QByteArray &type, qint64 pttl, const RedisReply &value, QString *note);

// Redisson's pub/sub channel for a lock name: prefix + ":{name}" (or ":name" when the name
// already has a hash tag), as RedissonObject::prefixName builds it.
QByteArray redissonChannel(const QByteArray &prefix, const QByteArray &name);

} // namespace fulcrum
