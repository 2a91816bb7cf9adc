// The admin API of a real fulcrumd process: in-process demo backends behind it, a real
// redis-server for the lock endpoints, every request over a real socket.
#include "demobackends.h"
#include "freeport.h"
#include "programs.h"
#include "redisserver.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <vector>
#include <tuple>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

struct Metric
{
    QString name;
    QMap<QString, QString> labels;
    double value = 0;
};

// A small parser for the Prometheus text format: every line must be a comment or a sample
// `name{label="value",...} number`; false with *error naming the line otherwise.
bool parseMetrics(const QByteArray &text, QList<Metric> *out, QString *error)
{
    static const QRegularExpression sample(QStringLiteral(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([-+0-9.eE]+|\+Inf|NaN)$)"));
    static const QRegularExpression label(QStringLiteral(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)\"(,|$))"));
    QSet<QString> typed;
    const QList<QByteArray> lines = text.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString line = QString::fromUtf8(lines[i]);
        if (line.isEmpty())
            continue;
        if (line.startsWith(u"# TYPE ")) {
            typed.insert(line.section(u' ', 2, 2));
            continue;
        }
        if (line.startsWith(u'#'))
            continue;
        const QRegularExpressionMatch m = sample.match(line);
        if (!m.hasMatch()) {
            *error = QStringLiteral("line %1 is not a sample: %2").arg(i + 1).arg(line);
            return false;
        }
        Metric metric;
        metric.name = m.captured(1);
        QString family = metric.name;
        for (const char *suffix : {"_bucket", "_sum", "_count"}) {
            if (family.endsWith(QLatin1StringView(suffix)) && !typed.contains(family))
                family.chop(qsizetype(strlen(suffix)));
        }
        if (!typed.contains(family)) {
            *error = QStringLiteral("line %1: %2 has no # TYPE before it").arg(i + 1).arg(metric.name);
            return false;
        }
        const QString labels = m.captured(3);
        qsizetype consumed = 0;
        auto it = label.globalMatch(labels);
        while (it.hasNext()) {
            const QRegularExpressionMatch l = it.next();
            if (l.capturedStart() != consumed) {
                *error = QStringLiteral("line %1: bad labels %2").arg(i + 1).arg(labels);
                return false;
            }
            metric.labels.insert(l.captured(1), l.captured(2));
            consumed = l.capturedEnd();
        }
        if (consumed != labels.size()) {
            *error = QStringLiteral("line %1: bad labels %2").arg(i + 1).arg(labels);
            return false;
        }
        bool ok = true;
        metric.value = m.captured(4) == u"+Inf" ? qInf() : m.captured(4).toDouble(&ok);
        if (!ok) {
            *error = QStringLiteral("line %1: bad value").arg(i + 1);
            return false;
        }
        out->append(metric);
    }
    return true;
}

double metricValue(const QList<Metric> &metrics, const QString &name, const QMap<QString, QString> &labels, bool *found)
{
    for (const Metric &m : metrics) {
        if (m.name != name)
            continue;
        bool match = true;
        for (auto it = labels.begin(); it != labels.end(); ++it)
            match &= m.labels.value(it.key()) == it.value();
        if (match) {
            *found = true;
            return m.value;
        }
    }
    *found = false;
    return 0;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray();
}

} // namespace

class TestAdminApi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void tokenFilesAreOwnerOnly();
    void everyEndpointNeedsToken_data();
    void everyEndpointNeedsToken();
    void readOnlyTokenMayOnlyRead();
    void poolsAndServers();
    void unknownNames_data();
    void unknownNames();
    void badBodies_data();
    void badBodies();
    void setWeightAndState();
    void eventsHealthEventsAndAudit();
    void locksListAndRelease();
    void streamDeliversChanges();
    void metricsParse();
    void malformedHttpDoesNotCrash();
    void floodOfSilentAndTricklingConnectionsCannotLockOperatorsOut();
    void fulcrumctlThroughEngine();
    void drainWaitsForRequestsInFlight();
    void runtimeChangesSurviveReloadAndRestart();

private:
    bool startFulcrumd(QString *log);
    void stopFulcrumd();
    SimpleHttpResponse request(const QByteArray &method, const QByteArray &path, const QByteArray &body = {}, const QByteArray &token = "admin");
    QJsonObject json(const SimpleHttpResponse &response) const { return QJsonDocument::fromJson(response.body).object(); }

    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<InProcessDemoBackend> m_app2;
    std::unique_ptr<RedisServer> m_redis;
    QTemporaryDir m_dir;
    QString m_configPath;
    quint16 m_adminPort = 0;
    quint16 m_proxyPort = 0;
    QProcess m_fulcrumd;
    QByteArray m_token;
    QByteArray m_readOnlyToken;
};

bool TestAdminApi::startFulcrumd(QString *log)
{
    if (!fulcrum::test::startFulcrumd(m_fulcrumd, m_configPath, log))
        return false;
    m_token = readFile(m_dir.filePath(QStringLiteral("state/admin.token")));
    m_readOnlyToken = readFile(m_dir.filePath(QStringLiteral("state/admin-readonly.token")));
    return !m_token.isEmpty() && !m_readOnlyToken.isEmpty();
}

void TestAdminApi::stopFulcrumd()
{
    stopProcess(m_fulcrumd);
}

void TestAdminApi::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    m_app2 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app2"));
    QVERIFY(m_app1->isListening() && m_app2->isListening());
    m_redis = std::make_unique<RedisServer>();
    QString error;
    QVERIFY2(m_redis->start(&error), qPrintable(error));
    m_adminPort = freeLoopbackPort();
    m_proxyPort = freeLoopbackPort();
    m_configPath = m_dir.filePath(QStringLiteral("fulcrum.json"));
    const QByteArray config = QStringLiteral(R"({
  "listeners": [{"name": "main", "listen": "127.0.0.1:%1", "pool": "web"}],
  "pools": [{"name": "web",
             "health_check": {"interval": "100ms", "fast_interval": "50ms", "down_interval": "100ms", "timeout": "300ms"},
             "servers": [{"name": "app1", "address": "127.0.0.1:%2", "weight": 10},
                         {"name": "app2", "address": "127.0.0.1:%3", "weight": 10}]},
            {"name": "batch", "health_check": {"enabled": false}, "connect_timeout": "1500ms", "max_body_bytes": 1048576,
             "keepalive_timeout": "4s", "max_idle_per_server": 0, "keepalive_requests": 500, "keepalive_time": "10m",
             "servers": [{"name": "batch-eu-west-1a-01", "address": "127.0.0.1:%2"}]}],
  "redis": [{"name": "cache", "url": "redis://127.0.0.1:%4", "poll_interval": "100ms"}],
  "admin": {"listen": "127.0.0.1:%5"},
  "proxy": {"workers": 1, "stop_timeout": "2s"},
  "state_dir": "%6"
}
)").arg(m_proxyPort).arg(m_app1->port()).arg(m_app2->port()).arg(m_redis->port()).arg(m_adminPort).arg(m_dir.filePath(QStringLiteral("state"))).toUtf8();
    QFile file(m_configPath);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(config);
    file.close();
    QString log;
    QVERIFY2(startFulcrumd(&log), qPrintable(log));
}

void TestAdminApi::cleanupTestCase()
{
    stopFulcrumd();
}

SimpleHttpResponse TestAdminApi::request(const QByteArray &method, const QByteArray &path, const QByteArray &body, const QByteArray &token)
{
    QByteArray raw = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fulcrum-User: tester\r\n";
    if (token == "admin")
        raw += "Authorization: Bearer " + m_token + "\r\n";
    else if (token == "viewer")
        raw += "Authorization: Bearer " + m_readOnlyToken + "\r\n";
    else if (!token.isEmpty())
        raw += "Authorization: Bearer " + token + "\r\n";
    if (!body.isNull())
        raw += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    raw += "\r\n" + body;
    SimpleHttpConnection connection(m_adminPort);
    return connection.exchange(raw);
}

void TestAdminApi::tokenFilesAreOwnerOnly()
{
    for (const QString &name : {QStringLiteral("state/admin.token"), QStringLiteral("state/admin-readonly.token")}) {
        const QFile::Permissions p = QFile(m_dir.filePath(name)).permissions();
        QCOMPARE(p & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther), QFile::Permissions());
        QVERIFY(p & QFile::ReadOwner);
    }
    QCOMPARE(m_token.size(), 64);
    QVERIFY(m_token != m_readOnlyToken);
}

void TestAdminApi::everyEndpointNeedsToken_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("pools") << QByteArray("GET") << QByteArray("/api/v1/pools") << QByteArray();
    QTest::newRow("pool") << QByteArray("GET") << QByteArray("/api/v1/pools/web") << QByteArray();
    QTest::newRow("server") << QByteArray("GET") << QByteArray("/api/v1/pools/web/servers/app1") << QByteArray();
    QTest::newRow("weight") << QByteArray("PUT") << QByteArray("/api/v1/pools/web/servers/app1/weight") << QByteArray(R"({"weight": 10})");
    QTest::newRow("state") << QByteArray("PUT") << QByteArray("/api/v1/pools/web/servers/app1/state") << QByteArray(R"({"state": "ready"})");
    QTest::newRow("events") << QByteArray("GET") << QByteArray("/api/v1/events") << QByteArray();
    QTest::newRow("health-events") << QByteArray("GET") << QByteArray("/api/v1/health-events") << QByteArray();
    QTest::newRow("audit") << QByteArray("GET") << QByteArray("/api/v1/audit") << QByteArray();
    QTest::newRow("locks") << QByteArray("GET") << QByteArray("/api/v1/locks") << QByteArray();
    QTest::newRow("lock endpoint") << QByteArray("GET") << QByteArray("/api/v1/locks/cache") << QByteArray();
    QTest::newRow("release") << QByteArray("POST") << QByteArray("/api/v1/locks/cache/release") << QByteArray(R"({"key": "lock:x", "holder": "h"})");
    QTest::newRow("stream") << QByteArray("GET") << QByteArray("/api/v1/stream") << QByteArray();
    QTest::newRow("metrics") << QByteArray("GET") << QByteArray("/metrics") << QByteArray();
}

void TestAdminApi::everyEndpointNeedsToken()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    const SimpleHttpResponse none = request(method, path, body, {});
    QCOMPARE(none.status, 401);
    QVERIFY(none.header("www-authenticate").startsWith("Bearer"));
    QVERIFY(json(none).value(QStringLiteral("error")).toString().contains(u"Authorization"));
    QCOMPARE(request(method, path, body, "not-the-token-0123456789").status, 401);
    QCOMPARE(request(method, path, body, m_token.left(63)).status, 401);
    if (path != "/api/v1/stream")
        QVERIFY(request(method, path, body).status != 401);
}

void TestAdminApi::readOnlyTokenMayOnlyRead()
{
    QCOMPARE(request("GET", "/api/v1/pools", {}, "viewer").status, 200);
    QCOMPARE(request("GET", "/metrics", {}, "viewer").status, 200);
    const SimpleHttpResponse put = request("PUT", "/api/v1/pools/web/servers/app1/weight", R"({"weight": 1})", "viewer");
    QCOMPARE(put.status, 403);
    QVERIFY(json(put).value(QStringLiteral("error")).toString().contains(u"read-only"));
    QCOMPARE(request("POST", "/api/v1/locks/cache/release", R"({"key": "lock:x", "holder": "h"})", "viewer").status, 403);
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app1")).value(QStringLiteral("weight")).toInt(), 10);
}

void TestAdminApi::poolsAndServers()
{
    const SimpleHttpResponse r = request("GET", "/api/v1/pools");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), QByteArray("application/json"));
    const QJsonArray pools = json(r).value(QStringLiteral("pools")).toArray();
    QCOMPARE(pools.size(), 2);
    const QJsonObject web = pools.first().toObject();
    // A pool whose checks are off says so: its servers will never have a check to show.
    const QJsonObject b1 = pools.at(1).toObject().value(QStringLiteral("servers")).toArray().first().toObject();
    QCOMPARE(b1.value(QStringLiteral("checks_enabled")), QJsonValue(false));
    QCOMPARE(web.value(QStringLiteral("servers")).toArray().first().toObject().value(QStringLiteral("checks_enabled")), QJsonValue(true));
    QCOMPARE(web.value(QStringLiteral("name")).toString(), QStringLiteral("web"));
    QCOMPARE(web.value(QStringLiteral("servers")).toArray().size(), 2);
    // The timeouts in force for each pool, and whose they are: the batch pool's own connect
    // timeout, the proxy's defaults elsewhere.
    const QJsonObject batch = pools.at(1).toObject();
    QCOMPARE(batch.value(QStringLiteral("connect_timeout_ms")).toInteger(), qint64(1500));
    QCOMPARE(batch.value(QStringLiteral("connect_timeout_from")).toString(), QStringLiteral("pool"));
    QCOMPARE(web.value(QStringLiteral("connect_timeout_ms")).toInteger(), qint64(3000));   // proxy.connect_timeout's default
    QCOMPARE(web.value(QStringLiteral("connect_timeout_from")).toString(), QStringLiteral("proxy"));
    QCOMPARE(web.value(QStringLiteral("response_timeout_ms")).toInteger(), qint64(30'000));   // proxy.response_timeout's default
    QCOMPARE(web.value(QStringLiteral("response_timeout_from")).toString(), QStringLiteral("proxy"));
    QCOMPARE(batch.value(QStringLiteral("max_body_bytes")).toInteger(), qint64(1048576));
    QCOMPARE(batch.value(QStringLiteral("max_body_bytes_from")).toString(), QStringLiteral("pool"));
    QCOMPARE(web.value(QStringLiteral("max_body_bytes")).toInteger(-1), qint64(0));   // proxy.max_body_bytes' default: none
    QCOMPARE(web.value(QStringLiteral("max_body_bytes_from")).toString(), QStringLiteral("proxy"));
    QCOMPARE(batch.value(QStringLiteral("keepalive_timeout_ms")).toInteger(), qint64(4000));
    QCOMPARE(batch.value(QStringLiteral("keepalive_timeout_from")).toString(), QStringLiteral("pool"));
    QCOMPARE(web.value(QStringLiteral("keepalive_timeout_ms")).toInteger(), qint64(60'000));   // proxy.idle_timeout's default
    QCOMPARE(web.value(QStringLiteral("keepalive_timeout_from")).toString(), QStringLiteral("proxy"));
    QCOMPARE(batch.value(QStringLiteral("max_idle_per_server")).toInteger(-1), qint64(0));
    QCOMPARE(batch.value(QStringLiteral("max_idle_per_server_from")).toString(), QStringLiteral("pool"));
    QCOMPARE(web.value(QStringLiteral("max_idle_per_server")).toInteger(), qint64(64));   // proxy.max_idle_per_server's default
    QCOMPARE(web.value(QStringLiteral("max_idle_per_server_from")).toString(), QStringLiteral("proxy"));
    // A server connection's lifetime: the pool's own, 0 for no limit.
    QCOMPARE(batch.value(QStringLiteral("keepalive_requests")).toInteger(), qint64(500));
    QCOMPARE(batch.value(QStringLiteral("keepalive_time_ms")).toInteger(), qint64(600'000));
    QCOMPARE(web.value(QStringLiteral("keepalive_requests")).toInteger(-1), qint64(0));
    QCOMPARE(web.value(QStringLiteral("keepalive_time_ms")).toInteger(-1), qint64(0));
    // Live stats: traffic through the proxy shows up in the server's totals.
    SimpleHttpConnection client(m_proxyPort);
    for (int i = 0; i < 10; ++i)
        QCOMPARE(client.get("/").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(json(request("GET", "/api/v1/pools/web/servers/app1")).value(QStringLiteral("requests_total")).toInt()
                                 + json(request("GET", "/api/v1/pools/web/servers/app2")).value(QStringLiteral("requests_total")).toInt() >= 10, 5000);
    const QJsonObject app1 = json(request("GET", "/api/v1/pools/web/servers/app1"));
    for (const char *field : {"state", "state_text", "last_check", "time_in_state_ms", "weight", "effective_weight", "ejected", "p99_ms", "responses_by_class"})
        QVERIFY2(app1.contains(QLatin1StringView(field)), field);
    QCOMPARE(json(request("GET", "/api/v1/pools/web")).value(QStringLiteral("name")).toString(), QStringLiteral("web"));
}

void TestAdminApi::unknownNames_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("field");
    QTest::newRow("pool") << QByteArray("GET") << QByteArray("/api/v1/pools/nope") << QByteArray() << QStringLiteral("pool");
    QTest::newRow("server") << QByteArray("GET") << QByteArray("/api/v1/pools/web/servers/nope") << QByteArray() << QStringLiteral("server");
    QTest::newRow("server weight") << QByteArray("PUT") << QByteArray("/api/v1/pools/web/servers/nope/weight") << QByteArray(R"({"weight": 1})") << QStringLiteral("server");
    QTest::newRow("pool state") << QByteArray("PUT") << QByteArray("/api/v1/pools/nope/servers/app1/state") << QByteArray(R"({"state": "drain"})") << QStringLiteral("pool");
    QTest::newRow("endpoint") << QByteArray("GET") << QByteArray("/api/v1/locks/nope") << QByteArray() << QStringLiteral("endpoint");
    QTest::newRow("release endpoint") << QByteArray("POST") << QByteArray("/api/v1/locks/nope/release") << QByteArray(R"({"key": "k", "holder": "h"})") << QStringLiteral("endpoint");
    QTest::newRow("health pool") << QByteArray("GET") << QByteArray("/api/v1/health-events?pool=nope") << QByteArray() << QStringLiteral("pool");
    QTest::newRow("path") << QByteArray("GET") << QByteArray("/api/v1/nothing") << QByteArray() << QString();
    QTest::newRow("root") << QByteArray("GET") << QByteArray("/") << QByteArray() << QString();
}

void TestAdminApi::unknownNames()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QString, field);
    const SimpleHttpResponse r = request(method, path, body);
    QCOMPARE(r.status, 404);
    const QJsonObject o = json(r);
    QVERIFY(!o.value(QStringLiteral("error")).toString().isEmpty());
    QCOMPARE(o.value(QStringLiteral("field")).toString(), field);
}

void TestAdminApi::badBodies_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("field");
    const QByteArray weight = "/api/v1/pools/web/servers/app1/weight";
    const QByteArray state = "/api/v1/pools/web/servers/app1/state";
    const QByteArray release = "/api/v1/locks/cache/release";
    QTest::newRow("weight: malformed JSON") << QByteArray("PUT") << weight << QByteArray(R"({"weight": )") << 400 << QStringLiteral("body");
    QTest::newRow("weight: array") << QByteArray("PUT") << weight << QByteArray("[1]") << 400 << QStringLiteral("body");
    QTest::newRow("weight: empty") << QByteArray("PUT") << weight << QByteArray("") << 400 << QStringLiteral("body");
    QTest::newRow("weight: string") << QByteArray("PUT") << weight << QByteArray(R"({"weight": "5"})") << 400 << QStringLiteral("weight");
    QTest::newRow("weight: negative") << QByteArray("PUT") << weight << QByteArray(R"({"weight": -1})") << 400 << QStringLiteral("weight");
    QTest::newRow("weight: too big") << QByteArray("PUT") << weight << QByteArray(R"({"weight": 10001})") << 400 << QStringLiteral("weight");
    QTest::newRow("weight: fraction") << QByteArray("PUT") << weight << QByteArray(R"({"weight": 2.5})") << 400 << QStringLiteral("weight");
    QTest::newRow("weight: missing") << QByteArray("PUT") << weight << QByteArray(R"({"wieght": 2})") << 400 << QStringLiteral("weight");
    QTest::newRow("state: unknown") << QByteArray("PUT") << state << QByteArray(R"({"state": "down"})") << 400 << QStringLiteral("state");
    QTest::newRow("state: number") << QByteArray("PUT") << state << QByteArray(R"({"state": 1})") << 400 << QStringLiteral("state");
    QTest::newRow("release: malformed") << QByteArray("POST") << release << QByteArray("{nope") << 400 << QStringLiteral("body");
    QTest::newRow("release: no holder") << QByteArray("POST") << release << QByteArray(R"({"key": "lock:a"})") << 400 << QStringLiteral("holder");
    QTest::newRow("release: no key") << QByteArray("POST") << release << QByteArray(R"({"holder": "x"})") << 400 << QStringLiteral("key");
    QTest::newRow("release: bad escape") << QByteArray("POST") << release << QByteArray(R"({"key": "lock:\\xZZ", "holder": "x"})") << 400 << QStringLiteral("key");
    QTest::newRow("weight: GET only on server") << QByteArray("POST") << QByteArray("/api/v1/pools/web/servers/app1") << QByteArray("{}") << 405 << QString();
    QTest::newRow("weight: wrong method") << QByteArray("POST") << weight << QByteArray(R"({"weight": 2})") << 405 << QString();
    QTest::newRow("limit") << QByteArray("GET") << QByteArray("/api/v1/events?limit=abc") << QByteArray() << 400 << QStringLiteral("limit");
}

void TestAdminApi::badBodies()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, field);
    const SimpleHttpResponse r = request(method, path, body);
    QCOMPARE(r.status, status);
    QCOMPARE(json(r).value(QStringLiteral("field")).toString(), field);
    QVERIFY(!json(r).value(QStringLiteral("error")).toString().isEmpty());
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app1")).value(QStringLiteral("weight")).toInt(), 10);
}

void TestAdminApi::setWeightAndState()
{
    SimpleHttpResponse r = request("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 7})");
    QCOMPARE(r.status, 200);
    QCOMPARE(json(r).value(QStringLiteral("weight")).toInt(), 7);
    r = request("PUT", "/api/v1/pools/web/servers/app2/state", R"({"state": "drain"})");
    QCOMPARE(r.status, 200);
    QCOMPARE(json(r).value(QStringLiteral("state_text")).toString(), QStringLiteral("drain"));
    // Drained: no new requests reach app2.
    SimpleHttpConnection client(m_proxyPort);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(client.get("/").header("x-served-by"), QByteArray("app1"));
    r = request("PUT", "/api/v1/pools/web/servers/app2/state", R"({"state": "ready"})");
    QCOMPARE(r.status, 200);
    QCOMPARE(json(r).value(QStringLiteral("admin_state")).toString(), QStringLiteral("ready"));
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 10})").status, 200);
}

void TestAdminApi::eventsHealthEventsAndAudit()
{
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app1/state", R"({"state": "maint"})").status, 200);
    // fulcrumd's log says a health change once (the checker's own log line said it again).
    QString log;
    QTRY_VERIFY_WITH_TIMEOUT((log += QString::fromUtf8(m_fulcrumd.readAllStandardError()), log.contains(u"app1: up → maint")), 5000);
    QTest::qWait(200);
    log += QString::fromUtf8(m_fulcrumd.readAllStandardError());
    QVERIFY2(log.count(u"app1: up → maint") == 1 && log.contains(u"fulcrumd: info [health] web: app1: up → maint"), qPrintable(log));
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app1/state", R"({"state": "ready"})").status, 200);
    const QJsonArray events = json(request("GET", "/api/v1/events?limit=50")).value(QStringLiteral("events")).toArray();
    QVERIFY(!events.isEmpty());
    QVERIFY(events.size() <= 50);
    QVERIFY(!events.last().toObject().value(QStringLiteral("text")).toString().isEmpty());
    const QJsonArray health = json(request("GET", "/api/v1/health-events?pool=web")).value(QStringLiteral("events")).toArray();
    bool sawMaint = false;
    for (const QJsonValue &v : health)
        sawMaint |= v.toObject().value(QStringLiteral("to")).toString() == u"maint" && v.toObject().value(QStringLiteral("kind")).toString() == u"operator";
    QVERIFY(sawMaint);
    const QJsonArray audit = json(request("GET", "/api/v1/audit")).value(QStringLiteral("entries")).toArray();
    QVERIFY(audit.size() >= 2);
    const QJsonObject last = audit.last().toObject();
    QCOMPARE(last.value(QStringLiteral("action")).toString(), QStringLiteral("set-state"));
    QCOMPARE(last.value(QStringLiteral("user")).toString(), QStringLiteral("tester"));
    QVERIFY(last.value(QStringLiteral("origin")).toString().startsWith(u"admin-api"));
}

void TestAdminApi::locksListAndRelease()
{
    m_redis->command({"SET", "lock:orders", "worker-7", "PX", "60000"});
    auto listed = [this] {
        for (const QJsonValue &v : json(request("GET", "/api/v1/locks/cache")).value(QStringLiteral("locks")).toArray()) {
            if (v.toObject().value(QStringLiteral("key")).toString() == u"lock:orders")
                return v.toObject().value(QStringLiteral("holder")).toString();
        }
        return QString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(listed(), QStringLiteral("worker-7"), 5000);
    const QJsonArray endpoints = json(request("GET", "/api/v1/locks")).value(QStringLiteral("endpoints")).toArray();
    QCOMPARE(endpoints.size(), 1);
    QCOMPARE(endpoints.first().toObject().value(QStringLiteral("connection")).toString(), QStringLiteral("connected"));

    m_redis->command({"SET", "lock:orders", "worker-8"});
    SimpleHttpResponse r = request("POST", "/api/v1/locks/cache/release", R"({"key": "lock:orders", "holder": "worker-7"})");
    QCOMPARE(r.status, 409);
    QCOMPARE(json(r).value(QStringLiteral("current_holder")).toString(), QStringLiteral("worker-8"));
    QCOMPARE(json(r).value(QStringLiteral("field")).toString(), QStringLiteral("holder"));
    QCOMPARE(m_redis->command({"GET", "lock:orders"}).string, QByteArrayLiteral("worker-8"));
    r = request("POST", "/api/v1/locks/cache/release", R"({"key": "lock:orders", "holder": "worker-8"})");
    QCOMPARE(r.status, 200);
    QCOMPARE(json(r).value(QStringLiteral("result")).toString(), QStringLiteral("released"));
    QCOMPARE(m_redis->command({"EXISTS", "lock:orders"}).integer, 0);
    r = request("POST", "/api/v1/locks/cache/release", R"({"key": "lock:orders", "holder": "worker-8"})");
    QCOMPARE(r.status, 404);
    QCOMPARE(json(r).value(QStringLiteral("result")).toString(), QStringLiteral("gone"));
    const QJsonArray audit = json(request("GET", "/api/v1/audit?limit=3")).value(QStringLiteral("entries")).toArray();
    QCOMPARE(audit.size(), 3);
    QCOMPARE(audit.at(1).toObject().value(QStringLiteral("action")).toString(), QStringLiteral("force-release"));
    QCOMPARE(audit.at(1).toObject().value(QStringLiteral("result")).toString(), QStringLiteral("ok"));
}

void TestAdminApi::streamDeliversChanges()
{
    QTcpSocket stream;
    stream.connectToHost(QHostAddress::LocalHost, m_adminPort);
    QVERIFY(stream.waitForConnected(5000));
    stream.write("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + m_token + "\r\n\r\n");
    QByteArray received;
    auto readUntil = [&](const std::function<bool()> &done) {
        QDeadlineTimer deadline(10'000);
        while (!done() && !deadline.hasExpired() && stream.state() == QAbstractSocket::ConnectedState) {
            stream.waitForReadyRead(100);
            received += stream.readAll();
        }
        return done();
    };
    QVERIFY(readUntil([&] { return received.contains("event: snapshot\ndata: "); }));
    QVERIFY(received.startsWith("HTTP/1.1 200"));
    QVERIFY(received.contains("Content-Type: text/event-stream"));

    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 4})").status, 200);
    // A snapshot with the new weight, and the operator event, arrive without asking.
    auto snapshotHasWeight = [&] {
        for (const QByteArray &message : received.split('\n')) {
            if (!message.startsWith("data: {\"listeners\"") && !message.contains("\"sequence\""))
                continue;
            const QJsonObject snapshot = QJsonDocument::fromJson(message.mid(6)).object();
            for (const QJsonValue &pool : snapshot.value(QStringLiteral("pools")).toArray()) {
                for (const QJsonValue &server : pool.toObject().value(QStringLiteral("servers")).toArray()) {
                    if (server.toObject().value(QStringLiteral("name")).toString() == u"app2" && server.toObject().value(QStringLiteral("weight")).toInt() == 4)
                        return true;
                }
            }
        }
        return false;
    };
    QVERIFY(readUntil(snapshotHasWeight));
    QVERIFY(readUntil([&] { return received.contains("event: event\ndata: ") && received.contains("set weight of web/app2"); }));
    // The structured audit entry comes too, before its event; and lock tables after every pass.
    const QByteArray audit = "event: audit\ndata: ";
    QVERIFY(readUntil([&] { return received.contains(audit); }));
    const qsizetype at = received.indexOf(audit) + audit.size();
    const QJsonObject entry = QJsonDocument::fromJson(received.mid(at, received.indexOf('\n', at) - at)).object();
    QCOMPARE(entry.value(QStringLiteral("action")).toString(), QStringLiteral("set-weight"));
    QCOMPARE(entry.value(QStringLiteral("target")).toString(), QStringLiteral("web/app2"));
    QCOMPARE(entry.value(QStringLiteral("after")).toString(), QStringLiteral("4"));
    QVERIFY(received.indexOf(audit) < received.indexOf("set weight of web/app2"));
    QVERIFY(readUntil([&] { return received.contains("event: locks\ndata: {") && received.contains("\"name\":\"cache\""); }));
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 10})").status, 200);
}

void TestAdminApi::metricsParse()
{
    m_redis->command({"SET", "lock:metrics", "m", "PX", "60000"});
    SimpleHttpConnection client(m_proxyPort);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(client.get("/").status, 200);
    QList<Metric> metrics;
    QString error;
    bool found = false;
    QTRY_VERIFY_WITH_TIMEOUT((metrics.clear(), parseMetrics(request("GET", "/metrics").body, &metrics, &error)
                              && metricValue(metrics, QStringLiteral("fulcrum_locks"), {{QStringLiteral("endpoint"), QStringLiteral("cache")}}, &found) >= 1),
                             5000);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const SimpleHttpResponse r = request("GET", "/metrics");
    QVERIFY(r.header("content-type").startsWith("text/plain; version=0.0.4"));
    const QMap<QString, QString> app1{{QStringLiteral("pool"), QStringLiteral("web")}, {QStringLiteral("server"), QStringLiteral("app1")}};
    QCOMPARE(metricValue(metrics, QStringLiteral("fulcrum_server_weight"), app1, &found), 10.0);
    QVERIFY(found);
    QVERIFY(metricValue(metrics, QStringLiteral("fulcrum_server_requests_total"), app1, &found) > 0);
    QCOMPARE(metricValue(metrics, QStringLiteral("fulcrum_server_state"), {{QStringLiteral("server"), QStringLiteral("app1")}, {QStringLiteral("state"), QStringLiteral("up")}}, &found), 1.0);
    metricValue(metrics, QStringLiteral("fulcrum_server_responses_total"), {{QStringLiteral("server"), QStringLiteral("app1")}, {QStringLiteral("class"), QStringLiteral("2xx")}}, &found);
    QVERIFY(found);
    metricValue(metrics, QStringLiteral("fulcrum_lock_held_seconds_max"), {{QStringLiteral("endpoint"), QStringLiteral("cache")}}, &found);
    QVERIFY(found);
    // The one worker holds at least the client above (still open), and has no other to hand to.
    const QMap<QString, QString> worker0{{QStringLiteral("worker"), QStringLiteral("0")}};
    QVERIFY(metricValue(metrics, QStringLiteral("fulcrum_worker_connections"), worker0, &found) >= 1);
    QVERIFY(found);
    QCOMPARE(metricValue(metrics, QStringLiteral("fulcrum_worker_handoffs_total"), worker0, &found), 0.0);
    QVERIFY(found);
    // Histogram buckets are cumulative and end at the count.
    double previous = 0;
    int buckets = 0;
    for (const Metric &m : metrics) {
        if (m.name != u"fulcrum_server_response_seconds_bucket" || m.labels.value(QStringLiteral("server")) != u"app1")
            continue;
        QVERIFY(m.value >= previous);
        previous = m.value;
        ++buckets;
        if (m.labels.value(QStringLiteral("le")) == u"+Inf")
            QCOMPARE(m.value, metricValue(metrics, QStringLiteral("fulcrum_server_response_seconds_count"), app1, &found));
    }
    QCOMPARE(buckets, 14);
    QVERIFY(previous > 0);
}

void TestAdminApi::malformedHttpDoesNotCrash()
{
    const QList<QByteArray> garbage{
        "GARBAGE\r\n\r\n",
        "GET /api/v1/pools HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "PUT /api/v1/pools/web/servers/app1/weight HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer " + m_token + "\r\n\r\n0\r\n\r\n",
        "PUT /api/v1/pools/web/servers/app1/weight HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\nAuthorization: Bearer " + m_token + "\r\n\r\n",
        "GET /" + QByteArray(40'000, 'a') + " HTTP/1.1\r\n\r\n",
        "GET /api/v1/pools/%ZZ%00/servers/%2F HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + m_token + "\r\n\r\n",
    };
    for (const QByteArray &raw : garbage) {
        SimpleHttpConnection connection(m_adminPort);
        const SimpleHttpResponse r = connection.exchange(raw);
        QVERIFY2(r.status >= 400 && r.status < 500, qPrintable(QStringLiteral("%1 for %2").arg(r.status).arg(QString::fromLatin1(raw.left(60)))));
    }
    QCOMPARE(request("GET", "/api/v1/pools").status, 200);
}

void TestAdminApi::floodOfSilentAndTricklingConnectionsCannotLockOperatorsOut()
{
    // What a load probe found: connections that never send a request, or send a byte now and
    // then, used to fill every slot of the admin API and reset the operator's. Now a newcomer
    // always gets a slot (the oldest connection without a token makes room) and a request must
    // be complete within a few seconds of its start, whatever trickles in.
    std::vector<std::unique_ptr<QTcpSocket>> silent;
    std::vector<std::unique_ptr<QTcpSocket>> trickling;
    const auto open = [this](std::vector<std::unique_ptr<QTcpSocket>> &into, int count) {
        for (int i = 0; i < count; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, m_adminPort);
            into.push_back(std::move(socket));
        }
        for (auto &socket : into)
            socket->waitForConnected(5000);
        // On a loaded machine some connects wait in the kernel's backlog past that: they are
        // left out (aborted), the flood is what did connect.
        std::erase_if(into, [](const std::unique_ptr<QTcpSocket> &socket) {
            if (socket->state() == QAbstractSocket::ConnectedState)
                return false;
            socket->abort();
            return true;
        });
    };
    open(silent, 300);
    open(trickling, 100);
    // More than one address's share of the slots (128), so that the server had to make room.
    QVERIFY2(silent.size() + trickling.size() > 128, qPrintable(QStringLiteral("%1 + %2 connected").arg(silent.size()).arg(trickling.size())));
    QVERIFY(!trickling.empty());
    QByteArray partial = "GET /api/v1/pools HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    qsizetype sent = 0;
    const auto trickle = [&] {
        for (auto &socket : trickling) {
            if (socket->state() == QAbstractSocket::ConnectedState)
                socket->write(partial.mid(sent % partial.size(), 1));
        }
        ++sent;
    };
    for (int round = 0; round < 8; ++round) {
        trickle();
        QTest::qWait(250);
        const SimpleHttpResponse r = request("GET", "/api/v1/pools");
        QVERIFY2(r.status == 200, qPrintable(QStringLiteral("round %1: status %2 %3").arg(round).arg(r.status).arg(QString::fromUtf8(r.body))));
    }
    // Every flood connection is closed by the server: the silent ones and, despite their bytes,
    // the trickling ones (answered 408 when they ran out of time rather than out of room).
    const auto allClosed = [&] {
        trickle();
        for (const auto *list : {&silent, &trickling}) {
            for (const auto &socket : *list) {
                if (socket->state() != QAbstractSocket::UnconnectedState)
                    return false;
            }
        }
        return true;
    };
    const auto states = [&] {
        QMap<int, int> count;
        for (const auto *list : {&silent, &trickling}) {
            for (const auto &socket : *list)
                ++count[int(socket->state())];
        }
        QStringList parts;
        for (auto it = count.cbegin(); it != count.cend(); ++it)
            parts.append(QStringLiteral("state %1: %2").arg(it.key()).arg(it.value()));
        return parts.join(QStringLiteral(", "));
    };
    QTRY_VERIFY2_WITH_TIMEOUT(allClosed(), qPrintable(states()), 30'000);
    bool timedOut = false;
    for (auto &socket : trickling)
        timedOut = timedOut || socket->readAll().startsWith("HTTP/1.1 408");
    QVERIFY(timedOut);
    QCOMPARE(request("GET", "/api/v1/pools").status, 200);
    // A request with a wrong token gets its 401 and its connection closed.
    SimpleHttpConnection wrong(m_adminPort);
    const SimpleHttpResponse refused = wrong.exchange("GET /api/v1/pools HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer nope\r\n\r\n");
    QCOMPARE(refused.status, 401);
    // The operator is told why connections were closed.
    const QJsonArray events = json(request("GET", "/api/v1/events?limit=200")).value(QStringLiteral("events")).toArray();
    bool noticed = false;
    for (const QJsonValue &e : events)
        noticed = noticed || e.toObject().value(QStringLiteral("text")).toString().contains(QStringLiteral("connection limit"));
    QVERIFY2(noticed, qPrintable(QString::fromUtf8(QJsonDocument(events).toJson())));
}

void TestAdminApi::runtimeChangesSurviveReloadAndRestart()
{
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 3})").status, 200);
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app1/state", R"({"state": "maint"})").status, 200);
    QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("state/runtime-state.json"))));

    ::kill(pid_t(m_fulcrumd.processId()), SIGHUP);
    QString log;
    QTRY_VERIFY_WITH_TIMEOUT((log += QString::fromUtf8(m_fulcrumd.readAllStandardError()), log.contains(u"reloaded")), 5000);
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app2")).value(QStringLiteral("weight")).toInt(), 3);
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app1")).value(QStringLiteral("state_text")).toString(), QStringLiteral("maint"));

    const QByteArray tokenBefore = m_token;
    stopFulcrumd();
    log.clear();
    QVERIFY2(startFulcrumd(&log), qPrintable(log));
    QCOMPARE(m_token, tokenBefore);
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app2")).value(QStringLiteral("weight")).toInt(), 3);
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app1")).value(QStringLiteral("state_text")).toString(), QStringLiteral("maint"));
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app1")).value(QStringLiteral("weight")).toInt(), 10);
    // The restart's event says where app1's maint came from: not an operator's action now.
    QStringList said;
    for (const QJsonValue &e : json(request("GET", "/api/v1/events?limit=200")).value(QStringLiteral("events")).toArray()) {
        const QString text = e.toObject().value(QStringLiteral("text")).toString();
        if (text.contains(u"app1") && text.contains(u"operator: maint"))
            said << text;
    }
    QVERIFY2(said.join(u'\n').contains(QStringLiteral("operator: maint, kept in %1").arg(m_dir.filePath(QStringLiteral("state/runtime-state.json")))),
             qPrintable(said.join(u'\n')));
}

// `backends set-state … drain --wait`: a maintenance script's "drain, then stop it when it is
// empty", against requests really held by the server; and ACTIVE in the table.
void TestAdminApi::drainWaitsForRequestsInFlight()
{
    const QString engine = QStringLiteral("http://127.0.0.1:%1").arg(m_adminPort);
    const QString tokenFile = m_dir.filePath(QStringLiteral("state/admin.token"));
    auto ctl = [&](const QStringList &arguments) {
        return runProgram(binaryPath(QStringLiteral("fulcrumctl")), arguments + QStringList{QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile},
                          QProcessEnvironment::systemEnvironment(), {}, 30'000);
    };
    auto inFlight = [&](const QByteArray &server) {
        return json(request("GET", "/api/v1/pools/web/servers/" + server)).value(QStringLiteral("in_flight")).toInt();
    };
    // Requests the servers hold for a while, sent without waiting for their answers.
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    auto send = [&](int count) {
        std::vector<std::unique_ptr<QTcpSocket>> sent = sendWithoutWaiting(m_proxyPort, count, "/cart");
        QCOMPARE(int(sent.size()), count);
        std::move(sent.begin(), sent.end(), std::back_inserter(clients));
    };
    m_app1->backend().setLatency(1500);
    m_app2->backend().setLatency(1500);
    send(4);
    QTRY_VERIFY_WITH_TIMEOUT(inFlight("app1") > 0, 5000);
    const ProgramRun table = ctl({QStringLiteral("backends")});
    const QStringList lines = table.out.split(u'\n');
    const QString header = lines.filter(QStringLiteral("ACTIVE")).value(0);
    const QString app1Row = lines.filter(QStringLiteral("  app1 ")).value(0);
    QVERIFY2(!header.isEmpty() && app1Row.mid(header.indexOf(u"ACTIVE"), 6).trimmed().toInt() > 0, qPrintable(table.out));

    const ProgramRun drained = ctl({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app1"), QStringLiteral("drain"),
                                    QStringLiteral("--wait"), QStringLiteral("10s"), QStringLiteral("--yes")});
    QVERIFY2(drained.exitCode == 0, qPrintable(drained.out + drained.err));
    QVERIFY2(drained.out.contains(u"request(s) in flight, waiting (up to 10s)") && drained.out.contains(u"web/app1: no request in flight after "),
             qPrintable(drained.out));
    QCOMPARE(inFlight("app1"), 0);
    QCOMPARE(ctl({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app1"), QStringLiteral("ready")}).exitCode, 0);

    // Not empty in time: exit 6, nothing claimed.
    m_app1->backend().setLatency(4000);
    m_app2->backend().setLatency(4000);
    send(4);
    QTRY_VERIFY_WITH_TIMEOUT(inFlight("app1") > 0, 5000);
    const ProgramRun busy = ctl({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app1"), QStringLiteral("maint"),
                                 QStringLiteral("--wait"), QStringLiteral("300ms"), QStringLiteral("--yes")});
    QVERIFY2(busy.exitCode == 6, qPrintable(busy.out + busy.err));
    QVERIFY2(busy.err.contains(u"web/app1 still has ") && busy.err.contains(u"not safe to stop yet") && !busy.out.contains(u"safe to stop it"),
             qPrintable(busy.out + busy.err));
    const ProgramRun wrong = ctl({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app1"), QStringLiteral("ready"),
                                  QStringLiteral("--wait"), QStringLiteral("1s")});
    QCOMPARE(wrong.exitCode, 2);
    QVERIFY2(wrong.err.contains(u"--wait goes with drain or maint"), qPrintable(wrong.err));
    // A mistyped state is named as such, not as a state --wait does not go with.
    const ProgramRun mistyped = ctl({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app1"), QStringLiteral("drian"),
                                     QStringLiteral("--wait"), QStringLiteral("1s")});
    QCOMPARE(mistyped.exitCode, 2);
    QVERIFY2(mistyped.err.contains(u"state \"drian\" must be ready, drain or maint"), qPrintable(mistyped.err));
    QCOMPARE(ctl({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app1"), QStringLiteral("ready")}).exitCode, 0);
    m_app1->backend().setLatency(0);
    m_app2->backend().setLatency(0);
    QTRY_VERIFY_WITH_TIMEOUT(inFlight("app1") == 0 && inFlight("app2") == 0, 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(json(request("GET", "/api/v1/pools/web/servers/app1")).value(QStringLiteral("state")).toString() == u"up", 10'000);
}

void TestAdminApi::fulcrumctlThroughEngine()
{
    const QString engine = QStringLiteral("http://127.0.0.1:%1").arg(m_adminPort);
    const QString tokenFile = m_dir.filePath(QStringLiteral("state/admin.token"));
    auto run = [&](const QStringList &arguments, const QByteArray &envToken = {}) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("FULCRUM_TOKEN"));
        if (!envToken.isEmpty())
            env.insert(QStringLiteral("FULCRUM_TOKEN"), QString::fromLatin1(envToken));
        const ProgramRun r = runProgram(binaryPath(QStringLiteral("fulcrumctl")), arguments, env, {}, 15'000);
        return std::make_tuple(r.exitCode, r.out, r.err);
    };
    auto [code, out, err] = run({QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile});
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY(out.contains(u"app1") && out.contains(u"app2"));
    // What issue 4 asks of the table: state, set and effective weight, last check, time in state.
    for (const char16_t *column : {u"STATE", u"IN STATE", u"WEIGHT", u"LAST CHECK"})
        QVERIFY2(out.contains(QStringView(column)), qPrintable(out));
    // The last check, or why there is none.
    const QString b1Line = out.split(u'\n').filter(QStringLiteral("  batch-eu-west-1a-01 ")).value(0);
    QVERIFY2(b1Line.endsWith(u"checks off"), qPrintable(out));
    // A pool's own timeouts beside its algorithm; the proxy's are not repeated per pool.
    QVERIFY2(out.contains(QStringLiteral("pool batch (weighted-round-robin, connect_timeout 1.5s, max_body_bytes 1048576, keepalive_timeout 4s, max_idle_per_server 0, "
                                            "keepalive_requests 500, keepalive_time 10m)")),
             qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("pool web (weighted-round-robin)")), qPrintable(out));
    // The columns line up whatever the names' lengths (a 19-character name pushed its row out).
    const QStringList lines = out.split(u'\n', Qt::SkipEmptyParts);
    const qsizetype addressAt = lines.filter(QStringLiteral("SERVER")).value(0).indexOf(u"ADDRESS");
    QVERIFY(addressAt > 0);
    int rows = 0;
    for (const QString &row : lines) {
        if (!row.contains(u"127.0.0.1:"))
            continue;
        ++rows;
        QVERIFY2(row.indexOf(u"127.0.0.1:") == addressAt, qPrintable(out));
    }
    QCOMPARE(rows, 3);
    QVERIFY2(!out.contains(u"- in 0.0 ms"), qPrintable(out));
    // Options alone mean list.
    const QString listed = out;
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile});
    QVERIFY2(code == 0, qPrintable(err));
    QCOMPARE(out.section(u'\n', 0, 0), listed.section(u'\n', 0, 0));
    QVERIFY(out.contains(u"app1") && out.contains(u"app2"));

    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("set-weight"), QStringLiteral("web/app2"), QStringLiteral("6"), QStringLiteral("--engine"), engine}, m_token);
    QVERIFY2(code == 0, qPrintable(err));
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app2")).value(QStringLiteral("weight")).toInt(), 6);
    QCOMPARE(json(request("GET", "/api/v1/audit?limit=1")).value(QStringLiteral("entries")).toArray().first().toObject().value(QStringLiteral("origin")).toString().startsWith(u"admin-api"), true);

    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app2"), QStringLiteral("drain"), QStringLiteral("--engine"), engine}, m_readOnlyToken);
    QCOMPARE(code, 4);
    QVERIFY2(err.contains(u"403") && err.contains(u"read-only"), qPrintable(err));
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/nope"), QStringLiteral("drain"), QStringLiteral("--engine"), engine}, m_token);
    QCOMPARE(code, 1);
    QVERIFY2(err.contains(u"404") && err.contains(u"\"nope\""), qPrintable(err));
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), engine});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(u"FULCRUM_TOKEN"), qPrintable(err));

    // With app1 in maintenance, draining app2 would leave web with no server: the console's
    // question. Without --yes (and without a terminal) nothing is sent, exit 5; --yes applies it.
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app1/state", R"({"state": "maint"})").status, 200);
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app2"), QStringLiteral("drain"),
                                    QStringLiteral("--engine"), engine}, m_token);
    QCOMPARE(code, 5);
    QVERIFY2(err.contains(u"web will answer 503 to every request") && err.contains(u"--yes") && err.contains(u"nothing changed"), qPrintable(err));
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app2")).value(QStringLiteral("state_text")).toString().section(u',', 0, 0), QStringLiteral("up"));
    // Weight 0 is the same question.
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("set-weight"), QStringLiteral("web/app2"), QStringLiteral("0"),
                                    QStringLiteral("--engine"), engine}, m_token);
    QCOMPARE(code, 5);
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app2")).value(QStringLiteral("weight")).toInt(), 6);   // as set above
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app2"), QStringLiteral("drain"),
                                    QStringLiteral("--engine"), engine, QStringLiteral("--yes")}, m_token);
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(err.contains(u"web will answer 503 to every request"), qPrintable(err));
    QCOMPARE(json(request("GET", "/api/v1/pools/web/servers/app2")).value(QStringLiteral("state_text")).toString(), QStringLiteral("drain"));
    // ... and the engine says so, as a health event of the pool and an error in its event list.
    bool outage = false;
    for (const QJsonValue &v : json(request("GET", "/api/v1/health-events?pool=web")).value(QStringLiteral("events")).toArray()) {
        const QJsonObject e = v.toObject();
        outage |= e.value(QStringLiteral("kind")).toString() == u"outage" && e.value(QStringLiteral("to")).toString() == u"NO SERVER"
                  && e.value(QStringLiteral("server")).toString().isEmpty()
                  && e.value(QStringLiteral("reason")).toString() == u"no server of 2 takes traffic (1 draining, 1 in maintenance): every request gets 503";
    }
    QVERIFY(outage);
    bool said = false;
    for (const QJsonValue &v : json(request("GET", "/api/v1/events?limit=20")).value(QStringLiteral("events")).toArray()) {
        const QJsonObject e = v.toObject();
        said |= e.value(QStringLiteral("severity")).toString() == u"error" && e.value(QStringLiteral("text")).toString().startsWith(u"pool web: serving → NO SERVER");
    }
    QVERIFY(said);
    // The pool itself says it cannot serve, and counts the 503s the proxy answers for it.
    {
        SimpleHttpConnection client(m_proxyPort);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(client.get("/").status, 503);
        QTRY_VERIFY_WITH_TIMEOUT(json(request("GET", "/api/v1/pools/web")).value(QStringLiteral("unserved_total")).toInteger() >= 3, 5000);
        QVERIFY(json(request("GET", "/api/v1/pools/web")).value(QStringLiteral("cannot_serve")).toBool());
    }
    // From an ssh session: the list says it on the pool's line, and no server shows a weight in use.
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), engine}, m_token);
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(out.contains(QStringLiteral("pool web (weighted-round-robin)  NO SERVER: 0/2 up, none takes traffic: 503 to every request")), qPrintable(out));
    QVERIFY2(out.contains(QRegularExpression(QStringLiteral("\\n  app1 +127\\.0\\.0\\.1:\\d+ +maint +\\S+ +0/\\d+ "))), qPrintable(out));
    QVERIFY2(out.contains(QRegularExpression(QStringLiteral("\\n  app2 +127\\.0\\.0\\.1:\\d+ +drain +\\S+ +0/6 "))), qPrintable(out));
    QVERIFY2(out.count(u"NO SERVER") == 1, qPrintable(out));   // pool batch serves
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app2/state", R"({"state": "ready"})").status, 200);
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app1/state", R"({"state": "ready"})").status, 200);
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("web/app2"), QStringLiteral("drain"),
                                    QStringLiteral("--engine"), engine, QStringLiteral("--min-capacity"), QStringLiteral("150")}, m_token);
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(u"--min-capacity \"150\"") && err.contains(u"0 to 100"), qPrintable(err));
    QCOMPARE(std::get<0>(run({QStringLiteral("backends"), QStringLiteral("set-weight"), QStringLiteral("web/app2"), QStringLiteral("10"), QStringLiteral("--engine"), engine}, m_token)), 0);

    std::tie(code, out, err) = run({QStringLiteral("events"), QStringLiteral("--engine"), engine, QStringLiteral("--limit"), QStringLiteral("5")}, m_token);
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY(out.contains(u"set weight of web/app2"));
    // What went wrong lately, without the info lines: the outage above is an error.
    std::tie(code, out, err) = run({QStringLiteral("events"), QStringLiteral("--engine"), engine, QStringLiteral("--since"), QStringLiteral("10m"),
                                    QStringLiteral("--severity"), QStringLiteral("error")}, m_token);
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(out.contains(u"error [health] pool web: serving → NO SERVER"), qPrintable(out));
    for (const QString &line : out.split(u'\n', Qt::SkipEmptyParts))
        QVERIFY2(line.section(u' ', 1, 1) == u"error", qPrintable(out));
    std::tie(code, out, err) = run({QStringLiteral("events"), QStringLiteral("--engine"), engine, QStringLiteral("--severity"), QStringLiteral("warning"),
                                    QStringLiteral("--limit"), QStringLiteral("1000")}, m_token);
    QVERIFY2(code == 0 && !out.contains(u" info ["), qPrintable(out + err));
    // A window with nothing in it says so, on stderr (a script reading stdout gets nothing).
    std::tie(code, out, err) = run({QStringLiteral("events"), QStringLiteral("--engine"), engine, QStringLiteral("--since"), QStringLiteral("1ms"),
                                    QStringLiteral("--severity"), QStringLiteral("error")}, m_token);
    QVERIFY2(code == 0 && out.isEmpty() && err.contains(u"no error event in the last 1ms"), qPrintable(out + err));
    QCOMPARE(request("GET", "/api/v1/events?since=abc").status, 400);
    QCOMPARE(request("GET", "/api/v1/events?severity=loud").status, 400);
    QVERIFY(json(request("GET", "/api/v1/events?severity=warning&limit=1000")).value(QStringLiteral("events")).toArray().size()
            < json(request("GET", "/api/v1/events?limit=1000")).value(QStringLiteral("events")).toArray().size());

    // --follow prints events as they happen, over the SSE stream.
    QProcess follow;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("FULCRUM_TOKEN"), QString::fromLatin1(m_token));
    follow.setProcessEnvironment(env);
    follow.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("events"), QStringLiteral("--engine"), engine, QStringLiteral("--limit"), QStringLiteral("1"), QStringLiteral("--follow")});
    QVERIFY(follow.waitForStarted());
    QString followed;
    QTRY_VERIFY_WITH_TIMEOUT((followed += QString::fromUtf8(follow.readAllStandardOutput()), !followed.isEmpty()), 5000);
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 9})").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT((followed += QString::fromUtf8(follow.readAllStandardOutput()), followed.contains(u"from 10 to 9")), 5000);
    follow.kill();
    follow.waitForFinished();
    QCOMPARE(request("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 10})").status, 200);

    m_redis->command({"SET", "lock:ctl", "holder-1"});
    m_redis->command({"SET", "lock:orders:2026-12-06:checkout-42", "worker-7f3a", "PX", "600000"});
    m_redis->command({"RPUSH", "lock:ctl-queue", "job-1"});
    QTRY_VERIFY_WITH_TIMEOUT((out = std::get<1>(run({QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--engine"), engine, QStringLiteral("--endpoint"), QStringLiteral("cache")}, m_token)),
                              out.contains(u"lock:ctl") && out.contains(u"checkout-42") && out.contains(u"lock:ctl-queue")), 5000);
    // A matched key that is no lock is said under the table, as the console says it.
    QVERIFY2(out.contains(u"\n  not shown: lock:ctl-queue: a list, not a lock"), qPrintable(out));
    m_redis->command({"DEL", "lock:ctl-queue"});
    {
        // A table as `locks list --redis` prints one, with how long the engine has seen each
        // holder: the holders line up under HOLDER whatever the keys' lengths (it was one line
        // per lock, "held 56001 ms", out of line).
        const QStringList lines = out.split(u'\n', Qt::SkipEmptyParts);
        const QString header = lines.filter(QStringLiteral("HELD FOR")).value(0);
        const qsizetype holderAt = header.indexOf(u"HOLDER");
        QVERIFY2(holderAt > 0 && header.contains(u"LOCK") && header.contains(u"TTL"), qPrintable(out));
        const QString ctlRow = lines.filter(QStringLiteral("lock:ctl ")).value(0);
        const QString ordersRow = lines.filter(QStringLiteral("checkout-42")).value(0);
        QCOMPARE(ctlRow.indexOf(u"holder-1"), holderAt);
        QCOMPARE(ordersRow.indexOf(u"worker-7f3a"), holderAt);
        const QRegularExpression cellGap(QStringLiteral("\\s{2,}"));
        const QRegularExpression duration(QStringLiteral("^(\\d+ms|[\\d.]+s|(\\d+[dhm])+(\\d+s)?)$"));
        const QStringList ctlCells = ctlRow.trimmed().split(cellGap);
        const QStringList ordersCells = ordersRow.trimmed().split(cellGap);   // no flag: one cell fewer
        QVERIFY2(ctlCells.size() == 6 && ordersCells.size() == 5, qPrintable(out));
        QCOMPARE(ctlCells[2], QStringLiteral("-"));
        QVERIFY2(ctlCells[4].contains(u"no-expiry"), qPrintable(ctlRow));
        QVERIFY2(ordersCells[2].startsWith(u"10m") || ordersCells[2].startsWith(u"9m"), qPrintable(ordersRow));
        QVERIFY2(duration.match(ctlCells[3]).hasMatch() && duration.match(ordersCells[3]).hasMatch(), qPrintable(out));
        // The endpoint's line says how it is read in a word; why, and the command that would
        // make it live (with this endpoint's name and engine), are lines of their own.
        const QRegularExpression endpointLine(QStringLiteral("^cache \\(redis, redis://127\\.0\\.0\\.1:\\d+/0\\): connected, \\d+ lock\\(s\\), polling$"));
        QVERIFY2(endpointLine.match(lines.value(0)).hasMatch(), qPrintable(out));
        QVERIFY2(lines.value(1).startsWith(u"  why: ") && lines.value(1).contains(u"notify-keyspace-events"), qPrintable(out));
        QCOMPARE(lines.value(2), QStringLiteral("  to follow it live: fulcrumctl locks notifications enable --endpoint cache --engine %1 (turns on notify-keyspace-events Kg$hxe)").arg(engine));
    }
    std::tie(code, out, err) = run({QStringLiteral("locks"), QStringLiteral("release"), QStringLiteral("lock:ctl"), QStringLiteral("--holder"), QStringLiteral("holder-0"),
                                    QStringLiteral("--endpoint"), QStringLiteral("cache"), QStringLiteral("--engine"), engine}, m_token);
    QCOMPARE(code, 3);
    std::tie(code, out, err) = run({QStringLiteral("locks"), QStringLiteral("release"), QStringLiteral("lock:ctl"), QStringLiteral("--holder"), QStringLiteral("holder-1"),
                                    QStringLiteral("--endpoint"), QStringLiteral("cache"), QStringLiteral("--engine"), engine}, m_token);
    QVERIFY2(code == 0, qPrintable(err));
    QCOMPARE(m_redis->command({"EXISTS", "lock:ctl"}).integer, 0);
}

QTEST_GUILESS_MAIN(TestAdminApi)
#include "tst_adminapi.moc"
