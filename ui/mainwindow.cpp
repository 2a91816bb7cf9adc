#include "mainwindow.h"

#include "cachedtextdelegate.h"
#include "locks/lockbackends.h"
#include "engine/linkfigures.h"
#include "eventmodel.h"
#include "exportreportdialog.h"
#include "helpdialogs.h"
#include "liveloadview.h"
#include "locksview.h"
#include "poolstrip.h"
#include "pooltotals.h"
#include "resultbanner.h"
#include "savedengines.h"
#include "servertablemodel.h"
#include "settingsdialog.h"
#include "theme.h"
#include "weightcontroller.h"
#include "weightschartview.h"

#include <QAction>
#include <QActionGroup>
#include <QCloseEvent>
#include <QComboBox>
#include <QHBoxLayout>
#include <QTimer>
#include <QCoreApplication>
#include <QDir>
#include <QGuiApplication>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>

namespace fulcrum::ui {

MainWindow::MainWindow(EngineLink *link, QWidget *parent)
    : QMainWindow(parent), m_link(link)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Fulcrum — %1").arg(link->description()));
    m_weights = new WeightController(link, this);
    m_weights->setConfirmThreshold(SettingsDialog::confirmThreshold());
    m_weights->setConfirmer([this](const QString &question) {
        return QMessageBox::question(this, tr("Move this much traffic?"), question,
                                     QMessageBox::Apply | QMessageBox::Cancel, QMessageBox::Cancel) == QMessageBox::Apply;
    });
    m_weights->setCapacityGuard(SettingsDialog::minCapacityShare());
    m_weights->setRiskConfirmer([this](const QString &question) {
        QMessageBox box(QMessageBox::Warning, tr("Take capacity out of a pool?"), question, QMessageBox::Apply | QMessageBox::Cancel, this);
        box.setDefaultButton(QMessageBox::Cancel);
        box.setObjectName(QStringLiteral("capacityQuestion"));
        return box.exec() == QMessageBox::Apply;
    });
    createViews();
    createActions();

    m_engineLabel = new QLabel(this);
    m_locksLabel = new QLabel(this);
    m_refreshLabel = new QLabel(tr("waiting for the first snapshot"), this);
    // Its text changes every second; a label of fixed size does not make the status bar lay
    // out and repaint whole each time.
    const QFontMetrics metrics = m_refreshLabel->fontMetrics();
    m_refreshLabel->setFixedSize(std::max(metrics.horizontalAdvance(m_refreshLabel->text()),
                                          metrics.horizontalAdvance(tr("last refresh %1").arg(QStringLiteral("00:00:00"))))
                                     + metrics.averageCharWidth(),
                                 m_refreshLabel->sizeHint().height());
    statusBar()->addPermanentWidget(m_engineLabel);
    statusBar()->addPermanentWidget(m_locksLabel);
    statusBar()->addPermanentWidget(m_refreshLabel);
    setLinkState(link->state(), QString());
    m_locksLabel->setText(link->lockEndpoints().isEmpty() ? tr("Locks: none configured") : tr("Locks: connecting"));

    connect(link, &EngineLink::snapshotReady, this, &MainWindow::applySnapshot);
    connect(link, &EngineLink::eventsReady, this, &MainWindow::applyEvents);
    connect(link, &EngineLink::lockTableReady, m_locks, &LocksView::setLockTable);
    connect(link, &EngineLink::stateChanged, this, &MainWindow::setLinkState);
    connect(link, &EngineLink::lockEndpointStateChanged, this, &MainWindow::setLockEndpointState);
    connect(link, &EngineLink::commandFinished, this, &MainWindow::onCommandFinished);
    connect(link, &EngineLink::enginesChanged, this, &MainWindow::onEnginesChanged);
    connect(m_weights, &WeightController::commandFailed, this, [this](const QString &message) {
        statusBar()->showMessage(message, 15000);
    });
    restoreLayout();
    applyCapabilities();
    updateActions();
}

// What the engine has not (locks, for a HAProxy or an httpd) is hidden, not shown empty.
void MainWindow::applyCapabilities()
{
    const EngineCapabilities capabilities = m_link->capabilities();
    m_tabs->setTabVisible(Locks, capabilities.locks);
    m_locksLabel->setVisible(capabilities.locks);
    m_liveLoad->setCapabilities(capabilities);
    m_poolStrip->setCapabilities(capabilities);
    m_poolTotals->setCapabilities(capabilities);
}

MainWindow::~MainWindow() = default;

void MainWindow::followSavedEngines(SavedEngines *engines)
{
    m_savedEngines = engines;
}

void MainWindow::createViews()
{
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("views"));
    m_tabs->setDocumentMode(true);

    m_liveLoad = new LiveLoadView(this);
    m_tabs->addTab(m_liveLoad, tr("&Live load"));

    auto *weights = new QWidget(this);
    auto *weightsLayout = new QVBoxLayout(weights);
    weightsLayout->setContentsMargins(0, 0, 0, 0);
    auto *poolBar = new QHBoxLayout;
    poolBar->setContentsMargins(9, 6, 9, 0);
    auto *pools = new QComboBox(weights);
    pools->setObjectName(QStringLiteral("weightsPool"));
    pools->setMinimumContentsLength(16);
    auto *poolLabel = new QLabel(tr("&Pool:"), weights);
    poolLabel->setBuddy(pools);
    poolBar->addWidget(poolLabel);
    poolBar->addWidget(pools);
    poolBar->addStretch();
    m_weightNote = new QLabel(m_weights->weightNote(), weights);
    m_weightNote->setObjectName(QStringLiteral("weightNote"));
    m_weightNote->setWordWrap(true);
    m_weightNote->setVisible(!m_weightNote->text().isEmpty());
    poolBar->addWidget(m_weightNote, 1);
    weightsLayout->addLayout(poolBar);
    m_weightsChart = new WeightsChartView(m_weights, weights);
    weightsLayout->addWidget(m_weightsChart);
    m_tabs->addTab(weights, tr("&Weights"));
    connect(m_weightsChart, &WeightsChartView::poolsChanged, pools, [pools, this](const QStringList &names) {
        const QSignalBlocker blocker(pools);
        pools->clear();
        pools->addItems(names);
        pools->setCurrentText(m_weightsChart->pool());
    });
    connect(pools, &QComboBox::currentTextChanged, m_weightsChart, [this](const QString &pool) {
        if (!pool.isEmpty())
            m_weightsChart->setPool(pool);
    });

    auto *servers = new QWidget(this);
    auto *serversLayout = new QVBoxLayout(servers);
    m_serverFilter = new QLineEdit(servers);
    m_serverFilter->setObjectName(QStringLiteral("serverFilter"));
    m_serverFilter->setPlaceholderText(tr("Filter servers by name, pool, state or reason"));
    m_serverFilter->setClearButtonEnabled(true);
    serversLayout->addWidget(m_serverFilter);
    m_serverModel = new ServerTableModel(this);
    m_serverModel->setWeightController(m_weights);
    m_serverProxy = new QSortFilterProxyModel(this);
    m_serverProxy->setSourceModel(m_serverModel);
    m_serverProxy->setSortRole(ServerTableModel::SortRole);
    m_serverProxy->setFilterKeyColumn(-1);
    m_serverProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_serversView = new QTableView(servers);
    m_serversView->setObjectName(QStringLiteral("serversTable"));
    m_serversView->setModel(m_serverProxy);
    m_serversView->setItemDelegate(new ServerTableDelegate(m_weights, m_serversView));   // figures repaint every tick
    m_serversView->setSortingEnabled(true);
    m_serversView->sortByColumn(ServerTableModel::Name, Qt::AscendingOrder);
    m_serversView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_serversView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_serversView->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
    m_serversView->verticalHeader()->hide();
    m_serversView->setWordWrap(false);   // figures grow after the columns were sized: elide, never wrap
    m_serversView->horizontalHeader()->setSectionsMovable(true);
    m_serversView->horizontalHeader()->setStretchLastSection(true);
    m_serversView->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    m_serversView->setContextMenuPolicy(Qt::CustomContextMenu);
    serversLayout->addWidget(m_serversView);
    // Each pool's totals under its servers, in the table's columns.
    m_poolTotals = new PoolTotalsModel(this);
    m_poolTotalsView = new PoolTotalsView(m_serversView, m_poolTotals, servers);
    serversLayout->addWidget(m_poolTotalsView);
    m_tabs->addTab(servers, tr("&Servers"));
    connect(m_serverFilter, &QLineEdit::textChanged, m_serverProxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_serversView, &QWidget::customContextMenuRequested, this, &MainWindow::showServerMenu);
    // Column choices: right-click the header to show or hide columns.
    connect(m_serversView->horizontalHeader(), &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu menu(this);
        QHeaderView *header = m_serversView->horizontalHeader();
        for (int column = 0; column < m_serverModel->columnCount(); ++column) {
            QAction *action = menu.addAction(m_serverModel->headerData(column, Qt::Horizontal).toString());
            action->setCheckable(true);
            action->setChecked(!header->isSectionHidden(column));
            action->setEnabled(column != ServerTableModel::Name);
            connect(action, &QAction::toggled, header, [header, column](bool on) { header->setSectionHidden(column, !on); });
        }
        menu.exec(header->mapToGlobal(pos));
    });
    connect(m_serversView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        QStringList keys;
        for (const QModelIndex &index : m_serversView->selectionModel()->selectedRows())
            keys.append(index.data(ServerTableModel::KeyRole).toString());
        m_liveLoad->setChosenServers(keys);
        updateActions();
    });

    connect(m_liveLoad, &LiveLoadView::showAllRequested, this, [this] { m_serversView->clearSelection(); });
    // A window of the engine's history for Live load; only the newest question is answered.
    connect(m_liveLoad, &LiveLoadView::historyRequested, this, [this](qint64 fromMs, qint64 toMs, int points) {
        HistoryQuery query;
        query.fromMs = fromMs;
        query.toMs = toMs;
        query.maxPoints = points;
        m_historyRequest = m_link->requestHistory(query);
    });
    connect(m_link, &EngineLink::historyReady, this, [this](quint64 id, const QJsonObject &series, const QString &error) {
        if (id == m_historyRequest)
            m_liveLoad->showHistory(series, error);
    });

    m_locks = new LocksView(m_link, this);
    m_tabs->addTab(m_locks, tr("L&ocks"));

    auto *events = new QWidget(this);
    auto *eventsLayout = new QVBoxLayout(events);
    m_eventFilter = new QLineEdit(events);
    m_eventFilter->setObjectName(QStringLiteral("eventFilter"));
    m_eventFilter->setPlaceholderText(tr("Filter events by server, kind, who or text"));
    m_eventFilter->setClearButtonEnabled(true);
    // Kind, severity and how far back, beside the free text (pool, server, who, change).
    auto *kinds = new QComboBox(events);
    kinds->setObjectName(QStringLiteral("eventKind"));
    kinds->addItem(tr("All kinds"), -1);
    for (LinkEvent::Kind kind : {LinkEvent::Kind::Outage, LinkEvent::Kind::Panic, LinkEvent::Kind::Health, LinkEvent::Kind::Ejection,
                                 LinkEvent::Kind::Operator, LinkEvent::Kind::Lock, LinkEvent::Kind::Engine, LinkEvent::Kind::Link})
        kinds->addItem(eventKindText(kind), int(kind));
    auto *severities = new QComboBox(events);
    severities->setObjectName(QStringLiteral("eventSeverity"));
    severities->addItem(tr("All severities"), int(EventSeverity::Info));
    severities->addItem(tr("Warnings and errors"), int(EventSeverity::Warning));
    severities->addItem(tr("Errors only"), int(EventSeverity::Error));
    auto *window = new QComboBox(events);
    window->setObjectName(QStringLiteral("eventWindow"));
    window->addItem(tr("Any time"), 0);
    window->addItem(tr("Last 15 minutes"), 15 * 60);
    window->addItem(tr("Last hour"), 3600);
    window->addItem(tr("Last 24 hours"), 24 * 3600);
    auto *filters = new QHBoxLayout;
    filters->addWidget(m_eventFilter, 1);
    filters->addWidget(kinds);
    filters->addWidget(severities);
    filters->addWidget(window);
    eventsLayout->addLayout(filters);
    m_eventModel = new EventModel(this);
    m_eventProxy = new EventFilter(this);
    connect(kinds, &QComboBox::currentIndexChanged, this, [this, kinds] {
        const int kind = kinds->currentData().toInt();
        m_eventProxy->setKind(kind < 0 ? std::nullopt : std::optional<LinkEvent::Kind>(LinkEvent::Kind(kind)));
    });
    connect(severities, &QComboBox::currentIndexChanged, this,
            [this, severities] { m_eventProxy->setMinimumSeverity(EventSeverity(severities->currentData().toInt())); });
    connect(window, &QComboBox::currentIndexChanged, this, [this, window] { m_eventProxy->setWindowSeconds(window->currentData().toLongLong()); });
    // The window moves with the clock.
    auto *windowTick = new QTimer(this);
    windowTick->setInterval(10'000);
    connect(windowTick, &QTimer::timeout, this, [this, window] {
        if (window->currentData().toLongLong() > 0)
            m_eventProxy->refresh();
    });
    windowTick->start();
    m_eventProxy->setSourceModel(m_eventModel);
    m_eventProxy->setFilterKeyColumn(-1);
    m_eventProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_eventsView = new QTableView(events);
    m_eventsView->setObjectName(QStringLiteral("eventsTable"));
    m_eventsView->setModel(m_eventProxy);
    m_eventsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_eventsView->verticalHeader()->hide();
    m_eventsView->setWordWrap(false);
    m_eventsView->horizontalHeader()->setStretchLastSection(true);
    m_eventsView->horizontalHeader()->setSectionsMovable(true);
    // The change ("up, 2/3 failed → down") is what is read: the last column, taking the room;
    // the detail before it, as wide as a check result (its tooltip has all of it).
    m_eventsView->horizontalHeader()->moveSection(EventModel::Detail, EventModel::Change);
    eventsLayout->addWidget(m_eventsView);
    // A folded flap opens and closes with Enter or a double-click.
    connect(m_eventModel, &EventModel::foldingChanged, m_eventProxy, &EventFilter::refresh);
    connect(m_eventsView, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        m_eventModel->toggleRun(m_eventProxy->mapToSource(index).row());
    });
    m_tabs->addTab(events, tr("&Events"));
    connect(m_eventFilter, &QLineEdit::textChanged, m_eventProxy, &QSortFilterProxyModel::setFilterFixedString);

    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { updateActions(); });
    connect(m_weightsChart, &WeightsChartView::selectedServerChanged, this, [this] { updateActions(); });
    // The pools at a glance above every view; a pool that cannot serve is the loudest thing on screen.
    auto *central = new QWidget(this);
    auto *column = new QVBoxLayout(central);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(0);
    m_poolStrip = new PoolStrip(central);
    column->addWidget(m_poolStrip);
    // An engine that does not answer is said above every view, whole: in the status bar its
    // reason was cut off ("… is fulcrumd running with ad"), under views that were just empty.
    m_linkBanner = makeAlarmLine(QStringLiteral("linkBanner"), central);
    column->addWidget(m_linkBanner);
    column->addWidget(m_tabs, 1);
    setCentralWidget(central);
}

void MainWindow::createActions()
{
    auto make = [this](const QString &text, const QKeySequence &shortcut, const QString &tip, auto slot) {
        auto *action = new QAction(text, this);
        action->setShortcut(shortcut);
        action->setToolTip(tr("%1 (%2)").arg(tip, shortcut.toString(QKeySequence::NativeText)));
        action->setStatusTip(tip);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };
    m_drain = make(tr("&Drain"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D),
                   tr("Drain: no new requests, running ones finish, checks go on"), [this] { setStateOfTargets(BackendState::Drain); });
    m_maint = make(tr("&Maintenance"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M),
                   tr("Maintenance: no traffic and no health checks"), [this] { setStateOfTargets(BackendState::Maint); });
    m_ready = make(tr("&Ready"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R),
                   tr("Ready: back into rotation (health checks decide up or down)"), [this] { setStateOfTargets(BackendState::Up); });
    m_setWeight = make(tr("Set &weight…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_W),
                       tr("Set the weight of the selected server"), [this] { askWeightOfTarget(); });
    m_drain->setObjectName(QStringLiteral("drainAction"));
    m_maint->setObjectName(QStringLiteral("maintenanceAction"));
    m_ready->setObjectName(QStringLiteral("readyAction"));
    m_setWeight->setObjectName(QStringLiteral("setWeightAction"));
    m_undo = m_weights->undoStack()->createUndoAction(this, tr("&Undo"));
    m_undo->setObjectName(QStringLiteral("undoAction"));
    m_undo->setShortcut(QKeySequence::Undo);
    m_redo = m_weights->undoStack()->createRedoAction(this, tr("&Redo"));
    m_redo->setShortcut(QKeySequence::Redo);
    auto *settings = make(tr("&Settings…"), QKeySequence(Qt::CTRL | Qt::Key_Comma), tr("Engine, lock endpoints, language"),
                          [this] { openSettings(); });
    settings->setMenuRole(QAction::PreferencesRole);
    settings->setObjectName(QStringLiteral("settingsAction"));
    auto *exportReport = make(tr("&Export report…"), QKeySequence(Qt::CTRL | Qt::Key_E), tr("Health report for a window of the engine's history: PDF, HTML, CSV or JSON"),
                              [this] { openExportReport(); });
    exportReport->setObjectName(QStringLiteral("exportReportAction"));
    auto *quit = make(tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q), tr("Close the console (a remote engine keeps running)"),
                      [this] { close(); });
    auto *find = make(tr("&Find"), QKeySequence::Find, tr("Filter the current view"), [this] {
        if (m_tabs->currentIndex() == Servers || m_tabs->currentIndex() == Weights) {
            showView(Servers);
            m_serverFilter->setFocus();
            m_serverFilter->selectAll();
        } else if (m_tabs->currentIndex() == Locks) {
            m_locks->filter()->setFocus();
        } else {
            showView(Events);
            m_eventFilter->setFocus();
            m_eventFilter->selectAll();
        }
    });

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(exportReport);
    file->addAction(settings);
    file->addSeparator();
    file->addAction(quit);
    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_undo);
    edit->addAction(m_redo);
    edit->addSeparator();
    edit->addAction(find);
    QMenu *server = menuBar()->addMenu(tr("Se&rver"));
    for (QAction *action : {m_drain, m_maint, m_ready, m_setWeight})
        server->addAction(action);
    QMenu *view = menuBar()->addMenu(tr("&View"));
    const QString names[] = {tr("Live load"), tr("Weights"), tr("Servers"), tr("Locks"), tr("Events")};
    for (int i = 0; i < 5; ++i) {
        view->addAction(make(names[i], QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)), tr("Show the %1 view").arg(names[i]),
                             [this, i] { showView(View(i)); }));
    }

    // View → Theme: system, light or dark, kept in Settings.
    QMenu *themes = view->addMenu(tr("&Theme"));
    auto *themeGroup = new QActionGroup(this);
    const Theme current = savedTheme();
    for (const auto &[theme, label] : {std::pair{Theme::System, tr("&System")}, std::pair{Theme::Light, tr("&Light")}, std::pair{Theme::Dark, tr("&Dark")}}) {
        QAction *action = themes->addAction(label);
        action->setObjectName(QStringLiteral("theme-") + themeName(theme));
        action->setCheckable(true);
        action->setChecked(theme == current);
        themeGroup->addAction(action);
        connect(action, &QAction::triggered, this, [theme] {
            applyTheme(theme);
            saveTheme(theme);
        });
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    auto *shortcuts = make(tr("&Keyboard shortcuts"), QKeySequence(Qt::Key_F1), tr("Every shortcut of the console"), [this] {
        QList<QAction *> actions;
        for (QAction *menu : menuBar()->actions()) {
            if (menu->menu())
                actions += menu->menu()->actions();
        }
        makeShortcutsDialog(actions, this)->open();
    });
    shortcuts->setObjectName(QStringLiteral("shortcutsAction"));
    auto *threeAm = make(tr("&At 3 a.m.: what to type"), QKeySequence(Qt::SHIFT | Qt::Key_F1), tr("The README's table of what to do in an incident"),
                         [this] { makeThreeAmDialog(this)->open(); });
    threeAm->setObjectName(QStringLiteral("threeAmAction"));
    auto *about = new QAction(tr("&About Fulcrum"), this);
    about->setObjectName(QStringLiteral("aboutAction"));
    about->setMenuRole(QAction::AboutRole);
    connect(about, &QAction::triggered, this, [this] { makeAboutDialog(m_link ? m_link->description() : tr("none"), this)->open(); });
    help->addAction(shortcuts);
    help->addAction(threeAm);
    help->addSeparator();
    help->addAction(about);

    QToolBar *toolbar = addToolBar(tr("Server actions"));
    toolbar->setObjectName(QStringLiteral("serverToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    for (QAction *action : {m_drain, m_maint, m_ready, m_setWeight})
        toolbar->addAction(action);
    toolbar->addSeparator();
    toolbar->addAction(m_undo);
    toolbar->addAction(m_redo);
}

void MainWindow::showView(View view)
{
    m_tabs->setCurrentIndex(int(view));
}

QString MainWindow::linkBannerText() const
{
    return m_linkBanner->isHidden() ? QString() : m_linkBanner->text();
}

void MainWindow::applySnapshot(const LinkSnapshot &snapshot)
{
    m_seenSnapshot = true;
    m_weights->setSnapshot(snapshot);
    m_serverModel->updateFromSnapshot(snapshot);
    m_poolTotals->updateFromSnapshot(snapshot);
    if (!m_columnsRestored && m_serverModel->rowCount() > 0) {
        m_columnsRestored = true;   // size to the first figures once; after that the operator decides
        m_serversView->resizeColumnsToContents();
        // The first figures are small (no traffic yet): leave room for the big ones.
        // As wide as the biggest figure each column can show, no wider: at 1024 px the 5xx
        // column must still be in sight.
        const QFontMetrics metrics = m_serversView->fontMetrics();
        const auto widen = [this, &metrics](int column, const QString &widest) {
            m_serversView->setColumnWidth(column, std::max(m_serversView->columnWidth(column), metrics.horizontalAdvance(widest) + 12));
        };
        for (int column : {int(ServerTableModel::Weight), int(ServerTableModel::EffectiveWeight)})
            widen(column, QStringLiteral("10000"));
        widen(ServerTableModel::Active, QStringLiteral("9999"));
        widen(ServerTableModel::RequestsPerSecond, QStringLiteral("99999.9"));
        widen(ServerTableModel::Share, QStringLiteral("100.0 %"));
        for (int column : {int(ServerTableModel::P50), int(ServerTableModel::P95), int(ServerTableModel::P99)})
            widen(column, QStringLiteral("9999.9 ms"));
        widen(ServerTableModel::ErrorRate, QStringLiteral("100.00 %"));
        // A reason can be long ("L7STS 503 in 12 ms (Service Unavailable)"): the tooltip has it all.
        m_serversView->setColumnWidth(ServerTableModel::Reason, std::min(m_serversView->columnWidth(ServerTableModel::Reason), metrics.horizontalAdvance(QStringLiteral("L7OK 200 in 999ms")) + 12));
    }
    if (m_serverModel->rowCount() != m_serverRowsSized) {
        // Servers came or went (an engine added, a pool reloaded): widen Server and Pool so no
        // name is cut; "east/checkout" and "east/cart" must not both read "east/c…"; State
        // too, for the totals row's "12/12 up". Only ever wider, so a width the operator chose
        // stays unless a name needs more.
        m_serverRowsSized = m_serverModel->rowCount();
        for (int column : {int(ServerTableModel::Name), int(ServerTableModel::Pool), int(ServerTableModel::State)}) {
            const int needed = std::max(static_cast<QAbstractItemView *>(m_serversView)->sizeHintForColumn(column),
                                        static_cast<QAbstractItemView *>(m_poolTotalsView)->sizeHintForColumn(column));
            if (needed > m_serversView->columnWidth(column))
                m_serversView->setColumnWidth(column, needed);
        }
    }
    m_poolStrip->updateFromSnapshot(snapshot);
    m_weightsChart->updateFromSnapshot(snapshot);
    m_liveLoad->updateFromSnapshot(snapshot);
    m_refreshLabel->setText(tr("last refresh %1").arg(snapshot.time.toLocalTime().toString(QStringLiteral("HH:mm:ss"))));
}

void MainWindow::applyEvents(const QList<LinkEvent> &events)
{
    m_eventModel->addEvents(events);
    if (!m_eventColumnsRestored && m_eventModel->rowCount() > 0) {
        m_eventColumnsRestored = true;
        m_eventsView->resizeColumnsToContents();
        // The detail as wide as a check result (its tooltip has the rest), never too narrow to read one.
        const int detailCap = m_eventsView->fontMetrics().horizontalAdvance(QStringLiteral("L7STS 503 in 12 ms (Service Unavail")) + 12;
        m_eventsView->setColumnWidth(EventModel::Detail, std::clamp(m_eventsView->columnWidth(EventModel::Detail), detailCap / 2, detailCap));
    } else if (m_eventColumnsRestored) {
        // Only ever wider, from the new events alone (cheap at any rate): a "POOL OUTAGE" or a
        // long target that comes later is not cut to "POOL…".
        const QFontMetrics metrics = m_eventsView->fontMetrics();
        QFont bold = m_eventsView->font();
        bold.setBold(true);
        const QFontMetrics boldMetrics(bold);
        const int detailCap = metrics.horizontalAdvance(QStringLiteral("L7STS 503 in 12 ms (Service Unavail")) + 12;
        for (int row = 0; row < std::min<int>(int(events.size()), m_eventModel->rowCount()); ++row) {
            for (int column : {int(EventModel::Time), int(EventModel::Kind), int(EventModel::Who), int(EventModel::Target), int(EventModel::Change), int(EventModel::Detail)}) {
                const QModelIndex index = m_eventModel->index(row, column);
                const QString text = index.data().toString();
                const bool isBold = index.data(Qt::FontRole).value<QFont>().bold();
                // The detail up to a check result's width; its tooltip has the rest.
                const int needed = std::min((isBold ? boldMetrics : metrics).horizontalAdvance(text) + 16,
                                            column == EventModel::Detail ? detailCap : 1 << 20);
                const int shown = m_eventsView->horizontalHeader()->logicalIndex(column) >= 0 ? m_eventsView->columnWidth(column) : needed;
                if (needed > shown && column != m_eventsView->horizontalHeader()->logicalIndex(m_eventsView->horizontalHeader()->count() - 1))
                    m_eventsView->setColumnWidth(column, std::min(needed, 480));
            }
        }
    }
    m_liveLoad->addEvents(events);
}

void MainWindow::onCommandFinished(const CommandResult &result)
{
    const QString what = m_pendingCommands.take(result.id);
    if (what.isNull())
        return;
    statusBar()->showMessage(result.ok ? result.message : tr("%1 failed: %2").arg(what, result.message), result.ok ? 5000 : 15000);
}

void MainWindow::setLinkState(LinkState state, const QString &detail)
{
    QString text;
    switch (state) {
    case LinkState::Connected: text = tr("Engine: connected"); break;
    case LinkState::Connecting: text = tr("Engine: connecting"); break;
    case LinkState::Disconnected: text = tr("Engine: disconnected"); break;
    }
    // The red line above the views says a lost engine's reason whole; the status bar, one line
    // as wide as the window, keeps the state and has the reason on its tooltip.
    m_engineLabel->setText(detail.isEmpty() || state == LinkState::Disconnected ? text : tr("%1 (%2)").arg(text, detail));
    m_engineLabel->setToolTip(detail);
    if (state == LinkState::Disconnected) {
        const QString why = detail.isEmpty() ? tr("no answer") : detail;
        m_linkBanner->setText(m_seenSnapshot ? tr("The engine is not answering: %1. The views show what it last sent and carry on when it answers.").arg(why)
                                             : tr("Cannot reach the engine: %1. Nothing to show until it answers.").arg(why));
        m_linkBanner->show();
    } else {
        m_linkBanner->hide();
    }
    // An engine reached over plain http across the network: said in red, whatever its state.
    const QString warning = m_link ? m_link->transportWarning() : QString();
    if (!warning.isEmpty()) {
        m_engineLabel->setText(tr("%1 — UNENCRYPTED").arg(m_engineLabel->text()));
        m_engineLabel->setToolTip(warning);
    }
    m_engineLabel->setStyleSheet(warning.isEmpty() ? QString() : QStringLiteral("QLabel { background: #c62828; color: white; font-weight: bold; border-radius: 3px; padding: 0 4px; }"));
}

void MainWindow::setLockEndpointState(const QString &endpoint, LinkState state, const QString &detail)
{
    // Losing a lock store and getting it back are events, and its rows say they are old news.
    // Not told yet: connected if its locks have been read (the link reports changes only).
    const LinkState before = m_lockLinkStates.value(endpoint, m_locks->hasTable(endpoint) ? LinkState::Connected : LinkState::Connecting);
    m_lockLinkStates.insert(endpoint, state);
    // "Redis cache"; only "cache" while a remote engine has not said which backend it is.
    const QString backend = lockBackendCapabilities(m_link ? m_link->lockEndpointBackend(endpoint) : QString()).displayName;
    if (const std::optional<LinkEvent> event = connectionEvent(before, state, backend.isEmpty() ? endpoint : backend + u' ' + endpoint, detail))
        applyEvents({*event});
    m_locks->setEndpointState(endpoint, state, detail);
    m_lockStates.insert(endpoint, state == LinkState::Connected ? tr("connected") : state == LinkState::Connecting ? tr("connecting") : tr("disconnected"));
    updateLocksLabel(detail);
}

void MainWindow::updateLocksLabel(const QString &detail)
{
    QStringList parts;
    for (auto it = m_lockStates.cbegin(); it != m_lockStates.cend(); ++it)
        parts.append(tr("%1 %2").arg(it.key(), it.value()));
    m_locksLabel->setText(parts.isEmpty() ? tr("Locks: none configured") : tr("Locks: %1").arg(parts.join(QStringLiteral(", "))));
    m_locksLabel->setToolTip(detail);
}

// The link's snapshot without a removed engine's servers has already gone out; what is not
// in a snapshot is dropped here: its Redis endpoints, their lock tables, and the weight note.
void MainWindow::onEnginesChanged()
{
    if (!m_link)
        return;
    const QStringList endpoints = m_link->lockEndpointNames();
    m_locks->setEndpoints(endpoints);
    for (auto it = m_lockStates.begin(); it != m_lockStates.end();)
        it = endpoints.contains(it.key()) ? std::next(it) : m_lockStates.erase(it);
    updateLocksLabel(QString());
    m_weightNote->setText(m_weights->weightNote());
    m_weightNote->setVisible(!m_weightNote->text().isEmpty());
    setWindowTitle(tr("Fulcrum — %1").arg(m_link->description()));
    applyCapabilities();
}

QList<const ServerStatus *> MainWindow::targetServers() const
{
    QList<const ServerStatus *> servers;
    if (m_tabs->currentIndex() == Weights) {
        const int row = m_serverModel->rowOf(m_weightsChart->pool() + u'/' + m_weightsChart->selectedServer());
        if (m_weightsChart->selectedIndex() >= 0 && row >= 0)
            servers.append(m_serverModel->serverAt(row));
        return servers;
    }
    // Only where the selection is in sight: a shortcut on another view must not drain a
    // server selected minutes ago.
    if (m_tabs->currentIndex() != Servers)
        return servers;
    for (const QModelIndex &index : m_serversView->selectionModel()->selectedRows())
        servers.append(m_serverModel->serverAt(m_serverProxy->mapToSource(index).row()));
    return servers;
}

void MainWindow::setStateOfTargets(BackendState state)
{
    if (!m_link)
        return;
    const QList<const ServerStatus *> targets = targetServers();
    QList<ServerChange> changes;
    QStringList names;
    for (const ServerStatus *server : targets) {
        changes.append(ServerChange{server->pool, server->name, std::nullopt, state});
        names.append(server->name);
    }
    const QString action = state == BackendState::Drain ? tr("Draining %1") : state == BackendState::Maint ? tr("Maintenance for %1") : tr("Ready for %1");
    if (!m_weights->confirmCapacity(changes, action.arg(names.join(QStringLiteral(", ")))))
        return;
    for (const ServerStatus *server : targets) {
        const quint64 id = m_link->setState(server->pool, server->name, state);
        m_pendingCommands.insert(id, tr("Setting %1 to %2").arg(server->name, backendStateName(state)));
    }
}

void MainWindow::askWeightOfTarget()
{
    const QList<const ServerStatus *> servers = targetServers();
    if (servers.size() != 1)
        return;
    const ServerStatus server = *servers.first();
    bool ok = false;
    const int min = m_weights->minWeight();
    const int max = m_weights->maxWeight();
    const QString label = min == 0 ? tr("Weight of %1 (0–%2; 0 = no new traffic):").arg(server.name).arg(max)
                                   : tr("Weight of %1 (%2–%3):").arg(server.name).arg(min).arg(max);
    const int weight = QInputDialog::getInt(this, tr("Set weight"), label, server.weight, min, max, 1, &ok);
    if (ok)
        m_weights->requestWeight(server.pool, server.name, weight);
}

void MainWindow::showServerMenu(const QPoint &pos)
{
    QMenu menu(this);
    for (QAction *action : {m_drain, m_maint, m_ready, m_setWeight})
        menu.addAction(action);
    menu.exec(m_serversView->viewport()->mapToGlobal(pos));
}

void MainWindow::updateActions()
{
    const int count = int(targetServers().size());
    for (QAction *action : {m_drain, m_maint, m_ready})
        action->setEnabled(count > 0);
    m_setWeight->setEnabled(count == 1);
}

void MainWindow::openSettings()
{
    auto *dialog = new SettingsDialog(m_link, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this] {
        m_weights->setConfirmThreshold(SettingsDialog::confirmThreshold());
        m_weights->setCapacityGuard(SettingsDialog::minCapacityShare());
        if (m_savedEngines) {
            const QString changed = m_savedEngines->apply(SettingsDialog::engines());
            statusBar()->showMessage(tr("Settings saved. %1 Language changes apply at the next start.").arg(changed), 15000);
            return;
        }
        statusBar()->showMessage(tr("Settings saved. Engine and lock endpoint changes apply at the next start; language too."), 8000);
    });
    dialog->open();
}

void MainWindow::openExportReport()
{
    auto *dialog = new ExportReportDialog(m_link, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ExportReportDialog::reportFinished, this, [this](bool, const QString &message) { statusBar()->showMessage(message, 8000); });
    dialog->show();
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    // The first start opens at 1400×860; a saved geometry as it was. Either is then fitted into
    // the free area of the screen it lands on, less room for the window's frame: on a 1366×768
    // laptop, or after the big monitor it was saved on is gone, no edge and no status bar is
    // off-screen. (Qt's restoreGeometry moves a window back on screen but keeps its size.)
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1400, 860);
    if (!isMaximized() && !isFullScreen()) {
        const QScreen *on = QGuiApplication::screenAt(geometry().center());
        if (!on)
            on = screen();
        const QRect free = on ? on->availableGeometry() : QRect();
        const QSize frameRoom(16, 48);
        if (free.isValid() && !free.contains(geometry())) {
            const QSize size = this->size().boundedTo(free.size() - frameRoom);
            resize(size);
            move(std::clamp(x(), free.left(), std::max(free.left(), free.right() + 1 - size.width() - frameRoom.width())),
                 std::clamp(y(), free.top(), std::max(free.top(), free.bottom() + 1 - size.height() - frameRoom.height())));
        }
    }
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_columnsRestored = m_serversView->horizontalHeader()->restoreState(settings.value(QStringLiteral("servers/header")).toByteArray());
    m_eventColumnsRestored = m_eventsView->horizontalHeader()->restoreState(settings.value(QStringLiteral("events/header")).toByteArray());
    // "locks/columns": the lock table gained Session, Client and Waiters with the lock family; the
    // six-column state saved before ("locks/header") is not restored into it.
    if (m_locks->table()->horizontalHeader()->restoreState(settings.value(QStringLiteral("locks/columns")).toByteArray()))
        m_locks->keepColumnWidths();
    m_tabs->setCurrentIndex(settings.value(QStringLiteral("window/view"), 0).toInt());
}

void MainWindow::saveLayout()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("servers/header"), m_serversView->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("events/header"), m_eventsView->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("locks/columns"), m_locks->table()->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("window/view"), m_tabs->currentIndex());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveLayout();
    QMainWindow::closeEvent(event);
}

bool MainWindow::saveScreenshots(const QString &dir, QString *error)
{
    if (!QDir().mkpath(dir)) {
        *error = tr("cannot create screenshot directory %1; check the path and permissions").arg(dir);
        return false;
    }
    const QString names[] = {QStringLiteral("live-load"), QStringLiteral("weights"), QStringLiteral("servers"),
                             QStringLiteral("locks"), QStringLiteral("events")};
    const int current = m_tabs->currentIndex();
    // The view on screen as it is now, after its partial repaints (a marker left behind by a
    // scroll would show here); the others are drawn afresh as they are switched to.
    QPixmap shown;
    if (QScreen *screen = this->screen(); screen && isVisible())
        shown = screen->grabWindow(winId());
    for (int i = 0; i < 5; ++i) {
        m_tabs->setCurrentIndex(i);
        // A selection shows what the view offers for one server.
        if (i == Servers && m_serversView->selectionModel()->selectedRows().isEmpty())
            m_serversView->selectRow(0);
        if (i == Weights && m_weightsChart->selectedIndex() < 0)
            m_weightsChart->setSelectedIndex(2);
        // ... and for one lock: its detail pane with holders and waiters.
        if (i == Locks && m_locks->table()->selectionModel()->selectedRows().isEmpty() && m_locks->table()->model()->rowCount() > 0)
            m_locks->table()->selectRow(0);
        // Chart titles and layouts settle through posted events: let them run before grabbing.
        QCoreApplication::processEvents();
        QCoreApplication::processEvents();
        const QString path = QDir(dir).filePath(QStringLiteral("console-%1.png").arg(names[i]));
        if (!(i == current && !shown.isNull() ? shown : grab()).save(path)) {
            *error = tr("cannot write %1; check the directory is writable").arg(path);
            return false;
        }
    }
    m_tabs->setCurrentIndex(current);
    return true;
}

} // namespace fulcrum::ui
