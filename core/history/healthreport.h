#pragma once

#include "engine/auditlog.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace fulcrum {

class HistoryStore;

struct ReportOptions
{
    qint64 lockHeldThresholdMs = 60'000;  // locks held longer than this are listed
    int worstServers = 3;
    int chartPoints = 240;                // points per server in each chart
};

struct WeightChange
{
    qint64 timeMs = 0;
    int from = 0;
    int to = 0;
};

struct ChartPoint
{
    qint64 timeMs = 0;                    // bucket start
    double value = 0;
};

// A stretch of time in one state: "up", "down", "drain", "maint", or "none" (no data).
struct StateSpan
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    QString state;
};

struct ServerReport
{
    QString pool;
    QString server;
    double availabilityPercent = 0;       // time up / time recorded (not the window: see coveragePercent)
    qint64 upMs = 0;
    qint64 recordedMs = 0;                // time the engine was recording this server, inside the window
    double coveragePercent = 0;           // recordedMs / window
    int outages = 0;                      // down or ejected periods that overlap the window
    qint64 longestOutageMs = 0;           // clipped to the window
    std::map<QString, int> checkFailures; // reason code (L4CON, L7STS 503, ...) -> failed checks
    quint64 requests = 0;
    quint64 errors = 0;
    double errorRatePercent = 0;
    double meanMs = 0;                    // (1/N) Σ T_i over every request in the window
    double p50Ms = 0;                     // request-weighted mean of the per-bucket percentiles
    double p95Ms = 0;
    double p99Ms = 0;
    double trafficSharePercent = 0;       // of the pool's requests
    double weightSharePercent = 0;        // time-averaged set weight over the pool's sum
    std::vector<WeightChange> weightChanges;
    std::vector<ChartPoint> traffic;      // requests/s, buckets over the recorded span (HealthReport::recordedFromMs..)
    std::vector<ChartPoint> latency;      // mean ms, the same buckets (none for a bucket without requests)
    std::vector<StateSpan> states;
};

struct PoolReport
{
    QString pool;
    quint64 requests = 0;
    quint64 errors = 0;
    double errorRatePercent = 0;
    QStringList worstServers;             // lowest availability, then highest error rate
    int panics = 0;
    qint64 panicMs = 0;                   // time in panic mode, clipped to the window
};

struct LockReport
{
    QString endpoint;
    QString key;
    QString kind;
    QString holder;
    qint64 longestHeldMs = 0;
    bool noExpiry = false;
    bool heldTooLong = false;
    qint64 firstSeenMs = 0;
    qint64 lastSeenMs = 0;
};

struct ForceReleaseReport
{
    qint64 timeMs = 0;
    QString user;
    QString origin;
    QString target;                       // "endpoint key"
    QString holder;                       // the holder that was released
    QString result;
};

// Everything a health report says about one window; built once, written in any format.
struct HealthReport
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    qint64 generatedAtMs = 0;
    ReportOptions options;
    std::vector<ServerReport> servers;    // by pool, then server
    std::vector<PoolReport> pools;
    std::vector<LockReport> locks;        // held too long or without expiry
    std::vector<ForceReleaseReport> forceReleases;
    QList<AuditEntry> actions;            // every operator action in the window
    // What of the window the engine recorded: the most any server was recorded, and the
    // stretch from the first to the last recorded moment (what the charts span); 0 without data.
    qint64 recordedMs = 0;
    qint64 recordedFromMs = 0;
    qint64 recordedToMs = 0;
    // Chart points are buckets of chartBucketMs; two points further apart than chartGapMs have
    // time nobody recorded between them, and a chart's line breaks there.
    qint64 chartBucketMs = 0;
    qint64 chartGapMs = 0;

    qint64 windowMs() const { return toMs - fromMs; }
    double coveragePercent() const { return windowMs() > 0 ? 100.0 * double(recordedMs) / double(windowMs()) : 0; }
    // Below this share of the window recorded, a report says at its top that it covers little.
    static constexpr double kLittleCoveragePercent = 90;
    bool hasLittleCoverage() const { return coveragePercent() < kLittleCoveragePercent; }
};

// `progress`, when given, hears how far the build is (done of total) now and then; returning
// false stops it early (the report is then incomplete: the caller asked for that).
using ReportBuildProgress = std::function<bool(int done, int total)>;
HealthReport buildHealthReport(const HistoryStore &store, qint64 fromMs, qint64 toMs, qint64 generatedAtMs, const ReportOptions &options = {},
                               const ReportBuildProgress &progress = {});

// "15m", "1h", "24h", "7d" (any duration) back from `nowMs`, or an ISO 8601 time.
std::optional<qint64> parseReportTime(const QString &text, QString *error);

QString formatReportTime(qint64 ms);           // "2026-11-24T09:50:00Z"

} // namespace fulcrum
