#pragma once

#include "engine/enginelink.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <optional>

#include <deque>

namespace fulcrum::ui {

// Health transitions, ejections, panic mode and operator actions, newest first; keeps the
// last kMaxEvents. New events are inserted at the top, so a selection stays on its row.
class EventModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Time, Kind, Who, Target, Change, Detail, ColumnCount };
    static constexpr int kMaxEvents = 5000;

    explicit EventModel(QObject *parent = nullptr);

    void addEvents(const QList<LinkEvent> &events);
    const LinkEvent &eventAt(int row) const { return m_events[size_t(row)]; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::deque<LinkEvent> m_events;   // newest first
};

QString eventKindText(LinkEvent::Kind kind);

// How loud an event is: errors (a pool that cannot serve, panic, a server down, a lost
// connection, a refused action) are red, warnings (failing checks, ejections) amber.
enum class EventSeverity { Info, Warning, Error };
EventSeverity eventSeverity(const LinkEvent &event);

// The Events view's filters: kind, least severity, how far back, and the free text (pool,
// server, who, change, detail: setFilterFixedString). The time window moves with the clock
// (refresh() re-applies it).
class EventFilter : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setKind(std::optional<LinkEvent::Kind> kind);
    void setMinimumSeverity(EventSeverity severity);
    void setWindowSeconds(qint64 seconds);      // 0: any time
    void refresh() { invalidateRowsFilter(); }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    std::optional<LinkEvent::Kind> m_kind;
    EventSeverity m_minimum = EventSeverity::Info;
    qint64 m_windowSeconds = 0;
};

} // namespace fulcrum::ui
