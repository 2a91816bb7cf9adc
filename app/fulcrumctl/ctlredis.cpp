#include "ctlredis.h"

#include "common/duration.h"
#include "locks/redisurl.h"
#include "locks/secretstore.h"

#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif

#include <QEventLoop>
#include <QTimer>

using namespace fulcrum;

std::optional<RedisConnectionOptions> ctlConnectionOptions(const QCommandLineParser &parser, const CtlRedisOptions &options,
                                                           const QString &url, QString *error)
{
    QString why;
    const auto endpoint = parseRedisUrl(url, &why);
    if (!endpoint) {
        *error = QStringLiteral("--redis: %1").arg(why);
        return std::nullopt;
    }
    const auto timeout = parseDurationMs(parser.value(options.timeout));
    if (!timeout || *timeout <= 0) {
        *error = QStringLiteral("--timeout \"%1\" must be a duration such as 500ms or 5s").arg(parser.value(options.timeout));
        return std::nullopt;
    }
    QByteArray password;
    if (parser.isSet(options.passwordFile)) {
        const auto secret = FileSecretStore().read(parser.value(options.passwordFile), &why);
        if (!secret) {
            *error = QStringLiteral("--password-file: %1").arg(why);
            return std::nullopt;
        }
        password = *secret;
    } else if (qEnvironmentVariableIsSet("FULCRUM_REDIS_PASSWORD")) {
        const auto secret = EnvironmentSecretStore().read(QStringLiteral("FULCRUM_REDIS_PASSWORD"), &why);
        if (!secret) {
            *error = why;
            return std::nullopt;
        }
        password = *secret;
    } else if (parser.isSet(options.keychain)) {
#ifdef FULCRUM_HAVE_KEYCHAIN
        const auto secret = KeychainSecretStore().read(parser.value(options.keychain), &why);
        if (!secret) {
            *error = QStringLiteral("--keychain: %1").arg(why);
            return std::nullopt;
        }
        password = *secret;
#else
        *error = QStringLiteral("--keychain: this fulcrumctl was built without keychain support; use --password-file or FULCRUM_REDIS_PASSWORD");
        return std::nullopt;
#endif
    }
    RedisConnectionOptions o = RedisConnectionOptions::fromConfig(*endpoint, password);
    o.connectTimeoutMs = *timeout;
    o.commandTimeoutMs = *timeout;
    return o;
}

std::unique_ptr<RedisConnection> ctlConnect(const RedisConnectionOptions &options, QString *error)
{
    auto connection = std::make_unique<RedisConnection>(options);
    QEventLoop loop;
    QString failure;
    QObject::connect(connection.get(), &RedisConnection::connected, &loop, &QEventLoop::quit);
    QObject::connect(connection.get(), &RedisConnection::errorOccurred, &loop, [&](const QString &message) {
        failure = message;
        loop.quit();
    });
    connection->open();
    if (!connection->isConnected())
        loop.exec();
    if (!connection->isConnected()) {
        *error = failure.isEmpty() ? QStringLiteral("%1: not connected").arg(options.endpoint()) : failure;
        return nullptr;
    }
    return connection;
}
