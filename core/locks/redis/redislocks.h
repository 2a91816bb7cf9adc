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

// What one key's TYPE, PTTL and value say, as a row with backend "redis" (Redisson's owner_uuid,
// thread_id, reentrancy, mode and Fulcrum's fence in `details`). Returns nullopt for keys that
// are not locks; `note` says why when a person should know (wrong type), stays empty for known
// companion keys.
std::optional<LockInfo> classifyLockKey(const QByteArray &key, const QByteArray &type, qint64 pttl, const RedisReply &value, QString *note);

// Redisson's pub/sub channel for a lock name: prefix + ":{name}" (or ":name" when the name
// already has a hash tag), as RedissonObject::prefixName builds it.
QByteArray redissonChannel(const QByteArray &prefix, const QByteArray &name);

} // namespace fulcrum
