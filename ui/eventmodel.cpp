#include "eventmodel.h"

#include "common/wallclock.h"
#include "servertablemodel.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <algorithm>

namespace fulcrum::ui {

QString eventKindText(LinkEvent::Kind kind)
{
    switch (kind) {
    case LinkEvent::Kind::Health: return QObject::tr("health");
    case LinkEvent::Kind::Ejection: return QObject::tr("ejection");
    case LinkEvent::Kind::Panic: return QObject::tr("panic");
    case LinkEvent::Kind::Operator: return QObject::tr("operator");
    case LinkEvent::Kind::Lock: return QObject::tr("lock");
    case LinkEvent::Kind::Link: return QObject::tr("connection");
    case LinkEvent::Kind::Engine: return QObject::tr("engine");
    case LinkEvent::Kind::Outage: return QObject::tr("POOL OUTAGE");
    }
    return QString();
}

// What changed, in the operator's language (the engines send these few words in English).
static QString whatText(const QString &what)
{
    if (what == u"state")
        return QObject::tr("state");
    if (what == u"set-state")
        return QObject::tr("set state");
    if (what == u"set-weight")
        return QObject::tr("set weight");
    if (what == u"pool")
        return QObject::tr("pool");
    if (what == u"panic mode")
        return QObject::tr("panic mode");
    if (what == u"connection")
        return QObject::tr("connection");
    if (what == u"force-release")
        return QObject::tr("force release");
    return what;
}

namespace {

// An engine's own notice: its severity is the engine's, named in the Detail column.
QString severityText(LinkEvent::Severity severity)
{
    switch (severity) {
    case LinkEvent::Severity::Error: return QObject::tr("error");
    case LinkEvent::Severity::Warning: return QObject::tr("warning");
    case LinkEvent::Severity::Info: return QObject::tr("info");
    case LinkEvent::Severity::None: break;
    }
    return QString();
}

} // namespace

EventModel::EventModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void EventModel::addEvents(const QList<LinkEvent> &events)
{
    if (events.isEmpty())
        return;
    const bool inOrder = std::is_sorted(events.cbegin(), events.cend(), [](const LinkEvent &a, const LinkEvent &b) { return a.time < b.time; });
    if (inOrder && (m_events.empty() || events.front().time >= m_events.front().event.time)) {
        // The usual tick: everything is newer than what is shown, one insert at the top.
        const int count = int(events.size());
        bool foldingMoved = false;
        beginInsertRows(QModelIndex(), 0, count - 1);
        for (const LinkEvent &event : events) {
            // A server's health changes one after another make one run (a flap folds).
            quint64 run = ++m_lastRun;
            if (!m_events.empty()) {
                const LinkEvent &top = m_events.front().event;
                if (event.kind == LinkEvent::Kind::Health && top.kind == LinkEvent::Kind::Health && event.target == top.target
                    && top.time.secsTo(event.time) <= kFoldGapSeconds) {
                    run = m_events.front().run;
                    --m_lastRun;
                }
            }
            m_events.push_front(Entry{event, run});
            // Reaching kFoldAt hides the run's older rows; past it, the head before this one
            // becomes a row inside the run and must go too.
            foldingMoved = ++m_runSize[run] >= kFoldAt || foldingMoved;
        }
        endInsertRows();
        if (foldingMoved)
            Q_EMIT foldingChanged();
    } else {
        // Older events arriving late: the history another engine sends when it (re)connects
        // beside one already shown. Each goes to its place in time, so the list stays newest
        // first across engines (at equal times, the later arrival goes above).
        for (const LinkEvent &event : events) {
            const auto at = std::lower_bound(m_events.cbegin(), m_events.cend(), event.time,
                                             [](const Entry &shown, const QDateTime &time) { return shown.event.time > time; });
            const int row = int(at - m_events.cbegin());
            // A late event starts a run of its own: it does not split or join one.
            beginInsertRows(QModelIndex(), row, row);
            const quint64 run = ++m_lastRun;
            m_events.insert(m_events.begin() + row, Entry{event, run});
            m_runSize[run] = 1;
            endInsertRows();
        }
    }
    if (m_events.size() > size_t(kMaxEvents)) {
        beginRemoveRows(QModelIndex(), kMaxEvents, int(m_events.size()) - 1);
        for (size_t i = size_t(kMaxEvents); i < m_events.size(); ++i) {
            if (--m_runSize[m_events[i].run] == 0) {
                m_runSize.remove(m_events[i].run);
                m_expanded.remove(m_events[i].run);
            }
        }
        m_events.resize(size_t(kMaxEvents));
        endRemoveRows();
    }
}

int EventModel::runSize(int row) const
{
    return row >= 0 && row < int(m_events.size()) ? m_runSize.value(m_events[size_t(row)].run, 1) : 0;
}

bool EventModel::isRunHead(int row) const
{
    return row >= 0 && row < int(m_events.size()) && (row == 0 || m_events[size_t(row - 1)].run != m_events[size_t(row)].run);
}

int EventModel::runHead(int row) const
{
    while (row > 0 && m_events[size_t(row - 1)].run == m_events[size_t(row)].run)
        --row;
    return row;
}

bool EventModel::isExpanded(int row) const
{
    return row >= 0 && row < int(m_events.size()) && m_expanded.contains(m_events[size_t(row)].run);
}

EventSeverity EventModel::rowSeverity(int row) const
{
    EventSeverity worst = eventSeverity(eventAt(row));
    if (isFolded(row) && isRunHead(row) && !isExpanded(row)) {
        const quint64 run = m_events[size_t(row)].run;
        for (size_t i = size_t(row); i < m_events.size() && m_events[i].run == run; ++i)
            worst = std::max(worst, eventSeverity(m_events[i].event));
    }
    return worst;
}

bool EventModel::toggleRun(int row)
{
    if (!isFolded(row))
        return false;
    const quint64 run = m_events[size_t(row)].run;
    if (!m_expanded.remove(run))
        m_expanded.insert(run);
    const int head = runHead(row);
    Q_EMIT dataChanged(index(head, 0), index(head + runSize(row) - 1, ColumnCount - 1));
    Q_EMIT foldingChanged();
    return true;
}

QString EventModel::changeText(const LinkEvent &event) const
{
    // A notice's text is what is read: in the column that takes the room, after its source.
    if (event.severity != LinkEvent::Severity::None)
        return tr("%1: %2").arg(whatText(event.what), event.detail);
    return event.before.isEmpty() && event.after.isEmpty()
               ? whatText(event.what)
               : tr("%1: %2 → %3").arg(whatText(event.what), event.before, event.after);
}

int EventModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int EventModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_events.size()))
        return QVariant();
    const int row = index.row();
    const LinkEvent &event = eventAt(row);
    const bool folded = isFolded(row);
    if (folded && index.column() == Change && role == Qt::ToolTipRole)
        return isExpanded(row) ? tr("Enter or double-click folds these %n changes into one row", nullptr, runSize(row))
                               : tr("Enter or double-click shows each of these %n changes", nullptr, runSize(row));
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Time: return event.time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        case Kind: return eventKindText(event.kind);
        case Who: return event.who;
        case Target: return event.target;
        case Change:
            if (!folded)
                return changeText(event);
            if (!isRunHead(row))
                return QStringLiteral("    ") + changeText(event);   // under its head, expanded
            if (isExpanded(row))
                return QStringLiteral("▾ ") + changeText(event);
            {
                const int size = runSize(row);
                const LinkEvent &oldest = eventAt(row + size - 1);
                return tr("▸ flapping: %n changes in %1 · now %2", nullptr, size)
                    .arg(durationText(oldest.time.secsTo(event.time)), event.after);
            }
        case Detail: return event.severity != LinkEvent::Severity::None ? severityText(event.severity) : event.detail;
        }
    }
    // Red: a server going down, panic mode, a pool that cannot serve (its end too: it says how
    // long), a lost connection; amber: failing checks and ejections.
    if (role == Qt::ForegroundRole) {
        switch (rowSeverity(row)) {
        case EventSeverity::Error: return QBrush(QColor(0xd6, 0x27, 0x28));
        case EventSeverity::Warning: return QBrush(QColor(0xc0, 0x6c, 0x00));
        case EventSeverity::Info: break;
        }
    }
    if (role == Qt::FontRole && event.kind == LinkEvent::Kind::Outage && event.after == QLatin1String("NO SERVER")) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
    return QVariant();
}

QVariant EventModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QVariant();
    switch (section) {
    case Time: return tr("Time");
    case Kind: return tr("Kind");
    case Who: return tr("Who");
    case Target: return tr("Target");
    case Change: return tr("Change");
    case Detail: return tr("Detail");
    }
    return QVariant();
}

EventSeverity eventSeverity(const LinkEvent &event)
{
    switch (event.severity) {
    case LinkEvent::Severity::Info: return EventSeverity::Info;
    case LinkEvent::Severity::Warning: return EventSeverity::Warning;
    case LinkEvent::Severity::Error: return EventSeverity::Error;
    case LinkEvent::Severity::None: break;
    }
    switch (event.kind) {
    case LinkEvent::Kind::Outage:
    case LinkEvent::Kind::Panic:
        return EventSeverity::Error;
    case LinkEvent::Kind::Health:
        if (event.after.startsWith(u"down"))
            return EventSeverity::Error;
        return event.after.contains(u"failed") || event.after.contains(u"ejected") ? EventSeverity::Warning : EventSeverity::Info;
    case LinkEvent::Kind::Ejection:
        return EventSeverity::Warning;
    case LinkEvent::Kind::Link:
        return event.after == u"connected" ? EventSeverity::Info : EventSeverity::Error;
    case LinkEvent::Kind::Engine:
        // Its notices carry their severity (above); a change of its own ("start → not
        // running": the in-process engine refused its config) is an error.
        return event.after.isEmpty() ? EventSeverity::Info : EventSeverity::Error;
    case LinkEvent::Kind::Operator:
    case LinkEvent::Kind::Lock:
        // An action the engine refused, or a release that deleted nothing, says so in its detail.
        return event.detail.isEmpty() || event.detail == u"ok" ? EventSeverity::Info : EventSeverity::Warning;
    }
    return EventSeverity::Info;
}

void EventFilter::setKind(std::optional<LinkEvent::Kind> kind)
{
    m_kind = kind;
    invalidateRowsFilter();
}

void EventFilter::setMinimumSeverity(EventSeverity severity)
{
    m_minimum = severity;
    invalidateRowsFilter();
}

void EventFilter::setWindowSeconds(qint64 seconds)
{
    m_windowSeconds = seconds;
    invalidateRowsFilter();
}

bool EventFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const auto *events = qobject_cast<const EventModel *>(sourceModel());
    if (events && sourceRow < events->rowCount()) {
        const LinkEvent &event = events->eventAt(sourceRow);
        if (events->isFoldedAway(sourceRow))
            return false;
        if (m_kind && event.kind != *m_kind)
            return false;
        if (int(events->rowSeverity(sourceRow)) < int(m_minimum))
            return false;
        if (m_windowSeconds > 0 && event.time.secsTo(wallclock::nowUtc()) > m_windowSeconds)
            return false;
    }
    return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

} // namespace fulcrum::ui
