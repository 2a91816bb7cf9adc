#include "ctlredis.h"

#include "common/duration.h"
#include "locks/redis/redisurl.h"
#include "locks/secretstore.h"

#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif

#include <QEventLoop>
#include <QTimer>

using namespace fulcrum;

std::optional<QByteArray> ctlReadPassword(const QCommandLineParser &parser, const QCommandLineOption &passwordFile,
                                          const QCommandLineOption &keychain, const QString &environmentVariable, QString *error)
{
    QString why;
    if (parser.isSet(passwordFile)) {
        const auto secret = FileSecretStore().read(parser.value(passwordFile), &why);
        if (!secret)
            *error = QStringLiteral("--password-file: %1").arg(why);
        return secret;
    }
    if (qEnvironmentVariableIsSet(qPrintable(environmentVariable))) {
        const auto secret = EnvironmentSecretStore().read(environmentVariable, &why);
        if (!secret)
            *error = why;
        return secret;
    }
    if (parser.isSet(keychain)) {
#ifdef FULCRUM_HAVE_KEYCHAIN
        const auto secret = KeychainSecretStore().read(parser.value(keychain), &why);
        if (!secret)
            *error = QStringLiteral("--keychain: %1").arg(why);
        return secret;
#else
        *error = QStringLiteral("--keychain: this fulcrumctl was built without keychain support; use --password-file or %1").arg(environmentVariable);
        return std::nullopt;
#endif
    }
    return QByteArray();
}

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
    const std::optional<QByteArray> password = ctlReadPassword(parser, options.passwordFile, options.keychain,
                                                               QStringLiteral("FULCRUM_REDIS_PASSWORD"), error);
    if (!password)
        return std::nullopt;
    RedisConnectionOptions o = RedisConnectionOptions::fromConfig(*endpoint, *password);
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
