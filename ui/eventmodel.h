#pragma once

#include "engine/enginelink.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>
#include <QSortFilterProxyModel>

#include <optional>

#include <deque>

namespace fulcrum::ui {

// How loud an event is: errors (a pool that cannot serve, panic, a server down, a lost
// connection, a refused action) are red, warnings (failing checks, ejections) amber.
enum class EventSeverity { Info, Warning, Error };
EventSeverity eventSeverity(const LinkEvent &event);

// Health transitions, ejections, panic mode and operator actions, newest first; keeps the
// last kMaxEvents. New events are inserted at the top, so a selection stays on its row.
//
// A flapping server folds: kFoldAt or more health changes of one server in a row (each within
// kFoldGapSeconds of the one before, nothing else between them) show as one row, the newest,
// saying how many changes in how long and where it is now ("▸ flapping: 7 changes in 2 min 10 s
// · now down"), as loud as the worst of them. toggleRun expands it (the view: Enter or a
// double-click); the other rows are then shown indented under it.
class EventModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Time, Kind, Who, Target, Change, Detail, ColumnCount };
    static constexpr int kMaxEvents = 5000;
    static constexpr int kFoldAt = 3;
    static constexpr qint64 kFoldGapSeconds = 600;

    explicit EventModel(QObject *parent = nullptr);

    void addEvents(const QList<LinkEvent> &events);
    const LinkEvent &eventAt(int row) const { return m_events[size_t(row)].event; }

    // The run of folded changes a row belongs to.
    int runSize(int row) const;
    bool isRunHead(int row) const;
    bool isFolded(int row) const { return runSize(row) >= kFoldAt; }
    bool isExpanded(int row) const;
    // A row hidden inside a collapsed run (the filter leaves it out).
    bool isFoldedAway(int row) const { return isFolded(row) && !isRunHead(row) && !isExpanded(row); }
    // How loud a row is: a collapsed run's head is as loud as its loudest change.
    EventSeverity rowSeverity(int row) const;
    // Expands or collapses the run of `row`; false when the row is not in a folded run.
    bool toggleRun(int row);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // A run was expanded or collapsed: rows appear or go in filters over this model.
    void foldingChanged();

private:
    struct Entry
    {
        LinkEvent event;
        quint64 run;
    };
    int runHead(int row) const;
    QString changeText(const LinkEvent &event) const;

    std::deque<Entry> m_events;   // newest first
    QHash<quint64, int> m_runSize;
    QSet<quint64> m_expanded;
    quint64 m_lastRun = 0;
};

QString eventKindText(LinkEvent::Kind kind);

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
