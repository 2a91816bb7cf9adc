#pragma once

#include "locks/lockbackend.h"
#include "locks/lockinfo.h"
#include "locks/lockobservations.h"

#include <QDateTime>

#include <map>

namespace fulcrum {

// A lock table that outlives the pass that read it: a backend following its change stream
// (ZooKeeper watches, an etcd watch) adopts each full pass, then puts rows read again and
// removes rows that are gone, and hands the changes on as one LockChanges per batch. The
// LockScanResult it answers is rebuilt only when asked after a change: rows as of now (TTLs
// counted down from when each row was read, held-for counted up).
class LiveLockTable
{
public:
    // `observations` (may be null): the backend's, told of rows read again and rows gone.
    // `countDownTtl`: a row's TTL counts down from when it was read (Redis: a TTL runs out
    // unless the key is written, which is an event); false where the TTL is refreshed with no
    // event (an etcd lease kept alive): the TTL stays as read, and the row's readAt says when.
    explicit LiveLockTable(LockObservations *observations = nullptr, bool countDownTtl = true)
        : m_observations(observations), m_countDownTtl(countDownTtl) {}

    // The pass becomes the table; changes not handed on yet are dropped (the pass has them).
    void adopt(const LockScanResult &pass);
    void clear();
    bool isEmpty() const { return m_rows.empty(); }
    qsizetype size() const { return qsizetype(m_rows.size()); }

    const LockInfo *row(const QByteArray &key) const;
    // A row read now (readAt set when not yet): observed, kept, and part of the next changes.
    void put(LockInfo row);
    // Gone: dropped with its note, part of the next changes when it was a row.
    void remove(const QByteArray &key);
    // Every row and note below `prefix + separator` whose next segment below the prefix is not
    // in `keep` (nullptr: all of them); `prefix` itself stays.
    void removeBelow(const QByteArray &prefix, char separator, const QSet<QByteArray> *keep = nullptr);
    // A note on the note's key (kept up to maxNotesPerPass notes, warning notes before plain
    // ones as keepNote(); beyond that only counted).
    void setNote(LockScanNote note);
    void clearNote(const QByteArray &key);
    QList<QByteArray> keysBelow(const QByteArray &prefix, char separator) const;

    // The changes since the last take (at = now); empty when nothing changed.
    LockChanges takeChanges();
    // The table as a pass result, as of now; `base` gives keysScanned, elapsedMs, restarts and
    // truncated (the last pass's).
    const LockScanResult &result(const LockScanResult &base) const;

private:
    LockObservations *m_observations = nullptr;
    bool m_countDownTtl = true;
    std::map<QByteArray, LockInfo> m_rows;
    std::map<QByteArray, LockScanNote> m_notes;
    qint64 m_notesOmitted = 0;
    LockChanges m_changes;
    mutable LockScanResult m_result;
    mutable bool m_resultStale = true;
};

// The feed of a backend whose change stream needs no server setting (ZooKeeper watches, the etcd
// watch): polled when the config says `watch: false`, else what the backend sets, with the
// change notifications applied counted while live.
class WatchedFeed
{
public:
    WatchedFeed(bool watch, const QString &startingWhy);
    LockFeedState state() const;
    const LockFeedState &current() const { return m_feed; }
    // True when it changed (the backend then emits feedChanged(state())).
    bool set(LockFeedState feed);
    void countEvent() { ++m_events; }

private:
    bool m_watch = true;
    LockFeedState m_feed;
    qint64 m_events = 0;
};

} // namespace fulcrum
