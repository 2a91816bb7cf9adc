// docs/admin-api-schema.json against a real fulcrumd: in-process demo backends behind it (one
// failing its checks), a real redis-server with locks of three kinds, and every answer and every
// stream event of the admin API, read over real sockets, validated against its definition.
#include "admin/adminclient.h"
#include "common/wallclock.h"
#include "demobackends.h"
#include "fulcrumdprocess.h"
#include "jsonschema.h"
#include "redisserver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTcpSocket>
#include <QTest>

#include <functional>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

// One answer of the admin API: its status and its body as JSON (an object, or nothing).
struct Answer
{
    int status = 0;
    QJsonValue json;
    QString problem;     // why json is not an object
};

// Every $ref in a schema, with the JSON path it was found at.
void collectRefs(const QJsonValue &value, const QString &where, QList<std::pair<QString, QString>> *out)
{
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (it.key() == u"$ref")
                out->append({where, it.value().toString()});
            else
                collectRefs(it.value(), where + u'.' + it.key(), out);
        }
    } else if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i)
            collectRefs(array[i], where + u'[' + QString::number(i) + u']', out);
    }
}

// Every object schema that does not say whether it allows fields of its own, with its path.
void collectOpenObjects(const QJsonValue &value, const QString &where, QStringList *out)
{
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        if (object.value(QStringLiteral("type")).toString() == u"object" && !object.contains(QStringLiteral("additionalProperties")))
            out->append(where);
        for (auto it = object.begin(); it != object.end(); ++it)
            collectOpenObjects(it.value(), where + u'.' + it.key(), out);
    } else if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i)
            collectOpenObjects(array[i], where + u'[' + QString::number(i) + u']', out);
    }
}

} // namespace

class TestAdminSchema : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void schemaIsWholeAndClosed();
    void validatorCatchesDrift_data();
    void validatorCatchesDrift();
    void changeAnswers();
    void readAnswers_data();
    void readAnswers();
    void errorAnswers_data();
    void errorAnswers();
    void reportAnswerMatchesTheReportSchema();
    void streamEvents();
    void answersWhileRedisIsDown();

private:
    Answer call(const QByteArray &method, const QByteArray &path, const QByteArray &body = {}, const QByteArray &token = "admin") const;
    // Empty when value is what $defs/definition says; else a message naming the source, the
    // definition and the JSON path.
    QString mismatch(const QString &source, const QJsonValue &value, const QString &definition) const;
    // One request: empty when it got `status` and a body that is $defs/definition; else what went wrong.
    QString answerMismatch(const QByteArray &method, const QByteArray &path, const QByteArray &body, int status, const QString &definition) const;

    QJsonObject m_schema;
    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<InProcessDemoBackend> m_app2;
    std::unique_ptr<InProcessDemoBackend> m_app3;     // its /health answers 503: checks fail
    std::unique_ptr<RedisServer> m_redis;
    std::unique_ptr<FulcrumdProcess> m_fulcrumd;
};

Answer TestAdminSchema::call(const QByteArray &method, const QByteArray &path, const QByteArray &body, const QByteArray &token) const
{
    QByteArray raw = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fulcrum-User: schema-test\r\n";
    if (token == "admin")
        raw += "Authorization: Bearer " + m_fulcrumd->token() + "\r\n";
    else if (token == "viewer")
        raw += "Authorization: Bearer " + m_fulcrumd->readOnlyToken() + "\r\n";
    if (!body.isNull())
        raw += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    raw += "\r\n" + body;
    SimpleHttpConnection connection(m_fulcrumd->adminPort(), 30'000);
    const SimpleHttpResponse response = connection.exchange(raw);
    Answer answer;
    answer.status = response.status;
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(response.body, &error);
    if (document.isObject())
        answer.json = document.object();
    else
        answer.problem = QStringLiteral("%1 %2: status %3, the body is not a JSON object (%4): %5")
                             .arg(QString::fromLatin1(method), QString::fromUtf8(path), QString::number(response.status), error.errorString(),
                                  QString::fromUtf8(response.body.left(200)) + response.error);
    return answer;
}

QString TestAdminSchema::mismatch(const QString &source, const QJsonValue &value, const QString &definition) const
{
    QString error;
    const QJsonObject ref{{QStringLiteral("$ref"), QStringLiteral("#/$defs/") + definition}};
    if (validateJson(value, ref, m_schema, QStringLiteral("$"), &error))
        return {};
    return QStringLiteral("%1 (as $defs/%2): %3").arg(source, definition, error);
}

QString TestAdminSchema::answerMismatch(const QByteArray &method, const QByteArray &path, const QByteArray &body, int status, const QString &definition) const
{
    const Answer answer = call(method, path, body);
    const QString source = QStringLiteral("%1 %2 %3").arg(QString::fromLatin1(method), QString::fromUtf8(path), QString::fromUtf8(body)).trimmed();
    if (!answer.problem.isEmpty())
        return answer.problem;
    if (answer.status != status)
        return QStringLiteral("%1: status %2, expected %3: %4")
            .arg(source, QString::number(answer.status), QString::number(status), QString::fromUtf8(QJsonDocument(answer.json.toObject()).toJson()));
    return mismatch(source, answer.json, definition);
}

void TestAdminSchema::initTestCase()
{
    QFile schemaFile(QStringLiteral(FULCRUM_SOURCE_DIR "/docs/admin-api-schema.json"));
    QVERIFY(schemaFile.open(QIODevice::ReadOnly));
    QJsonParseError parseError;
    m_schema = QJsonDocument::fromJson(schemaFile.readAll(), &parseError).object();
    QVERIFY2(parseError.error == QJsonParseError::NoError, qPrintable(parseError.errorString()));

    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    m_app2 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app2"));
    m_app3 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app3"));
    QVERIFY(m_app1->isListening() && m_app2->isListening() && m_app3->isListening());
    m_app3->backend().setHealth(DemoHealthMode::Unavailable);

    // Without keyspace notifications: the endpoint polls and says what it needs until the
    // stream test enables them.
    m_redis = std::make_unique<RedisServer>();
    QString error;
    QVERIFY2(m_redis->start(&error), qPrintable(error));
    const QByteArray uuid = "0b6e1d62-1f35-4f0b-9b58-49f4c3b0a1aa";
    m_redis->pipeline({{"SET", "lock:orders", "worker-7", "NX", "PX", "600000"},
                       {"SET", "lock:forever", "cron-1", "NX"},
                       {"SET", "lock:release", "holder-1", "PX", "600000"},
                       {"HSET", "lock:redisson", uuid + ":42", "3"},
                       {"PEXPIRE", "lock:redisson", "600000"},
                       {"HSET", "app:lock:rw", "mode", "write", uuid + ":7:write", "1"}});

    FulcrumdProcess::Options options;
    options.servers = {{QStringLiteral("app1"), m_app1->port()}, {QStringLiteral("app2"), m_app2->port()}, {QStringLiteral("app3"), m_app3->port()}};
    options.redisPort = m_redis->port();
    options.routes = QJsonArray{QJsonObject{{QStringLiteral("prefix"), QStringLiteral("/api/")}, {QStringLiteral("pool"), options.pool}},   // the snapshot's listener routes
                                QJsonObject{{QStringLiteral("host"), QStringLiteral("*.shop.test")}, {QStringLiteral("pool"), options.pool}}};
    m_fulcrumd = std::make_unique<FulcrumdProcess>(options);
    QString log;
    QVERIFY2(m_fulcrumd->start(&log), qPrintable(log));

    // Something in every list: a server down by its checks, locks of every kind, traffic in
    // the history.
    QTRY_COMPARE_WITH_TIMEOUT(m_fulcrumd->server(QStringLiteral("app3")).value(QStringLiteral("state")).toString(), QStringLiteral("down"), 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(m_fulcrumd->request("GET", "/api/v1/locks/cache").value(QStringLiteral("lock_count")).toInt() >= 5, 15'000);
    SimpleHttpConnection client(m_fulcrumd->proxyPort());
    for (int i = 0; i < 10; ++i)
        QCOMPARE(client.get("/").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(!m_fulcrumd->request("GET", "/api/v1/history?since=15m").value(QStringLiteral("servers")).toArray().isEmpty(), 15'000);
}

void TestAdminSchema::cleanupTestCase()
{
    m_fulcrumd.reset();
    m_redis.reset();
    m_app3.reset();
    m_app2.reset();
    m_app1.reset();
}

void TestAdminSchema::schemaIsWholeAndClosed()
{
    const QJsonObject defs = m_schema.value(QStringLiteral("$defs")).toObject();
    // Every $ref names a definition (the validator refuses the others too, but only when a
    // value reaches them).
    QList<std::pair<QString, QString>> refs;
    collectRefs(m_schema, QStringLiteral("$"), &refs);
    QVERIFY(refs.size() > 20);
    for (const auto &[where, ref] : std::as_const(refs))
        QVERIFY2(ref.startsWith(u"#/$defs/") && defs.value(ref.section(u'/', -1)).isObject(), qPrintable(QStringLiteral("%1: $ref %2").arg(where, ref)));
    // Every object says whether it allows other fields: a new definition cannot let drift
    // through by forgetting to.
    QStringList open;
    collectOpenObjects(m_schema, QStringLiteral("$"), &open);
    QVERIFY2(open.isEmpty(), qPrintable(open.join(QStringLiteral(", "))));
    // An endpoint with rows is the endpoint without them plus the rows.
    const QJsonObject summary = defs.value(QStringLiteral("lock_endpoint_summary")).toObject().value(QStringLiteral("properties")).toObject();
    const QJsonObject full = defs.value(QStringLiteral("lock_endpoint")).toObject().value(QStringLiteral("properties")).toObject();
    for (auto it = summary.begin(); it != summary.end(); ++it)
        QVERIFY2(full.value(it.key()) == it.value(), qPrintable(it.key()));
    const QStringList fullKeys = full.keys();
    const QStringList summaryKeys = summary.keys();
    QCOMPARE(QSet<QString>(fullKeys.begin(), fullKeys.end()) - QSet<QString>(summaryKeys.begin(), summaryKeys.end()),
             (QSet<QString>{QStringLiteral("locks"), QStringLiteral("notes"), QStringLiteral("notes_omitted")}));
    // One definition per stream event.
    for (const char *event : {"snapshot", "locks", "lock_changes", "audit", "event", "health"})
        QVERIFY2(defs.contains(QStringLiteral("stream_") + QLatin1StringView(event)), event);
}

void TestAdminSchema::validatorCatchesDrift_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("definition");
    QTest::addColumn<QJsonObject>("value");
    QTest::addColumn<QString>("expected");   // in the validator's message; empty: valid

    const QString serverSource = QStringLiteral("GET /api/v1/pools/web/servers/app1");
    const QJsonObject server = m_fulcrumd->server(QStringLiteral("app1"));
    const QJsonObject pools = m_fulcrumd->request("GET", "/api/v1/pools");
    QVERIFY(!server.isEmpty() && !pools.isEmpty());
    const auto edited = [](QJsonObject object, const std::function<void(QJsonObject &)> &edit) {
        edit(object);
        return object;
    };
    const auto lastCheckAt = [&](const QJsonValue &at) {
        return edited(server, [&](QJsonObject &o) {
            QJsonObject check = o.value(QStringLiteral("last_check")).toObject();
            check.insert(QStringLiteral("at"), at);
            o.insert(QStringLiteral("last_check"), check);
        });
    };
    QTest::newRow("as served") << serverSource << QStringLiteral("server") << server << QString();
    QTest::newRow("unknown field") << serverSource << QStringLiteral("server")
                                   << edited(server, [](QJsonObject &o) { o.insert(QStringLiteral("surprise"), 1); }) << QStringLiteral("$: field surprise is not in the schema");
    QTest::newRow("required field missing") << serverSource << QStringLiteral("server")
                                            << edited(server, [](QJsonObject &o) { o.remove(QStringLiteral("effective_weight")); })
                                            << QStringLiteral("$: missing required field effective_weight");
    QTest::newRow("wrong type") << serverSource << QStringLiteral("server")
                                << edited(server, [](QJsonObject &o) { o.insert(QStringLiteral("weight"), QStringLiteral("10")); }) << QStringLiteral("$.weight: expected integer");
    QTest::newRow("fraction for an integer") << serverSource << QStringLiteral("server")
                                             << edited(server, [](QJsonObject &o) { o.insert(QStringLiteral("weight"), 2.5); }) << QStringLiteral("$.weight: expected integer");
    QTest::newRow("state not in the enum") << serverSource << QStringLiteral("server")
                                           << edited(server, [](QJsonObject &o) { o.insert(QStringLiteral("state"), QStringLiteral("sideways")); })
                                           << QStringLiteral("$.state: \"sideways\" is not one of");
    QTest::newRow("unknown nested field") << serverSource << QStringLiteral("server")
                                          << edited(server, [](QJsonObject &o) {
                                                 QJsonObject check = o.value(QStringLiteral("last_check")).toObject();
                                                 check.insert(QStringLiteral("extra"), true);
                                                 o.insert(QStringLiteral("last_check"), check);
                                             })
                                          << QStringLiteral("$.last_check: field extra is not in the schema");
    // last_check.at (a time, or null before the first check) is optional: both forms pass,
    // anything else does not.
    QTest::newRow("last_check.at null") << serverSource << QStringLiteral("server") << lastCheckAt(QJsonValue::Null) << QString();
    QTest::newRow("last_check.at time") << serverSource << QStringLiteral("server") << lastCheckAt(wallclock::nowUtc().toString(Qt::ISODateWithMs)) << QString();
    QTest::newRow("last_check.at number") << serverSource << QStringLiteral("server") << lastCheckAt(5) << QStringLiteral("$.last_check.at: expected string or null, got number 5");
    // Deep in an answer, the path says where.
    QTest::newRow("server deep in pools") << QStringLiteral("GET /api/v1/pools") << QStringLiteral("pools_answer")
                                          << edited(pools, [](QJsonObject &o) {
                                                 QJsonArray list = o.value(QStringLiteral("pools")).toArray();
                                                 QJsonObject web = list.first().toObject();
                                                 QJsonArray servers = web.value(QStringLiteral("servers")).toArray();
                                                 QJsonObject last = servers.last().toObject();
                                                 last.remove(QStringLiteral("state_text"));
                                                 servers.replace(servers.size() - 1, last);
                                                 web.insert(QStringLiteral("servers"), servers);
                                                 list.replace(0, web);
                                                 o.insert(QStringLiteral("pools"), list);
                                             })
                                          << QStringLiteral("$.pools[0].servers[2]: missing required field state_text");
    QTest::newRow("no such definition") << serverSource << QStringLiteral("servre") << server << QStringLiteral("names no definition");
}

void TestAdminSchema::validatorCatchesDrift()
{
    QFETCH(QString, source);
    QFETCH(QString, definition);
    QFETCH(QJsonObject, value);
    QFETCH(QString, expected);
    const QString message = mismatch(source, value, definition);
    if (expected.isEmpty()) {
        QVERIFY2(message.isEmpty(), qPrintable(message));
    } else {
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(message.startsWith(source + QStringLiteral(" (as $defs/") + definition + QStringLiteral("): ")), qPrintable(message));
    }
}

void TestAdminSchema::changeAnswers()
{
    QString failure;
    QVERIFY2((failure = answerMismatch("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 7})", 200, QStringLiteral("server"))).isEmpty(), qPrintable(failure));
    QVERIFY2((failure = answerMismatch("PUT", "/api/v1/pools/web/servers/app2/state", R"({"state": "drain"})", 200, QStringLiteral("server"))).isEmpty(), qPrintable(failure));
    QVERIFY2((failure = answerMismatch("PUT", "/api/v1/pools/web/servers/app2/state", R"({"state": "ready"})", 200, QStringLiteral("server"))).isEmpty(), qPrintable(failure));
    QVERIFY2((failure = answerMismatch("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 10})", 200, QStringLiteral("server"))).isEmpty(), qPrintable(failure));

    // The lock changed hands since it was listed: 409 and nothing deleted; then the right holder
    // releases it, and a second release finds it gone.
    m_redis->command({"SET", "lock:release", "holder-2", "PX", "600000"});
    const QByteArray release = "/api/v1/locks/cache/release";
    QVERIFY2((failure = answerMismatch("POST", release, R"({"key": "lock:release", "holder": "holder-1"})", 409, QStringLiteral("release_holder_changed"))).isEmpty(), qPrintable(failure));
    QCOMPARE(m_redis->command({"GET", "lock:release"}).string, QByteArrayLiteral("holder-2"));
    QVERIFY2((failure = answerMismatch("POST", release, R"({"key": "lock:release", "holder": "holder-2"})", 200, QStringLiteral("release_done"))).isEmpty(), qPrintable(failure));
    QCOMPARE(m_redis->command({"EXISTS", "lock:release"}).integer, 0);
    QVERIFY2((failure = answerMismatch("POST", release, R"({"key": "lock:release", "holder": "holder-2"})", 404, QStringLiteral("release_gone"))).isEmpty(), qPrintable(failure));
}

void TestAdminSchema::readAnswers_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QString>("definition");
    QTest::addColumn<QString>("list");   // a field of the answer that must not be an empty list, so items are checked too
    QTest::newRow("pools") << QByteArray("/api/v1/pools") << QStringLiteral("pools_answer") << QStringLiteral("pools");
    QTest::newRow("listeners") << QByteArray("/api/v1/listeners") << QStringLiteral("listeners_answer") << QStringLiteral("listeners");
    QTest::newRow("pool") << QByteArray("/api/v1/pools/web") << QStringLiteral("pool") << QStringLiteral("servers");
    QTest::newRow("server") << QByteArray("/api/v1/pools/web/servers/app1") << QStringLiteral("server") << QStringLiteral("responses_by_class");
    QTest::newRow("server failing its checks") << QByteArray("/api/v1/pools/web/servers/app3") << QStringLiteral("server") << QString();
    QTest::newRow("events") << QByteArray("/api/v1/events") << QStringLiteral("events_answer") << QStringLiteral("events");
    QTest::newRow("events, limit") << QByteArray("/api/v1/events?limit=3") << QStringLiteral("events_answer") << QStringLiteral("events");
    QTest::newRow("health events") << QByteArray("/api/v1/health-events") << QStringLiteral("health_events_answer") << QStringLiteral("events");
    QTest::newRow("health events of a pool") << QByteArray("/api/v1/health-events?pool=web&limit=50") << QStringLiteral("health_events_answer") << QStringLiteral("events");
    QTest::newRow("locks") << QByteArray("/api/v1/locks") << QStringLiteral("locks_answer") << QStringLiteral("endpoints");
    QTest::newRow("lock endpoint") << QByteArray("/api/v1/locks/cache") << QStringLiteral("lock_endpoint") << QStringLiteral("locks");
    QTest::newRow("one plain lock") << QByteArray("/api/v1/locks/cache/lock?key=lock%3Aorders") << QStringLiteral("lock_answer") << QString();
    QTest::newRow("one lock without expiry") << QByteArray("/api/v1/locks/cache/lock?key=lock%3Aforever") << QStringLiteral("lock_answer") << QString();
    QTest::newRow("one Redisson lock") << QByteArray("/api/v1/locks/cache/lock?key=lock%3Aredisson") << QStringLiteral("lock_answer") << QString();
    QTest::newRow("one Redisson read-write lock") << QByteArray("/api/v1/locks/cache/lock?key=app%3Alock%3Arw") << QStringLiteral("lock_answer") << QString();
    // changeAnswers left entries in the audit log.
    QTest::newRow("audit") << QByteArray("/api/v1/audit") << QStringLiteral("audit_answer") << QStringLiteral("entries");
    QTest::newRow("history") << QByteArray("/api/v1/history?since=15m") << QStringLiteral("history_answer") << QStringLiteral("servers");
    QTest::newRow("history of a server") << QByteArray("/api/v1/history?since=15m&pool=web&server=app1&points=10") << QStringLiteral("history_answer") << QStringLiteral("servers");
}

void TestAdminSchema::readAnswers()
{
    QFETCH(QByteArray, path);
    QFETCH(QString, definition);
    QFETCH(QString, list);
    const Answer answer = call("GET", path);
    QVERIFY2(answer.problem.isEmpty(), qPrintable(answer.problem));
    QVERIFY2(answer.status == 200, qPrintable(QStringLiteral("GET %1: status %2").arg(QString::fromUtf8(path), QString::number(answer.status))));
    const QString message = mismatch(QStringLiteral("GET ") + QString::fromUtf8(path), answer.json, definition);
    QVERIFY2(message.isEmpty(), qPrintable(message));
    if (!list.isEmpty())
        QVERIFY2(!answer.json.toObject().value(list).toArray().isEmpty(), qPrintable(list));
}

void TestAdminSchema::errorAnswers_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("field");   // empty: the answer names none
    const QByteArray weight = "/api/v1/pools/web/servers/app1/weight";
    const QByteArray state = "/api/v1/pools/web/servers/app1/state";
    const QByteArray release = "/api/v1/locks/cache/release";
    const QByteArray admin = "admin";
    QTest::newRow("unknown pool") << QByteArray("GET") << QByteArray("/api/v1/pools/nope") << QByteArray() << admin << 404 << QStringLiteral("pool");
    QTest::newRow("unknown server") << QByteArray("GET") << QByteArray("/api/v1/pools/web/servers/nope") << QByteArray() << admin << 404 << QStringLiteral("server");
    QTest::newRow("unknown endpoint") << QByteArray("GET") << QByteArray("/api/v1/locks/nope") << QByteArray() << admin << 404 << QStringLiteral("endpoint");
    QTest::newRow("health events of an unknown pool") << QByteArray("GET") << QByteArray("/api/v1/health-events?pool=nope") << QByteArray() << admin << 404 << QStringLiteral("pool");
    QTest::newRow("no such lock") << QByteArray("GET") << QByteArray("/api/v1/locks/cache/lock?key=lock%3Anothing") << QByteArray() << admin << 404 << QStringLiteral("key");
    QTest::newRow("lock without key") << QByteArray("GET") << QByteArray("/api/v1/locks/cache/lock") << QByteArray() << admin << 400 << QStringLiteral("key");
    QTest::newRow("weight out of range") << QByteArray("PUT") << weight << QByteArray(R"({"weight": 10001})") << admin << 400 << QStringLiteral("weight");
    QTest::newRow("weight a string") << QByteArray("PUT") << weight << QByteArray(R"({"weight": "5"})") << admin << 400 << QStringLiteral("weight");
    QTest::newRow("weight malformed body") << QByteArray("PUT") << weight << QByteArray(R"({"weight": )") << admin << 400 << QStringLiteral("body");
    QTest::newRow("state down") << QByteArray("PUT") << state << QByteArray(R"({"state": "down"})") << admin << 400 << QStringLiteral("state");
    QTest::newRow("release without holder") << QByteArray("POST") << release << QByteArray(R"({"key": "lock:orders"})") << admin << 400 << QStringLiteral("holder");
    QTest::newRow("release in another mode") << QByteArray("POST") << release << QByteArray(R"({"key": "lock:orders", "holder": "worker-7", "mode": "shred"})") << admin << 400 << QStringLiteral("mode");
    QTest::newRow("release on an unknown endpoint") << QByteArray("POST") << QByteArray("/api/v1/locks/nope/release") << QByteArray(R"({"key": "k", "holder": "h"})") << admin << 404 << QStringLiteral("endpoint");
    QTest::newRow("bad limit") << QByteArray("GET") << QByteArray("/api/v1/events?limit=0") << QByteArray() << admin << 400 << QStringLiteral("limit");
    QTest::newRow("history without a window") << QByteArray("GET") << QByteArray("/api/v1/history") << QByteArray() << admin << 400 << QStringLiteral("since");
    QTest::newRow("history, bad points") << QByteArray("GET") << QByteArray("/api/v1/history?since=1h&points=0") << QByteArray() << admin << 400 << QStringLiteral("points");
    QTest::newRow("unknown path") << QByteArray("GET") << QByteArray("/api/v1/nothing") << QByteArray() << admin << 404 << QString();
    QTest::newRow("wrong method") << QByteArray("POST") << QByteArray("/api/v1/pools/web/servers/app1") << QByteArray("{}") << admin << 405 << QString();
    QTest::newRow("no token") << QByteArray("GET") << QByteArray("/api/v1/pools") << QByteArray() << QByteArray() << 401 << QString();
    QTest::newRow("read-only token changing") << QByteArray("PUT") << weight << QByteArray(R"({"weight": 1})") << QByteArray("viewer") << 403 << QString();
}

void TestAdminSchema::errorAnswers()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, token);
    QFETCH(int, status);
    QFETCH(QString, field);
    const Answer answer = call(method, path, body, token);
    QVERIFY2(answer.problem.isEmpty(), qPrintable(answer.problem));
    QCOMPARE(answer.status, status);
    const QString message = mismatch(QStringLiteral("%1 %2 (%3)").arg(QString::fromLatin1(method), QString::fromUtf8(path), QString::number(status)), answer.json,
                                     QStringLiteral("error"));
    QVERIFY2(message.isEmpty(), qPrintable(message));
    QCOMPARE(answer.json.toObject().value(QStringLiteral("field")).toString(), field);
}

// The JSON report is the one answer with a schema of its own (docs/report-schema.json).
void TestAdminSchema::reportAnswerMatchesTheReportSchema()
{
    QFile schemaFile(QStringLiteral(FULCRUM_SOURCE_DIR "/docs/report-schema.json"));
    QVERIFY(schemaFile.open(QIODevice::ReadOnly));
    const QJsonObject schema = QJsonDocument::fromJson(schemaFile.readAll()).object();
    QVERIFY(!schema.isEmpty());
    const Answer answer = call("GET", "/api/v1/report?since=15m&format=json");
    QVERIFY2(answer.problem.isEmpty(), qPrintable(answer.problem));
    QCOMPARE(answer.status, 200);
    QString error;
    QVERIFY2(validateJson(answer.json, schema, schema, QStringLiteral("$"), &error),
             qPrintable(QStringLiteral("GET /api/v1/report?since=15m&format=json (as report-schema.json): ") + error));
    QVERIFY(!answer.json.toObject().value(QStringLiteral("servers")).toArray().isEmpty());
}

void TestAdminSchema::streamEvents()
{
    static const QHash<QByteArray, QString> definitions{
        {"snapshot", QStringLiteral("stream_snapshot")}, {"locks", QStringLiteral("stream_locks")},
        {"lock-changes", QStringLiteral("stream_lock_changes")}, {"audit", QStringLiteral("stream_audit")},
        {"event", QStringLiteral("stream_event")}, {"health", QStringLiteral("stream_health")},
    };
    QByteArray head;
    bool inBody = false;
    SseReader reader;
    QHash<QByteArray, int> seen;
    QStringList failures;
    QString feedMode;
    const auto onEvent = [&](const QByteArray &type, const QByteArray &data) {
        const int n = ++seen[type];
        const QString source = QStringLiteral("GET /api/v1/stream, event: %1 #%2").arg(QString::fromUtf8(type), QString::number(n));
        if (!definitions.contains(type)) {
            failures.append(QStringLiteral("%1: an event type the schema has no definition for").arg(source));
            return;
        }
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(data, &error);
        if (!document.isObject()) {
            failures.append(QStringLiteral("%1: data is not a JSON object (%2)").arg(source, error.errorString()));
            return;
        }
        const QString message = mismatch(source, document.object(), definitions.value(type));
        if (!message.isEmpty())
            failures.append(message);
        if (type == "snapshot") {
            const QJsonArray endpoints = document.object().value(QStringLiteral("lock_endpoints")).toArray();
            feedMode = endpoints.at(0).toObject().value(QStringLiteral("feed")).toObject().value(QStringLiteral("mode")).toString();
        }
    };
    // Declared after what its handler uses, so that it is destroyed first.
    QTcpSocket stream;
    connect(&stream, &QTcpSocket::readyRead, this, [&] {
        QByteArray bytes = stream.readAll();
        if (!inBody) {
            head += bytes;
            const qsizetype end = head.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            bytes = head.mid(end + 4);
            head.truncate(end);
            inBody = true;
        }
        reader.feed(bytes, onEvent);
    });
    stream.connectToHost(QHostAddress::LocalHost, m_fulcrumd->adminPort());
    QVERIFY(stream.waitForConnected(5000));
    stream.write("GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + m_fulcrumd->token() + "\r\n\r\n");
    // The first few, with the count: a drift repeats in every snapshot.
    const auto failed = [&] {
        return failures.mid(0, 10).join(u'\n') + (failures.size() > 10 ? QStringLiteral("\n... %1 failures in all").arg(failures.size()) : QString());
    };
    QTRY_VERIFY2_WITH_TIMEOUT(seen.value("snapshot") > 0 && seen.value("locks") > 0, qPrintable(failed()), 10'000);
    QVERIFY2(head.startsWith("HTTP/1.1 200"), head.constData());
    QCOMPARE(feedMode, QStringLiteral("polling"));

    // Operator actions: each an audit entry, an engine event and a health event (drain/ready).
    QCOMPARE(call("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 4})").status, 200);
    QCOMPARE(call("PUT", "/api/v1/pools/web/servers/app2/state", R"({"state": "drain"})").status, 200);
    QCOMPARE(call("PUT", "/api/v1/pools/web/servers/app2/state", R"({"state": "ready"})").status, 200);
    QCOMPARE(call("PUT", "/api/v1/pools/web/servers/app2/weight", R"({"weight": 10})").status, 200);
    // A check that passes again: app3 comes back up, health events with a check's duration.
    m_app3->backend().setHealth(DemoHealthMode::Ok);
    QTRY_VERIFY2_WITH_TIMEOUT(seen.value("audit") >= 4 && seen.value("event") >= 4 && seen.value("health") >= 2, qPrintable(failed()), 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(m_fulcrumd->server(QStringLiteral("app3")).value(QStringLiteral("state")).toString(), QStringLiteral("up"), 10'000);

    // Keyspace notifications on (the audited enable): the endpoint turns live, and a new lock
    // arrives as a lock-changes event.
    const QString enabled = answerMismatch("POST", "/api/v1/locks/cache/notifications/enable", {}, 200, QStringLiteral("notifications_answer"));
    QVERIFY2(enabled.isEmpty(), qPrintable(enabled));
    QTRY_COMPARE_WITH_TIMEOUT(feedMode, QStringLiteral("live"), 15'000);
    m_redis->command({"SET", "lock:live", "worker-9", "NX", "PX", "600000"});
    QTRY_VERIFY2_WITH_TIMEOUT(seen.value("lock-changes") > 0, qPrintable(failed()), 10'000);
    // A few more ticks with the live feed in the snapshots and lock tables.
    const int snapshots = seen.value("snapshot");
    QTRY_VERIFY2_WITH_TIMEOUT(seen.value("snapshot") >= snapshots + 3, qPrintable(failed()), 10'000);

    QVERIFY2(failures.isEmpty(), qPrintable(failed()));
    for (const QByteArray &type : definitions.keys())
        QVERIFY2(seen.value(type) > 0, type.constData());
    qInfo("validated %d snapshot, %d locks, %d lock-changes, %d audit, %d event and %d health events", seen.value("snapshot"), seen.value("locks"),
          seen.value("lock-changes"), seen.value("audit"), seen.value("event"), seen.value("health"));
    stream.disconnectFromHost();
}

// Last: the lock endpoint loses its Redis. Its state and error, and the 503s of a release and
// of a lock read whole.
void TestAdminSchema::answersWhileRedisIsDown()
{
    m_redis->stop();
    QTRY_VERIFY_WITH_TIMEOUT(m_fulcrumd->request("GET", "/api/v1/locks/cache").value(QStringLiteral("connection")).toString() != u"connected", 15'000);
    QString failure;
    QVERIFY2((failure = answerMismatch("GET", "/api/v1/locks", {}, 200, QStringLiteral("locks_answer"))).isEmpty(), qPrintable(failure));
    QVERIFY2((failure = answerMismatch("GET", "/api/v1/locks/cache", {}, 200, QStringLiteral("lock_endpoint"))).isEmpty(), qPrintable(failure));
    QVERIFY2((failure = answerMismatch("POST", "/api/v1/locks/cache/release", R"({"key": "lock:orders", "holder": "worker-7"})", 503, QStringLiteral("release_failed"))).isEmpty(),
             qPrintable(failure));
    QVERIFY2((failure = answerMismatch("GET", "/api/v1/locks/cache/lock?key=lock%3Aorders", {}, 503, QStringLiteral("error"))).isEmpty(), qPrintable(failure));
}

QTEST_GUILESS_MAIN(TestAdminSchema)
#include "tst_adminschema.moc"
