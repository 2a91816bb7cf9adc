// The access log (proxy.access_log) of a real fulcrumd in front of real demo backends: one line
// per request with what an operator looks for at 3 a.m. (status, server, address, tries, timings,
// why the proxy answered itself), both formats, only errors, a file moved away by logrotate, a
// reload to another file, a reload refused for a path that cannot be written, a folder that
// vanishes (events), HTTP/2 over TLS with curl, and `fulcrumd --check` on bad paths.
#include "demobackends.h"
#include "freeport.h"
#include "programs.h"
#include "testcertificates.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace fulcrum::test;

namespace {

struct Setup
{
    quint16 proxyPort = 0;
    quint16 adminPort = 0;
    QList<std::pair<QString, quint16>> servers;
    QString accessLog;                      // the "access_log" object's JSON; empty: none
    QString extraProxy;                     // more "proxy" keys, each followed by a comma
    QString tls;                            // the listener's "tls" object's JSON; empty: plain
};

QByteArray configJson(const Setup &s, const QString &stateDir)
{
    QStringList servers;
    for (const auto &[name, port] : s.servers)
        servers << QStringLiteral(R"({"name": "%1", "address": "127.0.0.1:%2"})").arg(name).arg(port);
    return QStringLiteral(R"({
  "listeners": [{"name": "main", "listen": "127.0.0.1:%1", "pool": "web"%2}],
  "pools": [{"name": "web", "algorithm": "round-robin", "health_check": {"enabled": false},
             "outlier_detection": {"enabled": false}, "servers": [%3]}],
  "proxy": {%4 "workers": 2, "stop_timeout": "2s"%5},
  "admin": {"listen": "127.0.0.1:%6"},
  "state_dir": "%7"
}
)")
        .arg(s.proxyPort)
        .arg(s.tls.isEmpty() ? QString() : QStringLiteral(", \"tls\": ") + s.tls)
        .arg(servers.join(QStringLiteral(", ")))
        .arg(s.extraProxy)
        .arg(s.accessLog.isEmpty() ? QString() : QStringLiteral(", \"access_log\": ") + s.accessLog)
        .arg(s.adminPort)
        .arg(stateDir)
        .toUtf8();
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(content) == content.size();
}

QList<QByteArray> linesOf(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> lines = file.readAll().split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

// Workers write once a second: waits until the file holds `count` lines.
bool waitForLines(const QString &path, qsizetype count, int timeoutMs = 5000)
{
    return QTest::qWaitFor([&] { return linesOf(path).size() >= count; }, timeoutMs);
}

QString show(const QList<QByteArray> &lines)
{
    return QString::fromUtf8(lines.join('\n'));
}

// The one line that contains every one of `parts`; empty when none or several do.
QByteArray lineWith(const QList<QByteArray> &lines, const QList<QByteArray> &parts)
{
    QByteArray found;
    int matches = 0;
    for (const QByteArray &line : lines) {
        bool all = true;
        for (const QByteArray &part : parts)
            all = all && line.contains(part);
        if (all) {
            found = line;
            ++matches;
        }
    }
    return matches == 1 ? found : QByteArray();
}

// A fulcrumd of its own folder: config, state and logs.
class Daemon
{
public:
    explicit Daemon(QList<std::pair<QString, quint16>> servers) : Daemon(Setup{0, 0, std::move(servers), {}, {}, {}}) {}
    explicit Daemon(Setup setup) : m_setup(std::move(setup))
    {
        m_setup.proxyPort = m_setup.proxyPort ? m_setup.proxyPort : freeLoopbackPort();
        m_setup.adminPort = freeLoopbackPort();
        QDir(m_dir.path()).mkpath(QStringLiteral("logs"));
    }
    ~Daemon() { stopProcess(m_process); }

    QString path(const QString &name) const { return m_dir.filePath(name); }
    // proxy.access_log to the file `name` of its folder, with more keys (`, "format": "json"`);
    // the file's path.
    QString logTo(const QString &name, const QString &options = {})
    {
        m_setup.accessLog = QStringLiteral(R"({"path": "%1"%2})").arg(path(name), options);
        return path(name);
    }
    quint16 port() const { return m_setup.proxyPort; }
    bool writeConfig() { return writeFile(path(QStringLiteral("fulcrum.json")), configJson(m_setup, path(QStringLiteral("state")))); }
    bool start()
    {
        if (!writeConfig())
            return false;
        return startFulcrumd(m_process, path(QStringLiteral("fulcrum.json")), &m_log);
    }
    bool reload(const QString &expect)
    {
        if (!writeConfig())
            return false;
        ::kill(pid_t(m_process.processId()), SIGHUP);
        return waitForStderr(m_process, expect, &m_log);
    }
    bool waitFor(const QString &text, int timeoutMs = 10'000) { return waitForStderr(m_process, text, &m_log, timeoutMs); }
    // One sample of GET /metrics (no labels) with the admin token; -1 when it is not there.
    double metric(const QByteArray &name) const
    {
        QFile token(path(QStringLiteral("state/admin.token")));
        if (!token.open(QIODevice::ReadOnly))
            return -1;
        SimpleHttpConnection admin(m_setup.adminPort);
        const SimpleHttpResponse r = admin.exchange("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token.readAll().trimmed() + "\r\n\r\n");
        for (const QByteArray &line : r.body.split('\n')) {
            if (line.startsWith(name + ' '))
                return line.mid(name.size() + 1).toDouble();
        }
        return -1;
    }
    QString log() const { return m_log; }
    void stop() { stopProcess(m_process); }

private:
    Setup m_setup;
    QTemporaryDir m_dir;
    QProcess m_process;
    QString m_log;
};

} // namespace

class TestAccessLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oneTextLinePerRequest();
    void jsonLinesAndOnlyErrors();
    void clientsThatLeaveAndServersThatDoNotAnswer();
    void followsRotationAndReloads();
    void aVanishedFolderIsAnEventAndLinesComeBack();
    void http2OverTlsIsLogged();
    void aWebSocketIsOneLineWhenItEnds();
    void checkRefusesPathsItCannotWrite();
};

void TestAccessLog::oneTextLinePerRequest()
{
    DemoBackendProcess app1(QStringLiteral("app1")), app2(QStringLiteral("app2"));
    QVERIFY(app1.start() && app2.start());
    Daemon daemon({{QStringLiteral("app1"), app1.port()}, {QStringLiteral("app2"), app2.port()}});
    const QString file = daemon.logTo(QStringLiteral("logs/access.log"));
    QVERIFY2(daemon.start(), qPrintable(daemon.log()));

    // Ten requests on one kept-alive connection, each its own line, with what the client sent.
    SimpleHttpConnection client(daemon.port());
    for (int i = 0; i < 10; ++i) {
        const SimpleHttpResponse r = client.exchange(QByteArrayLiteral("GET /bytes/100?n=") + QByteArray::number(i)
                                                     + " HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: probe/1.0 \"quoted\" \xff\r\n"
                                                       "Referer: https://shop.test/cart\r\nX-Request-ID: req-" + QByteArray::number(i) + "\r\n\r\n");
        QCOMPARE(r.status, 200);
    }
    QVERIFY2(waitForLines(file, 10), qPrintable(show(linesOf(file))));
    QList<QByteArray> lines = linesOf(file);
    QCOMPARE(lines.size(), 10);
    const QByteArray first = lineWith(lines, {"req-0\""});
    QVERIFY2(!first.isEmpty(), qPrintable(show(lines)));
    // nginx's "combined" first (UTC), then the proxy's own fields.
    const QRegularExpression combined(QStringLiteral("^127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z][a-z]/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000\\] "
                                                     "\"GET /bytes/100\\?n=0 HTTP/1\\.1\" 200 (\\d+) \"https://shop\\.test/cart\" "));
    const QRegularExpressionMatch match = combined.match(QString::fromLatin1(first));
    QVERIFY2(match.hasMatch(), first.constData());
    // The client's quote and a byte that is not ASCII cannot break the line's quoting.
    QVERIFY2(first.contains(" \"probe/1.0 \\\"quoted\\\" \\xff\" host="), first.constData());
    QVERIFY2(match.captured(1).toInt() > 100, first.constData());   // the head and the 100-byte body
    QVERIFY2(first.contains(" host=\"shop.test\" scheme=http pool=web server=app"), first.constData());
    QVERIFY2(first.contains(" upstream_status=200 tries=1 "), first.constData());
    QVERIFY2(first.contains(" end=- request_id=\"req-0\""), first.constData());
    QVERIFY2(!first.contains("error="), first.constData());
    QVERIFY2(QRegularExpression(QStringLiteral(R"( time_ms=\d+\.\d{3} connect_ms=\d+\.\d{3} header_ms=\d+\.\d{3} )")).match(QString::fromLatin1(first)).hasMatch(),
             first.constData());
    // Round robin over two servers: each line names the server that answered and its address.
    const QByteArray app1Line = "server=app1 upstream=127.0.0.1:" + QByteArray::number(app1.port()) + " ";
    const QByteArray app2Line = "server=app2 upstream=127.0.0.1:" + QByteArray::number(app2.port()) + " ";
    int onApp1 = 0, onApp2 = 0;
    for (const QByteArray &line : lines) {
        onApp1 += line.contains(app1Line);
        onApp2 += line.contains(app2Line);
    }
    QCOMPARE(onApp1, 5);
    QCOMPARE(onApp2, 5);
    // /metrics counts what was written (the engine's tick follows within half a second).
    QTRY_COMPARE_WITH_TIMEOUT(daemon.metric("fulcrum_access_log_lines_total"), 10.0, 5000);
    QCOMPARE(daemon.metric("fulcrum_access_log_lines_lost_total"), 0.0);
    QCOMPARE(daemon.metric("fulcrum_access_log_failures_total"), 0.0);

    // A server that is gone: the request is retried on the other one (tries=2, still 200).
    app2.kill();
    QTest::qWait(300);   // its kept-alive connections are closed by then
    for (int i = 0; i < 4; ++i)
        QCOMPARE(httpGet(daemon.port(), "/bytes/10").status, 200);
    QVERIFY2(waitForLines(file, 14), qPrintable(show(linesOf(file))));
    lines = linesOf(file);
    QCOMPARE(lines.size(), 14);
    bool retried = false;
    for (const QByteArray &line : lines)
        retried = retried || (line.contains("\"GET /bytes/10 HTTP/1.1\" 200 ") && line.contains(" tries=2 ") && line.contains(" server=app1 "));
    QVERIFY2(retried, qPrintable(show(lines)));

    // Both gone: the proxy's own 502, with why.
    app1.kill();
    QTest::qWait(300);
    QCOMPARE(httpGet(daemon.port(), "/down").status, 502);
    QVERIFY2(waitForLines(file, 15), qPrintable(show(linesOf(file))));
    const QByteArray down = lineWith(linesOf(file), {"\"GET /down HTTP/1.1\" 502 "});
    QVERIFY2(!down.isEmpty(), qPrintable(show(linesOf(file))));
    QVERIFY2(down.contains(" upstream_status=- tries=2 "), down.constData());
    QVERIFY2(down.contains(" header_ms=- end=connect-failed "), down.constData());
    QVERIFY2(down.contains("error=\"server app") && down.contains("connection failed: Connection refused\""), down.constData());

    // A request the proxy cannot read: a line too, with no request in it.
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, daemon.port());
    QVERIFY(raw.waitForConnected(5000));
    raw.write("GET / HTTP/1.1\r\nBad Header\r\n\r\n");
    QVERIFY(raw.waitForReadyRead(5000));
    QVERIFY(raw.readAll().startsWith("HTTP/1.1 400"));
    QVERIFY2(waitForLines(file, 16), qPrintable(show(linesOf(file))));
    const QByteArray bad = linesOf(file).last();
    QVERIFY2(bad.contains("] \"-\" 400 ") && bad.contains(" server=- upstream=- upstream_status=- tries=0 ") && bad.contains(" end=bad-request "),
             bad.constData());
    QCOMPARE(linesOf(file).size(), 16);
}

void TestAccessLog::jsonLinesAndOnlyErrors()
{
    DemoBackendProcess app1(QStringLiteral("app1"));
    QVERIFY(app1.start());
    Daemon daemon({{QStringLiteral("app1"), app1.port()}});
    const QString file = daemon.logTo(QStringLiteral("logs/errors.json"), QStringLiteral(R"(, "format": "json", "only": "errors")"));
    QVERIFY2(daemon.start(), qPrintable(daemon.log()));

    SimpleHttpConnection client(daemon.port());
    for (int i = 0; i < 20; ++i)
        QCOMPARE(client.get("/bytes/10").status, 200);   // not errors: not written
    // The server's own 400, and a header that is not UTF-8: still one valid JSON object.
    const SimpleHttpResponse r = client.exchange("GET /bytes/nope HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: caf\xe9 \"bot\"\\\r\n\r\n");
    QCOMPARE(r.status, 400);
    QVERIFY2(waitForLines(file, 1), qPrintable(show(linesOf(file))));
    QTest::qWait(1200);   // a second flush: nothing else comes
    const QList<QByteArray> lines = linesOf(file);
    QCOMPARE(lines.size(), 1);
    QJsonParseError error;
    const QJsonObject o = QJsonDocument::fromJson(lines.first(), &error).object();
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString() + u' ' + QString::fromLatin1(lines.first())));
    QCOMPARE(o.value(u"status").toInt(), 400);
    QCOMPARE(o.value(u"upstream_status").toInt(), 400);
    QCOMPARE(o.value(u"method").toString(), QStringLiteral("GET"));
    QCOMPARE(o.value(u"target").toString(), QStringLiteral("/bytes/nope"));
    QCOMPARE(o.value(u"protocol").toString(), QStringLiteral("HTTP/1.1"));
    QCOMPARE(o.value(u"scheme").toString(), QStringLiteral("http"));
    QCOMPARE(o.value(u"host").toString(), QStringLiteral("shop.test"));
    QCOMPARE(o.value(u"client").toString(), QStringLiteral("127.0.0.1"));
    QCOMPARE(o.value(u"pool").toString(), QStringLiteral("web"));
    QCOMPARE(o.value(u"server").toString(), QStringLiteral("app1"));
    QCOMPARE(o.value(u"upstream").toString(), QStringLiteral("127.0.0.1:%1").arg(app1.port()));
    QCOMPARE(o.value(u"tries").toInt(), 1);
    QVERIFY(o.value(u"end").isNull());
    QVERIFY(o.value(u"error").isNull());
    QVERIFY(o.value(u"referer").isNull());
    // The byte 0xe9 alone is not UTF-8: written as the code point of its value.
    QCOMPARE(o.value(u"user_agent").toString(), QStringLiteral("caf\u00e9 \"bot\"\\"));
    QVERIFY(o.value(u"duration_ms").toDouble() >= o.value(u"header_ms").toDouble());
    QVERIFY(o.value(u"bytes_out").toInt() > 0);
    QVERIFY(o.value(u"bytes_in").toInt() > 40);
    QVERIFY(QRegularExpression(QStringLiteral(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)")).match(o.value(u"time").toString()).hasMatch());

    // The proxy's own 502 (the server is gone) is an error too.
    app1.kill();
    QTest::qWait(300);
    QCOMPARE(client.get("/x").status, 502);
    QVERIFY2(waitForLines(file, 2), qPrintable(show(linesOf(file))));
    const QJsonObject failed = QJsonDocument::fromJson(linesOf(file).at(1)).object();
    QCOMPARE(failed.value(u"status").toInt(), 502);
    QCOMPARE(failed.value(u"end").toString(), QStringLiteral("connect-failed"));
    QVERIFY(failed.value(u"upstream_status").isNull());
    QVERIFY2(failed.value(u"error").toString().contains(u"Connection refused"), qPrintable(failed.value(u"error").toString()));
}

void TestAccessLog::clientsThatLeaveAndServersThatDoNotAnswer()
{
    DemoBackendProcess slow(QStringLiteral("slow"));
    QVERIFY(slow.start());
    QVERIFY(slow.setLatency(1500));
    Setup setup;
    setup.servers = {{QStringLiteral("slow"), slow.port()}};
    setup.extraProxy = QStringLiteral(R"("response_timeout": "600ms",)");
    Daemon daemon(setup);
    const QString file = daemon.logTo(QStringLiteral("logs/access.log"));
    QVERIFY2(daemon.start(), qPrintable(daemon.log()));

    // The server does not answer in time: the proxy's 504.
    QCOMPARE(httpGet(daemon.port(), "/late", 5000).status, 504);
    QVERIFY2(waitForLines(file, 1), qPrintable(show(linesOf(file))));
    const QByteArray late = linesOf(file).first();
    QVERIFY2(late.contains("\"GET /late HTTP/1.1\" 504 ") && late.contains(" server=slow ") && late.contains(" end=server-timeout ")
                 && late.contains("did not answer within 600 ms"),
             late.constData());
    QVERIFY2(QRegularExpression(QStringLiteral(R"( time_ms=(\d+)\.)")).match(QString::fromLatin1(late)).captured(1).toInt() >= 600, late.constData());

    // The client leaves while the server thinks: nginx's 499, said as such.
    QVERIFY(slow.setLatency(300));
    QTcpSocket leaving;
    leaving.connectToHost(QHostAddress::LocalHost, daemon.port());
    QVERIFY(leaving.waitForConnected(5000));
    leaving.write("GET /gone HTTP/1.1\r\nHost: shop.test\r\n\r\n");
    QVERIFY(leaving.waitForBytesWritten(5000));
    QTest::qWait(100);
    leaving.abort();
    QVERIFY2(waitForLines(file, 2), qPrintable(show(linesOf(file))));
    const QByteArray gone = linesOf(file).at(1);
    QVERIFY2(gone.contains("\"GET /gone HTTP/1.1\" 499 ") && gone.contains(" server=slow ") && gone.contains(" end=client-closed "), gone.constData());
}

void TestAccessLog::followsRotationAndReloads()
{
    DemoBackendProcess app1(QStringLiteral("app1"));
    QVERIFY(app1.start());
    Daemon daemon({{QStringLiteral("app1"), app1.port()}});
    const QString file = daemon.logTo(QStringLiteral("logs/access.log"));
    QVERIFY2(daemon.start(), qPrintable(daemon.log()));
    SimpleHttpConnection client(daemon.port());
    for (int i = 0; i < 5; ++i)
        QCOMPARE(client.get("/before").status, 200);
    QVERIFY2(waitForLines(file, 5), qPrintable(show(linesOf(file))));

    // logrotate (without copytruncate): the file is moved away; new lines go to a new file at
    // the path, without a signal.
    QVERIFY(QFile::rename(file, file + QStringLiteral(".1")));
    for (int i = 0; i < 5; ++i)
        QCOMPARE(client.get("/after").status, 200);
    QVERIFY2(waitForLines(file, 5), qPrintable(daemon.log()));
    QCOMPARE(linesOf(file + QStringLiteral(".1")).size(), 5);
    QCOMPARE(linesOf(file).size(), 5);
    for (const QByteArray &line : linesOf(file))
        QVERIFY2(line.contains("\"GET /after HTTP/1.1\" 200 "), line.constData());

    // A reload naming a folder that does not exist is refused whole: the log stays where it was.
    const QString missing = daemon.logTo(QStringLiteral("nope/access.log"));
    QVERIFY2(daemon.reload(QStringLiteral("still serving the previous config")), qPrintable(daemon.log()));
    QVERIFY2(daemon.log().contains(QStringLiteral("proxy.access_log.path \"%1\": the folder %2 does not exist; create it (mkdir -p %2)")
                                       .arg(missing, daemon.path(QStringLiteral("nope")))),
             qPrintable(daemon.log()));
    QCOMPARE(client.get("/still").status, 200);
    QVERIFY2(waitForLines(file, 6), qPrintable(show(linesOf(file))));

    // A good reload to another file and format: the next requests are written there.
    const QString json = daemon.logTo(QStringLiteral("logs/access.json"), QStringLiteral(R"(, "format": "json")"));
    QVERIFY2(daemon.reload(QStringLiteral("reloaded")), qPrintable(daemon.log()));
    QCOMPARE(client.get("/moved").status, 200);
    QVERIFY2(waitForLines(json, 1), qPrintable(daemon.log()));
    QCOMPARE(QJsonDocument::fromJson(linesOf(json).first()).object().value(u"target").toString(), QStringLiteral("/moved"));
    QCOMPARE(linesOf(file).size(), 6);

    // A graceful stop writes what waits: nothing is lost in the buffers.
    for (int i = 0; i < 3; ++i)
        QCOMPARE(client.get("/last").status, 200);
    daemon.stop();
    QCOMPARE(linesOf(json).size(), 4);
}

void TestAccessLog::aVanishedFolderIsAnEventAndLinesComeBack()
{
    DemoBackendProcess app1(QStringLiteral("app1"));
    QVERIFY(app1.start());
    Daemon daemon({{QStringLiteral("app1"), app1.port()}});
    const QString folder = daemon.path(QStringLiteral("logs"));
    const QString file = daemon.logTo(QStringLiteral("logs/access.log"));
    QVERIFY2(daemon.start(), qPrintable(daemon.log()));
    QCOMPARE(httpGet(daemon.port(), "/one").status, 200);
    QVERIFY2(waitForLines(file, 1), qPrintable(daemon.log()));

    // The folder goes (a cleanup job, a disk unmounted): requests are served as before, and the
    // engine says the log cannot be written.
    QVERIFY(QDir(folder).removeRecursively());
    for (int i = 0; i < 3; ++i)
        QCOMPARE(httpGet(daemon.port(), "/lost").status, 200);
    QVERIFY2(daemon.waitFor(QStringLiteral("[access-log] cannot open %1: No such file or directory;").arg(file)), qPrintable(daemon.log()));
    QVERIFY2(daemon.waitFor(QStringLiteral("0 line(s) lost so far (proxy.access_log; requests are served as before)")), qPrintable(daemon.log()));
    // And /metrics, for an alert: failed opens counted, nothing lost yet (the lines wait in memory).
    QTRY_VERIFY_WITH_TIMEOUT(daemon.metric("fulcrum_access_log_failures_total") >= 1, 5000);
    QCOMPARE(daemon.metric("fulcrum_access_log_lines_lost_total"), 0.0);
    QCOMPARE(daemon.metric("fulcrum_access_log_lines_total"), 1.0);

    // It comes back: the workers open the file again, and say so.
    QVERIFY(QDir().mkpath(folder));
    QTest::qWait(1500);
    QCOMPARE(httpGet(daemon.port(), "/back").status, 200);
    QVERIFY2(daemon.waitFor(QStringLiteral("[access-log] the access log is written again")), qPrintable(daemon.log()));
    // The lines that waited in memory are written too: none was lost.
    QVERIFY2(QTest::qWaitFor([&] { return !lineWith(linesOf(file), {"\"GET /back HTTP/1.1\" 200 "}).isEmpty(); }, 5000), qPrintable(show(linesOf(file))));
    int lost = 0;
    for (const QByteArray &line : linesOf(file))
        lost += line.contains("\"GET /lost HTTP/1.1\" 200 ");
    QCOMPARE(lost, 3);
    QTRY_COMPARE_WITH_TIMEOUT(daemon.metric("fulcrum_access_log_lines_total"), double(linesOf(file).size()), 5000);
    QCOMPARE(daemon.metric("fulcrum_access_log_lines_lost_total"), 0.0);
}

void TestAccessLog::http2OverTlsIsLogged()
{
    QTemporaryDir certDir;
    TestCertificates certs(certDir.path());
    QString error;
    QVERIFY2(certs.makeCa(QStringLiteral("ca"), &error), qPrintable(error));
    QVERIFY2(certs.makeSigned(QStringLiteral("shop"), QStringLiteral("ca"), QStringLiteral("serverAuth"), &error), qPrintable(error));
    DemoBackendProcess app1(QStringLiteral("app1"));
    QVERIFY(app1.start());
    Setup setup;
    setup.servers = {{QStringLiteral("app1"), app1.port()}};
    setup.tls = QStringLiteral(R"({"cert": "%1", "key": "%2"})").arg(certs.file(QStringLiteral("shop-chain.pem")), certs.file(QStringLiteral("shop.key")));
    Daemon daemon(setup);
    const QString file = daemon.logTo(QStringLiteral("logs/access.json"), QStringLiteral(R"(, "format": "json")"));
    QVERIFY2(daemon.start(), qPrintable(daemon.log()));

    const ProgramRun run = runProgram(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--http2"), QStringLiteral("--max-time"), QStringLiteral("20"),
                                                               QStringLiteral("--cacert"), certs.file(QStringLiteral("ca.pem")), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                                                               QStringLiteral("-H"), QStringLiteral("X-Request-ID: h2-one"),
                                                               QStringLiteral("https://127.0.0.1:%1/bytes/2000").arg(daemon.port()),
                                                               QStringLiteral("https://127.0.0.1:%1/bytes/3000").arg(daemon.port())});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY2(waitForLines(file, 2), qPrintable(daemon.log()));
    const QList<QByteArray> lines = linesOf(file);
    QCOMPARE(lines.size(), 2);
    for (const QByteArray &line : lines) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        QCOMPARE(o.value(u"protocol").toString(), QStringLiteral("HTTP/2.0"));
        QCOMPARE(o.value(u"scheme").toString(), QStringLiteral("https"));
        QCOMPARE(o.value(u"status").toInt(), 200);
        QCOMPARE(o.value(u"request_id").toString(), QStringLiteral("h2-one"));
        QCOMPARE(o.value(u"host").toString(), QStringLiteral("127.0.0.1:%1").arg(daemon.port()));
        QVERIFY2(o.value(u"bytes_out").toInt() >= (o.value(u"target").toString() == u"/bytes/2000" ? 2000 : 3000), line.constData());
    }
}

void TestAccessLog::aWebSocketIsOneLineWhenItEnds()
{
    // A real WebSocket server (Debian's python3-websockets): greets, echoes, closes on "close".
    ScriptServer ws(QStringLiteral(FULCRUM_SOURCE_DIR "/tests/support/ws/ws_server.py"), {QStringLiteral("chat")});
    QVERIFY(ws.ready(QStringLiteral("python3-websockets")));
    Daemon daemon({{QStringLiteral("chat"), ws.port()}});
    const QString file = daemon.logTo(QStringLiteral("logs/access.log"));
    QVERIFY2(daemon.start(), qPrintable(daemon.log()));

    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, daemon.port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("GET /live HTTP/1.1\r\nHost: shop.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray in;
    QVERIFY(QTest::qWaitFor([&] { socket.waitForReadyRead(100); in += socket.readAll(); return in.contains("hello chat"); }, 10'000));
    QVERIFY2(in.startsWith("HTTP/1.1 101"), in.constData());
    // While the tunnel is open, nothing is written: its line comes when it ends.
    QTest::qWait(1200);
    QVERIFY2(linesOf(file).isEmpty(), qPrintable(show(linesOf(file))));
    // "close", masked as a client must: the server closes, the tunnel ends.
    const char key[4] = {0x11, 0x22, 0x33, 0x44};
    QByteArray frame("\x81\x85", 2);
    frame.append(key, 4);
    const QByteArray text("close");
    for (int i = 0; i < text.size(); ++i)
        frame.append(char(text.at(i) ^ key[i % 4]));
    socket.write(frame);
    QVERIFY(QTest::qWaitFor([&] { socket.waitForReadyRead(100); return socket.state() != QAbstractSocket::ConnectedState; }, 10'000));
    QVERIFY2(waitForLines(file, 1), qPrintable(daemon.log()));
    const QByteArray line = linesOf(file).first();
    QVERIFY2(line.contains("\"GET /live HTTP/1.1\" 101 ") && line.contains(" server=chat ") && line.contains(" upstream_status=101 ")
                 && line.contains(" end=- "),
             line.constData());
    // The bytes both ways are the tunnel's too: the client's frame, the greeting and the close.
    const QRegularExpressionMatch bytes = QRegularExpression(QStringLiteral("\" 101 (\\d+) .* bytes_in=(\\d+) time_ms=(\\d+)\\.")).match(QString::fromLatin1(line));
    QVERIFY2(bytes.hasMatch(), line.constData());
    QVERIFY2(bytes.captured(2).toInt() >= 11 + 130, line.constData());           // the head and the 11-byte frame
    QVERIFY2(bytes.captured(1).toInt() >= 100 + 12, line.constData());           // the 101 and "hello chat"
    QVERIFY2(bytes.captured(3).toInt() >= 1200, line.constData());               // its whole life
}

void TestAccessLog::checkRefusesPathsItCannotWrite()
{
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("fulcrum.json"));
    const auto check = [&](const QString &accessLog) {
        Setup setup;
        setup.proxyPort = 18080;
        setup.adminPort = 19900;
        setup.servers = {{QStringLiteral("app1"), 18081}};
        setup.accessLog = accessLog;
        writeFile(config, configJson(setup, dir.filePath(QStringLiteral("state"))));
        return runProgram(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--config"), config, QStringLiteral("--check")});
    };
    ProgramRun run = check(QStringLiteral(R"({"path": "logs/access.log"})"));
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains(u"proxy.access_log.path \"logs/access.log\" must be an absolute path, e.g. \"/var/log/fulcrum/access.log\""), qPrintable(run.err));
    run = check(QStringLiteral(R"({"path": "%1"})").arg(dir.path()));
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains(QStringLiteral("proxy.access_log.path \"%1\" is not a regular file").arg(dir.path())), qPrintable(run.err));
    run = check(QStringLiteral(R"({"path": "%1/access.log", "format": "csv", "only": "5xx"})").arg(dir.path()));
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains(u"proxy.access_log.format \"csv\" must be \"text\""), qPrintable(run.err));
    QVERIFY2(run.err.contains(u"proxy.access_log.only \"5xx\" must be \"all\""), qPrintable(run.err));
    run = check(QStringLiteral(R"({"format": "json"})"));
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains(u"proxy.access_log needs \"path\""), qPrintable(run.err));
    // --check makes no file.
    run = check(QStringLiteral(R"({"path": "%1/access.log"})").arg(dir.path()));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("access.log"))));
}

QTEST_GUILESS_MAIN(TestAccessLog)
#include "tst_accesslog.moc"
