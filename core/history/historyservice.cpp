#include "historyservice.h"

#include "balancer/backend.h"
#include "common/childprocess.h"
#include "common/duration.h"
#include "common/wallclock.h"
#include "engine/engine.h"
#include "history/healthreport.h"
#include "history/historyrecorder.h"
#include "history/reportwriters.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>

#include <algorithm>

namespace fulcrum {

HistoryRetention historyRetention(const HistoryConfig &config)
{
    HistoryRetention r;
    r.secondsMs = config.rawMs;
    r.minutesMs = config.minuteMs;
    r.hoursMs = config.hourMs;
    return r;
}

// Builds reports and series on the service's own thread, with a connection to the store of
// its own (a HistoryStore is one per thread), opened at the first job and kept.
class ReportWorker : public QObject
{
public:
    explicit ReportWorker(const QString &storePath) : m_storePath(storePath) {}

    using StepProgress = std::function<void(int done, int total)>;

    ReportOutcome build(const ReportRequest &request, const QString &path, const std::atomic_bool &cancel,
                        const HistoryService::PdfWriter &pdfWriter, const StepProgress &progress)
    {
        ReportOutcome out;
        if (!open(&out.error)) {
            out.unavailable = true;
            return out;
        }
        if (request.format == u"pdf" && !pdfWriter)
            return pdfThroughCtl(request, path, cancel, progress);
        ReportOptions options;
        options.lockHeldThresholdMs = request.lockHeldThresholdMs;
        const HealthReport report = buildHealthReport(m_store, request.fromMs, request.toMs, wallclock::nowMs(), options,
                                                      [&](int done, int total) {
            progress(done, total);
            return !cancel.load();
        });
        if (cancel.load()) {
            out.cancelled = true;
            out.error = QStringLiteral("cancelled");
            return out;
        }
        progress(950, 1000);
        out.servers = int(report.servers.size());
        if (request.format == u"pdf") {
            if (pdfWriter(report, path, &out.error) == 0)
                return out;
            out.files.append(path);
        } else if (request.format == u"csv" && !request.csvSection.isEmpty()) {
            QFile file(path);
            if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(healthReportCsv(report, request.csvSection).toUtf8()) < 0) {
                out.error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
                return out;
            }
            out.files.append(path);
        } else if (!writeHealthReport(report, request.format, path, &out.files, &out.error)) {
            return out;
        }
        progress(1000, 1000);
        out.ok = true;
        return out;
    }

    QJsonObject series(const HistoryQuery &query, QString *error)
    {
        if (!open(error))
            return {};
        std::vector<HistorySample> samples = m_store.samples(query.fromMs, query.toMs);
        std::erase_if(samples, [&](const HistorySample &s) {
            return (!query.pool.isEmpty() && s.pool != query.pool) || (!query.server.isEmpty() && s.server != query.server);
        });
        return historySeriesJson(samples, query);
    }

private:
    bool open(QString *error)
    {
        if (m_store.isOpen())
            return true;
        return m_store.open(m_storePath, error, HistoryStore::Access::ReadOnly);
    }

    // fulcrumd links no Qt Gui, so its PDFs come from the fulcrumctl installed next to it,
    // reading the same store file (a process of its own: the engine's thread is never held).
    ReportOutcome pdfThroughCtl(const ReportRequest &request, const QString &path, const std::atomic_bool &cancel, const StepProgress &progress)
    {
        ReportOutcome out;
        const QString ctl = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("fulcrumctl"));
        if (!QFileInfo(ctl).isExecutable()) {
            out.error = QStringLiteral("PDF reports are written by fulcrumctl, which is not at %1; install it next to this program, or ask for html").arg(ctl);
            return out;
        }
        progress(0, 1000);
        QProcess process;
        tieToParent(process);   // this thread waits for it, so it ends with the thread
        process.start(ctl, {QStringLiteral("report"), QStringLiteral("--store"), m_storePath,
                            QStringLiteral("--from"), QDateTime::fromMSecsSinceEpoch(request.fromMs, Qt::UTC).toString(Qt::ISODateWithMs),
                            QStringLiteral("--to"), QDateTime::fromMSecsSinceEpoch(request.toMs, Qt::UTC).toString(Qt::ISODateWithMs),
                            QStringLiteral("--lock-threshold"), QString::number(request.lockHeldThresholdMs),
                            QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("-o"), path});
        while (!process.waitForFinished(200)) {
            if (process.state() == QProcess::NotRunning)
                break;
            if (cancel.load()) {
                process.kill();
                process.waitForFinished(5000);
                out.cancelled = true;
                out.error = QStringLiteral("cancelled");
                return out;
            }
        }
        if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
            const QString said = QString::fromUtf8(process.readAllStandardError()).trimmed();
            out.error = said.isEmpty() ? QStringLiteral("%1 failed: %2").arg(ctl, process.errorString()) : said;
            return out;
        }
        progress(1000, 1000);
        out.ok = true;
        out.files.append(path);
        return out;
    }

    QString m_storePath;
    HistoryStore m_store;
};

HistoryService::HistoryService(Engine *engine, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_openError(QStringLiteral("this engine keeps no history: start it with --state-dir DIR (or set state_dir or history.path in the config)"))
    , m_worker(nullptr)
{
    m_thread.setObjectName(QStringLiteral("fulcrum-reports"));
}

HistoryService::~HistoryService()
{
    for (const std::weak_ptr<std::atomic_bool> &running : m_running) {
        if (const auto cancel = running.lock())
            cancel->store(true);
    }
    m_thread.quit();
    m_thread.wait();
}

bool HistoryService::start(const HistoryConfig &config, const QString &stateDir)
{
    m_config = config;
    m_storePath = !config.path.isEmpty() ? config.path
                  : stateDir.isEmpty()   ? QString()
                                         : QDir(stateDir).filePath(QStringLiteral("history.sqlite"));
    if (m_storePath.isEmpty()) {
        m_openError = QStringLiteral("this engine keeps no history: start it with --state-dir DIR (or set state_dir or history.path in the config)");
        return false;
    }
    QDir().mkpath(QFileInfo(m_storePath).absolutePath());
    m_store.setRetention(historyRetention(config));
    if (!m_store.open(m_storePath, &m_openError)) {
        m_engine->addEvent(EngineEvent::Warning, QStringLiteral("history"), m_openError + QStringLiteral("; serving on without history"));
        return false;
    }
    m_openError.clear();
    m_recorder = std::make_unique<HistoryRecorder>(m_engine, &m_store);
    m_worker = new ReportWorker(m_storePath);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start(QThread::LowPriority);
    return true;
}

bool HistoryService::applyConfig(const HistoryConfig &config)
{
    const bool samePath = config.path == m_config.path;
    const HistoryConfig old = m_config;
    m_config.rawMs = config.rawMs;
    m_config.minuteMs = config.minuteMs;
    m_config.hourMs = config.hourMs;
    if (!(old == m_config) && m_store.isOpen()) {
        m_store.setRetention(historyRetention(m_config));
        // Written first, so what is buffered is compacted with the rest.
        if (m_recorder)
            m_recorder->flush();
        QString error;
        if (!m_store.compact(wallclock::nowMs(), &error))
            m_engine->addEvent(EngineEvent::Warning, QStringLiteral("history"), error);
        else
            m_engine->addEvent(EngineEvent::Info, QStringLiteral("history"),
                               QStringLiteral("retention now: 1 s rows %1, 1 min rows %2, 1 h rows %3")
                                   .arg(formatDurationMs(m_config.rawMs), formatDurationMs(m_config.minuteMs), formatDurationMs(m_config.hourMs)));
    }
    return samePath;
}

void HistoryService::buildReport(const ReportRequest &request, const QString &path, QObject *context,
                                 std::shared_ptr<std::atomic_bool> cancel, Progress progress, Finished finished)
{
    const QPointer<QObject> guard(context);
    if (!m_worker) {
        ReportOutcome out;
        out.unavailable = true;
        out.error = m_openError;
        QMetaObject::invokeMethod(this, [guard, finished, out] {
            if (guard)
                finished(out);
        }, Qt::QueuedConnection);
        return;
    }
    // What the recorder holds goes to disk first, so the report reaches up to now.
    if (m_recorder)
        m_recorder->flush();
    if (!cancel)
        cancel = std::make_shared<std::atomic_bool>(false);
    std::erase_if(m_running, [](const std::weak_ptr<std::atomic_bool> &w) { return w.expired(); });
    m_running.push_back(cancel);
    QMetaObject::invokeMethod(m_worker, [this, worker = m_worker, request, path, guard, cancel, progress, finished, pdf = m_pdfWriter] {
        int last = -1;
        const ReportOutcome out = worker->build(request, path, *cancel, pdf, [&](int done, int total) {
            // A step in a hundred is enough for a progress bar, and keeps the queue short.
            const int percent = total > 0 ? done * 100 / total : 0;
            if (percent == last)
                return;
            last = percent;
            QMetaObject::invokeMethod(this, [guard, progress, done, total] {
                if (guard && progress)
                    progress(done, total);
            }, Qt::QueuedConnection);
        });
        QMetaObject::invokeMethod(this, [guard, finished, out] {
            if (guard)
                finished(out);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

QStringList HistoryService::csvSections() const
{
    return csvReportSections();
}

void HistoryService::history(const HistoryQuery &query, QObject *context, HistoryFinished finished)
{
    const QPointer<QObject> guard(context);
    if (!m_worker) {
        QMetaObject::invokeMethod(this, [guard, finished, error = m_openError] {
            if (guard)
                finished({}, error);
        }, Qt::QueuedConnection);
        return;
    }
    if (m_recorder)
        m_recorder->flush();
    QMetaObject::invokeMethod(m_worker, [this, worker = m_worker, query, guard, finished] {
        QString error;
        const QJsonObject series = worker->series(query, &error);
        QMetaObject::invokeMethod(this, [guard, finished, series, error] {
            if (guard)
                finished(series, error);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

QJsonObject historySeriesJson(const std::vector<HistorySample> &samples, const HistoryQuery &query)
{
    // Steps that divide minutes, hours and days, so buckets line up with the stored rows.
    static constexpr int kSteps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10'800, 21'600, 43'200, 86'400};
    const qint64 windowS = std::max<qint64>(1, (query.toMs - query.fromMs + 999) / 1000);
    const qint64 wanted = (windowS + std::max(1, query.maxPoints) - 1) / std::max(1, query.maxPoints);
    int stored = 1;
    for (const HistorySample &s : samples)
        stored = std::max(stored, s.resolutionS);
    // Past the last step: whole days.
    int resolution = int(std::max<qint64>(stored, (wanted + 86'399) / 86'400 * 86'400));
    for (int step : kSteps) {
        if (step >= wanted && step >= stored) {
            resolution = step;
            break;
        }
    }
    const std::vector<HistorySample> points = downsampleSamples(samples, resolution);
    QJsonArray servers;
    QJsonObject current;
    QJsonArray currentPoints;
    auto close = [&] {
        if (current.isEmpty())
            return;
        current.insert(QStringLiteral("points"), currentPoints);
        servers.append(current);
        current = {};
        currentPoints = {};
    };
    for (const HistorySample &p : points) {
        if (current.value(QStringLiteral("pool")).toString() != p.pool || current.value(QStringLiteral("server")).toString() != p.server) {
            close();
            current = QJsonObject{{QStringLiteral("pool"), p.pool}, {QStringLiteral("server"), p.server}};
        }
        currentPoints.append(QJsonObject{
            {QStringLiteral("time"), formatReportTime(p.timeMs)},
            {QStringLiteral("requests"), qint64(p.requests + 0.5)},
            {QStringLiteral("errors"), qint64(p.errors + 0.5)},
            {QStringLiteral("requests_per_s"), p.coveredMs > 0 ? p.requests * 1000.0 / double(p.coveredMs) : 0.0},
            {QStringLiteral("mean_ms"), p.meanMs},
            {QStringLiteral("p50_ms"), p.p50Ms},
            {QStringLiteral("p95_ms"), p.p95Ms},
            {QStringLiteral("p99_ms"), p.p99Ms},
            {QStringLiteral("state"), backendStateName(BackendState(p.state))},
            {QStringLiteral("weight"), p.weight},
            {QStringLiteral("effective_weight"), p.effectiveWeight},
            {QStringLiteral("up_ms"), p.upMs},
            {QStringLiteral("recorded_ms"), p.coveredMs},
        });
    }
    close();
    return QJsonObject{
        {QStringLiteral("from"), formatReportTime(query.fromMs)},
        {QStringLiteral("to"), formatReportTime(query.toMs)},
        {QStringLiteral("resolution_s"), resolution},
        {QStringLiteral("servers"), servers},
    };
}

} // namespace fulcrum
