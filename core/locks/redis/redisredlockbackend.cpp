#include "redisredlockbackend.h"

#include "common/wallclock.h"
#include "locks/redis/forcerelease.h"
#include "locks/redis/redisconnection.h"
#include "locks/redis/redislockbackend.h"
#include "locks/redis/redismasterfeeds.h"
#include "locks/redis/redisnodeset.h"

#include <QJsonArray>
#include <QMap>
#include <QSet>

#include <algorithm>

namespace fulcrum {

LockInfo mergeRedlockCopies(const QByteArray &key, const QList<RedlockCopy> &copies, int masters, qint64 slackMs)
{
    const int quorum = masters / 2 + 1;
    LockInfo row = copies.isEmpty() ? LockInfo{} : copies.first().lock;
    row.key = key;
    row.flags &= LockInfo::NoExpiry;
    // Votes per token, in master order.
    QList<QByteArray> tokens;
    QHash<QByteArray, int> votes;
    for (const RedlockCopy &copy : copies) {
        if (!votes.contains(copy.lock.holder))
            tokens << copy.lock.holder;
        ++votes[copy.lock.holder];
    }
    QByteArray winner;
    QString agreement = QStringLiteral("token");
    for (const QByteArray &token : std::as_const(tokens)) {
        if (votes.value(token) >= quorum)
            winner = token;
    }
    // RedissonRedLock: one Redisson client per master, so the field's UUID differs; the thread agrees.
    QSet<QString> agreeingMasters;
    if (winner.isEmpty()) {
        QHash<qint64, int> threads;
        for (const RedlockCopy &copy : copies) {
            if (copy.lock.kind.startsWith(u"redisson"))
                ++threads[copy.lock.detailInteger(QStringLiteral("thread_id"), -1)];
        }
        for (auto it = threads.cbegin(); it != threads.cend(); ++it) {
            if (it.key() >= 0 && it.value() >= quorum) {
                agreement = QStringLiteral("thread_id");
                for (const RedlockCopy &copy : copies) {
                    if (copy.lock.kind.startsWith(u"redisson") && copy.lock.detailInteger(QStringLiteral("thread_id"), -1) == it.key()) {
                        agreeingMasters.insert(copy.master);
                        if (winner.isEmpty())
                            winner = copy.lock.holder;
                    }
                }
            }
        }
    } else {
        for (const RedlockCopy &copy : copies) {
            if (copy.lock.holder == winner)
                agreeingMasters.insert(copy.master);
        }
    }
    QJsonArray perMaster;
    qint64 minTtl = -1;
    qint64 maxTtl = -1;
    bool others = false;
    for (const RedlockCopy &copy : copies) {
        const bool agrees = agreeingMasters.contains(copy.master);
        perMaster.append(QJsonObject{{QStringLiteral("node"), copy.master},
                                     {QStringLiteral("holder"), escapeBytes(copy.lock.holder)},
                                     {QStringLiteral("ttl_ms"), copy.lock.ttlMs},
                                     {QStringLiteral("majority"), agrees}});
        if (!agrees) {
            others = true;
            continue;
        }
        if (copy.lock.ttlMs >= 0) {
            minTtl = minTtl < 0 ? copy.lock.ttlMs : std::min(minTtl, copy.lock.ttlMs);
            maxTtl = std::max(maxTtl, copy.lock.ttlMs);
        }
    }
    if (!winner.isEmpty()) {
        for (const RedlockCopy &copy : copies) {
            if (copy.lock.holder == winner) {
                row = copy.lock;
                break;
            }
        }
        row.key = key;
        row.flags &= LockInfo::NoExpiry;
        if (agreeingMasters.size() >= quorum && minTtl >= 0) {
            // The lock holds while a quorum still has it: the quorum-th longest TTL.
            QList<qint64> ttls;
            for (const RedlockCopy &copy : copies) {
                if (agreeingMasters.contains(copy.master) && copy.lock.ttlMs >= 0)
                    ttls << copy.lock.ttlMs;
            }
            std::sort(ttls.begin(), ttls.end(), std::greater<>());
            row.ttlMs = ttls.size() >= quorum ? ttls.at(quorum - 1) : minTtl;
        }
        if (others)
            row.flags |= LockInfo::RedlockMinority;
        if (maxTtl >= 0 && maxTtl - minTtl > maxTtl / 100 + slackMs)
            row.flags |= LockInfo::TtlSkew;
    } else {
        row.flags |= tokens.size() > 1 ? LockInfo::RedlockSplit : LockInfo::RedlockMinority;
        // No holder: show the token with the most votes, the first master's on a tie.
        QByteArray best = tokens.value(0);
        for (const QByteArray &token : std::as_const(tokens))
            best = votes.value(token) > votes.value(best) ? token : best;
        for (const RedlockCopy &copy : copies) {
            if (copy.lock.holder == best) {
                row = copy.lock;
                break;
            }
        }
        row.key = key;
        row.flags = (row.flags & LockInfo::NoExpiry) | (tokens.size() > 1 ? LockInfo::RedlockSplit : LockInfo::RedlockMinority);
    }
    row.details.insert(QStringLiteral("masters"), perMaster);
    row.details.insert(QStringLiteral("quorum"), quorum);
    row.details.insert(QStringLiteral("agreeing"), int(agreeingMasters.size()));
    row.details.insert(QStringLiteral("of_masters"), masters);
    row.details.insert(QStringLiteral("agreement"), winner.isEmpty() ? QStringLiteral("none") : agreement);
    if (winner.isEmpty())
        row.holderText = QStringLiteral("no majority: %1 on %2 of %3 masters").arg(escapeBytes(row.holder)).arg(votes.value(row.holder)).arg(masters);
    return row;
}

// The masters' answers to one release, until the last is in.
struct RedlockReleaseTally
{
    QStringList outcomes;
    QList<ForceReleaseResult> results;
    int remaining = 0;
};

RedisRedlockBackend::RedisRedlockBackend(const RedisEndpointConfig &config, const QByteArray &password, QObject *parent)
    : LockBackend(parent)
    , m_config(config)
    , m_observations({config.longHeldMs, 3, 60'000})
{
    RedisLockInspectorOptions options = RedisLockInspectorOptions::fromConfig(config);
    options.observe = false; // observed once, after the merge
    m_nodes = new RedisNodeSet(RedisConnectionOptions::fromConfig(config, password), options, this);
    connect(m_nodes, &RedisNodeSet::progress, this, &LockBackend::progress);
    connect(m_nodes, &RedisNodeSet::passFinished, this, &RedisRedlockBackend::passFinished);
    connect(m_nodes, &RedisNodeSet::nodeConnected, this, [this] {
        if (m_nodes->connectedCount() == int(m_nodes->nodes().size()))
            Q_EMIT connected();
    });
    connect(m_nodes, &RedisNodeSet::nodeError, this, [this](const QString &, const QString &message) { Q_EMIT errorOccurred(message); });
    m_feeds = new RedisMasterFeeds(m_config, m_nodes, &m_observations, this);
    connect(m_feeds, &RedisMasterFeeds::rowsChanged, this, &RedisRedlockBackend::nodeRowsChanged);
    // Back to polling: the table as it stands stays the last result.
    connect(m_feeds, &RedisMasterFeeds::dropped, this, [this] { m_last = m_feeds->result(m_last); });
}

RedisRedlockBackend::~RedisRedlockBackend()
{
    delete m_feeds;
    m_feeds = nullptr;
    delete m_nodes;
    m_nodes = nullptr;
    m_releases.failAll(url());
}

LockBackendCapabilities RedisRedlockBackend::capabilities() const
{
    LockBackendCapabilities c = RedisLockBackend::redisCapabilities();
    c.displayName = QStringLiteral("Redlock");
    c.releaseEffect = QStringLiteral(
        "On every master, deletes the key only if it still holds the token that master was shown holding (one Lua script "
        "each); masters holding another token are left alone. Each master's outcome is shown and audited. The old holder "
        "is not told: it keeps running until it tries to extend or release.");
    return c;
}

QString RedisRedlockBackend::url() const
{
    return m_config.url();
}

void RedisRedlockBackend::open()
{
    m_wanted = true;
    m_feeds->start();
    m_nodes->setNodes(m_config.nodes);
}

LockBackendState RedisRedlockBackend::state() const
{
    if (!m_wanted)
        return LockBackendState::NotStarted;
    // A Redlock lives on a majority: with a quorum of masters the table means something.
    const int connected = m_nodes->connectedCount();
    return connected >= int(m_config.nodes.size()) / 2 + 1 ? LockBackendState::Connected
         : connected > 0                                    ? LockBackendState::Connecting
                                                            : LockBackendState::WaitingToReconnect;
}

void RedisRedlockBackend::scan()
{
    if (m_scanning || !m_wanted)
        return;
    // notifications: require never polls: passes run only to make the table live.
    if (m_config.notifications == RedisEndpointConfig::Notifications::Require && m_feeds->mode() == LockFeedState::Polling)
        return;
    m_scanning = true;
    m_passClock.start();
    m_observations.beginPass(wallclock::nowUtc());
    m_nodes->scan();
}

void RedisRedlockBackend::cancelScan()
{
    m_nodes->cancel();
    m_scanning = false;
}

bool RedisRedlockBackend::isScanning() const
{
    return m_scanning;
}

void RedisRedlockBackend::passFinished()
{
    if (!m_scanning)
        return;
    m_scanning = false;
    QMap<QByteArray, QList<RedlockCopy>> byKey;
    QStringList missing;
    LockScanResult merged;
    qint64 slowest = 0;
    for (const QString &master : std::as_const(m_config.nodes)) {
        const RedisNodeSet::Node *node = m_nodes->node(master);
        if (!node || !node->read) {
            missing << QStringLiteral("%1 not read: %2").arg(master, node ? node->failure : QStringLiteral("not connected"));
            continue;
        }
        const LockScanResult &result = node->inspector->lastResult();
        merged.keysScanned += result.keysScanned;
        merged.restarts += result.restarts;
        merged.truncated = merged.truncated || result.truncated;
        slowest = std::max(slowest, result.elapsedMs);
        for (const LockInfo &lock : result.locks)
            byKey[lock.key].append(RedlockCopy{master, lock});
        for (const LockScanNote &note : result.notes)
            addNote(merged, LockScanNote{note.key, QStringLiteral("%1 (%2)").arg(note.text, master), note.unreadable});
        merged.notesOmitted += result.notesOmitted;
    }
    if (missing.size() == m_config.nodes.size()) {
        Q_EMIT scanInterrupted(QStringLiteral("%1: no master could be read: %2").arg(url(), missing.join(QStringLiteral("; "))));
        return;
    }
    m_shown.clear();
    // Masters read at slightly different moments: TTLs may differ by that much without any skew.
    m_slackMs = 50 + slowest;
    merged.finishedAt = wallclock::nowUtc();
    for (auto it = byKey.begin(); it != byKey.end(); ++it) {
        // Each copy's TTL as of now: a live master's rows are counted down when asked, a polled
        // one's were read during this pass (the slack covers that).
        for (RedlockCopy &copy : it.value())
            copy.lock.readAt = merged.finishedAt;
        LockInfo row = mergeRedlockCopies(it.key(), it.value(), int(m_config.nodes.size()), m_slackMs);
        m_observations.observe(row);
        merged.locks << row;
        m_shown.insert(it.key(), it.value());
    }
    for (const QString &text : std::as_const(missing))
        merged.notes << LockScanNote{QByteArray(), text};
    if (missing.isEmpty())
        m_observations.endPass();
    else
        merged.truncated = true;
    merged.elapsedMs = m_passClock.elapsed();
    m_last = merged;
    m_feeds->passRead(m_last, missing, QStringLiteral("live again once every master is read"));
    Q_EMIT scanFinished(m_last);
}

const LockScanResult &RedisRedlockBackend::lastResult() const
{
    return m_feeds->result(m_last);
}

LockFeedState RedisRedlockBackend::feedState() const
{
    return m_feeds->state();
}

void RedisRedlockBackend::enableNotifications(std::function<void(bool ok, const QString &message)> done)
{
    m_feeds->enable(std::move(done));
}

LockInfo RedisRedlockBackend::mergeAsOfNow(const QByteArray &key, const QList<RedlockCopy> &copies) const
{
    const QDateTime now = wallclock::nowUtc();
    QList<RedlockCopy> asOfNow = copies;
    for (RedlockCopy &copy : asOfNow) {
        if (copy.lock.ttlMs >= 0 && copy.lock.readAt.isValid())
            copy.lock.ttlMs = std::max<qint64>(0, copy.lock.ttlMs - std::max<qint64>(0, copy.lock.readAt.msecsTo(now)));
    }
    LockInfo row = mergeRedlockCopies(key, asOfNow, int(m_config.nodes.size()), m_slackMs);
    row.readAt = now;
    return row;
}

// A master's change to a name is one copy of it: the row is that name merged again over what
// every master holds now, so a majority that forms, moves or falls apart shows at once.
void RedisRedlockBackend::nodeRowsChanged(const QString &master, const LockChanges &changes)
{
    LiveLockTable *table = m_feeds->table();
    if (!table)
        return;
    const qsizetype order = m_config.nodes.indexOf(master);
    auto apply = [this, table, &master, order](const QByteArray &key, const LockInfo *copy) {
        QList<RedlockCopy> copies = m_shown.value(key);
        const auto mine = std::find_if(copies.begin(), copies.end(), [&master](const RedlockCopy &c) { return c.master == master; });
        if (mine != copies.end() && copy) {
            mine->lock = *copy;
        } else if (mine != copies.end()) {
            copies.erase(mine);
        } else if (copy) {
            // In the masters' order, as a pass lists them (the release reads them by position).
            const auto after = std::find_if(copies.begin(), copies.end(),
                                            [this, order](const RedlockCopy &c) { return m_config.nodes.indexOf(c.master) > order; });
            copies.insert(after, RedlockCopy{master, *copy});
        }
        if (copies.isEmpty()) {
            m_shown.remove(key);
            table->remove(key);
            return;
        }
        table->put(mergeAsOfNow(key, copies));
        m_shown.insert(key, std::move(copies));
    };
    for (const LockInfo &row : changes.upserted)
        apply(row.key, &row);
    for (const QByteArray &key : changes.removed)
        apply(key, nullptr);
    const LockChanges merged = table->takeChanges();
    if (!merged.isEmpty())
        Q_EMIT rowsChanged(merged);
}

void RedisRedlockBackend::release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done)
{
    if (request.mode != LockReleaseRequest::Delete) {
        ForceReleaseResult result;
        result.message = QStringLiteral("Redis locks cannot be asked to release; nothing was changed");
        QMetaObject::invokeMethod(this, [done = std::move(done), result] { done(result); }, Qt::QueuedConnection);
        return;
    }
    // The token each master was shown holding, where the row's holder is the one shown; a
    // master shown with another token is not touched. Not listed (yet): the given token everywhere.
    QList<QPair<QString, QByteArray>> targets;
    const QList<RedlockCopy> shown = m_shown.value(request.key);
    const LockInfo *row = nullptr;
    if (const LiveLockTable *table = m_feeds->table()) {
        row = table->row(request.key);
    } else {
        for (const LockInfo &lock : std::as_const(m_last.locks))
            row = lock.key == request.key ? &lock : row;
    }
    if (row && row->holder == request.holder && !shown.isEmpty()) {
        const QJsonArray masters = row->details.value(QStringLiteral("masters")).toArray();
        for (int i = 0; i < shown.size(); ++i) {
            const bool agrees = i < masters.size() && masters.at(i).toObject().value(QStringLiteral("majority")).toBool();
            if (agrees || shown.at(i).lock.holder == request.holder)
                targets << qMakePair(shown.at(i).master, shown.at(i).lock.holder);
        }
    }
    if (targets.isEmpty()) {
        for (const QString &master : std::as_const(m_config.nodes))
            targets << qMakePair(master, request.holder);
    }
    const std::shared_ptr<PendingRelease> pending = m_releases.add(request, std::move(done));
    auto tally = std::make_shared<RedlockReleaseTally>();
    tally->remaining = int(targets.size());
    for (const auto &[master, holder] : std::as_const(targets)) {
        RedisNodeSet::Node *node = m_nodes->node(master);
        auto settle = [this, pending, tally, master](const ForceReleaseResult &result) {
            if (pending->finished)
                return;
            tally->results << result;
            tally->outcomes << QStringLiteral("%1: %2").arg(master, forceReleaseOutcomeName(result.outcome));
            if (--tally->remaining > 0)
                return;
            ForceReleaseResult total;
            int released = 0, changed = 0, gone = 0;
            for (const ForceReleaseResult &one : std::as_const(tally->results)) {
                released += one.outcome == ForceReleaseResult::Released;
                gone += one.outcome == ForceReleaseResult::Gone;
                if (one.outcome == ForceReleaseResult::HolderChanged) {
                    ++changed;
                    if (total.currentHolder.isEmpty())
                        total.currentHolder = one.currentHolder;
                }
            }
            total.outcome = released > 0 ? ForceReleaseResult::Released
                          : changed > 0  ? ForceReleaseResult::HolderChanged
                          : gone == int(tally->results.size()) ? ForceReleaseResult::Gone
                                                               : ForceReleaseResult::Failed;
            QStringList details;
            for (int i = 0; i < tally->results.size(); ++i)
                details << QStringLiteral("%1 (%2)").arg(tally->outcomes.at(i), tally->results.at(i).message);
            total.message = QStringLiteral("\"%1\" on %2 of %3 masters released; %4")
                                .arg(escapeBytes(pending->request.key)).arg(released).arg(tally->results.size()).arg(details.join(QStringLiteral("; ")));
            m_releases.finish(pending, total);
        };
        if (!node || !node->connection->isConnected()) {
            ForceReleaseResult result;
            result.message = QStringLiteral("%1 is not connected; nothing was deleted there").arg(master);
            QMetaObject::invokeMethod(this, [settle, result] { settle(result); }, Qt::QueuedConnection);
            continue;
        }
        forceReleaseRedisLock(node->connection, request.key, holder, settle);
    }
}

} // namespace fulcrum
