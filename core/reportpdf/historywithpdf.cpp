#include "historywithpdf.h"

#include "history/historyservice.h"
#include "reportpdf/reportpdf.h"

namespace fulcrum {

std::function<std::unique_ptr<ReportService>(Engine *engine)> historyWithPdf(const QString &stateDir, const HistoryConfig &config)
{
    return [stateDir, config](Engine *engine) -> std::unique_ptr<ReportService> {
        auto service = std::make_unique<HistoryService>(engine);
        service->setPdfWriter(writeHealthReportPdf);
        service->start(config, stateDir);
        return service;
    };
}

} // namespace fulcrum
