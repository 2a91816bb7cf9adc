// The console's link over a real Apache httpd (Debian's apache2, mod_proxy_balancer over two
// demo backends): what the balancer-manager says is what the console shows, and a reweight,
// a drain or a disable takes effect in httpd's own traffic split, measured at the backends.
#include "demobackends.h"
#include "freeport.h"
#include "httpdserver.h"
#include "programs.h"

#include "httpd/httpdenginelink.h"

#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTcpSocket>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

HttpdOptions optionsFor(const HttpdServer &httpd, int tickMs = 250)
{
    HttpdOptions options;
    QString error;
    options.managerUrl = *HttpdOptions::parseManagerUrl(httpd.managerUrl(), &error);
    options.tickMs = tickMs;
    return options;
}

// The answer to command `id` (QTRY: commands are answered on the event loop).
CommandResult resultOf(EngineLink &link, quint64 id, QSignalSpy &spy)
{
    for (int waited = 0; waited < 100; ++waited) {
        for (const QList<QVariant> &call : std::as_const(spy)) {
            const CommandResult result = call.at(0).value<CommandResult>();
            if (result.id == id)
                return result;
        }
        spy.wait(100);
    }
    return CommandResult{id, false, QStringLiteral("no answer within 10 s")};
}

const ServerStatus *serverIn(const LinkSnapshot &snapshot, const QString &name)
{
    const int index = snapshot.indexOf(QStringLiteral("web"), name);
    return index < 0 ? nullptr : &snapshot.servers[index];
}

} // namespace

class TestHttpdLink : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void readsBalancersAndMembers();
    void reweightChangesHttpdsSplit();
    void drainAndDisableStopNewTraffic_data();
    void drainAndDisableStopNewTraffic();
    void outOfRangeIsRefusedAndNothingChanges_data();
    void outOfRangeIsRefusedAndNothingChanges();
    void staleNonceIsDetected();
    void protectedManagerNeedsCredentials();
    void tlsManagerWithClientCertificate();
    void unreachableManagerSaysWhy();
    void probeNamesTheBalancers();
    void fulcrumctlListsAndChanges();
    void fulcrumctlReadsThePasswordFromAFile();
    void drainWaitsForHttpdsBusyWorkers();

private:
    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<InProcessDemoBackend> m_app2;
    std::unique_ptr<HttpdServer> m_httpd;
};

void TestHttpdLink::initTestCase()
{
    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    m_app2 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app2"));
    QVERIFY(m_app1->isListening() && m_app2->isListening());
}

void TestHttpdLink::init()
{
    // Each case starts from httpd's config: a (load factor 3) and b (1), both up.
    HttpdServer::Options options;
    options.members = {{m_app1->port(), 3, QStringLiteral("a")}, {m_app2->port(), 1, QStringLiteral("b")}};
    m_httpd = std::make_unique<HttpdServer>(options);
    QString error;
    QVERIFY2(m_httpd->start(&error), qPrintable(error));
}

void TestHttpdLink::readsBalancersAndMembers()
{
    HttpdEngineLink link(optionsFor(*m_httpd));
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10'000);
    QCOMPARE(link.state(), LinkState::Connected);
    const LinkSnapshot snapshot = snapshots.last().at(0).value<LinkSnapshot>();
    QCOMPARE(snapshot.servers.size(), 2);
    const ServerStatus *a = serverIn(snapshot, QStringLiteral("a"));
    const ServerStatus *b = serverIn(snapshot, QStringLiteral("b"));
    QVERIFY(a && b);
    QCOMPARE(a->address, QStringLiteral("http://127.0.0.1:%1").arg(m_app1->port()));
    QCOMPARE(a->weight, 3);
    QCOMPARE(b->weight, 1);
    QCOMPARE(a->state, BackendState::Up);
    QCOMPARE(a->stateText, QStringLiteral("up"));
    QVERIFY2(a->reason.contains(u"Ok"), qPrintable(a->reason));
    QCOMPARE(link.maxWeight(), 100);
    QVERIFY(link.weightNote().contains(u"1–100") && link.weightNote().contains(u"BalancerPersist"));

    // Its counters follow httpd's traffic: 40 requests split 3:1, and the link sees them.
    const QMap<QString, int> served = m_httpd->spread(40);
    QCOMPARE(served.value(QStringLiteral("app1")), 30);
    QCOMPARE(served.value(QStringLiteral("app2")), 10);
    QTRY_VERIFY_WITH_TIMEOUT(serverIn(snapshots.last().at(0).value<LinkSnapshot>(), QStringLiteral("a"))->requestsPerSecond > 0, 5000);
}

void TestHttpdLink::reweightChangesHttpdsSplit()
{
    HttpdEngineLink link(optionsFor(*m_httpd));
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QSignalSpy results(&link, &EngineLink::commandFinished);
    QSignalSpy events(&link, &EngineLink::eventsReady);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10'000);

    const CommandResult result = resultOf(link, link.setWeight(QStringLiteral("web"), QStringLiteral("b"), 3), results);
    QVERIFY2(result.ok, qPrintable(result.message));
    QCOMPARE(result.message, QStringLiteral("httpd web/b: 1 → 3"));
    QVERIFY2(m_httpd->managerXml().contains("<httpd:loadfactor>3.00</httpd:loadfactor>\n          <httpd:port>" + QByteArray::number(m_app2->port())),
             m_httpd->managerXml().constData());
    // httpd's own split is now even.
    const QMap<QString, int> served = m_httpd->spread(60);
    QCOMPARE(served.value(QStringLiteral("app1")), 30);
    QCOMPARE(served.value(QStringLiteral("app2")), 30);
    QTRY_COMPARE_WITH_TIMEOUT(serverIn(snapshots.last().at(0).value<LinkSnapshot>(), QStringLiteral("b"))->weight, 3, 5000);
    // The change is an operator event, with before and after.
    QTRY_VERIFY_WITH_TIMEOUT(!events.isEmpty(), 5000);
    bool logged = false;
    for (const QList<QVariant> &call : std::as_const(events)) {
        for (const LinkEvent &e : call.at(0).value<QList<LinkEvent>>())
            logged |= e.kind == LinkEvent::Kind::Operator && e.target == u"web/b" && e.before == u"1" && e.after == u"3";
    }
    QVERIFY(logged);
}

void TestHttpdLink::drainAndDisableStopNewTraffic_data()
{
    QTest::addColumn<BackendState>("state");
    QTest::addColumn<QString>("stateText");
    QTest::addColumn<QByteArray>("flag");
    QTest::newRow("drain") << BackendState::Drain << QStringLiteral("drain") << QByteArray("Drn");
    QTest::newRow("disable") << BackendState::Maint << QStringLiteral("disabled") << QByteArray("Dis");
}

void TestHttpdLink::drainAndDisableStopNewTraffic()
{
    QFETCH(BackendState, state);
    QFETCH(QString, stateText);
    QFETCH(QByteArray, flag);
    HttpdEngineLink link(optionsFor(*m_httpd));
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QSignalSpy results(&link, &EngineLink::commandFinished);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10'000);

    CommandResult result = resultOf(link, link.setState(QStringLiteral("web"), QStringLiteral("b"), state), results);
    QVERIFY2(result.ok, qPrintable(result.message));
    QCOMPARE(result.message, QStringLiteral("httpd web/b: up → %1").arg(stateText));
    QVERIFY(m_httpd->managerXml().contains(flag));
    QTRY_COMPARE_WITH_TIMEOUT(serverIn(snapshots.last().at(0).value<LinkSnapshot>(), QStringLiteral("b"))->stateText, stateText, 5000);
    QCOMPARE(serverIn(snapshots.last().at(0).value<LinkSnapshot>(), QStringLiteral("b"))->state, state);
    QMap<QString, int> served = m_httpd->spread(20);
    QCOMPARE(served.value(QStringLiteral("app1")), 20);
    QCOMPARE(served.value(QStringLiteral("app2")), 0);

    // Ready again: it takes its share back.
    result = resultOf(link, link.setState(QStringLiteral("web"), QStringLiteral("b"), BackendState::Up), results);
    QVERIFY2(result.ok, qPrintable(result.message));
    served = m_httpd->spread(40);
    QVERIFY2(served.value(QStringLiteral("app2")) >= 5, qPrintable(QString::number(served.value(QStringLiteral("app2")))));
}

void TestHttpdLink::outOfRangeIsRefusedAndNothingChanges_data()
{
    QTest::addColumn<int>("weight");
    QTest::newRow("zero") << 0;
    QTest::newRow("negative") << -5;
    QTest::newRow("above 100") << 101;
    QTest::newRow("Fulcrum's maximum") << 10000;
}

void TestHttpdLink::outOfRangeIsRefusedAndNothingChanges()
{
    QFETCH(int, weight);
    HttpdEngineLink link(optionsFor(*m_httpd));
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QSignalSpy results(&link, &EngineLink::commandFinished);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10'000);
    const CommandResult result = resultOf(link, link.setWeight(QStringLiteral("web"), QStringLiteral("b"), weight), results);
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(u"1–100") && result.message.contains(u"drain or disable"), qPrintable(result.message));
    QCOMPARE(m_httpd->managerXml().count("<httpd:loadfactor>1.00</httpd:loadfactor>"), 2);   // b's, as configured

    const CommandResult down = resultOf(link, link.setState(QStringLiteral("web"), QStringLiteral("b"), BackendState::Down), results);
    QVERIFY(!down.ok);
    QVERIFY2(down.message.contains(u"not a state to set"), qPrintable(down.message));
}

void TestHttpdLink::staleNonceIsDetected()
{
    // A slow tick, so that the link still holds the nonce it read before httpd restarted.
    HttpdEngineLink link(optionsFor(*m_httpd, 60'000));
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QSignalSpy results(&link, &EngineLink::commandFinished);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10'000);
    const QByteArray before = m_httpd->managerXml();
    QString error;
    QVERIFY2(m_httpd->restart(&error), qPrintable(error));
    const QByteArray after = m_httpd->managerXml();
    QVERIFY(before.mid(before.indexOf("<httpd:nonce>"), 60) != after.mid(after.indexOf("<httpd:nonce>"), 60));

    const CommandResult stale = resultOf(link, link.setWeight(QStringLiteral("web"), QStringLiteral("b"), 5), results);
    QVERIFY(!stale.ok);
    QVERIFY2(stale.message.contains(u"nonce") && stale.message.contains(u"nothing was changed"), qPrintable(stale.message));
    QCOMPARE(m_httpd->managerXml().count("<httpd:loadfactor>5.00</httpd:loadfactor>"), 0);

    // The read-back gave the link the new nonce: the same change now goes through.
    const CommandResult again = resultOf(link, link.setWeight(QStringLiteral("web"), QStringLiteral("b"), 5), results);
    QVERIFY2(again.ok, qPrintable(again.message));
    QCOMPARE(m_httpd->managerXml().count("<httpd:loadfactor>5.00</httpd:loadfactor>"), 2);
}

void TestHttpdLink::protectedManagerNeedsCredentials()
{
    HttpdServer::Options options;
    options.members = {{m_app1->port(), 1, QStringLiteral("a")}};
    options.user = QStringLiteral("ops");
    options.password = "s3cret-manager";
    HttpdServer httpd(options);
    QString error;
    QVERIFY2(httpd.start(&error), qPrintable(error));

    HttpdOptions none = optionsFor(httpd);
    HttpdEngineLink anonymous(none);
    QTRY_COMPARE_WITH_TIMEOUT(anonymous.state(), LinkState::Disconnected, 10'000);
    QVERIFY2(anonymous.lastError().contains(u"401") && anonymous.lastError().contains(u"user and password"), qPrintable(anonymous.lastError()));

    HttpdOptions wrong = optionsFor(httpd);
    wrong.user = QStringLiteral("ops");
    wrong.password = "guess";
    HttpdEngineLink guessing(wrong);
    QTRY_COMPARE_WITH_TIMEOUT(guessing.state(), LinkState::Disconnected, 10'000);
    QVERIFY2(guessing.lastError().contains(u"refused user \"ops\""), qPrintable(guessing.lastError()));
    QVERIFY(!guessing.lastError().contains(u"guess"));

    HttpdOptions right = optionsFor(httpd);
    right.user = QStringLiteral("ops");
    right.password = "s3cret-manager";
    HttpdEngineLink allowed(right);
    QSignalSpy snapshots(&allowed, &EngineLink::snapshotReady);
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10'000);
    QCOMPARE(allowed.state(), LinkState::Connected);
    QCOMPARE(snapshots.last().at(0).value<LinkSnapshot>().servers.size(), 1);
}

void TestHttpdLink::tlsManagerWithClientCertificate()
{
    // httpd over https with its own CA, letting in only a client certificate that CA signed.
    HttpdServer::Options options;
    options.members = {{m_app1->port(), 2, QStringLiteral("a")}, {m_app2->port(), 1, QStringLiteral("b")}};
    options.tls = true;
    options.requireClientCertificate = true;
    HttpdServer httpd(options);
    QString error;
    QVERIFY2(httpd.start(&error), qPrintable(error));
    const QString base = httpd.managerUrl();
    QVERIFY(base.startsWith(u"https://"));
    const QString full = QStringLiteral("%1?key=%2&cert=%3&ca=%4").arg(base, httpd.clientKeyFile(), httpd.clientCertFile(), httpd.caFile());
    // One spelling, whatever the order typed.
    const std::optional<QUrl> parsed = HttpdOptions::parseManagerUrl(full, &error);
    QVERIFY2(parsed, qPrintable(error));
    QCOMPARE(parsed->query(), QStringLiteral("ca=%1&cert=%2&key=%3").arg(httpd.caFile(), httpd.clientCertFile(), httpd.clientKeyFile()));

    // With the CA and the client certificate: read and changed like any manager.
    {
        HttpdOptions tls = HttpdOptions::fromAddress(parsed->toString(), QByteArray());
        QCOMPARE(tls.managerUrl.toString(), base);
        tls.tickMs = 250;
        HttpdEngineLink link(tls);
        QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
        QSignalSpy results(&link, &EngineLink::commandFinished);
        QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 10'000);
        QCOMPARE(link.state(), LinkState::Connected);
        QCOMPARE(snapshots.last().at(0).value<LinkSnapshot>().servers.size(), 2);
        const CommandResult changed = resultOf(link, link.setWeight(QStringLiteral("web"), QStringLiteral("b"), 7), results);
        QVERIFY2(changed.ok, qPrintable(changed.message));
        const QByteArray xml = httpd.managerXml();
        QVERIFY2(xml.contains("<httpd:loadfactor>7.00</httpd:loadfactor>"), xml.constData());
    }

    // Without the CA: httpd's certificate is not trusted, and the message says what to add.
    {
        HttpdEngineLink link(HttpdOptions::fromAddress(base, QByteArray()));
        QTRY_COMPARE_WITH_TIMEOUT(link.state(), LinkState::Disconnected, 10'000);
        QVERIFY2(link.lastError().contains(u"TLS") && link.lastError().contains(u"ca=PATH"), qPrintable(link.lastError()));
    }
    // With the CA but no client certificate: httpd turns it away, and the message says what to add.
    {
        HttpdEngineLink link(HttpdOptions::fromAddress(base + QStringLiteral("?ca=") + httpd.caFile(), QByteArray()));
        QTRY_COMPARE_WITH_TIMEOUT(link.state(), LinkState::Disconnected, 10'000);
        QVERIFY2(link.lastError().contains(u"cert=PATH&key=PATH"), qPrintable(link.lastError()));
    }
    // A key others can read is refused before anything is sent, like ssh does.
    {
        QTemporaryDir dir;
        const QString leaky = dir.filePath(QStringLiteral("client.key"));
        QVERIFY(QFile::copy(httpd.clientKeyFile(), leaky));
        QVERIFY(QFile::setPermissions(leaky, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther));
        HttpdEngineLink link(HttpdOptions::fromAddress(
            QStringLiteral("%1?ca=%2&cert=%3&key=%4").arg(base, httpd.caFile(), httpd.clientCertFile(), leaky), QByteArray()));
        QTRY_COMPARE_WITH_TIMEOUT(link.state(), LinkState::Disconnected, 10'000);
        QVERIFY2(link.lastError().contains(QStringLiteral("chmod 600 ") + leaky) && link.lastError().contains(u"0644"), qPrintable(link.lastError()));
    }
    // fulcrumctl reads the same address.
    const ProgramRun list = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                       {QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), QStringLiteral("httpd:") + full});
    QVERIFY2(list.exitCode == 0, qPrintable(list.err));
    QVERIFY2(list.out.contains(u"web/b") || (list.out.contains(u"web") && list.out.contains(u" b ")), qPrintable(list.out));
}

void TestHttpdLink::unreachableManagerSaysWhy()
{
    HttpdOptions options;
    QString error;
    options.managerUrl = *HttpdOptions::parseManagerUrl(QStringLiteral("127.0.0.1:%1").arg(freeLoopbackPort()), &error);
    QCOMPARE(options.managerUrl.path(), QStringLiteral("/balancer-manager"));
    HttpdEngineLink link(options);
    QTRY_COMPARE_WITH_TIMEOUT(link.state(), LinkState::Disconnected, 10'000);
    QVERIFY2(link.lastError().contains(u"cannot reach the balancer-manager"), qPrintable(link.lastError()));
}

void TestHttpdLink::probeNamesTheBalancers()
{
    bool answered = false;
    bool ok = false;
    QString message;
    QObject context;
    HttpdEngineLink::probe(optionsFor(*m_httpd), &context, [&](bool success, const QString &text) {
        answered = true;
        ok = success;
        message = text;
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered, 10'000);
    QVERIFY2(ok, qPrintable(message));
    QVERIFY2(message.contains(u"Apache") && message.contains(u"web (2 member(s))"), qPrintable(message));
}

void TestHttpdLink::fulcrumctlListsAndChanges()
{
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const ProgramRun list = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--httpd"), m_httpd->managerUrl()});
    QVERIFY2(list.exitCode == 0, qPrintable(list.err));
    QVERIFY2(list.out.contains(QStringLiteral("pool web (Apache httpd at %1; weights 1–100)").arg(m_httpd->managerUrl())), qPrintable(list.out));
    const QRegularExpression rowA(QStringLiteral("\\n  a +http://127\\.0\\.0\\.1:%1 +up +\\S* +3/3 ").arg(m_app1->port()));
    QVERIFY2(list.out.contains(rowA), qPrintable(list.out));

    const ProgramRun set = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("set-weight"), QStringLiteral("web/a"), QStringLiteral("1"),
                                            QStringLiteral("--httpd"), m_httpd->managerUrl()});
    QVERIFY2(set.exitCode == 0, qPrintable(set.err));
    QCOMPARE(set.out.trimmed(), QStringLiteral("httpd web/a: 3 → 1"));
    const QMap<QString, int> served = m_httpd->spread(40);
    QCOMPARE(served.value(QStringLiteral("app1")), 20);

    const ProgramRun drain = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/b"), QStringLiteral("drain"),
                                              QStringLiteral("--httpd"), m_httpd->managerUrl()});
    QVERIFY2(drain.exitCode == 0, qPrintable(drain.err));
    QCOMPARE(m_httpd->spread(10).value(QStringLiteral("app2")), 0);

    // Outside httpd's range: refused before anything is sent, with the range.
    const ProgramRun zero = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("set-weight"), QStringLiteral("web/a"), QStringLiteral("0"),
                                             QStringLiteral("--httpd"), m_httpd->managerUrl()});
    QCOMPARE(zero.exitCode, 2);
    QVERIFY2(zero.err.contains(u"from 1 to 100"), qPrintable(zero.err));
    const ProgramRun nobody = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("set-weight"), QStringLiteral("web/nobody"), QStringLiteral("5"),
                                               QStringLiteral("--httpd"), m_httpd->managerUrl()});
    QVERIFY(nobody.exitCode != 0);
    QVERIFY2(nobody.err.contains(u"no member \"nobody\""), qPrintable(nobody.err));
}

// `backends set-state … drain --wait` against httpd: it waits for the member's "Busy" (requests
// it is serving) to reach 0, with requests really held by the server behind a real httpd.
void TestHttpdLink::drainWaitsForHttpdsBusyWorkers()
{
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    auto send = [&](int count) {
        std::vector<std::unique_ptr<QTcpSocket>> sent = sendWithoutWaiting(m_httpd->port(), count, "/");
        QCOMPARE(int(sent.size()), count);
        std::move(sent.begin(), sent.end(), std::back_inserter(clients));
    };
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    auto busy = [&] {
        const ProgramRun list = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--httpd"), m_httpd->managerUrl()});
        const QStringList lines = list.out.split(u'\n');
        const QString header = lines.filter(QStringLiteral("ACTIVE")).value(0);
        return lines.filter(QStringLiteral("  a ")).value(0).mid(header.indexOf(u"ACTIVE"), 6).trimmed().toInt();
    };
    m_app1->backend().setLatency(2500);
    m_app2->backend().setLatency(2500);
    send(4);
    QTRY_VERIFY_WITH_TIMEOUT(busy() > 0, 5000);
    const ProgramRun drained = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/a"), QStringLiteral("drain"),
                                                QStringLiteral("--wait"), QStringLiteral("15s"), QStringLiteral("--yes"), QStringLiteral("--httpd"), m_httpd->managerUrl()});
    m_app1->backend().setLatency(0);
    m_app2->backend().setLatency(0);
    QVERIFY2(drained.exitCode == 0, qPrintable(drained.out + drained.err));
    QVERIFY2(drained.out.contains(u"web/a: ") && drained.out.contains(u"request(s) in flight, waiting (up to 15s)")
                 && drained.out.contains(u"web/a: no request in flight after "),
             qPrintable(drained.out));
    QCOMPARE(busy(), 0);
}

void TestHttpdLink::fulcrumctlReadsThePasswordFromAFile()
{
    HttpdServer::Options options;
    options.members = {{m_app1->port(), 1, QStringLiteral("a")}};
    options.user = QStringLiteral("ops");
    options.password = "s3cret-manager";
    HttpdServer httpd(options);
    QString error;
    QVERIFY2(httpd.start(&error), qPrintable(error));
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("httpd.password"));
    QFile secret(file);
    QVERIFY(secret.open(QIODevice::WriteOnly));
    secret.write("s3cret-manager\n");
    secret.close();
    QVERIFY(secret.setPermissions(QFile::ReadOwner | QFile::WriteOwner));

    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const ProgramRun without = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--httpd"), httpd.managerUrl()});
    QCOMPARE(without.exitCode, 4);   // the engine could not be read
    QVERIFY2(without.err.contains(u"401"), qPrintable(without.err));
    const ProgramRun with = runProgram(ctl, {QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--httpd"), httpd.managerUrl(),
                                             QStringLiteral("--user"), QStringLiteral("ops"), QStringLiteral("--password-file"), file});
    QVERIFY2(with.exitCode == 0, qPrintable(with.err));
    QVERIFY(with.out.contains(u"pool web"));
    QVERIFY(!with.out.contains(u"s3cret") && !with.err.contains(u"s3cret"));
}

QTEST_GUILESS_MAIN(TestHttpdLink)
#include "tst_httpdlink.moc"
