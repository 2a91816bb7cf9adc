#include "redislockbackend.h"

#include "locks/redis/forcerelease.h"
#include "common/wallclock.h"
#include "locks/redis/redisconnection.h"
#include "locks/redis/rediskeyspacefeed.h"
#include "locks/redis/redislockinspector.h"
#include "locks/redis/redislocks.h"
#include "locks/redis/redissentinel.h"

namespace fulcrum {

// A release whose reply has not come yet; `done` is emptied once it has run.
struct RedisLockBackend::PendingRelease
{
    std::function<void(const ForceReleaseResult &)> done;
};

RedisLockBackend::RedisLockBackend(const RedisEndpointConfig &config, const QByteArray &password, QObject *parent,
                                   const QByteArray &sentinelPassword)
    : LockBackend(parent)
    , m_config(config)
{
    m_connection = new RedisConnection(RedisConnectionOptions::fromConfig(config, password), this);
    if (config.topology == RedisEndpointConfig::Topology::Sentinel) {
        m_sentinel = new RedisSentinelWatch(config.nodes, config.masterName, RedisConnectionOptions::fromConfig(config, password, sentinelPassword), this);
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
    connect(m_inspector, &RedisLockInspector::scanFinished, this, [this](const LockScanResult &result) {
        if (m_resyncPass && m_feed && m_feed->isSubscribed()) {
            m_resyncPass = false;
            LockFeedState live;
            live.mode = LockFeedState::Live;
            live.why = m_feedNote;
            live.liveSince = wallclock::nowUtc();
            setFeed(live);
        }
        Q_EMIT scanFinished(result);
    });
    connect(m_inspector, &RedisLockInspector::rowsChanged, this, &LockBackend::rowsChanged);
    QString why;
    if (!canGoLive(&why)) {
        m_feedState.why = why;
    } else {
        m_feedState.why = QStringLiteral("asking the server whether it publishes keyspace notifications");
        connect(m_connection, &RedisConnection::connected, this, [this] {
            // A new connection may be to a new master (Sentinel): subscribe there, from scratch.
            delete std::exchange(m_feed, nullptr);
            m_resyncPass = false;
            m_subscribeRefused.clear();
            checkNotifications();
        });
        connect(m_connection, &RedisConnection::errorOccurred, this, [this](const QString &message) {
            if (m_feedState.mode == LockFeedState::Live) {
                LockFeedState resync;
                resync.mode = LockFeedState::Resyncing;
                resync.why = QStringLiteral("%1; every lock is read again once the connection is back").arg(message);
                setFeed(resync);
            }
        });
        // Someone may turn notifications on or off on the server: auto follows within a minute.
        m_notifyCheck = new QTimer(this);
        m_notifyCheck->setInterval(60'000);
        connect(m_notifyCheck, &QTimer::timeout, this, [this] {
            if (m_connection->isConnected())
                checkNotifications();
        });
    }
    connect(m_inspector, &RedisLockInspector::scanInterrupted, this, &LockBackend::scanInterrupted);
    connect(m_inspector, &RedisLockInspector::scanFailed, this, &LockBackend::scanFailed);
}

RedisLockBackend::~RedisLockBackend()
{
    delete m_feed;
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
    if (m_notifyCheck)
        m_notifyCheck->start();
}

bool RedisLockBackend::canGoLive(QString *why) const
{
    if (m_config.notifications == RedisEndpointConfig::Notifications::Off) {
        *why = QStringLiteral("notifications: off in the config: the table is read whole on a timer");
        return false;
    }
    return true;
}

LockFeedState RedisLockBackend::feedState() const
{
    LockFeedState feed = m_feedState;
    if (feed.mode == LockFeedState::Live)
        feed.eventsApplied = m_inspector->eventsApplied();
    return feed;
}

void RedisLockBackend::setFeed(LockFeedState feed)
{
    if (feed == m_feedState)
        return;
    m_feedState = std::move(feed);
    Q_EMIT feedChanged(feedState());
}

// CONFIG GET notify-keyspace-events: live when it has what is needed (auto and require), else
// polling with what the server needs (auto) or an error and no passes (require).
void RedisLockBackend::checkNotifications()
{
    m_connection->command({QByteArrayLiteral("CONFIG"), QByteArrayLiteral("GET"), QByteArrayLiteral("notify-keyspace-events")},
                          [this, guard = QPointer<RedisLockBackend>(this)](const RedisReply &reply) {
        if (!guard || reply.type == RedisReply::Failed)
            return;
        const bool require = m_config.notifications == RedisEndpointConfig::Notifications::Require;
        if (reply.isError() || reply.type != RedisReply::Array || reply.elements.size() != 2) {
            const QString refused = reply.isError() ? reply.errorText() : QStringLiteral("an unexpected reply");
            if (require) {
                if (m_feed || !m_subscribeRefused.isEmpty())
                    return;
                startFeed(QStringLiteral("CONFIG GET notify-keyspace-events was refused (%1): following the notifications on trust "
                                         "(notifications: require); the reconciling pass catches what they miss").arg(refused));
                return;
            }
            LockFeedState polling;
            polling.why = QStringLiteral("CONFIG GET notify-keyspace-events was refused (%1), so Fulcrum cannot tell whether the server "
                                         "publishes keyspace notifications; if it does (\"%2\" or more), set notifications: require")
                              .arg(refused, QString::fromLatin1(keyspacenotifications::needed));
            stopFeed(polling);
            return;
        }
        const QByteArray flags = reply.elements[1].string;
        const QByteArray missing = keyspacenotifications::missing(flags);
        if (missing.isEmpty()) {
            if (!m_feed && m_subscribeRefused.isEmpty())
                startFeed(QString());
            return;
        }
        LockFeedState polling;
        polling.why = QStringLiteral("the server publishes no keyspace notifications for locks: notify-keyspace-events is \"%1\", "
                                     "live needs \"%2\" too; enabling them costs Redis one message per change to any key of those classes")
                          .arg(QString::fromLatin1(flags), QString::fromLatin1(missing));
        polling.needs = QStringLiteral("notify-keyspace-events %1").arg(QString::fromLatin1(keyspacenotifications::merged(flags)));
        polling.canEnable = true;
        if (require) {
            polling.why = QStringLiteral("notifications: require, and %1; not polled until the server publishes them").arg(polling.why);
            if (polling.why != m_requireReported) {
                m_requireReported = polling.why;
                Q_EMIT errorOccurred(QStringLiteral("%1: %2").arg(url(), polling.why));
            }
        }
        stopFeed(polling);
    });
}

void RedisLockBackend::startFeed(const QString &note)
{
    delete m_feed;
    m_feedNote = note;
    m_requireReported.clear();
    // The master the main connection reached (behind Sentinel: the one the sentinels named).
    RedisConnectionOptions options = m_connection->options();
    QList<QByteArray> patterns;
    for (const QString &pattern : m_inspector->options().patterns)
        patterns << pattern.toUtf8();
    m_feed = new RedisKeyspaceFeed(options, patterns, this);
    connect(m_feed, &RedisKeyspaceFeed::keyEvent, m_inspector, &RedisLockInspector::keyChanged);
    connect(m_feed, &RedisKeyspaceFeed::subscribed, this, [this] {
        // Notifications are fire-and-forget: read everything once, from after the subscription.
        m_inspector->setLive(true);
        m_inspector->cancel();
        m_resyncPass = true;
        LockFeedState resync;
        resync.mode = LockFeedState::Resyncing;
        resync.why = QStringLiteral("subscribed to keyspace notifications; reading every lock once");
        setFeed(resync);
        m_inspector->scan();
    });
    connect(m_feed, &RedisKeyspaceFeed::refused, this, [this](const QString &why) {
        // Not retried until the connection is made again (a reload, a reconnect): an ACL is
        // fixed by a person, and asking every minute would only repeat the refusal.
        m_subscribeRefused = why;
        // A pattern subscription needs the very patterns granted (or allchannels).
        QStringList grants;
        for (const QByteArray &channel : m_feed->channels())
            grants << u'&' + QString::fromUtf8(channel);
        LockFeedState polling;
        polling.why = QStringLiteral("%1; grant the ACL user these channel patterns (ACL SETUSER %2 %3), then reconnect; polled meanwhile")
                          .arg(why, m_config.user.isEmpty() ? QStringLiteral("default") : m_config.user, grants.join(u' '));
        if (m_config.notifications == RedisEndpointConfig::Notifications::Require) {
            polling.why.replace(QStringLiteral("polled meanwhile"), QStringLiteral("not polled (notifications: require)"));
            Q_EMIT errorOccurred(QStringLiteral("%1: %2").arg(url(), polling.why));
        }
        stopFeed(polling);
    });
    connect(m_feed, &RedisKeyspaceFeed::lost, this, [this](const QString &why) {
        m_resyncPass = false;
        LockFeedState resync;
        resync.mode = LockFeedState::Resyncing;
        resync.why = QStringLiteral("keyspace notification subscription lost (%1); every lock is read again once it is back").arg(why);
        setFeed(resync);
    });
    LockFeedState subscribing;
    subscribing.mode = LockFeedState::Resyncing;
    subscribing.why = QStringLiteral("subscribing to keyspace notifications");
    setFeed(subscribing);
    m_feed->open();
}

void RedisLockBackend::stopFeed(const LockFeedState &polling)
{
    if (m_feed) {
        m_feed->deleteLater();
        m_feed = nullptr;
    }
    m_resyncPass = false;
    m_inspector->setLive(false);
    setFeed(polling);
}

void RedisLockBackend::enableNotifications(std::function<void(bool ok, const QString &message)> done)
{
    auto answer = [this, done](bool ok, const QString &message) {
        QMetaObject::invokeMethod(this, [done, ok, message] { done(ok, message); }, Qt::QueuedConnection);
    };
    QString why;
    if (!canGoLive(&why)) {
        answer(false, QStringLiteral("%1: %2; nothing was changed").arg(url(), why));
        return;
    }
    if (!m_connection->isConnected()) {
        answer(false, QStringLiteral("%1 is not connected (%2); nothing was changed").arg(url(), m_connection->lastError()));
        return;
    }
    const QString where = url();
    m_connection->command({QByteArrayLiteral("CONFIG"), QByteArrayLiteral("GET"), QByteArrayLiteral("notify-keyspace-events")},
                          [this, guard = QPointer<RedisLockBackend>(this), done, where](const RedisReply &reply) {
        if (!guard) {
            done(false, QStringLiteral("%1: the endpoint was reconfigured before Redis answered; nothing was changed").arg(where));
            return;
        }
        const QString managed = QStringLiteral(
            "on a managed Redis set notify-keyspace-events to \"%1\" in its parameter group (ElastiCache: the cluster's parameter group; "
            "Azure Cache for Redis: Advanced settings; Memorystore: the instance's Redis configuration); Fulcrum follows them within a minute");
        if (reply.type == RedisReply::Failed || reply.isError() || reply.type != RedisReply::Array || reply.elements.size() != 2) {
            const QString refused = reply.type == RedisReply::Failed || reply.isError() ? reply.errorText() : QStringLiteral("an unexpected reply");
            done(false, QStringLiteral("%1 refused CONFIG GET notify-keyspace-events (%2); nothing was changed; %3")
                            .arg(where, refused, managed.arg(QString::fromLatin1(keyspacenotifications::needed))));
            return;
        }
        const QByteArray before = reply.elements[1].string;
        const QByteArray after = keyspacenotifications::merged(before);
        if (after == before) {
            done(true, QStringLiteral("%1 already publishes keyspace notifications (notify-keyspace-events \"%2\"); nothing was changed")
                           .arg(where, QString::fromLatin1(before)));
            checkNotifications();
            return;
        }
        m_connection->command({QByteArrayLiteral("CONFIG"), QByteArrayLiteral("SET"), QByteArrayLiteral("notify-keyspace-events"), after},
                              [this, guard, done, where, before, after, managed](const RedisReply &set) {
            if (set.type == RedisReply::Failed || set.isError()) {
                done(false, QStringLiteral("%1 refused CONFIG SET notify-keyspace-events %2 (%3); nothing was changed; %4")
                                .arg(where, QString::fromLatin1(after), set.errorText(), managed.arg(QString::fromLatin1(after))));
                return;
            }
            done(true, QStringLiteral("%1: notify-keyspace-events \"%2\" -> \"%3\" (server-wide, until Redis restarts unless its "
                                      "config file is rewritten with CONFIG REWRITE); the lock table now follows the notifications")
                           .arg(where, QString::fromLatin1(before), QString::fromLatin1(after)));
            if (guard)
                checkNotifications();
        });
    });
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
    // notifications: require: no passes but the one after each subscription and the
    // reconciling ones while live.
    if (m_config.notifications == RedisEndpointConfig::Notifications::Require && m_feedState.mode != LockFeedState::Live)
        return;
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
