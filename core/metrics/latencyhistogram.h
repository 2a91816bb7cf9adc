#pragma once

#include <QtGlobal>

#include <array>

namespace fulcrum {

// Latency histogram with logarithmic buckets (HdrHistogram's layout, 16 sub-buckets per
// power of two): values below 16 µs are exact, above that each bucket spans at most 1/16
// of its lower bound, so a percentile is within ±3.2% of the true value. Fixed size
// (544 counters), covers 0 µs .. ~19 h; longer values land in the last bucket.
class LatencyHistogram
{
public:
    static constexpr int kSubBucketBits = 4;
    static constexpr int kSubBuckets = 1 << kSubBucketBits;
    static constexpr int kMaxExponent = 36;
    static constexpr int kBuckets = kSubBuckets + (kMaxExponent - kSubBucketBits + 1) * kSubBuckets;

    static int bucketOf(quint64 micros) noexcept;
    static quint64 bucketLow(int bucket) noexcept;
    static quint64 bucketWidth(int bucket) noexcept;

    void record(quint64 micros) noexcept;
    void addBucket(int bucket, quint64 count) noexcept { m_counts[size_t(bucket)] += count; m_total += count; }
    void add(const LatencyHistogram &other) noexcept;
    // this - other, for two cumulative histograms of the same source taken at two times.
    void subtract(const LatencyHistogram &other) noexcept;
    void clear() noexcept;

    quint64 count() const noexcept { return m_total; }
    quint64 bucketCount(int bucket) const noexcept { return m_counts[size_t(bucket)]; }
    // p in [0, 1]; the middle of the bucket holding the ceil(p * count)-th value; 0 when empty.
    double percentileMicros(double p) const noexcept;

private:
    std::array<quint64, kBuckets> m_counts{};
    quint64 m_total = 0;
};

} // namespace fulcrum
