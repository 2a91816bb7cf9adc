#pragma once

#include "engine/reportservice.h"
#include "healthreport.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace fulcrum {

// One table of the report ("servers", "pools", ... as csvReportSections() lists them).
struct ReportTable
{
    QStringList headers;
    QList<QStringList> rows;
};
// For machines (CSV): the JSON field names as headers, raw numbers (ms, percent without a sign).
ReportTable healthReportTable(const HealthReport &report, const QString &section);
// For people (HTML, PDF): words as headers ("Availability", "Longest outage"), figures with their
// units ("100 %", "11.6 s", "14.8 ms", "32,000"), times as "2026-11-24 00:25:00" (UTC).
ReportTable healthReportReadableTable(const HealthReport &report, const QString &section);

// How the readable formats write figures.
QString reportDuration(qint64 ms);                 // "250 ms", "11.6 s", "3 min", "3 min 20 s", "1 h 5 min", "7 d"
QString reportAvailability(double percent);        // "100 %", "99.861 %": never rounded up to 100
QString reportTime(qint64 ms);                     // "2026-11-24 00:25:00"
// "Recorded 3 min of this 1 h window (5 %)": what availability and every figure is measured over.
QString healthReportCoverageText(const HealthReport &report);
// Said at the top when less than HealthReport::kLittleCoveragePercent of the window was recorded; else empty.
QString healthReportCoverageWarning(const HealthReport &report);
// Which part of the window the charts show ("Charts show 00:57:00 – 01:00:00, the recorded part of the window").
QString healthReportChartSpanText(const HealthReport &report);

// Time axis labels at a readable step (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3,
// 6, 12 h, 1, 2, 7 d): at most maxTicks of them, at whole multiples of the step (UTC).
struct ReportTimeTick
{
    qint64 timeMs = 0;
    QString label;                                 // "00:57:30", "14:00", "11-24 14:00"
};
std::vector<ReportTimeTick> reportTimeTicks(qint64 fromMs, qint64 toMs, int maxTicks = 8);

// The colour of each of report.servers (0xRRGGBB, same order) by the console's rule
// (common/servercolors.h), and of each state in the timeline.
std::vector<quint32> healthReportServerColors(const HealthReport &report);
quint32 reportStateColor(const QString &state);

// JSON: the schema is docs/report-schema.json; field names are stable (add, never rename).
QJsonObject healthReportToJson(const HealthReport &report);

// CSV (RFC 4180: CRLF, quoted where needed, UTF-8): one file per section, named
// <prefix>-<section>.csv, sections as csvReportSections() (engine/reportservice.h) lists them.
QString healthReportCsv(const HealthReport &report, const QString &section);
// One cell: quoted when it holds , " CR or LF; text starting with = + - @ (or tab / CR)
// gets a leading ' so a spreadsheet shows it instead of running it as a formula.
QString csvCell(const QString &text);

// One self-contained HTML page: inline CSS and SVG, no scripts, no external references.
QString healthReportHtml(const HealthReport &report);

// Writes `report` as format "json", "csv" or "html" to `path` (csv: the sibling files
// <path without .csv>-<section>.csv). Returns the files written; errors name the file.
bool writeHealthReport(const HealthReport &report, const QString &format, const QString &path, QStringList *written, QString *error);

} // namespace fulcrum
