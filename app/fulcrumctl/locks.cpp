// fulcrumctl locks list|release: see who holds which lock, release a stuck one safely.
#include "command.h"
#include "ctlengine.h"
#include "ctlredis.h"

#include "common/duration.h"
#include "engine/auditlog.h"
#include "locks/forcerelease.h"
#include "locks/lockinspector.h"

#include <QDir>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>

#include "common/statedir.h"

using namespace fulcrum;

static QString defaultAuditLogPath()
{
    return defaultStateDir() + QStringLiteral("/audit.log");
}

static int locksList(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "List the locks in one Redis: incremental SCAN (never KEYS) per pattern, then TYPE/PTTL/GET pipelined.\n"
        "Kinds: plain, redisson, redisson-rw, fulcrum. Keys and holders that are not printable UTF-8 are\n"
        "shown escaped (\\xHH, \\\\); 'locks release' takes them in that same form."));
    const CtlRedisOptions redis;
    redis.addTo(parser);
    const QCommandLineOption matchOption(QStringLiteral("match"), QStringLiteral("Key pattern, repeatable (default: lock:* and *:lock:*)."), QStringLiteral("PATTERN"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print a JSON array of locks."));
    const QCommandLineOption countOption(QStringLiteral("count"), QStringLiteral("SCAN COUNT per call (default 1000)."), QStringLiteral("N"), QStringLiteral("1000"));
    parser.addOptions({matchOption, jsonOption, countOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks list")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(parser.helpText());
        return ExitOk;
    }
    if (!parser.isSet(redis.redis) || !parser.positionalArguments().isEmpty()) {
        ctlErr(QStringLiteral("fulcrumctl locks list: give --redis redis://HOST:PORT[/DB] and no other arguments\n"));
        return ExitUsage;
    }
    bool countOk = false;
    const int count = parser.value(countOption).toInt(&countOk);
    if (!countOk || count < 1 || count > 1'000'000) {
        ctlErr(QStringLiteral("fulcrumctl locks list: --count \"%1\" must be 1..1000000\n").arg(parser.value(countOption)));
        return ExitUsage;
    }
    QString error;
    const auto options = ctlConnectionOptions(parser, redis, parser.value(redis.redis), &error);
    if (!options) {
        ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(error));
        return ExitUsage;
    }
    auto connection = ctlConnect(*options, &error);
    if (!connection) {
        ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(error));
        return ExitRedis;
    }
    LockInspectorOptions inspectorOptions;
    if (parser.isSet(matchOption))
        inspectorOptions.patterns = parser.values(matchOption);
    inspectorOptions.scanCount = count;
    LockInspector inspector(connection.get(), inspectorOptions);
    QEventLoop loop;
    std::optional<LockScanResult> result;
    QObject::connect(&inspector, &LockInspector::scanFinished, &loop, [&](const LockScanResult &r) {
        result = r;
        loop.quit();
    });
    QObject::connect(&inspector, &LockInspector::scanFailed, &loop, [&](const QString &why) {
        error = why;
        loop.quit();
    });
    // A one-shot listing does not wait for a server that went away: say so and stop.
    QObject::connect(&inspector, &LockInspector::scanInterrupted, &loop, [&](const QString &why) {
        error = QStringLiteral("%1 (connection lost during the scan; run again)").arg(why);
        loop.quit();
    });
    inspector.scan();
    loop.exec();
    if (!result) {
        ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(error));
        return ExitRedis;
    }
    for (const LockScanNote &note : result->notes)
        ctlErr(QStringLiteral("note: %1: %2\n").arg(escapeBytes(note.key), note.text));
    if (parser.isSet(jsonOption)) {
        QJsonArray array;
        for (const LockInfo &info : result->locks)
            array.append(info.toJson());
        ctlOut(QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Indented)));
        return ExitOk;
    }
    ctlOut(QStringLiteral("%1  %2  %3  %4  %5\n").arg(QStringLiteral("KEY"), -32).arg(QStringLiteral("KIND"), -11)
               .arg(QStringLiteral("TTL"), 9).arg(QStringLiteral("FLAGS"), -10).arg(QStringLiteral("HOLDER")));
    for (const LockInfo &info : result->locks) {
        QString holder = info.displayHolder();
        if (info.kind == LockKind::Redisson || info.kind == LockKind::RedissonRw)
            holder += QStringLiteral(" (x%1%2)").arg(info.reentrancy).arg(info.mode.isEmpty() ? QString() : u' ' + info.mode);
        ctlOut(QStringLiteral("%1  %2  %3  %4  %5\n").arg(info.displayKey(), -32).arg(lockKindName(info.kind), -11)
                   .arg(info.ttlMs < 0 ? QStringLiteral("never") : formatDurationMs(info.ttlMs), 9)
                   .arg(info.flagNames().join(u','), -10).arg(holder));
    }
    ctlOut(QStringLiteral("%1 lock(s) among %2 matching key(s) in %3 ms\n").arg(result->locks.size()).arg(result->keysScanned).arg(result->elapsedMs));
    return ExitOk;
}

static int locksRelease(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Force-release KEY only if HOLDER (as 'locks list' shows it) still holds it; one Lua script compares and deletes.\n"
        "Exit 0 released; 3 the holder changed or the key is gone (nothing deleted); 4 Redis error.\n"
        "Every attempt is written to the audit log."));
    const CtlRedisOptions redis;
    redis.addTo(parser);
    const QCommandLineOption holderOption(QStringLiteral("holder"), QStringLiteral("The holder shown by 'locks list' (token, or Redisson <uuid>:<threadId>[:write])."), QStringLiteral("HOLDER"));
    const QCommandLineOption auditOption(QStringLiteral("audit-log"), QStringLiteral("Audit log file (default %1).").arg(defaultAuditLogPath()), QStringLiteral("PATH"));
    parser.addOptions({holderOption, auditOption});
    parser.addPositionalArgument(QStringLiteral("KEY"), QStringLiteral("Lock key, escaped as 'locks list' prints it."));
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks release")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl locks release: %1\n").arg(parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(parser.helpText());
        return ExitOk;
    }
    if (parser.positionalArguments().size() != 1 || !parser.isSet(holderOption) || !parser.isSet(redis.redis)) {
        ctlErr(QStringLiteral("fulcrumctl locks release: usage: fulcrumctl locks release KEY --holder HOLDER --redis URL\n"));
        return ExitUsage;
    }
    const auto key = unescapeBytes(parser.positionalArguments().first());
    const auto holder = unescapeBytes(parser.value(holderOption));
    if (!key || !holder) {
        ctlErr(QStringLiteral("fulcrumctl locks release: %1 has a lone backslash; write a backslash as \\\\ and raw bytes as \\xHH, as 'locks list' prints them\n")
                   .arg(!key ? QStringLiteral("KEY") : QStringLiteral("--holder")));
        return ExitUsage;
    }
    QString error;
    const auto options = ctlConnectionOptions(parser, redis, parser.value(redis.redis), &error);
    if (!options) {
        ctlErr(QStringLiteral("fulcrumctl locks release: %1\n").arg(error));
        return ExitUsage;
    }
    AuditLog audit(parser.isSet(auditOption) ? parser.value(auditOption) : defaultAuditLogPath());
    auto connection = ctlConnect(*options, &error);
    if (!connection) {
        AuditEntry entry;
        entry.origin = QStringLiteral("fulcrumctl");
        entry.action = QStringLiteral("force-release");
        entry.target = QStringLiteral("%1 %2").arg(options->endpoint(), escapeBytes(*key));
        entry.before = escapeBytes(*holder);
        entry.result = QStringLiteral("failed: %1").arg(error);
        audit.append(entry);
        ctlErr(QStringLiteral("fulcrumctl locks release: %1\n").arg(error));
        return ExitRedis;
    }
    QEventLoop loop;
    ForceReleaseResult result;
    forceReleaseLock(connection.get(), *key, *holder, &audit, AuditLog::currentOsUser(), QStringLiteral("fulcrumctl"), [&](const ForceReleaseResult &r) {
        result = r;
        loop.quit();
    });
    loop.exec();
    switch (result.outcome) {
    case ForceReleaseResult::Released:
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
    return ExitRedis;
}

static int locks(const QStringList &arguments)
{
    const QString sub = arguments.value(0);
    // With --engine the running fulcrumd answers (its endpoints, its audit log) instead of Redis directly.
    const bool viaEngine = arguments.contains(QStringLiteral("--engine")) || !arguments.filter(QStringLiteral("--engine=")).isEmpty();
    if (sub == u"list")
        return viaEngine ? ctlEngineLocksList(arguments.mid(1)) : locksList(arguments.mid(1));
    if (sub == u"release")
        return viaEngine ? ctlEngineLocksRelease(arguments.mid(1)) : locksRelease(arguments.mid(1));
    const QString usage = QStringLiteral("Usage: fulcrumctl locks list --redis URL [--match PATTERN]... [--json]\n"
                                         "       fulcrumctl locks release KEY --holder HOLDER --redis URL\n"
                                         "       fulcrumctl locks list --engine URL [--endpoint NAME] [--json]\n"
                                         "       fulcrumctl locks release KEY --holder HOLDER --endpoint NAME --engine URL\n"
                                         "Run 'fulcrumctl locks list --help' for options.\n");
    if (sub == u"--help" || sub == u"-h") {
        ctlOut(usage);
        return ExitOk;
    }
    ctlErr(sub.isEmpty() ? usage : QStringLiteral("fulcrumctl locks: unknown subcommand \"%1\"\n%2").arg(sub, usage));
    return ExitUsage;
}

FULCRUM_CTL_COMMAND(locks, "locks", "inspect Redis locks of any library; force-release a stuck one safely", locks);
