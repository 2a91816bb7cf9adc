// fulcrumctl lock acquire|release|extend|run: Fulcrum's own lock client from scripts.
#include "command.h"
#include "ctlredis.h"
#include "heldcommand.h"
#include "lockrunetcd.h"
#include "lockrunpostgres.h"
#include "lockrunzookeeper.h"

#include "common/duration.h"
#include "locks/redis/glob.h"
#include "locks/redis/lockclient.h"
#include "locks/redis/redisclustertopology.h"
#include "locks/redis/redislockinspector.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>
#include <unistd.h>
#include <vector>

using namespace fulcrum;

namespace {

// Everything the four subcommands share: parsing, one connection per --redis (more than one
// = Redlock), the client.
struct LockSession
{
    QCommandLineParser parser;
    CtlRedisOptions redis;
    QCommandLineOption ttl{QStringLiteral("ttl"), QStringLiteral("Lock TTL (default 30s)."), QStringLiteral("DURATION"), QStringLiteral("30s")};
    QCommandLineOption wait{QStringLiteral("wait"), QStringLiteral("Keep trying this long if the lock is held (default 0: one attempt)."), QStringLiteral("DURATION"), QStringLiteral("0")};
    QCommandLineOption token{QStringLiteral("token"), QStringLiteral("Token printed by 'lock acquire'."), QStringLiteral("TOKEN")};
    QCommandLineOption json{QStringLiteral("json"), QStringLiteral("acquire: print token, fence and validity as JSON.")};
    qint64 ttlMs = 0;
    qint64 waitMs = 0;
    QByteArray key;
    std::vector<std::unique_ptr<RedisConnection>> connections;
    std::unique_ptr<LockClient> client;
    QString name;

    int error(const QString &message, int status)
    {
        ctlErr(QStringLiteral("fulcrumctl lock %1: %2\n").arg(name, message));
        return status;
    }

    // Returns -1 when ready, else the exit status.
    int setUp(const QString &subcommand, const QString &description, const QStringList &arguments, bool needsToken)
    {
        name = subcommand;
        parser.setApplicationDescription(description);
        redis.addTo(parser);
        parser.addOptions({ttl, wait, token, json});
        parser.addPositionalArgument(QStringLiteral("KEY"), QStringLiteral("Lock key."));
        if (subcommand == u"run")
            parser.addPositionalArgument(QStringLiteral("--"), QStringLiteral("Then the command to run under the lock, and its arguments."), QStringLiteral("-- COMMAND [ARGS...]"));
        parser.addHelpOption();
        if (!parser.parse(QStringList{QStringLiteral("fulcrumctl lock ") + subcommand} + arguments))
            return error(parser.errorText(), ExitUsage);
        if (parser.isSet(QStringLiteral("help"))) {
            ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl lock ") + subcommand));
            return ExitOk;
        }
        if (parser.positionalArguments().size() != 1)
            return error(QStringLiteral("give exactly one KEY"), ExitUsage);
        if (!parser.isSet(redis.redis))
            return error(QStringLiteral("give --redis redis://HOST:PORT[/DB], redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER or "
                                        "redis-cluster://HOST:PORT[,HOST:PORT...] (repeat it for Redlock over independent masters)"),
                         ExitUsage);
        if (needsToken && !parser.isSet(token))
            return error(QStringLiteral("give --token TOKEN as printed by 'fulcrumctl lock acquire'"), ExitUsage);
        const auto parsedKey = unescapeBytes(parser.positionalArguments().first());
        if (!parsedKey)
            return error(QStringLiteral("KEY has a lone backslash; write \\\\ for a backslash and \\xHH for a raw byte"), ExitUsage);
        if (parsedKey->isEmpty())   // `lock run "$LOCK" ...` with LOCK unset: every such job would share one lock
            return error(QStringLiteral("KEY is empty (an unset shell variable?); give the lock's key, e.g. lock:nightly-export"), ExitUsage);
        key = *parsedKey;
        // A lock the console's Locks tab will not show, said to a person at a terminal (a cron
        // job's mail gets nothing): the inspector reads the keys its patterns match.
        const QStringList patterns = RedisLockInspectorOptions().patterns;
        if (::isatty(STDERR_FILENO)
            && std::none_of(patterns.begin(), patterns.end(), [&](const QString &p) { return redisGlobMatch(p.toUtf8(), key); }))
            ctlErr(QStringLiteral("note: \"%1\" does not match %2, the key patterns Fulcrum's Locks tab and 'locks list' read by default: "
                                  "name it lock:%1, or add a pattern to the endpoint's lock_patterns\n")
                       .arg(escapeBytes(key), patterns.join(QStringLiteral(" or "))));
        const auto parsedTtl = parseDurationMs(parser.value(ttl));
        if (!parsedTtl || *parsedTtl < 10)
            return error(QStringLiteral("--ttl \"%1\" must be a duration of at least 10ms, e.g. 30s").arg(parser.value(ttl)), ExitUsage);
        ttlMs = *parsedTtl;
        const auto parsedWait = parseDurationMs(parser.value(wait));
        if (!parsedWait)
            return error(QStringLiteral("--wait \"%1\" must be a duration such as 10s").arg(parser.value(wait)), ExitUsage);
        waitMs = *parsedWait;
        QList<RedisConnection *> masters;
        const QStringList urls = parser.values(redis.redis);
        if ((parser.isSet(redis.sentinelUser) || parser.isSet(redis.sentinelPasswordFile)) && std::none_of(urls.begin(), urls.end(), ctlIsSentinelUrl))
            return error(ctlSentinelOptionsMisplaced(), ExitUsage);
        for (const QString &url : urls) {
            QString why;
            std::unique_ptr<RedisConnection> connection;
            if (ctlIsClusterUrl(url)) {
                // The master of KEY's slot, found again from the cluster's map on every reconnect.
                if (redisKeySlot(LockClient::clusterFenceKey(key)) != redisKeySlot(key))
                    return error(QStringLiteral("in a Redis Cluster the fencing counter must share KEY's slot, and \"%1\" has a '}' outside a {tag}; "
                                                "give the key a hash tag, e.g. {orders}:%1").arg(escapeBytes(key)),
                                 ExitUsage);
                connection = ctlClusterMasterConnection(parser, redis, url, key, &why);
                if (!connection)
                    return error(why, ExitUsage);
            } else if (ctlIsSentinelUrl(url)) {
                // The master the sentinels name now, and after a failover the next one.
                connection = ctlSentinelMasterConnection(parser, redis, url, &why);
                if (!connection)
                    return error(why, ExitUsage);
            } else {
                auto options = ctlConnectionOptions(parser, redis, url, &why);
                if (!options)
                    return error(why, ExitUsage);
                connection = std::make_unique<RedisConnection>(*options);
            }
            masters << connection.get();
            connections.push_back(std::move(connection));
        }
        // With Redlock a master that is down is tolerated; with one master it is an error.
        QEventLoop loop;
        QSet<RedisConnection *> settled;
        for (auto &c : connections) {
            auto count = [&, connection = c.get()] {
                settled.insert(connection);
                if (settled.size() == qsizetype(connections.size()))
                    loop.quit();
            };
            QObject::connect(c.get(), &RedisConnection::connected, &loop, count);
            QObject::connect(c.get(), &RedisConnection::errorOccurred, &loop, count);
            c->open();
        }
        loop.exec();
        int up = 0;
        QString lastError;
        for (auto &c : connections) {
            if (c->isConnected())
                ++up;
            else
                lastError = c->lastError();
        }
        client = std::make_unique<LockClient>(masters);
        client->setCluster(std::any_of(urls.begin(), urls.end(), ctlIsClusterUrl));
        if (up < client->quorum())
            return error(QStringLiteral("only %1 of %2 Redis masters reachable: %3").arg(up).arg(connections.size()).arg(lastError), ExitBackend);
        return -1;
    }

    LockHandle handleFromToken() const
    {
        LockHandle handle;
        handle.key = key;
        handle.token = parser.value(token).toUtf8();
        return handle;
    }

    LockResult acquire(qint64 wait)
    {
        LockOptions options;
        options.ttlMs = ttlMs;
        options.waitMs = wait;
        QEventLoop loop;
        LockResult result;
        client->acquire(key, options, [&](const LockResult &r) {
            result = r;
            loop.quit();
        });
        loop.exec();
        return result;
    }

    LockOperationResult run(const std::function<void(std::function<void(const LockOperationResult &)>)> &start)
    {
        QEventLoop loop;
        LockOperationResult result;
        start([&](const LockOperationResult &r) {
            result = r;
            loop.quit();
        });
        loop.exec();
        return result;
    }
};

int lockAcquire(const QStringList &arguments)
{
    LockSession s;
    if (const int status = s.setUp(QStringLiteral("acquire"),
                                   QStringLiteral("Acquire KEY (SET NX PX with a 128-bit random token, fencing token from INCR). Prints the token on stdout.\n"
                                                  "Exit 0 acquired; 1 held by someone else; 4 Redis error."),
                                   arguments, false);
        status >= 0)
        return status;
    const LockResult result = s.acquire(s.waitMs);
    if (!result.acquired)
        return s.error(result.error, result.heldByOther ? ExitNotAcquired : ExitBackend);
    if (s.parser.isSet(s.json)) {
        ctlOut(QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("key"), escapeBytes(s.key)},
                                                           {QStringLiteral("token"), QString::fromUtf8(result.handle.token)},
                                                           {QStringLiteral("fence"), result.handle.fence},
                                                           {QStringLiteral("validity_ms"), result.handle.validityMs}})
                                     .toJson(QJsonDocument::Compact)) + u'\n');
    } else {
        ctlOut(QString::fromUtf8(result.handle.token) + u'\n');
        ctlErr(QStringLiteral("acquired \"%1\": fence %2, valid for %3\n").arg(escapeBytes(s.key)).arg(result.handle.fence).arg(formatDurationMs(result.handle.validityMs)));
    }
    return ExitOk;
}

int lockRelease(const QStringList &arguments)
{
    LockSession s;
    if (const int status = s.setUp(QStringLiteral("release"),
                                   QStringLiteral("Release KEY if TOKEN still holds it (compare-and-delete in Lua).\n"
                                                  "Exit 0 released; 3 not held by TOKEN (expired or someone else's now; nothing deleted); 4 Redis error."),
                                   arguments, true);
        status >= 0)
        return status;
    const LockHandle handle = s.handleFromToken();
    const LockOperationResult result = s.run([&](auto done) { s.client->release(handle, done); });
    if (result.ok)
        return ExitOk;
    if (result.notHolder)
        return s.error(QStringLiteral("\"%1\" is not held by this token (expired, or someone else holds it now); nothing deleted").arg(escapeBytes(s.key)), ExitNotHolder);
    return s.error(result.error, ExitBackend);
}

int lockExtend(const QStringList &arguments)
{
    LockSession s;
    if (const int status = s.setUp(QStringLiteral("extend"),
                                   QStringLiteral("Set KEY's TTL to --ttl if TOKEN still holds it (compare-and-pexpire in Lua).\n"
                                                  "Exit 0 extended; 3 not held by TOKEN; 4 Redis error."),
                                   arguments, true);
        status >= 0)
        return status;
    const LockHandle handle = s.handleFromToken();
    const LockOperationResult result = s.run([&](auto done) { s.client->extend(handle, s.ttlMs, done); });
    if (result.ok)
        return ExitOk;
    if (result.notHolder)
        return s.error(QStringLiteral("\"%1\" is not held by this token; nothing extended").arg(escapeBytes(s.key)), ExitNotHolder);
    return s.error(result.error, ExitBackend);
}

int lockRun(const QStringList &allArguments)
{
    const qsizetype separator = allArguments.indexOf(QStringLiteral("--"));
    const QStringList command = separator < 0 ? QStringList() : allArguments.mid(separator + 1);
    const QStringList options = separator < 0 ? allArguments : allArguments.mid(0, separator);
    if (std::any_of(options.begin(), options.end(), [](const QString &o) { return o.startsWith(u"--zookeeper"); }))
        return lockRunZooKeeper(options, command);
    if (std::any_of(options.begin(), options.end(), [](const QString &o) { return o.startsWith(u"--etcd"); }))
        return lockRunEtcd(options, command);
    if (std::any_of(options.begin(), options.end(), [](const QString &o) { return o.startsWith(u"--postgres"); }))
        return lockRunPostgres(options, command);
    LockSession s;
    if (const int status = s.setUp(QStringLiteral("run"),
                                   QStringLiteral("Hold KEY while COMMAND runs: acquire (waiting up to --wait), renew every ttl/3, release after.\n"
                                                  "Example: fulcrumctl lock run lock:nightly-export --ttl 30s --redis redis://127.0.0.1:6379 -- ./export.sh\n"
                                                  "Exit: COMMAND's status; 75 lock not acquired; 76 lock lost while running (COMMAND was sent SIGTERM).\n"
                                                  "COMMAND sees FULCRUM_LOCK_FENCE, the fencing token, for storage that rejects stale writers.\n"
                                                  "SIGTERM, SIGINT and SIGHUP are passed on to COMMAND; the lock is released once it has stopped.\n"
                                                  "With --zookeeper instead of --redis: see 'fulcrumctl lock run --zookeeper HOSTS --help';\n"
                                                  "with --etcd: 'fulcrumctl lock run --etcd URL --help'; with --postgres: 'fulcrumctl lock run --postgres URL --help'."),
                                   options, false);
        status >= 0)
        return status;
    if (command.isEmpty())
        return s.error(QStringLiteral("give the command after --, e.g. fulcrumctl lock run KEY --ttl 30s --redis URL -- ./nightly.sh"), ExitUsage);
    for (auto &c : s.connections)
        c->open(); // keep reconnecting while the command runs: the watchdog rides out short drops
    const LockResult acquired = s.acquire(s.waitMs);
    if (!acquired.acquired)
        return s.error(acquired.error, ExitRunLockUnavailable);

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FULCRUM_LOCK_FENCE"), QString::number(acquired.handle.fence));
    HeldCommand held(command, environment);
    LockWatchdog watchdog(s.client.get(), acquired.handle, s.ttlMs);
    QObject::connect(&watchdog, &LockWatchdog::lost, &watchdog, [&held](const QString &why) { held.lockLost(why); });
    watchdog.start();
    held.exec();
    watchdog.stop();
    const LockOperationResult released = s.run([&](auto done) { s.client->release(acquired.handle, done); });
    if (!released.ok && !held.lockWasLost())
        ctlErr(QStringLiteral("fulcrumctl lock run: releasing \"%1\" failed (%2); it expires by itself within %3\n")
                   .arg(escapeBytes(s.key), released.notHolder ? QStringLiteral("no longer held") : released.error, formatDurationMs(s.ttlMs)));
    if (!held.started())
        return s.error(held.startError(), held.exitStatus());
    return held.exitStatus();
}

int lock(const QStringList &arguments)
{
    const QString sub = arguments.value(0);
    if (sub == u"acquire")
        return lockAcquire(arguments.mid(1));
    if (sub == u"release")
        return lockRelease(arguments.mid(1));
    if (sub == u"extend")
        return lockExtend(arguments.mid(1));
    if (sub == u"run")
        return lockRun(arguments.mid(1));
    const QString usage = QStringLiteral("Usage: fulcrumctl lock acquire KEY --redis URL [--redis URL]... [--ttl 30s] [--wait 10s] [--json]\n"
                                         "       fulcrumctl lock release KEY --token TOKEN --redis URL...\n"
                                         "       fulcrumctl lock extend KEY --token TOKEN --ttl 30s --redis URL...\n"
                                         "       fulcrumctl lock run KEY --ttl 30s --redis URL... -- COMMAND [ARGS...]\n"
                                         "       fulcrumctl lock run NAME --zookeeper HOSTS[/CHROOT] [--path /locks/NAME] [--wait 0] -- COMMAND [ARGS...]\n"
                                         "       fulcrumctl lock run NAME --etcd URL[,URL...] [--prefix /locks/] [--ttl 30s] [--wait 0] -- COMMAND [ARGS...]\n"
                                         "       fulcrumctl lock run NAME --postgres URL [--wait 0] -- COMMAND [ARGS...]\n"
                                         "URL: redis://, rediss:// or unix:// (one master), redis-sentinel://H:P[,H:P...]/MASTER (the master its sentinels name,\n"
                                         "followed through failovers) or redis-cluster://H:P[,H:P...] (the master of KEY's slot). Several --redis = Redlock over independent masters. Run 'fulcrumctl lock acquire --help' for options.\n"
                                         "ZooKeeper (Curator's InterProcessMutex recipe), etcd (concurrency.Mutex) and PostgreSQL (pg_advisory_lock) are there for 'lock run' only.\n");
    if (sub == u"--help" || sub == u"-h") {
        ctlOut(usage);
        return ExitOk;
    }
    ctlErr(sub.isEmpty() ? usage : QStringLiteral("fulcrumctl lock: unknown subcommand \"%1\"\n%2").arg(sub, usage));
    return ExitUsage;
}

} // namespace

FULCRUM_CTL_COMMAND(lock, "lock", "acquire, release, extend a Redis lock, or hold a Redis, ZooKeeper, etcd or PostgreSQL lock while a command runs", lock);
