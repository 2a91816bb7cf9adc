#include "pooltotals.h"

#include "servertablemodel.h"

#include <QBrush>
#include <QFont>
#include <QHeaderView>
#include <QLocale>
#include <QScrollBar>

namespace fulcrum::ui {

void PoolTotalsModel::setCapabilities(const EngineCapabilities &capabilities)
{
    m_capabilities = capabilities;
    if (!m_pools.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

void PoolTotalsModel::updateFromSnapshot(const LinkSnapshot &snapshot)
{
    QList<PoolSummary> pools = summarizePools(snapshot);
    if (pools.size() != m_pools.size()) {
        beginResetModel();
        m_pools = std::move(pools);
        endResetModel();
        return;
    }
    m_pools = std::move(pools);
    if (!m_pools.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1), {Qt::DisplayRole, Qt::BackgroundRole, Qt::ForegroundRole, Qt::ToolTipRole});
}

int PoolTotalsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_pools.size());
}

int PoolTotalsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ServerTableModel::ColumnCount;
}

QVariant PoolTotalsModel::data(const QModelIndex &index, int role) const
{
    const PoolSummary *p = index.isValid() ? poolAt(index.row()) : nullptr;
    if (!p)
        return QVariant();
    const QLocale locale;
    const auto ms = [&locale](const std::optional<double> &value) { return value ? tr("%1 ms").arg(locale.toString(*value, 'f', 1)) : QString(); };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case ServerTableModel::Name: return tr("Σ total");
        case ServerTableModel::Pool: return p->pool;
        case ServerTableModel::State:
            if (p->cannotServe)
                return tr("NO SERVER (%1/%2 up)").arg(p->up).arg(p->total);
            return p->panic ? tr("%1/%2 up · PANIC").arg(p->up).arg(p->total) : tr("%1/%2 up").arg(p->up).arg(p->total);
        case ServerTableModel::Reason:
            if (p->cannotServe)
                return tr("503 to every request");
            return p->unservedPerSecond > 0 ? tr("%1/s answered 503 by the proxy").arg(locale.toString(p->unservedPerSecond, 'f', 1)) : QString();
        case ServerTableModel::Weight: return p->weight;
        case ServerTableModel::EffectiveWeight: return p->effectiveWeight;
        case ServerTableModel::Active: return p->activeConnections;
        case ServerTableModel::RequestsPerSecond: return locale.toString(p->requestsPerSecond, 'f', 1);
        case ServerTableModel::P50: return m_capabilities.responseTimes ? ms(p->p50Ms) : QString();
        case ServerTableModel::P95: return m_capabilities.percentiles ? ms(p->p95Ms) : QString();
        case ServerTableModel::P99: return m_capabilities.percentiles ? ms(p->p99Ms) : QString();
        case ServerTableModel::ErrorRate:
            return m_capabilities.errorRates || p->unservedPerSecond > 0 || p->cannotServe ? tr("%1 %").arg(locale.toString(p->errorShare * 100, 'f', 2)) : QString();
        }
        return QVariant();
    case Qt::FontRole: {
        QFont font;
        font.setBold(true);
        return font;
    }
    case Qt::BackgroundRole:
        if (p->cannotServe)
            return QBrush(QColor(0xd6, 0x27, 0x28, 90));
        if (p->panic)
            return QBrush(QColor(0xf2, 0x8e, 0x2b, 80));
        return QVariant();
    case Qt::ForegroundRole:
        if (index.column() == ServerTableModel::ErrorRate && p->errorShare >= 0.01)
            return QBrush(QColor(0xd6, 0x27, 0x28));
        return QVariant();
    case Qt::TextAlignmentRole:
        return index.column() >= ServerTableModel::Weight && index.column() <= ServerTableModel::ErrorRate ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case Qt::ToolTipRole:
        switch (index.column()) {
        case ServerTableModel::Name: return tr("The totals of pool %1").arg(p->pool);
        case ServerTableModel::State:
        case ServerTableModel::Reason: return data(index, Qt::DisplayRole);
        case ServerTableModel::RequestsPerSecond: return tr("All servers' requests per second, plus the 503s the proxy answered itself");
        case ServerTableModel::P50: return tr("The servers' p50, weighted by their requests");
        case ServerTableModel::P95:
        case ServerTableModel::P99: return tr("The worst server's, among servers with traffic");
        case ServerTableModel::ErrorRate: return tr("5xx and failed connections of all servers plus the proxy's own 503s, over all requests");
        }
        return QVariant();
    }
    return QVariant();
}

PoolTotalsView::PoolTotalsView(QTableView *servers, PoolTotalsModel *model, QWidget *parent)
    : QTableView(parent), m_servers(servers)
{
    setObjectName(QStringLiteral("poolTotals"));
    setModel(model);
    horizontalHeader()->hide();
    verticalHeader()->hide();
    setSelectionMode(QAbstractItemView::NoSelection);
    setFocusPolicy(Qt::NoFocus);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setWordWrap(false);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);   // the table's own scrolls both
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    horizontalHeader()->setStretchLastSection(true);
    QHeaderView *header = servers->horizontalHeader();
    connect(header, &QHeaderView::sectionResized, this, [this] { followColumns(); });
    connect(header, &QHeaderView::sectionMoved, this, [this] { followColumns(); });
    connect(header, &QHeaderView::geometriesChanged, this, [this] { followColumns(); });
    connect(servers->horizontalScrollBar(), &QScrollBar::valueChanged, horizontalScrollBar(), &QScrollBar::setValue);
    connect(servers->horizontalScrollBar(), &QScrollBar::rangeChanged, this, [this] {
        horizontalScrollBar()->setValue(m_servers->horizontalScrollBar()->value());
    });
    // As tall as the pools' rows: the size hint follows the row count.
    connect(model, &QAbstractItemModel::modelReset, this, [this] { updateGeometry(); followColumns(); });
    followColumns();
}

void PoolTotalsView::followColumns()
{
    QHeaderView *from = m_servers->horizontalHeader();
    QHeaderView *to = horizontalHeader();
    for (int visual = 0; visual < from->count(); ++visual) {
        const int logical = from->logicalIndex(visual);
        const int at = to->visualIndex(logical);
        if (at != visual)
            to->moveSection(at, visual);
        to->setSectionHidden(logical, from->isSectionHidden(logical));
        if (!from->isSectionHidden(logical))
            to->resizeSection(logical, from->sectionSize(logical));
    }
    // The servers' vertical scroll bar takes width there; leave the same room here.
    const QScrollBar *bar = m_servers->verticalScrollBar();
    setViewportMargins(0, 0, bar->isVisible() ? bar->width() : 0, 0);
    horizontalScrollBar()->setValue(m_servers->horizontalScrollBar()->value());
}

QSize PoolTotalsView::sizeHint() const
{
    // Every pool's row up to four; more scroll.
    const int rows = std::clamp(model() ? model()->rowCount() : 0, 1, 4);
    const int row = verticalHeader()->defaultSectionSize();
    return QSize(QTableView::sizeHint().width(), rows * row + 2 * frameWidth());
}

} // namespace fulcrum::ui
