#include "haproxy/haproxyenginelink.h"
#include "haproxy/runtimeaddress.h"
#include "haproxy/showstat.h"

#include <QFile>
#include <QTest>

using namespace fulcrum;

// The `show stat` parser on output captured from Debian's HAProxy 2.6 (data/), and the
// mapping of HAProxy's status and check columns to the console's words.
class TestShowStat : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesCapturedOutput();
    void columnsAreFoundByName();
    void rejectsMalformedOutput_data();
    void rejectsMalformedOutput();
    void splitsQuotedFields_data();
    void splitsQuotedFields();
    void mapsStatus_data();
    void mapsStatus();
    void describesChecks();
    void parsesAddresses_data();
    void parsesAddresses();

private:
    static QByteArray captured();
};

QByteArray TestShowStat::captured()
{
    QFile file(QStringLiteral(FULCRUM_SOURCE_DIR "/tests/unit/haproxy/data/showstat-haproxy-2.6.csv"));
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray();
    return file.readAll();
}

void TestShowStat::parsesCapturedOutput()
{
    const QByteArray output = captured();
    QVERIFY(!output.isEmpty());
    QString error;
    const std::optional<ShowStat> stat = parseShowStat(output, &error);
    QVERIFY2(stat, qPrintable(error));
    QCOMPARE(stat->frontends.size(), 1);
    QCOMPARE(stat->frontends[0].proxy(), QStringLiteral("web"));
    QCOMPARE(stat->backends.size(), 2);
    QCOMPARE(stat->servers.size(), 5);
    QStringList names;
    for (const StatRow &row : stat->servers)
        names.append(row.proxy() + u'/' + row.service());
    QCOMPARE(names, QStringList({QStringLiteral("checkout/app1"), QStringLiteral("checkout/app2"), QStringLiteral("checkout/app3"),
                                 QStringLiteral("checkout/app4"), QStringLiteral("static/web1")}));
    const StatRow &app1 = stat->servers[0];
    QCOMPARE(app1.text(QStringLiteral("status")), QStringLiteral("UP"));
    QCOMPARE(app1.number(QStringLiteral("uweight")), std::optional<qint64>(100));
    QCOMPARE(app1.number(QStringLiteral("req_tot")), std::optional<qint64>(23));
    QCOMPARE(app1.number(QStringLiteral("stot")), std::optional<qint64>(23));
    QCOMPARE(app1.text(QStringLiteral("addr")), QStringLiteral("127.0.0.1:18081"));
    QCOMPARE(HaproxyEngineLink::checkReason(app1), QStringLiteral("L7OK 200 in 1 ms"));
    QCOMPARE(stat->servers[1].text(QStringLiteral("status")), QStringLiteral("DOWN"));
    QCOMPARE(stat->servers[2].text(QStringLiteral("status")), QStringLiteral("DRAIN"));
    QCOMPARE(stat->servers[2].number(QStringLiteral("hrsp_4xx")), std::optional<qint64>(1));
    QCOMPARE(stat->servers[3].text(QStringLiteral("status")), QStringLiteral("MAINT"));
    QCOMPARE(stat->servers[4].number(QStringLiteral("bck")), std::optional<qint64>(1));
    // Fields that are empty for a row read as missing, not as zero.
    QCOMPARE(stat->servers[3].number(QStringLiteral("check_duration")), std::nullopt);
    QCOMPARE(app1.number(QStringLiteral("no_such_column")), std::nullopt);
    // The extra modules' columns after "-" are kept too.
    QVERIFY(app1.has(QStringLiteral("h1_open_connections")));
}

void TestShowStat::columnsAreFoundByName()
{
    // Another HAProxy's order, an unknown column and no type column: still read by name.
    const QByteArray output = "# svname,future_metric,pxname,status,scur,stot,\n"
                              "FRONTEND,7,web,OPEN,3,10,\n"
                              "s1,8,be,UP 2/3,4,99,\n"
                              "BACKEND,9,be,UP,4,99,\n\n";
    QString error;
    const std::optional<ShowStat> stat = parseShowStat(output, &error);
    QVERIFY2(stat, qPrintable(error));
    QCOMPARE(stat->frontends.size(), 1);
    QCOMPARE(stat->backends.size(), 1);
    QCOMPARE(stat->servers.size(), 1);
    QCOMPARE(stat->servers[0].proxy(), QStringLiteral("be"));
    QCOMPARE(stat->servers[0].service(), QStringLiteral("s1"));
    QCOMPARE(stat->servers[0].number(QStringLiteral("scur")), std::optional<qint64>(4));
    QCOMPARE(stat->servers[0].text(QStringLiteral("status")), QStringLiteral("UP 2/3"));
}

void TestShowStat::rejectsMalformedOutput_data()
{
    QTest::addColumn<QByteArray>("output");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("instead of the");
    QTest::newRow("permission denied") << QByteArray("Permission denied\n\n") << QStringLiteral("\"Permission denied\"");
    QTest::newRow("unknown command") << QByteArray("Unknown command: 'show'\n") << QStringLiteral("is this a HAProxy stats socket");
    QTest::newRow("no status column") << QByteArray("# pxname,svname,scur,\nbe,s1,0,\n") << QStringLiteral("no \"status\" column");
    QTest::newRow("cut line") << QByteArray("# pxname,svname,status,scur,\nbe,s1,UP,0,\nbe,s2,UP\n")
                              << QStringLiteral("line 3 has 3 fields, the header has 5");
    QTest::newRow("extra field") << QByteArray("# pxname,svname,status,\nbe,s1,UP,0,\n") << QStringLiteral("line 2 has 5 fields");
    QTest::newRow("unterminated quote") << QByteArray("# pxname,svname,status,\nbe,s1,\"UP,\n") << QStringLiteral("line 2: unterminated quote");
    QTest::newRow("duplicate column") << QByteArray("# pxname,svname,status,status,\n") << QStringLiteral("\"status\" appears twice");
    QTest::newRow("empty name") << QByteArray("# pxname,svname,status,\n,s1,UP,\n") << QStringLiteral("empty pxname");
    QTest::newRow("unknown type") << QByteArray("# pxname,svname,status,type,\nbe,s1,UP,7,\n") << QStringLiteral("unknown row type \"7\"");
}

void TestShowStat::rejectsMalformedOutput()
{
    QFETCH(QByteArray, output);
    QFETCH(QString, expected);
    QString error;
    QVERIFY(!parseShowStat(output, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestShowStat::splitsQuotedFields_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<QStringList>("fields");
    QTest::newRow("plain") << QStringLiteral("a,b,,c,") << QStringList{QStringLiteral("a"), QStringLiteral("b"), QString(), QStringLiteral("c"), QString()};
    QTest::newRow("comma in quotes") << QStringLiteral("be,\"HTTP 503, body\",x")
                                     << QStringList{QStringLiteral("be"), QStringLiteral("HTTP 503, body"), QStringLiteral("x")};
    QTest::newRow("doubled quote") << QStringLiteral("\"say \"\"hi\"\"\",1") << QStringList{QStringLiteral("say \"hi\""), QStringLiteral("1")};
}

void TestShowStat::splitsQuotedFields()
{
    QFETCH(QString, line);
    QFETCH(QStringList, fields);
    const std::optional<QStringList> split = splitCsvLine(line.toUtf8());
    QVERIFY(split);
    QCOMPARE(*split, fields);
}

void TestShowStat::mapsStatus_data()
{
    QTest::addColumn<QString>("status");
    QTest::addColumn<int>("state");
    QTest::addColumn<QString>("text");
    QTest::newRow("UP") << QStringLiteral("UP") << int(BackendState::Up) << QStringLiteral("up");
    QTest::newRow("UP 2/3") << QStringLiteral("UP 2/3") << int(BackendState::Up) << QStringLiteral("up, going down (2/3)");
    QTest::newRow("DOWN") << QStringLiteral("DOWN") << int(BackendState::Down) << QStringLiteral("down");
    QTest::newRow("DOWN 1/2") << QStringLiteral("DOWN 1/2") << int(BackendState::Down) << QStringLiteral("down, going up (1/2)");
    QTest::newRow("DOWN (agent)") << QStringLiteral("DOWN (agent)") << int(BackendState::Down) << QStringLiteral("down (agent)");
    QTest::newRow("NOLB") << QStringLiteral("NOLB") << int(BackendState::Drain) << QStringLiteral("nolb (no new traffic)");
    QTest::newRow("MAINT") << QStringLiteral("MAINT") << int(BackendState::Maint) << QStringLiteral("maint");
    QTest::newRow("MAINT via") << QStringLiteral("MAINT (via be/s1)") << int(BackendState::Maint) << QStringLiteral("maint (via be/s1)");
    QTest::newRow("DRAIN") << QStringLiteral("DRAIN") << int(BackendState::Drain) << QStringLiteral("drain");
    QTest::newRow("no check") << QStringLiteral("no check") << int(BackendState::Up) << QStringLiteral("up (no check)");
    QTest::newRow("unknown") << QStringLiteral("WEIRD") << int(BackendState::Down) << QStringLiteral("unknown HAProxy status \"WEIRD\"");
}

void TestShowStat::mapsStatus()
{
    QFETCH(QString, status);
    QFETCH(int, state);
    QFETCH(QString, text);
    QString shown;
    QCOMPARE(int(HaproxyEngineLink::stateFromStatus(status, &shown)), state);
    QCOMPARE(shown, text);
}

void TestShowStat::describesChecks()
{
    QString error;
    const std::optional<ShowStat> stat = parseShowStat(captured(), &error);
    QVERIFY2(stat, qPrintable(error));
    QCOMPARE(HaproxyEngineLink::checkReason(stat->servers[1]), QStringLiteral("L4CON in 0 ms: Connection refused"));
    QCOMPARE(HaproxyEngineLink::checkReason(stat->servers[3]), QString());   // maint: no checks
    const std::optional<ShowStat> running = parseShowStat("# pxname,svname,status,check_status,check_code,check_duration,last_chk,\n"
                                                          "be,s1,DOWN,* L7STS,503,2,HTTP status check returned code <3C>503<3E>,\n", &error);
    QVERIFY2(running, qPrintable(error));
    QCOMPARE(HaproxyEngineLink::checkReason(running->servers[0]),
             QStringLiteral("L7STS 503 in 2 ms: HTTP status check returned code <3C>503<3E>"));
}

void TestShowStat::parsesAddresses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("parsed");   // empty: an error is expected
    QTest::newRow("path") << QStringLiteral("/run/haproxy/admin.sock") << QStringLiteral("/run/haproxy/admin.sock");
    QTest::newRow("unix@") << QStringLiteral("unix@/run/haproxy/admin.sock") << QStringLiteral("/run/haproxy/admin.sock");
    QTest::newRow("host:port") << QStringLiteral("127.0.0.1:9999") << QStringLiteral("127.0.0.1:9999");
    QTest::newRow("ipv4@") << QStringLiteral("ipv4@127.0.0.1:9999") << QStringLiteral("127.0.0.1:9999");
    QTest::newRow("bracketed v6") << QStringLiteral("[::1]:9999") << QStringLiteral("[::1]:9999");
    QTest::newRow("ipv6@") << QStringLiteral("ipv6@::1:9999") << QStringLiteral("[::1]:9999");
    QTest::newRow("relative path") << QStringLiteral("unix@admin.sock") << QString();
    QTest::newRow("no port") << QStringLiteral("localhost") << QString();
    QTest::newRow("bad port") << QStringLiteral("127.0.0.1:99999") << QString();
    QTest::newRow("bare v6") << QStringLiteral("::1:9999") << QString();
    QTest::newRow("empty") << QStringLiteral(" ") << QString();
}

void TestShowStat::parsesAddresses()
{
    QFETCH(QString, text);
    QFETCH(QString, parsed);
    QString error;
    const std::optional<RuntimeAddress> address = RuntimeAddress::parse(text, &error);
    if (parsed.isEmpty()) {
        QVERIFY(!address);
        QVERIFY2(error.contains(u'"' + text + u'"') && error.contains(QStringLiteral("/run/haproxy/admin.sock")), qPrintable(error));
        return;
    }
    QVERIFY2(address, qPrintable(error));
    QCOMPARE(address->toString(), parsed);
}

QTEST_GUILESS_MAIN(TestShowStat)
#include "tst_showstat.moc"
