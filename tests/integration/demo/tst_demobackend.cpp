// The demo backend as the other suites use it: a real `fulcrumctl demo-backend` process.
#include "demobackends.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;

class TestDemoBackend : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void answersWithItsName();
    void controlChangesErrorRate();
    void controlChangesLatency();
    void controlRefusesBadValues_data();
    void controlRefusesBadValues();
    void healthModes_data();
    void healthModes();
    void keepAliveCountsRequestsPerConnection();
    void uploadIsEchoed_data();
    void uploadIsEchoed();
    void expectContinueIsHonoured();
    void bytesAreStreamed_data();
    void bytesAreStreamed();
    void badInputGetsAnErrorAndClose_data();
    void badInputGetsAnErrorAndClose();
    void killAndRestartOnTheSamePort();
    void severalThreadsServe();
    void inProcessVariant();
    void cleanupTestCase();

private:
    std::unique_ptr<DemoBackendProcess> m_app;
};

void TestDemoBackend::initTestCase()
{
    m_app = std::make_unique<DemoBackendProcess>(QStringLiteral("app1"));
    QVERIFY2(m_app->isRunning(), qPrintable(m_app->error()));
    QVERIFY(m_app->port() != 0);
}

void TestDemoBackend::cleanupTestCase()
{
    m_app.reset();
}

void TestDemoBackend::answersWithItsName()
{
    const SimpleHttpResponse response = httpGet(m_app->port(), "/any/path?x=1");
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, QByteArray("app1\n"));
    QCOMPARE(response.header("X-Served-By"), QByteArray("app1"));
}

void TestDemoBackend::controlChangesErrorRate()
{
    QVERIFY2(m_app->setErrorRate(1.0), qPrintable(m_app->error()));
    SimpleHttpConnection connection(m_app->port());
    for (int i = 0; i < 5; ++i)
        QCOMPARE(connection.get("/").status, 500);
    // Health answers are steered separately from application errors.
    QCOMPARE(connection.get("/health").status, 200);
    QVERIFY(m_app->setErrorRate(0.0));
    for (int i = 0; i < 5; ++i)
        QCOMPARE(connection.get("/").status, 200);
}

void TestDemoBackend::controlChangesLatency()
{
    QVERIFY(m_app->control(QStringLiteral("latency=300ms&jitter=0")));
    SimpleHttpConnection connection(m_app->port());
    const SimpleHttpResponse settings = connection.get("/_control");
    QCOMPARE(settings.status, 200);
    QCOMPARE(QJsonDocument::fromJson(settings.body).object().value(QStringLiteral("latency_ms")).toInteger(), 300);
    // Only a lower bound: the injected delay is the floor, the machine decides the rest.
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(connection.get("/").status, 200);
    QVERIFY(timer.elapsed() >= 290);
    QVERIFY(m_app->setLatency(0));
}

void TestDemoBackend::controlRefusesBadValues_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QByteArray>("mentions");
    QTest::newRow("latency") << QStringLiteral("latency=fast") << QByteArray("latency=fast");
    QTest::newRow("rate > 1") << QStringLiteral("error_rate=2") << QByteArray("error_rate=2");
    QTest::newRow("health") << QStringLiteral("health=sick") << QByteArray("ok, 503, hang or close");
    QTest::newRow("unknown") << QStringLiteral("speed=1") << QByteArray("\"speed\"");
}

void TestDemoBackend::controlRefusesBadValues()
{
    QFETCH(QString, query);
    QFETCH(QByteArray, mentions);
    const SimpleHttpResponse response = SimpleHttpConnection(m_app->port()).post("/_control?" + query.toUtf8(), {});
    QCOMPARE(response.status, 400);
    QVERIFY2(response.body.contains(mentions), response.body.constData());
    // Nothing changed.
    QCOMPARE(httpGet(m_app->port(), "/").status, 200);
}

void TestDemoBackend::healthModes_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<int>("status"); // 0 = no answer
    QTest::addColumn<bool>("closed");
    QTest::newRow("ok") << QStringLiteral("ok") << 200 << false;
    QTest::newRow("503") << QStringLiteral("503") << 503 << false;
    QTest::newRow("hang") << QStringLiteral("hang") << 0 << false;
    QTest::newRow("close") << QStringLiteral("close") << 0 << true;
}

void TestDemoBackend::healthModes()
{
    QFETCH(QString, mode);
    QFETCH(int, status);
    QFETCH(bool, closed);
    QVERIFY(m_app->setHealth(mode));
    SimpleHttpConnection connection(m_app->port(), 400);
    const SimpleHttpResponse response = connection.get("/health");
    QCOMPARE(response.status, status);
    if (status == 200)
        QCOMPARE(response.body, QByteArray("ok\n"));
    if (closed)
        QVERIFY(!connection.isConnected());
    else if (status == 0)
        QVERIFY(connection.isConnected()); // hanging: the connection stays open, silent
    QVERIFY(m_app->setHealth(QStringLiteral("ok")));
}

void TestDemoBackend::keepAliveCountsRequestsPerConnection()
{
    SimpleHttpConnection first(m_app->port());
    for (int i = 1; i <= 3; ++i)
        QCOMPARE(first.get("/").header("X-Connection-Requests"), QByteArray::number(i));
    SimpleHttpConnection second(m_app->port());
    QCOMPARE(second.get("/").header("X-Connection-Requests"), QByteArray("1"));
    QCOMPARE(first.get("/").header("X-Connection-Requests"), QByteArray("4"));
    // Pipelined requests are answered in order on the same connection.
    const SimpleHttpResponse a = first.exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(a.header("X-Connection-Requests"), QByteArray("5"));
    QCOMPARE(first.exchange({}).header("X-Connection-Requests"), QByteArray("6"));
    // Connection: close is honoured.
    const SimpleHttpResponse last = first.exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QCOMPARE(last.header("Connection"), QByteArray("close"));
    QVERIFY(first.waitForClose());
}

void TestDemoBackend::uploadIsEchoed_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<bool>("chunked");
    for (int size : {0, 1, 4096, 3'000'000}) {
        QTest::addRow("%d bytes, content-length", size) << size << false;
        QTest::addRow("%d bytes, chunked", size) << size << true;
    }
}

void TestDemoBackend::uploadIsEchoed()
{
    QFETCH(int, size);
    QFETCH(bool, chunked);
    QByteArray body(size, Qt::Uninitialized);
    for (int i = 0; i < size; ++i)
        body[i] = char((i * 7919) >> 3);
    SimpleHttpConnection connection(m_app->port());
    const SimpleHttpResponse response = connection.post("/echo", body, chunked);
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("X-Body-Bytes"), QByteArray::number(size));
    QCOMPARE(response.header("X-Body-Crc32"), QByteArray::number(crc32Update(0, body), 16).rightJustified(8, '0'));
    // The connection stays usable after the body.
    QCOMPARE(connection.get("/").status, 200);
}

void TestDemoBackend::expectContinueIsHonoured()
{
    SimpleHttpConnection connection(m_app->port());
    const SimpleHttpResponse response = connection.exchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello");
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("X-Body-Bytes"), QByteArray("5"));
    QCOMPARE(crc32Update(0, "hello"), 0x3610a686u); // the standard CRC-32 of "hello"
    QCOMPARE(response.header("X-Body-Crc32"), QByteArray("3610a686"));
}

void TestDemoBackend::bytesAreStreamed_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<bool>("chunked");
    for (qint64 size : {qint64(0), qint64(25), qint64(1'000'003), qint64(20'000'000)}) {
        QTest::addRow("%lld, content-length", size) << size << false;
        QTest::addRow("%lld, chunked", size) << size << true;
    }
}

void TestDemoBackend::bytesAreStreamed()
{
    QFETCH(qint64, size);
    QFETCH(bool, chunked);
    SimpleHttpConnection connection(m_app->port());
    const SimpleHttpResponse response = connection.get("/bytes/" + QByteArray::number(size) + (chunked ? "?chunked=1" : ""));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("Transfer-Encoding").contains("chunked"), chunked);
    QCOMPARE(qint64(response.body.size()), size);
    for (qint64 i = 0; i < size; i += 9973)
        QCOMPARE(response.body.at(i), demoStreamByte(i));
    if (size > 0)
        QCOMPARE(response.body.back(), demoStreamByte(size - 1));
    QCOMPARE(connection.get("/").header("X-Connection-Requests"), QByteArray("2"));
}

void TestDemoBackend::badInputGetsAnErrorAndClose_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::newRow("garbage") << QByteArray("\x01\x02 hello\r\n\r\n") << 400;
    QTest::newRow("no version") << QByteArray("GET /\r\n\r\n") << 400;
    QTest::newRow("HTTP/2 text") << QByteArray("GET / HTTP/2.0\r\n\r\n") << 505;
    QTest::newRow("bad length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400;
    QTest::newRow("two lengths") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab") << 400;
    QTest::newRow("length and chunked") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n") << 400;
    QTest::newRow("gzip coding") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") << 501;
    QTest::newRow("bad chunk size") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") << 400;
    QTest::newRow("space in header name") << QByteArray("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n") << 400;
    QTest::newRow("huge head") << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(20000, 'a') + "\r\n\r\n") << 431;
}

void TestDemoBackend::badInputGetsAnErrorAndClose()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    SimpleHttpConnection connection(m_app->port());
    const SimpleHttpResponse response = connection.exchange(request);
    QCOMPARE(response.status, status);
    QVERIFY(response.body.startsWith("app1: "));
    QVERIFY(connection.waitForClose());
    // And the server is still there for everyone else.
    QCOMPARE(httpGet(m_app->port(), "/").status, 200);
}

void TestDemoBackend::killAndRestartOnTheSamePort()
{
    DemoBackendProcess app(QStringLiteral("app2"));
    QVERIFY2(app.isRunning(), qPrintable(app.error()));
    const quint16 port = app.port();
    QCOMPARE(httpGet(port, "/").body, QByteArray("app2\n"));
    app.kill();
    QVERIFY(!app.isRunning());
    QCOMPARE(httpGet(port, "/", 1000).status, 0);
    QVERIFY2(app.start(), qPrintable(app.error()));
    QCOMPARE(app.port(), port);
    QCOMPARE(httpGet(port, "/").body, QByteArray("app2\n"));
}

void TestDemoBackend::severalThreadsServe()
{
    DemoBackendProcess app(QStringLiteral("app3"), {QStringLiteral("--threads"), QStringLiteral("3")});
    QVERIFY2(app.isRunning(), qPrintable(app.error()));
    std::vector<std::unique_ptr<SimpleHttpConnection>> connections;
    for (int i = 0; i < 6; ++i)
        connections.push_back(std::make_unique<SimpleHttpConnection>(app.port()));
    for (int round = 1; round <= 3; ++round) {
        for (auto &connection : connections) {
            const SimpleHttpResponse response = connection->get("/");
            QCOMPARE(response.body, QByteArray("app3\n"));
            QCOMPARE(response.header("X-Connection-Requests"), QByteArray::number(round));
        }
    }
    QVERIFY(app.setHealth(QStringLiteral("503")));
    for (auto &connection : connections)
        QCOMPARE(connection->get("/health").status, 503);
}

void TestDemoBackend::inProcessVariant()
{
    InProcessDemoBackend app(QStringLiteral("inproc"));
    QVERIFY(app.isListening());
    QCOMPARE(httpGet(app.port(), "/").body, QByteArray("inproc\n"));
    app.backend().setHealth(DemoHealthMode::Unavailable);
    QCOMPARE(httpGet(app.port(), "/health").status, 503);
    QCOMPARE(app.backend().healthRequestCount(), quint64(1));
    QCOMPARE(app.backend().requestCount(), quint64(2));
}

QTEST_GUILESS_MAIN(TestDemoBackend)
#include "tst_demobackend.moc"
