#include "redislocks.h"

#include <QJsonValue>

#include <algorithm>
#include <cctype>

namespace fulcrum {

// "<uuid>:<threadId>" or "<uuid>:<threadId>:write" -> uuid, thread id.
static bool parseRedissonField(QByteArray field, QString *uuid, qint64 *threadId)
{
    if (field.endsWith(":write"))
        field.chop(6);
    const qsizetype colon = field.lastIndexOf(':');
    if (colon <= 0)
        return false;
    bool ok = false;
    const qint64 id = field.mid(colon + 1).toLongLong(&ok);
    if (!ok)
        return false;
    *uuid = QString::fromUtf8(field.left(colon));
    *threadId = id;
    return true;
}

static bool isFulcrumValue(const QByteArray &value, qint64 *fence)
{
    // "fulcrum:" + 32 hex digits + ":" + fence
    if (!value.startsWith("fulcrum:") || value.size() < 8 + 32 + 2 || value[8 + 32] != ':')
        return false;
    for (qsizetype i = 8; i < 8 + 32; ++i) {
        if (!std::isxdigit(uchar(value[i])))
            return false;
    }
    bool ok = false;
    *fence = value.mid(8 + 32 + 1).toLongLong(&ok);
    return ok;
}

QString tooLargeStringNote(qint64 bytes)
{
    return QStringLiteral("a string of %1 bytes, too large to be a lock: skipped (later reads ask only its length)").arg(bytes);
}

std::optional<LockInfo> classifyLockKey(const QByteArray &key, const QByteArray &type, qint64 pttl, const RedisReply &value, QString *note)
{
    note->clear();
    LockInfo info;
    info.backend = QStringLiteral("redis");
    info.key = key;
    info.ttlMs = pttl < 0 ? -1 : pttl;
    if (pttl == -1)
        info.flags |= LockInfo::NoExpiry;
    if (type == "none" || pttl == -2)
        return std::nullopt; // released between SCAN and the read
    if (type == "string") {
        // Companion keys of known lock libraries: counters and timeout records, not locks.
        if (key.startsWith("fulcrum:fence:{") || (key.startsWith('{') && key.contains(":rwlock_timeout:")))
            return std::nullopt;
        if (value.type != RedisReply::String) {
            *note = QStringLiteral("string value could not be read (%1): skipped").arg(value.errorText());
            return std::nullopt;
        }
        if (value.string.size() > kMaxLockValueBytes) {
            *note = tooLargeStringNote(value.string.size());
            return std::nullopt;
        }
        info.holder = value.string;
        qint64 fence = -1;
        info.kind = isFulcrumValue(value.string, &fence) ? redislockkind::fulcrum : redislockkind::plain;
        if (fence >= 0) {
            static const QJsonObject fenceDetails{{QStringLiteral("fence"), 0}};
            info.details = fenceDetails;
            info.details[QLatin1StringView("fence")] = fence;
        }
        return info;
    }
    if (type != "hash") {
        *note = QStringLiteral("a %1, not a lock: skipped").arg(QString::fromUtf8(type));
        return std::nullopt;
    }
    // HSCAN's reply: {cursor, {field, value, ...}}; cursor "0" when that was the whole hash.
    if (value.type != RedisReply::Array || value.elements.size() != 2 || value.elements[1].type != RedisReply::Array
        || value.elements[1].elements.size() % 2 != 0) {
        *note = QStringLiteral("hash could not be read (%1): skipped").arg(value.isError() ? value.errorText() : QStringLiteral("unexpected reply"));
        return std::nullopt;
    }
    const QList<RedisReply> &fields = value.elements[1].elements;
    if (value.elements[0].string != "0") {
        *note = QStringLiteral("a hash of more than %1 fields, too large to be a lock: not read whole, skipped").arg(fields.size() / 2);
        return std::nullopt;
    }
    QByteArray mode;
    QList<QPair<QByteArray, qint64>> owners;
    for (qsizetype i = 0; i < fields.size(); i += 2) {
        const QByteArray &field = fields[i].string;
        const QByteArray &fieldValue = fields[i + 1].string;
        if (field == "mode") {
            mode = fieldValue;
            continue;
        }
        bool ok = false;
        const qint64 count = fieldValue.toLongLong(&ok);
        QString uuid;
        qint64 thread = 0;
        if (!ok || !parseRedissonField(field, &uuid, &thread)) {
            *note = QStringLiteral("hash field \"%1\" is not Redisson's \"<uuid>:<threadId>\" -> count: not a known lock, skipped")
                        .arg(escapeBytes(field.left(80)));
            return std::nullopt;
        }
        owners.append({field, count});
    }
    if (owners.isEmpty()) {
        *note = mode.isEmpty() ? QStringLiteral("empty hash: skipped") : QStringLiteral("Redisson read/write lock with mode \"%1\" but no holder: skipped").arg(QString::fromUtf8(mode));
        return std::nullopt;
    }
    std::sort(owners.begin(), owners.end());
    QPair<QByteArray, qint64> holder = owners.first();
    // Filled in from a shared template: assigning the values of keys already there costs a
    // third of inserting them (a pass builds this for every Redisson lock).
    static const QJsonObject redissonDetails{{QStringLiteral("owner_uuid"), QString()}, {QStringLiteral("thread_id"), 0}, {QStringLiteral("reentrancy"), 0}};
    info.details = redissonDetails;
    if (!mode.isEmpty()) {
        info.kind = redislockkind::redissonRw;
        info.details.insert(QStringLiteral("mode"), QString::fromUtf8(mode));
        // The writer is the holder that matters in write mode (it may also hold read entries).
        for (const auto &owner : owners) {
            if (mode == "write" && owner.first.endsWith(":write"))
                holder = owner;
            info.holders << owner.first;
        }
    } else {
        info.kind = redislockkind::redisson;
    }
    info.holder = holder.first;
    QString ownerUuid;
    qint64 threadId = -1;
    parseRedissonField(holder.first, &ownerUuid, &threadId);
    info.details[QLatin1StringView("owner_uuid")] = ownerUuid;
    info.details[QLatin1StringView("thread_id")] = threadId;
    info.details[QLatin1StringView("reentrancy")] = holder.second;
    return info;
}

QByteArray redissonChannel(const QByteArray &prefix, const QByteArray &name)
{
    if (name.contains('{'))
        return prefix + ':' + name;
    return prefix + ":{" + name + '}';
}

} // namespace fulcrum
