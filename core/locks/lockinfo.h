#pragma once

#include "common/bytestext.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace fulcrum {

// One contender queued behind a lock's holder(s), in queue order (ZooKeeper sequence nodes,
// etcd keys by create revision, PostgreSQL waiters by wait start).
struct LockWaiter
{
    QByteArray id;                  // the backend's name for this waiter (znode name, key, pid)
    QString who;                    // readable: the client's identifier, address or session
    QString session;                // ZooKeeper session 0x…, etcd lease, connection id; may be empty
    QDateTime queuedAt;             // as the backend reports it (UTC); invalid when it does not
    QString note;                   // e.g. "orphaned: its predecessor is gone"
};

// One lock as a backend's inspector saw it: the same row for every backend. Fields a backend
// does not know stay empty; what only one backend has goes into `details`.
struct LockInfo
{
    enum Flag {
        NoExpiry = 1,               // no TTL or lease: nothing frees it if the holder dies (Redis)
        LongHeld = 2,               // held longer than the endpoint's long_held
        Churn = 4,                  // the holder changed often within a minute
        OrphanedWaiter = 8,         // a waiter whose predecessor is gone longer than a session timeout
        RedlockSplit = 16,          // Redlock: no token is on a majority of the masters
        RedlockMinority = 32,       // Redlock: a token on fewer than a majority (a failed attempt's leftover)
        TtlSkew = 64,               // Redlock: the same token's TTLs differ across masters more than clock drift allows
    };

    QString backend;                // "redis", "zookeeper", ...
    QByteArray key;                 // the lock's name: a Redis key, a ZooKeeper lock folder's path, ...
    QString kind;                   // the recipe: plain, redisson, curator-mutex, kazoo-lock, ...
    QByteArray holder;              // what a release compares, kept whole (token, hash field, znode name)
    QList<QByteArray> holders;      // every holder of a shared hold (readers, semaphore leases)
    QString holderText;             // readable holder when `holder` is not (client id, address); may be empty
    QString session;                // the holder's session or connection (ZooKeeper 0x…); may be empty
    QString clientAddress;          // where the backend says the holder connects from; may be empty
    QDateTime acquiredAt;           // as the backend reports it (znode ctime); invalid when it does not
    qint64 ttlMs = -1;              // TTL or lease left; -1 = none
    QList<LockWaiter> waiters;      // in queue order
    QDateTime firstSeen;            // observed: first pass that saw this lock (UTC)
    qint64 heldForMs = 0;           // observed: since the pass that first saw the current holder
    int holderChanges = 0;          // observed: holder changes seen between passes
    int flags = 0;
    QJsonObject details;            // backend specifics (Redisson owner_uuid, thread_id, ...; znode version)
    // When this row was read from the backend (UTC). A pass reads every row at its end; a live
    // table reads a row again each time the backend says it changed. Invalid = the pass's end.
    QDateTime readAt;

    QString displayKey() const { return escapeBytes(key); }
    // Huge tokens are cut here only; `holder` itself stays whole for release.
    QString displayHolder(int maxChars = 96) const;
    QStringList flagNames() const;
    // The admin API's and `locks list --json`'s object: backend specifics at the top level.
    QJsonObject toJson() const;
    // The reverse of toJson(): what a remote console and fulcrumctl read from the admin API.
    // Keys toJson() does not write itself come back in `details`.
    static LockInfo fromJson(const QJsonObject &json);
    qint64 detailInteger(const QString &name, qint64 fallback = -1) const;
    QString detailString(const QString &name) const;
};

// Something a pass read and does not show as a lock, and why: a key of the wrong type or an
// unknown layout, a big hash, a value the ACL hides, a lock folder with children but no
// recognisable recipe. With no key, something about the whole endpoint (a role that cannot see
// other sessions, a pass stopped at its limit). Shown as a note, never as a lock.
struct LockScanNote
{
    QByteArray key;
    QString text;
    bool unreadable = false;        // the key could not be read (an ACL, an error): a lock may hide behind it
};

// Notes one pass keeps at most; the rest are counted (a broad pattern over a big keyspace
// would otherwise keep a note per key).
inline constexpr qsizetype maxNotesPerPass = 1000;

// One finished inspection pass of one endpoint.
struct LockScanResult
{
    QList<LockInfo> locks;          // sorted by key, each key once
    QList<LockScanNote> notes;      // at most maxNotesPerPass
    qint64 notesOmitted = 0;        // notes beyond those, counted only
    qint64 keysScanned = 0;         // keys or nodes the pass looked at
    qint64 elapsedMs = 0;
    int restarts = 0;               // passes restarted after the connection dropped
    bool truncated = false;         // the pass stopped at a node or key limit: not everything was read
    QDateTime finishedAt;
};

// A note that tells where a lock may hide (a key that could not be read) or of the whole
// endpoint, as against a plain "not a lock".
inline bool isWarningNote(const LockScanNote &note) { return note.key.isEmpty() || note.unreadable; }

// Adds `note` to `notes` (at most maxNotesPerPass), or counts it in `omitted`. Warning notes go
// ahead of the others (the list keeps them first): when the list is full, a warning note takes
// the place of a plain one, which is then the one counted, so a key an ACL hides is never lost
// behind a thousand keys of another type.
void keepNote(QList<LockScanNote> &notes, qint64 &omitted, LockScanNote note);

// keepNote() on a result (merging the passes of several nodes).
inline void addNote(LockScanResult &result, LockScanNote note)
{
    keepNote(result.notes, result.notesOmitted, std::move(note));
}

// A pass's notes in the order a person reads them: the endpoint's own first, then the keys that
// could not be read (a lock may hide behind them), then the others, each group by key.
QList<LockScanNote> notesInReadingOrder(QList<LockScanNote> notes);

// What changed in a live table (a backend following its change stream) since its last change
// set: rows read again (new or changed) and keys no longer locks. Rows are as LockScanResult's.
struct LockChanges
{
    QList<LockInfo> upserted;
    QList<QByteArray> removed;
    QDateTime at;                   // when the change set was applied (UTC)
    bool isEmpty() const { return upserted.isEmpty() && removed.isEmpty(); }
};

} // namespace fulcrum

Q_DECLARE_METATYPE(fulcrum::LockScanResult)
Q_DECLARE_METATYPE(fulcrum::LockChanges)
