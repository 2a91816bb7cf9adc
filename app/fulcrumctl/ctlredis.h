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
    QCommandLineOption redis{QStringLiteral("redis"), QStringLiteral("Redis endpoint: redis://[USER@]HOST:PORT[/DB], rediss://... (TLS) or unix:///path/redis.sock[?db=N]; locks list|release|show also take redis-cluster://H:P[,H:P...], redis-sentinel://H:P[,...]/MASTER and redlock://H:P,H:P,H:P."), QStringLiteral("URL")};
    QCommandLineOption passwordFile{QStringLiteral("password-file"), QStringLiteral("Read the Redis password from this file (must be mode 0600)."), QStringLiteral("PATH")};
    QCommandLineOption keychain{QStringLiteral("keychain"), QStringLiteral("Read the Redis password from this keychain entry (service \"fulcrum\")."), QStringLiteral("ENTRY")};
    QCommandLineOption timeout{QStringLiteral("timeout"), QStringLiteral("Connect and command timeout (default 5s)."), QStringLiteral("DURATION"), QStringLiteral("5s")};

    void addTo(QCommandLineParser &parser) const { parser.addOptions({redis, passwordFile, keychain, timeout}); }
};

// Exit statuses shared by the lock commands (docs/locks.md).
enum CtlExit { ExitOk = 0, ExitNotAcquired = 1, ExitUsage = 2, ExitNotHolder = 3, ExitBackend = 4, ExitRunLockUnavailable = 75, ExitRunLockLost = 76 };

// Builds connection options for one URL; on failure returns nullopt with a message naming the input.
// A password from --password-file (0600), else the environment variable, else --keychain ENTRY;
// empty when none is given. nullopt with *error when the one given cannot be read.
std::optional<QByteArray> ctlReadPassword(const QCommandLineParser &parser, const QCommandLineOption &passwordFile,
                                          const QCommandLineOption &keychain, const QString &environmentVariable, QString *error);

std::optional<fulcrum::RedisConnectionOptions> ctlConnectionOptions(const QCommandLineParser &parser, const CtlRedisOptions &options,
                                                                    const QString &url, QString *error);
// Opens a connection and waits until it is usable or has failed once.
std::unique_ptr<fulcrum::RedisConnection> ctlConnect(const fulcrum::RedisConnectionOptions &options, QString *error);
