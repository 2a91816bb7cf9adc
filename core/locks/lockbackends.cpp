#include "lockbackends.h"

#include <QUrl>

#include "locks/etcd/etcdlockbackend.h"
#include "locks/redis/redislockbackend.h"
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
    RedisEndpointConfig r;
    QString address = trimmed;
    if (address.startsWith(u"redis://")) {
        address = address.mid(8);
        const qsizetype slash = address.indexOf(u'/');
        if (slash >= 0) {
            bool ok = false;
            r.database = address.mid(slash + 1).toInt(&ok);
            if (!ok || r.database < 0 || r.database > 15) {
                *error = QStringLiteral("lock endpoint \"%1\": database must be 0..15; %2").arg(trimmed, forms);
                return false;
            }
            address.truncate(slash);
        }
    }
    if (!hostPort(address, &r.host, &r.port)) {
        *error = QStringLiteral("lock endpoint \"%1\" is not host:port; %2").arg(trimmed, forms);
        return false;
    }
    r.name = trimmed;
    *endpoint = LockEndpointConfig::fromRedis(r);
    return true;
}

LockBackend *createLockBackend(const LockEndpointConfig &endpoint, const QByteArray &password, QObject *parent)
{
    if (endpoint.isPostgres())
        return new PostgresLockBackend(endpoint.postgres, password, parent);
    if (endpoint.isMysql())
        return new MysqlLockBackend(endpoint.mysql, password, parent);
    if (endpoint.isZooKeeper())
        return new ZooKeeperLockBackend(endpoint.zookeeper, password, parent);
    if (endpoint.isEtcd())
        return new EtcdLockBackend(endpoint.etcd, password, parent);
    return new RedisLockBackend(endpoint.redis, password, parent);
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
    else
        RedisLockBackend::probe(endpoint.redis, password, context, std::move(done));
}

} // namespace fulcrum
