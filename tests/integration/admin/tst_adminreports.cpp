// History and reports through the admin API of a real fulcrumd recording into a real store:
// every format with its content type, the errors that name the field, fulcrumctl report
// --engine, and the same figures as fulcrumctl report reading the store file.
#include "demobackends.h"
#include "freeport.h"
#include "programs.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QHostAddress>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <tuple>

using namespace fulcrum;
using namespace fulcrum::test;

class TestAdminReports : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void historySeries();
    void reportFormats_data();
    void reportFormats();
    void badWindowsAndFormatsNameTheField_data();
    void badWindowsAndFormatsNameTheField();
    void readOnlyTokenMayReadReports();
    void engineAnswersWhileAReportIsBuilt();
    void fulcrumctlThroughEngineMatchesTheStore();
    void retentionReloadApplies();
    void noStoreIsServiceUnavailable_data();
    void noStoreIsServiceUnavailable();
    void reportCoversAnEngineRestart();

private:
    SimpleHttpResponse get(const QByteArray &path, const QByteArray &token = {}, quint16 port = 0);
    std::tuple<int, QString, QString> ctl(const QStringList &arguments);
    bool writeConfig(const QString &path, const QByteArray &extra);

    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<InProcessDemoBackend> m_app2;
    QTemporaryDir m_dir;
    QString m_configPath;
    quint16 m_adminPort = 0;
    quint16 m_proxyPort = 0;
    QProcess m_fulcrumd;
    QByteArray m_token;
    qint64 m_trafficFromMs = 0;
    qint64 m_trafficToMs = 0;
};

bool TestAdminReports::writeConfig(const QString &path, const QByteArray &extra)
{
    const QByteArray config = QStringLiteral(R"({
  "listeners": [{"name": "main", "listen": "127.0.0.1:%1", "pool": "web"}],
  "pools": [{"name": "web", "health_check": {"interval": "200ms"},
             "servers": [{"name": "app1", "address": "127.0.0.1:%2", "weight": 3},
                         {"name": "app2", "address": "127.0.0.1:%3", "weight": 1}]}],
  "admin": {"listen": "127.0.0.1:%4"},
  "proxy": {"workers": 1, "stop_timeout": "2s"},
  %5
  "state_dir": "%6"
}
)").arg(m_proxyPort).arg(m_app1->port()).arg(m_app2->port()).arg(m_adminPort).arg(QString::fromUtf8(extra), m_dir.filePath(QStringLiteral("state"))).toUtf8();
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(config) == config.size();
}

SimpleHttpResponse TestAdminReports::get(const QByteArray &path, const QByteArray &token, quint16 port)
{
    SimpleHttpConnection connection(port ? port : m_adminPort, 60'000);
    return connection.exchange("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + (token.isEmpty() ? m_token : token) + "\r\n\r\n");
}

std::tuple<int, QString, QString> TestAdminReports::ctl(const QStringList &arguments)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("FULCRUM_TOKEN"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    const ProgramRun run = runProgram(binaryPath(QStringLiteral("fulcrumctl")), arguments, env);
    return {run.exitCode, run.out, run.err};
}

void TestAdminReports::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    m_app2 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app2"));
    QVERIFY(m_app1->isListening() && m_app2->isListening());
    m_adminPort = freeLoopbackPort();
    m_proxyPort = freeLoopbackPort();
    m_configPath = m_dir.filePath(QStringLiteral("fulcrum.json"));
    QVERIFY(writeConfig(m_configPath, {}));
    QString log;
    QVERIFY2(startFulcrumd(m_fulcrumd, m_configPath, &log), qPrintable(log));
    QFile token(m_dir.filePath(QStringLiteral("state/admin.token")));
    QVERIFY(token.open(QIODevice::ReadOnly));
    m_token = token.readAll().trimmed();

    // Traffic over a few seconds, so the store has 1 s rows for both servers.
    m_trafficFromMs = QDateTime::currentMSecsSinceEpoch() - 1000;
    SimpleHttpConnection client(m_proxyPort);
    QDeadlineTimer traffic(3000);
    int sent = 0;
    while (!traffic.hasExpired() || sent < 40) {
        QCOMPARE(client.get("/").status, 200);
        ++sent;
        QTest::qWait(20);
    }
    // The engine records a second's point at the tick after it: let the last one be taken.
    QTest::qWait(2500);
    m_trafficToMs = QDateTime::currentMSecsSinceEpoch() - 1500;
}

void TestAdminReports::cleanupTestCase()
{
    stopProcess(m_fulcrumd);
}

void TestAdminReports::historySeries()
{
    const SimpleHttpResponse r = get("/api/v1/history?since=15m&points=60");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), QByteArray("application/json"));
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    QCOMPARE(o.value(QStringLiteral("resolution_s")).toInt(), 15);   // 900 s / 60 points
    const QJsonArray servers = o.value(QStringLiteral("servers")).toArray();
    QCOMPARE(servers.size(), 2);
    qint64 requests = 0;
    for (const QJsonValue &v : servers) {
        const QJsonObject s = v.toObject();
        QCOMPARE(s.value(QStringLiteral("pool")).toString(), QStringLiteral("web"));
        const QJsonArray points = s.value(QStringLiteral("points")).toArray();
        QVERIFY(!points.isEmpty() && points.size() <= 60);
        for (const QJsonValue &p : points) {
            requests += p.toObject().value(QStringLiteral("requests")).toInteger();
            QVERIFY(p.toObject().contains(QStringLiteral("p99_ms")));
            QVERIFY(p.toObject().contains(QStringLiteral("weight")));
        }
    }
    QVERIFY2(requests >= 40, qPrintable(QString::number(requests)));

    const QJsonObject one = QJsonDocument::fromJson(get("/api/v1/history?since=15m&server=app2").body).object();
    QCOMPARE(one.value(QStringLiteral("servers")).toArray().size(), 1);
    QCOMPARE(one.value(QStringLiteral("servers")).toArray().first().toObject().value(QStringLiteral("server")).toString(), QStringLiteral("app2"));
    QCOMPARE(one.value(QStringLiteral("resolution_s")).toInt(), 5);  // 900 s / 240 points, rounded up to a step
}

void TestAdminReports::reportFormats_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("extension");
    QTest::addColumn<QByteArray>("starts");
    QTest::newRow("json") << QByteArray("since=1h&format=json") << QByteArray("application/json") << QByteArray(".json") << QByteArray("{");
    QTest::newRow("default json") << QByteArray("since=1h") << QByteArray("application/json") << QByteArray(".json") << QByteArray("{");
    QTest::newRow("html") << QByteArray("since=1h&format=html") << QByteArray("text/html; charset=utf-8") << QByteArray(".html") << QByteArray("<!DOCTYPE html>");
    QTest::newRow("csv servers") << QByteArray("since=1h&format=csv") << QByteArray("text/csv; charset=utf-8; header=present") << QByteArray("-servers.csv") << QByteArray("pool,server,");
    QTest::newRow("csv pools") << QByteArray("since=1h&format=csv&section=pools") << QByteArray("text/csv; charset=utf-8; header=present") << QByteArray("-pools.csv") << QByteArray("pool,");
    QTest::newRow("pdf") << QByteArray("since=1h&format=pdf") << QByteArray("application/pdf") << QByteArray(".pdf") << QByteArray("%PDF");
}

void TestAdminReports::reportFormats()
{
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, extension);
    QFETCH(QByteArray, starts);
    const SimpleHttpResponse r = get("/api/v1/report?" + query);
    QVERIFY2(r.status == 200, r.body.left(400).constData());
    QCOMPARE(r.header("content-type"), contentType);
    const QByteArray disposition = r.header("content-disposition");
    QVERIFY2(disposition.startsWith("attachment; filename=\"fulcrum-report-") && disposition.endsWith(extension + '"'), disposition.constData());
    QVERIFY2(r.body.startsWith(starts), r.body.left(80).constData());
    QVERIFY(r.header("x-fulcrum-window").contains('/'));
    if (extension == ".json") {
        const QJsonObject report = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(report.value(QStringLiteral("schema")).toString(), QStringLiteral("fulcrum-health-report/1"));
        QStringList names;
        for (const QJsonValue &s : report.value(QStringLiteral("servers")).toArray())
            names.append(s.toObject().value(QStringLiteral("server")).toString());
        QCOMPARE(names, (QStringList{QStringLiteral("app1"), QStringLiteral("app2")}));
    }
}

void TestAdminReports::badWindowsAndFormatsNameTheField_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("says");
    QTest::newRow("no window") << QByteArray("/api/v1/report?format=json") << QStringLiteral("since") << QStringLiteral("since=DURATION");
    QTest::newRow("both") << QByteArray("/api/v1/report?since=1h&from=2026-11-24T08:00:00Z") << QStringLiteral("since") << QStringLiteral("from=TIME");
    QTest::newRow("bad since") << QByteArray("/api/v1/report?since=yesterday") << QStringLiteral("since") << QStringLiteral("\"yesterday\" is not a duration");
    QTest::newRow("since and to") << QByteArray("/api/v1/report?since=1h&to=2026-11-24T08:00:00Z") << QStringLiteral("to") << QStringLiteral("since ends now");
    QTest::newRow("bad from") << QByteArray("/api/v1/report?from=monday") << QStringLiteral("from") << QStringLiteral("\"monday\" is not a time");
    QTest::newRow("bad to") << QByteArray("/api/v1/report?from=2026-11-24T08:00:00Z&to=later") << QStringLiteral("to") << QStringLiteral("\"later\" is not a time");
    QTest::newRow("empty window") << QByteArray("/api/v1/report?from=2026-11-24T08:00:00Z&to=2026-11-24T07:00:00Z") << QStringLiteral("to") << QStringLiteral("is empty");
    QTest::newRow("format") << QByteArray("/api/v1/report?since=1h&format=xlsx") << QStringLiteral("format") << QStringLiteral("\"xlsx\" is not one of json, csv, html, pdf");
    QTest::newRow("section") << QByteArray("/api/v1/report?since=1h&format=csv&section=nope") << QStringLiteral("section") << QStringLiteral("servers");
    QTest::newRow("section without csv") << QByteArray("/api/v1/report?since=1h&format=json&section=pools") << QStringLiteral("section") << QStringLiteral("format=csv only");
    QTest::newRow("lock threshold") << QByteArray("/api/v1/report?since=1h&lock_threshold=long") << QStringLiteral("lock_threshold") << QStringLiteral("not a duration");
    QTest::newRow("history window") << QByteArray("/api/v1/history?since=-5m") << QStringLiteral("since") << QStringLiteral("not a duration");
    QTest::newRow("history points") << QByteArray("/api/v1/history?since=1h&points=0") << QStringLiteral("points") << QStringLiteral("1 to 100000");
}

void TestAdminReports::badWindowsAndFormatsNameTheField()
{
    QFETCH(QByteArray, path);
    QFETCH(QString, field);
    QFETCH(QString, says);
    const SimpleHttpResponse r = get(path);
    QCOMPARE(r.status, 400);
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    QCOMPARE(o.value(QStringLiteral("field")).toString(), field);
    QVERIFY2(o.value(QStringLiteral("error")).toString().contains(says), qPrintable(o.value(QStringLiteral("error")).toString()));
    // The connection goes on serving after an error.
    SimpleHttpConnection connection(m_adminPort);
    const QByteArray auth = "Authorization: Bearer " + m_token + "\r\n";
    QCOMPARE(connection.exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n").status, 400);
    QCOMPARE(connection.exchange("GET /api/v1/pools HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n").status, 200);
}

void TestAdminReports::readOnlyTokenMayReadReports()
{
    QFile file(m_dir.filePath(QStringLiteral("state/admin-readonly.token")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(get("/api/v1/report?since=15m&format=html", file.readAll().trimmed()).status, 200);
    QCOMPARE(get("/api/v1/report?since=15m", "not-a-token").status, 401);
}

void TestAdminReports::engineAnswersWhileAReportIsBuilt()
{
    // The PDF (the slowest: drawn by a fulcrumctl process) is asked first on one connection; the
    // other connection's requests are answered meanwhile, and the report still arrives whole.
    QTcpSocket report;
    report.connectToHost(QHostAddress::LocalHost, m_adminPort);
    QVERIFY(report.waitForConnected(5000));
    report.write("GET /api/v1/report?since=1h&format=pdf HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + m_token + "\r\n\r\n");
    QVERIFY(report.waitForBytesWritten(5000));
    SimpleHttpConnection other(m_adminPort);
    const QByteArray auth = "Authorization: Bearer " + m_token + "\r\n";
    for (int i = 0; i < 5; ++i)
        QCOMPARE(other.exchange("GET /api/v1/pools HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n").status, 200);
    QByteArray answer;
    QDeadlineTimer deadline(60'000);
    while (report.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        report.waitForReadyRead(100);
        answer += report.readAll();
    }
    answer += report.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer.left(300).constData());
    QVERIFY(answer.contains("\r\n\r\n%PDF-"));
}

void TestAdminReports::fulcrumctlThroughEngineMatchesTheStore()
{
    const QString from = QDateTime::fromMSecsSinceEpoch(m_trafficFromMs, Qt::UTC).toString(Qt::ISODateWithMs);
    const QString to = QDateTime::fromMSecsSinceEpoch(m_trafficToMs, Qt::UTC).toString(Qt::ISODateWithMs);
    const QString engine = QStringLiteral("http://127.0.0.1:%1").arg(m_adminPort);
    const QString tokenFile = m_dir.filePath(QStringLiteral("state/admin.token"));
    const QString viaApi = m_dir.filePath(QStringLiteral("api.json"));
    const QString viaStore = m_dir.filePath(QStringLiteral("store.json"));
    auto [code, out, err] = ctl({QStringLiteral("report"), QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile,
                                 QStringLiteral("--from"), from, QStringLiteral("--to"), to, QStringLiteral("-o"), viaApi});
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(out.contains(viaApi), qPrintable(out));
    std::tie(code, out, err) = ctl({QStringLiteral("report"), QStringLiteral("--state-dir"), m_dir.filePath(QStringLiteral("state")),
                                    QStringLiteral("--from"), from, QStringLiteral("--to"), to, QStringLiteral("-o"), viaStore});
    QVERIFY2(code == 0, qPrintable(err));
    auto load = [](const QString &path) {
        QFile file(path);
        file.open(QIODevice::ReadOnly);
        QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
        o.remove(QStringLiteral("generated_at"));
        return o;
    };
    const QJsonObject api = load(viaApi);
    const QJsonObject store = load(viaStore);
    QCOMPARE(api.value(QStringLiteral("servers")).toArray().size(), 2);
    qint64 requests = 0;
    for (const QJsonValue &s : api.value(QStringLiteral("servers")).toArray())
        requests += s.toObject().value(QStringLiteral("requests")).toInteger();
    QVERIFY2(requests >= 40, qPrintable(QString::number(requests)));
    // Every figure, chart point and table row is the same, whichever way the report came.
    QCOMPARE(QJsonDocument(api).toJson(), QJsonDocument(store).toJson());

    // csv: one request per section over the window the engine resolved for the first.
    const QString csv = m_dir.filePath(QStringLiteral("week.csv"));
    std::tie(code, out, err) = ctl({QStringLiteral("report"), QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile,
                                    QStringLiteral("--since"), QStringLiteral("1h"), QStringLiteral("-o"), csv});
    QVERIFY2(code == 0, qPrintable(err));
    for (const char *section : {"servers", "check-failures", "weight-changes", "pools", "locks", "force-releases", "operator-actions"})
        QVERIFY2(QFile::exists(m_dir.filePath(QStringLiteral("week-%1.csv").arg(QLatin1StringView(section)))), section);

    // Errors: the engine's message and field, and usage errors before anything is asked.
    std::tie(code, out, err) = ctl({QStringLiteral("report"), QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile,
                                    QStringLiteral("--since"), QStringLiteral("1h"), QStringLiteral("--state-dir"), m_dir.path(), QStringLiteral("-o"), viaApi});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(u"--engine builds the report from the engine's own store"), qPrintable(err));
    std::tie(code, out, err) = ctl({QStringLiteral("report"), QStringLiteral("--engine"), engine, QStringLiteral("--since"), QStringLiteral("1h"), QStringLiteral("-o"), viaApi});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(u"FULCRUM_TOKEN"), qPrintable(err));
    std::tie(code, out, err) = ctl({QStringLiteral("report"), QStringLiteral("--engine"), QStringLiteral("http://127.0.0.1:%1").arg(freeLoopbackPort()),
                                    QStringLiteral("--token-file"), tokenFile, QStringLiteral("--since"), QStringLiteral("1h"), QStringLiteral("-o"), viaApi});
    QCOMPARE(code, 4);
    QVERIFY2(err.contains(u"cannot reach the engine"), qPrintable(err));
}

void TestAdminReports::retentionReloadApplies()
{
    // The compaction itself is checked on a store with rows of known age (tst_historyservice);
    // here: a reload with a new retention reaches the running engine's store, and history goes on.
    QVERIFY(writeConfig(m_configPath, R"("history": {"retention": {"raw": "2h", "minute": "30d", "hour": "730d"}},)"));
    ::kill(pid_t(m_fulcrumd.processId()), SIGHUP);
    QString log;
    QTRY_VERIFY_WITH_TIMEOUT((log += QString::fromUtf8(m_fulcrumd.readAllStandardError())).contains(u"retention now: 1 s rows 2h, 1 min rows 30d, 1 h rows 730d"), 10'000);
    QVERIFY2(!log.contains(u"rejected"), qPrintable(log));
    const QJsonObject after = QJsonDocument::fromJson(get("/api/v1/history?since=1h&points=100000").body).object();
    QCOMPARE(after.value(QStringLiteral("resolution_s")).toInt(), 1);
    QCOMPARE(after.value(QStringLiteral("servers")).toArray().size(), 2);
}

void TestAdminReports::noStoreIsServiceUnavailable_data()
{
    QTest::addColumn<QString>("storePath");
    QTest::addColumn<QByteArray>("contents");   // written to storePath first, unless empty
    QTest::addColumn<QString>("logSays");
    QTest::newRow("unwritable") << QStringLiteral("/proc/fulcrum-no-such-dir/history.sqlite") << QByteArray() << QStringLiteral("/proc/fulcrum-no-such-dir");
    QByteArray garbage(64 * 1024, 0);
    for (qsizetype i = 0; i < garbage.size(); ++i)
        garbage[i] = char((i * 7919 + 13) % 251);
    QTest::newRow("corrupt") << m_dir.filePath(QStringLiteral("corrupt/history.sqlite")) << garbage << QStringLiteral("damaged or not a SQLite database");
}

void TestAdminReports::noStoreIsServiceUnavailable()
{
    QFETCH(QString, storePath);
    QFETCH(QByteArray, contents);
    QFETCH(QString, logSays);
    if (!contents.isEmpty()) {
        QVERIFY(QDir().mkpath(QFileInfo(storePath).path()));
        QFile store(storePath);
        QVERIFY(store.open(QIODevice::WriteOnly | QIODevice::Truncate));
        store.write(contents);
    }
    // A store that cannot be opened: the engine balances on, and reports say why.
    const QString configPath = m_dir.filePath(QStringLiteral("nostore.json"));
    const quint16 adminPort = freeLoopbackPort();
    const quint16 proxyPort = freeLoopbackPort();
    const QString stateDir = m_dir.filePath(QStringLiteral("state2-%1").arg(QString::fromLatin1(QTest::currentDataTag())));
    const QByteArray config = QStringLiteral(R"({
  "listeners": [{"listen": "127.0.0.1:%1", "pool": "web"}],
  "pools": [{"name": "web", "servers": [{"name": "app1", "address": "127.0.0.1:%2"}]}],
  "admin": {"listen": "127.0.0.1:%3"},
  "history": {"path": "%4"},
  "state_dir": "%5"
}
)").arg(proxyPort).arg(m_app1->port()).arg(adminPort).arg(storePath, stateDir).toUtf8();
    QFile file(configPath);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(config);
    file.close();
    QProcess fulcrumd;
    QString log;
    QVERIFY2(startFulcrumd(fulcrumd, configPath, &log), qPrintable(log));
    QFile token(stateDir + QStringLiteral("/admin.token"));
    QVERIFY(token.open(QIODevice::ReadOnly));
    const QByteArray adminToken = token.readAll().trimmed();
    const SimpleHttpResponse report = get("/api/v1/report?since=1h", adminToken, adminPort);
    const SimpleHttpResponse history = get("/api/v1/history?since=1h", adminToken, adminPort);
    const SimpleHttpResponse pools = get("/api/v1/pools", adminToken, adminPort);
    const int proxied = httpGet(proxyPort, "/").status;
    fulcrumd.waitForReadyRead(200);
    log += QString::fromUtf8(fulcrumd.readAllStandardError());
    stopProcess(fulcrumd);
    QCOMPARE(report.status, 503);
    QVERIFY2(QJsonDocument::fromJson(report.body).object().value(QStringLiteral("error")).toString().contains(storePath), report.body.constData());
    QCOMPARE(history.status, 503);
    QCOMPARE(pools.status, 200);
    QCOMPARE(proxied, 200);
    QVERIFY2(log.contains(logSays), qPrintable(log));
    if (!contents.isEmpty()) {
        // Left as it was, for the operator to move aside or restore: never overwritten.
        QFile store(storePath);
        QVERIFY(store.open(QIODevice::ReadOnly));
        QCOMPARE(store.readAll(), contents);
    }
}

// Issue 7: restart the engine in the middle of a window and the report still covers the
// whole window. A real fulcrumd serves traffic, stops (SIGTERM), starts again on the same
// state dir and serves more; the report over both halves counts every request, and the
// time the engine was down is not counted as time up.
void TestAdminReports::reportCoversAnEngineRestart()
{
    stopProcess(m_fulcrumd);
    const qint64 fromMs = QDateTime::currentMSecsSinceEpoch() - 1000;
    auto serve = [this](int count) {
        QProcess fulcrumd;
        QString log;
        if (!startFulcrumd(fulcrumd, m_configPath, &log)) {
            qWarning("fulcrumd did not start: %s", qPrintable(log));
            return 0;
        }
        SimpleHttpConnection client(m_proxyPort);
        int served = 0;
        for (int i = 0; i < count; ++i) {
            served += client.get("/").status == 200 ? 1 : 0;
            QTest::qWait(25);
        }
        QTest::qWait(2500);   // the last second's point is taken at the tick after it
        stopProcess(fulcrumd);
        return fulcrumd.exitCode() == 0 ? served : -1;
    };
    const int first = serve(60);
    QCOMPARE(first, 60);
    QTest::qWait(1500);       // down for a moment
    const int second = serve(40);
    QCOMPARE(second, 40);
    const qint64 toMs = QDateTime::currentMSecsSinceEpoch();

    const QString out = m_dir.filePath(QStringLiteral("restart.json"));
    auto [code, stdOut, err] = ctl({QStringLiteral("report"), QStringLiteral("--state-dir"), m_dir.filePath(QStringLiteral("state")),
                                    QStringLiteral("--from"), QDateTime::fromMSecsSinceEpoch(fromMs, Qt::UTC).toString(Qt::ISODateWithMs),
                                    QStringLiteral("--to"), QDateTime::fromMSecsSinceEpoch(toMs, Qt::UTC).toString(Qt::ISODateWithMs),
                                    QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("-o"), out});
    QVERIFY2(code == 0, qPrintable(err));
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
    const QJsonArray servers = report.value(QStringLiteral("servers")).toArray();
    QCOMPARE(servers.size(), 2);
    qint64 requests = 0;
    const double durationMs = report.value(QStringLiteral("window")).toObject().value(QStringLiteral("duration_ms")).toDouble();
    for (const QJsonValue &v : servers) {
        const QJsonObject s = v.toObject();
        requests += s.value(QStringLiteral("requests")).toInteger();
        // Up whenever an engine ran and recorded it: 100 %, the gap between the two engines
        // counting neither as up nor as down. The coverage says the gap was not recorded.
        QCOMPARE(s.value(QStringLiteral("availability_percent")).toDouble(-1), 100.0);
        QCOMPARE(s.value(QStringLiteral("up_ms")).toInteger(), s.value(QStringLiteral("recorded_ms")).toInteger());
        const double recorded = s.value(QStringLiteral("recorded_ms")).toDouble();
        QVERIFY2(recorded > 0.3 * durationMs && recorded < 0.97 * durationMs, qPrintable(QStringLiteral("%1 of %2 ms").arg(recorded).arg(durationMs)));
        QCOMPARE(s.value(QStringLiteral("coverage_percent")).toDouble(), 100.0 * recorded / durationMs);
    }
    const double recorded = report.value(QStringLiteral("window")).toObject().value(QStringLiteral("recorded_ms")).toDouble(-1);
    QVERIFY(recorded > 0.3 * durationMs && recorded < 0.97 * durationMs);
    // Both halves, every request: nothing written before the restart was lost.
    QCOMPARE(requests, qint64(first + second));
}

QTEST_GUILESS_MAIN(TestAdminReports)
#include "tst_adminreports.moc"
