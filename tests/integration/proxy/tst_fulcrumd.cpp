// fulcrumd as a process: quick start, SIGHUP reload (a bad config is rejected, the running
// one keeps serving), SIGTERM graceful stop with a request in flight.
#include "demobackends.h"
#include "freeport.h"
#include "programs.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace fulcrum::test;

namespace {

QByteArray configJson(quint16 listenPort, const QString &serverName, quint16 serverPort)
{
    return QStringLiteral(R"({
  "listeners": [{"name": "main", "listen": "127.0.0.1:%1", "pool": "web"}],
  "pools": [{"name": "web", "health_check": {"enabled": false},
             "servers": [{"name": "%2", "address": "127.0.0.1:%3"}]}],
  "proxy": {"workers": 2, "stop_timeout": "5s"}
}
)").arg(listenPort).arg(serverName).arg(serverPort).toUtf8();
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(content) == content.size();
}

} // namespace

class TestFulcrumd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void quickStartServes();
    void refusesPortInUse();
    void reloadRejectsBadConfig();
    void stopsGracefullyOnSigterm();
    void runsTheDemo();
    void loadGeneratesSteadyTraffic();
};

void TestFulcrumd::quickStartServes()
{
    DemoBackendProcess a(QStringLiteral("app1")), b(QStringLiteral("app2"));
    QVERIFY(a.start() && b.start());
    const quint16 port = freeLoopbackPort();
    QProcess fulcrumd;
    fulcrumd.start(binaryPath(QStringLiteral("fulcrumd")),
                   {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--backend"), a.address() + QStringLiteral("=3"),
                    QStringLiteral("--backend"), b.address(), QStringLiteral("--workers"), QStringLiteral("1")});
    QString log;
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("listening on"), &log), qPrintable(log));
    SimpleHttpConnection client(port);
    int app1 = 0;
    for (int i = 0; i < 40; ++i) {
        const SimpleHttpResponse r = client.get("/");
        QCOMPARE(r.status, 200);
        app1 += r.header("x-served-by") == "app1";
    }
    QCOMPARE(app1, 30);
    fulcrumd.terminate();
    QVERIFY(fulcrumd.waitForFinished(10'000));
    QCOMPARE(fulcrumd.exitCode(), 0);

    QProcess bad;
    bad.start(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--backend"), QStringLiteral("127.0.0.1:1=-3")});
    QVERIFY(bad.waitForFinished(10'000));
    QCOMPARE(bad.exitCode(), 1);
    QVERIFY2(bad.readAllStandardError().contains("weight"), "the error names the weight");
}

void TestFulcrumd::refusesPortInUse()
{
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost));
    QProcess fulcrumd;
    fulcrumd.start(binaryPath(QStringLiteral("fulcrumd")),
                   {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(taken.serverPort()), QStringLiteral("--backend"), QStringLiteral("127.0.0.1:9")});
    QVERIFY(fulcrumd.waitForFinished(10'000));
    QCOMPARE(fulcrumd.exitCode(), 1);
    const QByteArray error = fulcrumd.readAllStandardError();
    QVERIFY2(error.contains("Address already in use") && error.contains(QByteArray::number(taken.serverPort())), error.constData());
}

void TestFulcrumd::reloadRejectsBadConfig()
{
    DemoBackendProcess a(QStringLiteral("app1")), b(QStringLiteral("app2"));
    QVERIFY(a.start() && b.start());
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("fulcrum.json"));
    const quint16 port = freeLoopbackPort();
    QVERIFY(writeFile(path, configJson(port, QStringLiteral("app1"), a.port())));
    QProcess fulcrumd;
    fulcrumd.start(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--config"), path});
    QString log;
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("listening on"), &log), qPrintable(log));
    SimpleHttpConnection client(port);
    QCOMPARE(client.get("/").header("x-served-by"), QByteArray("app1"));

    // A broken config: SIGHUP prints its errors and changes nothing.
    QVERIFY(writeFile(path, R"({"listeners": [{"listen": "127.0.0.1:1", "pool": "web"}], "pools": [{"name": "web", "servers": [{"address": "127.0.0.1:2", "weight": -3}]}]})"));
    ::kill(pid_t(fulcrumd.processId()), SIGHUP);
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("still serving the previous config"), &log), qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("-3 must be 0..10000")), qPrintable(log));
    // An engine event (what the console's Events view and `fulcrumctl events` show), not only a
    // line on stderr.
    QVERIFY2(log.contains(QStringLiteral("fulcrumd: error [config] reload of %1 rejected (1 error(s)), still serving the previous config; the first: ").arg(path)),
             qPrintable(log));
    QCOMPARE(client.get("/").header("x-served-by"), QByteArray("app1"));
    SimpleHttpConnection fresh(port);
    QCOMPARE(fresh.get("/").header("x-served-by"), QByteArray("app1"));

    // A good one is applied, on the same listening socket.
    QVERIFY(writeFile(path, configJson(port, QStringLiteral("app2"), b.port())));
    ::kill(pid_t(fulcrumd.processId()), SIGHUP);
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("reloaded"), &log), qPrintable(log));
    QCOMPARE(client.get("/").header("x-served-by"), QByteArray("app2"));

    fulcrumd.terminate();
    QVERIFY(fulcrumd.waitForFinished(10'000));
    QCOMPARE(fulcrumd.exitCode(), 0);
}

void TestFulcrumd::stopsGracefullyOnSigterm()
{
    InProcessDemoBackend a(QStringLiteral("app1"));
    a.backend().setLatency(600);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("fulcrum.json"));
    const quint16 port = freeLoopbackPort();
    QVERIFY(writeFile(path, configJson(port, QStringLiteral("app1"), a.port())));
    QProcess fulcrumd;
    fulcrumd.start(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--config"), path});
    QString log;
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("listening on"), &log), qPrintable(log));

    QTcpSocket inFlight;
    inFlight.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(inFlight.waitForConnected(5000));
    inFlight.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    inFlight.flush();
    // The request reaches the backend, which holds it for 600 ms.
    QTRY_COMPARE_WITH_TIMEOUT(a.backend().requestCount(), 1u, 5000);
    fulcrumd.terminate();
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("stopping"), &log), qPrintable(log));
    QByteArray response;
    while (!response.contains("app1\n") && inFlight.waitForReadyRead(5000))
        response += inFlight.readAll();
    QVERIFY2(response.startsWith("HTTP/1.1 200"), response.constData());
    QVERIFY(fulcrumd.waitForFinished(10'000));
    QCOMPARE(fulcrumd.exitStatus(), QProcess::NormalExit);
    QCOMPARE(fulcrumd.exitCode(), 0);
    QTcpSocket late;
    late.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!late.waitForConnected(1000));
}

void TestFulcrumd::runsTheDemo()
{
    const quint16 port = freeLoopbackPort();
    QProcess fulcrumd;
    fulcrumd.start(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--demo"), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                                                            QStringLiteral("--rate"), QStringLiteral("20"), QStringLiteral("--workers"), QStringLiteral("1")});
    QString log;
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("demo: proxy on"), &log), qPrintable(log));
    SimpleHttpConnection client(port);
    QSet<QByteArray> servers;
    for (int i = 0; i < 12; ++i) {
        const SimpleHttpResponse r = client.get("/");
        QCOMPARE(r.status, 200);
        servers.insert(r.header("x-served-by"));
    }
    // The demo's own load shares the worker's rotation, so which servers this client sees varies.
    QVERIFY(servers.size() >= 2);
    QVERIFY((QSet<QByteArray>{"app1", "app2", "app3"}).contains(servers));
    fulcrumd.terminate();
    QVERIFY(fulcrumd.waitForFinished(15'000));
    QCOMPARE(fulcrumd.exitCode(), 0);
}

void TestFulcrumd::loadGeneratesSteadyTraffic()
{
    InProcessDemoBackend a(QStringLiteral("app1"));
    QProcess load;
    load.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("load"), QStringLiteral("--target"), QStringLiteral("http://127.0.0.1:%1/").arg(a.port()),
                                                          QStringLiteral("--rate"), QStringLiteral("100"), QStringLiteral("--duration"), QStringLiteral("1s")});
    QVERIFY(load.waitForFinished(15'000));
    const QString out = QString::fromUtf8(load.readAllStandardOutput());
    QCOMPARE(load.exitCode(), 0);
    QVERIFY2(out.contains(QStringLiteral("sent 100, completed 100")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("served by app1: 100")), qPrintable(out));
    QCOMPARE(a.backend().requestCount(), 100u);

    QProcess bad;
    bad.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("load"), QStringLiteral("--target"), QStringLiteral("ftp://x"), QStringLiteral("--rate"), QStringLiteral("10")});
    QVERIFY(bad.waitForFinished(10'000));
    QCOMPARE(bad.exitCode(), 2);
    QVERIFY(bad.readAllStandardError().contains("--target"));
}

QTEST_GUILESS_MAIN(TestFulcrumd)
#include "tst_fulcrumd.moc"
