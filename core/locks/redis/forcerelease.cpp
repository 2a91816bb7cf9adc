#include "forcerelease.h"

#include "locks/redis/redisconnection.h"
#include "locks/redis/redislocks.h"

namespace fulcrum {

// KEYS[1] lock; ARGV[1] holder, ARGV[2] Redisson lock channel, ARGV[3] Redisson rw-lock channel.
// Returns {1} released, {0} gone, {2, current holder} holder changed, {3, type} not a lock type.
const QByteArray forceReleaseScript = QByteArrayLiteral(
    "local t = redis.call('TYPE', KEYS[1]).ok\n"
    "if t == 'none' then return {0, ''} end\n"
    "if t == 'string' then\n"
    "  local v = redis.call('GET', KEYS[1])\n"
    "  if v == ARGV[1] then redis.call('DEL', KEYS[1]) return {1, ''} end\n"
    "  return {2, v}\n"
    "end\n"
    "if t == 'hash' then\n"
    "  if ARGV[1] ~= 'mode' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then\n"
    "    local rw = redis.call('HEXISTS', KEYS[1], 'mode') == 1\n"
    "    redis.call('DEL', KEYS[1])\n"
    "    if rw then redis.call('PUBLISH', ARGV[3], '0') else redis.call('PUBLISH', ARGV[2], '0') end\n"
    "    return {1, ''}\n"
    "  end\n"
    "  local now = ''\n"
    "  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do\n"
    "    if f ~= 'mode' and (now == '' or string.sub(f, -6) == ':write') then now = f end\n"
    "  end\n"
    "  return {2, now}\n"
    "end\n"
    "return {3, t}\n");

QList<QByteArray> forceReleaseCommand(const QByteArray &key, const QByteArray &holder)
{
    return {QByteArrayLiteral("EVAL"), forceReleaseScript, QByteArrayLiteral("1"), key, holder,
            redissonChannel(QByteArrayLiteral("redisson_lock__channel"), key), redissonChannel(QByteArrayLiteral("redisson_rwlock"), key)};
}

ForceReleaseResult forceReleaseOutcome(const QString &endpoint, const QByteArray &key, const QByteArray &holder, const RedisReply &reply)
{
    ForceReleaseResult result;
    const QString shownKey = escapeBytes(key);
    const QString shownHolder = escapeBytes(holder);
    // NOPERM: the user may not run EVAL; "can't run this command": the script's DEL or PUBLISH was refused.
    if (reply.type == RedisReply::Error && (reply.string.startsWith("NOPERM") || reply.string.contains("can't run this command"))) {
        // An ACL user that may read locks but not delete them: name what it lacks.
        result.outcome = ForceReleaseResult::Failed;
        result.message = QStringLiteral("%1: release of \"%2\" refused by Redis's ACL: %3. The user needs +eval, +del and +publish "
                                        "on the lock keys and channels (e.g. ACL SETUSER USER +eval +del +publish ~lock:* &*); nothing was deleted")
                             .arg(endpoint, shownKey, reply.errorText());
    } else if (reply.type != RedisReply::Array || reply.elements.size() != 2 || reply.elements[0].type != RedisReply::Integer) {
        result.outcome = ForceReleaseResult::Failed;
        result.message = QStringLiteral("%1: release of \"%2\" failed: %3; nothing was confirmed deleted, list the locks again")
                             .arg(endpoint, shownKey, reply.isError() ? reply.errorText() : QStringLiteral("unexpected reply"));
    } else {
        switch (reply.elements[0].integer) {
        case 1:
            result.outcome = ForceReleaseResult::Released;
            result.message = QStringLiteral("released \"%1\" held by \"%2\"").arg(shownKey, shownHolder);
            break;
        case 0:
            result.outcome = ForceReleaseResult::Gone;
            result.message = QStringLiteral("\"%1\" is gone (released or expired); nothing deleted").arg(shownKey);
            break;
        case 2:
            result.outcome = ForceReleaseResult::HolderChanged;
            result.currentHolder = reply.elements[1].string;
            result.message = QStringLiteral("\"%1\" is now held by \"%2\", not \"%3\"; nothing deleted")
                                 .arg(shownKey, escapeBytes(result.currentHolder), shownHolder);
            break;
        default:
            result.outcome = ForceReleaseResult::Failed;
            result.message = QStringLiteral("\"%1\" is a %2, not a lock; nothing deleted").arg(shownKey, QString::fromUtf8(reply.elements[1].string));
            break;
        }
    }
    return result;
}

void forceReleaseRedisLock(RedisConnection *connection, const QByteArray &key, const QByteArray &holder,
                           std::function<void(const ForceReleaseResult &)> done)
{
    const QString endpoint = connection->endpoint();
    connection->command(forceReleaseCommand(key, holder), [=](const RedisReply &reply) { done(forceReleaseOutcome(endpoint, key, holder, reply)); });
}

} // namespace fulcrum
