#include "redismasterfeeds.h"

#include "common/wallclock.h"
#include "locks/redis/redisconnection.h"
#include "locks/redis/rediskeyspacefeed.h"
#include "locks/redis/redisnodeset.h"

#include <QPointer>
#include <QTimer>

#include <memory>

namespace fulcrum {

RedisMasterFeeds::RedisMasterFeeds(const RedisEndpointConfig &config, RedisNodeSet *nodes, LockObservations *observations, LockBackend *backend)
    : QObject(backend)
    , m_config(config)
    , m_nodes(nodes)
    , m_backend(backend)
    , m_url(backend->url())
    , m_table(observations)
{
    connect(this, &RedisMasterFeeds::stateChanged, backend, &LockBackend::feedChanged);
    connect(this, &RedisMasterFeeds::errorOccurred, backend, &LockBackend::errorOccurred);
    if (m_config.notifications == RedisEndpointConfig::Notifications::Off) {
        m_state.why = QStringLiteral("notifications: off in the config: the table is read whole on a timer");
        return;
    }
    m_state.why = QStringLiteral("asking every master whether it publishes keyspace notifications");
    connect(m_nodes, &RedisNodeSet::nodeConnected, this, [this] {
        if (everyMasterConnected())
            check();
    });
    connect(m_nodes, &RedisNodeSet::nodeError, this, [this](const QString &address, const QString &message) {
        if (m_state.mode == LockFeedState::Live)
            setState(LockFeedState{LockFeedState::Resyncing,
                                   QStringLiteral("master %1 dropped (%2); every lock is read again once the masters are back").arg(address, message)});
    });
    // Someone may turn notifications on or off on the masters: auto follows within a minute.
    m_check = new QTimer(this);
    m_check->setInterval(60'000);
    connect(m_check, &QTimer::timeout, this, [this] {
        if (everyMasterConnected())
            check();
    });
}

RedisMasterFeeds::~RedisMasterFeeds()
{
    for (auto &[address, feed] : m_feeds)
        delete feed;
}

void RedisMasterFeeds::start()
{
    if (m_check)
        m_check->start();
}

bool RedisMasterFeeds::everyMasterConnected() const
{
    return !m_nodes->nodes().empty() && m_nodes->connectedCount() == int(m_nodes->nodes().size());
}

LockFeedState RedisMasterFeeds::state() const
{
    LockFeedState feed = m_state;
    if (feed.mode == LockFeedState::Live) {
        for (const auto &node : m_nodes->nodes())
            feed.eventsApplied += node->inspector->eventsApplied();
    }
    return feed;
}

void RedisMasterFeeds::setState(LockFeedState state)
{
    if (state == m_state)
        return;
    m_state = std::move(state);
    Q_EMIT stateChanged(this->state());
}

void RedisMasterFeeds::passRead(const LockScanResult &pass, const QStringList &missing, const QString &until)
{
    bool subscribed = m_wanted && !m_feeds.empty();
    for (const auto &[address, feed] : m_feeds)
        subscribed = subscribed && feed->isSubscribed();
    if (!subscribed)
        return;
    if (!missing.isEmpty()) {
        // A master without a subscription or not read (a failover under way): not live yet.
        setState(LockFeedState{LockFeedState::Resyncing, QStringLiteral("%1; %2").arg(missing.join(QStringLiteral("; ")), until)});
        return;
    }
    // Every master's changes are followed: the pass becomes the live table.
    m_table.adopt(pass);
    m_tableActive = true;
    // The pass that follows the subscriptions, or the first complete pass after a master's
    // connection came back (the subscriptions stayed, so nothing was missed meanwhile).
    if (!m_resyncPass && m_state.mode == LockFeedState::Live)
        return;
    m_resyncPass = false;
    LockFeedState live{LockFeedState::Live, QStringLiteral("one subscription on each of the %1 masters").arg(m_feeds.size())};
    live.liveSince = wallclock::nowUtc();
    setState(live);
}

// CONFIG GET notify-keyspace-events on every master: live when each has what is needed (auto and
// require), else polling with what they lack (auto) or an error and no passes (require).
void RedisMasterFeeds::check()
{
    if (m_config.notifications == RedisEndpointConfig::Notifications::Off || m_nodes->nodes().empty())
        return;
    struct Answers
    {
        int pending = 0;
        QStringList lacking;
        QStringList refused;
    };
    auto answers = std::make_shared<Answers>();
    answers->pending = int(m_nodes->nodes().size());
    const quint64 generation = ++m_checkGeneration;
    for (const auto &node : m_nodes->nodes()) {
        const QString address = node->address;
        node->connection->command({QByteArrayLiteral("CONFIG"), QByteArrayLiteral("GET"), QByteArrayLiteral("notify-keyspace-events")},
                                  [this, guard = QPointer<RedisMasterFeeds>(this), generation, answers, address](const RedisReply &reply) {
            if (!guard || generation != m_checkGeneration)
                return;
            if (reply.type == RedisReply::Failed || reply.isError() || reply.type != RedisReply::Array || reply.elements.size() != 2) {
                answers->refused << QStringLiteral("%1 (%2)").arg(address, reply.type == RedisReply::Failed || reply.isError() ? reply.errorText()
                                                                                                                           : QStringLiteral("an unexpected reply"));
            } else if (!keyspacenotifications::missing(reply.elements[1].string).isEmpty()) {
                answers->lacking << QStringLiteral("%1 has \"%2\"").arg(address, QString::fromLatin1(reply.elements[1].string));
            }
            if (--answers->pending > 0)
                return;
            const bool require = m_config.notifications == RedisEndpointConfig::Notifications::Require;
            if (answers->lacking.isEmpty() && (answers->refused.isEmpty() || require)) {
                m_wanted = true;
                ensure();
                return;
            }
            LockFeedState polling;
            if (!answers->lacking.isEmpty()) {
                polling.why = QStringLiteral("not every master publishes keyspace notifications for locks (%1); live needs \"%2\" on each; "
                                             "enabling them costs each master one message per change to any key of those classes")
                                  .arg(answers->lacking.join(QStringLiteral(", ")), QString::fromLatin1(keyspacenotifications::needed));
                polling.needs = QStringLiteral("notify-keyspace-events %1 on every master (added to what each has)")
                                    .arg(QString::fromLatin1(keyspacenotifications::needed));
                polling.canEnable = true;
            } else {
                polling.why = QStringLiteral("CONFIG GET notify-keyspace-events was refused on %1, so Fulcrum cannot tell whether the masters "
                                             "publish keyspace notifications; if they do (\"%2\" or more), set notifications: require")
                                  .arg(answers->refused.join(QStringLiteral(", ")), QString::fromLatin1(keyspacenotifications::needed));
            }
            if (require) {
                polling.why = QStringLiteral("notifications: require, and %1; not polled until every master publishes them").arg(polling.why);
                if (polling.why != m_requireReported) {
                    m_requireReported = polling.why;
                    Q_EMIT errorOccurred(QStringLiteral("%1: %2").arg(m_url, polling.why));
                }
            }
            drop(polling);
        });
    }
}

void RedisMasterFeeds::ensure()
{
    if (!m_wanted || !m_subscribeRefused.isEmpty())
        return;
    const QStringList masters = m_nodes->addresses();
    for (auto it = m_feeds.begin(); it != m_feeds.end();) {
        if (masters.contains(it->first)) {
            ++it;
            continue;
        }
        retire(it->second);
        it = m_feeds.erase(it);
    }
    QList<QByteArray> patterns;
    for (const QString &pattern : RedisLockInspectorOptions::fromConfig(m_config).patterns)
        patterns << pattern.toUtf8();
    bool added = false;
    for (const QString &address : masters) {
        RedisNodeSet::Node *node = m_nodes->node(address);
        if (m_feeds.count(address) > 0 || !node)
            continue;
        auto *feed = new RedisKeyspaceFeed(m_nodes->optionsFor(address), patterns, this);
        m_feeds[address] = feed;
        added = true;
        connect(feed, &RedisKeyspaceFeed::keyEvent, node->inspector, &RedisLockInspector::keyChanged);
        // The master's own change sets, for the backend to merge (gone with the feed).
        connect(node->inspector, &RedisLockInspector::rowsChanged, feed,
                [this, address](const LockChanges &changes) { Q_EMIT rowsChanged(address, changes); });
        connect(feed, &RedisKeyspaceFeed::subscribed, this, &RedisMasterFeeds::subscribed);
        connect(feed, &RedisKeyspaceFeed::lost, this, [this, address](const QString &why) {
            m_resyncPass = false;
            setState(LockFeedState{LockFeedState::Resyncing,
                                   QStringLiteral("the keyspace subscription on master %1 was lost (%2); every lock is read again once it is back")
                                       .arg(address, why)});
        });
        connect(feed, &RedisKeyspaceFeed::refused, this, [this, feed](const QString &why) {
            // Not retried until a reload: an ACL is fixed by a person.
            m_subscribeRefused = why;
            QStringList grants;
            for (const QByteArray &channel : feed->channels())
                grants << u'&' + QString::fromUtf8(channel);
            LockFeedState polling;
            polling.why = QStringLiteral("%1; grant the ACL user these channel patterns on every master (ACL SETUSER %2 %3), then reload; "
                                         "polled meanwhile")
                              .arg(why, m_config.user.isEmpty() ? QStringLiteral("default") : m_config.user, grants.join(u' '));
            drop(polling);
        });
        feed->open();
    }
    if (added)
        setState(LockFeedState{LockFeedState::Resyncing, QStringLiteral("subscribing to keyspace notifications on every master")});
}

void RedisMasterFeeds::retire(RedisKeyspaceFeed *feed)
{
    feed->disconnect();
    for (const auto &node : m_nodes->nodes())
        node->inspector->disconnect(feed);
    feed->deleteLater();
}

void RedisMasterFeeds::drop(const LockFeedState &polling)
{
    // A master's feed reconnecting as it is dropped used to announce its subscription after this,
    // which took the endpoint from polling back to "resyncing" with no subscription left, until
    // the minute's check.
    for (auto &[address, feed] : m_feeds)
        retire(feed);
    m_feeds.clear();
    m_wanted = false;
    m_resyncPass = false;
    if (m_tableActive) {
        Q_EMIT dropped();
        m_tableActive = false;
    }
    for (const auto &node : m_nodes->nodes())
        node->inspector->setLive(false);
    setState(polling);
}

void RedisMasterFeeds::subscribed()
{
    if (!m_wanted || m_feeds.empty())
        return;
    for (const auto &[address, feed] : m_feeds) {
        if (!feed->isSubscribed())
            return;
    }
    // Notifications are fire-and-forget: read everything once, from after every subscription.
    for (const auto &node : m_nodes->nodes())
        node->inspector->setLive(true);
    m_resyncPass = true;
    setState(LockFeedState{LockFeedState::Resyncing,
                           QStringLiteral("subscribed on each of the %1 masters; reading every lock once").arg(m_feeds.size())});
    m_backend->cancelScan();
    m_backend->scan();
}

void RedisMasterFeeds::enable(std::function<void(bool ok, const QString &message)> done)
{
    auto answer = [this, done](bool ok, const QString &message) {
        QMetaObject::invokeMethod(this, [done, ok, message] { done(ok, message); }, Qt::QueuedConnection);
    };
    if (m_config.notifications == RedisEndpointConfig::Notifications::Off) {
        answer(false, QStringLiteral("%1: notifications: off in the config; nothing was changed").arg(m_url));
        return;
    }
    if (!everyMasterConnected()) {
        answer(false, QStringLiteral("%1: not every master is connected; nothing was changed").arg(m_url));
        return;
    }
    struct Outcome
    {
        int pending = 0;
        QStringList changed;
        QStringList already;
        QStringList refused;
    };
    auto outcome = std::make_shared<Outcome>();
    outcome->pending = int(m_nodes->nodes().size());
    auto settle = [this, guard = QPointer<RedisMasterFeeds>(this), outcome, done, where = m_url] {
        if (--outcome->pending > 0)
            return;
        QStringList parts;
        if (!outcome->changed.isEmpty())
            parts << QStringLiteral("set on %1").arg(outcome->changed.join(QStringLiteral(", ")));
        if (!outcome->already.isEmpty())
            parts << QStringLiteral("already on %1").arg(outcome->already.join(QStringLiteral(", ")));
        if (!outcome->refused.isEmpty())
            parts << QStringLiteral("refused by %1 (on a managed Redis set notify-keyspace-events to \"%2\" in its parameter group)")
                         .arg(outcome->refused.join(QStringLiteral(", ")), QString::fromLatin1(keyspacenotifications::needed));
        done(outcome->refused.isEmpty(),
             QStringLiteral("%1: notify-keyspace-events %2 (server-wide on each master, until it restarts unless CONFIG REWRITE)")
                 .arg(where, parts.join(QStringLiteral("; "))));
        if (guard)
            check();
    };
    for (const auto &node : m_nodes->nodes()) {
        RedisConnection *connection = node->connection;
        const QString address = node->address;
        connection->command({QByteArrayLiteral("CONFIG"), QByteArrayLiteral("GET"), QByteArrayLiteral("notify-keyspace-events")},
                            [guard = QPointer<RedisConnection>(connection), outcome, settle, address](const RedisReply &reply) {
            if (!guard || reply.type == RedisReply::Failed || reply.isError() || reply.type != RedisReply::Array || reply.elements.size() != 2) {
                outcome->refused << QStringLiteral("%1 (CONFIG GET: %2)").arg(address, reply.errorText());
                settle();
                return;
            }
            const QByteArray before = reply.elements[1].string;
            const QByteArray after = keyspacenotifications::merged(before);
            if (after == before) {
                outcome->already << address;
                settle();
                return;
            }
            guard->command({QByteArrayLiteral("CONFIG"), QByteArrayLiteral("SET"), QByteArrayLiteral("notify-keyspace-events"), after},
                           [outcome, settle, address, before, after](const RedisReply &set) {
                if (set.type == RedisReply::Failed || set.isError())
                    outcome->refused << QStringLiteral("%1 (%2)").arg(address, set.errorText());
                else
                    outcome->changed << QStringLiteral("%1 (\"%2\" -> \"%3\")").arg(address, QString::fromLatin1(before), QString::fromLatin1(after));
                settle();
            });
        });
    }
}

} // namespace fulcrum
