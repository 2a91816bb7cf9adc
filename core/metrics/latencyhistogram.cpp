#include "latencyhistogram.h"

#include <bit>
#include <cmath>

namespace fulcrum {

int LatencyHistogram::bucketOf(quint64 micros) noexcept
{
    if (micros < kSubBuckets)
        return int(micros);
    const int exponent = 63 - std::countl_zero(micros);
    if (exponent > kMaxExponent)
        return kBuckets - 1;
    const int shift = exponent - kSubBucketBits;
    const int sub = int((micros >> shift) & (kSubBuckets - 1));
    return kSubBuckets + shift * kSubBuckets + sub;
}

quint64 LatencyHistogram::bucketLow(int bucket) noexcept
{
    if (bucket < kSubBuckets)
        return quint64(bucket);
    const int shift = (bucket - kSubBuckets) / kSubBuckets;
    const int sub = (bucket - kSubBuckets) % kSubBuckets;
    return quint64(kSubBuckets + sub) << shift;
}

quint64 LatencyHistogram::bucketWidth(int bucket) noexcept
{
    if (bucket < kSubBuckets)
        return 1;
    return quint64(1) << ((bucket - kSubBuckets) / kSubBuckets);
}

void LatencyHistogram::record(quint64 micros) noexcept
{
    ++m_counts[size_t(bucketOf(micros))];
    ++m_total;
}

void LatencyHistogram::add(const LatencyHistogram &other) noexcept
{
    for (size_t i = 0; i < m_counts.size(); ++i)
        m_counts[i] += other.m_counts[i];
    m_total += other.m_total;
}

void LatencyHistogram::subtract(const LatencyHistogram &other) noexcept
{
    for (size_t i = 0; i < m_counts.size(); ++i)
        m_counts[i] -= qMin(m_counts[i], other.m_counts[i]);
    m_total -= qMin(m_total, other.m_total);
}

void LatencyHistogram::clear() noexcept
{
    m_counts.fill(0);
    m_total = 0;
}

double LatencyHistogram::percentileMicros(double p) const noexcept
{
    if (m_total == 0)
        return 0.0;
    const quint64 rank = qMax<quint64>(1, quint64(std::ceil(qBound(0.0, p, 1.0) * double(m_total))));
    quint64 seen = 0;
    for (int b = 0; b < kBuckets; ++b) {
        seen += m_counts[size_t(b)];
        if (seen >= rank)
            return b < kSubBuckets ? double(b) : double(bucketLow(b)) + double(bucketWidth(b) - 1) / 2.0;
    }
    return double(bucketLow(kBuckets - 1));
}

} // namespace fulcrum
