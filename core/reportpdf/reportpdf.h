#pragma once

#include "history/healthreport.h"

#include <QString>

namespace fulcrum {

// Writes `report` as an A4 PDF: vector charts (traffic, latency, state timeline), the same
// tables as the other formats, window and generated-at in every page's header, page numbers
// in the footer. Needs a QGuiApplication (the offscreen platform is enough). Returns the
// number of pages, or 0 with `error` naming the file and the problem.
int writeHealthReportPdf(const HealthReport &report, const QString &path, QString *error);

} // namespace fulcrum
