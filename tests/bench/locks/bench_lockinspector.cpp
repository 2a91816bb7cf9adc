// Times full LockInspector passes against a running Redis; prints one line per pass.
// Usage: bench_lockinspector PORT [PASSES] [SCAN_COUNT] [PATTERN...]
#include "locks/lockinspector.h"
#include "locks/redisconnection.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace fulcrum;

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
    LockInspector inspector(&connection, inspectorOptions);
    int done = 0;
    QElapsedTimer wall;
    QObject::connect(&inspector, &LockInspector::scanFinished, &app, [&](const LockScanResult &result) {
        std::printf("pass %d: %lld ms wall, %lld ms in pass, %lld locks, %lld matching keys, %lld notes\n", done + 1,
                    static_cast<long long>(wall.elapsed()), static_cast<long long>(result.elapsedMs),
                    static_cast<long long>(result.locks.size()), static_cast<long long>(result.keysScanned),
                    static_cast<long long>(result.notes.size()));
        std::fflush(stdout);
        if (++done == passes) {
            app.quit();
            return;
        }
        wall.restart();
        inspector.scan();
    });
    QObject::connect(&inspector, &LockInspector::scanFailed, &app, [&](const QString &why) {
        std::fprintf(stderr, "scan failed: %s\n", qPrintable(why));
        app.exit(1);
    });
    QObject::connect(&connection, &RedisConnection::connected, &app, [&] {
        if (done == 0 && !inspector.isScanning()) {
            wall.start();
            inspector.scan();
        }
    });
    connection.open();
    return app.exec();
}
