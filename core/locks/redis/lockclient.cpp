#include "lockclient.h"

#include "locks/redis/redisclustertopology.h"
#include "locks/redis/redisconnection.h"

#include <QRandomGenerator>
#include <QTimer>

#include <algorithm>
#include <memory>

namespace fulcrum {

// KEYS[1] lock, KEYS[2] fencing counter; ARGV[1] token, ARGV[2] ttl ms. Returns the fence or nil.
const QByteArray LockClient::acquireScript = QByteArrayLiteral(
    "if redis.call('EXISTS', KEYS[1]) == 1 then return false end\n"
    "local fence = redis.call('INCR', KEYS[2])\n"
    "redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'NX', 'PX', ARGV[2])\n"
    "return fence\n");

// The stored value is "<token>:<fence>"; a caller that knows the whole value may pass that too.
const QByteArray LockClient::releaseScript = QByteArrayLiteral(
    "if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return 0 end\n"
    "local v = redis.call('GET', KEYS[1])\n"
    "if v == ARGV[1] or string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ':' then\n"
    "  return redis.call('DEL', KEYS[1])\n"
    "end\n"
    "return 0\n");

const QByteArray LockClient::extendScript = QByteArrayLiteral(
    "if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return 0 end\n"
    "local v = redis.call('GET', KEYS[1])\n"
    "if v == ARGV[1] or string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ':' then\n"
    "  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "end\n"
    "return 0\n");

struct LockClient::Attempt
{
    QByteArray key;
    LockOptions options;
    std::function<void(const LockResult &)> done;
    QByteArray token;
    qint64 deadlineMs = 0;
    int attempts = 0;
    // per round
    qint64 startedMs = 0;
    int outstanding = 0;
    int acquired = 0;
    int heldByOther = 0;
    qint64 fence = 0;
    QString error;
};

LockClient::LockClient(QList<RedisConnection *> masters, QObject *parent)
    : QObject(parent)
{
    for (RedisConnection *m : masters)
        m_masters.append(m);
    m_clock.start();
}

QByteArray LockClient::newToken()
{
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    return QByteArrayLiteral("fulcrum:") + QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
}

QByteArray LockClient::fenceKey(const QByteArray &key)
{
    return QByteArrayLiteral("fulcrum:fence:{") + key + '}';
}

QByteArray LockClient::clusterFenceKey(const QByteArray &key)
{
    const QByteArray tag = redisHashTag(key);
    if (!tag.isEmpty())
        return QByteArrayLiteral("fulcrum:fence:{") + tag + QByteArrayLiteral("}:") + key;
    return fenceKey(key);
}

void LockClient::acquire(const QByteArray &key, const LockOptions &options, std::function<void(const LockResult &)> done)
{
    auto attempt = std::make_shared<Attempt>();
    attempt->key = key;
    attempt->options = options;
    attempt->done = std::move(done);
    attempt->token = newToken();
    attempt->deadlineMs = nowMs() + std::max<qint64>(0, options.waitMs);
    runAttempt(attempt);
}

void LockClient::runAttempt(std::shared_ptr<Attempt> attempt)
{
    ++attempt->attempts;
    attempt->startedMs = nowMs();
    attempt->outstanding = int(m_masters.size());
    attempt->acquired = 0;
    attempt->heldByOther = 0;
    attempt->fence = 0;
    attempt->error.clear();
    const QList<QByteArray> command{QByteArrayLiteral("EVAL"), acquireScript, QByteArrayLiteral("2"), attempt->key,
                                    m_cluster ? clusterFenceKey(attempt->key) : fenceKey(attempt->key),
                                    attempt->token, QByteArray::number(attempt->options.ttlMs)};
    for (const QPointer<RedisConnection> &master : std::as_const(m_masters)) {
        auto onReply = [this, attempt](const RedisReply &reply) {
            if (reply.type == RedisReply::Integer) {
                ++attempt->acquired;
                attempt->fence = std::max(attempt->fence, reply.integer);
            } else if (reply.isNil()) {
                ++attempt->heldByOther;
            } else {
                attempt->error = reply.isError() ? reply.errorText() : QStringLiteral("unexpected reply to the acquire script");
            }
            if (--attempt->outstanding == 0)
                finishAttempt(attempt);
        };
        if (master)
            send(master, command, onReply);
        else
            QMetaObject::invokeMethod(this, [onReply] { onReply(RedisReply::failed(QStringLiteral("connection was deleted"))); }, Qt::QueuedConnection);
    }
}

void LockClient::send(RedisConnection *master, const QList<QByteArray> &command, std::function<void(const RedisReply &)> callback)
{
    if (!m_cluster) {
        master->command(command, std::move(callback));
        return;
    }
    QPointer<RedisConnection> connection(master);
    QPointer<LockClient> self(this);
    master->command(command, [self, connection, command, callback = std::move(callback)](const RedisReply &reply) {
        if (!self || !connection || !reply.isError() || !reply.string.startsWith("MOVED ")) {
            callback(reply);
            return;
        }
        // Once: a second MOVED (a map still settling) is the answer, and the caller retries as for any error.
        connection->reconnectNow(QStringLiteral("the key's slot moved (%1)").arg(reply.errorText()));
        auto fired = std::make_shared<bool>(false);
        auto link = std::make_shared<QMetaObject::Connection>();
        auto again = [connection, command, callback, fired, link] {
            if (std::exchange(*fired, true))
                return;
            QObject::disconnect(*link);
            if (connection)
                connection->command(command, callback);
            else
                callback(RedisReply::failed(QStringLiteral("connection was deleted")));
        };
        *link = connect(connection, &RedisConnection::connected, self, again);
        QTimer::singleShot(int(std::clamp<qint64>(connection->options().connectTimeoutMs, 100, 10'000)), self, again);
    });
}

void LockClient::finishAttempt(std::shared_ptr<Attempt> attempt)
{
    const qint64 ttl = attempt->options.ttlMs;
    const qint64 elapsed = nowMs() - attempt->startedMs;
    const qint64 drift = ttl / 100 + 2;
    const qint64 validity = ttl - elapsed - drift;
    if (attempt->acquired >= quorum() && validity > 0) {
        LockResult result;
        result.acquired = true;
        result.handle = LockHandle{attempt->key, attempt->token, attempt->fence, validity, attempt->startedMs};
        attempt->done(result);
        return;
    }
    if (attempt->heldByOther < int(m_masters.size())) {
        // A minority, a too-slow majority, or a master whose answer was lost (its SET may have
        // happened): release on every master so nobody waits for our TTL. The compare-and-delete
        // cannot touch anyone else's lock; only "held by someone else" everywhere needs nothing.
        release(LockHandle{attempt->key, attempt->token, 0, 0, 0}, [](const LockOperationResult &) {});
    }
    const bool timeLeft = nowMs() < attempt->deadlineMs;
    if (timeLeft && attempt->attempts < attempt->options.maxAttempts) {
        const qint64 lo = attempt->options.retryDelayMinMs;
        const qint64 hi = std::max(lo, attempt->options.retryDelayMaxMs);
        qint64 delay = lo + qint64(QRandomGenerator::global()->bounded(quint64(hi - lo + 1)));
        delay = std::min(delay, std::max<qint64>(0, attempt->deadlineMs - nowMs()));
        QTimer::singleShot(int(delay), this, [this, attempt] { runAttempt(attempt); });
        return;
    }
    LockResult result;
    result.heldByOther = attempt->heldByOther > 0;
    if (result.heldByOther)
        result.error = QStringLiteral("lock \"%1\" is held by someone else (%2 attempt(s))").arg(QString::fromUtf8(attempt->key)).arg(attempt->attempts);
    else if (m_masters.size() == 1)
        result.error = attempt->error;
    else
        result.error = QStringLiteral("lock \"%1\" acquired on %2 of %3 masters, quorum is %4 (or the TTL ran out while acquiring)%5")
                           .arg(QString::fromUtf8(attempt->key)).arg(attempt->acquired).arg(m_masters.size()).arg(quorum())
                           .arg(attempt->error.isEmpty() ? QString() : QStringLiteral("; last error: ") + attempt->error);
    attempt->done(result);
}

void LockClient::runOnAll(const QList<QByteArray> &command, int quorum, std::function<void(const LockOperationResult &)> done)
{
    struct State
    {
        int outstanding = 0;
        int ok = 0;
        int notHolder = 0;
        QString error;
    };
    auto state = std::make_shared<State>();
    state->outstanding = int(m_masters.size());
    for (const QPointer<RedisConnection> &master : std::as_const(m_masters)) {
        auto onReply = [state, quorum, done](const RedisReply &reply) {
            if (reply.type == RedisReply::Integer && reply.integer == 1)
                ++state->ok;
            else if (reply.type == RedisReply::Integer)
                ++state->notHolder;
            else
                state->error = reply.isError() ? reply.errorText() : QStringLiteral("unexpected reply");
            if (--state->outstanding > 0)
                return;
            LockOperationResult result;
            result.masters = state->ok;
            result.ok = state->ok >= quorum;
            result.notHolder = !result.ok && state->notHolder > 0 && state->error.isEmpty();
            result.error = state->error;
            done(result);
        };
        if (master)
            send(master, command, onReply);
        else
            QMetaObject::invokeMethod(this, [onReply] { onReply(RedisReply::failed(QStringLiteral("connection was deleted"))); }, Qt::QueuedConnection);
    }
}

void LockClient::release(const LockHandle &handle, std::function<void(const LockOperationResult &)> done)
{
    // Releasing counts as done when any master had it: the rest may have expired or never granted it.
    runOnAll({QByteArrayLiteral("EVAL"), releaseScript, QByteArrayLiteral("1"), handle.key, handle.token}, 1, std::move(done));
}

void LockClient::extend(const LockHandle &handle, qint64 ttlMs, std::function<void(const LockOperationResult &)> done)
{
    const qint64 started = nowMs();
    runOnAll({QByteArrayLiteral("EVAL"), extendScript, QByteArrayLiteral("1"), handle.key, handle.token, QByteArray::number(ttlMs)},
             quorum(), [this, started, ttlMs, done = std::move(done)](const LockOperationResult &r) {
                 LockOperationResult result = r;
                 result.validityMs = ttlMs - (nowMs() - started) - (ttlMs / 100 + 2);
                 if (result.ok && result.validityMs <= 0) {
                     result.ok = false;
                     result.error = QStringLiteral("extended, but the round trip took longer than the new TTL");
                 }
                 done(result);
             });
}

LockWatchdog::LockWatchdog(LockClient *client, LockHandle handle, qint64 ttlMs, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_handle(std::move(handle))
    , m_ttlMs(ttlMs)
{
    m_timer.setInterval(int(std::max<qint64>(1, ttlMs / 3)));
    connect(&m_timer, &QTimer::timeout, this, &LockWatchdog::renew);
}

void LockWatchdog::start()
{
    m_safeUntilMs = m_handle.acquiredAtMs + m_handle.validityMs;
    m_timer.start();
}

void LockWatchdog::stop()
{
    m_timer.stop();
}

void LockWatchdog::renew()
{
    if (!m_client || m_inFlight)
        return;
    if (m_client->nowMs() >= m_safeUntilMs) {
        stop();
        Q_EMIT lost(QStringLiteral("lock \"%1\" could not be renewed before its TTL ran out").arg(QString::fromUtf8(m_handle.key)));
        return;
    }
    m_inFlight = true;
    const qint64 started = m_client->nowMs();
    QPointer<LockWatchdog> self(this);
    m_client->extend(m_handle, m_ttlMs, [self, started](const LockOperationResult &result) {
        if (!self)
            return;
        self->m_inFlight = false;
        if (!self->m_timer.isActive())
            return;
        if (result.ok) {
            self->m_safeUntilMs = started + result.validityMs;
            Q_EMIT self->renewed(result.validityMs);
        } else if (result.notHolder) {
            self->stop();
            Q_EMIT self->lost(QStringLiteral("lock \"%1\" is no longer held by this process (expired or released by someone else)")
                                  .arg(QString::fromUtf8(self->m_handle.key)));
        }
        // A connection error: keep trying on the next tick until the safe time runs out.
    });
}

} // namespace fulcrum
