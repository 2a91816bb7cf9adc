#include "httpd/httpdkind.h"

#include "httpd/httpdenginelink.h"

namespace fulcrum {

namespace {

HttpdOptions optionsFor(const QString &address, const QByteArray &secret)
{
    QString error;
    HttpdOptions options;
    options.managerUrl = HttpdOptions::parseManagerUrl(address, &error).value_or(QUrl());
    options.user = options.managerUrl.userName();
    options.managerUrl.setUserInfo(QString());
    options.password = secret;
    return options;
}

} // namespace

EngineKind httpdEngineKind()
{
    EngineKind kind;
    kind.id = QStringLiteral("httpd");
    kind.label = QStringLiteral("Apache httpd");
    kind.addressHelp = QStringLiteral("its balancer-manager: http://127.0.0.1:8080/balancer-manager (a protected one: http://USER@HOST:PORT/balancer-manager)");
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
    kind.keychainEntry = [](const QString &address) { return QStringLiteral("httpd:") + address; };
    kind.needsSecret = [](const QString &address) { return !QUrl(address).userName().isEmpty(); };
    kind.create = [](const QString &, const QString &address, const QByteArray &secret) -> EngineLink * {
        return new HttpdEngineLink(optionsFor(address, secret));
    };
    kind.probe = [](const QString &address, const QByteArray &secret, QObject *context, std::function<void(bool, const QString &)> done) {
        HttpdEngineLink::probe(optionsFor(address, secret), context, std::move(done));
    };
    return kind;
}

} // namespace fulcrum
