// The embedded engine as a kind of the registry: what the console opens when told of no
// engine. Opened through the registry with the context the console lends it, it runs the real
// Engine over six demo backends with its own redis-server, inspects the Redis endpoints the
// operator saved (with their passwords), builds its history where it is told, and takes its
// redis-server with it when it goes. fulcrumctl, which cannot reach it, says so. Given an
// operator's config instead (fulcrum --config FILE, or embedded:FILE), the same engine runs that
// config: its pools, listeners and lock endpoints, its state kept where fulcrumd keeps it, so
// what an operator does in the console is there again after a restart.
#include "demobackends.h"
#include "engine/enginelink.h"
#include "locks/secretstore.h"
#include "freeport.h"
#include "isolatedpaths.h"
#include "link/enginekinds.h"
#include "programs.h"
#include "redisserver.h"

#include <QDir>
#include <QFile>
#include <QProcess>
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
    // The console program started below keeps its settings under this test's own home.
    void initTestCase() { useIsolatedStandardPaths(); }
    void opensTheDemoWithTheSavedEndpointsAndItsHistory();
    void fulcrumctlRefusesIt();
    void runsTheOperatorsConfigAndKeepsWhatWasDoneAcrossARestart();
    void refusesABadConfigNamingWhereAndWhat();
    void consoleProgramRunsAConfig();
};

namespace {

// What an operator's shop looks like on loopback: two pools of real demo backends, a
// listener for each, a Redis with a password in the keychain and a lock in it.
struct Shop
{
    std::vector<std::unique_ptr<DemoBackendProcess>> backends;
    QTemporaryDir dir;
    quint16 shopPort = 0;
    quint16 apiPort = 0;

    QString configPath() const { return dir.filePath(QStringLiteral("shop.json")); }
    QString stateDir() const { return dir.filePath(QStringLiteral("state")); }

    bool write(const RedisServer &redis, QString *error, bool password = true)
    {
        QStringList addresses;
        for (const char *name : {"a1", "a2", "b1"}) {
            auto backend = std::make_unique<DemoBackendProcess>(QString::fromLatin1(name));
            if (!backend->start()) {
                *error = backend->error();
                return false;
            }
            addresses.append(backend->address());
            backends.push_back(std::move(backend));
        }
        shopPort = freeLoopbackPort();
        apiPort = freeLoopbackPort();
        const QString json = QStringLiteral(R"({
  "listeners": [
    {"name": "shop", "listen": "127.0.0.1:%1", "pool": "shop"},
    {"name": "api", "listen": "127.0.0.1:%2", "pool": "api"}
  ],
  "pools": [
    {"name": "shop", "servers": [{"name": "a1", "address": "%3", "weight": 5}, {"name": "a2", "address": "%4", "weight": 5}],
     "health_check": {"type": "http", "path": "/health", "interval": "500ms", "rise": 1, "fall": 1}},
    {"name": "api", "servers": [{"name": "b1", "address": "%5", "weight": 3}],
     "health_check": {"type": "http", "path": "/health", "interval": "500ms", "rise": 1, "fall": 1}}
  ],
  "redis": [{"name": "orders", "url": "redis://127.0.0.1:%6/0",%8 "lock_patterns": ["lock:*"], "poll_interval": "500ms"}],
  "state_dir": "%7",
  "proxy": {"workers": 1}
}
)").arg(shopPort).arg(apiPort).arg(addresses[0], addresses[1], addresses[2]).arg(redis.port()).arg(stateDir(), password ? QStringLiteral(" \"password\": \"keychain\",") : QString());
        QFile file(configPath());
        if (!file.open(QIODevice::WriteOnly) || file.write(json.toUtf8()) < 0) {
            *error = file.errorString();
            return false;
        }
        return true;
    }
};

// Whether a lock table the link published lists this lock with this holder.
bool tablesShow(const QSignalSpy &tables, const QString &endpoint, const QByteArray &key, const QByteArray &holder)
{
    for (const QList<QVariant> &emitted : tables) {
        const LockTable table = emitted.at(0).value<LockTable>();
        for (const LockRow &row : table.rows) {
            if (table.endpoint == endpoint && row.key == key && row.holder == holder)
                return true;
        }
    }
    return false;
}

LinkSnapshot waitForServers(EngineLink *link, int servers)
{
    QSignalSpy snapshots(link, &EngineLink::snapshotReady);
    LinkSnapshot last;
    // The caller checks what came (the last snapshot seen, whatever its size).
    (void)QTest::qWaitFor([&] {
        if (!snapshots.isEmpty())
            last = snapshots.last().at(0).value<LinkSnapshot>();
        return last.servers.size() == servers;
    }, 15000);
    return last;
}

const ServerStatus *findServer(const LinkSnapshot &snapshot, const QString &pool, const QString &name)
{
    const int index = snapshot.indexOf(pool, name);
    return index < 0 ? nullptr : &snapshot.servers[index];
}

CommandResult waitForCommand(EngineLink *link, quint64 id)
{
    QSignalSpy finished(link, &EngineLink::commandFinished);
    CommandResult result;
    // The caller checks the result (id 0 and not ok when none came).
    (void)QTest::qWaitFor([&] {
        for (const QList<QVariant> &emitted : std::as_const(finished)) {
            if (emitted.at(0).value<CommandResult>().id == id) {
                result = emitted.at(0).value<CommandResult>();
                return true;
            }
        }
        return false;
    }, 10000);
    return result;
}

} // namespace

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
    // The demo's redis-server already listens when the engine starts: its first pass connects,
    // and no demo start shows a "cannot connect" warning among its first events.
    QVERIFY(accepts(demoRedisPort));
    QSignalSpy events(link.get(), &EngineLink::eventsReady);

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
    QTRY_VERIFY_WITH_TIMEOUT(tablesShow(tables, endpoints.at(1), "lock:order:4711", "8743c02d-checkout-worker-3"), 20000);

    QTRY_VERIFY_WITH_TIMEOUT(tablesShow(tables, endpoints.at(0), "lock:checkout:order-5531", "worker-7:77aa01"), 20000);
    QStringList demoNotices;
    for (const QList<QVariant> &batch : std::as_const(events)) {
        for (const LinkEvent &event : batch.at(0).value<QList<LinkEvent>>()) {
            if (event.detail.contains(endpoints.at(0)))
                demoNotices.append(event.detail);
        }
    }
    QVERIFY2(!demoNotices.isEmpty(), "no event about the demo's lock endpoint");
    QVERIFY2(!demoNotices.join(u'\n').contains(u"cannot connect") && !demoNotices.join(u'\n').contains(u"warning"),
             qPrintable(demoNotices.join(u'\n')));

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

void TestEmbeddedKind::runsTheOperatorsConfigAndKeepsWhatWasDoneAcrossARestart()
{
    RedisServer::Options redisOptions;
    redisOptions.password = "orders-redis-pass";
    RedisServer redis(redisOptions);
    QString error;
    QVERIFY2(redis.start(&error), qPrintable(error));
    QCOMPARE(redis.command({"SET", "lock:order:9001", "checkout-worker-5", "PX", "600000"}).string, QByteArray("OK"));
    Shop shop;
    QVERIFY2(shop.write(redis, &error), qPrintable(error));

    // As the console opens it: the kind checks the config and makes the link; the password of
    // "orders" comes from the keychain entry the config names, never from the file.
    InMemorySecretStore keychain;
    keychain.insert(QStringLiteral("orders"), redisOptions.password);
    QTemporaryDir consoleState;
    EngineContext context;
    context.stateDir = consoleState.path();
    context.keychain = &keychain;
    const std::optional<EngineKinds::Spelled> spelled = EngineKinds::parse(QStringLiteral("embedded:") + shop.configPath(), &error);
    QVERIFY2(spelled, qPrintable(error));
    QCOMPARE(spelled->kind->id, QStringLiteral("embedded"));
    QCOMPARE(spelled->address, shop.configPath());

    {
        std::unique_ptr<EngineLink> link(spelled->kind->create(QStringLiteral("shop"), spelled->address, QByteArray(), context));
        QVERIFY(link);
        QVERIFY(link->capabilities().embedded);
        QVERIFY2(link->capabilities().forgetsOnRestart.isEmpty(), qPrintable(link->capabilities().forgetsOnRestart));
        QVERIFY2(link->description().contains(shop.configPath()), qPrintable(link->description()));
        QCOMPARE(link->lockEndpointNames(), QStringList{QStringLiteral("orders")});

        // Both pools, every server checked up by the real health checker.
        const LinkSnapshot first = waitForServers(link.get(), 3);
        QCOMPARE(first.servers.size(), 3);
        QVERIFY(first.pool(QStringLiteral("shop")) && first.pool(QStringLiteral("api")));
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
            const LinkSnapshot now = waitForServers(link.get(), 3);
            const ServerStatus *b1 = findServer(now, QStringLiteral("api"), QStringLiteral("b1"));
            return b1 && b1->stateText == u"up" && b1->lastCheck.isValid();
        }()), 15000);

        // The config's listeners proxy real requests to its servers.
        const SimpleHttpResponse api = httpGet(shop.apiPort, "/");
        QCOMPARE(api.status, 200);
        QCOMPARE(api.header("X-Served-By"), QByteArray("b1"));
        const SimpleHttpResponse web = httpGet(shop.shopPort, "/");
        QCOMPARE(web.status, 200);
        QVERIFY2(web.header("X-Served-By") == "a1" || web.header("X-Served-By") == "a2", web.header("X-Served-By").constData());

        // The config's lock endpoint, read with the keychain's password.
        QSignalSpy tables(link.get(), &EngineLink::lockTableReady);
        QTRY_VERIFY_WITH_TIMEOUT(tablesShow(tables, QStringLiteral("orders"), "lock:order:9001", "checkout-worker-5"), 20000);

        // Operator actions on the second pool, audited into the config's state_dir.
        const CommandResult weight = waitForCommand(link.get(), link->setWeight(QStringLiteral("api"), QStringLiteral("b1"), 7));
        QVERIFY2(weight.ok, qPrintable(weight.message));
        const CommandResult drain = waitForCommand(link.get(), link->setState(QStringLiteral("shop"), QStringLiteral("a2"), BackendState::Drain));
        QVERIFY2(drain.ok, qPrintable(drain.message));
        const CommandResult unknown = waitForCommand(link.get(), link->setWeight(QStringLiteral("carts"), QStringLiteral("b1"), 1));
        QVERIFY(!unknown.ok);
        QVERIFY2(unknown.message.contains(u"\"carts\"") && unknown.message.contains(u"\"api\""), qPrintable(unknown.message));
        QFile audit(QDir(shop.stateDir()).filePath(QStringLiteral("audit.log")));
        QVERIFY(audit.open(QIODevice::ReadOnly));
        const QByteArray log = audit.readAll();
        QVERIFY2(log.contains("set-weight") && log.contains("api/b1") && log.contains("set-state") && log.contains("shop/a2"), log.constData());
    }

    // Closed and opened again, as after a restart of the console: the weight and the drain are
    // still there (the runtime state in the config's state_dir), not the config's figures.
    std::unique_ptr<EngineLink> again(spelled->kind->create(QStringLiteral("shop"), spelled->address, QByteArray(), context));
    QVERIFY(again);
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const LinkSnapshot now = waitForServers(again.get(), 3);
        const ServerStatus *b1 = findServer(now, QStringLiteral("api"), QStringLiteral("b1"));
        const ServerStatus *a2 = findServer(now, QStringLiteral("shop"), QStringLiteral("a2"));
        return b1 && a2 && b1->weight == 7 && a2->state == BackendState::Drain;
    }()), 15000);
}

void TestEmbeddedKind::refusesABadConfigNamingWhereAndWhat()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("broken.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\n  \"pools\": [\n    {\"name\": \"shop\", \"servers\": [{\"name\": \"a1\", \"address\": \"127.0.0.1:notaport\"}]}\n  ]\n}\n");
    file.close();
    QString error;
    QVERIFY(!EngineKinds::parse(QStringLiteral("embedded:") + path, &error));
    QVERIFY2(error.contains(path) && error.contains(u"notaport") && error.contains(u"error(s)"), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("%1:3:").arg(path)), qPrintable(error));   // file:line:column of the bad address
    QVERIFY(!EngineKinds::parse(QStringLiteral("embedded:") + dir.filePath(QStringLiteral("missing.json")), &error));
    QVERIFY2(error.contains(u"missing.json") && error.contains(u"config file"), qPrintable(error));
}

void TestEmbeddedKind::consoleProgramRunsAConfig()
{
    RedisServer redis;
    QString error;
    QVERIFY2(redis.start(&error), qPrintable(error));
    Shop shop;
    QVERIFY2(shop.write(redis, &error, false), qPrintable(error));
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));

    // A config the engine would refuse: nothing opens, the error names the file and the fix.
    const QString broken = shop.dir.filePath(QStringLiteral("broken.json"));
    QFile file(broken);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"pools\": [{\"name\": \"shop\", \"algorithm\": \"fastest\", \"servers\": []}]}\n");
    file.close();
    const ProgramRun refused = runProgram(binaryPath(QStringLiteral("fulcrum")), {QStringLiteral("--config"), broken}, environment);
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains(u"--config") && refused.err.contains(broken) && refused.err.contains(u"fastest"), qPrintable(refused.err));

    // The operator's config in the real console program: while it runs, the config's listener
    // serves through the console's engine; then its views are saved and it ends.
    QTemporaryDir shots;
    shop.backends[1].reset();   // a2 is down: a health change while the console runs
    QProcess console;
    console.setProcessEnvironment(environment);
    console.start(binaryPath(QStringLiteral("fulcrum")), {QStringLiteral("--config"), shop.configPath(), QStringLiteral("--screenshot"), shots.path(),
                                                          QStringLiteral("--screenshot-after"), QStringLiteral("40")});
    QVERIFY(console.waitForStarted());
    // 30 s: a console's first start on a new machine may wait on fontconfig building its cache
    // before its engine opens the listeners. On failure: what the listener last said, and the
    // console's own words.
    SimpleHttpResponse last;
    QTRY_VERIFY2_WITH_TIMEOUT((last = httpGet(shop.apiPort, "/", 1000)).header("X-Served-By") == "b1",
                              qPrintable(QStringLiteral("status %1 %2, body \"%3\"; console stderr: %4")
                                             .arg(last.status)
                                             .arg(last.error, QString::fromUtf8(last.body.left(200)), QString::fromUtf8(console.readAllStandardError()))),
                              30000);
    QVERIFY(console.waitForFinished(60000));
    const QString err = QString::fromUtf8(console.readAllStandardError());
    QVERIFY2(console.exitStatus() == QProcess::NormalExit && console.exitCode() == 0, qPrintable(err));
    QVERIFY2(!QDir(shots.path()).entryList({QStringLiteral("*.png")}).isEmpty(), qPrintable(err));
    // a2's fall is in the Events view, not repeated on the terminal.
    QVERIFY2(!err.contains(u"fulcrum.health:"), qPrintable(err));
}

QTEST_GUILESS_MAIN(TestEmbeddedKind)
#include "tst_embeddedkind.moc"
