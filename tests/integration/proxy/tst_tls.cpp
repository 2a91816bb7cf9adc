// TLS through the proxy: termination on listeners and TLS to servers. Certificates are made by
// the OpenSSL command line for each run; the clients are real ones (curl, `openssl s_client`,
// Qt's QSslSocket), the HTTPS servers behind the proxy Python's ssl module, and the SIGHUP
// certificate swap a real fulcrumd.
#include "common/childprocess.h"
#include "demobackends.h"
#include "engineconfigs.h"
#include "freeport.h"
#include "programs.h"
#include "testcertificates.h"

#include "config/configparser.h"
#include "config/apacheimport.h"
#include "config/nginximport.h"
#include "engine/engine.h"
#include "health/checkresult.h"
#include "proxy/proxyserver.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <functional>
#include <csignal>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

const QByteArray kCloseRequest = "GET / HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n";

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(content) == content.size();
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

ListenerCertificate certificate(const TestCertificates &certs, const QString &name)
{
    return ListenerCertificate{certs.file(name + QStringLiteral("-chain.pem")), certs.file(name + QStringLiteral(".key")), QString()};
}

// One in-process engine: a TLS listener in front of the given servers (no health checks: the
// servers here are known to be up, and HTTPS checks are not what is tested).
Config tlsConfig(const std::vector<BackendSpec> &servers, const std::vector<ListenerCertificate> &certificates, int workers = 1)
{
    Config config = fastCheckedPoolConfig(servers);
    config.pools[0].health.enabled = false;
    config.proxy.workers = workers;
    config.listeners[0].tls.certificates = certificates;
    return config;
}

quint16 proxyPort(const Engine &engine)
{
    return const_cast<Engine &>(engine).proxy().listeners().front().port;
}

// An engine's TLS listener's port and its plain one's, as bound.
std::pair<quint16, quint16> tlsAndPlainPorts(const Engine &engine)
{
    std::pair<quint16, quint16> ports{0, 0};
    for (const ProxyServer::BoundListener &l : const_cast<Engine &>(engine).proxy().listeners())
        (l.tls ? ports.first : ports.second) = l.port;
    return ports;
}

// `openssl s_client` to the proxy, sending `input` then waiting for the server to close; or,
// as commands (a line "R" renegotiates), ending at the end of the input.
ProgramRun sClient(quint16 port, const QStringList &extra, const QByteArray &input = kCloseRequest, bool commands = false)
{
    return runProgram(QStringLiteral("openssl"),
                      QStringList{QStringLiteral("s_client"), QStringLiteral("-connect"), QStringLiteral("127.0.0.1:%1").arg(port),
                                  commands ? QStringLiteral("-noservername") : QStringLiteral("-ign_eof")} + extra,
                      componentEnvironment(), input, 20'000);
}

// The common name of the certificate the proxy served for `serverName` (empty: no SNI).
QString servedName(quint16 port, const QString &serverName)
{
    const ProgramRun run = sClient(port, serverName.isEmpty() ? QStringList{QStringLiteral("-noservername")}
                                                              : QStringList{QStringLiteral("-servername"), serverName});
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("subject=CN ?= ?([^\\n,/]+)")).match(run.out);
    return m.hasMatch() ? m.captured(1).trimmed() : QStringLiteral("<none: %1>").arg(run.err.left(300));
}

// curl; with sameClock it sees this process's clock (a run under faketime is a year ahead), for
// certificates made at that "now".
ProgramRun curl(const QStringList &arguments, bool sameClock = false)
{
    return runProgram(QStringLiteral("curl"), QStringList{QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("15")} + arguments,
                      sameClock ? QProcessEnvironment::systemEnvironment() : componentEnvironment(), {}, 20'000);
}

// A field's values in curl -i's output of one or more answers, in order, space-separated.
QString fieldValues(const QString &answers, const QRegularExpression &field)
{
    QStringList values;
    for (auto it = field.globalMatch(answers); it.hasNext();)
        values << it.next().captured(1);
    return values.join(u' ');
}

// The demo servers that answered, in order (X-Served-By, HTTP/2's lower case too).
QString servedBy(const QString &answers)
{
    static const QRegularExpression served(QStringLiteral("\r\nX-Served-By: ([\\w-]+)\r\n"), QRegularExpression::CaseInsensitiveOption);
    return fieldValues(answers, served);
}

// The request targets a server of tests/support/tls/https_server.py reports (X-Request-Target);
// empty: none of the answers.
QString reportedTargets(const QString &answers)
{
    static const QRegularExpression target(QStringLiteral("\r\nX-Request-Target: ([^\r]*)\r\n"), QRegularExpression::CaseInsensitiveOption);
    return fieldValues(answers, target);
}

// Which server answered one request and the target it got ("app=-": a server that reports none).
QString servedWithTarget(const QString &answer)
{
    const QString target = reportedTargets(answer);
    return servedBy(answer) + u'=' + (target.isEmpty() ? QStringLiteral("-") : target);
}

// A python3 HTTPS server (tests/support/tls/https_server.py) with the given certificate; "-" and
// "-": plain HTTP.
class HttpsServer : public ScriptServer
{
public:
    HttpsServer(const QString &name, const QString &cert, const QString &key)
        : ScriptServer(QStringLiteral(FULCRUM_SOURCE_DIR "/tests/support/tls/https_server.py"), {name, cert, key})
    {
    }
    bool ready() { return ScriptServer::ready(QStringLiteral("python3")); }
};

// One request on an open keep-alive connection; the response's head and body.
QByteArray exchange(QSslSocket &socket, const QByteArray &request)
{
    socket.write(request);
    QByteArray in;
    QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        const qsizetype end = in.indexOf("\r\n\r\n");
        if (end >= 0) {
            const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("(?i)content-length: *(\\d+)")).match(QString::fromLatin1(in.left(end)));
            if (m.hasMatch() && in.size() >= end + 4 + m.captured(1).toLongLong())
                return in;
        }
        socket.waitForReadyRead(100);
        in += socket.readAll();
    }
    return in;
}

} // namespace

class TestTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void httpsIsTerminatedAndTheServerHearsHttps();
    void largeBodiesPassBothWays();
    void serverNamePicksTheCertificate();
    void onlyModernVersionsAndCiphersAreOffered();
    void alpnPrefersH2ThenHttp11();
    void sessionsResumeOnEveryWorkerAndAfterAReload();
    void ticketKeysRotate();
    void ocspResponseIsStapled();
    void plainHttpToTheTlsPortIsToldSo();
    void hstsGoesWithEveryAnswerOverTls();
    void plainListenerRedirectsToTheTlsListener();
    void redirectListenerIsParsedAndChecked();
    void redirectListenerSendsItsExceptPathsToItsPool();
    void routesSendPathsToTheirPools();
    void hostRoutesSendNamesToTheirPools();
    void prefixRewriteGivesTheServersTheirOwnPath();
    void routesAreParsedAndChecked();
    void handshakeFiguresAndExpiryAreReported();
    void webSocketWorksOverTls();
    void badFilesAreConfigErrorsAtTheirKey();
    void sighupSwapsTheCertificateAndKeepsConnections();
    void serversAreReachedOverVerifiedTls();
    void nginxImportKeepsTlsToTheServers();
    void nginxRedirectToHttpsIsServedAsImported();
    void nginxLocationsAreServedAsImportedRoutes();
    void nginxServerNamesAreServedAsImportedHostRoutes_data();
    void nginxServerNamesAreServedAsImportedHostRoutes();
    void nginxRewrittenLocationsReachTheServersAlike();
    void apacheImportKeepsTlsToTheMembers();
    void apacheProxyPassPathsReachTheMembersAlike();
    void expiredOrMisnamedServerCertificateIsRefused();
    void serverSessionsAreResumed();

private:
    // The shop's TLS listener to the shared backend ("app"), with `routes` to a pool of one
    // server per name, and a plain twin of it named "plain".
    Config routedConfig(const std::vector<std::pair<QString, quint16>> &pools, const std::vector<ListenerRoute> &routes) const;

    QTemporaryDir m_dir;
    std::unique_ptr<TestCertificates> m_certs;
    std::unique_ptr<InProcessDemoBackend> m_backend;
};

Config TestTls::routedConfig(const std::vector<std::pair<QString, quint16>> &pools, const std::vector<ListenerRoute> &routes) const
{
    Config config = tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))});
    for (const auto &[name, port] : pools) {
        PoolConfig pool = config.pools[0];
        pool.name = name;
        pool.servers = {loopbackServer(name, port)};
        config.pools.push_back(pool);
    }
    config.listeners[0].routes = routes;
    ListenerConfig plain = config.listeners[0];
    plain.name = QStringLiteral("plain");
    plain.tls = {};
    config.listeners.push_back(plain);
    return config;
}

void TestTls::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_certs = std::make_unique<TestCertificates>(m_dir.path());
    QString error;
    QVERIFY2(m_certs->makeCa(QStringLiteral("ca"), &error), qPrintable(error));
    const QString server = QStringLiteral("serverAuth");
    QVERIFY2(m_certs->makeSigned(QStringLiteral("shop"), QStringLiteral("ca"), server, &error, 3650, {}, QStringLiteral("DNS:shop.test,IP:127.0.0.1")), qPrintable(error));
    QVERIFY2(m_certs->makeSigned(QStringLiteral("wildcard"), QStringLiteral("ca"), server, &error, 3650, {}, QStringLiteral("DNS:*.api.test")), qPrintable(error));
    QVERIFY2(m_certs->makeSigned(QStringLiteral("pay"), QStringLiteral("ca"), server, &error, 3650, {}, QStringLiteral("DNS:pay.api.test")), qPrintable(error));
    QVERIFY2(m_certs->makeSigned(QStringLiteral("renewed"), QStringLiteral("ca"), server, &error, 3650, {}, QStringLiteral("DNS:shop.test,IP:127.0.0.1")), qPrintable(error));
    QVERIFY2(m_certs->makeSigned(QStringLiteral("backend"), QStringLiteral("ca"), server, &error), qPrintable(error));
    QVERIFY2(m_certs->makeSigned(QStringLiteral("expired"), QStringLiteral("ca"), server, &error, 30, QStringLiteral("2020-01-01 00:00:00")), qPrintable(error));
    m_backend = std::make_unique<InProcessDemoBackend>(QStringLiteral("app"));
    QVERIFY(m_backend->isListening());
}

void TestTls::httpsIsTerminatedAndTheServerHearsHttps()
{
    // A bare TCP server stands in for the backend, to see the exact bytes the proxy sends.
    QTcpServer capture;
    QVERIFY(capture.listen(QHostAddress::LocalHost));
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(tlsConfig({loopbackServer(QStringLiteral("capture"), capture.serverPort())}, {certificate(*m_certs, QStringLiteral("shop"))}), &errors),
             qPrintable(errors.join(u'\n')));
    QVERIFY(engine.proxy().listeners().front().tls);

    // Qt's client verifies the chain against the test CA and the name 127.0.0.1.
    QSslSocket client;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(m_certs->file(QStringLiteral("ca.pem"))));
    client.setSslConfiguration(tls);
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), proxyPort(engine));
    QVERIFY2(client.waitForEncrypted(10'000), qPrintable(client.errorString()));
    QVERIFY(client.sessionProtocol() == QSsl::TlsV1_3);
    QTcpSocket *server = nullptr;
    for (int round = 0; round < 2; ++round) {   // keep-alive: the second request rides the same TLS connection
        client.write("GET /x HTTP/1.1\r\nHost: shop.test\r\nX-Forwarded-Proto: http\r\n\r\n");
        client.flush();
        if (!server) {
            QVERIFY(capture.waitForNewConnection(10'000));
            server = capture.nextPendingConnection();
        }
        QByteArray head;
        while (!head.contains("\r\n\r\n") && server->waitForReadyRead(5000))
            head += server->readAll();
        // The client's own claim is dropped: the proxy says what the client really used.
        QVERIFY2(head.contains("\r\nX-Forwarded-Proto: https\r\n"), head.constData());
        QCOMPARE(head.count("X-Forwarded-Proto"), 1);
        server->write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure");
        server->flush();
        QByteArray answer;
        QTRY_VERIFY_WITH_TIMEOUT((answer += client.readAll()).endsWith("secure"), 10'000);
        QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
    }
}

void TestTls::largeBodiesPassBothWays()
{
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))}), &errors),
             qPrintable(errors.join(u'\n')));
    const QString port = QString::number(proxyPort(engine));
    const QString resolve = QStringLiteral("shop.test:%1:127.0.0.1").arg(port);
    const QString ca = m_certs->file(QStringLiteral("ca.pem"));
    // 5 MB down, many TLS records and partial writes.
    const QString out = m_dir.filePath(QStringLiteral("download"));
    ProgramRun run = curl({QStringLiteral("--cacert"), ca, QStringLiteral("--resolve"), resolve, QStringLiteral("-o"), out,
                           QStringLiteral("https://shop.test:%1/bytes/5000000").arg(port)});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QCOMPARE(QFileInfo(out).size(), 5'000'000);
    // 3 MB up: the server counts and checksums what reached it.
    QByteArray upload(3'000'000, Qt::Uninitialized);
    for (qsizetype i = 0; i < upload.size(); ++i)
        upload[i] = char('a' + (i * 7) % 26);
    const QString in = m_dir.filePath(QStringLiteral("upload"));
    QVERIFY(writeFile(in, upload));
    run = curl({QStringLiteral("--cacert"), ca, QStringLiteral("--resolve"), resolve, QStringLiteral("--data-binary"), QLatin1Char('@') + in,
                QStringLiteral("https://shop.test:%1/echo").arg(port)});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY2(run.out.contains(QStringLiteral("\"bytes\":3000000")), qPrintable(run.out));
}

void TestTls::serverNamePicksTheCertificate()
{
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())},
                                    {certificate(*m_certs, QStringLiteral("shop")), certificate(*m_certs, QStringLiteral("wildcard")),
                                     certificate(*m_certs, QStringLiteral("pay"))}),
                          &errors),
             qPrintable(errors.join(u'\n')));
    const quint16 port = proxyPort(engine);
    QCOMPARE(servedName(port, QStringLiteral("shop.test")), QStringLiteral("shop"));
    // An exact name wins over a wildcard listed before it; the wildcard covers one label.
    QCOMPARE(servedName(port, QStringLiteral("pay.api.test")), QStringLiteral("pay"));
    QCOMPARE(servedName(port, QStringLiteral("stock.api.test")), QStringLiteral("wildcard"));
    QCOMPARE(servedName(port, QStringLiteral("a.b.api.test")), QStringLiteral("shop"));
    // No name, or one no certificate carries: the first certificate answers.
    QCOMPARE(servedName(port, QString()), QStringLiteral("shop"));
    QCOMPARE(servedName(port, QStringLiteral("unknown.test")), QStringLiteral("shop"));
    // A verifying client is content with what it gets for each name.
    const QString ca = m_certs->file(QStringLiteral("ca.pem"));
    for (const QString &name : {QStringLiteral("shop.test"), QStringLiteral("pay.api.test"), QStringLiteral("stock.api.test")}) {
        const ProgramRun run = curl({QStringLiteral("--cacert"), ca, QStringLiteral("--resolve"), QStringLiteral("%1:%2:127.0.0.1").arg(name).arg(port),
                                     QStringLiteral("https://%1:%2/").arg(name).arg(port)});
        QVERIFY2(run.exitCode == 0, qPrintable(name + u' ' + run.err));
    }
}

void TestTls::onlyModernVersionsAndCiphersAreOffered()
{
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))}), &errors),
             qPrintable(errors.join(u'\n')));
    const quint16 port = proxyPort(engine);
    // The client is told to allow everything (security level 0), so only the server refuses.
    const QString anything = QStringLiteral("DEFAULT:@SECLEVEL=0");
    QVERIFY(!sClient(port, {QStringLiteral("-tls1_1"), QStringLiteral("-cipher"), anything}).out.contains(QStringLiteral("Cipher is ECDHE")));
    QVERIFY(!sClient(port, {QStringLiteral("-tls1"), QStringLiteral("-cipher"), anything}).out.contains(QStringLiteral("Cipher is ECDHE")));
    // TLS 1.2 without forward secrecy or with CBC: refused; an intermediate suite: taken.
    // (The test keys are P-256: these are the ECDSA suites OpenSSL would otherwise take.)
    for (const QString &weak : {QStringLiteral("ECDHE-ECDSA-AES128-SHA"), QStringLiteral("ECDHE-ECDSA-AES256-SHA384"), QStringLiteral("ECDHE-ECDSA-AES128-SHA256")}) {
        const ProgramRun run = sClient(port, {QStringLiteral("-tls1_2"), QStringLiteral("-cipher"), weak + u':' + QStringLiteral("@SECLEVEL=0")});
        QVERIFY2(!run.out.contains(QStringLiteral("HTTP/1.1 200")), qPrintable(weak + u' ' + run.out.left(600)));
    }
    ProgramRun run = sClient(port, {QStringLiteral("-tls1_2")});
    QVERIFY2(run.out.contains(QStringLiteral("Cipher is ECDHE-ECDSA-AES")) || run.out.contains(QStringLiteral("Cipher is ECDHE-ECDSA-CHACHA20")), qPrintable(run.out.left(2000)));
    QVERIFY2(run.out.contains(QStringLiteral("HTTP/1.1 200")), qPrintable(run.out.right(600)));
    run = sClient(port, {QStringLiteral("-tls1_3")});
    QVERIFY2(run.out.contains(QStringLiteral("TLSv1.3")) && run.out.contains(QStringLiteral("HTTP/1.1 200")), qPrintable(run.out.right(800)));
    // A client's renegotiation (a free handshake for it, a cost for the server) is refused.
    run = sClient(port, {QStringLiteral("-tls1_2")}, "R\n", true);
    QVERIFY2((run.out + run.err).contains(QStringLiteral("RENEGOTIATING")) && run.err.contains(QStringLiteral("no renegotiation")), qPrintable(run.err.left(800)));
}

void TestTls::alpnPrefersH2ThenHttp11()
{
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))}), &errors),
             qPrintable(errors.join(u'\n')));
    const quint16 port = proxyPort(engine);
    // HTTP/2 first (tst_http2 covers it), whatever order the client lists them in.
    ProgramRun run = sClient(port, {QStringLiteral("-alpn"), QStringLiteral("http/1.1,h2")});
    QVERIFY2(run.out.contains(QStringLiteral("ALPN protocol: h2")), qPrintable(run.out.left(3000)));
    // A client that speaks only HTTP/1.1 gets it.
    run = sClient(port, {QStringLiteral("-alpn"), QStringLiteral("http/1.1")});
    QVERIFY2(run.out.contains(QStringLiteral("ALPN protocol: http/1.1")), qPrintable(run.out.left(3000)));
    run = curl({QStringLiteral("--http1.1"), QStringLiteral("--cacert"), m_certs->file(QStringLiteral("ca.pem")), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                QStringLiteral("-w"), QStringLiteral("%{http_version} %{http_code}"), QStringLiteral("https://127.0.0.1:%1/").arg(port)});
    QCOMPARE(run.out, QStringLiteral("1.1 200"));
}

void TestTls::sessionsResumeOnEveryWorkerAndAfterAReload()
{
    Engine engine;
    QStringList errors;
    Config config = tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))}, 2);
    config.listeners[0].port = freeLoopbackPort();   // kept by the reload (port 0 would bind anew)
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const quint16 port = proxyPort(engine);
    for (const QString &version : {QStringLiteral("-tls1_2"), QStringLiteral("-tls1_3")}) {
        const QString session = m_dir.filePath(QStringLiteral("session") + version);
        ProgramRun run = sClient(port, {version, QStringLiteral("-sess_out"), session});
        QVERIFY2(run.out.contains(QStringLiteral("New, TLS")), qPrintable(run.out.left(1500)));
        // Two workers take connections in turn: each opens the other's tickets.
        for (int i = 0; i < 4; ++i) {
            run = sClient(port, {version, QStringLiteral("-sess_in"), session});
            QVERIFY2(run.out.contains(QStringLiteral("Reused, TLS")), qPrintable(version + u' ' + run.out.left(1500)));
            QVERIFY2(run.out.contains(QStringLiteral("HTTP/1.1 200")), qPrintable(run.out.right(500)));
        }
        // A reload reads the certificates again and keeps the ticket keys.
        QStringList reloadErrors;
        QVERIFY2(engine.reload(config, &reloadErrors), qPrintable(reloadErrors.join(u'\n')));
        run = sClient(port, {version, QStringLiteral("-sess_in"), session});
        QVERIFY2(run.out.contains(QStringLiteral("Reused, TLS")), qPrintable(version + u' ' + run.out.left(1500)));
    }
}

void TestTls::ticketKeysRotate()
{
    // With a 1 s rotation a ticket opens for 1 to 2 s; after 3 s it is refused, the client
    // does a full handshake and gets a new ticket, which resumes again.
    Config config = tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))});
    config.listeners[0].tls.ticketKeyRotationMs = 1000;
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const quint16 port = proxyPort(engine);
    const QString session = m_dir.filePath(QStringLiteral("rotating"));
    QVERIFY(sClient(port, {QStringLiteral("-tls1_2"), QStringLiteral("-sess_out"), session}).out.contains(QStringLiteral("New, TLS")));
    QVERIFY(sClient(port, {QStringLiteral("-tls1_2"), QStringLiteral("-sess_in"), session}).out.contains(QStringLiteral("Reused, TLS")));
    QTest::qWait(3000);
    ProgramRun run = sClient(port, {QStringLiteral("-tls1_2"), QStringLiteral("-sess_in"), session, QStringLiteral("-sess_out"), session});
    QVERIFY2(run.out.contains(QStringLiteral("New, TLS")), qPrintable(run.out.left(1500)));
    run = sClient(port, {QStringLiteral("-tls1_2"), QStringLiteral("-sess_in"), session});
    QVERIFY2(run.out.contains(QStringLiteral("Reused, TLS")), qPrintable(run.out.left(1500)));
    // Sessions live no longer than a key: the lifetime hint says one rotation.
    QVERIFY2(run.out.contains(QStringLiteral("TLS session ticket lifetime hint: 1 (seconds)")), qPrintable(run.out.left(2500)));
}

void TestTls::ocspResponseIsStapled()
{
    // An OCSP responder's answer for the shop certificate, made by `openssl ocsp` from an index
    // that lists it as valid.
    const QString serial = runProgram(QStringLiteral("openssl"), {QStringLiteral("x509"), QStringLiteral("-in"), m_certs->file(QStringLiteral("shop.pem")),
                                                                   QStringLiteral("-noout"), QStringLiteral("-serial")},
                                      componentEnvironment())
                               .out.trimmed()
                               .section(u'=', 1);
    QVERIFY(!serial.isEmpty());
    const QString index = m_dir.filePath(QStringLiteral("index.txt"));
    QVERIFY(writeFile(index, "V\t391231235959Z\t\t" + serial.toLatin1() + "\tunknown\t/CN=shop\n"));
    const QString request = m_dir.filePath(QStringLiteral("ocsp-request.der"));
    const QString response = m_dir.filePath(QStringLiteral("ocsp-response.der"));
    ProgramRun run = runProgram(QStringLiteral("openssl"), {QStringLiteral("ocsp"), QStringLiteral("-issuer"), m_certs->file(QStringLiteral("ca.pem")),
                                                           QStringLiteral("-cert"), m_certs->file(QStringLiteral("shop.pem")), QStringLiteral("-no_nonce"),
                                                           QStringLiteral("-reqout"), request},
                                componentEnvironment());
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    run = runProgram(QStringLiteral("openssl"), {QStringLiteral("ocsp"), QStringLiteral("-index"), index, QStringLiteral("-rsigner"), m_certs->file(QStringLiteral("ca.pem")),
                                                QStringLiteral("-rkey"), m_certs->file(QStringLiteral("ca.key")), QStringLiteral("-CA"), m_certs->file(QStringLiteral("ca.pem")),
                                                QStringLiteral("-reqin"), request, QStringLiteral("-respout"), response, QStringLiteral("-ndays"), QStringLiteral("3000")},
                     componentEnvironment());
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));

    ListenerCertificate stapled = certificate(*m_certs, QStringLiteral("shop"));
    stapled.ocspFile = response;
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {stapled, certificate(*m_certs, QStringLiteral("pay"))}), &errors),
             qPrintable(errors.join(u'\n')));
    const quint16 port = proxyPort(engine);
    for (const QString &version : {QStringLiteral("-tls1_2"), QStringLiteral("-tls1_3")}) {
        run = sClient(port, {version, QStringLiteral("-status"), QStringLiteral("-servername"), QStringLiteral("shop.test")});
        QVERIFY2(run.out.contains(QStringLiteral("OCSP Response Status: successful")) && run.out.contains(QStringLiteral("Cert Status: good")), qPrintable(run.out.left(2500)));
    }
    // The other certificate has no response to staple.
    run = sClient(port, {QStringLiteral("-status"), QStringLiteral("-servername"), QStringLiteral("pay.api.test")});
    QVERIFY2(run.out.contains(QStringLiteral("OCSP response: no response sent")), qPrintable(run.out.left(2500)));
}

void TestTls::plainHttpToTheTlsPortIsToldSo()
{
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))}), &errors),
             qPrintable(errors.join(u'\n')));
    const ProgramRun run = curl({QStringLiteral("-i"), QStringLiteral("http://127.0.0.1:%1/").arg(proxyPort(engine))});
    QVERIFY2(run.out.startsWith(QStringLiteral("HTTP/1.1 400")), qPrintable(run.out + run.err));
    QVERIFY2(run.out.contains(QStringLiteral("use https://")), qPrintable(run.out));
    // The listener still serves TLS afterwards.
    QCOMPARE(servedName(proxyPort(engine), QStringLiteral("shop.test")), QStringLiteral("shop"));
}

// listeners[].tls.hsts: Strict-Transport-Security on every answer over the TLS listener, over
// HTTP/1.1 and HTTP/2, Fulcrum's own answers too; it replaces a server's own; never over plain
// HTTP. A value that is not one is a config error at its key.
void TestTls::hstsGoesWithEveryAnswerOverTls()
{
    HttpsServer backend(QStringLiteral("secure"), m_certs->file(QStringLiteral("backend-chain.pem")), m_certs->file(QStringLiteral("backend.key")));
    QVERIFY(backend.ready());
    BackendSpec server = loopbackServer(QStringLiteral("secure"), backend.port());
    server.tls.enabled = true;
    server.tls.caFile = m_certs->file(QStringLiteral("ca.pem"));
    Config config = tlsConfig({server}, {certificate(*m_certs, QStringLiteral("shop"))});
    config.listeners[0].tls.hsts = QStringLiteral("max-age=63072000; includeSubDomains");
    ListenerConfig plain;
    plain.name = QStringLiteral("plain");
    plain.pool = config.listeners[0].pool;
    config.listeners.push_back(plain);
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const auto [tlsPort, plainPort] = tlsAndPlainPorts(engine);
    const QString https = QStringLiteral("https://127.0.0.1:%1").arg(tlsPort);
    const QString ca = m_certs->file(QStringLiteral("ca.pem"));
    const QString line = QStringLiteral("strict-transport-security: max-age=63072000; includeSubDomains\r\n");
    const auto headOf = [&](const QString &version, const QString &url) {
        return curl({QStringLiteral("-sS"), QStringLiteral("-D"), QStringLiteral("-"), QStringLiteral("-o"), QStringLiteral("/dev/null"), version,
                     QStringLiteral("--cacert"), ca, url}).out.toLower();
    };
    for (const QString &version : {QStringLiteral("--http1.1"), QStringLiteral("--http2")}) {
        const QString head = headOf(version, https + QStringLiteral("/"));
        QVERIFY2(head.contains(line.toLower()) && head.count(QStringLiteral("strict-transport-security")) == 1, qPrintable(version + u'\n' + head));
        // The server's own max-age=0 is replaced, not sent beside it.
        const QString replaced = headOf(version, https + QStringLiteral("/sts"));
        QVERIFY2(replaced.contains(line.toLower()) && !replaced.contains(QStringLiteral("max-age=0")), qPrintable(version + u'\n' + replaced));
    }
    // Fulcrum's own answer over TLS (a body over the limit): the header too.
    Config limited = config;
    limited.proxy.maxBodyBytes = 4;
    limited.listeners[0].port = tlsPort;   // the same sockets (port 0 would bind new ones)
    limited.listeners[1].port = plainPort;
    QVERIFY2(engine.reload(limited, &errors), qPrintable(errors.join(u'\n')));
    const ProgramRun tooBig = curl({QStringLiteral("-i"), QStringLiteral("--http1.1"), QStringLiteral("--cacert"), ca, QStringLiteral("--data-binary"),
                                    QStringLiteral("0123456789"), https + QStringLiteral("/")});
    const QString refused = tooBig.out.toLower();
    QVERIFY2(refused.startsWith(QStringLiteral("http/1.1 413")) && refused.contains(line.toLower()), qPrintable(tooBig.out + tooBig.err));
    // Never over plain HTTP, where browsers ignore it.
    const QString plainHead = curl({QStringLiteral("-sS"), QStringLiteral("-D"), QStringLiteral("-"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                                    QStringLiteral("http://127.0.0.1:%1/").arg(plainPort)}).out.toLower();
    QVERIFY2(plainHead.startsWith(QStringLiteral("http/1.1 200")) && !plainHead.contains(QStringLiteral("strict-transport-security")), qPrintable(plainHead));

    // The config: read back the same, and a value that is not one refused at its key.
    const QByteArray cert = m_certs->file(QStringLiteral("shop-chain.pem")).toUtf8();
    const QByteArray key = m_certs->file(QStringLiteral("shop.key")).toUtf8();
    const auto withHsts = [&](const QByteArray &value) {
        return "{ \"pools\": [ { \"name\": \"shop\", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ], \"listeners\": [ { \"listen\": \"127.0.0.1:8443\", "
               "\"tls\": { \"cert\": \"" + cert + "\", \"key\": \"" + key + "\", \"hsts\": " + value + " } } ] }";
    };
    const ConfigResult good = parseConfig(withHsts("\"max-age=31536000; includeSubDomains; preload\""), QStringLiteral("c.json"));
    QVERIFY2(good.ok(), qPrintable(good.errorText()));
    QCOMPARE(good.config->listeners[0].tls.hsts, QStringLiteral("max-age=31536000; includeSubDomains; preload"));
    const ConfigResult again = parseConfig(QJsonDocument(configToJson(*good.config)).toJson(), QStringLiteral("again.json"));
    QVERIFY2(again.ok(), qPrintable(again.errorText()));
    QCOMPARE(again.config->listeners[0].tls.hsts, good.config->listeners[0].tls.hsts);
    for (const QByteArray &bad : {QByteArray("\"1 year\""), QByteArray("\"max-age=1\\r\\nX-Evil: 1\""), QByteArray("\"includeSubDomains\"")}) {
        const ConfigResult r = parseConfig(withHsts(bad), QStringLiteral("c.json"));
        QVERIFY2(!r.ok() && r.errorText().contains(u"c.json:1:") && r.errorText().contains(u"is not a Strict-Transport-Security value"), qPrintable(r.errorText()));
    }
}

// listeners[].redirect: port 80 of a shop answers every request with a redirect to the same host
// and path on its TLS listener, as nginx's `return 301 https://$host$request_uri` does; curl
// follows it to the TLS listener and gets the server's answer.
void TestTls::plainListenerRedirectsToTheTlsListener()
{
    Config config = tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))});
    config.listeners[0].name = QStringLiteral("shop-tls");
    ListenerConfig plain;
    plain.name = QStringLiteral("shop-http");
    plain.pool = config.listeners[0].pool;
    plain.redirect.to = QStringLiteral("shop-tls");
    config.listeners.push_back(plain);
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const auto [tlsPort, plainPort] = tlsAndPlainPorts(engine);
    QVERIFY(tlsPort && plainPort && tlsPort != 443);
    const QString http = QStringLiteral("http://127.0.0.1:%1").arg(plainPort);

    // The host the client asked for, its path and query, on the TLS listener's port; two
    // requests on one kept-alive connection.
    const ProgramRun twice = curl({QStringLiteral("-i"), QStringLiteral("-v"), QStringLiteral("-H"), QStringLiteral("Host: shop.test:80"),
                                   http + QStringLiteral("/cart?id=7"), http + QStringLiteral("/")});
    QVERIFY2(twice.out.startsWith(QStringLiteral("HTTP/1.1 301 Moved Permanently\r\n")), qPrintable(twice.out + twice.err));
    QVERIFY2(twice.out.contains(QStringLiteral("\r\nLocation: https://shop.test:%1/cart?id=7\r\n").arg(tlsPort)), qPrintable(twice.out));
    QVERIFY2(twice.out.contains(QStringLiteral("\r\nLocation: https://shop.test:%1/\r\n").arg(tlsPort)), qPrintable(twice.out));
    QCOMPARE(twice.err.count(QStringLiteral("Connected to")), 1);
    QVERIFY2(!twice.out.contains(QStringLiteral("Connection: close")), qPrintable(twice.out));

    // Followed: the TLS listener answers with the server's page.
    const ProgramRun followed = curl({QStringLiteral("-L"), QStringLiteral("--cacert"), m_certs->file(QStringLiteral("ca.pem")), QStringLiteral("-o"),
                                      QStringLiteral("/dev/null"), QStringLiteral("-w"), QStringLiteral("%{http_code} %{url_effective} %{num_redirects}"),
                                      http + QStringLiteral("/products")});
    QCOMPARE(followed.out, QStringLiteral("200 https://127.0.0.1:%1/products 1").arg(tlsPort));

    // HEAD: the head only. A POST's body is not read: the answer closes the connection.
    const ProgramRun head = curl({QStringLiteral("-I"), http + QStringLiteral("/x")});
    QVERIFY2(head.out.startsWith(QStringLiteral("HTTP/1.1 301")) && head.out.contains(QStringLiteral("Content-Length: ")), qPrintable(head.out));
    QVERIFY2(!head.out.contains(QStringLiteral("redirecting to")), qPrintable(head.out));
    const ProgramRun post = curl({QStringLiteral("-i"), QStringLiteral("--data-binary"), QStringLiteral("order=7"), http + QStringLiteral("/checkout")});
    QVERIFY2(post.out.startsWith(QStringLiteral("HTTP/1.1 301")) && post.out.contains(QStringLiteral("Connection: close\r\n")), qPrintable(post.out + post.err));

    // A client that says it is done (HTTP/1.0, or Connection: close) gets its answer and the close.
    const ProgramRun closing = curl({QStringLiteral("-i"), QStringLiteral("--http1.0"), http + QStringLiteral("/old")});
    QVERIFY2(closing.out.startsWith(QStringLiteral("HTTP/1.1 301")) && closing.out.contains(QStringLiteral("Connection: close\r\n")), qPrintable(closing.out));

    // A Host that is no host name is refused, not echoed into Location.
    const ProgramRun bad = curl({QStringLiteral("-i"), QStringLiteral("-H"), QStringLiteral("Host: shop.test/evil"), http + QStringLiteral("/")});
    QVERIFY2(bad.out.startsWith(QStringLiteral("HTTP/1.1 400")), qPrintable(bad.out + bad.err));
    QVERIFY2(!bad.out.contains(QStringLiteral("Location:")), qPrintable(bad.out));
    // An IPv6 literal keeps its brackets.
    const ProgramRun v6 = curl({QStringLiteral("-i"), QStringLiteral("-H"), QStringLiteral("Host: [::1]:80"), http + QStringLiteral("/a")});
    QVERIFY2(v6.out.contains(QStringLiteral("\r\nLocation: https://[::1]:%1/a\r\n").arg(tlsPort)), qPrintable(v6.out));

    // The snapshot names what the plain listener does.
    bool listed = false;
    for (const ListenerView &l : engine.snapshot().listeners)
        listed = listed || (l.name == u"shop-http" && l.redirectTo == u"shop-tls" && !l.tls);
    QVERIFY(listed);
}

// listeners[].redirect: a plain listener that sends every client to a TLS listener of the
// config; it takes that listener's pool and port, and round-trips; each mistake is named.
void TestTls::redirectListenerIsParsedAndChecked()
{
    const QByteArray cert = m_certs->file(QStringLiteral("shop-chain.pem")).toUtf8();
    const QByteArray key = m_certs->file(QStringLiteral("shop.key")).toUtf8();
    const auto config = [&](const QByteArray &redirect, const QByteArray &extra = {}) {
        return "{ \"pools\": [ { \"name\": \"shop\", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] }, "
               "{ \"name\": \"api\", \"servers\": [ { \"address\": \"127.0.0.1:2\" } ] } ], \"listeners\": [ "
               "{ \"name\": \"web\", \"listen\": \"0.0.0.0:8443\", \"pool\": \"shop\", \"tls\": { \"cert\": \"" + cert + "\", \"key\": \"" + key + "\" } }, "
               "{ \"name\": \"api\", \"listen\": \"0.0.0.0:8080\", \"pool\": \"api\" }, "
               "{ \"name\": \"http\", \"listen\": \"0.0.0.0:80\", \"redirect\": " + redirect + extra + " } ] }";
    };
    const ConfigResult r = parseConfig(config("{ \"to\": \"web\", \"status\": 308 }"), QStringLiteral("c.json"));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    const ListenerConfig &http = r.config->listeners.at(2);
    QCOMPARE(http.redirect.to, QStringLiteral("web"));
    QCOMPARE(http.redirect.status, 308);
    QCOMPARE(http.redirect.toPort, quint16(8443));
    QCOMPARE(http.redirect.locationPort(), quint16(8443));
    QCOMPARE(http.pool, QStringLiteral("shop"));   // the TLS listener's, for the books
    QVERIFY(!http.tls.enabled());
    const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
    QVERIFY2(again.ok(), qPrintable(again.errorText()));
    QVERIFY(again.config->listeners == r.config->listeners);
    // The port clients are sent to when Fulcrum's own is not the public one (NAT): 443 is
    // left out of Location.
    const ConfigResult natted = parseConfig(config("{ \"to\": \"web\", \"port\": 443 }"), QStringLiteral("c.json"));
    QVERIFY2(natted.ok(), qPrintable(natted.errorText()));
    QCOMPARE(natted.config->listeners.at(2).redirect.status, 301);
    QCOMPARE(natted.config->listeners.at(2).redirect.locationPort(), quint16(0));
    // except: paths its own pool answers (the ACME challenge), to the TLS listener's pool unless
    // the listener names one; round-trips.
    const ConfigResult acme = parseConfig(config("{ \"to\": \"web\", \"except\": [ \"/.well-known/acme-challenge/\", \"/status\" ] }", ", \"pool\": \"api\""),
                                          QStringLiteral("c.json"));
    QVERIFY2(acme.ok(), qPrintable(acme.errorText()));
    QCOMPARE(acme.config->listeners.at(2).redirect.except, (QList<QByteArray>{"/.well-known/acme-challenge/", "/status"}));
    QCOMPARE(acme.config->listeners.at(2).pool, QStringLiteral("api"));
    const ConfigResult acmeAgain = parseConfig(QJsonDocument(configToJson(*acme.config)).toJson(), QStringLiteral("again.json"));
    QVERIFY2(acmeAgain.ok(), qPrintable(acmeAgain.errorText()));
    QVERIFY(acmeAgain.config->listeners == acme.config->listeners);
    const ConfigResult ownPool = parseConfig(config("{ \"to\": \"web\", \"except\": [ \"/.well-known/acme-challenge/\" ] }"), QStringLiteral("c.json"));
    QVERIFY2(ownPool.ok(), qPrintable(ownPool.errorText()));
    QCOMPARE(ownPool.config->listeners.at(2).pool, QStringLiteral("shop"));

    const struct
    {
        QByteArray redirect;
        QByteArray extra;
        QString error;
    } refused[] = {
        {"{ \"to\": \"nowhere\" }", {}, QStringLiteral("listener \"http\" redirects to listener \"nowhere\", which is not defined; TLS listeners: web")},
        {"{ \"to\": \"api\" }", {}, QStringLiteral("listener \"http\" redirects to listener \"api\", which is not a TLS listener")},
        {"{ \"status\": 301 }", {}, QStringLiteral("listener \"http\": redirect needs \"to\"")},
        {"{ \"to\": \"web\", \"status\": 304 }", {}, QStringLiteral("redirect status 304 is not a redirect; use 301 or 308")},
        {"{ \"to\": \"web\" }", ", \"pool\": \"api\"", QStringLiteral("listener \"http\" redirects every request, so it sends none to a pool: remove \"pool\"")},
        {"{ \"to\": \"web\" }", ", \"tls\": { \"cert\": \"a\", \"key\": \"b\" }", QStringLiteral("so it is plain HTTP itself: remove \"tls\"")},
        {"{ \"to\": \"web\", \"from\": 1 }", {}, QStringLiteral("unknown key \"from\"")},
        {"{ \"to\": \"web\", \"except\": \"/.well-known/\" }", {}, QStringLiteral("redirect except must be a list of path prefixes")},
        {"{ \"to\": \"web\", \"except\": [] }", {}, QStringLiteral("redirect except is empty")},
        {"{ \"to\": \"web\", \"except\": [ \"/\" ] }", {}, QStringLiteral("redirect except \"/\" is every path")},
        {"{ \"to\": \"web\", \"except\": [ \".well-known/\" ] }", {}, QStringLiteral("redirect except \".well-known/\" must start with \"/\"")},
        {"{ \"to\": \"web\", \"except\": [ \"/acme/../admin\" ] }", {}, QStringLiteral("holds the dot segment \"..\"")},
        {"{ \"to\": \"web\", \"except\": [ \"/acme%2F\" ] }", {}, QStringLiteral("holds \"%\"; a prefix is a plain path")},
        {"{ \"to\": \"web\", \"except\": [ \"/acme \" ] }", {}, QStringLiteral("holds a blank, control or non-ASCII character")},
        {"{ \"to\": \"web\", \"except\": [ \"/acme/\" ] }", ", \"pool\": \"nowhere\"",
         QStringLiteral("listener \"http\" sends its except paths to pool \"nowhere\", which is not defined; defined pools: ")},
    };
    for (const auto &c : refused) {
        const ConfigResult bad = parseConfig(config(c.redirect, c.extra), QStringLiteral("c.json"));
        QVERIFY2(!bad.ok(), c.redirect.constData());
        QVERIFY2(bad.errorText().contains(u"c.json:1:") && bad.errorText().contains(c.error), qPrintable(bad.errorText()));
    }
}

// listeners[].redirect.except: port 80 redirects to HTTPS except the ACME HTTP-01 challenge,
// which its own pool answers (certbot standalone behind a pool), as HAProxy's `use_backend
// certbot if { path_beg /.well-known/acme-challenge/ }` beside `redirect scheme https`. No path
// walks out of the prefix to reach that pool in plain HTTP.
void TestTls::redirectListenerSendsItsExceptPathsToItsPool()
{
    InProcessDemoBackend certbot(QStringLiteral("certbot"));
    QVERIFY(certbot.isListening());
    Config config = tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("shop"))});
    config.listeners[0].name = QStringLiteral("shop-tls");
    PoolConfig acmePool = config.pools[0];
    acmePool.name = QStringLiteral("acme");
    acmePool.servers = {loopbackServer(QStringLiteral("certbot"), certbot.port())};
    config.pools.push_back(acmePool);
    ListenerConfig plain;
    plain.name = QStringLiteral("shop-http");
    plain.pool = QStringLiteral("acme");
    plain.redirect.to = QStringLiteral("shop-tls");
    plain.redirect.except = {"/.well-known/acme-challenge/"};
    config.listeners.push_back(plain);
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const auto [tlsPort, plainPort] = tlsAndPlainPorts(engine);
    const QString http = QStringLiteral("http://127.0.0.1:%1").arg(plainPort);

    // The challenge (with or without a query) is answered by certbot's pool; the rest is
    // redirected; all on one kept-alive connection, in either order.
    const ProgramRun mixed = curl({QStringLiteral("-i"), QStringLiteral("-v"), QStringLiteral("-H"), QStringLiteral("Host: shop.test"), http + QStringLiteral("/cart"),
                                   http + QStringLiteral("/.well-known/acme-challenge/Tok3n-_x"), http + QStringLiteral("/.well-known/acme-challenge/t?x=1"),
                                   http + QStringLiteral("/orders")});
    QCOMPARE(mixed.err.count(QStringLiteral("Connected to")), 1);
    const QStringList answers = mixed.out.split(QStringLiteral("HTTP/1.1 "), Qt::SkipEmptyParts);
    QCOMPARE(answers.size(), 4);
    QVERIFY2(answers[0].startsWith(QStringLiteral("301")) && answers[0].contains(QStringLiteral("Location: https://shop.test:%1/cart\r\n").arg(tlsPort)), qPrintable(answers[0]));
    QVERIFY2(answers[1].startsWith(QStringLiteral("200")) && servedBy(answers[1]) == u"certbot" && !answers[1].contains(QStringLiteral("Location:")), qPrintable(answers[1]));
    QVERIFY2(answers[2].startsWith(QStringLiteral("200")) && servedBy(answers[2]) == u"certbot", qPrintable(answers[2]));
    QVERIFY2(answers[3].startsWith(QStringLiteral("301")) && answers[3].contains(QStringLiteral("Location: https://shop.test:%1/orders\r\n").arg(tlsPort)), qPrintable(answers[3]));

    // An absolute-form target (a client that speaks to Fulcrum as to a forward proxy) is matched
    // by its path too.
    const ProgramRun absolute = curl({QStringLiteral("-i"), QStringLiteral("--proxy"), http, QStringLiteral("http://shop.test/.well-known/acme-challenge/abs")});
    QVERIFY2(absolute.out.startsWith(QStringLiteral("HTTP/1.1 200")) && servedBy(absolute.out) == u"certbot", qPrintable(absolute.out + absolute.err));

    // Paths that only look like the prefix, or walk out of it, are redirected, never proxied in
    // plain HTTP (curl --path-as-is sends the dots as written).
    for (const QString &path : {QStringLiteral("/.well-known/acme-challenge"), QStringLiteral("/.well-known/acme-challenge/../admin"),
                                QStringLiteral("/.well-known/acme-challenge/./x"), QStringLiteral("/.well-known/acme-challenge/%2e%2e/admin"),
                                QStringLiteral("/.well-known/acme-challenge/..%2fadmin"), QStringLiteral("/.well-known/acme-challenge/x/.."),
                                QStringLiteral("/.WELL-KNOWN/acme-challenge/x"), QStringLiteral("/x/.well-known/acme-challenge/y")}) {
        const ProgramRun run = curl({QStringLiteral("-i"), QStringLiteral("--path-as-is"), http + path});
        QVERIFY2(run.out.startsWith(QStringLiteral("HTTP/1.1 301")) && servedBy(run.out).isEmpty(), qPrintable(path + u'\n' + run.out + run.err));
    }

    // `fulcrumctl route` says the same of each, from the config file, by the proxy's own check.
    QTemporaryDir dir;
    const QString configFile = dir.filePath(QStringLiteral("fulcrum.json"));
    {
        QFile file(configFile);
        Config written = config;   // on the ports the engine listens on
        written.listeners[0].port = tlsPort;
        written.listeners[1].port = plainPort;
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write(QJsonDocument(configToJson(written)).toJson()) > 0);
    }
    for (const auto &[path, redirected] : {std::pair{"/cart", true}, std::pair{"/.well-known/acme-challenge/Tok3n-_x", false},
                                           std::pair{"/.well-known/acme-challenge/t?x=1", false}, std::pair{"/.well-known/acme-challenge/../admin", true},
                                           std::pair{"/.well-known/acme-challenge/%2e%2e/admin", true}, std::pair{"/.WELL-KNOWN/acme-challenge/x", true}}) {
        const ProgramRun route = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                            {QStringLiteral("route"), QStringLiteral("http://shop.test:%1%2").arg(plainPort).arg(QLatin1StringView(path)),
                                             QStringLiteral("--config"), configFile, QStringLiteral("--json")});
        const QJsonObject json = QJsonDocument::fromJson(route.out.toUtf8()).object();
        QVERIFY2(route.exitCode == 0 && json.value(QStringLiteral("redirected")).toBool() == redirected
                     && json.value(QStringLiteral("pool")) == (redirected ? QJsonValue(QJsonValue::Null) : QJsonValue(QStringLiteral("acme"))),
                 qPrintable(QLatin1StringView(path) + u'\n' + route.out + route.err));
    }
    const ProgramRun said = runProgram(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("route"), QStringLiteral("http://shop.test/.well-known/acme-challenge/../x"),
                                                                                  QStringLiteral("--config"), configFile, QStringLiteral("--listener"), QStringLiteral("shop-http")});
    QVERIFY2(said.out.contains(QStringLiteral("redirect  redirected to listener \"shop-tls\" (https), the same host and target; not one of its except paths "
                                              "(/.well-known/acme-challenge/), or a path with '%', a backslash or a dot segment")),
             qPrintable(said.out + said.err));

    // The snapshot says what goes where.
    bool listed = false;
    for (const ListenerView &l : engine.snapshot().listeners)
        listed = listed || (l.name == u"shop-http" && l.redirectTo == u"shop-tls" && l.pool == u"acme" && l.redirectExcept == QStringList{QStringLiteral("/.well-known/acme-challenge/")});
    QVERIFY(listed);
}

// listeners[].routes: /api/ to the API's pool, the rest to the shop's, per request, on one
// kept-alive connection and over HTTP/2 alike; the path is matched as the servers will read it
// (dot segments removed, unreserved characters decoded), the longest prefix first.
void TestTls::routesSendPathsToTheirPools()
{
    InProcessDemoBackend api(QStringLiteral("api"));
    InProcessDemoBackend internal(QStringLiteral("internal"));
    QVERIFY(api.isListening() && internal.isListening());
    // Written shortest first: the longest still wins.
    const Config config = routedConfig({{QStringLiteral("api"), api.port()}, {QStringLiteral("internal"), internal.port()}},
                                       {{"/api/", QStringLiteral("api")}, {"/api/internal/", QStringLiteral("internal")}});
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const auto [tlsPort, plainPort] = tlsAndPlainPorts(engine);
    const QString http = QStringLiteral("http://127.0.0.1:%1").arg(plainPort);

    // One kept-alive connection, each request to its own pool.
    const ProgramRun mixed = curl({QStringLiteral("-i"), QStringLiteral("-v"), http + QStringLiteral("/"), http + QStringLiteral("/api/orders?id=7"),
                                   http + QStringLiteral("/cart"), http + QStringLiteral("/api/internal/stock"), http + QStringLiteral("/api")});
    QCOMPARE(mixed.err.count(QStringLiteral("Connected to")), 1);
    QCOMPARE(servedBy(mixed.out), QStringLiteral("app api app internal app"));
    // As the servers read the path: no route by a prefix the path only seems to have, and the
    // route of the path it is.
    const struct
    {
        QString path;
        QString pool;
    } asRead[] = {{QStringLiteral("/api/../cart"), QStringLiteral("app")},       {QStringLiteral("/x/../api/y"), QStringLiteral("api")},
                  {QStringLiteral("/%61pi/y"), QStringLiteral("api")},             {QStringLiteral("/api/%2e%2e/cart"), QStringLiteral("app")},
                  {QStringLiteral("/api/./internal/z"), QStringLiteral("internal")}, {QStringLiteral("/API/y"), QStringLiteral("app")}};
    for (const auto &c : asRead) {
        const ProgramRun run = curl({QStringLiteral("-i"), QStringLiteral("--path-as-is"), http + c.path});
        QVERIFY2(servedBy(run.out) == c.pool, qPrintable(c.path + u'\n' + run.out + run.err));
    }
    // An absolute-form target, and HTTP/2 streams on one TLS connection.
    QCOMPARE(servedBy(curl({QStringLiteral("-i"), QStringLiteral("--proxy"), http, QStringLiteral("http://shop.test/api/x")}).out), QStringLiteral("api"));
    const QString https = QStringLiteral("https://shop.test:%1").arg(tlsPort);
    const ProgramRun h2 = curl({QStringLiteral("-i"), QStringLiteral("--http2"), QStringLiteral("--cacert"), m_certs->file(QStringLiteral("ca.pem")),
                                QStringLiteral("--resolve"), QStringLiteral("shop.test:%1:127.0.0.1").arg(tlsPort), https + QStringLiteral("/api/a"),
                                https + QStringLiteral("/b"), https + QStringLiteral("/api/internal/c")});
    QVERIFY2(h2.out.startsWith(QStringLiteral("HTTP/2 200")), qPrintable(h2.out + h2.err));
    QCOMPARE(servedBy(h2.out), QStringLiteral("api app internal"));

    // The snapshot shows the routes; each pool counted its own requests.
    bool listed = false;
    for (const ListenerView &l : engine.snapshot().listeners)
        listed = listed || (l.name == u"plain" && l.pool == config.pools[0].name && l.routes.size() == 2 && l.routes[1].prefix == u"/api/internal/");
    QVERIFY(listed);
}

// listeners[].routes[].prefix_rewrite: the servers behind /api/ answer under / (nginx's
// `location /api/ { proxy_pass http://api/; }`, httpd's `ProxyPass /api/ balancer://api/`). A
// server that reports the target it got (Python's http.server) checks each, over HTTP/1.1, an
// absolute-form target and HTTP/2; `fulcrumctl route` says the same path.
void TestTls::prefixRewriteGivesTheServersTheirOwnPath()
{
    HttpsServer api(QStringLiteral("api"), QStringLiteral("-"), QStringLiteral("-"));   // plain HTTP
    QVERIFY(api.ready());
    Config config = routedConfig({{QStringLiteral("api"), api.port()}}, {{"/api/", QStringLiteral("api"), {}, "/"},
                                                                         {"/v1/", QStringLiteral("api"), "shop.test", "/api/v1/"},
                                                                         {"/raw/", QStringLiteral("api")}});
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const auto [tlsPort, plainPort] = tlsAndPlainPorts(engine);
    const QString http = QStringLiteral("http://127.0.0.1:%1").arg(plainPort);
    const struct
    {
        QString host;
        QString path;
        QString target;   // what the server got; empty: not this server (the listener's pool)
    } cases[] = {
        {QStringLiteral("shop.test"), QStringLiteral("/api/orders?id=7&x=/api/"), QStringLiteral("/orders?id=7&x=/api/")},   // the query as sent
        {QStringLiteral("shop.test"), QStringLiteral("/api/"), QStringLiteral("/")},
        {QStringLiteral("shop.test"), QStringLiteral("/api/a/api/b"), QStringLiteral("/a/api/b")},                            // the prefix only, once
        {QStringLiteral("shop.test"), QStringLiteral("/%61pi/x"), QStringLiteral("/x")},                                     // as it was matched
        {QStringLiteral("shop.test"), QStringLiteral("/api/%61b/../c"), QStringLiteral("/c")},
        {QStringLiteral("shop.test"), QStringLiteral("/api/a%2Fb%20c"), QStringLiteral("/a%2Fb%20c")},                       // reserved and other escapes kept
        {QStringLiteral("shop.test"), QStringLiteral("/v1/items"), QStringLiteral("/api/v1/items")},                         // the host's route
        {QStringLiteral("Shop.Test:80"), QStringLiteral("/v1/items"), QStringLiteral("/api/v1/items")},
        {QStringLiteral("other.test"), QStringLiteral("/v1/items"), QString()},                                              // not that host's
        {QStringLiteral("shop.test"), QStringLiteral("/raw/x"), QStringLiteral("/raw/x")},                                   // a route without it: as sent
        {QStringLiteral("shop.test"), QStringLiteral("/api"), QString()},                                                    // not under the prefix
    };
    for (const auto &c : cases) {
        const ProgramRun run = curl({QStringLiteral("-i"), QStringLiteral("--path-as-is"), QStringLiteral("-H"), QStringLiteral("Host: %1").arg(c.host), http + c.path});
        QVERIFY2(run.out.startsWith(QStringLiteral("HTTP/1.1 200")), qPrintable(c.path + u'\n' + run.out + run.err));
        QVERIFY2(c.target.isEmpty() ? servedBy(run.out) == u"app" : servedBy(run.out) == u"api" && reportedTargets(run.out) == c.target,
                 qPrintable(c.host + c.path + u'\n' + run.out));
    }
    // Several on one kept-alive connection, an absolute-form target, and HTTP/2 streams.
    const ProgramRun kept = curl({QStringLiteral("-i"), QStringLiteral("-v"), http + QStringLiteral("/api/a"), http + QStringLiteral("/raw/b"), http + QStringLiteral("/api/c")});
    QCOMPARE(kept.err.count(QStringLiteral("Connected to")), 1);
    QCOMPARE(reportedTargets(kept.out), QStringLiteral("/a /raw/b /c"));
    QCOMPARE(reportedTargets(curl({QStringLiteral("-i"), QStringLiteral("--proxy"), http, QStringLiteral("http://shop.test/api/abs?q=1")}).out), QStringLiteral("/abs?q=1"));
    const QString https = QStringLiteral("https://shop.test:%1").arg(tlsPort);
    const ProgramRun h2 = curl({QStringLiteral("-i"), QStringLiteral("--http2"), QStringLiteral("--cacert"), m_certs->file(QStringLiteral("ca.pem")),
                                QStringLiteral("--resolve"), QStringLiteral("shop.test:%1:127.0.0.1").arg(tlsPort), https + QStringLiteral("/api/h2?x=1"),
                                https + QStringLiteral("/v1/h2"), https + QStringLiteral("/")});
    QVERIFY2(h2.out.startsWith(QStringLiteral("HTTP/2 200")), qPrintable(h2.out + h2.err));
    QCOMPARE(reportedTargets(h2.out), QStringLiteral("/h2?x=1 /api/v1/h2"));
    QCOMPARE(servedBy(h2.out), QStringLiteral("api api app"));

    // `fulcrumctl route` names the path the servers get, from the config file.
    QTemporaryDir dir;
    const QString configFile = dir.filePath(QStringLiteral("fulcrum.json"));
    {
        QFile file(configFile);
        config.listeners[0].port = tlsPort;
        config.listeners[1].port = plainPort;
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write(QJsonDocument(configToJson(config)).toJson()) > 0);
    }
    const ProgramRun route = runProgram(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("route"), QStringLiteral("http://shop.test:%1/%61pi/x?y=2").arg(plainPort),
                                                                                   QStringLiteral("--config"), configFile, QStringLiteral("--json")});
    const QJsonObject json = QJsonDocument::fromJson(route.out.toUtf8()).object();
    QVERIFY2(route.exitCode == 0 && json.value(QStringLiteral("path_to_server")).toString() == u"/x" && json.value(QStringLiteral("pool")).toString() == u"api"
                 && json.value(QStringLiteral("route")).toObject().value(QStringLiteral("prefix_rewrite")).toString() == u"/",
             qPrintable(route.out + route.err));

    // The snapshot shows it.
    bool listed = false;
    for (const ListenerView &l : engine.snapshot().listeners)
        listed = listed || (l.name == u"plain" && l.routes.size() == 3 && l.routes[0].prefixRewrite == u"/" && l.routes[1].prefixRewrite == u"/api/v1/");
    QVERIFY(listed);
}

// listeners[].routes with a host: name-based virtual hosts on one listener, as nginx's
// server_name blocks on one address. The most specific route wins: the host's own, then a
// "*." name's, then those without a host, then the listener's pool.
void TestTls::hostRoutesSendNamesToTheirPools()
{
    InProcessDemoBackend api(QStringLiteral("api"));
    InProcessDemoBackend admin(QStringLiteral("admin"));
    InProcessDemoBackend adminApi(QStringLiteral("admin-api"));
    InProcessDemoBackend assets(QStringLiteral("assets"));
    QVERIFY(api.isListening() && admin.isListening() && adminApi.isListening() && assets.isListening());
    const Config config = routedConfig({{QStringLiteral("api"), api.port()}, {QStringLiteral("admin"), admin.port()},
                                        {QStringLiteral("admin-api"), adminApi.port()}, {QStringLiteral("assets"), assets.port()}},
                                       {{"/api/", QStringLiteral("api")},
                                        {"", QStringLiteral("admin"), "admin.shop.test"},
                                        {"/api/", QStringLiteral("admin-api"), "admin.shop.test"},
                                        {"/static/", QStringLiteral("assets"), "*.shop.test"}});
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const auto [tlsPort, plainPort] = tlsAndPlainPorts(engine);
    const QString http = QStringLiteral("http://127.0.0.1:%1").arg(plainPort);

    const struct
    {
        QString host;
        QString path;
        QString pool;
    } cases[] = {
        {QStringLiteral("shop.test"), QStringLiteral("/"), QStringLiteral("app")},                    // no route names it ("*.shop.test" is the names under it)
        {QStringLiteral("shop.test"), QStringLiteral("/api/x"), QStringLiteral("api")},
        {QStringLiteral("admin.shop.test"), QStringLiteral("/"), QStringLiteral("admin")},            // a host's every path
        {QStringLiteral("ADMIN.Shop.Test:8080"), QStringLiteral("/cart"), QStringLiteral("admin")},  // any case, a port
        {QStringLiteral("admin.shop.test."), QStringLiteral("/cart"), QStringLiteral("admin")},      // a final dot
        {QStringLiteral("admin.shop.test"), QStringLiteral("/api/x"), QStringLiteral("admin-api")},  // the host's prefix before its every path and the host-less /api/
        {QStringLiteral("admin.shop.test"), QStringLiteral("/static/a.css"), QStringLiteral("admin")},   // the exact name before the "*." one
        {QStringLiteral("www.shop.test"), QStringLiteral("/static/a.css"), QStringLiteral("assets")},
        {QStringLiteral("a.b.shop.test"), QStringLiteral("/static/a.css"), QStringLiteral("assets")},    // any depth under it
        {QStringLiteral("www.shop.test"), QStringLiteral("/api/x"), QStringLiteral("api")},          // its "*." routes take none: on to those without a host
        {QStringLiteral("www.shop.test"), QStringLiteral("/cart"), QStringLiteral("app")},
        {QStringLiteral("www.shop.test"), QStringLiteral("/x/../static/a.css"), QStringLiteral("assets")},   // the path as the servers read it
        {QStringLiteral("xadmin.shop.test"), QStringLiteral("/"), QStringLiteral("app")},            // not a look-alike of the exact name
        {QStringLiteral("admin.shop.test.evil.example"), QStringLiteral("/"), QStringLiteral("app")},
        {QStringLiteral("evilshop.test"), QStringLiteral("/static/a.css"), QStringLiteral("app")},   // not under shop.test
        {QStringLiteral("[::1]:8080"), QStringLiteral("/"), QStringLiteral("app")},
    };
    for (const auto &c : cases) {
        const ProgramRun run = curl({QStringLiteral("-i"), QStringLiteral("--path-as-is"), QStringLiteral("-H"), QStringLiteral("Host: ") + c.host, http + c.path});
        QVERIFY2(servedBy(run.out) == c.pool, qPrintable(c.host + c.path + u'\n' + run.out + run.err));
    }
    // No Host at all (HTTP/1.0): the routes without a host.
    QCOMPARE(servedBy(curl({QStringLiteral("-i"), QStringLiteral("-0"), QStringLiteral("-H"), QStringLiteral("Host:"), http + QStringLiteral("/api/x")}).out),
             QStringLiteral("api"));
    // One kept-alive connection, its requests to different hosts' pools.
    const ProgramRun mixed = curl({QStringLiteral("-i"), QStringLiteral("-v"), QStringLiteral("-H"), QStringLiteral("Host: admin.shop.test"), http + QStringLiteral("/"),
                                   QStringLiteral("--next"), QStringLiteral("-i"), QStringLiteral("-v"), QStringLiteral("-H"), QStringLiteral("Host: shop.test"),
                                   http + QStringLiteral("/"), QStringLiteral("--next"), QStringLiteral("-i"), QStringLiteral("-v"), QStringLiteral("-H"),
                                   QStringLiteral("Host: admin.shop.test"), http + QStringLiteral("/api/1")});
    QCOMPARE(mixed.err.count(QStringLiteral("Connected to")), 1);
    QCOMPARE(servedBy(mixed.out), QStringLiteral("admin app admin-api"));
    // An absolute-form target names the host, whatever Host says (RFC 9112 3.2.2).
    QCOMPARE(servedBy(curl({QStringLiteral("-i"), QStringLiteral("--proxy"), http, QStringLiteral("-H"), QStringLiteral("Host: shop.test"),
                            QStringLiteral("http://admin.shop.test/api/x")}).out),
             QStringLiteral("admin-api"));
    // HTTP/2: :authority is the host asked for, stream by stream.
    const QString ca = m_certs->file(QStringLiteral("ca.pem"));
    const QString https = QStringLiteral("https://shop.test:%1").arg(tlsPort);
    const QString resolve = QStringLiteral("shop.test:%1:127.0.0.1").arg(tlsPort);
    const ProgramRun h2 = curl({QStringLiteral("-i"), QStringLiteral("--http2"), QStringLiteral("--cacert"), ca, QStringLiteral("--resolve"), resolve,
                                https + QStringLiteral("/api/a"), https + QStringLiteral("/static/b")});
    QVERIFY2(h2.out.startsWith(QStringLiteral("HTTP/2 200")), qPrintable(h2.out + h2.err));
    QCOMPARE(servedBy(h2.out), QStringLiteral("api app"));
    const ProgramRun h2admin = curl({QStringLiteral("-i"), QStringLiteral("--http2"), QStringLiteral("--cacert"), ca, QStringLiteral("--resolve"), resolve,
                                     QStringLiteral("-H"), QStringLiteral("Host: admin.shop.test"), https + QStringLiteral("/api/a"), https + QStringLiteral("/b")});
    QVERIFY2(h2admin.out.startsWith(QStringLiteral("HTTP/2 200")), qPrintable(h2admin.out + h2admin.err));
    QCOMPARE(servedBy(h2admin.out), QStringLiteral("admin-api admin"));

    // The snapshot shows the hosts.
    bool listed = false;
    for (const ListenerView &l : engine.snapshot().listeners) {
        listed = listed || (l.name == u"plain" && l.routes.size() == 4 && l.routes[1].host == u"admin.shop.test" && l.routes[1].prefix.isEmpty()
                            && l.routes[3].host == u"*.shop.test" && l.routes[3].prefix == u"/static/");
    }
    QVERIFY(listed);
}

// listeners[].routes: each prefix checked as clients send paths, its pool defined, none twice,
// none on a redirect listener; round-trips.
void TestTls::routesAreParsedAndChecked()
{
    const auto config = [](const QByteArray &routes) {
        return "{ \"pools\": [ { \"name\": \"shop\", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] }, "
               "{ \"name\": \"api\", \"servers\": [ { \"address\": \"127.0.0.1:2\" } ] } ], \"listeners\": [ "
               "{ \"name\": \"web\", \"listen\": \"127.0.0.1:8080\", \"pool\": \"shop\", \"routes\": " + routes + " } ] }";
    };
    const ConfigResult r = parseConfig(config("[ { \"prefix\": \"/api/\", \"pool\": \"api\" }, { \"prefix\": \"/api/cart/\", \"pool\": \"shop\" }, "
                                              "{ \"host\": \"Admin.Shop.Test\", \"pool\": \"api\" }, { \"host\": \"admin.shop.test\", \"prefix\": \"/api/\", \"pool\": \"shop\" }, "
                                              "{ \"host\": \"*.shop.test\", \"prefix\": \"/static/\", \"pool\": \"api\" }, "
                                              "{ \"prefix\": \"/v2/\", \"pool\": \"api\", \"prefix_rewrite\": \"/\" }, "
                                              "{ \"prefix\": \"/old/\", \"pool\": \"api\", \"prefix_rewrite\": \"/api/v1/\" } ]"),
                                       QStringLiteral("c.json"));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QCOMPARE(r.config->listeners[0].routes.size(), size_t(7));
    QCOMPARE(r.config->listeners[0].routes[5].prefixRewrite, QByteArray("/"));
    QCOMPARE(r.config->listeners[0].routes[6].prefixRewrite, QByteArray("/api/v1/"));
    QCOMPARE(r.config->listeners[0].routes[0].prefixRewrite, QByteArray());
    QCOMPARE(r.config->listeners[0].routes[2].host, QByteArray("admin.shop.test"));   // as Host is compared: any case
    QCOMPARE(r.config->listeners[0].routes[2].prefix, QByteArray());
    QCOMPARE(r.config->listeners[0].routes[4].host, QByteArray("*.shop.test"));
    QCOMPARE(r.config->listeners[0].routes[0].prefix, QByteArray("/api/"));
    QCOMPARE(r.config->listeners[0].routes[0].pool, QStringLiteral("api"));
    const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
    QVERIFY2(again.ok(), qPrintable(again.errorText()));
    QVERIFY(again.config->listeners == r.config->listeners);
    const struct
    {
        QByteArray routes;
        QString error;
    } refused[] = {
        {"[ { \"prefix\": \"/api/\", \"pool\": \"nowhere\" } ]", QStringLiteral("listener \"web\" routes /api/ to pool \"nowhere\", which is not defined")},
        {"[ { \"prefix\": \"/\", \"pool\": \"api\" } ]", QStringLiteral("route prefix \"/\" is every path; that is the listener's own \"pool\"")},
        {"[ { \"prefix\": \"api/\", \"pool\": \"api\" } ]", QStringLiteral("route prefix \"api/\" must start with \"/\"")},
        {"[ { \"prefix\": \"/a/../b\", \"pool\": \"api\" } ]", QStringLiteral("holds the dot segment \"..\"")},
        {"[ { \"prefix\": \"/api/\", \"pool\": \"api\" }, { \"prefix\": \"/api/\", \"pool\": \"shop\" } ]", QStringLiteral("route \"/api/\" is given twice")},
        {"[ { \"host\": \"api.shop.test\", \"pool\": \"api\" }, { \"host\": \"API.shop.test\", \"pool\": \"shop\" } ]",
         QStringLiteral("route \"api.shop.test\" is given twice")},
        {"[ { \"host\": \"api.shop.test:443\", \"pool\": \"api\" } ]", QStringLiteral("route host \"api.shop.test:443\" holds a port")},
        {"[ { \"host\": \"api.*.test\", \"pool\": \"api\" } ]", QStringLiteral("holds \"*\" other than as its first label")},
        {"[ { \"host\": \"*shop.test\", \"pool\": \"api\" } ]", QStringLiteral("holds \"*\" other than as its first label")},
        {"[ { \"host\": \"shop..test\", \"pool\": \"api\" } ]", QStringLiteral("an empty label")},
        {"[ { \"host\": \"shop_test\", \"pool\": \"api\" } ]", QStringLiteral("holds \"_\"")},
        {"[ { \"host\": \"\", \"pool\": \"api\" } ]", QStringLiteral("route host \"\" is empty")},
        {"[ { \"host\": \"api.shop.test\", \"prefix\": \"/\", \"pool\": \"api\" } ]", QStringLiteral("leave \"prefix\" out for every path of the host")},
        {"[ { \"host\": \"api.shop.test\", \"prefix\": \"\", \"pool\": \"api\" } ]", QStringLiteral("has an empty \"prefix\"")},
        {"[ { \"host\": \"api.shop.test\", \"pool\": \"nowhere\" } ]", QStringLiteral("routes api.shop.test to pool \"nowhere\"")},
        {"[ { \"pool\": \"api\" } ]", QStringLiteral("route 0 needs \"prefix\"")},
        {"[ { \"prefix\": \"/api/\" } ]", QStringLiteral("route 0 needs \"pool\"")},
        {"[ { \"prefix\": \"/api/\", \"pool\": \"api\", \"strip\": true } ]", QStringLiteral("unknown key \"strip\" in route")},
        {"{ \"prefix\": \"/api/\" }", QStringLiteral("listener \"web\" routes must be an array")},
        {"[ { \"host\": \"api.shop.test\", \"pool\": \"api\", \"prefix_rewrite\": \"/\" } ]",
         QStringLiteral("route 0 has \"prefix_rewrite\" but no \"prefix\" to put it in place of")},
        {"[ { \"prefix\": \"/api/\", \"pool\": \"api\", \"prefix_rewrite\": \"v2/\" } ]", QStringLiteral("route prefix_rewrite \"v2/\" must start with \"/\"")},
        {"[ { \"prefix\": \"/api/\", \"pool\": \"api\", \"prefix_rewrite\": \"/a/../b/\" } ]", QStringLiteral("holds the dot segment \"..\"")},
        {"[ { \"prefix\": \"/api/\", \"pool\": \"api\", \"prefix_rewrite\": \"/v2?x=1\" } ]", QStringLiteral("holds \"?\"")},
        {"[ { \"prefix\": \"/api/\", \"pool\": \"api\", \"prefix_rewrite\": \"\" } ]", QStringLiteral("route prefix_rewrite \"\" must start with \"/\"")},
        {"[ { \"prefix\": \"/api/\", \"pool\": \"api\", \"prefix_rewrite\": 1 } ]", QStringLiteral("prefix_rewrite")},
    };
    for (const auto &c : refused) {
        const ConfigResult bad = parseConfig(config(c.routes), QStringLiteral("c.json"));
        QVERIFY2(!bad.ok(), c.routes.constData());
        QVERIFY2(bad.errorText().contains(u"c.json:1:") && bad.errorText().contains(c.error), qPrintable(bad.errorText()));
    }
}

void TestTls::handshakeFiguresAndExpiryAreReported()
{
    // A certificate that ends in 5 days: a warning event at start, and its end in the figures.
    // Made at this process's "now" (a run under faketime is a year ahead).
    QString error;
    QVERIFY2(m_certs->makeSigned(QStringLiteral("ending"), QStringLiteral("ca"), QStringLiteral("serverAuth"), &error, 5,
                                 QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")), QStringLiteral("DNS:shop.test,IP:127.0.0.1")),
             qPrintable(error));
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(tlsConfig({loopbackServer(QStringLiteral("app"), m_backend->port())}, {certificate(*m_certs, QStringLiteral("ending"))}), &errors),
             qPrintable(errors.join(u'\n')));
    const QList<EngineEvent> events = engine.recentEvents();
    QVERIFY(std::any_of(events.begin(), events.end(), [](const EngineEvent &e) {
        return e.severity == EngineEvent::Warning && e.text.contains(QStringLiteral("in less than 14 days: renew it and reload"));
    }));
    const quint16 port = proxyPort(engine);
    const QString ca = m_certs->file(QStringLiteral("ca.pem"));
    // Two good handshakes; a plain HTTP request; a client that does not trust the certificate.
    for (int i = 0; i < 2; ++i) {
        const ProgramRun run = curl({QStringLiteral("--cacert"), ca, QStringLiteral("https://127.0.0.1:%1/").arg(port)}, true);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    }
    QVERIFY(curl({QStringLiteral("http://127.0.0.1:%1/").arg(port)}, true).out.contains(QStringLiteral("use https://")));
    QVERIFY(curl({QStringLiteral("https://127.0.0.1:%1/").arg(port)}, true).exitCode != 0);   // the system's CAs do not know the test CA
    const auto listener = [&engine] { return engine.snapshot().listeners.front(); };
    QTRY_VERIFY_WITH_TIMEOUT(listener().tlsFailures == 2 && listener().tlsHandshakes == 2, 10'000);
    QVERIFY2(listener().tlsLastFailure.contains(QStringLiteral("unknown ca")), qPrintable(listener().tlsLastFailure));
    QVERIFY(listener().tlsLastFailureMs > 0);
    const qint64 daysLeft = (listener().tlsExpiresMs - QDateTime::currentMSecsSinceEpoch()) / 86'400'000;
    QVERIFY2(daysLeft >= 4 && daysLeft <= 5, qPrintable(QString::number(daysLeft)));
}

void TestTls::webSocketWorksOverTls()
{
    // wss:// from a real client library through the TLS listener to a plain WebSocket server.
    ScriptServer server(QStringLiteral(FULCRUM_SOURCE_DIR "/tests/support/ws/ws_server.py"), {QStringLiteral("ws1")});
    QVERIFY(server.ready(QStringLiteral("python3-websockets")));
    Config config = tlsConfig({loopbackServer(QStringLiteral("ws1"), server.port())}, {certificate(*m_certs, QStringLiteral("shop"))});
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    const ProgramRun run = runProgram(QStringLiteral("/usr/bin/python3"),
                                      {QStringLiteral(FULCRUM_SOURCE_DIR "/tests/support/ws/wss_client.py"),
                                       QStringLiteral("wss://127.0.0.1:%1/chat").arg(proxyPort(engine)), m_certs->file(QStringLiteral("ca.pem"))},
                                      componentEnvironment(), {}, 30'000);
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QCOMPARE(run.out, QStringLiteral("hello ws1\norder 42 shipped\n200000\n"));
}

void TestTls::badFilesAreConfigErrorsAtTheirKey()
{
    const auto parse = [this](const QString &tls) {
        const QByteArray text = QStringLiteral(R"({
  "pools": [{"name": "web", "servers": [{"address": "127.0.0.1:8081"}]}],
  "listeners": [{"listen": "127.0.0.1:8443", "pool": "web",
                 "tls": %1}]
}
)").arg(tls).toUtf8();
        return parseConfig(text, QStringLiteral("shop.json"));
    };
    const QString shopChain = m_certs->file(QStringLiteral("shop-chain.pem"));
    const QString shopKey = m_certs->file(QStringLiteral("shop.key"));
    const QString payKey = m_certs->file(QStringLiteral("pay.key"));
    ConfigResult result = parse(QStringLiteral(R"({"cert": "%1", "key": "%2"})").arg(shopChain, shopKey));
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    QCOMPARE(result.config->listeners.front().tls.certificates.size(), size_t(1));
    // Written back (fulcrumctl import, round trips), every TLS setting survives.
    result = parse(QStringLiteral(R"({"certificates": [{"cert": "%1", "key": "%2"}, {"cert": "%3", "key": "%4"}],
                 "min_version": "1.3", "ticket_key_rotation": "2h", "session_tickets": false})")
                       .arg(shopChain, shopKey, m_certs->file(QStringLiteral("pay-chain.pem")), payKey));
    QVERIFY2(result.ok(), qPrintable(result.errorText()));
    result.config->pools.front().servers.front().tls = BackendTls{true, m_certs->file(QStringLiteral("ca.pem")), QStringLiteral("app.internal"), false, {}, {}};
    const ConfigResult again = parseConfig(QJsonDocument(configToJson(*result.config)).toJson(), QStringLiteral("again.json"));
    QVERIFY2(again.ok(), qPrintable(again.errorText()));
    QVERIFY(again.config->listeners.front().tls == result.config->listeners.front().tls);
    QVERIFY(again.config->pools.front().servers.front().tls == result.config->pools.front().servers.front().tls);
    QCOMPARE(again.config->listeners.front().tls.minVersion, 13);

    // A key of another certificate: at "key", naming both files.
    result = parse(QStringLiteral(R"({"cert": "%1",
                 "key": "%2"})").arg(shopChain, payKey));
    QVERIFY(!result.ok());
    QCOMPARE(result.errors.size(), 1);
    QCOMPARE(result.errors.front().line, 5);
    QVERIFY2(result.errors.front().message.contains(QStringLiteral("does not belong to the certificate")) && result.errors.front().message.contains(payKey),
             qPrintable(result.errorText()));
    // A missing certificate file, in a list: at that entry's "cert".
    result = parse(QStringLiteral(R"({"certificates": [{"cert": "%1", "key": "%2"},
                 {"cert": "/nonexistent/x.pem", "key": "%2"}]})").arg(shopChain, shopKey));
    QVERIFY(!result.ok());
    QCOMPARE(result.errors.front().line, 5);
    QVERIFY2(result.errors.front().message.contains(QStringLiteral("/nonexistent/x.pem")), qPrintable(result.errorText()));
    // A key others may read.
    const QString openKey = m_dir.filePath(QStringLiteral("open.key"));
    QFile::remove(openKey);
    QVERIFY(QFile::copy(shopKey, openKey));
    QFile::setPermissions(openKey, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther);
    result = parse(QStringLiteral(R"({"cert": "%1", "key": "%2"})").arg(shopChain, openKey));
    QVERIFY(!result.ok());
    QVERIFY2(result.errorText().contains(QStringLiteral("chmod 600")), qPrintable(result.errorText()));
    // An OCSP response that is not one; old versions; an unknown cipher list.
    const QString notOcsp = m_dir.filePath(QStringLiteral("not-ocsp.der"));
    QVERIFY(writeFile(notOcsp, "garbage"));
    result = parse(QStringLiteral(R"({"cert": "%1", "key": "%2", "ocsp_response": "%3"})").arg(shopChain, shopKey, notOcsp));
    QVERIFY2(!result.ok() && result.errorText().contains(QStringLiteral("is not a DER OCSP response")), qPrintable(result.errorText()));
    result = parse(QStringLiteral(R"({"cert": "%1", "key": "%2", "min_version": "1.1"})").arg(shopChain, shopKey));
    QVERIFY2(!result.ok() && result.errorText().contains(QStringLiteral("RFC 8996")), qPrintable(result.errorText()));
    result = parse(QStringLiteral(R"({"cert": "%1", "key": "%2", "ciphers": "NOT-A-CIPHER"})").arg(shopChain, shopKey));
    QVERIFY2(!result.ok() && result.errorText().contains(QStringLiteral("no cipher in \"NOT-A-CIPHER\"")), qPrintable(result.errorText()));
    // A server's CA file that does not exist.
    const QByteArray serverTls = R"({
  "pools": [{"name": "web",
             "servers": [{"address": "127.0.0.1:8081", "tls": {"ca": "/nonexistent/ca.pem"}}]}],
  "listeners": [{"listen": "127.0.0.1:8443", "pool": "web"}]
}
)";
    result = parseConfig(serverTls, QStringLiteral("shop.json"));
    QVERIFY(!result.ok());
    QCOMPARE(result.errors.front().line, 3);
    QVERIFY2(result.errorText().contains(QStringLiteral("/nonexistent/ca.pem")), qPrintable(result.errorText()));
}

void TestTls::sighupSwapsTheCertificateAndKeepsConnections()
{
    // fulcrumd serves copies of the shop certificate and key at fixed paths.
    const QString cert = m_dir.filePath(QStringLiteral("live.pem"));
    const QString key = m_dir.filePath(QStringLiteral("live.key"));
    QVERIFY(writeFile(cert, readFile(m_certs->file(QStringLiteral("shop-chain.pem")))));
    QVERIFY(writeFile(key, readFile(m_certs->file(QStringLiteral("shop.key")))));
    QFile::setPermissions(key, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const quint16 port = freeLoopbackPort();
    const QString configPath = m_dir.filePath(QStringLiteral("fulcrumd.json"));
    QVERIFY(writeFile(configPath, QStringLiteral(R"({
  "listeners": [{"name": "https", "listen": "127.0.0.1:%1", "pool": "web", "tls": {"cert": "%2", "key": "%3"}}],
  "pools": [{"name": "web", "health_check": {"enabled": false}, "servers": [{"name": "app", "address": "127.0.0.1:%4"}]}],
  "proxy": {"workers": 2, "stop_timeout": "2s"}
}
)").arg(port).arg(cert, key).arg(m_backend->port()).toUtf8()));
    QProcess fulcrumd;
    tieToParent(fulcrumd, SIGKILL);
    fulcrumd.start(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--config"), configPath});
    QString log;
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("listening on"), &log), qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("(https)")), qPrintable(log));
    QCOMPARE(servedName(port, QStringLiteral("shop.test")), QStringLiteral("shop"));

    // A kept-alive HTTPS connection, made before the swap.
    QSslSocket client;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(m_certs->file(QStringLiteral("ca.pem"))));
    client.setSslConfiguration(tls);
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    QVERIFY2(client.waitForEncrypted(10'000), qPrintable(client.errorString()));
    QVERIFY(exchange(client, "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n").startsWith("HTTP/1.1 200"));

    // A renewal written by a broken script: the key of another certificate. The reload is
    // refused and the old certificate still served.
    QVERIFY(writeFile(cert, readFile(m_certs->file(QStringLiteral("renewed-chain.pem")))));
    ::kill(pid_t(fulcrumd.processId()), SIGHUP);
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("rejected"), &log), qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("does not belong to the certificate")), qPrintable(log));
    QCOMPARE(servedName(port, QStringLiteral("shop.test")), QStringLiteral("shop"));

    // The right key: the reload takes, new connections get the renewed certificate, and the
    // connection made before goes on.
    QVERIFY(writeFile(key, readFile(m_certs->file(QStringLiteral("renewed.key")))));
    log.clear();
    ::kill(pid_t(fulcrumd.processId()), SIGHUP);
    QVERIFY2(waitForStderr(fulcrumd, QStringLiteral("reloaded"), &log), qPrintable(log));
    QCOMPARE(servedName(port, QStringLiteral("shop.test")), QStringLiteral("renewed"));
    QVERIFY(client.state() == QAbstractSocket::ConnectedState);
    const QByteArray again = exchange(client, "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n");
    QVERIFY2(again.startsWith("HTTP/1.1 200"), again.constData());
    stopProcess(fulcrumd);
}

namespace {

// The engine's latest view of one server's health checks.
const ServerHealth *healthOf(const Engine &engine, const QString &server)
{
    const EngineSnapshot &snapshot = engine.snapshot();
    if (snapshot.pools.empty())
        return nullptr;
    const ServerSnapshot *s = snapshot.pools.front().server(server);
    return s ? &s->health : nullptr;
}

} // namespace

void TestTls::serversAreReachedOverVerifiedTls()
{
    HttpsServer backend(QStringLiteral("secure"), m_certs->file(QStringLiteral("backend-chain.pem")), m_certs->file(QStringLiteral("backend.key")));
    QVERIFY(backend.ready());
    BackendSpec server = loopbackServer(QStringLiteral("secure"), backend.port());
    server.tls.enabled = true;
    server.tls.caFile = m_certs->file(QStringLiteral("ca.pem"));
    // HTTP health checks go over TLS too, verified the same way (the server answers any path).
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(fastCheckedPoolConfig({server}), &errors), qPrintable(errors.join(u'\n')));
    QTRY_VERIFY_WITH_TIMEOUT(healthOf(engine, QStringLiteral("secure")) && healthOf(engine, QStringLiteral("secure"))->lastCheck.reason == CheckReason::L7OK
                                 && healthOf(engine, QStringLiteral("secure"))->checks >= 3,
                             10'000);
    QCOMPARE(healthOf(engine, QStringLiteral("secure"))->state, QStringLiteral("up"));
    // Plain HTTP in, verified HTTPS out; kept alive across requests.
    for (int i = 0; i < 3; ++i) {
        const ProgramRun run = curl({QStringLiteral("http://127.0.0.1:%1/").arg(proxyPort(engine))});
        QVERIFY2(run.exitCode == 0 && run.out == QStringLiteral("hello secure proto=http\n"), qPrintable(run.out + run.err));
    }
}

namespace {

// What a GET of / through the proxy on `port` answers (the HTTPS servers say their name).
QString answerAt(quint16 port)
{
    return curl({QStringLiteral("http://127.0.0.1:%1/").arg(port)}).out;
}

// The real nginx serving `conf` from `prefix` for as long as this lives; at the end SIGTERM,
// nginx's fast shutdown, whatever the test's outcome: the master stops its workers (QProcess's
// own kill at destruction would leave them running).
class RealNginx
{
public:
    RealNginx(const QString &prefix, const QString &conf)
    {
        m_nginx.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_nginx.setProcessEnvironment(componentEnvironment());
        tieToParent(m_nginx, SIGTERM);
        m_nginx.start(QStringLiteral("/usr/sbin/nginx"), {QStringLiteral("-p"), prefix + u'/', QStringLiteral("-c"), conf, QStringLiteral("-g"), QStringLiteral("daemon off;")});
    }
    ~RealNginx()
    {
        m_nginx.terminate();
        m_nginx.waitForFinished(10'000);
    }
    bool started() { return m_nginx.waitForStarted(); }

private:
    QProcess m_nginx;
};

// An nginx.conf in `dir` for RealNginx (its pid, temp files and log there) around the http
// block's `body`; the file's path.
QString writeNginxConf(const QTemporaryDir &dir, const QString &body)
{
    const QString path = dir.filePath(QStringLiteral("nginx.conf"));
    writeFile(path, QStringLiteral("pid %1/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n access_log off;\n client_body_temp_path %1/body;\n proxy_temp_path %1/proxy;\n")
                            .arg(dir.path())
                            .toUtf8()
                        + body.toUtf8() + "}\n");
    return path;
}

// What `import-nginx` made of `conf`, as fulcrumd reads it back (written, then parsed), started in
// `engine` (callers check QTest::currentTestFailed()).
void startImportedNginx(Engine &engine, const QString &conf)
{
    const NginxImportResult imported = importNginx(readFile(conf), conf);
    QVERIFY2(imported.ok(), qPrintable(imported.errors.join(u'\n')));
    const ConfigResult written = parseConfig(QJsonDocument(configToJson(imported.config)).toJson(), QStringLiteral("imported.json"));
    QVERIFY2(written.ok(), qPrintable(written.errorText()));
    QStringList errors;
    QVERIFY2(engine.start(*written.config, &errors), qPrintable(errors.join(u'\n')));
}

// The real nginx serving `conf` from `prefix`, then an engine serving its import: `served()` is
// `expected` through both.
void answersAlikeThroughNginxAndItsImport(const QString &prefix, const QString &conf, const std::function<QString()> &served, const QString &expected)
{
    {
        RealNginx nginx(prefix, conf);
        QVERIFY(nginx.started());
        QTRY_COMPARE_WITH_TIMEOUT(served(), expected, 10'000);
    }
    Engine engine;
    startImportedNginx(engine, conf);
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE_WITH_TIMEOUT(served(), expected, 10'000);
}

// An imported config as fulcrumd reads it back (written, then parsed), served by an engine: its
// two listeners answer as the real server did before the same HTTPS servers, "secure" and
// "expired", with fulcrumd's X-Forwarded-Proto.
void servesAsImported(const Config &imported, quint16 first, quint16 second)
{
    const ConfigResult written = parseConfig(QJsonDocument(configToJson(imported)).toJson(), QStringLiteral("imported.json"));
    QVERIFY2(written.ok(), qPrintable(written.errorText()));
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(*written.config, &errors), qPrintable(errors.join(u'\n')));
    QTRY_COMPARE_WITH_TIMEOUT(answerAt(first), QStringLiteral("hello secure proto=http\n"), 10'000);
    QCOMPARE(answerAt(second), QStringLiteral("hello expired proto=http\n"));
}

} // namespace

// nginx's `proxy_pass https://`: before 2026-12-06 the import dropped the scheme and sent plain
// HTTP to TLS servers. The real nginx serves the config first (one server block verifying its
// server against a CA, one not verifying a server whose certificate has expired, as nginx does
// by default), then the engine serves what `import-nginx` made of it, before the same servers.
void TestTls::nginxImportKeepsTlsToTheServers()
{
    if (!QFile::exists(QStringLiteral("/usr/sbin/nginx")))
        QSKIP("nginx is not installed (scripts/packages.txt lists nginx-light)");
    // nginx checks a server's name as a DNS name (proxy_ssl_name), never as an IP address.
    HttpsServer verified(QStringLiteral("secure"), m_certs->file(QStringLiteral("shop-chain.pem")), m_certs->file(QStringLiteral("shop.key")));
    HttpsServer expired(QStringLiteral("expired"), m_certs->file(QStringLiteral("expired-chain.pem")), m_certs->file(QStringLiteral("expired.key")));
    QVERIFY(verified.ready() && expired.ready());
    QTemporaryDir dir;
    const quint16 first = freeLoopbackPort();
    const quint16 second = freeLoopbackPort();
    const QString conf = writeNginxConf(dir, QStringLiteral(" server {\n  listen 127.0.0.1:%1;\n  location / {\n   proxy_pass https://127.0.0.1:%3;\n   proxy_ssl_verify on;\n"
                              "   proxy_ssl_trusted_certificate %5;\n   proxy_ssl_name shop.test;\n  }\n }\n"
                              " server {\n  listen 127.0.0.1:%2;\n  location / { proxy_pass https://127.0.0.1:%4; }\n }\n")
                   .arg(first)
                   .arg(second)
                   .arg(verified.port())
                   .arg(expired.port())
                   .arg(m_certs->file(QStringLiteral("ca.pem"))));
    {
        RealNginx nginx(dir.path(), conf);
        QVERIFY(nginx.started());
        QTRY_COMPARE_WITH_TIMEOUT(answerAt(first), QStringLiteral("hello secure proto=-\n"), 10'000);
        QCOMPARE(answerAt(second), QStringLiteral("hello expired proto=-\n"));
    }
    const NginxImportResult imported = importNginx(readFile(conf), conf);
    QVERIFY2(imported.ok(), qPrintable(imported.errors.join(u'\n')));
    QCOMPARE(imported.config.pools.size(), size_t(2));
    const BackendTls &checked = imported.config.pools[0].servers[0].tls;
    QVERIFY(checked.enabled && checked.verify);
    QCOMPARE(checked.caFile, m_certs->file(QStringLiteral("ca.pem")));
    QCOMPARE(checked.serverName, QStringLiteral("shop.test"));
    const BackendTls &unchecked = imported.config.pools[1].servers[0].tls;
    QVERIFY(unchecked.enabled && !unchecked.verify);
    QVERIFY2(imported.notes.join(u'\n').contains(QStringLiteral("without checking their certificates, as nginx did")), qPrintable(imported.notes.join(u'\n')));
    servesAsImported(imported.config, first, second);
}

// The port-80 block of an HTTPS shop, `return 301 https://$host$request_uri`, with the ACME
// challenge proxied to certbot standalone: the real nginx answers it first, then the engine
// serves what `import-nginx` made of the config, a redirect listener to the TLS listener, which
// curl follows to the server's page, and whose except path reaches certbot.
void TestTls::nginxRedirectToHttpsIsServedAsImported()
{
    if (!QFile::exists(QStringLiteral("/usr/sbin/nginx")))
        QSKIP("nginx is not installed (scripts/packages.txt lists nginx-light)");
    InProcessDemoBackend certbot(QStringLiteral("certbot"));
    QVERIFY(certbot.isListening());
    const auto challengeAnswer = [](quint16 port) {
        const ProgramRun run = curl({QStringLiteral("-i"), QStringLiteral("http://127.0.0.1:%1/.well-known/acme-challenge/Tok3n").arg(port)});
        return run.out.startsWith(QStringLiteral("HTTP/1.1 200")) && servedBy(run.out) == u"certbot";
    };
    QTemporaryDir dir;
    const quint16 plain = freeLoopbackPort();
    const quint16 secure = freeLoopbackPort();
    const QString conf = writeNginxConf(dir, QStringLiteral(" upstream shop { server 127.0.0.1:%3; }\n"
                              " server {\n  listen 127.0.0.1:%1;\n  server_name shop.test;\n"
                              "  location /.well-known/acme-challenge/ { proxy_pass http://127.0.0.1:%6; }\n"
                              "  location / { return 301 https://$host$request_uri; }\n }\n"
                              " server {\n  listen 127.0.0.1:%2 ssl;\n  ssl_certificate %4;\n  ssl_certificate_key %5;\n"
                              "  location / { proxy_pass http://shop; proxy_set_header Host $host; }\n }\n")
                   .arg(plain)
                   .arg(secure)
                   .arg(m_backend->port())
                   .arg(m_certs->file(QStringLiteral("shop-chain.pem")), m_certs->file(QStringLiteral("shop.key")))
                   .arg(certbot.port()));
    const QString path = QStringLiteral("/cart?id=7");
    {
        RealNginx nginx(dir.path(), conf);
        QVERIFY(nginx.started());
        // nginx's $host has no port: its Location names https's own, 443.
        QTRY_VERIFY_WITH_TIMEOUT(curl({QStringLiteral("-i"), QStringLiteral("http://127.0.0.1:%1%2").arg(plain).arg(path)})
                                     .out.contains(QStringLiteral("\r\nLocation: https://127.0.0.1%1\r\n").arg(path)),
                                 10'000);
        QVERIFY(challengeAnswer(plain));
    }
    Engine engine;
    startImportedNginx(engine, conf);
    if (QTest::currentTestFailed())
        return;
    // Fulcrum's names the TLS listener's port (not 443 here); the same host, path and query.
    const ProgramRun redirected = curl({QStringLiteral("-i"), QStringLiteral("http://127.0.0.1:%1%2").arg(plain).arg(path)});
    QVERIFY2(redirected.out.startsWith(QStringLiteral("HTTP/1.1 301")), qPrintable(redirected.out + redirected.err));
    QVERIFY2(redirected.out.contains(QStringLiteral("\r\nLocation: https://127.0.0.1:%1%2\r\n").arg(secure).arg(path)), qPrintable(redirected.out));
    const ProgramRun followed = curl({QStringLiteral("-L"), QStringLiteral("--cacert"), m_certs->file(QStringLiteral("ca.pem")), QStringLiteral("-o"),
                                      QStringLiteral("/dev/null"), QStringLiteral("-w"), QStringLiteral("%{http_code} %{url_effective}"),
                                      QStringLiteral("http://127.0.0.1:%1%2").arg(plain).arg(path)});
    QCOMPARE(followed.out, QStringLiteral("200 https://127.0.0.1:%1%2").arg(secure).arg(path));
    QVERIFY(challengeAnswer(plain));
}

// A shop's nginx sending /api/ to another upstream than /: the real nginx answers first, then
// the engine serves what `import-nginx` made of it (a route), before the same servers.
void TestTls::nginxLocationsAreServedAsImportedRoutes()
{
    if (!QFile::exists(QStringLiteral("/usr/sbin/nginx")))
        QSKIP("nginx is not installed (scripts/packages.txt lists nginx-light)");
    InProcessDemoBackend api(QStringLiteral("api"));
    QVERIFY(api.isListening());
    QTemporaryDir dir;
    const quint16 port = freeLoopbackPort();
    const QString conf = writeNginxConf(dir, QStringLiteral(" upstream web { server 127.0.0.1:%2; }\n upstream api { server 127.0.0.1:%3; }\n"
                              " server {\n  listen 127.0.0.1:%1;\n  location / { proxy_pass http://web; proxy_set_header Host $host; }\n"
                              "  location /api/ { proxy_pass http://api; proxy_set_header Host $host; }\n }\n")
                   .arg(port)
                   .arg(m_backend->port())
                   .arg(api.port()));
    // Which server answered each path, on one connection.
    const auto served = [port]() {
        return servedBy(curl({QStringLiteral("-i"), QStringLiteral("http://127.0.0.1:%1/").arg(port), QStringLiteral("http://127.0.0.1:%1/api/orders").arg(port),
                              QStringLiteral("http://127.0.0.1:%1/cart").arg(port)})
                            .out);
    };
    {
        RealNginx nginx(dir.path(), conf);
        QVERIFY(nginx.started());
        QTRY_COMPARE_WITH_TIMEOUT(served(), QStringLiteral("app api app"), 10'000);
    }
    Engine engine;
    startImportedNginx(engine, conf);
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE_WITH_TIMEOUT(served(), QStringLiteral("app api app"), 10'000);
}

// Name-based virtual hosts: three server blocks on one address told apart by server_name (one
// with a location of its own, one a ".name" for the name and every name under it). Until
// 2026-12-07 the import noted the later blocks and sent every host to the first block's pool.
void TestTls::nginxServerNamesAreServedAsImportedHostRoutes_data()
{
    QTest::addColumn<QString>("adminListen");   // what the third block's listen adds
    QTest::addColumn<QString>("expected");      // which server answered each host and path, as nginx
    // The first block is nginx's default server, then a later one is.
    QTest::newRow("first block default") << QString() << QStringLiteral("app api api admin app app api api app");
    QTest::newRow("later default_server") << QStringLiteral(" default_server") << QStringLiteral("app api api admin app admin api admin app");
}

void TestTls::nginxServerNamesAreServedAsImportedHostRoutes()
{
    if (!QFile::exists(QStringLiteral("/usr/sbin/nginx")))
        QSKIP("nginx is not installed (scripts/packages.txt lists nginx-light)");
    QFETCH(QString, adminListen);
    QFETCH(QString, expected);
    InProcessDemoBackend api(QStringLiteral("api"));
    InProcessDemoBackend admin(QStringLiteral("admin"));
    QVERIFY(api.isListening() && admin.isListening());
    QTemporaryDir dir;
    const quint16 port = freeLoopbackPort();
    const QString conf = writeNginxConf(dir, QStringLiteral(" upstream web { server 127.0.0.1:%2; }\n upstream api { server 127.0.0.1:%3; }\n"
                                                            " upstream admin { server 127.0.0.1:%4; }\n"
                                                            " server {\n  listen 127.0.0.1:%1;\n  server_name shop.test;\n"
                                                            "  location / { proxy_pass http://web; proxy_set_header Host $host; }\n"
                                                            "  location /api/ { proxy_pass http://api; proxy_set_header Host $host; }\n }\n"
                                                            " server {\n  listen 127.0.0.1:%1;\n  server_name .api.shop.test;\n"
                                                            "  location / { proxy_pass http://api; proxy_set_header Host $host; }\n }\n"
                                                            " server {\n  listen 127.0.0.1:%1%5;\n  server_name admin.shop.test;\n"
                                                            "  location / { proxy_pass http://admin; proxy_set_header Host $host; }\n"
                                                            "  location /static/ { proxy_pass http://web; proxy_set_header Host $host; }\n }\n")
                                                 .arg(port)
                                                 .arg(m_backend->port())
                                                 .arg(api.port())
                                                 .arg(admin.port())
                                                 .arg(adminListen));
    // Which server answered each host and path.
    const auto served = [port]() {
        QStringList by;
        for (const auto &[host, path] : {std::pair{"shop.test", "/"}, std::pair{"api.shop.test", "/orders"}, std::pair{"v2.api.shop.test", "/x"},
                                         std::pair{"Admin.Shop.Test", "/"}, std::pair{"admin.shop.test", "/static/a.css"}, std::pair{"other.test", "/"},
                                         std::pair{"shop.test", "/api/x"}, std::pair{"other.test", "/api/x"}, std::pair{"other.test", "/static/x"}}) {
            by << servedBy(curl({QStringLiteral("-i"), QStringLiteral("-H"), QStringLiteral("Host: %1").arg(QLatin1StringView(host)),
                                 QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(QLatin1StringView(path))})
                               .out);
        }
        return by.join(u' ');
    };
    answersAlikeThroughNginxAndItsImport(dir.path(), conf, served, expected);
}

// nginx's `location /api/ { proxy_pass http://api/; }` sends /api/x to the servers as /x: the
// real nginx, then the engine serving its import (routes with prefix_rewrite), before a server
// that reports the target it got, answer the same host and path pairs alike.
void TestTls::nginxRewrittenLocationsReachTheServersAlike()
{
    if (!QFile::exists(QStringLiteral("/usr/sbin/nginx")))
        QSKIP("nginx is not installed (scripts/packages.txt lists nginx-light)");
    HttpsServer api(QStringLiteral("api"), QStringLiteral("-"), QStringLiteral("-"));
    QVERIFY(api.ready());
    QTemporaryDir dir;
    const quint16 port = freeLoopbackPort();
    const QString conf = writeNginxConf(dir, QStringLiteral(" upstream web { server 127.0.0.1:%2; }\n upstream api { server 127.0.0.1:%3; }\n"
                                                            " server {\n  listen 127.0.0.1:%1;\n  server_name shop.test;\n"
                                                            "  location / { proxy_pass http://web; proxy_set_header Host $host; }\n"
                                                            "  location /api/ { proxy_pass http://api/; proxy_set_header Host $host; }\n"
                                                            "  location /old/ { proxy_pass http://api/api/v1/; proxy_set_header Host $host; }\n"
                                                            "  location /raw/ { proxy_pass http://api; proxy_set_header Host $host; }\n }\n"
                                                            " server {\n  listen 127.0.0.1:%1;\n  server_name admin.shop.test;\n"
                                                            "  location / { proxy_pass http://web; proxy_set_header Host $host; }\n"
                                                            "  location /v2/ { proxy_pass http://api/; proxy_set_header Host $host; }\n }\n")
                                                 .arg(port)
                                                 .arg(m_backend->port())
                                                 .arg(api.port()));
    // Which server answered each host and path, and the target it got.
    const auto served = [port]() {
        QStringList by;
        for (const auto &[host, path] : {std::pair{"shop.test", "/api/orders?id=7"}, std::pair{"shop.test", "/api/"}, std::pair{"shop.test", "/old/items?x=1"},
                                         std::pair{"shop.test", "/raw/x"}, std::pair{"shop.test", "/%61pi/x"}, std::pair{"shop.test", "/api/x/../y"},
                                         std::pair{"admin.shop.test", "/v2/x"}, std::pair{"shop.test", "/v2/x"}}) {
            const QString out = curl({QStringLiteral("-i"), QStringLiteral("--path-as-is"), QStringLiteral("-H"), QStringLiteral("Host: %1").arg(QLatin1StringView(host)),
                                      QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(QLatin1StringView(path))})
                                    .out;
            by << servedWithTarget(out);
        }
        return by.join(u' ');
    };
    const QString expected = QStringLiteral("api=/orders?id=7 api=/ api=/api/v1/items?x=1 api=/raw/x api=/x api=/y api=/x app=-");
    answersAlikeThroughNginxAndItsImport(dir.path(), conf, served, expected);
}

// httpd's `BalancerMember https://…`: before 2026-12-06 the import noted it and sent plain HTTP.
// The real httpd serves the config first (one balancer checking its member against a CA with
// SSLProxyVerify require, one with httpd's default SSLProxyVerify none and its name and expiry
// checks off, before a member whose certificate has expired), then the engine serves what
// `import-apache` made of it, before the same members.
void TestTls::apacheImportKeepsTlsToTheMembers()
{
    const QString apache = QStringLiteral("/usr/sbin/apache2");
    if (!QFile::exists(apache))
        QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
    HttpsServer verified(QStringLiteral("secure"), m_certs->file(QStringLiteral("backend-chain.pem")), m_certs->file(QStringLiteral("backend.key")));
    HttpsServer expired(QStringLiteral("expired"), m_certs->file(QStringLiteral("expired-chain.pem")), m_certs->file(QStringLiteral("expired.key")));
    QVERIFY(verified.ready() && expired.ready());
    QTemporaryDir dir;
    const quint16 first = freeLoopbackPort();
    const quint16 second = freeLoopbackPort();
    QString conf = QStringLiteral("ServerRoot %1\nDefaultRuntimeDir %1\nPidFile %1/httpd.pid\nErrorLog %1/error.log\nServerName 127.0.0.1\n"
                                  "StartServers 1\nServerLimit 1\nThreadsPerChild 8\nMaxRequestWorkers 8\n").arg(dir.path());
    for (const char *module : {"mpm_event", "authz_core", "slotmem_shm", "proxy", "proxy_http", "proxy_balancer", "lbmethod_byrequests", "socache_shmcb", "ssl"})
        conf += QStringLiteral("LoadModule %1_module /usr/lib/apache2/modules/mod_%1.so\n").arg(QLatin1StringView(module));
    conf += QStringLiteral("Listen 127.0.0.1:%1\nListen 127.0.0.1:%2\n"
                           "<Proxy balancer://checked>\n BalancerMember https://127.0.0.1:%3\n</Proxy>\n"
                           "<Proxy balancer://unchecked>\n BalancerMember https://127.0.0.1:%4\n</Proxy>\n"
                           "<VirtualHost 127.0.0.1:%1>\n SSLProxyEngine on\n SSLProxyVerify require\n SSLProxyCACertificateFile %5\n"
                           " SSLProxyCheckPeerName off\n ProxyPass / balancer://checked/\n</VirtualHost>\n"
                           "<VirtualHost 127.0.0.1:%2>\n SSLProxyEngine on\n SSLProxyCheckPeerName off\n SSLProxyCheckPeerExpire off\n"
                           " ProxyPass / balancer://unchecked/\n</VirtualHost>\n")
                .arg(first)
                .arg(second)
                .arg(verified.port())
                .arg(expired.port())
                .arg(m_certs->file(QStringLiteral("ca.pem")));
    QFile file(dir.filePath(QStringLiteral("httpd.conf")));
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(conf.toUtf8()) > 0);
    file.close();
    {
        QProcess httpd;
        httpd.setProcessChannelMode(QProcess::ForwardedChannels);
        httpd.setProcessEnvironment(componentEnvironment());
        tieToParent(httpd, SIGTERM);
        httpd.start(apache, {QStringLiteral("-f"), file.fileName(), QStringLiteral("-DFOREGROUND")});
        QVERIFY(httpd.waitForStarted());
        const auto stop = qScopeGuard([&] { stopProcess(httpd); });
        QTRY_COMPARE_WITH_TIMEOUT(answerAt(first), QStringLiteral("hello secure proto=-\n"), 10'000);
        QCOMPARE(answerAt(second), QStringLiteral("hello expired proto=-\n"));
    }
    const ApacheImportResult imported = importApache(conf.toUtf8(), file.fileName());
    QVERIFY2(imported.ok(), qPrintable(imported.errors.join(u'\n')));
    QCOMPARE(imported.config.pools.size(), size_t(2));
    const BackendTls &checked = imported.config.pools[0].servers[0].tls;
    QVERIFY(checked.enabled && checked.verify);
    QCOMPARE(checked.caFile, m_certs->file(QStringLiteral("ca.pem")));
    const BackendTls &unchecked = imported.config.pools[1].servers[0].tls;
    QVERIFY(unchecked.enabled && !unchecked.verify);
    const QString notes = imported.notes.join(u'\n');
    QVERIFY2(notes.contains(QStringLiteral("balancer://unchecked: TLS to its https:// members without checking their certificates")), qPrintable(notes));
    QVERIFY2(notes.contains(QStringLiteral("SSLProxyCheckPeerName off not carried over")), qPrintable(notes));
    servesAsImported(imported.config, first, second);
}

// httpd's `ProxyPass /v2/ balancer://api/` sends /v2/x to the members as /x: the real httpd,
// then the engine serving `import-apache`'s config (a route with prefix_rewrite), before a
// server that reports the target it got, answer the same paths alike.
void TestTls::apacheProxyPassPathsReachTheMembersAlike()
{
    const QString apache = QStringLiteral("/usr/sbin/apache2");
    if (!QFile::exists(apache))
        QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
    HttpsServer api(QStringLiteral("api"), QStringLiteral("-"), QStringLiteral("-"));
    QVERIFY(api.ready());
    QTemporaryDir dir;
    const quint16 port = freeLoopbackPort();
    QString conf = QStringLiteral("ServerRoot %1\nDefaultRuntimeDir %1\nPidFile %1/httpd.pid\nErrorLog %1/error.log\nServerName 127.0.0.1\n"
                                  "StartServers 1\nServerLimit 1\nThreadsPerChild 8\nMaxRequestWorkers 8\n").arg(dir.path());
    for (const char *module : {"mpm_event", "authz_core", "slotmem_shm", "proxy", "proxy_http", "proxy_balancer", "lbmethod_byrequests"})
        conf += QStringLiteral("LoadModule %1_module /usr/lib/apache2/modules/mod_%1.so\n").arg(QLatin1StringView(module));
    conf += QStringLiteral("Listen 127.0.0.1:%1\n"
                           "<Proxy balancer://web>\n BalancerMember http://127.0.0.1:%2\n</Proxy>\n"
                           "<Proxy balancer://api>\n BalancerMember http://127.0.0.1:%3\n</Proxy>\n"
                           "<VirtualHost 127.0.0.1:%1>\n ProxyPass /v2/ balancer://api/\n ProxyPass /old/ balancer://api/api/v1/\n"
                           " ProxyPass /api/ balancer://api/api/\n ProxyPass / balancer://web/\n</VirtualHost>\n")
                .arg(port)
                .arg(m_backend->port())
                .arg(api.port());
    QFile file(dir.filePath(QStringLiteral("httpd.conf")));
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(conf.toUtf8()) > 0);
    file.close();
    const auto served = [port]() {
        QStringList by;
        for (const char *path : {"/v2/orders?id=7", "/v2/", "/old/items", "/api/a", "/cart"}) {
            const QString out = curl({QStringLiteral("-i"), QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(QLatin1StringView(path))}).out;
            by << servedWithTarget(out);
        }
        return by.join(u' ');
    };
    const QString expected = QStringLiteral("api=/orders?id=7 api=/ api=/api/v1/items api=/api/a app=-");
    {
        QProcess httpd;
        httpd.setProcessChannelMode(QProcess::ForwardedChannels);
        httpd.setProcessEnvironment(componentEnvironment());
        tieToParent(httpd, SIGTERM);
        httpd.start(apache, {QStringLiteral("-f"), file.fileName(), QStringLiteral("-DFOREGROUND")});
        QVERIFY(httpd.waitForStarted());
        const auto stop = qScopeGuard([&] { stopProcess(httpd); });
        QTRY_COMPARE_WITH_TIMEOUT(served(), expected, 10'000);
    }
    const ApacheImportResult imported = importApache(conf.toUtf8(), file.fileName());
    QVERIFY2(imported.ok(), qPrintable(imported.errors.join(u'\n')));
    const ConfigResult written = parseConfig(QJsonDocument(configToJson(imported.config)).toJson(), QStringLiteral("imported.json"));
    QVERIFY2(written.ok(), qPrintable(written.errorText()));
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(*written.config, &errors), qPrintable(errors.join(u'\n')));
    QTRY_COMPARE_WITH_TIMEOUT(served(), expected, 10'000);
}

void TestTls::serverSessionsAreResumed()
{
    // No kept-alive server connections: every request opens a TLS connection to the server,
    // and from the second on it resumes the session the first one got.
    HttpsServer backend(QStringLiteral("secure"), m_certs->file(QStringLiteral("backend-chain.pem")), m_certs->file(QStringLiteral("backend.key")));
    QVERIFY(backend.ready());
    BackendSpec server = loopbackServer(QStringLiteral("secure"), backend.port());
    server.tls.enabled = true;
    server.tls.caFile = m_certs->file(QStringLiteral("ca.pem"));
    Config config = fastCheckedPoolConfig({server});
    config.pools[0].health.enabled = false;
    config.proxy.workers = 1;
    config.proxy.maxIdlePerServer = 0;
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    QStringList sessions;
    for (int i = 0; i < 4; ++i) {
        const ProgramRun run = curl({QStringLiteral("-i"), QStringLiteral("http://127.0.0.1:%1/").arg(proxyPort(engine))});
        const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("(?i)x-tls-session: *(\\w+)")).match(run.out);
        QVERIFY2(run.exitCode == 0 && m.hasMatch(), qPrintable(run.out + run.err));
        sessions << m.captured(1);
    }
    QCOMPARE(sessions, (QStringList{QStringLiteral("new"), QStringLiteral("reused"), QStringLiteral("reused"), QStringLiteral("reused")}));
}

void TestTls::expiredOrMisnamedServerCertificateIsRefused()
{
    HttpsServer expired(QStringLiteral("expired"), m_certs->file(QStringLiteral("expired-chain.pem")), m_certs->file(QStringLiteral("expired.key")));
    HttpsServer misnamed(QStringLiteral("misnamed"), m_certs->file(QStringLiteral("pay-chain.pem")), m_certs->file(QStringLiteral("pay.key")));
    QVERIFY(expired.ready() && misnamed.ready());
    // What the health checks say, and what a client gets while the server is still "up"
    // (checks off: the proxy's own handshake is what is tested).
    const auto answer = [this](quint16 serverPort, bool verify, bool checks, QString *health) {
        BackendSpec server = loopbackServer(QStringLiteral("s"), serverPort);
        server.tls.enabled = true;
        server.tls.caFile = m_certs->file(QStringLiteral("ca.pem"));
        server.tls.verify = verify;
        Config config = fastCheckedPoolConfig({server});
        config.pools[0].health.enabled = checks;
        Engine engine;
        QStringList errors;
        if (!engine.start(config, &errors))
            return errors.join(u'\n');
        if (checks) {
            // Not asserted here: the caller reads the state this returns, checked or not.
            (void)QTest::qWaitFor([&] { return healthOf(engine, QStringLiteral("s")) && healthOf(engine, QStringLiteral("s"))->checks >= 5; }, 10'000);
            const ServerHealth *h = healthOf(engine, QStringLiteral("s"));
            *health = h ? h->state + u' ' + h->lastCheck.summary() : QStringLiteral("no server");
            return QString();
        }
        const ProgramRun run = curl({QStringLiteral("-i"), QStringLiteral("http://127.0.0.1:%1/").arg(proxyPort(engine))});
        return run.out;
    };
    QString health;
    QString out = answer(expired.port(), true, false, &health);
    QVERIFY2(out.startsWith(QStringLiteral("HTTP/1.1 502")) && out.contains(QStringLiteral("TLS handshake failed: certificate has expired")), qPrintable(out));
    answer(expired.port(), true, true, &health);
    QVERIFY2(health.startsWith(QStringLiteral("down L6RSP")) && health.contains(QStringLiteral("certificate has expired")), qPrintable(health));
    // Made for pay.api.test, reached as 127.0.0.1.
    out = answer(misnamed.port(), true, false, &health);
    QVERIFY2(out.startsWith(QStringLiteral("HTTP/1.1 502")) && out.contains(QStringLiteral("TLS handshake failed")) && out.contains(QStringLiteral("mismatch")),
             qPrintable(out));
    answer(misnamed.port(), true, true, &health);
    QVERIFY2(health.startsWith(QStringLiteral("down L6RSP")) && health.contains(QStringLiteral("mismatch")), qPrintable(health));
    // "verify": false, written in the config, accepts both.
    out = answer(expired.port(), false, false, &health);
    QVERIFY2(out.startsWith(QStringLiteral("HTTP/1.1 200")) && out.contains(QStringLiteral("hello expired")), qPrintable(out));
    answer(expired.port(), false, true, &health);
    QVERIFY2(health.startsWith(QStringLiteral("up L7OK")), qPrintable(health));
}

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
