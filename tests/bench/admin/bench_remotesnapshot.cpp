// What a remote console pays per engine tick to read the SSE snapshot of N servers (made by
// the admin API's own serializer): JSON parse + the wire codec's decode + the remote link's
// RemoteSnapshotReader (the shared SnapshotMapper), which the link runs on its decoder thread, next to what the engine pays to serialize it. Prints
// p50/p95/max per tick; for scale, the console's UI-thread budget per tick is 8 ms (the
// in-process link maps on its engine thread too).
// Usage: bench_remotesnapshot [--servers N] [--ticks N]
#include "admin/adminjson.h"
#include "engine/remoteenginelink.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace fulcrum;

namespace {

EngineSnapshot makeSnapshot(int servers, quint64 sequence)
{
    EngineSnapshot snapshot;
    snapshot.sequence = sequence;
    snapshot.time = QDateTime::fromMSecsSinceEpoch(1'790'000'000'000 + qint64(sequence) * 250, Qt::UTC);
    const int pools = std::max(1, servers / 100);
    for (int p = 0; p < pools; ++p) {
        PoolView pool;
        pool.name = QStringLiteral("pool%1").arg(p);
        for (int i = p; i < servers; i += pools) {
            ServerSnapshot s;
            s.spec.name = QStringLiteral("app%1").arg(i);
            s.spec.host = QStringLiteral("10.0.%1.%2").arg(i / 250).arg(i % 250 + 1);
            s.spec.port = 8080;
            s.spec.weight = 100 + i % 7;
            s.effectiveWeight = s.spec.weight;
            s.stats.requestsPerSecond = 50 + (i + sequence) % 13;
            s.stats.p50Ms = 4.2 + i % 5;
            s.stats.p95Ms = 9.7 + i % 9;
            s.stats.p99Ms = 20.1 + i % 11;
            s.stats.activeConnections = i % 17;
            s.stats.totals.requests = sequence * 60 + quint64(i);
            s.stats.totals.responses[1] = s.stats.totals.requests;
            s.stats.totals.responses[4] = sequence / 10;
            s.health.state = QStringLiteral("up");
            s.health.stateText = QStringLiteral("up");
            s.health.checks = sequence / 4;
            s.health.timeInStateMs = 60'000;
            pool.servers.push_back(s);
        }
        snapshot.pools.push_back(std::move(pool));
    }
    return snapshot;
}

struct Figures
{
    double p50 = 0, p95 = 0, max = 0;
};

Figures figures(std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], ms.back()};
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption serversOption(QStringLiteral("servers"), QStringLiteral("Servers in the snapshot."), QStringLiteral("N"), QStringLiteral("500"));
    const QCommandLineOption ticksOption(QStringLiteral("ticks"), QStringLiteral("Snapshots to time."), QStringLiteral("N"), QStringLiteral("240"));
    parser.addOptions({serversOption, ticksOption});
    parser.addHelpOption();
    parser.process(app);
    const int servers = std::max(1, parser.value(serversOption).toInt());
    const int ticks = std::max(10, parser.value(ticksOption).toInt());

    RemoteSnapshotReader reader;
    std::vector<double> serialize;
    std::vector<double> parse;
    qsizetype bytes = 0;
    int seen = 0;
    for (int tick = 0; tick < ticks; ++tick) {
        const EngineSnapshot snapshot = makeSnapshot(servers, quint64(tick + 1));
        QElapsedTimer timer;
        timer.start();
        const QByteArray data = QJsonDocument(snapshotToJson(snapshot)).toJson(QJsonDocument::Compact);
        serialize.push_back(double(timer.nsecsElapsed()) / 1e6);
        bytes = data.size();
        timer.restart();
        const LinkSnapshot mapped = reader.read(snapshotFromJson(QJsonDocument::fromJson(data).object()));
        parse.push_back(double(timer.nsecsElapsed()) / 1e6);
        seen = int(mapped.servers.size());
    }
    const Figures s = figures(serialize);
    const Figures p = figures(parse);
    std::printf("remote snapshot, %d servers (%d mapped), %lld bytes per SSE message, %d ticks\n", servers, seen, static_cast<long long>(bytes), ticks);
    std::printf("  engine side, snapshotToJson + compact JSON:           p50 %.2f ms  p95 %.2f ms  max %.2f ms\n", s.p50, s.p95, s.max);
    std::printf("  console decoder thread, parse + decode + map      : p50 %.2f ms  p95 %.2f ms  max %.2f ms  (%.0f %% of a 250 ms tick)\n",
                p.p50, p.p95, p.max, p.p50 / 250.0 * 100);
    std::printf("  ratio console read / engine write: %.2f at p50\n", p.p50 / s.p50);
    return 0;
}
