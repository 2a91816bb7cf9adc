// The registry of engine kinds: every kind provides all a kind must, addresses are read and
// written back the same way, secrets come from where the kind says, and the capabilities the
// views read are each kind's own.
#include "engine/enginelink.h"
#include "link/enginekinds.h"

#include <QTest>

using namespace fulcrum;

class TestEngineKinds : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyKindProvidesItAll();
    void addresses_data();
    void addresses();
    void badAddressNamesTheKinds();
    void builtInIsTheEmbeddedDemo();
    void secrets();
    void capabilities();
};

void TestEngineKinds::everyKindProvidesItAll()
{
    QStringList ids;
    for (const EngineKind &kind : EngineKinds::all()) {
        QVERIFY2(!kind.id.isEmpty() && !kind.id.contains(u':') && !ids.contains(kind.id), qPrintable(kind.id));
        ids.append(kind.id);
        QVERIFY(!kind.label.isEmpty() && !kind.addressHelp.isEmpty());
        QVERIFY(kind.capabilities && kind.normalize && kind.keychainEntry && kind.needsSecret && kind.create && kind.probe);
        QCOMPARE(EngineKinds::find(kind.id), &kind);
        if (kind.hasSecret())
            QVERIFY2(!kind.secretEnvironment.isEmpty(), qPrintable(kind.id));
    }
    QCOMPARE(ids, (QStringList{QStringLiteral("fulcrumd"), QStringLiteral("haproxy"), QStringLiteral("httpd"), QStringLiteral("embedded")}));
    QCOMPARE(EngineKinds::find(QStringLiteral("nginx")), nullptr);
}

void TestEngineKinds::addresses_data()
{
    QTest::addColumn<QString>("spelled");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("address");
    QTest::addColumn<QString>("spelledBack");
    QTest::newRow("bare fulcrumd URL") << QStringLiteral("http://127.0.0.1:9900") << QStringLiteral("fulcrumd")
                                       << QStringLiteral("http://127.0.0.1:9900") << QStringLiteral("http://127.0.0.1:9900");
    QTest::newRow("fulcrumd, kind given") << QStringLiteral("fulcrumd:http://10.0.0.5:9900") << QStringLiteral("fulcrumd")
                                          << QStringLiteral("http://10.0.0.5:9900") << QStringLiteral("http://10.0.0.5:9900");
    QTest::newRow("haproxy socket") << QStringLiteral("haproxy:/run/haproxy/admin.sock") << QStringLiteral("haproxy")
                                    << QStringLiteral("/run/haproxy/admin.sock") << QStringLiteral("haproxy:/run/haproxy/admin.sock");
    QTest::newRow("haproxy tcp") << QStringLiteral("haproxy:127.0.0.1:9999") << QStringLiteral("haproxy")
                                 << QStringLiteral("127.0.0.1:9999") << QStringLiteral("haproxy:127.0.0.1:9999");
    QTest::newRow("httpd host:port") << QStringLiteral("httpd:127.0.0.1:8080") << QStringLiteral("httpd")
                                     << QStringLiteral("http://127.0.0.1:8080/balancer-manager")
                                     << QStringLiteral("httpd:http://127.0.0.1:8080/balancer-manager");
    QTest::newRow("httpd with user") << QStringLiteral("httpd:http://ops@127.0.0.1:8080/manager") << QStringLiteral("httpd")
                                     << QStringLiteral("http://ops@127.0.0.1:8080/manager") << QStringLiteral("httpd:http://ops@127.0.0.1:8080/manager");
    QTest::newRow("httpd https, TLS files in one order") << QStringLiteral("httpd:https://127.0.0.1:8443/balancer-manager?key=/k.pem&ca=/ca.pem&cert=/c.pem")
                                                         << QStringLiteral("httpd")
                                                         << QStringLiteral("https://127.0.0.1:8443/balancer-manager?ca=/ca.pem&cert=/c.pem&key=/k.pem")
                                                         << QStringLiteral("httpd:https://127.0.0.1:8443/balancer-manager?ca=/ca.pem&cert=/c.pem&key=/k.pem");
    QTest::newRow("embedded demo") << QStringLiteral("embedded:demo") << QStringLiteral("embedded") << QStringLiteral("demo")
                                   << QStringLiteral("embedded:demo");
    QTest::newRow("embedded, address left out") << QStringLiteral("embedded:") << QStringLiteral("embedded") << QStringLiteral("demo")
                                                << QStringLiteral("embedded:demo");
}

void TestEngineKinds::addresses()
{
    QFETCH(QString, spelled);
    QFETCH(QString, kind);
    QFETCH(QString, address);
    QFETCH(QString, spelledBack);
    QString error;
    const std::optional<EngineKinds::Spelled> parsed = EngineKinds::parse(spelled, &error);
    QVERIFY2(parsed, qPrintable(error));
    QCOMPARE(parsed->kind->id, kind);
    QCOMPARE(parsed->address, address);
    QCOMPARE(EngineKinds::spell(*parsed->kind, parsed->address), spelledBack);
    const std::optional<EngineKinds::Spelled> again = EngineKinds::parse(spelledBack, &error);
    QVERIFY(again && again->kind == parsed->kind && again->address == parsed->address);
}

void TestEngineKinds::badAddressNamesTheKinds()
{
    QString error;
    QVERIFY(!EngineKinds::parse(QStringLiteral("ftp://lb1"), &error));
    for (const EngineKind &kind : EngineKinds::all())
        QVERIFY2(error.contains(kind.id + QStringLiteral(":ADDRESS")), qPrintable(error));
    QVERIFY(!EngineKinds::parse(QStringLiteral("httpd:http://ops:hunter2@127.0.0.1:8080/balancer-manager"), &error));
    QVERIFY2(error.contains(u"password") && !error.contains(u"hunter2"), qPrintable(error));
    // An httpd address takes the TLS files only, on https, a certificate with its key.
    QVERIFY(!EngineKinds::parse(QStringLiteral("httpd:https://127.0.0.1:8443/balancer-manager?nonce=1"), &error));
    QVERIFY2(error.contains(u"\"nonce\"") && error.contains(u"ca=PATH"), qPrintable(error));
    QVERIFY(!EngineKinds::parse(QStringLiteral("httpd:http://127.0.0.1:8080/balancer-manager?ca=/ca.pem"), &error));
    QVERIFY2(error.contains(u"https://"), qPrintable(error));
    QVERIFY(!EngineKinds::parse(QStringLiteral("httpd:https://127.0.0.1:8443/balancer-manager?cert=/c.pem"), &error));
    QVERIFY2(error.contains(u"both cert=PATH and key=PATH"), qPrintable(error));
    // The keychain entry names the manager and its user, not where its certificate lies.
    QCOMPARE(EngineKinds::find(QStringLiteral("httpd"))->keychainEntry(QStringLiteral("https://ops@127.0.0.1:8443/balancer-manager?ca=/ca.pem")),
             QStringLiteral("httpd:https://ops@127.0.0.1:8443/balancer-manager"));
    // The embedded engine runs the demo or a config file: a file that is not there is named,
    // with what the address may be.
    QVERIFY(!EngineKinds::parse(QStringLiteral("embedded:/nonexistent/fulcrum/shop.json"), &error));
    QVERIFY2(error.contains(u"/nonexistent/fulcrum/shop.json") && error.contains(u"\"demo\"") && error.contains(u"config file"), qPrintable(error));
}

void TestEngineKinds::builtInIsTheEmbeddedDemo()
{
    // What the console opens when told of no engine: no secret to find, nothing to reach.
    const EngineKinds::Spelled builtIn = EngineKinds::builtIn();
    QCOMPARE(builtIn.kind, EngineKinds::find(QStringLiteral("embedded")));
    QCOMPARE(builtIn.address, QStringLiteral("demo"));
    QVERIFY(!builtIn.kind->hasSecret() && !builtIn.kind->needsSecret(builtIn.address));
    QString error;
    QCOMPARE(EngineKinds::readSecret(*builtIn.kind, builtIn.address, QString(), nullptr, &error), QByteArray());
}

void TestEngineKinds::secrets()
{
    QString error;
    const EngineKind &httpd = *EngineKinds::find(QStringLiteral("httpd"));
    const EngineKind &haproxy = *EngineKinds::find(QStringLiteral("haproxy"));
    const EngineKind &fulcrumd = *EngineKinds::find(QStringLiteral("fulcrumd"));
    // No secret to find: fine where none is needed, a message naming the three places where one is.
    QCOMPARE(EngineKinds::readSecret(haproxy, QStringLiteral("/run/haproxy/admin.sock"), QString(), nullptr, &error), QByteArray());
    QCOMPARE(EngineKinds::readSecret(httpd, QStringLiteral("http://127.0.0.1:8080/balancer-manager"), QString(), nullptr, &error), QByteArray());
    QVERIFY(!EngineKinds::readSecret(httpd, QStringLiteral("http://ops@127.0.0.1:8080/balancer-manager"), QString(), nullptr, &error));
    QVERIFY2(error.contains(u"FULCRUM_HTTPD_PASSWORD") && error.contains(u"httpd:http://ops@127.0.0.1:8080/balancer-manager"), qPrintable(error));
    QVERIFY(!EngineKinds::readSecret(fulcrumd, QStringLiteral("http://127.0.0.1:9900"), QString(), nullptr, &error));
    QVERIFY2(error.contains(u"admin token") && error.contains(u"--token-file") && error.contains(u"FULCRUM_TOKEN")
             && error.contains(u"fulcrumctl secret set --engine http://127.0.0.1:9900"), qPrintable(error));
    // From the kind's environment variable.
    qputenv("FULCRUM_HTTPD_PASSWORD", "s3cret\n");
    QCOMPARE(EngineKinds::readSecret(httpd, QStringLiteral("http://ops@127.0.0.1:8080/balancer-manager"), QString(), nullptr, &error),
             QByteArray("s3cret"));
    qunsetenv("FULCRUM_HTTPD_PASSWORD");
}

void TestEngineKinds::capabilities()
{
    const EngineCapabilities fulcrumd = EngineKinds::find(QStringLiteral("fulcrumd"))->capabilities();
    QVERIFY(fulcrumd.locks && fulcrumd.reports && fulcrumd.percentiles && fulcrumd.errorRates);
    QCOMPARE(fulcrumd.maxWeight, kMaxWeight);
    const EngineCapabilities haproxy = EngineKinds::find(QStringLiteral("haproxy"))->capabilities();
    QCOMPARE(haproxy.minWeight, 0);
    QCOMPARE(haproxy.maxWeight, 256);
    QVERIFY(!haproxy.locks && haproxy.responseTimes && !haproxy.percentiles && haproxy.errorRates);
    QVERIFY(haproxy.forgetsOnRestart.contains(u"server-state-file"));
    const EngineCapabilities httpd = EngineKinds::find(QStringLiteral("httpd"))->capabilities();
    QCOMPARE(httpd.minWeight, 1);
    QCOMPARE(httpd.maxWeight, 100);
    QVERIFY(!httpd.locks && !httpd.responseTimes && !httpd.percentiles && !httpd.errorRates && httpd.drain && httpd.maintenance);
    QVERIFY(httpd.forgetsOnRestart.contains(u"BalancerPersist"));
    // Only the embedded engine lives in the program that opens it (fulcrumctl refuses it).
    for (const EngineKind &kind : EngineKinds::all())
        QCOMPARE(kind.capabilities().embedded, kind.id == u"embedded");
    const EngineCapabilities embedded = EngineKinds::find(QStringLiteral("embedded"))->capabilities();
    QVERIFY(embedded.locks && embedded.reports && embedded.percentiles && embedded.errorRates && embedded.drain);
    QCOMPARE(embedded.maxWeight, kMaxWeight);
    QVERIFY(embedded.forgetsOnRestart.contains(u"everything"));
}

QTEST_GUILESS_MAIN(TestEngineKinds)
#include "tst_enginekinds.moc"
