#include "historystore.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QVariant>

#include <atomic>
#include <map>

namespace fulcrum {

namespace {

std::atomic<int> connectionCounter{0};

constexpr int kSchemaVersion = 2;   // 1: development builds before the series table
// How long the engine's open tries to set the file up while another process holds it.
constexpr qint64 kSetUpPatienceMs = 20'000;

const char *const kSchema[] = {
    // Names once per server, a small integer in every sample row: the store is about half the size.
    "CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, pool TEXT NOT NULL, server TEXT NOT NULL, UNIQUE (pool, server))",
    "CREATE TABLE IF NOT EXISTS samples (res INTEGER NOT NULL, t INTEGER NOT NULL, series INTEGER NOT NULL,"
    " requests REAL, errors REAL, mean_ms REAL, p50_ms REAL, p95_ms REAL, p99_ms REAL,"
    " state INTEGER, weight INTEGER, effective_weight INTEGER, up_ms INTEGER, covered_ms INTEGER,"
    " PRIMARY KEY (res, series, t)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS samples_time ON samples (t)",
    "CREATE VIEW IF NOT EXISTS samples_named AS SELECT res, t, series.pool AS pool, series.server AS server, requests, errors,"
    " mean_ms, p50_ms, p95_ms, p99_ms, state, weight, effective_weight, up_ms, covered_ms FROM samples JOIN series ON series.id = samples.series",
    "CREATE TABLE IF NOT EXISTS health_events (t INTEGER NOT NULL, kind INTEGER, pool TEXT, server TEXT,"
    " from_state TEXT, to_state TEXT, reason TEXT, check_us INTEGER)",
    "CREATE INDEX IF NOT EXISTS health_events_time ON health_events (t)",
    "CREATE TABLE IF NOT EXISTS lock_observations (t INTEGER NOT NULL, endpoint TEXT, lock_key TEXT, kind TEXT,"
    " holder TEXT, ttl_ms INTEGER, held_ms INTEGER, flags INTEGER)",
    "CREATE INDEX IF NOT EXISTS lock_observations_time ON lock_observations (t)",
    "CREATE TABLE IF NOT EXISTS audit (t INTEGER NOT NULL, user TEXT, origin TEXT, action TEXT, target TEXT,"
    " before_value TEXT, after_value TEXT, result TEXT)",
    "CREATE INDEX IF NOT EXISTS audit_time ON audit (t)",
};

// SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes: another connection holds
// the file for a moment.
bool isBusy(const QSqlError &error)
{
    const int code = error.nativeErrorCode().toInt() & 0xff;
    return code == 5 || code == 6;
}

qint64 msOf(const QDateTime &time) { return time.isValid() ? time.toMSecsSinceEpoch() : 0; }

} // namespace

std::vector<HistorySample> downsampleSamples(const std::vector<HistorySample> &samples, int resolutionS)
{
    const qint64 bucketMs = qint64(resolutionS) * 1000;
    struct Acc
    {
        HistorySample out;
        double weightedMean = 0, weighted50 = 0, weighted95 = 0, weighted99 = 0;
        qint64 lastTime = -1;
    };
    std::map<std::tuple<QString, QString, qint64>, Acc> buckets;
    for (const HistorySample &s : samples) {
        const qint64 start = s.timeMs - (((s.timeMs % bucketMs) + bucketMs) % bucketMs);
        Acc &acc = buckets[{s.pool, s.server, start}];
        if (acc.lastTime < 0) {
            acc.out.timeMs = start;
            acc.out.resolutionS = resolutionS;
            acc.out.pool = s.pool;
            acc.out.server = s.server;
        }
        acc.out.requests += s.requests;
        acc.out.errors += s.errors;
        acc.weightedMean += s.meanMs * s.requests;
        acc.weighted50 += s.p50Ms * s.requests;
        acc.weighted95 += s.p95Ms * s.requests;
        acc.weighted99 += s.p99Ms * s.requests;
        acc.out.upMs += s.upMs;
        acc.out.coveredMs += s.coveredMs;
        if (s.timeMs >= acc.lastTime) {
            acc.lastTime = s.timeMs;
            acc.out.state = s.state;
            acc.out.weight = s.weight;
            acc.out.effectiveWeight = s.effectiveWeight;
        }
    }
    std::vector<HistorySample> result;
    result.reserve(buckets.size());
    for (auto &[key, acc] : buckets) {
        if (acc.out.requests > 0) {
            acc.out.meanMs = acc.weightedMean / acc.out.requests;
            acc.out.p50Ms = acc.weighted50 / acc.out.requests;
            acc.out.p95Ms = acc.weighted95 / acc.out.requests;
            acc.out.p99Ms = acc.weighted99 / acc.out.requests;
        }
        result.push_back(std::move(acc.out));
    }
    return result;
}

HistoryStore::HistoryStore(HistoryRetention retention)
    : m_retention(retention)
    , m_connection(QStringLiteral("fulcrum-history-%1").arg(connectionCounter.fetch_add(1)))
{
}

HistoryStore::~HistoryStore()
{
    close();
}

QString HistoryStore::failure(const QString &what, const QString &detail) const
{
    return QStringLiteral("history store %1: %2: %3").arg(m_path, what, detail);
}

bool HistoryStore::exec(const QString &sql, QString *error, bool *busy)
{
    QSqlQuery query(m_db);
    if (query.exec(sql))
        return true;
    if (busy)
        *busy = isBusy(query.lastError());
    if (error)
        *error = failure(QStringLiteral("\"%1\" failed").arg(sql.left(60)), query.lastError().text());
    return false;
}

bool HistoryStore::open(const QString &path, QString *error, Access access)
{
    close();
    m_path = path;
    const bool readOnly = access == Access::ReadOnly;
    const QFileInfo dir(QFileInfo(path).absolutePath());
    if (!readOnly && (!dir.isDir() || !dir.isWritable())) {
        if (error)
            *error = failure(QStringLiteral("cannot write"), QStringLiteral("directory %1 is missing or not writable; create it or choose another --state-dir").arg(dir.absoluteFilePath()));
        return false;
    }
    if (readOnly && !QFileInfo::exists(path)) {
        if (error)
            *error = failure(QStringLiteral("cannot open"), QStringLiteral("no such file; give the engine's state_dir or the store file"));
        return false;
    }
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    m_db.setDatabaseName(path);
    // A reader (a report, fulcrumctl) never writes the engine's file.
    m_db.setConnectOptions(readOnly ? QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000") : QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!m_db.open()) {
        if (error)
            *error = failure(QStringLiteral("cannot open"), m_db.lastError().text());
        close();
        return false;
    }
    // Another process may hold the file for a while (a report at the moment the engine creates
    // the store, a backup tool), and some of SQLite's "busy" answers come at once, without its
    // own 5 s wait. A busy file is tried again for up to 20 s: never taken for a damaged one,
    // and the engine does not give up its history for it.
    QElapsedTimer waited;
    waited.start();
    for (;;) {
        QString detail;
        bool busy = false;
        if (setUp(readOnly, &detail, &busy))
            return true;
        if (!busy || waited.elapsed() > kSetUpPatienceMs) {
            if (error)
                *error = busy ? failure(QStringLiteral("busy"), QStringLiteral("another process has held the file for %1 s; find it (fuser %2) and try again").arg(kSetUpPatienceMs / 1000).arg(path))
                              : detail;
            close();
            return false;
        }
        QThread::msleep(100);
    }
}

bool HistoryStore::setUp(bool readOnly, QString *error, bool *busy)
{
    {
        QSqlQuery check(m_db);
        if (!check.exec(QStringLiteral("PRAGMA quick_check")) || !check.next() || check.value(0).toString() != u"ok") {
            *busy = isBusy(check.lastError());
            *error = failure(QStringLiteral("the file is damaged or not a SQLite database"),
                             QStringLiteral("%1; move it aside (history starts afresh) or restore it from a backup")
                                 .arg(check.lastError().isValid() ? check.lastError().text() : check.value(0).toString()));
            return false;
        }
    }
    int found = 0;
    {
        QSqlQuery version(m_db);
        if (!version.exec(QStringLiteral("PRAGMA user_version")) || !version.next()) {
            *busy = isBusy(version.lastError());
            *error = failure(QStringLiteral("cannot read the schema version"), version.lastError().text());
            return false;
        }
        found = version.value(0).toInt();
    }
    if (found != 0 && found != kSchemaVersion) {
        *error = failure(QStringLiteral("schema version %1, this build reads %2").arg(found).arg(kSchemaVersion),
                         found > kSchemaVersion ? QStringLiteral("upgrade Fulcrum") : QStringLiteral("it was written by a development build; move it aside (history starts afresh)"));
        return false;
    }
    if (readOnly) {
        if (found != 0)
            return true;
        *error = failure(QStringLiteral("holds no history yet"), QStringLiteral("the engine creates its tables when it starts; try again once it runs"));
        return false;
    }
    // WAL + NORMAL: a commit survives an engine crash; only a power loss may lose the last one.
    if (!exec(QStringLiteral("PRAGMA journal_mode=WAL"), error, busy) || !exec(QStringLiteral("PRAGMA synchronous=NORMAL"), error, busy))
        return false;
    for (const char *statement : kSchema) {
        if (!exec(QString::fromLatin1(statement), error, busy))
            return false;
    }
    return found == kSchemaVersion || exec(QStringLiteral("PRAGMA user_version=%1").arg(kSchemaVersion), error, busy);
}

void HistoryStore::close()
{
    m_seriesIds.clear();
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connection);
    }
}

bool HistoryStore::write(const HistoryBatch &batch, QString *error)
{
    if (!isOpen()) {
        if (error)
            *error = failure(QStringLiteral("not open"), QStringLiteral("open it first"));
        return false;
    }
    if (batch.isEmpty())
        return true;
    if (!m_db.transaction()) {
        if (error)
            *error = failure(QStringLiteral("cannot begin a transaction"), m_db.lastError().text());
        return false;
    }
    auto fail = [&](const QSqlQuery &query) {
        if (error)
            *error = failure(QStringLiteral("write failed"), query.lastError().text());
        m_db.rollback();
        return false;
    };
    {
        QSqlQuery q(m_db);
        QSqlQuery addSeries(m_db);
        addSeries.prepare(QStringLiteral("INSERT OR IGNORE INTO series (pool, server) VALUES (?, ?)"));
        QSqlQuery findSeries(m_db);
        findSeries.prepare(QStringLiteral("SELECT id FROM series WHERE pool = ? AND server = ?"));
        q.prepare(QStringLiteral("INSERT OR REPLACE INTO samples VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
        for (const HistorySample &s : batch.samples) {
            auto id = m_seriesIds.constFind({s.pool, s.server});
            if (id == m_seriesIds.constEnd()) {
                addSeries.bindValue(0, s.pool);
                addSeries.bindValue(1, s.server);
                findSeries.bindValue(0, s.pool);
                findSeries.bindValue(1, s.server);
                if (!addSeries.exec())
                    return fail(addSeries);
                if (!findSeries.exec() || !findSeries.next())
                    return fail(findSeries);
                id = m_seriesIds.insert({s.pool, s.server}, findSeries.value(0).toLongLong());
                findSeries.finish();
            }
            const QVariantList values{s.resolutionS, s.timeMs, *id, s.requests, s.errors, s.meanMs, s.p50Ms, s.p95Ms, s.p99Ms,
                                      s.state, s.weight, s.effectiveWeight, s.upMs, s.coveredMs};
            for (int i = 0; i < values.size(); ++i)
                q.bindValue(i, values[i]);
            if (!q.exec())
                return fail(q);
        }
        q.prepare(QStringLiteral("INSERT INTO health_events VALUES (?,?,?,?,?,?,?,?)"));
        for (const HealthEvent &e : batch.healthEvents) {
            const QVariantList values{e.timeMs, int(e.kind), e.pool, e.server, e.from, e.to, e.reason, e.checkDurationUs};
            for (int i = 0; i < values.size(); ++i)
                q.bindValue(i, values[i]);
            if (!q.exec())
                return fail(q);
        }
        q.prepare(QStringLiteral("INSERT INTO lock_observations VALUES (?,?,?,?,?,?,?,?)"));
        for (const LockObservation &l : batch.locks) {
            const QVariantList values{l.timeMs, l.endpoint, l.key, l.kind, l.holder, l.ttlMs, l.heldForMs, l.flags};
            for (int i = 0; i < values.size(); ++i)
                q.bindValue(i, values[i]);
            if (!q.exec())
                return fail(q);
        }
        q.prepare(QStringLiteral("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?)"));
        for (const AuditEntry &a : batch.audit) {
            const QVariantList values{msOf(a.time), a.user, a.origin, a.action, a.target, a.before, a.after, a.result};
            for (int i = 0; i < values.size(); ++i)
                q.bindValue(i, values[i]);
            if (!q.exec())
                return fail(q);
        }
    }
    if (!m_db.commit()) {
        if (error)
            *error = failure(QStringLiteral("commit failed"), m_db.lastError().text());
        m_db.rollback();
        return false;
    }
    return true;
}

bool HistoryStore::compact(qint64 nowMs, QString *error)
{
    if (!isOpen()) {
        if (error)
            *error = failure(QStringLiteral("not open"), QStringLiteral("open it first"));
        return false;
    }
    struct Step
    {
        int from;
        int to;
        qint64 keepMs;
    };
    const Step steps[] = {{1, 60, m_retention.secondsMs}, {60, 3600, m_retention.minutesMs}};
    for (const Step &step : steps) {
        // Only whole target buckets move, so a bucket is never split between two resolutions.
        const qint64 bucketMs = qint64(step.to) * 1000;
        const qint64 cutoff = ((nowMs - step.keepMs) / bucketMs) * bucketMs;
        HistoryBatch batch;
        {
            QSqlQuery q(m_db);
            q.prepare(QStringLiteral("SELECT t, pool, server, requests, errors, mean_ms, p50_ms, p95_ms, p99_ms, state, weight, effective_weight, up_ms, covered_ms"
                                     " FROM samples_named WHERE res = ? AND t < ?"));
            q.bindValue(0, step.from);
            q.bindValue(1, cutoff);
            if (!q.exec()) {
                if (error)
                    *error = failure(QStringLiteral("compaction read failed"), q.lastError().text());
                return false;
            }
            std::vector<HistorySample> old;
            while (q.next()) {
                HistorySample s;
                s.timeMs = q.value(0).toLongLong();
                s.resolutionS = step.from;
                s.pool = q.value(1).toString();
                s.server = q.value(2).toString();
                s.requests = q.value(3).toDouble();
                s.errors = q.value(4).toDouble();
                s.meanMs = q.value(5).toDouble();
                s.p50Ms = q.value(6).toDouble();
                s.p95Ms = q.value(7).toDouble();
                s.p99Ms = q.value(8).toDouble();
                s.state = q.value(9).toInt();
                s.weight = q.value(10).toInt();
                s.effectiveWeight = q.value(11).toInt();
                s.upMs = q.value(12).toLongLong();
                s.coveredMs = q.value(13).toLongLong();
                old.push_back(std::move(s));
            }
            if (old.empty())
                continue;
            batch.samples = downsampleSamples(old, step.to);
        }
        // Merge with a target bucket that an earlier compaction already started.
        if (!m_db.transaction()) {
            if (error)
                *error = failure(QStringLiteral("cannot begin a transaction"), m_db.lastError().text());
            return false;
        }
        QSqlQuery existing(m_db);
        existing.prepare(QStringLiteral("SELECT requests, errors, mean_ms, p50_ms, p95_ms, p99_ms, up_ms, covered_ms FROM samples_named WHERE res = ? AND pool = ? AND server = ? AND t = ?"));
        for (HistorySample &s : batch.samples) {
            existing.bindValue(0, step.to);
            existing.bindValue(1, s.pool);
            existing.bindValue(2, s.server);
            existing.bindValue(3, s.timeMs);
            if (existing.exec() && existing.next()) {
                HistorySample before = s;
                before.requests = existing.value(0).toDouble();
                before.errors = existing.value(1).toDouble();
                before.meanMs = existing.value(2).toDouble();
                before.p50Ms = existing.value(3).toDouble();
                before.p95Ms = existing.value(4).toDouble();
                before.p99Ms = existing.value(5).toDouble();
                before.upMs = existing.value(6).toLongLong();
                before.coveredMs = existing.value(7).toLongLong();
                // Same bucket, one ms later: the merge keeps the newer state and weights.
                HistorySample later = s;
                later.timeMs = s.timeMs + 1;
                s = downsampleSamples({before, later}, step.to).front();
            }
            existing.finish();
        }
        existing = QSqlQuery();
        m_db.commit();
        if (!write(batch, error))
            return false;
        QSqlQuery remove(m_db);
        remove.prepare(QStringLiteral("DELETE FROM samples WHERE res = ? AND t < ?"));
        remove.bindValue(0, step.from);
        remove.bindValue(1, cutoff);
        if (!remove.exec()) {
            if (error)
                *error = failure(QStringLiteral("compaction delete failed"), remove.lastError().text());
            return false;
        }
    }
    const qint64 oldest = nowMs - m_retention.hoursMs;
    for (const char *table : {"samples", "health_events", "lock_observations", "audit"}) {
        if (!exec(QStringLiteral("DELETE FROM %1 WHERE t < %2").arg(QLatin1StringView(table)).arg(oldest), error))
            return false;
    }
    return true;
}

std::vector<HistorySample> HistoryStore::samples(qint64 fromMs, qint64 toMs, const std::function<bool(qint64 reachedMs)> &reached) const
{
    std::vector<HistorySample> result;
    if (!isOpen())
        return result;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT res, t, pool, server, requests, errors, mean_ms, p50_ms, p95_ms, p99_ms, state, weight, effective_weight, up_ms, covered_ms"
                             " FROM samples_named WHERE t >= ? AND t < ? ORDER BY t, pool, server"));
    q.bindValue(0, fromMs);
    q.bindValue(1, toMs);
    if (!q.exec())
        return result;
    while (q.next()) {
        HistorySample s;
        s.resolutionS = q.value(0).toInt();
        s.timeMs = q.value(1).toLongLong();
        s.pool = q.value(2).toString();
        s.server = q.value(3).toString();
        s.requests = q.value(4).toDouble();
        s.errors = q.value(5).toDouble();
        s.meanMs = q.value(6).toDouble();
        s.p50Ms = q.value(7).toDouble();
        s.p95Ms = q.value(8).toDouble();
        s.p99Ms = q.value(9).toDouble();
        s.state = q.value(10).toInt();
        s.weight = q.value(11).toInt();
        s.effectiveWeight = q.value(12).toInt();
        s.upMs = q.value(13).toLongLong();
        s.coveredMs = q.value(14).toLongLong();
        result.push_back(std::move(s));
        if (reached && result.size() % 8192 == 0 && !reached(result.back().timeMs))
            break;
    }
    return result;
}

std::vector<HealthEvent> HistoryStore::healthEvents(qint64 fromMs, qint64 toMs) const
{
    std::vector<HealthEvent> result;
    if (!isOpen())
        return result;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT t, kind, pool, server, from_state, to_state, reason, check_us FROM health_events WHERE t >= ? AND t < ? ORDER BY t, rowid"));
    q.bindValue(0, fromMs);
    q.bindValue(1, toMs);
    if (!q.exec())
        return result;
    while (q.next()) {
        HealthEvent e;
        e.timeMs = q.value(0).toLongLong();
        e.kind = HealthEvent::Kind(q.value(1).toInt());
        e.pool = q.value(2).toString();
        e.server = q.value(3).toString();
        e.from = q.value(4).toString();
        e.to = q.value(5).toString();
        e.reason = q.value(6).toString();
        e.checkDurationUs = q.value(7).toLongLong();
        result.push_back(std::move(e));
    }
    return result;
}

std::vector<LockObservation> HistoryStore::lockObservations(qint64 fromMs, qint64 toMs) const
{
    std::vector<LockObservation> result;
    if (!isOpen())
        return result;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT t, endpoint, lock_key, kind, holder, ttl_ms, held_ms, flags FROM lock_observations WHERE t >= ? AND t < ? ORDER BY t, rowid"));
    q.bindValue(0, fromMs);
    q.bindValue(1, toMs);
    if (!q.exec())
        return result;
    while (q.next()) {
        LockObservation l;
        l.timeMs = q.value(0).toLongLong();
        l.endpoint = q.value(1).toString();
        l.key = q.value(2).toString();
        l.kind = q.value(3).toString();
        l.holder = q.value(4).toString();
        l.ttlMs = q.value(5).toLongLong();
        l.heldForMs = q.value(6).toLongLong();
        l.flags = q.value(7).toInt();
        result.push_back(std::move(l));
    }
    return result;
}

QList<AuditEntry> HistoryStore::audit(qint64 fromMs, qint64 toMs) const
{
    QList<AuditEntry> result;
    if (!isOpen())
        return result;
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT t, user, origin, action, target, before_value, after_value, result FROM audit WHERE t >= ? AND t < ? ORDER BY t, rowid"));
    q.bindValue(0, fromMs);
    q.bindValue(1, toMs);
    if (!q.exec())
        return result;
    while (q.next()) {
        AuditEntry a;
        a.time = QDateTime::fromMSecsSinceEpoch(q.value(0).toLongLong(), Qt::UTC);
        a.user = q.value(1).toString();
        a.origin = q.value(2).toString();
        a.action = q.value(3).toString();
        a.target = q.value(4).toString();
        a.before = q.value(5).toString();
        a.after = q.value(6).toString();
        a.result = q.value(7).toString();
        result.append(std::move(a));
    }
    return result;
}

qint64 HistoryStore::sizeBytes() const
{
    return QFileInfo(m_path).size() + QFileInfo(m_path + QStringLiteral("-wal")).size();
}

} // namespace fulcrum
