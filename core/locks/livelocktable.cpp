#include "livelocktable.h"

#include "common/wallclock.h"

#include <QSet>

#include <algorithm>

namespace fulcrum {

namespace {

bool isBelow(const QByteArray &key, const QByteArray &prefix, char separator)
{
    return key.size() > prefix.size() + 1 && key.startsWith(prefix) && key.at(prefix.size()) == separator;
}

QByteArray nextSegment(const QByteArray &key, const QByteArray &prefix, char separator)
{
    const qsizetype start = prefix.size() + 1;
    const qsizetype end = key.indexOf(separator, start);
    return key.mid(start, end < 0 ? -1 : end - start);
}

template <typename Map>
void eraseBelow(Map &map, const QByteArray &prefix, char separator, const QSet<QByteArray> *keep, QList<QByteArray> *erased)
{
    const QByteArray start = prefix + separator;
    for (auto it = map.lower_bound(start); it != map.end() && isBelow(it->first, prefix, separator);) {
        if (keep && keep->contains(nextSegment(it->first, prefix, separator))) {
            ++it;
            continue;
        }
        if (erased)
            erased->append(it->first);
        it = map.erase(it);
    }
}

} // namespace

void LiveLockTable::adopt(const LockScanResult &pass)
{
    clear();
    for (const LockInfo &lock : pass.locks) {
        LockInfo row = lock;
        if (!row.readAt.isValid())
            row.readAt = pass.finishedAt;
        m_rows.emplace_hint(m_rows.end(), row.key, std::move(row));
    }
    for (const LockScanNote &note : pass.notes)
        m_notes[note.key] = note;
    m_notesOmitted = pass.notesOmitted;
}

void LiveLockTable::clear()
{
    m_rows.clear();
    m_notes.clear();
    m_notesOmitted = 0;
    m_changes = LockChanges();
    m_resultStale = true;
}

const LockInfo *LiveLockTable::row(const QByteArray &key) const
{
    const auto it = m_rows.find(key);
    return it == m_rows.end() ? nullptr : &it->second;
}

void LiveLockTable::put(LockInfo row)
{
    if (!row.readAt.isValid())
        row.readAt = wallclock::nowUtc();
    if (m_observations)
        m_observations->observeAt(row, row.readAt);
    m_notes.erase(row.key);
    m_changes.upserted.append(row);
    m_rows.insert_or_assign(row.key, std::move(row));
    m_resultStale = true;
}

void LiveLockTable::remove(const QByteArray &key)
{
    m_notes.erase(key);
    if (m_observations)
        m_observations->forget(key);
    if (m_rows.erase(key) > 0) {
        m_changes.removed.append(key);
        m_resultStale = true;
    }
}

void LiveLockTable::removeBelow(const QByteArray &prefix, char separator, const QSet<QByteArray> *keep)
{
    QList<QByteArray> erased;
    eraseBelow(m_rows, prefix, separator, keep, &erased);
    eraseBelow(m_notes, prefix, separator, keep, nullptr);
    for (const QByteArray &key : std::as_const(erased)) {
        if (m_observations)
            m_observations->forget(key);
        m_changes.removed.append(key);
    }
    m_resultStale = true;
}

QList<QByteArray> LiveLockTable::keysBelow(const QByteArray &prefix, char separator) const
{
    QList<QByteArray> keys;
    for (auto it = m_rows.lower_bound(prefix + separator); it != m_rows.end() && isBelow(it->first, prefix, separator); ++it)
        keys.append(it->first);
    return keys;
}

void LiveLockTable::setNote(LockScanNote note)
{
    m_resultStale = true;
    if (qsizetype(m_notes.size()) >= maxNotesPerPass && !m_notes.contains(note.key)) {
        // Full: a warning note takes the place of a plain one (as keepNote), else it is counted.
        ++m_notesOmitted;
        const auto plain = !isWarningNote(note) ? m_notes.end()
                                                : std::find_if(m_notes.begin(), m_notes.end(), [](const auto &n) { return !isWarningNote(n.second); });
        if (plain == m_notes.end())
            return;
        m_notes.erase(plain);
    }
    const QByteArray key = note.key;
    m_notes.insert_or_assign(key, std::move(note));
}

void LiveLockTable::clearNote(const QByteArray &key)
{
    if (m_notes.erase(key) > 0)
        m_resultStale = true;
}

LockChanges LiveLockTable::takeChanges()
{
    LockChanges changes = std::exchange(m_changes, LockChanges());
    if (!changes.isEmpty())
        changes.at = wallclock::nowUtc();
    return changes;
}

const LockScanResult &LiveLockTable::result(const LockScanResult &base) const
{
    // Rebuilt only when asked after a change (the engine asks once per snapshot tick), and then
    // as of now, so that a reader counting TTLs down from finishedAt stays right.
    if (!m_resultStale && m_result.finishedAt.isValid())
        return m_result;
    m_resultStale = false;
    const QDateTime now = wallclock::nowUtc();
    const qint64 longHeldMs = m_observations ? m_observations->rules().longHeldMs : -1;
    m_result.locks.clear();
    m_result.locks.reserve(qsizetype(m_rows.size()));
    for (const auto &[key, row] : m_rows) {
        LockInfo info = row;
        const qint64 since = row.readAt.isValid() ? std::max<qint64>(0, row.readAt.msecsTo(now)) : 0;
        if (info.ttlMs >= 0 && m_countDownTtl)
            info.ttlMs = std::max<qint64>(0, info.ttlMs - since);
        if (m_observations) {
            info.heldForMs += since;
            if (info.heldForMs > longHeldMs)
                info.flags |= LockInfo::LongHeld;
        }
        m_result.locks.append(std::move(info));
    }
    m_result.notes.clear();
    for (const auto &[key, note] : m_notes)
        m_result.notes.append(note);
    m_result.notesOmitted = m_notesOmitted;
    m_result.keysScanned = base.keysScanned;
    m_result.elapsedMs = base.elapsedMs;
    m_result.restarts = base.restarts;
    m_result.truncated = base.truncated;
    m_result.finishedAt = now;
    return m_result;
}

WatchedFeed::WatchedFeed(bool watch, const QString &startingWhy)
    : m_watch(watch)
{
    if (m_watch)
        m_feed = LockFeedState{LockFeedState::Resyncing, startingWhy};
}

LockFeedState WatchedFeed::state() const
{
    if (!m_watch)
        return LockFeedState{LockFeedState::Polling, QStringLiteral("watch: false in the config: the table is read whole every poll_interval")};
    LockFeedState feed = m_feed;
    if (feed.mode == LockFeedState::Live)
        feed.eventsApplied = m_events;
    return feed;
}

bool WatchedFeed::set(LockFeedState feed)
{
    if (feed == m_feed)
        return false;
    m_feed = std::move(feed);
    return true;
}

} // namespace fulcrum
