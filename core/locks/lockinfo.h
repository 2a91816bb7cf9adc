#pragma once

#include "locks/redisreply.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace fulcrum {

// plain: a string token (redsync, node-redlock, pottery, python-redis-lock, Spring
// RedisLockRegistry, naive SET NX EX); redisson: hash "<uuid>:<threadId>" -> reentrancy;
// redisson-rw: Redisson's read/write lock, a hash with a "mode" field; fulcrum: Fulcrum's own.
enum class LockKind { Plain, Redisson, RedissonRw, Fulcrum };
QString lockKindName(LockKind kind);

// One lock as the inspector saw it.
struct LockInfo
{
    enum Flag { NoExpiry = 1, LongHeld = 2, Churn = 4 };

    QByteArray key;
    LockKind kind = LockKind::Plain;
    QByteArray holder;              // what force-release compares: the value, or the Redisson hash field
    QList<QByteArray> holders;      // redisson-rw in read mode: every reader's field
    QString ownerUuid;              // Redisson client id
    qint64 threadId = -1;           // Redisson thread id
    qint64 reentrancy = 0;          // Redisson hold count of `holder`
    QString mode;                   // redisson-rw: "read" or "write"
    qint64 fence = -1;              // fulcrum: fencing token of this holder
    qint64 ttlMs = -1;              // -1 = no expiry
    QDateTime firstSeen;            // first pass that saw this key (UTC)
    qint64 heldForMs = 0;           // observed: since the pass that first saw the current holder
    int holderChanges = 0;          // holder changes seen between passes
    int flags = 0;

    QString displayKey() const { return escapeRedisBytes(key); }
    // Huge tokens are cut here only; `holder` itself stays whole for release.
    QString displayHolder(int maxChars = 96) const;
    QStringList flagNames() const;
    QJsonObject toJson() const;
};

// A key that matched a lock pattern but is not a lock (wrong type, unknown hash layout).
struct LockScanNote
{
    QByteArray key;
    QString text;
};

struct LockScanResult
{
    QList<LockInfo> locks;          // sorted by key, each key once
    QList<LockScanNote> notes;
    qint64 keysScanned = 0;
    qint64 elapsedMs = 0;
    int restarts = 0;               // passes restarted after the connection dropped
    QDateTime finishedAt;
};

// What one key's TYPE, PTTL and value say. Returns nullopt for keys that are not locks; `note`
// says why when a person should know (wrong type), stays empty for known companion keys.
std::optional<LockInfo> classifyLockKey(const QByteArray &key, const QByteArray &type, qint64 pttl, const RedisReply &value, QString *note);

// Redisson's pub/sub channel for a lock name: prefix + ":{name}" (or ":name" when the name
// already has a hash tag), as RedissonObject::prefixName builds it.
QByteArray redissonChannel(const QByteArray &prefix, const QByteArray &name);

} // namespace fulcrum

Q_DECLARE_METATYPE(fulcrum::LockScanResult)
