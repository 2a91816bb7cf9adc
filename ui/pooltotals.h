#pragma once

#include "engine/enginelink.h"
#include "poolstrip.h"

#include <QAbstractTableModel>
#include <QTableView>

namespace fulcrum::ui {

// One row per pool under the Servers table, HAProxy's "Backend" row: servers up/total, the
// sums (weights, connections, req/s with the 503s the proxy answered itself), the worst p95
// and p99 among servers with traffic, the request-weighted p50, and the pool's 5xx share
// including those 503s. Red when the pool cannot serve, amber in panic mode. Columns are the
// Servers table's (ServerTableModel::Column).
class PoolTotalsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;

    void setCapabilities(const EngineCapabilities &capabilities);
    void updateFromSnapshot(const LinkSnapshot &snapshot);
    const PoolSummary *poolAt(int row) const { return row >= 0 && row < m_pools.size() ? &m_pools[row] : nullptr; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    QList<PoolSummary> m_pools;
    EngineCapabilities m_capabilities;
};

// The totals under a table: follows the table's columns (widths, order, hidden ones, the
// horizontal scroll), as tall as its rows (a few; more scroll), no header, not selectable.
class PoolTotalsView : public QTableView
{
    Q_OBJECT
public:
    PoolTotalsView(QTableView *servers, PoolTotalsModel *model, QWidget *parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

private:
    void followColumns();

    QTableView *m_servers;
};

} // namespace fulcrum::ui
