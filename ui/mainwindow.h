#pragma once

#include "engine/enginelink.h"

#include <QMainWindow>
#include <QPointer>

QT_BEGIN_NAMESPACE
class QAction;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
QT_END_NAMESPACE

namespace fulcrum::ui {

class EventFilter;
class EventModel;
class LiveLoadView;
class LocksView;
class PoolStrip;
class PoolTotalsModel;
class SavedEngines;
class ServerTableModel;
class WeightController;
class WeightsChartView;

// The console window: live load, weights, servers, locks and events over one EngineLink.
// Everything it does is a reaction to a queued snapshot, event or command result, or an
// asynchronous command: it never waits on the engine.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    enum View { LiveLoad, Weights, Servers, Locks, Events };

    explicit MainWindow(EngineLink *link, QWidget *parent = nullptr);
    ~MainWindow() override;

    WeightController *weightController() const { return m_weights; }
    WeightsChartView *weightsChart() const { return m_weightsChart; }
    LiveLoadView *liveLoad() const { return m_liveLoad; }
    LocksView *locksView() const { return m_locks; }
    QTableView *serversView() const { return m_serversView; }
    ServerTableModel *serverModel() const { return m_serverModel; }
    QSortFilterProxyModel *serverProxy() const { return m_serverProxy; }
    EventModel *eventModel() const { return m_eventModel; }
    EventFilter *eventFilter() const { return m_eventProxy; }
    PoolStrip *poolStrip() const { return m_poolStrip; }
    // The red line above the views while the engine does not answer; empty otherwise.
    QString linkBannerText() const;
    PoolTotalsModel *poolTotals() const { return m_poolTotals; }
    QTableView *eventsView() const { return m_eventsView; }
    void showView(View view);
    // Engines saved in Settings then apply as soon as the dialog is saved, through engines,
    // instead of at the next start (the console was opened on the saved engines).
    void followSavedEngines(SavedEngines *engines);

    // Saves one PNG per view into dir, named after the view (for docs and release notes).
    bool saveScreenshots(const QString &dir, QString *error);

    // Applied on every snapshot; public so benchmarks can measure the UI-thread cost.
    void applySnapshot(const LinkSnapshot &snapshot);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createViews();
    void restoreLayout();
    void saveLayout();
    void applyEvents(const QList<LinkEvent> &events);
    void onCommandFinished(const CommandResult &result);
    void setLinkState(LinkState state, const QString &detail);
    void setLockEndpointState(const QString &endpoint, LinkState state, const QString &detail);
    void updateLocksLabel(const QString &detail);
    void onEnginesChanged();
    // The servers an action applies to: the chart's selected bar on the Weights view,
    // the selected table rows on the Servers view, none elsewhere.
    QList<const ServerStatus *> targetServers() const;
    void setStateOfTargets(BackendState state);
    void askWeightOfTarget();
    void openSettings();
    void openExportReport();
    void showServerMenu(const QPoint &pos);
    void updateActions();

    void applyCapabilities();

    QPointer<EngineLink> m_link;
    WeightController *m_weights = nullptr;
    QHash<QString, LinkState> m_lockLinkStates;   // per endpoint, for its connection events
    QTabWidget *m_tabs = nullptr;
    PoolStrip *m_poolStrip = nullptr;
    QLabel *m_linkBanner = nullptr;
    bool m_seenSnapshot = false;
    PoolTotalsModel *m_poolTotals = nullptr;
    QTableView *m_poolTotalsView = nullptr;
    LiveLoadView *m_liveLoad = nullptr;
    quint64 m_historyRequest = 0;   // the history Live load waits for
    WeightsChartView *m_weightsChart = nullptr;
    ServerTableModel *m_serverModel = nullptr;
    QSortFilterProxyModel *m_serverProxy = nullptr;
    QTableView *m_serversView = nullptr;
    QLineEdit *m_serverFilter = nullptr;
    LocksView *m_locks = nullptr;
    EventModel *m_eventModel = nullptr;
    EventFilter *m_eventProxy = nullptr;
    QTableView *m_eventsView = nullptr;
    QLineEdit *m_eventFilter = nullptr;
    QLabel *m_weightNote = nullptr;
    QPointer<SavedEngines> m_savedEngines;
    QLabel *m_engineLabel = nullptr;
    QLabel *m_locksLabel = nullptr;
    QLabel *m_refreshLabel = nullptr;
    QAction *m_drain = nullptr;
    QAction *m_maint = nullptr;
    QAction *m_ready = nullptr;
    QAction *m_setWeight = nullptr;
    QAction *m_undo = nullptr;
    QAction *m_redo = nullptr;
    QHash<quint64, QString> m_pendingCommands;
    QHash<QString, QString> m_lockStates;
    bool m_columnsRestored = false;
    bool m_eventColumnsRestored = false;
    int m_serverRowsSized = 0;     // row count when the name columns were last fitted
};

} // namespace fulcrum::ui
