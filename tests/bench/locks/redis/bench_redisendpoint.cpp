// Timing driver for run_topology_bench.py: full passes of a lock endpoint given as a Settings
// line (redis://, rediss://, redis-cluster://, redlock://...), through the same LockBackend the
// engine uses. Prints one line per pass: "pass N: WALL ms, LOCKS locks, KEYS keys", and at the
// end one line per thread: "thread NAME: CPU ms" (the whole run, start included).
// Usage: bench_redisendpoint ADDRESS ROUNDS [CA_FILE]
#include "locks/lockbackends.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimer>

#include <QDir>
#include <QFile>

#include <cstdio>
#include <memory>

#include <unistd.h>

using namespace fulcrum;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_redisendpoint ADDRESS ROUNDS [CA_FILE]\n");
        return 2;
    }
    LockEndpointConfig endpoint;
    QString error;
    if (!parseLockEndpointAddress(QString::fromLocal8Bit(argv[1]), &endpoint, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    if (argc > 3)
        endpoint.redis.caFile = QString::fromLocal8Bit(argv[3]);
    const int rounds = QByteArray(argv[2]).toInt();
    std::unique_ptr<LockBackend> backend(createLockBackend(endpoint, {}, nullptr));
    int done = 0;
    QElapsedTimer clock;
    auto next = [&] {
        clock.start();
        backend->scan();
    };
    QObject::connect(backend.get(), &LockBackend::scanFinished, &app, [&](const LockScanResult &result) {
        std::printf("pass %d: %lld ms, %lld locks, %lld keys%s\n", done + 1, static_cast<long long>(clock.elapsed()),
                    static_cast<long long>(result.locks.size()), static_cast<long long>(result.keysScanned), result.truncated ? " (truncated)" : "");
        std::fflush(stdout);
        if (++done >= rounds)
            app.quit();
        else
            QTimer::singleShot(200, &app, next);
    });
    QObject::connect(backend.get(), &LockBackend::scanInterrupted, &app, [&](const QString &why) {
        std::fprintf(stderr, "interrupted: %s\n", qPrintable(why));
        QTimer::singleShot(500, &app, next);
    });
    bool started = false;
    QObject::connect(backend.get(), &LockBackend::connected, &app, [&] {
        if (!std::exchange(started, true))
            QTimer::singleShot(200, &app, next);
    });
    QTimer::singleShot(60'000, &app, [&] {
        std::fprintf(stderr, "timed out after 60 s (%s)\n", qPrintable(backend->url()));
        app.exit(1);
    });
    backend->open();
    const int status = app.exec();
    // Per thread, while the backend's threads still run: the engine's thread merges, the
    // pass threads read and parse (a Cluster's or Redlock's masters).
    const QString tasks = QStringLiteral("/proc/self/task");
    const QString self = QString::number(getpid());
    for (const QString &tid : QDir(tasks).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile stat(tasks + u'/' + tid + QStringLiteral("/stat"));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');
        const QList<QByteArray> fields = line.mid(close + 2).split(' '); // from field 3 (state) on
        if (close < 0 || fields.size() < 13)
            continue;
        const double ms = (fields.at(11).toDouble() + fields.at(12).toDouble()) * 1000.0 / double(sysconf(_SC_CLK_TCK));
        const QByteArray name = tid == self ? QByteArrayLiteral("main") : line.mid(line.indexOf('(') + 1, close - line.indexOf('(') - 1);
        std::printf("thread %s: %.0f ms\n", name.constData(), ms);
    }
    return status;
}
