#pragma once

#include "admin/adminrouter.h"

#include <QtGlobal>

#include <functional>
#include <optional>

namespace fulcrum {

class Engine;

// The admin API's resources, one file each, each adding its routes to the router
// (docs/admin-api.md lists them). Reports and the event stream keep state: classes in reports.h and stream.h.
void addPoolRoutes(AdminRouter &router, Engine *engine);      // pools.cpp: pools, servers, weight, state
void addEventRoutes(AdminRouter &router, Engine *engine);     // events.cpp: engine events, health events
void addAuditRoutes(AdminRouter &router, Engine *engine);     // audit.cpp
void addLockRoutes(AdminRouter &router, Engine *engine);      // locks.cpp: endpoints, one lock, release, notifications
// metrics.cpp: Prometheus. adminCertificateExpiry: when admin.tls.cert expires (ms since the
// epoch), 0 without TLS.
void addMetricsRoutes(AdminRouter &router, Engine *engine, std::function<qint64()> adminCertificateExpiry = {});

// ?limit=N of the list routes (events, health events, audit): 1 to 100000, 200 when not given;
// nullopt, with the 400 in *error, for anything else.
std::optional<int> listLimit(const AdminRequest &request, AdminReply *error);
// The 404 for a pool that does not exist, naming the pools that do.
AdminReply unknownPool(const Engine &engine, const QString &name);

} // namespace fulcrum
