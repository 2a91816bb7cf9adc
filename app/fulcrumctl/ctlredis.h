#pragma once

#include "locks/redis/redisconnection.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <memory>
#include <optional>

// Options every Redis-facing fulcrumctl command shares, and the way they become a connection.
// The password comes from --password-file (0600), FULCRUM_REDIS_PASSWORD, or --keychain ENTRY;
// never from the command line or the URL.
struct CtlRedisOptions
{
    QCommandLineOption redis{QStringLiteral("redis"), QStringLiteral("Redis endpoint: redis://[USER@]HOST:PORT[/DB], rediss://... (TLS) or unix:///path/redis.sock[?db=N]; redis-sentinel://H:P[,...]/MASTER (the master its sentinels name) or redis-cluster://H:P[,H:P...] (lock: the master of KEY's slot); locks list|release|show also take redlock://H:P,H:P,H:P."), QStringLiteral("URL")};
    QCommandLineOption passwordFile{QStringLiteral("password-file"), QStringLiteral("Read the Redis password from this file (must be mode 0600)."), QStringLiteral("PATH")};
    QCommandLineOption keychain{QStringLiteral("keychain"), QStringLiteral("Read the Redis password from this keychain entry (service \"fulcrum\")."), QStringLiteral("ENTRY")};
    QCommandLineOption timeout{QStringLiteral("timeout"), QStringLiteral("Connect and command timeout (default 5s)."), QStringLiteral("DURATION"), QStringLiteral("5s")};
    QCommandLineOption sentinelUser{QStringLiteral("sentinel-user"), QStringLiteral("redis-sentinel://: the sentinels' own ACL user (its password from --sentinel-password-file or FULCRUM_SENTINEL_PASSWORD)."), QStringLiteral("USER")};
    QCommandLineOption sentinelPasswordFile{QStringLiteral("sentinel-password-file"), QStringLiteral("redis-sentinel://: read the sentinels' own password (their requirepass) from this file (mode 0600); or set FULCRUM_SENTINEL_PASSWORD."), QStringLiteral("PATH")};

    void addTo(QCommandLineParser &parser) const { parser.addOptions({redis, passwordFile, keychain, timeout, sentinelUser, sentinelPasswordFile}); }
};

// The sentinels' own credentials from --sentinel-user, --sentinel-password-file or
// FULCRUM_SENTINEL_PASSWORD onto a Sentinel endpoint; false with *error when they are given for
// another kind of endpoint, or a user without a password.
bool ctlApplySentinelOptions(const QCommandLineParser &parser, const CtlRedisOptions &options, fulcrum::RedisEndpointConfig *endpoint, QString *error);
// The error for the sentinels' options given without a redis-sentinel:// endpoint.
QString ctlSentinelOptionsMisplaced();

// Exit statuses shared by the lock commands (docs/locks.md).
enum CtlExit { ExitOk = 0, ExitNotAcquired = 1, ExitUsage = 2, ExitNotHolder = 3, ExitBackend = 4, ExitRunLockUnavailable = 75, ExitRunLockLost = 76 };

// Builds connection options for one URL; on failure returns nullopt with a message naming the input.
// A password from --password-file (0600), else the environment variable, else --keychain ENTRY;
// empty when none is given. nullopt with *error when the one given cannot be read.
std::optional<QByteArray> ctlReadPassword(const QCommandLineParser &parser, const QCommandLineOption &passwordFile,
                                          const QCommandLineOption &keychain, const QString &environmentVariable, QString *error);

std::optional<fulcrum::RedisConnectionOptions> ctlConnectionOptions(const QCommandLineParser &parser, const CtlRedisOptions &options,
                                                                    const QString &url, QString *error);
// A connection to the master a group of sentinels names (redis-sentinel://H:P[,H:P...]/MASTER),
// asking them again on every connect and reconnecting when they announce a failover; not yet
// opened. nullptr with *error naming the input.
std::unique_ptr<fulcrum::RedisConnection> ctlSentinelMasterConnection(const QCommandLineParser &parser, const CtlRedisOptions &options,
                                                                      const QString &url, QString *error);
bool ctlIsSentinelUrl(const QString &url);
// A connection to the master of KEY's slot in a Redis Cluster (redis-cluster://H:P[,H:P...]):
// the map is read (CLUSTER SHARDS, else CLUSTER NODES) from the seeds and the nodes of the last
// map on every connect, so a reconnect after a failover finds the promoted replica. Not yet
// opened. nullptr with *error naming the input.
std::unique_ptr<fulcrum::RedisConnection> ctlClusterMasterConnection(const QCommandLineParser &parser, const CtlRedisOptions &options,
                                                                     const QString &url, const QByteArray &key, QString *error);
bool ctlIsClusterUrl(const QString &url);
// Opens a connection and waits until it is usable or has failed once.
std::unique_ptr<fulcrum::RedisConnection> ctlConnect(const fulcrum::RedisConnectionOptions &options, QString *error);
