#pragma once

#include "config/config.h"
#include "engine/reportservice.h"

#include <QString>

#include <functional>
#include <memory>

namespace fulcrum {

class Engine;

// For a program with Qt Gui that hosts an engine (the console's in-process engine): makes the
// engine's HistoryService in `stateDir`, writing PDFs itself rather than through fulcrumctl.
// The result is an InProcessOptions::history.
std::function<std::unique_ptr<ReportService>(Engine *engine)> historyWithPdf(const QString &stateDir, const HistoryConfig &config = {});

} // namespace fulcrum
