#pragma once

#include "locks/lockinfo.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QSet>

#include <optional>

namespace fulcrum {

// The lock recipes of etcd's Go client, read from the keys they leave: pure functions, so that
// every layout is tested without a server (docs/locks-etcd.md).
//   etcd-mutex     <name>/<lease id in hex>, empty value        concurrency.Mutex, etcdctl lock
//   etcd-election  <name>/<lease id in hex>, value = proposal   concurrency.Election, etcdctl elect
// A key whose last segment is the hex id of the very lease it is attached to is the recipes'
// signature; the contender with the lowest create revision holds (or leads), the others wait
// in create-revision order.
namespace etcdrecipes {

inline const QString backendName = QStringLiteral("etcd");

// One key as a range read returns it (value cut to what a row shows).
struct EtcdKey
{
    QByteArray key;
    QByteArray value;
    qint64 createRevision = 0;
    qint64 modRevision = 0;
    qint64 lease = 0;
};

// A range response's kvs entry; values are cut to maxValue bytes.
EtcdKey keyFromJson(const QJsonObject &kv, int maxValue = 1024);

QString leaseHex(qint64 lease);                     // as etcdctl lock prints it: 694d7ca3fd3a4b05
// The lock's name when `key` is a recipe contender (the key without "/<lease hex>"), else nullopt.
std::optional<QByteArray> lockName(const EtcdKey &key);

// A lease as /v3/lease/timetolive answers (keys:true).
struct EtcdLease
{
    qint64 id = 0;
    qint64 ttlSeconds = -1;                         // remaining; -1 = the lease is gone
    qint64 grantedTtlSeconds = 0;
    QList<QByteArray> keys;
};
EtcdLease leaseFromJson(const QJsonObject &timeToLive);

// The row for one lock from its contenders (any order): holder = lowest create revision.
// nullopt when `contenders` is empty.
std::optional<LockInfo> lockFromContenders(const QByteArray &name, QList<EtcdKey> contenders);

// What a lease look-up adds to a holder's row: remaining TTL, granted TTL, the other keys on
// the lease; NoExpiry when the granted TTL is above longLeaseMs (a lease that long frees
// nothing in useful time when its holder dies).
void applyHolderLease(LockInfo &row, const EtcdLease &lease, qint64 longLeaseMs);
// Waiters whose lease is no longer in `liveLeases` are marked, and the row flagged.
void markOrphanedWaiters(LockInfo &row, const QSet<qint64> &liveLeases);

} // namespace etcdrecipes
} // namespace fulcrum
