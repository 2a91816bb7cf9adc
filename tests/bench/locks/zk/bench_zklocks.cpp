// Driver for run_zk_bench.py (not a test, asserts nothing):
//   bench_zklocks HOSTS populate FOLDERS CONTENDERS   Curator-named lock nodes under /locks
//   bench_zklocks HOSTS inspect                       one full ZooKeeperLockBackend pass over /locks
// Prints one line of key=value figures.
#include "locks/zookeeper/zkclient.h"
#include "locks/zookeeper/zookeeperlockbackend.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTextStream>
#include <QTimer>

#include <cstdio>

using namespace fulcrum;

static int populate(const QString &hosts, int folders, int contenders)
{
    ZkClient::Options options;
    options.hosts = hosts;
    auto *client = new ZkClient(options, qApp);
    int pending = 1 + folders + contenders;
    int failures = 0;
    auto done = [&](int rc, const QByteArray &) {
        if (rc != zkrc::Ok && rc != zkrc::NodeExists)
            ++failures;
        if (--pending == 0)
            qApp->exit(failures ? 1 : 0);
    };
    QObject::connect(client, &ZkClient::connected, qApp, [&] {
        client->create("/locks", {}, ZkClient::Persistent, qApp, done);
        for (int f = 0; f < folders; ++f) {
            const QByteArray folder = "/locks/cart-" + QByteArray::number(f);
            client->create(folder, {}, ZkClient::Persistent, qApp, done);
            const int here = contenders / folders + (f < contenders % folders ? 1 : 0);
            for (int c = 0; c < here; ++c)
                client->create(folder + "/_c_5b1e0c1a-1111-4a4a-9b9b-0000000000" + QByteArray::number(10 + c % 90) + "-lock-",
                               "10.0.0.1", ZkClient::Persistent | ZkClient::Sequential, qApp, done);
        }
    });
    client->open();
    const int rc = qApp->exec();
    std::printf("populated folders=%d contenders=%d failures=%d\n", folders, contenders, failures);
    return rc;
}

// One pass of a new endpoint (nothing cached): the default waiter_details, or every waiter
// read whole ("all").
static int inspect(const QString &hosts, bool allWaiters)
{
    ZooKeeperEndpointConfig config;
    config.hosts = hosts;
    config.paths = {QStringLiteral("/locks")};
    config.fourLetterWords = false;
    if (allWaiters)
        config.waiterDetails = 10'000'000;
    auto *backend = new ZooKeeperLockBackend(config, {}, qApp);
    QElapsedTimer clock;
    QObject::connect(backend, &LockBackend::connected, qApp, [&] {
        clock.start();
        backend->scan();
    });
    QObject::connect(backend, &LockBackend::scanFinished, qApp, [&](const LockScanResult &result) {
        qint64 waiters = 0;
        qint64 unread = 0;
        for (const LockInfo &info : result.locks) {
            waiters += info.waiters.size();
            unread += info.detailInteger(QStringLiteral("waiters_unread"), 0);
        }
        std::printf("fulcrum wall_ms=%lld locks=%lld nodes=%lld waiters=%lld waiters_by_name=%lld restarts=%d\n", clock.elapsed(),
                    qint64(result.locks.size()), result.keysScanned, waiters, unread, result.restarts);
        qApp->exit(0);
    });
    QObject::connect(backend, &LockBackend::scanFailed, qApp, [](const QString &why) {
        std::fprintf(stderr, "%s\n", qPrintable(why));
        qApp->exit(1);
    });
    backend->open();
    return qApp->exec();
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() >= 5 && args[2] == u"populate")
        return populate(args[1], args[3].toInt(), args[4].toInt());
    if (args.size() >= 3 && args[2] == u"inspect")
        return inspect(args[1], args.size() >= 4 && args[3] == u"all");
    std::fprintf(stderr, "usage: bench_zklocks HOSTS populate FOLDERS CONTENDERS | HOSTS inspect [all]\n");
    return 2;
}
