// The admin API's router: request targets into path segments, method + pattern to a handler,
// captures, 404 and 405.
#include "admin/adminrouter.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTest>

#include <optional>

using namespace fulcrum;

namespace {

// What the router answered for METHOD TARGET, and which route ran with which captures.
struct Routed
{
    std::optional<AdminReply> reply;
    QString route;
    QHash<QString, QString> captures;

    QJsonObject json() const { return QJsonDocument::fromJson(reply->body).object(); }
};

AdminRouter routerForTests(QString *ran, QHash<QString, QString> *captures)
{
    AdminRouter router;
    const auto answer = [ran, captures](const char *name) {
        return [ran, captures, name](const AdminRequest &request) {
            *ran = QString::fromLatin1(name);
            *captures = request.captures;
            return AdminReply::json(200, {});
        };
    };
    router.add("GET", "/api/v1/pools", answer("pools"));
    router.add("GET", "/api/v1/pools/{pool}", answer("pool"));
    router.add("GET", "/api/v1/pools/{pool}/servers/{server}", answer("server"));
    router.add("PUT", "/api/v1/pools/{pool}/servers/{server}/weight", answer("weight"));
    router.add("PUT", "/api/v1/pools/{pool}/servers/{server}/state", answer("state"));
    router.add("GET", "/api/v1/locks/special", answer("literal"));
    router.add("GET", "/api/v1/locks/{endpoint}", answer("endpoint"));
    router.add("DELETE", "/api/v1/locks/{endpoint}", answer("endpoint delete"));
    router.add("GET", "/metrics", answer("metrics"));
    return router;
}

Routed routeRequest(const QByteArray &method, const QByteArray &target)
{
    Routed routed;
    const AdminRouter router = routerForTests(&routed.route, &routed.captures);
    AdminRequest request;
    request.method = method;
    request.setTarget(target);
    router.route(request, AdminResponder({}, [&routed](const AdminReply &reply) { routed.reply = reply; }, [] { return nullptr; }));
    return routed;
}

} // namespace

class TestAdminRouter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void targetIntoSegments_data();
    void targetIntoSegments();
    void queryIsDecoded();
    void routesToPatternWithCaptures_data();
    void routesToPatternWithCaptures();
    void unknownPathIs404_data();
    void unknownPathIs404();
    void wrongMethodIs405WithAllow_data();
    void wrongMethodIs405WithAllow();
    void deferredHandlerAnswersLater();
};

void TestAdminRouter::targetIntoSegments_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QStringList>("segments");
    const QStringList pools{QStringLiteral("api"), QStringLiteral("v1"), QStringLiteral("pools")};
    QTest::newRow("plain") << QByteArray("/api/v1/pools") << pools;
    QTest::newRow("trailing slash") << QByteArray("/api/v1/pools/") << pools;
    QTest::newRow("doubled slashes") << QByteArray("//api//v1///pools") << pools;
    QTest::newRow("with a query") << QByteArray("/api/v1/pools?limit=5") << pools;
    QTest::newRow("root") << QByteArray("/") << QStringList();
    QTest::newRow("escaped letter") << QByteArray("/api/v1/pool%73") << pools;
    QTest::newRow("escaped slash stays in its segment") << QByteArray("/api/v1/pools/a%2Fb") << (pools + QStringList{QStringLiteral("a/b")});
    QTest::newRow("utf-8") << QByteArray("/api/v1/pools/caf%C3%A9") << (pools + QStringList{QStringLiteral("caf\u00e9")});
    // Not UTF-8 once decoded: the replacement character, and the name matches no pool.
    QTest::newRow("bad escape") << QByteArray("/api/v1/pools/%ZZ") << (pools + QStringList{QString(QChar::ReplacementCharacter)});
}

void TestAdminRouter::targetIntoSegments()
{
    QFETCH(QByteArray, target);
    QFETCH(QStringList, segments);
    AdminRequest request;
    request.setTarget(target);
    QCOMPARE(request.path, segments);
}

void TestAdminRouter::queryIsDecoded()
{
    AdminRequest request;
    request.setTarget("/api/v1/locks/cache/lock?key=lock%3Aorders%20x&limit=5");
    QCOMPARE(request.query.queryItemValue(QStringLiteral("key"), QUrl::FullyDecoded), QStringLiteral("lock:orders x"));
    QCOMPARE(request.query.queryItemValue(QStringLiteral("limit")), QStringLiteral("5"));
    request.setTarget("/api/v1/pools");
    QVERIFY(request.query.isEmpty());
}

void TestAdminRouter::routesToPatternWithCaptures_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QString>("route");
    QTest::addColumn<QString>("pool");
    QTest::addColumn<QString>("server");
    QTest::newRow("literal") << QByteArray("GET") << QByteArray("/api/v1/pools") << QStringLiteral("pools") << QString() << QString();
    QTest::newRow("trailing slash") << QByteArray("GET") << QByteArray("/api/v1/pools/") << QStringLiteral("pools") << QString() << QString();
    QTest::newRow("one capture") << QByteArray("GET") << QByteArray("/api/v1/pools/web") << QStringLiteral("pool") << QStringLiteral("web") << QString();
    QTest::newRow("two captures") << QByteArray("GET") << QByteArray("/api/v1/pools/web/servers/app1") << QStringLiteral("server") << QStringLiteral("web") << QStringLiteral("app1");
    QTest::newRow("decoded capture") << QByteArray("PUT") << QByteArray("/api/v1/pools/w%2Fb/servers/app%201/weight") << QStringLiteral("weight") << QStringLiteral("w/b") << QStringLiteral("app 1");
    QTest::newRow("same path, other method") << QByteArray("PUT") << QByteArray("/api/v1/pools/web/servers/app1/state") << QStringLiteral("state") << QStringLiteral("web") << QStringLiteral("app1");
    QTest::newRow("first added wins") << QByteArray("GET") << QByteArray("/api/v1/locks/special") << QStringLiteral("literal") << QString() << QString();
    QTest::newRow("capture after literal") << QByteArray("GET") << QByteArray("/api/v1/locks/cache") << QStringLiteral("endpoint") << QString() << QString();
    QTest::newRow("outside /api/v1") << QByteArray("GET") << QByteArray("/metrics") << QStringLiteral("metrics") << QString() << QString();
}

void TestAdminRouter::routesToPatternWithCaptures()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QString, route);
    QFETCH(QString, pool);
    QFETCH(QString, server);
    const Routed routed = routeRequest(method, target);
    QVERIFY(routed.reply);
    QCOMPARE(routed.reply->status, 200);
    QCOMPARE(routed.route, route);
    QCOMPARE(routed.captures.value(QStringLiteral("pool")), pool);
    QCOMPARE(routed.captures.value(QStringLiteral("server")), server);
}

void TestAdminRouter::unknownPathIs404_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QString>("hint");
    QTest::newRow("root") << QByteArray("/") << QStringLiteral("the API is under /api/v1");
    QTest::newRow("outside the API") << QByteArray("/api/v2/pools") << QStringLiteral("the API is under /api/v1");
    QTest::newRow("unknown resource") << QByteArray("/api/v1/nothing") << QStringLiteral("see docs/admin-api.md");
    QTest::newRow("past a pool") << QByteArray("/api/v1/pools/web/nothing") << QStringLiteral("next to it: /api/v1/pools/{pool}/servers/{server}");
    QTest::newRow("past a server") << QByteArray("/api/v1/pools/web/servers/app1/nothing")
                                   << QStringLiteral("next to it: /api/v1/pools/{pool}/servers/{server}/weight, /api/v1/pools/{pool}/servers/{server}/state");
    QTest::newRow("too short for the pattern") << QByteArray("/api/v1/pools/web/servers") << QStringLiteral("/api/v1/pools/{pool}/servers/{server}");
    QTest::newRow("past /metrics") << QByteArray("/metrics/x") << QStringLiteral("the API is under /api/v1");
}

void TestAdminRouter::unknownPathIs404()
{
    QFETCH(QByteArray, target);
    QFETCH(QString, hint);
    const Routed routed = routeRequest("GET", target);
    QVERIFY(routed.reply);
    QVERIFY(routed.route.isEmpty());
    QCOMPARE(routed.reply->status, 404);
    QCOMPARE(routed.reply->contentType, QByteArray("application/json"));
    const QString error = routed.json().value(QStringLiteral("error")).toString();
    QVERIFY2(error.startsWith(u"no such path"), qPrintable(error));
    QVERIFY2(error.contains(hint), qPrintable(error));
    QVERIFY(!routed.json().contains(QStringLiteral("field")));
}

void TestAdminRouter::wrongMethodIs405WithAllow_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("allow");
    QTest::newRow("POST on a GET route") << QByteArray("POST") << QByteArray("/api/v1/pools") << QByteArray("GET");
    QTest::newRow("HEAD is not GET") << QByteArray("HEAD") << QByteArray("/api/v1/pools/web") << QByteArray("GET");
    QTest::newRow("GET on a PUT route") << QByteArray("GET") << QByteArray("/api/v1/pools/web/servers/app1/weight") << QByteArray("PUT");
    QTest::newRow("two methods there") << QByteArray("PUT") << QByteArray("/api/v1/locks/cache") << QByteArray("GET, DELETE");
    QTest::newRow("trailing slash") << QByteArray("PUT") << QByteArray("/metrics/") << QByteArray("GET");
}

void TestAdminRouter::wrongMethodIs405WithAllow()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, allow);
    const Routed routed = routeRequest(method, target);
    QVERIFY(routed.reply);
    QVERIFY(routed.route.isEmpty());
    QCOMPARE(routed.reply->status, 405);
    QCOMPARE(routed.reply->extraHeaders, "Allow: " + allow + "\r\n");
    const QString error = routed.json().value(QStringLiteral("error")).toString();
    QVERIFY2(error.contains(QString::fromLatin1(allow)), qPrintable(error));
    QVERIFY(!routed.json().contains(QStringLiteral("field")));
}

void TestAdminRouter::deferredHandlerAnswersLater()
{
    AdminRouter router;
    std::optional<AdminResponder> pending;
    router.addDeferred("POST", "/api/v1/locks/{endpoint}/release", [&pending](const AdminRequest &request, const AdminResponder &responder) {
        QCOMPARE(request.capture("endpoint"), QStringLiteral("cache"));
        pending = responder;
    });
    std::optional<AdminReply> reply;
    AdminRequest request;
    request.method = "POST";
    request.setTarget("/api/v1/locks/cache/release");
    router.route(request, AdminResponder({}, [&reply](const AdminReply &r) { reply = r; }, [] { return nullptr; }));
    QVERIFY(pending);
    QVERIFY(!reply);
    pending->reply(AdminReply::error(409, QStringLiteral("holder changed"), QStringLiteral("holder")));
    QVERIFY(reply);
    QCOMPARE(reply->status, 409);
    QCOMPARE(QJsonDocument::fromJson(reply->body).object().value(QStringLiteral("field")).toString(), QStringLiteral("holder"));
}

QTEST_GUILESS_MAIN(TestAdminRouter)
#include "tst_adminrouter.moc"
