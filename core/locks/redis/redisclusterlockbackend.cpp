#include "redisclusterlockbackend.h"

#include "common/wallclock.h"
#include "locks/redis/forcerelease.h"
#include "locks/redis/redisconnection.h"
#include "locks/redis/redislockbackend.h"
#include "locks/redis/redismasterfeeds.h"
#include "locks/redis/redisnodeset.h"

#include <QSet>
#include <QTimer>

#include <algorithm>

namespace fulcrum {

// One reading of the topology: the nodes to ask, in order, until one answers.
struct RedisClusterLockBackend::Discovery
{
    QStringList candidates;
    int next = 0;
    RedisConnection *connection = nullptr;
    QStringList errors;
};

// Every master's inspector leaves observing to the merge, which sees each lock once.
static RedisLockInspectorOptions inspectorOptions(const RedisEndpointConfig &config)
{
    RedisLockInspectorOptions options = RedisLockInspectorOptions::fromConfig(config);
    options.observe = false;
    options.getPerKey = true; // MGET over keys of several slots is refused (CROSSSLOT)
    return options;
}

RedisClusterLockBackend::RedisClusterLockBackend(const RedisEndpointConfig &config, const QByteArray &password, QObject *parent)
    : LockBackend(parent)
    , m_config(config)
    , m_password(password)
    , m_observations({config.longHeldMs, 3, 60'000})
{
    m_nodes = new RedisNodeSet(RedisConnectionOptions::fromConfig(config, password), inspectorOptions(config), this);
    connect(m_nodes, &RedisNodeSet::progress, this, &LockBackend::progress);
    connect(m_nodes, &RedisNodeSet::passFinished, this, &RedisClusterLockBackend::passFinished);
    connect(m_nodes, &RedisNodeSet::nodeConnected, this, [this] {
        // "Connected" once every master is: a first pass over half the masters would be half a table.
        if (m_nodes->connectedCount() == int(m_nodes->nodes().size()))
            Q_EMIT connected();
    });
    connect(m_nodes, &RedisNodeSet::nodeError, this, [this](const QString &, const QString &message) {
        m_stale = true; // a master dropped: it may have failed over, read the map again before the next pass
        Q_EMIT errorOccurred(message);
    });
    m_feeds = new RedisMasterFeeds(m_config, m_nodes, &m_observations, this);
    connect(m_feeds, &RedisMasterFeeds::rowsChanged, this, &RedisClusterLockBackend::nodeRowsChanged);
    // Back to polling: the table as it stands stays the last result.
    connect(m_feeds, &RedisMasterFeeds::dropped, this, [this] { m_last = m_feeds->result(m_last); });
}

RedisClusterLockBackend::~RedisClusterLockBackend()
{
    delete m_feeds;
    m_feeds = nullptr;
    m_wanted = false;
    if (m_discovery && m_discovery->connection)
        delete m_discovery->connection;
    m_discovery.reset();
    delete m_nodes;
    m_nodes = nullptr;
    for (RedisConnection *connection : m_redirectConnections)
        delete connection;
    m_releases.failAll(url());
}

LockBackendCapabilities RedisClusterLockBackend::capabilities() const
{
    LockBackendCapabilities c = RedisLockBackend::redisCapabilities();
    c.displayName = QStringLiteral("Redis Cluster");
    c.releaseEffect += QStringLiteral(" The script runs on the master that owns the key's slot.");
    return c;
}

QString RedisClusterLockBackend::url() const
{
    return m_config.url();
}

void RedisClusterLockBackend::open()
{
    m_wanted = true;
    m_feeds->start();
    if (!m_known)
        discover();
}

LockBackendState RedisClusterLockBackend::state() const
{
    if (!m_wanted)
        return LockBackendState::NotStarted;
    if (!m_known)
        return m_discovery ? LockBackendState::Connecting : LockBackendState::WaitingToReconnect;
    if (m_nodes->connectedCount() > 0)
        return LockBackendState::Connected;
    return m_discovery ? LockBackendState::Connecting : LockBackendState::WaitingToReconnect;
}

void RedisClusterLockBackend::discover()
{
    if (m_discovery || !m_wanted)
        return;
    auto d = std::make_shared<Discovery>();
    // The nodes of the last map first (after a failover the seeds may be the dead ones), then the seeds.
    for (const QString &node : m_topology.nodes() + m_config.nodes) {
        if (!d->candidates.contains(node))
            d->candidates << node;
    }
    m_discovery = d;
    QTimer::singleShot(0, this, [this, d] {
        if (m_discovery != d)
            return;
        auto next = std::make_shared<std::function<void()>>();
        *next = [this, d, next] {
            if (m_discovery != d)
                return;
            if (d->next >= d->candidates.size()) {
                m_discovery.reset();
                m_lastDiscoveryError = QStringLiteral("%1: no node answered CLUSTER SHARDS: %2").arg(url(), d->errors.join(QStringLiteral("; ")));
                Q_EMIT errorOccurred(m_lastDiscoveryError);
                if (m_scanAfterDiscovery) {
                    m_scanAfterDiscovery = false;
                    m_scanning = false;
                    Q_EMIT scanInterrupted(m_lastDiscoveryError);
                }
                if (!m_known && m_wanted)
                    QTimer::singleShot(2000, this, &RedisClusterLockBackend::discover);
                return;
            }
            const QString address = d->candidates.at(d->next++);
            RedisConnectionOptions options = m_nodes->optionsFor(address);
            options.reconnect = false;
            options.connectTimeoutMs = std::min<qint64>(options.connectTimeoutMs, 2000);
            auto *connection = new RedisConnection(options, this);
            d->connection = connection;
            auto giveUp = [this, d, connection, next](const QString &why) {
                if (m_discovery != d || d->connection != connection)
                    return;
                d->errors << why;
                d->connection = nullptr;
                connection->deleteLater();
                (*next)();
            };
            connect(connection, &RedisConnection::errorOccurred, this, giveUp);
            connect(connection, &RedisConnection::connected, this, [this, d, connection, address, giveUp] {
                readTopology(connection, address, m_config.tls, [this, d, connection, giveUp](std::optional<RedisClusterTopology> topology, const QString &why) {
                    if (m_discovery != d || d->connection != connection)
                        return;
                    if (!topology) {
                        giveUp(why);
                        return;
                    }
                    d->connection = nullptr;
                    connection->deleteLater();
                    m_discovery.reset();
                    applyTopology(*topology);
                });
            });
            connection->open();
        };
        (*next)();
    });
}

void RedisClusterLockBackend::readTopology(RedisConnection *connection, const QString &address, bool tls,
                                           std::function<void(std::optional<RedisClusterTopology>, const QString &)> done)
{
    auto finish = [address, done](std::optional<RedisClusterTopology> topology, const QString &why) {
        if (!topology || topology->shards.isEmpty())
            done(std::nullopt, why.isEmpty() ? QStringLiteral("%1 serves no slots yet").arg(address) : why);
        else
            done(std::move(topology), QString());
    };
    connection->command({QByteArrayLiteral("CLUSTER"), QByteArrayLiteral("SHARDS")}, [connection, address, tls, finish, done](const RedisReply &reply) {
        if (reply.isError() && reply.string.contains("cluster support disabled")) {
            done(std::nullopt, QStringLiteral("%1 is not a cluster node (cluster support disabled); give it as a single Redis (\"url\" in a config, redis:// on the command line)")
                                   .arg(address));
            return;
        }
        if (reply.isError() && !reply.string.toLower().contains("unknown subcommand")) {
            done(std::nullopt, QStringLiteral("%1 refused CLUSTER SHARDS: %2").arg(address, reply.errorText()));
            return;
        }
        if (!reply.isError()) {
            QString why;
            const auto topology = parseClusterShards(reply, tls, &why);
            finish(topology, why.isEmpty() ? why : QStringLiteral("%1: %2").arg(address, why));
            return;
        }
        // Before Redis 7: CLUSTER NODES.
        connection->command({QByteArrayLiteral("CLUSTER"), QByteArrayLiteral("NODES")}, [address, finish, done](const RedisReply &nodes) {
            if (nodes.type != RedisReply::String) {
                done(std::nullopt, QStringLiteral("%1 refused CLUSTER NODES: %2").arg(address, nodes.errorText()));
                return;
            }
            QString why;
            const auto topology = parseClusterNodes(nodes.string, address, &why);
            finish(topology, why);
        });
    });
}

void RedisClusterLockBackend::applyTopology(const RedisClusterTopology &topology)
{
    const RedisClusterTopology before = m_topology;
    const bool wasKnown = m_known;
    m_topology = topology;
    m_placement.clear();
    m_known = true;
    m_stale = false;
    m_lastDiscoveryError.clear();
    m_nodes->setNodes(topology.masters());
    // A failover or a resharding: the new masters get subscriptions, and the table is read
    // whole again once every master's is confirmed.
    m_feeds->ensure();
    if (!wasKnown) {
        Q_EMIT topologyChanged(QStringLiteral("%1: cluster of %2 masters: %3").arg(url()).arg(topology.masters().size()).arg(topology.describe()));
    } else if (before.describe() != topology.describe()) {
        QStringList moves;
        for (const RedisClusterShard &shard : topology.shards) {
            for (const auto &[first, last] : shard.slots) {
                const RedisClusterShard *old = before.shardForSlot(first);
                if (old && old->master != shard.master && !shard.master.isEmpty())
                    moves << QStringLiteral("slots %1-%2 from %3 to %4").arg(first).arg(last).arg(old->master, shard.master);
            }
        }
        Q_EMIT topologyChanged(moves.isEmpty()
                                   ? QStringLiteral("%1: cluster topology changed: now %2").arg(url(), topology.describe())
                                   : QStringLiteral("%1: cluster failover or resharding: %2; now %3").arg(url(), moves.join(QStringLiteral(", ")), topology.describe()));
    }
    if (topology.coveredSlots() < redisClusterSlots)
        Q_EMIT errorOccurred(QStringLiteral("%1: the cluster serves %2 of %3 slots (%4); locks in the rest cannot be read until a replica takes over")
                                 .arg(url()).arg(topology.coveredSlots()).arg(redisClusterSlots).arg(topology.describe()));
    if (m_scanAfterDiscovery) {
        m_scanAfterDiscovery = false;
        // The new masters' connections are still being made: give them a moment, then read.
        auto waited = std::make_shared<int>(0);
        auto tick = std::make_shared<std::function<void()>>();
        *tick = [this, waited, tick] {
            if (!m_scanning)
                return;
            bool pending = false;
            for (const auto &node : m_nodes->nodes())
                pending = pending || node->connection->state() == RedisConnection::State::Connecting;
            if (pending && ++*waited < 40) {
                QTimer::singleShot(50, this, *tick);
                return;
            }
            startPass();
        };
        (*tick)();
    }
}

void RedisClusterLockBackend::scan()
{
    if (m_scanning || !m_wanted)
        return;
    // notifications: require never polls: passes run only to make the table live.
    if (m_config.notifications == RedisEndpointConfig::Notifications::Require && m_feeds->mode() == LockFeedState::Polling)
        return;
    m_scanning = true;
    if (!m_known || m_stale) {
        m_scanAfterDiscovery = true;
        if (!m_discovery)
            discover();
        return;
    }
    startPass();
}

void RedisClusterLockBackend::startPass()
{
    m_scanning = true;
    m_passClock.start();
    m_observations.beginPass(wallclock::nowUtc());
    m_nodes->scan(); // may finish at once, when no master is connected
}

void RedisClusterLockBackend::cancelScan()
{
    m_scanAfterDiscovery = false;
    m_nodes->cancel();
    m_scanning = false;
}

bool RedisClusterLockBackend::isScanning() const
{
    return m_scanning;
}

QString RedisClusterLockBackend::passProgressDetail() const
{
    if (!m_scanning || !m_nodes->isScanning())
        return {};
    QStringList parts;
    for (const RedisClusterShard &shard : m_topology.shards) {
        const RedisNodeSet::Node *node = shard.masterFailed ? nullptr : m_nodes->node(shard.master);
        if (!node)
            parts << QStringLiteral("%1 no master").arg(shard.slotsText());
        else if (node->inPass)
            parts << QStringLiteral("%1 %2 keys").arg(shard.slotsText()).arg(node->scanned);
        else
            parts << QStringLiteral("%1 %2").arg(shard.slotsText(), node->read ? QStringLiteral("done") : QStringLiteral("not read"));
    }
    return parts.join(QStringLiteral(" · "));
}

// A row's shard, node and slot, in its details. Most rows (plain string locks) have no details
// of their own: the rows of one slot share one object, kept until the map changes, instead of
// each building it (three inserts per row were a seventh of a cluster pass's client CPU; one
// object per slot per pass, with locks in all 16 384 slots, ~50 ms of every pass).
void RedisClusterLockBackend::placeRow(LockInfo &row, int slot, const RedisClusterShard &shard)
{
    auto cached = m_placement.constFind(slot);
    if (cached == m_placement.cend())
        cached = m_placement.insert(slot, QJsonObject{{QStringLiteral("node"), shard.master},
                                                      {QStringLiteral("shard"), shard.slotsText()},
                                                      {QStringLiteral("slot"), slot}});
    if (row.details.isEmpty()) {
        row.details = *cached;
    } else if (row.details.size() < 3) {
        // Fewer keys of its own than the placement's three (a fenced lock's "fence"): the
        // slot's placement plus those keys is fewer inserts, and one insert costs more than
        // classifying the row did. (Assigning into a template that has every key already was
        // tried here: QJsonValueRef's assignment costs half an insert, and it was no gain.)
        QJsonObject details = *cached;
        for (auto it = row.details.constBegin(); it != row.details.constEnd(); ++it)
            details.insert(it.key(), it.value());
        row.details = std::move(details);
    } else {
        for (auto it = cached->constBegin(); it != cached->constEnd(); ++it)
            row.details.insert(it.key(), it.value());
    }
}

void RedisClusterLockBackend::passFinished()
{
    if (!m_scanning)
        return;
    m_scanning = false;
    LockScanResult merged;
    QStringList missing;
    int shardsRead = 0;
    // Each master's rows come sorted by key, and the shards split the keys: merging the sorted
    // lists is cheaper than sorting 100 000 rows again.
    struct Source
    {
        const RedisClusterShard *shard;
        QList<LockInfo> locks;
        qsizetype next = 0;
    };
    std::vector<Source> sources;
    for (const RedisClusterShard &shard : std::as_const(m_topology.shards)) {
        const RedisNodeSet::Node *node = shard.masterFailed ? nullptr : m_nodes->node(shard.master);
        if (!node || !node->read) {
            missing << QStringLiteral("slots %1 on %2 not read: %3")
                           .arg(shard.slotsText(), shard.master.isEmpty() ? QStringLiteral("(no master)") : shard.master,
                                shard.masterFailed ? QStringLiteral("its master failed and no replica has taken over yet")
                                : node           ? node->failure
                                                 : QStringLiteral("not connected"));
            continue;
        }
        ++shardsRead;
        const LockScanResult &result = node->inspector->lastResult();
        merged.keysScanned += result.keysScanned;
        merged.restarts += result.restarts;
        merged.truncated = merged.truncated || result.truncated;
        for (const LockScanNote &note : result.notes)
            addNote(merged, LockScanNote{note.key, QStringLiteral("%1 (%2)").arg(note.text, shard.master), note.unreadable});
        merged.notesOmitted += result.notesOmitted;
        sources.push_back(Source{&shard, node->inspector->takeLastLocks()});
    }
    qsizetype total = 0;
    for (const Source &source : sources)
        total += source.locks.size();
    merged.locks.reserve(total);
    while (true) {
        Source *first = nullptr;
        for (Source &source : sources) {
            if (source.next < source.locks.size() && (!first || source.locks.at(source.next).key < first->locks.at(first->next).key))
                first = &source;
        }
        if (!first)
            break;
        LockInfo &lock = first->locks[first->next++];
        // Each key once: a key copied mid-migration is listed by the master of its slot only.
        const int slot = redisKeySlot(lock.key);
        const RedisClusterShard *owner = m_topology.shardForSlot(slot);
        if (owner && owner != first->shard)
            continue;
        merged.locks.append(std::move(lock));
        LockInfo &row = merged.locks.last();
        placeRow(row, slot, *first->shard);
        m_observations.observe(row);
    }
    if (shardsRead == 0 && !m_topology.shards.isEmpty()) {
        m_stale = true;
        Q_EMIT scanInterrupted(QStringLiteral("%1: no master could be read: %2").arg(url(), missing.join(QStringLiteral("; "))));
        return;
    }
    for (const QString &text : std::as_const(missing))
        merged.notes << LockScanNote{QByteArray(), text};
    if (!missing.isEmpty()) {
        merged.truncated = true;
        m_stale = true;
    } else {
        m_observations.endPass(); // only a complete pass may forget locks it did not see
    }
    merged.elapsedMs = m_passClock.elapsed();
    merged.finishedAt = wallclock::nowUtc();
    m_last = merged;
    m_feeds->passRead(m_last, missing, QStringLiteral("live again once every shard has a master and is read"));
    Q_EMIT scanFinished(m_last);
}

const LockScanResult &RedisClusterLockBackend::lastResult() const
{
    return m_feeds->result(m_last);
}

LockFeedState RedisClusterLockBackend::feedState() const
{
    return m_feeds->state();
}

// One master's change set: rows of keys whose slot that master serves go into the table, with
// their shard, as a pass puts them.
void RedisClusterLockBackend::nodeRowsChanged(const QString &master, const LockChanges &changes)
{
    LiveLockTable *table = m_feeds->table();
    if (!table)
        return;
    auto ownedHere = [this, &master](const QByteArray &key, int *slot) {
        *slot = redisKeySlot(key);
        const RedisClusterShard *owner = m_topology.shardForSlot(*slot);
        return owner && owner->master == master ? owner : nullptr;
    };
    for (LockInfo row : changes.upserted) {
        int slot = 0;
        const RedisClusterShard *shard = ownedHere(row.key, &slot);
        if (!shard)
            continue;
        placeRow(row, slot, *shard);
        table->put(std::move(row));
    }
    for (const QByteArray &key : changes.removed) {
        int slot = 0;
        if (ownedHere(key, &slot))
            table->remove(key);
    }
    const LockChanges merged = table->takeChanges();
    if (!merged.isEmpty())
        Q_EMIT rowsChanged(merged);
}

void RedisClusterLockBackend::enableNotifications(std::function<void(bool ok, const QString &message)> done)
{
    m_feeds->enable(std::move(done));
}

RedisConnection *RedisClusterLockBackend::connectionTo(const QString &node)
{
    if (RedisNodeSet::Node *scanned = m_nodes->node(node))
        return scanned->connection;
    for (RedisConnection *connection : m_redirectConnections) {
        if (connection->property("clusterNode").toString() == node)
            return connection;
    }
    auto *connection = new RedisConnection(m_nodes->optionsFor(node), this);
    connection->setProperty("clusterNode", node);
    m_redirectConnections.push_back(connection);
    connection->open();
    return connection;
}

void RedisClusterLockBackend::release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done)
{
    auto answer = [this](std::function<void(const ForceReleaseResult &)> done, const QString &message) {
        ForceReleaseResult result;
        result.message = message;
        QMetaObject::invokeMethod(this, [done = std::move(done), result] { done(result); }, Qt::QueuedConnection);
    };
    if (request.mode != LockReleaseRequest::Delete)
        return answer(std::move(done), QStringLiteral("Redis locks cannot be asked to release; nothing was changed"));
    const int slot = redisKeySlot(request.key);
    const RedisClusterShard *shard = m_topology.shardForSlot(slot);
    if (!shard || shard->master.isEmpty())
        return answer(std::move(done), QStringLiteral("%1: no master serves slot %2 of \"%3\" (the cluster map is %4); nothing was changed")
                                           .arg(url()).arg(slot).arg(escapeBytes(request.key),
                                                                     m_known ? m_topology.describe() : QStringLiteral("not read yet")));
    sendRelease(m_releases.add(request, std::move(done)), shard->master, false, 0);
}

// `hops`: redirects followed so far for this release.
void RedisClusterLockBackend::sendRelease(const std::shared_ptr<PendingRelease> &pending, const QString &node, bool asking, int hops)
{
    RedisConnection *connection = connectionTo(node);
    auto finish = [this, pending](const ForceReleaseResult &result) { m_releases.finish(pending, result); };
    auto send = [this, pending, node, asking, hops, connection, finish] {
        QList<QList<QByteArray>> commands;
        if (asking)
            commands << QList<QByteArray>{QByteArrayLiteral("ASKING")};
        commands << forceReleaseCommand(pending->request.key, pending->request.holder);
        connection->pipeline(commands, [this, pending, node, hops, finish, guard = QPointer<RedisClusterLockBackend>(this)](const QList<RedisReply> &replies) {
            if (!guard || pending->finished)
                return;
            const RedisReply &reply = replies.last();
            if (const auto redirect = parseRedisRedirect(reply)) {
                if (hops + 1 > 5) {
                    ForceReleaseResult result;
                    result.message = QStringLiteral("%1: release of \"%2\" redirected more than 5 times (last: %3); nothing was deleted, try again")
                                         .arg(url(), escapeBytes(pending->request.key), reply.errorText());
                    finish(result);
                    return;
                }
                if (!redirect->ask)
                    m_stale = true; // the slot has moved for good: the map is old
                sendRelease(pending, redirect->node, redirect->ask, hops + 1);
                return;
            }
            ForceReleaseResult result = forceReleaseOutcome(QStringLiteral("%1 (node %2)").arg(url(), node), pending->request.key, pending->request.holder, reply);
            if (result.outcome == ForceReleaseResult::Released)
                result.message += QStringLiteral(" on node %1").arg(node);
            finish(result);
        });
    };
    if (connection->isConnected()) {
        send();
        return;
    }
    // A node a redirect named, or a master reconnecting: wait for it once, for at most its connect timeout.
    auto waited = std::make_shared<QMetaObject::Connection>();
    auto failed = std::make_shared<QMetaObject::Connection>();
    *waited = connect(connection, &RedisConnection::connected, this, [send, waited, failed] {
        QObject::disconnect(*waited);
        QObject::disconnect(*failed);
        send();
    });
    *failed = connect(connection, &RedisConnection::errorOccurred, this, [this, pending, node, waited, failed, finish](const QString &why) {
        QObject::disconnect(*waited);
        QObject::disconnect(*failed);
        ForceReleaseResult result;
        result.message = QStringLiteral("%1: node %2 of \"%3\" is unreachable (%4); nothing was deleted")
                             .arg(url(), node, escapeBytes(pending->request.key), why);
        finish(result);
    });
}

void RedisClusterLockBackend::probe(const RedisEndpointConfig &config, const QByteArray &password, QObject *context,
                                    std::function<void(bool ok, const QString &message)> done)
{
    auto *backend = new RedisClusterLockBackend(config, password, context);
    auto answered = std::make_shared<bool>(false);
    auto answer = [backend, answered, done = std::move(done)](bool ok, const QString &message) {
        if (std::exchange(*answered, true))
            return;
        backend->m_wanted = false;
        done(ok, message);
        backend->deleteLater();
    };
    QObject::connect(backend, &LockBackend::topologyChanged, context, [answer](const QString &message) { answer(true, message); });
    QObject::connect(backend, &LockBackend::errorOccurred, context, [answer](const QString &message) { answer(false, message); });
    backend->open();
}

} // namespace fulcrum
