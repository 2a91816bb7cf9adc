// Reading Apache httpd's balancer-manager: its XML (as httpd 2.4 writes it), the status flags
// as Fulcrum's states, and the form a change is sent as.
#include "httpd/balancermanager.h"

#include <QTest>
#include <QUrlQuery>

using namespace fulcrum;

namespace {

// As Debian's apache2 2.4 answered GET /balancer-manager?xml=1 (one balancer, two members).
const QByteArray kXml = R"(<?xml version='1.0' encoding='UTF-8' ?>
<httpd:manager xmlns:httpd='http://httpd.apache.org'>
  <httpd:balancers>
    <httpd:balancer>
      <httpd:name>balancer://web</httpd:name>
      <httpd:nonce>e9b6432c-4461-bcc5-3cfa-bcb116a1aad3</httpd:nonce>
      <httpd:timeout>0</httpd:timeout>      <httpd:maxattempts>1</httpd:maxattempts>
      <httpd:lbmethod>byrequests</httpd:lbmethod>
      <httpd:workers>
        <httpd:worker>
          <httpd:name>http://127.0.0.1:18081</httpd:name>
          <httpd:scheme>http</httpd:scheme>
          <httpd:hostname>127.0.0.1</httpd:hostname>
          <httpd:loadfactor>3.00</httpd:loadfactor>
          <httpd:port>18081</httpd:port>
          <httpd:status>Init Ok </httpd:status>
          <httpd:loadfactor>3.00</httpd:loadfactor>
          <httpd:transferred>1182</httpd:transferred>
          <httpd:read>120</httpd:read>
          <httpd:elected>6</httpd:elected>
          <httpd:route>a</httpd:route>
          <httpd:busy>2</httpd:busy>
          <httpd:lbset>0</httpd:lbset>
        </httpd:worker>
        <httpd:worker>
          <httpd:name>http://10.0.0.7:8080</httpd:name>
          <httpd:loadfactor>2.50</httpd:loadfactor>
          <httpd:status>Init Drn Ok </httpd:status>
          <httpd:elected>2</httpd:elected>
          <httpd:route></httpd:route>
          <httpd:lbset>1</httpd:lbset>
        </httpd:worker>
      </httpd:workers>
    </httpd:balancer>
  </httpd:balancers>
</httpd:manager>
)";

} // namespace

class TestBalancerManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsBalancersAndWorkers();
    void htmlPageSaysWhy();
    void notXmlSaysWhat();
    void statusFlags_data();
    void statusFlags();
    void changeForm();
    void changeApplied();
};

void TestBalancerManager::readsBalancersAndWorkers()
{
    QString error;
    const std::optional<QList<HttpdBalancer>> balancers = parseBalancerManagerXml(kXml, &error);
    QVERIFY2(balancers, qPrintable(error));
    QCOMPARE(balancers->size(), 1);
    const HttpdBalancer &web = balancers->first();
    QCOMPARE(web.name, QStringLiteral("web"));
    QCOMPARE(web.nonce, QStringLiteral("e9b6432c-4461-bcc5-3cfa-bcb116a1aad3"));
    QCOMPARE(web.lbmethod, QStringLiteral("byrequests"));
    QCOMPARE(web.workers.size(), 2);
    const HttpdWorker &a = web.workers[0];
    QCOMPARE(a.url, QStringLiteral("http://127.0.0.1:18081"));
    QCOMPARE(a.serverName(), QStringLiteral("a"));
    QCOMPARE(a.loadFactor, 3.0);
    QCOMPARE(a.status, QStringLiteral("Init Ok"));
    QCOMPARE(a.elected, 6);
    QCOMPARE(a.busy, 2);
    QCOMPARE(a.transferred, 1182);
    QCOMPARE(a.read, 120);
    const HttpdWorker &second = web.workers[1];
    QCOMPARE(second.serverName(), QStringLiteral("10.0.0.7:8080"));   // no route: host:port
    QCOMPARE(second.loadFactor, 2.5);
    QCOMPARE(second.lbset, 1);
    QVERIFY(second.hasFlag(u"Drn"));
    QVERIFY(!second.hasFlag(u"Dis"));
    QCOMPARE(web.worker(QStringLiteral("10.0.0.7:8080")), &web.workers[1]);
    QCOMPARE(web.worker(QStringLiteral("nobody")), nullptr);
}

void TestBalancerManager::htmlPageSaysWhy()
{
    QString error;
    QVERIFY(!parseBalancerManagerXml("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<html><head><title>Balancer Manager</title>", &error));
    QVERIFY2(error.contains(u"HTML page") && error.contains(u"Referer"), qPrintable(error));
}

void TestBalancerManager::notXmlSaysWhat()
{
    QString error;
    QVERIFY(!parseBalancerManagerXml("{\"status\": \"ok\"}", &error));
    QVERIFY2(error.contains(u"not balancer-manager XML") && error.contains(u"status"), qPrintable(error));
}

void TestBalancerManager::statusFlags_data()
{
    QTest::addColumn<QString>("status");
    QTest::addColumn<BackendState>("state");
    QTest::addColumn<QString>("text");
    QTest::newRow("ok") << QStringLiteral("Init Ok") << BackendState::Up << QStringLiteral("up");
    QTest::newRow("drain") << QStringLiteral("Init Drn Ok") << BackendState::Drain << QStringLiteral("drain");
    QTest::newRow("disabled") << QStringLiteral("Init Dis Ok") << BackendState::Maint << QStringLiteral("disabled");
    QTest::newRow("stopped") << QStringLiteral("Init Stop") << BackendState::Maint << QStringLiteral("stopped");
    QTest::newRow("error") << QStringLiteral("Init Err") << BackendState::Down << QStringLiteral("down (in error)");
    QTest::newRow("health check failed") << QStringLiteral("Init HcFl Ok") << BackendState::Down << QStringLiteral("down (health check failed)");
    QTest::newRow("standby") << QStringLiteral("Init Stby Ok") << BackendState::Up << QStringLiteral("up (standby)");
    QTest::newRow("disabled wins over error") << QStringLiteral("Init Dis Err") << BackendState::Maint << QStringLiteral("disabled");
}

void TestBalancerManager::statusFlags()
{
    QFETCH(QString, status);
    QFETCH(BackendState, state);
    QFETCH(QString, text);
    HttpdWorker worker;
    worker.status = status;
    QString stateText;
    QCOMPARE(httpdState(worker, &stateText), state);
    QCOMPARE(stateText, text);
}

void TestBalancerManager::changeForm()
{
    QString error;
    const HttpdBalancer web = parseBalancerManagerXml(kXml, &error)->first();
    HttpdChange change;
    change.loadFactor = 7;
    change.drain = true;
    const QUrlQuery form(QString::fromUtf8(httpdChangeForm(web, web.workers[0], change)));
    QCOMPARE(form.queryItemValue(QStringLiteral("w_lf")), QStringLiteral("7.00"));
    QCOMPARE(form.queryItemValue(QStringLiteral("w_status_N")), QStringLiteral("1"));
    QVERIFY(!form.hasQueryItem(QStringLiteral("w_status_D")));   // not asked: left as it is
    QCOMPARE(form.queryItemValue(QStringLiteral("b")), QStringLiteral("web"));
    QCOMPARE(form.queryItemValue(QStringLiteral("w"), QUrl::FullyDecoded), QStringLiteral("http://127.0.0.1:18081"));
    QCOMPARE(form.queryItemValue(QStringLiteral("nonce")), web.nonce);
}

void TestBalancerManager::changeApplied()
{
    HttpdWorker worker;
    worker.loadFactor = 3;
    worker.status = QStringLiteral("Init Drn Ok");
    HttpdChange change;
    change.loadFactor = 3;
    QVERIFY(httpdChangeApplied(worker, change));
    change.drain = true;
    QVERIFY(httpdChangeApplied(worker, change));
    change.disabled = true;
    QVERIFY(!httpdChangeApplied(worker, change));
    HttpdChange other;
    other.loadFactor = 4;
    QVERIFY(!httpdChangeApplied(worker, other));
}

QTEST_GUILESS_MAIN(TestBalancerManager)
#include "tst_balancermanager.moc"
