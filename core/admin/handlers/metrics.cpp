#include "admin/handlers/adminhandlers.h"

#include "admin/prometheus.h"

namespace fulcrum {

void addMetricsRoutes(AdminRouter &router, Engine *engine, std::function<qint64()> adminCertificateExpiry)
{
    router.add("GET", "/metrics", [engine, adminCertificateExpiry](const AdminRequest &) {
        QByteArray text = prometheusMetrics(*engine);
        // The admin API's own certificate is the server's, not the engine's: its expiry is added here.
        if (const qint64 expiryMs = adminCertificateExpiry ? adminCertificateExpiry() : 0; expiryMs > 0)
            text += "# HELP fulcrum_admin_certificate_expiry_timestamp_seconds When the admin API's certificate (admin.tls.cert) expires (Unix time).\n"
                    "# TYPE fulcrum_admin_certificate_expiry_timestamp_seconds gauge\n"
                    "fulcrum_admin_certificate_expiry_timestamp_seconds "
                + QByteArray::number(expiryMs / 1000) + '\n';
        return AdminReply{200, text, "text/plain; version=0.0.4; charset=utf-8", {}};
    });
}

} // namespace fulcrum
