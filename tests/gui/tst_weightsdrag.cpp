#include "engine/inprocessenginelink.h"
#include "enginepool.h"
#include "isolatedpaths.h"
#include "mainwindow.h"
#include "servertablemodel.h"
#include "weightcontroller.h"
#include "weightschartview.h"

#include <QAction>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>
#include <QUndoStack>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

// Drag-to-reweight against the in-process engine: the real Pool behind the link is what
// the assertions read.
class TestWeightsDrag : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void weightSteps();
    void handleHoldsStillWhileAnotherServerFlaps();
    void initTestCase();
    void init();
    void cleanup();
    void dragChangesOnlyThatServer_data();
    void dragChangesOnlyThatServer();
    void confirmationRefusedChangesNothing();
    void arrowKeysStepTheSelectedBar();
    void typingInTheTableSetsTheWeight();
    void aHandleStopsAtThePlotsTop();

private:
    QMap<QString, std::pair<int, BackendState>> engineServers() const;
    int engineWeight(const QString &server) const;
    // Waits until the window has seen a snapshot taken after everything sent so far.
    void waitForFreshSnapshot();

    std::unique_ptr<InProcessEngineLink> m_link;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_questions;
};

void TestWeightsDrag::weightSteps()
{
    const auto pool = [](std::initializer_list<int> weights) {
        QList<ServerStatus> servers;
        for (int weight : weights) {
            ServerStatus s;
            s.pool = QStringLiteral("p");
            s.name = QStringLiteral("s%1").arg(servers.size());
            s.weight = weight;
            servers.append(s);
        }
        return servers;
    };
    QCOMPARE(weightStep(pool({10, 10, 10}), 0), 1);        // fulcrumd's and HAProxy's usual scale
    QCOMPARE(weightStep(pool({100, 50, 25}), 2), 5);       // the demo's
    QCOMPARE(weightStep(pool({1000, 800}), 0), 50);
    QCOMPARE(weightStep(pool({256, 1}), 1), 10);
    QCOMPARE(snappedWeight(pool({100, 50, 25}), 2, 106), 105);
    QCOMPARE(snappedWeight(pool({100, 50, 25}), 2, 108), 110);
    QCOMPARE(snappedWeight(pool({100, 50, 25}), 2, 2), 2);  // never 0 from above 0
    QCOMPARE(snappedWeight(pool({100, 50, 25}), 2, 0), 0);
}

void TestWeightsDrag::initTestCase()
{
    fulcrum::test::useIsolatedStandardPaths();
}

void TestWeightsDrag::init()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;   // nothing but the test changes the pool
    m_link = std::make_unique<InProcessEngineLink>(options);
    m_window = std::make_unique<MainWindow>(m_link.get());
    m_window->resize(1200, 800);
    m_window->showView(MainWindow::Weights);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_questions.clear();
    m_window->weightController()->setConfirmer([this](const QString &question) {
        m_questions.append(question);
        return true;
    });
    QTRY_COMPARE(m_window->weightsChart()->servers().size(), 6);
}

void TestWeightsDrag::cleanup()
{
    m_window.reset();
    m_link.reset();
}

QMap<QString, std::pair<int, BackendState>> TestWeightsDrag::engineServers() const
{
    return fulcrum::test::enginePool(*m_link);
}

int TestWeightsDrag::engineWeight(const QString &server) const
{
    return engineServers().value(server).first;
}

void TestWeightsDrag::waitForFreshSnapshot()
{
    // Commands and ticks run in order on the engine thread: two snapshots after now come
    // after any command already queued.
    QSignalSpy spy(m_link.get(), &EngineLink::snapshotReady);
    QTRY_VERIFY(spy.size() >= 2);
}

void TestWeightsDrag::dragChangesOnlyThatServer_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<double>("targetShare");
    QTest::newRow("app1 down to 10 %") << QStringLiteral("app1") << 0.10;
    QTest::newRow("app3 up to 25 %") << QStringLiteral("app3") << 0.25;
    QTest::newRow("app6 up to 15 %") << QStringLiteral("app6") << 0.15;
}

void TestWeightsDrag::dragChangesOnlyThatServer()
{
    QFETCH(QString, server);
    QFETCH(double, targetShare);
    m_window->weightController()->setConfirmThreshold(1.0);
    WeightsChartView *chart = m_window->weightsChart();
    const int index = int(chart->servers().indexOf(server));
    QVERIFY(index >= 0);
    const auto before = engineServers();
    const LinkSnapshot base = m_window->weightController()->snapshot();
    double othersWeight = 0;
    for (const ServerStatus &s : base.servers)
        othersWeight += s.name != server && s.takesTraffic() ? s.weight : 0;

    QWidget *viewport = chart->viewport();
    const QPoint start = chart->handlePosition(index);
    QTest::mousePress(viewport, Qt::LeftButton, Qt::NoModifier, start);
    QVERIFY(chart->isDragging());
    const QPoint middle = chart->positionFor(index, (targetShare + chart->shownTargetShares()[index]) / 2);
    QTest::mouseMove(viewport, middle);
    const QPoint end = chart->positionFor(index, targetShare);
    QTest::mouseMove(viewport, end);

    // While dragging: the dragged server sits where the mouse is, every other server keeps
    // its weight, so its projected share is weight / (others + new weight).
    const QList<double> projected = chart->shownTargetShares();
    QCOMPARE(projected.size(), base.servers.size());
    QVERIFY2(std::abs(projected[index] - targetShare) < 0.01, qPrintable(QString::number(projected[index])));
    const double newWeight = projected[index] * othersWeight / (1 - projected[index]);
    double sum = 0;
    for (int i = 0; i < projected.size(); ++i) {
        sum += projected[i];
        if (i == index)
            continue;
        const double expected = base.servers[i].weight / (othersWeight + newWeight);
        QVERIFY2(std::abs(projected[i] - expected) < 0.002,
                 qPrintable(QStringLiteral("%1: %2 vs %3").arg(base.servers[i].name).arg(projected[i]).arg(expected)));
    }
    QVERIFY(std::abs(sum - 1.0) < 0.005);
    // Nothing is applied before the release.
    QCOMPARE(engineServers(), before);

    QTest::mouseRelease(viewport, Qt::LeftButton, Qt::NoModifier, end);
    QVERIFY(!chart->isDragging());
    QTRY_VERIFY(engineWeight(server) != before.value(server).first);
    const int applied = engineWeight(server);
    QVERIFY2(std::abs(applied / (applied + othersWeight) - projected[index]) < 0.002, qPrintable(QString::number(applied)));
    // A round weight: the demo pool's weights are in the hundreds, so steps of 5.
    QCOMPARE(weightStep(base.servers, index), 5);
    QVERIFY2(applied % 5 == 0, qPrintable(QString::number(applied)));
    auto expected = before;
    expected[server].first = applied;
    QCOMPARE(engineServers(), expected);
    QVERIFY(m_questions.isEmpty());

    // Undo restores exactly the old weight; redo puts the new one back.
    QUndoStack *undo = m_window->weightController()->undoStack();
    QCOMPARE(undo->count(), 1);
    undo->undo();
    QTRY_COMPARE(engineServers(), before);
    undo->redo();
    QTRY_COMPARE(engineServers(), expected);
}

void TestWeightsDrag::confirmationRefusedChangesNothing()
{
    m_window->weightController()->setConfirmThreshold(0.05);
    m_window->weightController()->setConfirmer([this](const QString &question) {
        m_questions.append(question);
        return false;
    });
    WeightsChartView *chart = m_window->weightsChart();
    const auto before = engineServers();
    const int index = int(chart->servers().indexOf(QStringLiteral("app2")));
    QWidget *viewport = chart->viewport();
    QTest::mousePress(viewport, Qt::LeftButton, Qt::NoModifier, chart->handlePosition(index));
    const QPoint end = chart->positionFor(index, 0.35);
    QTest::mouseMove(viewport, end);
    QTest::mouseRelease(viewport, Qt::LeftButton, Qt::NoModifier, end);
    QCOMPARE(m_questions.size(), 1);
    QVERIFY2(m_questions.first().contains(QStringLiteral("app2")), qPrintable(m_questions.first()));
    waitForFreshSnapshot();
    QCOMPARE(engineServers(), before);
    QCOMPARE(m_window->weightController()->undoStack()->count(), 0);
    // The handle goes back to the weight the engine has.
    QTRY_VERIFY(std::abs(chart->shownTargetShares()[index] - 100.0 / 475) < 0.002);
}

void TestWeightsDrag::handleHoldsStillWhileAnotherServerFlaps()
{
    // Mid-drag, app5 goes out and comes back (a flap): the dragged handle stays under the
    // mouse and every projection stays the one of the pool as it was at the press.
    m_window->weightController()->setConfirmThreshold(1.0);
    WeightsChartView *chart = m_window->weightsChart();
    const int index = int(chart->servers().indexOf(QStringLiteral("app2")));
    QWidget *viewport = chart->viewport();
    QTest::mousePress(viewport, Qt::LeftButton, Qt::NoModifier, chart->handlePosition(index));
    const QPoint at = chart->positionFor(index, 0.3);
    QTest::mouseMove(viewport, at);
    QVERIFY(chart->isDragging());
    const QList<double> projected = chart->shownTargetShares();
    const QPoint handle = chart->handlePosition(index);
    m_link->setState(QStringLiteral("checkout"), QStringLiteral("app5"), BackendState::Maint);
    QTRY_COMPARE(m_window->weightController()->snapshot().servers.value(m_window->weightController()->snapshot().indexOf(QStringLiteral("checkout"), QStringLiteral("app5"))).state,
                 BackendState::Maint);
    waitForFreshSnapshot();
    QCOMPARE(chart->shownTargetShares(), projected);
    QCOMPARE(chart->handlePosition(index), handle);
    m_link->setState(QStringLiteral("checkout"), QStringLiteral("app5"), BackendState::Up);
    waitForFreshSnapshot();
    QCOMPARE(chart->shownTargetShares(), projected);
    QCOMPARE(chart->handlePosition(index), handle);
    QTest::mouseRelease(viewport, Qt::LeftButton, Qt::NoModifier, at);
    QVERIFY(!chart->isDragging());
}

void TestWeightsDrag::arrowKeysStepTheSelectedBar()
{
    m_window->weightController()->setConfirmThreshold(1.0);
    WeightsChartView *chart = m_window->weightsChart();
    const int index = int(chart->servers().indexOf(QStringLiteral("app3")));
    // A click on the bar (below the handle) selects without dragging.
    const QPoint onBar = chart->positionFor(index, chart->shownTargetShares()[index] / 4);
    QTest::mouseClick(chart->viewport(), Qt::LeftButton, Qt::NoModifier, onBar);
    QCOMPARE(chart->selectedServer(), QStringLiteral("app3"));
    QVERIFY(!chart->isDragging());
    const auto before = engineServers();
    QTest::keyClick(chart, Qt::Key_Up);
    QTRY_COMPARE(engineWeight(QStringLiteral("app3")), 55);   // +10 % of 50
    // The menu says what Undo will undo, once: "Undo weight of app3: 50 → 55".
    QAction *undoAction = m_window->findChild<QAction *>(QStringLiteral("undoAction"));
    QVERIFY(undoAction);
    QCOMPARE(undoAction->text().remove(u'&'), QStringLiteral("Undo weight of app3: 50 → 55"));
    QTest::keyClick(chart, Qt::Key_Down, Qt::ShiftModifier);
    QTRY_COMPARE(engineWeight(QStringLiteral("app3")), 54);   // fine step
    QTest::keyClick(chart, Qt::Key_Right);
    QCOMPARE(chart->selectedServer(), QStringLiteral("app4"));
    auto expected = before;
    expected[QStringLiteral("app3")].first = 54;
    QCOMPARE(engineServers(), expected);
    m_window->weightController()->undoStack()->undo();
    m_window->weightController()->undoStack()->undo();
    QTRY_COMPARE(engineServers(), before);
}

void TestWeightsDrag::typingInTheTableSetsTheWeight()
{
    m_window->weightController()->setConfirmThreshold(1.0);
    m_window->showView(MainWindow::Servers);
    QSortFilterProxyModel *proxy = m_window->serverProxy();
    QTRY_COMPARE(proxy->rowCount(), 6);
    const int sourceRow = m_window->serverModel()->rowOf(QStringLiteral("checkout/app4"));
    const QModelIndex cell = proxy->mapFromSource(m_window->serverModel()->index(sourceRow, ServerTableModel::Weight));
    QTableView *table = m_window->serversView();
    table->setFocus();
    table->setCurrentIndex(cell);
    table->edit(cell);
    QWidget *editor = QApplication::focusWidget();
    QVERIFY(editor && editor != table);
    // The editor takes only the engine's range and says it.
    auto *spin = qobject_cast<QSpinBox *>(editor);
    QVERIFY(spin);
    QCOMPARE(spin->minimum(), 0);
    QCOMPARE(spin->maximum(), kMaxWeight);
    QVERIFY2(spin->toolTip().contains(u"0–10000"), qPrintable(spin->toolTip()));
    QTest::keyClick(editor, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClicks(editor, QStringLiteral("250"));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_COMPARE(engineWeight(QStringLiteral("app4")), 250);
    // Out of range is refused by the model; nothing is sent.
    QVERIFY(!proxy->setData(cell, 20000));
    waitForFreshSnapshot();
    QCOMPARE(engineWeight(QStringLiteral("app4")), 250);
}

void TestWeightsDrag::aHandleStopsAtThePlotsTop()
{
    m_window->weightController()->setConfirmThreshold(1.0);
    WeightsChartView *chart = m_window->weightsChart();
    const int index = int(chart->servers().indexOf(QStringLiteral("app6")));
    QWidget *viewport = chart->viewport();
    const QRectF plot = chart->chart()->plotArea();
    QTest::mousePress(viewport, Qt::LeftButton, Qt::NoModifier, chart->handlePosition(index));
    QVERIFY(chart->isDragging());
    // Far above the chart, into the title: the share follows (the title says it), the handle
    // is drawn on the plot's top edge.
    QTest::mouseMove(viewport, QPoint(chart->handlePosition(index).x(), 2));
    QVERIFY(chart->handlePosition(index).y() < chart->drawnHandlePosition(index).y());
    const QPointF handle = chart->mapToScene(chart->drawnHandlePosition(index));
    QVERIFY2(handle.y() >= chart->chart()->mapToScene(plot.topLeft()).y() - 1,
             qPrintable(QStringLiteral("handle at y %1, plot top %2").arg(handle.y()).arg(chart->chart()->mapToScene(plot.topLeft()).y())));
    QTest::mouseRelease(viewport, Qt::LeftButton, Qt::NoModifier, QPoint(chart->handlePosition(index).x(), 2));
    QTRY_VERIFY(engineWeight(QStringLiteral("app6")) > 25);
}

QTEST_MAIN(TestWeightsDrag)
#include "tst_weightsdrag.moc"
