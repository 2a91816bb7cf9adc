// fulcrumctl locks list|release: see who holds which lock, release a stuck one safely.
#include "command.h"
#include "ctlengine.h"
#include "ctletcd.h"
#include "ctlredis.h"
#include "ctltable.h"

#include "common/duration.h"
#include "common/statedir.h"
#include "engine/auditlog.h"
#include "engine/lockservice.h"
#include "locks/lockbackends.h"
#include "locks/redis/redisurl.h"
#include "locks/secretstore.h"

#include <QDir>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <chrono>

using namespace fulcrum;

static QString defaultAuditLogPath()
{
    return defaultStateDir() + QStringLiteral("/audit.log");
}

namespace {

// The direct forms speak to one lock endpoint of any backend, named on the command line:
// --redis URL, --zookeeper HOSTS[/chroot] or --etcd URL[,URL...]. The password comes from --password-file (0600), the
// backend's environment variable, or --keychain ENTRY; never from the command line or the URL.
struct CtlLockEndpointOptions
{
    CtlRedisOptions redis;
    QCommandLineOption zookeeper{QStringLiteral("zookeeper"), QStringLiteral("ZooKeeper ensemble: HOST:PORT[,HOST:PORT...][/chroot]."), QStringLiteral("HOSTS")};
    QCommandLineOption path{QStringLiteral("path"), QStringLiteral("ZooKeeper lock root, repeatable (default /locks)."), QStringLiteral("ZNODE")};
    QCommandLineOption user{QStringLiteral("user"), QStringLiteral("ZooKeeper digest auth or etcd user (its password from --password-file, FULCRUM_ZOOKEEPER_PASSWORD / FULCRUM_ETCD_PASSWORD or --keychain)."), QStringLiteral("USER")};
    QCommandLineOption etcd{QStringLiteral("etcd"), QStringLiteral("etcd members: URL[,URL...] (http://HOST:2379 or https://HOST:2379; HOST:PORT means http)."), QStringLiteral("URLS")};
    QCommandLineOption prefix{QStringLiteral("prefix"), QStringLiteral("etcd key prefix to read, repeatable (default: the whole keyspace)."), QStringLiteral("PREFIX")};
    QCommandLineOption caFile{QStringLiteral("ca-file"), QStringLiteral("TLS (etcd https://, Redis rediss://): the CA of the servers' certificates."), QStringLiteral("PATH")};
    QCommandLineOption certFile{QStringLiteral("cert-file"), QStringLiteral("TLS: client certificate (with --key-file)."), QStringLiteral("PATH")};
    QCommandLineOption keyFile{QStringLiteral("key-file"), QStringLiteral("TLS: the client certificate's key."), QStringLiteral("PATH")};
    QCommandLineOption serverName{QStringLiteral("server-name"), QStringLiteral("Redis TLS: the name the server's certificate must carry (default: the host)."), QStringLiteral("NAME")};
    QCommandLineOption tlsInsecure{QStringLiteral("tls-insecure"), QStringLiteral("Redis TLS: do not verify the server's certificate (never in production).")};
    QCommandLineOption postgres{QStringLiteral("postgres"), QStringLiteral("PostgreSQL server: postgres://USER@HOST:5432/DB[?sslmode=...] (its password from --password-file, FULCRUM_POSTGRES_PASSWORD or --keychain; never in the URL)."), QStringLiteral("URL")};
    QCommandLineOption mysql{QStringLiteral("mysql"), QStringLiteral("MySQL or MariaDB server: mysql://USER@HOST:3306/DB (its password from --password-file, FULCRUM_MYSQL_PASSWORD or --keychain; never in the URL)."), QStringLiteral("URL")};
    QCommandLineOption noChains{QStringLiteral("no-chains"), QStringLiteral("PostgreSQL: read advisory locks only, not the blocking chains of row and table locks.")};
    QCommandLineOption match{QStringLiteral("match"), QStringLiteral("Redis key pattern, repeatable (default: lock:* and *:lock:*)."), QStringLiteral("PATTERN")};
    QCommandLineOption count{QStringLiteral("count"), QStringLiteral("Redis SCAN COUNT per call (default 1000)."), QStringLiteral("N"), QStringLiteral("1000")};

    void addTo(QCommandLineParser &parser) const
    {
        redis.addTo(parser);
        parser.addOptions({zookeeper, path, user, match, count, etcd, prefix, caFile, certFile, keyFile, serverName, tlsInsecure, postgres, mysql, noChains});
    }
};

// The endpoint the options name, and its password; nullopt with a message naming the input.
std::optional<std::pair<LockEndpointConfig, QByteArray>> ctlLockEndpoint(const QCommandLineParser &parser, const CtlLockEndpointOptions &o,
                                                                         QString *error)
{
    const bool redis = parser.isSet(o.redis.redis);
    const bool zookeeper = parser.isSet(o.zookeeper);
    const bool etcd = parser.isSet(o.etcd);
    const bool postgres = parser.isSet(o.postgres);
    const bool mysql = parser.isSet(o.mysql);
    if (int(redis) + int(zookeeper) + int(etcd) + int(postgres) + int(mysql) != 1) {
        *error = QStringLiteral("give exactly one of --redis redis://HOST:PORT[/DB], --zookeeper HOST:PORT[,HOST:PORT...][/chroot], "
                                "--etcd http://HOST:2379[,URL...], --postgres postgres://USER@HOST:5432/DB and --mysql mysql://USER@HOST:3306/DB "
                                "(or --engine URL to ask a running fulcrumd)");
        return std::nullopt;
    }
    LockEndpointConfig config;
    if (mysql) {
        const QString why = MysqlEndpointConfig::checkUrl(parser.value(o.mysql));
        if (!why.isEmpty()) {
            *error = QStringLiteral("--mysql: %1").arg(why);
            return std::nullopt;
        }
        MysqlEndpointConfig m;
        m.url = parser.value(o.mysql);
        m.name = m.url;
        config = LockEndpointConfig::fromMysql(m);
    } else if (postgres) {
        const QString why = PostgresEndpointConfig::checkUrl(parser.value(o.postgres));
        if (!why.isEmpty()) {
            *error = QStringLiteral("--postgres: %1").arg(why);
            return std::nullopt;
        }
        PostgresEndpointConfig p;
        p.url = parser.value(o.postgres);
        p.name = p.url;
        p.blockingChains = !parser.isSet(o.noChains);
        config = LockEndpointConfig::fromPostgres(p);
    } else if (etcd) {
        const auto members = ctlEtcdMembers(parser.value(o.etcd), error);
        if (!members)
            return std::nullopt;
        EtcdEndpointConfig e;
        e.name = parser.value(o.etcd);
        e.endpoints = *members;
        e.prefixes = parser.values(o.prefix);
        e.user = parser.value(o.user);
        e.caFile = parser.value(o.caFile);
        e.certFile = parser.value(o.certFile);
        e.keyFile = parser.value(o.keyFile);
        if (e.certFile.isEmpty() != e.keyFile.isEmpty()) {
            *error = QStringLiteral("a client certificate needs both --cert-file and --key-file");
            return std::nullopt;
        }
        config = LockEndpointConfig::fromEtcd(e);
    } else if (redis) {
        // One node (redis://, rediss://, unix://), or a cluster, sentinel group or Redlock as
        // Settings lines write them (redis-cluster://, redis-sentinel://…/MASTER, redlock://).
        const QString url = parser.value(o.redis.redis);
        RedisEndpointConfig r;
        QString why;
        if (url.startsWith(u"redis://") || url.startsWith(u"rediss://") || url.startsWith(u"unix:")) {
            const auto endpoint = parseRedisUrl(url, &why);
            if (!endpoint) {
                *error = QStringLiteral("--redis: %1").arg(why);
                return std::nullopt;
            }
            r = *endpoint;
        } else {
            LockEndpointConfig parsed;
            if (!parseLockEndpointAddress(url, &parsed, &why) || !parsed.isRedis()) {
                *error = QStringLiteral("--redis: %1").arg(why.isEmpty() ? QStringLiteral("\"%1\" is not a Redis address").arg(url) : why);
                return std::nullopt;
            }
            r = parsed.redis;
        }
        r.caFile = parser.value(o.caFile);
        r.certFile = parser.value(o.certFile);
        r.keyFile = parser.value(o.keyFile);
        r.serverName = parser.value(o.serverName);
        r.tlsInsecure = parser.isSet(o.tlsInsecure);
        if (!r.tls && (!r.caFile.isEmpty() || !r.certFile.isEmpty() || !r.serverName.isEmpty() || r.tlsInsecure)) {
            *error = QStringLiteral("--ca-file, --cert-file, --server-name and --tls-insecure are for TLS; write the address as rediss://HOST:PORT");
            return std::nullopt;
        }
        if (r.certFile.isEmpty() != r.keyFile.isEmpty()) {
            *error = QStringLiteral("a client certificate needs both --cert-file and --key-file");
            return std::nullopt;
        }
        if (!ctlApplySentinelOptions(parser, o.redis, &r, error))
            return std::nullopt;
        if (parser.isSet(o.match))
            r.lockPatterns = parser.values(o.match);
        bool countOk = false;
        r.scanCount = parser.value(o.count).toInt(&countOk);
        if (!countOk || r.scanCount < 1 || r.scanCount > 1'000'000) {
            *error = QStringLiteral("--count \"%1\" must be 1..1000000").arg(parser.value(o.count));
            return std::nullopt;
        }
        config = LockEndpointConfig::fromRedis(r);
    } else {
        LockEndpointConfig parsed;
        if (!parseLockEndpointAddress(QStringLiteral("zookeeper://") + parser.value(o.zookeeper), &parsed, error)) {
            *error = QStringLiteral("--zookeeper: %1").arg(*error);
            return std::nullopt;
        }
        parsed.zookeeper.name = parser.value(o.zookeeper);
        if (parser.isSet(o.path)) {
            parsed.zookeeper.paths.clear();
            for (const QString &path : parser.values(o.path)) {
                if (!path.startsWith(u'/')) {
                    *error = QStringLiteral("--path \"%1\" must be an absolute znode path such as /locks").arg(path);
                    return std::nullopt;
                }
                parsed.zookeeper.paths.append(path);
            }
        }
        parsed.zookeeper.user = parser.value(o.user);
        config = parsed;
    }
    const auto timeout = parseDurationMs(parser.value(o.redis.timeout));
    if (!timeout || *timeout <= 0) {
        *error = QStringLiteral("--timeout \"%1\" must be a duration such as 500ms or 5s").arg(parser.value(o.redis.timeout));
        return std::nullopt;
    }
    const std::optional<QByteArray> password = ctlReadPassword(parser, o.redis.passwordFile, o.redis.keychain,
                                                               redis      ? QStringLiteral("FULCRUM_REDIS_PASSWORD")
                                                               : etcd     ? QStringLiteral("FULCRUM_ETCD_PASSWORD")
                                                               : postgres ? QStringLiteral("FULCRUM_POSTGRES_PASSWORD")
                                                               : mysql    ? QStringLiteral("FULCRUM_MYSQL_PASSWORD")
                                                                          : QStringLiteral("FULCRUM_ZOOKEEPER_PASSWORD"),
                                                               error);
    if (!password)
        return std::nullopt;
    if (zookeeper && !password->isEmpty() && config.zookeeper.user.isEmpty()) {
        *error = QStringLiteral("a ZooKeeper password is for digest auth and needs --user beside it");
        return std::nullopt;
    }
    if (etcd && !password->isEmpty() && config.etcd.user.isEmpty()) {
        *error = QStringLiteral("an etcd password needs --user beside it");
        return std::nullopt;
    }
    return std::make_pair(config, *password);
}

// One endpoint run by the engine's own lock service (the same backend, release and audit code
// as fulcrumd), for one command: connect within `timeoutMs`, then do `work`.
class CtlLockSession
{
public:
    CtlLockSession(const LockEndpointConfig &config, const QByteArray &password, AuditLog *audit)
        : m_service(audit), m_name(config.name())
    {
        LockEndpointConfig endpoint = config;
        if (!password.isEmpty()) {
            m_secrets.insert(m_name, password);
            endpoint.setPassword(SecretSource{SecretSource::Keychain, m_name});
        }
        m_service.setKeychain(&m_secrets);
        m_config = endpoint;
    }

    LockService &service() { return m_service; }
    const QString &name() const { return m_name; }
    QString url() const { return m_config.url(); }

    // Waits for the connection; false with *error when it fails or takes longer than timeoutMs.
    bool connect(qint64 timeoutMs, QString *error)
    {
        QEventLoop loop;
        bool connected = false;
        QObject::connect(&m_service, &LockService::endpointConnected, &loop, [&] {
            connected = true;
            loop.quit();
        });
        QObject::connect(&m_service, &LockService::endpointFailed, &loop, [&](const QString &, const QString &why) {
            *error = why;
            loop.quit();
        });
        QTimer::singleShot(std::chrono::milliseconds(timeoutMs), &loop, [&] {
            *error = QStringLiteral("%1: not connected within %2").arg(m_config.url(), formatDurationMs(timeoutMs));
            loop.quit();
        });
        m_service.apply({m_config});
        loop.exec();
        return connected;
    }

private:
    InMemorySecretStore m_secrets;
    LockService m_service;
    QString m_name;
    LockEndpointConfig m_config;
};

} // namespace

QString holderColumn(const LockInfo &info)
{
    QString holder = info.holder.isEmpty() ? emptyHolderText(info) : info.displayHolder();
    if (info.kind == u"redisson" || info.kind == u"redisson-rw") {
        const QString mode = info.detailString(QStringLiteral("mode"));
        holder += QStringLiteral(" (x%1%2)").arg(info.detailInteger(QStringLiteral("reentrancy"), 0)).arg(mode.isEmpty() ? QString() : u' ' + mode);
    }
    if (!info.holderText.isEmpty())
        holder += QStringLiteral(" [%1]").arg(info.holderText);
    if (!info.waiters.isEmpty())
        holder += QStringLiteral(", %1 waiting").arg(info.waiters.size());
    return holder;
}

static int locksList(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "List the locks on one lock endpoint:\n"
        "  Redis (--redis): incremental SCAN (never KEYS) per pattern, then TYPE/PTTL/GET pipelined.\n"
        "    Kinds: plain, redisson, redisson-rw, fulcrum.\n"
        "  ZooKeeper (--zookeeper): the lock roots (--path, default /locks) read recursively, pipelined.\n"
        "    Kinds: curator-mutex, curator-rwlock, curator-semaphore, kazoo-lock, kazoo-rwlock, kazoo-semaphore.\n"
        "  etcd (--etcd): the keyspace (or --prefix) read in pages; holders' leases looked up.\n"
        "    Kinds: etcd-mutex (concurrency.Mutex, etcdctl lock), etcd-election (concurrency.Election, etcdctl elect).\n"
        "  PostgreSQL (--postgres): pg_locks joined with pg_stat_activity in one statement.\n"
        "    Kinds: pg-advisory (DATABASE/KEY: one bigint or the int pair as written), pg-blocking-chain\n"
        "    (DATABASE/chain:ROOT_PID: sessions waiting on row and table locks, from the root blocker down).\n"
        "  MySQL/MariaDB (--mysql): GET_LOCK named locks (MariaDB: metadata_lock_info + the process list;\n"
        "    MySQL 8: performance_schema.metadata_locks). Kind: mysql-user-lock; holder = the connection id.\n"
        "Names and holders that are not printable UTF-8 are shown escaped (\\xHH, \\\\); 'locks release' takes them\n"
        "in that same form. --json prints each lock with its 'holder' field, the exact value 'locks release' compares."));
    const CtlLockEndpointOptions options;
    options.addTo(parser);
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print a JSON array of locks."));
    parser.addOption(jsonOption);
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks list")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl locks list")));
        return ExitOk;
    }
    QString error;
    if (!parser.positionalArguments().isEmpty()) {
        ctlErr(QStringLiteral("fulcrumctl locks list: takes no arguments, only options (see --help)\n"));
        return ExitUsage;
    }
    const auto endpoint = ctlLockEndpoint(parser, options, &error);
    if (!endpoint) {
        ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(error));
        return ExitUsage;
    }
    CtlLockSession session(endpoint->first, endpoint->second, nullptr);
    const qint64 timeoutMs = parseDurationMs(parser.value(options.redis.timeout)).value_or(5000);
    std::optional<LockScanResult> result;
    {
        // The service starts a pass as soon as it is connected: wait for that pass.
        QEventLoop loop;
        QObject::connect(&session.service(), &LockService::scanFinished, &loop, [&](const QString &, const LockScanResult &r) {
            result = r;
            loop.quit();
        });
        QObject::connect(&session.service(), &LockService::endpointFailed, &loop, [&](const QString &, const QString &why) {
            error = why;
            loop.quit();
        });
        if (!session.connect(timeoutMs, &error)) {
            ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(error));
            return ExitBackend;
        }
        if (!result && error.isEmpty())
            loop.exec();
    }
    if (!result) {
        ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(error));
        return ExitBackend;
    }
    // A note on the whole endpoint has no key ("note: : role …" before 2026-12-06).
    for (const LockScanNote &note : result->notes)
        ctlErr(note.key.isEmpty() ? QStringLiteral("note: %1\n").arg(note.text) : QStringLiteral("note: %1: %2\n").arg(escapeBytes(note.key), note.text));
    if (result->notesOmitted > 0)
        ctlErr(QStringLiteral("note: %1 more key(s) not shown as locks (a pass keeps the first %2 notes)\n").arg(result->notesOmitted).arg(maxNotesPerPass));
    if (parser.isSet(jsonOption)) {
        QJsonArray array;
        for (const LockInfo &info : result->locks)
            array.append(info.toJson());
        ctlOut(QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Indented)));
        return ExitOk;
    }
    const bool redis = endpoint->first.isRedis();
    if (endpoint->first.isPostgres()) {
        CtlTable table({3});
        table.add({QStringLiteral("LOCK"), QStringLiteral("KIND"), QStringLiteral("MODE"), QStringLiteral("WAIT"), QStringLiteral("HOLDER"), QStringLiteral("SESSION")});
        for (const LockInfo &info : result->locks) {
            const QString mode = info.kind == u"pg-advisory" ? info.detailString(QStringLiteral("mode")) : QStringLiteral("-");
            table.add({info.displayKey(), info.kind, mode, QString::number(info.waiters.size()), info.displayHolder(), info.holderText});
            if (info.kind == u"pg-blocking-chain") {
                for (const LockWaiter &w : info.waiters)
                    table.addNote(QStringLiteral("    %1").arg(w.note));
            }
        }
        if (!result->locks.isEmpty())
            ctlOut(table.text());
        ctlOut(QStringLiteral("%1 lock(s) and chain(s) from %2 row(s) read in %3 ms%4\n").arg(result->locks.size()).arg(result->keysScanned)
                   .arg(result->elapsedMs).arg(result->truncated ? QStringLiteral(" (truncated: raise max_locks)") : QString()));
        return ExitOk;
    }
    if (endpoint->first.isEtcd()) {
        CtlTable table({3});
        table.add({QStringLiteral("LOCK"), QStringLiteral("KIND"), QStringLiteral("LEASE"), QStringLiteral("TTL"), QStringLiteral("FLAGS"), QStringLiteral("HOLDER")});
        for (const LockInfo &info : result->locks) {
            table.add({info.displayKey(), info.kind, info.session, info.ttlMs < 0 ? QStringLiteral("-") : formatDurationMs(info.ttlMs),
                       info.flagNames().join(u','), holderColumn(info)});
        }
        if (!result->locks.isEmpty())
            ctlOut(table.text());
        ctlOut(QStringLiteral("%1 lock(s) among %2 key(s) read in %3 ms%4\n").arg(result->locks.size()).arg(result->keysScanned).arg(result->elapsedMs)
                   .arg(result->truncated ? QStringLiteral(" (truncated: raise max_keys or narrow --prefix)") : QString()));
        return ExitOk;
    }
    CtlTable table({2});
    table.add({redis ? QStringLiteral("KEY") : QStringLiteral("LOCK"), QStringLiteral("KIND"), redis ? QStringLiteral("TTL") : QStringLiteral("SESSION"),
               QStringLiteral("FLAGS"), QStringLiteral("HOLDER")});
    for (const LockInfo &info : result->locks) {
        const QString third = redis ? (info.ttlMs < 0 ? QStringLiteral("never") : formatDurationMs(info.ttlMs)) : info.session;
        table.add({info.displayKey(), info.kind, third, info.flagNames().join(u','), holderColumn(info)});
    }
    if (!result->locks.isEmpty())   // no header over nothing: the count line says 0
        ctlOut(table.text());
    // What was read: Redis keys, ZooKeeper nodes, MySQL rows (of the lock views and tables).
    const bool mysql = endpoint->first.isMysql();
    ctlOut(QStringLiteral("%1 lock(s) among %2 %3 in %4 ms%5\n").arg(result->locks.size()).arg(result->keysScanned)
               .arg(redis ? QStringLiteral("matching key(s)") : mysql ? QStringLiteral("row(s) read") : QStringLiteral("node(s) read")).arg(result->elapsedMs)
               .arg(result->truncated && !redis && !mysql ? QStringLiteral(" (truncated: raise max_nodes or narrow --path)") : QString()));
    return ExitOk;
}

static int locksRelease(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Force-release LOCK only if HOLDER (the 'holder' field of 'locks list --json') still holds it.\n"
        "  Redis: one Lua script compares and deletes the key.\n"
        "  ZooKeeper: the holder's znode is deleted with its version; the next waiter takes the lock at once,\n"
        "    and the old holder is not told. --ask writes Curator's revoke request instead (revocable locks only).\n"
        "  etcd: the holder's key is deleted in a transaction comparing its create revision; the next waiter takes\n"
        "    the lock, the old holder is not told. --revoke revokes the holder's lease instead: etcd deletes EVERY key\n"
        "    on that lease and the holder's client learns its session is over.\n"
        "  PostgreSQL: the holder's session is ended (pg_terminate_backend) in the statement that checks the pid still\n"
        "    belongs to the session listed (PID@BACKEND_START) and still holds the lock (blocks the chain); its\n"
        "    transaction is rolled back and every lock it holds freed. --ask on a chain cancels the root blocker's\n"
        "    query instead (pg_cancel_backend); it does not free advisory locks.\n"
        "  MySQL/MariaDB: KILL CONNECTION of the holder right after IS_USED_LOCK(LOCK) has named it (two statements:\n"
        "    not atomic, one round trip apart); every named lock it holds is freed, its transaction rolled back.\n"
        "Exit 0 released (or asked); 3 the holder changed or the lock is gone (nothing deleted); 4 backend error.\n"
        "Every attempt is written to the audit log."));
    const CtlLockEndpointOptions options;
    options.addTo(parser);
    const QCommandLineOption holderOption(QStringLiteral("holder"), QStringLiteral("The holder as 'locks list --json' shows it (token, Redisson <uuid>:<threadId>[:write], znode name)."), QStringLiteral("HOLDER"));
    const QCommandLineOption auditOption(QStringLiteral("audit-log"), QStringLiteral("Audit log file (default %1).").arg(defaultAuditLogPath()), QStringLiteral("PATH"));
    const QCommandLineOption askOption(QStringLiteral("ask"), QStringLiteral("Ask the holder to release (Curator's Revoker) instead of deleting its node."));
    const QCommandLineOption revokeOption(QStringLiteral("revoke"), QStringLiteral("etcd: revoke the holder's lease (ends its session, deletes every key on it) instead of deleting its key."));
    parser.addOptions({holderOption, auditOption, askOption, revokeOption});
    parser.addPositionalArgument(QStringLiteral("LOCK"), QStringLiteral("Lock name (Redis key, ZooKeeper lock folder, etcd lock prefix), escaped as 'locks list' prints it."));
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks release")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl locks release: %1\n").arg(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl locks release")));
        return ExitOk;
    }
    if (parser.positionalArguments().size() != 1 || !parser.isSet(holderOption)) {
        ctlErr(QStringLiteral("fulcrumctl locks release: usage: fulcrumctl locks release LOCK --holder HOLDER (--redis URL | --zookeeper HOSTS | --etcd URLS | --postgres URL | --mysql URL)\n"));
        return ExitUsage;
    }
    const auto key = unescapeBytes(parser.positionalArguments().first());
    const auto holder = unescapeBytes(parser.value(holderOption));
    if (!key || !holder) {
        ctlErr(QStringLiteral("fulcrumctl locks release: %1 has a lone backslash; write a backslash as \\\\ and raw bytes as \\xHH, as 'locks list' prints them\n")
                   .arg(!key ? QStringLiteral("LOCK") : QStringLiteral("--holder")));
        return ExitUsage;
    }
    QString error;
    const auto endpoint = ctlLockEndpoint(parser, options, &error);
    if (!endpoint) {
        ctlErr(QStringLiteral("fulcrumctl locks release: %1\n").arg(error));
        return ExitUsage;
    }
    if (parser.isSet(askOption) && parser.isSet(revokeOption)) {
        ctlErr(QStringLiteral("fulcrumctl locks release: give --ask or --revoke, not both\n"));
        return ExitUsage;
    }
    const LockReleaseRequest::Mode mode = parser.isSet(askOption)      ? LockReleaseRequest::AskHolder
                                          : parser.isSet(revokeOption) ? LockReleaseRequest::RevokeSession
                                                                       : LockReleaseRequest::Delete;
    AuditLog audit(parser.isSet(auditOption) ? parser.value(auditOption) : defaultAuditLogPath());
    CtlLockSession session(endpoint->first, endpoint->second, &audit);
    const qint64 timeoutMs = parseDurationMs(parser.value(options.redis.timeout)).value_or(5000);
    if (!session.connect(timeoutMs, &error)) {
        AuditEntry entry;
        entry.origin = QStringLiteral("fulcrumctl");
        entry.action = mode == LockReleaseRequest::AskHolder       ? QStringLiteral("ask-release")
                       : mode == LockReleaseRequest::RevokeSession ? QStringLiteral("revoke-lease")
                                                                   : QStringLiteral("force-release");
        entry.target = QStringLiteral("%1 %2").arg(session.url(), escapeBytes(*key));
        entry.before = escapeBytes(*holder);
        entry.result = QStringLiteral("failed: %1").arg(error);
        audit.append(entry);
        ctlErr(QStringLiteral("fulcrumctl locks release: %1\n").arg(error));
        return ExitBackend;
    }
    QEventLoop loop;
    ForceReleaseResult result;
    bool answered = false;
    session.service().release(session.name(), LockReleaseRequest{mode, *key, *holder},
                              AuditLog::currentOsUser(), QStringLiteral("fulcrumctl"), [&](const ForceReleaseResult &r) {
        result = r;
        answered = true;
        loop.quit();
    });
    if (!answered)
        loop.exec();
    switch (result.outcome) {
    case ForceReleaseResult::Released:
    case ForceReleaseResult::Asked:
        ctlOut(result.message + u'\n');
        return ExitOk;
    case ForceReleaseResult::HolderChanged:
    case ForceReleaseResult::Gone:
        ctlErr(QStringLiteral("fulcrumctl locks release: %1\n").arg(result.message));
        return ExitNotHolder;
    case ForceReleaseResult::Failed:
        break;
    }
    ctlErr(QStringLiteral("fulcrumctl locks release: %1\n").arg(result.message));
    return ExitBackend;
}

static int locksShow(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Show one lock whole, read now: holder, session, every waiter with who, session and since when (also\n"
        "those a pass lists by name only: ZooKeeper's waiter_details), details. Exit 0 shown; 3 no such lock; 4 backend error."));
    const CtlLockEndpointOptions options;
    options.addTo(parser);
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the lock as JSON."));
    parser.addOption(jsonOption);
    parser.addPositionalArgument(QStringLiteral("LOCK"), QStringLiteral("Lock name (Redis key, ZooKeeper lock folder), escaped as 'locks list' prints it."));
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks show")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl locks show: %1\n").arg(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl locks show")));
        return ExitOk;
    }
    if (parser.positionalArguments().size() != 1) {
        ctlErr(QStringLiteral("fulcrumctl locks show: usage: fulcrumctl locks show LOCK (--redis URL | --zookeeper HOSTS | --etcd URLS | --postgres URL | --mysql URL) [--json]\n"));
        return ExitUsage;
    }
    const auto key = unescapeBytes(parser.positionalArguments().first());
    if (!key) {
        ctlErr(QStringLiteral("fulcrumctl locks show: LOCK has a lone backslash; write a backslash as \\\\ and raw bytes as \\xHH, as 'locks list' prints them\n"));
        return ExitUsage;
    }
    QString error;
    const auto endpoint = ctlLockEndpoint(parser, options, &error);
    if (!endpoint) {
        ctlErr(QStringLiteral("fulcrumctl locks show: %1\n").arg(error));
        return ExitUsage;
    }
    CtlLockSession session(endpoint->first, endpoint->second, nullptr);
    const qint64 timeoutMs = parseDurationMs(parser.value(options.redis.timeout)).value_or(5000);
    // After the first pass, so that what passes observe (flags) is there and backends that
    // answer from their last pass have one.
    std::optional<LockInspection> answer;
    {
        QEventLoop loop;
        QObject::connect(&session.service(), &LockService::scanFinished, &loop, [&](const QString &name, const LockScanResult &) {
            session.service().inspect(name, *key, [&](const LockInspection &a) {
                answer = a;
                loop.quit();
            });
        });
        QObject::connect(&session.service(), &LockService::endpointFailed, &loop, [&](const QString &, const QString &why) {
            error = why;
            loop.quit();
        });
        if (!session.connect(timeoutMs, &error)) {
            ctlErr(QStringLiteral("fulcrumctl locks show: %1\n").arg(error));
            return ExitBackend;
        }
        if (!answer && error.isEmpty())
            loop.exec();
    }
    if (!answer) {
        ctlErr(QStringLiteral("fulcrumctl locks show: %1\n").arg(error));
        return ExitBackend;
    }
    if (!answer->lock) {
        ctlErr(QStringLiteral("fulcrumctl locks show: %1\n").arg(answer->error));
        return answer->gone ? ExitNotHolder : ExitBackend;
    }
    if (parser.isSet(jsonOption))
        ctlOut(QString::fromUtf8(QJsonDocument(answer->lock->toJson()).toJson(QJsonDocument::Indented)));
    else
        ctlOut(lockDetailText(*answer->lock));
    return ExitOk;
}

static int locks(const QStringList &given)
{
    const QStringList arguments = ctlListUnlessNamed(given);
    const QString sub = arguments.value(0);
    // With --engine the running fulcrumd answers (its endpoints, its audit log) instead of the backend directly.
    const bool viaEngine = arguments.contains(QStringLiteral("--engine")) || !arguments.filter(QStringLiteral("--engine=")).isEmpty();
    if (sub == u"list")
        return viaEngine ? ctlEngineLocksList(arguments.mid(1)) : locksList(arguments.mid(1));
    if (sub == u"release")
        return viaEngine ? ctlEngineLocksRelease(arguments.mid(1)) : locksRelease(arguments.mid(1));
    if (sub == u"show")
        return viaEngine ? ctlEngineLocksShow(arguments.mid(1)) : locksShow(arguments.mid(1));
    if (sub == u"notifications")
        return ctlEngineLocksNotifications(arguments.mid(1));
    const QString usage = QStringLiteral("Usage: fulcrumctl locks list --redis URL [--match PATTERN]... [--json]\n"
                                         "       fulcrumctl locks list --zookeeper HOSTS[/chroot] [--path /locks]... [--json]\n"
                                         "       fulcrumctl locks list --etcd URL[,URL...] [--prefix PREFIX]... [--json]\n"
                                         "       fulcrumctl locks list --postgres URL [--no-chains] [--json]\n"
                                         "       fulcrumctl locks list --mysql URL [--json]\n"
                                         "       fulcrumctl locks release LOCK --holder HOLDER (--redis URL | --zookeeper HOSTS | --etcd URLS | --postgres URL | --mysql URL) [--ask | --revoke]\n"
                                         "       fulcrumctl locks show LOCK (--redis URL | --zookeeper HOSTS | --etcd URLS | --postgres URL | --mysql URL) [--json]\n"
                                         "       fulcrumctl locks list --engine URL [--endpoint NAME] [--json] [--follow]\n"
                                         "       fulcrumctl locks release KEY --holder HOLDER --endpoint NAME --engine URL\n"
                                         "       fulcrumctl locks show KEY --endpoint NAME --engine URL [--json]\n"
                                         "       fulcrumctl locks notifications enable --endpoint NAME --engine URL\n"
                                         "Options alone mean list: fulcrumctl locks --redis URL.\n"
                                         "Run 'fulcrumctl locks list --help' for options.\n");
    if (sub == u"--help" || sub == u"-h") {
        ctlOut(usage);
        return ExitOk;
    }
    ctlErr(sub.isEmpty() ? usage : QStringLiteral("fulcrumctl locks: unknown subcommand \"%1\"\n%2").arg(sub, usage));
    return ExitUsage;
}

FULCRUM_CTL_COMMAND(locks, "locks", "inspect locks in Redis, ZooKeeper, etcd, PostgreSQL and MySQL/MariaDB, of any library; force-release a stuck one safely", locks);
