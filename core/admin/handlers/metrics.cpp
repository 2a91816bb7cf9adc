#include "admin/handlers/adminhandlers.h"

#include "admin/prometheus.h"

namespace fulcrum {

void addMetricsRoutes(AdminRouter &router, Engine *engine)
{
    router.add("GET", "/metrics", [engine](const AdminRequest &) {
        return AdminReply{200, prometheusMetrics(*engine), "text/plain; version=0.0.4; charset=utf-8", {}};
    });
}

} // namespace fulcrum
