#include "ctlredis.h"

#include "common/duration.h"
#include "locks/lockbackends.h"
#include "locks/redis/redisclusterlockbackend.h"
#include "locks/redis/redisnodeset.h"
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

QString ctlSentinelOptionsMisplaced()
{
    return QStringLiteral("--sentinel-user and --sentinel-password-file are for redis-sentinel://H:P[,H:P...]/MASTER; "
                          "this endpoint's own password goes in --password-file");
}

bool ctlApplySentinelOptions(const QCommandLineParser &parser, const CtlRedisOptions &options, RedisEndpointConfig *r, QString *error)
{
    // Apart from the master's (--password-file and the rest).
    const bool sentinel = r->topology == RedisEndpointConfig::Topology::Sentinel;
    if (!sentinel) {
        if (parser.isSet(options.sentinelUser) || parser.isSet(options.sentinelPasswordFile)) {
            *error = ctlSentinelOptionsMisplaced();
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

// A redis-sentinel:// or redis-cluster:// URL's endpoint and the options of its connections: the
// seeds or sentinels, TLS, --timeout, the password and the sentinels' own credentials.
static std::optional<RedisConnectionOptions> ctlTopologyOptions(const QCommandLineParser &parser, const CtlRedisOptions &options, const QString &url,
                                                                RedisEndpointConfig::Topology topology, const QString &form,
                                                                RedisEndpointConfig *endpoint, QString *error)
{
    LockEndpointConfig parsed;
    QString why;
    if (!parseLockEndpointAddress(url, &parsed, &why) || !parsed.isRedis() || parsed.redis.topology != topology) {
        *error = QStringLiteral("--redis: %1").arg(why.isEmpty() ? QStringLiteral("\"%1\" is not %2").arg(url, form) : why);
        return std::nullopt;
    }
    *endpoint = parsed.redis;
    if (!ctlApplySentinelOptions(parser, options, endpoint, error))
        return std::nullopt;
    const auto timeout = parseDurationMs(parser.value(options.timeout));
    if (!timeout || *timeout <= 0) {
        *error = QStringLiteral("--timeout \"%1\" must be a duration such as 500ms or 5s").arg(parser.value(options.timeout));
        return std::nullopt;
    }
    const std::optional<QByteArray> password = ctlReadPassword(parser, options.passwordFile, options.keychain, QStringLiteral("FULCRUM_REDIS_PASSWORD"), error);
    if (!password)
        return std::nullopt;
    const std::optional<QByteArray> sentinelPassword = readSecret(endpoint->sentinelPassword, nullptr, &why);
    if (!sentinelPassword) {
        *error = QStringLiteral("the sentinels' password: %1").arg(why);
        return std::nullopt;
    }
    RedisConnectionOptions o = RedisConnectionOptions::fromConfig(*endpoint, *password, *sentinelPassword);
    o.connectTimeoutMs = *timeout;
    o.commandTimeoutMs = *timeout;
    return o;
}

std::unique_ptr<RedisConnection> ctlSentinelMasterConnection(const QCommandLineParser &parser, const CtlRedisOptions &options,
                                                             const QString &url, QString *error)
{
    RedisEndpointConfig endpoint;
    const std::optional<RedisConnectionOptions> found = ctlTopologyOptions(parser, options, url, RedisEndpointConfig::Topology::Sentinel,
                                                                           QStringLiteral("redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER"), &endpoint, error);
    if (!found)
        return nullptr;
    const RedisConnectionOptions &o = *found;
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

bool ctlIsClusterUrl(const QString &url)
{
    return url.startsWith(u"redis-cluster://") || url.startsWith(u"rediss-cluster://");
}

namespace {

// Where KEY's slot lives now: the nodes are asked in turn (the last map's first, then the seeds).
class ClusterSlotResolver : public QObject
{
public:
    ClusterSlotResolver(QStringList seeds, int slot, RedisConnectionOptions base, QObject *parent)
        : QObject(parent), m_seeds(std::move(seeds)), m_slot(slot), m_base(std::move(base))
    {
        m_base.reconnect = false;
        m_base.connectTimeoutMs = std::min<qint64>(m_base.connectTimeoutMs, 2000);
    }

    void resolve(std::function<void(const QString &, const QString &)> done)
    {
        QStringList candidates;
        for (const QString &node : m_known + m_seeds) {
            if (!candidates.contains(node))
                candidates << node;
        }
        ask(candidates, 0, {}, std::move(done));
    }

private:
    void ask(const QStringList &candidates, int index, QStringList errors, std::function<void(const QString &, const QString &)> done)
    {
        if (index >= candidates.size()) {
            done(QString(), QStringLiteral("no cluster node named the master of slot %1: %2").arg(m_slot).arg(errors.join(QStringLiteral("; "))));
            return;
        }
        const QString address = candidates.at(index);
        RedisConnectionOptions options = m_base;
        splitRedisNodeAddress(address, &options.host, &options.port);
        auto *connection = new RedisConnection(options, this);
        auto answered = std::make_shared<bool>(false);
        auto next = [this, candidates, index, errors, done, connection, answered](const QString &why) mutable {
            if (std::exchange(*answered, true))
                return;
            connection->deleteLater();
            errors << why;
            ask(candidates, index + 1, errors, done);
        };
        QObject::connect(connection, &RedisConnection::errorOccurred, this, next);
        QObject::connect(connection, &RedisConnection::connected, this, [this, connection, address, answered, next, done]() mutable {
            RedisClusterLockBackend::readTopology(connection, address, m_base.tls,
                                                  [this, connection, address, answered, next, done](std::optional<RedisClusterTopology> topology, const QString &why) mutable {
                if (*answered)
                    return;
                const RedisClusterShard *shard = topology ? topology->shardForSlot(m_slot) : nullptr;
                if (!shard || shard->master.isEmpty() || shard->masterFailed) {
                    next(topology ? QStringLiteral("%1: slot %2 has no master now (a failover may be under way)").arg(address).arg(m_slot) : why);
                    return;
                }
                *answered = true;
                connection->deleteLater();
                m_known = topology->nodes();
                done(shard->master, QString());
            });
        });
        connection->open();
    }

    QStringList m_seeds;
    QStringList m_known;
    int m_slot;
    RedisConnectionOptions m_base;
};

} // namespace

std::unique_ptr<RedisConnection> ctlClusterMasterConnection(const QCommandLineParser &parser, const CtlRedisOptions &options,
                                                            const QString &url, const QByteArray &key, QString *error)
{
    RedisEndpointConfig endpoint;
    const std::optional<RedisConnectionOptions> found = ctlTopologyOptions(parser, options, url, RedisEndpointConfig::Topology::Cluster,
                                                                           QStringLiteral("redis-cluster://HOST:PORT[,HOST:PORT...]"), &endpoint, error);
    if (!found)
        return nullptr;
    const RedisConnectionOptions &o = *found;
    auto connection = std::make_unique<RedisConnection>(o);
    auto *resolver = new ClusterSlotResolver(endpoint.nodes, redisKeySlot(key), o, connection.get());
    connection->setAddressResolver([resolver](std::function<void(const QString &, const QString &)> done) { resolver->resolve(std::move(done)); });
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
