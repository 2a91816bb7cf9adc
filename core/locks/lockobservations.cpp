#include "lockobservations.h"

namespace fulcrum {

void LockObservations::beginPass(const QDateTime &passStartedAt)
{
    m_passStartedAt = passStartedAt;
    ++m_pass;
}

void LockObservations::observe(LockInfo &info)
{
    observeAt(info, m_passStartedAt);
}

void LockObservations::observeAt(LockInfo &info, const QDateTime &now)
{
    auto it = m_history.find(info.key);
    if (it == m_history.end()) {
        it = m_history.insert(info.key, History{now, info.holder, now, 0, {}, m_pass});
    } else if (it->holder != info.holder) {
        ++it->changes;
        it->holder = info.holder;
        it->holderSince = now;
        it->recentChanges.append(now);
    }
    History &h = *it;
    h.lastPass = m_pass;
    while (!h.recentChanges.isEmpty() && h.recentChanges.first().msecsTo(now) > m_rules.churnWindowMs)
        h.recentChanges.removeFirst();
    info.firstSeen = h.firstSeen;
    info.heldForMs = h.holderSince.msecsTo(now);
    info.holderChanges = h.changes;
    if (info.heldForMs > m_rules.longHeldMs)
        info.flags |= LockInfo::LongHeld;
    if (h.recentChanges.size() >= m_rules.churnChanges)
        info.flags |= LockInfo::Churn;
}

void LockObservations::endPass()
{
    const quint64 pass = m_pass;
    m_history.removeIf([pass](const QHash<QByteArray, History>::iterator &it) { return it->lastPass != pass; });
}

} // namespace fulcrum
