#include "lockinfo.h"

#include <QJsonArray>

#include <algorithm>

namespace fulcrum {

QString LockInfo::displayHolder(int maxChars) const
{
    if (holder.isEmpty() && !holderText.isEmpty())
        return holderText.size() <= maxChars ? holderText : holderText.left(maxChars) + u'…';
    const QString text = escapeBytes(holder.size() > maxChars * 4 ? holder.left(maxChars * 4) : holder);
    if (text.size() <= maxChars && holder.size() <= maxChars * 4)
        return text;
    return text.left(maxChars) + QStringLiteral("… (%1 bytes)").arg(holder.size());
}

QStringList LockInfo::flagNames() const
{
    QStringList names;
    if (flags & NoExpiry)
        names << QStringLiteral("no-expiry");
    if (flags & LongHeld)
        names << QStringLiteral("long-held");
    if (flags & Churn)
        names << QStringLiteral("churn");
    if (flags & OrphanedWaiter)
        names << QStringLiteral("orphaned-waiter");
    if (flags & RedlockSplit)
        names << QStringLiteral("redlock-split");
    if (flags & RedlockMinority)
        names << QStringLiteral("redlock-minority");
    if (flags & TtlSkew)
        names << QStringLiteral("ttl-skew");
    return names;
}

static QString isoOrEmpty(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QJsonObject LockInfo::toJson() const
{
    QJsonObject o{{QStringLiteral("backend"), backend},
                  {QStringLiteral("key"), displayKey()},
                  {QStringLiteral("kind"), kind},
                  {QStringLiteral("holder"), escapeBytes(holder)},
                  {QStringLiteral("ttl_ms"), ttlMs},
                  {QStringLiteral("first_seen"), isoOrEmpty(firstSeen)},
                  {QStringLiteral("held_for_ms"), heldForMs},
                  {QStringLiteral("holder_changes"), holderChanges},
                  {QStringLiteral("flags"), QJsonArray::fromStringList(flagNames())}};
    if (!holders.isEmpty()) {
        QJsonArray all;
        for (const QByteArray &h : holders)
            all.append(escapeBytes(h));
        o.insert(QStringLiteral("holders"), all);
    }
    if (!holderText.isEmpty())
        o.insert(QStringLiteral("holder_text"), holderText);
    if (!session.isEmpty())
        o.insert(QStringLiteral("session"), session);
    if (!clientAddress.isEmpty())
        o.insert(QStringLiteral("client_address"), clientAddress);
    if (acquiredAt.isValid())
        o.insert(QStringLiteral("acquired_at"), isoOrEmpty(acquiredAt));
    if (readAt.isValid())
        o.insert(QStringLiteral("read_at"), isoOrEmpty(readAt));
    if (!waiters.isEmpty()) {
        QJsonArray list;
        for (const LockWaiter &w : waiters) {
            QJsonObject one{{QStringLiteral("id"), escapeBytes(w.id)}};
            if (!w.who.isEmpty())
                one.insert(QStringLiteral("who"), w.who);
            if (!w.session.isEmpty())
                one.insert(QStringLiteral("session"), w.session);
            if (w.queuedAt.isValid())
                one.insert(QStringLiteral("queued_at"), isoOrEmpty(w.queuedAt));
            if (!w.note.isEmpty())
                one.insert(QStringLiteral("note"), w.note);
            list.append(one);
        }
        o.insert(QStringLiteral("waiters"), list);
    }
    for (auto it = details.begin(); it != details.end(); ++it) {
        if (!o.contains(it.key()))
            o.insert(it.key(), it.value());
    }
    return o;
}

static QByteArray bytesFromJson(const QJsonValue &value)
{
    const QString text = value.toString();
    return unescapeBytes(text).value_or(text.toUtf8());
}

LockInfo LockInfo::fromJson(const QJsonObject &json)
{
    static const QStringList own{QStringLiteral("backend"), QStringLiteral("key"), QStringLiteral("kind"), QStringLiteral("holder"),
                                 QStringLiteral("ttl_ms"), QStringLiteral("first_seen"), QStringLiteral("held_for_ms"),
                                 QStringLiteral("holder_changes"), QStringLiteral("flags"), QStringLiteral("holders"),
                                 QStringLiteral("holder_text"), QStringLiteral("session"), QStringLiteral("client_address"),
                                 QStringLiteral("acquired_at"), QStringLiteral("read_at"), QStringLiteral("waiters")};
    LockInfo info;
    // Engines from before the lock family wrote Redis rows without "backend".
    info.backend = json.value(QStringLiteral("backend")).toString(QStringLiteral("redis"));
    info.key = bytesFromJson(json.value(QStringLiteral("key")));
    info.kind = json.value(QStringLiteral("kind")).toString();
    info.holder = bytesFromJson(json.value(QStringLiteral("holder")));
    info.ttlMs = json.value(QStringLiteral("ttl_ms")).toInteger(-1);
    info.firstSeen = QDateTime::fromString(json.value(QStringLiteral("first_seen")).toString(), Qt::ISODateWithMs);
    info.heldForMs = json.value(QStringLiteral("held_for_ms")).toInteger();
    info.holderChanges = int(json.value(QStringLiteral("holder_changes")).toInteger());
    for (const QJsonValue &flag : json.value(QStringLiteral("flags")).toArray()) {
        const QString name = flag.toString();
        if (name == u"no-expiry")
            info.flags |= NoExpiry;
        else if (name == u"long-held")
            info.flags |= LongHeld;
        else if (name == u"churn")
            info.flags |= Churn;
        else if (name == u"orphaned-waiter")
            info.flags |= OrphanedWaiter;
        else if (name == u"redlock-split")
            info.flags |= RedlockSplit;
        else if (name == u"redlock-minority")
            info.flags |= RedlockMinority;
        else if (name == u"ttl-skew")
            info.flags |= TtlSkew;
    }
    for (const QJsonValue &h : json.value(QStringLiteral("holders")).toArray())
        info.holders.append(bytesFromJson(h));
    info.holderText = json.value(QStringLiteral("holder_text")).toString();
    info.session = json.value(QStringLiteral("session")).toString();
    info.clientAddress = json.value(QStringLiteral("client_address")).toString();
    info.acquiredAt = QDateTime::fromString(json.value(QStringLiteral("acquired_at")).toString(), Qt::ISODateWithMs);
    info.readAt = QDateTime::fromString(json.value(QStringLiteral("read_at")).toString(), Qt::ISODateWithMs);
    for (const QJsonValue &value : json.value(QStringLiteral("waiters")).toArray()) {
        const QJsonObject w = value.toObject();
        info.waiters.append(LockWaiter{bytesFromJson(w.value(QStringLiteral("id"))), w.value(QStringLiteral("who")).toString(),
                                       w.value(QStringLiteral("session")).toString(),
                                       QDateTime::fromString(w.value(QStringLiteral("queued_at")).toString(), Qt::ISODateWithMs),
                                       w.value(QStringLiteral("note")).toString()});
    }
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (!own.contains(it.key()))
            info.details.insert(it.key(), it.value());
    }
    return info;
}

qint64 LockInfo::detailInteger(const QString &name, qint64 fallback) const
{
    const QJsonValue v = details.value(name);
    return v.isDouble() ? v.toInteger(fallback) : fallback;
}

QString LockInfo::detailString(const QString &name) const
{
    return details.value(name).toString();
}

void keepNote(QList<LockScanNote> &notes, qint64 &omitted, LockScanNote note)
{
    const bool warning = isWarningNote(note);
    if (notes.size() >= maxNotesPerPass) {
        ++omitted;
        if (!warning || isWarningNote(notes.last()))
            return;
        notes.removeLast();
    }
    if (warning)
        notes.insert(std::partition_point(notes.begin(), notes.end(), isWarningNote), std::move(note));
    else
        notes.append(std::move(note));
}

QList<LockScanNote> notesInReadingOrder(QList<LockScanNote> notes)
{
    const auto group = [](const LockScanNote &n) { return n.key.isEmpty() ? 0 : n.unreadable ? 1 : 2; };
    std::stable_sort(notes.begin(), notes.end(), [&](const LockScanNote &a, const LockScanNote &b) {
        const int ga = group(a);
        const int gb = group(b);
        return ga != gb ? ga < gb : a.key < b.key;
    });
    return notes;
}

} // namespace fulcrum
