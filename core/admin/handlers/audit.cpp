#include "admin/handlers/adminhandlers.h"

#include "engine/engine.h"

#include <QJsonArray>
#include <QJsonObject>

namespace fulcrum {

void addAuditRoutes(AdminRouter &router, Engine *engine)
{
    router.add("GET", "/api/v1/audit", [engine](const AdminRequest &request) {
        AdminReply refused;
        const std::optional<int> limit = listLimit(request, &refused);
        if (!limit)
            return refused;
        QJsonArray entries;
        for (const AuditEntry &e : engine->auditLog().recent(*limit))
            entries.append(e.toJson());
        return AdminReply::json(200, QJsonObject{{QStringLiteral("entries"), entries}});
    });
}

} // namespace fulcrum
