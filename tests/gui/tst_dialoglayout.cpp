// Dialogs after a result, over the real in-process engine, at the scale the suite runs at
// (ctest runs it twice: as is, and with QT_SCALE_FACTOR=2 for a 200 % screen): no row is
// squashed into clipped half-height text, the result has its icon and colour, and the export
// dialog shows its file path whole.
#include "engine/inprocessenginelink.h"
#include "exportreportdialog.h"
#include "isolatedpaths.h"
#include "liveloadview.h"
#include "locksview.h"
#include "mainwindow.h"
#include "pooltotals.h"
#include "servertablemodel.h"
#include "weightschartview.h"
#include "settingsdialog.h"
#include "reportpdf/historywithpdf.h"
#include "resultbanner.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QValueAxis>
#include <QComboBox>
#include <QGraphicsTextItem>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextLayout>
#include <QMouseEvent>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

class TestDialogLayout : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void forceReleaseRefusedKeepsItsRows();
    void zooKeeperReleaseExplainsItselfUnsquashed();
    void etcdReleaseExplainsBothReleasesUnsquashed();
    void exportAfterTheReportKeepsItsRows();
    void viewsAt1024();
    void legendOfTwelveServersAt1008();
    void firstStartFitsTheScreen();
    void dialogsFitASmallScreen();

private:
    // Every visible label of the dialog is as tall as its text needs at its width.
    static void verifyNothingSquashed(QWidget *dialog);
};

void TestDialogLayout::initTestCase()
{
    fulcrum::test::useIsolatedStandardPaths();
    qInfo("scale factor: %s", qEnvironmentVariableIsSet("QT_SCALE_FACTOR") ? qgetenv("QT_SCALE_FACTOR").constData() : "1");
}

void TestDialogLayout::verifyNothingSquashed(QWidget *dialog)
{
    const QList<QLabel *> labels = dialog->findChildren<QLabel *>();
    QVERIFY(!labels.isEmpty());
    for (QLabel *label : labels) {
        if (!label->isVisibleTo(dialog) || label->text().isEmpty())
            continue;
        const int needed = label->hasHeightForWidth() ? label->heightForWidth(label->width()) : label->minimumSizeHint().height();
        QVERIFY2(label->height() >= needed, qPrintable(QStringLiteral("\"%1\" is %2 px tall, its text needs %3 at %4 px wide")
                                                            .arg(label->text().left(60)).arg(label->height()).arg(needed).arg(label->width())));
    }
}

void TestDialogLayout::forceReleaseRefusedKeepsItsRows()
{
    // The engine has no such endpoint: it refuses, with its reason, and deletes nothing.
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    LockRow lock;
    lock.endpoint = QStringLiteral("127.0.0.1:1");
    lock.key = "lock:cart:42";
    lock.holder = "worker-7:5f1c2a9e-0b8d-4c71-9d3e-2f6a1b7c8d90";
    lock.kind = QStringLiteral("plain");
    lock.readAt = lock.firstSeen = QDateTime::currentDateTimeUtc();
    ForceReleaseDialog dialog(&link, lock);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.keyConfirmation());
    dialog.keyConfirmation()->setText(QStringLiteral("lock:cart:42"));
    QTest::mouseClick(dialog.releaseButton(), Qt::LeftButton);
    QTRY_COMPARE(dialog.outcome(), ForceReleaseDialog::Outcome::Refused);
    auto *banner = dialog.findChild<ResultBanner *>(QStringLiteral("resultBanner"));
    QVERIFY(banner && banner->isVisible());
    QCOMPARE(banner->outcome(), ResultBanner::Outcome::Failed);
    QVERIFY(!banner->iconLabel()->pixmap().isNull());
    QVERIFY(banner->styleSheet().contains(u"#c62828"));
    QVERIFY2(banner->text().startsWith(u"Not released: nothing was deleted.\n"), qPrintable(banner->text()));
    QApplication::processEvents();
    verifyNothingSquashed(&dialog);
    // Narrower by hand: it still will not squash (its minimum height follows the text).
    dialog.resize(dialog.minimumSizeHint().width(), 10);
    QApplication::processEvents();
    growToFit(&dialog);
    verifyNothingSquashed(&dialog);
}

void TestDialogLayout::zooKeeperReleaseExplainsItselfUnsquashed()
{
    // A ZooKeeper lock's dialog carries more: what a release does there, the session, the next
    // in line, and the "ask the holder" button; refused here (no such endpoint), nothing deleted.
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    LockRow lock;
    lock.endpoint = QStringLiteral("orders-zk");
    lock.backend = QStringLiteral("zookeeper");
    lock.key = "/locks/checkout/order-5531";
    lock.kind = QStringLiteral("curator-mutex");
    lock.holder = "_c_3f1e0c52-7a43-4c1e-9b0d-5a2e8f7d6c41-lock-0000000007";
    lock.holderText = QStringLiteral("10.0.3.17");
    lock.session = QStringLiteral("0x100030baf550003");
    lock.waiters = {LockWaiter{"_c_1b2c-lock-0000000008", QStringLiteral("10.0.3.22"), QStringLiteral("0x100030baf550004"), {}, {}}};
    lock.readAt = lock.firstSeen = QDateTime::currentDateTimeUtc();
    ForceReleaseDialog dialog(&link, lock);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY2(!dialog.keyConfirmation(), "no TTL on ZooKeeper: nothing to type");
    QVERIFY(dialog.askButton() && dialog.askButton()->isVisible());
    QTest::mouseClick(dialog.releaseButton(), Qt::LeftButton);
    QTRY_COMPARE(dialog.outcome(), ForceReleaseDialog::Outcome::Refused);
    QApplication::processEvents();
    growToFit(&dialog);
    verifyNothingSquashed(&dialog);
}

void TestDialogLayout::etcdReleaseExplainsBothReleasesUnsquashed()
{
    // An etcd lock's dialog says what each of its two releases does and lists the lease's other
    // keys; revoking is refused here (no such endpoint), nothing revoked.
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    LockRow lock;
    lock.endpoint = QStringLiteral("k8s-etcd");
    lock.backend = QStringLiteral("etcd");
    lock.key = "/locks/nightly-settlement";
    lock.kind = QStringLiteral("etcd-mutex");
    lock.holder = "/locks/nightly-settlement/694d7ca3fd3a4b05";
    lock.session = QStringLiteral("694d7ca3fd3a4b05");
    lock.ttlMs = 8000;
    lock.details = QJsonObject{{QStringLiteral("lease_id"), QStringLiteral("7587861231045692165")},
                               {QStringLiteral("lease_keys"), QJsonArray{QStringLiteral("/services/settlement/worker-3"),
                                                                         QStringLiteral("/elections/settlement/694d7ca3fd3a4b05")}}};
    lock.waiters = {LockWaiter{"/locks/nightly-settlement/694d7ca3fd3a4b09", {}, QStringLiteral("694d7ca3fd3a4b09"), {}, {}}};
    lock.readAt = lock.firstSeen = QDateTime::currentDateTimeUtc();
    ForceReleaseDialog dialog(&link, lock);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(!dialog.askButton());
    QVERIFY(dialog.revokeButton() && dialog.revokeButton()->isVisible());
    auto *leaseKeys = dialog.findChild<QLabel *>(QStringLiteral("leaseKeys"));
    QVERIFY(leaseKeys && leaseKeys->text().contains(u"/services/settlement/worker-3"));
    QTest::mouseClick(dialog.revokeButton(), Qt::LeftButton);
    QTRY_COMPARE(dialog.outcome(), ForceReleaseDialog::Outcome::Refused);
    QApplication::processEvents();
    growToFit(&dialog);
    verifyNothingSquashed(&dialog);
}

void TestDialogLayout::exportAfterTheReportKeepsItsRows()
{
    QTemporaryDir dir;
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    options.history = historyWithPdf(dir.filePath(QStringLiteral("state")));
    InProcessEngineLink link(options);
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.size() >= 8, 20'000);
    ExportReportDialog dialog(&link);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    // "F&ile:" is a label with a buddy (no literal "&"), and the default path is shown whole.
    auto *fileLabel = dialog.findChild<QLabel *>(QStringLiteral("fileLabel"));
    QVERIFY(fileLabel && fileLabel->buddy() == dialog.fileEdit());
    QVERIFY(!fileLabel->text().isEmpty());
    QVERIFY(dialog.fileEdit()->width() >= std::min(560, dialog.fileEdit()->fontMetrics().horizontalAdvance(dialog.fileEdit()->text())));
    dialog.windowBox()->setCurrentIndex(ExportReportDialog::Last15Minutes);
    dialog.formatBox()->setCurrentIndex(dialog.formatBox()->findData(QStringLiteral("json")));
    dialog.fileEdit()->setText(dir.filePath(QStringLiteral("a-report-name-long-enough-to-wrap-the-status-line-of-this-dialog-when-it-says-where-it-went.json")));
    QSignalSpy finished(&dialog, &ExportReportDialog::reportFinished);
    QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60'000);
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(dialog.resultBanner()->outcome(), ResultBanner::Outcome::Done);
    QVERIFY(!dialog.resultBanner()->iconLabel()->pixmap().isNull());
    QVERIFY(dialog.resultBanner()->styleSheet().contains(u"#2e7d32"));
    QApplication::processEvents();
    verifyNothingSquashed(&dialog);
    // A failure after it (the folder is gone) is red and keeps the rows too.
    dialog.fileEdit()->setText(dir.filePath(QStringLiteral("no/such/folder/report.json")));
    QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
    QCOMPARE(dialog.resultBanner()->outcome(), ResultBanner::Outcome::Failed);
    QVERIFY(dialog.resultBanner()->styleSheet().contains(u"#c62828"));
    QApplication::processEvents();
    verifyNothingSquashed(&dialog);
}

void TestDialogLayout::viewsAt1024()
{
    // Every view of the window at 1024×640 (at this suite's scale): no label squashed, the
    // 5xx column of Servers in sight without scrolling.
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.resize(1024, 640);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_COMPARE(window.serverModel()->rowCount(), 6);
    for (MainWindow::View view : {MainWindow::LiveLoad, MainWindow::Weights, MainWindow::Servers, MainWindow::Locks, MainWindow::Events}) {
        window.showView(view);
        QApplication::processEvents();
        verifyNothingSquashed(&window);
    }
    // Live load: every value-axis label is whole on the short charts (Qt elides a label that
    // has no room to "..."), and the three plots end at the same x under the one legend. At
    // 1024×640 and at the window a 1024×640 screen leaves inside a frame and a panel.
    window.showView(MainWindow::LiveLoad);
    QTRY_COMPARE(window.liveLoad()->legendEntries(),
                 (QStringList{QStringLiteral("■ app1"), QStringLiteral("■ app2"), QStringLiteral("■ app3"), QStringLiteral("■ app4"),
                              QStringLiteral("■ app5"), QStringLiteral("■ app6")}));
    QTRY_VERIFY(window.liveLoad()->chartView(0)->chart()->series().size() > 1);
    for (const QSize size : {QSize(1024, 640), QSize(1008, 560)}) {
        window.resize(size);
        QApplication::processEvents();
        QApplication::processEvents();
        qreal plotRight = -1;
        qreal plotLeft = -1;
        for (int i = 0; i < 3; ++i) {
            QChart *chart = window.liveLoad()->chartView(i)->chart();
            const auto *axis = qobject_cast<QValueAxis *>(chart->axes(Qt::Vertical).value(0));
            QVERIFY(axis);
            // Qt Charts draws axis labels as text items of the scene, shortened to "..." when
            // the space between ticks is too small for them.
            QStringList labels;
            for (QGraphicsItem *item : window.liveLoad()->chartView(i)->scene()->items()) {
                if (const auto *text = qgraphicsitem_cast<QGraphicsTextItem *>(item); text && text->isVisible())
                    labels.append(text->toPlainText());
            }
            QVERIFY2(labels.size() >= axis->tickCount(), qPrintable(labels.join(u'|')));
            QVERIFY2(!labels.join(u'|').contains(u"..."), qPrintable(QStringLiteral("%1×%2, chart %3 (%4 ticks on a %5 px plot): %6")
                                                                          .arg(size.width()).arg(size.height()).arg(i).arg(axis->tickCount())
                                                                          .arg(chart->plotArea().height()).arg(labels.join(u'|'))));
            QVERIFY(!chart->legend()->isVisible());   // the legend strip above stands for all three
            // The plots start at the same x too, whatever their value labels' widths, so a
            // change's dashed line is one column through the three.
            if (i == 0)
                plotLeft = chart->plotArea().left();
            else
                QVERIFY2(std::abs(chart->plotArea().left() - plotLeft) <= 1, qPrintable(QStringLiteral("chart %1's plot starts at %2, the top one's at %3")
                                                                                          .arg(i).arg(chart->plotArea().left()).arg(plotLeft)));
            const qreal fromEdge = chart->size().width() - chart->plotArea().right();
            if (i == 0)
                plotRight = fromEdge;
            else
                QVERIFY2(std::abs(fromEdge - plotRight) <= 1, qPrintable(QStringLiteral("chart %1's plot ends %2 px from its edge, the top one's %3")
                                                                            .arg(i).arg(fromEdge).arg(plotRight)));
        }
    }
    window.resize(1024, 640);
    QApplication::processEvents();
    window.showView(MainWindow::Servers);
    QTableView *table = window.serversView();
    QTRY_VERIFY(table->columnWidth(ServerTableModel::ErrorRate) > 0);
    const int right = table->columnViewportPosition(ServerTableModel::ErrorRate) + table->columnWidth(ServerTableModel::ErrorRate);
    QVERIFY2(right <= table->viewport()->width(), qPrintable(QStringLiteral("5xx ends at %1 of %2").arg(right).arg(table->viewport()->width())));
}

void TestDialogLayout::legendOfTwelveServersAt1008()
{
    // As many servers as the charts draw (12), with names as long as shops give them, on the
    // window a 1024×640 screen leaves: every name in the legend, none cut off, and the charts
    // keep their labels whole. Qt's legend beside the top chart showed six of them.
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    for (int i = 7; i <= 12; ++i) {
        DemoServerProfile extra = options.servers.value(i % 6);
        extra.flaky = false;
        extra.spec.name = QStringLiteral("checkout-eu-west-1a-%1").arg(i, 2, 10, QLatin1Char('0'));
        options.servers.append(extra);
    }
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.resize(1008, 560);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.showView(MainWindow::LiveLoad);
    QTRY_COMPARE_WITH_TIMEOUT(window.liveLoad()->legendEntries().size(), 12, 20'000);
    const QStringList entries = window.liveLoad()->legendEntries();
    QCOMPARE(entries.first(), QStringLiteral("■ app1"));
    QCOMPARE(entries.last(), QStringLiteral("■ checkout-eu-west-1a-12"));
    QApplication::processEvents();
    auto *legend = window.findChild<QLabel *>(QStringLiteral("liveLegend"));
    QVERIFY(legend && legend->isVisible());
    // Wrapped, not cut: as tall as its text needs at its width, inside the window.
    QVERIFY2(legend->height() >= legend->heightForWidth(legend->width()),
             qPrintable(QStringLiteral("legend %1 px tall, needs %2").arg(legend->height()).arg(legend->heightForWidth(legend->width()))));
    QVERIFY(legend->heightForWidth(legend->width()) > legend->fontMetrics().height());   // on more than one line at this width
    QVERIFY(legend->mapTo(&window, QPoint(legend->width(), legend->height())).x() <= window.width());
    // Lines break between entries, never inside a name (checkout-eu-west-1a-10 broke after a
    // hyphen): laid out at the label's width, every line starts with an entry's swatch.
    {
        QTextDocument document;
        document.setDefaultFont(legend->font());
        document.setHtml(legend->text());
        document.setDocumentMargin(0);
        document.setTextWidth(legend->contentsRect().width());
        QVERIFY(document.size().height() > 0);   // lays it out
        const QTextBlock block = document.begin();
        QTextLayout *layout = block.layout();
        QVERIFY(layout->lineCount() > 1);
        for (int i = 0; i < layout->lineCount(); ++i) {
            const QString start = block.text().mid(layout->lineAt(i).textStart()).trimmed();
            QVERIFY2(start.startsWith(u'■'), qPrintable(QStringLiteral("line %1 starts with \"%2\"").arg(i).arg(start.left(20))));
        }
    }
    verifyNothingSquashed(&window);
    for (int i = 0; i < 3; ++i) {
        QStringList labels;
        for (QGraphicsItem *item : window.liveLoad()->chartView(i)->scene()->items()) {
            if (const auto *text = qgraphicsitem_cast<QGraphicsTextItem *>(item); text && text->isVisible())
                labels.append(text->toPlainText());
        }
        QVERIFY2(!labels.join(u'|').contains(u"..."), qPrintable(labels.join(u'|')));
    }
    // The pointer on the short p95 chart reads all twelve lines, in a box that stays inside the
    // chart (one column of thirteen lines ran off its bottom).
    QTRY_VERIFY_WITH_TIMEOUT(window.liveLoad()->requestsSeries(QStringLiteral("checkout/app1")).size() >= 4, 15'000);
    window.liveLoad()->setPaused(true);
    {
        QChartView *view = window.liveLoad()->chartView(1);
        QChart *chart = view->chart();
        const QList<QPointF> points = window.liveLoad()->requestsSeries(QStringLiteral("checkout/app1"));
        const QPointF point = points.at(points.size() - 2);
        const QPoint at = view->mapFromScene(chart->mapToPosition(QPointF(point.x(), 0), chart->series().constFirst()));
        // Sent to the view itself: at 200 % this window is larger than the offscreen screen, and
        // the window system drops a move outside the screen.
        const QPointF local(at.x(), chart->plotArea().center().y());
        QMouseEvent move(QEvent::MouseMove, local, view->viewport()->mapToGlobal(local), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(view->viewport(), &move);
        QTRY_VERIFY(!window.liveLoad()->hoverText(1).isEmpty());
        const QStringList lines = window.liveLoad()->hoverText(1);
        QVERIFY2(lines.filter(QStringLiteral(" ms")).size() == 12, qPrintable(lines.join(u'|')));
        const QRectF box = window.liveLoad()->hoverBox(1);
        QVERIFY2(view->sceneRect().contains(box), qPrintable(QStringLiteral("box %1,%2 %3×%4 in a %5×%6 chart")
                                                               .arg(box.x()).arg(box.y()).arg(box.width()).arg(box.height())
                                                               .arg(view->sceneRect().width()).arg(view->sceneRect().height())));
    }
    window.liveLoad()->setPaused(false);
    // Weights: a name too long for its bar is cut in the middle, so the six long ones stay
    // apart by their ends (Qt cut them all to "checko…"); the short ones are whole.
    window.showView(MainWindow::Weights);
    QApplication::processEvents();
    {
        QStringList drawn;
        for (QGraphicsItem *item : window.weightsChart()->scene()->items()) {
            if (const auto *text = qgraphicsitem_cast<QGraphicsTextItem *>(item); text && text->isVisible())
                drawn.append(text->toPlainText());
        }
        const QStringList labels = window.weightsChart()->categoryLabels();
        QCOMPARE(labels.size(), 12);
        QCOMPARE(labels.first(), QStringLiteral("app1"));
        for (int i = 7; i <= 12; ++i) {
            const QString label = labels.at(i - 1);
            QVERIFY2(label.endsWith(QStringLiteral("%1").arg(i, 2, 10, QLatin1Char('0'))) && label.contains(u'…'), qPrintable(label));
            QVERIFY2(drawn.contains(label), qPrintable(label + QStringLiteral(" not drawn: ") + drawn.join(u'|')));
        }
        QVERIFY2(!drawn.join(u'|').contains(u"..."), qPrintable(drawn.join(u'|')));
    }
    // Servers: the totals row's "12/12 up" whole in the State column it shares with the table
    // (it read "12/12 …"), and the rows in the order people count.
    window.showView(MainWindow::Servers);
    QApplication::processEvents();
    PoolTotalsModel *totals = window.poolTotals();
    QTRY_COMPARE(totals->data(totals->index(0, ServerTableModel::State)).toString(), QStringLiteral("12/12 up"));
    auto *totalsView = window.findChild<PoolTotalsView *>();
    QVERIFY(totalsView);
    QFont bold = totalsView->font();   // the totals row is bold
    bold.setBold(true);
    const int stateWidth = totalsView->columnWidth(ServerTableModel::State);
    const int needed = QFontMetrics(bold).horizontalAdvance(QStringLiteral("12/12 up")) + 6;
    QVERIFY2(stateWidth >= needed, qPrintable(QStringLiteral("State column %1 px, the totals need %2").arg(stateWidth).arg(needed)));
    QTableView *table = window.serversView();
    QCOMPARE(table->model()->index(1, ServerTableModel::Name).data().toString(), QStringLiteral("app2"));
    QCOMPARE(table->model()->index(6, ServerTableModel::Name).data().toString(), QStringLiteral("checkout-eu-west-1a-07"));
}

void TestDialogLayout::firstStartFitsTheScreen()
{
    // No saved geometry (a first start): the window opens inside the screen's free area, here
    // the offscreen screen's (800×800), smaller than the preferred 1400×860. A long scan error
    // does not widen it past that. Then a geometry saved on a bigger screen is brought inside
    // this one when restored.
    QSettings().remove(QStringLiteral("window/geometry"));
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    const QRect free = QGuiApplication::primaryScreen()->availableGeometry();
    if (free.width() < 640 || free.height() < 480)
        QSKIP(qPrintable(QStringLiteral("a %1×%2 screen (this run's scale) is below the 640×480 the console is laid out for")
                             .arg(free.width()).arg(free.height())));
    QVERIFY2(free.width() < 1400 + 16 || free.height() < 860 + 48, "this test needs a screen smaller than the preferred size");
    const auto fits = [&free](QWidget &window, const char *when) {
        const QSize least = window.minimumSizeHint().expandedTo(window.minimumSize());
        QVERIFY2(least.width() <= free.width() && least.height() <= free.height(),
                 qPrintable(QStringLiteral("%1: the window needs at least %2×%3 on a %4×%5 screen")
                                .arg(QLatin1String(when)).arg(least.width()).arg(least.height()).arg(free.width()).arg(free.height())));
        QVERIFY2(free.contains(window.geometry()), qPrintable(QStringLiteral("%1: at %2,%3 %4×%5 on a %6×%7 screen")
                                                               .arg(QLatin1String(when)).arg(window.x()).arg(window.y())
                                                               .arg(window.width()).arg(window.height()).arg(free.width()).arg(free.height())));
    };
    {
        MainWindow window(&link);
        fits(window, "first start");
        if (QTest::currentTestFailed())
            return;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showView(MainWindow::Locks);
        LockTable failed;
        failed.endpoint = QStringLiteral("127.0.0.1:1");
        failed.backend = QStringLiteral("redis");
        failed.error = QStringLiteral("cannot connect to 127.0.0.1:1 (Connection refused); check that redis-server runs there "
                                      "and that the endpoint's address in the engine's config is right; the rows shown are from "
                                      "the last pass that worked");
        window.locksView()->setLockTable(failed);
        QApplication::processEvents();
        QVERIFY2(window.locksView()->statusText().contains(failed.error), qPrintable(window.locksView()->statusText()));
        // The error is a line of its own under the bar, wrapped; the bar says only that it failed.
        auto *note = window.locksView()->findChild<QLabel *>(QStringLiteral("lockNote"));
        QVERIFY(note && note->isVisible() && note->wordWrap());
        fits(window, "after a long scan error");
        if (QTest::currentTestFailed())
            return;
        verifyNothingSquashed(&window);
        // While the endpoint is not connected, the red banner says why; the note does not repeat it.
        window.locksView()->setEndpointState(failed.endpoint, LinkState::Disconnected, QStringLiteral("cannot connect: Connection refused"));
        QApplication::processEvents();
        QVERIFY(!window.locksView()->bannerText().isEmpty());
        QVERIFY(!note->isVisible());
        QCOMPARE(window.locksView()->statusText(), QStringLiteral("Last scan failed"));
        window.resize(3000, 2000);
        window.move(2000, 1500);
        QApplication::processEvents();
        window.close();   // saves the layout
    }
    QVERIFY(QSettings().contains(QStringLiteral("window/geometry")));
    MainWindow window(&link);
    fits(window, "restored from a bigger screen");
}

void TestDialogLayout::dialogsFitASmallScreen()
{
    // Every dialog an operator opens can be laid out inside the window a 1024×640 screen
    // leaves (1008×560): its least size, and the size it opens at.
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    MainWindow window(&link);
    LockRow lock;
    lock.endpoint = QStringLiteral("127.0.0.1:6379");
    lock.backend = QStringLiteral("redis");
    lock.key = "lock:checkout:order-5531";
    lock.holder = "worker-7:5f1c2a9e-0b8d-4c71-9d3e-2f6a1b7c8d90";
    lock.kind = QStringLiteral("plain");
    lock.readAt = lock.firstSeen = QDateTime::currentDateTimeUtc();
    SettingsDialog settings(&link, &window);
    ExportReportDialog report(&link, &window);
    ForceReleaseDialog release(&link, lock, &window);
    for (QDialog *dialog : std::initializer_list<QDialog *>{&settings, &report, &release}) {
        dialog->show();
        QApplication::processEvents();
        const QSize least = dialog->minimumSizeHint().expandedTo(dialog->minimumSize());
        const QSize opens = dialog->size();
        QVERIFY2(least.width() <= 1008 && least.height() <= 560 && opens.width() <= 1008 && opens.height() <= 560,
                 qPrintable(QStringLiteral("%1 needs at least %2×%3 and opens at %4×%5")
                                .arg(QLatin1String(dialog->metaObject()->className()))
                                .arg(least.width()).arg(least.height()).arg(opens.width()).arg(opens.height())));
        dialog->hide();
    }
}

QTEST_MAIN(TestDialogLayout)
#include "tst_dialoglayout.moc"
