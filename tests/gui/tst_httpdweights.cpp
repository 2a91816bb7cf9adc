// The console over a real Apache httpd: dragging a weight handle changes httpd's load factor
// (read back from httpd's own balancer-manager, and seen in httpd's traffic split), on
// httpd's 1–100 scale: a drag to the bottom stops at 1, the table refuses 0 and 101.
#include "demobackends.h"
#include "httpd/httpdenginelink.h"
#include "httpdserver.h"
#include "isolatedpaths.h"
#include "engine/multienginelink.h"
#include "mainwindow.h"
#include "savedengines.h"
#include "servertablemodel.h"
#include "settingsdialog.h"
#include "weightcontroller.h"
#include "weightschartview.h"

#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace fulcrum::ui;

class TestHttpdWeights : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void dragChangesHttpdsLoadFactor();
    void dragStopsAtHttpdsLowestLoadFactor();
    void tableAndNoteUseHttpdsScale();
    void savedInSettingsThroughTheRegistry();

private:
    double loadFactor(quint16 port) const;
    void drag(const QString &server, double share);

    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<InProcessDemoBackend> m_app2;
    std::unique_ptr<HttpdServer> m_httpd;
    std::unique_ptr<HttpdEngineLink> m_link;
    std::unique_ptr<MainWindow> m_window;
};

void TestHttpdWeights::initTestCase()
{
    useIsolatedStandardPaths();
    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    m_app2 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app2"));
}

void TestHttpdWeights::init()
{
    HttpdServer::Options options;
    options.members = {{m_app1->port(), 50, QStringLiteral("app1")}, {m_app2->port(), 50, QStringLiteral("app2")}};
    m_httpd = std::make_unique<HttpdServer>(options);
    QString error;
    QVERIFY2(m_httpd->start(&error), qPrintable(error));
    HttpdOptions link;
    link.managerUrl = *HttpdOptions::parseManagerUrl(m_httpd->managerUrl(), &error);
    link.tickMs = 250;
    m_link = std::make_unique<HttpdEngineLink>(link);
    m_window = std::make_unique<MainWindow>(m_link.get());
    m_window->resize(1200, 800);
    m_window->showView(MainWindow::Weights);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->weightController()->setConfirmThreshold(1.0);
    QTRY_COMPARE(m_window->weightsChart()->servers().size(), 2);
    QTRY_VERIFY(std::abs(m_window->weightsChart()->shownTargetShares().value(1) - 0.5) < 0.001);
}

void TestHttpdWeights::cleanup()
{
    m_window.reset();
    m_link.reset();
    m_httpd.reset();
}

double TestHttpdWeights::loadFactor(quint16 port) const
{
    // The worker's first <httpd:loadfactor> follows its <httpd:name>.
    const QString xml = QString::fromUtf8(m_httpd->managerXml());
    const QRegularExpression worker(QStringLiteral("<httpd:name>http://127\\.0\\.0\\.1:%1</httpd:name>[\\s\\S]*?<httpd:loadfactor>([0-9.]+)<").arg(port));
    const QRegularExpressionMatch match = worker.match(xml);
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

void TestHttpdWeights::drag(const QString &server, double share)
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

void TestHttpdWeights::dragChangesHttpdsLoadFactor()
{
    // app1 from 50 % down to 20 %: w / (w + 50) = 0.2 → w ≈ 12.
    drag(QStringLiteral("app1"), 0.20);
    QTRY_VERIFY(loadFactor(m_app1->port()) != 50);
    const double applied = loadFactor(m_app1->port());
    QVERIFY2(std::abs(applied - 12.5) <= 2, qPrintable(QString::number(applied)));
    QCOMPARE(loadFactor(m_app2->port()), 50.0);
    // httpd's own split follows.
    const QMap<QString, int> served = m_httpd->spread(62);
    QVERIFY2(served.value(QStringLiteral("app1")) >= 8 && served.value(QStringLiteral("app1")) <= 17,
             qPrintable(QString::number(served.value(QStringLiteral("app1")))));
    // Undo sets httpd's load factor back.
    m_window->weightController()->undoStack()->undo();
    QTRY_COMPARE(loadFactor(m_app1->port()), 50.0);
}

void TestHttpdWeights::dragStopsAtHttpdsLowestLoadFactor()
{
    // 0 % would need load factor 0; httpd's lowest is 1 (drain or disable to stop traffic).
    drag(QStringLiteral("app2"), 0.0);
    QTRY_COMPARE(loadFactor(m_app2->port()), 1.0);
    QCOMPARE(loadFactor(m_app1->port()), 50.0);
}

void TestHttpdWeights::tableAndNoteUseHttpdsScale()
{
    auto *note = m_window->findChild<QLabel *>(QStringLiteral("weightNote"));
    QVERIFY(note);
    QVERIFY2(note->text().contains(QStringLiteral("1–100")), qPrintable(note->text()));
    m_window->showView(MainWindow::Servers);
    QSortFilterProxyModel *proxy = m_window->serverProxy();
    QTRY_COMPARE(proxy->rowCount(), 2);
    const int row = m_window->serverModel()->rowOf(QStringLiteral("web/app2"));
    const QModelIndex cell = proxy->mapFromSource(m_window->serverModel()->index(row, ServerTableModel::Weight));
    QVERIFY2(cell.data(Qt::ToolTipRole).toString().contains(QStringLiteral("1–100")), qPrintable(cell.data(Qt::ToolTipRole).toString()));
    QVERIFY(!proxy->setData(cell, 0));
    QVERIFY(!proxy->setData(cell, 101));
    QVERIFY(proxy->setData(cell, 80));
    QTRY_COMPARE(loadFactor(m_app2->port()), 80.0);
}

void TestHttpdWeights::savedInSettingsThroughTheRegistry()
{
    // Settings → Engines lists the kinds from the registry; an httpd row has a password field
    // and saves as httpd:URL.
    QSettings().remove(QStringLiteral("engines/list"));
    MultiEngineLink multi;
    SettingsDialog dialog(&multi);
    dialog.addEngineRow(QStringLiteral("apache"), QStringLiteral("127.0.0.1:%1").arg(m_httpd->port()), QStringLiteral("httpd"));
    dialog.enginesTable()->setCurrentCell(0, 0);
    QVERIFY(dialog.engineTokenField()->isEnabled());
    QVERIFY2(dialog.engineTokenField()->placeholderText().contains(u"manager password"), qPrintable(dialog.engineTokenField()->placeholderText()));
    QString error;
    QVERIFY2(dialog.save(&error), qPrintable(error));
    QCOMPARE(QSettings().value(QStringLiteral("engines/list")).toStringList(),
             QStringList{QStringLiteral("apache=httpd:%1").arg(m_httpd->managerUrl())});
    const QList<EngineSetting> saved = SettingsDialog::engines();
    QCOMPARE(saved.size(), 1);
    QCOMPARE(saved[0].kind, QStringLiteral("httpd"));
    QCOMPARE(saved[0].url, m_httpd->managerUrl());

    // Opened the way the console opens saved engines: its servers, httpd's scale, no Locks
    // tab, and blank columns for what httpd does not report.
    SavedEngines engines(&multi, nullptr);
    QVERIFY2(engines.apply(saved).contains(u"Engines opened: apache."), "the httpd engine was not opened");
    MainWindow window(&multi);
    window.resize(1200, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_COMPARE_WITH_TIMEOUT(window.weightController()->snapshot().servers.size(), 2, 10'000);
    QCOMPARE(window.weightController()->minWeight(), 1);
    QCOMPARE(window.weightController()->maxWeight(), 100);
    auto *tabs = window.findChild<QTabWidget *>();
    QVERIFY(tabs);
    QVERIFY(!tabs->isTabVisible(MainWindow::Locks));
    QVERIFY(tabs->isTabVisible(MainWindow::Servers));
    // Live load draws no p95 or 5xx lines of zeros for it, and says why.
    QVERIFY(window.findChild<QWidget *>(QStringLiteral("liveChart0"))->isVisibleTo(&window));
    QVERIFY(!window.findChild<QWidget *>(QStringLiteral("liveChart1"))->isVisibleTo(&window));
    QVERIFY(!window.findChild<QWidget *>(QStringLiteral("liveChart2"))->isVisibleTo(&window));
    auto *notReported = window.findChild<QLabel *>(QStringLiteral("liveNotReported"));
    QVERIFY(notReported && notReported->isVisibleTo(&window));
    QVERIFY2(notReported->text().contains(u"p95 latency") && notReported->text().contains(u"5xx"), qPrintable(notReported->text()));
    window.showView(MainWindow::Servers);
    QTRY_COMPARE(window.serverProxy()->rowCount(), 2);
    const int row = window.serverModel()->rowOf(QStringLiteral("apache/web/app1"));
    QVERIFY(row >= 0);
    QCOMPARE(window.serverModel()->index(row, ServerTableModel::P95).data().toString(), QString());
    QCOMPARE(window.serverModel()->index(row, ServerTableModel::ErrorRate).data().toString(), QString());
    QCOMPARE(window.serverModel()->index(row, ServerTableModel::Weight).data().toInt(), 50);
    QSettings().remove(QStringLiteral("engines/list"));
}

QTEST_MAIN(TestHttpdWeights)
#include "tst_httpdweights.moc"
