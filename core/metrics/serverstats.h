#pragma once

#include "servercounters.h"

#include <QtGlobal>

#include <deque>
#include <vector>

namespace fulcrum {

// Live figures of one server as a snapshot shows them.
struct ServerStats
{
    int activeConnections = 0;
    int inFlight = 0;
    int consecutiveFailures = 0;
    // Over the last second (the ticks in it), like the rates in the history's points.
    double requestsPerSecond = 0;
    double bytesToServerPerSecond = 0;
    double bytesFromServerPerSecond = 0;
    // Response time (request sent → response head received) over the last window:
    // mean = (1/N) Σ T_i, and percentiles from the log-bucket histogram.
    double meanMs = 0;
    double p50Ms = 0;
    double p95Ms = 0;
    double p99Ms = 0;
    quint64 windowRequests = 0;
    ServerCounts totals;          // cumulative since start
};

// One second of a server's history.
struct StatsPoint
{
    qint64 timeMs = 0;            // wall clock, ms since epoch, end of the second
    float requestsPerSecond = 0;
    float errorsPerSecond = 0;    // 5xx + connect failures
    float meanMs = 0;
    float p50Ms = 0;
    float p95Ms = 0;
    float p99Ms = 0;
    float bytesToServerPerSecond = 0;
    float bytesFromServerPerSecond = 0;
    qint32 inFlight = 0;
    qint32 activeConnections = 0;
};

// A fixed-capacity ring of points: memory is allocated once, the oldest point gives way.
class StatsSeries
{
public:
    explicit StatsSeries(int capacity = 3600);

    void append(const StatsPoint &point);
    int size() const { return m_size; }
    int capacity() const { return int(m_points.size()); }
    // Oldest first.
    std::vector<StatsPoint> points() const;
    const StatsPoint &last() const;

private:
    std::vector<StatsPoint> m_points;
    int m_head = 0;     // where the next point goes
    int m_size = 0;
};

// Turns one server's cumulative totals, read at every engine tick, into live figures and
// one history point per second.
class ServerStatsTracker
{
public:
    explicit ServerStatsTracker(int historySeconds = 3600, int windowSeconds = 10);

    // nowMs: monotonic; wallMs: for the history's time stamps.
    void update(const ServerTotals &totals, int inFlight, int consecutiveFailures, qint64 nowMs, qint64 wallMs);
    const ServerStats &stats() const { return m_stats; }
    const StatsSeries &history() const { return m_history; }

private:
    // The counters at each tick of the last second: the live rates are over the last second,
    // not the last tick (at 4 Hz a tick's count moves in steps of 4 req/s, so a server at a
    // steady 17 req/s read 12, 16 or 20 from one tick to the next).
    struct TickSample
    {
        qint64 ms = 0;
        quint64 requests = 0;
        quint64 bytesToServer = 0;
        quint64 bytesFromServer = 0;
    };
    ServerStats m_stats;
    StatsSeries m_history;
    std::deque<TickSample> m_ticks;
    qint64 m_lastTickMs = -1;
    ServerTotals m_lastSecond;
    qint64 m_lastSecondMs = -1;
    int m_windowSeconds;
    // Cumulative totals at each of the last windowSeconds seconds: the window is now - oldest.
    std::deque<ServerTotals> m_window;
};

} // namespace fulcrum
