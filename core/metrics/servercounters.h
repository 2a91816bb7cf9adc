#pragma once

#include "latencyhistogram.h"

#include <QtGlobal>

#include <array>
#include <atomic>

namespace fulcrum {

// Cumulative counts of one server since start (a value type: sums and differences of
// these are how rates and windows are computed).
struct ServerCounts
{
    quint64 requests = 0;
    quint64 bytesToServer = 0;                // request bytes sent to the server
    quint64 bytesFromServer = 0;              // response bytes received from it
    std::array<quint64, 5> responses{};       // by class: 1xx .. 5xx (proxy-made 502/504 count as 5xx)
    quint64 retries = 0;                      // requests moved to another server after a failure here
    quint64 connectFailures = 0;
    quint64 resets = 0;                       // connection lost before the response was complete
    quint64 timeouts = 0;                     // 504s
    quint64 latencySumMicros = 0;
    qint64 activeConnections = 0;             // open connections to the server (a gauge, not cumulative)

    void add(const ServerCounts &other);
};

// The counts and the cumulative latency histogram: what the engine tick sums over workers.
struct ServerTotals : ServerCounts
{
    LatencyHistogram latency;

    void add(const ServerTotals &other);
};

// One worker thread's figures for one server. Only that worker writes (plain load + store
// on relaxed atomics: no read-modify-write, no lock); the engine tick reads them all.
class ServerCounters
{
public:
    static void bump(std::atomic<quint64> &counter, quint64 by = 1) noexcept
    {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }

    void recordResponse(int status, quint64 latencyMicros) noexcept;
    // A 502/504 the proxy answered itself: counted as a response, not as a latency sample.
    void recordProxyError(int status) noexcept;
    void connectionOpened() noexcept { m_active.store(m_active.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
    void connectionClosed() noexcept { m_active.store(m_active.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed); }
    void addTo(ServerTotals &totals) const noexcept;

    std::atomic<quint64> bytesToServer{0};
    std::atomic<quint64> bytesFromServer{0};
    std::atomic<quint64> retries{0};
    std::atomic<quint64> connectFailures{0};
    std::atomic<quint64> resets{0};
    std::atomic<quint64> timeouts{0};

private:
    std::atomic<quint64> m_requests{0};
    std::array<std::atomic<quint64>, 5> m_responses{};
    std::atomic<quint64> m_latencySum{0};
    std::atomic<qint64> m_active{0};
    std::array<std::atomic<quint64>, LatencyHistogram::kBuckets> m_buckets{};
};

} // namespace fulcrum
