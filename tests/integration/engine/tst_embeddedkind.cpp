// The embedded engine as a kind of the registry: what the console opens when told of no
// engine. Opened through the registry with the context the console lends it, it runs the real
// Engine over six demo backends with its own redis-server, inspects the Redis endpoints the
// operator saved (with their passwords), builds its history where it is told, and takes its
// redis-server with it when it goes. fulcrumctl, which cannot reach it, says so.
#include "engine/enginelink.h"
#include "freeport.h"
#include "link/enginekinds.h"
#include "programs.h"
#include "redisserver.h"

#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

class TestEmbeddedKind : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void opensTheDemoWithTheSavedEndpointsAndItsHistory();
    void fulcrumctlRefusesIt();
};

static bool accepts(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    return socket.waitForConnected(1000);
}

void TestEmbeddedKind::opensTheDemoWithTheSavedEndpointsAndItsHistory()
{
    // A Redis the operator saved in Settings, protected by a password read from the keychain.
    RedisServer::Options redisOptions;
    redisOptions.password = "orders-redis-pass";
    RedisServer saved(redisOptions);
    QString error;
    QVERIFY2(saved.start(&error), qPrintable(error));
    QCOMPARE(saved.command({"SET", "lock:order:4711", "8743c02d-checkout-worker-3", "PX", "600000"}).string, QByteArray("OK"));

    QTemporaryDir state;
    QVERIFY(state.isValid());
    EngineContext context;
    context.stateDir = state.path();
    QStringList historyDirs;
    context.history = [&historyDirs](const QString &dir) {
        historyDirs.append(dir);
        return std::function<std::unique_ptr<ReportService>(Engine *)>([](Engine *) { return std::unique_ptr<ReportService>(); });
    };
    InProcessLockEndpoint endpoint = InProcessLockEndpoint::redis(saved.host(), saved.port());
    endpoint.config.redis.lockPatterns = {QStringLiteral("lock:*")};
    endpoint.password = redisOptions.password;
    context.lockEndpoints.append(endpoint);

    const EngineKinds::Spelled builtIn = EngineKinds::builtIn();
    std::unique_ptr<EngineLink> link(builtIn.kind->create(QStringLiteral("demo"), builtIn.address, QByteArray(), context));
    QVERIFY(link);
    QVERIFY(link->capabilities().embedded);
    QCOMPARE(historyDirs, QStringList{state.filePath(QStringLiteral("console-demo"))});

    // The demo's own Redis first, then the saved one.
    const QStringList endpoints = link->lockEndpointNames();
    QCOMPARE(endpoints.size(), 2);
    QCOMPARE(endpoints.at(1), QStringLiteral("127.0.0.1:%1").arg(saved.port()));
    const quint16 demoRedisPort = quint16(endpoints.at(0).section(u':', -1).toUInt());
    QVERIFY2(demoRedisPort != 0 && demoRedisPort != saved.port(), qPrintable(endpoints.at(0)));

    // The real engine: the demo pool with its six servers taking traffic.
    QSignalSpy snapshots(link.get(), &EngineLink::snapshotReady);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const LinkSnapshot last = snapshots.last().at(0).value<LinkSnapshot>();
        int serving = 0;
        for (const ServerStatus &server : last.servers)
            serving += server.pool == u"checkout" && server.requestsPerSecond > 0 ? 1 : 0;
        return last.servers.size() == 6 && serving > 0;
    }()), 15000);

    // The saved endpoint is read with its password: the lock the shop wrote shows, holder and all.
    QSignalSpy tables(link.get(), &EngineLink::lockTableReady);
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        for (const QList<QVariant> &emitted : std::as_const(tables)) {
            const LockTable table = emitted.at(0).value<LockTable>();
            for (const LockRow &row : table.rows) {
                if (table.endpoint == endpoints.at(1) && row.key == "lock:order:4711" && row.holder == "8743c02d-checkout-worker-3")
                    return true;
            }
        }
        return false;
    }()), 20000);

    // Its redis-server serves while it runs and goes with it.
    QVERIFY(accepts(demoRedisPort));
    link.reset();
    QVERIFY(!accepts(demoRedisPort));
    QVERIFY(saved.isRunning());
}

void TestEmbeddedKind::fulcrumctlRefusesIt()
{
    const ProgramRun run = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                      {QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), QStringLiteral("embedded:demo")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(u"embedded:demo") && run.err.contains(u"runs inside the console") && run.err.contains(u"fulcrumd"),
             qPrintable(run.err));
    QVERIFY(run.out.isEmpty());
}

QTEST_GUILESS_MAIN(TestEmbeddedKind)
#include "tst_embeddedkind.moc"
