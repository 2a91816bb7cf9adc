#pragma once

#include "engine/auditlog.h"
#include "health/healthchecker.h"

#include <QHash>
#include <QSqlDatabase>
#include <QString>

#include <functional>
#include <vector>

namespace fulcrum {

// How long each resolution is kept: 1 s rows for secondsMs, then 1 min rows up to
// minutesMs, then 1 h rows up to hoursMs; older rows (and events) are deleted.
struct HistoryRetention
{
    qint64 secondsMs = 3'600'000;
    qint64 minutesMs = 7 * 86'400'000LL;
    qint64 hoursMs = 365 * 86'400'000LL;
};

// One server over one bucket (1 s, 60 s or 3600 s, starting at timeMs).
struct HistorySample
{
    qint64 timeMs = 0;
    int resolutionS = 1;
    QString pool;
    QString server;
    double requests = 0;          // count in the bucket
    double errors = 0;            // 5xx + connect failures
    double meanMs = 0;            // request-weighted, so a window's mean is still (1/N) Σ T_i
    double p50Ms = 0;
    double p95Ms = 0;
    double p99Ms = 0;
    int state = 0;                // BackendState at the end of the bucket
    int weight = 0;               // set weight at the end of the bucket
    int effectiveWeight = 0;
    qint64 upMs = 0;              // time in state up inside the bucket
    qint64 coveredMs = 0;         // time the engine recorded inside the bucket
};

// One lock as an inspector pass saw it.
struct LockObservation
{
    qint64 timeMs = 0;
    QString endpoint;
    QString key;
    QString kind;
    QString holder;
    qint64 ttlMs = -1;            // -1 = no expiry
    qint64 heldForMs = 0;
    int flags = 0;                // LockInfo::Flag
};

struct HistoryBatch
{
    std::vector<HistorySample> samples;
    std::vector<HealthEvent> healthEvents;
    std::vector<LockObservation> locks;
    QList<AuditEntry> audit;

    bool isEmpty() const { return samples.empty() && healthEvents.empty() && locks.empty() && audit.isEmpty(); }
    qsizetype size() const { return qsizetype(samples.size() + healthEvents.size() + locks.size()) + audit.size(); }
};

// Merges samples into buckets of resolutionS: counts and up time add up, latency figures are
// request-weighted means, state and weights are the last bucket's. The store and the benchmark
// use this one function, so downsampled data is the same wherever it comes from.
std::vector<HistorySample> downsampleSamples(const std::vector<HistorySample> &samples, int resolutionS);

// The engine's history on disk: per-server series at three resolutions, health events, lock
// observations and the audit log, in one SQLite file (WAL). Every write is one transaction,
// so a crash or restart keeps everything written before. One instance per thread.
class HistoryStore
{
public:
    explicit HistoryStore(HistoryRetention retention = {});
    ~HistoryStore();
    HistoryStore(const HistoryStore &) = delete;
    HistoryStore &operator=(const HistoryStore &) = delete;

    // ReadWrite (the engine) creates the file and its tables when missing; ReadOnly (reports,
    // fulcrumctl) never writes and refuses a file the engine has not set up yet. Both refuse a
    // file that is not a sound Fulcrum history (the error says which file, what is wrong and
    // what to do).
    enum class Access { ReadWrite, ReadOnly };
    bool open(const QString &path, QString *error, Access access = Access::ReadWrite);
    void close();
    bool isOpen() const { return m_db.isOpen(); }
    QString path() const { return m_path; }
    const HistoryRetention &retention() const { return m_retention; }
    // Takes effect at the next compact().
    void setRetention(const HistoryRetention &retention) { m_retention = retention; }

    bool write(const HistoryBatch &batch, QString *error);
    // Moves 1 s rows older than the retention into 1 min rows, 1 min rows into 1 h rows,
    // and deletes what is older than a year (hoursMs).
    bool compact(qint64 nowMs, QString *error);

    // Everything with a time in [fromMs, toMs), oldest first. Samples come from whichever
    // resolution holds that stretch of time. `reached`, when given, hears the time of every
    // few thousandth row (for progress) and stops the read by returning false.
    std::vector<HistorySample> samples(qint64 fromMs, qint64 toMs, const std::function<bool(qint64 reachedMs)> &reached = {}) const;
    std::vector<HealthEvent> healthEvents(qint64 fromMs, qint64 toMs) const;
    std::vector<LockObservation> lockObservations(qint64 fromMs, qint64 toMs) const;
    QList<AuditEntry> audit(qint64 fromMs, qint64 toMs) const;
    qint64 sizeBytes() const;

private:
    bool exec(const QString &sql, QString *error, bool *busy = nullptr);
    // One try at checking (and, read-write, creating) the tables; `busy` when another process
    // held the file.
    bool setUp(bool readOnly, QString *error, bool *busy);
    QString failure(const QString &what, const QString &detail) const;

    HistoryRetention m_retention;
    QString m_path;
    QString m_connection;
    QSqlDatabase m_db;
    QHash<std::pair<QString, QString>, qint64> m_seriesIds;   // (pool, server) -> series.id
};

} // namespace fulcrum
