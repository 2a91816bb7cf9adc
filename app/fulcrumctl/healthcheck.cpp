// fulcrumctl health-check: check every server of a config once, now, with the engine's own
// HealthChecker, and print what each check found.
#include "command.h"
#include "ctltable.h"

#include "common/duration.h"
#include "config/configparser.h"
#include "health/healthchecker.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace fulcrum;

namespace {

int healthCheck(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Check every server of a config once, right now, as fulcrumd's health checker would\n"
        "(same request, expected statuses, body text and timeout), and print one line per server:\n"
        "pool, server, address, result (HAProxy's L4OK/L4TOUT/L4CON/L6TOUT/L6RSP/L7OK/L7STS/L7TOUT/L7RSP) and\n"
        "duration. Exits 0 when every check passed, 1 when any failed.\n"
        "This does not ask a running fulcrumd: for live states use `fulcrumctl backends list`,\n"
        "which comes with the admin API."));
    const QCommandLineOption configOption(QStringLiteral("config"), QStringLiteral("Config file (JSON)."), QStringLiteral("FILE"));
    const QCommandLineOption poolOption(QStringLiteral("pool"), QStringLiteral("Only this pool."), QStringLiteral("NAME"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print JSON instead of a table."));
    parser.addOptions({configOption, poolOption, jsonOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl health-check")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl health-check: %1\n").arg(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl health-check")));
        return 0;
    }
    if (!parser.isSet(configOption)) {
        ctlErr(QStringLiteral("fulcrumctl health-check: --config FILE is required, e.g. --config /etc/fulcrum/fulcrum.json\n"));
        return 2;
    }
    // The listeners' certificates play no part in checking the servers, and are often not on the
    // machine a check runs from (a config just imported on a laptop).
    const ConfigResult loaded = loadConfigFile(parser.value(configOption), ConfigFiles::ServerFilesOnly);
    if (!loaded.ok()) {
        ctlErr(loaded.errorText() + u'\n');
        return 2;
    }
    std::vector<PoolConfig> pools;
    for (const PoolConfig &pool : loaded.config->pools) {
        if (!parser.isSet(poolOption) || pool.name == parser.value(poolOption))
            pools.push_back(pool);
    }
    if (pools.empty()) {
        QStringList names;
        for (const PoolConfig &pool : loaded.config->pools)
            names << pool.name;
        ctlErr(QStringLiteral("fulcrumctl health-check: %1 has no pool \"%2\"; its pools are: %3\n")
                   .arg(parser.value(configOption), parser.value(poolOption), names.join(QStringLiteral(", "))));
        return 2;
    }

    // One checker per pool, all started at once: every server's first check falls within
    // a millisecond; all stop once every server has a result.
    std::vector<std::unique_ptr<HealthChecker>> checkers;
    qint64 longestTimeout = 0;
    for (PoolConfig pool : pools) {
        pool.health.enabled = true;
        pool.health.intervalMs = pool.health.fastIntervalMs = pool.health.downIntervalMs = 1;
        pool.outlier.enabled = false;
        longestTimeout = std::max(longestTimeout, pool.health.timeoutMs);
        auto live = std::make_shared<Pool>(pool.name, pool.options, pool.servers);
        HealthCheckerOptions options;
        options.panicThresholdPercent = 0;
        checkers.push_back(std::make_unique<HealthChecker>(live, pool, options));
    }
    auto allChecked = [&checkers] {
        for (const auto &checker : checkers) {
            for (const ServerHealth &s : checker->snapshot().servers) {
                if (s.admin != AdminState::Maint && s.checks == 0)
                    return false;
            }
        }
        return true;
    };
    for (const auto &checker : checkers)
        checker->start();
    // Name resolution plus the longest timeout bounds the wait.
    QDeadlineTimer deadline(longestTimeout + 5000);
    while (!allChecked() && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, int(std::max<qint64>(1, deadline.remainingTime())));

    bool allPassed = true;
    QJsonArray rows;
    CtlTable table;
    table.add({QStringLiteral("POOL"), QStringLiteral("SERVER"), QStringLiteral("ADDRESS"), QStringLiteral("RESULT"), QStringLiteral("TIME"), QStringLiteral("DETAIL")});
    for (const auto &checker : checkers) {
        checker->stop();
        for (const ServerHealth &s : checker->snapshot().servers) {
            const bool skipped = s.admin == AdminState::Maint;
            const QString result = skipped ? QStringLiteral("maint") : s.checks == 0 ? QStringLiteral("-") : s.lastCheck.reasonText();
            const QString time = s.checks == 0 ? QStringLiteral("-") : formatDurationMs(s.lastCheck.durationUs / 1000);
            QString detail = s.lastCheck.detail;
            if (!skipped && s.checks == 0)
                detail = QStringLiteral("no result in time (name resolution?)");
            if (skipped)
                detail = QStringLiteral("not checked: the config puts it in maintenance");
            allPassed = allPassed && (skipped || (s.checks > 0 && s.lastCheck.passed()));
            table.add({checker->config().name, s.name, s.address, result, time, detail});
            rows.append(QJsonObject{{QStringLiteral("pool"), checker->config().name},
                                    {QStringLiteral("server"), s.name},
                                    {QStringLiteral("address"), s.address},
                                    {QStringLiteral("result"), result},
                                    {QStringLiteral("passed"), !skipped && s.checks > 0 && s.lastCheck.passed()},
                                    {QStringLiteral("duration_ms"), double(s.lastCheck.durationUs) / 1000.0},
                                    {QStringLiteral("detail"), detail}});
        }
    }
    ctlOut(parser.isSet(jsonOption) ? QString::fromUtf8(QJsonDocument(rows).toJson()) : table.text());
    return allPassed ? 0 : 1;
}

} // namespace

FULCRUM_CTL_COMMAND(health_check, "health-check", "check every server of a config once, now, and print the results", healthCheck);
