#pragma once

#include "locks/lockbackend.h"
#include "locks/redis/redisreply.h"

#include <QByteArray>

#include <functional>

namespace fulcrum {

class RedisConnection;

// Releases a lock only if `holder` (as listed by the inspector) still holds it, in one Lua
// script: a string lock must still have exactly that value; a Redisson hash must still have
// that field, and then the hash is deleted and 0 is published on Redisson's channel so waiters
// wake up, as Redisson's forceUnlock does. Anything else deletes nothing.
void forceReleaseRedisLock(RedisConnection *connection, const QByteArray &key, const QByteArray &holder,
                           std::function<void(const ForceReleaseResult &)> done);

// The script's command, and what its reply means; for callers that route the command
// themselves (a Cluster node chosen by slot, each master of a Redlock). `endpoint` names the
// node in messages.
QList<QByteArray> forceReleaseCommand(const QByteArray &key, const QByteArray &holder);
ForceReleaseResult forceReleaseOutcome(const QString &endpoint, const QByteArray &key, const QByteArray &holder, const RedisReply &reply);

extern const QByteArray forceReleaseScript;

} // namespace fulcrum
