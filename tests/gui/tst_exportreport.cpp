// File → Export report… against the in-process demo engine recording into a real store:
// the dialog writes a valid report in each format without blocking the UI thread, and a
// link without reports says so.
#include "engine/inprocessenginelink.h"
#include "exportreportdialog.h"
#include "isolatedpaths.h"
#include "mainwindow.h"
#include "servertablemodel.h"
#include "reportpdf/historywithpdf.h"

#include <QAction>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::ui;

class TestExportReport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void exportWritesEachFormat_data();
    void exportWritesEachFormat();
    void linkWithoutHistorySaysSo();

private:
    static ExportReportDialog *openDialog(MainWindow &window);
};

void TestExportReport::initTestCase()
{
    fulcrum::test::useIsolatedStandardPaths();
}

ExportReportDialog *TestExportReport::openDialog(MainWindow &window)
{
    auto *action = window.findChild<QAction *>(QStringLiteral("exportReportAction"));
    if (!action)
        return nullptr;
    action->trigger();
    return window.findChild<ExportReportDialog *>();
}

void TestExportReport::exportWritesEachFormat_data()
{
    QTest::addColumn<QString>("format");
    QTest::newRow("json") << QStringLiteral("json");
    QTest::newRow("pdf") << QStringLiteral("pdf");
    QTest::newRow("html") << QStringLiteral("html");
    QTest::newRow("csv") << QStringLiteral("csv");
}

void TestExportReport::exportWritesEachFormat()
{
    QFETCH(QString, format);
    QTemporaryDir dir;
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    options.history = historyWithPdf(dir.filePath(QStringLiteral("state")));
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.show();
    // A few seconds of demo traffic recorded (the service writes what is buffered before building).
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.size() >= 12, 20'000);

    ExportReportDialog *dialog = openDialog(window);
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY(!dialog->fromEdit()->isEnabled());
    // "F&ile:" has the path field as its buddy (no literal "&"), and the field shows the whole path.
    auto *fileLabel = dialog->findChild<QLabel *>(QStringLiteral("fileLabel"));
    QVERIFY(fileLabel && fileLabel->buddy() == dialog->fileEdit());
    QVERIFY(dialog->fileEdit()->width() >= std::min(560, dialog->fileEdit()->fontMetrics().horizontalAdvance(dialog->fileEdit()->text())));
    dialog->windowBox()->setCurrentIndex(ExportReportDialog::Last15Minutes);
    dialog->formatBox()->setCurrentIndex(dialog->formatBox()->findData(format));
    QVERIFY(dialog->fileEdit()->text().endsWith(u'.' + format));   // the suffix follows the format
    const QString path = dir.filePath(QStringLiteral("report.") + format);
    dialog->fileEdit()->setText(path);
    QSignalSpy finished(dialog, &ExportReportDialog::reportFinished);
    QSignalSpy progress(&link, &EngineLink::reportProgress);
    QTest::mouseClick(dialog->exportButton(), Qt::LeftButton);
    // The click returns at once: the report is built on the engine's side.
    QVERIFY(dialog->isRunning());
    QVERIFY(!dialog->exportButton()->isEnabled());
    QVERIFY(dialog->progressBar()->isVisible());
    QCOMPARE(dialog->closeButton()->text(), dialog->tr("Cancel"));
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60'000);
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QVERIFY(!progress.isEmpty());
    QVERIFY(!dialog->isRunning());
    QVERIFY(dialog->exportButton()->isEnabled());
    QVERIFY2(dialog->statusLabel()->text().contains(u"6 server(s)"), qPrintable(dialog->statusLabel()->text()));

    const QStringList servers{QStringLiteral("app1"), QStringLiteral("app2"), QStringLiteral("app3"),
                              QStringLiteral("app4"), QStringLiteral("app5"), QStringLiteral("app6")};
    if (format == u"json") {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonParseError error;
        const QJsonObject report = QJsonDocument::fromJson(file.readAll(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(report.value(QStringLiteral("schema")).toString(), QStringLiteral("fulcrum-health-report/1"));
        QStringList names;
        qint64 requests = 0;
        for (const QJsonValue &s : report.value(QStringLiteral("servers")).toArray()) {
            QCOMPARE(s.toObject().value(QStringLiteral("pool")).toString(), QStringLiteral("checkout"));
            names.append(s.toObject().value(QStringLiteral("server")).toString());
            requests += s.toObject().value(QStringLiteral("requests")).toInteger();
        }
        names.sort();
        QCOMPARE(names, servers);
        QVERIFY(requests > 0);
    } else if (format == u"pdf") {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.read(5) == "%PDF-");
    } else if (format == u"html") {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(file.readAll());
        QVERIFY(html.startsWith(u"<!DOCTYPE html>"));
        for (const QString &server : servers)
            QVERIFY(html.contains(server));
        // Each server is drawn in the colour the console shows it in (the Servers table's swatch).
        ServerTableModel *model = window.serverModel();
        QCOMPARE(model->rowCount(), int(servers.size()));
        for (int row = 0; row < model->rowCount(); ++row) {
            const QModelIndex name = model->index(row, ServerTableModel::Name);
            const QString key = name.data(ServerTableModel::KeyRole).toString();
            const QColor colour = name.data(Qt::DecorationRole).value<QColor>();
            const QString swatch = QStringLiteral("<span style=\"color:%1\">&#9632;</span> %2 ").arg(colour.name(), key.toHtmlEscaped());
            QVERIFY2(html.contains(swatch), qPrintable(swatch));
        }
        // A few seconds recorded of the last 15 minutes: said at the top, and availability is
        // over those seconds.
        const qsizetype warning = html.indexOf(u"Little coverage: only ");
        QVERIFY(warning > 0);
        QVERIFY(warning < html.indexOf(u"<h2>"));
        QVERIFY(html.contains(u" of this 15 min window ("));
    } else {
        QFile file(dir.filePath(QStringLiteral("report-servers.csv")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + servers.size());
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("report-pools.csv"))));
    }

    // Close goes back to closing once nothing runs.
    QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
    QTRY_VERIFY(!window.findChild<ExportReportDialog *>());
}

void TestExportReport::linkWithoutHistorySaysSo()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.show();
    ExportReportDialog *dialog = openDialog(window);
    QVERIFY(dialog);
    QTemporaryDir dir;
    dialog->fileEdit()->setText(dir.filePath(QStringLiteral("r.pdf")));
    QSignalSpy finished(dialog, &ExportReportDialog::reportFinished);
    QTest::mouseClick(dialog->exportButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10'000);
    QVERIFY(!finished.first().at(0).toBool());
    QVERIFY2(dialog->statusLabel()->text().contains(u"keeps no history"), qPrintable(dialog->statusLabel()->text()));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("r.pdf"))));

    // Input the dialog checks itself, before asking the engine.
    dialog->windowBox()->setCurrentIndex(ExportReportDialog::Custom);
    QVERIFY(dialog->fromEdit()->isEnabled());
    dialog->toEdit()->setDateTime(dialog->fromEdit()->dateTime().addSecs(-60));
    QTest::mouseClick(dialog->exportButton(), Qt::LeftButton);
    QVERIFY(!dialog->isRunning());
    QVERIFY2(dialog->statusLabel()->text().contains(u"must be after"), qPrintable(dialog->statusLabel()->text()));
    dialog->windowBox()->setCurrentIndex(ExportReportDialog::LastHour);
    dialog->fileEdit()->setText(QStringLiteral("/nonexistent-fulcrum-dir/r.pdf"));
    QTest::mouseClick(dialog->exportButton(), Qt::LeftButton);
    QVERIFY(!dialog->isRunning());
    QVERIFY2(dialog->statusLabel()->text().contains(u"does not exist"), qPrintable(dialog->statusLabel()->text()));
}

QTEST_MAIN(TestExportReport)
#include "tst_exportreport.moc"
