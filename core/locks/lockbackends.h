#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"

#include <functional>
#include <optional>

namespace fulcrum {

class SecretStore;

// The one place that knows every lock backend: what the config's "backend" may say, how each
// is created and probed. Everything above speaks of LockBackend only.
QStringList lockBackendNames();
LockBackendCapabilities lockBackendCapabilities(const QString &backend);
// What the console's picker calls an endpoint: "Redis Cluster", "Redis (Sentinel)", "Redlock", "ZooKeeper".
QString lockEndpointDisplayName(const LockEndpointConfig &endpoint);

// The endpoint's password (Redis AUTH, ZooKeeper digest); a bare "keychain" means the entry
// named after the endpoint. nullopt with `error` naming the endpoint and the source.
std::optional<QByteArray> readLockEndpointPassword(const LockEndpointConfig &endpoint, SecretStore *keychain, QString *error);
// A Redis Sentinel endpoint's sentinel_password (empty when it has none); a bare "keychain" means
// the entry "NAME/sentinels" (sentinelKeychainEntry).
std::optional<QByteArray> readRedisSentinelPassword(const LockEndpointConfig &endpoint, SecretStore *keychain, QString *error);
QString sentinelKeychainEntry(const QString &endpointName);

// One line of the console's Settings → Locks: "HOST:PORT" or "redis://HOST:PORT[/DB]" (Redis),
// "zookeeper://HOST:PORT[,HOST:PORT...][/chroot]" (ZooKeeper, lock roots /locks),
// "etcd://HOST:PORT[,HOST:PORT...]" or "etcds://..." (etcd over http or https, whole keyspace),
// "postgres://USER@HOST:PORT/DB[?sslmode=...]" (PostgreSQL advisory locks and blocking chains). The endpoint
// is named by the text itself. False with `error` naming the line and the forms it may take.
bool parseLockEndpointAddress(const QString &text, LockEndpointConfig *endpoint, QString *error);

// sentinelPassword: a Sentinel endpoint's sentinels' own (readRedisSentinelPassword).
LockBackend *createLockBackend(const LockEndpointConfig &endpoint, const QByteArray &password, QObject *parent,
                               const QByteArray &sentinelPassword = {});

// "Test connection": one attempt without retries; `done` runs once on `context`'s thread.
void probeLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &password, QObject *context,
                       std::function<void(bool ok, const QString &message)> done);

} // namespace fulcrum
