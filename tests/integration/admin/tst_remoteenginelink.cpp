// The console's remote link against real fulcrumd processes: in-process demo backends behind
// them, a real redis-server for the lock endpoint, the admin API over real sockets. What the
// link says is checked against what the engine itself answers.
#include "engine/auditlog.h"
#include "engine/multienginelink.h"
#include "engine/remoteenginelink.h"
#include "demobackends.h"
#include "fulcrumdprocess.h"
#include "freeport.h"
#include "redisserver.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonArray>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

const ServerStatus *findServer(const LinkSnapshot &snapshot, const QString &pool, const QString &name)
{
    const int index = snapshot.indexOf(pool, name);
    return index < 0 ? nullptr : &snapshot.servers[index];
}

} // namespace

class TestRemoteEngineLink : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void parsesUrls_data();
    void parsesUrls();
    void snapshotsArrive();
    void setWeightActsOnTheEngine();
    void setStateActsOnTheEngine();
    void historyArrivesOnConnect();
    void poolThatCannotServeShows();
    void unknownServerIsRefusedWithTheEnginesMessage();
    void lockTablesAndRelease();
    void wrongTokenSaysSo();
    void reportThroughTheEngine();
    void twoEnginesSideBySide();
    void reconnectsAfterRestart();
    void fulcrumctlFollowReconnectsAndCatchesUp();

private:
    std::unique_ptr<RemoteEngineLink> makeLink(FulcrumdProcess &engine, const QByteArray &token, const QString &name = QStringLiteral("east"));
    // Waits for the command's answer.
    CommandResult answer(EngineLink *link, quint64 id);
    // A snapshot that arrived after now.
    LinkSnapshot nextSnapshot(EngineLink *link);
    // One server in the next snapshot: its weight (-1 when missing), its state name ("missing").
    int nextWeight(EngineLink *link, const QString &pool, const QString &name);
    QString nextState(EngineLink *link, const QString &pool, const QString &name);

    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<InProcessDemoBackend> m_app2;
    std::unique_ptr<RedisServer> m_redis;
    std::unique_ptr<FulcrumdProcess> m_east;
    std::unique_ptr<FulcrumdProcess> m_west;
    std::unique_ptr<RemoteEngineLink> m_link;
};

void TestRemoteEngineLink::initTestCase()
{
    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    m_app2 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app2"));
    QVERIFY(m_app1->isListening() && m_app2->isListening());
    m_redis = std::make_unique<RedisServer>();
    QString error;
    QVERIFY2(m_redis->start(&error), qPrintable(error));
    FulcrumdProcess::Options east;
    east.servers = {{QStringLiteral("app1"), m_app1->port()}, {QStringLiteral("app2"), m_app2->port()}};
    east.redisPort = m_redis->port();
    m_east = std::make_unique<FulcrumdProcess>(east);
    QString log;
    QVERIFY2(m_east->start(&log), qPrintable(log));
    m_link = makeLink(*m_east, m_east->token());
    QTRY_COMPARE_WITH_TIMEOUT(m_link->state(), LinkState::Connected, 10'000);
}

void TestRemoteEngineLink::cleanupTestCase()
{
    m_link.reset();
    m_east.reset();
    m_west.reset();
}

std::unique_ptr<RemoteEngineLink> TestRemoteEngineLink::makeLink(FulcrumdProcess &engine, const QByteArray &token, const QString &name)
{
    RemoteEngineOptions options;
    options.name = name;
    options.url = engine.adminUrl();
    options.token = token;
    options.maxBackoffMs = 1000;   // restarts in this test come back within a second
    return std::make_unique<RemoteEngineLink>(options);
}

CommandResult TestRemoteEngineLink::answer(EngineLink *link, quint64 id)
{
    CommandResult result;
    bool done = false;
    QMetaObject::Connection c = connect(link, &EngineLink::commandFinished, this, [&](const CommandResult &r) {
        if (r.id == id) {
            result = r;
            done = true;
        }
    });
    if (!QTest::qWaitFor([&] { return done; }, 10'000))
        result.message = QStringLiteral("no answer to command %1 in 10 s").arg(id);
    disconnect(c);
    return result;
}

LinkSnapshot TestRemoteEngineLink::nextSnapshot(EngineLink *link)
{
    QSignalSpy spy(link, &EngineLink::snapshotReady);
    if (!spy.wait(5000))
        return LinkSnapshot();
    return spy.last().first().value<LinkSnapshot>();
}

int TestRemoteEngineLink::nextWeight(EngineLink *link, const QString &pool, const QString &name)
{
    const LinkSnapshot snapshot = nextSnapshot(link);
    const ServerStatus *server = findServer(snapshot, pool, name);
    return server ? server->weight : -1;
}

QString TestRemoteEngineLink::nextState(EngineLink *link, const QString &pool, const QString &name)
{
    const LinkSnapshot snapshot = nextSnapshot(link);
    const ServerStatus *server = findServer(snapshot, pool, name);
    return server ? backendStateName(server->state) : QStringLiteral("missing");
}

void TestRemoteEngineLink::parsesUrls_data()
{
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("url");
    QTest::newRow("full") << QStringLiteral("http://127.0.0.1:9901") << QStringLiteral("http://127.0.0.1:9901");
    QTest::newRow("trailing slash") << QStringLiteral("http://10.0.0.5:9900/") << QStringLiteral("http://10.0.0.5:9900");
    QTest::newRow("host:port") << QStringLiteral("lb1.example:9900") << QStringLiteral("http://lb1.example:9900");
    QTest::newRow("default port") << QStringLiteral("http://lb1") << QStringLiteral("http://lb1:9900");
    QTest::newRow("token in it") << QStringLiteral("http://user:secret@lb1:9900") << QString();
    QTest::newRow("path") << QStringLiteral("http://lb1:9900/api/v1") << QString();
    QTest::newRow("ftp") << QStringLiteral("ftp://lb1") << QString();
    QTest::newRow("empty") << QString() << QString();
}

void TestRemoteEngineLink::parsesUrls()
{
    QFETCH(QString, typed);
    QFETCH(QString, url);
    QString error;
    const std::optional<QUrl> parsed = RemoteEngineLink::parseUrl(typed, &error);
    if (url.isEmpty()) {
        QVERIFY(!parsed);
        QVERIFY2(error.contains(u"http://127.0.0.1:9900") || error.contains(u"never in the URL"), qPrintable(error));
        QVERIFY2(!error.contains(u"secret"), qPrintable(error));
        return;
    }
    QVERIFY2(parsed, qPrintable(error));
    QCOMPARE(parsed->toString(), url);
    QCOMPARE(RemoteEngineLink::keychainEntry(*parsed), QStringLiteral("fulcrumd:") + url);
}

void TestRemoteEngineLink::snapshotsArrive()
{
    const LinkSnapshot snapshot = nextSnapshot(m_link.get());
    QCOMPARE(snapshot.servers.size(), 2);
    const ServerStatus *app1 = findServer(snapshot, QStringLiteral("web"), QStringLiteral("app1"));
    QVERIFY(app1);
    QCOMPARE(app1->address, QStringLiteral("127.0.0.1:%1").arg(m_app1->port()));
    QCOMPARE(app1->weight, m_east->server(QStringLiteral("app1")).value(QStringLiteral("weight")).toInt());
    QVERIFY(snapshot.time.isValid());
    QVERIFY(snapshot.tickMs >= 250 && snapshot.tickMs <= 1000);
    // Health checks pass against the demo backends: up, with the check's reason.
    auto reason = [this] {
        const LinkSnapshot next = nextSnapshot(m_link.get());
        const ServerStatus *server = findServer(next, QStringLiteral("web"), QStringLiteral("app1"));
        return server ? server->reason : QString();
    };
    QTRY_VERIFY_WITH_TIMEOUT(reason().startsWith(u"L7OK"), 5000);
    // The check time is when the engine's check count moved: within the last second or so.
    auto lastCheck = [this] {
        const LinkSnapshot next = nextSnapshot(m_link.get());
        const ServerStatus *server = findServer(next, QStringLiteral("web"), QStringLiteral("app1"));
        return server ? server->lastCheck : QDateTime();
    };
    QTRY_VERIFY_WITH_TIMEOUT(lastCheck().isValid() && lastCheck().secsTo(QDateTime::currentDateTimeUtc()) < 5, 5000);
    QCOMPARE(m_link->lockEndpointNames(), QStringList{QStringLiteral("cache")});
    QVERIFY(m_link->description().contains(m_east->adminUrl().toString()));
}

void TestRemoteEngineLink::setWeightActsOnTheEngine()
{
    QSignalSpy events(m_link.get(), &EngineLink::eventsReady);
    const CommandResult result = answer(m_link.get(), m_link->setWeight(QStringLiteral("web"), QStringLiteral("app2"), 4));
    QVERIFY2(result.ok, qPrintable(result.message));
    QVERIFY2(result.message.contains(u"10 → 4"), qPrintable(result.message));
    QCOMPARE(m_east->server(QStringLiteral("app2")).value(QStringLiteral("weight")).toInt(), 4);
    QTRY_COMPARE_WITH_TIMEOUT(nextWeight(m_link.get(), QStringLiteral("web"), QStringLiteral("app2")), 4, 5000);
    // The operator event comes from the engine's audit log, with who and before → after.
    auto found = [&] {
        for (const QList<QVariant> &signal : std::as_const(events)) {
            for (const LinkEvent &e : signal.first().value<QList<LinkEvent>>()) {
                if (e.kind == LinkEvent::Kind::Operator && e.what == u"set-weight" && e.target == u"web/app2" && e.before == u"10" && e.after == u"4")
                    return true;
            }
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(found(), 5000);
    QVERIFY(answer(m_link.get(), m_link->setWeight(QStringLiteral("web"), QStringLiteral("app2"), 10)).ok);
    QCOMPARE(m_east->server(QStringLiteral("app2")).value(QStringLiteral("weight")).toInt(), 10);
}

void TestRemoteEngineLink::setStateActsOnTheEngine()
{
    CommandResult result = answer(m_link.get(), m_link->setState(QStringLiteral("web"), QStringLiteral("app1"), BackendState::Drain));
    QVERIFY2(result.ok, qPrintable(result.message));
    QCOMPARE(m_east->server(QStringLiteral("app1")).value(QStringLiteral("admin_state")).toString(), QStringLiteral("drain"));
    QTRY_COMPARE_WITH_TIMEOUT(nextState(m_link.get(), QStringLiteral("web"), QStringLiteral("app1")), QStringLiteral("drain"), 5000);
    const LinkSnapshot drained = nextSnapshot(m_link.get());
    QVERIFY(findServer(drained, QStringLiteral("web"), QStringLiteral("app1")));
    QCOMPARE(findServer(drained, QStringLiteral("web"), QStringLiteral("app1"))->reason, QStringLiteral("operator"));

    result = answer(m_link.get(), m_link->setState(QStringLiteral("web"), QStringLiteral("app1"), BackendState::Down));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"health checks"), qPrintable(result.message));

    result = answer(m_link.get(), m_link->setState(QStringLiteral("web"), QStringLiteral("app1"), BackendState::Up));
    QVERIFY2(result.ok, qPrintable(result.message));
    QCOMPARE(m_east->server(QStringLiteral("app1")).value(QStringLiteral("admin_state")).toString(), QStringLiteral("ready"));
    QTRY_COMPARE_WITH_TIMEOUT(nextState(m_link.get(), QStringLiteral("web"), QStringLiteral("app1")), QStringLiteral("up"), 5000);
}

void TestRemoteEngineLink::poolThatCannotServeShows()
{
    // Both servers of web in maintenance: the console over the admin API sees the pool as
    // unable to serve, the 503s the engine answers itself, and the outage as a pool event.
    QSignalSpy events(m_link.get(), &EngineLink::eventsReady);
    for (const QString &server : {QStringLiteral("app1"), QStringLiteral("app2")}) {
        const CommandResult result = answer(m_link.get(), m_link->setState(QStringLiteral("web"), server, BackendState::Maint));
        QVERIFY2(result.ok, qPrintable(result.message));
    }
    SimpleHttpConnection client(m_east->proxyPort());
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        if (client.get("/").status != 503)
            return false;
        const LinkSnapshot snapshot = nextSnapshot(m_link.get());
        const PoolStatus *web = snapshot.pool(QStringLiteral("web"));
        return web && web->cannotServe && web->reportsUnserved && web->unservedPerSecond > 0;
    }()), 10'000);
    const auto outage = [&events] {
        for (const QList<QVariant> &signal : std::as_const(events)) {
            for (const LinkEvent &e : signal.first().value<QList<LinkEvent>>()) {
                if (e.kind == LinkEvent::Kind::Outage && e.target == u"web" && e.after == u"NO SERVER")
                    return true;
            }
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(outage(), 5000);
    for (const QString &server : {QStringLiteral("app1"), QStringLiteral("app2")}) {
        const CommandResult result = answer(m_link.get(), m_link->setState(QStringLiteral("web"), server, BackendState::Up));
        QVERIFY2(result.ok, qPrintable(result.message));
    }
    QTRY_COMPARE_WITH_TIMEOUT(nextState(m_link.get(), QStringLiteral("web"), QStringLiteral("app1")), QStringLiteral("up"), 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(nextState(m_link.get(), QStringLiteral("web"), QStringLiteral("app2")), QStringLiteral("up"), 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(!nextSnapshot(m_link.get()).pool(QStringLiteral("web"))->cannotServe, 10'000);
}

void TestRemoteEngineLink::historyArrivesOnConnect()
{
    // A console attaching later still sees what happened: the engine's own start, and the
    // operator actions of the tests above, once each.
    std::unique_ptr<RemoteEngineLink> late = makeLink(*m_east, m_east->token());
    QSignalSpy events(late.get(), &EngineLink::eventsReady);
    auto count = [&](const std::function<bool(const LinkEvent &)> &match) {
        int n = 0;
        for (const QList<QVariant> &signal : std::as_const(events)) {
            for (const LinkEvent &e : signal.first().value<QList<LinkEvent>>())
                n += match(e) ? 1 : 0;
        }
        return n;
    };
    QTRY_VERIFY_WITH_TIMEOUT(count([](const LinkEvent &e) { return e.kind == LinkEvent::Kind::Engine && e.detail.contains(u"admin API on http"); }) == 1, 10'000);
    // Audited as the console's OS user.
    QCOMPARE(count([](const LinkEvent &e) {
        return e.kind == LinkEvent::Kind::Operator && e.what == u"set-state" && e.after == u"drain" && e.who == AuditLog::currentOsUser();
    }), 1);
    QCOMPARE(count([](const LinkEvent &e) { return e.kind == LinkEvent::Kind::Operator && e.what == u"set-weight" && e.before == u"10" && e.after == u"4"; }), 1);
}

void TestRemoteEngineLink::unknownServerIsRefusedWithTheEnginesMessage()
{
    const CommandResult result = answer(m_link.get(), m_link->setWeight(QStringLiteral("web"), QStringLiteral("nope"), 3));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"404") && result.message.contains(u"\"nope\"") && result.message.contains(u"app1"), qPrintable(result.message));
}

void TestRemoteEngineLink::lockTablesAndRelease()
{
    m_redis->command({"SET", "lock:orders", "worker-7", "PX", "60000"});
    LockTable table;
    QSignalSpy tables(m_link.get(), &EngineLink::lockTableReady);
    auto holderOf = [&](const QByteArray &key) {
        for (const QList<QVariant> &signal : std::as_const(tables)) {
            const LockTable t = signal.first().value<LockTable>();
            if (t.endpoint == u"cache")
                table = t;
        }
        for (const LockRow &row : std::as_const(table.rows)) {
            if (row.key == key)
                return row.holder;
        }
        return QByteArray();
    };
    QTRY_COMPARE_WITH_TIMEOUT(holderOf("lock:orders"), QByteArray("worker-7"), 10'000);
    const LockRow row = [&] {
        for (const LockRow &r : std::as_const(table.rows)) {
            if (r.key == "lock:orders")
                return r;
        }
        return LockRow();
    }();
    QCOMPARE(row.kind, QStringLiteral("plain"));
    QVERIFY(row.ttlMs > 0 && row.ttlMs <= 60'000);
    QVERIFY(row.readAt.isValid());

    // Another worker took it in between: the engine answers 409 and deletes nothing.
    m_redis->command({"SET", "lock:orders", "worker-8", "PX", "60000"});
    CommandResult result = answer(m_link.get(), m_link->releaseLock(QStringLiteral("cache"), "lock:orders", "worker-7"));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"worker-8") && result.message.contains(u"nothing deleted"), qPrintable(result.message));
    QCOMPARE(m_redis->command({"GET", "lock:orders"}).string, QByteArray("worker-8"));

    result = answer(m_link.get(), m_link->releaseLock(QStringLiteral("cache"), "lock:orders", "worker-8"));
    QVERIFY2(result.ok, qPrintable(result.message));
    QCOMPARE(m_redis->command({"EXISTS", "lock:orders"}).integer, 0);
    QTRY_COMPARE_WITH_TIMEOUT(holderOf("lock:orders"), QByteArray(), 10'000);

    result = answer(m_link.get(), m_link->releaseLock(QStringLiteral("nowhere"), "lock:orders", "worker-8"));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"\"nowhere\"") && result.message.contains(u"cache"), qPrintable(result.message));
}

void TestRemoteEngineLink::wrongTokenSaysSo()
{
    std::unique_ptr<RemoteEngineLink> link = makeLink(*m_east, "not-the-token");
    QTRY_COMPARE_WITH_TIMEOUT(link->state(), LinkState::Disconnected, 10'000);
    QVERIFY2(link->stateDetail().contains(u"token refused (401)") && link->stateDetail().contains(u"fulcrumctl secret set --engine"),
             qPrintable(link->stateDetail()));
    // Commands get the same clear answer, and nothing changes.
    const CommandResult result = answer(link.get(), link->setWeight(QStringLiteral("web"), QStringLiteral("app1"), 1));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"401"), qPrintable(result.message));
    QCOMPARE(m_east->server(QStringLiteral("app1")).value(QStringLiteral("weight")).toInt(), 10);

    // The read-only token sees everything and may change nothing.
    std::unique_ptr<RemoteEngineLink> viewer = makeLink(*m_east, m_east->readOnlyToken());
    QTRY_COMPARE_WITH_TIMEOUT(viewer->state(), LinkState::Connected, 10'000);
    const CommandResult refused = answer(viewer.get(), viewer->setWeight(QStringLiteral("web"), QStringLiteral("app1"), 1));
    QVERIFY(!refused.ok);
    QVERIFY2(refused.message.contains(u"403") && refused.message.contains(u"read-only"), qPrintable(refused.message));

    bool probed = false;
    QString probeMessage;
    RemoteEngineLink::probe(m_east->adminUrl(), "not-the-token", this, [&](bool ok, const QString &message) {
        probed = !ok;
        probeMessage = message;
    });
    QTRY_VERIFY_WITH_TIMEOUT(probed, 10'000);
    QVERIFY2(probeMessage.contains(u"401"), qPrintable(probeMessage));
    probed = false;
    RemoteEngineLink::probe(m_east->adminUrl(), m_east->token(), this, [&](bool ok, const QString &message) {
        probed = ok;
        probeMessage = message;
    });
    QTRY_VERIFY_WITH_TIMEOUT(probed, 10'000);
    QVERIFY2(probeMessage.contains(u"web"), qPrintable(probeMessage));
}

void TestRemoteEngineLink::reportThroughTheEngine()
{
    QTemporaryDir dir;
    ReportRequest request;
    request.toMs = QDateTime::currentMSecsSinceEpoch();
    request.fromMs = request.toMs - 10 * 60'000;
    request.format = QStringLiteral("json");
    const QString jsonPath = dir.filePath(QStringLiteral("report.json"));
    CommandResult result = answer(m_link.get(), m_link->exportReport(request, jsonPath));
    QVERIFY2(result.ok, qPrintable(result.message));
    QVERIFY2(result.message.contains(jsonPath), qPrintable(result.message));
    QFile json(jsonPath);
    QVERIFY(json.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(json.readAll()).object().value(QStringLiteral("schema")).toString(), QStringLiteral("fulcrum-health-report/1"));

    request.format = QStringLiteral("html");
    const QString htmlPath = dir.filePath(QStringLiteral("report.html"));
    QVERIFY(answer(m_link.get(), m_link->exportReport(request, htmlPath)).ok);
    QFile html(htmlPath);
    QVERIFY(html.open(QIODevice::ReadOnly));
    QVERIFY(html.readAll().contains("<html"));

    // Cancelled at once: nothing is left at the path.
    request.format = QStringLiteral("pdf");
    const QString pdfPath = dir.filePath(QStringLiteral("report.pdf"));
    const quint64 id = m_link->exportReport(request, pdfPath);
    m_link->cancelReport(id);
    result = answer(m_link.get(), id);
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"cancelled"), qPrintable(result.message));
    QVERIFY(!QFile::exists(pdfPath));

    // A window the engine refuses: its message, and no file.
    request.format = QStringLiteral("json");
    request.fromMs = request.toMs + 60'000;
    result = answer(m_link.get(), m_link->exportReport(request, dir.filePath(QStringLiteral("empty.json"))));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"400") && result.message.contains(u"to must be after from"), qPrintable(result.message));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("empty.json"))));

    // csv: one request per section, written as the in-process export writes them (report-servers.csv, ...).
    request.format = QStringLiteral("csv");
    request.fromMs = request.toMs - 10 * 60'000;
    QSignalSpy progress(m_link.get(), &EngineLink::reportProgress);
    result = answer(m_link.get(), m_link->exportReport(request, dir.filePath(QStringLiteral("report.csv"))));
    QVERIFY2(result.ok, qPrintable(result.message));
    const QStringList sections = csvReportSections();
    QVERIFY(sections.contains(QStringLiteral("servers")));
    QCOMPARE(progress.size(), sections.size());
    for (const QString &section : sections) {
        const QString path = dir.filePath(QStringLiteral("report-%1.csv").arg(section));
        QVERIFY2(result.message.contains(path), qPrintable(result.message));
        QFile csv(path);
        QVERIFY2(csv.open(QIODevice::ReadOnly), qPrintable(path));
        QVERIFY2(csv.readLine().endsWith("\r\n"), qPrintable(path));   // the engine's RFC 4180 csv, header first
    }
    QFile servers(dir.filePath(QStringLiteral("report-servers.csv")));
    QVERIFY(servers.open(QIODevice::ReadOnly));
    QVERIFY(servers.readAll().contains("app1"));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("report.csv"))));

    // A refused window: no section file is left.
    request.fromMs = request.toMs + 60'000;
    result = answer(m_link.get(), m_link->exportReport(request, dir.filePath(QStringLiteral("bad.csv"))));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"to must be after from"), qPrintable(result.message));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("bad-servers.csv"))));

    // Cancelled after the first section: the sections already written are removed.
    request.fromMs = request.toMs - 10 * 60'000;
    const quint64 csvId = m_link->exportReport(request, dir.filePath(QStringLiteral("gone.csv")));
    QVERIFY(QTest::qWaitFor([&] { return QFile::exists(dir.filePath(QStringLiteral("gone-%1.csv").arg(sections.first()))); }, 10'000));
    m_link->cancelReport(csvId);
    result = answer(m_link.get(), csvId);
    if (!result.ok) {
        QVERIFY2(result.message.contains(u"cancelled"), qPrintable(result.message));
        for (const QString &section : sections)
            QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("gone-%1.csv").arg(section))));
    }
}

void TestRemoteEngineLink::twoEnginesSideBySide()
{
    FulcrumdProcess::Options west;
    west.servers = {{QStringLiteral("app1"), m_app1->port()}, {QStringLiteral("app2"), m_app2->port()}};
    m_west = std::make_unique<FulcrumdProcess>(west);
    QString log;
    QVERIFY2(m_west->start(&log), qPrintable(log));

    MultiEngineLink multi;
    QVERIFY(multi.addEngine(QStringLiteral("east"), makeLink(*m_east, m_east->token()).release()));
    QVERIFY(multi.addEngine(QStringLiteral("west"), makeLink(*m_west, m_west->token(), QStringLiteral("west")).release()));
    const std::unique_ptr<RemoteEngineLink> twice = makeLink(*m_east, m_east->token());
    QVERIFY(!multi.addEngine(QStringLiteral("east"), twice.get()));
    QVERIFY(!multi.addEngine(QStringLiteral("a/b"), twice.get()));
    QTRY_COMPARE_WITH_TIMEOUT(multi.state(), LinkState::Connected, 10'000);

    // Every view gets both engines' servers in one snapshot, pools named after their engine.
    LinkSnapshot snapshot;
    QTRY_VERIFY_WITH_TIMEOUT((snapshot = nextSnapshot(&multi), snapshot.servers.size() == 4), 10'000);
    QVERIFY(findServer(snapshot, QStringLiteral("east/web"), QStringLiteral("app1")));
    QVERIFY(findServer(snapshot, QStringLiteral("west/web"), QStringLiteral("app2")));
    QCOMPARE(multi.lockEndpointNames(), QStringList{QStringLiteral("east/cache")});

    // A command goes to the engine its pool names, and only there.
    const CommandResult result = answer(&multi, multi.setWeight(QStringLiteral("west/web"), QStringLiteral("app1"), 3));
    QVERIFY2(result.ok && result.message.startsWith(u"west: "), qPrintable(result.message));
    QCOMPARE(m_west->server(QStringLiteral("app1")).value(QStringLiteral("weight")).toInt(), 3);
    QCOMPARE(m_east->server(QStringLiteral("app1")).value(QStringLiteral("weight")).toInt(), 10);
    QTRY_COMPARE_WITH_TIMEOUT(nextWeight(&multi, QStringLiteral("west/web"), QStringLiteral("app1")), 3, 5000);
    QCOMPARE(nextWeight(&multi, QStringLiteral("east/web"), QStringLiteral("app1")), 10);

    const CommandResult report = answer(&multi, multi.exportReport(ReportRequest{}, QStringLiteral("/nonexistent/report.pdf")));
    QVERIFY(!report.ok);
    QVERIFY2(report.message.contains(u"one engine"), qPrintable(report.message));

    const CommandResult unknown = answer(&multi, multi.setWeight(QStringLiteral("north/web"), QStringLiteral("app1"), 3));
    QVERIFY(!unknown.ok);
    QVERIFY2(unknown.message.contains(u"east, west"), qPrintable(unknown.message));

    // Locks are the east engine's, released through it.
    m_redis->command({"SET", "lock:side", "h-1", "PX", "60000"});
    QSignalSpy tables(&multi, &EngineLink::lockTableReady);
    auto seen = [&] {
        for (const QList<QVariant> &signal : std::as_const(tables)) {
            const LockTable t = signal.first().value<LockTable>();
            for (const LockRow &row : t.rows) {
                if (t.endpoint == u"east/cache" && row.endpoint == u"east/cache" && row.key == "lock:side")
                    return true;
            }
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(seen(), 10'000);
    QVERIFY(answer(&multi, multi.releaseLock(QStringLiteral("east/cache"), "lock:side", "h-1")).ok);
    QCOMPARE(m_redis->command({"EXISTS", "lock:side"}).integer, 0);

    // One engine gone: the state is the worst one's, and the detail names each engine.
    m_west->stop();
    QTRY_COMPARE_WITH_TIMEOUT(multi.state(), LinkState::Disconnected, 10'000);
    QSignalSpy states(&multi, &EngineLink::stateChanged);
    QTRY_VERIFY_WITH_TIMEOUT(!states.isEmpty(), 5000);
    const QString detail = states.last().at(1).toString();
    QVERIFY2(detail.contains(u"east: connected") && detail.contains(u"west: "), qPrintable(detail));
}

void TestRemoteEngineLink::reconnectsAfterRestart()
{
    QSignalSpy events(m_link.get(), &EngineLink::eventsReady);
    m_east->stop();
    QTRY_COMPARE_WITH_TIMEOUT(m_link->state(), LinkState::Disconnected, 10'000);
    QVERIFY2(m_link->stateDetail().contains(u"retrying"), qPrintable(m_link->stateDetail()));
    QString log;
    QVERIFY2(m_east->start(&log), qPrintable(log));
    QTRY_COMPARE_WITH_TIMEOUT(m_link->state(), LinkState::Connected, 15'000);
    QCOMPARE(nextWeight(m_link.get(), QStringLiteral("web"), QStringLiteral("app1")), 10);
    bool lost = false;
    for (const QList<QVariant> &signal : std::as_const(events)) {
        for (const LinkEvent &e : signal.first().value<QList<LinkEvent>>())
            lost |= e.kind == LinkEvent::Kind::Link && e.after == u"lost";
    }
    QVERIFY(lost);
}

// fulcrumctl's --follow through the same shared stream client: a restart of the engine is said
// on stderr and survived, what the engine logged while the stream was down is printed from its
// list, and nothing is printed twice.
void TestRemoteEngineLink::fulcrumctlFollowReconnectsAndCatchesUp()
{
    QProcess follow;
    follow.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("events"), QStringLiteral("--engine"), m_east->adminUrl().toString(),
                                                            QStringLiteral("--token-file"), m_east->tokenFile(), QStringLiteral("--limit"),
                                                            QStringLiteral("1"), QStringLiteral("--follow")});
    QVERIFY(follow.waitForStarted());
    QString out;
    QString err;
    auto read = [&] {
        out += QString::fromUtf8(follow.readAllStandardOutput());
        err += QString::fromUtf8(follow.readAllStandardError());
    };
    QTRY_VERIFY_WITH_TIMEOUT((read(), !out.isEmpty()), 10'000);

    const qsizetype adminStartsBefore = out.count(u"admin API on");
    m_east->stop();
    QTRY_VERIFY_WITH_TIMEOUT((read(), err.contains(u"reconnecting in")), 15'000);
    QString log;
    QVERIFY2(m_east->start(&log), qPrintable(log));
    QTRY_VERIFY_WITH_TIMEOUT((read(), err.contains(u"answers again")), 20'000);
    QCOMPARE(follow.state(), QProcess::Running);

    // What the engine logged on its way up, before its admin API (and so the stream) was open
    // again: printed from its list.
    QTRY_VERIFY2_WITH_TIMEOUT((read(), out.count(u"admin API on") > adminStartsBefore), qPrintable(out + err), 10'000);

    // And the stream itself again.
    const int weight = m_east->server(QStringLiteral("app1")).value(QStringLiteral("weight")).toInt();
    const int other = weight == 3 ? 4 : 3;
    int status = 0;
    m_east->request("PUT", "/api/v1/pools/web/servers/app1/weight", QStringLiteral(R"({"weight": %1})").arg(other).toUtf8(), &status);
    QCOMPARE(status, 200);
    QTRY_VERIFY2_WITH_TIMEOUT((read(), out.contains(QStringLiteral("from %1 to %2").arg(weight).arg(other))), qPrintable(out + err), 10'000);
    m_east->request("PUT", "/api/v1/pools/web/servers/app1/weight", QStringLiteral(R"({"weight": %1})").arg(weight).toUtf8(), &status);
    QTRY_VERIFY2_WITH_TIMEOUT((read(), out.contains(QStringLiteral("from %1 to %2").arg(other).arg(weight))), qPrintable(out + err), 10'000);
    follow.kill();
    follow.waitForFinished();
    read();

    QStringList lines = out.split(u'\n', Qt::SkipEmptyParts);
    const qsizetype all = lines.size();
    lines.removeDuplicates();
    QVERIFY2(lines.size() == all, qPrintable(out));
}

QTEST_GUILESS_MAIN(TestRemoteEngineLink)
#include "tst_remoteenginelink.moc"
