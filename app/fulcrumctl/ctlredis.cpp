#include "ctlredis.h"

#include "common/duration.h"
#include "locks/lockbackends.h"
#include "locks/redis/redissentinel.h"
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

bool ctlApplySentinelOptions(const QCommandLineParser &parser, const CtlRedisOptions &options, RedisEndpointConfig *r, QString *error)
{
    // Apart from the master's (--password-file and the rest).
    const bool sentinel = r->topology == RedisEndpointConfig::Topology::Sentinel;
    if (!sentinel) {
        if (parser.isSet(options.sentinelUser) || parser.isSet(options.sentinelPasswordFile)) {
            *error = QStringLiteral("--sentinel-user and --sentinel-password-file are for redis-sentinel://H:P[,H:P...]/MASTER; "
                                    "this endpoint's own password goes in --password-file");
            return false;
        }
        return true;
    }
    if (parser.isSet(options.sentinelPasswordFile))
        r->sentinelPassword = SecretSource{SecretSource::File, parser.value(options.sentinelPasswordFile)};
    else if (qEnvironmentVariableIsSet("FULCRUM_SENTINEL_PASSWORD"))
        r->sentinelPassword = SecretSource{SecretSource::Environment, QStringLiteral("FULCRUM_SENTINEL_PASSWORD")};
    r->sentinelUser = parser.value(options.sentinelUser);
    if (!r->sentinelUser.isEmpty() && r->sentinelPassword.kind == SecretSource::None) {
        *error = QStringLiteral("--sentinel-user needs the sentinels' password beside it: --sentinel-password-file PATH or FULCRUM_SENTINEL_PASSWORD");
        return false;
    }
    return true;
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

bool ctlIsSentinelUrl(const QString &url)
{
    return url.startsWith(u"redis-sentinel://") || url.startsWith(u"rediss-sentinel://");
}

std::unique_ptr<RedisConnection> ctlSentinelMasterConnection(const QCommandLineParser &parser, const CtlRedisOptions &options,
                                                             const QString &url, QString *error)
{
    LockEndpointConfig parsed;
    QString why;
    if (!parseLockEndpointAddress(url, &parsed, &why) || !parsed.isRedis() || parsed.redis.topology != RedisEndpointConfig::Topology::Sentinel) {
        *error = QStringLiteral("--redis: %1").arg(why.isEmpty() ? QStringLiteral("\"%1\" is not redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER").arg(url) : why);
        return nullptr;
    }
    RedisEndpointConfig endpoint = parsed.redis;
    if (!ctlApplySentinelOptions(parser, options, &endpoint, error))
        return nullptr;
    const auto timeout = parseDurationMs(parser.value(options.timeout));
    if (!timeout || *timeout <= 0) {
        *error = QStringLiteral("--timeout \"%1\" must be a duration such as 500ms or 5s").arg(parser.value(options.timeout));
        return nullptr;
    }
    const std::optional<QByteArray> password = ctlReadPassword(parser, options.passwordFile, options.keychain, QStringLiteral("FULCRUM_REDIS_PASSWORD"), error);
    if (!password)
        return nullptr;
    const std::optional<QByteArray> sentinelPassword = readSecret(endpoint.sentinelPassword, nullptr, &why);
    if (!sentinelPassword) {
        *error = QStringLiteral("the sentinels' password: %1").arg(why);
        return nullptr;
    }
    RedisConnectionOptions o = RedisConnectionOptions::fromConfig(endpoint, *password, *sentinelPassword);
    o.connectTimeoutMs = *timeout;
    o.commandTimeoutMs = *timeout;
    auto connection = std::make_unique<RedisConnection>(o);
    RedisConnection *master = connection.get();
    auto *sentinels = new RedisSentinelWatch(endpoint.nodes, endpoint.masterName, o, master);
    master->setAddressResolver([sentinels](std::function<void(const QString &, const QString &)> done) { sentinels->resolve(std::move(done)); });
    QObject::connect(sentinels, &RedisSentinelWatch::masterChanged, master, [master](const QString &from, const QString &to, const QString &) {
        if (!from.isEmpty())
            master->reconnectNow(QStringLiteral("the sentinels name %1 as the new master").arg(to));
    });
    sentinels->start();
    return connection;
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
