#include "haproxy/haproxyenginelink.h"
#include "haproxyserver.h"
#include "isolatedpaths.h"
#include "mainwindow.h"
#include "servertablemodel.h"
#include "weightcontroller.h"
#include "weightschartview.h"

#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace fulcrum::ui;

// The console over a real haproxy: dragging a weight handle changes haproxy's weight (read
// back with `show stat` on haproxy's own socket), on haproxy's 0–256 scale.
class TestHaproxyWeights : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void dragChangesHaproxysWeight();
    void dragStopsAtHaproxysTopWeight();
    void tableAndNoteUseHaproxysScale();

private:
    int haproxyWeight(const QString &server) const;
    void drag(const QString &server, double share);

    std::unique_ptr<HaproxyServer> m_haproxy;
    std::unique_ptr<HaproxyEngineLink> m_link;
    std::unique_ptr<MainWindow> m_window;
};

void TestHaproxyWeights::initTestCase()
{
    useIsolatedStandardPaths();
}

void TestHaproxyWeights::init()
{
    m_haproxy = std::make_unique<HaproxyServer>();
    QString error;
    QVERIFY2(m_haproxy->start(&error), qPrintable(error));
    m_link = std::make_unique<HaproxyEngineLink>(*RuntimeAddress::parse(m_haproxy->adminSocket(), &error), 250);
    m_window = std::make_unique<MainWindow>(m_link.get());
    m_window->resize(1200, 800);
    m_window->showView(MainWindow::Weights);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->weightController()->setConfirmThreshold(1.0);
    QTRY_COMPARE(m_window->weightsChart()->servers().size(), 3);
    // All three up (checks passed), so each has a share to drag.
    QTRY_VERIFY(std::abs(m_window->weightsChart()->shownTargetShares().value(2) - 0.2) < 0.001);
}

void TestHaproxyWeights::cleanup()
{
    m_window.reset();
    m_link.reset();
    m_haproxy.reset();
}

int TestHaproxyWeights::haproxyWeight(const QString &server) const
{
    return m_haproxy->serverField(server, QStringLiteral("uweight")).toInt();
}

void TestHaproxyWeights::drag(const QString &server, double share)
{
    WeightsChartView *chart = m_window->weightsChart();
    const int index = int(chart->servers().indexOf(server));
    QVERIFY(index >= 0);
    QWidget *viewport = chart->viewport();
    QTest::mousePress(viewport, Qt::LeftButton, Qt::NoModifier, chart->handlePosition(index));
    QVERIFY(chart->isDragging());
    const QPoint end = chart->positionFor(index, share);
    QTest::mouseMove(viewport, chart->positionFor(index, (share + chart->shownTargetShares()[index]) / 2));
    QTest::mouseMove(viewport, end);
    QTest::mouseRelease(viewport, Qt::LeftButton, Qt::NoModifier, end);
    QVERIFY(!chart->isDragging());
}

void TestHaproxyWeights::dragChangesHaproxysWeight()
{
    // app1 from 40 % (100 of 250) down to about 20 %: w / (w + 150) = 0.2 → w ≈ 38.
    drag(QStringLiteral("app1"), 0.20);
    QTRY_VERIFY(haproxyWeight(QStringLiteral("app1")) != 100);
    const int applied = haproxyWeight(QStringLiteral("app1"));
    // Near 38, on a round step of this pool's weights (100, 100, 50: steps of 5).
    QVERIFY2(std::abs(applied - 38) <= 5 && applied % 5 == 0, qPrintable(QString::number(applied)));
    QCOMPARE(haproxyWeight(QStringLiteral("app2")), 100);
    QCOMPARE(haproxyWeight(QStringLiteral("app3")), 50);
    // The console reads the new weight back from haproxy.
    QTRY_COMPARE(m_window->weightController()->snapshot().servers.value(0).weight, applied);
    // Undo sets haproxy's weight back.
    m_window->weightController()->undoStack()->undo();
    QTRY_COMPARE(haproxyWeight(QStringLiteral("app1")), 100);
}

void TestHaproxyWeights::dragStopsAtHaproxysTopWeight()
{
    // 90 % for app3 would need weight 1800 next to 200; haproxy takes at most 256.
    drag(QStringLiteral("app3"), 0.90);
    QTRY_COMPARE(haproxyWeight(QStringLiteral("app3")), 256);
    QCOMPARE(haproxyWeight(QStringLiteral("app1")), 100);
}

void TestHaproxyWeights::tableAndNoteUseHaproxysScale()
{
    auto *note = m_window->findChild<QLabel *>(QStringLiteral("weightNote"));
    QVERIFY(note);
    QVERIFY2(note->text().contains(QStringLiteral("0–256")), qPrintable(note->text()));
    m_window->showView(MainWindow::Servers);
    QSortFilterProxyModel *proxy = m_window->serverProxy();
    QTRY_COMPARE(proxy->rowCount(), 3);
    const int row = m_window->serverModel()->rowOf(QStringLiteral("checkout/app2"));
    const QModelIndex cell = proxy->mapFromSource(m_window->serverModel()->index(row, ServerTableModel::Weight));
    QVERIFY(cell.data(Qt::ToolTipRole).toString().contains(QStringLiteral("0–256")));
    // Past haproxy's top the model refuses; within it the weight reaches haproxy.
    QVERIFY(!proxy->setData(cell, 300));
    QVERIFY(proxy->setData(cell, 200));
    QTRY_COMPARE(haproxyWeight(QStringLiteral("app2")), 200);
}

QTEST_MAIN(TestHaproxyWeights)
#include "tst_haproxyweights.moc"
