// One click must not take a pool out of service unasked. Against the in-process engine (the
// real Pool behind the link is what the assertions read), through the real Drain and
// Maintenance shortcuts, the Servers table's weight editor and the question dialog itself.
#include "engine/inprocessenginelink.h"
#include "eventmodel.h"
#include "liveloadview.h"
#include "poolstrip.h"
#include "pooltotals.h"
#include "enginepool.h"
#include "isolatedpaths.h"
#include "mainwindow.h"
#include "servertablemodel.h"
#include "weightcontroller.h"
#include "weightschartview.h"

#include <QApplication>
#include <QBrush>
#include <QFont>
#include <QHeaderView>
#include <QLocale>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QSortFilterProxyModel>
#include <QScrollBar>
#include <QTableView>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

class TestPoolGuard : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void selectAllMaintenanceAsksFirst();
    void drainingMostOfThePoolAsks();
    void weightZeroOnTheLastServerAsks();
    void aSmallDrainDoesNotAsk();
    void poolSummaries();
    void fiveXxInSightAt1024();
    void liveLoadSaysItShowsTheSelection();
    void poolTotalsUnderTheServers();

private:
    QMap<QString, std::pair<int, BackendState>> engineServers() const;
    QList<BackendState> consoleStates() const;
    BackendState consoleState(const QString &server) const;
    void waitForFreshSnapshot();
    void selectInServers(const QStringList &names);
    // Answers the next capacity question with Apply or Cancel and keeps its text.
    void answerNextQuestion(bool apply);
    // The Server menu's action, as the toolbar and the context menu trigger it.
    void trigger(const char *action);

    std::unique_ptr<InProcessEngineLink> m_link;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_questions;
    QList<QPointer<QTimer>> m_answers;     // pending answers, stopped at the end of each case
};

void TestPoolGuard::initTestCase()
{
    fulcrum::test::useIsolatedStandardPaths();
}

void TestPoolGuard::init()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;   // all six up, nothing but the test changes the pool
    m_link = std::make_unique<InProcessEngineLink>(options);
    m_window = std::make_unique<MainWindow>(m_link.get());
    m_window->resize(1200, 800);
    m_window->showView(MainWindow::Servers);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_questions.clear();
    m_window->weightController()->setConfirmThreshold(1.0);    // only the capacity question in these cases
    QTRY_COMPARE(m_window->serverProxy()->rowCount(), 6);
    // Every server up and serving, as the console shows it, before the case starts.
    QTRY_COMPARE(consoleStates().count(BackendState::Up), 6);
}

void TestPoolGuard::cleanup()
{
    for (const QPointer<QTimer> &answer : std::as_const(m_answers))
        delete answer.data();
    m_answers.clear();
    m_window.reset();
    m_link.reset();
}

QMap<QString, std::pair<int, BackendState>> TestPoolGuard::engineServers() const
{
    return fulcrum::test::enginePool(*m_link);
}

QList<BackendState> TestPoolGuard::consoleStates() const
{
    QList<BackendState> states;
    for (int row = 0; row < m_window->serverModel()->rowCount(); ++row)
        states.append(m_window->serverModel()->serverAt(row)->state);
    return states;
}

BackendState TestPoolGuard::consoleState(const QString &server) const
{
    return m_window->serverModel()->serverAt(m_window->serverModel()->rowOf(QStringLiteral("checkout/") + server))->state;
}

void TestPoolGuard::waitForFreshSnapshot()
{
    QSignalSpy spy(m_link.get(), &EngineLink::snapshotReady);
    QTRY_VERIFY(spy.size() >= 2);
}

void TestPoolGuard::selectInServers(const QStringList &names)
{
    QTableView *table = m_window->serversView();
    table->setFocus();
    table->clearSelection();
    for (const QString &name : names) {
        const int row = m_window->serverModel()->rowOf(QStringLiteral("checkout/") + name);
        const QModelIndex index = m_window->serverProxy()->mapFromSource(m_window->serverModel()->index(row, 0));
        table->selectionModel()->select(index, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
}

void TestPoolGuard::answerNextQuestion(bool apply)
{
    // The dialog runs its own event loop: answer it from a timer once it is up.
    auto *poll = new QTimer(this);
    m_answers.append(poll);
    poll->setInterval(20);
    connect(poll, &QTimer::timeout, this, [this, poll, apply] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box || box->objectName() != u"capacityQuestion")
            return;
        poll->deleteLater();
        m_questions.append(box->text());
        QCOMPARE(box->icon(), QMessageBox::Warning);
        QCOMPARE(box->defaultButton(), box->button(QMessageBox::Cancel));
        box->button(apply ? QMessageBox::Apply : QMessageBox::Cancel)->click();
    });
    poll->start();
}

void TestPoolGuard::trigger(const char *action)
{
    QAction *found = m_window->findChild<QAction *>(QString::fromLatin1(action));
    QVERIFY2(found && found->isEnabled(), action);
    found->trigger();
}

void TestPoolGuard::selectAllMaintenanceAsksFirst()
{
    const auto before = engineServers();
    QTableView *table = m_window->serversView();
    table->setFocus();
    QTest::keyClick(table, Qt::Key_A, Qt::ControlModifier);
    QCOMPARE(table->selectionModel()->selectedRows().size(), 6);

    // Cancel: the question says what it means, and nothing reaches the engine.
    answerNextQuestion(false);
    QTest::keyClick(table, Qt::Key_M, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE(m_questions.size(), 1);
    QVERIFY2(m_questions.first().contains(u"checkout will answer 503 to every request") && m_questions.first().contains(u"its servers (6)"),
             qPrintable(m_questions.first()));
    QVERIFY2(m_questions.first().contains(u"app1") && m_questions.first().contains(u"app6"), qPrintable(m_questions.first()));
    waitForFreshSnapshot();
    QCOMPARE(engineServers(), before);

    // Apply (from the Server menu this time): the operator said yes, all six go to maintenance.
    answerNextQuestion(true);
    trigger("maintenanceAction");
    QTRY_COMPARE(m_questions.size(), 2);
    const auto allInMaintenance = [this] {
        const auto servers = engineServers();
        return std::all_of(servers.cbegin(), servers.cend(), [](const std::pair<int, BackendState> &s) { return s.second == BackendState::Maint; });
    };
    QTRY_VERIFY(allInMaintenance());
    m_window->showView(MainWindow::Weights);
    QTRY_VERIFY2(m_window->weightsChart()->chart()->title().contains(u"checkout cannot serve"), qPrintable(m_window->weightsChart()->chart()->title()));
    QTRY_COMPARE(m_window->weightsChart()->stateShown(0), QStringLiteral("MAINT"));
    m_window->showView(MainWindow::Servers);

    // The console does not look calm: the Events view has the pool's outage, red, bold, on the pool.
    EventModel *events = m_window->eventModel();
    const auto outageRow = [events] {
        for (int row = 0; row < events->rowCount(); ++row) {
            if (events->data(events->index(row, EventModel::Kind)).toString() == u"POOL OUTAGE")
                return row;
        }
        return -1;
    };
    QTRY_VERIFY(outageRow() >= 0);
    const int row = outageRow();
    QCOMPARE(events->data(events->index(row, EventModel::Target)).toString(), QStringLiteral("checkout"));
    QVERIFY2(events->data(events->index(row, EventModel::Change)).toString().contains(u"serving → NO SERVER"),
             qPrintable(events->data(events->index(row, EventModel::Change)).toString()));
    QVERIFY2(events->data(events->index(row, EventModel::Detail)).toString().contains(u"no server of 6 takes traffic (6 in maintenance)"),
             qPrintable(events->data(events->index(row, EventModel::Detail)).toString()));
    QCOMPARE(events->data(events->index(row, EventModel::Kind), Qt::ForegroundRole).value<QBrush>().color(), QColor(0xd6, 0x27, 0x28));
    QVERIFY(events->data(events->index(row, EventModel::Kind), Qt::FontRole).value<QFont>().bold());

    // The strip above every view turns red and says it, with the 503s the balancer answers
    // itself (the demo's load keeps coming), and its 5xx share counts them: all of it.
    QLabel *chip = m_window->poolStrip()->chip(QStringLiteral("checkout"));
    QVERIFY(chip && chip->isVisible());
    QTRY_VERIFY(chip->property("cannotServe").toBool());
    QTRY_VERIFY2(chip->text().contains(u"NO SERVER: 0/6 up") && chip->text().contains(u"503 to every request ("), qPrintable(chip->text()));
    QVERIFY(chip->styleSheet().contains(u"#c62828"));
    // The pool's totals row under the Servers table says the same, red.
    PoolTotalsModel *totals = m_window->poolTotals();
    QTRY_COMPARE(totals->data(totals->index(0, ServerTableModel::State)).toString(), QStringLiteral("NO SERVER (0/6 up)"));
    QCOMPARE(totals->data(totals->index(0, ServerTableModel::Reason)).toString(), QStringLiteral("503 to every request"));
    QCOMPARE(totals->data(totals->index(0, ServerTableModel::Name), Qt::BackgroundRole).value<QBrush>().color().red(), 0xd6);
    QTRY_VERIFY(([this] {
        const QList<PoolSummary> pools = summarizePools(m_window->weightController()->snapshot());
        return pools.size() == 1 && pools.first().unservedPerSecond > 0 && pools.first().errorShare > 0.99;
    }()));
    // Back to serving: the chip is calm again.
    selectInServers({QStringLiteral("app1")});
    trigger("readyAction");
    QTRY_VERIFY_WITH_TIMEOUT(!chip->property("cannotServe").toBool(), 10'000);
    QTRY_VERIFY2(chip->text().startsWith(u"checkout · ") && chip->text().contains(u"/6 up"), qPrintable(chip->text()));
}

void TestPoolGuard::drainingMostOfThePoolAsks()
{
    // app1..app4 (350 of 475) drained: app5 and app6 keep 26.3 % of the pool, under 50 %.
    const auto before = engineServers();
    selectInServers({QStringLiteral("app1"), QStringLiteral("app2"), QStringLiteral("app3"), QStringLiteral("app4")});
    answerNextQuestion(false);
    QTest::keyClick(m_window->serversView(), Qt::Key_D, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE(m_questions.size(), 1);
    QVERIFY2(m_questions.first().contains(u"checkout would keep 2 of 6 servers taking traffic, 26.3 %"), qPrintable(m_questions.first()));
    waitForFreshSnapshot();
    QCOMPARE(engineServers(), before);
    // Settings at 20 %: the same drain goes through without a question.
    m_window->weightController()->setCapacityGuard(0.2);
    trigger("drainAction");
    QTRY_COMPARE(engineServers().value(QStringLiteral("app4")).second, BackendState::Drain);
    QCOMPARE(engineServers().value(QStringLiteral("app1")).second, BackendState::Drain);
    QCOMPARE(m_questions.size(), 1);

    // The Weights chart draws a drained server as such: hatched, its state written, no handle
    // to drag (a press where the handle was does not start a drag).
    m_window->showView(MainWindow::Weights);
    WeightsChartView *chart = m_window->weightsChart();
    const int app1 = int(chart->servers().indexOf(QStringLiteral("app1")));
    const int app5 = int(chart->servers().indexOf(QStringLiteral("app5")));
    QTRY_COMPARE(chart->stateShown(app1), QStringLiteral("DRAIN"));
    QVERIFY(!chart->hasHandle(app1));
    QVERIFY(chart->hasHandle(app5) && chart->stateShown(app5).isEmpty());
    QTest::mousePress(chart->viewport(), Qt::LeftButton, Qt::NoModifier, chart->positionFor(app1, 0.0));
    QVERIFY(!chart->isDragging());
    QTest::mouseRelease(chart->viewport(), Qt::LeftButton, Qt::NoModifier, chart->positionFor(app1, 0.3));
    waitForFreshSnapshot();
    QCOMPARE(engineServers().value(QStringLiteral("app1")).first, 100);

    // The Servers table: the drained rows tinted amber as whole rows, app5 not; the address
    // as a column; no "0.0 ms" for a server without traffic.
    ServerTableModel *model = m_window->serverModel();
    const int drained = model->rowOf(QStringLiteral("checkout/app1"));
    const int serving = model->rowOf(QStringLiteral("checkout/app5"));
    QTRY_COMPARE(model->serverAt(drained)->requestsPerSecond, 0.0);
    for (int column : {int(ServerTableModel::Name), int(ServerTableModel::Weight), int(ServerTableModel::InState)})
        QCOMPARE(model->index(drained, column).data(Qt::BackgroundRole).value<QBrush>().color(), stateTint(*model->serverAt(drained)));
    QVERIFY(stateTint(*model->serverAt(drained)).isValid());
    QVERIFY(!model->index(serving, ServerTableModel::Name).data(Qt::BackgroundRole).isValid());
    QCOMPARE(model->index(drained, ServerTableModel::Address).data().toString(), model->serverAt(drained)->address);
    QVERIFY(model->serverAt(drained)->address.startsWith(u"127.0.0.1:"));
    QCOMPARE(model->index(drained, ServerTableModel::P95).data().toString(), QString());
    QTRY_VERIFY(model->index(serving, ServerTableModel::P95).data().toString().endsWith(u" ms"));
}

void TestPoolGuard::weightZeroOnTheLastServerAsks()
{
    // Guard at 0 %: five servers to maintenance go through unasked, since app6 still serves.
    m_window->weightController()->setCapacityGuard(0.0);
    selectInServers({QStringLiteral("app1"), QStringLiteral("app2"), QStringLiteral("app3"), QStringLiteral("app4"), QStringLiteral("app5")});
    QTest::keyClick(m_window->serversView(), Qt::Key_M, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE(engineServers().value(QStringLiteral("app5")).second, BackendState::Maint);
    QTRY_COMPARE(consoleState(QStringLiteral("app5")), BackendState::Maint);
    QTRY_COMPARE(consoleState(QStringLiteral("app1")), BackendState::Maint);
    QVERIFY(m_questions.isEmpty());

    // Typing 0 for app6 in the table: the pool would have nothing; Cancel keeps its weight.
    QSortFilterProxyModel *proxy = m_window->serverProxy();
    const QModelIndex cell = proxy->mapFromSource(m_window->serverModel()->index(m_window->serverModel()->rowOf(QStringLiteral("checkout/app6")),
                                                                                 ServerTableModel::Weight));
    answerNextQuestion(false);
    proxy->setData(cell, 0);
    QTRY_COMPARE(m_questions.size(), 1);
    QVERIFY2(m_questions.last().contains(u"checkout will answer 503 to every request") && m_questions.last().contains(u"app6"),
             qPrintable(m_questions.last()));
    waitForFreshSnapshot();
    QCOMPARE(engineServers().value(QStringLiteral("app6")).first, 25);
}

void TestPoolGuard::aSmallDrainDoesNotAsk()
{
    selectInServers({QStringLiteral("app3")});
    QTest::keyClick(m_window->serversView(), Qt::Key_D, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE(engineServers().value(QStringLiteral("app3")).second, BackendState::Drain);
    QVERIFY(m_questions.isEmpty());
    // The status bar says it in the table's words: from "up" (not the admin state "ready").
    QTRY_COMPARE(m_window->statusBar()->currentMessage(), QStringLiteral("checkout/app3: up → drain"));
}

void TestPoolGuard::fiveXxInSightAt1024()
{
    // At 1024×640 the 5xx column is in sight without scrolling, with real figures in it.
    m_window->resize(1024, 640);
    QTRY_VERIFY(m_window->serverModel()->serverAt(0)->requestsPerSecond > 0);
    QTest::qWait(300);
    QTableView *table = m_window->serversView();
    QCOMPARE(table->horizontalScrollBar()->value(), 0);
    const int right = table->columnViewportPosition(ServerTableModel::ErrorRate) + table->columnWidth(ServerTableModel::ErrorRate);
    QVERIFY2(right <= table->viewport()->width(), qPrintable(QStringLiteral("5xx ends at %1 of %2").arg(right).arg(table->viewport()->width())));
}

void TestPoolGuard::liveLoadSaysItShowsTheSelection()
{
    // Live load follows the selection in Servers, and says so, with a way back to all.
    LiveLoadView *live = m_window->liveLoad();
    selectInServers({QStringLiteral("app2")});
    m_window->showView(MainWindow::LiveLoad);
    QTRY_VERIFY2(live->selectionNote().contains(u"1 of 6 servers: the selection in Servers"), qPrintable(live->selectionNote()));
    auto *note = live->findChild<QLabel *>(QStringLiteral("selectionNote"));
    QVERIFY(note && note->isVisible());
    Q_EMIT note->linkActivated(QStringLiteral("all"));
    QCOMPARE(m_window->serversView()->selectionModel()->selectedRows().size(), 0);
    QTRY_VERIFY(live->selectionNote().isEmpty());
}

void TestPoolGuard::poolTotalsUnderTheServers()
{
    // One row per pool under the table: the sums of the rows above it from the same snapshot.
    PoolTotalsModel *totals = m_window->poolTotals();
    QTRY_COMPARE(totals->rowCount(), 1);
    const auto trafficOnAll = [this] {
        const LinkSnapshot now = m_window->weightController()->snapshot();
        return std::all_of(now.servers.cbegin(), now.servers.cend(), [](const ServerStatus &s) { return s.requestsPerSecond > 0; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(trafficOnAll(), 10'000);
    const LinkSnapshot snapshot = m_window->weightController()->snapshot();
    double requests = 0;
    int weights = 0;
    for (const ServerStatus &s : snapshot.servers) {
        requests += s.requestsPerSecond;
        weights += s.weight;
    }
    QCOMPARE(weights, 475);
    const auto cell = [totals](int column) { return totals->data(totals->index(0, column)).toString(); };
    QTRY_COMPARE(cell(ServerTableModel::Weight), QStringLiteral("475"));
    QCOMPARE(cell(ServerTableModel::Pool), QStringLiteral("checkout"));
    QCOMPARE(cell(ServerTableModel::State), QStringLiteral("6/6 up"));
    // The model shows the figures of the snapshot the controller holds now.
    const LinkSnapshot now = m_window->weightController()->snapshot();
    double nowRequests = 0;
    for (const ServerStatus &s : now.servers)
        nowRequests += s.requestsPerSecond;
    const PoolStatus *pool = now.pool(QStringLiteral("checkout"));
    QVERIFY(pool);
    QCOMPARE(cell(ServerTableModel::RequestsPerSecond), QLocale().toString(nowRequests + pool->unservedPerSecond, 'f', 1));
    QVERIFY(requests > 0);
    QTRY_VERIFY2(cell(ServerTableModel::P95).endsWith(u" ms"), qPrintable(cell(ServerTableModel::P95)));
    QVERIFY(!totals->data(totals->index(0, ServerTableModel::Name), Qt::BackgroundRole).isValid());   // calm when serving

    // In the table's columns, whatever the operator does to them.
    QTableView *table = m_window->serversView();
    auto *view = m_window->findChild<QTableView *>(QStringLiteral("poolTotals"));
    QVERIFY(view && view->isVisible());
    const auto aligned = [table, view] {
        for (int column = 0; column < ServerTableModel::ColumnCount; ++column) {
            if (table->isColumnHidden(column) != view->isColumnHidden(column))
                return false;
            if (!table->isColumnHidden(column) && (table->columnViewportPosition(column) != view->columnViewportPosition(column)
                                                   || (column != table->horizontalHeader()->logicalIndex(ServerTableModel::ColumnCount - 1)
                                                       && table->columnWidth(column) != view->columnWidth(column))))
                return false;
        }
        return true;
    };
    QVERIFY(aligned());
    table->setColumnWidth(ServerTableModel::State, table->columnWidth(ServerTableModel::State) + 40);
    QVERIFY(aligned());
    table->horizontalHeader()->moveSection(table->horizontalHeader()->visualIndex(ServerTableModel::P95), 1);
    QVERIFY(aligned());
    table->setColumnHidden(ServerTableModel::Reason, true);
    QVERIFY(aligned());
    // Scrolled sideways together (narrow window).
    m_window->resize(700, 600);
    QTRY_VERIFY(table->horizontalScrollBar()->maximum() > 0);
    table->horizontalScrollBar()->setValue(table->horizontalScrollBar()->maximum());
    QTRY_COMPARE(view->horizontalScrollBar()->value(), table->horizontalScrollBar()->value());
    QVERIFY(aligned());
    table->setColumnHidden(ServerTableModel::Reason, false);
    table->horizontalHeader()->moveSection(1, table->horizontalHeader()->visualIndex(ServerTableModel::P95));
}

void TestPoolGuard::poolSummaries()
{
    // The strip's figures from a snapshot: the proxy's own 503s count as requests and as 5xx;
    // p95 is the worst server's with traffic; an engine that says nothing of its pools is
    // judged from its servers.
    LinkSnapshot snapshot;
    const auto add = [&snapshot](const QString &pool, const QString &name, BackendState state, int weight, double rps, double errorRate, double p95) {
        ServerStatus s;
        s.pool = pool;
        s.name = name;
        s.state = state;
        s.weight = s.effectiveWeight = weight;
        s.requestsPerSecond = rps;
        s.errorRate = errorRate;
        s.p95Ms = p95;
        snapshot.servers.append(s);
    };
    add(QStringLiteral("checkout"), QStringLiteral("a"), BackendState::Up, 10, 90, 0.1, 12);
    add(QStringLiteral("checkout"), QStringLiteral("b"), BackendState::Up, 10, 0, 0, 80);     // no traffic: its p95 is old news
    add(QStringLiteral("checkout"), QStringLiteral("c"), BackendState::Maint, 10, 0, 0, 0);
    add(QStringLiteral("search"), QStringLiteral("s1"), BackendState::Drain, 10, 0, 0, 0);
    snapshot.pools.append(PoolStatus{QStringLiteral("checkout"), false, false, true, 10});
    const QList<PoolSummary> pools = summarizePools(snapshot);
    QCOMPARE(pools.size(), 2);
    const PoolSummary &checkout = pools[0];
    QCOMPARE(checkout.up, 2);
    QCOMPARE(checkout.total, 3);
    QCOMPARE(checkout.requestsPerSecond, 100.0);
    QCOMPARE(checkout.errorShare, 0.19);          // (9 + 10) / 100
    QCOMPARE(checkout.p95Ms.value_or(-1), 12.0);
    QVERIFY(!checkout.cannotServe);
    EngineCapabilities all;
    QCOMPARE(PoolStrip::chipText(checkout, all), QStringLiteral("checkout · 2/3 up · 100 req/s · 5xx 19.0 % · p95 12.0 ms"));
    EngineCapabilities httpd;
    httpd.errorRates = httpd.percentiles = false;
    QCOMPARE(PoolStrip::chipText(checkout, httpd), QStringLiteral("checkout · 2/3 up · 100 req/s"));
    const PoolSummary &search = pools[1];
    QVERIFY(search.cannotServe);                  // judged from its servers: none up
    QVERIFY(!search.p95Ms);
    QCOMPARE(PoolStrip::chipText(search, all), QStringLiteral("search · NO SERVER: 0/1 up, none takes traffic · 503 to every request"));
}

QTEST_MAIN(TestPoolGuard)
#include "tst_poolguard.moc"
