#include "admin/handlers/adminhandlers.h"

#include "admin/adminjson.h"
#include "common/bytestext.h"
#include "engine/engine.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace fulcrum {

namespace {

AdminReply unknownEndpoint(const Engine &engine, const QString &name)
{
    return AdminReply::error(404, QStringLiteral("lock endpoint \"%1\" does not exist; endpoints: %2").arg(name, engine.lockEndpointNames().join(QStringLiteral(", "))),
                             QStringLiteral("endpoint"));
}

// GET /api/v1/locks/{endpoint}/lock?key=KEY: one lock read whole now, its waiters included
// where a pass listed them by name only; answers when the lock backend has read it.
void inspectLock(Engine *engine, const AdminRequest &request, const AdminResponder &responder)
{
    const QString endpoint = request.capture("endpoint");
    if (!engine->snapshot().lockEndpoint(endpoint))
        return responder.reply(unknownEndpoint(*engine, endpoint));
    const std::optional<QByteArray> key = unescapeBytes(request.query.queryItemValue(QStringLiteral("key"), QUrl::FullyDecoded));
    if (!key || key->isEmpty())
        return responder.reply(AdminReply::error(400, QStringLiteral("add ?key=KEY: the lock's key as GET /api/v1/locks/%1 lists it (\\xHH escapes for raw bytes, URL-encoded)").arg(endpoint),
                                                 QStringLiteral("key")));
    engine->inspectLock(endpoint, *key, [responder, endpoint](const LockInspection &answer) {
        if (!answer.lock) {
            // Gone is a 404; an endpoint that cannot answer now is a 503.
            responder.reply(AdminReply::error(answer.gone ? 404 : 503, answer.error, answer.gone ? QStringLiteral("key") : QStringLiteral("endpoint")));
            return;
        }
        responder.reply(AdminReply::json(200, QJsonObject{{QStringLiteral("endpoint"), endpoint}, {QStringLiteral("lock"), answer.lock->toJson()}}));
    });
}

// What POST .../release asks for, or the 400 that says what is wrong with the body.
std::optional<LockReleaseRequest> releaseRequest(const QString &endpoint, const QByteArray &body, AdminReply *refused)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (!doc.isObject()) {
        *refused = AdminReply::error(400, QStringLiteral("body must be a JSON object {\"key\": KEY, \"holder\": HOLDER[, \"mode\": \"delete\"|\"ask\"|\"revoke\"]} as listed by GET /api/v1/locks/%1").arg(endpoint),
                                     QStringLiteral("body"));
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    std::optional<QByteArray> key;
    std::optional<QByteArray> holder;
    if (o.value(QStringLiteral("key")).isString())
        key = unescapeBytes(o.value(QStringLiteral("key")).toString());
    if (o.value(QStringLiteral("holder")).isString())
        holder = unescapeBytes(o.value(QStringLiteral("holder")).toString());
    if (!key || key->isEmpty()) {
        *refused = AdminReply::error(400, QStringLiteral("\"key\" must be the lock's key as listed (\\xHH escapes for raw bytes)"), QStringLiteral("key"));
        return std::nullopt;
    }
    if (!holder || holder->isEmpty()) {
        *refused = AdminReply::error(400, QStringLiteral("\"holder\" must be the holder you saw in the list; the lock is deleted only if it still holds it"), QStringLiteral("holder"));
        return std::nullopt;
    }
    const QString mode = o.value(QStringLiteral("mode")).toString(QStringLiteral("delete"));
    const std::optional<LockReleaseRequest::Mode> known = lockReleaseModeFromName(mode);
    if (!known) {
        *refused = AdminReply::error(400, QStringLiteral("\"mode\" must be \"delete\" (force-release), \"ask\" (ask the holder to release, where its lock is "
                                                         "revocable) or \"revoke\" (end the holder's session: etcd revokes its lease), not \"%1\"").arg(mode),
                                     QStringLiteral("mode"));
        return std::nullopt;
    }
    return LockReleaseRequest{*known, *key, *holder};
}

AdminReply releaseReply(const ForceReleaseResult &result)
{
    static const char *const names[] = {"released", "holder_changed", "gone", "failed", "asked"};
    QJsonObject o{{QStringLiteral("result"), QString::fromLatin1(names[result.outcome])}, {QStringLiteral("message"), result.message}};
    switch (result.outcome) {
    case ForceReleaseResult::Released:
    case ForceReleaseResult::Asked:
        return AdminReply::json(200, o);
    case ForceReleaseResult::HolderChanged:
        o.insert(QStringLiteral("error"), result.message);
        o.insert(QStringLiteral("field"), QStringLiteral("holder"));
        o.insert(QStringLiteral("current_holder"), escapeBytes(result.currentHolder));
        return AdminReply::json(409, o);
    case ForceReleaseResult::Gone:
        o.insert(QStringLiteral("error"), result.message);
        o.insert(QStringLiteral("field"), QStringLiteral("key"));
        return AdminReply::json(404, o);
    case ForceReleaseResult::Failed:
        break;
    }
    o.insert(QStringLiteral("error"), result.message);
    return AdminReply::json(503, o);
}

// POST /api/v1/locks/{endpoint}/release: compare-and-release of the holder the operator saw,
// audited by the engine; answers when the backend has.
void releaseLock(Engine *engine, const AdminRequest &request, const AdminResponder &responder)
{
    const QString endpoint = request.capture("endpoint");
    if (!engine->snapshot().lockEndpoint(endpoint))
        return responder.reply(unknownEndpoint(*engine, endpoint));
    AdminReply refused;
    const std::optional<LockReleaseRequest> release = releaseRequest(endpoint, request.body, &refused);
    if (!release)
        return responder.reply(refused);
    engine->releaseLock(endpoint, *release, request.user, request.origin, [responder](const ForceReleaseResult &result) { responder.reply(releaseReply(result)); });
}

// POST /api/v1/locks/{endpoint}/notifications/enable: the only way Fulcrum changes a server's
// settings (Redis: CONFIG SET notify-keyspace-events, merged), audited; answers when it has.
void enableNotifications(Engine *engine, const AdminRequest &request, const AdminResponder &responder)
{
    const QString endpoint = request.capture("endpoint");
    if (!engine->snapshot().lockEndpoint(endpoint))
        return responder.reply(unknownEndpoint(*engine, endpoint));
    engine->enableLockNotifications(endpoint, request.user, request.origin, [responder](bool ok, const QString &message) {
        QJsonObject o{{QStringLiteral("result"), ok ? QStringLiteral("enabled") : QStringLiteral("failed")}, {QStringLiteral("message"), message}};
        if (!ok)
            o.insert(QStringLiteral("error"), message);
        responder.reply(AdminReply::json(ok ? 200 : 502, o));
    });
}

} // namespace

void addLockRoutes(AdminRouter &router, Engine *engine)
{
    router.add("GET", "/api/v1/locks", [engine](const AdminRequest &) {
        QJsonArray endpoints;
        for (const LockEndpointView &e : engine->snapshot().lockEndpoints)
            endpoints.append(lockEndpointToJson(e, true));
        return AdminReply::json(200, QJsonObject{{QStringLiteral("endpoints"), endpoints}});
    });
    router.add("GET", "/api/v1/locks/{endpoint}", [engine](const AdminRequest &request) {
        const LockEndpointView *endpoint = engine->snapshot().lockEndpoint(request.capture("endpoint"));
        return endpoint ? AdminReply::json(200, lockEndpointToJson(*endpoint, true)) : unknownEndpoint(*engine, request.capture("endpoint"));
    });
    router.addDeferred("GET", "/api/v1/locks/{endpoint}/lock", [engine](const AdminRequest &request, const AdminResponder &responder) {
        inspectLock(engine, request, responder);
    });
    router.addDeferred("POST", "/api/v1/locks/{endpoint}/release", [engine](const AdminRequest &request, const AdminResponder &responder) {
        releaseLock(engine, request, responder);
    });
    router.addDeferred("POST", "/api/v1/locks/{endpoint}/notifications/enable", [engine](const AdminRequest &request, const AdminResponder &responder) {
        enableNotifications(engine, request, responder);
    });
}

} // namespace fulcrum
