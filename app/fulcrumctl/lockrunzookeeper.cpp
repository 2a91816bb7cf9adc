#include "lockrunzookeeper.h"

#include "command.h"
#include "ctlredis.h"
#include "heldcommand.h"

#include "common/duration.h"
#include "locks/zookeeper/zkclient.h"
#include "locks/zookeeper/zkmutex.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QHostInfo>
#include <QTimer>

#include <optional>

using namespace fulcrum;

int lockRunZooKeeper(const QStringList &options, const QStringList &command)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Hold the ZooKeeper lock NAME while COMMAND runs, as Curator's InterProcessMutex does (an ephemeral sequential node\n"
        "_c_<uuid>-lock-<seq> under --path; the lowest holds): Java services with Curator and Kazoo Locks with\n"
        "extra_lock_patterns=[\"-lock-\"] on the same path exclude and are excluded.\n"
        "Synopsis: fulcrumctl lock run NAME --zookeeper HOSTS[/CHROOT] [--path /locks/NAME] [--wait 0] -- COMMAND [ARGS...]\n"
        "Exit: COMMAND's status; 75 lock not acquired; 76 lock lost while running (COMMAND was sent SIGTERM): the session\n"
        "expired, or ZooKeeper was out of reach for a third of the session timeout; 4 ZooKeeper unreachable or refused.\n"
        "COMMAND sees FULCRUM_LOCK_NODE (its znode) and FULCRUM_LOCK_FENCE (the zxid that created it: it grows with every\n"
        "new holder, for storage that rejects stale writers).\n"
        "SIGTERM, SIGINT and SIGHUP are passed on to COMMAND; the node is deleted once it has stopped."));
    const QCommandLineOption zookeeper{QStringLiteral("zookeeper"), QStringLiteral("ZooKeeper ensemble: HOST:PORT[,HOST:PORT...][/CHROOT]."), QStringLiteral("HOSTS")};
    const QCommandLineOption path{QStringLiteral("path"), QStringLiteral("The lock's znode (default /locks/NAME)."), QStringLiteral("ZNODE")};
    const QCommandLineOption user{QStringLiteral("user"), QStringLiteral("Digest user; its password from --password-file, FULCRUM_ZOOKEEPER_PASSWORD or --keychain."), QStringLiteral("USER")};
    const QCommandLineOption passwordFile{QStringLiteral("password-file"), QStringLiteral("Read the ZooKeeper password from this file (must be mode 0600)."), QStringLiteral("PATH")};
    const QCommandLineOption keychain{QStringLiteral("keychain"), QStringLiteral("Read the ZooKeeper password from this keychain entry (service \"fulcrum\")."), QStringLiteral("ENTRY")};
    const QCommandLineOption wait{QStringLiteral("wait"), QStringLiteral("Keep waiting this long if the lock is held (default 0: one attempt)."), QStringLiteral("DURATION"), QStringLiteral("0")};
    const QCommandLineOption sessionTimeout{QStringLiteral("session-timeout"), QStringLiteral("ZooKeeper session timeout (default 10s; the server bounds it)."), QStringLiteral("DURATION"), QStringLiteral("10s")};
    const QCommandLineOption timeout{QStringLiteral("timeout"), QStringLiteral("Time to get a session (default 5s)."), QStringLiteral("DURATION"), QStringLiteral("5s")};
    parser.addOptions({zookeeper, path, user, passwordFile, keychain, wait, sessionTimeout, timeout});
    if (const int status = parseLockRunArguments(parser, options, command, QStringLiteral("fulcrumctl lock run nightly --zookeeper zk1:2181 -- ./nightly.sh")); status >= 0)
        return status;
    const QString name = parser.positionalArguments().first();

    const QString ensemble = parser.value(zookeeper);
    const qsizetype slash = ensemble.indexOf(u'/');
    ZkClient::Options clientOptions;
    clientOptions.hosts = ensemble.left(slash);
    clientOptions.chroot = slash < 0 ? QString() : ensemble.mid(slash);
    if (clientOptions.hosts.isEmpty())
        return lockRunError(QStringLiteral("--zookeeper \"%1\" names no server; give HOST:PORT[,HOST:PORT...][/CHROOT]").arg(ensemble), ExitUsage);
    const QString lockPath = parser.isSet(path) ? parser.value(path) : QStringLiteral("/locks/") + name;
    if (!lockPath.startsWith(u'/') || lockPath.endsWith(u'/') || lockPath.contains(QStringLiteral("//")))
        return lockRunError(QStringLiteral("--path \"%1\" must be an absolute znode path such as /locks/%2, without a trailing or double slash")
                         .arg(lockPath, name),
                     ExitUsage);
    const auto waitMs = parseDurationMs(parser.value(wait));
    if (!waitMs)
        return lockRunError(QStringLiteral("--wait \"%1\" must be a duration such as 10s").arg(parser.value(wait)), ExitUsage);
    const auto sessionMs = parseDurationMs(parser.value(sessionTimeout));
    if (!sessionMs || *sessionMs < 1000 || *sessionMs > 600'000)
        return lockRunError(QStringLiteral("--session-timeout \"%1\" must be a duration from 1s to 10m, e.g. 10s").arg(parser.value(sessionTimeout)), ExitUsage);
    clientOptions.sessionTimeoutMs = int(*sessionMs);
    const auto connectMs = parseDurationMs(parser.value(timeout));
    if (!connectMs || *connectMs <= 0)
        return lockRunError(QStringLiteral("--timeout \"%1\" must be a duration such as 500ms or 5s").arg(parser.value(timeout)), ExitUsage);
    QString why;
    const std::optional<QByteArray> password = ctlReadPassword(parser, passwordFile, keychain, QStringLiteral("FULCRUM_ZOOKEEPER_PASSWORD"), &why);
    if (!password)
        return lockRunError(why, ExitUsage);
    clientOptions.user = parser.value(user);
    clientOptions.password = *password;
    if (!clientOptions.user.isEmpty() && clientOptions.password.isEmpty())
        return lockRunError(QStringLiteral("--user %1 needs a password: --password-file, FULCRUM_ZOOKEEPER_PASSWORD or --keychain").arg(clientOptions.user), ExitUsage);
    if (clientOptions.user.isEmpty() && !clientOptions.password.isEmpty())
        return lockRunError(QStringLiteral("a ZooKeeper password was given without --user; digest auth needs both"), ExitUsage);

    ZkClient client(clientOptions);
    QString refused;
    QObject::connect(&client, &ZkClient::authFailed, &client, [&refused](const QString &reason) { refused = reason; });
    client.open();
    runUntil(*connectMs, [&](QObject *scope, auto quit) {
        QObject::connect(&client, &ZkClient::connected, scope, quit);
        QObject::connect(&client, &ZkClient::authFailed, scope, quit);
    });
    if (!client.isConnected())
        return lockRunError(refused.isEmpty() ? QStringLiteral("no ZooKeeper session with %1 within %2 (%3); check that the server runs and the address is right, "
                                                            "or raise --timeout")
                                             .arg(client.connectString(), formatDurationMs(*connectMs), client.stateReason())
                                       : refused,
                     ExitBackend);

    // What the inspector shows as the holder: who and where, for the operator who finds it.
    const QByteArray holderText = QStringLiteral("fulcrumctl@%1 pid %2").arg(QHostInfo::localHostName()).arg(QCoreApplication::applicationPid()).toUtf8();
    ZkMutex mutex(&client, lockPath.toUtf8(), holderText);
    QString failure;
    QByteArray holderNode;
    // One attempt (--wait 0) ends when the queue has been read; it gets --timeout for that.
    const bool settled = runUntil(*waitMs > 0 ? *waitMs : *connectMs, [&](QObject *scope, auto quit) {
        QObject::connect(&mutex, &ZkMutex::acquired, scope, quit);
        QObject::connect(&mutex, &ZkMutex::queued, scope, [&, quit](const QByteArray &holder) {
            holderNode = holder;
            if (*waitMs == 0)
                quit();
        });
        auto failed = [&, quit](const QString &reason) {
            failure = reason;
            quit();
        };
        QObject::connect(&mutex, &ZkMutex::failed, scope, failed);
        QObject::connect(&mutex, &ZkMutex::lost, scope, failed);
        mutex.acquire();
    });
    if (!mutex.isHeld()) {
        // Leave the queue at once rather than when the session closes.
        runUntil(*connectMs, [&](QObject *scope, auto quit) {
            QObject::connect(&mutex, &ZkMutex::released, scope, quit);
            QObject::connect(&mutex, &ZkMutex::failed, scope, quit);
            mutex.release();
        });
        if (!failure.isEmpty())
            return lockRunError(failure, ExitRunLockUnavailable);
        if (*waitMs == 0 && holderNode.isEmpty())
            return lockRunError(QStringLiteral("ZooKeeper at %1 did not answer within %2 while queueing for %3: %4")
                             .arg(client.connectString(), formatDurationMs(*connectMs), lockPath, client.stateReason()),
                         ExitBackend);
        const QString holder = QStringLiteral("held by someone else (holder node %1)").arg(QString::fromUtf8(holderNode));
        return lockRunError(settled ? QStringLiteral("%1 is %2; not waiting (--wait 0)").arg(lockPath, holder)
                             : QStringLiteral("%1 is still %2 after --wait %3").arg(lockPath, holder, parser.value(wait)),
                     ExitRunLockUnavailable);
    }

    const QByteArray node = mutex.nodePath();
    ZkStat stat;
    runUntil(*connectMs, [&](QObject *scope, auto quit) {
        client.exists(node, scope, [&stat, quit](int rc, const ZkStat &s) {
            if (rc == zkrc::Ok)
                stat = s;
            quit();
        });
    });
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FULCRUM_LOCK_NODE"), QString::fromUtf8(node));
    if (stat.czxid > 0)
        environment.insert(QStringLiteral("FULCRUM_LOCK_FENCE"), QString::number(stat.czxid));
    HeldCommand held(command, environment);
    QObject::connect(&mutex, &ZkMutex::lost, &mutex, [&held](const QString &reason) { held.lockLost(reason); });
    held.exec();
    if (mutex.isHeld()) {
        const bool released = runUntil(*connectMs, [&](QObject *scope, auto quit) {
            QObject::connect(&mutex, &ZkMutex::released, scope, quit);
            QObject::connect(&mutex, &ZkMutex::failed, scope, [quit](const QString &reason) {
                ctlErr(QStringLiteral("fulcrumctl lock run: %1; it goes with the session, which ends now\n").arg(reason));
                quit();
            });
            mutex.release();
        });
        if (!released)
            ctlErr(QStringLiteral("fulcrumctl lock run: no answer to deleting %1 within %2; it goes with the session, which ends now\n")
                       .arg(QString::fromUtf8(node), formatDurationMs(*connectMs)));
    }
    if (!held.started())
        return lockRunError(held.startError(), held.exitStatus());
    return held.exitStatus();
}
