// Times full LockInspector passes against a running Redis; prints one line per pass with the
// wall time, redis-server's CPU time (INFO cpu, asked on a second connection around the pass)
// and this process's CPU time, so a slow pass shows whether the server or the client was busy.
// Usage: bench_lockinspector PORT [PASSES] [SCAN_COUNT] [PATTERN...]
#include "locks/lockinspector.h"
#include "locks/redisconnection.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <sys/resource.h>

#include <cstdio>
#include <functional>

using namespace fulcrum;

static double processCpuMs()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

// used_cpu_user + used_cpu_sys from an INFO cpu reply, in ms; -1 when absent.
static double serverCpuMs(const RedisReply &reply)
{
    double total = 0;
    int found = 0;
    for (const QByteArray &line : reply.string.split('\n')) {
        for (const char *field : {"used_cpu_user:", "used_cpu_sys:"}) {
            if (line.startsWith(field)) {
                total += line.mid(qsizetype(qstrlen(field))).trimmed().toDouble() * 1000.0;
                ++found;
            }
        }
    }
    return found == 2 ? total : -1;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: bench_lockinspector PORT [PASSES] [SCAN_COUNT] [PATTERN...]\n");
        return 2;
    }
    RedisConnectionOptions options;
    options.port = quint16(args[1].toUInt());
    options.commandTimeoutMs = 30'000;
    const int passes = args.size() > 2 ? args[2].toInt() : 3;
    LockInspectorOptions inspectorOptions;
    if (args.size() > 3)
        inspectorOptions.scanCount = args[3].toInt();
    if (args.size() > 4)
        inspectorOptions.patterns = args.mid(4);
    RedisConnection connection(options);
    RedisConnection stats(options);
    LockInspector inspector(&connection, inspectorOptions);
    int done = 0;
    QElapsedTimer wall;
    double serverBefore = 0;
    double clientBefore = 0;
    auto serverCpu = [&](std::function<void(double)> then) {
        stats.command({QByteArrayLiteral("INFO"), QByteArrayLiteral("cpu")}, [then = std::move(then)](const RedisReply &reply) { then(serverCpuMs(reply)); });
    };
    auto startPass = [&] {
        serverCpu([&](double ms) {
            serverBefore = ms;
            clientBefore = processCpuMs();
            wall.start();
            inspector.scan();
        });
    };
    QObject::connect(&inspector, &LockInspector::scanFinished, &app, [&](const LockScanResult &result) {
        const qint64 wallMs = wall.elapsed();
        const double clientMs = processCpuMs() - clientBefore;
        serverCpu([&, wallMs, clientMs, result](double serverAfter) {
            std::printf("pass %d: %lld ms wall, %lld ms in pass, %lld locks, %lld matching keys, %lld notes, redis-server cpu %.0f ms, client cpu %.0f ms\n",
                        done + 1, static_cast<long long>(wallMs), static_cast<long long>(result.elapsedMs),
                        static_cast<long long>(result.locks.size()), static_cast<long long>(result.keysScanned),
                        static_cast<long long>(result.notes.size()), serverAfter - serverBefore, clientMs);
            std::fflush(stdout);
            if (++done == passes)
                app.quit();
            else
                startPass();
        });
    });
    QObject::connect(&inspector, &LockInspector::scanFailed, &app, [&](const QString &why) {
        std::fprintf(stderr, "scan failed: %s\n", qPrintable(why));
        app.exit(1);
    });
    bool started = false;
    auto startWhenBothUp = [&] {
        if (!started && connection.isConnected() && stats.isConnected()) {
            started = true;
            startPass();
        }
    };
    QObject::connect(&connection, &RedisConnection::connected, &app, startWhenBothUp);
    QObject::connect(&stats, &RedisConnection::connected, &app, startWhenBothUp);
    connection.open();
    stats.open();
    return app.exec();
}
