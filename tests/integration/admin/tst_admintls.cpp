// The admin API over TLS, against real fulcrumd processes with certificates the test makes with
// the OpenSSL command line: fulcrumctl and the console's remote link over https with a CA, a
// pin, a client certificate (mutual TLS); refused with a wrong CA, an expired certificate, no
// client certificate, plain http to a TLS port; a key that is not the certificate's stops
// fulcrumd at start with the file named.
#include "admin/adminclient.h"
#include "engine/remoteenginelink.h"
#include "freeport.h"
#include "fulcrumdprocess.h"
#include "programs.h"
#include "testcertificates.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

class TestAdminTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void addressesParse_data();
    void addressesParse();
    void fulcrumctlWithTheCa();
    void wrongCaIsRefusedWithTheFingerprint();
    void pinTrustsOneCertificate();
    void plainHttpToTheTlsPortSaysHttps();
    void remoteLinkOverHttps();
    void consoleProgramOverHttps();
    void probeNamesAnUnencryptedRemoteEngine();
    void expiredCertificateIsRefused();
    void mutualTlsNeedsTheClientCertificate();
    void keyOfAnotherCertificateStopsTheStart();
    void readableKeyStopsTheStart();
    void renewedCertificateIsServedAfterAReload();
    void expiryIsAMetricAndAWarningAhead();

private:
    bool makeSigned(const QString &name, const QString &ca, const QString &usage, int days = 3650, const QString &faketime = QString())
    {
        QString error;
        const bool ok = m_certificates.makeSigned(name, ca, usage, &error, days, faketime);
        if (!ok)
            qWarning("%s", qPrintable(error));
        return ok;
    }
    QString file(const QString &name) const { return m_dir.filePath(name); }
    QJsonObject tls(const QString &cert, const QString &key, const QString &clientCa = QString()) const;
    // A fulcrumd of one pool (one server, never started) with the admin API over TLS.
    static FulcrumdProcess::Options withAdminTls(const QJsonObject &adminTls)
    {
        FulcrumdProcess::Options options;
        options.servers = {{QStringLiteral("app1"), freeLoopbackPort()}};
        options.adminTls = adminTls;
        return options;
    }
    // fulcrumctl backends list over the given engine address.
    ProgramRun backends(const QString &address, const FulcrumdProcess &engine);

    QTemporaryDir m_dir;
    TestCertificates m_certificates{m_dir.path()};
    std::unique_ptr<FulcrumdProcess> m_engine;   // TLS with server.pem, no client certificates
    QString m_fingerprint;                       // of server.pem, "sha256:AB:CD:…"
};

QJsonObject TestAdminTls::tls(const QString &cert, const QString &key, const QString &clientCa) const
{
    QJsonObject o{{QStringLiteral("cert"), file(cert)}, {QStringLiteral("key"), file(key)}};
    if (!clientCa.isEmpty())
        o.insert(QStringLiteral("client_ca"), file(clientCa));
    return o;
}

ProgramRun TestAdminTls::backends(const QString &address, const FulcrumdProcess &engine)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("FULCRUM_TOKEN"));
    return runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                      {QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), address, QStringLiteral("--token-file"), engine.tokenFile()},
                      env, {}, 20'000);
}

void TestAdminTls::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Two CAs; a server certificate and a client certificate from the first.
    QString error;
    for (const QString &ca : {QStringLiteral("ca"), QStringLiteral("other-ca")})
        QVERIFY2(m_certificates.makeCa(ca, &error), qPrintable(error));
    QVERIFY(makeSigned(QStringLiteral("server"), QStringLiteral("ca"), QStringLiteral("serverAuth")));
    QVERIFY(makeSigned(QStringLiteral("client"), QStringLiteral("ca"), QStringLiteral("clientAuth")));
    const QList<QSslCertificate> server = QSslCertificate::fromPath(file(QStringLiteral("server.pem")));
    QCOMPARE(server.size(), 1);
    m_fingerprint = tlsFingerprint(server.first());

    m_engine = std::make_unique<FulcrumdProcess>(withAdminTls(tls(QStringLiteral("server.pem"), QStringLiteral("server.key"))));
    QString log;
    QVERIFY2(m_engine->start(&log), qPrintable(log));
    QVERIFY2(log.contains(u"admin API on https://") && log.contains(m_fingerprint.mid(7)), qPrintable(log));
}

void TestAdminTls::cleanupTestCase()
{
    m_engine.reset();
}

void TestAdminTls::addressesParse_data()
{
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("normal");    // empty: refused
    QTest::addColumn<QString>("error");     // a part of the refusal
    QTest::newRow("https with a CA") << QStringLiteral("https://lb1:9900?ca=/etc/fulcrum/ca.pem") << QStringLiteral("https://lb1:9900?ca=/etc/fulcrum/ca.pem") << QString();
    QTest::newRow("https default port") << QStringLiteral("https://lb1") << QStringLiteral("https://lb1:9900") << QString();
    QTest::newRow("pin with colons, lower case")
        << QStringLiteral("https://lb1:9900?pin=sha256:") + QStringLiteral("ab:").repeated(31) + QStringLiteral("ab")
        << QStringLiteral("https://lb1:9900?pin=sha256:") + QStringLiteral("AB").repeated(32) << QString();
    QTest::newRow("short pin") << QStringLiteral("https://lb1:9900?pin=sha256:abcd") << QString() << QStringLiteral("not a certificate fingerprint");
    QTest::newRow("CA on http") << QStringLiteral("http://lb1:9900?ca=/tmp/ca.pem") << QString() << QStringLiteral("write https://");
    QTest::newRow("cert without key") << QStringLiteral("https://lb1:9900?cert=/tmp/c.pem") << QString() << QStringLiteral("needs its key");
    QTest::newRow("unknown item") << QStringLiteral("https://lb1:9900?verify=no") << QString() << QStringLiteral("verify=no");
}

void TestAdminTls::addressesParse()
{
    QFETCH(QString, typed);
    QFETCH(QString, normal);
    QFETCH(QString, error);
    QString why;
    const std::optional<AdminAddress> address = AdminAddress::parse(typed, &why);
    if (normal.isEmpty()) {
        QVERIFY(!address);
        QVERIFY2(why.contains(error), qPrintable(why));
        return;
    }
    QVERIFY2(address, qPrintable(why));
    QCOMPARE(address->toString(), normal);
    QCOMPARE(AdminAddress::parse(address->toString(), &why)->toString(), normal);
    // One token per engine, whatever its TLS items.
    QCOMPARE(RemoteEngineLink::keychainEntry(address->url), QStringLiteral("fulcrumd:") + address->url.toString());
}

void TestAdminTls::fulcrumctlWithTheCa()
{
    const ProgramRun run = backends(m_engine->adminUrl().toString() + QStringLiteral("?ca=") + file(QStringLiteral("ca.pem")), *m_engine);
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY2(run.out.contains(u"app1"), qPrintable(run.out));
    // An engine with no lock endpoint says so (nothing printed read as "no lock held").
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("FULCRUM_TOKEN"));
    const ProgramRun locks = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                        {QStringLiteral("locks"), QStringLiteral("--engine"), m_engine->adminUrl().toString() + QStringLiteral("?ca=") + file(QStringLiteral("ca.pem")),
                                         QStringLiteral("--token-file"), m_engine->tokenFile()},
                                        env, {}, 20'000);
    QVERIFY2(locks.exitCode == 0, qPrintable(locks.err));
    QVERIFY2(locks.out.contains(u"watches no lock endpoint") && locks.out.contains(u"fulcrumctl locks --redis URL"), qPrintable(locks.out));
}

void TestAdminTls::wrongCaIsRefusedWithTheFingerprint()
{
    // The system's CAs do not know the test CA either.
    for (const QString &address : {m_engine->adminUrl().toString() + QStringLiteral("?ca=") + file(QStringLiteral("other-ca.pem")), m_engine->adminUrl().toString()}) {
        const ProgramRun run = backends(address, *m_engine);
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains(u"not signed by a CA this side trusts") && run.err.contains(m_fingerprint) && run.err.contains(u"pin="), qPrintable(run.err));
        QVERIFY2(!run.out.contains(u"app1"), qPrintable(run.out));
    }
}

void TestAdminTls::pinTrustsOneCertificate()
{
    const ProgramRun pinned = backends(m_engine->adminUrl().toString() + QStringLiteral("?pin=") + m_fingerprint, *m_engine);
    QVERIFY2(pinned.exitCode == 0, qPrintable(pinned.err));
    QVERIFY2(pinned.out.contains(u"app1"), qPrintable(pinned.out));
    // The pin of another certificate (the client's) does not open the door.
    const QString other = tlsFingerprint(QSslCertificate::fromPath(file(QStringLiteral("client.pem"))).first());
    const ProgramRun wrong = backends(m_engine->adminUrl().toString() + QStringLiteral("?pin=") + other, *m_engine);
    QCOMPARE(wrong.exitCode, 4);
    QVERIFY2(wrong.err.contains(m_fingerprint), qPrintable(wrong.err));
}

void TestAdminTls::plainHttpToTheTlsPortSaysHttps()
{
    const ProgramRun run = backends(QStringLiteral("http://127.0.0.1:%1").arg(m_engine->adminPort()), *m_engine);
    QCOMPARE(run.exitCode, 4);
    QVERIFY2(run.err.contains(u"https://"), qPrintable(run.err));
    // The server is still there for the next client.
    QVERIFY(m_engine->isRunning());
    QCOMPARE(backends(m_engine->adminUrl().toString() + QStringLiteral("?ca=") + file(QStringLiteral("ca.pem")), *m_engine).exitCode, 0);
}

void TestAdminTls::remoteLinkOverHttps()
{
    // The console's link, as Settings → Engines makes it from the address.
    QString why;
    const std::optional<AdminAddress> address = AdminAddress::parse(m_engine->adminUrl().toString() + QStringLiteral("?pin=") + m_fingerprint, &why);
    QVERIFY2(address, qPrintable(why));
    RemoteEngineOptions options;
    options.name = QStringLiteral("tls");
    options.url = address->url;
    options.tls = address->tls;
    options.token = m_engine->token();
    RemoteEngineLink link(options);
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QVERIFY2(snapshots.wait(10'000), qPrintable(link.stateDetail()));
    QCOMPARE(link.state(), LinkState::Connected);
    const LinkSnapshot snapshot = snapshots.last().first().value<LinkSnapshot>();
    QVERIFY(snapshot.indexOf(QStringLiteral("web"), QStringLiteral("app1")) >= 0);

    // Without the pin the link says why it cannot connect, with the fingerprint to check.
    options.tls = {};
    RemoteEngineLink refused(options);
    QVERIFY(QTest::qWaitFor([&] { return refused.stateDetail().contains(m_fingerprint); }, 10'000));
    QVERIFY(refused.state() != LinkState::Connected);
}

void TestAdminTls::consoleProgramOverHttps()
{
    // The console program, offscreen, attached from its command line with the CA: it saves its
    // views after four snapshots came over https, so its exit means it was connected.
    QTemporaryDir home;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.remove(QStringLiteral("FULCRUM_TOKEN"));
    const QString shots = home.filePath(QStringLiteral("shots"));
    const ProgramRun run = runProgram(binaryPath(QStringLiteral("fulcrum")),
                                      {QStringLiteral("--engine"), QStringLiteral("tls=") + m_engine->adminUrl().toString() + QStringLiteral("?ca=") + file(QStringLiteral("ca.pem")),
                                       QStringLiteral("--token-file"), m_engine->tokenFile(), QStringLiteral("--screenshot"), shots,
                                       QStringLiteral("--screenshot-after"), QStringLiteral("4")},
                                      env, {}, 60'000);
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY(QFile::exists(shots + QStringLiteral("/console-servers.png")));
}

void TestAdminTls::probeNamesAnUnencryptedRemoteEngine()
{
    QString why;
    QVERIFY(AdminAddress::parse(QStringLiteral("http://10.1.2.3:9900"), &why)->isUnencryptedRemote());
    QVERIFY(!AdminAddress::parse(QStringLiteral("http://127.0.0.1:9900"), &why)->isUnencryptedRemote());
    QVERIFY(!AdminAddress::parse(QStringLiteral("http://[::1]:9900"), &why)->isUnencryptedRemote());
    QVERIFY(!AdminAddress::parse(QStringLiteral("https://10.1.2.3:9900"), &why)->isUnencryptedRemote());
    // The console's link says so (checked before its first event-loop turn: it never dials out).
    {
        RemoteEngineOptions options;
        options.name = QStringLiteral("far");
        options.url = QUrl(QStringLiteral("http://10.1.2.3:9900"));
        RemoteEngineLink far(options);
        QVERIFY2(far.transportWarning().contains(u"far unencrypted") && far.transportWarning().contains(u"admin.tls"), qPrintable(far.transportWarning()));
        options.url = m_engine->adminUrl();
        RemoteEngineLink near(options);
        QVERIFY(near.transportWarning().isEmpty());
    }
    // "Test connection" over https with the CA: answers, and does not call it unencrypted.
    bool done = false;
    bool ok = false;
    QString message;
    RemoteEngineLink::probe(*AdminAddress::parse(m_engine->adminUrl().toString() + QStringLiteral("?ca=") + file(QStringLiteral("ca.pem")), &why),
                            m_engine->token(), this, [&](bool good, const QString &text) {
                                done = true;
                                ok = good;
                                message = text;
                            });
    QVERIFY(QTest::qWaitFor([&] { return done; }, 10'000));
    QVERIFY2(ok && message.contains(u"1 pool(s)") && !message.contains(u"unencrypted"), qPrintable(message));
}

void TestAdminTls::expiredCertificateIsRefused()
{
    QVERIFY(makeSigned(QStringLiteral("expired"), QStringLiteral("ca"), QStringLiteral("serverAuth"), 2, QStringLiteral("2020-01-01 00:00:00")));
    FulcrumdProcess engine(withAdminTls(tls(QStringLiteral("expired.pem"), QStringLiteral("expired.key"))));
    QString log;
    // It starts (the proxy must serve whatever the admin certificate's date), and says so.
    QVERIFY2(engine.start(&log), qPrintable(log));
    QVERIFY2(log.contains(u"clients will refuse the admin API until it is renewed"), qPrintable(log));
    const QString expiredPin = tlsFingerprint(QSslCertificate::fromPath(file(QStringLiteral("expired.pem"))).first());
    for (const QString &items : {QStringLiteral("?ca=") + file(QStringLiteral("ca.pem")), QStringLiteral("?pin=") + expiredPin}) {
        const ProgramRun run = backends(engine.adminUrl().toString() + items, engine);
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains(u"expired on 2020-01-03"), qPrintable(run.err));
    }
}

void TestAdminTls::mutualTlsNeedsTheClientCertificate()
{
    FulcrumdProcess engine(withAdminTls(tls(QStringLiteral("server.pem"), QStringLiteral("server.key"), QStringLiteral("ca.pem"))));
    QString log;
    QVERIFY2(engine.start(&log), qPrintable(log));
    QVERIFY2(log.contains(u"client certificates from"), qPrintable(log));
    const QString base = engine.adminUrl().toString() + QStringLiteral("?ca=") + file(QStringLiteral("ca.pem"));

    const ProgramRun without = backends(base, engine);
    QCOMPARE(without.exitCode, 4);
    QVERIFY2(without.err.contains(u"cert=PATH&key=PATH"), qPrintable(without.err));

    const ProgramRun with = backends(base + QStringLiteral("&cert=") + file(QStringLiteral("client.pem")) + QStringLiteral("&key=") + file(QStringLiteral("client.key")), engine);
    QVERIFY2(with.exitCode == 0, qPrintable(with.err));
    QVERIFY2(with.out.contains(u"app1"), qPrintable(with.out));

    // A client certificate of another CA is refused as none.
    QVERIFY(makeSigned(QStringLiteral("stranger"), QStringLiteral("other-ca"), QStringLiteral("clientAuth")));
    const ProgramRun stranger = backends(base + QStringLiteral("&cert=") + file(QStringLiteral("stranger.pem")) + QStringLiteral("&key=") + file(QStringLiteral("stranger.key")), engine);
    QCOMPARE(stranger.exitCode, 4);
    QVERIFY2(stranger.err.contains(u"admin.tls.client_ca"), qPrintable(stranger.err));
    // The engine tells its operator what happened.
    engine.stop();
    QFile logFile(engine.logFile());
    QVERIFY(logFile.open(QIODevice::ReadOnly));
    const QByteArray written = logFile.readAll();
    QVERIFY2(written.contains("a TLS handshake from 127.0.0.1 failed"), written.constData());
}

void TestAdminTls::keyOfAnotherCertificateStopsTheStart()
{
    FulcrumdProcess engine(withAdminTls(tls(QStringLiteral("server.pem"), QStringLiteral("client.key"))));
    QString log;
    QVERIFY(!engine.start(&log));
    QVERIFY(QTest::qWaitFor([&] { return !engine.isRunning(); }, 10'000));
    QVERIFY2(log.contains(u"does not belong to the certificate") && log.contains(file(QStringLiteral("client.key"))), qPrintable(log));
}

void TestAdminTls::readableKeyStopsTheStart()
{
    QVERIFY(QFile::copy(file(QStringLiteral("server.key")), file(QStringLiteral("open.key"))));
    QFile::setPermissions(file(QStringLiteral("open.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther);
    FulcrumdProcess engine(withAdminTls(tls(QStringLiteral("server.pem"), QStringLiteral("open.key"))));
    QString log;
    QVERIFY(!engine.start(&log));
    QVERIFY2(log.contains(u"chmod 600 ") && log.contains(file(QStringLiteral("open.key"))), qPrintable(log));
}

// certbot, an ACME client or a person renews the certificate at the same paths and sends SIGHUP:
// new connections get the new certificate, no restart. A pair that cannot be used (the key of
// another certificate, mid-copy) refuses the reload whole and the running certificate stays.
void TestAdminTls::renewedCertificateIsServedAfterAReload()
{
    QVERIFY(makeSigned(QStringLiteral("first"), QStringLiteral("ca"), QStringLiteral("serverAuth")));
    QVERIFY(makeSigned(QStringLiteral("renewed"), QStringLiteral("ca"), QStringLiteral("serverAuth")));
    auto install = [this](const QString &cert, const QString &key) {
        QFile::remove(file(QStringLiteral("live.pem")));
        QFile::remove(file(QStringLiteral("live.key")));
        return QFile::copy(file(cert), file(QStringLiteral("live.pem"))) && QFile::copy(file(key), file(QStringLiteral("live.key")))
            && QFile::setPermissions(file(QStringLiteral("live.key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    };
    auto pinOf = [this](const QString &cert) { return tlsFingerprint(QSslCertificate::fromPath(file(cert)).first()); };
    QVERIFY(install(QStringLiteral("first.pem"), QStringLiteral("first.key")));
    FulcrumdProcess engine(withAdminTls(tls(QStringLiteral("live.pem"), QStringLiteral("live.key"))));
    QString log;
    QVERIFY2(engine.start(&log), qPrintable(log));
    const QString pinned = engine.adminUrl().toString() + QStringLiteral("?pin=");
    QCOMPARE(backends(pinned + pinOf(QStringLiteral("first.pem")), engine).exitCode, 0);

    auto logText = [&engine] {
        QFile f(engine.logFile());
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    };
    QVERIFY(install(QStringLiteral("renewed.pem"), QStringLiteral("renewed.key")));
    engine.reload();
    QTRY_VERIFY2_WITH_TIMEOUT(logText().contains(QStringLiteral("admin.tls read again for new connections: certificate ") + pinOf(QStringLiteral("renewed.pem"))),
                              qPrintable(logText()), 10'000);
    QVERIFY2(logText().contains(QStringLiteral("(was ") + pinOf(QStringLiteral("first.pem"))), qPrintable(logText()));
    const ProgramRun renewed = backends(pinned + pinOf(QStringLiteral("renewed.pem")), engine);
    QVERIFY2(renewed.exitCode == 0 && renewed.out.contains(u"app1"), qPrintable(renewed.err));
    const ProgramRun old = backends(pinned + pinOf(QStringLiteral("first.pem")), engine);
    QCOMPARE(old.exitCode, 4);   // the old pin no longer matches what is served

    // Half a renewal: the new certificate with the old key. Refused whole, named; the renewed
    // certificate is still the one served.
    QVERIFY(install(QStringLiteral("first.pem"), QStringLiteral("renewed.key")));
    engine.reload();
    QTRY_VERIFY2_WITH_TIMEOUT(logText().contains(u"still serving the previous config and admin certificate"), qPrintable(logText()), 10'000);
    QVERIFY2(logText().contains(file(QStringLiteral("live.key"))), qPrintable(logText()));
    QCOMPARE(backends(pinned + pinOf(QStringLiteral("renewed.pem")), engine).exitCode, 0);
}

// Renewing before clients refuse it: /metrics has the admin certificate's expiry (for an alert),
// and a certificate that expires within 14 days is a warning at start naming the fix.
void TestAdminTls::expiryIsAMetricAndAWarningAhead()
{
    // Made at this process's clock (openssl runs without the suite's libfaketime otherwise), so
    // it expires in 5 days whatever date the suite is run at.
    QVERIFY(makeSigned(QStringLiteral("soon"), QStringLiteral("ca"), QStringLiteral("serverAuth"), 5,
                       QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))));
    FulcrumdProcess engine(withAdminTls(tls(QStringLiteral("soon.pem"), QStringLiteral("soon.key"))));
    QString log;
    QVERIFY2(engine.start(&log), qPrintable(log));
    const QSslCertificate soon = QSslCertificate::fromPath(file(QStringLiteral("soon.pem"))).first();
    QVERIFY2(log.contains(QStringLiteral("admin.tls.cert %1 expires on %2 (UTC), in ").arg(file(QStringLiteral("soon.pem")), soon.expiryDate().toUTC().toString(Qt::ISODate)))
                 && log.contains(u"day(s): renew it at the same paths and send fulcrumd SIGHUP"),
             qPrintable(log));
    // A long-lived certificate says nothing of the kind.
    QFile started(m_engine->logFile());
    QVERIFY(started.open(QIODevice::ReadOnly));
    QVERIFY(!started.readAll().contains("day(s): renew it"));

    // The token goes in a header file, not on curl's command line.
    QFile header(file(QStringLiteral("metrics-header")));
    QVERIFY(header.open(QIODevice::WriteOnly));
    header.write("Authorization: Bearer " + engine.token() + '\n');
    header.close();
    const ProgramRun metrics = runProgram(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("20"),
                                                                   QStringLiteral("--cacert"), file(QStringLiteral("ca.pem")), QStringLiteral("-H"),
                                                                   u'@' + header.fileName(), engine.adminUrl().toString() + QStringLiteral("/metrics")});
    QVERIFY2(metrics.exitCode == 0, qPrintable(metrics.err));
    const QString expected = QStringLiteral("\nfulcrum_admin_certificate_expiry_timestamp_seconds %1\n").arg(soon.expiryDate().toSecsSinceEpoch());
    QVERIFY2(metrics.out.contains(expected), qPrintable(metrics.out.right(2000)));
}

QTEST_GUILESS_MAIN(TestAdminTls)
#include "tst_admintls.moc"
