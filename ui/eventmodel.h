#pragma once

#include "engine/enginelink.h"

#include <QAbstractTableModel>

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

} // namespace fulcrum::ui
