#include "config/configparser.h"
#include "config/nginximport.h"
#include "testcertificates.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;
using fulcrum::test::TestCertificates;

class TestNginxImport : public QObject
{
    Q_OBJECT

private:
    // What `nginx -t` says against `conf` (after a pid, error_log and events preamble), or
    // nothing when it accepts it or nginx is not installed.
    static QString whatNginxRefuses(const QByteArray &conf)
    {
        if (!QFile::exists(QStringLiteral("/usr/sbin/nginx")))
            return {};
        QTemporaryDir dir;
        QFile whole(dir.filePath(QStringLiteral("nginx.conf")));
        if (!whole.open(QIODevice::WriteOnly))
            return QStringLiteral("cannot write %1").arg(whole.fileName());
        whole.write("pid " + dir.filePath(QStringLiteral("nginx.pid")).toUtf8() + ";\nerror_log stderr;\nevents {}\n" + conf);
        whole.close();
        QProcess run;
        run.setProcessChannelMode(QProcess::MergedChannels);
        run.start(QStringLiteral("/usr/sbin/nginx"), {QStringLiteral("-t"), QStringLiteral("-p"), dir.path() + u'/', QStringLiteral("-c"), whole.fileName()});
        if (!run.waitForFinished(30'000))
            return QStringLiteral("nginx -t did not finish");
        return run.exitCode() == 0 ? QString() : QString::fromUtf8(run.readAll());
    }

    // The config as the real nginx takes it (`nginx -t`, where nginx is installed), imported as
    // n.conf: what nginx refused or the import's errors, else empty and *r holds the import.
    static QString importChecked(const QByteArray &conf, NginxImportResult *r)
    {
        if (const QString refused = whatNginxRefuses(conf); !refused.isEmpty())
            return refused;
        *r = importNginx(conf, QStringLiteral("n.conf"));
        return r->ok() ? QString() : r->errors.join(u'\n');
    }

    static bool hasNote(const NginxImportResult &r, const QString &part)
    {
        for (const QString &n : r.notes) {
            if (n.contains(part))
                return true;
        }
        return false;
    }

private Q_SLOTS:
    void importsServersAndTheirParameters()
    {
        const QByteArray conf = R"(
http {
    upstream shop {
        least_conn;
        zone shop 64k;
        server 127.0.0.1:9001 weight=5 max_fails=3 fail_timeout=20s;
        server 127.0.0.1:9002 max_conns=100 max_fails=3 fail_timeout=20s;
        server 127.0.0.1:9003 backup max_fails=3 fail_timeout=20s;   # spare
        server 127.0.0.1:9004 down;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:8080;
        location / { proxy_pass http://shop; }
    }
}
)";
        const NginxImportResult r = importNginx(conf, QStringLiteral("nginx.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.pools.size(), size_t(1));
        const PoolConfig &p = r.config.pools[0];
        QCOMPARE(p.name, QStringLiteral("shop"));
        QCOMPARE(p.options.algorithm, Algorithm::LeastConnections);
        QCOMPARE(p.servers.size(), size_t(4));
        QCOMPARE(p.servers[0].weight, 5);
        QCOMPARE(p.servers[0].port, quint16(9001));
        QCOMPARE(p.servers[1].maxConnections, 100);
        QVERIFY(p.servers[2].backup);
        QCOMPARE(p.servers[3].state, BackendState::Maint);
        // nginx's default for the servers without max_fails is 1/10s; most servers say 3/20s.
        QCOMPARE(p.outlier.consecutiveFailures, 3);
        QCOMPARE(p.outlier.baseEjectionMs, qint64(20'000));
        // nginx's 32 idle connections for the whole upstream: 8 per server of four.
        QCOMPARE(p.options.maxIdlePerServer, 8);
        QVERIFY2(hasNote(r, QStringLiteral("nginx.conf:10: keepalive 32 is nginx's idle connections per worker for the whole upstream; "
                                           "Fulcrum counts them per server and worker: max_idle_per_server 8 (32 over 4 servers)")),
                 qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, QStringLiteral("nginx.conf:5: zone not needed")));
        QVERIFY(hasNote(r, QStringLiteral("servers use different max_fails/fail_timeout")));
        QCOMPARE(r.config.listeners.size(), size_t(1));
        QCOMPARE(r.config.listeners[0].port, quint16(8080));
        QCOMPARE(r.config.listeners[0].pool, QStringLiteral("shop"));
        // What import produces is a config fulcrumd accepts.
        const ConfigResult check = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("imported.json"));
        QVERIFY2(check.ok(), qPrintable(check.errorText()));
    }

    void algorithms_data()
    {
        QTest::addColumn<QByteArray>("directive");
        QTest::addColumn<int>("algorithm");
        QTest::addColumn<int>("choices");
        QTest::addColumn<QString>("hashKey");
        QTest::newRow("default") << QByteArray() << int(Algorithm::WeightedRoundRobin) << 1 << QString();
        QTest::newRow("least_conn") << QByteArray("least_conn;") << int(Algorithm::LeastConnections) << 1 << QString();
        QTest::newRow("random") << QByteArray("random;") << int(Algorithm::Random) << 1 << QString();
        QTest::newRow("random two") << QByteArray("random two least_conn;") << int(Algorithm::Random) << 2 << QString();
        QTest::newRow("ip_hash") << QByteArray("ip_hash;") << int(Algorithm::ConsistentHash) << 1 << QStringLiteral("client-ip");
        QTest::newRow("hash cookie") << QByteArray("hash $cookie_cart_id consistent;") << int(Algorithm::ConsistentHash) << 1 << QStringLiteral("cookie:cart_id");
        QTest::newRow("hash header") << QByteArray("hash $http_x_cart consistent;") << int(Algorithm::ConsistentHash) << 1 << QStringLiteral("header:x-cart");
        QTest::newRow("hash request_uri") << QByteArray("hash $request_uri consistent;") << int(Algorithm::ConsistentHash) << 1 << QStringLiteral("uri");
        QTest::newRow("hash uri") << QByteArray("hash $uri consistent;") << int(Algorithm::ConsistentHash) << 1 << QStringLiteral("path");
        QTest::newRow("hash scheme request_uri") << QByteArray("hash $scheme${request_uri} consistent;") << int(Algorithm::ConsistentHash) << 1 << QStringLiteral("uri");
        QTest::newRow("hash other") << QByteArray("hash $scheme$host;") << int(Algorithm::ConsistentHash) << 1 << QStringLiteral("client-ip");
    }

    void algorithms()
    {
        QFETCH(QByteArray, directive);
        QFETCH(int, algorithm);
        QFETCH(int, choices);
        QFETCH(QString, hashKey);
        const QByteArray conf = "upstream u {\n  " + directive + "\n  server 127.0.0.1:9001;\n}\n";
        // What is imported is what the real nginx accepts.
        const QString refused = whatNginxRefuses("http {\n" + conf + "}\n");
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        const NginxImportResult r = importNginx(conf, QStringLiteral("n.conf"));
        QVERIFY(r.ok());
        const PoolOptions &o = r.config.pools[0].options;
        QCOMPARE(int(o.algorithm), algorithm);
        QCOMPARE(o.choices, choices);
        if (!hashKey.isEmpty()) {
            // As the written config says it, and as fulcrumd reads it back.
            const QJsonObject written = configToJson(r.config);
            QCOMPARE(written.value(QStringLiteral("pools")).toArray().at(0).toObject().value(QStringLiteral("hash_key")).toString(), hashKey);
            const ConfigResult back = parseConfig(QJsonDocument(written).toJson(), QStringLiteral("out.json"));
            QVERIFY2(back.ok(), qPrintable(back.errorText()));
            QCOMPARE(back.config->pools[0].options.hashKey, o.hashKey);
        }
    }

    void saysWhatItCouldNotCarryOver()
    {
        const QByteArray conf = "upstream u {\n"
                                "  hash $scheme$host;\n"
                                "  server unix:/tmp/app.sock;\n"
                                "  server 127.0.0.1:9001 resolve route=a;\n"
                                "  server 127.0.0.1 weight=99999;\n"
                                "  sticky cookie srv_id;\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, QStringLiteral("n.conf"));
        QVERIFY(r.ok());
        QCOMPARE(r.config.pools[0].servers.size(), size_t(2));
        QCOMPARE(r.config.pools[0].servers[1].port, quint16(80)); // nginx's default port
        QVERIFY(hasNote(r, QStringLiteral("n.conf:2: hash key \"$scheme$host\" not carried over")));
        // A URI key after other variables: the URI alone, and said so.
        const NginxImportResult cache = importNginx("upstream img {\n  hash $scheme$host$uri consistent;\n  server 127.0.0.1:9001;\n}\n", QStringLiteral("c.conf"));
        QCOMPARE(cache.config.pools[0].options.hashKey.kind, HashKeySource::Path);
        QVERIFY(hasNote(cache, QStringLiteral("c.conf:2: hash $scheme$host$uri: hash_key \"path\", the path as the client sent it")));
        QVERIFY(hasNote(cache, QStringLiteral("c.conf:2: hash $scheme$host$uri: only $uri is the key (hash_key \"path\"); the rest of it is left out")));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:3: server unix:/tmp/app.sock not carried over")));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:4: server 127.0.0.1:9001 resolve: no resolver directive found to carry over")));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:5: server 127.0.0.1: weight=99999 is not 1..10000")));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:6: directive \"sticky\" not carried over")));
        QVERIFY(hasNote(r, QStringLiteral("no server block proxies to upstream \"u\"")));
    }

    void carriesTlsListenersOver()
    {
        // Two server blocks on one TLS address (certificates by server_name in nginx, by SNI
        // in Fulcrum), settings inherited from http, relative paths from the config's folder.
        const QByteArray conf = "http {\n"
                                "  ssl_protocols TLSv1.1 TLSv1.2 TLSv1.3;\n"
                                "  ssl_ciphers HIGH:!aNULL;\n"
                                "  ssl_session_tickets off;\n"
                                "  upstream shop { server 10.0.0.1:8080; }\n"
                                "  server { listen 443 ssl; server_name shop.example;\n"
                                "    ssl_certificate certs/shop.pem; ssl_certificate_key /etc/nginx/private/shop.key;\n"
                                "    ssl_stapling_file /var/cache/shop.ocsp;\n"
                                "    location / { proxy_pass http://shop; } }\n"
                                "  server { listen 443 ssl; server_name api.example;\n"
                                "    ssl_certificate /etc/nginx/api.pem; ssl_certificate_key /etc/nginx/api.key;\n"
                                "    location / { proxy_pass http://shop; } }\n"
                                "  server { listen 8443 ssl; location / { proxy_pass http://shop; } }\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, QStringLiteral("/etc/nginx/sites/shop.conf"));
        QVERIFY(r.ok());
        QCOMPARE(r.config.listeners.size(), size_t(2));
        const ListenerConfig &https = r.config.listeners[0];
        QCOMPARE(https.port, quint16(443));
        QCOMPARE(https.tls.certificates.size(), size_t(2));
        QCOMPARE(https.tls.certificates[0].certFile, QStringLiteral("/etc/nginx/sites/certs/shop.pem"));
        QCOMPARE(https.tls.certificates[0].keyFile, QStringLiteral("/etc/nginx/private/shop.key"));
        QCOMPARE(https.tls.certificates[0].ocspFile, QStringLiteral("/var/cache/shop.ocsp"));
        QCOMPARE(https.tls.certificates[1].certFile, QStringLiteral("/etc/nginx/api.pem"));
        QVERIFY(!https.tls.sessionTickets);
        // nginx spoke HTTP/1.1 there (no http2): kept, and said; with http2 it is offered.
        QVERIFY(!https.tls.http2.enabled);
        QVERIFY(hasNote(r, QStringLiteral("shop.conf:6: listen 443 ssl: nginx spoke HTTP/1.1 only here (no http2), so the listener keeps to it (\"http2\": false)")));
        for (const QByteArray &h2 : {QByteArray("listen 443 ssl http2;"), QByteArray("listen 443 ssl; http2 on;")}) {
            const NginxImportResult withH2 = importNginx("upstream shop { server 10.0.0.1:8080; }\nserver { " + h2 + " ssl_certificate a.pem; ssl_certificate_key a.key;\n"
                                                         "location / { proxy_pass http://shop; } }\n", QStringLiteral("h2.conf"));
            QVERIFY2(withH2.ok() && withH2.config.listeners.size() == 1, qPrintable(withH2.errors.join(u'\n')));
            QVERIFY2(withH2.config.listeners[0].tls.http2.enabled, h2.constData());
            QVERIFY(!hasNote(withH2, QStringLiteral("HTTP/1.1 only")));
        }
        QVERIFY(hasNote(r, QStringLiteral("shop.conf:2: ssl_protocols TLSv1.1 TLSv1.2 TLSv1.3: Fulcrum offers TLS 1.2 and 1.3 only")));
        QVERIFY(hasNote(r, QStringLiteral("shop.conf:3: ssl_ciphers HIGH:!aNULL not carried over")));
        // No certificate anywhere: plain, and said so.
        QVERIFY(!r.config.listeners[1].tls.enabled());
        QVERIFY(hasNote(r, QStringLiteral("shop.conf:13: listen 8443 ssl: no ssl_certificate and ssl_certificate_key")));
        // Written out, the TLS settings are in the config fulcrumd reads.
        const QJsonObject json = configToJson(r.config);
        const QJsonObject tls = json.value(QStringLiteral("listeners")).toArray().at(0).toObject().value(QStringLiteral("tls")).toObject();
        QCOMPARE(tls.value(QStringLiteral("certificates")).toArray().size(), 2);
        QCOMPARE(tls.value(QStringLiteral("session_tickets")).toBool(true), false);
    }

    void followsIncludesWhereTheyStand()
    {
        // Debian's layout: nginx.conf includes conf.d/*.conf inside http; the upstreams live
        // there. nginx reads a glob's files in sorted order, relative to its prefix.
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("conf.d")));
        const auto write = [&](const QString &name, const QByteArray &text) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(text);
        };
        write(QStringLiteral("conf.d/b-shop.conf"), "upstream shop {\n    server 127.0.0.1:9002;\n    keepalive 8;\n}\n");
        write(QStringLiteral("conf.d/a-api.conf"), "upstream api { server 127.0.0.1:9001; }\n");
        write(QStringLiteral("conf.d/notes.txt"), "upstream ignored { server 127.0.0.1:9009; }\n");
        const QByteArray conf = "http {\n"
                                "    include conf.d/*.conf;\n"
                                "    include mime.types;\n"
                                "    server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; } }\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, dir.filePath(QStringLiteral("nginx.conf")));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.pools.size(), size_t(2));
        QCOMPARE(r.config.pools[0].name, QStringLiteral("api"));    // a-api.conf before b-shop.conf
        QCOMPARE(r.config.pools[1].name, QStringLiteral("shop"));
        QCOMPARE(r.config.listeners.size(), size_t(1));
        QCOMPARE(r.config.listeners[0].pool, QStringLiteral("shop"));
        // Notes name the included file and its line, not the file that includes it.
        QVERIFY2(hasNote(r, dir.filePath(QStringLiteral("conf.d/b-shop.conf")) + QStringLiteral(":3: keepalive 8 is nginx's")), qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, dir.filePath(QStringLiteral("conf.d/a-api.conf")) + QStringLiteral(":1: no server block proxies to upstream \"api\"")));
        // What an include cannot bring in here is said, with where nginx would have read it.
        QVERIFY2(hasNote(r, QStringLiteral("nginx.conf:3: include mime.types: no file %1 here, so nothing in it is imported").arg(dir.filePath(QStringLiteral("mime.types")))),
                 qPrintable(r.notes.join(u'\n')));

        // A syntax error in an included file is an error at its own file and line.
        write(QStringLiteral("conf.d/c-broken.conf"), "upstream broken {\n    server 127.0.0.1:9003;\n");
        const NginxImportResult broken = importNginx(conf, dir.filePath(QStringLiteral("nginx.conf")));
        QVERIFY(!broken.ok());
        QVERIFY2(broken.errors.first().startsWith(dir.filePath(QStringLiteral("conf.d/c-broken.conf")) + u':'), qPrintable(broken.errors.first()));
        QVERIFY(broken.errors.first().contains(QStringLiteral("not closed")));

        // Files that include each other: an error, not a hang.
        write(QStringLiteral("conf.d/c-broken.conf"), "include conf.d/c-broken.conf;\n");
        const NginxImportResult loop = importNginx(conf, dir.filePath(QStringLiteral("nginx.conf")));
        QVERIFY(!loop.ok());
        QVERIFY2(loop.errors.first().contains(QStringLiteral("include each other more than 16 deep")), qPrintable(loop.errors.first()));
    }

    // The real nginx prints the files it reads (nginx -T, "# configuration file PATH:"), in its
    // order: the import reads the same files in the same order.
    void includesAreReadInNginxsOrder()
    {
        const QString nginx = QStringLiteral("/usr/sbin/nginx");
        if (!QFile::exists(nginx))
            QSKIP("nginx is not installed (scripts/packages.txt lists nginx-light)");
        QTemporaryDir dir;
        const QStringList files{QStringLiteral("conf.d/a.conf"), QStringLiteral("conf.d/b-x.conf"), QStringLiteral("conf.d/b.conf"),
                                QStringLiteral("sites/sub/c.conf")};
        for (int i = files.size() - 1; i >= 0; --i) {
            QVERIFY(QDir().mkpath(QFileInfo(dir.filePath(files[i])).absolutePath()));
            QFile f(dir.filePath(files[i]));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QStringLiteral("upstream u%1 { server 127.0.0.1:%2; }\n").arg(i).arg(9100 + i).toUtf8());
        }
        QFile conf(dir.filePath(QStringLiteral("nginx.conf")));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral("error_log stderr;\npid %1;\nevents {}\nhttp {\n    access_log off;\n    include conf.d/*.conf;\n    include sites/*/*.conf;\n}\n")
                       .arg(dir.filePath(QStringLiteral("nginx.pid"))).toUtf8());
        conf.close();
        QProcess run;
        run.setProcessChannelMode(QProcess::MergedChannels);
        run.start(nginx, {QStringLiteral("-T"), QStringLiteral("-p"), dir.path() + u'/', QStringLiteral("-c"), conf.fileName()});
        QVERIFY(run.waitForFinished(30'000));
        const QString said = QString::fromUtf8(run.readAll());
        QVERIFY2(run.exitCode() == 0, qPrintable(said));
        QStringList nginxOrder;
        const QRegularExpression listed(QStringLiteral("^# configuration file (.+):$"), QRegularExpression::MultilineOption);
        for (auto it = listed.globalMatch(said); it.hasNext();)
            nginxOrder << it.next().captured(1);
        QStringList expected{conf.fileName()};
        for (const QString &file : files)
            expected << dir.filePath(file);
        QCOMPARE(nginxOrder, expected);

        QVERIFY(conf.open(QIODevice::ReadOnly));
        const NginxImportResult r = importNginx(conf.readAll(), conf.fileName());
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QStringList pools;
        for (const PoolConfig &p : r.config.pools)
            pools << p.name;
        QCOMPARE(pools, (QStringList{QStringLiteral("u0"), QStringLiteral("u1"), QStringLiteral("u2"), QStringLiteral("u3")}));
    }

    void saysWhichLocationsALoneListenerCannotSplit()
    {
        // nginx sends /api/ to another upstream: a route of the listener (until 2026-12-07 a
        // note, and every path went to one pool); the listener's own pool is the one of
        // `location /`, wherever it stands.
        const QByteArray conf = "http {\n"
                                "  upstream api { server 127.0.0.1:9001; }\n"
                                "  upstream shop { server 127.0.0.1:9002; }\n"
                                "  server { listen 127.0.0.1:8080;\n"
                                "    location /api/ { proxy_pass http://api/; }\n"
                                "    location / { proxy_pass http://shop; }\n"
                                "    location /legacy/ { proxy_pass http://10.0.0.9:8000; }\n"
                                "  }\n"
                                "  server { listen 127.0.0.1:8081; location /v2/ { proxy_pass http://api; } }\n"
                                "  server { listen 127.0.0.1:8082; location / { proxy_pass http://$backend; } }\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, QStringLiteral("n.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.listeners.size(), size_t(2));
        QCOMPARE(r.config.listeners[0].pool, QStringLiteral("shop"));
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:5: location /api/ proxy_pass http://api/: route /api/ to pool \"api\"")), qPrintable(r.notes.join(u'\n')));
        QVERIFY2(hasNote(r, QStringLiteral("\"prefix_rewrite\": \"/\" (the servers get / in place of /api/, as from nginx)")), qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:7: location /legacy/ proxy_pass http://10.0.0.9:8000: route /legacy/ to pool \"10-0-0-9-8000\"")));
        const std::vector<ListenerRoute> routes{{"/api/", QStringLiteral("api"), {}, "/"}, {"/legacy/", QStringLiteral("10-0-0-9-8000")}};
        QVERIFY(r.config.listeners[0].routes == routes);
        // A listener whose only location is not /: every path goes to the pool, said so.
        QCOMPARE(r.config.listeners[1].pool, QStringLiteral("api"));
        QVERIFY(r.config.listeners[1].routes.empty());
        QVERIFY(hasNote(r, QStringLiteral("n.conf:9: location /v2/: the listener sends every path no route takes to pool \"api\", not only /v2/")));
        // A server block that names no upstream: no listener, and said so.
        QVERIFY(hasNote(r, QStringLiteral("n.conf:10: proxy_pass http://$backend not carried over: its address is made of variables, which nginx works out per request")));
    }

    void nameBasedVirtualHostsAndStreamUpstreams()
    {
        // Two shops on port 80 told apart by server_name, an IPv6 twin of a listen, a Unix
        // socket, and a TCP upstream for the database: the import used to fail on the first
        // ("listen 0.0.0.0:80 is used by two listeners") and made an HTTP pool of the last.
        const QByteArray conf = "http {\n"
                                "    upstream a { server 127.0.0.1:9001; }\n"
                                "    upstream b { server 127.0.0.1:9002; }\n"
                                "    server { listen 80; listen [::]:80; server_name a.example; location / { proxy_pass http://a; } }\n"
                                "    server { listen 80; server_name b.example www.b.example; location / { proxy_pass http://b; } }\n"
                                "    server { listen unix:/run/shop.sock; location / { proxy_pass http://a; } }\n"
                                "}\n"
                                "stream {\n"
                                "    upstream db { server 10.0.0.5:5432; }\n"
                                "    server { listen 5432; proxy_pass db; }\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, QStringLiteral("n.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.pools.size(), size_t(2));
        QVERIFY(!r.config.pool(QStringLiteral("db")));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:9: upstream \"db\" in stream {} not carried over: it balances TCP/UDP connections")));
        QCOMPARE(r.config.listeners.size(), size_t(2));
        QCOMPARE(r.config.listeners[0].pool, QStringLiteral("a"));
        QCOMPARE(r.config.listeners[1].host, QStringLiteral("::"));
        QVERIFY(r.config.listeners[0].name != r.config.listeners[1].name);
        // b.example's block: routes by host on the listener of 0.0.0.0:80 it shares.
        const std::vector<ListenerRoute> byHost{{"", QStringLiteral("b"), "b.example"}, {"", QStringLiteral("b"), "www.b.example"}};
        QVERIFY2(r.config.listeners[0].routes == byHost, QJsonDocument(configToJson(r.config)).toJson().constData());
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:5: listen 80 (server_name b.example www.b.example): requests for b.example, www.b.example go to pool \"b\" "
                                           "(listener \"a-80\"'s routes by host); any other name goes to the listener's pool \"a\", nginx's default server there")),
                 qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:6: listen unix:/run/shop.sock not carried over: Fulcrum listens on TCP addresses, not Unix sockets")));
        const NginxImportResult streamOnly = importNginx("stream {\n upstream db { server 10.0.0.5:5432; }\n}\n", QStringLiteral("s.conf"));
        QVERIFY(!streamOnly.ok());
        QVERIFY2(streamOnly.errors.first().contains(QStringLiteral("s.conf: its upstreams are all in stream {} (TCP/UDP balancing")), qPrintable(streamOnly.errors.first()));
        // What is written is a config fulcrumd accepts.
        const ConfigResult check = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(check.ok(), qPrintable(check.errorText()));
    }

    void anAddressListedTwice()
    {
        // nginx weighs an address by listing it twice; the import used to fail on the second
        // ("server name appears twice in pool").
        const QByteArray conf = "upstream u {\n"
                                "  server 127.0.0.1:9001;\n"
                                "  server 127.0.0.1:9001 weight=2;\n"
                                "  server 127.0.0.1:9002;\n"
                                "  server 127.0.0.1:9002 backup;\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, QStringLiteral("n.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        const PoolConfig &p = r.config.pools[0];
        QCOMPARE(p.servers.size(), size_t(2));
        QCOMPARE(p.servers[0].weight, 3);
        QVERIFY(!p.servers[1].backup);
        QVERIFY(hasNote(r, QStringLiteral("n.conf:3: server 127.0.0.1:9001 is listed again: merged with the first entry into one server of weight 1 + 2 = 3")));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:5: server 127.0.0.1:9002 is listed again with other parameters: not carried over")));
        const ConfigResult check = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(check.ok(), qPrintable(check.errorText()));
    }

    // Most sites proxy straight to an address, with no upstream block: that address is a pool
    // of one server (https:// on 443 with TLS to it), the same address in another location is
    // the same pool, and an address made of variables is said to be nginx's alone.
    // `server NAME resolve` (NGINX Plus, nginx 1.27.3+) with the http block's `resolver`: the
    // nameservers Fulcrum can ask become proxy.resolver, the others are noted; a resolver
    // without any `resolve` is not carried (nginx used it for variables, not for servers).
    void accessLogIsSaidNotCarried()
    {
        // nginx logs every request by default: an import that ends that says so.
        const QByteArray upstream = "  upstream shop { server 127.0.0.1:9001; }\n";
        const NginxImportResult byDefault = importNginx("http {\n" + upstream + "  server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; } }\n}\n",
                                                        QStringLiteral("shop.conf"));
        QVERIFY2(byDefault.ok(), qPrintable(byDefault.errors.join(u'\n')));
        QVERIFY(!byDefault.config.proxy.accessLog.enabled());
        QVERIFY(hasNote(byDefault, QStringLiteral("nginx logged every request (its default: access_log logs/access.log combined); Fulcrum writes one only where "
                                                  "\"proxy\": {\"access_log\": {\"path\": \"/var/log/fulcrum/access.log\"}} names a file of its own")));
        // Its own file, in the http block or in the location that became the listener's pool.
        const NginxImportResult own = importNginx("http {\n  access_log /var/log/nginx/shop.log main buffer=32k;\n" + upstream
                                                      + "  server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; } }\n}\n",
                                                  QStringLiteral("shop.conf"));
        QVERIFY(!own.config.proxy.accessLog.enabled());
        QVERIFY(hasNote(own, QStringLiteral("shop.conf:2: access_log /var/log/nginx/shop.log main buffer=32k not carried over: Fulcrum writes one only where")));
        const NginxImportResult inLocation = importNginx("http {\n  access_log /var/log/nginx/all.log;\n" + upstream
                                                             + "  server { listen 127.0.0.1:8080;\n    location / { access_log /var/log/nginx/shop.log; proxy_pass http://shop; } }\n}\n",
                                                         QStringLiteral("shop.conf"));
        QVERIFY(hasNote(inLocation, QStringLiteral("shop.conf:5: access_log /var/log/nginx/shop.log not carried over")));
        // Off in nginx: nothing to say.
        const NginxImportResult off = importNginx("http {\n  access_log off;\n" + upstream
                                                      + "  server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; } }\n}\n",
                                                  QStringLiteral("shop.conf"));
        QVERIFY(!hasNote(off, QStringLiteral("access_log")));
        QVERIFY(!hasNote(off, QStringLiteral("nginx logged every request")));
    }

    void resolveAndResolverCarryOver()
    {
        const QByteArray conf = "http {\n"
                                "  resolver 10.0.0.2 [fd00::53]:53 10.0.0.9:5353 dns.internal valid=30s ipv6=off;\n"
                                "  upstream shop {\n"
                                "    zone shop 64k;\n"
                                "    server app.internal:8080 resolve;\n"
                                "    server cache.internal:8080;\n"
                                "    server 10.1.1.1:8080;\n"
                                "  }\n"
                                "  server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; } }\n"
                                "}\n";
        if (QFile::exists(QStringLiteral("/usr/sbin/nginx"))) {
            // Debian 12's nginx (1.22) predates `resolve` on upstream servers: it refuses it.
            QByteArray resolvable = conf;   // nginx resolves a resolver's name itself first
            resolvable.replace(" dns.internal", "");
            const QString refused = whatNginxRefuses(resolvable);
            QVERIFY2(refused.contains(QStringLiteral("invalid parameter \"resolve\"")), qPrintable(refused));
        }
        const NginxImportResult r = importNginx(conf, QStringLiteral("shop.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        const ResolverConfig &resolver = r.config.proxy.resolver;
        QCOMPARE(resolver.nameservers, (QStringList{QStringLiteral("10.0.0.2"), QStringLiteral("fd00::53")}));
        QCOMPARE(resolver.validMs, qint64(30'000));
        QVERIFY(hasNote(r, QStringLiteral("shop.conf:2: resolver: proxy.resolver asks 10.0.0.2, fd00::53 for the servers' names every 30s (valid=)")));
        QVERIFY(hasNote(r, QStringLiteral("shop.conf:2: resolver 10.0.0.9:5353 not carried over: Fulcrum asks nameservers on port 53 only")));
        QVERIFY(hasNote(r, QStringLiteral("shop.conf:2: resolver dns.internal not carried over: Fulcrum asks nameservers by IP address")));
        QVERIFY(hasNote(r, QStringLiteral("shop.conf:2: resolver ipv6=off not carried over")));
        QVERIFY(hasNote(r, QStringLiteral("server cache.internal:8080 has no resolve in nginx (resolved once there); Fulcrum follows it in DNS too")));
        QVERIFY(!hasNote(r, QStringLiteral("parameter \"resolve\" not carried over")));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QVERIFY(back.config->proxy.resolver == resolver);

        // resolve with no resolver anywhere: nothing to follow with, and the note says so.
        QByteArray lone = conf;
        lone.replace("  resolver 10.0.0.2 [fd00::53]:53 10.0.0.9:5353 dns.internal valid=30s ipv6=off;\n", "");
        const NginxImportResult without = importNginx(lone, QStringLiteral("shop.conf"));
        QVERIFY2(without.ok(), qPrintable(without.errors.join(u'\n')));
        QVERIFY(!without.config.proxy.resolver.enabled());
        QVERIFY(hasNote(without, QStringLiteral("shop.conf:4: server app.internal:8080 resolve: no resolver directive found to carry over; the name is resolved once")));

        // A resolver no server uses: not carried.
        QByteArray unused = conf;
        unused.replace(" resolve;", ";");
        const NginxImportResult plain = importNginx(unused, QStringLiteral("shop.conf"));
        QVERIFY2(plain.ok(), qPrintable(plain.errors.join(u'\n')));
        QVERIFY(!plain.config.proxy.resolver.enabled());
    }

    void proxyPassStraightToAnAddress()
    {
        const QByteArray conf = "server {\n"
                                "  listen 127.0.0.1:8080;\n"
                                "  location /api/ { proxy_pass http://127.0.0.1:9090/v1/; }\n"
                                "  location / { proxy_pass http://127.0.0.1:9090; }\n"
                                "  location /img/ { proxy_pass http://$img_backend; }\n"
                                "}\n"
                                "server {\n"
                                "  listen 127.0.0.1:8443;\n"
                                "  location / { proxy_pass https://[::1]; }\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, QStringLiteral("site.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.pools.size(), size_t(2));
        QCOMPARE(r.config.pools[0].name, QStringLiteral("127-0-0-1-9090"));
        QCOMPARE(r.config.pools[0].servers.size(), size_t(1));
        QCOMPARE(r.config.pools[0].servers[0].host, QStringLiteral("127.0.0.1"));
        QCOMPARE(r.config.pools[0].servers[0].port, quint16(9090));
        QVERIFY(!r.config.pools[0].servers[0].tls.enabled);
        QCOMPARE(r.config.pools[1].name, QStringLiteral("--1"));
        QCOMPARE(r.config.pools[1].servers[0].host, QStringLiteral("::1"));
        QCOMPARE(r.config.pools[1].servers[0].port, quint16(443));
        QVERIFY(r.config.pools[1].servers[0].tls.enabled);
        QVERIFY(!r.config.pools[1].servers[0].tls.verify);   // as nginx: proxy_ssl_verify off
        QCOMPARE(r.config.listeners.size(), size_t(2));
        QCOMPARE(r.config.listeners[0].pool, QStringLiteral("127-0-0-1-9090"));
        QCOMPARE(r.config.listeners[1].pool, QStringLiteral("--1"));
        QVERIFY(hasNote(r, QStringLiteral("site.conf:4: proxy_pass http://127.0.0.1:9090: no upstream of that name, so pool \"127-0-0-1-9090\" with that one server")));
        // The same server, the same pool; nginx sent /v1/… in place of /api/…: a route that does too.
        const std::vector<ListenerRoute> rewritten{{"/api/", QStringLiteral("127-0-0-1-9090"), {}, "/v1/"}};
        QVERIFY2(r.config.listeners[0].routes == rewritten, QJsonDocument(configToJson(r.config)).toJson().constData());
        QVERIFY2(hasNote(r, QStringLiteral("site.conf:3: location /api/ proxy_pass http://127.0.0.1:9090/v1/: route /api/ to pool \"127-0-0-1-9090\" with "
                                           "\"prefix_rewrite\": \"/v1/\"")),
                 qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, QStringLiteral("site.conf:5: location /img/ proxy_pass http://$img_backend not carried over: its address is made of variables, so "
                                          "these requests go to \"127-0-0-1-9090\"")));
        QVERIFY(hasNote(r, QStringLiteral("site.conf:9: proxy_pass https://[::1]: TLS to the servers of pool \"--1\" without checking their certificates")));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));

        // Nothing to proxy to at all: the error says what was looked for.
        const NginxImportResult none = importNginx("server { listen 80; location / { root /srv/www; } }\n", QStringLiteral("static.conf"));
        QVERIFY(!none.ok());
        QVERIFY2(none.errors.join(u'\n').contains(QStringLiteral("no \"upstream NAME { server ...; }\" block and no proxy_pass to an address found")),
                 qPrintable(none.errors.join(u'\n')));
    }

    // A report that takes 4 minutes and a 150 MB upload went through nginx; an import that kept
    // Fulcrum's defaults (30 s to answer, no body limit) would 504 the one and let through what
    // nginx refused. The largest value of any imported location, else nginx's default.
    void carriesNginxsTimeoutsAndBodyLimit()
    {
        const QByteArray conf = "http {\n"
                                "  client_max_body_size 20m;\n"
                                "  upstream shop { server 127.0.0.1:9001; }\n"
                                "  server {\n"
                                "    listen 127.0.0.1:8080;\n"
                                "    location / { proxy_pass http://shop; }\n"
                                "    location /reports/ { proxy_pass http://shop; proxy_read_timeout 4m30s; }\n"
                                "    location /upload/ { proxy_pass http://shop; client_max_body_size 200m; proxy_connect_timeout 5s; }\n"
                                "  }\n"
                                "}\n";
        const QString refused = whatNginxRefuses(conf);   // the real nginx takes it as written
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        const NginxImportResult r = importNginx(conf, QStringLiteral("n.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.proxy.responseTimeoutMs, qint64(270'000));
        QCOMPARE(r.config.proxy.connectTimeoutMs, qint64(5'000));
        QCOMPARE(r.config.proxy.maxBodyBytes, qint64(200) * 1024 * 1024);
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:7: proxy_read_timeout 4m30s: proxy.response_timeout (how long a server may take to start answering) = 4m30s; "
                                           "the largest of the imported locations' values, for every pool without its own")),
                 qPrintable(r.notes.join(u'\n')));
        QVERIFY(hasNote(r, QStringLiteral("n.conf:8: client_max_body_size 200m: proxy.max_body_bytes (a larger request body gets 413) = 209715200 bytes")));
        // Written and read back as fulcrumd reads it.
        const QJsonObject proxy = configToJson(r.config).value(QStringLiteral("proxy")).toObject();
        QCOMPARE(proxy.value(QStringLiteral("response_timeout")).toInteger(), 270'000);   // "4m30s" is not one of the config's units
        QCOMPARE(proxy.value(QStringLiteral("max_body_bytes")).toInteger(), qint64(200) * 1024 * 1024);
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->proxy, r.config.proxy);

        // Nothing set: nginx's defaults, 60 s to answer and 1 MiB of body; its 60 s connect
        // timeout is not carried (Fulcrum's 3 s moves to another server sooner).
        const NginxImportResult plain = importNginx("upstream u { server 127.0.0.1:9001; }\nserver { listen 127.0.0.1:8080; location / { proxy_pass http://u; } }\n",
                                                    QStringLiteral("p.conf"));
        QVERIFY(plain.ok());
        QCOMPARE(plain.config.proxy.responseTimeoutMs, qint64(60'000));
        QCOMPARE(plain.config.proxy.maxBodyBytes, qint64(1024 * 1024));
        QCOMPARE(plain.config.proxy.connectTimeoutMs, ProxyConfig().connectTimeoutMs);
        QVERIFY(hasNote(plain, QStringLiteral("client_max_body_size (nginx's default where it is not set): proxy.max_body_bytes (a larger request body gets 413) = 1048576 bytes")));

        // Beyond Fulcrum's range (an hour to answer): its limit, said; 0 is no body limit.
        const NginxImportResult big = importNginx("upstream u { server 127.0.0.1:9001; }\nserver { listen 127.0.0.1:8080; client_max_body_size 0; "
                                                  "location / { proxy_pass http://u; proxy_read_timeout 2h; } }\n",
                                                  QStringLiteral("b.conf"));
        QVERIFY(big.ok());
        QCOMPARE(big.config.proxy.responseTimeoutMs, qint64(3'600'000));
        QCOMPARE(big.config.proxy.maxBodyBytes, qint64(0));
        QVERIFY(hasNote(big, QStringLiteral("= 1h (Fulcrum's limit)")));
    }

    // Checkout gives up after 10 s in nginx, reports wait 5 minutes: the largest is the proxy's,
    // and a pool whose locations waited less keeps its own response_timeout, so checkout's
    // clients do not wait 5 minutes for a hung server.
    void carriesEachPoolsReadTimeout()
    {
        const QByteArray conf = "http {\n"
                                "  upstream checkout { server 127.0.0.1:9001; }\n"
                                "  upstream reports { server 127.0.0.1:9002; }\n"
                                "  upstream search { server 127.0.0.1:9003; }\n"
                                "  server { listen 127.0.0.1:8080; location / { proxy_pass http://checkout; proxy_read_timeout 10s; } }\n"
                                "  server { listen 127.0.0.1:8081; proxy_read_timeout 5m; location / { proxy_pass http://reports; } }\n"
                                "  server { listen 127.0.0.1:8082; location / { proxy_pass http://search; } }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(r.config.proxy.responseTimeoutMs, qint64(300'000));
        QCOMPARE(r.config.pool(QStringLiteral("checkout"))->options.responseTimeoutMs, qint64(10'000));
        QCOMPARE(r.config.pool(QStringLiteral("reports"))->options.responseTimeoutMs, qint64(0));   // the proxy's
        QCOMPARE(r.config.pool(QStringLiteral("search"))->options.responseTimeoutMs, qint64(60'000)); // nginx's default
        const QString notes = r.notes.join(u'\n');
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:5: proxy_read_timeout 10s: pools[\"checkout\"].response_timeout = 10s, the largest of the locations that reach "
                                           "pool \"checkout\" (proxy.response_timeout, 5m, is the largest of all)")),
                 qPrintable(notes));
        QVERIFY2(hasNote(r, QStringLiteral("proxy_read_timeout (nginx's default where it is not set): pools[\"search\"].response_timeout = 1m")), qPrintable(notes));
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:6: proxy_read_timeout 5m: proxy.response_timeout (how long a server may take to start answering) = 5m; "
                                           "the largest of the imported locations' values, for every pool without its own")),
                 qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->pool(QStringLiteral("checkout"))->options.responseTimeoutMs, qint64(10'000));
    }

    void carriesEachPoolsConnectTimeoutAndBodyLimit()
    {
        // Checkout's servers are next door: 500 ms and the next server is tried; it keeps nginx's
        // 1 MiB body limit. The remote pool waits 10 s to connect, which becomes the proxy's, and
        // takes any body, which becomes the proxy's (no limit). Uploads set no connect timeout
        // (the proxy's) and keep their 200 MiB.
        const QByteArray conf = "http {\n"
                                "  upstream checkout { server 127.0.0.1:9001; }\n"
                                "  upstream remote { server 127.0.0.1:9002; }\n"
                                "  upstream uploads { server 127.0.0.1:9003; }\n"
                                "  server { listen 127.0.0.1:8080; location / { proxy_pass http://checkout; proxy_connect_timeout 500ms; } }\n"
                                "  server { listen 127.0.0.1:8081; proxy_connect_timeout 10s; location / { proxy_pass http://remote; client_max_body_size 0; } }\n"
                                "  server { listen 127.0.0.1:8082; client_max_body_size 200m; location / { proxy_pass http://uploads; } }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(r.config.proxy.connectTimeoutMs, qint64(10'000));
        QCOMPARE(r.config.pool(QStringLiteral("checkout"))->options.connectTimeoutMs, qint64(500));
        QCOMPARE(r.config.pool(QStringLiteral("remote"))->options.connectTimeoutMs, qint64(0));
        QCOMPARE(r.config.pool(QStringLiteral("uploads"))->options.connectTimeoutMs, qint64(0));
        QCOMPARE(r.config.proxy.maxBodyBytes, qint64(0));
        QCOMPARE(r.config.pool(QStringLiteral("checkout"))->options.maxBodyBytes, qint64(1024 * 1024));
        QCOMPARE(r.config.pool(QStringLiteral("remote"))->options.maxBodyBytes, qint64(-1));   // the proxy's
        QCOMPARE(r.config.pool(QStringLiteral("uploads"))->options.maxBodyBytes, qint64(200 * 1024 * 1024));
        const QString notes = r.notes.join(u'\n');
        for (const QString &note :
             {QStringLiteral("n.conf:5: proxy_connect_timeout 500ms: pools[\"checkout\"].connect_timeout = 500ms, the largest of the locations that "
                             "reach pool \"checkout\" (proxy.connect_timeout, 10s, is the largest of all)"),
              QStringLiteral("n.conf:6: proxy_connect_timeout 10s: proxy.connect_timeout = 10s; the largest of the imported locations' values, "
                             "for every pool without its own"),
              QStringLiteral("client_max_body_size (nginx's default where it is not set): pools[\"checkout\"].max_body_bytes = 1048576 bytes, "
                             "the largest of the locations that reach pool \"checkout\" (proxy.max_body_bytes, no limit, is the largest of all)"),
              QStringLiteral("n.conf:7: client_max_body_size 200m: pools[\"uploads\"].max_body_bytes = 209715200 bytes")})
            QVERIFY2(hasNote(r, note), qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->pool(QStringLiteral("checkout"))->options.connectTimeoutMs, qint64(500));
        QCOMPARE(back.config->pool(QStringLiteral("checkout"))->options.maxBodyBytes, qint64(1024 * 1024));
        QCOMPARE(back.config->pool(QStringLiteral("remote"))->options.maxBodyBytes, qint64(-1));
    }

    void carriesEachUpstreamsKeepAlive()
    {
        // The shop's servers close idle connections after 5 s (Node.js): nginx keeps its own 4 s.
        // The legacy upstream keeps nginx's defaults: the proxy's settings apply. The catalog
        // names a connection's age only: nginx's 1000 requests still closed its connections.
        const QByteArray conf = "http {\n"
                                "  upstream shop {\n"
                                "    server 127.0.0.1:9001;\n"
                                "    server 127.0.0.1:9002;\n"
                                "    server 127.0.0.1:9003;\n"
                                "    keepalive 16;\n"
                                "    keepalive_timeout 4s;\n"
                                "    keepalive_requests 500;\n"
                                "  }\n"
                                "  upstream legacy { server 127.0.0.1:9004; }\n"
                                "  upstream catalog { server 127.0.0.1:9005; keepalive 4; keepalive_time 10m; }\n"
                                "  server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }\n"
                                "  server { listen 127.0.0.1:8081; location / { proxy_pass http://legacy; } }\n"
                                "  server { listen 127.0.0.1:8082; location / { proxy_pass http://catalog; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const PoolOptions &shop = r.config.pool(QStringLiteral("shop"))->options;
        QCOMPARE(shop.keepaliveTimeoutMs, qint64(4000));
        QCOMPARE(shop.maxIdlePerServer, 6);   // 16 over 3 servers, rounded up
        QCOMPARE(shop.keepaliveRequests, qint64(500));
        QCOMPARE(shop.keepaliveTimeMs, qint64(3'600'000));   // nginx's default
        const PoolOptions &catalog = r.config.pool(QStringLiteral("catalog"))->options;
        QCOMPARE(catalog.keepaliveRequests, qint64(1000));   // nginx's default
        QCOMPARE(catalog.keepaliveTimeMs, qint64(600'000));
        const PoolOptions &legacy = r.config.pool(QStringLiteral("legacy"))->options;
        QVERIFY(!legacy.ownsMaxIdlePerServer());
        // Clients are kept nginx's 75 s (proxy.idle_timeout), the servers the 60 s they had.
        QCOMPARE(legacy.keepaliveTimeoutMs, qint64(60'000));
        QCOMPARE(catalog.keepaliveTimeoutMs, qint64(60'000));
        QCOMPARE(r.config.proxy.idleTimeoutMs, qint64(75'000));
        QCOMPARE(legacy.keepaliveRequests, qint64(0));   // nginx kept no connection: nothing to limit
        QCOMPARE(legacy.keepaliveTimeMs, qint64(0));
        const QString notes = r.notes.join(u'\n');
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:6: keepalive 16 is nginx's idle connections per worker for the whole upstream; Fulcrum counts them "
                                           "per server and worker: max_idle_per_server 6 (16 over 3 servers)")),
                 qPrintable(notes));
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:6: nginx's defaults carried with keepalive: keepalive_time 1h")), qPrintable(notes));
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:11: nginx's defaults carried with keepalive: keepalive_requests 1000 (")), qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("keepalive_requests not carried")), qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->pool(QStringLiteral("shop"))->options.keepaliveTimeoutMs, qint64(4000));
        QCOMPARE(back.config->pool(QStringLiteral("shop"))->options.maxIdlePerServer, 6);
        QCOMPARE(back.config->pool(QStringLiteral("legacy"))->options.maxIdlePerServer, -1);
        QCOMPARE(back.config->pool(QStringLiteral("shop"))->options.keepaliveRequests, qint64(500));
        QCOMPARE(back.config->pool(QStringLiteral("catalog"))->options.keepaliveTimeMs, qint64(600'000));
    }

    // nginx ended a client connection after keepalive_requests / keepalive_time (1000, 1h by
    // default); the proxy-wide limits are the largest of the listeners' blocks.
    void carriesClientConnectionLimits()
    {
        const QByteArray conf = "http {\n"
                                "  keepalive_requests 500;\n"
                                "  upstream shop { server 127.0.0.1:9001; }\n"
                                "  server { listen 127.0.0.1:8080; keepalive_time 30m; location / { proxy_pass http://shop; } }\n"
                                "  server { listen 127.0.0.1:8081; location / { proxy_pass http://shop; } }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(r.config.listeners.size(), size_t(2));
        QCOMPARE(r.config.proxy.clientKeepaliveRequests, qint64(500));
        QCOMPARE(r.config.proxy.clientKeepaliveTimeMs, qint64(3'600'000));   // 8081 kept nginx's 1h, longer than 8080's 30m
        const QString notes = r.notes.join(u'\n');
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:2: keepalive_requests 500: proxy.client_keepalive_requests = 500 (a client connection's request of that number is its last)")),
                 qPrintable(notes));
        QVERIFY2(hasNote(r, QStringLiteral("keepalive_time (nginx's default where it is not set): proxy.client_keepalive_time = 1h (a client connection's request after "
                                           "that long is its last); the largest of the imported server blocks' values")),
                 qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->proxy, r.config.proxy);
        // Nothing set: nginx's own limits.
        const NginxImportResult plain = importNginx("http { upstream u { server 127.0.0.1:9001; } server { listen 127.0.0.1:8080; location / { proxy_pass http://u; } } }\n",
                                                    QStringLiteral("n.conf"));
        QVERIFY2(plain.ok(), qPrintable(plain.errors.join(u'\n')));
        QCOMPARE(plain.config.proxy.clientKeepaliveRequests, qint64(1000));
        QCOMPARE(plain.config.proxy.clientKeepaliveTimeMs, qint64(3'600'000));
    }

    // keepalive_timeout is how long nginx kept an idle client connection (75 s by default, 0:
    // none); large_client_header_buffers how big a request head it took (4 8k by default).
    void carriesClientIdleTimeoutAndHeaderBuffers()
    {
        const QByteArray conf = "http {\n"
                                "  keepalive_timeout 20s 15s;\n"
                                "  large_client_header_buffers 8 16k;\n"
                                "  upstream shop { server 127.0.0.1:9001; keepalive 8; keepalive_timeout 4s; }\n"
                                "  upstream api { server 127.0.0.1:9002; }\n"
                                "  server { listen 127.0.0.1:8080; keepalive_timeout 2m; location / { proxy_pass http://shop; } }\n"
                                "  server { listen 127.0.0.1:8081; location / { proxy_pass http://api; } }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(r.config.proxy.idleTimeoutMs, qint64(120'000));   // 8080's 2m, the larger
        QCOMPARE(r.config.proxy.maxHeaderBytes, qint64(8 * 16 * 1024));
        QCOMPARE(r.config.proxy.clientKeepaliveRequests, qint64(1000));
        // The upstream's own keep-alive stays; the other keeps the 60 s idle_timeout gave it.
        QCOMPARE(r.config.pool(QStringLiteral("shop"))->options.keepaliveTimeoutMs, qint64(4000));
        QCOMPARE(r.config.pool(QStringLiteral("api"))->options.keepaliveTimeoutMs, qint64(60'000));
        const QString notes = r.notes.join(u'\n');
        for (const QString &note :
             {QStringLiteral("n.conf:6: keepalive_timeout 2m: proxy.idle_timeout = 2m (how long a client connection may wait for its next request); "
                             "the largest of the imported server blocks' values"),
              QStringLiteral("n.conf:2: keepalive_timeout 20s 15s: the second value (nginx's \"Keep-Alive: timeout=\" header) is not sent"),
              QStringLiteral("pools[\"api\"].keepalive_timeout = 60s (nginx's for connections to an upstream's servers"),
              QStringLiteral("n.conf:3: large_client_header_buffers 8 16k: proxy.max_header_bytes = 131072 (a bigger request head gets 431")})
            QVERIFY2(hasNote(r, note), qPrintable(notes));
        const ConfigResult back = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("out.json"));
        QVERIFY2(back.ok(), qPrintable(back.errorText()));
        QCOMPARE(back.config->proxy, r.config.proxy);
        QCOMPARE(back.config->pool(QStringLiteral("api"))->options.keepaliveTimeoutMs, qint64(60'000));

        // Nothing set: nginx's 75 s and 4 × 8k.
        const NginxImportResult plain = importNginx("http { upstream u { server 127.0.0.1:9001; } server { listen 127.0.0.1:8080; location / { proxy_pass http://u; } } }\n",
                                                    QStringLiteral("n.conf"));
        QVERIFY2(plain.ok(), qPrintable(plain.errors.join(u'\n')));
        QCOMPARE(plain.config.proxy.idleTimeoutMs, qint64(75'000));
        QCOMPARE(plain.config.proxy.maxHeaderBytes, qint64(32 * 1024));

        // keepalive_timeout 0 everywhere: nginx kept no client connection, nor does the import.
        const QByteArray none = "http {\n"
                                "  keepalive_timeout 0;\n"
                                "  upstream u { server 127.0.0.1:9001; }\n"
                                "  server { listen 127.0.0.1:8080; location / { proxy_pass http://u; } }\n"
                                "}\n";
        NginxImportResult closing;
        const QString noneProblem = importChecked(none, &closing);
        QVERIFY2(noneProblem.isEmpty(), qPrintable(noneProblem));
        QCOMPARE(closing.config.proxy.clientKeepaliveRequests, qint64(1));
        QCOMPARE(closing.config.proxy.idleTimeoutMs, ProxyConfig().idleTimeoutMs);
        QVERIFY2(hasNote(closing, QStringLiteral("n.conf:2: keepalive_timeout 0: nginx kept no client connection alive; proxy.client_keepalive_requests = 1")),
                 qPrintable(closing.notes.join(u'\n')));

        // One block with 0 beside one kept alive: the proxy-wide value keeps both, said.
        const QByteArray mixed = "http {\n"
                                 "  upstream u { server 127.0.0.1:9001; }\n"
                                 "  server { listen 127.0.0.1:8080; keepalive_timeout 0; location / { proxy_pass http://u; } }\n"
                                 "  server { listen 127.0.0.1:8081; location / { proxy_pass http://u; } }\n"
                                 "}\n";
        NginxImportResult both;
        const QString mixedProblem = importChecked(mixed, &both);
        QVERIFY2(mixedProblem.isEmpty(), qPrintable(mixedProblem));
        QCOMPARE(both.config.proxy.idleTimeoutMs, qint64(75'000));
        QCOMPARE(both.config.proxy.clientKeepaliveRequests, qint64(1000));
        QVERIFY2(hasNote(both, QStringLiteral("n.conf:3: keepalive_timeout 0 not carried over for this block: Fulcrum's idle_timeout is proxy-wide, so its "
                                              "clients are kept alive 1m15s too")),
                 qPrintable(both.notes.join(u'\n')));

        // A header buffer nginx would not read is said and Fulcrum's limit stays.
        const NginxImportResult odd = importNginx("http { large_client_header_buffers 4; upstream u { server 127.0.0.1:9001; } "
                                                  "server { listen 127.0.0.1:8080; location / { proxy_pass http://u; } } }\n",
                                                  QStringLiteral("n.conf"));
        QVERIFY2(odd.ok(), qPrintable(odd.errors.join(u'\n')));
        QCOMPARE(odd.config.proxy.maxHeaderBytes, ProxyConfig().maxHeaderBytes);
        QVERIFY2(hasNote(odd, QStringLiteral("n.conf:1: large_client_header_buffers 4 not carried over: not a value nginx reads")), qPrintable(odd.notes.join(u'\n')));
    }

    // Whatever a block did that Fulcrum does not (rate limits, access rules, redirects, headers,
    // files) is said where it stands, so nothing a shop relied on goes missing without a word;
    // what Fulcrum does by itself (Host passed, X-Forwarded-For appended) is not.
    void saysWhatItDoesNotCarry()
    {
        const QByteArray conf = "http {\n"
                                "  gzip on;\n"
                                "  add_header X-Frame-Options DENY;\n"
                                "  limit_req_zone $binary_remote_addr zone=one:10m rate=10r/s;\n"
                                "  upstream shop { server 127.0.0.1:9001; }\n"
                                "  server { listen 127.0.0.1:8080; return 301 https://$host$request_uri; }\n"
                                "  server {\n"
                                "    listen 127.0.0.1:8081;\n"
                                "    allow 10.0.0.0/8;\n"
                                "    deny all;\n"
                                "    location / {\n"
                                "      proxy_pass http://shop;\n"
                                "      proxy_set_header Host $host;\n"
                                "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
                                "      proxy_set_header X-Real-IP $remote_addr;\n"
                                "      limit_req zone=one burst=5;\n"
                                "      proxy_next_upstream error timeout http_502;\n"
                                "      if ($request_method = POST) { return 405; }\n"
                                "    }\n"
                                "    location /static/ { root /var/www; }\n"
                                "  }\n"
                                "  server { listen 127.0.0.1:8082; location / { proxy_pass http://shop; } }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(r.config.listeners.size(), size_t(2));
        const QString notes = r.notes.join(u'\n');
        for (const QString &note :
             {QStringLiteral("n.conf:2: gzip on not carried over: Fulcrum does not compress answers"),
              QStringLiteral("n.conf:3: add_header X-Frame-Options DENY not carried over: Fulcrum adds no response header of its own"),
              QStringLiteral("n.conf:6: return 301 https://$host$request_uri not carried over: no TLS listener was imported to send these clients to"),
              QStringLiteral("n.conf:9: allow 10.0.0.0/8 not carried over: Fulcrum does no access control here, so every client reaches the servers"),
              QStringLiteral("n.conf:10: deny all not carried over: Fulcrum does no access control here"),
              QStringLiteral("n.conf:15: proxy_set_header X-Real-IP $remote_addr not carried over: Fulcrum sends no X-Real-IP"),
              QStringLiteral("n.conf:16: limit_req zone=one burst=5 not carried over: Fulcrum does not limit clients' requests"),
              QStringLiteral("n.conf:17: proxy_next_upstream error timeout http_502 not carried over: Fulcrum sends a request to another server once"),
              QStringLiteral("n.conf:18: if ($request_method = POST) not carried over: Fulcrum evaluates no conditions"),
              QStringLiteral("n.conf:20: root /var/www not carried over: Fulcrum serves no files"),
              QStringLiteral("n.conf:22: proxy_pass http://shop: nginx sent \"Host: shop\" (its default without proxy_set_header Host); Fulcrum passes "
                             "the client's Host as it came")})
            QVERIFY2(hasNote(r, note), qPrintable(notes));
        // What Fulcrum does by itself is not a note: the Host it passes, X-Forwarded-For, the
        // location that sets Host, and nginx's own tuning (limit_req_zone defines, it limits nothing).
        for (const QString &quiet : {QStringLiteral("n.conf:13:"), QStringLiteral("n.conf:14:"), QStringLiteral("n.conf:12:"), QStringLiteral("n.conf:4:")})
            QVERIFY2(!notes.contains(quiet), qPrintable(notes));

        // proxy_redirect: off (or default) is what Fulcrum does; a rewrite of Location is not.
        const QByteArray redirects = "http {\n"
                                     "  upstream shop { server 127.0.0.1:9001; }\n"
                                     "  server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; proxy_set_header Host $host;\n"
                                     "    proxy_redirect off; } }\n"
                                     "  server { listen 127.0.0.1:8081; location / { proxy_pass http://shop; proxy_set_header Host $host;\n"
                                     "    proxy_redirect http://shop/ https://shop.example/; } }\n"
                                     "}\n";
        NginxImportResult rewritten;
        const QString redirectsProblem = importChecked(redirects, &rewritten);
        QVERIFY2(redirectsProblem.isEmpty(), qPrintable(redirectsProblem));
        QVERIFY2(!rewritten.notes.join(u'\n').contains(QStringLiteral("n.conf:4:")), qPrintable(rewritten.notes.join(u'\n')));
        QVERIFY2(hasNote(rewritten, QStringLiteral("n.conf:6: proxy_redirect http://shop/ https://shop.example/ not carried over: Fulcrum passes the servers' "
                                                   "Location headers as they are")),
                 qPrintable(rewritten.notes.join(u'\n')));
    }

    // The usual port-80 block of an HTTPS shop, `return 301 https://$host$request_uri`, becomes a
    // redirect listener to the imported TLS listener (on 443), one per `listen`; a block that
    // does more than redirect stays a note.
    void carriesThePort80RedirectToHttps()
    {
        QTemporaryDir dir;
        const QString cert = dir.filePath(QStringLiteral("shop.pem"));
        const QString key = dir.filePath(QStringLiteral("shop.key"));
        const QByteArray conf = "http {\n"
                                "  upstream shop { server 127.0.0.1:9001; }\n"
                                "  server {\n"
                                "    listen 127.0.0.1:8080;\n"
                                "    listen [::1]:8080;\n"
                                "    server_name shop.example;\n"
                                "    return 308 https://$host$request_uri;\n"
                                "  }\n"
                                "  server { listen 127.0.0.1:8443 ssl; ssl_certificate " + cert.toUtf8() + "; ssl_certificate_key " + key.toUtf8() + ";\n"
                                "    add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\" always;\n"
                                "    location / { proxy_pass http://shop; proxy_set_header Host $host; } }\n"
                                "  server { listen 127.0.0.1:8081; location /.well-known/acme-challenge/ { root /var/www/certbot; }\n"
                                "    location / { return 301 https://shop.example$request_uri; } }\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, QStringLiteral("n.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        const QString notes = r.notes.join(u'\n');
        std::vector<const ListenerConfig *> redirects;
        for (const ListenerConfig &l : r.config.listeners) {
            if (l.redirect.enabled())
                redirects.push_back(&l);
        }
        QCOMPARE(redirects.size(), size_t(3));
        QCOMPARE(redirects[0]->name, QStringLiteral("redirect-8080"));
        QCOMPARE(redirects[0]->host, QStringLiteral("127.0.0.1"));
        QCOMPARE(redirects[0]->redirect.to, QStringLiteral("shop-8443"));
        QCOMPARE(redirects[0]->redirect.status, 308);
        QCOMPARE(redirects[1]->name, QStringLiteral("redirect-8080-2"));
        QCOMPARE(redirects[1]->host, QStringLiteral("::1"));
        QCOMPARE(redirects[2]->name, QStringLiteral("redirect-8081"));
        // The TLS block's Strict-Transport-Security: the TLS listener's hsts.
        QCOMPARE(r.config.listeners[0].tls.hsts, QStringLiteral("max-age=63072000; includeSubDomains"));
        QVERIFY2(hasNote(r, QStringLiteral("n.conf:10: add_header Strict-Transport-Security: listener \"shop-8443\" tls.hsts = \"max-age=63072000; includeSubDomains\"")),
                 qPrintable(r.notes.join(u'\n')));
        QVERIFY2(!r.notes.join(u'\n').contains(QStringLiteral("add_header Strict-Transport-Security max-age")), qPrintable(r.notes.join(u'\n')));
        QCOMPARE(redirects[2]->redirect.status, 301);
        for (const QString &note :
             {QStringLiteral("n.conf:7: return 308 https://$host$request_uri: listener \"redirect-8080\" (listen 127.0.0.1:8080) redirects every request to https "
                             "on listener \"shop-8443\", with the client's Host"),
              QStringLiteral("n.conf:13: return 301 https://shop.example$request_uri: listener \"redirect-8081\" (listen 127.0.0.1:8081) redirects every "
                             "request to https on listener \"shop-8443\", with the client's Host (nginx sent every client to shop.example; Fulcrum keeps the "
                             "Host each asked for)"),
              QStringLiteral("n.conf:12: root /var/www/certbot not carried over: Fulcrum serves no files"),
              QStringLiteral("n.conf:12: location /.well-known/acme-challenge/: Fulcrum serves no files, so these requests are redirected to HTTPS too; "
                             "Let's Encrypt follows the redirect")})
            QVERIFY2(hasNote(r, note), qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("return 308 https://$host$request_uri not carried")), qPrintable(notes));
        // What the import wrote is a config fulcrumd reads back the same (the files are checked
        // where it runs: absent here, they are notes of the check, not of the redirect).
        const QJsonObject written = configToJson(r.config);
        const QJsonArray listeners = written.value(QStringLiteral("listeners")).toArray();
        QCOMPARE(listeners.at(1).toObject().value(QStringLiteral("redirect")).toObject().value(QStringLiteral("to")).toString(), QStringLiteral("shop-8443"));
        QVERIFY(!listeners.at(1).toObject().contains(QStringLiteral("pool")));
    }

    // certbot standalone behind port 80: `location /.well-known/acme-challenge/ { proxy_pass
    // http://127.0.0.1:8888; }` beside `location / { return 301 https://...; }`. Before
    // 2026-12-07 this became a listener sending every path of port 80 to certbot; now it is a
    // redirect listener whose except path goes to certbot's pool. What cannot be an except path
    // is said, and redirected.
    void carriesTheAcmeChallengeBesideTheRedirect()
    {
        QTemporaryDir dir;
        TestCertificates certs(dir.path());
        QString error;
        QVERIFY2(certs.makeCa(QStringLiteral("ca"), &error) && certs.makeSigned(QStringLiteral("shop"), QStringLiteral("ca"), QStringLiteral("serverAuth"), &error),
                 qPrintable(error));
        const QString cert = certs.file(QStringLiteral("shop-chain.pem"));
        const QString key = certs.file(QStringLiteral("shop.key"));
        const QByteArray conf = "http {\n"
                                "  upstream shop { server 127.0.0.1:9001; }\n"
                                "  server { listen 127.0.0.1:8443 ssl; ssl_certificate " + cert.toUtf8() + "; ssl_certificate_key " + key.toUtf8() + ";\n"
                                "    location / { proxy_pass http://shop; proxy_set_header Host $host; } }\n"
                                "  server {\n"
                                "    listen 127.0.0.1:8080;\n"
                                "    location ^~ /.well-known/acme-challenge/ { proxy_pass http://127.0.0.1:8888; }\n"
                                "    location ~ ^/\\.well-known/pki-validation/ { proxy_pass http://127.0.0.1:8888; }\n"
                                "    location / { return 301 https://$host$request_uri; }\n"
                                "  }\n"
                                "  server {\n"
                                "    listen 127.0.0.1:8081;\n"
                                "    return 301 https://$host$request_uri;\n"
                                "    location /.well-known/acme-challenge/ { proxy_pass http://127.0.0.1:8889; }\n"
                                "  }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const QString notes = r.notes.join(u'\n');
        QCOMPARE(r.config.listeners.size(), size_t(3));
        const ListenerConfig &acme = r.config.listeners[1];
        QCOMPARE(acme.port, quint16(8080));
        QCOMPARE(acme.redirect.to, QStringLiteral("shop-8443"));
        QCOMPARE(acme.redirect.except, QList<QByteArray>{"/.well-known/acme-challenge/"});
        QCOMPARE(acme.pool, QStringLiteral("127-0-0-1-8888"));
        const PoolConfig *certbot = r.config.pool(u"127-0-0-1-8888");
        QVERIFY(certbot);
        QVERIFY(!certbot->health.enabled);
        // The server block's own return answers before any location: nothing was proxied there.
        const ListenerConfig &plain = r.config.listeners[2];
        QCOMPARE(plain.port, quint16(8081));
        QVERIFY(plain.redirect.enabled() && plain.redirect.except.isEmpty());
        QCOMPARE(plain.pool, QStringLiteral("shop"));
        QVERIFY(!r.config.pool(u"127-0-0-1-8889"));
        for (const QString &note :
             {QStringLiteral("n.conf:9: return 301 https://$host$request_uri: listener \"redirect-8080\" (listen 127.0.0.1:8080) redirects every request but "
                             "/.well-known/acme-challenge/ (sent to pool \"127-0-0-1-8888\") to https on listener \"shop-8443\""),
              QStringLiteral("n.conf:7: proxy_pass http://127.0.0.1:8888: pool \"127-0-0-1-8888\" gets no health checks"),
              QStringLiteral("n.conf:8: location ~ ^/\\.well-known/pki-validation/ proxy_pass http://127.0.0.1:8888 not carried over: Fulcrum takes paths "
                             "by prefix only, and location ~ ^/\\.well-known/pki-validation/ is not a prefix location; these requests are redirected to HTTPS"),
              QStringLiteral("n.conf:14: proxy_pass http://127.0.0.1:8889 not carried over: the server block's own return answers every request before any "
                             "location, so nginx never sent one there either")})
            QVERIFY2(hasNote(r, note), qPrintable(notes));
        QVERIFY2(!notes.contains(QStringLiteral("\"127-0-0-1-8888\" with that one server; Fulcrum adds active health checks")), qPrintable(notes));
        // What fulcrumd reads back is the same.
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QCOMPARE(again.config->listeners.size(), size_t(3));
        QCOMPARE(again.config->listeners[1].redirect.except, acme.redirect.except);
        QCOMPARE(again.config->listeners[1].pool, acme.pool);
        QCOMPARE(again.config->listeners[2].pool, QStringLiteral("shop"));
    }

    // A shop's locations to several pools: each prefix location becomes a route of the listener
    // (the longest prefix wins, as in nginx); what cannot be one (a regex location) is said.
    void carriesPrefixLocationsAsRoutes()
    {
        const QByteArray conf = "http {\n"
                                "  upstream shop { server 127.0.0.1:9001; }\n"
                                "  upstream api { server 127.0.0.1:9002; }\n"
                                "  server {\n"
                                "    listen 127.0.0.1:8080;\n"
                                "    location / { proxy_pass http://shop; proxy_set_header Host $host; }\n"
                                "    location /api/ { proxy_pass http://api; proxy_set_header Host $host; }\n"
                                "    location ^~ /static/ { proxy_pass http://127.0.0.1:9100; proxy_set_header Host $host; }\n"
                                "    location /v2/ { proxy_pass http://api/; proxy_set_header Host $host; }\n"
                                "    location /api/cart/ { proxy_pass http://shop; proxy_set_header Host $host; }\n"
                                "    location ~ \\.php$ { proxy_pass http://api; proxy_set_header Host $host; }\n"
                                "    location /old/ { proxy_pass http://api/api/v1/; proxy_set_header Host $host; }\n"
                                "  }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const QString notes = r.notes.join(u'\n');
        QCOMPARE(r.config.listeners.size(), size_t(1));
        const ListenerConfig &l = r.config.listeners[0];
        QCOMPARE(l.pool, QStringLiteral("shop"));
        const std::vector<ListenerRoute> expected{{"/api/", QStringLiteral("api")},
                                                  {"/static/", QStringLiteral("127-0-0-1-9100")},
                                                  {"/v2/", QStringLiteral("api"), {}, "/"},
                                                  {"/old/", QStringLiteral("api"), {}, "/api/v1/"},
                                                  {"/api/cart/", QStringLiteral("shop")}};
        QVERIFY2(l.routes == expected, QJsonDocument(configToJson(r.config)).toJson().constData());
        QVERIFY(r.config.pool(u"127-0-0-1-9100"));
        for (const QString &note :
             {QStringLiteral("n.conf:7: location /api/ proxy_pass http://api: route /api/ to pool \"api\" (listeners[].routes; the longest prefix that matches wins"),
              QStringLiteral("n.conf:8: location ^~ /static/ proxy_pass http://127.0.0.1:9100: route /static/ to pool \"127-0-0-1-9100\""),
              QStringLiteral("n.conf:9: location /v2/ proxy_pass http://api/: route /v2/ to pool \"api\" (listeners[].routes; the longest prefix that matches wins, "
                             "as in nginx), \"prefix_rewrite\": \"/\" (the servers get / in place of /v2/, as from nginx)"),
              QStringLiteral("n.conf:12: location /old/ proxy_pass http://api/api/v1/: route /old/ to pool \"api\" (listeners[].routes; the longest prefix that "
                             "matches wins, as in nginx), \"prefix_rewrite\": \"/api/v1/\""),
              QStringLiteral("n.conf:11: location ~ \\.php$ proxy_pass http://api not carried over: Fulcrum takes paths by prefix only, and location ~ \\.php$ "
                             "is not a prefix location, so these requests go to \"shop\"")})
            QVERIFY2(hasNote(r, note), qPrintable(notes));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(again.config->listeners[0].routes == expected);

        // The listener's own location, not "/", rewritten by nginx: a route of its own rewrites
        // it alike; a URI made of variables is not a prefix_rewrite.
        NginxImportResult own;
        const QString ownProblem = importChecked("http {\n  upstream shop { server 127.0.0.1:9001; }\n  upstream api { server 127.0.0.1:9002; }\n"
                                                 "  server { listen 127.0.0.1:8080;\n    location /shop/ { proxy_pass http://shop/; }\n"
                                                 "    location ~ ^/api/(.*)$ { proxy_pass http://api/$1; } } }\n",
                                                 &own);
        QVERIFY2(ownProblem.isEmpty(), qPrintable(ownProblem));
        QCOMPARE(own.config.listeners[0].pool, QStringLiteral("shop"));
        const std::vector<ListenerRoute> ownRoute{{"/shop/", QStringLiteral("shop"), {}, "/"}};
        QVERIFY2(own.config.listeners[0].routes == ownRoute, QJsonDocument(configToJson(own.config)).toJson().constData());
        QVERIFY2(hasNote(own, QStringLiteral("n.conf:5: location /shop/ proxy_pass http://shop/: route /shop/ to pool \"shop\" with \"prefix_rewrite\": \"/\"")),
                 qPrintable(own.notes.join(u'\n')));
    }

    void carriesServerNamesAsHostRoutes()
    {
        // Name-based virtual hosts on one plain and one TLS address: each later block's
        // server_name become routes by host to its pool, with its prefix locations; what
        // Fulcrum cannot match is noted.
        const QByteArray conf = "http {\n"
                                "  upstream shop { server 127.0.0.1:9001; }\n"
                                "  upstream api { server 127.0.0.1:9002; }\n"
                                "  upstream admin { server 127.0.0.1:9003; }\n"
                                "  server { listen 127.0.0.1:8080; server_name shop.example www.shop.example;\n"
                                "    location / { proxy_pass http://shop; proxy_set_header Host $host; } }\n"
                                "  server { listen 127.0.0.1:8080; server_name .api.example ~^v[0-9]+\\.api\\.example$ api.*;\n"
                                "    location / { proxy_pass http://api; proxy_set_header Host $host; } }\n"
                                "  server { listen 127.0.0.1:8080 default_server; server_name Admin.Example www.shop.example;\n"
                                "    location / { proxy_pass http://admin; proxy_set_header Host $host; }\n"
                                "    location /static/ { proxy_pass http://shop; proxy_set_header Host $host; } }\n"
                                "  server { listen 127.0.0.1:8081; server_name ~^(?<t>.+)\\.example$;\n"
                                "    location / { proxy_pass http://shop; proxy_set_header Host $host; } }\n"
                                "  server { listen 127.0.0.1:8081; server_name ~^x\\.example$;\n"
                                "    location / { proxy_pass http://api; proxy_set_header Host $host; } }\n"
                                "}\n";
        NginxImportResult r;
        const QString problem = importChecked(conf, &r);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const QString notes = r.notes.join(u'\n');
        QCOMPARE(r.config.listeners.size(), size_t(2));
        const ListenerConfig &l = r.config.listeners[0];
        // The later default_server block takes the listener's own pool and paths; the first
        // block keeps its names as routes.
        QCOMPARE(l.pool, QStringLiteral("admin"));
        const std::vector<ListenerRoute> expected{{"", QStringLiteral("api"), "api.example"},
                                                  {"", QStringLiteral("api"), "*.api.example"},
                                                  {"", QStringLiteral("shop"), "shop.example"},
                                                  {"", QStringLiteral("shop"), "www.shop.example"},
                                                  {"/static/", QStringLiteral("shop"), ""},
                                                  {"", QStringLiteral("admin"), "admin.example"},
                                                  {"/static/", QStringLiteral("shop"), "admin.example"}};
        QVERIFY2(l.routes == expected, QJsonDocument(configToJson(r.config)).toJson().constData());
        QVERIFY(r.config.listeners[1].routes.empty());
        for (const QString &note :
             {QStringLiteral("n.conf:7: server_name ~^v[0-9]+\\.api\\.example$ api.* not routed by: Fulcrum routes by exact names and \"*.name\"; "
                             "regular expressions and \"name.*\" are not matched, so requests for them go to listener \"shop-8080\"'s pool \"shop\""),
              QStringLiteral("n.conf:7: listen 127.0.0.1:8080 (server_name .api.example"),
              QStringLiteral("requests for api.example, *.api.example go to pool \"api\" (listener \"shop-8080\"'s routes by host)"),
              QStringLiteral("n.conf:9: listen 127.0.0.1:8080: server_name www.shop.example is already an earlier server block's on this address"),
              QStringLiteral("requests for api.example, *.api.example go to pool \"api\" (listener \"shop-8080\"'s routes by host); any other name goes to "
                             "the listener's pool \"shop\", nginx's default server there"),
              QStringLiteral("requests for admin.example go to pool \"admin\" and its routes by path (1) (listener \"shop-8080\"'s routes by host)"),
              QStringLiteral("n.conf:9: listen 127.0.0.1:8080 default_server: listener \"shop-8080\"'s own pool is \"admin\" with its routes by path (1), for "
                             "every name no server_name has, as nginx's default server; the first server block's pool \"shop\" and its paths become routes "
                             "by its names (shop.example, www.shop.example)"),
              QStringLiteral("n.conf:14: listen 127.0.0.1:8081 (server_name ~^x\\.example$): another server block on this address sends to pool \"shop\", and this "
                             "block names no host Fulcrum can route by, so pool \"api\" is not reached here")})
            QVERIFY2(hasNote(r, note), qPrintable(note + u'\n' + notes));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(again.config->listeners[0].routes == expected);
    }

    void aLaterDefaultServerTakesTheListenersPool()
    {
        // nginx sends a name no server_name has to the address's default_server block, not to
        // its first: on TLS its certificate answers too. A first block without a routable
        // name is then not reached, and a default block that proxies nowhere is said.
        QTemporaryDir dir;
        const QByteArray cert = dir.filePath(QStringLiteral("c.pem")).toUtf8();
        const QByteArray key = dir.filePath(QStringLiteral("c.key")).toUtf8();
        const QByteArray other = dir.filePath(QStringLiteral("d.pem")).toUtf8();
        const QByteArray conf = "http {\n"
                                "  upstream shop { server 127.0.0.1:9001; }\n"
                                "  upstream api { server 127.0.0.1:9002; }\n"
                                "  upstream catchall { server 127.0.0.1:9003; }\n"
                                "  server { listen 127.0.0.1:8443 ssl; server_name shop.example; ssl_certificate " + cert + "; ssl_certificate_key " + key + ";\n"
                                "    location / { proxy_pass http://shop; }\n    location /api/ { proxy_pass http://api; } }\n"
                                "  server { listen 127.0.0.1:8443 ssl default_server; server_name _; ssl_certificate " + other + "; ssl_certificate_key " + key + ";\n"
                                "    location / { proxy_pass http://catchall; } }\n"
                                "  server { listen 127.0.0.1:8080; location / { proxy_pass http://shop; } }\n"
                                "  server { listen 127.0.0.1:8080 default_server; server_name *.example; location / { proxy_pass http://api; } }\n"
                                "  server { listen 127.0.0.1:8081; server_name shop.example; location / { proxy_pass http://shop; } }\n"
                                "  server { listen 127.0.0.1:8081 default_server; server_name _; return 444; }\n"
                                "}\n";
        const NginxImportResult r = importNginx(conf, QStringLiteral("n.conf"));
        QVERIFY2(r.ok(), qPrintable(r.errors.join(u'\n')));
        QCOMPARE(r.config.listeners.size(), size_t(3));
        const ListenerConfig &tls = r.config.listeners[0];
        QCOMPARE(tls.pool, QStringLiteral("catchall"));
        const std::vector<ListenerRoute> byName{{"", QStringLiteral("shop"), "shop.example"}, {"/api/", QStringLiteral("api"), "shop.example"}};
        QVERIFY2(tls.routes == byName, QJsonDocument(configToJson(r.config)).toJson().constData());
        QCOMPARE(tls.tls.certificates.size(), size_t(2));
        QCOMPARE(tls.tls.certificates[0].certFile, QString::fromUtf8(other));
        QCOMPARE(tls.tls.certificates[1].certFile, QString::fromUtf8(cert));
        const ListenerConfig &plain = r.config.listeners[1];
        QCOMPARE(plain.pool, QStringLiteral("api"));
        const std::vector<ListenerRoute> ownName{{"", QStringLiteral("api"), "*.example"}};
        QVERIFY2(plain.routes == ownName, QJsonDocument(configToJson(r.config)).toJson().constData());
        QCOMPARE(r.config.listeners[2].pool, QStringLiteral("shop"));
        QVERIFY(r.config.listeners[2].routes.empty());
        for (const QString &note :
             {QStringLiteral("n.conf:8: listen 127.0.0.1:8443 default_server: listener \"shop-8443\"'s own pool is \"catchall\", for every name no server_name "
                             "has, as nginx's default server; the first server block's pool \"shop\" and its paths become routes by its names (shop.example)"),
              QStringLiteral("n.conf:11: listen 127.0.0.1:8080 default_server: listener \"shop-8080\"'s own pool is \"api\", for every name no server_name has, "
                             "as nginx's default server; the first server block on this address (pool \"shop\") names no host Fulcrum can route by, so it is "
                             "not reached here"),
              QStringLiteral("requests for *.example go to pool \"api\" (listener \"shop-8080\"'s routes by host)"),
              QStringLiteral("n.conf:13: server block (listen 127.0.0.1:8081 default_server) not carried over: none of its locations proxy_pass to a server"),
              QStringLiteral("it was nginx's default_server there, so on a listener of that address names no server_name has go to the first proxying block's pool")})
            QVERIFY2(hasNote(r, note), qPrintable(note + u'\n' + r.notes.join(u'\n')));
    }

    void rejectsWhatIsNotAnUpstream()
    {
        QVERIFY(!importNginx("events {}\n", QStringLiteral("n.conf")).ok());
        // No upstream because the includes that hold them are not here: said, with the includes.
        const NginxImportResult elsewhere = importNginx("http {\n include /nonexistent/nginx/conf.d/*.conf;\n}\n", QStringLiteral("n.conf"));
        QVERIFY(!elsewhere.ok());
        QVERIFY2(elsewhere.errors.first().contains(QStringLiteral("the upstreams may be in files its includes did not find here: run the import where nginx's files are\n"
                                                                  "  n.conf:2: include /nonexistent/nginx/conf.d/*.conf: no file")),
                 qPrintable(elsewhere.errors.first()));
        const NginxImportResult unclosed = importNginx("upstream u {\n server 127.0.0.1:1;\n", QStringLiteral("n.conf"));
        QVERIFY(!unclosed.ok());
        QVERIFY(unclosed.errors.first().contains(QStringLiteral("not closed")));
    }
};

QTEST_GUILESS_MAIN(TestNginxImport)
#include "tst_nginximport.moc"
