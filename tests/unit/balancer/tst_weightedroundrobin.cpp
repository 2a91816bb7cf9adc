#include "balancer/balancer.h"
#include "balancer/weightedroundrobinpicker.h"
#include "common/fastrandom.h"
#include "nginxreference.h"

#include <QTest>

using namespace fulcrum;

Q_DECLARE_METATYPE(std::vector<int>)

class TestWeightedRoundRobin : public QObject
{
    Q_OBJECT

private:
    static std::vector<PickerEntry> entries(const std::vector<int> &weights)
    {
        std::vector<PickerEntry> out;
        for (int w : weights)
            out.push_back(PickerEntry{w, true, 0, nullptr});
        return out;
    }

private Q_SLOTS:
    void matchesNginxSequence_data()
    {
        QTest::addColumn<std::vector<int>>("weights");
        QTest::newRow("nginx docs 5,1,1") << std::vector<int>{5, 1, 1};
        QTest::newRow("one server") << std::vector<int>{7};
        QTest::newRow("all equal (ties)") << std::vector<int>{3, 3, 3, 3};
        QTest::newRow("two heavy ties") << std::vector<int>{10, 10, 1};
        QTest::newRow("ascending") << std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8};
        QTest::newRow("descending") << std::vector<int>{8, 7, 6, 5, 4, 3, 2, 1};
        QTest::newRow("max weights") << std::vector<int>{10000, 10000, 1, 9999};
        QTest::newRow("coprime") << std::vector<int>{7, 11, 13};
        QTest::newRow("heavy tail ties") << std::vector<int>{1, 1, 1, 1, 1, 1, 1, 1, 1, 100};
        FastRandom random(42);
        for (int round = 0; round < 40; ++round) {
            const int n = 1 + int(random.below(200));
            const int distinct = 1 + int(random.below(round % 2 ? 4 : 40));
            std::vector<int> palette;
            for (int d = 0; d < distinct; ++d)
                palette.push_back(1 + int(random.below(round % 3 == 0 ? 10000 : 20)));
            std::vector<int> weights;
            for (int i = 0; i < n; ++i)
                weights.push_back(palette[random.below(quint32(palette.size()))]);
            QTest::newRow(qPrintable(QStringLiteral("random %1: %2 servers, %3 weights").arg(round).arg(n).arg(distinct))) << weights;
        }
    }

    void matchesNginxSequence()
    {
        QFETCH(std::vector<int>, weights);
        WeightedRoundRobinPicker picker;
        picker.init(entries(weights));
        NginxReferenceWrr reference(weights);
        long long total = 0;
        for (int w : weights)
            total += w;
        // Several whole cycles, so every phase of the sequence is compared.
        const long long picks = std::min<long long>(3 * total + 50, 200'000);
        for (long long n = 0; n < picks; ++n) {
            const int expected = reference.pick();
            const int actual = picker.pick(PickContext{});
            if (actual != expected)
                QFAIL(qPrintable(QStringLiteral("pick %1: nginx chose %2, Fulcrum chose %3").arg(n).arg(expected).arg(actual)));
        }
    }

    void matchesNginxWhenServersGoDownAndUp()
    {
        // nginx skips a down peer without touching its current weight; so must we.
        const std::vector<int> weights{5, 3, 3, 1, 8};
        WeightedRoundRobinPicker picker;
        picker.init(entries(weights));
        NginxReferenceWrr reference(weights);
        FastRandom random(7);
        for (int n = 0; n < 20'000; ++n) {
            if (n % 97 == 0) {
                const size_t i = random.below(quint32(weights.size()));
                const bool down = random.below(2) == 0;
                reference.setDown(i, down);
                picker.setAvailable(int(i), !down);
            }
            QCOMPARE(picker.pick(PickContext{}), reference.pick());
        }
    }

    void reweightCausesNoBurst()
    {
        // nginx-upsync #28: resetting every current weight on an update sends the next picks
        // in a row to the heaviest server. Here current weights carry over: after raising a
        // server's weight, no server gets more consecutive picks than its new share allows.
        std::vector<int> weights(10, 10);
        WeightedRoundRobinPicker picker;
        picker.init(entries(weights));
        for (int n = 0; n < 1234; ++n)
            picker.pick(PickContext{});
        picker.setWeight(0, 20);
        weights[0] = 20;
        int run = 0;
        int longestRun = 0;
        int last = -1;
        std::vector<int> hits(weights.size(), 0);
        for (int n = 0; n < 110 * 10; ++n) {
            const int chosen = picker.pick(PickContext{});
            ++hits[size_t(chosen)];
            run = chosen == last ? run + 1 : 1;
            last = chosen;
            longestRun = std::max(longestRun, run);
        }
        QVERIFY2(longestRun <= 2, qPrintable(QStringLiteral("a server got %1 picks in a row after a reweight").arg(longestRun)));
        // And the new weights hold from then on: 20 of 110 for server 0, 10 of 110 for the
        // rest, give or take the one pick the carried-over current weights may shift.
        QVERIFY2(std::abs(hits[0] - 200) <= 1, qPrintable(QString::number(hits[0])));
        for (size_t i = 1; i < hits.size(); ++i)
            QVERIFY2(std::abs(hits[i] - 100) <= 1, qPrintable(QString::number(hits[i])));
    }

    void weightZeroTakesNoTraffic()
    {
        WeightedRoundRobinPicker picker;
        picker.init(entries({3, 0, 2}));
        for (int n = 0; n < 100; ++n)
            QVERIFY(picker.pick(PickContext{}) != 1);
        picker.setWeight(1, 5);
        int ones = 0;
        for (int n = 0; n < 100; ++n)
            ones += picker.pick(PickContext{}) == 1;
        QCOMPARE(ones, 50);
    }

    void noServerAvailable()
    {
        WeightedRoundRobinPicker picker;
        picker.init(entries({1, 1}));
        picker.setAvailable(0, false);
        picker.setAvailable(1, false);
        QCOMPARE(picker.pick(PickContext{}), -1);
        picker.setAvailable(1, true);
        QCOMPARE(picker.pick(PickContext{}), 1);
    }

    void balancerRunsTheSameSequence()
    {
        // The Balancer (what proxy workers and `fulcrumctl simulate` run) adds nothing of its
        // own to a fixed set of up servers: still nginx's sequence.
        const std::vector<int> weights{4, 2, 1, 1};
        std::vector<BackendSpec> specs;
        for (size_t i = 0; i < weights.size(); ++i)
            specs.push_back(BackendSpec{QStringLiteral("s%1").arg(i), QStringLiteral("127.0.0.1"), quint16(9000 + i), weights[i]});
        Pool pool(QStringLiteral("p"), PoolOptions{}, specs);
        Balancer balancer(pool);
        NginxReferenceWrr reference(weights);
        for (int n = 0; n < 1000; ++n)
            QCOMPARE(balancer.pick(PickContext{}).index, reference.pick());
    }
};

QTEST_GUILESS_MAIN(TestWeightedRoundRobin)
#include "tst_weightedroundrobin.moc"
