#include "metrics/latencyhistogram.h"
#include "metrics/serverstats.h"

#include "common/fastrandom.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace fulcrum;

class TestMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bucketsCoverEveryValue();
    void percentilesMatchExact_data();
    void percentilesMatchExact();
    void subtractGivesTheWindow();
    void seriesKeepsFixedMemory();
    void trackerComputesRatesAndHistory();
    void liveRateIsOverTheLastSecond();
};

void TestMetrics::bucketsCoverEveryValue()
{
    // Every value falls in a bucket whose range contains it, and ranges are contiguous.
    for (quint64 v : {0ull, 1ull, 15ull, 16ull, 17ull, 31ull, 32ull, 1000ull, 999'999ull, 1ull << 30, (1ull << 37) - 1}) {
        const int b = LatencyHistogram::bucketOf(v);
        QVERIFY(LatencyHistogram::bucketLow(b) <= v);
        QVERIFY(v < LatencyHistogram::bucketLow(b) + LatencyHistogram::bucketWidth(b));
    }
    for (int b = 0; b + 1 < LatencyHistogram::kBuckets; ++b)
        QCOMPARE(LatencyHistogram::bucketLow(b) + LatencyHistogram::bucketWidth(b), LatencyHistogram::bucketLow(b + 1));
    QCOMPARE(LatencyHistogram::bucketOf(~0ull), LatencyHistogram::kBuckets - 1);
}

void TestMetrics::percentilesMatchExact_data()
{
    QTest::addColumn<QString>("shape");
    QTest::newRow("uniform 1..100 ms") << QStringLiteral("uniform");
    QTest::newRow("exponential, mean 20 ms") << QStringLiteral("exponential");
    QTest::newRow("bimodal 2 ms / 200 ms") << QStringLiteral("bimodal");
    QTest::newRow("constant 5 us") << QStringLiteral("constant");
}

void TestMetrics::percentilesMatchExact()
{
    QFETCH(QString, shape);
    FastRandom random(42);
    std::vector<quint64> values;
    LatencyHistogram histogram;
    for (int i = 0; i < 100'000; ++i) {
        const double u = random.unit();
        quint64 v = 0;
        if (shape == u"uniform")
            v = quint64(1000 + u * 99'000);
        else if (shape == u"exponential")
            v = quint64(-std::log(1.0 - u) * 20'000);
        else if (shape == u"bimodal")
            v = i % 10 == 0 ? 200'000 + quint64(u * 1000) : 2000 + quint64(u * 100);
        else
            v = 5;
        values.push_back(v);
        histogram.record(v);
    }
    std::sort(values.begin(), values.end());
    QCOMPARE(histogram.count(), quint64(values.size()));
    for (double p : {0.5, 0.9, 0.95, 0.99, 0.999}) {
        const double exact = double(values[size_t(std::ceil(p * double(values.size()))) - 1]);
        const double estimate = histogram.percentileMicros(p);
        // Half a bucket: 1/32 of the value, or 1 µs for exact small buckets.
        QVERIFY2(std::abs(estimate - exact) <= qMax(1.0, exact / 32.0),
                 qPrintable(QStringLiteral("p%1: estimate %2 vs exact %3").arg(p * 100).arg(estimate).arg(exact)));
    }
}

void TestMetrics::subtractGivesTheWindow()
{
    LatencyHistogram before;
    for (int i = 0; i < 1000; ++i)
        before.record(100);
    LatencyHistogram after = before;
    for (int i = 0; i < 1000; ++i)
        after.record(10'000);
    after.subtract(before);
    QCOMPARE(after.count(), 1000u);
    QVERIFY(std::abs(after.percentileMicros(0.5) - 10'000) <= 10'000 / 32.0);
}

void TestMetrics::seriesKeepsFixedMemory()
{
    StatsSeries series(3600);
    QCOMPARE(series.capacity(), 3600);
    for (int i = 0; i < 10'000; ++i) {
        StatsPoint point;
        point.timeMs = i;
        series.append(point);
    }
    QCOMPARE(series.size(), 3600);
    QCOMPARE(series.capacity(), 3600);
    const std::vector<StatsPoint> points = series.points();
    QCOMPARE(points.size(), size_t(3600));
    QCOMPARE(points.front().timeMs, 10'000 - 3600);
    QCOMPARE(points.back().timeMs, 9999);
    QCOMPARE(series.last().timeMs, 9999);
}

void TestMetrics::trackerComputesRatesAndHistory()
{
    ServerStatsTracker tracker(5, 10);
    ServerTotals totals;
    qint64 now = 0;
    // 100 requests of 2 ms per 500 ms tick = 200 req/s.
    for (int tick = 0; tick < 40; ++tick) {
        for (int i = 0; i < 100; ++i) {
            ++totals.requests;
            ++totals.responses[1];
            totals.latencySumMicros += 2000;
            totals.latency.record(2000);
        }
        now += 500;
        tracker.update(totals, 3, 0, now, now);
    }
    QCOMPARE(tracker.stats().requestsPerSecond, 200.0);
    QCOMPARE(tracker.stats().inFlight, 3);
    QCOMPARE(tracker.stats().meanMs, 2.0);
    QVERIFY(std::abs(tracker.stats().p99Ms - 2.0) <= 2.0 / 32);
    QCOMPARE(tracker.stats().windowRequests, 2000u);
    QCOMPARE(tracker.history().size(), 5);
    QCOMPARE(tracker.history().last().requestsPerSecond, 200.0f);
}

void TestMetrics::liveRateIsOverTheLastSecond()
{
    // A server at a steady 16 req/s seen at 4 Hz: 3 and 5 requests in turn per 250 ms tick.
    // Over one tick that read 12 and 20 in turn; over the last second it reads 16.
    ServerStatsTracker tracker(60, 10);
    ServerTotals totals;
    qint64 now = 0;
    tracker.update(totals, 0, 0, now, now);
    for (int tick = 1; tick <= 40; ++tick) {
        totals.requests += tick % 2 ? 3 : 5;
        totals.bytesToServer += 100;
        now += 250;
        tracker.update(totals, 0, 0, now, now);
        if (tick >= 4) {
            QCOMPARE(tracker.stats().requestsPerSecond, 16.0);
            QCOMPARE(tracker.stats().bytesToServerPerSecond, 400.0);
        }
    }
    // Traffic stops: gone from the rate within the second, not at the next tick alone.
    now += 250;
    tracker.update(totals, 0, 0, now, now);
    QCOMPARE(tracker.stats().requestsPerSecond, 13.0);   // the last second: 5 + 3 + 5 + 0
    for (int tick = 0; tick < 3; ++tick) {
        now += 250;
        tracker.update(totals, 0, 0, now, now);
    }
    QCOMPARE(tracker.stats().requestsPerSecond, 0.0);
    // The same instant again (no time passed) changes nothing.
    tracker.update(totals, 0, 0, now, now);
    QCOMPARE(tracker.stats().requestsPerSecond, 0.0);
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
