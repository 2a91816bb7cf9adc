#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>

namespace fulcrum {

// The sections of a csv report, in file order. In fulcrum_core (not with the writers in
// fulcrum_history) because a remote link asks an engine for them one by one.
QStringList csvReportSections();

// One health report to build: the window, the format and where it goes.
struct ReportRequest
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    QString format = QStringLiteral("pdf");      // "pdf", "html", "csv" or "json"
    // csv only: write just this section (servers, pools, ...) to the path itself, as the admin
    // API answers; empty = every section as <path without .csv>-<section>.csv.
    QString csvSection;
    qint64 lockHeldThresholdMs = 60'000;
};

struct ReportOutcome
{
    bool ok = false;
    bool cancelled = false;
    bool unavailable = false;                     // the engine has no readable history store
    QStringList files;                            // what was written
    int servers = 0;
    QString error;                                // for a person: the file or window and the fix
};

// Per-server series over a window, for GET /api/v1/history.
struct HistoryQuery
{
    qint64 fromMs = 0;
    qint64 toMs = 0;
    QString pool;                                 // empty = every pool
    QString server;                               // empty = every server
    int maxPoints = 240;                          // per server; the resolution is coarsened to fit
};

// Builds reports and history series from an engine's history store, off the caller's thread.
// fulcrum_core has no store (fulcrum_history needs Qt Sql, PDF needs Qt Gui): the program that
// keeps the history installs an implementation, and the admin API and the in-process console
// link use it through this interface. Call it on the thread it lives on; the callbacks run
// there too, and not at all once `context` is gone.
class ReportService
{
public:
    using Progress = std::function<void(int done, int total)>;
    using Finished = std::function<void(const ReportOutcome &outcome)>;
    using HistoryFinished = std::function<void(const QJsonObject &series, const QString &error)>;

    virtual ~ReportService() = default;

    // Returns at once. Setting *cancel stops the build at its next step (outcome.cancelled).
    virtual void buildReport(const ReportRequest &request, const QString &path, QObject *context,
                             std::shared_ptr<std::atomic_bool> cancel, Progress progress, Finished finished) = 0;
    virtual void history(const HistoryQuery &query, QObject *context, HistoryFinished finished) = 0;
    // The sections a csv report has (ReportRequest::csvSection takes one of them).
    virtual QStringList csvSections() const = 0;
};

} // namespace fulcrum
