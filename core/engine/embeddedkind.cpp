#include "engine/embeddedkind.h"

#include "config/configparser.h"
#include "engine/localredisserver.h"
#include "locks/lockbackends.h"
#include "locks/secretstore.h"

#include <QDir>
#include <QFileInfo>

namespace fulcrum {

namespace {

const QString kDemo = QStringLiteral("demo");

// The operator's config on the embedded engine: its state as fulcrumd keeps it (the config's
// state_dir, else a folder of its own under the console's), its history for reports, and its
// lock passwords from the keychain read now.
EngineLink *createFromConfig(const QString &path, const EngineContext &context)
{
    const ConfigResult result = loadConfigFile(path);
    if (!result.ok()) {
        qWarning("fulcrum: %s", qPrintable(result.errorText()));
        return nullptr;
    }
    InProcessOptions options;
    options.config = *result.config;
    options.configSource = path;
    Config &config = *options.config;
    if (config.stateDir.isEmpty() && !context.stateDir.isEmpty())
        config.stateDir = QDir(context.stateDir).filePath(QStringLiteral("console-") + QFileInfo(path).completeBaseName());
    if (context.history && !config.stateDir.isEmpty())
        options.history = context.history(config.stateDir);
    for (const LockEndpointConfig &lock : config.locks) {
        // "password": "keychain" is the endpoint's own entry; a bare "sentinel_password": "keychain" is NAME/sentinels.
        const std::pair<SecretSource, QString> secrets[] = {
            {lock.password(), lock.name()},
            {lock.isRedis() ? lock.redis.sentinelPassword : SecretSource{}, sentinelKeychainEntry(lock.name())},
        };
        for (auto [source, defaultEntry] : secrets) {
            if (source.kind != SecretSource::Keychain || !context.keychain)
                continue;
            if (source.reference.isEmpty())
                source.reference = defaultEntry;
            QString error;
            if (const std::optional<QByteArray> secret = context.keychain->read(source.reference, &error))
                options.keychainSecrets.insert(source.reference, *secret);
            else
                qWarning("fulcrum: lock endpoint %s: %s", qPrintable(lock.name()), qPrintable(error));
        }
    }
    return new InProcessEngineLink(options);
}

} // namespace

EngineKind embeddedEngineKind()
{
    EngineKind kind;
    kind.id = QStringLiteral("embedded");
    kind.label = QStringLiteral("Embedded engine");
    kind.addressHelp = QStringLiteral("demo: an engine inside the console with six demo backends, load and its own redis-server; "
                                      "or the path of a config file: the engine runs it inside the console as fulcrumd would");
    kind.capabilities = [] { return InProcessEngineLink::embeddedCapabilities(true); };
    kind.needsSecret = [](const QString &) { return false; };
    kind.normalize = [](const QString &address, QString *error) -> std::optional<QString> {
        const QString trimmed = address.trimmed();
        if (trimmed.isEmpty() || trimmed == kDemo)
            return kDemo;
        // A config file, checked whole now: a config that fulcrumd would refuse never starts.
        const QFileInfo file(trimmed);
        if (!file.isFile()) {
            *error = QStringLiteral("\"%1\" is neither \"demo\" nor a config file that exists; give the path of a fulcrumd config (embedded:/etc/fulcrum/shop.json)")
                         .arg(trimmed);
            return std::nullopt;
        }
        const ConfigResult config = loadConfigFile(file.absoluteFilePath());
        if (!config.ok()) {
            *error = QStringLiteral("%1\n%2: %3 error(s); fix them (fulcrumd --check --config %2 lists the same)")
                         .arg(config.errorText(), file.absoluteFilePath())
                         .arg(config.errors.size());
            return std::nullopt;
        }
        return file.absoluteFilePath();
    };
    kind.keychainEntry = [](const QString &) { return QString(); };
    kind.create = [](const QString &, const QString &address, const QByteArray &, const EngineContext &context) -> EngineLink * {
        if (address != kDemo)
            return createFromConfig(address, context);
        InProcessOptions options = InProcessOptions::demo();
        // Its history apart from any fulcrumd's, for File → Export report…
        if (context.history && !context.stateDir.isEmpty())
            options.history = context.history(QDir(context.stateDir).filePath(QStringLiteral("console-demo")));
        // The demo's own Redis, for the Locks view. Without redis-server the engine still runs;
        // the Locks view then shows only the operator's endpoints, and stderr says why.
        auto redis = std::make_unique<LocalRedisServer>();
        QString error;
        if (redis->start(&error)) {
            // Its first pass then finds it listening: no "cannot connect" warning in the
            // events of every demo start (it usually takes ~10–50 ms; at most 2 s waited).
            if (!redis->waitUntilAccepting(2000))
                qWarning("fulcrum: the demo's redis-server on 127.0.0.1:%u does not accept connections yet; the Locks view connects when it does",
                         unsigned(redis->port()));
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
        if (address == kDemo) {
            done(true, QStringLiteral("embedded demo engine: six demo backends, load and a local redis-server, started with the console"));
            return;
        }
        const ConfigResult config = loadConfigFile(address);
        if (config.ok())
            done(true, QStringLiteral("%1: a valid config (%2 listener(s), %3 pool(s), %4 lock endpoint(s)), run inside the console")
                           .arg(address).arg(config.config->listeners.size()).arg(config.config->pools.size()).arg(config.config->locks.size()));
        else
            done(false, QStringLiteral("%1\n%2: %3 error(s)").arg(config.errorText(), address).arg(config.errors.size()));
    };
    return kind;
}

} // namespace fulcrum
