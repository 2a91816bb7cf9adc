#include "etcdlockbackend.h"

#include "common/bytestext.h"
#include "common/wallclock.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QPointer>
#include <QTimer>

#include <deque>

namespace fulcrum {

using namespace etcdrecipes;

namespace {

// Lease look-ups in flight at once: enough to keep a member busy, few enough that a pass over
// thousands of locks does not open a burst of connections.
constexpr int kLeaseLookUpsInFlight = 32;
constexpr int kReconnectMs = 2000;
// Live: changes within one tick are read together (the freshness target is 50 ms).
constexpr int kLiveTickMs = 10;
// Live: lock reads per transaction (etcd's --max-txn-ops is 128 by default).
constexpr int kRangesPerTxn = 128;
// Live: more locks changed than this at once (a deploy, a mass expiry): one pass reads them all.
constexpr int kStormLocks = 10'000;

bool isAuthRefusal(const EtcdReply &reply)
{
    return !reply.ok && !reply.transport && reply.error.contains(QStringLiteral("refused user"));
}

QJsonObject rangeBody(const QByteArray &key, const QByteArray &end, qint64 limit, qint64 revision = 0)
{
    QJsonObject body{{QStringLiteral("key"), EtcdClient::base64(key)}, {QStringLiteral("range_end"), EtcdClient::base64(end)}};
    if (limit > 0)
        body.insert(QStringLiteral("limit"), QString::number(limit));
    if (revision > 0)
        body.insert(QStringLiteral("revision"), QString::number(revision));
    return body;
}

} // namespace

struct EtcdLockBackend::Pass
{
    quint64 generation = 0;
    QDateTime startedAt;
    QElapsedTimer clock;
    struct Range
    {
        QByteArray end;
        qint64 revision = 0;        // pinned by the first page, so that the pages agree
    };
    QList<Range> ranges;
    int reading = 0;                // range pages and lease look-ups under way
    bool rangesDone = false;
    QMap<QByteArray, QList<EtcdKey>> contenders;   // lock name → its contenders
    qint64 kept = 0;
    qint64 keys = 0;
    bool truncated = false;
    QMap<QByteArray, LockInfo> rows;
    std::deque<QByteArray> leasesToLookUp;          // lock names whose holder's lease is next
    QSet<qint64> liveLeases;
    bool liveLeasesKnown = false;
    QList<LockScanNote> notes;
};

EtcdClient::Options EtcdLockBackend::clientOptions(const EtcdEndpointConfig &config, const QByteArray &password)
{
    EtcdClient::Options o;
    o.endpoints = config.endpoints;
    o.user = config.user;
    o.password = password;
    o.caFile = config.caFile;
    o.certFile = config.certFile;
    o.keyFile = config.keyFile;
    return o;
}

EtcdLockBackend::EtcdLockBackend(const EtcdEndpointConfig &config, const QByteArray &password, QObject *parent)
    : LockBackend(parent)
    , m_config(config)
    , m_client(new EtcdClient(clientOptions(config, password), this))
    , m_observations(LockObservationRules{config.longHeldMs})
    , m_table(&m_observations, false)
    , m_feed(config.watch, QStringLiteral("reading every lock once; then a watch on the prefixes follows the changes from that revision"))
{
    if (m_config.watch) {
        m_watchRetry = new QTimer(this);
        m_watchRetry->setSingleShot(true);
        connect(m_watchRetry, &QTimer::timeout, this, [this] {
            if (m_watch || !m_tableActive || m_pass)
                return; // a pass's end opens the watch from its own revision
            startWatch(resumeRevision());
        });
    }
}

EtcdLockBackend::~EtcdLockBackend()
{
    delete m_watch;
    m_releases.failAll(url());
}

const LockScanResult &EtcdLockBackend::lastResult() const
{
    return m_tableActive ? m_table.result(m_lastResult) : m_lastResult;
}

LockFeedState EtcdLockBackend::feedState() const
{
    return m_feed.state();
}

void EtcdLockBackend::setFeed(LockFeedState feed)
{
    if (m_feed.set(std::move(feed)))
        Q_EMIT feedChanged(feedState());
}

LockBackendCapabilities EtcdLockBackend::etcdCapabilities()
{
    LockBackendCapabilities c;
    c.backend = backendName;
    c.displayName = QStringLiteral("etcd");
    c.ttl = true;
    c.waiters = true;
    c.sessions = true;
    c.revokeSession = true;
    c.kinds = {QStringLiteral("etcd-mutex"), QStringLiteral("etcd-election")};
    c.releaseEffect = QStringLiteral(
        "Deletes exactly the holder's key, in a transaction that compares its create revision with the one read (nothing "
        "is deleted if another key holds now). The next waiter takes the lock at once. The old holder is NOT told: its "
        "lease lives on and it keeps running as if it held the lock.");
    c.revokeEffect = QStringLiteral(
        "Revokes the holder's lease, after checking that its key still has the create revision read. etcd deletes EVERY "
        "key attached to that lease (listed below), and the holder's client learns on its next keep-alive that its "
        "session is over, so it knows it lost the lock. The next waiter takes the lock at once.");
    return c;
}

void EtcdLockBackend::open()
{
    if (m_state != LockBackendState::NotStarted)
        return;
    connectNow();
}

void EtcdLockBackend::connectNow()
{
    m_state = LockBackendState::Connecting;
    m_client->call(QStringLiteral("/v3/maintenance/status"), {}, this, [this](const EtcdReply &reply) {
        if (reply.ok) {
            m_state = LockBackendState::Connected;
            Q_EMIT connected();
            if (m_resumeWanted) {
                m_resumeWanted = false;
                startPass();
            }
            return;
        }
        if (isAuthRefusal(reply)) {
            // A wrong password does not get better by retrying; the operator fixes it and reloads.
            m_state = LockBackendState::Disconnected;
            Q_EMIT errorOccurred(reply.error);
            return;
        }
        m_state = LockBackendState::WaitingToReconnect;
        Q_EMIT errorOccurred(reply.error);
        QTimer::singleShot(kReconnectMs, this, [this] {
            if (m_state == LockBackendState::WaitingToReconnect)
                connectNow();
        });
    });
}

void EtcdLockBackend::lose(const EtcdReply &reply)
{
    if (m_pass) {
        m_pass.reset();
        ++m_generation;
        ++m_restarts;
        m_resumeWanted = true;
        Q_EMIT scanInterrupted(reply.error);
    }
    if (m_state == LockBackendState::Connected) {
        m_state = LockBackendState::WaitingToReconnect;
        Q_EMIT errorOccurred(reply.error);
        QTimer::singleShot(kReconnectMs, this, [this] {
            if (m_state == LockBackendState::WaitingToReconnect)
                connectNow();
        });
    }
}

void EtcdLockBackend::scan()
{
    if (m_pass || !isConnected())
        return;
    m_restarts = 0;
    startPass();
}

void EtcdLockBackend::cancelScan()
{
    m_pass.reset();
    ++m_generation;
    m_resumeWanted = false;
}

void EtcdLockBackend::startPass()
{
    m_pass = std::make_unique<Pass>();
    Pass &p = *m_pass;
    p.generation = ++m_generation;
    p.startedAt = wallclock::nowUtc();
    p.clock.start();
    if (m_config.prefixes.isEmpty()) {
        p.ranges.append(Pass::Range{QByteArray(1, '\0')});
        readPage(0, QByteArray(1, '\0'));
    } else {
        for (const QString &prefix : m_config.prefixes) {
            const QByteArray start = prefix.toUtf8();
            p.ranges.append(Pass::Range{EtcdClient::prefixEnd(start)});
            readPage(int(p.ranges.size() - 1), start);
        }
    }
}

void EtcdLockBackend::readPage(int range, const QByteArray &from)
{
    Pass &p = *m_pass;
    ++p.reading;
    const quint64 generation = p.generation;
    const Pass::Range &r = p.ranges.at(range);
    m_client->call(QStringLiteral("/v3/kv/range"), rangeBody(from, r.end, m_config.pageSize, r.revision), this,
                   [this, generation, range](const EtcdReply &reply) {
        if (!m_pass || m_pass->generation != generation)
            return;
        Pass &p = *m_pass;
        --p.reading;
        if (!reply.ok) {
            if (reply.transport) {
                lose(reply);
            } else {
                m_pass.reset();
                ++m_generation;
                Q_EMIT scanFailed(QStringLiteral("etcd refused to read keys: %1").arg(reply.error));
            }
            return;
        }
        Pass::Range &r = p.ranges[range];
        if (r.revision == 0)
            r.revision = EtcdClient::integer(reply.json.value(QStringLiteral("header")).toObject().value(QStringLiteral("revision")));
        const QJsonArray kvs = reply.json.value(QStringLiteral("kvs")).toArray();
        QByteArray last;
        for (const QJsonValue &kv : kvs) {
            ++p.keys;
            EtcdKey key = keyFromJson(kv.toObject());
            last = key.key;
            if (const auto name = lockName(key)) {
                if (p.kept >= m_config.maxKeys) {
                    p.truncated = true;
                    continue;
                }
                ++p.kept;
                p.contenders[*name].append(std::move(key));
            }
        }
        Q_EMIT progress(p.keys, int(p.contenders.size()));
        const bool more = reply.json.value(QStringLiteral("more")).toBool() && !last.isEmpty();
        if (more && !p.truncated)
            readPage(range, last + '\0');
        maybeFinish();
    });
}

void EtcdLockBackend::maybeFinish()
{
    if (!m_pass)
        return;
    Pass &p = *m_pass;
    if (!p.rangesDone) {
        if (p.reading > 0)
            return;
        p.rangesDone = true;
        bool anyWaiters = false;
        for (auto it = p.contenders.begin(); it != p.contenders.end(); ++it) {
            std::optional<LockInfo> row = lockFromContenders(it.key(), it.value());
            if (!row)
                continue;
            anyWaiters = anyWaiters || !row->waiters.isEmpty();
            p.leasesToLookUp.push_back(it.key());
            p.rows.insert(it.key(), std::move(*row));
        }
        p.contenders.clear();
        if (anyWaiters) {
            // One request says which leases live: a waiter whose lease is not among them is orphaned.
            ++p.reading;
            const quint64 generation = p.generation;
            m_client->call(QStringLiteral("/v3/lease/leases"), {}, this, [this, generation](const EtcdReply &reply) {
                if (!m_pass || m_pass->generation != generation)
                    return;
                --m_pass->reading;
                if (reply.ok) {
                    m_pass->liveLeasesKnown = true;
                    for (const QJsonValue &lease : reply.json.value(QStringLiteral("leases")).toArray())
                        m_pass->liveLeases.insert(EtcdClient::integer(lease.toObject().value(QStringLiteral("ID"))));
                } else if (reply.transport) {
                    lose(reply);
                    return;
                } else {
                    m_pass->notes.append(LockScanNote{{}, QStringLiteral("cannot list leases (%1): waiters' leases not checked").arg(reply.error)});
                }
                maybeFinish();
            });
        }
    }
    lookUpLeases();
    if (m_pass && m_pass->reading == 0 && m_pass->leasesToLookUp.empty())
        finishPass();
}

void EtcdLockBackend::lookUpLeases()
{
    Pass &p = *m_pass;
    while (p.reading < kLeaseLookUpsInFlight && !p.leasesToLookUp.empty()) {
        const QByteArray name = p.leasesToLookUp.front();
        p.leasesToLookUp.pop_front();
        const LockInfo &row = p.rows[name];
        ++p.reading;
        const quint64 generation = p.generation;
        m_client->call(QStringLiteral("/v3/lease/timetolive"),
                       QJsonObject{{QStringLiteral("ID"), row.detailString(QStringLiteral("lease_id"))}, {QStringLiteral("keys"), true}}, this,
                       [this, generation, name](const EtcdReply &reply) {
            if (!m_pass || m_pass->generation != generation)
                return;
            --m_pass->reading;
            if (reply.ok) {
                applyHolderLease(m_pass->rows[name], leaseFromJson(reply.json), m_config.longLeaseMs);
            } else if (reply.transport) {
                lose(reply);
                return;
            } else {
                m_pass->notes.append(LockScanNote{name, QStringLiteral("cannot read the holder's lease: %1").arg(reply.error)});
            }
            maybeFinish();
        });
    }
}

void EtcdLockBackend::finishPass()
{
    std::unique_ptr<Pass> pass = std::move(m_pass);
    LockScanResult result;
    m_observations.beginPass(pass->startedAt);
    result.locks.reserve(pass->rows.size());
    for (LockInfo &row : pass->rows) {
        if (pass->liveLeasesKnown)
            markOrphanedWaiters(row, pass->liveLeases);
        m_observations.observe(row);
        result.locks.append(std::move(row));
    }
    if (!pass->truncated)
        m_observations.endPass();
    result.notes = pass->notes;
    if (pass->truncated)
        result.notes.append(LockScanNote{{}, QStringLiteral("stopped at max_keys (%1 lock keys): not every lock was read; narrow "
                                                            "\"prefixes\" or raise \"max_keys\"").arg(m_config.maxKeys)});
    result.keysScanned = pass->keys;
    result.elapsedMs = pass->clock.elapsed();
    result.restarts = m_restarts;
    result.truncated = pass->truncated;
    result.finishedAt = wallclock::nowUtc();
    m_lastResult = result;
    if (m_config.watch) {
        // The pass becomes the live table. Its ranges may have pinned different revisions: the
        // watch starts after the oldest (a change replayed twice is only read again).
        qint64 revision = 0;
        for (const Pass::Range &r : std::as_const(pass->ranges)) {
            if (r.revision > 0)
                revision = revision == 0 ? r.revision : std::min(revision, r.revision);
        }
        m_table.adopt(m_lastResult);
        m_tableActive = true;
        ++m_liveGeneration;
        m_liveReading = 0;
        m_dirty.unite(std::exchange(m_changedDuringPass, {}));
        if (!m_watch)
            startWatch(revision + 1);
        else
            scheduleLiveRead();
    }
    Q_EMIT progress(result.keysScanned, int(result.locks.size()));
    Q_EMIT scanFinished(m_lastResult);
}

// Where a watch picks up: after the oldest revision every watch of the stream has delivered.
qint64 EtcdLockBackend::resumeRevision() const
{
    if (m_watchRevisions.isEmpty())
        return m_fromRevision;
    return *std::min_element(m_watchRevisions.cbegin(), m_watchRevisions.cend()) + 1;
}

void EtcdLockBackend::startWatch(qint64 fromRevision)
{
    delete std::exchange(m_watch, nullptr);
    m_fromRevision = fromRevision;
    m_watchRevisions.clear();
    m_watchesCreated = 0;
    QList<QJsonObject> requests;
    auto create = [fromRevision](const QByteArray &key, const QByteArray &end) {
        return QJsonObject{{QStringLiteral("create_request"),
                            QJsonObject{{QStringLiteral("key"), EtcdClient::base64(key)},
                                        {QStringLiteral("range_end"), EtcdClient::base64(end)},
                                        {QStringLiteral("start_revision"), QString::number(fromRevision)},
                                        {QStringLiteral("progress_notify"), true}}}};
    };
    if (m_config.prefixes.isEmpty()) {
        requests.append(create(QByteArray(1, '\0'), QByteArray(1, '\0')));
    } else {
        for (const QString &prefix : m_config.prefixes)
            requests.append(create(prefix.toUtf8(), EtcdClient::prefixEnd(prefix.toUtf8())));
    }
    m_watchesWanted = int(requests.size());
    if (m_feed.current().mode != LockFeedState::Live)
        setFeed(LockFeedState{LockFeedState::Resyncing, QStringLiteral("opening a watch on the prefixes from revision %1").arg(fromRevision)});
    m_watch = m_client->watch(requests, this);
    connect(m_watch, &EtcdWatchStream::result, this, &EtcdLockBackend::onWatchResult);
    connect(m_watch, &EtcdWatchStream::ended, this, &EtcdLockBackend::onWatchEnded);
}

void EtcdLockBackend::onWatchResult(const QJsonObject &result)
{
    const qint64 id = EtcdClient::integer(result.value(QStringLiteral("watch_id")));
    if (result.value(QStringLiteral("canceled")).toBool()) {
        const qint64 compacted = EtcdClient::integer(result.value(QStringLiteral("compact_revision")));
        if (compacted > 0) {
            const qint64 from = resumeRevision();
            resync(QStringLiteral("etcd compacted its history up to revision %1, past revision %2 where the watch would resume: "
                                  "the changes since cannot be replayed, so every lock is read again").arg(compacted).arg(from));
            return;
        }
        const QString reason = result.value(QStringLiteral("cancel_reason")).toString();
        onWatchEnded(QStringLiteral("etcd cancelled the watch%1").arg(reason.isEmpty() ? QString() : QStringLiteral(": %1").arg(reason)));
        return;
    }
    if (result.value(QStringLiteral("created")).toBool()) {
        m_watchRevisions.insert(id, m_fromRevision - 1);
        if (++m_watchesCreated == m_watchesWanted) {
            LockFeedState live;
            live.mode = LockFeedState::Live;
            live.why = QStringLiteral("from revision %1 through %2").arg(m_fromRevision).arg(m_watch ? m_watch->member() : QString());
            live.liveSince = wallclock::nowUtc();
            setFeed(live);
            scheduleLiveRead();
        }
        return;
    }
    const QJsonArray events = result.value(QStringLiteral("events")).toArray();
    qint64 &seen = m_watchRevisions[id];
    if (events.isEmpty()) {
        // A progress notification: every change up to the header's revision has been sent.
        seen = std::max(seen, EtcdClient::integer(result.value(QStringLiteral("header")).toObject().value(QStringLiteral("revision"))));
        return;
    }
    for (const QJsonValue &value : events) {
        const QJsonObject event = value.toObject();
        const QJsonObject kv = event.value(QStringLiteral("kv")).toObject();
        seen = std::max(seen, EtcdClient::integer(kv.value(QStringLiteral("mod_revision"))));
        m_feed.countEvent();
        const EtcdKey key = keyFromJson(kv, 0);
        const qsizetype slash = key.key.lastIndexOf('/');
        if (slash <= 0)
            continue;
        const QByteArray name = key.key.left(slash);
        // A new contender has the recipes' shape; a deleted one is known by the row it was in.
        const bool deleted = event.value(QStringLiteral("type")).toString() == u"DELETE";
        if ((!deleted && lockName(key)) || m_table.row(name) || m_dirty.contains(name))
            markDirty(name);
    }
}

void EtcdLockBackend::markDirty(const QByteArray &name)
{
    if (m_pass) {
        m_changedDuringPass.insert(name);
        return;
    }
    m_dirty.insert(name);
    if (m_dirty.size() > kStormLocks) {
        m_dirty.clear();
        scan();
        return;
    }
    scheduleLiveRead();
}

void EtcdLockBackend::onWatchEnded(const QString &why)
{
    if (m_watch) {
        m_watch->deleteLater();
        m_watch = nullptr;
    }
    const qint64 from = resumeRevision();
    setFeed(LockFeedState{LockFeedState::Resyncing,
                          QStringLiteral("the watch stream ended (%1); it resumes from revision %2, and etcd replays the changes since")
                              .arg(why)
                              .arg(from)});
    m_watchRetry->start(kReconnectMs);
}

void EtcdLockBackend::resync(const QString &why)
{
    if (m_watch) {
        m_watch->deleteLater();
        m_watch = nullptr;
    }
    m_watchRevisions.clear();
    m_watchRetry->stop();
    setFeed(LockFeedState{LockFeedState::Resyncing, why});
    if (m_pass) {
        // A pass under way may have read before the changes the watch lost: read again after it.
        m_pass.reset();
        ++m_generation;
    }
    m_dirty.clear();
    m_changedDuringPass.clear();
    if (isConnected()) {
        m_restarts = 0;
        startPass();
    } else {
        m_resumeWanted = true;
    }
}

void EtcdLockBackend::scheduleLiveRead()
{
    if (m_liveReadScheduled || m_liveReading > 0 || m_dirty.isEmpty())
        return;
    m_liveReadScheduled = true;
    QTimer::singleShot(kLiveTickMs, Qt::PreciseTimer, this, [this] {
        m_liveReadScheduled = false;
        readLive();
    });
}

// The locks changed within a tick, read again whole in transactions of range reads (one round
// trip per 128 locks); a holder that is new also has its lease looked up.
void EtcdLockBackend::readLive()
{
    if (!m_tableActive || m_pass || m_liveReading > 0 || m_dirty.isEmpty() || !isConnected())
        return;
    const QList<QByteArray> names = std::exchange(m_dirty, {}).values();
    const quint64 generation = m_liveGeneration;
    m_liveReading = int(names.size());
    for (qsizetype first = 0; first < names.size(); first += kRangesPerTxn) {
        const QList<QByteArray> batch = names.mid(first, kRangesPerTxn);
        QJsonArray ranges;
        for (const QByteArray &name : batch) {
            const QByteArray prefix = name + '/';
            ranges.append(QJsonObject{{QStringLiteral("request_range"), rangeBody(prefix, EtcdClient::prefixEnd(prefix), 0)}});
        }
        m_client->call(QStringLiteral("/v3/kv/txn"), QJsonObject{{QStringLiteral("success"), ranges}}, this,
                       [this, batch, generation](const EtcdReply &reply) {
            if (generation != m_liveGeneration)
                return;
            if (!reply.ok) {
                // Read again when the watch is back (a lost member ends it too), or by the pass.
                for (const QByteArray &name : batch)
                    m_dirty.insert(name);
                if (!reply.transport)
                    Q_EMIT errorOccurred(QStringLiteral("%1: reading changed locks failed: %2").arg(url(), reply.error));
                m_liveReading -= int(batch.size());
                if (m_liveReading == 0 && reply.transport)
                    return;
                liveReadsDone(0);
                return;
            }
            const QJsonArray responses = reply.json.value(QStringLiteral("responses")).toArray();
            for (qsizetype i = 0; i < batch.size(); ++i) {
                const QJsonObject range = responses.at(i).toObject().value(QStringLiteral("response_range")).toObject();
                QList<EtcdKey> contenders;
                for (const QJsonValue &kv : range.value(QStringLiteral("kvs")).toArray()) {
                    EtcdKey key = keyFromJson(kv.toObject());
                    if (lockName(key) == batch[i])
                        contenders.append(std::move(key));
                }
                applyLiveLock(batch[i], lockFromContenders(batch[i], contenders), generation);
            }
        });
    }
}

void EtcdLockBackend::applyLiveLock(const QByteArray &name, std::optional<LockInfo> row, quint64 generation)
{
    if (!row) {
        m_table.remove(name);
        liveReadsDone(1);
        return;
    }
    const LockInfo *before = m_table.row(name);
    const qint64 createRevision = row->detailInteger(QStringLiteral("create_revision"));
    if (before && before->holder == row->holder && before->detailInteger(QStringLiteral("create_revision")) == createRevision) {
        // The same holder (only the waiters changed): its lease is as read before.
        row->ttlMs = before->ttlMs;
        row->flags |= before->flags & LockInfo::NoExpiry;
        for (const QString &field : {QStringLiteral("granted_ttl_s"), QStringLiteral("lease_keys"), QStringLiteral("lease_gone")}) {
            if (before->details.contains(field))
                row->details.insert(field, before->details.value(field));
        }
        m_table.put(std::move(*row));
        liveReadsDone(1);
        return;
    }
    const QString lease = row->detailString(QStringLiteral("lease_id"));
    m_client->call(QStringLiteral("/v3/lease/timetolive"), QJsonObject{{QStringLiteral("ID"), lease}, {QStringLiteral("keys"), true}}, this,
                   [this, generation, row = std::move(*row)](const EtcdReply &reply) mutable {
        if (generation != m_liveGeneration)
            return;
        if (reply.ok)
            applyHolderLease(row, leaseFromJson(reply.json), m_config.longLeaseMs);
        m_table.put(std::move(row));
        liveReadsDone(1);
    });
}

void EtcdLockBackend::liveReadsDone(int count)
{
    m_liveReading -= count;
    if (m_liveReading > 0)
        return;
    m_liveReading = 0;
    const LockChanges changes = m_table.takeChanges();
    if (!changes.isEmpty())
        Q_EMIT rowsChanged(changes);
    if (m_feed.current().mode == LockFeedState::Live)
        scheduleLiveRead();
}

void EtcdLockBackend::readLock(const QByteArray &name, QObject *context,
                               std::function<void(const EtcdReply &, const std::optional<LockInfo> &)> done)
{
    const QByteArray prefix = name + '/';
    m_client->call(QStringLiteral("/v3/kv/range"), rangeBody(prefix, EtcdClient::prefixEnd(prefix), 0), context,
                   [name, done](const EtcdReply &reply) {
        if (!reply.ok) {
            done(reply, std::nullopt);
            return;
        }
        QList<EtcdKey> contenders;
        for (const QJsonValue &kv : reply.json.value(QStringLiteral("kvs")).toArray()) {
            EtcdKey key = keyFromJson(kv.toObject());
            if (lockName(key) == name)
                contenders.append(std::move(key));
        }
        done(reply, lockFromContenders(name, contenders));
    });
}

void EtcdLockBackend::release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done)
{
    auto pending = m_releases.add(request, std::move(done));
    if (request.mode == LockReleaseRequest::AskHolder) {
        m_releases.finishLater(this, pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                                 QStringLiteral("etcd locks cannot be asked to release; delete the holder's key "
                                                                                "or revoke its lease instead")});
        return;
    }
    readLock(request.key, this, [this, pending](const EtcdReply &reply, const std::optional<LockInfo> &current) {
        const QString key = escapeBytes(pending->request.key);
        if (!reply.ok) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("cannot read lock %1 on %2: %3; nothing was changed").arg(key, url(), reply.error)});
            return;
        }
        const QString nothing = pending->request.mode == LockReleaseRequest::RevokeSession ? QStringLiteral("nothing was revoked")
                                                                                           : QStringLiteral("nothing was deleted");
        if (!current) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Gone, {},
                                                      QStringLiteral("%1 has no holder any more; %2").arg(key, nothing)});
            return;
        }
        if (current->holder != pending->request.holder) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::HolderChanged, current->holder,
                                                      QStringLiteral("%1 is now held by %2, not %3; %4")
                                                          .arg(key, escapeBytes(current->holder), escapeBytes(pending->request.holder), nothing)});
            return;
        }
        if (pending->request.mode == LockReleaseRequest::RevokeSession)
            revokeLease(pending, *current);
        else
            deleteHolder(pending, *current);
    });
}

static QJsonObject compareCreateRevision(const LockInfo &current)
{
    return QJsonObject{{QStringLiteral("key"), EtcdClient::base64(current.holder)},
                       {QStringLiteral("target"), QStringLiteral("CREATE")},
                       {QStringLiteral("result"), QStringLiteral("EQUAL")},
                       {QStringLiteral("create_revision"), QString::number(current.detailInteger(QStringLiteral("create_revision")))}};
}

void EtcdLockBackend::deleteHolder(const std::shared_ptr<PendingRelease> &pending, const LockInfo &current)
{
    const QJsonObject body{
        {QStringLiteral("compare"), QJsonArray{compareCreateRevision(current)}},
        {QStringLiteral("success"), QJsonArray{QJsonObject{{QStringLiteral("request_delete_range"),
                                                            QJsonObject{{QStringLiteral("key"), EtcdClient::base64(current.holder)}}}}}}};
    const QString next = current.waiters.isEmpty() ? QString() : escapeBytes(current.waiters.first().id);
    const QString holder = escapeBytes(current.holder);
    const qint64 revision = current.detailInteger(QStringLiteral("create_revision"));
    m_client->call(QStringLiteral("/v3/kv/txn"), body, this, [this, pending, next, holder, revision](const EtcdReply &reply) {
        if (!reply.ok) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("deleting %1 failed: %2; it may or may not be gone, look at the lock again")
                                                          .arg(holder, reply.error)});
            return;
        }
        if (reply.json.value(QStringLiteral("succeeded")).toBool()) {
            const QString after = next.isEmpty() ? QStringLiteral("nobody was waiting")
                                                 : QStringLiteral("the next waiter (%1) takes the lock now").arg(next);
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Released, {},
                                                      QStringLiteral("deleted %1 (create revision %2); %3; the old holder is not told")
                                                          .arg(holder).arg(revision).arg(after)});
            return;
        }
        // The compare failed: the key went, or came back as another key. Say who holds now.
        readLock(pending->request.key, this, [this, pending, holder](const EtcdReply &, const std::optional<LockInfo> &now) {
            if (now && now->holder != pending->request.holder)
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::HolderChanged, now->holder,
                                                          QStringLiteral("%1 is now held by %2; nothing was deleted")
                                                              .arg(escapeBytes(pending->request.key), escapeBytes(now->holder))});
            else
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Gone, {},
                                                          QStringLiteral("%1 changed before the delete; nothing was deleted").arg(holder)});
        });
    });
}

void EtcdLockBackend::revokeLease(const std::shared_ptr<PendingRelease> &pending, const LockInfo &current)
{
    const QString leaseId = current.detailString(QStringLiteral("lease_id"));
    const QString leaseText = QStringLiteral("%1 (%2)").arg(current.session, leaseId);
    const QJsonObject compareLease{{QStringLiteral("key"), EtcdClient::base64(current.holder)},
                                   {QStringLiteral("target"), QStringLiteral("LEASE")},
                                   {QStringLiteral("result"), QStringLiteral("EQUAL")},
                                   {QStringLiteral("lease"), leaseId}};
    const QJsonObject body{{QStringLiteral("compare"), QJsonArray{compareCreateRevision(current), compareLease}}};
    const QString next = current.waiters.isEmpty() ? QString() : escapeBytes(current.waiters.first().id);
    m_client->call(QStringLiteral("/v3/lease/timetolive"), QJsonObject{{QStringLiteral("ID"), leaseId}, {QStringLiteral("keys"), true}}, this,
                   [this, pending, body, leaseId, leaseText, next](const EtcdReply &lease) {
        QStringList keys;
        for (const QByteArray &key : leaseFromJson(lease.json).keys)
            keys << escapeBytes(key);
        m_client->call(QStringLiteral("/v3/kv/txn"), body, this, [this, pending, leaseId, leaseText, next, keys](const EtcdReply &reply) {
            if (!reply.ok || !reply.json.value(QStringLiteral("succeeded")).toBool()) {
                m_releases.finish(pending, ForceReleaseResult{reply.ok ? ForceReleaseResult::Gone : ForceReleaseResult::Failed, {},
                                                          reply.ok ? QStringLiteral("%1 changed before the revoke; nothing was revoked")
                                                                         .arg(escapeBytes(pending->request.holder))
                                                                   : QStringLiteral("checking %1 failed: %2; nothing was revoked")
                                                                         .arg(escapeBytes(pending->request.holder), reply.error)});
                return;
            }
            m_client->call(QStringLiteral("/v3/lease/revoke"), QJsonObject{{QStringLiteral("ID"), leaseId}}, this,
                           [this, pending, leaseText, next, keys](const EtcdReply &revoked) {
                if (!revoked.ok) {
                    const bool gone = !revoked.transport && revoked.error.contains(QStringLiteral("lease not found"));
                    m_releases.finish(pending, ForceReleaseResult{gone ? ForceReleaseResult::Gone : ForceReleaseResult::Failed, {},
                                                              gone ? QStringLiteral("lease %1 expired before the revoke").arg(leaseText)
                                                                   : QStringLiteral("revoking lease %1 failed: %2").arg(leaseText, revoked.error)});
                    return;
                }
                const QString after = next.isEmpty() ? QStringLiteral("nobody was waiting")
                                                     : QStringLiteral("the next waiter (%1) takes the lock now").arg(next);
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Released, {},
                                                          QStringLiteral("revoked lease %1; etcd deleted its keys (%2); the holder's session "
                                                                         "is over and its client learns it lost the lock; %3")
                                                              .arg(leaseText, keys.isEmpty() ? escapeBytes(pending->request.holder) : keys.join(QStringLiteral(", ")), after)});
            });
        });
    });
}

void EtcdLockBackend::probe(const EtcdEndpointConfig &config, const QByteArray &password, QObject *context,
                            std::function<void(bool ok, const QString &message)> done)
{
    auto *client = new EtcdClient(clientOptions(config, password));
    QPointer<QObject> guard(context);
    client->call(QStringLiteral("/v3/maintenance/status"), {}, client, [client, guard, done, config](const EtcdReply &reply) {
        client->deleteLater();
        if (!guard)
            return;
        if (!reply.ok) {
            done(false, reply.error);
            return;
        }
        done(true, QStringLiteral("connected to %1 through %2 (etcd %3)")
                       .arg(config.url(), reply.member, reply.json.value(QStringLiteral("version")).toString()));
    });
}

} // namespace fulcrum
