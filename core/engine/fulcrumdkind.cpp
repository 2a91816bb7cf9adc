#include "engine/fulcrumdkind.h"

#include "engine/remoteenginelink.h"

namespace fulcrum {

EngineKind fulcrumdEngineKind()
{
    EngineKind kind;
    kind.id = QStringLiteral("fulcrumd");
    kind.label = QStringLiteral("fulcrumd");
    kind.addressHelp = QStringLiteral("its admin API's URL, e.g. http://127.0.0.1:9900");
    kind.secretName = QStringLiteral("admin token");
    kind.secretEnvironment = QStringLiteral("FULCRUM_TOKEN");
    kind.secretHelp = [](const QString &address) {
        return QStringLiteral("give --token-file PATH (the engine writes admin.token in its state dir), set FULCRUM_TOKEN, "
                              "or store it in the keychain with: fulcrumctl secret set --engine %1").arg(address);
    };
    kind.capabilities = [] { return EngineCapabilities{}; };
    kind.needsSecret = [](const QString &) { return true; };
    kind.normalize = [](const QString &address, QString *error) -> std::optional<QString> {
        const std::optional<QUrl> url = RemoteEngineLink::parseUrl(address, error);
        return url ? std::optional<QString>(url->toString()) : std::nullopt;
    };
    kind.keychainEntry = [](const QString &address) { return RemoteEngineLink::keychainEntry(QUrl(address)); };
    kind.create = [](const QString &name, const QString &address, const QByteArray &secret, const EngineContext &) -> EngineLink * {
        RemoteEngineOptions options;
        options.name = name;
        options.url = QUrl(address);
        options.token = secret;
        return new RemoteEngineLink(options);
    };
    kind.probe = [](const QString &address, const QByteArray &secret, QObject *context, std::function<void(bool, const QString &)> done) {
        RemoteEngineLink::probe(QUrl(address), secret, context, std::move(done));
    };
    return kind;
}

} // namespace fulcrum
