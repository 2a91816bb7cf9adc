#include "reportwriters.h"

#include "common/servercolors.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
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

// The x axis every chart of a report shares: the recorded part of the window.
struct ChartAxis
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    double left = 0;
    double width = 0;

    double x(qint64 t) const { return left + width * double(t - fromMs) / double(std::max<qint64>(1, toMs - fromMs)); }
};

ChartAxis chartAxis(const HealthReport &report, double left, double width)
{
    return {report.recordedFromMs, report.recordedToMs, left, width};
}

// Vertical grid lines with their time labels, under a plot from top to bottom.
QString svgTimeTicks(const ChartAxis &axis, double top, double bottom)
{
    QString svg;
    for (const ReportTimeTick &tick : reportTimeTicks(axis.fromMs, axis.toMs)) {
        const QString x = number(axis.x(tick.timeMs), 1);
        svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#e4e4e4\"/>").arg(x).arg(top).arg(bottom);
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"middle\">%3</text>").arg(x).arg(bottom + 12).arg(html(tick.label));
    }
    return svg;
}

// A line chart, one line per server in its console colour, as inline SVG. A line breaks where
// nothing was recorded instead of bridging the gap.
QString svgLineChart(const HealthReport &report, const QString &title, const QString &unit, bool latency)
{
    const double width = 900, height = 260, left = 60, right = 10, top = 24, bottom = 34;
    double maxValue = 0;
    for (const ServerReport &s : report.servers) {
        for (const ChartPoint &p : latency ? s.latency : s.traffic)
            maxValue = std::max(maxValue, p.value);
    }
    if (maxValue <= 0)
        maxValue = 1;
    const ChartAxis axis = chartAxis(report, left, width - left - right);
    auto y = [&](double v) { return top + (height - top - bottom) * (1.0 - v / maxValue); };
    QString svg = QStringLiteral("<svg width=\"%1\" height=\"%2\" viewBox=\"0 0 %1 %2\" role=\"img\">"
                                 "<text x=\"%3\" y=\"16\" class=\"t\">%4 (%5)</text>")
                      .arg(width).arg(height).arg(left).arg(html(title), html(unit));
    svg += svgTimeTicks(axis, top, height - bottom);
    svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#999\"/>").arg(left).arg(height - bottom).arg(width - right);
    svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#999\"/>").arg(left).arg(top).arg(height - bottom);
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">%3</text>").arg(left - 4).arg(top + 4).arg(number(maxValue, 1));
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">0</text>").arg(left - 4).arg(height - bottom);
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">UTC</text>").arg(width - right).arg(height - 4);
    const std::vector<quint32> colors = healthReportServerColors(report);
    for (size_t i = 0; i < report.servers.size(); ++i) {
        const ServerReport &s = report.servers[i];
        QStringList runs;
        QString run;
        qint64 previous = 0;
        for (const ChartPoint &p : latency ? s.latency : s.traffic) {
            if (!run.isEmpty() && p.timeMs - previous > report.chartGapMs) {
                runs.append(run.trimmed());
                run.clear();
            }
            run += QStringLiteral("%1,%2 ").arg(number(axis.x(p.timeMs), 1), number(y(p.value), 1));
            previous = p.timeMs;
        }
        if (!run.isEmpty())
            runs.append(run.trimmed());
        for (const QString &points : runs)
            svg += QStringLiteral("<polyline fill=\"none\" stroke-width=\"1.2\" stroke=\"%1\" points=\"%2\"><title>%3/%4</title></polyline>")
                       .arg(ServerColors::hexName(colors[i]), points, html(s.pool), html(s.server));
    }
    svg += QStringLiteral("</svg>");
    return svg;
}

// Which colour is which server, under each line chart.
QString htmlLegend(const HealthReport &report)
{
    QString text = QStringLiteral("<p class=\"legend\">");
    const std::vector<quint32> colors = healthReportServerColors(report);
    for (size_t i = 0; i < report.servers.size(); ++i)
        text += QStringLiteral("<span style=\"color:%1\">&#9632;</span> %2/%3 ").arg(ServerColors::hexName(colors[i]), html(report.servers[i].pool), html(report.servers[i].server));
    return text + QStringLiteral("</p>");
}

QString svgStateTimeline(const HealthReport &report)
{
    const double width = 900, left = 160, right = 10, row = 16;
    const double rowsHeight = row * double(report.servers.size());
    const double height = 24 + rowsHeight + 30;
    const ChartAxis axis = chartAxis(report, left, width - left - right);
    QString svg = QStringLiteral("<svg width=\"%1\" height=\"%2\" viewBox=\"0 0 %1 %2\" role=\"img\">"
                                 "<text x=\"%3\" y=\"16\" class=\"t\">State timeline (green up, red down, orange drain, grey maintenance, light grey not recorded)</text>")
                      .arg(width).arg(height).arg(left);
    svg += svgTimeTicks(axis, 24, 24 + rowsHeight);   // under the rows: the lines show between them
    double rowY = 24;
    for (const ServerReport &s : report.servers) {
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">%3/%4</text>").arg(left - 4).arg(rowY + row - 5).arg(html(s.pool), html(s.server));
        svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"/>")
                   .arg(left).arg(rowY).arg(width - left - right).arg(row - 3).arg(ServerColors::hexName(reportStateColor(QString())));
        for (const StateSpan &span : s.states) {
            svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"><title>%6 %7 – %8</title></rect>")
                       .arg(number(axis.x(span.fromMs), 1)).arg(rowY).arg(number(std::max(0.5, axis.x(span.toMs) - axis.x(span.fromMs)), 1)).arg(row - 3)
                       .arg(ServerColors::hexName(reportStateColor(span.state)), html(span.state), reportTime(span.fromMs), reportTime(span.toMs));
        }
        rowY += row;
    }
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" class=\"a\" text-anchor=\"end\">UTC</text>").arg(width - right).arg(height - 4);
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

// A percentage as people read it: never "100 %" for less than all, never "0 %" for more than nothing.
QString percentText(double percent, int decimals)
{
    if (percent >= 100)
        return QStringLiteral("100 %");
    if (percent <= 0)
        return QStringLiteral("0 %");
    const double step = std::pow(10.0, -decimals);
    const double shown = std::clamp(std::round(percent / step) * step, step, 100 - step);
    return QStringLiteral("%1 %").arg(shown, 0, 'f', decimals);
}

QString count(quint64 value)
{
    return QLocale(QLocale::English, QLocale::UnitedStates).toString(value);
}

QString milliseconds(double ms)
{
    return QStringLiteral("%1 ms").arg(ms, 0, 'f', 1);
}

const QString kNone = QStringLiteral("–");

ReportTable readableSection(const HealthReport &report, const QString &name)
{
    ReportTable s;
    if (name == u"servers") {
        s.headers = {QStringLiteral("Pool"), QStringLiteral("Server"), QStringLiteral("Availability"), QStringLiteral("Recorded"),
                     QStringLiteral("Outages"), QStringLiteral("Longest outage"), QStringLiteral("Failed checks"), QStringLiteral("Requests"),
                     QStringLiteral("Errors"), QStringLiteral("Error rate"), QStringLiteral("Mean latency"), QStringLiteral("p50 latency"),
                     QStringLiteral("p95 latency"), QStringLiteral("p99 latency"), QStringLiteral("Traffic share"), QStringLiteral("Weight share"),
                     QStringLiteral("Weight changes")};
        for (const ServerReport &r : report.servers) {
            int failures = 0;
            for (const auto &[reason, n] : r.checkFailures)
                failures += n;
            const bool served = r.requests > 0;
            s.rows.append({r.pool, r.server, reportAvailability(r.availabilityPercent),
                           QStringLiteral("%1 of %2").arg(reportDuration(r.recordedMs), reportDuration(report.windowMs())),
                           QString::number(r.outages), r.outages > 0 ? reportDuration(r.longestOutageMs) : kNone, QString::number(failures),
                           count(r.requests), count(r.errors), served ? percentText(r.errorRatePercent, 2) : kNone,
                           served ? milliseconds(r.meanMs) : kNone, served ? milliseconds(r.p50Ms) : kNone, served ? milliseconds(r.p95Ms) : kNone,
                           served ? milliseconds(r.p99Ms) : kNone, percentText(r.trafficSharePercent, 1), percentText(r.weightSharePercent, 1),
                           QString::number(r.weightChanges.size())});
        }
    } else if (name == u"check-failures") {
        s.headers = {QStringLiteral("Pool"), QStringLiteral("Server"), QStringLiteral("Reason"), QStringLiteral("Failed checks")};
        for (const ServerReport &r : report.servers) {
            for (const auto &[reason, n] : r.checkFailures)
                s.rows.append({r.pool, r.server, reason, QString::number(n)});
        }
    } else if (name == u"weight-changes") {
        s.headers = {QStringLiteral("Pool"), QStringLiteral("Server"), QStringLiteral("Time"), QStringLiteral("Weight before"), QStringLiteral("Weight after")};
        for (const ServerReport &r : report.servers) {
            for (const WeightChange &w : r.weightChanges)
                s.rows.append({r.pool, r.server, reportTime(w.timeMs), QString::number(w.from), QString::number(w.to)});
        }
    } else if (name == u"pools") {
        s.headers = {QStringLiteral("Pool"), QStringLiteral("Requests"), QStringLiteral("Errors"), QStringLiteral("Error rate"),
                     QStringLiteral("Worst servers"), QStringLiteral("Panics"), QStringLiteral("Time in panic")};
        for (const PoolReport &p : report.pools)
            s.rows.append({p.pool, count(p.requests), count(p.errors), p.requests > 0 ? percentText(p.errorRatePercent, 2) : kNone,
                           p.worstServers.isEmpty() ? kNone : p.worstServers.join(QStringLiteral(", ")), QString::number(p.panics),
                           p.panics > 0 ? reportDuration(p.panicMs) : kNone});
    } else if (name == u"locks") {
        s.headers = {QStringLiteral("Endpoint"), QStringLiteral("Key"), QStringLiteral("Kind"), QStringLiteral("Holder"), QStringLiteral("Longest held"),
                     QStringLiteral("Expiry"), QStringLiteral("Held too long"), QStringLiteral("First seen"), QStringLiteral("Last seen")};
        for (const LockReport &l : report.locks)
            s.rows.append({l.endpoint, l.key, l.kind, l.holder, reportDuration(l.longestHeldMs), l.noExpiry ? QStringLiteral("none") : QStringLiteral("set"),
                           l.heldTooLong ? QStringLiteral("yes") : QStringLiteral("no"), reportTime(l.firstSeenMs), reportTime(l.lastSeenMs)});
    } else if (name == u"force-releases") {
        s.headers = {QStringLiteral("Time"), QStringLiteral("User"), QStringLiteral("From"), QStringLiteral("Lock"), QStringLiteral("Holder released"),
                     QStringLiteral("Result")};
        for (const ForceReleaseReport &f : report.forceReleases)
            s.rows.append({reportTime(f.timeMs), f.user, f.origin, f.target, f.holder, f.result});
    } else if (name == u"operator-actions") {
        s.headers = {QStringLiteral("Time"), QStringLiteral("User"), QStringLiteral("From"), QStringLiteral("Action"), QStringLiteral("Target"),
                     QStringLiteral("Before"), QStringLiteral("After"), QStringLiteral("Result")};
        for (const AuditEntry &a : report.actions)
            s.rows.append({reportTime(a.time.toMSecsSinceEpoch()), a.user, a.origin, a.action, a.target, a.before, a.after, a.result});
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

ReportTable healthReportReadableTable(const HealthReport &report, const QString &name)
{
    return readableSection(report, name);
}

QString reportDuration(qint64 ms)
{
    if (ms < 0)
        return QStringLiteral("-") + reportDuration(-ms);
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60'000) {
        const qint64 tenths = (ms + 50) / 100;
        return tenths % 10 == 0 ? QStringLiteral("%1 s").arg(tenths / 10) : QStringLiteral("%1.%2 s").arg(tenths / 10).arg(tenths % 10);
    }
    auto two = [](qint64 big, const char *bigUnit, qint64 small, const char *smallUnit) {
        return small == 0 ? QStringLiteral("%1 %2").arg(big).arg(QLatin1StringView(bigUnit))
                          : QStringLiteral("%1 %2 %3 %4").arg(big).arg(QLatin1StringView(bigUnit)).arg(small).arg(QLatin1StringView(smallUnit));
    };
    const qint64 s = ms / 1000;
    if (s < 3600)
        return two(s / 60, "min", s % 60, "s");
    if (s < 86'400)
        return two(s / 3600, "h", (s % 3600) / 60, "min");
    return two(s / 86'400, "d", (s % 86'400) / 3600, "h");
}

QString reportAvailability(double percent)
{
    return percentText(percent, 3);
}

QString reportTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString healthReportCoverageText(const HealthReport &report)
{
    if (report.recordedMs <= 0)
        return QStringLiteral("Nothing was recorded in this %1 window: the engine kept no history for it.").arg(reportDuration(report.windowMs()));
    const double coverage = report.coveragePercent();
    QString share = percentText(coverage, coverage < 10 ? 1 : 0);   // "0.4 %", "5 %", "99 %"
    share.replace(QStringLiteral(".0 %"), QStringLiteral(" %"));
    return QStringLiteral("Recorded %1 of this %2 window (%3). Availability is time up over the time recorded.")
        .arg(reportDuration(report.recordedMs), reportDuration(report.windowMs()), share);
}

QString healthReportCoverageWarning(const HealthReport &report)
{
    if (!report.hasLittleCoverage())
        return QString();
    if (report.recordedMs <= 0)
        return QStringLiteral("Little coverage: nothing was recorded in this window, so this report has no figures for it.");
    return QStringLiteral("Little coverage: only %1 of this %2 window was recorded. Every figure below is measured over those %1; "
                          "for the rest the engine was not running or kept no history.")
        .arg(reportDuration(report.recordedMs), reportDuration(report.windowMs()));
}

QString healthReportChartSpanText(const HealthReport &report)
{
    if (report.recordedToMs <= report.recordedFromMs)
        return QStringLiteral("No charts: nothing was recorded in this window.");
    if (report.recordedFromMs == report.fromMs && report.recordedToMs == report.toMs)
        return QStringLiteral("Charts show the whole window (times in UTC).");
    return QStringLiteral("Charts show %1 – %2 (UTC), the part of the window the engine recorded.")
        .arg(reportTime(report.recordedFromMs), reportTime(report.recordedToMs));
}

std::vector<ReportTimeTick> reportTimeTicks(qint64 fromMs, qint64 toMs, int maxTicks)
{
    std::vector<ReportTimeTick> ticks;
    if (toMs <= fromMs || maxTicks < 1)
        return ticks;
    static constexpr qint64 kSteps[] = {1'000, 2'000, 5'000, 10'000, 15'000, 30'000, 60'000, 120'000, 300'000, 600'000, 900'000, 1'800'000,
                                        3'600'000, 7'200'000, 10'800'000, 21'600'000, 43'200'000, 86'400'000, 172'800'000, 604'800'000};
    qint64 step = kSteps[std::size(kSteps) - 1];
    for (qint64 candidate : kSteps) {
        if ((toMs - fromMs) / candidate <= maxTicks) {
            step = candidate;
            break;
        }
    }
    const bool severalDays = toMs - fromMs >= 86'400'000;
    const QString format = step >= 86'400'000 ? QStringLiteral("MM-dd")
                           : severalDays      ? QStringLiteral("MM-dd HH:mm")
                           : step < 60'000    ? QStringLiteral("HH:mm:ss")
                                              : QStringLiteral("HH:mm");
    for (qint64 t = ((fromMs + step - 1) / step) * step; t <= toMs; t += step)
        ticks.push_back({t, QDateTime::fromMSecsSinceEpoch(t, Qt::UTC).toString(format)});
    return ticks;
}

std::vector<quint32> healthReportServerColors(const HealthReport &report)
{
    ServerColors colors;
    std::vector<quint32> result;
    result.reserve(report.servers.size());
    for (const ServerReport &s : report.servers)
        result.push_back(colors.colorOf(s.pool + u'/' + s.server));
    return result;
}

quint32 reportStateColor(const QString &state)
{
    if (state == u"up")
        return 0x2ca02c;
    if (state == u"down")
        return 0xd62728;
    if (state == u"drain")
        return 0xff7f0e;
    if (state == u"maint")
        return 0x7f7f7f;
    return 0xdddddd;
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
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fulcrum health report %1 – %2 UTC</title>\n"
        "<style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "th,td{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:left}th{background:#eee}"
        ".t{font-size:13px;font-weight:bold}.a{font-size:10px;fill:#555}svg{display:block;margin:.5em 0 .3em}.legend{font-size:12px;margin:0 0 1.5em}"
        ".warning{border:1px solid #d62728;background:#fdecea;padding:.5em .8em;font-weight:bold}</style></head><body>\n")
                       .arg(reportTime(report.fromMs), reportTime(report.toMs));
    page += QStringLiteral("<h1>Fulcrum health report</h1>\n");
    if (const QString warning = healthReportCoverageWarning(report); !warning.isEmpty())
        page += QStringLiteral("<p class=\"warning\">%1</p>\n").arg(html(warning));
    page += QStringLiteral("<p>Window: %1 – %2 UTC (%3). %4 Generated at %5 UTC.</p>\n")
                .arg(reportTime(report.fromMs), reportTime(report.toMs), reportDuration(report.windowMs()), html(healthReportCoverageText(report)),
                     reportTime(report.generatedAtMs));
    auto add = [&](const QString &title, const QString &name) {
        const ReportTable s = readableSection(report, name);
        page += QStringLiteral("<h2>%1</h2>\n").arg(html(title)) + htmlTable(s.headers, s.rows) + u'\n';
    };
    add(QStringLiteral("Pools"), QStringLiteral("pools"));
    add(QStringLiteral("Servers"), QStringLiteral("servers"));
    page += QStringLiteral("<h2>Charts</h2>\n<p>%1</p>\n").arg(html(healthReportChartSpanText(report)));
    if (report.recordedToMs > report.recordedFromMs) {
        page += svgLineChart(report, QStringLiteral("Traffic per server"), QStringLiteral("requests/s"), false) + htmlLegend(report) + u'\n'
                + svgLineChart(report, QStringLiteral("Latency per server"), QStringLiteral("mean, ms"), true) + htmlLegend(report) + u'\n'
                + svgStateTimeline(report) + u'\n';
    }
    add(QStringLiteral("Check failures by reason"), QStringLiteral("check-failures"));
    add(QStringLiteral("Weight changes"), QStringLiteral("weight-changes"));
    add(QStringLiteral("Locks held longer than %1 or without expiry").arg(reportDuration(report.options.lockHeldThresholdMs)), QStringLiteral("locks"));
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
