#include "pgadvisory.h"

#include <QCryptographicHash>
#include <QStringList>
#include <QtEndian>

namespace fulcrum::pgadvisory {

std::optional<QString> keyText(const LockTag &tag)
{
    if (tag.objsubid == 1) {
        const quint64 bits = (quint64(tag.classid) << 32) | tag.objid;
        return QString::number(qint64(bits));
    }
    if (tag.objsubid == 2)
        return QStringLiteral("%1,%2").arg(qint32(tag.classid)).arg(qint32(tag.objid));
    return std::nullopt;
}

std::optional<LockTag> tagFromKeyText(const QString &text)
{
    const QStringList parts = text.split(u',');
    bool ok = false;
    if (parts.size() == 1) {
        const qint64 key = parts.first().toLongLong(&ok);
        if (!ok)
            return std::nullopt;
        const quint64 bits = quint64(key);
        return LockTag{quint32(bits >> 32), quint32(bits & 0xffffffffu), 1};
    }
    if (parts.size() != 2)
        return std::nullopt;
    bool ok2 = false;
    const qint32 first = parts.at(0).toInt(&ok);
    const qint32 second = parts.at(1).toInt(&ok2);
    if (!ok || !ok2)
        return std::nullopt;
    return LockTag{quint32(first), quint32(second), 2};
}

QString lockName(const QString &database, const QString &key)
{
    return database + u'/' + key;
}

std::optional<LockName> parseLockName(const QByteArray &name)
{
    const QString text = QString::fromUtf8(name);
    const qsizetype slash = text.lastIndexOf(u'/');
    if (slash <= 0)
        return std::nullopt;
    LockName n{text.left(slash), text.mid(slash + 1)};
    if (n.key.startsWith(u"chain:")) {
        bool ok = false;
        n.chain = true;
        n.chainRootPid = n.key.mid(6).toLongLong(&ok);
        if (!ok || n.chainRootPid <= 0)
            return std::nullopt;
        return n;
    }
    if (!tagFromKeyText(n.key))
        return std::nullopt;
    return n;
}

QByteArray holderId(qint64 pid, qint64 backendStartUs)
{
    return QByteArray::number(pid) + '@' + QByteArray::number(backendStartUs);
}

std::optional<HolderId> parseHolderId(const QByteArray &id)
{
    const qsizetype at = id.indexOf('@');
    if (at <= 0)
        return std::nullopt;
    bool ok = false, ok2 = false;
    HolderId h{id.left(at).toLongLong(&ok), id.mid(at + 1).toLongLong(&ok2)};
    if (!ok || !ok2 || h.pid <= 0)
        return std::nullopt;
    return h;
}

qint64 keyForName(const QString &name)
{
    const QByteArray digest = QCryptographicHash::hash(name.toUtf8(), QCryptographicHash::Sha256);
    return qint64(qFromBigEndian<quint64>(digest.constData()));
}

} // namespace fulcrum::pgadvisory
