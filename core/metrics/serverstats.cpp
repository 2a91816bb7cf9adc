#include "serverstats.h"

namespace fulcrum {

StatsSeries::StatsSeries(int capacity)
    : m_points(size_t(qMax(1, capacity)))
{
}

void StatsSeries::append(const StatsPoint &point)
{
    m_points[size_t(m_head)] = point;
    m_head = (m_head + 1) % int(m_points.size());
    m_size = qMin(m_size + 1, int(m_points.size()));
}

std::vector<StatsPoint> StatsSeries::points() const
{
    std::vector<StatsPoint> out;
    out.reserve(size_t(m_size));
    const int cap = int(m_points.size());
    for (int i = 0; i < m_size; ++i)
        out.push_back(m_points[size_t((m_head - m_size + i + cap) % cap)]);
    return out;
}

const StatsPoint &StatsSeries::last() const
{
    const int cap = int(m_points.size());
    return m_points[size_t((m_head - 1 + cap) % cap)];
}

ServerStatsTracker::ServerStatsTracker(int historySeconds, int windowSeconds)
    : m_history(historySeconds)
    , m_windowSeconds(qMax(1, windowSeconds))
{
}

static double perSecond(quint64 now, quint64 before, qint64 elapsedMs)
{
    return elapsedMs > 0 ? double(now - qMin(now, before)) * 1000.0 / double(elapsedMs) : 0.0;
}

void ServerStatsTracker::update(const ServerTotals &totals, int inFlight, int consecutiveFailures, qint64 nowMs, qint64 wallMs)
{
    if (m_lastTickMs < 0) {
        m_lastSecond = totals;
        m_lastTickMs = nowMs;
        m_lastSecondMs = nowMs;
        m_window.push_back(totals);
        m_ticks.push_back(TickSample{nowMs, totals.requests, totals.bytesToServer, totals.bytesFromServer});
    }
    if (nowMs > m_lastTickMs) {
        m_ticks.push_back(TickSample{nowMs, totals.requests, totals.bytesToServer, totals.bytesFromServer});
        // From the newest tick at least a second old (the oldest there is in the first second).
        while (m_ticks.size() > 2 && nowMs - m_ticks[1].ms >= 1000)
            m_ticks.pop_front();
        const TickSample &from = m_ticks.front();
        const qint64 elapsed = nowMs - from.ms;
        m_stats.requestsPerSecond = perSecond(totals.requests, from.requests, elapsed);
        m_stats.bytesToServerPerSecond = perSecond(totals.bytesToServer, from.bytesToServer, elapsed);
        m_stats.bytesFromServerPerSecond = perSecond(totals.bytesFromServer, from.bytesFromServer, elapsed);
        m_lastTickMs = nowMs;
    }
    m_stats.activeConnections = int(totals.activeConnections);
    m_stats.inFlight = inFlight;
    m_stats.consecutiveFailures = consecutiveFailures;
    m_stats.totals = static_cast<const ServerCounts &>(totals);

    const qint64 secondElapsed = nowMs - m_lastSecondMs;
    if (secondElapsed >= 1000) {
        LatencyHistogram second = totals.latency;
        second.subtract(m_lastSecond.latency);
        const quint64 n = second.count();
        const quint64 sum = totals.latencySumMicros - qMin(totals.latencySumMicros, m_lastSecond.latencySumMicros);
        StatsPoint point;
        point.timeMs = wallMs;
        point.requestsPerSecond = float(perSecond(totals.requests, m_lastSecond.requests, secondElapsed));
        const quint64 errorsNow = totals.responses[4] + totals.connectFailures;
        const quint64 errorsBefore = m_lastSecond.responses[4] + m_lastSecond.connectFailures;
        point.errorsPerSecond = float(perSecond(errorsNow, errorsBefore, secondElapsed));
        point.meanMs = n ? float(double(sum) / double(n) / 1000.0) : 0.0f;
        point.p50Ms = float(second.percentileMicros(0.50) / 1000.0);
        point.p95Ms = float(second.percentileMicros(0.95) / 1000.0);
        point.p99Ms = float(second.percentileMicros(0.99) / 1000.0);
        point.bytesToServerPerSecond = float(perSecond(totals.bytesToServer, m_lastSecond.bytesToServer, secondElapsed));
        point.bytesFromServerPerSecond = float(perSecond(totals.bytesFromServer, m_lastSecond.bytesFromServer, secondElapsed));
        point.inFlight = inFlight;
        point.activeConnections = qint32(totals.activeConnections);
        m_history.append(point);
        m_lastSecond = totals;
        m_lastSecondMs = nowMs;

        m_window.push_back(totals);
        while (int(m_window.size()) > m_windowSeconds + 1)
            m_window.pop_front();
        const ServerTotals &oldest = m_window.front();
        LatencyHistogram window = totals.latency;
        window.subtract(oldest.latency);
        const quint64 wn = window.count();
        const quint64 wsum = totals.latencySumMicros - qMin(totals.latencySumMicros, oldest.latencySumMicros);
        m_stats.windowRequests = wn;
        m_stats.meanMs = wn ? double(wsum) / double(wn) / 1000.0 : 0.0;
        m_stats.p50Ms = window.percentileMicros(0.50) / 1000.0;
        m_stats.p95Ms = window.percentileMicros(0.95) / 1000.0;
        m_stats.p99Ms = window.percentileMicros(0.99) / 1000.0;
    }
}

} // namespace fulcrum
