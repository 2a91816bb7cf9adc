// The engine's HistoryService against a real SQLite store: retention from the config applied
// to rows of known age, reports built on the service's own thread (progress, cancel, every
// format it writes itself), history series at a resolution that fits, and what it answers
// when there is no store.
#include "knownhistory.h"

#include "common/wallclock.h"
#include "engine/engine.h"
#include "history/historyservice.h"
#include "history/reportwriters.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

std::vector<HistorySample> rows(const QString &server, qint64 startMs, int count, int resolutionS, double requests)
{
    std::vector<HistorySample> out;
    for (int i = 0; i < count; ++i) {
        HistorySample s;
        s.timeMs = startMs + qint64(i) * resolutionS * 1000;
        s.resolutionS = resolutionS;
        s.pool = QStringLiteral("web");
        s.server = server;
        s.requests = requests;
        s.meanMs = 10;
        s.weight = 1;
        s.upMs = qint64(resolutionS) * 1000;
        s.coveredMs = qint64(resolutionS) * 1000;
        out.push_back(s);
    }
    return out;
}

struct Summary
{
    std::map<QString, std::map<int, double>> requests;   // server -> resolution -> requests
    std::map<QString, int> count;                        // server -> rows
};

Summary summarize(const std::vector<HistorySample> &samples)
{
    Summary s;
    for (const HistorySample &h : samples) {
        s.requests[h.server][h.resolutionS] += h.requests;
        ++s.count[h.server];
    }
    return s;
}

struct Finished
{
    bool called = false;
    ReportOutcome outcome;
    std::vector<std::pair<int, int>> progress;
};

} // namespace

class TestHistoryService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void retentionFromTheConfigCompactsTheStore();
    void reportsAreBuiltOffTheCallersThread();
    void csvSectionAndPdfWithoutWriter();
    void cancelledReportWritesNothing();
    void noStoreSaysWhy();
    void seriesResolutionFitsThePoints_data();
    void seriesResolutionFitsThePoints();
};

void TestHistoryService::retentionFromTheConfigCompactsTheStore()
{
    QTemporaryDir dir;
    Engine engine;
    HistoryService service(&engine);
    HistoryConfig keepAll;
    keepAll.rawMs = 30 * 86'400'000LL;
    keepAll.minuteMs = 60 * 86'400'000LL;
    keepAll.hourMs = 365 * 86'400'000LL;
    QVERIFY(service.start(keepAll, dir.path()));
    QCOMPARE(service.storePath(), dir.filePath(QStringLiteral("history.sqlite")));
    QCOMPARE(service.store()->retention().secondsMs, keepAll.rawMs);

    const qint64 now = wallclock::nowMs();
    const qint64 hour = 3'600'000;
    const qint64 day = 24 * hour;
    HistoryBatch batch;
    for (const auto &part : {rows(QStringLiteral("seconds"), (now - 3 * hour) / 60'000 * 60'000, 120, 1, 2),      // two minutes, 3 h ago
                             rows(QStringLiteral("minutes"), (now - 3 * day) / hour * hour, 120, 60, 60),           // two hours, 3 days ago
                             rows(QStringLiteral("hours"), (now - 60 * day) / day * day, 24, 3600, 3600),           // a day, 60 days ago
                             rows(QStringLiteral("recent"), (now - 10 * 60'000) / 60'000 * 60'000, 60, 1, 1)}) {   // a minute, 10 min ago
        batch.samples.insert(batch.samples.end(), part.begin(), part.end());
    }
    QString error;
    QVERIFY2(service.store()->write(batch, &error), qPrintable(error));
    Summary before = summarize(service.store()->samples(now - 90 * day, now));
    QCOMPARE(before.count[QStringLiteral("seconds")], 120);
    QCOMPARE(before.count[QStringLiteral("minutes")], 120);
    QCOMPARE(before.count[QStringLiteral("hours")], 24);

    // A reload with the defaults but a month of hourly rows.
    HistoryConfig shorter;
    shorter.rawMs = hour;
    shorter.minuteMs = day;
    shorter.hourMs = 30 * day;
    QVERIFY(service.applyConfig(shorter));
    QCOMPARE(service.store()->retention().minutesMs, day);
    const Summary after = summarize(service.store()->samples(now - 90 * day, now));
    // 1 s rows older than an hour are now 1 min rows, with the same requests.
    QCOMPARE(after.count.at(QStringLiteral("seconds")), 2);
    QCOMPARE(after.requests.at(QStringLiteral("seconds")).at(60), 240.0);
    // 1 min rows older than a day are now 1 h rows.
    QCOMPARE(after.count.at(QStringLiteral("minutes")), 2);
    QCOMPARE(after.requests.at(QStringLiteral("minutes")).at(3600), 7200.0);
    // Hourly rows older than 30 days are gone; rows inside every retention stay as they were.
    QVERIFY(!after.count.count(QStringLiteral("hours")));
    QCOMPARE(after.count.at(QStringLiteral("recent")), 60);
    QCOMPARE(after.requests.at(QStringLiteral("recent")).at(1), 60.0);
    bool said = false;
    for (const EngineEvent &e : engine.recentEvents())
        said |= e.source == u"history" && e.text.contains(u"retention now: 1 s rows 1h, 1 min rows 1d, 1 h rows 30d");
    QVERIFY(said);

    // A new path is not switched to while running: the caller says it applies at the restart.
    HistoryConfig moved = shorter;
    moved.path = dir.filePath(QStringLiteral("elsewhere.sqlite"));
    QVERIFY(!service.applyConfig(moved));
    QCOMPARE(service.storePath(), dir.filePath(QStringLiteral("history.sqlite")));
}

void TestHistoryService::reportsAreBuiltOffTheCallersThread()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("history.sqlite"));
    {
        HistoryStore store;
        QString error;
        QVERIFY2(KnownHistory::write(store, path, false, &error), qPrintable(error));
    }
    // Read two hours after the known hour, on any day the suite runs: the service compacts
    // by the clock, so its 1 s rows are 1 min rows by now, and none are 1 h rows yet.
    const ScopedWallClock clock(KnownHistory::kToMs + 2 * 3'600'000);
    Engine engine;
    HistoryService service(&engine);
    QVERIFY(service.start({}, dir.path()));
    ReportRequest request;
    request.fromMs = KnownHistory::kFromMs;
    request.toMs = KnownHistory::kToMs;
    request.format = QStringLiteral("json");
    const QString out = dir.filePath(QStringLiteral("report.json"));
    Finished finished;
    QThread *callbackThread = nullptr;
    service.buildReport(request, out, this, nullptr,
                        [&](int done, int total) { finished.progress.emplace_back(done, total); },
                        [&](const ReportOutcome &outcome) {
                            finished.called = true;
                            finished.outcome = outcome;
                            callbackThread = QThread::currentThread();
                        });
    QVERIFY(!finished.called);   // answered later, never inside the call
    QTRY_VERIFY_WITH_TIMEOUT(finished.called, 30'000);
    QVERIFY2(finished.outcome.ok, qPrintable(finished.outcome.error));
    QCOMPARE(callbackThread, QThread::currentThread());
    QCOMPARE(finished.outcome.files, QStringList{out});
    QCOMPARE(finished.outcome.servers, 2);
    QVERIFY(!finished.progress.empty());
    for (size_t i = 1; i < finished.progress.size(); ++i)
        QVERIFY(finished.progress[i].first >= finished.progress[i - 1].first);
    QCOMPARE(finished.progress.back(), std::make_pair(1000, 1000));

    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
    std::map<QString, qint64> requests;
    for (const QJsonValue &v : report.value(QStringLiteral("servers")).toArray())
        requests[v.toObject().value(QStringLiteral("server")).toString()] = v.toObject().value(QStringLiteral("requests")).toInteger();
    // The known hour's counts, whatever the store compacted meanwhile (counts add up exactly).
    QCOMPARE(requests[QStringLiteral("app1")], 108'000);
    QCOMPARE(requests[QStringLiteral("app2")], 32'000);

    // The series of the same hour: at most the asked points per server, the same totals.
    bool answered = false;
    QJsonObject series;
    HistoryQuery query;
    query.fromMs = KnownHistory::kFromMs;
    query.toMs = KnownHistory::kToMs;
    query.maxPoints = 60;
    service.history(query, this, [&](const QJsonObject &s, const QString &error) {
        QVERIFY2(error.isEmpty(), qPrintable(error));
        series = s;
        answered = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(answered, 30'000);
    QCOMPARE(series.value(QStringLiteral("resolution_s")).toInt(), 60);
    const QJsonArray servers = series.value(QStringLiteral("servers")).toArray();
    QCOMPARE(servers.size(), 2);
    for (const QJsonValue &v : servers) {
        const QJsonArray points = v.toObject().value(QStringLiteral("points")).toArray();
        QVERIFY(points.size() > 50 && points.size() <= 60);
        qint64 total = 0;
        for (const QJsonValue &p : points)
            total += p.toObject().value(QStringLiteral("requests")).toInteger();
        QCOMPARE(total, requests[v.toObject().value(QStringLiteral("server")).toString()]);
    }
}

void TestHistoryService::csvSectionAndPdfWithoutWriter()
{
    QTemporaryDir dir;
    {
        HistoryStore store;
        QString error;
        QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    }
    Engine engine;
    HistoryService service(&engine);
    QVERIFY(service.start({}, dir.path()));
    QCOMPARE(service.csvSections(), csvReportSections());
    ReportRequest request;
    request.fromMs = KnownHistory::kFromMs;
    request.toMs = KnownHistory::kToMs;
    request.format = QStringLiteral("csv");
    request.csvSection = QStringLiteral("pools");
    const QString out = dir.filePath(QStringLiteral("pools-only.csv"));
    Finished finished;
    service.buildReport(request, out, this, nullptr, {}, [&](const ReportOutcome &o) { finished = {true, o, {}}; });
    QTRY_VERIFY_WITH_TIMEOUT(finished.called, 30'000);
    QVERIFY2(finished.outcome.ok, qPrintable(finished.outcome.error));
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll().startsWith("pool,requests,"));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("pools-only-servers.csv"))));

    // Without a PDF writer the service runs the fulcrumctl next to the program; a test binary
    // has none next to it, and the answer says where it looked and what to do.
    request.format = QStringLiteral("pdf");
    request.csvSection.clear();
    finished = {};
    service.buildReport(request, dir.filePath(QStringLiteral("r.pdf")), this, nullptr, {}, [&](const ReportOutcome &o) { finished = {true, o, {}}; });
    QTRY_VERIFY_WITH_TIMEOUT(finished.called, 30'000);
    QVERIFY(!finished.outcome.ok);
    QVERIFY2(finished.outcome.error.contains(u"fulcrumctl, which is not at") && finished.outcome.error.contains(u"ask for html"), qPrintable(finished.outcome.error));
}

void TestHistoryService::cancelledReportWritesNothing()
{
    QTemporaryDir dir;
    {
        HistoryStore store;
        QString error;
        QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    }
    Engine engine;
    HistoryService service(&engine);
    QVERIFY(service.start({}, dir.path()));
    ReportRequest request;
    request.fromMs = KnownHistory::kFromMs;
    request.toMs = KnownHistory::kToMs;
    request.format = QStringLiteral("html");
    const QString out = dir.filePath(QStringLiteral("cancelled.html"));
    Finished finished;
    service.buildReport(request, out, this, std::make_shared<std::atomic_bool>(true), {}, [&](const ReportOutcome &o) { finished = {true, o, {}}; });
    QTRY_VERIFY_WITH_TIMEOUT(finished.called, 30'000);
    QVERIFY(finished.outcome.cancelled);
    QVERIFY(!finished.outcome.ok);
    QVERIFY(!QFile::exists(out));
}

void TestHistoryService::noStoreSaysWhy()
{
    Engine engine;
    HistoryService service(&engine);
    Finished finished;
    service.buildReport(ReportRequest{}, QStringLiteral("/tmp/never.json"), this, nullptr, {}, [&](const ReportOutcome &o) { finished = {true, o, {}}; });
    QTRY_VERIFY(finished.called);
    QVERIFY(finished.outcome.unavailable);
    QVERIFY2(finished.outcome.error.contains(u"--state-dir"), qPrintable(finished.outcome.error));

    // A store that cannot be opened: one warning in the engine's events, and reports say why.
    QVERIFY(!service.start({}, QStringLiteral("/proc/fulcrum-no-such-dir")));
    QVERIFY(!service.isRecording());
    bool warned = false;
    for (const EngineEvent &e : engine.recentEvents())
        warned |= e.source == u"history" && e.severity == EngineEvent::Warning && e.text.contains(u"serving on without history");
    QVERIFY(warned);
    QString error;
    bool answered = false;
    service.history(HistoryQuery{}, this, [&](const QJsonObject &, const QString &e) {
        error = e;
        answered = true;
    });
    QTRY_VERIFY(answered);
    QVERIFY2(error.contains(u"/proc/fulcrum-no-such-dir"), qPrintable(error));
}

void TestHistoryService::seriesResolutionFitsThePoints_data()
{
    QTest::addColumn<qint64>("windowMs");
    QTest::addColumn<int>("storedS");
    QTest::addColumn<int>("maxPoints");
    QTest::addColumn<int>("resolutionS");
    QTest::newRow("15 min of 1 s, 240 points") << qint64(900'000) << 1 << 240 << 5;
    QTest::newRow("1 h of 1 s, 240 points") << qint64(3'600'000) << 1 << 240 << 15;
    QTest::newRow("1 h of 1 s, every second") << qint64(3'600'000) << 1 << 3600 << 1;
    QTest::newRow("1 day of 1 min, 240 points") << qint64(86'400'000) << 60 << 240 << 600;
    QTest::newRow("1 day of 1 min, 10000 points") << qint64(86'400'000) << 60 << 10'000 << 60;
    QTest::newRow("7 days of 1 h, 240 points") << qint64(7 * 86'400'000LL) << 3600 << 240 << 3600;
    QTest::newRow("a year, 240 points") << qint64(365 * 86'400'000LL) << 3600 << 240 << 172'800;
}

void TestHistoryService::seriesResolutionFitsThePoints()
{
    QFETCH(qint64, windowMs);
    QFETCH(int, storedS);
    QFETCH(int, maxPoints);
    QFETCH(int, resolutionS);
    const qint64 from = KnownHistory::kFromMs;
    const int count = int(std::min<qint64>(windowMs / (qint64(storedS) * 1000), 20'000));
    const std::vector<HistorySample> samples = rows(QStringLiteral("a"), from, count, storedS, 3);
    HistoryQuery query;
    query.fromMs = from;
    query.toMs = from + windowMs;
    query.maxPoints = maxPoints;
    const QJsonObject series = historySeriesJson(samples, query);
    QCOMPARE(series.value(QStringLiteral("resolution_s")).toInt(), resolutionS);
    const QJsonArray points = series.value(QStringLiteral("servers")).toArray().first().toObject().value(QStringLiteral("points")).toArray();
    QVERIFY(points.size() <= maxPoints);
    qint64 total = 0;
    for (const QJsonValue &p : points)
        total += p.toObject().value(QStringLiteral("requests")).toInteger();
    QCOMPARE(total, qint64(count) * 3);
}

QTEST_GUILESS_MAIN(TestHistoryService)
#include "tst_historyservice.moc"
