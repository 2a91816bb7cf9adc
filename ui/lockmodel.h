#pragma once

#include "engine/enginelink.h"

#include <QAbstractTableModel>
#include <QHash>

namespace fulcrum::ui {

// A lock's kind as people read it (the inspectors name them in English: plain, redisson, ...).
QString lockKindText(const QString &kind);

// The locks of one lock endpoint, any backend. TTLs count down between scans from when the
// backend reported them (tick() moves only the TTL and held-for columns); rows are keyed by
// lock name so a new scan updates in place. Columns a backend has no figures for are hidden by
// the view (columnApplies()).
class LockModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Key, Kind, Holder, Session, Client, Ttl, Waiters, HeldFor, Flags, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit LockModel(QObject *parent = nullptr);

    void setTable(const LockTable &table);
    // What the endpoint's backend can tell (TTLs, waiters, sessions, client addresses).
    void setCapabilities(const LockBackendCapabilities &capabilities);
    const LockBackendCapabilities &capabilities() const { return m_capabilities; }
    // False for columns the backend has no figures for: shown empty they would only mislead.
    bool columnApplies(int column) const;
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

    // The holder as the lock names it; a Redis key set to "" is "(empty value)" (held, by no
    // one it names), never a blank that reads as free.
    static QString holderName(const LockRow &row);
    // The holder as a person reads it: the holder's own text where it has one, else its name.
    static QString holderText(const LockRow &row);
    // Remaining TTL at `now` (-1: no expiry; 0: expired since the scan).
    static qint64 remainingMs(const LockRow &row, const QDateTime &now);

private:
    QString m_endpoint;
    QList<LockRow> m_rows;
    QHash<QByteArray, int> m_index;
    QDateTime m_now;
    QDateTime m_staleAsOf;
    LockBackendCapabilities m_capabilities;
};

} // namespace fulcrum::ui
