#pragma once

#include "admin/adminrouter.h"

class QObject;

namespace fulcrum {

class ReportService;

// GET /api/v1/history and GET /api/v1/report: a window read from the query, then series or a
// report file built off the engine's thread by the ReportService, answered when done.
class ReportRoutes
{
public:
    // context: lives on the admin server's thread; the answers are delivered there.
    explicit ReportRoutes(QObject *context) : m_context(context) {}

    // Where history and reports come from; without one both answer 503 (no history is kept).
    void setService(ReportService *service) { m_service = service; }
    void addTo(AdminRouter &router);

private:
    void history(const AdminRequest &request, const AdminResponder &responder) const;
    void report(const AdminRequest &request, const AdminResponder &responder) const;

    QObject *m_context;
    ReportService *m_service = nullptr;
};

} // namespace fulcrum
