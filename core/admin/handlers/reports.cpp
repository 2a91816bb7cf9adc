#include "admin/handlers/reports.h"

#include "common/duration.h"
#include "common/wallclock.h"
#include "engine/reportservice.h"

#include <QDateTime>
#include <QFile>
#include <QTcpSocket>
#include <QTemporaryDir>

namespace fulcrum {

namespace {

// The span a request asks about, in ms since the epoch (UTC).
struct Window
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
};

QString queryValue(const QUrlQuery &query, const char *name)
{
    return query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded);
}

bool hasQueryItem(const QUrlQuery &query, const char *name)
{
    return query.hasQueryItem(QString::fromLatin1(name));
}

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

std::optional<qint64> parseTime(const QString &text)
{
    QDateTime time = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!time.isValid())
        return std::nullopt;
    if (time.timeSpec() == Qt::LocalTime)
        time.setTimeSpec(Qt::UTC);   // like every time Fulcrum prints: no offset = UTC
    return time.toMSecsSinceEpoch();
}

// since=DURATION (ending now) or from=TIME[&to=TIME], one of the two; nullopt with the 400 in *refused.
std::optional<Window> parseWindow(const QUrlQuery &q, AdminReply *refused)
{
    const auto fail = [refused](const QString &message, const char *field) {
        *refused = AdminReply::error(400, message, QString::fromLatin1(field));
        return std::nullopt;
    };
    const bool since = hasQueryItem(q, "since");
    if (since == hasQueryItem(q, "from"))
        return fail(QStringLiteral("give the window as since=DURATION (15m, 1h, 24h, 7d) or from=TIME[&to=TIME] (ISO 8601, e.g. 2026-11-24T08:00:00Z)"), "since");
    Window window{0, wallclock::nowMs()};
    if (since) {
        const auto ms = parseDurationMs(queryValue(q, "since"));
        if (!ms || *ms <= 0)
            return fail(QStringLiteral("since \"%1\" is not a duration; write 15m, 1h, 24h or 7d").arg(queryValue(q, "since")), "since");
        if (hasQueryItem(q, "to"))
            return fail(QStringLiteral("since ends now; for a window in the past give from=TIME&to=TIME"), "to");
        window.fromMs = window.toMs - *ms;
    } else {
        const auto from = parseTime(queryValue(q, "from"));
        if (!from)
            return fail(QStringLiteral("from \"%1\" is not a time; write ISO 8601, e.g. 2026-11-24T08:00:00Z").arg(queryValue(q, "from")), "from");
        window.fromMs = *from;
        if (hasQueryItem(q, "to")) {
            const auto to = parseTime(queryValue(q, "to"));
            if (!to)
                return fail(QStringLiteral("to \"%1\" is not a time; write ISO 8601, e.g. 2026-11-24T09:30:00Z").arg(queryValue(q, "to")), "to");
            window.toMs = *to;
        }
    }
    if (window.toMs <= window.fromMs)
        return fail(QStringLiteral("the window %1 – %2 is empty; to must be after from").arg(isoTime(window.fromMs), isoTime(window.toMs)), "to");
    return window;
}

// [&pool][&server][&points] of GET /api/v1/history.
std::optional<HistoryQuery> parseHistoryQuery(const QUrlQuery &q, const Window &window, AdminReply *refused)
{
    HistoryQuery query;
    query.fromMs = window.fromMs;
    query.toMs = window.toMs;
    query.pool = queryValue(q, "pool");
    query.server = queryValue(q, "server");
    if (hasQueryItem(q, "points")) {
        bool ok = false;
        query.maxPoints = queryValue(q, "points").toInt(&ok);
        if (!ok || query.maxPoints < 1 || query.maxPoints > 100'000) {
            *refused = AdminReply::error(400, QStringLiteral("points \"%1\" must be a number from 1 to 100000 (points per server)").arg(queryValue(q, "points")),
                                         QStringLiteral("points"));
            return std::nullopt;
        }
    }
    return query;
}

// &format=json|csv|html|pdf[&section=S (csv)][&lock_threshold=D] of GET /api/v1/report.
std::optional<ReportRequest> parseReportRequest(const QUrlQuery &q, const Window &window, const QStringList &csvSections, AdminReply *refused)
{
    const auto fail = [refused](const QString &message, const char *field) {
        *refused = AdminReply::error(400, message, QString::fromLatin1(field));
        return std::nullopt;
    };
    ReportRequest request;
    request.fromMs = window.fromMs;
    request.toMs = window.toMs;
    request.format = hasQueryItem(q, "format") ? queryValue(q, "format").toLower() : QStringLiteral("json");
    if (request.format != u"json" && request.format != u"csv" && request.format != u"html" && request.format != u"pdf")
        return fail(QStringLiteral("format \"%1\" is not one of json, csv, html, pdf").arg(queryValue(q, "format")), "format");
    if (request.format == u"csv") {
        request.csvSection = hasQueryItem(q, "section") ? queryValue(q, "section") : QStringLiteral("servers");
        if (!csvSections.contains(request.csvSection))
            return fail(QStringLiteral("section \"%1\" is not a csv section; one of: %2").arg(request.csvSection, csvSections.join(QStringLiteral(", "))), "section");
    } else if (hasQueryItem(q, "section")) {
        return fail(QStringLiteral("section is for format=csv only (one file per section)"), "section");
    }
    if (hasQueryItem(q, "lock_threshold")) {
        const auto ms = parseDurationMs(queryValue(q, "lock_threshold"));
        if (!ms)
            return fail(QStringLiteral("lock_threshold \"%1\" is not a duration; write 30s or 5m").arg(queryValue(q, "lock_threshold")), "lock_threshold");
        request.lockHeldThresholdMs = *ms;
    }
    return request;
}

// fulcrum-report-20261124T080000Z-20261124T093000Z[-section].format
QString reportFileName(const ReportRequest &request)
{
    const auto stamp = [](qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")); };
    return QStringLiteral("fulcrum-report-%1-%2%3.%4")
        .arg(stamp(request.fromMs), stamp(request.toMs), request.csvSection.isEmpty() ? QString() : u'-' + request.csvSection, request.format);
}

// The report written at path, as a download.
AdminReply reportFileReply(const ReportRequest &request, const QString &path)
{
    static const QHash<QString, QByteArray> contentTypes{
        {QStringLiteral("json"), "application/json"},
        {QStringLiteral("csv"), "text/csv; charset=utf-8; header=present"},
        {QStringLiteral("html"), "text/html; charset=utf-8"},
        {QStringLiteral("pdf"), "application/pdf"},
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return AdminReply::error(500, QStringLiteral("the report was written but cannot be read back: %1").arg(file.errorString()));
    // The window as the engine resolved it (since= counts from its clock), so a client can ask
    // for the other csv sections over exactly the same window.
    const QByteArray window = QDateTime::fromMSecsSinceEpoch(request.fromMs, Qt::UTC).toString(Qt::ISODateWithMs).toLatin1() + '/'
                              + QDateTime::fromMSecsSinceEpoch(request.toMs, Qt::UTC).toString(Qt::ISODateWithMs).toLatin1();
    return AdminReply{200, file.readAll(), contentTypes.value(request.format),
                      "Content-Disposition: attachment; filename=\"" + reportFileName(request).toUtf8() + "\"\r\nX-Fulcrum-Window: " + window + "\r\n"};
}

AdminReply noHistory(const char *what)
{
    return AdminReply::error(503, QStringLiteral("this engine keeps no history, so it has no %1; start fulcrumd with --state-dir DIR (or state_dir in the config)")
                                      .arg(QLatin1StringView(what)));
}

} // namespace

void ReportRoutes::addTo(AdminRouter &router)
{
    router.addDeferred("GET", "/api/v1/history", [this](const AdminRequest &request, const AdminResponder &responder) { history(request, responder); });
    router.addDeferred("GET", "/api/v1/report", [this](const AdminRequest &request, const AdminResponder &responder) { report(request, responder); });
}

void ReportRoutes::history(const AdminRequest &request, const AdminResponder &responder) const
{
    if (!m_service)
        return responder.reply(noHistory("history"));
    AdminReply refused;
    const std::optional<Window> window = parseWindow(request.query, &refused);
    const std::optional<HistoryQuery> query = window ? parseHistoryQuery(request.query, *window, &refused) : std::nullopt;
    if (!query)
        return responder.reply(refused);
    m_service->history(*query, m_context, [responder](const QJsonObject &series, const QString &error) {
        responder.reply(error.isEmpty() ? AdminReply::json(200, series) : AdminReply::error(503, error));
    });
}

void ReportRoutes::report(const AdminRequest &request, const AdminResponder &responder) const
{
    if (!m_service)
        return responder.reply(noHistory("reports"));
    AdminReply refused;
    const std::optional<Window> window = parseWindow(request.query, &refused);
    const std::optional<ReportRequest> report = window ? parseReportRequest(request.query, *window, m_service->csvSections(), &refused) : std::nullopt;
    if (!report)
        return responder.reply(refused);
    auto dir = std::make_shared<QTemporaryDir>();
    if (!dir->isValid())
        return responder.reply(AdminReply::error(500, QStringLiteral("cannot make a temporary directory for the report: %1; check TMPDIR").arg(dir->errorString())));
    const QString path = dir->filePath(reportFileName(*report));
    auto cancel = std::make_shared<std::atomic_bool>(false);
    // A client that hangs up does not need its report any more.
    if (QTcpSocket *connection = responder.connection())
        QObject::connect(connection, &QObject::destroyed, m_context, [cancel] { cancel->store(true); });
    m_service->buildReport(*report, path, m_context, cancel, {}, [responder, dir, path, report = *report](const ReportOutcome &outcome) {
        if (!responder.connection())
            return;
        responder.reply(outcome.ok ? reportFileReply(report, path)
                                   : AdminReply::error(outcome.cancelled || outcome.unavailable ? 503 : 500, outcome.error));
    });
}

} // namespace fulcrum
