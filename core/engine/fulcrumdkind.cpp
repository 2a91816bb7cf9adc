#include "engine/fulcrumdkind.h"

#include "engine/remoteenginelink.h"

namespace fulcrum {

EngineKind fulcrumdEngineKind()
{
    EngineKind kind;
    kind.id = QStringLiteral("fulcrumd");
    kind.label = QStringLiteral("fulcrumd");
    kind.addressHelp = QStringLiteral("its admin API's URL, e.g. http://127.0.0.1:9900, or https://host:9900?ca=PATH (also cert=PATH&key=PATH, pin=sha256:FINGERPRINT)");
    kind.secretName = QStringLiteral("admin token");
    kind.secretEnvironment = QStringLiteral("FULCRUM_TOKEN");
    kind.secretHelp = [](const QString &address) {
        return QStringLiteral("give --token-file PATH (the engine writes admin.token in its state dir), set FULCRUM_TOKEN, "
                              "or store it in the keychain with: fulcrumctl secret set --engine %1").arg(address);
    };
    kind.capabilities = [] { return EngineCapabilities{}; };
    kind.needsSecret = [](const QString &) { return true; };
    kind.normalize = [](const QString &address, QString *error) -> std::optional<QString> {
        const std::optional<AdminAddress> parsed = AdminAddress::parse(address, error);
        return parsed ? std::optional<QString>(parsed->toString()) : std::nullopt;
    };
    // One token per engine, whatever TLS items its address carries.
    const auto parsed = [](const QString &address) {
        QString ignored;
        return AdminAddress::parse(address, &ignored).value_or(AdminAddress{QUrl(address), {}});
    };
    kind.keychainEntry = [parsed](const QString &address) { return RemoteEngineLink::keychainEntry(parsed(address).url); };
    kind.create = [parsed](const QString &name, const QString &address, const QByteArray &secret, const EngineContext &) -> EngineLink * {
        RemoteEngineOptions options;
        options.name = name;
        const AdminAddress a = parsed(address);
        options.url = a.url;
        options.tls = a.tls;
        options.token = secret;
        return new RemoteEngineLink(options);
    };
    kind.probe = [parsed](const QString &address, const QByteArray &secret, QObject *context, std::function<void(bool, const QString &)> done) {
        RemoteEngineLink::probe(parsed(address), secret, context, std::move(done));
    };
    return kind;
}

} // namespace fulcrum
