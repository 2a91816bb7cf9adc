#include "config/configparser.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;

class TestConfig : public QObject
{
    Q_OBJECT

private:
    static QStringList errors(const QByteArray &text)
    {
        const ConfigResult r = parseConfig(text, QStringLiteral("c.json"));
        QStringList out;
        for (const ConfigError &e : r.errors)
            out << e.toString();
        return out;
    }

private Q_SLOTS:
    void shippedExampleIsValid()
    {
        const ConfigResult r = loadConfigFile(QStringLiteral(FULCRUM_SOURCE_DIR "/resources/fulcrum.example.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        const Config &c = *r.config;
        QCOMPARE(c.listeners.size(), size_t(1));
        QCOMPARE(c.listeners[0].port, quint16(8080));
        QCOMPARE(c.pools.size(), size_t(2));
        const PoolConfig &shop = c.pools[0];
        QCOMPARE(shop.options.algorithm, Algorithm::WeightedRoundRobin);
        QCOMPARE(shop.servers[0].weight, 5);
        QCOMPARE(shop.servers[1].maxConnections, 200);
        QVERIFY(shop.servers[2].backup);
        QCOMPARE(shop.health.fastIntervalMs, qint64(500));
        QCOMPARE(shop.health.rise, 2);
        QCOMPARE(shop.outlier.maxEjectionMs, qint64(300'000));
        QCOMPARE(shop.slowStartMs, qint64(30'000));
        QCOMPARE(c.pools[1].options.algorithm, Algorithm::ConsistentHash);
        QCOMPARE(c.pools[1].options.hashKey.kind, HashKeySource::Cookie);
        QCOMPARE(c.pools[1].options.hashKey.name, QStringLiteral("cart_id"));
        QCOMPARE(c.locks[0].backend, QStringLiteral("redis"));
        QCOMPARE(c.locks[0].redis.password.kind, SecretSource::Keychain);
        QCOMPARE(c.locks[0].url(), QStringLiteral("redis://127.0.0.1:6379/0"));
        QCOMPARE(c.admin.port, quint16(9900));
    }

    // A file that cannot be read has no line to point at: the path and the reason, no ":0:0".
    void unreadableFileNamesThePathAndTheReason()
    {
        const ConfigResult r = loadConfigFile(QStringLiteral("/nonexistent/fulcrum.json"));
        QVERIFY(!r.ok());
        QCOMPARE(r.errors.size(), 1);
        QCOMPARE(r.errors[0].toString(), QStringLiteral("/nonexistent/fulcrum.json: cannot read the config: No such file or directory"));
        QCOMPARE(errors("{").value(0).left(9), QStringLiteral("c.json:1:"));
    }

    void roundTripsThroughJson()
    {
        const ConfigResult r = loadConfigFile(QStringLiteral(FULCRUM_SOURCE_DIR "/resources/fulcrum.example.json"));
        QVERIFY(r.ok());
        const QByteArray again = QJsonDocument(configToJson(*r.config)).toJson();
        const ConfigResult r2 = parseConfig(again, QStringLiteral("again.json"));
        QVERIFY2(r2.ok(), qPrintable(r2.errorText()));
        QVERIFY(*r2.config == *r.config);
    }

    void adminTlsIsParsedAndRoundTrips()
    {
        const QByteArray text = "{ \"redis\": [ { \"url\": \"redis://127.0.0.1\" } ], \"admin\": { \"listen\": \"10.0.0.5:9900\", \"allow_non_loopback\": true, \"tls\": "
                                "{ \"cert\": \"/etc/fulcrum/admin.pem\", \"key\": \"/etc/fulcrum/admin.key\", \"client_ca\": \"/etc/fulcrum/ops-ca.pem\" } } }";
        const ConfigResult r = parseConfig(text, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QVERIFY(r.config->admin.hasTls());
        QCOMPARE(r.config->admin.tlsCertFile, QStringLiteral("/etc/fulcrum/admin.pem"));
        QCOMPARE(r.config->admin.tlsKeyFile, QStringLiteral("/etc/fulcrum/admin.key"));
        QCOMPARE(r.config->admin.tlsClientCaFile, QStringLiteral("/etc/fulcrum/ops-ca.pem"));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(again.config->admin == r.config->admin);
        // A certificate without its key, and a key it does not know, are refused naming the place.
        const ConfigResult noKey = parseConfig("{ \"redis\": [ { \"url\": \"redis://127.0.0.1\" } ], \"admin\": { \"tls\": { \"cert\": \"/etc/fulcrum/admin.pem\" } } }", QStringLiteral("c.json"));
        QVERIFY(!noKey.ok());
        QVERIFY2(noKey.errorText().contains(u"c.json:1:") && noKey.errorText().contains(u"admin.tls needs \"cert\" and \"key\""), qPrintable(noKey.errorText()));
        const ConfigResult typo = parseConfig("{ \"redis\": [ { \"url\": \"redis://127.0.0.1\" } ], \"admin\": { \"tls\": { \"cert\": \"a.pem\", \"key\": \"a.key\", \"ca\": \"x\" } } }", QStringLiteral("c.json"));
        QVERIFY(!typo.ok());
        QVERIFY2(typo.errorText().contains(u"unknown key \"ca\" in admin.tls"), qPrintable(typo.errorText()));
    }

    void errorsNameFileLineColumnProblemAndFix_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("expected");
        const QByteArray head = "{\n  \"pools\": [ {\n    \"name\": \"shop\",\n    \"servers\": [\n";
        const QByteArray tail = "\n    ]\n  } ]\n}\n";
        QTest::newRow("weight out of range")
            << head + "      { \"name\": \"app2\", \"address\": \"127.0.0.1:9002\", \"weight\": -3 }" + tail
            << QStringLiteral("c.json:5:64: weight for server \"app2\" -3 must be 0..10000");
        QTest::newRow("bad address")
            << head + "      { \"name\": \"app1\", \"address\": \"127.0.0.1\" }" + tail
            << QStringLiteral("c.json:5:36: server address \"127.0.0.1\" must be HOST:PORT with a port 1..65535, e.g. \"127.0.0.1:9001\" or \"[::1]:9001\"");
        QTest::newRow("typo in key")
            << head + "      { \"address\": \"127.0.0.1:9001\", \"wieght\": 2 }" + tail
            << QStringLiteral("c.json:5:38: unknown key \"wieght\" in server; did you mean \"weight\"?");
        QTest::newRow("duplicate server")
            << head + "      { \"address\": \"127.0.0.1:9001\" },\n      { \"address\": \"127.0.0.1:9001\" }" + tail
            << QStringLiteral("c.json:6:7: server name \"127.0.0.1:9001\" appears twice in pool \"shop\"; names must be unique");
        QTest::newRow("syntax error")
            << QByteArray("{\n  \"pools\": [ { \"name\": \"x\" \"servers\": [] } ]\n}")
            << QStringLiteral("c.json:2:29: not valid JSON: unterminated object (check for a missing comma, quote or bracket just before this point)");
        QTest::newRow("unknown algorithm")
            << QByteArray("{ \"pools\": [ { \"name\": \"p\", \"algorithm\": \"fastest\", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }")
            << QStringLiteral("c.json:1:42: algorithm \"fastest\" of pool \"p\" is unknown; use one of: round-robin, weighted-round-robin, least-connections, random, least-response-time, consistent-hash, \"random two\"");
        QTest::newRow("algorithm with a typo")
            << QByteArray("{ \"pools\": [ { \"name\": \"p\", \"algorithm\": \"weighted-round-robn\", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }")
            << QStringLiteral("c.json:1:42: algorithm \"weighted-round-robn\" of pool \"p\" is unknown; did you mean \"weighted-round-robin\"?");
        QTest::newRow("password in redis url")
            << QByteArray("{ \"redis\": [ { \"url\": \"redis://:hunter2@127.0.0.1:6379\" } ] }")
            << QStringLiteral("c.json:1:23: url of redis endpoint 0 contains a password; remove it and set \"password\": \"keychain\", \"file:PATH\" or \"env:VAR\"");
        QTest::newRow("unknown notifications mode")
            << QByteArray("{ \"redis\": [ { \"url\": \"redis://127.0.0.1:6379\", \"notifications\": \"on\" } ] }")
            << QStringLiteral("c.json:1:66: notifications is \"on\"; use \"auto\" (follow keyspace notifications when the server has them on, else poll), \"require\" (never poll) or \"off\" (always poll)");
        QTest::newRow("literal password")
            << QByteArray("{ \"redis\": [ { \"url\": \"redis://127.0.0.1:6379\", \"password\": \"hunter2\" } ] }")
            << QStringLiteral("c.json:1:61: password \"hu…\" must say where the secret is: \"keychain\", \"file:/path/0600-file\" or \"env:VARIABLE\"; the password itself never goes in the config");
        QTest::newRow("admin off loopback")
            << QByteArray("{ \"redis\": [ { \"url\": \"redis://127.0.0.1\" } ], \"admin\": { \"listen\": \"0.0.0.0:9900\" } }")
            << QStringLiteral("c.json:1:69: admin.listen \"0.0.0.0:9900\" is not a loopback address; the admin API can change weights and release locks, so set \"allow_non_loopback\": true to say you mean it");
        QTest::newRow("listener to unknown pool")
            << QByteArray("{ \"listeners\": [ { \"listen\": \"127.0.0.1:8080\", \"pool\": \"web\" } ],\n  \"pools\": [ { \"name\": \"shop\", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }")
            << QStringLiteral("c.json:1:56: listener \"127.0.0.1:8080\" sends to pool \"web\", which is not defined; defined pools: shop");
        QTest::newRow("bad duration")
            << QByteArray("{ \"pools\": [ { \"name\": \"p\", \"health_check\": { \"interval\": \"2 parsecs\" }, \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }")
            << QStringLiteral("c.json:1:59: health_check.interval \"2 parsecs\" is not a duration; write milliseconds (2000) or a string such as \"250ms\", \"2s\", \"5m\"");
        QTest::newRow("maglev size not prime")
            << QByteArray("{ \"pools\": [ { \"name\": \"p\", \"algorithm\": \"consistent-hash\", \"maglev_table_size\": 65536, \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }")
            << QStringLiteral("c.json:1:82: maglev_table_size 65536 must be a prime number (65537, 655373, ...)");
        QTest::newRow("empty")
            << QByteArray("{}")
            << QStringLiteral("c.json:1:1: the config defines nothing to run: add \"pools\" (with \"listeners\") and/or \"redis\" or \"locks\" endpoints");
        QTest::newRow("lock endpoint without backend")
            << QByteArray("{ \"locks\": [ { \"hosts\": \"127.0.0.1:2181\" } ] }")
            << QStringLiteral("c.json:1:14: lock endpoint 0 needs \"backend\": \"redis\", \"zookeeper\", \"etcd\", \"postgres\" or \"mysql\"");
        QTest::newRow("unknown lock backend")
            << QByteArray("{ \"locks\": [ { \"backend\": \"consul\" } ] }")
            << QStringLiteral("c.json:1:27: lock endpoint 0 needs \"backend\": \"redis\", \"zookeeper\", \"etcd\", \"postgres\" or \"mysql\", not \"consul\"");
        QTest::newRow("etcd endpoint without scheme")
            << QByteArray("{ \"locks\": [ { \"backend\": \"etcd\", \"endpoints\": [\"127.0.0.1:2379\"] } ] }")
            << QStringLiteral("c.json:1:49: \"127.0.0.1:2379\" in endpoints must be a member URL such as \"http://127.0.0.1:2379\" or \"https://etcd1:2379\" (port required, no path, no user or password: they go in \"user\" and \"password\")");
        QTest::newRow("etcd password in plain text")
            << QByteArray("{ \"locks\": [ { \"backend\": \"etcd\", \"endpoints\": [\"http://127.0.0.1:2379\"], \"user\": \"root\", \"password\": \"hunter2\" } ] }")
            << QStringLiteral("c.json:1:103: password \"hu…\" must say where the secret is: \"keychain\", \"file:/path/0600-file\" or \"env:VARIABLE\"; the password itself never goes in the config");
        QTest::newRow("etcd ca_file on http")
            << QByteArray("{ \"locks\": [ { \"backend\": \"etcd\", \"endpoints\": [\"http://127.0.0.1:2379\"], \"ca_file\": \"/etc/ca.pem\" } ] }")
            << QStringLiteral("c.json:1:86: ca_file, cert_file and key_file are for https:// endpoints; write the endpoints as https://HOST:PORT");
        QTest::newRow("etcd page_size zero")
            << QByteArray("{ \"locks\": [ { \"backend\": \"etcd\", \"endpoints\": [\"http://127.0.0.1:2379\"], \"page_size\": 0 } ] }")
            << QStringLiteral("c.json:1:88: page_size 0 must be 1..100000");
        QTest::newRow("etcd without endpoints")
            << QByteArray("{ \"locks\": [ { \"backend\": \"etcd\", \"prefixes\": [\"/locks/\"] } ] }")
            << QStringLiteral("c.json:1:14: etcd endpoint 0 needs \"endpoints\": [\"http://HOST:2379\", ...] (https:// with ca_file for TLS)");
        QTest::newRow("postgres password in the url")
            << QByteArray("{ \"locks\": [ { \"backend\": \"postgres\", \"url\": \"postgres://app:hunter2@127.0.0.1:5432/shop\" } ] }")
            << QStringLiteral("c.json:1:46: the URL carries a password; take it out and give it as the endpoint's password (keychain, file:/path with mode 0600 or env:VARIABLE)");
        QTest::newRow("postgres url of another scheme")
            << QByteArray("{ \"locks\": [ { \"backend\": \"postgres\", \"url\": \"mysql://app@127.0.0.1/shop\" } ] }")
            << QStringLiteral("c.json:1:46: \"mysql://app@127.0.0.1/shop\" is not a postgres:// URL; write it like postgres://USER@HOST:5432/DB?sslmode=require, or postgres://USER@/DB?host=/run/postgresql for a Unix socket");
        QTest::newRow("postgres password parameter")
            << QByteArray("{ \"locks\": [ { \"backend\": \"postgres\", \"url\": \"postgres://app@db/shop?password=x\" } ] }")
            << QStringLiteral("c.json:1:46: URL parameter \"password\" is not one Fulcrum passes on (sslmode, host, hostaddr, port, sslrootcert, sslcert, sslkey, connect_timeout, application_name, target_session_attrs, user, dbname); the password goes in the endpoint's password source, never in the URL");
        QTest::newRow("mysql url with parameters")
            << QByteArray("{ \"locks\": [ { \"backend\": \"mysql\", \"url\": \"mysql://app@127.0.0.1:3306/shop?ssl=1\" } ] }")
            << QStringLiteral("c.json:1:43: \"mysql://app@127.0.0.1:3306/shop?ssl=1\" has the parameter ssl; mysql:// URLs take only ssl-mode, ssl-ca, ssl-cert, ssl-key (e.g. mysql://USER@HOST:3306/DB?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ssl/db-ca.pem)");
        QTest::newRow("mysql verify without a CA")
            << QByteArray("{ \"locks\": [ { \"backend\": \"mysql\", \"url\": \"mysql://app@db:3306/shop?ssl-mode=verify_identity\" } ] }")
            << QStringLiteral("c.json:1:43: ssl-mode=VERIFY_IDENTITY checks the server's certificate: add ssl-ca=/path/to/ca.pem to \"mysql://app@db:3306/shop?ssl-mode=verify_identity\"");
        QTest::newRow("mysql unknown ssl-mode")
            << QByteArray("{ \"locks\": [ { \"backend\": \"mysql\", \"url\": \"mysql://app@db:3306/shop?ssl-mode=maybe\" } ] }")
            << QStringLiteral("c.json:1:43: ssl-mode=MAYBE in \"mysql://app@db:3306/shop?ssl-mode=maybe\" is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY");
        QTest::newRow("postgres without url")
            << QByteArray("{ \"locks\": [ { \"backend\": \"postgres\" } ] }")
            << QStringLiteral("c.json:1:14: postgres endpoint 0 needs \"url\": \"postgres://USER@HOST:5432/DB\"");
        QTest::newRow("lock_tables not a list")
            << QByteArray("{ \"locks\": [ { \"backend\": \"postgres\", \"url\": \"postgres://a@db/shop\", \"lock_tables\": \"shedlock\" } ] }")
            << QStringLiteral("c.json:1:85: \"lock_tables\" is a list: [\"shedlock\"] for ShedLock's table, or objects {\"table\", \"name\", \"owner\", \"until\", \"since\"} for a table of one's own; [] for none");
        QTest::newRow("lock table name with a quote")
            << QByteArray("{ \"locks\": [ { \"backend\": \"mysql\", \"url\": \"mysql://a@db/shop\", \"lock_tables\": [\"shed\\\"lock\"] } ] }")
            << QStringLiteral("c.json:1:80: lock_tables[0]: \"shed\"lock\" is not a plain table name (letters, digits, _ and $, not starting with a digit, with at most one \"schema.\" before it)");
        QTest::newRow("lock table column with a space")
            << QByteArray("{ \"locks\": [ { \"backend\": \"postgres\", \"url\": \"postgres://a@db/shop\", \"lock_tables\": [{\"table\": \"jobs\", \"owner\": \"locked by\"}] } ] }")
            << QStringLiteral("c.json:1:113: lock_tables[0].owner \"locked by\" is not a plain column name (letters, digits, _ and $, not starting with a digit); Fulcrum writes it into SQL, quoted, so only plain names are taken");
        QTest::newRow("lock table without table")
            << QByteArray("{ \"locks\": [ { \"backend\": \"postgres\", \"url\": \"postgres://a@db/shop\", \"lock_tables\": [{\"name\": \"job\"}] } ] }")
            << QStringLiteral("c.json:1:86: lock_tables[0] needs \"table\": the table whose rows are locks");
        QTest::newRow("lock table twice")
            << QByteArray("{ \"locks\": [ { \"backend\": \"postgres\", \"url\": \"postgres://a@db/shop\", \"lock_tables\": [\"shedlock\", {\"table\": \"shedlock\"}] } ] }")
            << QStringLiteral("c.json:1:98: lock_tables[1]: table shedlock is listed twice");
        QTest::newRow("zookeeper host without port")
            << QByteArray("{ \"locks\": [ { \"backend\": \"zookeeper\", \"hosts\": \"zk1,zk2:2181\" } ] }")
            << QStringLiteral("c.json:1:49: \"zk1\" in hosts must be HOST:PORT, e.g. \"127.0.0.1:2181\"; the password goes in \"password\"");
        QTest::newRow("zookeeper relative path")
            << QByteArray("{ \"locks\": [ { \"backend\": \"zookeeper\", \"hosts\": \"127.0.0.1:2181\", \"paths\": [\"locks\"] } ] }")
            << QStringLiteral("c.json:1:77: paths entries must be absolute znode paths such as \"/locks\"");
        QTest::newRow("zookeeper password without user")
            << QByteArray("{ \"locks\": [ { \"backend\": \"zookeeper\", \"hosts\": \"127.0.0.1:2181\", \"password\": \"env:ZK_PASS\" } ] }")
            << QStringLiteral("c.json:1:79: a zookeeper password is for digest auth and needs a \"user\" beside it");
        QTest::newRow("zookeeper watch not a boolean")
            << QByteArray("{ \"locks\": [ { \"backend\": \"zookeeper\", \"hosts\": \"127.0.0.1:2181\", \"watch\": \"yes\" } ] }")
            << QStringLiteral("c.json:1:76: watch must be true or false");
        QTest::newRow("zookeeper waiter_details below zero")
            << QByteArray("{ \"locks\": [ { \"backend\": \"zookeeper\", \"hosts\": \"127.0.0.1:2181\", \"waiter_details\": -1 } ] }")
            << QStringLiteral("c.json:1:85: waiter_details -1 must be 0..10000000");
        QTest::newRow("lock endpoint names unique across redis and locks")
            << QByteArray("{ \"redis\": [ { \"name\": \"orders\", \"url\": \"redis://127.0.0.1:6379\" } ],\n  \"locks\": [ { \"backend\": \"zookeeper\", \"name\": \"orders\", \"hosts\": \"127.0.0.1:2181\" } ] }")
            << QStringLiteral("c.json:2:14: lock endpoint name \"orders\" is used twice; give each a unique \"name\"");
    }

    void errorsNameFileLineColumnProblemAndFix()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, expected);
        const QStringList found = errors(text);
        QVERIFY2(found.contains(expected), qPrintable(found.join(u'\n')));
    }

    void everyErrorIsReportedAndNothingIsHalfApplied()
    {
        const QByteArray text =
            "{\n"
            "  \"pools\": [ {\n"
            "    \"name\": \"shop\",\n"
            "    \"algorithm\": \"round-robin\",\n"
            "    \"servers\": [\n"
            "      { \"name\": \"a\", \"address\": \"127.0.0.1:9001\", \"weight\": 20000 },\n"
            "      { \"name\": \"b\", \"address\": \"127.0.0.1:99999\" },\n"
            "      { \"name\": \"c\", \"address\": \"127.0.0.1:9003\", \"state\": \"down\" }\n"
            "    ],\n"
            "    \"health_check\": { \"rise\": 0, \"fall\": 3 }\n"
            "  } ]\n"
            "}\n";
        const ConfigResult r = parseConfig(text, QStringLiteral("c.json"));
        QVERIFY(!r.ok());
        QCOMPARE(r.errors.size(), 4);
        QCOMPARE(r.errors[0].line, 6);
        QCOMPARE(r.errors[1].line, 7);
        QCOMPARE(r.errors[2].line, 8);
        QVERIFY(r.errors[2].message.contains(QStringLiteral("down is decided by health checks")));
        QCOMPARE(r.errors[3].line, 10);
        QVERIFY(r.errors[3].message.startsWith(QStringLiteral("health_check.rise 0 must be 1..100")));
    }

    // Errors are found key by key; they are listed as an editor walks the file. A server's bad
    // weight (column 64) came before its duplicate name (column 7) on the line above.
    void errorsAreListedInTheFilesOrder()
    {
        const QByteArray text =
            "{ \"pools\": [ { \"name\": \"shop\", \"servers\": [\n"
            "  { \"name\": \"a\", \"address\": \"127.0.0.1:9001\" }, { \"name\": \"a\", \"address\": \"127.0.0.1:9002\", \"weight\": -1 }\n"
            "] } ] }\n";
        const ConfigResult r = parseConfig(text, QStringLiteral("c.json"));
        QCOMPARE(r.errors.size(), 2);
        QStringList positions;
        for (const QString &line : r.errorText().split(u'\n'))
            positions << line.section(u':', 0, 2);
        QCOMPARE(positions.size(), 2);
        const auto column = [](const QString &position) { return position.section(u':', 2, 2).toInt(); };
        QVERIFY2(column(positions[0]) < column(positions[1]), qPrintable(r.errorText()));
    }

    void durationsAcceptNumbersAndUnits_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("number") << QStringLiteral("1500") << qint64(1500);
        QTest::newRow("ms") << QStringLiteral("\"250ms\"") << qint64(250);
        QTest::newRow("s") << QStringLiteral("\"2s\"") << qint64(2000);
        QTest::newRow("fraction") << QStringLiteral("\"1.5s\"") << qint64(1500);
        QTest::newRow("minutes") << QStringLiteral("\"5m\"") << qint64(300'000);
    }

    void durationsAcceptNumbersAndUnits()
    {
        QFETCH(QString, value);
        QFETCH(qint64, ms);
        const QByteArray text = "{ \"pools\": [ { \"name\": \"p\", \"slow_start\": " + value.toUtf8()
                                + ", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }";
        const ConfigResult r = parseConfig(text, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QCOMPARE(r.config->pools[0].slowStartMs, ms);
    }

    // pools[].response_timeout: the proxy's where absent; read back equal from configToJson;
    // out of range or not a duration is an error at its place that names the pool.
    void poolTimeoutsAreParsedAndBounded_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<qint64>("ms");
        QTest::addColumn<QByteArray>("over");
        QTest::addColumn<QString>("range");
        QTest::newRow("response_timeout") << QStringLiteral("response_timeout") << QByteArray("5m") << qint64(300'000) << QByteArray("2h")
                                          << QStringLiteral("2h must be between 1ms and 1h");
        QTest::newRow("connect_timeout") << QStringLiteral("connect_timeout") << QByteArray("1500ms") << qint64(1500) << QByteArray("11m")
                                         << QStringLiteral("11m must be between 1ms and 10m");
        QTest::newRow("keepalive_timeout") << QStringLiteral("keepalive_timeout") << QByteArray("4s") << qint64(4000) << QByteArray("2h")
                                           << QStringLiteral("2h must be between 1ms and 1h");
        QTest::newRow("keepalive_time") << QStringLiteral("keepalive_time") << QByteArray("30m") << qint64(1'800'000) << QByteArray("8d")
                                        << QStringLiteral("8d must be between 1ms and 7d");
    }

    void poolTimeoutsAreParsedAndBounded()
    {
        QFETCH(QString, key);
        QFETCH(QByteArray, value);
        QFETCH(qint64, ms);
        QFETCH(QByteArray, over);
        QFETCH(QString, range);
        auto pool = [](const QByteArray &extra) {
            return "{ \"proxy\": { \"response_timeout\": \"10s\", \"connect_timeout\": \"2s\" }, \"pools\": [ { \"name\": \"reports\"" + extra
                   + ", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }";
        };
        const auto own = [&key](const Config &c) {
            const PoolOptions &o = c.pools[0].options;
            return key == u"response_timeout"  ? o.responseTimeoutMs
                   : key == u"connect_timeout" ? o.connectTimeoutMs
                   : key == u"keepalive_time"  ? o.keepaliveTimeMs
                                               : o.keepaliveTimeoutMs;
        };
        const auto setting = [&key](const QByteArray &v) { return ", \"" + key.toUtf8() + "\": " + v; };
        const ConfigResult r = parseConfig(pool(setting("\"" + value + "\"")), QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QCOMPARE(own(*r.config), ms);
        QCOMPARE(r.config->proxy.responseTimeoutMs, qint64(10'000));
        QCOMPARE(r.config->proxy.connectTimeoutMs, qint64(2'000));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QCOMPARE(own(*again.config), ms);
        const ConfigResult absent = parseConfig(pool(QByteArray()), QStringLiteral("c.json"));
        QVERIFY2(absent.ok(), qPrintable(absent.errorText()));
        QCOMPARE(own(*absent.config), qint64(0));
        QVERIFY(!configToJson(*absent.config).value(QStringLiteral("pools")).toArray().at(0).toObject().contains(key));
        const ConfigResult tooLong = parseConfig(pool(setting("\"" + over + "\"")), QStringLiteral("c.json"));
        QVERIFY(!tooLong.ok());
        QVERIFY2(tooLong.errorText().contains(QStringLiteral("c.json:1:")) && tooLong.errorText().contains(QStringLiteral("%1 of pool \"reports\" %2").arg(key, range)),
                 qPrintable(tooLong.errorText()));
        const ConfigResult zero = parseConfig(pool(setting("0")), QStringLiteral("c.json"));
        QVERIFY(!zero.ok());
        const ConfigResult words = parseConfig(pool(setting("\"long\"")), QStringLiteral("c.json"));
        QVERIFY(!words.ok());
        QVERIFY2(words.errorText().contains(QStringLiteral("%1 of pool \"reports\" \"long\" is not a duration").arg(key)), qPrintable(words.errorText()));
    }

    // Counts a pool may set in place of the proxy's: 0 has a meaning (no body limit, no kept
    // connection), absent is the proxy's.
    void poolCountsAreParsedAndBounded_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<qint64>("large");
        QTest::newRow("max_body_bytes") << QStringLiteral("max_body_bytes") << qint64(200'000'000);
        QTest::newRow("max_idle_per_server") << QStringLiteral("max_idle_per_server") << qint64(512);
    }

    void poolCountsAreParsedAndBounded()
    {
        QFETCH(QString, key);
        QFETCH(qint64, large);
        auto pool = [](const QByteArray &extra) {
            return "{ \"proxy\": { \"max_body_bytes\": 1000, \"max_idle_per_server\": 8 }, \"pools\": [ { \"name\": \"uploads\"" + extra
                   + ", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }";
        };
        const auto own = [&key](const Config &c) {
            return key == u"max_body_bytes" ? c.pools[0].options.maxBodyBytes : qint64(c.pools[0].options.maxIdlePerServer);
        };
        const auto setting = [&key](const QByteArray &v) { return ", \"" + key.toUtf8() + "\": " + v; };
        for (const qint64 value : {qint64(0), large}) {
            const ConfigResult r = parseConfig(pool(setting(QByteArray::number(value))), QStringLiteral("c.json"));
            QVERIFY2(r.ok(), qPrintable(r.errorText()));
            QCOMPARE(own(*r.config), value);
            const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
            QVERIFY2(again.ok(), qPrintable(again.errorText()));
            QCOMPARE(own(*again.config), value);
        }
        const ConfigResult absent = parseConfig(pool(QByteArray()), QStringLiteral("c.json"));
        QVERIFY2(absent.ok(), qPrintable(absent.errorText()));
        QCOMPARE(own(*absent.config), qint64(-1));
        QVERIFY(!configToJson(*absent.config).value(QStringLiteral("pools")).toArray().at(0).toObject().contains(key));
        const ConfigResult negative = parseConfig(pool(setting("-1")), QStringLiteral("c.json"));
        QVERIFY(!negative.ok());
        QVERIFY2(negative.errorText().contains(QStringLiteral("c.json:1:")) && negative.errorText().contains(QStringLiteral("%1 of pool \"uploads\" -1 must be 0..").arg(key)),
                 qPrintable(negative.errorText()));
        const ConfigResult words = parseConfig(pool(setting("\"200m\"")), QStringLiteral("c.json"));
        QVERIFY(!words.ok());
        QVERIFY2(words.errorText().contains(QStringLiteral("%1 of pool \"uploads\" must be a whole number").arg(key)), qPrintable(words.errorText()));
    }

    // A server connection's request count has no proxy-wide key: absent and 0 are no limit.
    void keepaliveRequestsIsParsedAndBounded()
    {
        auto pool = [](const QByteArray &extra) {
            return "{ \"pools\": [ { \"name\": \"orders\"" + extra + ", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }";
        };
        const ConfigResult r = parseConfig(pool(", \"keepalive_requests\": 1000"), QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QCOMPARE(r.config->pools[0].options.keepaliveRequests, qint64(1000));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QCOMPARE(again.config->pools[0].options.keepaliveRequests, qint64(1000));
        for (const QByteArray &none : {QByteArray(), QByteArray(", \"keepalive_requests\": 0")}) {
            const ConfigResult unlimited = parseConfig(pool(none), QStringLiteral("c.json"));
            QVERIFY2(unlimited.ok(), qPrintable(unlimited.errorText()));
            QCOMPARE(unlimited.config->pools[0].options.keepaliveRequests, qint64(0));
            QVERIFY(!configToJson(*unlimited.config).value(QStringLiteral("pools")).toArray().at(0).toObject().contains(QStringLiteral("keepalive_requests")));
        }
        for (const QByteArray &bad : {QByteArray("-1"), QByteArray("1000000001")}) {
            const ConfigResult refused = parseConfig(pool(", \"keepalive_requests\": " + bad), QStringLiteral("c.json"));
            QVERIFY(!refused.ok());
            QVERIFY2(refused.errorText().contains(QStringLiteral("c.json:1:"))
                         && refused.errorText().contains(QStringLiteral("keepalive_requests of pool \"orders\" %1 must be 0..").arg(QString::fromLatin1(bad))),
                     qPrintable(refused.errorText()));
        }
        const ConfigResult words = parseConfig(pool(", \"keepalive_requests\": \"1k\""), QStringLiteral("c.json"));
        QVERIFY(!words.ok());
        QVERIFY2(words.errorText().contains(QStringLiteral("keepalive_requests of pool \"orders\" must be a whole number")), qPrintable(words.errorText()));
    }

    void tunnelTimeoutIsParsedAndBounded()
    {
        const QByteArray servers = ", \"pools\": [ { \"name\": \"p\", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }";
        const ConfigResult r = parseConfig("{ \"proxy\": { \"tunnel_timeout\": \"2h\" }" + servers, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QCOMPARE(r.config->proxy.tunnelTimeoutMs, qint64(7'200'000));
        const ConfigResult defaults = parseConfig("{ \"proxy\": {}" + servers, QStringLiteral("c.json"));
        QVERIFY2(defaults.ok(), qPrintable(defaults.errorText()));
        QCOMPARE(defaults.config->proxy.tunnelTimeoutMs, qint64(3'600'000));
        const ConfigResult tooShort = parseConfig("{ \"proxy\": { \"tunnel_timeout\": \"10ms\" }" + servers, QStringLiteral("c.json"));
        QVERIFY(!tooShort.ok());
        QVERIFY2(tooShort.errorText().contains(QStringLiteral("proxy.tunnel_timeout")), qPrintable(tooShort.errorText()));
    }

    // A client connection's requests and age: absent is no limit, both read back equal.
    void clientKeepaliveIsParsedAndBounded()
    {
        const QByteArray servers = ", \"pools\": [ { \"name\": \"p\", \"servers\": [ { \"address\": \"127.0.0.1:1\" } ] } ] }";
        const ConfigResult r = parseConfig("{ \"proxy\": { \"client_keepalive_requests\": 1000, \"client_keepalive_time\": \"1h\" }" + servers, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QCOMPARE(r.config->proxy.clientKeepaliveRequests, qint64(1000));
        QCOMPARE(r.config->proxy.clientKeepaliveTimeMs, qint64(3'600'000));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QCOMPARE(again.config->proxy, r.config->proxy);
        const ConfigResult defaults = parseConfig("{ \"proxy\": {}" + servers, QStringLiteral("c.json"));
        QVERIFY2(defaults.ok(), qPrintable(defaults.errorText()));
        QCOMPARE(defaults.config->proxy.clientKeepaliveRequests, qint64(0));
        QCOMPARE(defaults.config->proxy.clientKeepaliveTimeMs, qint64(0));
        const ConfigResult negative = parseConfig("{ \"proxy\": { \"client_keepalive_requests\": -5 }" + servers, QStringLiteral("c.json"));
        QVERIFY(!negative.ok());
        QVERIFY2(negative.errorText().contains(QStringLiteral("c.json:1:")) && negative.errorText().contains(QStringLiteral("proxy.client_keepalive_requests -5 must be 0..")),
                 qPrintable(negative.errorText()));
        const ConfigResult tooLong = parseConfig("{ \"proxy\": { \"client_keepalive_time\": \"8d\" }" + servers, QStringLiteral("c.json"));
        QVERIFY(!tooLong.ok());
        QVERIFY2(tooLong.errorText().contains(QStringLiteral("proxy.client_keepalive_time 8d must be between 1ms and 7d")), qPrintable(tooLong.errorText()));
    }

    // proxy.resolver: nameservers by IP (port 53, the only one Qt 6.4 asks), valid and retry;
    // read back equal from configToJson; each mistake named with its place and its fix.
    void resolverIsParsedAndChecked()
    {
        const QByteArray servers = ", \"pools\": [ { \"name\": \"p\", \"servers\": [ { \"address\": \"app.internal:8080\" } ] } ] }";
        const ConfigResult r = parseConfig("{ \"proxy\": { \"resolver\": { \"nameservers\": [\"10.0.0.2\", \"10.0.0.3:53\", \"[fd00::53]:53\"], "
                                           "\"valid\": \"30s\", \"retry\": \"2s\" } }" + servers, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        const ResolverConfig &resolver = r.config->proxy.resolver;
        QCOMPARE(resolver.nameservers, (QStringList{QStringLiteral("10.0.0.2"), QStringLiteral("10.0.0.3"), QStringLiteral("fd00::53")}));
        QCOMPARE(resolver.validMs, qint64(30'000));
        QCOMPARE(resolver.retryMs, qint64(2000));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(again.config->proxy.resolver == resolver);

        const ConfigResult none = parseConfig("{ \"proxy\": {}" + servers, QStringLiteral("c.json"));
        QVERIFY2(none.ok(), qPrintable(none.errorText()));
        QVERIFY(!none.config->proxy.resolver.enabled());
        QVERIFY(!QJsonDocument(configToJson(*none.config)).toJson().contains("resolver"));

        const struct { const char *resolver; const char *says; } bad[] = {
            {"{ \"nameservers\": [\"127.0.0.1:5353\"] }", "port 53 only"},
            {"{ \"nameservers\": [\"dns.internal\"] }", "must be a nameserver's IP address"},
            {"{ \"nameservers\": [] }", "proxy.resolver needs \"nameservers\""},
            {"{ \"valid\": \"30s\" }", "proxy.resolver needs \"nameservers\""},
            {"{ \"nameservers\": [\"10.0.0.2\"], \"valid\": \"10ms\" }", "proxy.resolver.valid"},
            {"{ \"nameservers\": [\"10.0.0.2\"], \"valid\": \"2h\" }", "proxy.resolver.valid"},
            {"{ \"nameservers\": [\"10.0.0.2\"], \"ttl\": 5 }", "unknown key \"ttl\""},
        };
        for (const auto &c : bad) {
            const ConfigResult refused = parseConfig("{ \"proxy\": { \"resolver\": " + QByteArray(c.resolver) + " }" + servers, QStringLiteral("c.json"));
            QVERIFY2(!refused.ok(), c.resolver);
            QVERIFY2(refused.errorText().contains(QString::fromUtf8(c.says)), qPrintable(refused.errorText()));
            QVERIFY2(refused.errorText().contains(QStringLiteral("c.json:1:")), qPrintable(refused.errorText()));
        }
    }

    void accessLogIsParsedAndChecked()
    {
        QTemporaryDir dir;
        const QByteArray servers = ", \"pools\": [ { \"name\": \"p\", \"servers\": [ { \"address\": \"127.0.0.1:8080\" } ] } ] }";
        const QByteArray path = dir.filePath(QStringLiteral("access.log")).toUtf8();
        const ConfigResult r = parseConfig("{ \"proxy\": { \"access_log\": { \"path\": \"" + path + "\", \"format\": \"json\", \"only\": \"errors\" } }" + servers,
                                           QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        const AccessLogConfig &log = r.config->proxy.accessLog;
        QCOMPARE(log.path, QString::fromUtf8(path));
        QCOMPARE(log.format, AccessLogConfig::Format::Json);
        QVERIFY(log.errorsOnly);
        QVERIFY(!QFile::exists(QString::fromUtf8(path)));   // checked, not made
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(again.config->proxy.accessLog == log);

        const ConfigResult defaults = parseConfig("{ \"proxy\": { \"access_log\": { \"path\": \"" + path + "\" } }" + servers, QStringLiteral("c.json"));
        QVERIFY2(defaults.ok(), qPrintable(defaults.errorText()));
        QCOMPARE(defaults.config->proxy.accessLog.format, AccessLogConfig::Format::Text);
        QVERIFY(!defaults.config->proxy.accessLog.errorsOnly);
        const ConfigResult none = parseConfig("{ \"proxy\": {}" + servers, QStringLiteral("c.json"));
        QVERIFY(none.ok());
        QVERIFY(!none.config->proxy.accessLog.enabled());
        QVERIFY(!QJsonDocument(configToJson(*none.config)).toJson().contains("access_log"));

        // An existing file is appended to; a file in a folder that does not exist is refused.
        QFile existing(QString::fromUtf8(path));
        QVERIFY(existing.open(QIODevice::WriteOnly));
        existing.close();
        QVERIFY(parseConfig("{ \"proxy\": { \"access_log\": { \"path\": \"" + path + "\" } }" + servers, QStringLiteral("c.json")).ok());
        const QByteArray missing = dir.filePath(QStringLiteral("gone/access.log")).toUtf8();
        const QByteArray folder = dir.filePath(QStringLiteral("gone")).toUtf8();
        const struct { QByteArray accessLog; QByteArray says; } bad[] = {
            {"{ \"path\": \"access.log\" }", "must be an absolute path"},
            {"{ \"path\": \"" + dir.path().toUtf8() + "\" }", "is not a regular file"},
            {"{ \"path\": \"" + missing + "\" }", "the folder " + folder + " does not exist; create it (mkdir -p " + folder + ")"},
            {"{ \"path\": \"\" }", "proxy.access_log needs \"path\""},
            {"{ \"path\": \"" + path + "\", \"format\": \"combined\" }", "proxy.access_log.format \"combined\" must be"},
            {"{ \"path\": \"" + path + "\", \"only\": \"5xx\" }", "proxy.access_log.only \"5xx\" must be"},
            {"{ \"path\": \"" + path + "\", \"buffer\": 65536 }", "unknown key \"buffer\""},
            {"\"" + path + "\"", "proxy.access_log must be an object"},
        };
        for (const auto &c : bad) {
            const ConfigResult refused = parseConfig("{ \"proxy\": { \"access_log\": " + c.accessLog + " }" + servers, QStringLiteral("c.json"));
            QVERIFY2(!refused.ok(), c.accessLog.constData());
            QVERIFY2(refused.errorText().contains(QString::fromUtf8(c.says)), qPrintable(refused.errorText()));
            QVERIFY2(refused.errorText().contains(QStringLiteral("c.json:1:")), qPrintable(refused.errorText()));
        }
    }

    void historyRetentionIsParsed()
    {
        const QByteArray text = "{ \"redis\": [ { \"url\": \"redis://127.0.0.1\" } ],\n"
                                "  \"history\": { \"path\": \"/var/lib/fulcrum/h.sqlite\", \"retention\": { \"raw\": \"2h\", \"minute\": \"30d\", \"hour\": 63072000000 } } }";
        const ConfigResult r = parseConfig(text, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QCOMPARE(r.config->history.path, QStringLiteral("/var/lib/fulcrum/h.sqlite"));
        QCOMPARE(r.config->history.rawMs, qint64(7'200'000));
        QCOMPARE(r.config->history.minuteMs, qint64(30) * 86'400'000);
        QCOMPARE(r.config->history.hourMs, qint64(730) * 86'400'000);
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(again.config->history == r.config->history);
        const ConfigResult defaults = parseConfig("{ \"redis\": [ { \"url\": \"redis://127.0.0.1\" } ] }", QStringLiteral("c.json"));
        QVERIFY(defaults.ok());
        QCOMPARE(defaults.config->history.rawMs, qint64(3'600'000));
        QCOMPARE(defaults.config->history.minuteMs, qint64(7) * 86'400'000);
        QCOMPARE(defaults.config->history.hourMs, qint64(365) * 86'400'000);
        QVERIFY(!configToJson(*defaults.config).contains(QStringLiteral("history")));
    }

    void historyRetentionErrors_data()
    {
        QTest::addColumn<QByteArray>("history");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not a duration")
            << QByteArray("{ \"retention\": { \"raw\": \"an hour\" } }")
            << QStringLiteral("c.json:2:38: history.retention.raw \"an hour\" is not a duration; write milliseconds (2000) or a string such as \"250ms\", \"2s\", \"5m\"");
        QTest::newRow("raw under a minute")
            << QByteArray("{ \"retention\": { \"raw\": \"10s\" } }")
            << QStringLiteral("c.json:2:38: history.retention.raw 10s must be between 1m and 31d");
        QTest::newRow("minute shorter than raw")
            << QByteArray("{ \"retention\": { \"raw\": \"2h\", \"minute\": \"1h\" } }")
            << QStringLiteral("c.json:2:54: history.retention.minute (1h) is shorter than history.retention.raw (2h); 1 min rows are made from 1 s rows, so keep them at least as long: raise minute or lower raw");
        QTest::newRow("hour shorter than minute")
            << QByteArray("{ \"retention\": { \"minute\": \"30d\", \"hour\": \"7d\" } }")
            << QStringLiteral("c.json:2:56: history.retention.hour (7d) is shorter than history.retention.minute (30d); 1 h rows are made from 1 min rows, so keep them at least as long: raise hour or lower minute");
        QTest::newRow("typo")
            << QByteArray("{ \"retention\": { \"minutes\": \"7d\" } }")
            << QStringLiteral("c.json:2:31: unknown key \"minutes\" in history.retention; did you mean \"minute\"?");
        QTest::newRow("retention not an object")
            << QByteArray("{ \"retention\": \"7d\" }")
            << QStringLiteral("c.json:2:29: history.retention must be an object {...}");
        QTest::newRow("empty path")
            << QByteArray("{ \"path\": \"\" }")
            << QStringLiteral("c.json:2:24: history.path is empty; leave it out for <state_dir>/history.sqlite or name a file");
    }

    void historyRetentionErrors()
    {
        QFETCH(QByteArray, history);
        QFETCH(QString, expected);
        const QStringList found = errors("{ \"redis\": [ { \"url\": \"redis://127.0.0.1\" } ],\n  \"history\": " + history + " }");
        QVERIFY2(found.contains(expected), qPrintable(found.join(u'\n')));
    }

    void etcdEndpointIsParsedAndRoundTrips()
    {
        const QByteArray json = "{\"locks\": [{\"backend\": \"etcd\", \"name\": \"k8s\", \"endpoints\": [\"https://etcd1:2379\", \"https://[::1]:2379\"],"
                                " \"prefixes\": [\"/locks/\", \"/elections/\"], \"page_size\": 500, \"max_keys\": 1000, \"user\": \"fulcrum\","
                                " \"password\": \"env:ETCD_PASS\", \"ca_file\": \"/etc/ca.pem\", \"cert_file\": \"/etc/c.pem\", \"key_file\": \"/etc/c.key\","
                                " \"long_held\": \"5m\", \"long_lease\": \"2h\", \"poll_interval\": \"5s\", \"watch\": false, \"reconcile_interval\": \"30m\"},"
                                " {\"backend\": \"zookeeper\", \"name\": \"zk\", \"hosts\": \"127.0.0.1:2181\", \"reconcile_interval\": \"1h\"}]}";
        const ConfigResult r = parseConfig(json, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        QCOMPARE(r.config->locks.size(), size_t(2));
        const LockEndpointConfig &lock = r.config->locks[0];
        QVERIFY(lock.isEtcd());
        QVERIFY(!lock.etcd.watch);
        QCOMPARE(lock.reconcileIntervalMs(), 1'800'000);
        QVERIFY(r.config->locks[1].zookeeper.watch);
        QCOMPARE(r.config->locks[1].reconcileIntervalMs(), 3'600'000);
        QCOMPARE(lock.name(), QStringLiteral("k8s"));
        QCOMPARE(lock.etcd.endpoints, (QStringList{QStringLiteral("https://etcd1:2379"), QStringLiteral("https://[::1]:2379")}));
        QCOMPARE(lock.etcd.prefixes, (QStringList{QStringLiteral("/locks/"), QStringLiteral("/elections/")}));
        QCOMPARE(lock.etcd.pageSize, 500);
        QCOMPARE(lock.etcd.maxKeys, 1000);
        QCOMPARE(lock.password(), (SecretSource{SecretSource::Environment, QStringLiteral("ETCD_PASS")}));
        QCOMPARE(lock.etcd.longLeaseMs, 7'200'000);
        QCOMPARE(lock.pollIntervalMs(), 5000);
        QCOMPARE(lock.url(), QStringLiteral("etcds://fulcrum@etcd1:2379,[::1]:2379"));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(*again.config == *r.config);
    }

    void redisTopologiesAndTls()
    {
        const QByteArray text =
            "{ \"locks\": [\n"
            "  { \"backend\": \"redis\", \"name\": \"orders\", \"cluster\": [\"rediss://10.0.0.1:7000\", \"10.0.0.2:7000\"], \"tls\": true,\n"
            "    \"ca_file\": \"/etc/fulcrum/ca.pem\", \"server_name\": \"redis.shop\", \"user\": \"ops\", \"password\": \"keychain\" },\n"
            "  { \"backend\": \"redis\", \"name\": \"checkout\", \"sentinels\": [\"10.0.0.5:26379\", \"10.0.0.6:26379\"], \"master_name\": \"mymaster\", \"database\": 2,\n"
            "    \"sentinel_user\": \"watcher\", \"sentinel_password\": \"keychain\" },\n"
            "  { \"backend\": \"redis\", \"name\": \"rl\", \"redlock\": [\"10.0.1.1:6379\", \"10.0.1.2:6379\", \"10.0.1.3:6379\"] },\n"
            "  { \"backend\": \"redis\", \"name\": \"managed\", \"url\": \"rediss://ops@cache.example:6380/1\", \"tls_insecure\": true,\n"
            "    \"notifications\": \"require\", \"reconcile_interval\": \"30m\" }\n"
            "] }\n";
        const ConfigResult r = parseConfig(text, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        const RedisEndpointConfig &cluster = r.config->locks[0].redis;
        QCOMPARE(cluster.topology, RedisEndpointConfig::Topology::Cluster);
        QCOMPARE(cluster.nodes, (QStringList{QStringLiteral("10.0.0.1:7000"), QStringLiteral("10.0.0.2:7000")}));
        QVERIFY(cluster.tls);
        QCOMPARE(cluster.serverName, QStringLiteral("redis.shop"));
        QCOMPARE(cluster.url(), QStringLiteral("rediss-cluster://ops@10.0.0.1:7000,10.0.0.2:7000"));
        const RedisEndpointConfig &sentinel = r.config->locks[1].redis;
        QCOMPARE(sentinel.topology, RedisEndpointConfig::Topology::Sentinel);
        QCOMPARE(sentinel.masterName, QStringLiteral("mymaster"));
        QCOMPARE(sentinel.database, 2);
        QCOMPARE(sentinel.sentinelUser, QStringLiteral("watcher"));
        QCOMPARE(sentinel.sentinelPassword, (SecretSource{SecretSource::Keychain, QString()}));
        QCOMPARE(sentinel.password.kind, SecretSource::None);   // the master's is apart
        QCOMPARE(sentinel.url(), QStringLiteral("redis-sentinel://10.0.0.5:26379,10.0.0.6:26379/mymaster?db=2"));
        QCOMPARE(r.config->locks[2].redis.topology, RedisEndpointConfig::Topology::Redlock);
        QCOMPARE(r.config->locks[2].url(), QStringLiteral("redlock://10.0.1.1:6379,10.0.1.2:6379,10.0.1.3:6379/0"));
        const RedisEndpointConfig &managed = r.config->locks[3].redis;
        QVERIFY(managed.tls && managed.tlsInsecure);
        QCOMPARE(managed.user, QStringLiteral("ops"));
        QCOMPARE(managed.url(), QStringLiteral("rediss://ops@cache.example:6380/1"));
        QCOMPARE(managed.notifications, RedisEndpointConfig::Notifications::Require);
        QCOMPARE(managed.reconcileIntervalMs, qint64(30 * 60'000));
        QCOMPARE(cluster.notifications, RedisEndpointConfig::Notifications::Auto);
        QCOMPARE(cluster.reconcileIntervalMs, qint64(600'000));
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(*again.config == *r.config);
    }

    void postgresEndpointIsParsedAndRoundTrips()
    {
        const QByteArray json = "{\"locks\": [{\"backend\": \"postgres\", \"name\": \"shop-db\", \"url\": \"postgres://fulcrum@db1:5432/shop?sslmode=require\","
                                " \"password\": \"file:/etc/fulcrum/pg.pass\", \"blocking_chains\": false, \"max_locks\": 5000, \"query_timeout\": \"3s\","
                                " \"long_held\": \"5m\", \"poll_interval\": \"1s\"}]}";
        const ConfigResult r = parseConfig(json, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        const LockEndpointConfig &lock = r.config->locks[0];
        QVERIFY(lock.isPostgres());
        QCOMPARE(lock.name(), QStringLiteral("shop-db"));
        QCOMPARE(lock.url(), QStringLiteral("postgres://fulcrum@db1:5432/shop?sslmode=require"));
        QCOMPARE(lock.password(), (SecretSource{SecretSource::File, QStringLiteral("/etc/fulcrum/pg.pass")}));
        QVERIFY(!lock.postgres.blockingChains);
        QCOMPARE(lock.postgres.maxLocks, 5000);
        QCOMPARE(lock.postgres.queryTimeoutMs, 3000);
        QCOMPARE(lock.pollIntervalMs(), 1000);
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(*again.config == *r.config);
        // Left out: ShedLock's table, read only when it is there.
        QCOMPARE(lock.postgres.lockTables, QList<LockTableConfig>{LockTableConfig::shedLockIfPresent()});
        QVERIFY(!lock.postgres.lockTables.first().required);
    }

    void lockTablesAreParsedAndRoundTrip()
    {
        const QByteArray json = "{\"locks\": [{\"backend\": \"mysql\", \"url\": \"mysql://fulcrum@db1:3306/shop\", \"lock_tables\": [\"scheduler_locks\", "
                                "{\"table\": \"ops.job_locks\", \"name\": \"job\", \"owner\": \"node\", \"until\": \"expires_at\", \"since\": \"\"}]},"
                                " {\"backend\": \"postgres\", \"name\": \"none\", \"url\": \"postgres://fulcrum@db1/shop\", \"lock_tables\": []}]}";
        const ConfigResult r = parseConfig(json, QStringLiteral("c.json"));
        QVERIFY2(r.ok(), qPrintable(r.errorText()));
        const QList<LockTableConfig> &tables = r.config->locks[0].mysql.lockTables;
        QCOMPARE(tables.size(), 2);
        QCOMPARE(tables[0].table, QStringLiteral("scheduler_locks"));
        QVERIFY(tables[0].isShedLockSchema());
        QVERIFY(tables[0].required);
        QCOMPARE(tables[1].table, QStringLiteral("ops.job_locks"));
        QCOMPARE(tables[1].nameColumn, QStringLiteral("job"));
        QCOMPARE(tables[1].ownerColumn, QStringLiteral("node"));
        QCOMPARE(tables[1].untilColumn, QStringLiteral("expires_at"));
        QVERIFY(tables[1].sinceColumn.isEmpty());
        QVERIFY(r.config->locks[1].postgres.lockTables.isEmpty());
        const ConfigResult again = parseConfig(QJsonDocument(configToJson(*r.config)).toJson(), QStringLiteral("again.json"));
        QVERIFY2(again.ok(), qPrintable(again.errorText()));
        QVERIFY(*again.config == *r.config);
    }

    void redisTopologyErrors_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("url and cluster")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"url\": \"redis://a:1\", \"cluster\": [\"b:2\"] } ] }")
            << QStringLiteral("keep one");
        QTest::newRow("redlock of two")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"redlock\": [\"a:1\", \"b:2\"] } ] }")
            << QStringLiteral("redlock needs at least 3 independent masters");
        QTest::newRow("sentinel without master_name")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"sentinels\": [\"a:26379\"] } ] }")
            << QStringLiteral("a sentinel endpoint needs \"master_name\"");
        QTest::newRow("sentinel_password on a cluster")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"cluster\": [\"a:1\"], \"sentinel_password\": \"env:P\" } ] }")
            << QStringLiteral("sentinel_password is for sentinel endpoints");
        QTest::newRow("sentinel_user without its password")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"sentinels\": [\"a:26379\"], \"master_name\": \"m\", \"sentinel_user\": \"w\" } ] }")
            << QStringLiteral("sentinel_user needs \"sentinel_password\"");
        QTest::newRow("sentinel password written in")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"sentinels\": [\"a:26379\"], \"master_name\": \"m\", \"sentinel_password\": \"hunter2\" } ] }")
            << QStringLiteral("the password itself never goes in the config");
        QTest::newRow("cluster node with a database")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"cluster\": [\"redis://a:1/3\"] } ] }")
            << QStringLiteral("is not HOST:PORT");
        QTest::newRow("ca_file without TLS")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"url\": \"redis://a:1\", \"ca_file\": \"/ca.pem\" } ] }")
            << QStringLiteral("ca_file is for TLS; write the address as rediss://HOST:PORT");
        QTest::newRow("mixed schemes")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"cluster\": [\"rediss://a:1\", \"redis://b:2\"] } ] }")
            << QStringLiteral("mix of redis:// and rediss://");
        QTest::newRow("cert without key")
            << QByteArray("{ \"locks\": [ { \"backend\": \"redis\", \"url\": \"rediss://a:1\", \"cert_file\": \"/c.pem\" } ] }")
            << QStringLiteral("a client certificate needs both \"cert_file\" and \"key_file\"");
    }

    void redisTopologyErrors()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, expected);
        const QStringList found = errors(text);
        // Every error names the file, line and column; the text says the problem and the fix.
        QVERIFY2(!found.isEmpty() && found.first().startsWith(u"c.json:1:"), qPrintable(found.join(u'\n')));
        bool named = false;
        for (const QString &e : found)
            named = named || e.contains(expected);
        QVERIFY2(named, qPrintable(found.join(u'\n')));
    }

    void algorithmSpellings()
    {
        QCOMPARE(parseAlgorithm(u"random two")->choices, 2);
        QCOMPARE(parseAlgorithm(u"random(2)")->algorithm, Algorithm::Random);
        QCOMPARE(parseAlgorithm(u"least-connections")->algorithm, Algorithm::LeastConnections);
        QVERIFY(!parseAlgorithm(u"leastconn"));
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
