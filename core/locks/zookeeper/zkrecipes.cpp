#include "zkrecipes.h"

#include "common/bytestext.h"

#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace fulcrum::zkrecipes {

namespace {

struct Entry
{
    const ZkNode *node;
    Contender contender;
};

QString kindOf(Family family)
{
    switch (family) {
    case Family::CuratorMutex: return QStringLiteral("curator-mutex");
    case Family::CuratorRead:
    case Family::CuratorWrite: return QStringLiteral("curator-rwlock");
    case Family::CuratorLease: return QStringLiteral("curator-semaphore");
    case Family::KazooLock: return QStringLiteral("kazoo-lock");
    case Family::KazooRead: return QStringLiteral("kazoo-rwlock");
    }
    return {};
}

bool isReader(Family f)
{
    return f == Family::CuratorRead || f == Family::KazooRead;
}

bool isWriterOfRw(Family f)
{
    return f == Family::CuratorWrite || f == Family::KazooLock;
}

void sortBySequence(QList<Entry> &entries)
{
    std::stable_sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
        return a.contender.sequence < b.contender.sequence;
    });
}

QDateTime serverTime(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC) : QDateTime();
}

LockWaiter waiterOf(const ZkNode &node, const QString &note = {})
{
    return LockWaiter{node.name, dataText(node.data), sessionText(node.stat.ephemeralOwner), serverTime(node.stat.ctime),
                      note};
}

LockInfo rowFor(const QByteArray &key, const QString &kind, const QByteArray &holderFolder, const ZkNode *holder)
{
    LockInfo info;
    info.backend = backendName;
    info.key = key;
    info.kind = kind;
    if (holder) {
        info.holder = holder->name;
        info.holderText = dataText(holder->data);
        info.session = sessionText(holder->stat.ephemeralOwner);
        info.acquiredAt = serverTime(holder->stat.ctime);
        info.details.insert(QStringLiteral("holder_path"), QString::fromUtf8(childPath(holderFolder, holder->name)));
        info.details.insert(QStringLiteral("holder_version"), holder->stat.version);
        info.details.insert(QStringLiteral("holder_czxid"), QStringLiteral("0x") + QString::number(holder->stat.czxid, 16));
    }
    return info;
}

} // namespace

std::optional<Contender> parseContender(const QByteArray &name)
{
    // Curator: [_c_<uuid>-]<lockName><seq>; fixForSorting() takes what follows the lock name.
    static const QRegularExpression curator(QStringLiteral(R"(^(?:_c_[0-9a-fA-F-]{36}-)?(lock-|__READ__|__WRIT__|lease-)(-?\d{10})$)"));
    // Kazoo: its contender regex, (?:__lock__|__rlock__)(-?\d{10})$, searched anywhere.
    static const QRegularExpression kazoo(QStringLiteral(R"((__lock__|__rlock__)(-?\d{10})$)"));
    const QString text = QString::fromLatin1(name);
    if (const auto m = curator.match(text); m.hasMatch()) {
        const QString lockName = m.captured(1);
        Family f = Family::CuratorMutex;
        if (lockName == u"__READ__")
            f = Family::CuratorRead;
        else if (lockName == u"__WRIT__")
            f = Family::CuratorWrite;
        else if (lockName == u"lease-")
            f = Family::CuratorLease;
        return Contender{f, m.captured(2).toLongLong()};
    }
    if (const auto m = kazoo.match(text); m.hasMatch())
        return Contender{m.captured(1) == u"__rlock__" ? Family::KazooRead : Family::KazooLock, m.captured(2).toLongLong()};
    return std::nullopt;
}

bool isKazooLeaseName(const QByteArray &name)
{
    if (name.size() != 32)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool isDataShown(const QByteArray &name, const QSet<QByteArray> &siblings)
{
    return parseContender(name) || isKazooLeaseName(name) || siblings.contains(name + kazooSemaphoreLockSuffix);
}

QString sessionText(qint64 ephemeralOwner)
{
    return ephemeralOwner ? QStringLiteral("0x") + QString::number(quint64(ephemeralOwner), 16) : QString();
}

QString dataText(const QByteArray &data)
{
    const QString text = escapeBytes(data.left(800));
    return text.size() > 200 ? text.left(200) + u'…' : text;
}

QByteArray childPath(const QByteArray &folder, const QByteArray &name)
{
    return folder.endsWith('/') ? folder + name : folder + '/' + name;
}

FolderLocks locksInFolder(const QByteArray &folderPath, const QList<ZkNode> &children)
{
    FolderLocks result;
    QList<Entry> contenders;
    QList<const ZkNode *> kazooLeases;
    QList<const ZkNode *> unknownLeaves;
    for (const ZkNode &child : children) {
        if (const auto c = parseContender(child.name)) {
            contenders.append(Entry{&child, *c});
        } else if (child.stat.numChildren == 0 && child.stat.ephemeralOwner != 0 && isKazooLeaseName(child.name)) {
            kazooLeases.append(&child);
        } else if (child.stat.numChildren == 0) {
            static const QRegularExpression sequenced(QStringLiteral(R"(\d{10}$)"));
            if (child.stat.ephemeralOwner != 0 || sequenced.match(QString::fromLatin1(child.name)).hasMatch())
                unknownLeaves.append(&child);
        }
    }

    if (contenders.isEmpty()) {
        if (!kazooLeases.isEmpty()) {
            auto lock = kazooSemaphore(folderPath, {}, [&] {
                QList<ZkNode> leases;
                for (const ZkNode *n : kazooLeases)
                    leases.append(*n);
                return leases;
            }(), {});
            result.lock = lock;
        } else if (!unknownLeaves.isEmpty()) {
            result.note = LockScanNote{folderPath, QStringLiteral("%1 has %2 lock-like node(s) (e.g. \"%3\") of no recipe Fulcrum "
                                                                  "knows (Curator InterProcessMutex, ReadWriteLock, SemaphoreV2; "
                                                                  "Kazoo Lock, ReadLock, WriteLock, Semaphore): not shown as a lock")
                                                       .arg(QString::fromUtf8(folderPath))
                                                       .arg(unknownLeaves.size())
                                                       .arg(escapeBytes(unknownLeaves.first()->name))};
        }
        return result;
    }
    sortBySequence(contenders);

    const bool readWrite = std::any_of(contenders.begin(), contenders.end(), [](const Entry &e) {
        return isReader(e.contender.family) || e.contender.family == Family::CuratorWrite;
    });
    if (readWrite) {
        // Writers hold when lowest of all; readers hold when no writer is before them (Curator's
        // readLockPredicate, Kazoo's ReadLock/WriteLock exclude lists).
        QList<Entry> queue;
        for (const Entry &e : contenders) {
            if (isReader(e.contender.family) || isWriterOfRw(e.contender.family))
                queue.append(e);
        }
        const bool curatorSide = std::any_of(queue.begin(), queue.end(), [](const Entry &e) {
            return e.contender.family == Family::CuratorRead || e.contender.family == Family::CuratorWrite;
        });
        const QString kind = curatorSide ? QStringLiteral("curator-rwlock") : QStringLiteral("kazoo-rwlock");
        qsizetype firstWriter = queue.size();
        for (qsizetype i = 0; i < queue.size(); ++i) {
            if (isWriterOfRw(queue[i].contender.family)) {
                firstWriter = i;
                break;
            }
        }
        const qsizetype holding = firstWriter == 0 ? 1 : firstWriter;
        LockInfo info = rowFor(folderPath, kind, folderPath, queue.first().node);
        info.details.insert(QStringLiteral("mode"), firstWriter == 0 ? QStringLiteral("write") : QStringLiteral("read"));
        if (firstWriter != 0) {
            for (qsizetype i = 0; i < holding; ++i)
                info.holders.append(queue[i].node->name);
        }
        for (qsizetype i = holding; i < queue.size(); ++i) {
            const bool reader = isReader(queue[i].contender.family);
            info.waiters.append(waiterOf(*queue[i].node, reader ? QStringLiteral("reader") : QStringLiteral("writer")));
        }
        info.details.insert(QStringLiteral("contenders"), int(queue.size()));
        result.lock = info;
        return result;
    }

    QList<Entry> queue;
    bool curator = false;
    bool kazoo = false;
    for (const Entry &e : contenders) {
        if (e.contender.family == Family::CuratorMutex || e.contender.family == Family::KazooLock) {
            queue.append(e);
            (e.contender.family == Family::CuratorMutex ? curator : kazoo) = true;
        }
    }
    if (queue.isEmpty()) {
        // Lease nodes alone: the leases folder of a Curator semaphore read without its "locks".
        QList<ZkNode> leases;
        for (const Entry &e : contenders)
            leases.append(*e.node);
        result.lock = curatorSemaphore(folderPath, leases, {});
        if (result.lock)
            result.lock->key = folderPath;
        return result;
    }
    LockInfo info = rowFor(folderPath, kindOf(queue.first().contender.family), folderPath, queue.first().node);
    for (qsizetype i = 1; i < queue.size(); ++i)
        info.waiters.append(waiterOf(*queue[i].node));
    info.details.insert(QStringLiteral("contenders"), int(queue.size()));
    if (curator && kazoo)
        info.details.insert(QStringLiteral("mixed_recipes"), true);
    result.lock = info;
    return result;
}

QList<QByteArray> waiterNamesOf(const QByteArray &folderPath, const QList<QByteArray> &names)
{
    // locksInFolder() tells holders from waiters by the names' families and sequences; Stats
    // matter to it only for leases and unknown leaves, which are no contenders here.
    QList<ZkNode> nodes;
    nodes.reserve(names.size());
    for (const QByteArray &name : names) {
        if (parseContender(name))
            nodes.append(ZkNode{name, {}, {}});
    }
    const FolderLocks found = locksInFolder(folderPath, nodes);
    if (!found.lock || found.lock->kind.endsWith(u"semaphore"))
        return {};
    QList<QByteArray> waiters;
    waiters.reserve(found.lock->waiters.size());
    for (const LockWaiter &w : found.lock->waiters)
        waiters.append(w.id);
    return waiters;
}

std::optional<LockInfo> curatorSemaphore(const QByteArray &path, const QList<ZkNode> &leases, const QList<ZkNode> &locks)
{
    QList<Entry> leaseQueue;
    for (const ZkNode &n : leases) {
        const auto c = parseContender(n.name);
        if (c && c->family == Family::CuratorLease)
            leaseQueue.append(Entry{&n, *c});
    }
    QList<Entry> lockQueue;
    for (const ZkNode &n : locks) {
        const auto c = parseContender(n.name);
        if (c && c->family == Family::CuratorMutex)
            lockQueue.append(Entry{&n, *c});
    }
    if (leaseQueue.isEmpty() && lockQueue.isEmpty())
        return std::nullopt;
    sortBySequence(leaseQueue);
    sortBySequence(lockQueue);

    const ZkNode *acquiring = lockQueue.isEmpty() ? nullptr : lockQueue.first().node;
    QList<const ZkNode *> holders;
    QList<LockWaiter> waiters;
    bool acquiringHasLease = false;
    for (const Entry &e : leaseQueue) {
        const bool pending = acquiring && e.node->stat.ephemeralOwner == acquiring->stat.ephemeralOwner
                          && e.node->stat.czxid > acquiring->stat.czxid;
        if (pending) {
            acquiringHasLease = true;
            waiters.append(waiterOf(*e.node, QStringLiteral("has the semaphore's lock, waits for a free lease")));
        } else {
            holders.append(e.node);
        }
    }
    for (qsizetype i = 0; i < lockQueue.size(); ++i) {
        if (i == 0 && acquiringHasLease)
            continue;
        LockWaiter w = waiterOf(*lockQueue[i].node, QStringLiteral("queued on the semaphore's lock"));
        w.id = "locks/" + w.id;
        waiters.append(w);
    }
    const QByteArray leasesPath = childPath(path, "leases");
    LockInfo info = rowFor(path, QStringLiteral("curator-semaphore"), leasesPath, holders.isEmpty() ? nullptr : holders.first());
    for (const ZkNode *h : holders)
        info.holders.append(h->name);
    info.waiters = waiters;
    info.details.insert(QStringLiteral("leases_path"), QString::fromUtf8(leasesPath));
    info.details.insert(QStringLiteral("leases"), int(holders.size()));
    return info;
}

std::optional<LockInfo> kazooSemaphore(const QByteArray &path, const QByteArray &maxLeases, const QList<ZkNode> &leases,
                                       const QList<ZkNode> &lockContenders)
{
    QList<const ZkNode *> holders;
    for (const ZkNode &n : leases) {
        if (isKazooLeaseName(n.name))
            holders.append(&n);
    }
    // Leases carry no sequence: creation order is their zxid.
    std::stable_sort(holders.begin(), holders.end(), [](const ZkNode *a, const ZkNode *b) { return a->stat.czxid < b->stat.czxid; });
    QList<Entry> queue;
    for (const ZkNode &n : lockContenders) {
        const auto c = parseContender(n.name);
        if (c && c->family == Family::KazooLock)
            queue.append(Entry{&n, *c});
    }
    sortBySequence(queue);
    if (holders.isEmpty() && queue.isEmpty())
        return std::nullopt;
    LockInfo info = rowFor(path, QStringLiteral("kazoo-semaphore"), path, holders.isEmpty() ? nullptr : holders.first());
    for (const ZkNode *h : holders)
        info.holders.append(h->name);
    for (qsizetype i = 0; i < queue.size(); ++i) {
        LockWaiter w = waiterOf(*queue[i].node, i == 0 ? QStringLiteral("has the semaphore's lock, waits for a free lease")
                                                       : QStringLiteral("queued on the semaphore's lock"));
        info.waiters.append(w);
    }
    bool numeric = false;
    const int max = maxLeases.trimmed().toInt(&numeric);
    if (numeric)
        info.details.insert(QStringLiteral("max_leases"), max);
    info.details.insert(QStringLiteral("leases"), int(holders.size()));
    return info;
}

FolderPlan planFolder(const QList<ZkNode> &children)
{
    FolderPlan plan;
    QSet<QByteArray> names;
    for (const ZkNode &c : children)
        names.insert(c.name);
    plan.curatorSemaphore = names.contains("leases") && names.contains("locks");
    for (const ZkNode &c : children) {
        if (!c.name.endsWith(kazooSemaphoreLockSuffix) && names.contains(c.name + kazooSemaphoreLockSuffix))
            plan.kazooSemaphores.append(c.name);
    }
    return plan;
}

bool holdsNow(const LockInfo &current, const QByteArray &name)
{
    return !name.isEmpty() && (current.holder == name || current.holders.contains(name));
}

void ZkHandOverHistory::beginPass(const QDateTime &passStartedAt)
{
    m_passStartedAt = passStartedAt;
    ++m_pass;
}

void ZkHandOverHistory::observe(LockInfo &info, qint64 sessionTimeoutMs)
{
    QList<QByteArray> order;
    if (!info.holder.isEmpty())
        order.append(info.holder);
    for (const LockWaiter &w : info.waiters)
        order.append(w.id);

    Queue &q = m_queues[info.key];
    const QByteArray head = info.holder;
    if (q.headWasWaiter != head) {
        q.headWasWaiter.clear();
        q.handedOverAt = {};
        // The head was queued behind someone last pass, and that someone is gone now.
        const qsizetype before = q.order.indexOf(head);
        if (!head.isEmpty() && before > 0 && !order.contains(q.order[before - 1]) && q.lastPass + 1 == m_pass) {
            q.headWasWaiter = head;
            q.handedOverAt = m_passStartedAt;
        }
    }
    q.order = order;
    q.lastPass = m_pass;

    if (!q.headWasWaiter.isEmpty() && !info.waiters.isEmpty() && q.handedOverAt.msecsTo(m_passStartedAt) > sessionTimeoutMs) {
        info.flags |= LockInfo::OrphanedWaiter;
        info.waiters.first().note = QStringLiteral("waits behind %1, which was itself waiting and has not moved since its "
                                                   "predecessor went away (%2): its client may have missed the hand-over")
                                        .arg(escapeBytes(head), q.handedOverAt.toUTC().toString(Qt::ISODate));
    }
}

void ZkHandOverHistory::endPass()
{
    const quint64 pass = m_pass;
    m_queues.removeIf([pass](const QHash<QByteArray, Queue>::iterator &it) { return it->lastPass != pass; });
}

} // namespace fulcrum::zkrecipes
