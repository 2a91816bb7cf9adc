#pragma once

#include "engine/reportservice.h"
#include "healthreport.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace fulcrum {

// One table of the report ("servers", "pools", ... as csvReportSections() lists them):
// CSV writes it as it is, HTML and PDF lay it out.
struct ReportTable
{
    QStringList headers;
    QList<QStringList> rows;
};
ReportTable healthReportTable(const HealthReport &report, const QString &section);

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
