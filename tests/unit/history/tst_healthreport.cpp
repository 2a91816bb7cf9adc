// Health reports from a history with known content (knownhistory.h), through a real SQLite
// store: every figure, downsampling, restart, JSON schema, CSV round trip, self-contained HTML,
// and the recorder fed by a real Engine serving real demo backends.
#include "demobackends.h"
#include "jsonschema.h"
#include "knownhistory.h"

#include "engine/engine.h"
#include "common/servercolors.h"
#include "history/healthreport.h"
#include "history/historyrecorder.h"
#include "history/reportwriters.h"
#include "proxy/proxyserver.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <set>

#include "engineconfigs.h"

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

const ServerReport *findServer(const HealthReport &report, const QString &name)
{
    for (const ServerReport &s : report.servers) {
        if (s.server == name)
            return &s;
    }
    return nullptr;
}

// RFC 4180 reader: quoted fields, doubled quotes, CRLF records.
QList<QStringList> parseCsv(const QString &text)
{
    QList<QStringList> rows;
    QStringList row;
    QString cell;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == u'"' && i + 1 < text.size() && text[i + 1] == u'"') {
                cell += u'"';
                ++i;
            } else if (c == u'"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == u'"') {
            quoted = true;
        } else if (c == u',') {
            row.append(cell);
            cell.clear();
        } else if (c == u'\r' && i + 1 < text.size() && text[i + 1] == u'\n') {
            row.append(cell);
            rows.append(row);
            row.clear();
            cell.clear();
            ++i;
        } else {
            cell += c;
        }
    }
    return rows;
}

// The x coordinates of every point of every line in the HTML's first chart (traffic), per line.
QList<QList<double>> firstChartLines(const QString &page)
{
    const qsizetype start = page.indexOf(QStringLiteral("<svg "));
    const QString chart = page.mid(start, page.indexOf(QStringLiteral("</svg>"), start) - start);
    QList<QList<double>> lines;
    const QRegularExpression polyline(QStringLiteral("<polyline [^>]*points=\"([^\"]*)\""));
    for (auto it = polyline.globalMatch(chart); it.hasNext();) {
        QList<double> xs;
        for (const QString &point : it.next().captured(1).split(u' '))
            xs.append(point.section(u',', 0, 0).toDouble());
        lines.append(xs);
    }
    return lines;
}

} // namespace

class TestHealthReport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyFigure_data();
    void everyFigure();
    void downsamplingKeepsTotals();
    void lateRowsMergeIntoTheirBucket();
    void jsonMatchesSchema();
    void csvParsesBackAndGuardsFormulas();
    void htmlIsSelfContained();
    void availabilityIsOverTheRecordedTime_data();
    void availabilityIsOverTheRecordedTime();
    void littleCoverageSaysSoAtTheTop();
    void linesBreakWhereNothingWasRecorded();
    void readableFormatsUsePeopleWords();
    void readableFigures_data();
    void readableFigures();
    void timeTicksAreReadable_data();
    void timeTicksAreReadable();
    void serversHaveTheConsolesColours();
    void badStoresAreReported();
    void readersNeverWriteAndTheEngineWaitsForThem();
    void recorderStoresEngineHistory();
    void recorderSurvivesFailingStore();
    void engineOutageReachesReport();
};

void TestHealthReport::everyFigure_data()
{
    QTest::addColumn<bool>("restart");
    QTest::newRow("one run") << false;
    QTest::newRow("restart halfway") << true;
}

void TestHealthReport::everyFigure()
{
    QFETCH(bool, restart);
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), restart, &error), qPrintable(error));
    const HealthReport report = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, KnownHistory::kToMs + 5000);

    QCOMPARE(report.servers.size(), size_t(2));
    const ServerReport *app1 = findServer(report, QStringLiteral("app1"));
    const ServerReport *app2 = findServer(report, QStringLiteral("app2"));
    QVERIFY(app1 && app2);
    QCOMPARE(app1->availabilityPercent, 100.0);
    QCOMPARE(app1->upMs, 3'600'000);
    QCOMPARE(app1->recordedMs, 3'600'000);
    QCOMPARE(app1->outages, 0);
    QCOMPARE(app1->longestOutageMs, 0);
    QVERIFY(app1->checkFailures.empty());
    QCOMPARE(app1->requests, quint64(108'000));
    QCOMPARE(app1->errors, quint64(0));
    QCOMPARE(app1->errorRatePercent, 0.0);
    QCOMPARE(app1->meanMs, 10.0);
    QCOMPARE(app1->p50Ms, 8.0);
    QCOMPARE(app1->p95Ms, 20.0);
    QCOMPARE(app1->p99Ms, 40.0);
    QVERIFY(qFuzzyCompare(app1->trafficSharePercent, 100.0 * 108'000 / 140'000));
    QVERIFY(qFuzzyCompare(app1->weightSharePercent, 100.0 * 3 / (3 + 4200.0 / 3600)));
    QVERIFY(app1->weightChanges.empty());

    QVERIFY(qFuzzyCompare(app2->availabilityPercent, 100.0 * 3200 / 3600));
    QCOMPARE(app2->upMs, 3'200'000);
    QCOMPARE(app2->outages, 2);
    QCOMPARE(app2->longestOutageMs, 300'000);
    QCOMPARE(app2->checkFailures.size(), size_t(2));
    QCOMPARE(app2->checkFailures.at(QStringLiteral("L4CON")), 2);
    QCOMPARE(app2->checkFailures.at(QStringLiteral("L7STS 503")), 2);
    QCOMPARE(app2->requests, quint64(32'000));
    QCOMPARE(app2->errors, quint64(3'200));
    QVERIFY(qFuzzyCompare(app2->errorRatePercent, 10.0));
    QCOMPARE(app2->meanMs, 20.0);
    QCOMPARE(app2->p50Ms, 15.0);
    QCOMPARE(app2->p95Ms, 50.0);
    QCOMPARE(app2->p99Ms, 90.0);
    QVERIFY(qFuzzyCompare(app2->trafficSharePercent, 100.0 * 32'000 / 140'000));
    QVERIFY(qFuzzyCompare(app2->weightSharePercent, 100.0 * (4200.0 / 3600) / (3 + 4200.0 / 3600)));
    QCOMPARE(app2->weightChanges.size(), size_t(1));
    QCOMPARE(app2->weightChanges.front().timeMs, KnownHistory::kFromMs + 3'000'000);
    QCOMPARE(app2->weightChanges.front().from, 1);
    QCOMPARE(app2->weightChanges.front().to, 2);
    // The state timeline: up, down 300 s, up, down 100 s, up.
    QCOMPARE(app2->states.size(), size_t(5));
    QCOMPARE(app2->states[1].state, QStringLiteral("down"));
    QCOMPARE(app2->states[1].fromMs, KnownHistory::kFromMs + 600'000);
    QCOMPARE(app2->states[1].toMs, KnownHistory::kFromMs + 900'000);
    QCOMPARE(app2->traffic.size(), size_t(240));
    QCOMPARE(app1->traffic.front().value, 30.0);
    QCOMPARE(app1->latency.front().value, 10.0);
    // While app2 was down it served nothing: its latency line has no point there (not 0 ms),
    // its traffic line is at 0 req/s.
    for (const ChartPoint &p : app2->latency)
        QVERIFY(p.timeMs < KnownHistory::kFromMs + 600'000 || p.timeMs >= KnownHistory::kFromMs + 900'000);
    QCOMPARE(app2->latency.size(), size_t(240 - 20 - 6));   // 15 s buckets: 20 wholly in the 300 s outage, 6 in the 100 s one

    QCOMPARE(report.pools.size(), size_t(1));
    const PoolReport &pool = report.pools.front();
    QCOMPARE(pool.pool, QStringLiteral("web"));
    QCOMPARE(pool.requests, quint64(140'000));
    QCOMPARE(pool.errors, quint64(3'200));
    QCOMPARE(pool.worstServers, QStringList{QStringLiteral("app2")});
    QCOMPARE(pool.panics, 1);
    QCOMPARE(pool.panicMs, 30'000);

    QCOMPARE(report.locks.size(), size_t(2));
    QCOMPARE(report.locks[0].key, QStringLiteral("lock:cron"));
    QVERIFY(report.locks[0].noExpiry);
    QVERIFY(!report.locks[0].heldTooLong);
    QCOMPARE(report.locks[1].key, QStringLiteral("lock:orders"));
    QCOMPARE(report.locks[1].longestHeldMs, 120'000);
    QVERIFY(report.locks[1].heldTooLong);
    QVERIFY(!report.locks[1].noExpiry);
    QCOMPARE(report.locks[1].firstSeenMs, KnownHistory::kFromMs + 1'200'000);
    QCOMPARE(report.locks[1].lastSeenMs, KnownHistory::kFromMs + 1'260'000);

    QCOMPARE(report.forceReleases.size(), size_t(1));
    QCOMPARE(report.forceReleases.front().user, QStringLiteral("bob"));
    QCOMPARE(report.forceReleases.front().timeMs, KnownHistory::kFromMs + 1'500'000);
    QCOMPARE(report.forceReleases.front().holder, QStringLiteral("node-a"));
    QCOMPARE(report.forceReleases.front().target, QStringLiteral("redis://127.0.0.1:6379 lock:orders"));
    QCOMPARE(report.actions.size(), 3);   // the one after the window is left out
    QCOMPARE(report.actions[2].user, QStringLiteral("alice"));

    // A window that is the second half only: the first outages and the panic are outside.
    const HealthReport second = buildHealthReport(store, KnownHistory::kFromMs + 1'800'000, KnownHistory::kToMs, KnownHistory::kToMs);
    const ServerReport *late = findServer(second, QStringLiteral("app2"));
    QCOMPARE(late->outages, 1);
    QCOMPARE(late->longestOutageMs, 100'000);
    QCOMPARE(late->requests, quint64(17'000));
    QCOMPARE(second.pools.front().panics, 0);
    // A window starting inside an outage clips it.
    const HealthReport clipped = buildHealthReport(store, KnownHistory::kFromMs + 800'000, KnownHistory::kFromMs + 1'000'000, KnownHistory::kToMs);
    QCOMPARE(findServer(clipped, QStringLiteral("app2"))->outages, 1);
    QCOMPARE(findServer(clipped, QStringLiteral("app2"))->longestOutageMs, 100'000);
    QCOMPARE(findServer(clipped, QStringLiteral("app2"))->availabilityPercent, 50.0);
}

void TestHealthReport::downsamplingKeepsTotals()
{
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    const HealthReport full = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, 0);

    // Two hours later the 1 s rows are 1 min rows: 60 per server.
    QVERIFY2(store.compact(KnownHistory::kToMs + 2 * 3'600'000, &error), qPrintable(error));
    std::vector<HistorySample> rows = store.samples(KnownHistory::kFromMs, KnownHistory::kToMs);
    QCOMPARE(rows.size(), size_t(120));
    QCOMPARE(rows.front().resolutionS, 60);
    const HealthReport minutes = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, 0);
    for (const QString &name : {QStringLiteral("app1"), QStringLiteral("app2")}) {
        const ServerReport *a = findServer(full, name);
        const ServerReport *b = findServer(minutes, name);
        QCOMPARE(b->requests, a->requests);
        QCOMPARE(b->errors, a->errors);
        QCOMPARE(b->upMs, a->upMs);
        QCOMPARE(b->availabilityPercent, a->availabilityPercent);
        QVERIFY(qFuzzyCompare(b->meanMs, a->meanMs));
        QVERIFY(qFuzzyCompare(b->p99Ms, a->p99Ms));
        QCOMPARE(b->outages, a->outages);
        QCOMPARE(b->longestOutageMs, a->longestOutageMs);
        QCOMPARE(b->weightChanges.size(), a->weightChanges.size());
    }
    QCOMPARE(findServer(minutes, QStringLiteral("app2"))->weightChanges.front().timeMs, KnownHistory::kFromMs + 3'000'000);

    // Eight days later: 1 h rows.
    QVERIFY2(store.compact(KnownHistory::kToMs + 8 * 86'400'000LL, &error), qPrintable(error));
    rows = store.samples(KnownHistory::kFromMs, KnownHistory::kToMs);
    QCOMPARE(rows.size(), size_t(2));
    QCOMPARE(rows.front().resolutionS, 3600);
    const HealthReport hours = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, 0);
    QCOMPARE(findServer(hours, QStringLiteral("app2"))->requests, quint64(32'000));
    QCOMPARE(findServer(hours, QStringLiteral("app2"))->upMs, 3'200'000);
    QCOMPARE(findServer(hours, QStringLiteral("app1"))->meanMs, 10.0);

    // After a year nothing is left.
    QVERIFY2(store.compact(KnownHistory::kToMs + 366 * 86'400'000LL, &error), qPrintable(error));
    QVERIFY(store.samples(0, KnownHistory::kToMs).empty());
    QVERIFY(store.healthEvents(0, KnownHistory::kToMs).empty());
    QVERIFY(store.audit(0, KnownHistory::kToMs + 10'000'000).isEmpty());
}

void TestHealthReport::lateRowsMergeIntoTheirBucket()
{
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(store.open(dir.filePath(QStringLiteral("history.sqlite")), &error), qPrintable(error));
    auto second = [](qint64 s, double requests, double meanMs, int weight) {
        HistorySample sample;
        sample.timeMs = KnownHistory::kFromMs + s * 1000;
        sample.pool = QStringLiteral("web");
        sample.server = QStringLiteral("app1");
        sample.requests = requests;
        sample.meanMs = meanMs;
        sample.weight = weight;
        sample.upMs = sample.coveredMs = 1000;
        return sample;
    };
    QVERIFY(store.write(HistoryBatch{{second(0, 10, 10, 1), second(1, 30, 20, 1)}, {}, {}, {}}, &error));
    QVERIFY2(store.compact(KnownHistory::kFromMs + 2 * 3'600'000, &error), qPrintable(error));
    // A row for the same minute arrives after that minute was compacted (a late flush).
    QVERIFY(store.write(HistoryBatch{{second(2, 60, 40, 5)}, {}, {}, {}}, &error));
    QVERIFY2(store.compact(KnownHistory::kFromMs + 2 * 3'600'000, &error), qPrintable(error));
    const std::vector<HistorySample> rows = store.samples(KnownHistory::kFromMs, KnownHistory::kFromMs + 60'000);
    QCOMPARE(rows.size(), size_t(1));
    QCOMPARE(rows.front().resolutionS, 60);
    QCOMPARE(rows.front().requests, 100.0);
    QCOMPARE(rows.front().meanMs, (10.0 * 10 + 30 * 20 + 60 * 40) / 100);
    QCOMPARE(rows.front().coveredMs, 3000);
    QCOMPARE(rows.front().weight, 5);
}

void TestHealthReport::jsonMatchesSchema()
{
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    const HealthReport report = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, KnownHistory::kToMs);
    QFile schemaFile(QStringLiteral(FULCRUM_SOURCE_DIR "/docs/report-schema.json"));
    QVERIFY(schemaFile.open(QIODevice::ReadOnly));
    QJsonParseError parseError;
    const QJsonObject schema = QJsonDocument::fromJson(schemaFile.readAll(), &parseError).object();
    QCOMPARE(parseError.error, QJsonParseError::NoError);
    const QString path = dir.filePath(QStringLiteral("report.json"));
    QStringList written;
    QVERIFY2(writeHealthReport(report, QStringLiteral("json"), path, &written, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
    QVERIFY2(validateJson(json, schema, schema, QStringLiteral("$"), &error), qPrintable(error));
    // A field the schema does not allow is caught, so the check has teeth.
    QJsonObject broken = json;
    broken.insert(QStringLiteral("window"), QStringLiteral("last hour"));
    QVERIFY(!validateJson(broken, schema, schema, QStringLiteral("$"), &error));
    QCOMPARE(json.value(QStringLiteral("window")).toObject().value(QStringLiteral("from")).toString(), QStringLiteral("2026-11-24T00:00:00Z"));
    const QJsonObject app2 = json.value(QStringLiteral("servers")).toArray().at(1).toObject();
    QCOMPARE(app2.value(QStringLiteral("server")).toString(), QStringLiteral("app2"));
    QCOMPARE(app2.value(QStringLiteral("requests")).toInteger(), 32'000);
    QCOMPARE(app2.value(QStringLiteral("outages")).toInt(), 2);
    QCOMPARE(app2.value(QStringLiteral("latency_ms")).toObject().value(QStringLiteral("p95")).toDouble(), 50.0);
    QCOMPARE(app2.value(QStringLiteral("check_failures")).toObject().value(QStringLiteral("L7STS 503")).toInt(), 2);
    QCOMPARE(json.value(QStringLiteral("force_releases")).toArray().at(0).toObject().value(QStringLiteral("user")).toString(), QStringLiteral("bob"));
}

void TestHealthReport::csvParsesBackAndGuardsFormulas()
{
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    const HealthReport report = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, KnownHistory::kToMs);
    QStringList written;
    QVERIFY2(writeHealthReport(report, QStringLiteral("csv"), dir.filePath(QStringLiteral("r.csv")), &written, &error), qPrintable(error));
    QCOMPARE(written.size(), csvReportSections().size());
    auto read = [&](const QString &section) {
        QFile file(dir.filePath(QStringLiteral("r-%1.csv").arg(section)));
        file.open(QIODevice::ReadOnly);
        const QByteArray bytes = file.readAll();
        return parseCsv(QString::fromUtf8(bytes));
    };
    const QList<QStringList> servers = read(QStringLiteral("servers"));
    QCOMPARE(servers.size(), 3);
    const QStringList header = servers[0];
    for (const QStringList &row : servers)
        QCOMPARE(row.size(), header.size());
    const QStringList app2 = servers[2];
    auto cell = [&](const QString &column) { return app2[header.indexOf(column)]; };
    QCOMPARE(cell(QStringLiteral("server")), QStringLiteral("app2"));
    QCOMPARE(cell(QStringLiteral("requests")).toULongLong(), 32'000ull);
    QCOMPARE(cell(QStringLiteral("errors")).toULongLong(), 3'200ull);
    QCOMPARE(cell(QStringLiteral("outages")).toInt(), 2);
    QCOMPARE(cell(QStringLiteral("longest_outage_ms")).toLongLong(), 300'000);
    QCOMPARE(cell(QStringLiteral("availability_percent")).toDouble(), 88.889);
    QCOMPARE(cell(QStringLiteral("error_rate_percent")).toDouble(), 10.0);
    QCOMPARE(cell(QStringLiteral("p99_ms")).toDouble(), 90.0);
    QCOMPARE(cell(QStringLiteral("check_failures")).toInt(), 4);
    const QList<QStringList> failures = read(QStringLiteral("check-failures"));
    QCOMPARE(failures.size(), 3);
    QCOMPARE(failures[1], (QStringList{QStringLiteral("web"), QStringLiteral("app2"), QStringLiteral("L4CON"), QStringLiteral("2")}));
    const QList<QStringList> pools = read(QStringLiteral("pools"));
    QCOMPARE(pools[1][1].toULongLong(), 140'000ull);
    QCOMPARE(pools[1][6].toLongLong(), 30'000);
    // Formula-like text comes back with the guard, quotes and commas intact.
    const QList<QStringList> actions = read(QStringLiteral("operator-actions"));
    QCOMPARE(actions.size(), 4);
    QCOMPARE(actions[2][4], u'\'' + KnownHistory::kFormulaTarget);
    QCOMPARE(actions[2][5], QStringLiteral("'-up"));
    QCOMPARE(actions[2][6], QStringLiteral("'@drain"));
    QCOMPARE(csvCell(QStringLiteral("+1")), QStringLiteral("'+1"));
    QCOMPARE(csvCell(QStringLiteral("a,b")), QStringLiteral("\"a,b\""));
    QCOMPARE(csvCell(QStringLiteral("plain")), QStringLiteral("plain"));
    const QList<QStringList> releases = read(QStringLiteral("force-releases"));
    QCOMPARE(releases[1][1], QStringLiteral("bob"));
    QCOMPARE(releases[1][4], QStringLiteral("node-a"));
}

void TestHealthReport::htmlIsSelfContained()
{
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    const QString page = healthReportHtml(buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, KnownHistory::kToMs));
    QVERIFY(!page.contains(QStringLiteral("http:"), Qt::CaseInsensitive));
    QVERIFY(!page.contains(QStringLiteral("https:"), Qt::CaseInsensitive));
    QVERIFY(!page.contains(QRegularExpression(QStringLiteral("(src|href)\\s*=\\s*[\"']?//"), QRegularExpression::CaseInsensitiveOption)));
    QVERIFY(!page.contains(QStringLiteral("src="), Qt::CaseInsensitive));
    QVERIFY(!page.contains(QStringLiteral("<script"), Qt::CaseInsensitive));
    QVERIFY(!page.contains(QStringLiteral("url("), Qt::CaseInsensitive));
    QVERIFY(!page.contains(QStringLiteral("@import"), Qt::CaseInsensitive));
    QCOMPARE(page.count(QStringLiteral("<svg ")), 3);
    QVERIFY(page.contains(QStringLiteral("<td>app2</td><td>88.889 %</td>")));
    QVERIFY(page.contains(QStringLiteral("=HYPERLINK(&quot;x&quot;,&quot;y&quot;)")));
    QVERIFY(page.contains(QStringLiteral("lock:orders")));
}

void TestHealthReport::availabilityIsOverTheRecordedTime_data()
{
    // scripts/run's window [from, to) of 30 s, the engine recording from 1.86 s before it.
    QTest::addColumn<int>("ticks");
    QTest::addColumn<qint64>("recordedMs");
    QTest::addColumn<QString>("coverage");
    // The engine stopped 360 ms before the window's end: the report said 98.8 % for servers
    // that were never down (the 360 ms nobody recorded counted as not up).
    QTest::newRow("recording ends before the window") << 29 << qint64(29'640) << QStringLiteral("Recorded 29.6 s of this 30 s window (99 %).");
    // A late tick's 1.5 s row runs over the window's end: it was clipped as if 1 s long, so
    // time up came out longer than the window (100.6 %).
    QTest::newRow("a long row over the window's end") << 40 << qint64(30'000) << QStringLiteral("Recorded 30 s of this 30 s window (100 %).");
}

void TestHealthReport::availabilityIsOverTheRecordedTime()
{
    QFETCH(int, ticks);
    QFETCH(qint64, recordedMs);
    QFETCH(QString, coverage);
    const qint64 from = KnownHistory::kFromMs, to = from + 30'000;
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::writeRuns(store, dir.filePath(QStringLiteral("history.sqlite")), {{from - 1860, ticks}}, &error), qPrintable(error));
    const HealthReport report = buildHealthReport(store, from, to, to);
    QCOMPARE(report.servers.size(), size_t(2));
    for (const ServerReport &s : report.servers) {
        QCOMPARE(s.availabilityPercent, 100.0);
        QCOMPARE(s.recordedMs, recordedMs);
        QCOMPARE(s.upMs, recordedMs);
        QCOMPARE(s.coveragePercent, 100.0 * double(recordedMs) / 30'000);
        QCOMPARE(s.outages, 0);
    }
    QCOMPARE(report.recordedMs, recordedMs);
    QVERIFY(!report.hasLittleCoverage());
    QCOMPARE(healthReportCoverageText(report), coverage + QStringLiteral(" Availability is time up over the time recorded."));
    QVERIFY(report.pools.front().worstServers.isEmpty());   // nobody was down: nobody is "worst"
    const ReportTable table = healthReportReadableTable(report, QStringLiteral("servers"));
    QCOMPARE(table.rows.front()[table.headers.indexOf(QStringLiteral("Availability"))], QStringLiteral("100 %"));
}

void TestHealthReport::littleCoverageSaysSoAtTheTop()
{
    // The known hour starts at kFromMs: a 1 h window ending 3 min into it has 3 min recorded.
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    const qint64 to = KnownHistory::kFromMs + 180'000, from = to - 3'600'000;
    const HealthReport report = buildHealthReport(store, from, to, to);
    const ServerReport *app1 = findServer(report, QStringLiteral("app1"));
    QVERIFY(app1);
    // Up the whole time it was recorded: 100 %, not 3 min / 1 h = 5 %.
    QCOMPARE(app1->availabilityPercent, 100.0);
    QCOMPARE(app1->recordedMs, 180'000);
    QCOMPARE(app1->coveragePercent, 5.0);
    QCOMPARE(report.recordedMs, 180'000);
    QVERIFY(report.hasLittleCoverage());
    QCOMPARE(healthReportCoverageText(report), QStringLiteral("Recorded 3 min of this 1 h window (5 %). Availability is time up over the time recorded."));
    const ReportTable table = healthReportReadableTable(report, QStringLiteral("servers"));
    const int availability = int(table.headers.indexOf(QStringLiteral("Availability")));
    QCOMPARE(table.headers.at(availability + 1), QStringLiteral("Recorded"));   // coverage beside availability
    QCOMPARE(table.rows.front().at(availability + 1), QStringLiteral("3 min of 1 h"));

    const QString page = healthReportHtml(report);
    const qsizetype warning = page.indexOf(QStringLiteral("Little coverage: only 3 min of this 1 h window was recorded."));
    QVERIFY2(warning > 0, qPrintable(page.left(2000)));
    QVERIFY(warning < page.indexOf(QStringLiteral("<h2>")));   // at the top, before any figure
    QVERIFY(page.contains(QStringLiteral("<td>app1</td><td>100 %</td><td>3 min of 1 h</td>")));

    // The charts span the 3 recorded minutes, not the last 5 % of the hour.
    QCOMPARE(report.recordedFromMs, KnownHistory::kFromMs);
    QCOMPARE(report.recordedToMs, to);
    QVERIFY(page.contains(QStringLiteral("Charts show 2026-11-24 00:00:00 – 2026-11-24 00:03:00 (UTC), the part of the window the engine recorded.")));
    QCOMPARE(app1->traffic.size(), size_t(180));   // one point per second
    QCOMPARE(app1->traffic.front().timeMs, KnownHistory::kFromMs);
    const QList<QList<double>> lines = firstChartLines(page);
    QCOMPARE(lines.size(), 2);
    for (const QList<double> &xs : lines) {
        QVERIFY2(xs.front() < 70, qPrintable(QString::number(xs.front())));   // the plot starts at x = 60
        QVERIFY2(xs.back() > 880, qPrintable(QString::number(xs.back())));    // and ends at x = 890
    }
    // A fully recorded window says nothing at the top.
    const HealthReport full = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, KnownHistory::kToMs);
    QVERIFY(!full.hasLittleCoverage());
    QVERIFY(healthReportCoverageWarning(full).isEmpty());
    QVERIFY(!healthReportHtml(full).contains(QStringLiteral("Little coverage")));
}

void TestHealthReport::linesBreakWhereNothingWasRecorded()
{
    // Two runs of 22 s with 38 s between them (the engine was restarted) in a 2 min window.
    const qint64 from = KnownHistory::kFromMs, to = from + 120'000;
    const KnownHistory::Run first{from, 20}, second{from + 60'000, 20};
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::writeRuns(store, dir.filePath(QStringLiteral("history.sqlite")), {first, second}, &error), qPrintable(error));
    const HealthReport report = buildHealthReport(store, from, to, to);
    const ServerReport *app1 = findServer(report, QStringLiteral("app1"));
    QVERIFY(app1);
    QCOMPARE(app1->availabilityPercent, 100.0);
    QCOMPARE(app1->recordedMs, 44'000);
    QVERIFY(report.hasLittleCoverage());
    QCOMPARE(report.recordedFromMs, from);
    QCOMPARE(report.recordedToMs, second.endMs());
    // Up twice, with the unrecorded gap between: no span bridges it.
    QCOMPARE(app1->states.size(), size_t(2));
    QCOMPARE(app1->states[0].toMs, first.endMs());
    QCOMPARE(app1->states[1].fromMs, second.startMs);
    QVERIFY(app1->traffic[20].timeMs - app1->traffic[19].timeMs > report.chartGapMs);
    // Each server's line is two lines, one per run.
    const QList<QList<double>> lines = firstChartLines(healthReportHtml(report));
    QCOMPARE(lines.size(), 4);
    QVERIFY(lines[0].back() < lines[1].front());
}

void TestHealthReport::readableFormatsUsePeopleWords()
{
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    const HealthReport report = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, KnownHistory::kToMs);
    const QString page = healthReportHtml(report);
    for (const QString &words : {QStringLiteral("<th>Availability</th>"), QStringLiteral("<th>Longest outage</th>"), QStringLiteral("<th>p95 latency</th>"),
                                 QStringLiteral("<th>Error rate</th>"), QStringLiteral("<th>Time in panic</th>"), QStringLiteral("<th>Longest held</th>"),
                                 // app2: 88.889 % available, longest outage 300 s, p95 50 ms, 32,000 requests, 10 % errors
                                 QStringLiteral("<td>web</td><td>app2</td><td>88.889 %</td><td>1 h of 1 h</td><td>2</td><td>5 min</td>"),
                                 QStringLiteral("<td>32,000</td><td>3,200</td><td>10.00 %</td><td>20.0 ms</td><td>15.0 ms</td><td>50.0 ms</td><td>90.0 ms</td>"),
                                 QStringLiteral("<td>web</td><td>140,000</td><td>3,200</td><td>2.29 %</td><td>app2</td><td>1</td><td>30 s</td>"),
                                 QStringLiteral("<td>lock:orders</td><td>plain</td><td>node-a</td><td>2 min</td><td>set</td><td>yes</td><td>2026-11-24 00:20:00</td>"),
                                 QStringLiteral("Window: 2026-11-24 00:00:00 – 2026-11-24 01:00:00 UTC (1 h).")})
        QVERIFY2(page.contains(words), qPrintable(words));
    // Field names and raw milliseconds are for machines only.
    for (const QString &raw : {QStringLiteral("availability_percent"), QStringLiteral("longest_outage_ms"), QStringLiteral("p95_ms"), QStringLiteral("300000")})
        QVERIFY2(!page.contains(raw), qPrintable(raw));
    // Nor ISO 8601 times ("2026-11-24T00:20:00Z"): people read "2026-11-24 00:20:00".
    QVERIFY(!page.contains(QRegularExpression(QStringLiteral("\\d{4}-\\d{2}-\\d{2}T\\d{2}:"))));
    // CSV keeps its stable names and raw figures; coverage is a column added at the end.
    const QString csv = healthReportCsv(report, QStringLiteral("servers"));
    const QStringList header = csv.section(QStringLiteral("\r\n"), 0, 0).split(u',');
    QCOMPARE(header.mid(0, 5), (QStringList{QStringLiteral("pool"), QStringLiteral("server"), QStringLiteral("availability_percent"),
                                            QStringLiteral("up_ms"), QStringLiteral("recorded_ms")}));
    QCOMPARE(header.last(), QStringLiteral("coverage_percent"));
    QVERIFY(csv.contains(QStringLiteral(",300000,")));
}

void TestHealthReport::readableFigures_data()
{
    QTest::addColumn<QString>("shown");
    QTest::addColumn<QString>("expected");
    QTest::newRow("ms") << reportDuration(250) << QStringLiteral("250 ms");
    QTest::newRow("s with a tenth") << reportDuration(11'600) << QStringLiteral("11.6 s");
    QTest::newRow("whole s") << reportDuration(30'000) << QStringLiteral("30 s");
    QTest::newRow("min") << reportDuration(180'000) << QStringLiteral("3 min");
    QTest::newRow("min s") << reportDuration(200'500) << QStringLiteral("3 min 20 s");
    QTest::newRow("h") << reportDuration(3'600'000) << QStringLiteral("1 h");
    QTest::newRow("h min") << reportDuration(3'900'000) << QStringLiteral("1 h 5 min");
    QTest::newRow("d h") << reportDuration(90'000'000) << QStringLiteral("1 d 1 h");
    QTest::newRow("availability") << reportAvailability(100.0 * 189.5 / 3600) << QStringLiteral("5.264 %");
    QTest::newRow("all") << reportAvailability(100) << QStringLiteral("100 %");
    QTest::newRow("almost all is not all") << reportAvailability(99.99996) << QStringLiteral("99.999 %");
    QTest::newRow("a little is not nothing") << reportAvailability(0.00001) << QStringLiteral("0.001 %");
    QTest::newRow("time") << reportTime(KnownHistory::kFromMs + 1'500'000) << QStringLiteral("2026-11-24 00:25:00");
}

void TestHealthReport::readableFigures()
{
    QFETCH(QString, shown);
    QFETCH(QString, expected);
    QCOMPARE(shown, expected);
}

void TestHealthReport::timeTicksAreReadable_data()
{
    QTest::addColumn<qint64>("fromMs");
    QTest::addColumn<qint64>("toMs");
    QTest::addColumn<qint64>("stepMs");
    QTest::addColumn<QString>("firstLabel");
    const qint64 t = KnownHistory::kFromMs;   // 00:00:00 UTC
    QTest::newRow("3 min") << t + 7'300 << t + 187'300 << qint64(30'000) << QStringLiteral("00:00:30");
    QTest::newRow("30 s") << t + 500 << t + 30'500 << qint64(5'000) << QStringLiteral("00:00:05");
    QTest::newRow("1 h") << t << t + 3'600'000 << qint64(600'000) << QStringLiteral("00:00");
    QTest::newRow("24 h") << t + 1 << t + 86'400'001 << qint64(10'800'000) << QStringLiteral("11-24 03:00");
    QTest::newRow("7 d") << t << t + 7 * 86'400'000LL << qint64(86'400'000) << QStringLiteral("11-24");
}

void TestHealthReport::timeTicksAreReadable()
{
    QFETCH(qint64, fromMs);
    QFETCH(qint64, toMs);
    QFETCH(qint64, stepMs);
    QFETCH(QString, firstLabel);
    const std::vector<ReportTimeTick> ticks = reportTimeTicks(fromMs, toMs);
    QVERIFY(ticks.size() >= 3 && ticks.size() <= 8);
    QCOMPARE(ticks.front().label, firstLabel);
    for (size_t i = 0; i < ticks.size(); ++i) {
        QVERIFY(ticks[i].timeMs >= fromMs && ticks[i].timeMs <= toMs);
        QCOMPARE(ticks[i].timeMs % stepMs, 0);   // at whole steps of the clock
        if (i > 0)
            QCOMPARE(ticks[i].timeMs - ticks[i - 1].timeMs, stepMs);
    }
}

void TestHealthReport::serversHaveTheConsolesColours()
{
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, dir.filePath(QStringLiteral("history.sqlite")), false, &error), qPrintable(error));
    const HealthReport report = buildHealthReport(store, KnownHistory::kFromMs, KnownHistory::kToMs, KnownHistory::kToMs);
    // The console meets servers in the engine's order, here app2 first: the same colours.
    ServerColors console;
    const quint32 app2 = console.colorOf(QStringLiteral("web/app2"));
    const quint32 app1 = console.colorOf(QStringLiteral("web/app1"));
    QVERIFY(app1 != app2);
    QCOMPARE(healthReportServerColors(report), (std::vector<quint32>{app1, app2}));
    const QString page = healthReportHtml(report);
    QVERIFY(page.contains(QStringLiteral("<span style=\"color:%1\">&#9632;</span> web/app1 ").arg(ServerColors::hexName(app1))));
    QVERIFY(page.contains(QStringLiteral("stroke=\"%1\"").arg(ServerColors::hexName(app2))));

    // One rule, many servers: twenty colours before any is shared.
    ServerColors colors;
    std::set<quint32> seen;
    for (int i = 1; i <= 20; ++i)
        seen.insert(colors.colorOf(QStringLiteral("checkout/app%1").arg(i)));
    QCOMPARE(seen.size(), size_t(20));
    QCOMPARE(colors.colorOf(QStringLiteral("checkout/app7")), colors.colorOf(QStringLiteral("checkout/app7")));
}

void TestHealthReport::readersNeverWriteAndTheEngineWaitsForThem()
{
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    // A report opens read-only: a missing file stays missing, an empty one stays empty.
    const QString path = dir.filePath(QStringLiteral("history.sqlite"));
    QVERIFY(!store.open(path, &error, HistoryStore::Access::ReadOnly));
    QVERIFY2(error.contains(path) && error.contains(QStringLiteral("no such file")), qPrintable(error));
    QVERIFY(!QFile::exists(path));
    {
        QFile empty(path);
        QVERIFY(empty.open(QIODevice::WriteOnly));
    }
    QVERIFY(!store.open(path, &error, HistoryStore::Access::ReadOnly));
    QVERIFY2(error.contains(QStringLiteral("holds no history yet")), qPrintable(error));
    QCOMPARE(QFileInfo(path).size(), 0);
    QVERIFY(!store.isOpen());

    // The engine starts while another process holds the file for longer than SQLite's own
    // 5 s wait (a report at the moment the engine creates the store): it waits, it keeps history.
    QProcess holder;
    holder.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    holder.start(QStringLiteral("python3"), {QStringLiteral("-c"), QStringLiteral(
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "db.execute('CREATE TABLE other_tool (x)')\n"
        "print('held', flush=True)\n"
        "time.sleep(6.5)\n"
        "db.execute('COMMIT')\n"), path});
    QVERIFY(holder.waitForReadyRead(10'000));
    QCOMPARE(holder.readAll().trimmed(), QByteArray("held"));
    QVERIFY2(store.open(path, &error), qPrintable(error));
    QVERIFY(holder.waitForFinished(10'000));
    QCOMPARE(holder.exitCode(), 0);
    QVERIFY2(store.write(HistoryBatch{{HistorySample{1000, 1, QStringLiteral("checkout"), QStringLiteral("app1")}}, {}, {}, {}}, &error), qPrintable(error));
    store.close();
    // Once set up, a reader sees what the engine wrote.
    QVERIFY2(store.open(path, &error, HistoryStore::Access::ReadOnly), qPrintable(error));
    QCOMPARE(store.samples(0, 2000).size(), size_t(1));
    QVERIFY(!store.write(HistoryBatch{{HistorySample{1500, 1, QStringLiteral("checkout"), QStringLiteral("app1")}}, {}, {}, {}}, &error));
}

void TestHealthReport::badStoresAreReported()
{
    QTemporaryDir dir;
    const QString garbage = dir.filePath(QStringLiteral("garbage.sqlite"));
    QFile file(garbage);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray(8192, 'x'));
    file.close();
    HistoryStore store;
    QString error;
    QVERIFY(!store.open(garbage, &error));
    QVERIFY2(error.contains(garbage) && error.contains(QStringLiteral("damaged")), qPrintable(error));
    QVERIFY(!store.isOpen());
    QVERIFY(!store.open(dir.filePath(QStringLiteral("missing/dir/history.sqlite")), &error));
    QVERIFY2(error.contains(QStringLiteral("not writable")), qPrintable(error));
    QVERIFY(!store.write(HistoryBatch{{HistorySample{}}, {}, {}, {}}, &error));
    // A store from a newer Fulcrum is refused, not misread.
    const QString newer = dir.filePath(QStringLiteral("newer.sqlite"));
    QVERIFY(store.open(newer, &error));
    store.close();
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("newer"));
        db.setDatabaseName(newer);
        QVERIFY(db.open());
        QVERIFY(QSqlQuery(db).exec(QStringLiteral("PRAGMA user_version=99")));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("newer"));
    QVERIFY(!store.open(newer, &error));
    QVERIFY2(error.contains(QStringLiteral("upgrade Fulcrum")), qPrintable(error));
    QVERIFY(store.samples(0, 1).empty());
}

void TestHealthReport::recorderStoresEngineHistory()
{
    InProcessDemoBackend backend(QStringLiteral("app1"));
    Config config;
    PoolConfig pool;
    pool.name = QStringLiteral("web");
    BackendSpec spec;
    spec.name = QStringLiteral("app1");
    spec.host = QStringLiteral("127.0.0.1");
    spec.port = backend.port();
    spec.weight = 4;
    pool.servers.push_back(spec);
    config.pools.push_back(pool);
    ListenerConfig listener;
    listener.name = QStringLiteral("main");
    listener.pool = QStringLiteral("web");
    config.listeners.push_back(listener);
    config.proxy.workers = 1;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("history.sqlite"));
    {
        Engine engine;
        QStringList errors;
        QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
        HistoryStore store;
        QString error;
        QVERIFY2(store.open(path, &error), qPrintable(error));
        HistoryRecorder recorder(&engine, &store);
        SimpleHttpConnection client(engine.proxy().listeners().front().port);
        for (int i = 0; i < 20; ++i)
            QCOMPARE(client.get("/").status, 200);
        // The engine's 1 s points arrive with its ticks; wait for one that holds the requests.
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
            engine.tick();
            recorder.flush();
            double requests = 0;
            for (const HistorySample &s : store.samples(0, QDateTime::currentMSecsSinceEpoch() + 1000))
                requests += s.requests;
            return requests >= 20;
        })(), 10'000);
        QCOMPARE(engine.setWeight(QStringLiteral("web"), QStringLiteral("app1"), 7, QStringLiteral("alice"), QStringLiteral("console")), true);
        QVERIFY(recorder.flush());
        engine.stop();
    }
    // Reopened (as after a restart): what was written is there.
    HistoryStore reopened;
    QString error;
    QVERIFY2(reopened.open(path, &error), qPrintable(error));
    const std::vector<HistorySample> samples = reopened.samples(0, QDateTime::currentMSecsSinceEpoch() + 1000);
    QVERIFY(!samples.empty());
    QCOMPARE(samples.front().pool, QStringLiteral("web"));
    QCOMPARE(samples.front().weight, 4);
    double requests = 0;
    for (const HistorySample &s : samples)
        requests += s.requests;
    QCOMPARE(requests, 20.0);
    const QList<AuditEntry> audit = reopened.audit(0, QDateTime::currentMSecsSinceEpoch() + 1000);
    QCOMPARE(audit.size(), 1);
    QCOMPARE(audit.front().action, QStringLiteral("set-weight"));
    QCOMPARE(audit.front().user, QStringLiteral("alice"));
}

void TestHealthReport::recorderSurvivesFailingStore()
{
    InProcessDemoBackend backend(QStringLiteral("app1"));
    Config config;
    PoolConfig pool;
    pool.name = QStringLiteral("web");
    BackendSpec spec;
    spec.name = QStringLiteral("app1");
    spec.host = QStringLiteral("127.0.0.1");
    spec.port = backend.port();
    pool.servers.push_back(spec);
    config.pools.push_back(pool);
    ListenerConfig listener;
    listener.name = QStringLiteral("main");
    listener.pool = QStringLiteral("web");
    config.listeners.push_back(listener);
    config.proxy.workers = 1;
    Engine engine;
    QStringList errors;
    QVERIFY(engine.start(config, &errors));
    HistoryStore store;   // never opened: every write fails
    HistoryRecorder recorder(&engine, &store);
    recorder.setMaxBufferedRows(5);
    QSignalSpy failed(&recorder, &HistoryRecorder::storeFailed);
    HealthEvent event;
    event.pool = QStringLiteral("web");
    recorder.recordHealthEvent(event);
    QVERIFY(!recorder.flush());
    QVERIFY(!recorder.flush());
    QCOMPARE(failed.size(), 1);   // reported once, not at every flush
    bool warned = false;
    for (const EngineEvent &e : engine.recentEvents())
        warned = warned || (e.source == u"history" && e.severity == EngineEvent::Warning);
    QVERIFY(warned);
    SimpleHttpConnection client(engine.proxy().listeners().front().port);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(client.get("/").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(([&] { engine.tick(); return recorder.bufferedRows() > 1; })(), 10'000);
    QVERIFY(recorder.bufferedRows() <= 5);
}

void TestHealthReport::engineOutageReachesReport()
{
    DemoBackendProcess app1(QStringLiteral("app1"));
    DemoBackendProcess app2(QStringLiteral("app2"));
    QVERIFY2(app1.start(), qPrintable(app1.error()));
    QVERIFY2(app2.start(), qPrintable(app2.error()));
    Config config = fastCheckedPoolConfig({loopbackServer(QStringLiteral("app1"), app1.port(), 1), loopbackServer(QStringLiteral("app2"), app2.port(), 1)});
    config.pools[0].health.fall = 2;
    QTemporaryDir dir;
    HistoryStore store;
    QString error;
    QVERIFY2(store.open(dir.filePath(QStringLiteral("history.sqlite")), &error), qPrintable(error));
    const qint64 from = QDateTime::currentMSecsSinceEpoch() - 1000;
    Engine engine;
    QStringList errors;
    QVERIFY2(engine.start(config, &errors), qPrintable(errors.join(u'\n')));
    HistoryRecorder recorder(&engine, &store);
    // Servers come into a report through their samples: wait for the first second of them.
    QTRY_VERIFY_WITH_TIMEOUT(([&] { engine.tick(); recorder.flush(); return store.samples(0, from + 60'000).size() >= 2; })(), 10'000);
    app1.kill();
    auto app1State = [&] {
        engine.tick();
        const ServerSnapshot *s = engine.snapshot().pool(u"web")->server(u"app1");
        return s ? s->spec.state : BackendState::Up;
    };
    QTRY_COMPARE_WITH_TIMEOUT(app1State(), BackendState::Down, 10'000);
    QVERIFY(recorder.flush());
    const HealthReport report = buildHealthReport(store, from, QDateTime::currentMSecsSinceEpoch() + 1000, QDateTime::currentMSecsSinceEpoch());
    const ServerReport *down = findServer(report, QStringLiteral("app1"));
    QVERIFY(down);
    QCOMPARE(down->outages, 1);
    QVERIFY(down->longestOutageMs > 0);
    QVERIFY2(down->checkFailures.count(QStringLiteral("L4CON")) == 1, qPrintable(down->checkFailures.begin()->first));
    QCOMPARE(down->checkFailures.at(QStringLiteral("L4CON")), 2);   // fall = 2: "up, 1/2 failed", then "down"
    QCOMPARE(findServer(report, QStringLiteral("app2"))->outages, 0);
    engine.stop();
}

QTEST_GUILESS_MAIN(TestHealthReport)
#include "tst_healthreport.moc"
