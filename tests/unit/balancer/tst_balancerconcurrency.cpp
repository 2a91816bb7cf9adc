#include "balancer/balancer.h"
#include "common/fastrandom.h"

#include <QTest>

#include <atomic>
#include <chrono>
#include <thread>

using namespace fulcrum;

// Worker threads pick (each with its own Balancer, as proxy workers do) while two writer
// threads change weights and states of the same pool. Run under ThreadSanitizer too
// (docs/balancing.md, "Thread safety").
class TestBalancerConcurrency : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void picksWhileWeightsChange_data()
    {
        QTest::addColumn<int>("algorithm");
        for (Algorithm a : {Algorithm::RoundRobin, Algorithm::WeightedRoundRobin, Algorithm::LeastConnections, Algorithm::Random,
                            Algorithm::LeastResponseTime, Algorithm::ConsistentHash})
            QTest::newRow(qPrintable(algorithmName(a))) << int(a);
    }

    void picksWhileWeightsChange()
    {
        QFETCH(int, algorithm);
        constexpr int servers = 16;
        std::vector<BackendSpec> specs;
        for (int i = 0; i < servers; ++i)
            specs.push_back(BackendSpec{QStringLiteral("s%1").arg(i), QStringLiteral("127.0.0.1"), quint16(9000 + i), 1 + i});
        PoolOptions options;
        options.algorithm = Algorithm(algorithm);
        options.maglevTableSize = 4099;
        Pool pool(QStringLiteral("p"), options, specs);

        std::atomic<bool> stop{false};
        std::atomic<qint64> picks{0};
        std::atomic<qint64> invalid{0};
        std::vector<std::thread> workers;
        for (int w = 0; w < 4; ++w) {
            workers.emplace_back([&, w] {
                Balancer balancer(pool, quint64(w + 1));
                FastRandom random{quint64(w)};
                while (!stop.load(std::memory_order_relaxed)) {
                    PickContext context;
                    context.hasKey = true;
                    context.keyHash = random.next();
                    const Pick p = balancer.pick(context);
                    if (p.valid()) {
                        const PoolBackend &chosen = balancer.snapshot().backends[size_t(p.index)];
                        // A pick is never a server the snapshot it was made from excludes.
                        if (chosen.spec.state != BackendState::Up || chosen.effectiveWeight == 0)
                            invalid.fetch_add(1);
                        balancer.requestStarted(p);
                        balancer.requestFinished(p);
                    }
                    picks.fetch_add(1, std::memory_order_relaxed);
                }
            });
        }
        // The pickers are running before the weights start to change (on a loaded machine a
        // thread can start late; bounded wait, the assertion below says if it never came).
        for (int waited = 0; picks.load() == 0 && waited < 10'000; ++waited)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        // Two writers on disjoint halves, bounded number of changes each.
        std::vector<int> lastWeight(servers, 0);
        std::vector<BackendState> lastState(servers, BackendState::Up);
        std::vector<std::thread> writers;
        for (int half = 0; half < 2; ++half) {
            writers.emplace_back([&, half] {
                FastRandom random{quint64(100 + half)};
                for (int n = 0; n < 3000; ++n) {
                    const int i = half * (servers / 2) + int(random.below(servers / 2));
                    const int weight = int(random.below(50));
                    QString error;
                    if (!pool.setWeight(QStringLiteral("s%1").arg(i), weight, &error))
                        qFatal("%s", qPrintable(error));
                    lastWeight[size_t(i)] = weight;
                    const BackendState state = n % 7 == 0 ? BackendState::Drain : BackendState::Up;
                    pool.setState(QStringLiteral("s%1").arg(i), state);
                    lastState[size_t(i)] = state;
                }
            });
        }
        for (std::thread &t : writers)
            t.join();
        stop = true;
        for (std::thread &t : workers)
            t.join();

        QCOMPARE(invalid.load(), 0);
        QVERIFY(picks.load() > 0);
        // No lost update: the pool holds every writer's last word.
        const auto snap = pool.snapshot();
        for (int i = 0; i < servers; ++i) {
            QCOMPARE(snap->backends[size_t(i)].spec.weight, lastWeight[size_t(i)]);
            QCOMPARE(snap->backends[size_t(i)].spec.state, lastState[size_t(i)]);
            // Every request that started also finished: the shared counter is back to zero.
            QCOMPARE(snap->backends[size_t(i)].live->inFlight.load(), 0);
        }
        // A fresh worker and an old one both honour the final weights.
        Balancer fresh(pool, 77);
        for (int n = 0; n < 2000; ++n) {
            const Pick p = fresh.pick(PickContext{});
            if (p.valid())
                QVERIFY(lastWeight[size_t(p.index)] > 0 && lastState[size_t(p.index)] == BackendState::Up);
        }
    }
};

QTEST_GUILESS_MAIN(TestBalancerConcurrency)
#include "tst_balancerconcurrency.moc"
