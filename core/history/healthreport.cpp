#include "healthreport.h"

#include "balancer/backend.h"
#include "common/duration.h"
#include "health/healthchecker.h"
#include "historystore.h"

#include <algorithm>

namespace fulcrum {

namespace {

bool isOutageState(const QString &state)
{
    return state.startsWith(u"down") || state.startsWith(u"ejected");
}

qint64 overlap(qint64 a0, qint64 a1, qint64 b0, qint64 b1)
{
    return std::max<qint64>(0, std::min(a1, b1) - std::max(a0, b0));
}

} // namespace

QString formatReportTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

std::optional<qint64> parseReportTime(const QString &text, QString *error)
{
    QDateTime time = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!time.isValid())
        time = QDateTime::fromString(text, Qt::ISODate);
    if (time.isValid()) {
        if (time.timeSpec() == Qt::LocalTime)
            time.setTimeSpec(Qt::UTC);   // a time without an offset is taken as UTC, like every time Fulcrum prints
        return time.toMSecsSinceEpoch();
    }
    if (error)
        *error = QStringLiteral("\"%1\" is not a time; write it as ISO 8601, e.g. 2026-11-24T08:00:00Z").arg(text);
    return std::nullopt;
}

HealthReport buildHealthReport(const HistoryStore &store, qint64 fromMs, qint64 toMs, qint64 generatedAtMs, const ReportOptions &options,
                               const ReportBuildProgress &progress)
{
    HealthReport report;
    report.fromMs = fromMs;
    report.toMs = toMs;
    report.generatedAtMs = generatedAtMs;
    report.options = options;
    const qint64 windowMs = std::max<qint64>(1, toMs - fromMs);

    // Rows that started before the window but reach into it count for their overlapping part.
    // Reading the samples is most of the work: it is the first 900 of 1000 steps.
    constexpr int kSteps = 1000;
    const qint64 readFromMs = fromMs - 3'600'000;
    bool stopped = false;
    const std::vector<HistorySample> samples = store.samples(readFromMs, toMs, [&](qint64 reachedMs) {
        if (!progress)
            return true;
        const int done = int(900 * std::clamp<double>(double(reachedMs - readFromMs) / double(toMs - readFromMs), 0, 1));
        stopped = !progress(done, kSteps);
        return !stopped;
    });
    if (stopped || (progress && !progress(900, kSteps)))
        return report;
    // A row covers [timeMs, timeMs + its length): a 1 s row the recorder wrote after a slow tick
    // is longer than a second (coveredMs says how long), a compacted row is its bucket.
    auto rowLengthMs = [](const HistorySample &s) { return std::max<qint64>(qint64(s.resolutionS) * 1000, s.coveredMs); };
    // Charts span what was recorded, not the whole window: a 3 min recording in a 1 h window
    // fills the chart instead of its last 5 %.
    qint64 recordedFrom = toMs, recordedTo = fromMs, longestRowMs = 0;
    for (const HistorySample &s : samples) {
        const qint64 start = std::max(s.timeMs, fromMs), end = std::min(s.timeMs + rowLengthMs(s), toMs);
        if (end > start) {
            recordedFrom = std::min(recordedFrom, start);
            recordedTo = std::max(recordedTo, end);
            longestRowMs = std::max(longestRowMs, rowLengthMs(s));
        }
    }
    if (recordedTo > recordedFrom) {
        report.recordedFromMs = recordedFrom;
        report.recordedToMs = recordedTo;
    }
    const int points = std::max(1, options.chartPoints);
    const qint64 chartSpanMs = std::max<qint64>(1, recordedTo - recordedFrom);
    const qint64 chartBucketMs = std::max<qint64>(1000, (chartSpanMs + points - 1) / points);
    report.chartBucketMs = chartBucketMs;
    // Rows longer than a bucket leave buckets without a point although nothing is missing.
    report.chartGapMs = std::max(2 * chartBucketMs, chartBucketMs + longestRowMs);

    struct Acc
    {
        ServerReport r;
        double weightedMean = 0, weighted50 = 0, weighted95 = 0, weighted99 = 0;
        double weightTime = 0;
        double requests = 0, errors = 0;
        int lastWeight = -1;
        std::map<qint64, std::pair<double, double>> traffic;   // bucket -> requests, recorded ms
        std::map<qint64, std::pair<double, double>> latency;   // bucket -> Σ mean*n, n
    };
    std::map<std::pair<QString, QString>, Acc> servers;
    for (const HistorySample &s : samples) {
        const qint64 lengthMs = rowLengthMs(s);
        const qint64 inside = overlap(s.timeMs, s.timeMs + lengthMs, fromMs, toMs);
        if (inside <= 0)
            continue;
        const double part = double(inside) / double(lengthMs);
        Acc &acc = servers[{s.pool, s.server}];
        acc.r.pool = s.pool;
        acc.r.server = s.server;
        acc.requests += s.requests * part;
        acc.errors += s.errors * part;
        acc.weightedMean += s.meanMs * s.requests * part;
        acc.weighted50 += s.p50Ms * s.requests * part;
        acc.weighted95 += s.p95Ms * s.requests * part;
        acc.weighted99 += s.p99Ms * s.requests * part;
        acc.r.upMs += qint64(double(s.upMs) * part + 0.5);
        acc.r.recordedMs += qint64(double(s.coveredMs) * part + 0.5);
        acc.weightTime += double(s.weight) * double(s.coveredMs) * part;
        if (acc.lastWeight >= 0 && acc.lastWeight != s.weight)
            acc.r.weightChanges.push_back({s.timeMs, acc.lastWeight, s.weight});
        acc.lastWeight = s.weight;
        const qint64 bucket = recordedFrom + ((std::max(s.timeMs, recordedFrom) - recordedFrom) / chartBucketMs) * chartBucketMs;
        auto &t = acc.traffic[bucket];
        t.first += s.requests * part;
        t.second += double(s.coveredMs) * part;
        auto &l = acc.latency[bucket];
        l.first += s.meanMs * s.requests * part;
        l.second += s.requests * part;
        const QString state = backendStateName(BackendState(s.state));
        const qint64 spanFrom = std::max(s.timeMs, fromMs);
        const qint64 spanTo = std::min(s.timeMs + lengthMs, toMs);
        auto &spans = acc.r.states;
        if (!spans.empty() && spans.back().state == state && spans.back().toMs == spanFrom)
            spans.back().toMs = spanTo;
        else
            spans.push_back({spanFrom, spanTo, state});
    }

    // Outages and check failures come from health events: they keep the exact times at
    // every resolution. Events from before the window say what state it started in.
    const std::vector<HealthEvent> events = store.healthEvents(0, toMs);
    std::map<std::pair<QString, QString>, qint64> outageStart;
    std::map<QString, qint64> panicStart;
    std::map<QString, PoolReport> pools;
    auto closeOutage = [&](const QString &pool, const QString &server, qint64 start, qint64 end) {
        if (end <= fromMs || start >= toMs)
            return;
        auto it = servers.find({pool, server});
        if (it == servers.end())
            return;
        ++it->second.r.outages;
        it->second.r.longestOutageMs = std::max(it->second.r.longestOutageMs, overlap(start, end, fromMs, toMs));
    };
    for (const HealthEvent &e : events) {
        if (e.kind == HealthEvent::Panic) {
            if (e.to == u"PANIC") {
                panicStart.emplace(e.pool, e.timeMs);
            } else if (auto it = panicStart.find(e.pool); it != panicStart.end()) {
                const qint64 inside = overlap(it->second, e.timeMs, fromMs, toMs);
                if (inside > 0 || (it->second >= fromMs && it->second < toMs)) {
                    ++pools[e.pool].panics;
                    pools[e.pool].panicMs += inside;
                }
                panicStart.erase(it);
            }
            continue;
        }
        const std::pair<QString, QString> key{e.pool, e.server};
        const bool wasDown = outageStart.count(key) > 0;
        const bool isDown = isOutageState(e.to);
        if (!wasDown && isDown)
            outageStart[key] = e.timeMs;
        else if (wasDown && !isDown) {
            closeOutage(e.pool, e.server, outageStart[key], e.timeMs);
            outageStart.erase(key);
        }
        const bool failing = e.kind == HealthEvent::Check && !e.reason.isEmpty()
                             && ((isDown && !isOutageState(e.from)) || e.to.contains(u"failed"));
        if (failing && e.timeMs >= fromMs) {
            auto it = servers.find(key);
            if (it != servers.end())
                ++it->second.r.checkFailures[e.reason.section(QStringLiteral(": "), 0, 0)];   // the code, without the detail
        }
    }
    for (const auto &[key, start] : outageStart)
        closeOutage(key.first, key.second, start, toMs);
    for (const auto &[pool, start] : panicStart) {
        ++pools[pool].panics;
        pools[pool].panicMs += overlap(start, toMs, fromMs, toMs);
    }

    std::map<QString, double> poolWeight;
    for (auto &[key, acc] : servers) {
        ServerReport &r = acc.r;
        r.requests = quint64(acc.requests + 0.5);
        r.errors = quint64(acc.errors + 0.5);
        r.errorRatePercent = acc.requests > 0 ? 100.0 * acc.errors / acc.requests : 0;
        if (acc.requests > 0) {
            r.meanMs = acc.weightedMean / acc.requests;
            r.p50Ms = acc.weighted50 / acc.requests;
            r.p95Ms = acc.weighted95 / acc.requests;
            r.p99Ms = acc.weighted99 / acc.requests;
        }
        // Measured over the time recorded: time nobody recorded is neither up nor down (the
        // coverage says how much that was), so a server up whenever it was seen is at 100 %.
        r.recordedMs = std::min(r.recordedMs, windowMs);
        r.upMs = std::min(r.upMs, r.recordedMs);
        r.availabilityPercent = r.recordedMs > 0 ? 100.0 * double(r.upMs) / double(r.recordedMs) : 0;
        r.coveragePercent = 100.0 * double(r.recordedMs) / double(windowMs);
        report.recordedMs = std::max(report.recordedMs, r.recordedMs);
        for (const auto &[bucket, t] : acc.traffic)
            r.traffic.push_back({bucket, t.second > 0 ? t.first * 1000.0 / t.second : 0});
        // No requests, no latency: a bucket without any has no point (never a mean of 0 ms).
        for (const auto &[bucket, l] : acc.latency) {
            if (l.second > 0)
                r.latency.push_back({bucket, l.first / l.second});
        }
        PoolReport &pool = pools[r.pool];
        pool.pool = r.pool;
        pool.requests += r.requests;
        pool.errors += r.errors;
        poolWeight[r.pool] += r.recordedMs > 0 ? acc.weightTime / double(r.recordedMs) : 0;
    }
    for (auto &[key, acc] : servers) {
        ServerReport &r = acc.r;
        const PoolReport &pool = pools[r.pool];
        r.trafficSharePercent = pool.requests > 0 ? 100.0 * double(r.requests) / double(pool.requests) : 0;
        const double meanWeight = r.recordedMs > 0 ? acc.weightTime / double(r.recordedMs) : 0;
        r.weightSharePercent = poolWeight[r.pool] > 0 ? 100.0 * meanWeight / poolWeight[r.pool] : 0;
        report.servers.push_back(std::move(r));
    }
    for (auto &[name, pool] : pools) {
        pool.pool = name;
        pool.errorRatePercent = pool.requests > 0 ? 100.0 * double(pool.errors) / double(pool.requests) : 0;
        std::vector<const ServerReport *> members;
        for (const ServerReport &r : report.servers) {
            if (r.pool == name && (r.availabilityPercent < 100.0 || r.errors > 0))
                members.push_back(&r);
        }
        std::sort(members.begin(), members.end(), [](const ServerReport *a, const ServerReport *b) {
            if (a->availabilityPercent != b->availabilityPercent)
                return a->availabilityPercent < b->availabilityPercent;
            if (a->errorRatePercent != b->errorRatePercent)
                return a->errorRatePercent > b->errorRatePercent;
            return a->server < b->server;
        });
        for (int i = 0; i < int(members.size()) && i < options.worstServers; ++i)
            pool.worstServers.append(members[size_t(i)]->server);
        report.pools.push_back(pool);
    }

    std::map<std::tuple<QString, QString, QString>, LockReport> locks;
    for (const LockObservation &o : store.lockObservations(fromMs, toMs)) {
        LockReport &l = locks[{o.endpoint, o.key, o.holder}];
        if (l.key.isEmpty()) {
            l.endpoint = o.endpoint;
            l.key = o.key;
            l.kind = o.kind;
            l.holder = o.holder;
            l.firstSeenMs = o.timeMs;
        }
        l.lastSeenMs = o.timeMs;
        l.longestHeldMs = std::max(l.longestHeldMs, o.heldForMs);
        l.noExpiry = l.noExpiry || o.ttlMs < 0;
    }
    for (auto &[key, l] : locks) {
        l.heldTooLong = l.longestHeldMs > options.lockHeldThresholdMs;
        if (l.noExpiry || l.heldTooLong)
            report.locks.push_back(l);
    }

    report.actions = store.audit(fromMs, toMs);
    for (const AuditEntry &a : report.actions) {
        if (a.action != u"force-release")
            continue;
        report.forceReleases.push_back({a.time.toMSecsSinceEpoch(), a.user, a.origin, a.target, a.before, a.result});
    }
    return report;
}

} // namespace fulcrum
