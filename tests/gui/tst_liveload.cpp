// Live load against the real in-process engine: state and weight changes are marked where
// they happened even after the time axis scrolled (read back from the pixels on screen, as the
// window's backing store holds them after partial repaints), close changes do not smear, the
// pointer reads each line's value, pause stands still, and a window of the engine's history
// store replaces the live lines.
#include "engine/inprocessenginelink.h"
#include "isolatedpaths.h"
#include "liveloadview.h"
#include "mainwindow.h"
#include "reportpdf/historywithpdf.h"
#include "servercolors.h"
#include "servertablemodel.h"
#include "weightcontroller.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QImage>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QScreen>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

class TestLiveLoad : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void markersFollowTheScrollingAxis();
    void closeChangesDoNotSmear();
    void weightChangesAreMarked();
    void pointerReadsTheLines();
    void pauseStandsStill();
    void historyWindowFromTheStore();
    void noHistoryIsSaid();

private:
    void open(bool history);
    void selectInServers(const QStringList &names);
    // Columns of the window's pixels, inside chart `which`'s plot, where at least a quarter of
    // the rows have exactly `colour`: the vertical marker lines as they are on screen.
    QList<int> markerColumns(int which, const QColor &colour) const;
    // Where chart `which` puts a time, in window coordinates.
    int expectedColumn(int which, const QDateTime &time) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<InProcessEngineLink> m_link;
    std::unique_ptr<MainWindow> m_window;
};

void TestLiveLoad::initTestCase()
{
    fulcrum::test::useIsolatedStandardPaths();
}

void TestLiveLoad::init()
{
}

void TestLiveLoad::cleanup()
{
    m_window.reset();
    m_link.reset();
    m_dir.reset();
}

void TestLiveLoad::open(bool history)
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;   // nothing but the test changes a state
    if (history) {
        m_dir = std::make_unique<QTemporaryDir>();
        options.history = historyWithPdf(m_dir->filePath(QStringLiteral("state")));
    }
    m_link = std::make_unique<InProcessEngineLink>(options);
    m_window = std::make_unique<MainWindow>(m_link.get());
    m_window->resize(1200, 800);
    m_window->showView(MainWindow::LiveLoad);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QTRY_COMPARE(m_window->liveLoad()->shownServers().size(), 6);
}

void TestLiveLoad::selectInServers(const QStringList &names)
{
    QTableView *table = m_window->serversView();
    table->clearSelection();
    for (const QString &name : names) {
        const int row = m_window->serverModel()->rowOf(QStringLiteral("checkout/") + name);
        const QModelIndex index = m_window->serverProxy()->mapFromSource(m_window->serverModel()->index(row, 0));
        table->selectionModel()->select(index, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
}

QList<int> TestLiveLoad::markerColumns(int which, const QColor &colour) const
{
    // What the window shows now, partial repaints and all (offscreen: its backing store), not
    // a fresh render of the widgets.
    const QImage image = m_window->screen()->grabWindow(m_window->winId()).toImage().convertToFormat(QImage::Format_RGB32);
    QChartView *view = m_window->liveLoad()->chartView(which);
    const QRect plot = view->mapFromScene(view->chart()->plotArea()).boundingRect().translated(view->viewport()->mapTo(m_window.get(), QPoint(0, 0)));
    QList<int> columns;
    for (int x = plot.left() + 1; x < plot.right(); ++x) {
        int matching = 0;
        for (int y = plot.top() + 1; y < plot.bottom(); ++y)
            matching += QColor(image.pixel(x, y)).rgb() == colour.rgb() ? 1 : 0;
        if (matching * 4 >= plot.height())
            columns.append(x);
    }
    return columns;
}

int TestLiveLoad::expectedColumn(int which, const QDateTime &time) const
{
    QChartView *view = m_window->liveLoad()->chartView(which);
    QChart *chart = view->chart();
    const QPointF scene = chart->mapToPosition(QPointF(double(time.toMSecsSinceEpoch()), 0), chart->series().constFirst());
    return view->viewport()->mapTo(m_window.get(), view->mapFromScene(scene)).x();
}

void TestLiveLoad::markersFollowTheScrollingAxis()
{
    open(false);
    LiveLoadView *live = m_window->liveLoad();
    // Only app1's line is drawn; app5's colour on screen is then its marker and nothing else.
    selectInServers({QStringLiteral("app1")});
    QTRY_COMPARE(live->shownServers(), QStringList{QStringLiteral("checkout/app1")});
    const QColor colour = serverColor(QStringLiteral("checkout/app5"));
    QVERIFY(colour != serverColor(QStringLiteral("checkout/app1")));

    QSignalSpy events(m_link.get(), &EngineLink::eventsReady);
    m_link->setState(QStringLiteral("checkout"), QStringLiteral("app5"), BackendState::Maint);
    QTRY_COMPARE(live->markerCount(), 1);
    QDateTime changed;
    for (const QList<QVariant> &batch : std::as_const(events)) {
        for (const LinkEvent &event : batch.at(0).value<QList<LinkEvent>>()) {
            if (event.what == u"set-state")
                changed = event.time;
        }
    }
    QVERIFY(changed.isValid());

    // Two steps of the time axis: the marker must travel left with the data each time.
    for (int step = 0; step < 2; ++step) {
        const auto before = live->timeRange(0);
        QTRY_VERIFY_WITH_TIMEOUT(live->timeRange(0) != before, 2 * LiveLoadView::kTimeStepSeconds * 1000);
        // A few ticks of partial repaints after the scroll, as the operator sees them.
        QTest::qWait(1200);
        for (int which = 0; which < 3; ++which) {
            const int expected = expectedColumn(which, changed);
            const QList<int> columns = markerColumns(which, colour);
            QVERIFY2(!columns.isEmpty(), qPrintable(QStringLiteral("chart %1: no marker near x=%2").arg(which).arg(expected)));
            // Every column drawn in app5's colour is its one marker, within 2 px of the change:
            // no ghost left at an old x.
            for (int x : columns) {
                QVERIFY2(std::abs(x - expected) <= 2, qPrintable(QStringLiteral("chart %1, step %2: a marker column at x=%3, the change is at x=%4 (columns %5)")
                                                                     .arg(which).arg(step).arg(x).arg(expected)
                                                                     .arg([&] { QStringList s; for (int c : columns) s.append(QString::number(c)); return s.join(u','); }())));
            }
        }
    }
}

void TestLiveLoad::closeChangesDoNotSmear()
{
    open(false);
    LiveLoadView *live = m_window->liveLoad();
    // Four changes within a moment, as an operator draining several servers makes them.
    for (const char *name : {"app2", "app3", "app4", "app5"})
        m_link->setState(QStringLiteral("checkout"), QString::fromLatin1(name), BackendState::Drain);
    QTRY_COMPARE(live->markerCount(), 4);
    QTRY_VERIFY(!live->markerLabels(0).isEmpty());
    const QList<std::pair<QRectF, QString>> labels = live->markerLabels(0);
    const QRectF plot = live->chartView(0)->chart()->plotArea();
    for (int i = 0; i < labels.size(); ++i) {
        QVERIFY2(plot.contains(labels[i].first), qPrintable(labels[i].second));
        for (int j = i + 1; j < labels.size(); ++j)
            QVERIFY2(!labels[i].first.intersects(labels[j].first), qPrintable(labels[i].second + QStringLiteral(" over ") + labels[j].second));
    }
    // Stacked, not one on top of another: more than one is readable.
    QVERIFY2(labels.size() >= 2, qPrintable(QString::number(labels.size())));
    // Every change, labelled or not, is named where the pointer points.
    QChartView *view = live->chartView(0);
    const QPoint at = view->mapFromScene(QPointF(labels.first().first.left() - 3, plot.center().y()));
    QTest::mouseMove(view->viewport(), at);
    QTRY_VERIFY(!live->hoverText(0).isEmpty());
    const QString hover = live->hoverText(0).join(u'\n');
    for (const char *name : {"app2 → drain", "app3 → drain", "app4 → drain", "app5 → drain"})
        QVERIFY2(hover.contains(QString::fromUtf8(name)), qPrintable(hover));
}

void TestLiveLoad::weightChangesAreMarked()
{
    open(false);
    LiveLoadView *live = m_window->liveLoad();
    m_link->setWeight(QStringLiteral("checkout"), QStringLiteral("app3"), 70);
    QTRY_COMPARE(live->markerCount(), 1);
    QTRY_COMPARE(live->markerLabels(0).size(), 1);
    QCOMPARE(live->markerLabels(0).first().second, QStringLiteral("app3 weight 50 → 70"));
}

void TestLiveLoad::pointerReadsTheLines()
{
    open(false);
    LiveLoadView *live = m_window->liveLoad();
    selectInServers({QStringLiteral("app1"), QStringLiteral("app2")});
    QTRY_COMPARE(live->shownServers().size(), 2);
    // Enough points to point into the middle of.
    QTRY_VERIFY_WITH_TIMEOUT(live->requestsSeries(QStringLiteral("checkout/app1")).size() >= 6, 15'000);
    live->setPaused(true);   // the lines stand still while the pointer reads them
    const QList<QPointF> points = live->requestsSeries(QStringLiteral("checkout/app1"));
    const QPointF point = points.at(points.size() - 3);
    QChartView *view = live->chartView(0);
    QChart *chart = view->chart();
    const QPoint at = view->mapFromScene(chart->mapToPosition(QPointF(point.x(), 0), chart->series().constFirst()));
    QTest::mouseMove(view->viewport(), QPoint(at.x(), int(chart->plotArea().center().y())));
    QTRY_VERIFY(!live->hoverText(0).isEmpty());
    const QStringList lines = live->hoverText(0);
    QCOMPARE(lines.first(), QDateTime::fromMSecsSinceEpoch(qint64(point.x())).toString(QStringLiteral("HH:mm:ss")));
    const QString app1 = QStringLiteral("app1  %1 req/s").arg(point.y(), 0, 'f', point.y() < 10 ? 1 : 0);
    QVERIFY2(lines.contains(app1), qPrintable(app1 + QStringLiteral(" not in ") + lines.join(QStringLiteral(" | "))));
    QVERIFY2(lines.filter(QStringLiteral("app2  ")).size() == 1, qPrintable(lines.join(QStringLiteral(" | "))));
    // Off the plot, nothing.
    QTest::mouseMove(view->viewport(), QPoint(2, 2));
    QTRY_VERIFY(live->hoverText(0).isEmpty());
}

void TestLiveLoad::pauseStandsStill()
{
    open(false);
    LiveLoadView *live = m_window->liveLoad();
    QTRY_VERIFY_WITH_TIMEOUT(live->requestsSeries(QStringLiteral("checkout/app1")).size() >= 3, 15'000);
    auto *pause = live->findChild<QPushButton *>(QStringLiteral("livePause"));
    QVERIFY(pause && pause->isVisible());
    QTest::mouseClick(pause, Qt::LeftButton);
    QCOMPARE(live->mode(), LiveLoadView::Mode::Paused);
    QVERIFY2(live->statusText().startsWith(u"Paused at"), qPrintable(live->statusText()));
    const auto range = live->timeRange(0);
    const QList<QPointF> frozen = live->requestsSeries(QStringLiteral("checkout/app1"));
    // Long enough for new points and an axis step in live mode.
    QSignalSpy snapshots(m_link.get(), &EngineLink::snapshotReady);
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.size() >= 8, 10'000);
    QCOMPARE(live->timeRange(0), range);
    QCOMPARE(live->requestsSeries(QStringLiteral("checkout/app1")), frozen);
    // A change while paused lands on the live side, seen after resume.
    m_link->setState(QStringLiteral("checkout"), QStringLiteral("app4"), BackendState::Drain);
    QTRY_COMPARE(live->markerCount(), 1);
    QVERIFY(live->markerLabels(0).isEmpty());

    QTest::mouseClick(pause, Qt::LeftButton);
    QCOMPARE(live->mode(), LiveLoadView::Mode::Live);
    QVERIFY(live->statusText().isEmpty());
    const QList<QPointF> resumed = live->requestsSeries(QStringLiteral("checkout/app1"));
    QVERIFY(resumed.last().x() > frozen.last().x());
    QVERIFY(live->timeRange(0).second >= m_window->weightController()->snapshot().time);
    QTRY_COMPARE(live->markerLabels(0).size(), 1);
}

void TestLiveLoad::historyWindowFromTheStore()
{
    open(true);
    LiveLoadView *live = m_window->liveLoad();
    // Some recorded seconds, with a weight change among them. By the engine's clock, not by
    // snapshots: they can come several a second at the start, and the store keeps one point per
    // second (two per bucket in this window), so a change made after eight quick snapshots had
    // no point before it on a loaded machine.
    QSignalSpy snapshots(m_link.get(), &EngineLink::snapshotReady);
    const auto engineTime = [this] { return m_window->weightController()->snapshot().time; };
    QTRY_VERIFY_WITH_TIMEOUT(engineTime().isValid(), 10'000);
    const QDateTime started = engineTime();
    QTRY_VERIFY_WITH_TIMEOUT(engineTime() >= started.addSecs(6), 20'000);
    m_link->setWeight(QStringLiteral("checkout"), QStringLiteral("app2"), 60);
    const QDateTime changed = engineTime();
    QTRY_VERIFY_WITH_TIMEOUT(engineTime() >= changed.addSecs(6), 20'000);

    auto *range = live->findChild<QComboBox *>(QStringLiteral("liveRange"));
    QVERIFY(range);
    const int fifteen = range->findData(900);
    QVERIFY(qobject_cast<QStandardItemModel *>(range->model())->item(fifteen)->isEnabled());
    range->setCurrentIndex(fifteen);
    Q_EMIT range->activated(fifteen);
    QCOMPARE(live->mode(), LiveLoadView::Mode::History);
    QTRY_VERIFY_WITH_TIMEOUT(live->statusText().startsWith(u"History"), 15'000);
    QVERIFY2(live->statusText().contains(u"6 server(s)"), qPrintable(live->statusText()));
    // The window asked for, on a round axis around it.
    const QDateTime now = m_window->weightController()->snapshot().time;
    const auto [from, to] = live->timeRange(0);
    QVERIFY(from <= now.addSecs(-900) && from > now.addSecs(-900 - 300));
    QVERIFY(to >= now.addSecs(-2) && to < now.addSecs(300));
    // The lines are the store's: points inside the window, seconds apart, traffic on them.
    const QList<QPointF> points = live->requestsSeries(QStringLiteral("checkout/app1"));
    QVERIFY2(points.size() >= 3, qPrintable(QString::number(points.size())));
    double requests = 0;
    for (const QPointF &p : points) {
        QVERIFY(p.x() >= double(now.addSecs(-901).toMSecsSinceEpoch()) && p.x() <= double(now.toMSecsSinceEpoch()));
        requests += p.y();
    }
    QVERIFY(requests > 0);
    // The weight change is marked from the recorded weights.
    bool marked = false;
    QStringList labels;
    for (const auto &label : live->markerLabels(0)) {
        marked = marked || label.second == u"app2 weight 100 → 60";
        labels.append(label.second);
    }
    QVERIFY2(marked, qPrintable(QStringLiteral("markers: [%1]; %2").arg(labels.join(QStringLiteral(", ")), live->statusText())));
    // History stands still while live goes on; Live brings the scrolling charts back.
    const QList<QPointF> before = live->requestsSeries(QStringLiteral("checkout/app1"));
    snapshots.clear();
    QTRY_VERIFY_WITH_TIMEOUT(snapshots.size() >= 8, 10'000);
    QCOMPARE(live->requestsSeries(QStringLiteral("checkout/app1")), before);
    range->setCurrentIndex(0);
    Q_EMIT range->activated(0);
    QCOMPARE(live->mode(), LiveLoadView::Mode::Live);
    QVERIFY(live->timeRange(0).first > now.addSecs(-LiveLoadView::kWindowSeconds - 60));
}

void TestLiveLoad::noHistoryIsSaid()
{
    open(false);
    LiveLoadView *live = m_window->liveLoad();
    auto *range = live->findChild<QComboBox *>(QStringLiteral("liveRange"));
    QVERIFY(range);
    // Offered only where there is a store.
    auto *model = qobject_cast<QStandardItemModel *>(range->model());
    QVERIFY(!model->item(range->findData(900))->isEnabled());
    QVERIFY(model->item(0)->isEnabled());
    // And asked anyway (a link that lost its store), the answer is on screen.
    live->showLast(3600);
    QTRY_VERIFY2(live->statusText().contains(u"keeps no history"), qPrintable(live->statusText()));
    QVERIFY(live->statusText().startsWith(u"No history to show"));
    QVERIFY(live->requestsSeries(QStringLiteral("checkout/app1")).isEmpty());
}

QTEST_MAIN(TestLiveLoad)
#include "tst_liveload.moc"
