#include "engine/embeddedkind.h"

#include "engine/localredisserver.h"

#include <QDir>

namespace fulcrum {

namespace {

const QString kDemo = QStringLiteral("demo");

} // namespace

EngineKind embeddedEngineKind()
{
    EngineKind kind;
    kind.id = QStringLiteral("embedded");
    kind.label = QStringLiteral("Embedded engine");
    kind.addressHelp = QStringLiteral("demo: an engine inside the console with six demo backends, load and its own redis-server");
    kind.capabilities = [] { return InProcessEngineLink::embeddedCapabilities(true); };
    kind.needsSecret = [](const QString &) { return false; };
    kind.normalize = [](const QString &address, QString *error) -> std::optional<QString> {
        const QString trimmed = address.trimmed();
        if (trimmed.isEmpty() || trimmed == kDemo)
            return kDemo;
        *error = QStringLiteral("\"%1\" is not an embedded engine; the one there is is \"demo\" (embedded:demo)").arg(trimmed);
        return std::nullopt;
    };
    kind.keychainEntry = [](const QString &) { return QString(); };
    kind.create = [](const QString &, const QString &address, const QByteArray &, const EngineContext &context) -> EngineLink * {
        if (address != kDemo)
            return nullptr;
        InProcessOptions options = InProcessOptions::demo();
        // Its history apart from any fulcrumd's, for File → Export report…
        if (context.history && !context.stateDir.isEmpty())
            options.history = context.history(QDir(context.stateDir).filePath(QStringLiteral("console-demo")));
        // The demo's own Redis, for the Locks view. Without redis-server the engine still runs;
        // the Locks view then shows only the operator's endpoints, and stderr says why.
        auto redis = std::make_unique<LocalRedisServer>();
        QString error;
        if (redis->start(&error)) {
            InProcessLockEndpoint endpoint = InProcessLockEndpoint::redis(QStringLiteral("127.0.0.1"), redis->port());
            endpoint.demoLocks = true;
            options.locks.append(endpoint);
        } else {
            qWarning("fulcrum: %s", qPrintable(error));
            redis.reset();
        }
        options.locks += context.lockEndpoints;
        auto *link = new InProcessEngineLink(options);
        link->adoptRedisServer(std::move(redis));
        return link;
    };
    kind.probe = [](const QString &address, const QByteArray &, QObject *, std::function<void(bool, const QString &)> done) {
        // Nothing to reach: it starts when the console opens it.
        if (address == kDemo)
            done(true, QStringLiteral("embedded demo engine: six demo backends, load and a local redis-server, started with the console"));
        else
            done(false, QStringLiteral("\"%1\" is not an embedded engine; use demo").arg(address));
    };
    return kind;
}

} // namespace fulcrum
