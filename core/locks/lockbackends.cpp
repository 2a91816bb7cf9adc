#include "lockbackends.h"

#include <QUrl>

#include "locks/etcd/etcdlockbackend.h"
#include "locks/redis/redisclusterlockbackend.h"
#include "locks/redis/redislockbackend.h"
#include "locks/redis/redisredlockbackend.h"
#include "locks/secretstore.h"
#include "locks/sql/mysqllockbackend.h"
#include "locks/sql/postgreslockbackend.h"
#include "locks/zookeeper/zookeeperlockbackend.h"

namespace fulcrum {

QStringList lockBackendNames()
{
    return {QStringLiteral("redis"), QStringLiteral("zookeeper"), QStringLiteral("etcd"), QStringLiteral("postgres"), QStringLiteral("mysql")};
}

LockBackendCapabilities lockBackendCapabilities(const QString &backend)
{
    if (backend == u"redis")
        return RedisLockBackend::redisCapabilities();
    if (backend == u"zookeeper")
        return ZooKeeperLockBackend::zooKeeperCapabilities();
    if (backend == u"etcd")
        return EtcdLockBackend::etcdCapabilities();
    if (backend == u"postgres")
        return PostgresLockBackend::postgresCapabilities();
    if (backend == u"mysql")
        return MysqlLockBackend::mysqlCapabilities();
    LockBackendCapabilities none;
    none.backend = backend;
    none.displayName = backend;
    return none;
}

QString lockEndpointDisplayName(const LockEndpointConfig &endpoint)
{
    if (endpoint.isRedis()) {
        switch (endpoint.redis.topology) {
        case RedisEndpointConfig::Topology::Cluster: return QStringLiteral("Redis Cluster");
        case RedisEndpointConfig::Topology::Sentinel: return QStringLiteral("Redis (Sentinel)");
        case RedisEndpointConfig::Topology::Redlock: return QStringLiteral("Redlock");
        case RedisEndpointConfig::Topology::Node: break;
        }
    }
    return lockBackendCapabilities(endpoint.backend).displayName;
}

std::optional<QByteArray> readLockEndpointPassword(const LockEndpointConfig &endpoint, SecretStore *keychain, QString *error)
{
    SecretSource source = endpoint.password();
    if (source.kind == SecretSource::None)
        return QByteArray();
    if (source.kind == SecretSource::Keychain && source.reference.isEmpty())
        source.reference = endpoint.name();
    QString why;
    auto secret = readSecret(source, keychain, &why);
    if (!secret)
        *error = QStringLiteral("password of %1 endpoint \"%2\": %3").arg(endpoint.backend, endpoint.name(), why);
    return secret;
}

QString sentinelKeychainEntry(const QString &endpointName)
{
    return endpointName + QStringLiteral("/sentinels");
}

std::optional<QByteArray> readRedisSentinelPassword(const LockEndpointConfig &endpoint, SecretStore *keychain, QString *error)
{
    if (!endpoint.isRedis() || endpoint.redis.topology != RedisEndpointConfig::Topology::Sentinel)
        return QByteArray();
    SecretSource source = endpoint.redis.sentinelPassword;
    if (source.kind == SecretSource::None)
        return QByteArray();
    if (source.kind == SecretSource::Keychain && source.reference.isEmpty())
        source.reference = sentinelKeychainEntry(endpoint.name());
    QString why;
    auto secret = readSecret(source, keychain, &why);
    if (!secret)
        *error = QStringLiteral("sentinel_password of redis endpoint \"%1\": %2").arg(endpoint.name(), why);
    return secret;
}

bool parseLockEndpointAddress(const QString &text, LockEndpointConfig *endpoint, QString *error)
{
    const QString trimmed = text.trimmed();
    const auto hostPort = [](const QString &part, QString *host, quint16 *port) {
        const qsizetype colon = part.lastIndexOf(u':');
        bool ok = false;
        const int number = colon > 0 ? part.mid(colon + 1).toInt(&ok) : 0;
        if (!ok || number < 1 || number > 65535)
            return false;
        *host = part.left(colon);
        *port = quint16(number);
        return !host->isEmpty();
    };
    const QString forms = QStringLiteral("write it like 127.0.0.1:6379, redis://127.0.0.1:6379/0, zookeeper://127.0.0.1:2181[/chroot], "
                                         "etcd://127.0.0.1:2379[,HOST:PORT...] (etcds:// for https) or postgres://USER@HOST:5432/DB");
    if (trimmed.startsWith(u"mysql://") || trimmed.startsWith(u"mariadb://")) {
        const QString why = MysqlEndpointConfig::checkUrl(trimmed);
        if (!why.isEmpty()) {
            *error = QStringLiteral("lock endpoint %1: %2").arg(QUrl(trimmed).toDisplayString(QUrl::RemovePassword), why);
            return false;
        }
        MysqlEndpointConfig m;
        m.url = trimmed;
        m.name = trimmed;
        *endpoint = LockEndpointConfig::fromMysql(m);
        return true;
    }
    if (trimmed.startsWith(u"postgres://") || trimmed.startsWith(u"postgresql://")) {
        const QString why = PostgresEndpointConfig::checkUrl(trimmed);
        if (!why.isEmpty()) {
            // The URL may carry the very password the error is about: not repeated.
            *error = QStringLiteral("lock endpoint %1: %2").arg(QUrl(trimmed).toDisplayString(QUrl::RemovePassword), why);
            return false;
        }
        PostgresEndpointConfig p;
        p.url = trimmed;
        p.name = trimmed;
        *endpoint = LockEndpointConfig::fromPostgres(p);
        return true;
    }
    if (trimmed.startsWith(u"etcd://") || trimmed.startsWith(u"etcds://")) {
        const bool https = trimmed.startsWith(u"etcds://");
        const QString hosts = trimmed.mid(https ? 8 : 7);
        EtcdEndpointConfig e;
        for (const QString &one : hosts.split(u',')) {
            QString host;
            quint16 port = 0;
            if (!hostPort(one, &host, &port) || host.contains(u'/') || host.contains(u'@')) {
                *error = QStringLiteral("lock endpoint \"%1\": \"%2\" is not HOST:PORT; %3").arg(trimmed, one, forms);
                return false;
            }
            e.endpoints << QStringLiteral("%1://%2:%3").arg(https ? QStringLiteral("https") : QStringLiteral("http"), host).arg(port);
        }
        e.name = trimmed;
        *endpoint = LockEndpointConfig::fromEtcd(e);
        return true;
    }
    if (trimmed.startsWith(u"zookeeper://")) {
        QString hosts = trimmed.mid(12);
        ZooKeeperEndpointConfig z;
        const qsizetype slash = hosts.indexOf(u'/');
        if (slash >= 0) {
            z.chroot = hosts.mid(slash);
            hosts.truncate(slash);
        }
        for (const QString &one : hosts.split(u',')) {
            QString host;
            quint16 port = 0;
            if (!hostPort(one, &host, &port)) {
                *error = QStringLiteral("lock endpoint \"%1\": \"%2\" is not HOST:PORT; %3").arg(trimmed, one, forms);
                return false;
            }
        }
        if (!z.chroot.isEmpty() && (z.chroot.size() < 2 || z.chroot.endsWith(u'/'))) {
            *error = QStringLiteral("lock endpoint \"%1\": chroot \"%2\" must be a znode path such as /shop; %3").arg(trimmed, z.chroot, forms);
            return false;
        }
        z.hosts = hosts;
        z.name = trimmed;
        *endpoint = LockEndpointConfig::fromZooKeeper(z);
        return true;
    }
    // Redis: one node, a cluster, a sentinel group or a Redlock; "rediss"/"-s" for TLS.
    RedisEndpointConfig r;
    QString address = trimmed;
    using Topology = RedisEndpointConfig::Topology;
    const struct { const char16_t *scheme; Topology topology; bool tls; } schemes[] = {
        {u"redis://", Topology::Node, false},          {u"rediss://", Topology::Node, true},
        {u"redis-cluster://", Topology::Cluster, false}, {u"rediss-cluster://", Topology::Cluster, true},
        {u"redis-sentinel://", Topology::Sentinel, false}, {u"rediss-sentinel://", Topology::Sentinel, true},
        {u"redlock://", Topology::Redlock, false},     {u"redlocks://", Topology::Redlock, true},
    };
    for (const auto &scheme : schemes) {
        const QString prefix = QString::fromUtf16(scheme.scheme);
        if (address.startsWith(prefix)) {
            address = address.mid(prefix.size());
            r.topology = scheme.topology;
            r.tls = scheme.tls;
            break;
        }
    }
    const QString redisForms = QStringLiteral("write it like 127.0.0.1:6379, redis://[USER@]HOST:PORT[/DB] (rediss:// for TLS), "
                                              "redis-cluster://HOST:PORT[,HOST:PORT...], redis-sentinel://HOST:PORT[,...]/MASTER or "
                                              "redlock://HOST:PORT,HOST:PORT,HOST:PORT; or zookeeper:// and etcd:// lines");
    const qsizetype at = address.indexOf(u'@');
    if (at >= 0) {
        r.user = address.left(at);
        address = address.mid(at + 1);
        if (r.user.isEmpty() || r.user.contains(u':')) {
            *error = QStringLiteral("lock endpoint \"%1\": a password never goes in the address; give USER@ only and the password in the "
                                    "keychain, a 0600 file or the environment").arg(trimmed);
            return false;
        }
    }
    const qsizetype slash = address.indexOf(u'/');
    QString tail;
    if (slash >= 0) {
        tail = address.mid(slash + 1);
        address.truncate(slash);
    }
    if (r.topology == Topology::Sentinel) {
        r.masterName = tail;
        if (r.masterName.isEmpty()) {
            *error = QStringLiteral("lock endpoint \"%1\": name the master the sentinels watch after the slash; %2").arg(trimmed, redisForms);
            return false;
        }
    } else if (!tail.isEmpty()) {
        bool ok = false;
        r.database = tail.toInt(&ok);
        if (!ok || r.database < 0 || r.database > 15 || r.topology == Topology::Cluster) {
            *error = QStringLiteral("lock endpoint \"%1\": database must be 0..15 (a cluster has only 0); %2").arg(trimmed, redisForms);
            return false;
        }
    }
    const QStringList parts = address.split(u',');
    if (r.topology == Topology::Node && parts.size() > 1) {
        *error = QStringLiteral("lock endpoint \"%1\" lists several nodes; say which kind: %2").arg(trimmed, redisForms);
        return false;
    }
    for (const QString &part : parts) {
        QString host;
        quint16 port = 0;
        if (!hostPort(part, &host, &port)) {
            *error = QStringLiteral("lock endpoint \"%1\": \"%2\" is not host:port; %3").arg(trimmed, part, redisForms);
            return false;
        }
        r.nodes << part;
        if (r.nodes.size() == 1) {
            r.host = host;
            r.port = port;
        }
    }
    if (r.topology == Topology::Node)
        r.nodes.clear();
    if (r.topology == Topology::Redlock && r.nodes.size() < 3) {
        *error = QStringLiteral("lock endpoint \"%1\": a Redlock needs at least 3 independent masters; list them all").arg(trimmed);
        return false;
    }
    r.name = trimmed;
    *endpoint = LockEndpointConfig::fromRedis(r);
    return true;
}

LockBackend *createLockBackend(const LockEndpointConfig &endpoint, const QByteArray &password, QObject *parent,
                               const QByteArray &sentinelPassword)
{
    if (endpoint.isPostgres())
        return new PostgresLockBackend(endpoint.postgres, password, parent);
    if (endpoint.isMysql())
        return new MysqlLockBackend(endpoint.mysql, password, parent);
    if (endpoint.isZooKeeper())
        return new ZooKeeperLockBackend(endpoint.zookeeper, password, parent);
    if (endpoint.isEtcd())
        return new EtcdLockBackend(endpoint.etcd, password, parent);
    if (endpoint.redis.topology == RedisEndpointConfig::Topology::Cluster)
        return new RedisClusterLockBackend(endpoint.redis, password, parent);
    if (endpoint.redis.topology == RedisEndpointConfig::Topology::Redlock)
        return new RedisRedlockBackend(endpoint.redis, password, parent);
    return new RedisLockBackend(endpoint.redis, password, parent, sentinelPassword);
}

// A Redlock answers when a quorum of its masters does; each master's answer is in the message.
static void probeRedlockMasters(const RedisEndpointConfig &config, const QByteArray &password, QObject *context,
                                std::function<void(bool ok, const QString &message)> done)
{
    struct Tally
    {
        int remaining = 0;
        int ok = 0;
        QStringList lines;
        std::function<void(bool, const QString &)> done;
    };
    auto tally = std::make_shared<Tally>();
    tally->remaining = int(config.nodes.size());
    tally->done = std::move(done);
    for (const QString &node : config.nodes) {
        RedisEndpointConfig one = config;
        one.topology = RedisEndpointConfig::Topology::Node;
        one.nodes.clear();
        one.host = node.section(u':', 0, -2);
        one.port = quint16(node.section(u':', -1).toInt());
        RedisLockBackend::probe(one, password, context, [tally, config](bool ok, const QString &message) {
            tally->ok += ok ? 1 : 0;
            tally->lines << message;
            if (--tally->remaining > 0)
                return;
            const int quorum = int(config.nodes.size()) / 2 + 1;
            tally->done(tally->ok >= quorum, QStringLiteral("%1: %2 of %3 masters answered (a quorum is %4): %5")
                                                 .arg(config.url()).arg(tally->ok).arg(config.nodes.size()).arg(quorum)
                                                 .arg(tally->lines.join(QStringLiteral("; "))));
        });
    }
}

void probeLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &password, QObject *context,
                       std::function<void(bool ok, const QString &message)> done)
{
    if (endpoint.isPostgres())
        PostgresLockBackend::probe(endpoint.postgres, password, context, std::move(done));
    else if (endpoint.isMysql())
        MysqlLockBackend::probe(endpoint.mysql, password, context, std::move(done));
    else if (endpoint.isZooKeeper())
        ZooKeeperLockBackend::probe(endpoint.zookeeper, password, context, std::move(done));
    else if (endpoint.isEtcd())
        EtcdLockBackend::probe(endpoint.etcd, password, context, std::move(done));
    else if (endpoint.redis.topology == RedisEndpointConfig::Topology::Cluster)
        RedisClusterLockBackend::probe(endpoint.redis, password, context, std::move(done));
    else if (endpoint.redis.topology == RedisEndpointConfig::Topology::Redlock)
        probeRedlockMasters(endpoint.redis, password, context, std::move(done));
    else
        RedisLockBackend::probe(endpoint.redis, password, context, std::move(done));
}

} // namespace fulcrum
