#include "admin/handlers/adminhandlers.h"

#include "admin/adminjson.h"
#include "engine/engine.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace fulcrum {

namespace {

// The pool and server a request names, or the 404 that says which one does not exist.
struct ServerLookup
{
    const PoolView *pool = nullptr;
    const ServerSnapshot *server = nullptr;
    AdminReply refused;
};

ServerLookup lookUp(const Engine &engine, const AdminRequest &request)
{
    ServerLookup found;
    found.pool = engine.snapshot().pool(request.capture("pool"));
    if (!found.pool) {
        found.refused = unknownPool(engine, request.capture("pool"));
        return found;
    }
    found.server = found.pool->server(request.capture("server"));
    if (!found.server) {
        QStringList names;
        for (const ServerSnapshot &s : found.pool->servers)
            names.append(s.spec.name);
        found.refused = AdminReply::error(404, QStringLiteral("pool \"%1\" has no server \"%2\"; servers: %3")
                                                   .arg(found.pool->name, request.capture("server"), names.join(QStringLiteral(", "))),
                                          QStringLiteral("server"));
    }
    return found;
}

// PUT .../weight {"weight": N} and PUT .../state {"state": "ready"|"drain"|"maint"}, audited by
// the engine as the request's user. pool and server by value: the engine replaces its snapshot
// (which a lookup's names point into) while it acts.
AdminReply changeServer(Engine *engine, const AdminRequest &request, const QString &action)
{
    const ServerLookup found = lookUp(*engine, request);
    if (!found.server)
        return found.refused;
    const QString pool = found.pool->name;
    const QString server = found.server->spec.name;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (!doc.isObject())
        return AdminReply::error(400, parseError.error != QJsonParseError::NoError
                                          ? QStringLiteral("body is not valid JSON at offset %1: %2; send {\"%3\": ...}").arg(parseError.offset).arg(parseError.errorString(), action)
                                          : QStringLiteral("body must be a JSON object such as {\"%1\": ...}").arg(action),
                                 QStringLiteral("body"));
    const QJsonValue value = doc.object().value(action);
    QString error;
    if (action == u"weight") {
        const double w = value.toDouble(-1);
        if (!value.isDouble() || w != double(qint64(w)) || w < 0 || w > kMaxWeight)
            return AdminReply::error(400, QStringLiteral("\"weight\" must be a whole number from 0 to %1").arg(kMaxWeight), QStringLiteral("weight"));
        if (!engine->setWeight(pool, server, int(w), request.user, request.origin, &error))
            return AdminReply::error(400, error, QStringLiteral("weight"));
    } else {
        const QString name = value.toString();
        const std::optional<AdminState> state = name == u"ready" ? std::optional(AdminState::Ready)
            : name == u"drain"                                 ? std::optional(AdminState::Drain)
            : name == u"maint"                                 ? std::optional(AdminState::Maint)
                                                               : std::nullopt;
        if (!state)
            return AdminReply::error(400, QStringLiteral("\"state\" must be \"ready\", \"drain\" or \"maint\" (up and down come from health checks)"), QStringLiteral("state"));
        if (!engine->setAdminState(pool, server, *state, request.user, request.origin, &error))
            return AdminReply::error(400, error, QStringLiteral("state"));
    }
    engine->tick();
    const PoolView *after = engine->snapshot().pool(pool);
    const ServerSnapshot *changed = after ? after->server(server) : nullptr;
    return AdminReply::json(200, changed ? serverToJson(*changed) : QJsonObject());
}

} // namespace

AdminReply unknownPool(const Engine &engine, const QString &name)
{
    return AdminReply::error(404, QStringLiteral("pool \"%1\" does not exist; pools: %2").arg(name, engine.poolNames().join(QStringLiteral(", "))),
                             QStringLiteral("pool"));
}

void addPoolRoutes(AdminRouter &router, Engine *engine)
{
    router.add("GET", "/api/v1/pools", [engine](const AdminRequest &) {
        QJsonArray pools;
        for (const PoolView &pool : engine->snapshot().pools)
            pools.append(poolToJson(pool));
        return AdminReply::json(200, QJsonObject{{QStringLiteral("pools"), pools}});
    });
    // The listeners with their routes (what `fulcrumctl route --engine` reads).
    router.add("GET", "/api/v1/listeners", [engine](const AdminRequest &) {
        QJsonArray listeners;
        for (const ListenerView &listener : engine->snapshot().listeners)
            listeners.append(listenerToJson(listener));
        return AdminReply::json(200, QJsonObject{{QStringLiteral("listeners"), listeners}});
    });
    router.add("GET", "/api/v1/pools/{pool}", [engine](const AdminRequest &request) {
        const PoolView *pool = engine->snapshot().pool(request.capture("pool"));
        return pool ? AdminReply::json(200, poolToJson(*pool)) : unknownPool(*engine, request.capture("pool"));
    });
    router.add("GET", "/api/v1/pools/{pool}/servers/{server}", [engine](const AdminRequest &request) {
        const ServerLookup found = lookUp(*engine, request);
        return found.server ? AdminReply::json(200, serverToJson(*found.server)) : found.refused;
    });
    router.add("PUT", "/api/v1/pools/{pool}/servers/{server}/weight", [engine](const AdminRequest &request) {
        return changeServer(engine, request, QStringLiteral("weight"));
    });
    router.add("PUT", "/api/v1/pools/{pool}/servers/{server}/state", [engine](const AdminRequest &request) {
        return changeServer(engine, request, QStringLiteral("state"));
    });
}

} // namespace fulcrum
