#include "servertablemodel.h"

#include "servercolors.h"
#include "weightcontroller.h"

#include <QBrush>
#include <QIcon>
#include <QPixmap>
#include <QSpinBox>
#include <QLocale>

#include <utility>

namespace fulcrum::ui {

QString durationText(qint64 seconds)
{
    if (seconds < 0)
        return QString();
    if (seconds < 60)
        return QObject::tr("%1 s").arg(seconds);
    if (seconds < 3600)
        return QObject::tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    return QObject::tr("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
}

ServerTableModel::ServerTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

namespace {

qint64 secondsBetween(const QDateTime &from, const QDateTime &to)
{
    return from.isValid() && to.isValid() ? from.secsTo(to) : -1;
}

} // namespace

// Which columns show something different for this server, as bits of ServerTableModel::Column.
// "Last check" and "In state" read as ages, so they change with the clock as well.
quint32 ServerTableModel::changedColumnsOf(const ServerStatus &before, const QDateTime &nowBefore,
                                           const ServerStatus &after, const QDateTime &nowAfter)
{
    quint32 columns = 0;
    auto mark = [&columns](bool changed, Column column) {
        if (changed)
            columns |= 1u << column;
    };
    mark(before.name != after.name, Name);
    mark(before.pool != after.pool, Pool);
    mark(before.stateText != after.stateText || before.state != after.state, State);
    mark(before.address != after.address, Address);
    if (stateTint(before) != stateTint(after))
        columns = (1u << ColumnCount) - 1;   // the whole row's tint
    mark(before.reason != after.reason, Reason);
    mark(before.weight != after.weight, Weight);
    mark(before.effectiveWeight != after.effectiveWeight, EffectiveWeight);
    mark(before.activeConnections != after.activeConnections, Active);
    mark(before.activeConnections != after.activeConnections && after.state == BackendState::Drain, Reason);   // "draining: 3 in flight"
    mark(before.requestsPerSecond != after.requestsPerSecond, RequestsPerSecond);
    mark(before.share != after.share, Share);
    mark(before.p50Ms != after.p50Ms, P50);
    mark(before.p95Ms != after.p95Ms, P95);
    mark(before.p99Ms != after.p99Ms, P99);
    mark(before.errorRate != after.errorRate, ErrorRate);
    mark(before.address != after.address, Name);   // the name's tooltip
    mark(secondsBetween(before.lastCheck, nowBefore) != secondsBetween(after.lastCheck, nowAfter)
             || before.reason.isEmpty() != after.reason.isEmpty(), LastCheck);   // "never" / "not reported"
    mark(secondsBetween(before.stateSince, nowBefore) != secondsBetween(after.stateSince, nowAfter), InState);
    return columns;
}

void ServerTableModel::updateFromSnapshot(const LinkSnapshot &snapshot)
{
    const QDateTime previousNow = std::exchange(m_now, snapshot.time);
    // Usually the same servers in the same order as last tick: then row i is server i, and
    // no key is built or hashed.
    bool sameServers = snapshot.servers.size() == m_servers.size();
    for (qsizetype i = 0; sameServers && i < m_servers.size(); ++i)
        sameServers = m_servers[i].name == snapshot.servers[i].name && m_servers[i].pool == snapshot.servers[i].pool;
    if (!sameServers) {
        QHash<QString, int> incoming;
        incoming.reserve(snapshot.servers.size());
        for (int i = 0; i < snapshot.servers.size(); ++i)
            incoming.insert(snapshot.servers[i].key(), i);

        // Servers that went away: remove from the bottom up so the rows above keep their numbers.
        for (int row = int(m_servers.size()) - 1; row >= 0; --row) {
            if (!incoming.contains(m_servers[row].key())) {
                beginRemoveRows(QModelIndex(), row, row);
                m_servers.removeAt(row);
                endRemoveRows();
            }
        }
        m_rows.clear();
        for (int row = 0; row < m_servers.size(); ++row)
            m_rows.insert(m_servers[row].key(), row);
    }

    // Changed figures in place, then new servers appended. dataChanged names only the columns
    // that changed: the view repaints those cells and not the whole table, and the proxy
    // re-sorts only when the sort column is among them.
    int firstChanged = -1;
    int lastChanged = -1;
    quint32 changedColumns = 0;
    QList<ServerStatus> added;
    for (int i = 0; i < snapshot.servers.size(); ++i) {
        const ServerStatus &server = snapshot.servers[i];
        const int row = sameServers ? i : m_rows.value(server.key(), -1);
        if (row < 0) {
            added.append(server);
            continue;
        }
        const quint32 columns = changedColumnsOf(m_servers[row], previousNow, server, m_now);
        m_servers[row] = server;
        if (!columns)
            continue;
        changedColumns |= columns;
        firstChanged = firstChanged < 0 ? row : std::min(firstChanged, row);
        lastChanged = std::max(lastChanged, row);
    }
    for (int column = 0; firstChanged >= 0 && column < ColumnCount; ++column) {
        if (!(changedColumns & (1u << column)))
            continue;
        int last = column;
        while (last + 1 < ColumnCount && (changedColumns & (1u << (last + 1))))
            ++last;
        Q_EMIT dataChanged(index(firstChanged, column), index(lastChanged, last));
        column = last;
    }
    if (!added.isEmpty()) {
        const int first = int(m_servers.size());
        beginInsertRows(QModelIndex(), first, first + int(added.size()) - 1);
        for (const ServerStatus &server : added) {
            m_rows.insert(server.key(), int(m_servers.size()));
            m_servers.append(server);
        }
        endInsertRows();
    }
}

const ServerStatus *ServerTableModel::serverAt(int row) const
{
    return row >= 0 && row < m_servers.size() ? &m_servers[row] : nullptr;
}

int ServerTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_servers.size());
}

int ServerTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool ServerTableModel::reports(bool EngineCapabilities::*figure) const
{
    return !m_controller || m_controller->capabilities().*figure;
}

QVariant ServerTableModel::display(const ServerStatus &server, int column) const
{
    const QLocale locale;
    switch (column) {
    case Name: return server.name;
    case Pool: return server.pool;
    case Address: return server.address;
    case State: return server.stateText;
    // A drained server says when it is empty, the moment an operator waits for before stopping it.
    case Reason:
        if (server.state == BackendState::Drain)
            return server.activeConnections == 0 ? tr("drained, empty") : tr("draining, %n left", nullptr, server.activeConnections);
        return server.reason;
    case Weight: return server.weight;
    case EffectiveWeight: return server.effectiveWeight;
    case Active: return server.activeConnections;
    case RequestsPerSecond: return locale.toString(server.requestsPerSecond, 'f', 1);
    case Share: return tr("%1 %").arg(locale.toString(server.share * 100, 'f', 1));
    // Blank where the engine does not report it (Apache httpd: no times, no errors), never 0.
    // Blank too for a server without traffic: no requests, no times (not "0.0 ms").
    case P50: return reports(&EngineCapabilities::responseTimes) && server.requestsPerSecond > 0 ? tr("%1 ms").arg(locale.toString(server.p50Ms, 'f', 1)) : QString();
    case P95: return reports(&EngineCapabilities::percentiles) && server.requestsPerSecond > 0 ? tr("%1 ms").arg(locale.toString(server.p95Ms, 'f', 1)) : QString();
    case P99: return reports(&EngineCapabilities::percentiles) && server.requestsPerSecond > 0 ? tr("%1 ms").arg(locale.toString(server.p99Ms, 'f', 1)) : QString();
    case ErrorRate: return reports(&EngineCapabilities::errorRates) ? tr("%1 %").arg(locale.toString(server.errorRate * 100, 'f', 2)) : QString();
    case LastCheck:
        if (server.lastCheck.isValid())
            return tr("%1 s ago").arg(server.lastCheck.secsTo(m_now));
        // A check result without its time: HAProxy's show stat has no time of the last check.
        return server.reason.isEmpty() ? tr("never") : tr("not reported");
    case InState: return server.stateSince.isValid() ? durationText(server.stateSince.secsTo(m_now)) : QString();
    }
    return QVariant();
}

void ServerTableDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    CachedTextDelegate::initStyleOption(option, index);
    const QVariant decoration = index.data(Qt::DecorationRole);
    if (!(option->features & QStyleOptionViewItem::HasDecoration) || decoration.typeId() != QMetaType::QColor)
        return;
    QPixmap swatch(option->decorationSize);
    swatch.fill(decoration.value<QColor>());
    QIcon icon;
    for (QIcon::Mode mode : {QIcon::Normal, QIcon::Selected, QIcon::Active})
        icon.addPixmap(swatch, mode);
    option->icon = icon;
}

QWidget *ServerTableDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    if (index.column() != ServerTableModel::Weight || !m_controller)
        return CachedTextDelegate::createEditor(parent, option, index);
    auto *spin = new QSpinBox(parent);
    spin->setObjectName(QStringLiteral("weightEditor"));
    spin->setFrame(false);
    spin->setRange(m_controller->minWeight(), m_controller->maxWeight());
    spin->setAlignment(Qt::AlignRight);
    const QString range = ServerTableModel::tr("allowed: %1–%2").arg(m_controller->minWeight()).arg(m_controller->maxWeight());
    spin->setToolTip(range);
    spin->setStatusTip(range);
    return spin;
}

QColor stateTint(const ServerStatus &server)
{
    if (server.stateText.contains(u"ejected"))
        return QColor(0x8e, 0x44, 0xad, 60);
    switch (server.state) {
    case BackendState::Down: return QColor(0xd6, 0x27, 0x28, 60);
    case BackendState::Drain: return QColor(0xf2, 0x8e, 0x2b, 60);
    case BackendState::Maint: return QColor(0x4e, 0x79, 0xa7, 55);
    case BackendState::Up: break;
    }
    return QColor();
}

QString naturalSortKey(const QString &text)
{
    // Each run of digits as its length (two digits, leading zeros dropped) and the digits, so
    // that a plain string compare puts app2 before app10 and 10.0.0.9 before 10.0.0.10; case
    // folded, as people read names.
    QString key;
    key.reserve(text.size() + 8);
    const auto isDigit = [&text](qsizetype at) { return text[at].unicode() >= u'0' && text[at].unicode() <= u'9'; };
    for (qsizetype i = 0; i < text.size();) {
        if (!isDigit(i)) {
            key.append(text[i].toCaseFolded());
            ++i;
            continue;
        }
        qsizetype end = i;
        while (end < text.size() && isDigit(end))
            ++end;
        qsizetype first = i;
        while (first < end - 1 && text[first] == u'0')
            ++first;
        const qsizetype length = std::min<qsizetype>(end - first, 99);
        key.append(QChar(char16_t(u'0' + length / 10))).append(QChar(char16_t(u'0' + length % 10))).append(QStringView(text).mid(first, end - first));
        i = end;
    }
    return key;
}

QVariant ServerTableModel::sortValue(const ServerStatus &server, int column) const
{
    switch (column) {
    case Name: return naturalSortKey(server.name);
    case Pool: return naturalSortKey(server.pool);
    case Address: return naturalSortKey(server.address);
    case State: return server.stateText;
    case Reason: return server.reason;
    case Weight: return server.weight;
    case EffectiveWeight: return server.effectiveWeight;
    case Active: return server.activeConnections;
    case RequestsPerSecond: return server.requestsPerSecond;
    case Share: return server.share;
    case P50: return server.p50Ms;
    case P95: return server.p95Ms;
    case P99: return server.p99Ms;
    case ErrorRate: return server.errorRate;
    case LastCheck: return server.lastCheck;
    case InState: return server.stateSince.isValid() ? server.stateSince.secsTo(m_now) : -1;
    }
    return QVariant();
}

QVariant ServerTableModel::data(const QModelIndex &index, int role) const
{
    const ServerStatus *server = index.isValid() ? serverAt(index.row()) : nullptr;
    if (!server)
        return QVariant();
    switch (role) {
    case Qt::DisplayRole:
        return display(*server, index.column());
    case Qt::EditRole:
        return index.column() == Weight ? QVariant(server->weight) : display(*server, index.column());
    case SortRole:
        return sortValue(*server, index.column());
    case KeyRole:
        return server->key();
    case Qt::DecorationRole:
        return index.column() == Name ? QVariant(serverColor(server->key())) : QVariant();
    case Qt::BackgroundRole: {
        const QColor tint = stateTint(*server);
        return tint.isValid() ? QVariant(QBrush(tint)) : QVariant();
    }
    case Qt::ForegroundRole:
        if (index.column() == State && server->state == BackendState::Down)
            return QBrush(QColor(0xd6, 0x27, 0x28));
        if (index.column() == ErrorRate && server->errorRate >= 0.01)
            return QBrush(QColor(0xd6, 0x27, 0x28));
        return QVariant();
    case Qt::TextAlignmentRole:
        return index.column() >= Weight && index.column() <= ErrorRate ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case Qt::ToolTipRole:
        if (index.column() == Weight)
            return tr("Type a new weight (%1–%2) to change it; Ctrl+Z undoes it").arg(m_controller ? m_controller->minWeight() : 0).arg(m_controller ? m_controller->maxWeight() : kMaxWeight)
                   + (m_controller && !m_controller->weightNote().isEmpty() ? u'\n' + m_controller->weightNote() : QString());
        if (index.column() == Name)
            return server->address;
        if (index.column() == Reason && server->state == BackendState::Drain)
            return server->activeConnections == 0 ? tr("Drained: nothing in flight, safe to stop it")
                                                  : tr("Draining: still serving %n request(s); stop it once this says empty", nullptr, server->activeConnections);
        if (index.column() == Reason)
            return server->reason;
        return QVariant();
    }
    return QVariant();
}

QVariant ServerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == Active)
        return tr("Requests being served now (connections in use); kept-alive idle connections are not counted");
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QVariant();
    switch (section) {
    case Name: return tr("Server");
    case Pool: return tr("Pool");
    case Address: return tr("Address");
    case State: return tr("State");
    case Reason: return tr("Reason");
    case Weight: return tr("Weight");
    case EffectiveWeight: return tr("Effective");
    case Active: return tr("Active");
    case RequestsPerSecond: return tr("Req/s");
    case Share: return tr("Share");
    case P50: return tr("p50");
    case P95: return tr("p95");
    case P99: return tr("p99");
    case ErrorRate: return tr("5xx");
    case LastCheck: return tr("Last check");
    case InState: return tr("In state");
    }
    return QVariant();
}

Qt::ItemFlags ServerTableModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags flags = QAbstractTableModel::flags(index);
    if (index.column() == Weight && m_controller)
        flags |= Qt::ItemIsEditable;
    return flags;
}

bool ServerTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    const ServerStatus *server = serverAt(index.row());
    if (!server || role != Qt::EditRole || index.column() != Weight || !m_controller)
        return false;
    bool ok = false;
    const int weight = value.toString().trimmed().toInt(&ok);
    if (!ok || weight < m_controller->minWeight() || weight > m_controller->maxWeight())
        return false;
    return m_controller->requestWeight(server->pool, server->name, weight);
}

} // namespace fulcrum::ui
