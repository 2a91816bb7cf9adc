#include "reportwriters.h"

#include "common/duration.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <algorithm>
#include <cmath>

namespace fulcrum {

namespace {

QString number(double value, int decimals = 3)
{
    return QString::number(value, 'f', decimals);
}

QJsonArray chartJson(const std::vector<ChartPoint> &points)
{
    QJsonArray array;
    for (const ChartPoint &p : points)
        array.append(QJsonArray{double(p.timeMs), p.value});
    return array;
}

QJsonObject auditJson(const AuditEntry &a)
{
    return QJsonObject{{QStringLiteral("time"), formatReportTime(a.time.toMSecsSinceEpoch())},
                       {QStringLiteral("user"), a.user},
                       {QStringLiteral("origin"), a.origin},
                       {QStringLiteral("action"), a.action},
                       {QStringLiteral("target"), a.target},
                       {QStringLiteral("before"), a.before},
                       {QStringLiteral("after"), a.after},
                       {QStringLiteral("result"), a.result}};
}

QString html(const QString &text)
{
    return text.toHtmlEscaped();
}

const char *const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

QString stateColor(const QString &state)
{
    if (state == u"up")
        return QStringLiteral("#2ca02c");
    if (state == u"down")
        return QStringLiteral("#d62728");
    if (state == u"drain")
        return QStringLiteral("#ff7f0e");
    if (state == u"maint")
        return QStringLiteral("#7f7f7f");
    return QStringLiteral("#dddddd");
}

// A line chart, one line per server, as inline SVG.
QString svgLineChart(const HealthReport &report, const QString &title, const QString &unit, bool latency)
{
    const double width = 900, height = 260, left = 60, right = 10, top = 24, bottom = 30;
    double maxValue = 0;
    for (const ServerReport &s : report.servers) {
        for (const ChartPoint &p : latency ? s.latency : s.traffic)
            maxValue = std::max(maxValue, p.value);
    }
    if (maxValue <= 0)
        maxValue = 1;
    const double span = double(std::max<qint64>(1, report.windowMs()));
    auto x = [&](qint64 t) { return left + (width - left - right) * double(t - report.fromMs) / span; };
    auto y = [&](double v) { return top + (height - top - bottom) * (1.0 - v / maxValue); };
    QString svg = QStringLiteral("<svg width=\"%1\" height=\"%2\" viewBox=\"0 0 %1 %2\" role=\"img\">"
                                 "<text x=\"%3\" y=\"16\" class=\"t\">%4 (%5)</text>")
                      .arg(width).arg(height).arg(left).arg(html(title), html(unit));
    svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#999\"/>").arg(left).arg(height - bottom).arg(width - right);
    svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#999\"/>").arg(left).arg(top).arg(height - bottom);
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">%3</text>").arg(left - 4).arg(top + 4).arg(number(maxValue, 1));
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">0</text>").arg(left - 4).arg(height - bottom);
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\">%3</text>").arg(left).arg(height - 8).arg(formatReportTime(report.fromMs));
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">%3</text>").arg(width - right).arg(height - 8).arg(formatReportTime(report.toMs));
    int index = 0;
    for (const ServerReport &s : report.servers) {
        QString path;
        for (const ChartPoint &p : latency ? s.latency : s.traffic)
            path += QStringLiteral("%1,%2 ").arg(number(x(p.timeMs), 1), number(y(p.value), 1));
        svg += QStringLiteral("<polyline fill=\"none\" stroke-width=\"1.2\" stroke=\"%1\" points=\"%2\"><title>%3/%4</title></polyline>")
                   .arg(QLatin1StringView(kPalette[index % 10]), path.trimmed(), html(s.pool), html(s.server));
        ++index;
    }
    svg += QStringLiteral("</svg>");
    return svg;
}

// Which colour is which server, under each line chart.
QString htmlLegend(const HealthReport &report)
{
    QString text = QStringLiteral("<p class=\"legend\">");
    int index = 0;
    for (const ServerReport &s : report.servers) {
        text += QStringLiteral("<span style=\"color:%1\">&#9632;</span> %2/%3 ").arg(QLatin1StringView(kPalette[index % 10]), html(s.pool), html(s.server));
        ++index;
    }
    return text + QStringLiteral("</p>");
}

QString svgStateTimeline(const HealthReport &report)
{
    const double width = 900, left = 160, right = 10, row = 16;
    const double height = 30 + row * double(report.servers.size());
    const double span = double(std::max<qint64>(1, report.windowMs()));
    auto x = [&](qint64 t) { return left + (width - left - right) * double(t - report.fromMs) / span; };
    QString svg = QStringLiteral("<svg width=\"%1\" height=\"%2\" viewBox=\"0 0 %1 %2\" role=\"img\">"
                                 "<text x=\"%3\" y=\"16\" class=\"t\">State timeline (green up, red down, orange drain, grey maint, light grey no data)</text>")
                      .arg(width).arg(height).arg(left);
    double rowY = 24;
    for (const ServerReport &s : report.servers) {
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">%3/%4</text>").arg(left - 4).arg(rowY + row - 5).arg(html(s.pool), html(s.server));
        svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"/>")
                   .arg(left).arg(rowY).arg(width - left - right).arg(row - 3).arg(stateColor(QString()));
        for (const StateSpan &span : s.states) {
            svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"><title>%6 %7 – %8</title></rect>")
                       .arg(number(x(span.fromMs), 1)).arg(rowY).arg(number(std::max(0.5, x(span.toMs) - x(span.fromMs)), 1)).arg(row - 3)
                       .arg(stateColor(span.state), html(span.state), formatReportTime(span.fromMs), formatReportTime(span.toMs));
        }
        rowY += row;
    }
    svg += QStringLiteral("</svg>");
    return svg;
}

QString htmlTable(const QStringList &headers, const QList<QStringList> &rows)
{
    QString text = QStringLiteral("<table><tr>");
    for (const QString &h : headers)
        text += QStringLiteral("<th>%1</th>").arg(html(h));
    text += QStringLiteral("</tr>");
    for (const QStringList &row : rows) {
        text += QStringLiteral("<tr>");
        for (const QString &cell : row)
            text += QStringLiteral("<td>%1</td>").arg(html(cell));
        text += QStringLiteral("</tr>");
    }
    if (rows.isEmpty())
        text += QStringLiteral("<tr><td colspan=\"%1\">none in this window</td></tr>").arg(headers.size());
    return text + QStringLiteral("</table>");
}

// The tables every text format shows; CSV writes them as they are, HTML and PDF lay them out.
ReportTable section(const HealthReport &report, const QString &name)
{
    ReportTable s;
    if (name == u"servers") {
        s.headers = {QStringLiteral("pool"), QStringLiteral("server"), QStringLiteral("availability_percent"), QStringLiteral("up_ms"),
                     QStringLiteral("recorded_ms"), QStringLiteral("outages"), QStringLiteral("longest_outage_ms"), QStringLiteral("check_failures"),
                     QStringLiteral("requests"), QStringLiteral("errors"), QStringLiteral("error_rate_percent"), QStringLiteral("mean_ms"),
                     QStringLiteral("p50_ms"), QStringLiteral("p95_ms"), QStringLiteral("p99_ms"), QStringLiteral("traffic_share_percent"),
                     QStringLiteral("weight_share_percent"), QStringLiteral("weight_changes"), QStringLiteral("coverage_percent")};
        for (const ServerReport &r : report.servers) {
            int failures = 0;
            for (const auto &[reason, count] : r.checkFailures)
                failures += count;
            s.rows.append({r.pool, r.server, number(r.availabilityPercent), QString::number(r.upMs), QString::number(r.recordedMs),
                           QString::number(r.outages), QString::number(r.longestOutageMs), QString::number(failures),
                           QString::number(r.requests), QString::number(r.errors), number(r.errorRatePercent), number(r.meanMs),
                           number(r.p50Ms), number(r.p95Ms), number(r.p99Ms), number(r.trafficSharePercent), number(r.weightSharePercent),
                           QString::number(r.weightChanges.size()), number(r.coveragePercent)});
        }
    } else if (name == u"check-failures") {
        s.headers = {QStringLiteral("pool"), QStringLiteral("server"), QStringLiteral("reason"), QStringLiteral("count")};
        for (const ServerReport &r : report.servers) {
            for (const auto &[reason, count] : r.checkFailures)
                s.rows.append({r.pool, r.server, reason, QString::number(count)});
        }
    } else if (name == u"weight-changes") {
        s.headers = {QStringLiteral("pool"), QStringLiteral("server"), QStringLiteral("time"), QStringLiteral("from"), QStringLiteral("to")};
        for (const ServerReport &r : report.servers) {
            for (const WeightChange &w : r.weightChanges)
                s.rows.append({r.pool, r.server, formatReportTime(w.timeMs), QString::number(w.from), QString::number(w.to)});
        }
    } else if (name == u"pools") {
        s.headers = {QStringLiteral("pool"), QStringLiteral("requests"), QStringLiteral("errors"), QStringLiteral("error_rate_percent"),
                     QStringLiteral("worst_servers"), QStringLiteral("panics"), QStringLiteral("panic_ms")};
        for (const PoolReport &p : report.pools)
            s.rows.append({p.pool, QString::number(p.requests), QString::number(p.errors), number(p.errorRatePercent),
                           p.worstServers.join(u' '), QString::number(p.panics), QString::number(p.panicMs)});
    } else if (name == u"locks") {
        s.headers = {QStringLiteral("endpoint"), QStringLiteral("key"), QStringLiteral("kind"), QStringLiteral("holder"), QStringLiteral("longest_held_ms"),
                     QStringLiteral("no_expiry"), QStringLiteral("held_too_long"), QStringLiteral("first_seen"), QStringLiteral("last_seen")};
        for (const LockReport &l : report.locks)
            s.rows.append({l.endpoint, l.key, l.kind, l.holder, QString::number(l.longestHeldMs), l.noExpiry ? QStringLiteral("true") : QStringLiteral("false"),
                           l.heldTooLong ? QStringLiteral("true") : QStringLiteral("false"), formatReportTime(l.firstSeenMs), formatReportTime(l.lastSeenMs)});
    } else if (name == u"force-releases") {
        s.headers = {QStringLiteral("time"), QStringLiteral("user"), QStringLiteral("origin"), QStringLiteral("target"), QStringLiteral("holder"), QStringLiteral("result")};
        for (const ForceReleaseReport &f : report.forceReleases)
            s.rows.append({formatReportTime(f.timeMs), f.user, f.origin, f.target, f.holder, f.result});
    } else if (name == u"operator-actions") {
        s.headers = {QStringLiteral("time"), QStringLiteral("user"), QStringLiteral("origin"), QStringLiteral("action"), QStringLiteral("target"),
                     QStringLiteral("before"), QStringLiteral("after"), QStringLiteral("result")};
        for (const AuditEntry &a : report.actions)
            s.rows.append({formatReportTime(a.time.toMSecsSinceEpoch()), a.user, a.origin, a.action, a.target, a.before, a.after, a.result});
    }
    return s;
}

} // namespace

QJsonObject healthReportToJson(const HealthReport &report)
{
    QJsonArray servers;
    for (const ServerReport &r : report.servers) {
        QJsonObject failures;
        for (const auto &[reason, count] : r.checkFailures)
            failures.insert(reason, count);
        QJsonArray weightChanges;
        for (const WeightChange &w : r.weightChanges)
            weightChanges.append(QJsonObject{{QStringLiteral("time"), formatReportTime(w.timeMs)}, {QStringLiteral("from"), w.from}, {QStringLiteral("to"), w.to}});
        QJsonArray states;
        for (const StateSpan &span : r.states)
            states.append(QJsonObject{{QStringLiteral("from"), formatReportTime(span.fromMs)}, {QStringLiteral("to"), formatReportTime(span.toMs)}, {QStringLiteral("state"), span.state}});
        servers.append(QJsonObject{
            {QStringLiteral("pool"), r.pool},
            {QStringLiteral("server"), r.server},
            {QStringLiteral("availability_percent"), r.availabilityPercent},
            {QStringLiteral("up_ms"), double(r.upMs)},
            {QStringLiteral("recorded_ms"), double(r.recordedMs)},
            {QStringLiteral("outages"), r.outages},
            {QStringLiteral("longest_outage_ms"), double(r.longestOutageMs)},
            {QStringLiteral("check_failures"), failures},
            {QStringLiteral("requests"), double(r.requests)},
            {QStringLiteral("errors"), double(r.errors)},
            {QStringLiteral("error_rate_percent"), r.errorRatePercent},
            {QStringLiteral("latency_ms"), QJsonObject{{QStringLiteral("mean"), r.meanMs}, {QStringLiteral("p50"), r.p50Ms}, {QStringLiteral("p95"), r.p95Ms}, {QStringLiteral("p99"), r.p99Ms}}},
            {QStringLiteral("traffic_share_percent"), r.trafficSharePercent},
            {QStringLiteral("weight_share_percent"), r.weightSharePercent},
            {QStringLiteral("weight_changes"), weightChanges},
            {QStringLiteral("coverage_percent"), r.coveragePercent},
            {QStringLiteral("series"), QJsonObject{{QStringLiteral("requests_per_second"), chartJson(r.traffic)},
                                                   {QStringLiteral("mean_latency_ms"), chartJson(r.latency)},
                                                   {QStringLiteral("states"), states}}},
        });
    }
    QJsonArray pools;
    for (const PoolReport &p : report.pools)
        pools.append(QJsonObject{{QStringLiteral("pool"), p.pool},
                                 {QStringLiteral("requests"), double(p.requests)},
                                 {QStringLiteral("errors"), double(p.errors)},
                                 {QStringLiteral("error_rate_percent"), p.errorRatePercent},
                                 {QStringLiteral("worst_servers"), QJsonArray::fromStringList(p.worstServers)},
                                 {QStringLiteral("panics"), p.panics},
                                 {QStringLiteral("panic_ms"), double(p.panicMs)}});
    QJsonArray locks;
    for (const LockReport &l : report.locks)
        locks.append(QJsonObject{{QStringLiteral("endpoint"), l.endpoint},
                                 {QStringLiteral("key"), l.key},
                                 {QStringLiteral("kind"), l.kind},
                                 {QStringLiteral("holder"), l.holder},
                                 {QStringLiteral("longest_held_ms"), double(l.longestHeldMs)},
                                 {QStringLiteral("no_expiry"), l.noExpiry},
                                 {QStringLiteral("held_too_long"), l.heldTooLong},
                                 {QStringLiteral("first_seen"), formatReportTime(l.firstSeenMs)},
                                 {QStringLiteral("last_seen"), formatReportTime(l.lastSeenMs)}});
    QJsonArray releases;
    for (const ForceReleaseReport &f : report.forceReleases)
        releases.append(QJsonObject{{QStringLiteral("time"), formatReportTime(f.timeMs)},
                                    {QStringLiteral("user"), f.user},
                                    {QStringLiteral("origin"), f.origin},
                                    {QStringLiteral("target"), f.target},
                                    {QStringLiteral("holder"), f.holder},
                                    {QStringLiteral("result"), f.result}});
    QJsonArray actions;
    for (const AuditEntry &a : report.actions)
        actions.append(auditJson(a));
    QJsonObject window{{QStringLiteral("from"), formatReportTime(report.fromMs)},
                       {QStringLiteral("to"), formatReportTime(report.toMs)},
                       {QStringLiteral("duration_ms"), double(report.windowMs())},
                       {QStringLiteral("recorded_ms"), double(report.recordedMs)},
                       {QStringLiteral("coverage_percent"), report.coveragePercent()}};
    if (report.recordedToMs > report.recordedFromMs) {
        window.insert(QStringLiteral("recorded_from"), formatReportTime(report.recordedFromMs));
        window.insert(QStringLiteral("recorded_to"), formatReportTime(report.recordedToMs));
    }
    return QJsonObject{
        {QStringLiteral("schema"), QStringLiteral("fulcrum-health-report/1")},
        {QStringLiteral("window"), window},
        {QStringLiteral("generated_at"), formatReportTime(report.generatedAtMs)},
        {QStringLiteral("lock_held_threshold_ms"), double(report.options.lockHeldThresholdMs)},
        {QStringLiteral("pools"), pools},
        {QStringLiteral("servers"), servers},
        {QStringLiteral("locks"), locks},
        {QStringLiteral("force_releases"), releases},
        {QStringLiteral("operator_actions"), actions},
    };
}

ReportTable healthReportTable(const HealthReport &report, const QString &name)
{
    return section(report, name);
}

QString csvCell(const QString &text)
{
    QString cell = text;
    if (!cell.isEmpty() && (cell[0] == u'=' || cell[0] == u'+' || cell[0] == u'-' || cell[0] == u'@' || cell[0] == u'\t' || cell[0] == u'\r'))
        cell.prepend(u'\'');
    if (cell.contains(u',') || cell.contains(u'"') || cell.contains(u'\r') || cell.contains(u'\n')) {
        cell.replace(QStringLiteral("\""), QStringLiteral("\"\""));
        cell = u'"' + cell + u'"';
    }
    return cell;
}

QString healthReportCsv(const HealthReport &report, const QString &name)
{
    const ReportTable s = section(report, name);
    auto line = [](const QStringList &cells) {
        QStringList out;
        for (const QString &cell : cells)
            out.append(csvCell(cell));
        return out.join(u',') + QStringLiteral("\r\n");
    };
    QString text = line(s.headers);
    for (const QStringList &row : s.rows)
        text += line(row);
    return text;
}

QString healthReportHtml(const HealthReport &report)
{
    QString page = QStringLiteral(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fulcrum health report %1 – %2</title>\n"
        "<style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "th,td{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:left}th{background:#eee}"
        ".t{font-size:13px;font-weight:bold}.a{font-size:10px;fill:#555}svg{display:block;margin:.5em 0 .3em}.legend{font-size:12px;margin:0 0 1.5em}</style></head><body>\n")
                       .arg(formatReportTime(report.fromMs), formatReportTime(report.toMs));
    page += QStringLiteral("<h1>Fulcrum health report</h1><p>Window: %1 – %2 (%3). Generated at %4.</p>\n")
                .arg(formatReportTime(report.fromMs), formatReportTime(report.toMs), formatDurationMs(report.windowMs()), formatReportTime(report.generatedAtMs));
    auto add = [&](const QString &title, const QString &name) {
        const ReportTable s = section(report, name);
        page += QStringLiteral("<h2>%1</h2>\n").arg(html(title)) + htmlTable(s.headers, s.rows) + u'\n';
    };
    add(QStringLiteral("Pools"), QStringLiteral("pools"));
    add(QStringLiteral("Servers"), QStringLiteral("servers"));
    page += QStringLiteral("<h2>Charts</h2>\n") + svgLineChart(report, QStringLiteral("Traffic per server"), QStringLiteral("requests/s"), false) + htmlLegend(report) + u'\n'
            + svgLineChart(report, QStringLiteral("Latency per server"), QStringLiteral("mean ms"), true) + htmlLegend(report) + u'\n' + svgStateTimeline(report) + u'\n';
    add(QStringLiteral("Check failures by reason"), QStringLiteral("check-failures"));
    add(QStringLiteral("Weight changes"), QStringLiteral("weight-changes"));
    add(QStringLiteral("Locks held longer than %1 or without expiry").arg(formatDurationMs(report.options.lockHeldThresholdMs)), QStringLiteral("locks"));
    add(QStringLiteral("Force-releases"), QStringLiteral("force-releases"));
    add(QStringLiteral("Operator actions"), QStringLiteral("operator-actions"));
    page += QStringLiteral("</body></html>\n");
    return page;
}

bool writeHealthReport(const HealthReport &report, const QString &format, const QString &path, QStringList *written, QString *error)
{
    auto save = [&](const QString &file, const QByteArray &bytes) {
        QSaveFile out(file);
        if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit()) {
            if (error)
                *error = QStringLiteral("%1: cannot write: %2; check the directory exists and is writable").arg(file, out.errorString());
            return false;
        }
        if (written)
            written->append(file);
        return true;
    };
    if (format == u"json")
        return save(path, QJsonDocument(healthReportToJson(report)).toJson(QJsonDocument::Indented));
    if (format == u"html")
        return save(path, healthReportHtml(report).toUtf8());
    if (format == u"csv") {
        const QString prefix = path.endsWith(u".csv") ? path.chopped(4) : path;
        for (const QString &name : csvReportSections()) {
            if (!save(QStringLiteral("%1-%2.csv").arg(prefix, name), healthReportCsv(report, name).toUtf8()))
                return false;
        }
        return true;
    }
    if (error)
        *error = QStringLiteral("format \"%1\" is not one of json, csv, html (pdf is written by fulcrum_reportpdf)").arg(format);
    return false;
}

} // namespace fulcrum
