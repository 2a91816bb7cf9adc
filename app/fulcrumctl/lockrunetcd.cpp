#include "lockrunetcd.h"

#include "command.h"
#include "ctletcd.h"
#include "ctlredis.h"
#include "heldcommand.h"

#include "common/bytestext.h"
#include "common/duration.h"
#include "locks/etcd/etcdmutex.h"

#include <QCommandLineParser>

#include <optional>

using namespace fulcrum;

int lockRunEtcd(const QStringList &options, const QStringList &command)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Hold the etcd lock NAME while COMMAND runs, as the Go client's concurrency.Mutex and `etcdctl lock` do (a lease\n"
        "kept alive, the key <prefix>NAME/<lease id in hex> on it; the oldest key holds): a Go service or `etcdctl lock\n"
        "<prefix>NAME` excludes it and is excluded by it.\n"
        "Synopsis: fulcrumctl lock run NAME --etcd URL[,URL...] [--prefix /locks/] [--ttl 30s] [--wait 0] -- COMMAND [ARGS...]\n"
        "Exit: COMMAND's status; 75 lock not acquired; 76 lock lost while running (COMMAND was sent SIGTERM): the lease\n"
        "was revoked or expired, the key was force-released, or etcd was out of reach for two thirds of the TTL;\n"
        "4 etcd unreachable or refused.\n"
        "COMMAND sees FULCRUM_LOCK_KEY (its key) and FULCRUM_LOCK_FENCE (the key's create revision: it grows with every\n"
        "new holder, for storage that rejects stale writers).\n"
        "SIGTERM, SIGINT and SIGHUP are passed on to COMMAND; the key is deleted and the lease revoked once it has stopped."));
    const QCommandLineOption etcd{QStringLiteral("etcd"), QStringLiteral("etcd members: URL[,URL...] (http://HOST:2379, https://HOST:2379)."), QStringLiteral("URLS")};
    const QCommandLineOption prefix{QStringLiteral("prefix"), QStringLiteral("Put before NAME (default /locks/; give \"\" for NAME as etcdctl lock takes it)."), QStringLiteral("PREFIX"), QStringLiteral("/locks/")};
    const QCommandLineOption ttl{QStringLiteral("ttl"), QStringLiteral("The lease's TTL (default 30s): how long the lock outlives a crashed fulcrumctl."), QStringLiteral("DURATION"), QStringLiteral("30s")};
    const QCommandLineOption user{QStringLiteral("user"), QStringLiteral("etcd user; its password from --password-file, FULCRUM_ETCD_PASSWORD or --keychain."), QStringLiteral("USER")};
    const QCommandLineOption passwordFile{QStringLiteral("password-file"), QStringLiteral("Read the etcd password from this file (must be mode 0600)."), QStringLiteral("PATH")};
    const QCommandLineOption keychain{QStringLiteral("keychain"), QStringLiteral("Read the etcd password from this keychain entry (service \"fulcrum\")."), QStringLiteral("ENTRY")};
    const QCommandLineOption caFile{QStringLiteral("ca-file"), QStringLiteral("https: the CA of the members' certificates."), QStringLiteral("PATH")};
    const QCommandLineOption wait{QStringLiteral("wait"), QStringLiteral("Keep waiting this long if the lock is held (default 0: one attempt)."), QStringLiteral("DURATION"), QStringLiteral("0")};
    const QCommandLineOption timeout{QStringLiteral("timeout"), QStringLiteral("Time for each step with etcd (default 5s)."), QStringLiteral("DURATION"), QStringLiteral("5s")};
    parser.addOptions({etcd, prefix, ttl, user, passwordFile, keychain, caFile, wait, timeout});
    if (const int status = parseLockRunArguments(parser, options, command, QStringLiteral("fulcrumctl lock run nightly --etcd http://127.0.0.1:2379 -- ./nightly.sh")); status >= 0)
        return status;
    const QByteArray name = (parser.value(prefix) + parser.positionalArguments().first()).toUtf8();

    EtcdClient::Options clientOptions;
    QString why;
    const auto members = ctlEtcdMembers(parser.value(etcd), &why);
    if (!members)
        return lockRunError(why, ExitUsage);
    clientOptions.endpoints = *members;
    const auto ttlMs = parseDurationMs(parser.value(ttl));
    if (!ttlMs || *ttlMs < 2000 || *ttlMs > 86'400'000)
        return lockRunError(QStringLiteral("--ttl \"%1\" must be a duration from 2s to 24h, e.g. 30s").arg(parser.value(ttl)), ExitUsage);
    const auto waitMs = parseDurationMs(parser.value(wait));
    if (!waitMs)
        return lockRunError(QStringLiteral("--wait \"%1\" must be a duration such as 10s").arg(parser.value(wait)), ExitUsage);
    const auto stepMs = parseDurationMs(parser.value(timeout));
    if (!stepMs || *stepMs <= 0)
        return lockRunError(QStringLiteral("--timeout \"%1\" must be a duration such as 500ms or 5s").arg(parser.value(timeout)), ExitUsage);
    const std::optional<QByteArray> password = ctlReadPassword(parser, passwordFile, keychain, QStringLiteral("FULCRUM_ETCD_PASSWORD"), &why);
    if (!password)
        return lockRunError(why, ExitUsage);
    clientOptions.user = parser.value(user);
    clientOptions.password = *password;
    clientOptions.caFile = parser.value(caFile);
    clientOptions.timeoutMs = int(*stepMs);
    if (clientOptions.user.isEmpty() != clientOptions.password.isEmpty())
        return lockRunError(QStringLiteral("etcd auth needs both --user and a password (--password-file, FULCRUM_ETCD_PASSWORD or --keychain)"), ExitUsage);

    EtcdClient client(clientOptions);
    if (!client.isUsable(&why))
        return lockRunError(why, ExitUsage);
    EtcdMutex mutex(&client, name, int(*ttlMs / 1000));
    QString failure;
    QByteArray holderKey;
    const bool settled = runUntil(*waitMs > 0 ? *waitMs : *stepMs * 2, [&](QObject *scope, auto quit) {
        QObject::connect(&mutex, &EtcdMutex::acquired, scope, quit);
        QObject::connect(&mutex, &EtcdMutex::queued, scope, [&, quit](const QByteArray &holder) {
            holderKey = holder;
            if (*waitMs == 0)
                quit();
        });
        QObject::connect(&mutex, &EtcdMutex::failed, scope, [&, quit](const QString &reason) {
            failure = reason;
            quit();
        });
        mutex.acquire();
    });
    if (!mutex.isHeld()) {
        // Leave the queue at once rather than when the lease expires.
        runUntil(*stepMs, [&](QObject *scope, auto quit) {
            QObject::connect(&mutex, &EtcdMutex::released, scope, quit);
            mutex.release();
        });
        if (!failure.isEmpty())
            return lockRunError(failure, failure.startsWith(QStringLiteral("cannot")) ? ExitBackend : ExitRunLockUnavailable);
        if (holderKey.isEmpty())
            return lockRunError(QStringLiteral("etcd at %1 did not answer within %2 while queueing for %3")
                                    .arg(clientOptions.endpoints.join(u','), formatDurationMs(*stepMs * 2), escapeBytes(name)),
                                ExitBackend);
        const QString holder = QStringLiteral("held by someone else (holder key %1)").arg(escapeBytes(holderKey));
        return lockRunError(settled ? QStringLiteral("%1 is %2; not waiting (--wait 0)").arg(escapeBytes(name), holder)
                                    : QStringLiteral("%1 is still %2 after --wait %3").arg(escapeBytes(name), holder, parser.value(wait)),
                            ExitRunLockUnavailable);
    }

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FULCRUM_LOCK_KEY"), QString::fromUtf8(mutex.key()));
    environment.insert(QStringLiteral("FULCRUM_LOCK_FENCE"), QString::number(mutex.createRevision()));
    HeldCommand held(command, environment);
    QObject::connect(&mutex, &EtcdMutex::lost, &mutex, [&held](const QString &reason) { held.lockLost(reason); });
    held.exec();
    const bool wasHeld = mutex.isHeld();
    const bool released = runUntil(*stepMs, [&](QObject *scope, auto quit) {
        QObject::connect(&mutex, &EtcdMutex::released, scope, quit);
        mutex.release();
    });
    if (wasHeld && !released)
        ctlErr(QStringLiteral("fulcrumctl lock run: no answer to deleting %1 within %2; its lease expires within the TTL\n")
                   .arg(escapeBytes(mutex.key()), formatDurationMs(*stepMs)));
    if (!held.started())
        return lockRunError(held.startError(), held.exitStatus());
    return held.exitStatus();
}
