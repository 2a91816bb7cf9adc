// `fulcrumctl report` as an operator runs it, on a history store with known content:
// PDF pages and text (pdfinfo, pdftotext), the other formats, and usage errors.
#include "freeport.h"
#include "programs.h"
#include "knownhistory.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRectF>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

using Run = ProgramRun;

Run run(const QString &program, const QStringList &arguments)
{
    return runProgram(program, arguments);
}

const QString kFrom = QStringLiteral("2026-11-24T00:00:00Z");
const QString kTo = QStringLiteral("2026-11-24T01:00:00Z");

} // namespace

class TestReportCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void pdfHasPagesAndText();
    void pdfSaysLittleCoverageFirst();
    void otherFormats_data();
    void otherFormats();
    void sinceReadsStateDir();
    void quietWithoutALoginSession();
    void demoEngineHistoryToReport();
    void usageErrors_data();
    void usageErrors();

private:
    QTemporaryDir m_dir;
    QString m_store;
};

void TestReportCli::initTestCase()
{
    m_store = m_dir.filePath(QStringLiteral("history.sqlite"));
    HistoryStore store;
    QString error;
    QVERIFY2(KnownHistory::write(store, m_store, true, &error), qPrintable(error));
}

void TestReportCli::pdfHasPagesAndText()
{
    const QString pdf = m_dir.filePath(QStringLiteral("report.pdf"));
    const Run r = run(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("report"), QStringLiteral("--store"), m_store, QStringLiteral("--from"), kFrom,
                                                                 QStringLiteral("--to"), kTo, QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("-o"), pdf});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QRegularExpressionMatch pagesWritten = QRegularExpression(QStringLiteral("\\((\\d+) pages\\)")).match(r.out);
    QVERIFY2(pagesWritten.hasMatch(), qPrintable(r.out));
    QVERIFY2(r.out.contains(u": 2 servers, 1 pool, recorded 1 h of 1 h"), qPrintable(r.out));   // "1 pools" before
    const int pages = pagesWritten.captured(1).toInt();
    QVERIFY(pages >= 2);

    const Run info = run(QStringLiteral("pdfinfo"), {pdf});
    QCOMPARE(info.exitCode, 0);
    const QRegularExpressionMatch infoPages = QRegularExpression(QStringLiteral("Pages:\\s+(\\d+)")).match(info.out);
    QVERIFY(infoPages.hasMatch());
    QCOMPARE(infoPages.captured(1).toInt(), pages);
    QVERIFY2(info.out.contains(QStringLiteral("A4")), qPrintable(info.out));

    const Run text = run(QStringLiteral("pdftotext"), {QStringLiteral("-layout"), pdf, QStringLiteral("-")});
    QCOMPARE(text.exitCode, 0);
    // Every page has the header (window, generated-at) and its number.
    QCOMPARE(text.out.count(QStringLiteral("window 2026-11-24 00:00:00 – 2026-11-24 01:00:00 UTC (1 h)")), pages);
    QCOMPARE(text.out.count(QStringLiteral("generated at ")), pages);
    for (int page = 1; page <= pages; ++page)
        QVERIFY2(text.out.contains(QStringLiteral("Page %1").arg(page)), qPrintable(QStringLiteral("no \"Page %1\"").arg(page)));
    // People's words and units: app2 was available 88.889 % of the recorded hour, its longest
    // outage 300 s, its p95 latency 50 ms.
    for (const QString &expected : {QStringLiteral("Traffic per server"), QStringLiteral("Latency per server"), QStringLiteral("State timeline"),
                                    QStringLiteral("Recorded 1 h of this 1 h window (100 %)"), QStringLiteral("Availability"),
                                    QStringLiteral("Longest outage"), QStringLiteral("p95 latency"), QStringLiteral("88.889 %"), QStringLiteral("5 min"),
                                    QStringLiteral("50.0 ms"), QStringLiteral("32,000"), QStringLiteral("140,000"),
                                    QStringLiteral("L4CON"), QStringLiteral("lock:orders"), QStringLiteral("node-a"),
                                    QStringLiteral("bob"), QStringLiteral("alice")})
        QVERIFY2(text.out.contains(expected), qPrintable(expected));
    for (const QString &raw : {QStringLiteral("availability_percent"), QStringLiteral("longest_outage_ms"), QStringLiteral("300000"), QStringLiteral("Little coverage")})
        QVERIFY2(!text.out.contains(raw), qPrintable(raw));

    // No text is drawn over other text: every word's box (pdftotext -bbox) on a page is apart
    // from the others. (The charts' "UTC" was drawn over the time label at the window's end.)
    const Run boxes = run(QStringLiteral("pdftotext"), {QStringLiteral("-bbox"), pdf, QStringLiteral("-")});
    QCOMPARE(boxes.exitCode, 0);
    const QRegularExpression word(QStringLiteral("<word xMin=\"([\\d.]+)\" yMin=\"([\\d.]+)\" xMax=\"([\\d.]+)\" yMax=\"([\\d.]+)\">([^<]*)</word>"));
    const QStringList pageTexts = boxes.out.split(QStringLiteral("<page "), Qt::SkipEmptyParts);
    int words = 0;
    for (int page = 1; page < pageTexts.size(); ++page) {
        QList<QPair<QRectF, QString>> placed;
        for (auto it = word.globalMatch(pageTexts[page]); it.hasNext();) {
            const QRegularExpressionMatch m = it.next();
            const QRectF box(QPointF(m.captured(1).toDouble(), m.captured(2).toDouble()), QPointF(m.captured(3).toDouble(), m.captured(4).toDouble()));
            for (const auto &[other, otherText] : std::as_const(placed)) {
                const QRectF both = box.intersected(other);
                // Glyph boxes of neighbours may touch; a real overlap covers part of a glyph.
                QVERIFY2(both.width() < 1.0 || both.height() < 1.0,
                         qPrintable(QStringLiteral("page %1: \"%2\" is drawn over \"%3\"").arg(page).arg(m.captured(5), otherText)));
            }
            placed.append({box, m.captured(5)});
            ++words;
        }
    }
    QVERIFY2(words > 100, qPrintable(boxes.out.left(500)));
}

void TestReportCli::pdfSaysLittleCoverageFirst()
{
    // A 1 h window of which the store holds the first 3 min of the known hour.
    const auto iso = [](qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate); };
    const QString pdf = m_dir.filePath(QStringLiteral("little.pdf"));
    const Run r = run(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("report"), QStringLiteral("--store"), m_store, QStringLiteral("--from"),
                                                                 iso(KnownHistory::kFromMs - 57 * 60'000), QStringLiteral("--to"), iso(KnownHistory::kFromMs + 3 * 60'000),
                                                                 QStringLiteral("-o"), pdf});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("recorded 3 min of 1 h (little coverage)")), qPrintable(r.out));
    const Run text = run(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")});
    QCOMPARE(text.exitCode, 0);
    const QString flat = text.out.simplified();
    const qsizetype warning = flat.indexOf(QStringLiteral("Little coverage: only 3 min of this 1 h window was recorded."));
    QVERIFY2(warning >= 0, qPrintable(flat.left(1500)));
    QVERIFY(warning < flat.indexOf(QStringLiteral("Pools")));
    QVERIFY(flat.contains(QStringLiteral("Recorded 3 min of this 1 h window (5 %)")));
    QVERIFY(flat.contains(QStringLiteral("3 min of 1 h")));   // beside each server's availability
    QVERIFY(flat.contains(QStringLiteral("Charts show 2026-11-24 00:00:00 – 2026-11-24 00:03:00 (UTC)")));
}

void TestReportCli::otherFormats_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("check");
    QTest::newRow("json") << QStringLiteral("json") << QStringLiteral("r.json") << QStringLiteral("r.json");
    QTest::newRow("html") << QStringLiteral("html") << QStringLiteral("r.html") << QStringLiteral("r.html");
    QTest::newRow("csv") << QStringLiteral("csv") << QStringLiteral("r.csv") << QStringLiteral("r-servers.csv");
    // -o -: the one-document formats to stdout, for a pipe (jq, mail).
    QTest::newRow("json to stdout") << QStringLiteral("json") << QStringLiteral("-") << QStringLiteral("-");
    QTest::newRow("html to stdout") << QStringLiteral("html") << QStringLiteral("-") << QStringLiteral("-");
}

void TestReportCli::otherFormats()
{
    QFETCH(QString, format);
    QFETCH(QString, file);
    QFETCH(QString, check);
    const Run r = run(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("report"), QStringLiteral("--store"), m_store, QStringLiteral("--from"), kFrom,
                                                                 QStringLiteral("--to"), kTo, QStringLiteral("--format"), format, QStringLiteral("-o"),
                                                                 file == u"-" ? file : m_dir.filePath(file)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QByteArray bytes = r.out.toUtf8();
    if (check != u"-") {
        QFile out(m_dir.filePath(check));
        QVERIFY(out.open(QIODevice::ReadOnly));
        bytes = out.readAll();
    }
    QVERIFY(bytes.contains(format == u"html" ? "32,000" : "32000"));   // HTML is for people, JSON and CSV for machines
    if (format == u"json") {
        const QJsonObject json = QJsonDocument::fromJson(bytes).object();
        QCOMPARE(json.value(QStringLiteral("pools")).toArray().at(0).toObject().value(QStringLiteral("requests")).toInteger(), 140'000);
    }
}

void TestReportCli::sinceReadsStateDir()
{
    const Run r = run(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("report"), QStringLiteral("--state-dir"), m_dir.path(), QStringLiteral("--since"),
                                                                 QStringLiteral("15m"), QStringLiteral("-o"), m_dir.filePath(QStringLiteral("since.json"))});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QFile out(m_dir.filePath(QStringLiteral("since.json")));
    QVERIFY(out.open(QIODevice::ReadOnly));
    const QJsonObject window = QJsonDocument::fromJson(out.readAll()).object().value(QStringLiteral("window")).toObject();
    QCOMPARE(window.value(QStringLiteral("duration_ms")).toInteger(), 900'000);
}

void TestReportCli::quietWithoutALoginSession()
{
    // From cron or an ssh command there is no XDG_RUNTIME_DIR: the PDF is written and stderr
    // stays empty (Qt printed "XDG_RUNTIME_DIR not set" in every run), and the private runtime
    // folder fulcrumctl makes instead is gone when it ends.
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    environment.insert(QStringLiteral("TMPDIR"), tmp.path());
    const QString pdf = m_dir.filePath(QStringLiteral("cron.pdf"));
    const Run r = runProgram(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("report"), QStringLiteral("--store"), m_store, QStringLiteral("--from"), kFrom,
                                                                        QStringLiteral("--to"), kTo, QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("-o"), pdf},
                             environment);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(QFile::exists(pdf));
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
    QVERIFY2(QDir(tmp.path()).isEmpty(), qPrintable(QDir(tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).join(u' ')));
}

void TestReportCli::demoEngineHistoryToReport()
{
    // The headless flow of the README: fulcrumd --demo records, fulcrumctl report reads.
    QTemporaryDir stateDir;
    QProcess fulcrumd;
    struct Stop
    {
        QProcess &process;
        ~Stop()
        {
            if (process.state() != QProcess::NotRunning) {
                process.kill();
                process.waitForFinished(5000);
            }
        }
    } stop{fulcrumd};
    fulcrumd.start(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--demo"), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(freeLoopbackPort()),
                                                            QStringLiteral("--rate"), QStringLiteral("40"), QStringLiteral("--workers"), QStringLiteral("1"),
                                                            QStringLiteral("--state-dir"), stateDir.path()});
    QVERIFY(fulcrumd.waitForStarted(5000));
    const QString path = stateDir.filePath(QStringLiteral("history.sqlite"));
    // The recorder writes every 5 s; wait for a write that holds traffic for all three servers.
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        HistoryStore store;
        QString error;
        if (!QFile::exists(path) || !store.open(path, &error, HistoryStore::Access::ReadOnly))
            return false;
        QSet<QString> served;
        for (const HistorySample &s : store.samples(0, QDateTime::currentMSecsSinceEpoch() + 1000)) {
            if (s.requests > 0)
                served.insert(s.server);
        }
        return served.size() == 3;
    })(), 30'000);
    fulcrumd.terminate();
    QVERIFY(fulcrumd.waitForFinished(15'000));
    QCOMPARE(fulcrumd.exitCode(), 0);

    const QString out = stateDir.filePath(QStringLiteral("demo.json"));
    const Run r = run(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("report"), QStringLiteral("--state-dir"), stateDir.path(), QStringLiteral("--since"),
                                                                 QStringLiteral("15m"), QStringLiteral("-o"), out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
    const QJsonArray servers = json.value(QStringLiteral("servers")).toArray();
    QCOMPARE(servers.size(), 3);
    qint64 requests = 0;
    for (const QJsonValue &server : servers) {
        QVERIFY(server.toObject().value(QStringLiteral("requests")).toInteger() > 0);
        QVERIFY(server.toObject().value(QStringLiteral("recorded_ms")).toInteger() > 0);
        requests += server.toObject().value(QStringLiteral("requests")).toInteger();
    }
    QCOMPARE(json.value(QStringLiteral("pools")).toArray().at(0).toObject().value(QStringLiteral("requests")).toInteger(), requests);
}

void TestReportCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QString store = QStringLiteral("--store");
    QTest::newRow("no window") << QStringList{QStringLiteral("-o"), QStringLiteral("x.json")} << 2 << QStringLiteral("--since DURATION");
    QTest::newRow("no output") << QStringList{QStringLiteral("--since"), QStringLiteral("1h")} << 2 << QStringLiteral("-o FILE");
    QTest::newRow("bad since") << QStringList{QStringLiteral("--since"), QStringLiteral("yesterday"), QStringLiteral("-o"), QStringLiteral("x.json")} << 2 << QStringLiteral("\"yesterday\"");
    QTest::newRow("bad format") << QStringList{QStringLiteral("--since"), QStringLiteral("1h"), QStringLiteral("-o"), QStringLiteral("x.docx")} << 2 << QStringLiteral("\"docx\"");
    QTest::newRow("bad time") << QStringList{QStringLiteral("--from"), QStringLiteral("monday"), QStringLiteral("-o"), QStringLiteral("x.json")} << 2 << QStringLiteral("ISO 8601");
    QTest::newRow("empty window") << QStringList{QStringLiteral("--from"), kTo, QStringLiteral("--to"), kFrom, QStringLiteral("-o"), QStringLiteral("x.json")} << 2 << QStringLiteral("must be after");
    QTest::newRow("csv to stdout") << QStringList{QStringLiteral("--since"), QStringLiteral("1h"), QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("-o"), QStringLiteral("-")}
                                   << 2 << QStringLiteral("csv is one file per section");
    QTest::newRow("stdout without a format") << QStringList{QStringLiteral("--since"), QStringLiteral("1h"), QStringLiteral("-o"), QStringLiteral("-")} << 2
                                             << QStringLiteral("--format json or --format html");
    QTest::newRow("no store") << QStringList{store, QStringLiteral("/nonexistent/history.sqlite"), QStringLiteral("--since"), QStringLiteral("1h"), QStringLiteral("-o"), QStringLiteral("x.json")}
                              << 1 << QStringLiteral("--state-dir");
}

void TestReportCli::usageErrors()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const Run r = run(binaryPath(QStringLiteral("fulcrumctl")), QStringList{QStringLiteral("report")} + arguments);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestReportCli)
#include "tst_reportcli.moc"
