#include "haproxy/haproxykind.h"

#include "haproxy/haproxyenginelink.h"
#include "haproxy/runtimeaddress.h"

namespace fulcrum {

EngineKind haproxyEngineKind()
{
    EngineKind kind;
    kind.id = QStringLiteral("haproxy");
    kind.label = QStringLiteral("HAProxy");
    kind.addressHelp = QStringLiteral("its stats socket: /run/haproxy/admin.sock or 127.0.0.1:9999 (level admin to change weights and states)");
    kind.capabilities = &HaproxyEngineLink::kindCapabilities;
    kind.normalize = [](const QString &address, QString *error) -> std::optional<QString> {
        const std::optional<RuntimeAddress> parsed = RuntimeAddress::parse(address, error);
        return parsed ? std::optional<QString>(parsed->toString()) : std::nullopt;
    };
    kind.keychainEntry = [](const QString &) { return QString(); };
    kind.needsSecret = [](const QString &) { return false; };
    kind.create = [](const QString &, const QString &address, const QByteArray &, const EngineContext &) -> EngineLink * {
        QString error;
        const std::optional<RuntimeAddress> parsed = RuntimeAddress::parse(address, &error);
        return parsed ? new HaproxyEngineLink(*parsed) : nullptr;
    };
    kind.probe = [](const QString &address, const QByteArray &, QObject *context, std::function<void(bool, const QString &)> done) {
        QString error;
        const std::optional<RuntimeAddress> parsed = RuntimeAddress::parse(address, &error);
        if (!parsed) {
            done(false, error);
            return;
        }
        HaproxyEngineLink::probe(*parsed, context, std::move(done));
    };
    return kind;
}

} // namespace fulcrum
