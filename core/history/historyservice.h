#pragma once

#include "config/config.h"
#include "engine/reportservice.h"
#include "history/historystore.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>
#include <vector>

namespace fulcrum {

class Engine;
class HistoryRecorder;
class ReportWorker;
struct HealthReport;

HistoryRetention historyRetention(const HistoryConfig &config);

// One engine's history: its store, the recorder feeding it, and the reports and series built
// from it (the ReportService the admin API and the in-process console link use). Lives on the
// engine's thread. Reports are built one at a time on a thread of their own with their own
// connection to the store (SQLite WAL: the recorder keeps writing meanwhile), so a 7-day
// report never stalls the engine's tick.
class HistoryService : public QObject, public ReportService
{
    Q_OBJECT
public:
    // Writes a PDF and returns its page count, 0 with the error (reportpdf's writeHealthReportPdf).
    using PdfWriter = std::function<int(const HealthReport &report, const QString &path, QString *error)>;

    explicit HistoryService(Engine *engine, QObject *parent = nullptr);
    ~HistoryService() override;

    // Opens the store (config.path, else <stateDir>/history.sqlite, creating the directory) and
    // starts recording. A store that cannot be opened is a warning in the engine's events; the
    // engine balances on and reports say why there is no history.
    bool start(const HistoryConfig &config, const QString &stateDir);
    // A reload: a new retention applies at once (the store is compacted with it now); a new
    // path takes effect at the next start (returns false then, for the caller to say so).
    bool applyConfig(const HistoryConfig &config);
    // Without one, PDFs come from `fulcrumctl report` next to this program (fulcrumd links no
    // Qt Gui); the console installs reportpdf's writer.
    void setPdfWriter(PdfWriter writer) { m_pdfWriter = std::move(writer); }

    bool isRecording() const { return m_recorder != nullptr; }
    QString storePath() const { return m_storePath; }
    HistoryStore *store() { return &m_store; }
    HistoryRecorder *recorder() { return m_recorder.get(); }

    void buildReport(const ReportRequest &request, const QString &path, QObject *context,
                     std::shared_ptr<std::atomic_bool> cancel, Progress progress, Finished finished) override;
    void history(const HistoryQuery &query, QObject *context, HistoryFinished finished) override;
    QStringList csvSections() const override;

private:
    Engine *m_engine;
    HistoryConfig m_config;
    QString m_storePath;
    QString m_openError;
    HistoryStore m_store;
    std::unique_ptr<HistoryRecorder> m_recorder;
    PdfWriter m_pdfWriter;
    QThread m_thread;
    ReportWorker *m_worker;
    std::vector<std::weak_ptr<std::atomic_bool>> m_running;
};

// The JSON of GET /api/v1/history: per-server points at one resolution chosen so each server
// has at most query.maxPoints points (never finer than what the store holds for the window).
QJsonObject historySeriesJson(const std::vector<HistorySample> &samples, const HistoryQuery &query);

} // namespace fulcrum
