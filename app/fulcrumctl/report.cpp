// fulcrumctl report: a health report for a window, read straight from the history store or
// built by a running engine (--engine, through the admin API).
#include "command.h"
#include "ctlengine.h"
#include "ctlredis.h"

#include "common/duration.h"
#include "common/wallclock.h"
#include "history/healthreport.h"
#include "history/historystore.h"
#include "history/reportwriters.h"
#include "reportpdf/reportpdf.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QUrlQuery>

#include "common/statedir.h"

using namespace fulcrum;

namespace {

// A 7-day report takes the engine a few seconds; a busy one longer.
constexpr int kEngineReportTimeoutMs = 300'000;

struct EngineDownload
{
    CtlEngineReply reply;
    QByteArray window;              // X-Fulcrum-Window: the window the engine resolved
};

EngineDownload engineGet(const CtlEngineClient &client, const QString &path, const QUrlQuery &query)
{
    EngineDownload out;
    out.reply = client.request("GET", path + u'?' + query.toString(QUrl::FullyEncoded), {}, kEngineReportTimeoutMs);
    out.window = out.reply.header("X-Fulcrum-Window");
    return out;
}

bool save(const QString &path, const QByteArray &bytes, QString *error)
{
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit()) {
        *error = QStringLiteral("%1: cannot write: %2; check the directory exists and is writable").arg(path, out.errorString());
        return false;
    }
    return true;
}

// The report built by a running engine from its own store; csv is one request per section,
// all over the window the engine resolved for the first.
int reportFromEngine(const CtlEngineClient &client, QUrlQuery query, const QString &format, const QString &out)
{
    const QString me = QStringLiteral("report");
    query.addQueryItem(QStringLiteral("format"), format);
    const QStringList sections = format == u"csv" ? csvReportSections() : QStringList{QString()};
    QStringList written;
    for (const QString &section : sections) {
        QUrlQuery q = query;
        QString path = out;
        if (!section.isEmpty()) {
            q.addQueryItem(QStringLiteral("section"), section);
            path = QStringLiteral("%1-%2.csv").arg(out.endsWith(u".csv") ? out.chopped(4) : out, section);
        }
        const EngineDownload download = engineGet(client, QStringLiteral("/api/v1/report"), q);
        if (download.reply.status != 200)
            return ctlEngineFailure(me, download.reply);
        QString error;
        if (out == u"-") {
            std::fwrite(download.reply.body.constData(), 1, size_t(download.reply.body.size()), stdout);
            std::fflush(stdout);
            return ExitOk;   // one document; the line below would be mixed into it
        }
        if (!save(path, download.reply.body, &error)) {
            ctlErr(QStringLiteral("fulcrumctl report: %1\n").arg(error));
            return 1;
        }
        written.append(path);
        const qsizetype slash = download.window.indexOf('/');
        if (slash > 0 && query.hasQueryItem(QStringLiteral("since"))) {
            query.removeQueryItem(QStringLiteral("since"));
            query.addQueryItem(QStringLiteral("from"), QString::fromLatin1(download.window.left(slash)));
            query.addQueryItem(QStringLiteral("to"), QString::fromLatin1(download.window.mid(slash + 1)));
        }
    }
    ctlOut(QStringLiteral("report from %1: wrote %2\n").arg(client.baseUrl, written.join(QStringLiteral(", "))));
    return ExitOk;
}

} // namespace

static int report(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write a health report (availability, outages, check failures, requests, errors, latency, traffic vs weight share,\n"
        "panic time, long-held locks, force-releases, operator actions, charts) for a window of the engine's history.\n"
        "Reads the history store directly ($state_dir/history.sqlite), or with --engine URL asks a running fulcrumd\n"
        "to build it from its store (token from --token-file, FULCRUM_TOKEN or the keychain entry fulcrumd:URL). Times are UTC (ISO 8601).\n"
        "csv writes one file per section next to FILE: FILE-servers.csv, FILE-pools.csv, ... (FILE without .csv)."));
    const QCommandLineOption sinceOption(QStringLiteral("since"), QStringLiteral("Window ending now: 15m, 1h, 24h, 7d, ..."), QStringLiteral("DURATION"));
    const QCommandLineOption fromOption(QStringLiteral("from"), QStringLiteral("Window start (ISO 8601, e.g. 2026-11-24T08:00:00Z)."), QStringLiteral("TIME"));
    const QCommandLineOption toOption(QStringLiteral("to"), QStringLiteral("Window end (default: now)."), QStringLiteral("TIME"));
    const QCommandLineOption formatOption(QStringLiteral("format"), QStringLiteral("pdf, html, csv or json (default: from the file name)."), QStringLiteral("FORMAT"));
    const QCommandLineOption outOption({QStringLiteral("o"), QStringLiteral("output")}, QStringLiteral("Output file; - writes json or html to stdout (with --format)."), QStringLiteral("FILE"));
    const QCommandLineOption stateDirOption(QStringLiteral("state-dir"), QStringLiteral("The engine's state_dir (default %1).").arg(defaultStateDir()), QStringLiteral("DIR"));
    const QCommandLineOption storeOption(QStringLiteral("store"), QStringLiteral("The history store file itself."), QStringLiteral("FILE"));
    const QCommandLineOption lockOption(QStringLiteral("lock-threshold"), QStringLiteral("List locks held longer than this (default 1m)."), QStringLiteral("DURATION"), QStringLiteral("1m"));
    parser.addOptions({sinceOption, fromOption, toOption, formatOption, outOption, stateDirOption, storeOption, lockOption});
    const CtlEngineOptions engineOptions;
    engineOptions.addTo(parser);
    parser.addHelpOption();
    const QString me = QStringLiteral("fulcrumctl report");
    if (!parser.parse(QStringList{me} + arguments)) {
        ctlErr(QStringLiteral("%1: %2\n").arg(me, parser.errorText()));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, me));
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
    const bool toStdout = out == u"-";
    QString format = parser.value(formatOption).toLower();
    if (format.isEmpty() && toStdout) {
        ctlErr(QStringLiteral("%1: -o - writes to stdout; say what with --format json or --format html\n").arg(me));
        return ExitUsage;
    }
    if (format.isEmpty())
        format = QFileInfo(out).suffix().toLower();
    if (format != u"pdf" && format != u"html" && format != u"csv" && format != u"json") {
        ctlErr(QStringLiteral("%1: format \"%2\" is not one of pdf, html, csv, json; give --format\n").arg(me, format));
        return ExitUsage;
    }
    // Until 2026-12-06 "-o - --format csv" wrote files named --servers.csv and so on.
    if (toStdout && format != u"json" && format != u"html") {
        ctlErr(format == u"csv" ? QStringLiteral("%1: csv is one file per section, which stdout cannot hold; give -o DIR/NAME (NAME-servers.csv, NAME-pools.csv, ...), "
                                                 "or --format json for one document on stdout\n").arg(me)
                                : QStringLiteral("%1: a PDF does not go to stdout; give -o FILE.pdf\n").arg(me));
        return ExitUsage;
    }
    const auto lockThreshold = parseDurationMs(parser.value(lockOption));
    if (!lockThreshold) {
        ctlErr(QStringLiteral("%1: --lock-threshold \"%2\" is not a duration (e.g. 30s, 5m)\n").arg(me, parser.value(lockOption)));
        return ExitUsage;
    }
    const qint64 now = wallclock::nowMs();
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
    if (parser.isSet(engineOptions.engine)) {
        if (parser.isSet(stateDirOption) || parser.isSet(storeOption)) {
            ctlErr(QStringLiteral("%1: --engine builds the report from the engine's own store; leave out --state-dir and --store\n").arg(me));
            return ExitUsage;
        }
        const auto client = CtlEngineClient::fromParser(parser, engineOptions, QStringLiteral("report"));
        if (!client)
            return ExitUsage;
        QUrlQuery query;
        if (parser.isSet(sinceOption)) {
            query.addQueryItem(QStringLiteral("since"), parser.value(sinceOption));
        } else {
            query.addQueryItem(QStringLiteral("from"), QDateTime::fromMSecsSinceEpoch(from, Qt::UTC).toString(Qt::ISODateWithMs));
            if (parser.isSet(toOption))
                query.addQueryItem(QStringLiteral("to"), QDateTime::fromMSecsSinceEpoch(to, Qt::UTC).toString(Qt::ISODateWithMs));
        }
        if (parser.isSet(lockOption))
            query.addQueryItem(QStringLiteral("lock_threshold"), QString::number(*lockThreshold));
        return reportFromEngine(*client, query, format, out);
    }
    const QString storePath = parser.isSet(storeOption) ? parser.value(storeOption)
                                                        : QDir(parser.isSet(stateDirOption) ? parser.value(stateDirOption) : defaultStateDir()).filePath(QStringLiteral("history.sqlite"));
    if (!QFileInfo::exists(storePath)) {
        ctlErr(QStringLiteral("%1: no history store at %2; give the engine's state_dir with --state-dir DIR or the file with --store FILE\n").arg(me, storePath));
        return 1;
    }
    HistoryStore store;
    if (!store.open(storePath, &error, HistoryStore::Access::ReadOnly)) {
        ctlErr(QStringLiteral("%1: %2\n").arg(me, error));
        return 1;
    }
    ReportOptions options;
    options.lockHeldThresholdMs = *lockThreshold;
    const HealthReport report = buildHealthReport(store, from, to, now, options);
    QStringList written;
    if (toStdout) {
        ctlOut(format == u"json" ? QString::fromUtf8(QJsonDocument(healthReportToJson(report)).toJson(QJsonDocument::Indented)) : healthReportHtml(report));
        return ExitOk;
    }
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
    const auto counted = [](qsizetype n, const char *one, const char *many) { return QStringLiteral("%1 %2").arg(n).arg(QLatin1StringView(n == 1 ? one : many)); };
    ctlOut(QStringLiteral("report %1 – %2: %3, %4, recorded %5 of %6%7; wrote %8\n")
               .arg(formatReportTime(from), formatReportTime(to), counted(report.servers.size(), "server", "servers"), counted(report.pools.size(), "pool", "pools"))
               .arg(reportDuration(report.recordedMs), reportDuration(report.windowMs()), report.hasLittleCoverage() ? QStringLiteral(" (little coverage)") : QString(),
                    written.join(QStringLiteral(", "))));
    return ExitOk;
}

FULCRUM_CTL_COMMAND(report, "report", "write a health report (pdf, html, csv, json) from the history store", report);
