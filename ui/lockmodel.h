#pragma once

#include "engine/enginelink.h"

#include <QAbstractTableModel>
#include <QHash>

namespace fulcrum::ui {

// The locks of one Redis endpoint. TTLs count down between scans from when Redis reported
// them (tick() moves only the TTL and held-for columns); rows are keyed by lock key so a
// new scan updates in place.
class LockModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Key, Kind, Holder, Ttl, HeldFor, Flags, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit LockModel(QObject *parent = nullptr);

    void setTable(const LockTable &table);
    void tick(const QDateTime &now);
    // The endpoint is not connected: the rows are as of `asOf` (when they were last read). TTLs
    // and held-for stop counting there, rows are greyed; an invalid time makes them live again.
    void setStale(const QDateTime &asOf);
    bool isStale() const { return m_staleAsOf.isValid(); }
    const LockRow *lockAt(int row) const;
    QString endpoint() const { return m_endpoint; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Remaining TTL at `now` (-1: no expiry; 0: expired since the scan).
    static qint64 remainingMs(const LockRow &row, const QDateTime &now);

private:
    QString m_endpoint;
    QList<LockRow> m_rows;
    QHash<QByteArray, int> m_index;
    QDateTime m_now;
    QDateTime m_staleAsOf;
};

} // namespace fulcrum::ui
