#include "servercounters.h"

namespace fulcrum {

void ServerCounts::add(const ServerCounts &other)
{
    requests += other.requests;
    bytesToServer += other.bytesToServer;
    bytesFromServer += other.bytesFromServer;
    for (size_t i = 0; i < responses.size(); ++i)
        responses[i] += other.responses[i];
    retries += other.retries;
    connectFailures += other.connectFailures;
    resets += other.resets;
    timeouts += other.timeouts;
    latencySumMicros += other.latencySumMicros;
    activeConnections += other.activeConnections;
}

void ServerTotals::add(const ServerTotals &other)
{
    ServerCounts::add(other);
    latency.add(other.latency);
}

void ServerCounters::recordResponse(int status, quint64 latencyMicros) noexcept
{
    bump(m_requests);
    const int statusClass = qBound(1, status / 100, 5) - 1;
    bump(m_responses[size_t(statusClass)]);
    bump(m_latencySum, latencyMicros);
    bump(m_buckets[size_t(LatencyHistogram::bucketOf(latencyMicros))]);
}

void ServerCounters::recordProxyError(int status) noexcept
{
    bump(m_requests);
    bump(m_responses[size_t(qBound(1, status / 100, 5) - 1)]);
}

void ServerCounters::addTo(ServerTotals &totals) const noexcept
{
    constexpr auto relaxed = std::memory_order_relaxed;
    totals.requests += m_requests.load(relaxed);
    totals.bytesToServer += bytesToServer.load(relaxed);
    totals.bytesFromServer += bytesFromServer.load(relaxed);
    for (size_t i = 0; i < m_responses.size(); ++i)
        totals.responses[i] += m_responses[i].load(relaxed);
    totals.retries += retries.load(relaxed);
    totals.connectFailures += connectFailures.load(relaxed);
    totals.resets += resets.load(relaxed);
    totals.timeouts += timeouts.load(relaxed);
    totals.latencySumMicros += m_latencySum.load(relaxed);
    totals.activeConnections += m_active.load(relaxed);
    for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
        if (const quint64 n = m_buckets[size_t(b)].load(relaxed))
            totals.latency.addBucket(b, n);
    }
}

} // namespace fulcrum
