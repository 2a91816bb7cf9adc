// WebSocket (and any HTTP/1.1 upgrade) through the proxy in this process, to real WebSocket
// servers: Debian's python3-websockets (tests/support/ws/ws_server.py), which checks the
// handshake and every frame that reaches it. The client side speaks RFC 6455 here, by hand,
// so that what the proxy passes on is exactly what a browser would send.
#include "common/childprocess.h"
#include "demobackends.h"
#include "engineconfigs.h"
#include "freeport.h"
#include "programs.h"

#include "engine/engine.h"
#include "proxy/proxyserver.h"

#include <QCryptographicHash>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <csignal>
#include <functional>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

// One python3-websockets server on a free loopback port; killed with the test.
class WebSocketServer : public ScriptServer
{
public:
    explicit WebSocketServer(const QString &name)
        : ScriptServer(QStringLiteral(FULCRUM_SOURCE_DIR "/tests/support/ws/ws_server.py"), {name})
    {
    }
    bool ready() { return ScriptServer::ready(QStringLiteral("python3-websockets")); }
};

// A WebSocket client over a plain socket: the opening handshake, masked frames out, frames in.
class WebSocketClient
{
public:
    // Connects to the proxy and asks to upgrade; the 101's head is in head().
    bool open(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        if (!m_socket.waitForConnected(5000))
            return false;
        QByteArray nonce(16, Qt::Uninitialized);
        for (char &c : nonce)
            c = char(QRandomGenerator::global()->bounded(256));
        m_key = nonce.toBase64();
        m_socket.write("GET /chat HTTP/1.1\r\nHost: shop.example\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                       "Sec-WebSocket-Key: " + m_key + "\r\nSec-WebSocket-Version: 13\r\nOrigin: http://shop.example\r\n\r\n");
        m_socket.flush();
        qsizetype end = -1;
        while ((end = m_in.indexOf("\r\n\r\n")) < 0) {
            if (!m_socket.waitForReadyRead(10'000))
                return false;
            m_in += m_socket.readAll();
        }
        m_head = m_in.left(end + 4);
        m_in.remove(0, end + 4);
        return m_head.startsWith("HTTP/1.1 101");
    }
    QByteArray head() const { return m_head; }
    // What the server must answer for our key (RFC 6455 4.2.2).
    QByteArray expectedAccept() const
    {
        return QCryptographicHash::hash(m_key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", QCryptographicHash::Sha1).toBase64();
    }
    void sendText(const QByteArray &text)
    {
        QByteArray frame;
        frame.append(char(0x81));   // FIN, text
        if (text.size() < 126) {
            frame.append(char(0x80 | text.size()));
        } else {
            frame.append(char(0x80 | 126));
            frame.append(char((text.size() >> 8) & 0xff)).append(char(text.size() & 0xff));
        }
        const quint32 mask = QRandomGenerator::global()->generate();
        const char key[4] = {char(mask >> 24), char(mask >> 16), char(mask >> 8), char(mask)};
        frame.append(key, 4);
        for (qsizetype i = 0; i < text.size(); ++i)
            frame.append(char(text.at(i) ^ key[i % 4]));
        m_socket.write(frame);
        m_socket.flush();
    }
    // The next text message (server frames are not masked); empty if none within the time or closed.
    QByteArray readText(int timeoutMs = 10'000)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            if (m_in.size() >= 2) {
                const int opcode = m_in.at(0) & 0x0f;
                qint64 length = m_in.at(1) & 0x7f;
                qsizetype at = 2;
                if (length == 126 && m_in.size() >= 4) {
                    length = (quint8(m_in.at(2)) << 8) | quint8(m_in.at(3));
                    at = 4;
                } else if (length == 127 && m_in.size() >= 10) {
                    length = 0;
                    for (int i = 0; i < 8; ++i)
                        length = (length << 8) | quint8(m_in.at(2 + i));
                    at = 10;
                }
                if ((length < 126 || at > 2) && m_in.size() >= at + length) {
                    const QByteArray payload = m_in.mid(at, length);
                    m_in.remove(0, at + length);
                    if (opcode == 0x1)
                        return payload;
                    if (opcode == 0x8)
                        return {};
                    continue;
                }
            }
            if (deadline.hasExpired() || m_socket.state() != QAbstractSocket::ConnectedState)
                return {};
            if (m_socket.bytesAvailable() == 0)
                m_socket.waitForReadyRead(int(qMin<qint64>(200, deadline.remainingTime())));
            m_in += m_socket.readAll();
        }
    }
    // Whether the connection was closed (by the proxy) within the time.
    bool closedWithin(int timeoutMs)
    {
        return QTest::qWaitFor([&] {
            m_socket.waitForReadyRead(50);
            m_in += m_socket.readAll();
            return m_socket.state() == QAbstractSocket::UnconnectedState;
        }, timeoutMs);
    }
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_key;
    QByteArray m_head;
    QByteArray m_in;
};

// One pool behind one listener and one worker (least-connections then counts every tunnel of
// the test), checked by TCP connects: a WebSocket-only server answers a plain HTTP check with
// 426, which would mark it down (docs/proxy.md).
Config configFor(const QList<std::pair<QString, quint16>> &servers, Algorithm algorithm = Algorithm::RoundRobin)
{
    std::vector<BackendSpec> specs;
    for (const auto &[name, port] : servers)
        specs.push_back(loopbackServer(name, port));
    Config config = fastCheckedPoolConfig(specs);
    config.pools[0].options.algorithm = algorithm;
    config.pools[0].health.type = HealthCheckConfig::Tcp;
    return config;
}

quint16 proxyPort(Engine &engine)
{
    return engine.proxy().listeners().front().port;
}

// One WebSocket server behind a one-worker engine, and a client whose tunnel is open and greeted.
struct OneTunnel
{
    WebSocketServer server{QStringLiteral("ws1")};
    Engine engine;
    WebSocketClient client;

    // Empty when the tunnel is open, else what failed.
    QString open(const std::function<void(ProxyConfig &)> &tune)
    {
        if (!server.ready())
            return QStringLiteral("the WebSocket server did not start");
        Config config = configFor({{QStringLiteral("ws1"), server.port()}});
        tune(config.proxy);
        QStringList errors;
        if (!engine.start(config, &errors))
            return errors.join(u'\n');
        if (!client.open(proxyPort(engine)))
            return QStringLiteral("no 101: ") + QString::fromLatin1(client.head());
        const QByteArray hello = client.readText();
        return hello == "hello ws1" ? QString() : QStringLiteral("greeting: ") + QString::fromLatin1(hello);
    }
};

} // namespace

class TestWebSocket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void upgradeIsTunnelledBothWays();
    void echoSurvivesTenThousandMessagesAndAReload();
    void aTunnelCountsForLeastConnectionsUntilItCloses();
    void serverThatDeclinesTheUpgradeAnswersAsHttp();
    void idleTunnelIsClosedAfterTunnelTimeout();
    void stopClosesTunnelsAfterStopTimeout();
};

void TestWebSocket::upgradeIsTunnelledBothWays()
{
    WebSocketServer server(QStringLiteral("ws1"));
    QVERIFY(server.ready());
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(configFor({{QStringLiteral("ws1"), server.port()}}), &errors), qPrintable(errors.join(u'\n')));
    WebSocketClient client;
    QVERIFY2(client.open(proxyPort(engine)), client.head().constData());
    const QByteArray head = client.head();
    QVERIFY2(head.contains("\r\nUpgrade: websocket\r\n"), head.constData());
    QVERIFY2(head.contains("\r\nConnection: Upgrade\r\n"), head.constData());
    QVERIFY2(head.contains("Sec-WebSocket-Accept: " + client.expectedAccept() + "\r\n"), head.constData());
    QVERIFY2(head.contains("Via: 1.1 fulcrum"), head.constData());
    // The server speaks first, then answers each message; large frames pass too.
    QCOMPARE(client.readText(), QByteArray("hello ws1"));
    client.sendText("order 42 shipped");
    QCOMPARE(client.readText(), QByteArray("order 42 shipped"));
    const QByteArray long_(40'000, 'q');
    client.sendText(long_);
    QCOMPARE(client.readText(), long_);
    client.sendText("big 3000000");
    QCOMPARE(client.readText(20'000).size(), 3'000'000);
    // The server closes: the proxy closes the client's side after passing the close frame on.
    client.sendText("close");
    QCOMPARE(client.readText(), QByteArray());
    QVERIFY(client.closedWithin(10'000));
}

void TestWebSocket::echoSurvivesTenThousandMessagesAndAReload()
{
    // 10 000 messages, each echoed whole and in order, with a reload half-way that changes the
    // pool: the tunnel is not a request the reload waits for or cuts.
    WebSocketServer server(QStringLiteral("ws1"));
    QVERIFY(server.ready());
    Config config = configFor({{QStringLiteral("ws1"), server.port()}});
    config.listeners[0].port = freeLoopbackPort();   // kept by the reload (port 0 would bind anew)
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    WebSocketClient client;
    QVERIFY2(client.open(proxyPort(engine)), client.head().constData());
    QCOMPARE(client.readText(), QByteArray("hello ws1"));
    client.socket().setSocketOption(QAbstractSocket::LowDelayOption, 1);   // small frames go at once
    const auto message = [](int i) { return "order " + QByteArray::number(i) + " packed"; };
    for (int batch = 0; batch < 100; ++batch) {   // 100 messages in flight at a time
        if (batch == 50) {
            config.pools[0].servers[0].weight = 7;
            QVERIFY2(engine.reload(config, &errors), qPrintable(errors.join(u'\n')));
        }
        for (int i = batch * 100; i < batch * 100 + 100; ++i)
            client.sendText(message(i));
        for (int i = batch * 100; i < batch * 100 + 100; ++i) {
            const QByteArray echo = client.readText();
            QVERIFY2(echo == message(i), qPrintable(QStringLiteral("message %1: %2").arg(i).arg(QString::fromLatin1(echo))));
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot().pools.front().servers.front().spec.weight, 7, 10'000);   // the reload took
    QCOMPARE(engine.proxy().listeners().front().port, config.listeners[0].port);
    client.sendText("close");
    QCOMPARE(client.readText(), QByteArray());
    QVERIFY(client.closedWithin(10'000));
}

void TestWebSocket::aTunnelCountsForLeastConnectionsUntilItCloses()
{
    WebSocketServer a(QStringLiteral("a")), b(QStringLiteral("b"));
    QVERIFY(a.ready() && b.ready());
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(configFor({{QStringLiteral("a"), a.port()}, {QStringLiteral("b"), b.port()}}, Algorithm::LeastConnections), &errors),
             qPrintable(errors.join(u'\n')));
    // While one tunnel is open on a server, the next goes to the other, and so on.
    WebSocketClient first, second;
    QVERIFY(first.open(proxyPort(engine)));
    const QByteArray firstServer = first.readText().mid(6);
    QVERIFY(second.open(proxyPort(engine)));
    const QByteArray secondServer = second.readText().mid(6);
    QVERIFY2(firstServer != secondServer && !firstServer.isEmpty() && !secondServer.isEmpty(), firstServer + " / " + secondServer);
    // The first closes; its server is free again and takes the next one.
    first.socket().abort();
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        WebSocketClient probe;
        if (!probe.open(proxyPort(engine)))
            return false;
        return probe.readText().mid(6) == firstServer;
    })(), 10'000);
}

void TestWebSocket::serverThatDeclinesTheUpgradeAnswersAsHttp()
{
    // An ordinary HTTP server ignores Upgrade and answers 200: the client gets that answer and
    // the connection stays HTTP, kept alive for the next request.
    InProcessDemoBackend plain(QStringLiteral("plain"));
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(configFor({{QStringLiteral("plain"), plain.port()}}), &errors), qPrintable(errors.join(u'\n')));
    WebSocketClient client;
    QVERIFY(!client.open(proxyPort(engine)));
    QVERIFY2(client.head().startsWith("HTTP/1.1 200"), client.head().constData());
    QVERIFY2(!client.head().contains("Upgrade"), client.head().constData());
}

void TestWebSocket::idleTunnelIsClosedAfterTunnelTimeout()
{
    OneTunnel tunnel;
    const QString failed = tunnel.open([](ProxyConfig &proxy) { proxy.tunnelTimeoutMs = 1000; });
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    // Traffic keeps it open past the timeout...
    for (int i = 0; i < 4; ++i) {
        QTest::qWait(400);
        tunnel.client.sendText("tick");
        QCOMPARE(tunnel.client.readText(), QByteArray("tick"));
    }
    // ... silence ends it.
    QVERIFY(tunnel.client.closedWithin(10'000));
}

void TestWebSocket::stopClosesTunnelsAfterStopTimeout()
{
    OneTunnel tunnel;
    const QString failed = tunnel.open([](ProxyConfig &proxy) { proxy.stopTimeoutMs = 1500; });
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QSignalSpy stopped(&tunnel.engine, &Engine::stopped);
    tunnel.engine.stop();
    // Until the stop timeout the tunnel still carries messages (its close is the application's)...
    tunnel.client.sendText("still here");
    QCOMPARE(tunnel.client.readText(), QByteArray("still here"));
    // ... then the proxy closes it, and the engine has stopped.
    QVERIFY(tunnel.client.closedWithin(10'000));
    QTRY_COMPARE_WITH_TIMEOUT(stopped.count(), 1, 10'000);
}

QTEST_GUILESS_MAIN(TestWebSocket)
#include "tst_websocket.moc"
