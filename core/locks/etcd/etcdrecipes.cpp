#include "etcdrecipes.h"

#include "common/bytestext.h"
#include "locks/etcd/etcdclient.h"

#include <QJsonArray>

#include <algorithm>

namespace fulcrum::etcdrecipes {

EtcdKey keyFromJson(const QJsonObject &kv, int maxValue)
{
    EtcdKey k;
    k.key = EtcdClient::unbase64(kv.value(QStringLiteral("key")));
    k.value = EtcdClient::unbase64(kv.value(QStringLiteral("value"))).left(maxValue);
    k.createRevision = EtcdClient::integer(kv.value(QStringLiteral("create_revision")));
    k.modRevision = EtcdClient::integer(kv.value(QStringLiteral("mod_revision")));
    k.lease = EtcdClient::integer(kv.value(QStringLiteral("lease")));
    return k;
}

QString leaseHex(qint64 lease)
{
    return QString::number(quint64(lease), 16);
}

std::optional<QByteArray> lockName(const EtcdKey &key)
{
    if (key.lease == 0)
        return std::nullopt;
    const qsizetype slash = key.key.lastIndexOf('/');
    if (slash <= 0)
        return std::nullopt;
    // The Go client writes %x (no padding); etcdctl prints lease ids as %016x, and keys made by
    // hand from that output carry the zeros: both name the same lease.
    const QByteArray segment = key.key.mid(slash + 1);
    if (segment.isEmpty() || segment.size() > 16
        || !std::all_of(segment.begin(), segment.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
        return std::nullopt;
    bool ok = false;
    if (segment.toULongLong(&ok, 16) != quint64(key.lease) || !ok)
        return std::nullopt;
    return key.key.left(slash);
}

EtcdLease leaseFromJson(const QJsonObject &timeToLive)
{
    EtcdLease lease;
    lease.id = EtcdClient::integer(timeToLive.value(QStringLiteral("ID")));
    lease.ttlSeconds = timeToLive.contains(QStringLiteral("TTL")) ? EtcdClient::integer(timeToLive.value(QStringLiteral("TTL"))) : 0;
    lease.grantedTtlSeconds = EtcdClient::integer(timeToLive.value(QStringLiteral("grantedTTL")));
    for (const QJsonValue &key : timeToLive.value(QStringLiteral("keys")).toArray())
        lease.keys.append(EtcdClient::unbase64(key));
    return lease;
}

// A proposal as a person reads it; a Go client's proposal is usually a host name or address.
static QString valueText(const QByteArray &value)
{
    const QString text = escapeBytes(value);
    return text.size() > 200 ? text.left(200) + u'…' : text;
}

std::optional<LockInfo> lockFromContenders(const QByteArray &name, QList<EtcdKey> contenders)
{
    if (contenders.isEmpty())
        return std::nullopt;
    std::sort(contenders.begin(), contenders.end(),
              [](const EtcdKey &a, const EtcdKey &b) { return a.createRevision < b.createRevision; });
    const EtcdKey &holder = contenders.first();
    const bool election = std::any_of(contenders.begin(), contenders.end(), [](const EtcdKey &k) { return !k.value.isEmpty(); });
    LockInfo row;
    row.backend = backendName;
    row.key = name;
    row.kind = election ? QStringLiteral("etcd-election") : QStringLiteral("etcd-mutex");
    row.holder = holder.key;
    row.holderText = election ? valueText(holder.value) : QString();
    row.session = leaseHex(holder.lease);
    row.details.insert(QStringLiteral("lease_id_hex"), leaseHex(holder.lease));
    // Decimal as etcdctl lease list prints it; a string, since JSON numbers lose int64 digits.
    row.details.insert(QStringLiteral("lease_id"), QString::number(holder.lease));
    row.details.insert(QStringLiteral("create_revision"), holder.createRevision);
    row.details.insert(QStringLiteral("mod_revision"), holder.modRevision);
    if (election)
        row.details.insert(QStringLiteral("role"), QStringLiteral("leader"));
    for (qsizetype i = 1; i < contenders.size(); ++i) {
        const EtcdKey &k = contenders.at(i);
        LockWaiter w;
        w.id = k.key;
        w.session = leaseHex(k.lease);
        w.who = election ? valueText(k.value) : QString();
        row.waiters.append(w);
    }
    return row;
}

void applyHolderLease(LockInfo &row, const EtcdLease &lease, qint64 longLeaseMs)
{
    if (lease.ttlSeconds < 0) {
        // Gone between the range read and the look-up: etcd deletes its keys with it.
        row.ttlMs = 0;
        row.details.insert(QStringLiteral("lease_gone"), true);
        return;
    }
    row.ttlMs = lease.ttlSeconds * 1000;
    row.details.insert(QStringLiteral("granted_ttl_s"), lease.grantedTtlSeconds);
    QJsonArray others;
    for (const QByteArray &key : lease.keys) {
        if (key != row.holder)
            others.append(escapeBytes(key));
    }
    row.details.insert(QStringLiteral("lease_keys"), others);
    if (lease.grantedTtlSeconds * 1000 > longLeaseMs)
        row.flags |= LockInfo::NoExpiry;
}

void markOrphanedWaiters(LockInfo &row, const QSet<qint64> &liveLeases)
{
    for (LockWaiter &w : row.waiters) {
        bool ok = false;
        const qint64 lease = qint64(w.session.toULongLong(&ok, 16));
        if (ok && !liveLeases.contains(lease)) {
            w.note = QStringLiteral("orphaned: its lease %1 is gone").arg(w.session);
            row.flags |= LockInfo::OrphanedWaiter;
        }
    }
}

} // namespace fulcrum::etcdrecipes
