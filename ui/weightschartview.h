#pragma once

#include "engine/enginelink.h"

#include <QChartView>
#include <QHash>
#include <QStaticText>

QT_BEGIN_NAMESPACE
class QBarCategoryAxis;
class QBarSet;
class QScatterSeries;
class QStackedBarSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace fulcrum::ui {

class WeightController;

// One bar per server of a pool: the bar is its actual share of requests now, the round
// handle its target share (its weight over the pool's). Dragging a handle shows the
// projected target share of every server while the mouse moves; releasing applies the
// weight through the WeightController (confirmation, undo). Arrow keys on the selected
// bar do the same in steps; Escape cancels a drag.
class WeightsChartView : public QChartView
{
    Q_OBJECT
public:
    static constexpr int kMaxBars = 40;   // beyond that a bar chart is unreadable
    static constexpr int kMaxColouredBars = 12;

    explicit WeightsChartView(WeightController *controller, QWidget *parent = nullptr);

    void updateFromSnapshot(const LinkSnapshot &snapshot);

    // Which pool is shown; empty: the first pool of the snapshot.
    void setPool(const QString &pool);
    QString pool() const { return m_pool; }
    QStringList pools() const;
    QStringList servers() const;
    // The names under the bars as drawn: whole when they fit, else shortened in the middle.
    QStringList categoryLabels() const;
    int selectedIndex() const { return m_selected; }
    void setSelectedIndex(int index);
    QString selectedServer() const;
    bool isDragging() const { return m_dragIndex >= 0; }
    // Target shares as the handles show them now (projected while dragging), 0..1.
    QList<double> shownTargetShares() const { return m_shownTargets; }
    // Where server i's handle is, in viewport coordinates (for tests and tooltips).
    QPoint handlePosition(int index) const;
    // Where the handle is drawn: handlePosition, but never above the plot (over the title).
    QPoint drawnHandlePosition(int index) const;
    // Whether server `index` has a handle: one that is down, draining or in maintenance takes no
    // traffic by weight, so it is drawn hatched with its state written instead, and cannot be dragged.
    bool hasHandle(int index) const;
    // The state written over a server without a handle ("MAINT"), empty for one with a handle.
    QString stateShown(int index) const { return hasHandle(index) || index < 0 || index >= m_servers.size() ? QString() : m_servers[index].stateText.toUpper(); }
    // The viewport point for category index at share (0..1).
    QPoint positionFor(int index, double share) const;

Q_SIGNALS:
    void selectedServerChanged(const QString &pool, const QString &server);
    void poolsChanged(const QStringList &pools);

protected:
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void drawForeground(QPainter *painter, const QRectF &rect) override;

private:
    void apply(const LinkSnapshot &snapshot);
    QPointF valueAt(const QPoint &viewportPos) const;
    void rebuild(const QList<ServerStatus> &servers);
    void showTargets(const QList<double> &targets);
    void updateTitle();
    void updateAxisRange();
    void fitCategoryLabels();
    void stepWeight(int direction, bool fine);

    WeightController *m_controller;
    QString m_pool;
    QList<ServerStatus> m_servers;      // the pool's servers at the last snapshot, in bar order
    int m_totalInPool = 0;
    QList<double> m_shownTargets;
    int m_selected = -1;
    int m_paintedSelection = -1;        // the selection the handles were last painted with
    QStringList m_paintedStates;        // the states written over servers without a handle, as last painted
    int m_dragIndex = -1;
    int m_dragWeight = -1;
    QList<ServerStatus> m_dragBase;     // the weights the projection starts from
    LinkSnapshot m_pending;           // latest snapshot while hidden
    bool m_hasPending = false;
    LinkSnapshot m_last;                // the pool shown can change between ticks
    QStringList m_pools;
    QHash<QString, QStaticText> m_handleLabels;   // in the font of the handles

    QStackedBarSeries *m_bars = nullptr;
    QList<QBarSet *> m_sets;
    QScatterSeries *m_handles = nullptr;
    QBarCategoryAxis *m_axisX = nullptr;
    QValueAxis *m_axisY = nullptr;
};

} // namespace fulcrum::ui
