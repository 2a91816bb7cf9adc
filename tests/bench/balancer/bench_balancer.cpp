// ns per pick for every algorithm at 10, 100, 1 000 and 10 000 servers, next to a plain
// O(n) nginx-style smooth weighted round-robin in the same run.
//
// Each iteration is what a proxy worker pays per request: Balancer::pick() plus
// requestStarted() and requestFinished() (least-connections does its work there).
// Weights cycle through 16 distinct values (1..16). Before timing, the weighted
// round-robin is checked to produce exactly the O(n) scan's sequence.
#include "balancer/balancer.h"
#include "common/fastrandom.h"
#include "nginxreference.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

using namespace fulcrum;

namespace {

std::vector<BackendSpec> makeServers(int n)
{
    std::vector<BackendSpec> servers;
    servers.reserve(size_t(n));
    for (int i = 0; i < n; ++i)
        servers.push_back(BackendSpec{QStringLiteral("app%1").arg(i), QStringLiteral("127.0.0.1"), quint16(1024 + i % 60000), 1 + i % 16});
    return servers;
}

std::vector<int> weightsOf(int n)
{
    std::vector<int> w;
    for (int i = 0; i < n; ++i)
        w.push_back(1 + i % 16);
    return w;
}

void pickLoop(benchmark::State &state, Algorithm algorithm, int choices)
{
    const int n = int(state.range(0));
    PoolOptions options;
    options.algorithm = algorithm;
    options.choices = choices;
    Pool pool(QStringLiteral("bench"), options, makeServers(n));
    Balancer balancer(pool, 42);
    FastRandom keys(7);
    for (auto _ : state) {
        PickContext context;
        context.hasKey = true;
        context.keyHash = keys.next();
        const Pick p = balancer.pick(context);
        balancer.requestStarted(p);
        balancer.requestFinished(p);
        benchmark::DoNotOptimize(p.index);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_RoundRobin(benchmark::State &s) { pickLoop(s, Algorithm::RoundRobin, 1); }
void BM_WeightedRoundRobin(benchmark::State &s) { pickLoop(s, Algorithm::WeightedRoundRobin, 1); }
void BM_LeastConnections(benchmark::State &s) { pickLoop(s, Algorithm::LeastConnections, 1); }
void BM_Random(benchmark::State &s) { pickLoop(s, Algorithm::Random, 1); }
void BM_RandomTwo(benchmark::State &s) { pickLoop(s, Algorithm::Random, 2); }
void BM_LeastResponseTime(benchmark::State &s) { pickLoop(s, Algorithm::LeastResponseTime, 1); }
void BM_ConsistentHash(benchmark::State &s) { pickLoop(s, Algorithm::ConsistentHash, 1); }

void BM_NginxScanWeightedRoundRobin(benchmark::State &state)
{
    NginxReferenceWrr reference(weightsOf(int(state.range(0))));
    for (auto _ : state)
        benchmark::DoNotOptimize(reference.pick());
    state.SetItemsProcessed(state.iterations());
}

#define SIZES ->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)
BENCHMARK(BM_RoundRobin) SIZES;
BENCHMARK(BM_WeightedRoundRobin) SIZES;
BENCHMARK(BM_NginxScanWeightedRoundRobin) SIZES;
BENCHMARK(BM_LeastConnections) SIZES;
BENCHMARK(BM_Random) SIZES;
BENCHMARK(BM_RandomTwo) SIZES;
BENCHMARK(BM_LeastResponseTime) SIZES;
BENCHMARK(BM_ConsistentHash) SIZES;

// Same output as the O(n) scan, or the speed comparison means nothing.
bool sameSequence(int n, int picks)
{
    Pool pool(QStringLiteral("check"), PoolOptions{}, makeServers(n));
    Balancer balancer(pool);
    NginxReferenceWrr reference(weightsOf(n));
    for (int i = 0; i < picks; ++i) {
        if (balancer.pick(PickContext{}).index != reference.pick())
            return false;
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    for (int n : {10, 100, 1000, 10000}) {
        if (!sameSequence(n, 200'000)) {
            std::fprintf(stderr, "weighted-round-robin differs from nginx's sequence at %d servers\n", n);
            return 1;
        }
    }
    std::printf("weighted-round-robin: identical to the O(n) nginx scan for 200000 picks at 10, 100, 1000, 10000 servers\n");
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
