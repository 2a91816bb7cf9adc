#include "config/apacheimport.h"
#include "config/configparser.h"

#include "freeport.h"
#include "testcertificates.h"
#include "programs.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

// The configs this suite imports. Each is real httpd syntax: realApacheAgrees() runs
// `apache2 -t` on it (with the LoadModule lines it needs) and expects httpd's verdict.
struct Sample
{
    const char *name;
    QByteArray text;
    QString apacheRejects; // what apache2 -t says about it; empty: it says "Syntax OK"
};

const QList<Sample> &samples()
{
    static const QList<Sample> all{
        {"vhost", R"(Listen 127.0.0.1:8080
<VirtualHost 127.0.0.1:8080>
    ServerName shop.example
    <Proxy "balancer://shop">
        BalancerMember http://127.0.0.1:9001 loadfactor=2.5 route=app1
        BalancerMember http://127.0.0.1:9002 loadfactor=1 route=app2 timeout=5 retry=30
        BalancerMember http://127.0.0.1:9003 status=+H
        BalancerMember http://127.0.0.1:9004 status=+D
        BalancerMember http://127.0.0.1:9005 status=+N max=20 ttl=60
        ProxySet lbmethod=byrequests
        Require all granted
    </Proxy>
    # every path goes to the shop
    ProxyPass "/" "balancer://shop/"
    ProxyPassReverse "/" "balancer://shop/"
</VirtualHost>
)",
         {}},
        {"outside blocks", R"(listen 127.0.0.1:8081
balancermember balancer://api http://127.0.0.1:9101 lbset=0
BalancerMember balancer://api \
    http://127.0.0.1:9102 lbset=1
PROXYSET balancer://api lbmethod=bybusyness
<VirtualHost 127.0.0.1:8081>
    <location /api>
        ProxyPass balancer://api/
        Require all granted
    </location>
</VirtualHost>
)",
         {}},
        {"main server", R"(Listen 127.0.0.1:8082
Include extra/members.conf
<Proxy balancer://cart>
    BalancerMember http://127.0.0.1:9201 route=c1
    BalancerMember http://127.0.0.1:9202 route=c2
    ProxySet timeout=15
</Proxy>
ProxyPass /cart balancer://cart/ stickysession=CARTID|cartid nofailover=On
)",
         {}},
        {"tiers and flags", R"(Listen 8084
<Proxy balancer://web>
    BalancerMember http://127.0.0.1:9401 loadfactor=1.255
    BalancerMember http://127.0.0.1:9402 status=+I
    BalancerMember http://127.0.0.1:9403 status=+H
    BalancerMember http://127.0.0.1:9404 lbset=1 status=+E
    BalancerMember http://127.0.0.1:9405 status=+R
    BalancerMember https://127.0.0.1:9406 status=+S
    BalancerMember ajp://127.0.0.1:9407
</Proxy>
<Proxy balancer://static>
    BalancerMember http://127.0.0.1:9501
</Proxy>
<VirtualHost *:8084>
    ProxyPass /static !
    ProxyPass /assets balancer://static/
    ProxyPass / balancer://web/
</VirtualHost>
)",
         {}},
        {"ipv6", R"(Listen [::1]:8085
<Proxy balancer://v6>
    BalancerMember http://[::1]:9601
</Proxy>
<VirtualHost [::1]:8085>
    ProxyPass / balancer://v6/
</VirtualHost>
)",
         {}},
        {"no balancer", "Listen 127.0.0.1:8086\nProxyPass / http://127.0.0.1:9001/\n", {}},
        {"unterminated proxy", "Listen 127.0.0.1:8087\n<Proxy balancer://shop>\n    BalancerMember http://127.0.0.1:9001\n", QStringLiteral("<Proxy> was not closed")},
        {"mismatched close", "<Proxy balancer://shop>\n    BalancerMember http://127.0.0.1:9001\n</Location>\n", QStringLiteral("Expected </Proxy> but saw </Location>")},
        {"loadfactor above 100", "<Proxy balancer://shop>\n    BalancerMember http://127.0.0.1:9001 loadfactor=101\n</Proxy>\n", QStringLiteral("LoadFactor must be a number between 1..100")},
        {"loadfactor below 1", "<Proxy balancer://shop>\n    BalancerMember http://127.0.0.1:9001 loadfactor=0.5\n</Proxy>\n", QStringLiteral("LoadFactor must be a number between 1..100")},
        {"loadfactor not a number", "<Proxy balancer://shop>\n    BalancerMember http://127.0.0.1:9001 loadfactor=many\n</Proxy>\n", QStringLiteral("LoadFactor must be a number between 1..100")},
        {"member without balancer", "BalancerMember http://127.0.0.1:9001\n", QStringLiteral("BalancerMember must define remote proxy server")},
    };
    return all;
}

QByteArray sample(const char *name)
{
    for (const Sample &s : samples()) {
        if (qstrcmp(s.name, name) == 0)
            return s.text;
    }
    qFatal("no sample \"%s\"", name);
}

// One balancer with two members and the given ProxySet, served on 127.0.0.1:8083.
QByteArray methodSample(const QByteArray &proxySet)
{
    return "Listen 127.0.0.1:8083\n"
           "<Proxy balancer://m>\n"
           "    BalancerMember http://127.0.0.1:9301\n"
           "    BalancerMember http://127.0.0.1:9302\n"
           "    ProxySet " + proxySet + "\n"
           "</Proxy>\n"
           "<VirtualHost 127.0.0.1:8083>\n"
           "    ProxyPass / balancer://m/\n"
           "</VirtualHost>\n";
}

const QList<QPair<const char *, QByteArray>> &methodSettings()
{
    static const QList<QPair<const char *, QByteArray>> all{
        {"byrequests", "lbmethod=byrequests"},
        {"bytraffic", "lbmethod=bytraffic"},
        {"bybusyness", "lbmethod=bybusyness"},
        {"heartbeat", "lbmethod=heartbeat"},
        {"stickysession", "lbmethod=bybusyness stickysession=ROUTEID"},
    };
    return all;
}

QString hashKeyText(const HashKeySource &key)
{
    return key.kind == HashKeySource::ClientIp ? QStringLiteral("client-ip")
           : key.kind == HashKeySource::Cookie ? QStringLiteral("cookie:") + key.name
                                               : QStringLiteral("header:") + key.name;
}

QString apacheBinary()
{
    return QStringLiteral("/usr/sbin/apache2");
}

} // namespace

class TestApacheImport : public QObject
{
    Q_OBJECT

private:
    static bool hasNote(const ApacheImportResult &r, const QString &part)
    {
        for (const QString &n : r.notes) {
            if (n.contains(part))
                return true;
        }
        return false;
    }

    // What import produces is a config fulcrumd accepts.
    static void verifyValidates(const ApacheImportResult &r)
    {
        const ConfigResult check = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("imported.json"));
        QVERIFY2(check.ok(), qPrintable(check.errorText()));
    }

    // A test CA ("ca") and a server certificate "shop" for shop.example that it signed.
    static bool makeShopCertificate(TestCertificates &certificates, QString *error)
    {
        return certificates.makeCa(QStringLiteral("ca"), error)
               && certificates.makeSigned(QStringLiteral("shop"), QStringLiteral("ca"), QStringLiteral("serverAuth"), error, 3650, QString(), QStringLiteral("DNS:shop.example"));
    }

    // The least an import takes: one Listen, one balancer of one member, one ProxyPass.
    static constexpr const char *kOneBalancer = "Listen 127.0.0.1:8080\n<Proxy balancer://b>\n BalancerMember http://127.0.0.1:9001\n</Proxy>\nProxyPass / balancer://b/\n";

    // httpd's verdict on a config: `apache2 -t` with a private ServerRoot, runtime dir and pid
    // file, the proxy modules loaded (and the heartbeat ones when withHeartbeat).
    static ProgramRun apacheConfigTest(const QTemporaryDir &dir, const QByteArray &body, bool withHeartbeat, const QStringList &define = {})
    {
        QByteArray modules = "mpm_event authz_core authz_host slotmem_shm proxy proxy_http proxy_ajp proxy_balancer lbmethod_byrequests lbmethod_bytraffic "
                             "lbmethod_bybusyness headers rewrite alias filter deflate";
        if (withHeartbeat)
            modules += " heartmonitor lbmethod_heartbeat";
        QByteArray conf = "ServerRoot " + dir.path().toUtf8() + "\n"
                          "DefaultRuntimeDir " + dir.path().toUtf8() + "\n"
                          "PidFile " + dir.filePath(QStringLiteral("httpd.pid")).toUtf8() + "\n"
                          "ErrorLog " + dir.filePath(QStringLiteral("error.log")).toUtf8() + "\n"
                          "ServerName fulcrum.test\n";
        for (const QByteArray &module : modules.split(' '))
            conf += "LoadModule " + module + "_module /usr/lib/apache2/modules/mod_" + module + ".so\n";
        QDir(dir.path()).mkpath(QStringLiteral("extra"));
        QFile included(dir.filePath(QStringLiteral("extra/members.conf")));
        included.open(QIODevice::WriteOnly); // Include needs the file to exist; it may be empty
        QFile file(dir.filePath(QStringLiteral("httpd.conf")));
        if (!file.open(QIODevice::WriteOnly) || file.write(conf + body) < 0)
            return ProgramRun{};
        file.close();
        QStringList arguments{QStringLiteral("-t"), QStringLiteral("-f"), file.fileName()};
        for (const QString &name : define)
            arguments << QStringLiteral("-D") << name;
        return runProgram(apacheBinary(), arguments, componentEnvironment(), {}, 30'000);
    }

    // The config as the real apache2 reads it: checked by `apache2 -t` (if refused, its output is
    // in *refused and nothing is imported), then imported from the very file it checked.
    static ApacheImportResult importCheckedByApache(const QTemporaryDir &dir, const QByteArray &body, QString *refused)
    {
        const ProgramRun apache = apacheConfigTest(dir, body, false);
        if (apache.exitCode != 0 || !apache.err.contains(QStringLiteral("Syntax OK"))) {
            *refused = apache.err.isEmpty() ? QStringLiteral("apache2 -t did not run") : apache.err;
            return {};
        }
        QFile main(dir.filePath(QStringLiteral("httpd.conf")));
        if (!main.open(QIODevice::ReadOnly)) {
            *refused = main.errorString();
            return {};
        }
        return importApache(main.readAll(), main.fileName());
    }

private Q_SLOTS:
    void balancerForms_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QString>("pool");
        QTest::addColumn<QList<int>>("weights");
        QTest::addColumn<QList<bool>>("backups");
        QTest::addColumn<QStringList>("states");
        QTest::addColumn<int>("algorithm");
        QTest::addColumn<QString>("hashKey");
        QTest::addColumn<QStringList>("listeners");
        const QString up = QStringLiteral("up");
        QTest::newRow("quoted <Proxy> in a VirtualHost, status flags, decimal loadfactor")
            << sample("vhost") << QStringLiteral("shop") << QList<int>{5, 2, 2, 2, 2} << QList<bool>{false, false, true, false, false}
            << QStringList{up, up, up, QStringLiteral("maint"), QStringLiteral("drain")} << int(Algorithm::WeightedRoundRobin) << QString()
            << QStringList{QStringLiteral("127.0.0.1:8080 shop")};
        QTest::newRow("members and ProxySet outside a block, lbset, continuation, <Location>, any case")
            << sample("outside blocks") << QStringLiteral("api") << QList<int>{1, 1} << QList<bool>{false, true} << QStringList{up, up}
            << int(Algorithm::LeastConnections) << QString() << QStringList{QStringLiteral("127.0.0.1:8081 api")};
        QTest::newRow("main server Listen, stickysession on the ProxyPass line")
            << sample("main server") << QStringLiteral("cart") << QList<int>{1, 1} << QList<bool>{false, false} << QStringList{up, up}
            << int(Algorithm::ConsistentHash) << QStringLiteral("cookie:CARTID") << QStringList{QStringLiteral("127.0.0.1:8082 cart")};
        QTest::newRow("lbsets, hot spare and standby, flags without equivalent")
            << sample("tiers and flags") << QStringLiteral("web") << QList<int>{5, 4, 4, 4, 4, 4} << QList<bool>{false, false, true, true, true, false}
            << QStringList{up, up, up, up, up, QStringLiteral("maint")} << int(Algorithm::WeightedRoundRobin) << QString()
            << QStringList{QStringLiteral("0.0.0.0:8084 web")};
        QTest::newRow("IPv6") << sample("ipv6") << QStringLiteral("v6") << QList<int>{1} << QList<bool>{false} << QStringList{up}
                              << int(Algorithm::WeightedRoundRobin) << QString() << QStringList{QStringLiteral("[::1]:8085 v6")};
    }

    void balancerForms()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QString, pool);
        QFETCH(QList<int>, weights);
        QFETCH(QList<bool>, backups);
        QFETCH(QStringList, states);
        QFETCH(int, algorithm);
        QFETCH(QString, hashKey);
        QFETCH(QStringList, listeners);
        const ApacheImportResult r = importApache(conf, QStringLiteral("httpd.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        const PoolConfig *p = r.config.pool(pool);
        QVERIFY(p);
        QList<int> actualWeights;
        QList<bool> actualBackups;
        QStringList actualStates;
        for (const BackendSpec &s : p->servers) {
            actualWeights << s.weight;
            actualBackups << s.backup;
            actualStates << backendStateName(s.state);
        }
        QCOMPARE(actualWeights, weights);
        QCOMPARE(actualBackups, backups);
        QCOMPARE(actualStates, states);
        QCOMPARE(int(p->options.algorithm), algorithm);
        if (!hashKey.isEmpty())
            QCOMPARE(hashKeyText(p->options.hashKey), hashKey);
        QStringList actualListeners;
        for (const ListenerConfig &l : r.config.listeners)
            actualListeners << (l.host.contains(u':') ? QStringLiteral("[%1]:%2 %3") : QStringLiteral("%1:%2 %3")).arg(l.host).arg(l.port).arg(l.pool);
        QCOMPARE(actualListeners, listeners);
        verifyValidates(r);
    }

    void lbmethods_data()
    {
        QTest::addColumn<QByteArray>("proxySet");
        QTest::addColumn<int>("algorithm");
        QTest::addColumn<QString>("hashKey");
        QTest::addColumn<QString>("note");
        const QList<int> algorithms{int(Algorithm::WeightedRoundRobin), int(Algorithm::WeightedRoundRobin), int(Algorithm::LeastConnections),
                                    int(Algorithm::LeastConnections), int(Algorithm::ConsistentHash)};
        const QStringList notes{QString(), QStringLiteral("a.conf:5: lbmethod=bytraffic became weighted-round-robin: httpd shares the bytes"),
                                QStringLiteral("a.conf:5: lbmethod=bybusyness became least-connections: Fulcrum divides in-flight requests by weight"),
                                QStringLiteral("a.conf:5: lbmethod=heartbeat became least-connections: httpd picks at random weighted by the idle workers"),
                                QStringLiteral("a.conf:5: stickysession=ROUTEID became consistent-hash on cookie ROUTEID: httpd sends a request to the member whose route=")};
        for (qsizetype i = 0; i < methodSettings().size(); ++i)
            QTest::newRow(methodSettings()[i].first) << methodSettings()[i].second << algorithms[i]
                                                     << (i == 4 ? QStringLiteral("cookie:ROUTEID") : QString()) << notes[i];
    }

    void lbmethods()
    {
        QFETCH(QByteArray, proxySet);
        QFETCH(int, algorithm);
        QFETCH(QString, hashKey);
        QFETCH(QString, note);
        const ApacheImportResult r = importApache(methodSample(proxySet), QStringLiteral("a.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        const PoolOptions &o = r.config.pools[0].options;
        QCOMPARE(int(o.algorithm), algorithm);
        if (!hashKey.isEmpty())
            QCOMPARE(hashKeyText(o.hashKey), hashKey);
        if (note.isEmpty())
            QVERIFY2(!hasNote(r, QStringLiteral("lbmethod")), qPrintable(r.notes.join(u'\n'))); // byrequests is httpd's smooth weighted round robin
        else
            QVERIFY2(hasNote(r, note), qPrintable(r.notes.join(u'\n')));
        verifyValidates(r);
    }

    void notes_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QString>("note");
        const QByteArray vhost = sample("vhost");
        QTest::newRow("ServerName") << vhost << QStringLiteral("httpd.conf:3: ServerName shop.example: the first virtual host on its address, so the listener's own pool, "
                                                                         "which also takes every name no other virtual host there has (as httpd's default)");
        QTest::newRow("loadfactor scaled") << vhost << QStringLiteral("httpd.conf:4: balancer://shop: load factors 2.5, 1, 1, 1, 1 became weights 5, 2, 2, 2, 2 (x 2)");
        QTest::newRow("route") << vhost << QStringLiteral("httpd.conf:5: http://127.0.0.1:9001: route=app1 not carried over");
        QTest::newRow("timeout") << vhost << QStringLiteral("httpd.conf:6: balancer://shop: timeout=5s: the same as proxy.response_timeout, so pool \"shop\" "
                                                         "takes that; members without timeout= waited ProxyTimeout (1m)");
        QTest::newRow("retry") << vhost << QStringLiteral("httpd.conf:6: http://127.0.0.1:9002: parameter \"retry=30\" not carried over");
        QTest::newRow("max") << vhost << QStringLiteral("httpd.conf:9: http://127.0.0.1:9005: max=20 not carried over: it sizes httpd's connection pool");
        QTest::newRow("ttl") << vhost << QStringLiteral("httpd.conf:9: balancer://shop: ttl=1m: pools[\"shop\"].keepalive_timeout = 1m; its members without ttl= get it too");
        QTest::newRow("Require in <Proxy>") << vhost << QStringLiteral("httpd.conf:11: Require all granted in <Proxy balancer://shop> not carried over");
        QTest::newRow("ProxyPassReverse") << vhost << QStringLiteral("httpd.conf:15: ProxyPassReverse / balancer://shop/ not carried over");
        QTest::newRow("failure handling") << vhost << QStringLiteral("httpd.conf:4: balancer://shop: httpd takes a member out after a failed connection");
        const QByteArray outside = sample("outside blocks");
        QTest::newRow("lbset") << outside << QStringLiteral("httpd.conf:2: balancer://api: lbset 1 became backup: httpd uses them only when no member of lbset 0 is usable");
        QTest::newRow("path") << outside << QStringLiteral("httpd.conf:8: ProxyPass /api balancer://api/: the listener sends every path to pool \"api\" unchanged");
        QTest::newRow("Require in <Location>") << outside << QStringLiteral("httpd.conf:9: Require all granted in <location /api> not carried over");
        const QByteArray main = sample("main server");
        QTest::newRow("Include") << main << QStringLiteral("httpd.conf:2: Include extra/members.conf: no file %1 here, so nothing in it is imported")
                                                  .arg(QDir::current().filePath(QStringLiteral("extra/members.conf")));
        QTest::newRow("ProxySet timeout") << main << QStringLiteral("httpd.conf:6: ProxySet timeout=15 for balancer://cart not carried over");
        QTest::newRow("nofailover") << main << QStringLiteral("httpd.conf:8: ProxyPass nofailover=On not carried over");
        QTest::newRow("sticky URL parameter") << main << QStringLiteral("httpd.conf:8: stickysession=CARTID|cartid: the URL parameter \"cartid\" not carried over");
        const QByteArray tiers = sample("tiers and flags");
        QTest::newRow("loadfactor beyond two decimals") << tiers << QStringLiteral("httpd.conf:3: http://127.0.0.1:9401: loadfactor=1.255 is taken as 1.25, as httpd takes it");
        QTest::newRow("+I") << tiers << QStringLiteral("httpd.conf:4: http://127.0.0.1:9402: status +I (ignore errors) not carried over");
        QTest::newRow("+E") << tiers << QStringLiteral("httpd.conf:6: http://127.0.0.1:9404: status +E (in error) not carried over");
        QTest::newRow("+R") << tiers << QStringLiteral("httpd.conf:7: http://127.0.0.1:9405: status +R (hot spare) became backup");
        QTest::newRow("https member") << tiers << QStringLiteral("httpd.conf:8: member https://127.0.0.1:9406: httpd answers 500 for it without SSLProxyEngine on; Fulcrum speaks TLS to it");
        QTest::newRow("ajp member") << tiers << QStringLiteral("httpd.conf:9: member ajp://127.0.0.1:9407 not carried over: Fulcrum proxies to http://HOST:PORT servers only");
        QTest::newRow("more than two tiers") << tiers << QStringLiteral("httpd.conf:2: balancer://web: httpd uses its members in 4 tiers (lbset 0, lbset 0 hot spare, lbset 0 hot standby, lbset 1)");
        QTest::newRow("ProxyPass !") << tiers << QStringLiteral("httpd.conf:15: ProxyPass /static ! not carried over: Fulcrum listeners do not exclude paths");
        QTest::newRow("second pool on one listener: a route") << tiers << QStringLiteral("httpd.conf:16: ProxyPass /assets balancer://static/: route /assets to pool "
                                                                                  "\"static\" on 0.0.0.0:8084 (listeners[].routes; the longest prefix that matches wins); "
                                                                                  "httpd sent / in place of /assets, Fulcrum sends the path as the client did (the slashes of "
                                                                                  "the two do not match, which prefix_rewrite does not copy): the servers "
                                                                                  "must answer under /assets; httpd took /assets and /assets/…, the prefix /assets takes "
                                                                                  "/assetsx… too");
        QTest::newRow("not loopback") << tiers << QStringLiteral("httpd.conf:14: 0.0.0.0:8084: binds 0.0.0.0, not loopback");
        QTest::newRow("pool without listener") << sample("ipv6") + "<Proxy balancer://spare>\n    BalancerMember http://127.0.0.1:9701\n</Proxy>\n"
                                               << QStringLiteral("balancer://spare got no listener of its own; add one");
    }

    void notes()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QString, note);
        const ApacheImportResult r = importApache(conf, QStringLiteral("httpd.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QVERIFY2(hasNote(r, note), qPrintable(r.notes.join(u'\n')));
    }

    void followsIncludesFromServerRoot()
    {
        // Debian's layout: apache2.conf includes sites-enabled/*.conf and conf-enabled/ (a
        // folder), read from ServerRoot; the balancers live in the included files.
        QTemporaryDir dir;
        const QString root = dir.filePath(QStringLiteral("root"));
        const auto write = [&](const QString &name, const QByteArray &text) {
            QVERIFY(QDir().mkpath(QFileInfo(dir.filePath(name)).absolutePath()));
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(text);
        };
        write(QStringLiteral("root/sites-enabled/000-shop.conf"), "<VirtualHost 127.0.0.1:8091>\n"
                                                                   "    <Proxy balancer://shop>\n"
                                                                   "        BalancerMember http://127.0.0.1:9001 route=a\n"
                                                                   "    </Proxy>\n"
                                                                   "    ProxyPass / balancer://shop/\n"
                                                                   "</VirtualHost>\n");
        write(QStringLiteral("root/conf-enabled/sub/cart.conf"), "<Proxy balancer://cart>\n    BalancerMember http://127.0.0.1:9002\n</Proxy>\n");
        write(QStringLiteral("etc/main.conf"), QStringLiteral("ServerRoot \"%1\"\n"
                                                              "Listen 127.0.0.1:8091\n"
                                                              "IncludeOptional mods-enabled/*.load\n"
                                                              "IncludeOptional sites-enabled/*.conf\n"
                                                              "Include conf-enabled/\n").arg(root).toUtf8());
        QFile main(dir.filePath(QStringLiteral("etc/main.conf")));
        QVERIFY(main.open(QIODevice::ReadOnly));
        const ApacheImportResult r = importApache(main.readAll(), main.fileName());
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.pools.size(), size_t(2));
        QCOMPARE(r.config.pools[0].name, QStringLiteral("shop"));
        QCOMPARE(r.config.pools[1].name, QStringLiteral("cart"));
        QCOMPARE(r.config.listeners.size(), size_t(1));
        QCOMPARE(r.config.listeners[0].pool, QStringLiteral("shop"));
        // Notes name the file a line is in, in reading order across the files.
        const QString mods = main.fileName() + QStringLiteral(":3: IncludeOptional mods-enabled/*.load: no file %1/mods-enabled/*.load here").arg(root);
        const QString route = root + QStringLiteral("/sites-enabled/000-shop.conf:3: http://127.0.0.1:9001: route=a not carried over");
        const QString cart = root + QStringLiteral("/conf-enabled/sub/cart.conf:1: balancer://cart got no listener of its own");
        QVERIFY2(hasNote(r, mods) && hasNote(r, route) && hasNote(r, cart), qPrintable(r.notes.join(u'\n')));
        const auto indexOf = [&](const QString &part) {
            return std::find_if(r.notes.begin(), r.notes.end(), [&](const QString &n) { return n.contains(part); }) - r.notes.begin();
        };
        QVERIFY(indexOf(mods) < indexOf(route));
        verifyValidates(r);

        // Files that include each other: an error, not a hang.
        write(QStringLiteral("root/conf-enabled/sub/cart.conf"), "Include conf-enabled/\n");
        const ApacheImportResult loop = importApache(QStringLiteral("ServerRoot \"%1\"\nInclude conf-enabled/\n").arg(root).toUtf8(), main.fileName());
        QVERIFY(!loop.ok());
        QVERIFY2(loop.errors.first().contains(QStringLiteral("include each other more than 16 deep")), qPrintable(loop.errors.first()));
    }

    // The real apache2 lists the files it includes (-D DUMP_INCLUDES): the import reads the same
    // files in the same order, a folder's subfolders where their names sort.
    void includesAreReadInApachesOrder()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        const QStringList files{QStringLiteral("sites-enabled/000-shop.conf"), QStringLiteral("sites-enabled/010-api.conf"),
                                QStringLiteral("conf-enabled/a.conf"), QStringLiteral("conf-enabled/sub/cart.conf"),
                                QStringLiteral("conf-enabled/sub-x.conf")};
        for (int i = files.size() - 1; i >= 0; --i) {   // written backwards: no help from the folder's order
            QVERIFY(QDir().mkpath(QFileInfo(dir.filePath(files[i])).absolutePath()));
            QFile f(dir.filePath(files[i]));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QStringLiteral("<Proxy balancer://b%1>\n    BalancerMember http://127.0.0.1:%2\n</Proxy>\n").arg(i).arg(9100 + i).toUtf8());
        }
        const QByteArray includes = "IncludeOptional mods-enabled/*.load\nIncludeOptional sites-enabled/*.conf\nInclude conf-enabled/\n";
        const ProgramRun apache = apacheConfigTest(dir, includes, false, {QStringLiteral("DUMP_INCLUDES")});
        QVERIFY2(apache.exitCode == 0, qPrintable(apache.err + apache.out));
        QStringList apacheOrder;   // "    (16) /tmp/.../sites-enabled/000-shop.conf"
        const QRegularExpression listed(QStringLiteral("^\\s+\\(\\d+\\) (\\S+)$"), QRegularExpression::MultilineOption);
        for (auto it = listed.globalMatch(apache.out + apache.err); it.hasNext();)
            apacheOrder << it.next().captured(1);
        QStringList expected;
        for (const QString &file : files)
            expected << dir.filePath(file);
        QCOMPARE(apacheOrder, expected);

        QFile main(dir.filePath(QStringLiteral("httpd.conf")));
        QVERIFY(main.open(QIODevice::ReadOnly));
        const ApacheImportResult r = importApache(main.readAll(), main.fileName());
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QStringList pools;
        for (const PoolConfig &p : r.config.pools)
            pools << p.name;
        QCOMPARE(pools, (QStringList{QStringLiteral("b0"), QStringLiteral("b1"), QStringLiteral("b2"), QStringLiteral("b3"), QStringLiteral("b4")}));
    }

    // mod_ssl virtual hosts become a TLS listener: two names on one address share it, their
    // certificates picked by SNI; the key may sit in the certificate's file. The real apache2
    // accepts the config, and the written one is what fulcrumd accepts (files read and matched).
    void carriesTlsVirtualHostsOver()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        TestCertificates certificates(dir.path());
        QString error;
        QVERIFY2(makeShopCertificate(certificates, &error), qPrintable(error));
        QVERIFY2(certificates.makeSigned(QStringLiteral("api"), QStringLiteral("ca"), QStringLiteral("serverAuth"), &error, 3650, QString(), QStringLiteral("DNS:api.example")),
                 qPrintable(error));
        QVERIFY2(certificates.makeSigned(QStringLiteral("admin"), QStringLiteral("ca"), QStringLiteral("serverAuth"), &error, 3650, QString(), QStringLiteral("DNS:admin.example")),
                 qPrintable(error));
        {   // api: certificate and key in one file, as httpd allows without SSLCertificateKeyFile
            QFile both(dir.filePath(QStringLiteral("api-both.pem")));
            QFile cert(certificates.file(QStringLiteral("api.pem"))), key(certificates.file(QStringLiteral("api.key")));
            QVERIFY(both.open(QIODevice::WriteOnly) && cert.open(QIODevice::ReadOnly) && key.open(QIODevice::ReadOnly));
            both.write(cert.readAll() + key.readAll());
            both.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        }
        const quint16 port = freeLoopbackPort();
        const QByteArray body = QStringLiteral("LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n"
                                               "Listen 127.0.0.1:%1 https\n"
                                               "SSLProtocol -all +TLSv1.3\n"
                                               "SSLSessionTickets off\n"
                                               "<Proxy balancer://shop>\n"
                                               "    BalancerMember http://127.0.0.1:9001\n"
                                               "</Proxy>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n"
                                               "    ServerName shop.example\n"
                                               "    SSLEngine on\n"
                                               "    SSLCertificateFile shop.pem\n"
                                               "    SSLCertificateKeyFile shop.key\n"
                                               "    SSLCertificateChainFile ca.pem\n"
                                               "    SSLCipherSuite HIGH:!aNULL\n"
                                               "    SSLHonorCipherOrder on\n"
                                               "    ProxyPass / balancer://shop/\n"
                                               "</VirtualHost>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n"
                                               "    ServerName api.example\n"
                                               "    SSLEngine on\n"
                                               "    SSLCertificateFile %2\n"
                                               "    ProxyPass / balancer://shop/\n"
                                               "</VirtualHost>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n"
                                               "    ServerName admin.example\n"
                                               "    SSLEngine on\n"
                                               "    SSLCertificateFile admin.pem\n"
                                               "    SSLCertificateKeyFile admin.key\n"
                                               "    SSLProtocol all -SSLv3\n"
                                               "    Protocols h2 http/1.1\n"
                                               "    ProxyPass / balancer://shop/\n"
                                               "</VirtualHost>\n").arg(port).arg(dir.filePath(QStringLiteral("api-both.pem"))).toUtf8();
        const ProgramRun apache = apacheConfigTest(dir, body, false);
        QVERIFY2(apache.exitCode == 0 && apache.err.contains(QStringLiteral("Syntax OK")), qPrintable(apache.err));

        QFile main(dir.filePath(QStringLiteral("httpd.conf")));
        QVERIFY(main.open(QIODevice::ReadOnly));
        const QByteArray text = main.readAll();
        const int cipherLine = int(text.left(text.indexOf("SSLCipherSuite")).count('\n')) + 1;
        const ApacheImportResult r = importApache(text, main.fileName());
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.listeners.size(), size_t(1));
        const ListenerTlsConfig &tls = r.config.listeners[0].tls;
        QCOMPARE(tls.certificates.size(), size_t(3));
        QCOMPARE(tls.certificates[0].certFile, certificates.file(QStringLiteral("shop.pem")));   // relative to ServerRoot
        QCOMPARE(tls.certificates[0].keyFile, certificates.file(QStringLiteral("shop.key")));
        QCOMPARE(tls.certificates[1].certFile, dir.filePath(QStringLiteral("api-both.pem")));
        QCOMPARE(tls.certificates[1].keyFile, dir.filePath(QStringLiteral("api-both.pem")));
        QCOMPARE(tls.minVersion, 13);
        QVERIFY(!tls.sessionTickets);
        QVERIFY(!tls.http2.enabled);   // no Protocols h2: httpd spoke HTTP/1.1 there
        // admin.example asks for other protocols on the same address: the listener keeps the
        // first host's (httpd's default for clients without SNI) and says what admin loses.
        const int firstHostLine = int(text.left(text.indexOf("<VirtualHost")).count('\n')) + 1;
        QVERIFY2(hasNote(r, QStringLiteral("> asks for TLS 1.2 and 1.3, session tickets off, HTTP/2 on; the listener on 127.0.0.1:%1 keeps TLS 1.3 only, session tickets off, "
                                           "HTTP/2 off, as the first TLS virtual host there (%2:%3) asks").arg(port).arg(main.fileName()).arg(firstHostLine)),
                 qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, QStringLiteral("SSLEngine on: httpd spoke HTTP/1.1 only here (no Protocols h2), so the listener keeps to it")));
        QVERIFY2(hasNote(r, QStringLiteral("httpd.conf:%1: SSLCipherSuite HIGH:!aNULL not carried over").arg(cipherLine)), qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, QStringLiteral("SSLCertificateChainFile ca.pem not carried over: append it to %1").arg(certificates.file(QStringLiteral("shop.pem")))));
        QVERIFY(hasNote(r, QStringLiteral("SSLHonorCipherOrder on not carried over")));
        QVERIFY2(hasNote(r, QStringLiteral("ServerName api.example: the listener's routes by host, and its certificate picked by that name (SNI)")),
                 qPrintable(r.notes.join(u'\n')));
        // The same balancer for every name, each later host's name a route to it all the same
        // (the first host's paths are not the later hosts').
        const std::vector<ListenerRoute> byHost{{"", QStringLiteral("shop"), "api.example"}, {"", QStringLiteral("shop"), "admin.example"}};
        QVERIFY2(r.config.listeners[0].routes == byHost, QJsonDocument(configToJson(r.config)).toJson().constData());
        QVERIFY(!hasNote(r, QStringLiteral("plain HTTP")));
        const ConfigResult check = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(check.ok(), qPrintable(check.errorText()));

        // Protocols h2 http/1.1 (mod_http2), in the host or the main server: HTTP/2 offered.
        const ApacheImportResult h2 = importApache(QStringLiteral("Protocols h2 http/1.1\nListen 127.0.0.1:8443\n<Proxy balancer://b>\n BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                                                  "<VirtualHost 127.0.0.1:8443>\n SSLEngine on\n SSLCertificateFile %1\n ProxyPass / balancer://b/\n</VirtualHost>\n")
                                                       .arg(dir.filePath(QStringLiteral("api-both.pem"))).toUtf8(),
                                                   QStringLiteral("h2.conf"));
        QVERIFY2(h2.ok(), qPrintable(h2.errors.join(u'\n')));
        QVERIFY(h2.config.listeners[0].tls.http2.enabled);
        QVERIFY(!hasNote(h2, QStringLiteral("HTTP/1.1 only")));

        // SSLEngine on without a certificate anywhere: plain, and said so.
        const ApacheImportResult bare = importApache("Listen 127.0.0.1:8443\n<Proxy balancer://b>\n BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                                     "<VirtualHost 127.0.0.1:8443>\n SSLEngine on\n ProxyPass / balancer://b/\n</VirtualHost>\n",
                                                     QStringLiteral("b.conf"));
        QVERIFY(bare.ok());
        QVERIFY(!bare.config.listeners[0].tls.enabled());
        QVERIFY2(hasNote(bare, QStringLiteral("b.conf:6: SSLEngine on: no SSLCertificateFile in its <VirtualHost> or the main server; the listener is plain HTTP")),
                 qPrintable(bare.notes.join(u'\n')));
    }

    // A member may take ProxyTimeout (else Timeout, httpd's 60 s) to answer: an import that kept
    // Fulcrum's 30 s would 504 what httpd waited for. LimitRequestBody where it is written; a
    // host without one counts at httpd's 1 GiB. The real apache2 takes the config as written.
    void carriesTimeoutAndBodyLimit()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        const QByteArray body = "Listen 127.0.0.1:8080\nListen 127.0.0.1:8081\nTimeout 120\n"
                                "<Proxy balancer://shop>\n BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                "<Proxy balancer://reports>\n BalancerMember http://127.0.0.1:9002\n</Proxy>\n"
                                "<VirtualHost 127.0.0.1:8080>\n LimitRequestBody 10485760\n ProxyPass / balancer://shop/\n</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8081>\n ProxyTimeout 600\n LimitRequestBody 52428800\n ProxyPass / balancer://reports/\n</VirtualHost>\n";
        QString refused;
        const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.proxy.responseTimeoutMs, qint64(600'000));
        // shop's virtual host waited Timeout's 2 minutes, not reports' 10: its pool keeps that.
        QCOMPARE(r.config.pool(QStringLiteral("shop"))->options.responseTimeoutMs, qint64(120'000));
        QCOMPARE(r.config.pool(QStringLiteral("reports"))->options.responseTimeoutMs, qint64(0));
        QVERIFY2(hasNote(r, QStringLiteral("Timeout 120: pools[\"shop\"].response_timeout = 2m: the virtual hosts that route to balancer://shop waited less "
                                           "than the largest (proxy.response_timeout, 10m)")),
                 qPrintable(r.notes.join(u'\n')));
        QCOMPARE(r.config.proxy.maxBodyBytes, qint64(52428800));
        QVERIFY2(hasNote(r, QStringLiteral("ProxyTimeout 600: proxy.response_timeout (how long a server may take to start answering) = 10m; the largest")),
                 qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, QStringLiteral("LimitRequestBody 52428800: proxy.max_body_bytes (a larger request body gets 413) = 52428800 bytes")));
        QVERIFY(!hasNote(r, QStringLiteral("ProxyTimeout 600 not carried over")));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->proxy, r.config.proxy);

        // Nothing written: httpd's 60 s, and Fulcrum's own body limit (none).
        const ApacheImportResult plain = importApache(kOneBalancer, QStringLiteral("p.conf"));
        QVERIFY(plain.ok());
        QCOMPARE(plain.config.proxy.responseTimeoutMs, qint64(60'000));
        QCOMPARE(plain.config.proxy.maxBodyBytes, ProxyConfig().maxBodyBytes);
        QVERIFY(hasNote(plain, QStringLiteral("Timeout (httpd's default, 60 s, where neither ProxyTimeout nor Timeout is set): proxy.response_timeout")));
    }

    // A member's timeout= is how long httpd waits for that member: Fulcrum has it per pool, so
    // the balancer's pool gets the largest of its members', and at least ProxyTimeout when some
    // members have none (they waited that long in httpd). The real apache2 takes the config.
    void carriesMemberTimeoutsToTheirPool()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        const QByteArray body = "Listen 127.0.0.1:8080\nListen 127.0.0.1:8081\nListen 127.0.0.1:8082\nTimeout 60\n"
                                "<Proxy balancer://checkout>\n BalancerMember http://127.0.0.1:9001 timeout=5\n BalancerMember http://127.0.0.1:9002 timeout=8\n</Proxy>\n"
                                "<Proxy balancer://reports>\n BalancerMember http://127.0.0.1:9003 timeout=300\n BalancerMember http://127.0.0.1:9004\n</Proxy>\n"
                                "<Proxy balancer://search>\n BalancerMember http://127.0.0.1:9005 timeout=20\n BalancerMember http://127.0.0.1:9006\n</Proxy>\n"
                                "<VirtualHost 127.0.0.1:8080>\n ProxyPass / balancer://checkout/\n</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8081>\n ProxyPass / balancer://reports/\n</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8082>\n ProxyPass / balancer://search/\n</VirtualHost>\n";
        QString refused;
        const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.proxy.responseTimeoutMs, qint64(60'000));
        QCOMPARE(r.config.pool(QStringLiteral("checkout"))->options.responseTimeoutMs, qint64(8'000));     // the larger of 5 and 8
        QCOMPARE(r.config.pool(QStringLiteral("reports"))->options.responseTimeoutMs, qint64(300'000));
        QCOMPARE(r.config.pool(QStringLiteral("search"))->options.responseTimeoutMs, qint64(0));           // 20 s, but :9006 waited Timeout's 60 s
        const QString notes = r.notes.join(u'\n');
        QVERIFY2(hasNote(r, QStringLiteral("balancer://checkout: timeout=8s: pools[\"checkout\"].response_timeout (how long a server may take to start answering) = 8s; "
                                           "the largest of its members' timeout=")),
                 qPrintable(notes));
        QVERIFY2(hasNote(r, QStringLiteral("balancer://search: timeout=20s: the same as proxy.response_timeout, so pool \"search\" takes that; "
                                           "members without timeout= waited ProxyTimeout (1m)")),
                 qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("parameter \"timeout=")), qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->pool(QStringLiteral("reports"))->options.responseTimeoutMs, qint64(300'000));

        // Not whole seconds: noted, nothing carried.
        const ApacheImportResult odd = importApache("Listen 127.0.0.1:8080\n<Proxy balancer://b>\n BalancerMember http://127.0.0.1:9001 timeout=soon\n</Proxy>\n"
                                                    "ProxyPass / balancer://b/\n",
                                                    QStringLiteral("o.conf"));
        QVERIFY(odd.ok());
        QCOMPARE(odd.config.pools[0].options.responseTimeoutMs, qint64(0));
        QVERIFY2(hasNote(odd, QStringLiteral("o.conf:3: http://127.0.0.1:9001: timeout=soon not carried over: not a whole number of seconds")), qPrintable(odd.notes.join(u'\n')));
    }

    void carriesConnectionSettingsAndBodyLimitsToTheirPool()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        // Members' connectiontimeout= (httpd's units), ttl= and disablereuse=, and the virtual
        // hosts' LimitRequestBody.
        const QByteArray body = "Listen 127.0.0.1:8080\nListen 127.0.0.1:8081\nListen 127.0.0.1:8082\n"
                                "<Proxy balancer://checkout>\n BalancerMember http://127.0.0.1:9001 connectiontimeout=500ms ttl=30\n"
                                " BalancerMember http://127.0.0.1:9002 connectiontimeout=1 ttl=4\n</Proxy>\n"
                                "<Proxy balancer://remote>\n BalancerMember http://127.0.0.1:9003 connectiontimeout=2min\n BalancerMember http://127.0.0.1:9004\n</Proxy>\n"
                                "<Proxy balancer://uploads>\n BalancerMember http://127.0.0.1:9005 disablereuse=On\n</Proxy>\n"
                                "<VirtualHost 127.0.0.1:8080>\n ProxyPass / balancer://checkout/\n LimitRequestBody 1048576\n</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8081>\n ProxyPass / balancer://remote/\n LimitRequestBody 1048576\n</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8082>\n ProxyPass / balancer://uploads/\n LimitRequestBody 209715200\n</VirtualHost>\n";
        QString refused;
        const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.proxy.connectTimeoutMs, ProxyConfig().connectTimeoutMs);
        QCOMPARE(r.config.pool(QStringLiteral("checkout"))->options.connectTimeoutMs, qint64(1'000));   // the larger of 500 ms and 1 s
        QCOMPARE(r.config.pool(QStringLiteral("remote"))->options.connectTimeoutMs, qint64(120'000));
        QCOMPARE(r.config.pool(QStringLiteral("uploads"))->options.connectTimeoutMs, qint64(0));
        QCOMPARE(r.config.proxy.maxBodyBytes, qint64(209715200));
        QCOMPARE(r.config.pool(QStringLiteral("checkout"))->options.maxBodyBytes, qint64(1048576));
        QCOMPARE(r.config.pool(QStringLiteral("uploads"))->options.maxBodyBytes, qint64(-1));   // the proxy's
        // An unused connection is kept no longer than any member's ttl=; none kept with disablereuse.
        QCOMPARE(r.config.pool(QStringLiteral("checkout"))->options.keepaliveTimeoutMs, qint64(4'000));
        // No ttl=: the 60 s Fulcrum gave server connections, kept though clients now get httpd's
        // KeepAliveTimeout (5 s) as proxy.idle_timeout.
        QCOMPARE(r.config.pool(QStringLiteral("remote"))->options.keepaliveTimeoutMs, qint64(60'000));
        QCOMPARE(r.config.proxy.idleTimeoutMs, qint64(5'000));
        QCOMPARE(r.config.pool(QStringLiteral("uploads"))->options.maxIdlePerServer, 0);
        QVERIFY(!r.config.pool(QStringLiteral("checkout"))->options.ownsMaxIdlePerServer());
        const QString notes = r.notes.join(u'\n');
        for (const QString &note :
             {QStringLiteral("balancer://checkout: connectiontimeout=1s: pools[\"checkout\"].connect_timeout = 1s; the largest of its members', "
                             "since Fulcrum has one per pool"),
              QStringLiteral("balancer://remote: connectiontimeout=2m: pools[\"remote\"].connect_timeout = 2m; its members without connectiontimeout= get it too"),
              QStringLiteral("LimitRequestBody 1048576: pools[\"checkout\"].max_body_bytes = 1048576 bytes: the virtual hosts that route to "
                             "balancer://checkout allowed less than the largest (proxy.max_body_bytes, 209715200 bytes)"),
              QStringLiteral("balancer://checkout: ttl=4s: pools[\"checkout\"].keepalive_timeout = 4s; the smallest of its members', since Fulcrum has one per pool"),
              QStringLiteral("balancer://uploads: disablereuse=On: pools[\"uploads\"].max_idle_per_server = 0 (a new connection per request)")})
            QVERIFY2(hasNote(r, note), qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("parameter \"connectiontimeout=")), qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->pool(QStringLiteral("remote"))->options.connectTimeoutMs, qint64(120'000));
        QCOMPARE(back.config->pool(QStringLiteral("remote"))->options.maxBodyBytes, qint64(1048576));
        QCOMPARE(back.config->pool(QStringLiteral("checkout"))->options.keepaliveTimeoutMs, qint64(4'000));
        QCOMPARE(back.config->pool(QStringLiteral("uploads"))->options.maxIdlePerServer, 0);

        // Not a time: noted, nothing carried.
        const ApacheImportResult odd = importApache("Listen 127.0.0.1:8080\n<Proxy balancer://b>\n BalancerMember http://127.0.0.1:9001 connectiontimeout=soon\n</Proxy>\n"
                                                    "ProxyPass / balancer://b/\n",
                                                    QStringLiteral("o.conf"));
        QVERIFY(odd.ok());
        QCOMPARE(odd.config.pools[0].options.connectTimeoutMs, qint64(0));
        QVERIFY2(hasNote(odd, QStringLiteral("o.conf:3: http://127.0.0.1:9001: connectiontimeout=soon not carried over: not a time httpd reads")),
                 qPrintable(odd.notes.join(u'\n')));
    }

    // KeepAlive, KeepAliveTimeout and MaxKeepAliveRequests are httpd's client side; Fulcrum has
    // them once for every listener: the largest of the virtual hosts'. The real apache2 takes it.
    void carriesClientKeepAliveAndHeaderLineSize()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        const QByteArray body = "Listen 127.0.0.1:8080\nListen 127.0.0.1:8081\nListen 127.0.0.1:8082\n"
                                "KeepAliveTimeout 15\nMaxKeepAliveRequests 500\nLimitRequestFieldSize 16380\n"
                                "<Proxy balancer://shop>\n BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                "<Proxy balancer://api>\n BalancerMember http://127.0.0.1:9002 ttl=4\n</Proxy>\n"
                                "<VirtualHost 127.0.0.1:8080>\n ProxyPass / balancer://shop/\n</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8081>\n KeepAliveTimeout 2500ms\n ProxyPass / balancer://api/\n</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8082>\n KeepAlive Off\n ProxyPass / balancer://shop/\n</VirtualHost>\n";
        QString refused;
        const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.proxy.idleTimeoutMs, qint64(15'000));   // the main server's, the larger
        QCOMPARE(r.config.proxy.clientKeepaliveRequests, qint64(500));
        QCOMPARE(r.config.proxy.maxHeaderBytes, qint64(16380 + 8192));
        QCOMPARE(r.config.pool(QStringLiteral("shop"))->options.keepaliveTimeoutMs, qint64(60'000));   // no ttl=: as before
        QCOMPARE(r.config.pool(QStringLiteral("api"))->options.keepaliveTimeoutMs, qint64(4'000));     // its ttl=
        const QString notes = r.notes.join(u'\n');
        for (const QString &note :
             {QStringLiteral("KeepAliveTimeout 15: proxy.idle_timeout = 15s (how long a client connection may wait for its next request); the largest"),
              QStringLiteral("MaxKeepAliveRequests 500: proxy.client_keepalive_requests = 500 (a client connection's request of that number is its last)"),
              QStringLiteral("KeepAlive Off not carried over for this virtual host: Fulcrum's idle_timeout is proxy-wide"),
              QStringLiteral("pools[\"shop\"].keepalive_timeout = 1m (the members have no ttl=;"),
              QStringLiteral("LimitRequestFieldSize 16380: proxy.max_header_bytes = 24572 (one such line and 8 KiB for the rest")})
            QVERIFY2(hasNote(r, note), qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->proxy, r.config.proxy);

        // Nothing written: httpd's 5 s and 100 requests; the head limit is said, not changed.
        const ApacheImportResult plain = importApache(kOneBalancer, QStringLiteral("p.conf"));
        QVERIFY(plain.ok());
        QCOMPARE(plain.config.proxy.idleTimeoutMs, qint64(5'000));
        QCOMPARE(plain.config.proxy.clientKeepaliveRequests, qint64(100));
        QCOMPARE(plain.config.proxy.maxHeaderBytes, ProxyConfig().maxHeaderBytes);
        QVERIFY2(hasNote(plain, QStringLiteral("p.conf: KeepAliveTimeout (httpd's default, 5 s): proxy.idle_timeout = 5s")), qPrintable(plain.notes.join(u'\n')));
        QVERIFY2(hasNote(plain, QStringLiteral("p.conf: LimitRequestFieldSize (httpd's default, 8190 bytes a line, up to 100 lines): proxy.max_header_bytes stays 16384")),
                 qPrintable(plain.notes.join(u'\n')));

        // KeepAlive Off everywhere, MaxKeepAliveRequests 0 (no limit) beside it is moot.
        QTemporaryDir offDir;
        const ApacheImportResult closing = importCheckedByApache(offDir, "Listen 127.0.0.1:8080\nKeepAlive Off\n<Proxy balancer://b>\n BalancerMember http://127.0.0.1:9001\n"
                                                                         "</Proxy>\nProxyPass / balancer://b/\n", &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QCOMPARE(closing.config.proxy.clientKeepaliveRequests, qint64(1));
        QCOMPARE(closing.config.proxy.idleTimeoutMs, ProxyConfig().idleTimeoutMs);
        QVERIFY2(hasNote(closing, QStringLiteral("KeepAlive Off: httpd kept no client connection alive; proxy.client_keepalive_requests = 1")),
                 qPrintable(closing.notes.join(u'\n')));

        // MaxKeepAliveRequests 0: no limit.
        const ApacheImportResult unlimited = importApache("Listen 127.0.0.1:8080\nMaxKeepAliveRequests 0\n<Proxy balancer://b>\n BalancerMember http://127.0.0.1:9001\n"
                                                          "</Proxy>\nProxyPass / balancer://b/\n", QStringLiteral("u.conf"));
        QVERIFY(unlimited.ok());
        QCOMPARE(unlimited.config.proxy.clientKeepaliveRequests, qint64(0));
    }

    // Whatever a virtual host did that Fulcrum does not (access rules, redirects, headers, files,
    // compression) is said where it stands; what Fulcrum does by itself (ProxyPreserveHost On,
    // Require all granted) is not. The real apache2 takes the config.
    void saysWhatItDoesNotCarry()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        const QByteArray body = "Listen 127.0.0.1:8080\nListen 127.0.0.1:8081\nListen 127.0.0.1:8082\n"
                                "Header set X-Content-Type-Options nosniff\n"
                                "<Proxy balancer://shop>\n BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                "<VirtualHost 127.0.0.1:8080>\n Redirect permanent / https://shop.example/\n</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8081>\n"
                                " DocumentRoot /var/www/html\n"
                                " Header always set X-Frame-Options DENY\n"
                                " RequestHeader set X-Real-IP \"%{REMOTE_ADDR}s\"\n"
                                " RewriteEngine On\n"
                                " RewriteRule ^/old$ /new [R=301,L]\n"
                                " ErrorDocument 503 /maintenance.html\n"
                                " AddOutputFilterByType DEFLATE text/html\n"
                                " ProxyPreserveHost On\n"
                                " <Directory /var/www/html>\n  Require all denied\n </Directory>\n"
                                " <Location />\n  Require ip 10.0.0.0/8\n </Location>\n"
                                " ProxyPass / balancer://shop/\n"
                                "</VirtualHost>\n"
                                "<VirtualHost 127.0.0.1:8082>\n <Location />\n  Require all granted\n </Location>\n ProxyPass / balancer://shop/\n</VirtualHost>\n";
        QString refused;
        const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.listeners.size(), size_t(2));
        const QString notes = r.notes.join(u'\n');
        // The body follows the helper's preamble in the httpd.conf apache2 checked: each line is
        // found there by its text.
        QFile checked(dir.filePath(QStringLiteral("httpd.conf")));
        QVERIFY(checked.open(QIODevice::ReadOnly));
        const QStringList written = QString::fromUtf8(checked.readAll()).split(u'\n');
        const auto lineOf = [&](const QString &text) {
            for (int i = 0; i < written.size(); ++i) {
                if (written[i].trimmed() == text)
                    return i + 1;
            }
            return -1;
        };
        for (const auto &[line, note] : std::initializer_list<std::pair<QString, QString>>{
                 {QStringLiteral("Redirect permanent / https://shop.example/"),
                  QStringLiteral("Redirect permanent / https://shop.example/ not carried over: no TLS listener was imported to send these clients to")},
                 {QStringLiteral("Header set X-Content-Type-Options nosniff"),
                  QStringLiteral("Header set X-Content-Type-Options nosniff not carried over: Fulcrum adds no response header")},
                 {QStringLiteral("DocumentRoot /var/www/html"), QStringLiteral("DocumentRoot /var/www/html not carried over: Fulcrum serves no files")},
                 {QStringLiteral("Header always set X-Frame-Options DENY"), QStringLiteral("Header always set X-Frame-Options DENY not carried over: Fulcrum adds no response header")},
                 {QStringLiteral("RequestHeader set X-Real-IP \"%{REMOTE_ADDR}s\""), QStringLiteral("RequestHeader set X-Real-IP %{REMOTE_ADDR}s not carried over")},
                 {QStringLiteral("RewriteRule ^/old$ /new [R=301,L]"), QStringLiteral("RewriteRule ^/old$ /new [R=301,L] not carried over: Fulcrum does not answer or rewrite")},
                 {QStringLiteral("ErrorDocument 503 /maintenance.html"), QStringLiteral("ErrorDocument 503 /maintenance.html not carried over: clients get the servers' own error pages")},
                 {QStringLiteral("AddOutputFilterByType DEFLATE text/html"), QStringLiteral("AddOutputFilterByType DEFLATE text/html not carried over: Fulcrum does not compress")},
                 {QStringLiteral("Require ip 10.0.0.0/8"), QStringLiteral("Require ip 10.0.0.0/8 in <Location /> not carried over: Fulcrum does no access control here")},
                 {QStringLiteral("<VirtualHost 127.0.0.1:8082>"),
                  QStringLiteral("<VirtualHost 127.0.0.1:8082>: httpd sent the member's host:port as Host (ProxyPreserveHost Off, httpd's default); Fulcrum passes the client's Host")}}) {
            const int at = lineOf(line);
            QVERIFY2(at > 0, qPrintable(line));
            QVERIFY2(hasNote(r, QStringLiteral("httpd.conf:%1: %2").arg(at).arg(note)), qPrintable(QStringLiteral("line %1: %2\n%3").arg(at).arg(note, notes)));
        }
        // Fulcrum does these by itself, and <Directory> rules are about httpd's own files.
        QVERIFY2(!notes.contains(QStringLiteral("ProxyPreserveHost On not carried")), qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("Require all granted")), qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("Require all denied")), qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("<VirtualHost 127.0.0.1:8081>: httpd sent")), qPrintable(notes));
    }

    // ProxyPass lines of one virtual host to several balancers: the "/" one is the listener's
    // pool, the others its routes (until 2026-12-07 notes, every path to one pool). Another
    // virtual host on the same address cannot be one (no routing by host name). The real
    // apache2 takes the config.
    void carriesPathsToOtherBalancersAsRoutes()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        const quint16 port = freeLoopbackPort();
        const QByteArray body = QStringLiteral("Listen 127.0.0.1:%1\n"
                                               "<Proxy balancer://web>\n    BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                               "<Proxy balancer://api>\n    BalancerMember http://127.0.0.1:9002\n</Proxy>\n"
                                               "<Proxy balancer://reports>\n    BalancerMember http://127.0.0.1:9003\n</Proxy>\n"
                                               "<Proxy balancer://legacy>\n    BalancerMember http://127.0.0.1:9004\n</Proxy>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n"
                                               "    ProxyPass /api/reports/ balancer://reports/api/reports/\n"
                                               "    ProxyPass /api/ balancer://api/api/\n"
                                               "    ProxyPass /v2/ balancer://api/\n"
                                               "    ProxyPassMatch ^/old/(.*)$ balancer://legacy/$1\n"
                                               "    ProxyPass / balancer://web/\n"
                                               "</VirtualHost>\n")
                                    .arg(port)
                                    .toUtf8();
        QString refused;
        const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        const QString notes = r.notes.join(u'\n');
        QCOMPARE(r.config.listeners.size(), size_t(1));
        QCOMPARE(r.config.listeners[0].pool, QStringLiteral("web"));
        // httpd sends /v2/x to balancer://api/ as /x: the route's prefix_rewrite.
        const std::vector<ListenerRoute> routes{{"/api/reports/", QStringLiteral("reports")}, {"/api/", QStringLiteral("api")}, {"/v2/", QStringLiteral("api"), {}, "/"}};
        QVERIFY2(r.config.listeners[0].routes == routes, qPrintable(notes));
        QVERIFY2(hasNote(r, QStringLiteral("ProxyPass /api/ balancer://api/api/: route /api/ to pool \"api\" on 127.0.0.1:%1 (listeners[].routes; "
                                           "the longest prefix that matches wins)").arg(port)),
                 qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("in place of /api/")), qPrintable(notes));   // the same paths as the clients'
        QVERIFY2(hasNote(r, QStringLiteral("ProxyPass /v2/ balancer://api/: route /v2/ to pool \"api\" on 127.0.0.1:%1 (listeners[].routes; the longest prefix "
                                           "that matches wins), \"prefix_rewrite\": \"/\" (the servers get / in place of /v2/, as from httpd)").arg(port)),
                 qPrintable(notes));
        QVERIFY2(hasNote(r, QStringLiteral("path pattern ^/old/(.*)$ balancer://legacy not carried over for 127.0.0.1:%1: Fulcrum routes by path "
                                           "prefix only, and ^/old/(.*)$ is a pattern, so the listener sends these requests to pool \"web\"").arg(port)),
                 qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QVERIFY(back.config->listeners[0].routes == routes);
    }

    // httpd rewrote a path to the listener's own balancer (ProxyPass /api/ balancer://web/v1/
    // with ProxyPass / balancer://web/, in either order): a route with prefix_rewrite, where
    // before the path was sent unchanged.
    void rewritesToTheListenersOwnBalancerBecomeRoutes()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        for (const bool specificFirst : {true, false}) {
            QTemporaryDir dir;
            const quint16 port = freeLoopbackPort();
            const QString api = QStringLiteral("    ProxyPass /api/ balancer://web/v1/\n");
            const QString root = QStringLiteral("    ProxyPass / balancer://web/\n");
            const QByteArray body = QStringLiteral("Listen 127.0.0.1:%1\n"
                                                   "<Proxy balancer://web>\n    BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                                   "<VirtualHost 127.0.0.1:%1>\n%2</VirtualHost>\n")
                                        .arg(port)
                                        .arg(specificFirst ? api + root : root + api)
                                        .toUtf8();
            QString refused;
            const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
            QVERIFY2(refused.isEmpty(), qPrintable(refused));
            QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
            QCOMPARE(r.config.listeners.size(), size_t(1));
            QCOMPARE(r.config.listeners[0].pool, QStringLiteral("web"));
            const std::vector<ListenerRoute> routes{{"/api/", QStringLiteral("web"), {}, "/v1/"}};
            QVERIFY2(r.config.listeners[0].routes == routes, QJsonDocument(configToJson(r.config)).toJson().constData());
            QVERIFY2(hasNote(r, QStringLiteral("ProxyPass /api/ balancer://web/v1/: route /api/ to pool \"web\"")), qPrintable(r.notes.join(u'\n')));
            QVERIFY2(hasNote(r, QStringLiteral("\"prefix_rewrite\": \"/v1/\" (the servers get /v1/ in place of /api/, as from httpd)")), qPrintable(r.notes.join(u'\n')));
        }
    }

    // Name-based virtual hosts on one address, each to its own balancer: routes by host, the
    // first host the listener's own pool (httpd's default for other names). The real apache2
    // takes the config.
    void carriesNameBasedVirtualHostsAsHostRoutes()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        const quint16 port = freeLoopbackPort();
        const QByteArray body = QStringLiteral("Listen 127.0.0.1:%1\n"
                                               "<Proxy balancer://web>\n    BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                               "<Proxy balancer://api>\n    BalancerMember http://127.0.0.1:9002\n</Proxy>\n"
                                               "<Proxy balancer://admin>\n    BalancerMember http://127.0.0.1:9003\n</Proxy>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n"
                                               "    ServerName shop.example\n"
                                               "    ProxyPass / balancer://web/\n"
                                               "</VirtualHost>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n"
                                               "    ServerName https://API.example:443\n"
                                               "    ServerAlias *.api.example api-? shop.example\n"
                                               "    ProxyPass / balancer://api/\n"
                                               "</VirtualHost>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n"
                                               "    ServerName admin.example\n"
                                               "    ProxyPass /static/ balancer://web/static/\n"
                                               "    ProxyPassMatch ^/old/(.*)$ balancer://web/$1\n"
                                               "    ProxyPass / balancer://admin/\n"
                                               "</VirtualHost>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n"
                                               "    ProxyPass / balancer://admin/\n"
                                               "</VirtualHost>\n")
                                    .arg(port)
                                    .toUtf8();
        QString refused;
        const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        const QString notes = r.notes.join(u'\n');
        QCOMPARE(r.config.listeners.size(), size_t(1));
        QCOMPARE(r.config.listeners[0].pool, QStringLiteral("web"));
        const std::vector<ListenerRoute> routes{{"", QStringLiteral("api"), "api.example"},
                                                {"", QStringLiteral("api"), "*.api.example"},
                                                {"", QStringLiteral("admin"), "admin.example"},
                                                {"/static/", QStringLiteral("web"), "admin.example"}};
        QVERIFY2(r.config.listeners[0].routes == routes, QJsonDocument(configToJson(r.config)).toJson().constData());
        for (const QString &note :
             {QStringLiteral("ProxyPass / balancer://api/: requests for api.example, *.api.example go to pool \"api\" on 127.0.0.1:%1 (listeners[].routes by "
                             "host); any other name goes to the first virtual host's pool \"web\"").arg(port),
              QStringLiteral("ServerAlias api-? not routed by: Fulcrum routes by exact names and \"*.name\""),
              QStringLiteral("shop.example is also the first virtual host's name on 127.0.0.1:%1; httpd used the first, and so does Fulcrum").arg(port),
              QStringLiteral("ProxyPass /static/ balancer://web/static/: requests for admin.example under /static/ go to pool \"web\""),
              QStringLiteral("path pattern ^/old/(.*)$ balancer://web not carried over for 127.0.0.1:%1: Fulcrum routes by path prefix only").arg(port),
              QStringLiteral("ProxyPass / balancer://admin not carried over for 127.0.0.1:%1: it is another virtual host's address, and this one has no "
                             "ServerName or ServerAlias Fulcrum can route by").arg(port),
              QStringLiteral("ServerName shop.example: the first virtual host on its address, so the listener's own pool")})
            QVERIFY2(hasNote(r, note), qPrintable(note + u'\n' + notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QVERIFY(back.config->listeners[0].routes == routes);
    }

    // The port-80 virtual host of an HTTPS shop (mod_alias's Redirect, or mod_rewrite's
    // RewriteRule to https://%{HTTP_HOST}) becomes a redirect listener to the TLS listener.
    // The real apache2 takes the config.
    void carriesThePort80RedirectToHttps()
    {
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        TestCertificates certificates(dir.path());
        QString error;
        QVERIFY2(makeShopCertificate(certificates, &error), qPrintable(error));
        const quint16 tls = freeLoopbackPort();
        const quint16 plain = freeLoopbackPort();
        const quint16 rewritten = freeLoopbackPort();
        const QByteArray body = QStringLiteral("LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n"
                                               "Listen 127.0.0.1:%1 https\nListen 127.0.0.1:%2\nListen 127.0.0.1:%3\n"
                                               "<Proxy balancer://shop>\n    BalancerMember http://127.0.0.1:9001\n</Proxy>\n"
                                               "<VirtualHost 127.0.0.1:%1>\n    SSLEngine on\n    SSLCertificateFile shop.pem\n    SSLCertificateKeyFile shop.key\n"
                                               "    Header always set Strict-Transport-Security \"max-age=63072000; includeSubDomains\"\n"
                                               "    ProxyPass / balancer://shop/\n</VirtualHost>\n"
                                               "<VirtualHost 127.0.0.1:%2>\n    ServerName shop.example\n    Redirect permanent / https://shop.example/\n</VirtualHost>\n"
                                               "<VirtualHost 127.0.0.1:%3>\n    RewriteEngine On\n    RewriteCond %{HTTPS} off\n"
                                               "    RewriteRule ^/?(.*)$ https://%{HTTP_HOST}/$1 [R=308,L]\n</VirtualHost>\n")
                                    .arg(tls)
                                    .arg(plain)
                                    .arg(rewritten)
                                    .toUtf8();
        QString refused;
        const ApacheImportResult r = importCheckedByApache(dir, body, &refused);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        const QString notes = r.notes.join(u'\n');
        const ListenerConfig *secure = nullptr;
        std::vector<const ListenerConfig *> redirects;
        for (const ListenerConfig &l : r.config.listeners)
            l.redirect.enabled() ? redirects.push_back(&l) : void(secure = &l);
        QVERIFY(secure && secure->tls.enabled());
        QCOMPARE(secure->tls.hsts, QStringLiteral("max-age=63072000; includeSubDomains"));
        QVERIFY2(hasNote(r, QStringLiteral("Header always set Strict-Transport-Security max-age=63072000; includeSubDomains: the TLS listener's tls.hsts")),
                 qPrintable(r.notes.join(u'\n')));
        QCOMPARE(redirects.size(), size_t(2));
        QCOMPARE(redirects[0]->port, plain);
        QCOMPARE(redirects[0]->redirect.to, secure->name);
        QCOMPARE(redirects[0]->redirect.status, 301);
        QCOMPARE(redirects[1]->port, rewritten);
        QCOMPARE(redirects[1]->redirect.status, 308);
        QVERIFY2(hasNote(r, QStringLiteral("Redirect permanent / https://shop.example/: listener \"redirect-%1\" (127.0.0.1:%1) redirects every request to https "
                                           "on listener \"%2\", with the client's Host and path (httpd sent every client to shop.example")
                                .arg(plain).arg(secure->name)),
                 qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("RewriteCond %{HTTPS} off not carried")), qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("proxies nothing to a balancer")), qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->listeners.size(), r.config.listeners.size());
        for (size_t i = 0; i < r.config.listeners.size(); ++i) {
            QCOMPARE(back.config->listeners[i].redirect.to, r.config.listeners[i].redirect.to);
            QCOMPARE(back.config->listeners[i].redirect.status, r.config.listeners[i].redirect.status);
            QCOMPARE(back.config->listeners[i].port, r.config.listeners[i].port);
        }
        QCOMPARE(back.config->listeners[1].redirect.locationPort(), tls);
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QString>("error");
        QTest::newRow("no balancer") << sample("no balancer") << QStringLiteral("e.conf: no <Proxy balancer://NAME> block");
        QTest::newRow("unterminated <Proxy>") << sample("unterminated proxy") << QStringLiteral("e.conf:2: <Proxy balancer://shop> is not closed: add </Proxy> after its last directive");
        QTest::newRow("mismatched close") << sample("mismatched close") << QStringLiteral("e.conf:3: </Location> found while <Proxy> from line 1 is open; close it first with </Proxy>");
        QTest::newRow("loadfactor above 100") << sample("loadfactor above 100") << QStringLiteral("e.conf:2: loadfactor=101 for http://127.0.0.1:9001 must be a number from 1 to 100");
        QTest::newRow("loadfactor below 1") << sample("loadfactor below 1") << QStringLiteral("e.conf:2: loadfactor=0.5 for http://127.0.0.1:9001 must be a number from 1 to 100");
        QTest::newRow("loadfactor not a number") << sample("loadfactor not a number") << QStringLiteral("e.conf:2: loadfactor=many for http://127.0.0.1:9001 must be a number from 1 to 100");
        QTest::newRow("member without balancer") << sample("member without balancer") << QStringLiteral("e.conf:1: BalancerMember outside a <Proxy balancer://NAME> block must name its balancer");
        QTest::newRow("balancers in includes not here")
            << QByteArray("ServerRoot /nonexistent/apache2\nIncludeOptional sites-enabled/*.conf\n")
            << QStringLiteral("in it or in the files it includes; the balancers may be in files these includes did not find here: run the import where httpd's files are\n"
                              "  e.conf:2: IncludeOptional sites-enabled/*.conf");
    }

    void errors()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QString, error);
        const ApacheImportResult r = importApache(conf, QStringLiteral("e.conf"));
        QVERIFY(!r.ok());
        QVERIFY2(r.errors.first().contains(error), qPrintable(r.errors.join(u'\n')));
        QVERIFY(r.config.pools.empty());
    }

    // The samples are httpd's own syntax: the real Debian apache2 accepts the ones this suite
    // imports and rejects the ones it calls errors (but for "no balancer", which is valid httpd).
    void realApacheAgrees_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QString>("rejection");
        QTest::addColumn<bool>("heartbeat");
        for (const Sample &s : samples())
            QTest::newRow(s.name) << s.text << s.apacheRejects << false;
        for (const auto &[name, proxySet] : methodSettings())
            QTest::newRow(name) << methodSample(proxySet) << QString() << proxySet.contains("heartbeat");
    }

    void realApacheAgrees()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QString, rejection);
        QFETCH(bool, heartbeat);
        if (!QFile::exists(apacheBinary()))
            QSKIP("apache2 is not installed (scripts/packages.txt lists it)");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        if (heartbeat) {
            // lbmethod_heartbeat needs mod_heartmonitor (and the watchdog built into Debian's httpd).
            const ProgramRun probe = apacheConfigTest(dir, QByteArray(), true);
            if (probe.exitCode != 0)
                QSKIP(qPrintable(QStringLiteral("this apache2 cannot load mod_heartmonitor + mod_lbmethod_heartbeat: %1").arg(probe.err.trimmed())));
        }
        const ProgramRun r = apacheConfigTest(dir, conf, heartbeat);
        const QString said = QStringLiteral("apache2 -t exit %1: %2").arg(r.exitCode).arg(r.err.trimmed());
        QVERIFY2((r.exitCode == 0) == rejection.isEmpty(), qPrintable(said));
        QVERIFY2(r.err.contains(rejection.isEmpty() ? QStringLiteral("Syntax OK") : rejection), qPrintable(said));
    }

    void commandLine_data()
    {
        QTest::addColumn<QByteArray>("conf");  // written to httpd.conf; empty = no file there
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("stderrPart");
        QTest::newRow("writes a config fulcrumd accepts") << sample("vhost") << 0 << QStringLiteral("httpd.conf:5: http://127.0.0.1:9001: route=app1 not carried over");
        QTest::newRow("unreadable file") << QByteArray() << 1 << QStringLiteral("fulcrumctl import-apache: cannot read ");
        QTest::newRow("unterminated <Proxy>") << sample("unterminated proxy") << 1 << QStringLiteral("httpd.conf:2: <Proxy balancer://shop> is not closed");
        QTest::newRow("no balancer") << sample("no balancer") << 1 << QStringLiteral("httpd.conf: no <Proxy balancer://NAME> block");
    }

    void commandLine()
    {
        QFETCH(QByteArray, conf);
        QFETCH(int, exitCode);
        QFETCH(QString, stderrPart);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString in = dir.filePath(QStringLiteral("httpd.conf"));
        if (!conf.isEmpty()) {
            QFile file(in);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(conf);
        }
        const QString out = dir.filePath(QStringLiteral("fulcrum.json"));
        const ProgramRun r = runProgram(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("import-apache"), in, QStringLiteral("-o"), out},
                                        QProcessEnvironment::systemEnvironment(), {}, 30'000);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(stderrPart), qPrintable(r.err));
        QCOMPARE(QFile::exists(out), exitCode == 0);
        if (exitCode == 0) {
            QVERIFY2(r.err.contains(QStringLiteral("wrote %1 (1 pool(s), 1 listener(s), ").arg(out)), qPrintable(r.err));
            const ConfigResult check = loadConfigFile(out);
            QVERIFY2(check.ok(), qPrintable(check.errorText()));
        }
    }

    void usageError()
    {
        const ProgramRun r = runProgram(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("import-apache")}, QProcessEnvironment::systemEnvironment(), {}, 30'000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("fulcrumctl import-apache: give exactly one Apache httpd config FILE")), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestApacheImport)
#include "tst_apacheimport.moc"
