// Server names followed in DNS (proxy.resolver), against a real nameserver: Debian's dnsmasq
// on a loopback address's port 53, answering from a hosts file the test rewrites (SIGHUP
// re-reads it), with a TTL of 1 s. Two demo backends, "blue" and "green", listen on the same
// port of two loopback addresses; the name shop-app.test points at one, then at the other.
#include "admin/adminjson.h"
#include "engine/engine.h"
#include "engine/linkfigures.h"
#include "health/healthchecker.h"
#include "proxy/proxyserver.h"
#include "demobackends.h"
#include "engineconfigs.h"
#include "freeport.h"

#include <QFile>
#include <QJsonObject>
#include <QtEndian>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTcpSocket>
#include <QTest>
#include <QUdpSocket>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

const QString kName = QStringLiteral("shop-app.test");
const QHostAddress kBlue(QStringLiteral("127.0.0.11"));
const QHostAddress kGreen(QStringLiteral("127.0.0.12"));

// dnsmasq answering for *.test from a hosts file only (no upstream, no /etc/hosts); a name
// not in the file is NXDOMAIN.
class Nameserver
{
public:
    Nameserver()
        : m_address(QStringLiteral("127.53.%1.%2").arg(QRandomGenerator::global()->bounded(1, 250)).arg(QRandomGenerator::global()->bounded(1, 250)))
    {
    }
    ~Nameserver() { stop(); }

    QString address() const { return m_address; }

    // Writes the hosts file: `ip name` lines.
    void setHosts(const QString &lines)
    {
        QFile file(m_dir.filePath(QStringLiteral("hosts")));
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(lines.toUtf8());
        file.close();
        if (m_process && m_process->state() == QProcess::Running)
            ::kill(pid_t(m_process->processId()), SIGHUP);
    }

    bool start(QString *error)
    {
        if (!QFile::exists(m_dir.filePath(QStringLiteral("hosts"))))
            setHosts(QString());
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->start(QStringLiteral("/usr/sbin/dnsmasq"),
                         {QStringLiteral("--keep-in-foreground"), QStringLiteral("--conf-file=/dev/null"), QStringLiteral("--no-resolv"),
                          QStringLiteral("--no-hosts"), QStringLiteral("--addn-hosts=%1").arg(m_dir.filePath(QStringLiteral("hosts"))),
                          QStringLiteral("--local=/test/"), QStringLiteral("--local-ttl=1"), QStringLiteral("--port=53"),
                          QStringLiteral("--listen-address=%1").arg(m_address), QStringLiteral("--bind-interfaces"), QStringLiteral("--pid-file="),
                          QStringLiteral("--user=root"), QStringLiteral("--log-facility=-"), QStringLiteral("--log-queries"),
                          QStringLiteral("--cache-size=0")});
        if (!m_process->waitForStarted(5000)) {
            *error = QStringLiteral("dnsmasq did not start: %1").arg(m_process->errorString());
            return false;
        }
        // Up when it answers: dig is not installed, so ask the way fulcrumd does.
        if (!QTest::qWaitFor([this] { return m_process->state() == QProcess::Running && answers(); }, 10'000)) {
            *error = QStringLiteral("dnsmasq on %1:53 does not answer: %2").arg(m_address, QString::fromLocal8Bit(log()));
            return false;
        }
        return true;
    }

    // What dnsmasq logged (every query, with --log-queries).
    QByteArray log()
    {
        if (m_process)
            m_log += m_process->readAll();
        return m_log;
    }
    // Questions for `name` of any type since the log was last cleared.
    int queriesFor(const QString &name)
    {
        int count = 0;
        for (const QByteArray &line : log().split('\n'))
            count += line.contains("query[") && line.contains(" " + name.toUtf8() + " from ") ? 1 : 0;
        return count;
    }
    void clearLog() { m_log.clear(), log(), m_log.clear(); }

    void stop()
    {
        if (!m_process)
            return;
        m_process->terminate();
        if (!m_process->waitForFinished(5000))
            m_process->kill();
        m_process->waitForFinished(5000);
        m_process.reset();
    }

private:
    bool answers() const
    {
        // A UDP socket bound to the port tells whether dnsmasq holds it.
        QUdpSocket probe;
        return !probe.bind(QHostAddress(m_address), 53);
    }

    QString m_address;
    QByteArray m_log;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
};

QByteArray servedBy(quint16 port)
{
    const SimpleHttpResponse response = httpGet(port, "/");
    if (response.status != 200)
        return "status " + QByteArray::number(response.status) + ' ' + response.error.toUtf8();
    return response.body.trimmed();   // the demo backend answers / with its name
}

// Established TCP connections of this machine to address:port (IPv4), from /proc/net/tcp (which
// prints an address as the 32-bit word in memory order: 127.0.0.11 is 0B00007F on x86).
int connectionsTo(const QHostAddress &address, quint16 port)
{
    QFile table(QStringLiteral("/proc/net/tcp"));
    if (!table.open(QIODevice::ReadOnly))
        return -1;
    const quint32 ip = address.toIPv4Address();
    const QByteArray remote = QByteArray::number(qToBigEndian(ip), 16).rightJustified(8, '0').toUpper() + ':'
                              + QByteArray::number(port, 16).rightJustified(4, '0').toUpper();
    int count = 0;
    for (const QByteArray &line : table.readAll().split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() > 3 && fields[2] == remote && fields[3] == "01")
            ++count;
    }
    return count;
}

bool eventSays(const Engine &engine, const QString &source, const QString &text, EngineEvent::Severity severity)
{
    for (const EngineEvent &event : engine.recentEvents()) {
        if (event.source == source && event.text.contains(text) && event.severity == severity)
            return true;
    }
    return false;
}

QString eventsText(const Engine &engine)
{
    QStringList lines;
    for (const EngineEvent &event : engine.recentEvents())
        lines << event.source + QStringLiteral(": ") + event.text;
    return lines.join(u'\n');
}

} // namespace

class TestDns : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void followsAServerThatMovesInDns();
    void aDnsOutageKeepsTheLastAddresses();
    void aNameDnsDoesNotKnowIsNotAskedPerRequest();
    void aReloadAsksTheNewNameservers();
    void withoutAResolverANameIsResolvedOnce();

private:
    Config config(quint16 port, bool follow) const;

    std::unique_ptr<Nameserver> m_dns;
};

void TestDns::initTestCase()
{
    if (!QFile::exists(QStringLiteral("/usr/sbin/dnsmasq")))
        QSKIP("dnsmasq is not installed (scripts/packages.txt lists dnsmasq-base)");
    if (::geteuid() != 0)
        QSKIP("a nameserver on port 53 needs root (scripts/test runs as root in CI); Qt 6.4 asks nameservers on port 53 only");
    m_dns = std::make_unique<Nameserver>();
    m_dns->setHosts(QStringLiteral("127.0.0.11 %1\n").arg(kName));
    QString error;
    QVERIFY2(m_dns->start(&error), qPrintable(error));
}

void TestDns::cleanupTestCase()
{
    m_dns.reset();
}

// One pool, one server by name; its port the same on both addresses.
Config TestDns::config(quint16 port, bool follow) const
{
    BackendSpec app = loopbackServer(QStringLiteral("app"), port);
    app.host = kName;
    Config config = fastCheckedPoolConfig({app});
    if (follow) {
        // The first nameserver has nothing listening: its refusal passes the question on.
        config.proxy.resolver.nameservers = {QStringLiteral("127.53.0.254"), m_dns->address()};
        config.proxy.resolver.retryMs = 200;
    }
    return config;
}

// The name moves from blue to green: new requests, and a client's kept-alive connection, go
// to green within the TTL, without a reload; the health checks follow too (blue is stopped
// after the move and the server stays up); the engine says where the name went.
void TestDns::followsAServerThatMovesInDns()
{
    m_dns->setHosts(QStringLiteral("127.0.0.11 %1\n").arg(kName));
    auto blue = std::make_unique<InProcessDemoBackend>(QStringLiteral("blue"), 0, kBlue);
    QVERIFY(blue->isListening());
    InProcessDemoBackend green(QStringLiteral("green"), blue->port(), kGreen);
    QVERIFY(green.isListening());
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config(blue->port(), true), &errors), qPrintable(errors.join(u'\n')));
    const quint16 port = engine.proxy().listeners().front().port;
    QTRY_COMPARE_WITH_TIMEOUT(servedBy(port), QByteArray("blue"), 10'000);
    QTRY_VERIFY2_WITH_TIMEOUT(eventSays(engine, QStringLiteral("dns"), QStringLiteral("web/app: shop-app.test is at 127.0.0.11 in DNS"), EngineEvent::Info),
                              qPrintable(eventsText(engine)), 5000);
    // A download from blue still in flight when the name moves: it is not cut, and its server
    // connection is not kept alive for the next request afterwards.
    constexpr qint64 kDownload = 20'000'000;
    QTcpSocket download;
    download.setReadBufferSize(64 * 1024);   // holds the download back while the test looks elsewhere
    download.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(download.waitForConnected(5000));
    download.write("GET /bytes/" + QByteArray::number(kDownload) + " HTTP/1.1\r\nHost: shop\r\n\r\n");
    QVERIFY(download.waitForReadyRead(5000));
    QByteArray head = download.readAll();
    QVERIFY2(head.contains("X-Served-By: blue"), head.left(300).constData());
    SimpleHttpConnection kept(port);
    QCOMPARE(kept.get("/").body.trimmed(), QByteArray("blue"));
    // The download's, the one kept alive since and the checks' connection.
    QTRY_VERIFY2_WITH_TIMEOUT(connectionsTo(kBlue, blue->port()) >= 3, qPrintable(QString::number(connectionsTo(kBlue, blue->port()))), 5000);

    m_dns->setHosts(QStringLiteral("127.0.0.12 %1\n").arg(kName));
    // With no request coming, the kept-alive connections to blue are closed and the checks move;
    // the download's stays.
    QTRY_COMPARE_WITH_TIMEOUT(connectionsTo(kBlue, blue->port()), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(servedBy(port), QByteArray("green"), 10'000);
    qint64 received = head.size() - (head.indexOf("\r\n\r\n") + 4);
    // Read with this thread's events running: the in-process backends need them.
    QVERIFY2(QTest::qWaitFor([&] { return (received += download.readAll().size()) >= kDownload; }, 30'000),
             qPrintable(QStringLiteral("%1 of %2 bytes").arg(received).arg(kDownload)));
    QCOMPARE(received, kDownload);
    // Nothing stays open to the old address: idle connections were closed at the move, the
    // download's was not kept alive after it.
    QTRY_COMPARE_WITH_TIMEOUT(connectionsTo(kBlue, blue->port()), 0, 5000);
    // The client's connection stays; its next request goes to the new address.
    QCOMPARE(kept.get("/").body.trimmed(), QByteArray("green"));
    // The proxy's workers and the checker follow the name each on their own, within one TTL.
    QTRY_VERIFY2_WITH_TIMEOUT(eventSays(engine, QStringLiteral("dns"), QStringLiteral("web/app: shop-app.test moved in DNS to 127.0.0.12 (was 127.0.0.11)"),
                                        EngineEvent::Info),
                              qPrintable(eventsText(engine)), 5000);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(servedBy(port), QByteArray("green"));

    // Where the name points now, as the admin API, the console's Address column and
    // `fulcrumctl backends` show it.
    QTRY_COMPARE_WITH_TIMEOUT((engine.tick(), engine.snapshot().pools.front().servers.front().health.resolved), QStringLiteral("127.0.0.12"), 5000);
    const QJsonObject json = serverToJson(engine.snapshot().pools.front().servers.front());
    QCOMPARE(json.value(QStringLiteral("resolved")).toString(), QStringLiteral("127.0.0.12"));
    QCOMPARE(json.value(QStringLiteral("address")).toString(), QStringLiteral("shop-app.test:%1").arg(blue->port()));
    QCOMPARE(serverFromJson(json).health.resolved, QStringLiteral("127.0.0.12"));
    SnapshotMapper mapper;
    QCOMPARE(mapper.map(engine.snapshot(), 250).servers.front().address, QStringLiteral("shop-app.test:%1 → 127.0.0.12").arg(blue->port()));

    // Blue goes away: the checks ask green, so the server stays up and nothing fails.
    blue.reset();
    QTest::qWait(500);   // ten check intervals
    engine.tick();
    const PoolHealth health = engine.healthChecker(QStringLiteral("web"))->snapshot();
    QCOMPARE(health.servers.front().state, QStringLiteral("up"));
    QCOMPARE(servedBy(port), QByteArray("green"));
}

// DNS stops answering, then says the name does not exist: the server keeps its last address
// and keeps serving, with a warning each time; when the name is back the engine says so.
void TestDns::aDnsOutageKeepsTheLastAddresses()
{
    m_dns->setHosts(QStringLiteral("127.0.0.11 %1\n").arg(kName));
    InProcessDemoBackend blue(QStringLiteral("blue"), 0, kBlue);
    QVERIFY(blue.isListening());
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config(blue.port(), true), &errors), qPrintable(errors.join(u'\n')));
    const quint16 port = engine.proxy().listeners().front().port;
    QTRY_COMPARE_WITH_TIMEOUT(servedBy(port), QByteArray("blue"), 10'000);
    // The checker runs on this thread: its first answer is in once the event says so.
    QTRY_VERIFY2_WITH_TIMEOUT(eventSays(engine, QStringLiteral("dns"), QStringLiteral("is at 127.0.0.11 in DNS"), EngineEvent::Info),
                              qPrintable(eventsText(engine)), 5000);

    m_dns->setHosts(QStringLiteral("127.0.0.99 another.test\n"));
    QTRY_VERIFY2_WITH_TIMEOUT(eventSays(engine, QStringLiteral("dns"), QStringLiteral("DNS gave no address for shop-app.test"), EngineEvent::Warning),
                              qPrintable(eventsText(engine)), 10'000);
    QVERIFY2(eventSays(engine, QStringLiteral("dns"), QStringLiteral("the last addresses stay: 127.0.0.11"), EngineEvent::Warning), qPrintable(eventsText(engine)));
    for (int i = 0; i < 10; ++i)
        QCOMPARE(servedBy(port), QByteArray("blue"));

    m_dns->stop();
    QTest::qWait(1500);   // past the TTL: the rounds since found no nameserver at all
    for (int i = 0; i < 10; ++i)
        QCOMPARE(servedBy(port), QByteArray("blue"));
    const PoolHealth health = engine.healthChecker(QStringLiteral("web"))->snapshot();
    QCOMPARE(health.servers.front().state, QStringLiteral("up"));

    m_dns->setHosts(QStringLiteral("127.0.0.11 %1\n").arg(kName));
    QString error;
    QVERIFY2(m_dns->start(&error), qPrintable(error));
    QTRY_VERIFY2_WITH_TIMEOUT(eventSays(engine, QStringLiteral("dns"), QStringLiteral("web/app: DNS answers for shop-app.test again: 127.0.0.11"), EngineEvent::Info),
                              qPrintable(eventsText(engine)), 10'000);
    QCOMPARE(servedBy(port), QByteArray("blue"));
}

// A name DNS does not know: requests fail at once with a 502 that says so, and they do not
// each become a question to DNS (the follower asks again every `retry`, here an hour, so the
// worker and the checker ask once each: A and AAAA, of the one nameserver that answers).
void TestDns::aNameDnsDoesNotKnowIsNotAskedPerRequest()
{
    InProcessDemoBackend blue(QStringLiteral("blue"), 0, kBlue);
    Config unknown = config(blue.port(), true);
    unknown.pools.front().servers.front().host = QStringLiteral("nowhere.test");
    unknown.pools.front().health.enabled = false;   // every request goes as far as the connect
    unknown.proxy.resolver.retryMs = 3'600'000;
    m_dns->clearLog();
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(unknown, &errors), qPrintable(errors.join(u'\n')));
    const quint16 port = engine.proxy().listeners().front().port;
    QTRY_VERIFY2_WITH_TIMEOUT(eventSays(engine, QStringLiteral("dns"), QStringLiteral("DNS gave no address for nowhere.test"), EngineEvent::Warning),
                              qPrintable(eventsText(engine)), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(httpGet(port, "/").status == 502, 5000);
    for (int i = 0; i < 50; ++i) {
        const SimpleHttpResponse response = httpGet(port, "/");
        QCOMPARE(response.status, 502);
        QVERIFY2(response.body.contains("the name does not resolve"), response.body.constData());
    }
    QTest::qWait(200);
    QCOMPARE(m_dns->queriesFor(QStringLiteral("nowhere.test")), 4);
}

// A reload that names other nameservers: the workers and the checker ask those from then on.
// Before it, the only nameserver listed has nothing listening: the name has no address.
void TestDns::aReloadAsksTheNewNameservers()
{
    m_dns->setHosts(QStringLiteral("127.0.0.11 %1\n").arg(kName));
    InProcessDemoBackend blue(QStringLiteral("blue"), 0, kBlue);
    Config wrong = config(blue.port(), true);
    wrong.proxy.resolver.nameservers = {QStringLiteral("127.53.0.254")};
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(wrong, &errors), qPrintable(errors.join(u'\n')));
    QTRY_VERIFY2_WITH_TIMEOUT(eventSays(engine, QStringLiteral("dns"), QStringLiteral("DNS gave no address for shop-app.test (127.53.0.254: "), EngineEvent::Warning),
                              qPrintable(eventsText(engine)), 5000);
    const int before = httpGet(engine.proxy().listeners().front().port, "/").status;
    QVERIFY2(before == 502 || before == 503, qPrintable(QString::number(before)));   // 503 once the checks took it out

    Config right = config(blue.port(), true);
    right.listeners.front().port = engine.proxy().listeners().front().port;   // the same listener
    QVERIFY2(engine.reload(right, &errors), qPrintable(errors.join(u'\n')));
    const quint16 port = engine.proxy().listeners().front().port;
    QTRY_COMPARE_WITH_TIMEOUT(servedBy(port), QByteArray("blue"), 10'000);
    QTRY_VERIFY2_WITH_TIMEOUT(eventSays(engine, QStringLiteral("dns"), QStringLiteral("web/app: shop-app.test is at 127.0.0.11 in DNS"), EngineEvent::Info),
                              qPrintable(eventsText(engine)), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(engine.healthChecker(QStringLiteral("web"))->snapshot().servers.front().state, QStringLiteral("up"), 5000);
}

// Without proxy.resolver nothing changes from before: the system resolves the name once
// (getaddrinfo: "localhost" from /etc/hosts), no DNS event is made and nothing says "resolved".
void TestDns::withoutAResolverANameIsResolvedOnce()
{
    InProcessDemoBackend blue(QStringLiteral("blue"));
    Config plain = config(blue.port(), false);
    plain.pools.front().servers.front().host = QStringLiteral("localhost");
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(plain, &errors), qPrintable(errors.join(u'\n')));
    const quint16 port = engine.proxy().listeners().front().port;
    QTRY_COMPARE_WITH_TIMEOUT(servedBy(port), QByteArray("blue"), 10'000);
    for (const EngineEvent &event : engine.recentEvents())
        QVERIFY2(event.source != u"dns", qPrintable(event.text));
    engine.tick();
    QVERIFY(!serverToJson(engine.snapshot().pools.front().servers.front()).contains(QStringLiteral("resolved")));
}

QTEST_GUILESS_MAIN(TestDns)
#include "tst_dns.moc"
