#include "demobackends.h"
#include "freeport.h"
#include "fulcrumdprocess.h"
#include "programs.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum::test;

using Run = ProgramRun;

static Run run(const QString &program, const QStringList &arguments)
{
    return runProgram(binaryPath(program), arguments, QProcessEnvironment::systemEnvironment(), {}, 30'000);
}

// The real binaries, as an operator or a script runs them.
class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helpAndVersion_data()
    {
        QTest::addColumn<QString>("program");
        QTest::newRow("fulcrumd") << QStringLiteral("fulcrumd");
        QTest::newRow("fulcrumctl") << QStringLiteral("fulcrumctl");
    }

    void helpAndVersion()
    {
        QFETCH(QString, program);
        const Run help = run(program, {QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains(QStringLiteral("Usage:")));
        const Run version = run(program, {QStringLiteral("--version")});
        QCOMPARE(version.exitCode, 0);
        QVERIFY(version.out.startsWith(program + u' '));
    }

    // Every command's --help, and its subcommands', names itself the way it is typed
    // ("Usage: fulcrumctl lock run [options] KEY -- COMMAND [ARGS...]", where Qt wrote argv[0]
    // alone), offers no Qt option, and the command list reads alike.
    void everyCommandsHelpNamesIt()
    {
        const Run help = run(QStringLiteral("fulcrumctl"), {QStringLiteral("--help")});
        QStringList commands;
        bool inList = false;
        for (const QString &line : help.out.split(u'\n')) {
            if (line == u"Commands:") {
                inList = true;
            } else if (inList && line.startsWith(u"  ")) {
                const QStringList words = line.simplified().split(u' ');
                commands << words.first();
                QVERIFY2(words.value(1).front().isLower(), qPrintable(line));
            } else {
                inList = false;
            }
        }
        QVERIFY2(commands.size() >= 12, qPrintable(help.out));
        QStringList typed;
        for (const QString &command : commands)
            typed << command;
        typed << QStringLiteral("backends list") << QStringLiteral("backends set-weight") << QStringLiteral("backends set-state")
              << QStringLiteral("lock acquire") << QStringLiteral("lock run") << QStringLiteral("locks list") << QStringLiteral("locks show")
              << QStringLiteral("locks release") << QStringLiteral("secret set");
        for (const QString &command : typed) {
            const Run r = run(QStringLiteral("fulcrumctl"), command.split(u' ') + QStringList{QStringLiteral("--help")});
            QVERIFY2(r.exitCode == 0, qPrintable(command + QStringLiteral(": ") + r.err));
            QVERIFY2(r.out.startsWith(QStringLiteral("Usage: fulcrumctl %1 ").arg(command)), qPrintable(command + QStringLiteral(": ") + r.out.section(u'\n', 0, 0)));
            QVERIFY2(!r.out.contains(u"--help-all"), qPrintable(command));
        }
        const Run lockRun = run(QStringLiteral("fulcrumctl"), {QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("--help")});
        QVERIFY2(lockRun.out.section(u'\n', 0, 0).endsWith(u"KEY -- COMMAND [ARGS...]"), qPrintable(lockRun.out.section(u'\n', 0, 0)));
    }

    void simulatePrintsNginxSequence()
    {
        const Run r = run(QStringLiteral("fulcrumctl"), {QStringLiteral("simulate"), QStringLiteral("--algorithm"), QStringLiteral("weighted-round-robin"),
                                                         QStringLiteral("--weights"), QStringLiteral("5,1,1"), QStringLiteral("--count"), QStringLiteral("7")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("0\n0\n1\n0\n2\n0\n0\n"));
    }

    void simulateJsonAndSummary()
    {
        const Run json = run(QStringLiteral("fulcrumctl"), {QStringLiteral("simulate"), QStringLiteral("--algorithm"), QStringLiteral("round-robin"),
                                                            QStringLiteral("--weights"), QStringLiteral("1,1,1"), QStringLiteral("--count"), QStringLiteral("4"),
                                                            QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(json.out.toUtf8()).array(), (QJsonArray{0, 1, 2, 0}));

        const Run summary = run(QStringLiteral("fulcrumctl"), {QStringLiteral("simulate"), QStringLiteral("--algorithm"), QStringLiteral("weighted-round-robin"),
                                                               QStringLiteral("--weights"), QStringLiteral("3,1,0"), QStringLiteral("--count"), QStringLiteral("400"),
                                                               QStringLiteral("--summary"), QStringLiteral("--json")});
        QCOMPARE(summary.exitCode, 0);
        const QJsonArray rows = QJsonDocument::fromJson(summary.out.toUtf8()).array();
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows[0].toObject().value(QStringLiteral("picks")).toInt(), 300);
        QCOMPARE(rows[1].toObject().value(QStringLiteral("picks")).toInt(), 100);
        QCOMPARE(rows[2].toObject().value(QStringLiteral("picks")).toInt(), 0);
    }

    void simulateWithStatesAndKeys()
    {
        QTemporaryDir dir;
        QFile keys(dir.filePath(QStringLiteral("keys.txt")));
        QVERIFY(keys.open(QIODevice::WriteOnly));
        keys.write("cart-1\ncart-2\ncart-1\ncart-3\ncart-2\n");
        keys.close();
        const Run r = run(QStringLiteral("fulcrumctl"), {QStringLiteral("simulate"), QStringLiteral("--algorithm"), QStringLiteral("consistent-hash"),
                                                         QStringLiteral("--weights"), QStringLiteral("1,1,1,1"), QStringLiteral("--states"),
                                                         QStringLiteral("up,maint,up,up"), QStringLiteral("--keys"), keys.fileName()});
        QCOMPARE(r.exitCode, 0);
        const QStringList picks = r.out.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(picks.size(), 5);           // one pick per key by default
        QCOMPARE(picks[0], picks[2]);        // a cart sticks to its server
        QCOMPARE(picks[1], picks[4]);
        QVERIFY(!picks.contains(QStringLiteral("1"))); // never the server in maintenance
    }

    void simulateRejectsBadInput_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("algorithm") << QStringList{QStringLiteral("--algorithm"), QStringLiteral("fastest"), QStringLiteral("--weights"), QStringLiteral("1")}
                                   << QStringLiteral("--algorithm \"fastest\" is unknown; use one of: round-robin,");
        QTest::newRow("weight") << QStringList{QStringLiteral("--algorithm"), QStringLiteral("random"), QStringLiteral("--weights"), QStringLiteral("1,x")}
                                << QStringLiteral("--weights: \"x\" at position 2 (server s1) must be a whole number 0..10000");
        QTest::newRow("no weights") << QStringList{QStringLiteral("--algorithm"), QStringLiteral("random")}
                                    << QStringLiteral("--weights is required, e.g. --weights 5,1,1");
        QTest::newRow("states count") << QStringList{QStringLiteral("--algorithm"), QStringLiteral("random"), QStringLiteral("--weights"), QStringLiteral("1,1"),
                                                     QStringLiteral("--states"), QStringLiteral("up")}
                                      << QStringLiteral("--states lists 1 states for 2 servers; give one per server");
    }

    void simulateRejectsBadInput()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const Run r = run(QStringLiteral("fulcrumctl"), QStringList{QStringLiteral("simulate")} + arguments);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    void fulcrumdCheckValidatesAndPrintsEveryError()
    {
        const Run ok = run(QStringLiteral("fulcrumd"), {QStringLiteral("--config"), QStringLiteral(FULCRUM_SOURCE_DIR "/resources/fulcrum.example.json"), QStringLiteral("--check")});
        QCOMPARE(ok.exitCode, 0);
        QVERIFY(ok.out.contains(QStringLiteral("valid (1 listener(s), 2 pool(s), 1 lock endpoint(s))")));

        QTemporaryDir dir;
        QFile bad(dir.filePath(QStringLiteral("bad.json")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{ \"pools\": [ { \"name\": \"p\",\n  \"servers\": [ { \"address\": \"127.0.0.1:1\", \"weight\": 10001 },\n"
                  "  { \"address\": \"nowhere\" } ] } ] }\n");
        bad.close();
        const Run r = run(QStringLiteral("fulcrumd"), {QStringLiteral("--config"), bad.fileName(), QStringLiteral("--check")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(bad.fileName() + QStringLiteral(":2:54: weight for server \"127.0.0.1:1\" 10001 must be 0..10000")), qPrintable(r.err));
        QVERIFY2(r.err.contains(bad.fileName() + QStringLiteral(":3:16: server address \"nowhere\" must be HOST:PORT")), qPrintable(r.err));
        QVERIFY(r.err.contains(QStringLiteral("2 error(s); nothing was applied")));
    }

    void importNginxProducesAConfigFulcrumdAccepts()
    {
        QTemporaryDir dir;
        QFile conf(dir.filePath(QStringLiteral("nginx.conf")));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write("http {\n upstream shop {\n  least_conn;\n  server 127.0.0.1:9001 weight=3;\n  server 127.0.0.1:9002 backup;\n  keepalive 16;\n }\n"
                   " server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; } }\n}\n");
        conf.close();
        const QString out = dir.filePath(QStringLiteral("fulcrum.json"));
        const Run r = run(QStringLiteral("fulcrumctl"), {QStringLiteral("import-nginx"), conf.fileName(), QStringLiteral("-o"), out});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.contains(QStringLiteral("nginx.conf:6: keepalive 16 is nginx's idle connections per worker for the whole upstream")), qPrintable(r.err));
        const Run check = run(QStringLiteral("fulcrumd"), {QStringLiteral("--config"), out, QStringLiteral("--check")});
        QCOMPARE(check.exitCode, 0);
        QVERIFY(check.out.contains(QStringLiteral("1 listener(s), 1 pool(s)")));
        // "-o -" is stdout, as in every tool (it wrote a file named "-").
        const QString dash = QDir::current().filePath(QStringLiteral("-"));
        QVERIFY(!QFileInfo::exists(dash));
        const Run piped = run(QStringLiteral("fulcrumctl"), {QStringLiteral("import-nginx"), conf.fileName(), QStringLiteral("-o"), QStringLiteral("-")});
        const bool wroteDash = QFileInfo::exists(dash);
        QFile::remove(dash);
        QVERIFY(!wroteDash);
        QCOMPARE(piped.exitCode, 0);
        const QJsonObject pool = QJsonDocument::fromJson(piped.out.toUtf8()).object().value(QStringLiteral("pools")).toArray().at(0).toObject();
        QCOMPARE(pool.value(QStringLiteral("name")).toString(), QStringLiteral("shop"));
        QCOMPARE(pool.value(QStringLiteral("max_idle_per_server")).toInt(), 8);   // 16 over its 2 servers
        QCOMPARE(pool.value(QStringLiteral("keepalive_requests")).toInt(), 1000);   // nginx's defaults with keepalive
        QCOMPARE(pool.value(QStringLiteral("keepalive_time")).toInteger(), qint64(3'600'000));
    }

    void importNginxOfAnotherMachinesCertificates()
    {
        // The usual case: nginx.conf copied from the balancer to a laptop, where its
        // certificates are not. The config is written; what cannot be checked here is said
        // with its place in the written file, and fulcrumd --check reads it again.
        QTemporaryDir dir;
        QFile conf(dir.filePath(QStringLiteral("nginx.conf")));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        const QString missing = dir.filePath(QStringLiteral("no-such/shop.pem"));
        const quint16 serverPort = freeLoopbackPort();   // nothing listens: the check says L4CON
        conf.write(QStringLiteral("http {\n upstream shop { server 127.0.0.1:%3; }\n"
                                  " server { listen 127.0.0.1:8443 ssl; ssl_certificate %1; ssl_certificate_key %2;\n"
                                  "  location / { proxy_pass http://shop; } }\n}\n")
                       .arg(missing, dir.filePath(QStringLiteral("no-such/shop.key"))).arg(serverPort).toUtf8());
        conf.close();
        const QString out = dir.filePath(QStringLiteral("fulcrum.json"));
        const Run r = run(QStringLiteral("fulcrumctl"), {QStringLiteral("import-nginx"), conf.fileName(), QStringLiteral("-o"), out});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(QFileInfo::exists(out), qPrintable(r.err));
        const QRegularExpression atItsPlace(QStringLiteral("note: %1:\\d+:\\d+: listener \"shop-8443\" tls: cannot read the certificate %2")
                                                .arg(QRegularExpression::escape(out), QRegularExpression::escape(missing)));
        QVERIFY2(atItsPlace.match(r.err).hasMatch(), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("read again by \"fulcrumd --config %1 --check\" on the machine that runs it").arg(out)), qPrintable(r.err));
        QVERIFY(r.err.contains(QStringLiteral("wrote %1 (1 pool(s), 1 listener(s), ").arg(out)));
        // The written config is what fulcrumd reads: here it refuses to start without the files.
        const Run check = run(QStringLiteral("fulcrumd"), {QStringLiteral("--config"), out, QStringLiteral("--check")});
        QCOMPARE(check.exitCode, 1);
        QVERIFY2(check.err.contains(QStringLiteral("cannot read the certificate %1").arg(missing)), qPrintable(check.err));
        // Checking its servers from here needs no listener certificate: the check runs.
        const Run health = run(QStringLiteral("fulcrumctl"), {QStringLiteral("health-check"), QStringLiteral("--config"), out});
        QCOMPARE(health.exitCode, 1);   // a server failed its check, not the config
        QVERIFY2(health.out.contains(QStringLiteral("127.0.0.1:%1").arg(serverPort)) && health.out.contains(QStringLiteral("L4CON")),
                 qPrintable(health.out + health.err));
    }

    void importWithTheOtherImporterSaysWhichOne()
    {
        // At 3 a.m. the two importers get swapped: each says which one reads the file.
        QTemporaryDir dir;
        QFile nginx(dir.filePath(QStringLiteral("nginx.conf")));
        QVERIFY(nginx.open(QIODevice::WriteOnly));
        nginx.write("http {\n upstream shop { server 127.0.0.1:9001; }\n server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; } }\n}\n");
        nginx.close();
        QFile apache(dir.filePath(QStringLiteral("httpd.conf")));
        QVERIFY(apache.open(QIODevice::WriteOnly));
        apache.write("Listen 8080\n<Proxy balancer://shop>\n    BalancerMember http://127.0.0.1:9001\n</Proxy>\nProxyPass / balancer://shop/\n");
        apache.close();
        const Run wrongForNginx = run(QStringLiteral("fulcrumctl"), {QStringLiteral("import-apache"), nginx.fileName()});
        QCOMPARE(wrongForNginx.exitCode, 1);
        QVERIFY2(wrongForNginx.err.contains(QStringLiteral("fulcrumctl import-apache: it looks like an nginx config (upstream, server and http blocks): "
                                                           "fulcrumctl import-nginx FILE reads it")), qPrintable(wrongForNginx.err));
        const Run wrongForApache = run(QStringLiteral("fulcrumctl"), {QStringLiteral("import-nginx"), apache.fileName()});
        QCOMPARE(wrongForApache.exitCode, 1);
        QVERIFY2(wrongForApache.err.contains(QStringLiteral("fulcrumctl import-nginx: it looks like an Apache httpd config")), qPrintable(wrongForApache.err));
        // Each with its own importer: no hint, a config.
        const Run right = run(QStringLiteral("fulcrumctl"), {QStringLiteral("import-apache"), apache.fileName()});
        QCOMPARE(right.exitCode, 0);
        QVERIFY(!right.err.contains(u"it looks like"));
    }

    // `fulcrumctl route` says what the proxy does: for each host and path, the pool it names
    // (from the running engine, and from the config file it runs) is the pool whose server
    // answered the same request through the proxy; a pool that cannot serve is said, exit 1.
    void routeSaysWhatTheProxyDoes()
    {
        fulcrum::test::InProcessDemoBackend web(QStringLiteral("web-1"));
        fulcrum::test::InProcessDemoBackend api(QStringLiteral("api-1"));
        fulcrum::test::InProcessDemoBackend admin(QStringLiteral("admin-1"));
        QVERIFY(web.isListening() && api.isListening() && admin.isListening());
        const auto pool = [](const QString &name, quint16 port) {
            return QJsonObject{{QStringLiteral("name"), name},
                               {QStringLiteral("health_check"), QJsonObject{{QStringLiteral("interval"), QStringLiteral("100ms")}}},
                               {QStringLiteral("servers"), QJsonArray{QJsonObject{{QStringLiteral("name"), name + QStringLiteral("-1")},
                                                                                  {QStringLiteral("address"), QStringLiteral("127.0.0.1:%1").arg(port)}}}}};
        };
        const auto route = [](const QString &host, const QString &prefix, const QString &pool) {
            QJsonObject o{{QStringLiteral("pool"), pool}};
            if (!host.isEmpty())
                o.insert(QStringLiteral("host"), host);
            if (!prefix.isEmpty())
                o.insert(QStringLiteral("prefix"), prefix);
            return o;
        };
        FulcrumdProcess::Options options;
        options.servers = {{QStringLiteral("web-1"), web.port()}};
        options.morePools = QJsonArray{pool(QStringLiteral("api"), api.port()), pool(QStringLiteral("admin"), admin.port())};
        options.routes = QJsonArray{route({}, QStringLiteral("/api/"), QStringLiteral("api")), route(QStringLiteral("admin.shop.test"), {}, QStringLiteral("admin")),
                                    route(QStringLiteral("*.shop.test"), QStringLiteral("/static/"), QStringLiteral("web"))};
        FulcrumdProcess fulcrumd(options);
        QString log;
        QVERIFY2(fulcrumd.start(&log), qPrintable(log));
        const QStringList engine{QStringLiteral("--engine"), fulcrumd.adminUrl().toString(), QStringLiteral("--token-file"), fulcrumd.tokenFile()};
        QTRY_VERIFY_WITH_TIMEOUT(run(QStringLiteral("fulcrumctl"), QStringList{QStringLiteral("route"), QStringLiteral("http://admin.shop.test:%1/").arg(fulcrumd.proxyPort())}
                                                                       + engine).exitCode == 0,
                                 10'000);   // every pool's first check passed

        const struct
        {
            QByteArray host;
            QByteArray path;
            QString pool;
            int route;   // its index in the listener's routes; -1: the listener's own pool
        } cases[] = {
            {"shop.test", "/", QStringLiteral("web"), -1},
            {"shop.test", "/api/orders", QStringLiteral("api"), 0},
            {"Admin.Shop.Test", "/api/orders", QStringLiteral("admin"), 1},
            {"www.shop.test", "/static/a.css", QStringLiteral("web"), 2},
            {"www.shop.test", "/api/x", QStringLiteral("api"), 0},
            {"www.shop.test", "/static/../api/x", QStringLiteral("api"), 0},
            {"www.shop.test", "/%61pi/x", QStringLiteral("api"), 0},
        };
        for (const auto &c : cases) {
            const QString url = QStringLiteral("http://%1:%2%3").arg(QString::fromLatin1(c.host)).arg(fulcrumd.proxyPort()).arg(QString::fromLatin1(c.path));
            const QString what = QString::fromLatin1(c.host + c.path);
            // What the proxy does with it.
            SimpleHttpConnection client(fulcrumd.proxyPort());
            const SimpleHttpResponse answer = client.exchange("GET " + c.path + " HTTP/1.1\r\nHost: " + c.host + "\r\n\r\n");
            QVERIFY2(answer.status == 200, qPrintable(what + u' ' + answer.error));
            QCOMPARE(QString::fromLatin1(answer.header("X-Served-By")), c.pool + QStringLiteral("-1"));
            // What the command says, from the engine and from its config file.
            for (const QStringList &source : {engine, QStringList{QStringLiteral("--config"), fulcrumd.configFile()}}) {
                const Run r = run(QStringLiteral("fulcrumctl"), QStringList{QStringLiteral("route"), url, QStringLiteral("--json")} + source);
                QVERIFY2(r.exitCode == 0, qPrintable(what + u'\n' + r.out + r.err));
                const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
                QVERIFY2(json.value(QStringLiteral("pool")).toString() == c.pool, qPrintable(what + u'\n' + r.out));
                QVERIFY2(json.value(QStringLiteral("route")).isNull() ? c.route == -1
                                                                        : json.value(QStringLiteral("route")).toObject().value(QStringLiteral("index")).toInt() == c.route,
                         qPrintable(what + u'\n' + r.out));
            }
        }
        const Run text = run(QStringLiteral("fulcrumctl"), QStringList{QStringLiteral("route"), QStringLiteral("http://www.shop.test:%1/static/../api/x").arg(fulcrumd.proxyPort())}
                                                             + engine);
        QVERIFY2(text.out.contains(QStringLiteral("as the servers read it: /api/x")) && text.out.contains(QStringLiteral("route     routes[0]: prefix /api/"))
                     && text.out.contains(QStringLiteral("1 of 1 servers take traffic now")),
                 qPrintable(text.out));

        // The admin pool's only server in maintenance: the command says this request gets 503.
        const Run maint = run(QStringLiteral("fulcrumctl"), QStringList{QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("admin/admin-1"),
                                                                        QStringLiteral("maint"), QStringLiteral("--yes")} + engine);
        QVERIFY2(maint.exitCode == 0, qPrintable(maint.out + maint.err));
        const Run dark = run(QStringLiteral("fulcrumctl"), QStringList{QStringLiteral("route"), QStringLiteral("http://admin.shop.test:%1/").arg(fulcrumd.proxyPort())} + engine);
        QCOMPARE(dark.exitCode, 1);
        QVERIFY2(dark.out.contains(QStringLiteral("NO SERVER: 0 of 1 servers take traffic, so this request gets 503 now")), qPrintable(dark.out));
        QCOMPARE(httpGet(fulcrumd.proxyPort(), "/").status, 200);   // the other pools serve on

        // Bad input: named, with the fix.
        const Run noListener = run(QStringLiteral("fulcrumctl"), QStringList{QStringLiteral("route"), QStringLiteral("http://shop.test:1/")} + engine);
        QCOMPARE(noListener.exitCode, 2);
        QVERIFY2(noListener.err.contains(QStringLiteral("no listener on port 1 (give --listener NAME for another); the listeners are: main (127.0.0.1:%1)")
                                             .arg(fulcrumd.proxyPort())),
                 qPrintable(noListener.err));
        const Run both = run(QStringLiteral("fulcrumctl"), {QStringLiteral("route"), QStringLiteral("http://shop.test/")});
        QCOMPARE(both.exitCode, 2);
        QVERIFY(both.err.contains(QStringLiteral("give one URL and either --config FILE or --engine URL")));
    }

    void unknownCommand()
    {
        const Run r = run(QStringLiteral("fulcrumctl"), {QStringLiteral("frobnicate")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains(QStringLiteral("unknown command 'frobnicate'")));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
