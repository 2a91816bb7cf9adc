// fulcrumctl report: a health report for a window, read straight from the history store.
#include "command.h"
#include "ctlredis.h"

#include "common/duration.h"
#include "history/healthreport.h"
#include "history/historystore.h"
#include "history/reportwriters.h"
#include "reportpdf/reportpdf.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include "common/statedir.h"

using namespace fulcrum;

static int report(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write a health report (availability, outages, check failures, requests, errors, latency, traffic vs weight share,\n"
        "panic time, long-held locks, force-releases, operator actions, charts) for a window of the engine's history.\n"
        "Reads the history store directly: $state_dir/history.sqlite. Times are UTC (ISO 8601).\n"
        "csv writes one file per section next to FILE: FILE-servers.csv, FILE-pools.csv, ... (FILE without .csv)."));
    const QCommandLineOption sinceOption(QStringLiteral("since"), QStringLiteral("Window ending now: 15m, 1h, 24h, 7d, ..."), QStringLiteral("DURATION"));
    const QCommandLineOption fromOption(QStringLiteral("from"), QStringLiteral("Window start (ISO 8601, e.g. 2026-11-24T08:00:00Z)."), QStringLiteral("TIME"));
    const QCommandLineOption toOption(QStringLiteral("to"), QStringLiteral("Window end (default: now)."), QStringLiteral("TIME"));
    const QCommandLineOption formatOption(QStringLiteral("format"), QStringLiteral("pdf, html, csv or json (default: from the file name)."), QStringLiteral("FORMAT"));
    const QCommandLineOption outOption({QStringLiteral("o"), QStringLiteral("output")}, QStringLiteral("Output file."), QStringLiteral("FILE"));
    const QCommandLineOption stateDirOption(QStringLiteral("state-dir"), QStringLiteral("The engine's state_dir (default %1).").arg(defaultStateDir()), QStringLiteral("DIR"));
    const QCommandLineOption storeOption(QStringLiteral("store"), QStringLiteral("The history store file itself."), QStringLiteral("FILE"));
    const QCommandLineOption lockOption(QStringLiteral("lock-threshold"), QStringLiteral("List locks held longer than this (default 1m)."), QStringLiteral("DURATION"), QStringLiteral("1m"));
    parser.addOptions({sinceOption, fromOption, toOption, formatOption, outOption, stateDirOption, storeOption, lockOption});
    parser.addHelpOption();
    const QString me = QStringLiteral("fulcrumctl report");
    if (!parser.parse(QStringList{me} + arguments)) {
        ctlErr(QStringLiteral("%1: %2\n").arg(me, parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(parser.helpText());
        return ExitOk;
    }
    if (!parser.positionalArguments().isEmpty()) {
        ctlErr(QStringLiteral("%1: unexpected argument \"%2\"; see --help\n").arg(me, parser.positionalArguments().first()));
        return ExitUsage;
    }
    if (!parser.isSet(outOption)) {
        ctlErr(QStringLiteral("%1: give the output file with -o FILE\n").arg(me));
        return ExitUsage;
    }
    if (parser.isSet(sinceOption) == parser.isSet(fromOption)) {
        ctlErr(QStringLiteral("%1: give either --since DURATION (15m, 1h, 24h, 7d) or --from TIME [--to TIME]\n").arg(me));
        return ExitUsage;
    }
    if (parser.isSet(sinceOption) && parser.isSet(toOption)) {
        ctlErr(QStringLiteral("%1: --since ends now; use --from TIME --to TIME for a window in the past\n").arg(me));
        return ExitUsage;
    }
    const QString out = parser.value(outOption);
    QString format = parser.value(formatOption).toLower();
    if (format.isEmpty())
        format = QFileInfo(out).suffix().toLower();
    if (format != u"pdf" && format != u"html" && format != u"csv" && format != u"json") {
        ctlErr(QStringLiteral("%1: format \"%2\" is not one of pdf, html, csv, json; give --format\n").arg(me, format));
        return ExitUsage;
    }
    const auto lockThreshold = parseDurationMs(parser.value(lockOption));
    if (!lockThreshold) {
        ctlErr(QStringLiteral("%1: --lock-threshold \"%2\" is not a duration (e.g. 30s, 5m)\n").arg(me, parser.value(lockOption)));
        return ExitUsage;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    qint64 from = 0;
    qint64 to = now;
    QString error;
    if (parser.isSet(sinceOption)) {
        const auto since = parseDurationMs(parser.value(sinceOption));
        if (!since || *since <= 0) {
            ctlErr(QStringLiteral("%1: --since \"%2\" is not a duration (15m, 1h, 24h, 7d)\n").arg(me, parser.value(sinceOption)));
            return ExitUsage;
        }
        from = now - *since;
    } else {
        const auto parsedFrom = parseReportTime(parser.value(fromOption), &error);
        if (!parsedFrom) {
            ctlErr(QStringLiteral("%1: --from %2\n").arg(me, error));
            return ExitUsage;
        }
        from = *parsedFrom;
        if (parser.isSet(toOption)) {
            const auto parsedTo = parseReportTime(parser.value(toOption), &error);
            if (!parsedTo) {
                ctlErr(QStringLiteral("%1: --to %2\n").arg(me, error));
                return ExitUsage;
            }
            to = *parsedTo;
        }
    }
    if (to <= from) {
        ctlErr(QStringLiteral("%1: the window %2 – %3 is empty; --to must be after --from\n").arg(me, formatReportTime(from), formatReportTime(to)));
        return ExitUsage;
    }
    const QString storePath = parser.isSet(storeOption) ? parser.value(storeOption)
                                                        : QDir(parser.isSet(stateDirOption) ? parser.value(stateDirOption) : defaultStateDir()).filePath(QStringLiteral("history.sqlite"));
    if (!QFileInfo::exists(storePath)) {
        ctlErr(QStringLiteral("%1: no history store at %2; give the engine's state_dir with --state-dir DIR or the file with --store FILE\n").arg(me, storePath));
        return 1;
    }
    HistoryStore store;
    if (!store.open(storePath, &error)) {
        ctlErr(QStringLiteral("%1: %2\n").arg(me, error));
        return 1;
    }
    ReportOptions options;
    options.lockHeldThresholdMs = *lockThreshold;
    const HealthReport report = buildHealthReport(store, from, to, now, options);
    QStringList written;
    if (format == u"pdf") {
        const int pages = writeHealthReportPdf(report, out, &error);
        if (pages == 0) {
            ctlErr(QStringLiteral("%1: %2\n").arg(me, error));
            return 1;
        }
        written.append(QStringLiteral("%1 (%2 pages)").arg(out).arg(pages));
    } else if (!writeHealthReport(report, format, out, &written, &error)) {
        ctlErr(QStringLiteral("%1: %2\n").arg(me, error));
        return 1;
    }
    ctlOut(QStringLiteral("report %1 – %2: %3 servers, %4 pools; wrote %5\n")
               .arg(formatReportTime(from), formatReportTime(to)).arg(report.servers.size()).arg(report.pools.size()).arg(written.join(QStringLiteral(", "))));
    return ExitOk;
}

FULCRUM_CTL_COMMAND(report, "report", "Write a health report (pdf, html, csv, json) from the history store", report);
