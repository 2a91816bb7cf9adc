#include "engine/auditlog.h"
#include "engine/inprocessenginelink.h"
#include "eventmodel.h"
#include "isolatedpaths.h"
#include "liveloadview.h"
#include "mainwindow.h"
#include "servercolors.h"
#include "servertablemodel.h"
#include "weightcontroller.h"
#include "weightschartview.h"

#include <QChart>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

// The views follow the engine's snapshots in place: no model reset, selection and current
// row survive figures changing, sorting moving rows, servers coming and going.
class TestConsoleModels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void serverSelectionSurvivesLiveSnapshots();
    void serverSelectionSurvivesServersComingAndGoing();
    void serversSortAsPeopleCount();
    void selectedRowKeepsItsColour();
    void drainedServerSaysWhenItIsEmpty();
    void stateChangesBecomeEventsAndMarkers();
    void eventsStayNewestFirstAcrossEngines();
    void liveSeriesAreBounded();
    void columnChoicesAndViewPersist();
    void chartsFollowThePalette();
    void weightsChartSwitchesPools();
};

void TestConsoleModels::initTestCase()
{
    fulcrum::test::useIsolatedStandardPaths();
}

void TestConsoleModels::serverSelectionSurvivesLiveSnapshots()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.showView(MainWindow::Servers);
    window.show();
    QTableView *table = window.serversView();
    QTRY_COMPARE(table->model()->rowCount(), 6);
    // Sorted by requests/s: rows move in the proxy as traffic shifts between ticks.
    table->sortByColumn(ServerTableModel::RequestsPerSecond, Qt::DescendingOrder);
    const int sourceRow = window.serverModel()->rowOf(QStringLiteral("checkout/app3"));
    table->selectRow(window.serverProxy()->mapFromSource(window.serverModel()->index(sourceRow, 0)).row());
    QSignalSpy resets(window.serverModel(), &QAbstractItemModel::modelReset);
    QSignalSpy changes(window.serverModel(), &QAbstractItemModel::dataChanged);
    QSignalSpy selectionChanges(table->selectionModel(), &QItemSelectionModel::selectionChanged);
    QSignalSpy snapshots(&link, &EngineLink::snapshotReady);
    QTRY_VERIFY(snapshots.size() >= 6);
    QCOMPARE(resets.size(), 0);
    QVERIFY(changes.size() >= 5);
    QCOMPARE(selectionChanges.size(), 0);
    const QModelIndexList selected = table->selectionModel()->selectedRows();
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().data(ServerTableModel::KeyRole).toString(), QStringLiteral("checkout/app3"));
    QCOMPARE(table->currentIndex().data(ServerTableModel::KeyRole).toString(), QStringLiteral("checkout/app3"));
}

void TestConsoleModels::serverSelectionSurvivesServersComingAndGoing()
{
    ServerTableModel model;
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(ServerTableModel::SortRole);
    proxy.sort(ServerTableModel::Name);
    QTableView table;
    table.setModel(&proxy);
    table.setSelectionBehavior(QAbstractItemView::SelectRows);

    auto snapshotOf = [](const QStringList &names, double rps) {
        LinkSnapshot snapshot;
        snapshot.time = QDateTime::currentDateTimeUtc();
        for (const QString &name : names) {
            ServerStatus server;
            server.pool = QStringLiteral("p");
            server.name = name;
            server.requestsPerSecond = rps;
            snapshot.servers.append(server);
        }
        return snapshot;
    };
    model.updateFromSnapshot(snapshotOf({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d")}, 1));
    table.selectRow(2);   // "c"
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    // "a" goes, "e" and "0" come, figures change.
    model.updateFromSnapshot(snapshotOf({QStringLiteral("0"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d"), QStringLiteral("e")}, 2));
    QCOMPARE(resets.size(), 0);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(model.rowCount(), 5);
    const QModelIndexList selected = table.selectionModel()->selectedRows();
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().data(ServerTableModel::KeyRole).toString(), QStringLiteral("p/c"));
    QCOMPARE(selected.first().siblingAtColumn(ServerTableModel::RequestsPerSecond).data(ServerTableModel::SortRole).toDouble(), 2.0);
    // The selected server itself goes: the selection empties, nothing else is selected.
    model.updateFromSnapshot(snapshotOf({QStringLiteral("0"), QStringLiteral("b"), QStringLiteral("d")}, 3));
    QVERIFY(table.selectionModel()->selectedRows().isEmpty());
    QCOMPARE(resets.size(), 0);
}

void TestConsoleModels::serversSortAsPeopleCount()
{
    // app2 before app10, 10.0.0.9 before 10.0.0.10: sorting by name as text put app10 to
    // app12 between app1 and app2.
    ServerTableModel model;
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(ServerTableModel::SortRole);
    LinkSnapshot snapshot;
    snapshot.time = QDateTime::currentDateTimeUtc();
    const QStringList names{QStringLiteral("app10"), QStringLiteral("app2"), QStringLiteral("App3"), QStringLiteral("app1"), QStringLiteral("app12"),
                            QStringLiteral("app02b"), QStringLiteral("app100"), QStringLiteral("db")};
    for (int i = 0; i < names.size(); ++i) {
        ServerStatus server;
        server.pool = QStringLiteral("p");
        server.name = names[i];
        server.address = QStringLiteral("10.0.0.%1:80").arg(i == 0 ? 10 : 9 - i);
        snapshot.servers.append(server);
    }
    model.updateFromSnapshot(snapshot);
    auto column = [&](int which) {
        QStringList out;
        for (int row = 0; row < proxy.rowCount(); ++row)
            out.append(proxy.index(row, which).data().toString());
        return out;
    };
    proxy.sort(ServerTableModel::Name);
    QCOMPARE(column(ServerTableModel::Name), (QStringList{QStringLiteral("app1"), QStringLiteral("app2"), QStringLiteral("app02b"), QStringLiteral("App3"),
                                                          QStringLiteral("app10"), QStringLiteral("app12"), QStringLiteral("app100"), QStringLiteral("db")}));
    proxy.sort(ServerTableModel::Address, Qt::DescendingOrder);
    QCOMPARE(column(ServerTableModel::Address).first(), QStringLiteral("10.0.0.10:80"));
    QCOMPARE(column(ServerTableModel::Address).last(), QStringLiteral("10.0.0.2:80"));
    QCOMPARE(naturalSortKey(QStringLiteral("a007")), naturalSortKey(QStringLiteral("A7")));
}

namespace {
struct ProbeDelegate : ServerTableDelegate
{
    using ServerTableDelegate::ServerTableDelegate;
    using ServerTableDelegate::initStyleOption;
};

// A server of pool "checkout" in a snapshot taken now.
ServerStatus checkoutServer(const QString &name)
{
    ServerStatus server;
    server.pool = QStringLiteral("checkout");
    server.name = name;
    return server;
}
} // namespace

void TestConsoleModels::selectedRowKeepsItsColour()
{
    // The swatch ties a row to its line in the charts: in a selected row it keeps the line's
    // colour (Qt's selected icon was tinted with the highlight: app1's yellow read olive).
    ServerTableModel model;
    LinkSnapshot snapshot;
    snapshot.time = QDateTime::currentDateTimeUtc();
    snapshot.servers.append(checkoutServer(QStringLiteral("app1")));
    model.updateFromSnapshot(snapshot);
    QTableView table;
    table.setModel(&model);
    ProbeDelegate delegate(nullptr, &table);
    QStyleOptionViewItem option;
    option.initFrom(&table);
    option.state |= QStyle::State_Selected;
    option.decorationSize = QSize(16, 16);
    const QModelIndex index = model.index(0, ServerTableModel::Name);
    delegate.initStyleOption(&option, index);
    const QColor colour = serverColor(QStringLiteral("checkout/app1"));
    for (QIcon::Mode mode : {QIcon::Normal, QIcon::Selected}) {
        const QImage image = option.icon.pixmap(QSize(16, 16), mode).toImage();
        QCOMPARE(image.pixelColor(8, 8), colour);
    }
}

// A drained server's Reason counts down what it still serves and says when it is empty (it said
// "operator" throughout, and the operator had to read Active to know when to stop it).
void TestConsoleModels::drainedServerSaysWhenItIsEmpty()
{
    ServerTableModel model;
    LinkSnapshot snapshot;
    snapshot.time = QDateTime::currentDateTimeUtc();
    ServerStatus drained = checkoutServer(QStringLiteral("app1"));
    drained.state = BackendState::Drain;
    drained.reason = QStringLiteral("operator");
    drained.activeConnections = 3;
    snapshot.servers.append(drained);
    ServerStatus serving = checkoutServer(QStringLiteral("app2"));
    serving.reason = QStringLiteral("L7OK in 4ms");
    snapshot.servers.append(serving);
    model.updateFromSnapshot(snapshot);
    const int row = model.rowOf(QStringLiteral("checkout/app1"));
    QCOMPARE(model.index(row, ServerTableModel::Reason).data().toString(), QStringLiteral("draining, 3 left"));
    QCOMPARE(model.index(model.rowOf(QStringLiteral("checkout/app2")), ServerTableModel::Reason).data().toString(), QStringLiteral("L7OK in 4ms"));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    snapshot.servers[0].activeConnections = 0;
    model.updateFromSnapshot(snapshot);
    QCOMPARE(model.index(row, ServerTableModel::Reason).data().toString(), QStringLiteral("drained, empty"));
    QCOMPARE(model.index(row, ServerTableModel::Reason).data(Qt::ToolTipRole).toString(), QStringLiteral("Drained: nothing in flight, safe to stop it"));
    const bool reasonRepainted = std::any_of(changed.cbegin(), changed.cend(), [&](const QList<QVariant> &args) {
        const QModelIndex from = args.at(0).toModelIndex();
        const QModelIndex to = args.at(1).toModelIndex();
        return from.row() <= row && row <= to.row() && from.column() <= ServerTableModel::Reason && ServerTableModel::Reason <= to.column();
    });
    QVERIFY(reasonRepainted);
}

void TestConsoleModels::stateChangesBecomeEventsAndMarkers()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.show();
    QTRY_COMPARE(window.serverModel()->rowCount(), 6);
    window.eventsView()->selectRow(0);
    link.setState(QStringLiteral("checkout"), QStringLiteral("app2"), BackendState::Drain);
    QTRY_COMPARE(window.eventModel()->rowCount(), 1);
    window.eventsView()->selectRow(0);
    link.setState(QStringLiteral("checkout"), QStringLiteral("app2"), BackendState::Up);
    QTRY_COMPARE(window.eventModel()->rowCount(), 2);
    // Newest first; the selected (older) event stays selected as the new one lands above it.
    const LinkEvent &newest = window.eventModel()->eventAt(0);
    QCOMPARE(newest.kind, LinkEvent::Kind::Operator);
    QCOMPARE(newest.target, QStringLiteral("checkout/app2"));
    QCOMPARE(newest.before, QStringLiteral("drain"));
    QCOMPARE(newest.after, QStringLiteral("ready"));
    const QModelIndexList selected = window.eventsView()->selectionModel()->selectedRows();
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().row(), 1);
    QCOMPARE(window.liveLoad()->markerCount(), 2);
    // The audit log has both, with who and before → after.
    const QList<AuditEntry> audit = link.auditLog()->recent();
    QCOMPARE(audit.size(), 2);
    QCOMPARE(audit.last().after, QStringLiteral("ready"));
    QCOMPARE(audit.last().user, AuditLog::currentOsUser());
}

// A second engine's history arrives after the first engine's live events: the list must still
// read newest first, and a selected event stays selected.
void TestConsoleModels::eventsStayNewestFirstAcrossEngines()
{
    EventModel model;
    const QDateTime t0 = QDateTime::currentDateTimeUtc();
    auto event = [&](int second, const QString &target) {
        LinkEvent e;
        e.time = t0.addSecs(second);
        e.kind = LinkEvent::Kind::Operator;
        e.target = target;
        e.what = QStringLiteral("set-weight");
        return e;
    };
    model.addEvents({event(10, QStringLiteral("east/a")), event(20, QStringLiteral("east/b"))});
    QItemSelectionModel selection(&model);
    selection.setCurrentIndex(model.index(1, 0), QItemSelectionModel::SelectCurrent | QItemSelectionModel::Rows);
    QCOMPARE(model.eventAt(selection.currentIndex().row()).target, QStringLiteral("east/a"));

    // West connects: its history (5 s, 15 s, 25 s) comes in one batch, oldest first.
    model.addEvents({event(5, QStringLiteral("west/a")), event(15, QStringLiteral("west/b")), event(25, QStringLiteral("west/c"))});
    QStringList order;
    for (int row = 0; row < model.rowCount(); ++row)
        order.append(model.eventAt(row).target);
    QCOMPARE(order, (QStringList{QStringLiteral("west/c"), QStringLiteral("east/b"), QStringLiteral("west/b"),
                                 QStringLiteral("east/a"), QStringLiteral("west/a")}));
    QCOMPARE(model.eventAt(selection.currentIndex().row()).target, QStringLiteral("east/a"));

    // Live events after that still go on top.
    model.addEvents({event(30, QStringLiteral("east/c"))});
    QCOMPARE(model.eventAt(0).target, QStringLiteral("east/c"));
    QCOMPARE(model.eventAt(selection.currentIndex().row()).target, QStringLiteral("east/a"));
}

void TestConsoleModels::liveSeriesAreBounded()
{
    LiveLoadView view;
    view.show();
    LinkSnapshot snapshot;
    ServerStatus server;
    server.pool = QStringLiteral("p");
    server.name = QStringLiteral("s");
    const QDateTime start = QDateTime::currentDateTimeUtc();
    // Ten minutes at 4 Hz: only the last five stay, one point per second.
    for (int tick = 0; tick < 2400; ++tick) {
        snapshot.time = start.addMSecs(qint64(tick) * 250);
        server.requestsPerSecond = tick;
        snapshot.servers = {server};
        view.updateFromSnapshot(snapshot);
    }
    const QList<QPointF> points = view.requestsSeries(QStringLiteral("p/s"));
    QVERIFY2(points.size() >= LiveLoadView::kWindowSeconds && points.size() <= LiveLoadView::kWindowSeconds + 1,
             qPrintable(QString::number(points.size())));
    // Lines are fed in turns: the newest point shown is at most kRefreshMs old and carries
    // that tick's figure.
    const double newestMs = double(snapshot.time.toMSecsSinceEpoch());
    QVERIFY2(points.last().x() > newestMs - double(LiveLoadView::kRefreshMs) && points.last().x() <= newestMs,
             qPrintable(QString::number(newestMs - points.last().x())));
    QCOMPARE(points.last().y(), (points.last().x() - double(start.toMSecsSinceEpoch())) / 250);

    // One time axis for the three charts at every tick of a scroll: a moment is at the same x
    // in each, and the window ends at or after now.
    for (int tick = 2400; tick < 2480; ++tick) {
        snapshot.time = start.addMSecs(qint64(tick) * 250);
        snapshot.servers = {server};
        view.updateFromSnapshot(snapshot);
        const auto requests = view.timeRange(0);
        QCOMPARE(view.timeRange(1), requests);
        QCOMPARE(view.timeRange(2), requests);
        QVERIFY(requests.second >= snapshot.time);
    }
}

void TestConsoleModels::columnChoicesAndViewPersist()
{
    InProcessEngineLink link(InProcessOptions::demo());
    {
        MainWindow window(&link);
        window.show();
        window.serversView()->horizontalHeader()->setSectionHidden(ServerTableModel::Reason, true);
        window.serversView()->horizontalHeader()->moveSection(ServerTableModel::P95, 1);
        window.showView(MainWindow::Events);
        window.close();
    }
    MainWindow again(&link);
    again.show();
    QHeaderView *header = again.serversView()->horizontalHeader();
    QVERIFY(header->isSectionHidden(ServerTableModel::Reason));
    QCOMPARE(header->visualIndex(ServerTableModel::P95), 1);
    QVERIFY(again.eventsView()->isVisible());
    header->setSectionHidden(ServerTableModel::Reason, false);
    header->moveSection(1, ServerTableModel::P95);
    again.showView(MainWindow::LiveLoad);
    again.close();
}

void TestConsoleModels::chartsFollowThePalette()
{
    InProcessEngineLink link(InProcessOptions::demo());
    MainWindow window(&link);
    window.showView(MainWindow::Weights);
    window.show();
    QPalette dark = window.palette();
    dark.setColor(QPalette::Base, QColor(0x20, 0x20, 0x24));
    dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x30));
    dark.setColor(QPalette::WindowText, QColor(0xe8, 0xe8, 0xe8));
    window.setPalette(dark);
    QChart *chart = window.weightsChart()->chart();
    QTRY_COMPARE(chart->backgroundBrush().color(), QColor(0x20, 0x20, 0x24));
    QCOMPARE(chart->titleBrush().color(), QColor(0xe8, 0xe8, 0xe8));
}

void TestConsoleModels::weightsChartSwitchesPools()
{
    InProcessEngineLink link(InProcessOptions::demo());
    WeightController controller(&link);
    WeightsChartView chart(&controller);
    chart.show();
    QSignalSpy pools(&chart, &WeightsChartView::poolsChanged);
    LinkSnapshot snapshot;
    snapshot.time = QDateTime::currentDateTimeUtc();
    for (const auto &[pool, name, weight] : {std::tuple{"web", "w1", 1}, {"web", "w2", 3}, {"api", "a1", 5}, {"api", "a2", 5}, {"api", "a3", 10}}) {
        ServerStatus server;
        server.pool = QString::fromLatin1(pool);
        server.name = QString::fromLatin1(name);
        server.weight = weight;
        snapshot.servers.append(server);
    }
    chart.updateFromSnapshot(snapshot);
    QCOMPARE(pools.size(), 1);
    QCOMPARE(chart.pools(), (QStringList{QStringLiteral("web"), QStringLiteral("api")}));
    QCOMPARE(chart.pool(), QStringLiteral("web"));
    QCOMPARE(chart.servers(), (QStringList{QStringLiteral("w1"), QStringLiteral("w2")}));
    QCOMPARE(chart.shownTargetShares(), (QList<double>{0.25, 0.75}));
    chart.setPool(QStringLiteral("api"));
    QCOMPARE(chart.servers(), (QStringList{QStringLiteral("a1"), QStringLiteral("a2"), QStringLiteral("a3")}));
    QCOMPARE(chart.shownTargetShares(), (QList<double>{0.25, 0.25, 0.5}));
    chart.updateFromSnapshot(snapshot);
    QCOMPARE(chart.pool(), QStringLiteral("api"));
    QCOMPARE(pools.size(), 1);
}

QTEST_MAIN(TestConsoleModels)
#include "tst_consolemodels.moc"
