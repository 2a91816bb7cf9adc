#include "redislockbackend.h"

#include "locks/redis/forcerelease.h"
#include "locks/redis/redisconnection.h"
#include "locks/redis/redislockinspector.h"
#include "locks/redis/redislocks.h"
#include "locks/redis/redissentinel.h"

namespace fulcrum {

// A release whose reply has not come yet; `done` is emptied once it has run.
struct RedisLockBackend::PendingRelease
{
    std::function<void(const ForceReleaseResult &)> done;
};

RedisLockBackend::RedisLockBackend(const RedisEndpointConfig &config, const QByteArray &password, QObject *parent)
    : LockBackend(parent)
    , m_config(config)
{
    m_connection = new RedisConnection(RedisConnectionOptions::fromConfig(config, password), this);
    if (config.topology == RedisEndpointConfig::Topology::Sentinel) {
        m_sentinel = new RedisSentinelWatch(config.nodes, config.masterName, RedisConnectionOptions::fromConfig(config, password), this);
        m_connection->setAddressResolver([this](std::function<void(const QString &, const QString &)> done) { m_sentinel->resolve(std::move(done)); });
        connect(m_sentinel, &RedisSentinelWatch::masterChanged, this, [this](const QString &from, const QString &to, const QString &how) {
            if (from.isEmpty()) {
                Q_EMIT topologyChanged(QStringLiteral("%1: the sentinels name %2 as master of \"%3\"").arg(url(), to, m_config.masterName));
                return;
            }
            Q_EMIT topologyChanged(QStringLiteral("%1: failover: the master of \"%2\" moved from %3 to %4 (%5); reconnecting to %4")
                                       .arg(url(), m_config.masterName, from, to, how));
            m_connection->reconnectNow(QStringLiteral("the sentinels name %1 as the new master").arg(to));
        });
    }
    m_inspector = new RedisLockInspector(m_connection, RedisLockInspectorOptions::fromConfig(config), this);
    connect(m_connection, &RedisConnection::connected, this, &LockBackend::connected);
    connect(m_connection, &RedisConnection::errorOccurred, this, &LockBackend::errorOccurred);
    connect(m_inspector, &RedisLockInspector::progress, this, &LockBackend::progress);
    connect(m_inspector, &RedisLockInspector::scanFinished, this, &LockBackend::scanFinished);
    connect(m_inspector, &RedisLockInspector::scanInterrupted, this, &LockBackend::scanInterrupted);
    connect(m_inspector, &RedisLockInspector::scanFailed, this, &LockBackend::scanFailed);
}

RedisLockBackend::~RedisLockBackend()
{
    delete m_inspector;
    delete m_connection; // drops the reply callbacks: answer their callers here instead
    for (const std::shared_ptr<PendingRelease> &pending : m_releases) {
        if (!pending->done)
            continue;
        ForceReleaseResult result;
        result.message = QStringLiteral("the endpoint was reconfigured or stopped before Redis answered; "
                                        "the lock may or may not be deleted: list the locks again");
        pending->done(result);
        pending->done = nullptr;
    }
}

LockBackendCapabilities RedisLockBackend::redisCapabilities()
{
    LockBackendCapabilities c;
    c.backend = QStringLiteral("redis");
    c.displayName = QStringLiteral("Redis");
    c.ttl = true;
    c.kinds = {redislockkind::plain, redislockkind::redisson, redislockkind::redissonRw, redislockkind::fulcrum};
    c.releaseEffect = QStringLiteral(
        "Deletes the key only if the holder is still the one shown (one Lua script). Redisson waiters are woken "
        "as Redisson's forceUnlock does, and the next client takes the lock at once. The old holder is not told: "
        "it keeps running until it tries to extend or release, and its release then fails.");
    return c;
}

LockBackendCapabilities RedisLockBackend::capabilities() const
{
    LockBackendCapabilities c = redisCapabilities();
    if (m_sentinel)
        c.displayName = QStringLiteral("Redis (Sentinel)");
    return c;
}

QString RedisLockBackend::url() const
{
    return m_sentinel ? m_config.url() : m_connection->endpoint();
}

void RedisLockBackend::open()
{
    if (m_sentinel)
        m_sentinel->start();
    m_connection->open();
}

LockBackendState RedisLockBackend::state() const
{
    switch (m_connection->state()) {
    case RedisConnection::State::Connected: return LockBackendState::Connected;
    case RedisConnection::State::Connecting: return LockBackendState::Connecting;
    case RedisConnection::State::WaitingToReconnect: return LockBackendState::WaitingToReconnect;
    case RedisConnection::State::Disconnected: return LockBackendState::Disconnected;
    }
    return LockBackendState::Disconnected;
}

void RedisLockBackend::scan()
{
    if (m_connection->isConnected())
        m_inspector->scan();
}

void RedisLockBackend::cancelScan()
{
    m_inspector->cancel();
}

bool RedisLockBackend::isScanning() const
{
    return m_inspector->isScanning();
}

const LockScanResult &RedisLockBackend::lastResult() const
{
    return m_inspector->lastResult();
}

void RedisLockBackend::release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done)
{
    if (request.mode != LockReleaseRequest::Delete) {
        ForceReleaseResult result;
        result.message = QStringLiteral("Redis locks cannot be asked to release; nothing was changed");
        QMetaObject::invokeMethod(this, [done = std::move(done), result] { done(result); }, Qt::QueuedConnection);
        return;
    }
    std::erase_if(m_releases, [](const std::shared_ptr<PendingRelease> &pending) { return !pending->done; });
    auto pending = std::make_shared<PendingRelease>(PendingRelease{std::move(done)});
    m_releases.push_back(pending);
    forceReleaseRedisLock(m_connection, request.key, request.holder, [pending](const ForceReleaseResult &result) {
        if (!pending->done)
            return;
        const auto done = std::move(pending->done);
        pending->done = nullptr;
        done(result);
    });
}

void RedisLockBackend::probe(const RedisEndpointConfig &config, const QByteArray &password, QObject *context,
                             std::function<void(bool ok, const QString &message)> done)
{
    RedisConnectionOptions options = RedisConnectionOptions::fromConfig(config, password);
    options.reconnect = false;
    auto *connection = new RedisConnection(options, context);
    if (config.topology == RedisEndpointConfig::Topology::Sentinel) {
        auto *sentinels = new RedisSentinelWatch(config.nodes, config.masterName, options, connection);
        connection->setAddressResolver([sentinels](std::function<void(const QString &, const QString &)> resolved) { sentinels->resolve(std::move(resolved)); });
    }
    auto answered = std::make_shared<bool>(false);
    const QString endpoint = config.topology == RedisEndpointConfig::Topology::Sentinel ? config.url() : options.endpoint();
    auto answer = [connection, answered, done = std::move(done)](bool ok, const QString &message) {
        if (std::exchange(*answered, true))
            return;
        done(ok, message);
        connection->deleteLater();
    };
    QObject::connect(connection, &RedisConnection::errorOccurred, context, [answer, endpoint](const QString &why) {
        answer(false, QStringLiteral("%1: %2").arg(endpoint, why));
    });
    QObject::connect(connection, &RedisConnection::connected, context, [answer, connection, endpoint] {
        const QString where = connection->endpoint() == endpoint ? QString() : QStringLiteral(" to %1").arg(connection->endpoint());
        connection->command({"PING"}, [answer, endpoint, where](const RedisReply &reply) {
            answer(!reply.isError(), reply.isError() ? QStringLiteral("%1: PING failed: %2").arg(endpoint, QString::fromUtf8(reply.string))
                                                     : QStringLiteral("%1: connected%2, PING answered %3").arg(endpoint, where, QString::fromUtf8(reply.string)));
        });
    });
    connection->open();
}

} // namespace fulcrum
