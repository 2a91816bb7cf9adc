#include "admin/handlers/adminhandlers.h"

#include "admin/adminjson.h"
#include "common/duration.h"
#include "common/wallclock.h"
#include "engine/engine.h"

#include <QJsonArray>
#include <QJsonObject>

namespace fulcrum {

namespace {

constexpr int kDefaultLimit = 200;
constexpr int kMaxLimit = 100'000;

// ?since=DURATION: those of the last 15m, 1h ...; ?severity=warning: warnings and errors
// (error: errors only; info: all). Then the newest `limit` of them.
AdminReply events(Engine *engine, const AdminRequest &request)
{
    AdminReply refused;
    const std::optional<int> limit = listLimit(request, &refused);
    if (!limit)
        return refused;
    QList<EngineEvent> events = engine->recentEvents();
    if (request.query.hasQueryItem(QStringLiteral("since"))) {
        const QString text = request.query.queryItemValue(QStringLiteral("since"));
        const std::optional<qint64> ms = parseDurationMs(text);
        if (!ms || *ms <= 0)
            return AdminReply::error(400, QStringLiteral("since \"%1\" is not a duration; write 15m, 1h, 24h or 7d").arg(text), QStringLiteral("since"));
        const QDateTime from = wallclock::nowUtc().addMSecs(-*ms);
        events.removeIf([&](const EngineEvent &e) { return e.time < from; });
    }
    if (request.query.hasQueryItem(QStringLiteral("severity"))) {
        const QString text = request.query.queryItemValue(QStringLiteral("severity"));
        const std::optional<EngineEvent::Severity> least = EngineEvent::parseSeverity(text);
        if (!least)
            return AdminReply::error(400, QStringLiteral("severity \"%1\" must be info, warning (warnings and errors) or error").arg(text), QStringLiteral("severity"));
        events.removeIf([&](const EngineEvent &e) { return e.severity < *least; });
    }
    QJsonArray out;
    for (qsizetype i = std::max<qsizetype>(0, events.size() - *limit); i < events.size(); ++i)
        out.append(engineEventToJson(events[i]));
    return AdminReply::json(200, QJsonObject{{QStringLiteral("events"), out}});
}

// ?pool=P: one pool's only.
AdminReply healthEvents(Engine *engine, const AdminRequest &request)
{
    AdminReply refused;
    const std::optional<int> limit = listLimit(request, &refused);
    if (!limit)
        return refused;
    const QString pool = request.query.queryItemValue(QStringLiteral("pool"));
    if (!pool.isEmpty() && !engine->snapshot().pool(pool))
        return unknownPool(*engine, pool);
    std::vector<HealthEvent> events = engine->healthEvents();
    if (!pool.isEmpty())
        std::erase_if(events, [&](const HealthEvent &e) { return e.pool != pool; });
    QJsonArray out;
    for (size_t i = events.size() > size_t(*limit) ? events.size() - size_t(*limit) : 0; i < events.size(); ++i)
        out.append(healthEventToJson(events[i]));
    return AdminReply::json(200, QJsonObject{{QStringLiteral("events"), out}});
}

} // namespace

std::optional<int> listLimit(const AdminRequest &request, AdminReply *error)
{
    if (!request.query.hasQueryItem(QStringLiteral("limit")))
        return kDefaultLimit;
    const QString text = request.query.queryItemValue(QStringLiteral("limit"));
    const int limit = text.toInt();
    if (limit <= 0 || limit > kMaxLimit) {
        *error = AdminReply::error(400, QStringLiteral("limit \"%1\" must be a number from 1 to %2").arg(text).arg(kMaxLimit), QStringLiteral("limit"));
        return std::nullopt;
    }
    return limit;
}

void addEventRoutes(AdminRouter &router, Engine *engine)
{
    router.add("GET", "/api/v1/events", [engine](const AdminRequest &request) { return events(engine, request); });
    router.add("GET", "/api/v1/health-events", [engine](const AdminRequest &request) { return healthEvents(engine, request); });
}

} // namespace fulcrum
