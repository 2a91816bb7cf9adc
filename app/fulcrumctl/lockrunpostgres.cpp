#include "lockrunpostgres.h"

#include "command.h"
#include "ctlredis.h"
#include "heldcommand.h"

#include "common/duration.h"
#include "config/config.h"
#include "locks/sql/pgadvisory.h"
#include "locks/sql/pgconnection.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTimer>

#include <optional>

using namespace fulcrum;

namespace {

// How often the held session is asked to answer: a session the server ended (terminated by an
// operator, server restart) or a network that went silent stops COMMAND within this plus --timeout.
constexpr int kHeartbeatMs = 2000;
constexpr int kRetryMs = 250;

} // namespace

int lockRunPostgres(const QStringList &options, const QStringList &command)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Hold a PostgreSQL session-level advisory lock while COMMAND runs: pg_advisory_lock(KEY) on a session of its own,\n"
        "KEY = the first 8 bytes of SHA-256(NAME) as a signed big-endian bigint, in SQL:\n"
        "  ('x' || left(encode(sha256(convert_to('NAME', 'UTF8')), 'hex'), 16))::bit(64)::bigint\n"
        "so any application taking pg_advisory_lock of that key excludes it and is excluded by it.\n"
        "Synopsis: fulcrumctl lock run NAME --postgres URL [--wait 0] -- COMMAND [ARGS...]\n"
        "Exit: COMMAND's status; 75 lock not acquired; 76 the session was lost while running (COMMAND was sent SIGTERM):\n"
        "an operator terminated it, the server restarted, or it did not answer within --timeout; 4 PostgreSQL unreachable.\n"
        "COMMAND sees FULCRUM_LOCK_KEY (the bigint key) and FULCRUM_LOCK_FENCE (the holding session's pid).\n"
        "SIGTERM, SIGINT and SIGHUP are passed on to COMMAND; the lock is released once it has stopped (and by the server\n"
        "if fulcrumctl dies: the session ends with it)."));
    const QCommandLineOption postgres{QStringLiteral("postgres"), QStringLiteral("postgres://USER@HOST:5432/DB (password from --password-file, FULCRUM_POSTGRES_PASSWORD or --keychain)."), QStringLiteral("URL")};
    const QCommandLineOption passwordFile{QStringLiteral("password-file"), QStringLiteral("Read the password from this file (must be mode 0600)."), QStringLiteral("PATH")};
    const QCommandLineOption keychain{QStringLiteral("keychain"), QStringLiteral("Read the password from this keychain entry (service \"fulcrum\")."), QStringLiteral("ENTRY")};
    const QCommandLineOption wait{QStringLiteral("wait"), QStringLiteral("Keep trying this long if the lock is held (default 0: one attempt)."), QStringLiteral("DURATION"), QStringLiteral("0")};
    const QCommandLineOption timeout{QStringLiteral("timeout"), QStringLiteral("Time for each step with PostgreSQL (default 5s)."), QStringLiteral("DURATION"), QStringLiteral("5s")};
    parser.addOptions({postgres, passwordFile, keychain, wait, timeout});
    if (const int status = parseLockRunArguments(parser, options, command,
                                                 QStringLiteral("fulcrumctl lock run nightly --postgres postgres://app@127.0.0.1:5432/shop -- ./nightly.sh"));
        status >= 0)
        return status;
    const QString name = parser.positionalArguments().first();
    const QString url = parser.value(postgres);
    if (const QString why = PostgresEndpointConfig::checkUrl(url); !why.isEmpty())
        return lockRunError(QStringLiteral("--postgres: %1").arg(why), ExitUsage);
    const auto waitMs = parseDurationMs(parser.value(wait));
    if (!waitMs)
        return lockRunError(QStringLiteral("--wait \"%1\" must be a duration such as 10s").arg(parser.value(wait)), ExitUsage);
    const auto stepMs = parseDurationMs(parser.value(timeout));
    if (!stepMs || *stepMs <= 0)
        return lockRunError(QStringLiteral("--timeout \"%1\" must be a duration such as 500ms or 5s").arg(parser.value(timeout)), ExitUsage);
    QString why;
    const std::optional<QByteArray> password = ctlReadPassword(parser, passwordFile, keychain, QStringLiteral("FULCRUM_POSTGRES_PASSWORD"), &why);
    if (!password)
        return lockRunError(why, ExitUsage);

    const qint64 key = pgadvisory::keyForName(name);
    const QByteArray keyText = QByteArray::number(key);
    PgConnection connection(url, *password);
    QString failure;
    bool held = false;
    const bool settled = runUntil(*stepMs + *waitMs, [&](QObject *scope, auto quit) {
        QObject::connect(&connection, &PgConnection::lost, scope, [&, quit](const QString &reason) {
            failure = reason;
            quit();
        });
        auto attempt = std::make_shared<std::function<void()>>();
        QElapsedTimer since;
        since.start();
        *attempt = [&, scope, quit, attempt, since] {
            connection.query("SELECT pg_try_advisory_lock($1::int8)", {keyText}, scope, [&, scope, quit, attempt, since](const QList<PgResult> &results) {
                const PgResult &r = results.value(results.size() - 1);
                if (!r.ok) {
                    failure = r.error;
                    quit();
                } else if (r.rows.value(0).value(0) == "t") {
                    held = true;
                    quit();
                } else if (since.elapsed() + kRetryMs < *waitMs) {
                    QTimer::singleShot(kRetryMs, scope, [attempt] { (*attempt)(); });
                } else {
                    quit();
                }
            }, int(*stepMs));
        };
        QObject::connect(&connection, &PgConnection::connected, scope, [attempt] { (*attempt)(); });
        connection.open(int(*stepMs));
    });
    if (!held) {
        if (!failure.isEmpty())
            return lockRunError(failure, ExitBackend);
        if (!settled)
            return lockRunError(QStringLiteral("%1 did not answer within %2").arg(url, formatDurationMs(*stepMs + *waitMs)), ExitBackend);
        return lockRunError(QStringLiteral("\"%1\" (pg_advisory_lock(%2)) is held by another session; %3")
                                .arg(name, QString::fromUtf8(keyText),
                                     *waitMs > 0 ? QStringLiteral("still after --wait %1").arg(parser.value(wait)) : QStringLiteral("not waiting (--wait 0)")),
                            ExitRunLockUnavailable);
    }

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FULCRUM_LOCK_KEY"), QString::fromUtf8(keyText));
    environment.insert(QStringLiteral("FULCRUM_LOCK_FENCE"), QString::number(connection.backendPid()));
    HeldCommand heldCommand(command, environment);
    QObject::connect(&connection, &PgConnection::lost, &connection, [&heldCommand](const QString &reason) {
        heldCommand.lockLost(QStringLiteral("the session holding the lock was lost: %1").arg(reason));
    });
    QTimer heartbeat;
    QObject::connect(&heartbeat, &QTimer::timeout, &connection, [&] {
        if (connection.isOpen())
            connection.query("SELECT 1", {}, &connection, [](const QList<PgResult> &) {}, int(*stepMs));
    });
    heartbeat.start(kHeartbeatMs);
    heldCommand.exec();
    heartbeat.stop();
    if (connection.isOpen()) {
        runUntil(*stepMs, [&](QObject *scope, auto quit) {
            connection.query("SELECT pg_advisory_unlock($1::int8)", {keyText}, scope, [quit](const QList<PgResult> &) { quit(); }, int(*stepMs));
        });
    }
    if (!heldCommand.started())
        return lockRunError(heldCommand.startError(), heldCommand.exitStatus());
    return heldCommand.exitStatus();
}
