#pragma once

#include "locks/lockinfo.h"
#include "locks/zookeeper/zknode.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QSet>

#include <optional>

namespace fulcrum {

// The lock recipes of Apache Curator and Kazoo, read from what they leave in ZooKeeper: pure
// functions from one folder's children (name, Stat, data) to lock rows, so that every layout
// is tested without a server. Znode layouts (docs/locks-zookeeper.md):
//   curator-mutex      <lock>/_c_<uuid>-lock-<seq>        InterProcessMutex (also without _c_<uuid>-)
//   curator-rwlock     <lock>/_c_<uuid>-__READ__<seq>, _c_<uuid>-__WRIT__<seq>
//   curator-semaphore  <lock>/leases/_c_<uuid>-lease-<seq> and <lock>/locks/ (its internal mutex)
//   kazoo-lock         <lock>/<uuid hex>__lock__<seq>     data = the identifier
//   kazoo-rwlock       <lock>/<uuid hex>__rlock__<seq> (ReadLock) next to __lock__ (WriteLock)
//   kazoo-semaphore    <lock>/<uuid hex> leases (data = identifier; <lock>'s data = max leases)
//                      and <lock>-__lock__/ (a Kazoo Lock the contenders queue on)
// Queues are ordered by the sequence suffix only, never by the whole name (the uuid prefix
// would scramble them).
namespace zkrecipes {

inline const QString backendName = QStringLiteral("zookeeper");

enum class Family { CuratorMutex, CuratorRead, CuratorWrite, CuratorLease, KazooLock, KazooRead };

struct Contender
{
    Family family;
    qint64 sequence = 0;
};

// What a child's name says about it; nullopt when it is no contender of a known recipe.
std::optional<Contender> parseContender(const QByteArray &name);
bool isKazooLeaseName(const QByteArray &name);
// Whether a row can show this child's data, so that a pass must read it (get) rather than only
// its Stat: contenders, Kazoo lease nodes, and a Kazoo semaphore's own node (its data is the
// number of leases), known by its sibling X-__lock__.
bool isDataShown(const QByteArray &name, const QSet<QByteArray> &siblings);

QString sessionText(qint64 ephemeralOwner);         // 0x…; empty for persistent nodes
QString dataText(const QByteArray &data);           // readable, cut at 200 characters
QByteArray childPath(const QByteArray &folder, const QByteArray &name);

struct FolderLocks
{
    std::optional<LockInfo> lock;                   // key = the folder's path
    std::optional<LockScanNote> note;
};

// The lock whose contenders are the direct children of folderPath: a mutex or read/write lock
// of either library, or the leases of a Kazoo semaphore (without its waiters: see
// kazooSemaphore). Subfolders are not contenders. A folder whose leaf children look like lock
// nodes (ephemeral, or ending in a sequence number) of no known recipe gives a note.
FolderLocks locksInFolder(const QByteArray &folderPath, const QList<ZkNode> &children);

// A Curator InterProcessSemaphoreV2 at path, from the children of path/leases and path/locks.
// The client that holds the internal lock is the one acquiring: its lease created after its
// lock node (same session, higher czxid) is still waiting for a free slot, not a holder.
std::optional<LockInfo> curatorSemaphore(const QByteArray &path, const QList<ZkNode> &leases, const QList<ZkNode> &locks);

// A Kazoo Semaphore at path: its lease children, its own data (max leases) and the contenders
// of its lock folder path + "-__lock__", who all wait for a lease.
std::optional<LockInfo> kazooSemaphore(const QByteArray &path, const QByteArray &maxLeases, const QList<ZkNode> &leases,
                                       const QList<ZkNode> &lockContenders);

inline const QByteArray kazooSemaphoreLockSuffix = QByteArrayLiteral("-__lock__");

// The contenders of the lock folder `folderPath` that wait rather than hold, known from the
// children's names alone (a mutex's queue behind its lowest sequence; a read/write lock's
// queue behind its holding readers or writer), in queue order. A pass may list these by name
// and read their who/session/queued-at later. Empty where a row needs every child's Stat
// (semaphore leases) or the folder has no lock.
QList<QByteArray> waiterNamesOf(const QByteArray &folderPath, const QList<QByteArray> &names);

// Which children of a folder are read together as one semaphore instead of as folders of
// their own: "leases" + "locks" (Curator; the semaphore is the folder itself) and X next to
// X-__lock__ (Kazoo; the semaphore is X).
struct FolderPlan
{
    bool curatorSemaphore = false;
    QList<QByteArray> kazooSemaphores;              // names X
};
FolderPlan planFolder(const QList<ZkNode> &children);

// Whether `name` holds the lock as `current` shows it (the holder, or one of a shared hold).
bool holdsNow(const LockInfo &current, const QByteArray &name);

// The orphan rule, over passes (docs/locks-zookeeper.md). A ZooKeeper lock changes hands by
// a watch: when a node goes, the client of the node behind it is woken and takes over. The
// server cannot say whether that client was woken (a lost watch, or CURATOR-527's race
// between setting the watch and waiting, leave it asleep): the node simply sits at the head
// and everybody behind it waits for ever. What passes can see is a node that was a waiter,
// whose predecessor went away, and that has stayed at the head since then, with waiters behind
// it. When that has lasted longer than a session timeout (the time any live client has to
// notice anything), the lock is flagged OrphanedWaiter and its first waiter notes why.
// "Gone since" is the start of the first pass that no longer saw the predecessor: the latest
// time it can have gone, so the flag is never early. A holder that took over from a waiter's
// place and then works longer than a session timeout while others wait is flagged too: the flag
// says "look", not "delete". A holder that found the lock free is never flagged.
class ZkHandOverHistory
{
public:
    void beginPass(const QDateTime &passStartedAt);
    void observe(LockInfo &info, qint64 sessionTimeoutMs);
    void endPass();

private:
    struct Queue
    {
        QList<QByteArray> order;                    // holder(s) then waiters, as last seen
        QByteArray headWasWaiter;                   // the head that took over from a waiter's place
        QDateTime handedOverAt;
        quint64 lastPass = 0;
    };

    QDateTime m_passStartedAt;
    quint64 m_pass = 0;
    QHash<QByteArray, Queue> m_queues;
};

} // namespace zkrecipes
} // namespace fulcrum
