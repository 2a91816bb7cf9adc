#include "httpd/httpdkind.h"

#include "httpd/httpdenginelink.h"

namespace fulcrum {

EngineKind httpdEngineKind()
{
    EngineKind kind;
    kind.id = QStringLiteral("httpd");
    kind.label = QStringLiteral("Apache httpd");
    kind.addressHelp = QStringLiteral("its balancer-manager: http://127.0.0.1:8080/balancer-manager (a protected one: http://USER@HOST:PORT/balancer-manager; "
                                      "https with your CA and a client certificate: https://HOST:PORT/balancer-manager?ca=PATH&cert=PATH&key=PATH)");
    kind.secretName = QStringLiteral("manager password");
    kind.secretEnvironment = QStringLiteral("FULCRUM_HTTPD_PASSWORD");
    kind.capabilities = &HttpdEngineLink::kindCapabilities;
    kind.normalize = [](const QString &address, QString *error) -> std::optional<QString> {
        const std::optional<QUrl> url = HttpdOptions::parseManagerUrl(address, error);
        if (url && !url->password().isEmpty()) {
            *error = QStringLiteral("\"%1\" holds a password; give only the user in the address (http://USER@HOST:PORT/balancer-manager) "
                                    "and the password through the keychain").arg(url->toString(QUrl::RemovePassword));
            return std::nullopt;
        }
        return url ? std::optional<QString>(url->toString()) : std::nullopt;
    };
    // The entry names the manager and its user, not the TLS files (moving a certificate keeps the password).
    kind.keychainEntry = [](const QString &address) { return QStringLiteral("httpd:") + QUrl(address).toString(QUrl::RemoveQuery); };
    kind.needsSecret = [](const QString &address) { return !QUrl(address).userName().isEmpty(); };
    kind.create = [](const QString &, const QString &address, const QByteArray &secret, const EngineContext &) -> EngineLink * {
        return new HttpdEngineLink(HttpdOptions::fromAddress(address, secret));
    };
    kind.probe = [](const QString &address, const QByteArray &secret, QObject *context, std::function<void(bool, const QString &)> done) {
        HttpdEngineLink::probe(HttpdOptions::fromAddress(address, secret), context, std::move(done));
    };
    return kind;
}

} // namespace fulcrum
