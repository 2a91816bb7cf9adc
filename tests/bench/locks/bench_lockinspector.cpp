// Times full RedisLockInspector passes against a running Redis, each next to its floor: a bare SCAN
// pass with the inspector's own MATCH and COUNT that reads nothing (the keys it returns are only
// matched against the patterns, as the inspector does). Rounds alternate the two, so both see the
// same machine. Per pass: wall time, redis-server's CPU time (INFO cpu, asked on a second
// connection around the pass) and this process's CPU time; at the end the medians, their ratio,
// and what the server ran per inspection (INFO commandstats).
// Usage: bench_lockinspector PORT [ROUNDS] [SCAN_COUNT] [--scan-only MATCH] [PATTERN...]
//   --scan-only MATCH: bare SCAN passes only, with MATCH as given ("" = no MATCH at all), the
//   keys matched against the patterns here: what each way of scanning costs the server.
#include "locks/redis/glob.h"
#include "locks/redis/redislockinspector.h"
#include "locks/redis/redisconnection.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QMap>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <optional>

using namespace fulcrum;

namespace {

double processCpuMs()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

struct ServerStats
{
    double cpuMs = -1;                          // used_cpu_user + used_cpu_sys
    QMap<QByteArray, QPair<qint64, qint64>> commands; // command -> (calls, usec)
};

ServerStats parseInfo(const RedisReply &reply)
{
    ServerStats stats;
    double cpu = 0;
    int found = 0;
    for (QByteArray line : reply.string.split('\n')) {
        line = line.trimmed();
        for (const char *field : {"used_cpu_user:", "used_cpu_sys:"}) {
            if (line.startsWith(field)) {
                cpu += line.mid(qsizetype(qstrlen(field))).toDouble() * 1000.0;
                ++found;
            }
        }
        // cmdstat_scan:calls=1000,usec=712000,usec_per_call=712.00,...
        if (line.startsWith("cmdstat_")) {
            const qsizetype colon = line.indexOf(':');
            qint64 calls = 0;
            qint64 usec = 0;
            for (const QByteArray &pair : line.mid(colon + 1).split(',')) {
                if (pair.startsWith("calls="))
                    calls = pair.mid(6).toLongLong();
                else if (pair.startsWith("usec="))
                    usec = pair.mid(5).toLongLong();
            }
            stats.commands.insert(line.mid(8, colon - 8), {calls, usec});
        }
    }
    if (found == 2)
        stats.cpuMs = cpu;
    return stats;
}

struct Pass
{
    qint64 wallMs = 0;
    double serverCpuMs = 0;
    double clientCpuMs = 0;
};

double median(QList<double> values)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const qsizetype n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// One SCAN cursor chain per MATCH pattern, side by side, the next call sent as each reply
// arrives; keys only matched against the patterns. What any SCAN-based inspector pays at least.
class BareScan
{
public:
    BareScan(RedisConnection *connection, QList<std::optional<QByteArray>> matches, QList<QByteArray> patterns, int count)
        : m_connection(connection), m_matches(std::move(matches)), m_patterns(std::move(patterns)), m_count(count)
    {
    }

    void run(std::function<void(qint64 keysReturned, qint64 keysMatching)> done)
    {
        m_done = std::move(done);
        m_returned = 0;
        m_matching = 0;
        m_running = int(m_matches.size());
        for (int chain = 0; chain < m_matches.size(); ++chain)
            next(chain, QByteArrayLiteral("0"));
    }

private:
    void next(int chain, const QByteArray &cursor)
    {
        QList<QByteArray> command{QByteArrayLiteral("SCAN"), cursor};
        if (m_matches[chain])
            command << QByteArrayLiteral("MATCH") << *m_matches[chain];
        command << QByteArrayLiteral("COUNT") << QByteArray::number(m_count);
        m_connection->command(command, [this, chain](const RedisReply &reply) {
            if (reply.type != RedisReply::Array || reply.elements.size() != 2) {
                std::fprintf(stderr, "SCAN failed: %s\n", qPrintable(reply.errorText()));
                QCoreApplication::exit(1);
                return;
            }
            const QByteArray cursor = reply.elements[0].string;
            if (cursor != "0") {
                next(chain, cursor);
                m_connection->flush();
            }
            for (const RedisReply &key : reply.elements[1].elements) {
                ++m_returned;
                if (std::any_of(m_patterns.begin(), m_patterns.end(), [&](const QByteArray &p) { return redisGlobMatch(p, key.string); }))
                    ++m_matching;
            }
            if (cursor == "0" && --m_running == 0)
                m_done(m_returned, m_matching);
        });
    }

    RedisConnection *m_connection;
    QList<std::optional<QByteArray>> m_matches;
    QList<QByteArray> m_patterns;
    int m_count;
    std::function<void(qint64, qint64)> m_done;
    qint64 m_returned = 0;
    qint64 m_matching = 0;
    int m_running = 0;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    std::optional<QByteArray> scanOnlyMatch;
    bool scanOnly = false;
    if (const qsizetype flag = args.indexOf(QStringLiteral("--scan-only")); flag > 0 && flag + 1 < args.size()) {
        scanOnly = true;
        const QString match = args[flag + 1];
        if (!match.isEmpty())
            scanOnlyMatch = match.toUtf8();
        args.remove(flag, 2);
    }
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: bench_lockinspector PORT [ROUNDS] [SCAN_COUNT] [--scan-only MATCH] [PATTERN...]\n");
        return 2;
    }
    RedisConnectionOptions options;
    options.port = quint16(args[1].toUInt());
    options.commandTimeoutMs = 30'000;
    const int rounds = args.size() > 2 ? args[2].toInt() : 3;
    RedisLockInspectorOptions inspectorOptions;
    if (args.size() > 3)
        inspectorOptions.scanCount = args[3].toInt();
    if (args.size() > 4)
        inspectorOptions.patterns = args.mid(4);
    RedisConnection connection(options);
    RedisConnection stats(options);
    RedisLockInspector inspector(&connection, inspectorOptions);
    QList<QByteArray> patterns;
    for (const QString &p : std::as_const(inspector.options().patterns))
        patterns << p.toUtf8();
    QList<std::optional<QByteArray>> matches;
    if (scanOnly) {
        matches << scanOnlyMatch;
    } else {
        for (const QByteArray &m : inspector.scanPatterns())
            matches << m;
    }
    BareScan bare(&connection, matches, patterns, inspectorOptions.scanCount);

    QList<Pass> scans;
    QList<Pass> inspections;
    QMap<QByteArray, QPair<qint64, qint64>> inspectionCommands; // summed over the inspection passes
    QElapsedTimer wall;
    ServerStats before;
    double clientBefore = 0;
    std::function<void()> nextStep;
    int step = 0;
    const int steps = scanOnly ? rounds : 2 * rounds;

    auto measure = [&](std::function<void(const ServerStats &)> then) {
        stats.command({QByteArrayLiteral("INFO"), QByteArrayLiteral("cpu"), QByteArrayLiteral("commandstats")},
                      [then = std::move(then)](const RedisReply &reply) { then(parseInfo(reply)); });
    };
    auto begin = [&](std::function<void()> start) {
        measure([&, start = std::move(start)](const ServerStats &s) {
            before = s;
            clientBefore = processCpuMs();
            wall.start();
            start();
        });
    };
    auto end = [&](std::function<void(const Pass &, const ServerStats &)> report) {
        const qint64 wallMs = wall.elapsed();
        const double clientMs = processCpuMs() - clientBefore;
        measure([&, wallMs, clientMs, report = std::move(report)](const ServerStats &after) {
            report(Pass{wallMs, after.cpuMs - before.cpuMs, clientMs}, after);
            std::fflush(stdout);
            if (++step == steps)
                app.quit();
            else
                nextStep();
        });
    };
    auto matchText = [&] {
        QStringList parts;
        for (const auto &m : std::as_const(matches))
            parts << (m ? QStringLiteral("MATCH %1").arg(QString::fromUtf8(*m)) : QStringLiteral("no MATCH"));
        return parts.join(QStringLiteral(" + "));
    };
    auto runScan = [&] {
        begin([&] {
            bare.run([&](qint64 returned, qint64 matching) {
                end([&, returned, matching](const Pass &pass, const ServerStats &after) {
                    scans.append(pass);
                    const auto scanBefore = before.commands.value("scan");
                    const auto scanAfter = after.commands.value("scan");
                    const qint64 calls = scanAfter.first - scanBefore.first;
                    std::printf("scan %lld: %lld ms wall, %lld keys returned, %lld matching, redis-server cpu %.0f ms, client cpu %.0f ms, "
                                "%lld SCAN calls at %.2f ms each (%s, COUNT %d)\n",
                                static_cast<long long>(scans.size()), static_cast<long long>(pass.wallMs), static_cast<long long>(returned),
                                static_cast<long long>(matching), pass.serverCpuMs, pass.clientCpuMs, static_cast<long long>(calls),
                                calls ? (scanAfter.second - scanBefore.second) / 1000.0 / double(calls) : 0.0, qPrintable(matchText()),
                                inspectorOptions.scanCount);
                });
            });
        });
    };
    auto runInspection = [&] {
        begin([&] { inspector.scan(); });
    };
    QObject::connect(&inspector, &RedisLockInspector::scanFinished, &app, [&](const LockScanResult &result) {
        end([&, result](const Pass &pass, const ServerStats &after) {
            inspections.append(pass);
            for (auto it = after.commands.cbegin(); it != after.commands.cend(); ++it) {
                if (it.key() == "info")
                    continue;
                const auto was = before.commands.value(it.key());
                auto &sum = inspectionCommands[it.key()];
                sum.first += it->first - was.first;
                sum.second += it->second - was.second;
            }
            std::printf("pass %lld: %lld ms wall, %lld ms in pass, %lld locks, %lld matching keys, %lld notes, redis-server cpu %.0f ms, client cpu %.0f ms\n",
                        static_cast<long long>(inspections.size()), static_cast<long long>(pass.wallMs), static_cast<long long>(result.elapsedMs),
                        static_cast<long long>(result.locks.size()), static_cast<long long>(result.keysScanned),
                        static_cast<long long>(result.notes.size()), pass.serverCpuMs, pass.clientCpuMs);
        });
    });
    QObject::connect(&inspector, &RedisLockInspector::scanFailed, &app, [&](const QString &why) {
        std::fprintf(stderr, "scan failed: %s\n", qPrintable(why));
        app.exit(1);
    });
    nextStep = [&] {
        if (scanOnly || step % 2 == 0)
            runScan();
        else
            runInspection();
    };
    bool started = false;
    auto startWhenBothUp = [&] {
        if (!started && connection.isConnected() && stats.isConnected()) {
            started = true;
            nextStep();
        }
    };
    QObject::connect(&connection, &RedisConnection::connected, &app, startWhenBothUp);
    QObject::connect(&stats, &RedisConnection::connected, &app, startWhenBothUp);
    connection.open();
    stats.open();
    const int status = app.exec();
    if (status != 0)
        return status;

    auto column = [](const QList<Pass> &passes, double Pass::*field) {
        QList<double> values;
        for (const Pass &p : passes)
            values << p.*field;
        return median(values);
    };
    QList<double> scanWall;
    for (const Pass &p : std::as_const(scans))
        scanWall << double(p.wallMs);
    std::printf("median bare scan: %.0f ms wall, redis-server cpu %.0f ms, client cpu %.0f ms (%lld passes)\n", median(scanWall),
                column(scans, &Pass::serverCpuMs), column(scans, &Pass::clientCpuMs), static_cast<long long>(scans.size()));
    if (inspections.isEmpty())
        return 0;
    QList<double> inspectionWall;
    for (const Pass &p : std::as_const(inspections))
        inspectionWall << double(p.wallMs);
    const double inspectionMs = median(inspectionWall);
    std::printf("median inspection: %.0f ms wall, redis-server cpu %.0f ms, client cpu %.0f ms (%lld passes) = %.2fx the bare scan\n",
                inspectionMs, column(inspections, &Pass::serverCpuMs), column(inspections, &Pass::clientCpuMs),
                static_cast<long long>(inspections.size()), inspectionMs / median(scanWall));
    for (auto it = inspectionCommands.cbegin(); it != inspectionCommands.cend(); ++it) {
        if (it->first == 0)
            continue;
        std::printf("   %-10s %8lld calls per inspection, %5.0f ms per inspection inside the command\n", it.key().constData(),
                    static_cast<long long>(it->first / inspections.size()), double(it->second) / 1000.0 / double(inspections.size()));
    }
    return 0;
}
