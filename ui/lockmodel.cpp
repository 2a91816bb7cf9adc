#include "lockmodel.h"

#include "common/wallclock.h"
#include "locks/lockbackends.h"
#include "servertablemodel.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <algorithm>

namespace fulcrum::ui {

QString lockKindText(const QString &kind)
{
    if (kind == u"plain")
        return QObject::tr("plain");
    if (kind == u"redisson")
        return QObject::tr("Redisson");
    if (kind == u"redisson-rw")
        return QObject::tr("Redisson read/write");
    if (kind == u"fulcrum")
        return QObject::tr("Fulcrum");
    if (kind == u"curator-mutex")
        return QObject::tr("Curator mutex");
    if (kind == u"curator-rwlock")
        return QObject::tr("Curator read/write");
    if (kind == u"curator-semaphore")
        return QObject::tr("Curator semaphore");
    if (kind == u"kazoo-lock")
        return QObject::tr("Kazoo lock");
    if (kind == u"kazoo-rwlock")
        return QObject::tr("Kazoo read/write");
    if (kind == u"kazoo-semaphore")
        return QObject::tr("Kazoo semaphore");
    if (kind == u"etcd-mutex")
        return QObject::tr("etcd mutex");
    if (kind == u"etcd-election")
        return QObject::tr("etcd election");
    if (kind == u"pg-advisory")
        return QObject::tr("PostgreSQL advisory");
    if (kind == u"pg-blocking-chain")
        return QObject::tr("blocking chain");
    if (kind == u"lock-table")
        return QObject::tr("lock table");
    return kind;
}


LockModel::LockModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_capabilities(lockBackendCapabilities(QStringLiteral("redis")))
{
}

void LockModel::setCapabilities(const LockBackendCapabilities &capabilities)
{
    m_capabilities = capabilities;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

bool LockModel::columnApplies(int column) const
{
    switch (column) {
    case Session: return m_capabilities.sessions;
    case Client: return m_capabilities.clientAddress;
    case Ttl: return m_capabilities.ttl;
    case Waiters: return m_capabilities.waiters;
    default: return true;
    }
}

qint64 LockModel::remainingMs(const LockRow &row, const QDateTime &now)
{
    if (row.noExpiry())
        return -1;
    return std::max<qint64>(0, row.ttlMs - row.readAt.msecsTo(now));
}

void LockModel::setTable(const LockTable &table)
{
    if (table.endpoint != m_endpoint) {
        beginResetModel();   // a different endpoint: nothing to keep
        m_endpoint = table.endpoint;
        m_rows.clear();
        m_index.clear();
        endResetModel();
    }
    QHash<QByteArray, int> incoming;
    for (int i = 0; i < table.rows.size(); ++i)
        incoming.insert(table.rows[i].key, i);
    for (int row = int(m_rows.size()) - 1; row >= 0; --row) {
        if (!incoming.contains(m_rows[row].key)) {
            beginRemoveRows(QModelIndex(), row, row);
            m_rows.removeAt(row);
            endRemoveRows();
        }
    }
    m_index.clear();
    for (int row = 0; row < m_rows.size(); ++row)
        m_index.insert(m_rows[row].key, row);
    QList<LockRow> added;
    for (const LockRow &lock : table.rows) {
        const auto it = m_index.constFind(lock.key);
        if (it == m_index.constEnd()) {
            added.append(lock);
            continue;
        }
        m_rows[*it] = lock;
    }
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    if (!added.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows(QModelIndex(), first, first + int(added.size()) - 1);
        for (const LockRow &lock : added) {
            m_index.insert(lock.key, int(m_rows.size()));
            m_rows.append(lock);
        }
        endInsertRows();
    }
}

void LockModel::setStale(const QDateTime &asOf)
{
    if (asOf == m_staleAsOf)
        return;
    m_staleAsOf = asOf;
    if (asOf.isValid())
        m_now = asOf;    // the countdowns stop where the data stopped
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void LockModel::tick(const QDateTime &now)
{
    if (m_staleAsOf.isValid())
        return;
    m_now = now;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, Ttl), index(int(m_rows.size()) - 1, HeldFor), {Qt::DisplayRole, SortRole});
}

const LockRow *LockModel::lockAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows[row] : nullptr;
}

int LockModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LockModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString LockModel::holderName(const LockRow &row)
{
    return row.holder.isEmpty() && row.kind == u"plain" ? tr("(empty value)") : QString::fromUtf8(row.holder);
}

QString LockModel::holderText(const LockRow &row)
{
    return row.holderText.isEmpty() ? holderName(row) : row.holderText;
}

QVariant LockModel::data(const QModelIndex &index, int role) const
{
    const LockRow *lock = index.isValid() ? lockAt(index.row()) : nullptr;
    if (!lock)
        return QVariant();
    const QDateTime now = m_now.isValid() ? m_now : wallclock::nowUtc();
    const qint64 remaining = remainingMs(*lock, now);
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Key: return QString::fromUtf8(lock->key);
        case Kind: return lockKindText(lock->kind);
        case Holder: return holderText(*lock);
        case Session: return lock->session;
        case Client: return lock->clientAddress;
        case Waiters: return lock->waiters.isEmpty() ? QString() : QString::number(lock->waiters.size());
        case Ttl: return remaining < 0 ? tr("no expiry") : tr("%1 s").arg(remaining / 1000.0, 0, 'f', 1);
        case HeldFor: return lock->firstSeen.isValid() ? durationText(lock->firstSeen.secsTo(now)) : QString();
        case Flags: {
            QStringList flags;
            if (lock->noExpiry() && m_capabilities.ttl)
                flags.append(tr("no expiry"));
            if (lock->orphanedWaiter)
                flags.append(tr("orphaned waiter"));
            if (lock->longHeld)
                flags.append(tr("long-held"));
            if (lock->churning)
                flags.append(tr("churning"));
            if (lock->redlockSplit)
                flags.append(tr("split: no majority"));
            if (lock->redlockMinority)
                flags.append(tr("minority leftover"));
            if (lock->ttlSkew)
                flags.append(tr("TTL skew"));
            return flags.join(QStringLiteral(", "));
        }
        }
    }
    if (role == SortRole) {
        switch (index.column()) {
        case Ttl: return remaining < 0 ? std::numeric_limits<qint64>::max() : remaining;
        case HeldFor: return lock->firstSeen.isValid() ? lock->firstSeen.secsTo(now) : -1;
        case Waiters: return qint64(lock->waiters.size());
        default: return data(index, Qt::DisplayRole);
        }
    }
    if (m_staleAsOf.isValid()) {
        // Old news, and it looks it: greyed, no alarm colours, and the tooltip says since when.
        if (role == Qt::ForegroundRole)
            return QBrush(QColor(0x80, 0x80, 0x80));
        if (role == Qt::ToolTipRole)
            return tr("As of %1: %2 is not connected, so this may have changed")
                .arg(m_staleAsOf.toLocalTime().toString(QStringLiteral("HH:mm:ss")), m_capabilities.displayName);
        if (role == Qt::BackgroundRole || role == Qt::FontRole)
            return QVariant();
    }
    if (role == Qt::ToolTipRole && index.column() == Holder && !lock->holderText.isEmpty())
        return tr("%1\nreleased by its node: %2").arg(lock->holderText, QString::fromUtf8(lock->holder));
    const bool flagged = (lock->noExpiry() && m_capabilities.ttl) || lock->longHeld || lock->orphanedWaiter || lock->redlockSplit || lock->ttlSkew;
    if (role == Qt::BackgroundRole && flagged)
        return QBrush(QColor(0xe1, 0x57, 0x59, 60));
    if (role == Qt::FontRole && flagged && index.column() == Flags) {
        QFont font;
        font.setBold(true);
        return font;
    }
    return QVariant();
}

QVariant LockModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QVariant();
    switch (section) {
    case Key: return m_capabilities.backend == u"redis" || m_capabilities.backend.isEmpty() ? tr("Key") : tr("Lock");
    case Session: return tr("Session");
    case Client: return tr("Client");
    case Waiters: return tr("Waiters");
    case Kind: return tr("Kind");
    case Holder: return tr("Holder");
    case Ttl: return tr("TTL");
    case HeldFor: return tr("Held for");
    case Flags: return tr("Flags");
    }
    return QVariant();
}

} // namespace fulcrum::ui
