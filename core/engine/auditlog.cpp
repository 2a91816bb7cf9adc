#include "auditlog.h"

#include "common/wallclock.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <pwd.h>
#include <unistd.h>

namespace fulcrum {

QJsonObject AuditEntry::toJson() const
{
    return QJsonObject{{QStringLiteral("time"), time.toUTC().toString(Qt::ISODateWithMs)},
                       {QStringLiteral("user"), user},
                       {QStringLiteral("origin"), origin},
                       {QStringLiteral("action"), action},
                       {QStringLiteral("target"), target},
                       {QStringLiteral("before"), before},
                       {QStringLiteral("after"), after},
                       {QStringLiteral("result"), result}};
}

AuditEntry AuditEntry::fromJson(const QJsonObject &o)
{
    AuditEntry e;
    e.time = QDateTime::fromString(o.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
    e.user = o.value(QStringLiteral("user")).toString();
    e.origin = o.value(QStringLiteral("origin")).toString();
    e.action = o.value(QStringLiteral("action")).toString();
    e.target = o.value(QStringLiteral("target")).toString();
    e.before = o.value(QStringLiteral("before")).toString();
    e.after = o.value(QStringLiteral("after")).toString();
    e.result = o.value(QStringLiteral("result")).toString();
    return e;
}

AuditLog::AuditLog(QString path, int keepInMemory)
    : m_path(std::move(path))
    , m_keep(keepInMemory)
{
    if (m_path.isEmpty())
        return;
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return;
    while (!file.atEnd()) {
        const QJsonDocument doc = QJsonDocument::fromJson(file.readLine());
        if (!doc.isObject())
            continue; // a torn last line after a crash: skip it, keep the rest
        m_recent.push_back(AuditEntry::fromJson(doc.object()));
        if (int(m_recent.size()) > m_keep)
            m_recent.pop_front();
    }
}

bool AuditLog::append(AuditEntry entry, QString *error)
{
    if (!entry.time.isValid())
        entry.time = wallclock::nowUtc();
    if (entry.user.isEmpty())
        entry.user = currentOsUser();
    std::lock_guard lock(m_mutex);
    bool written = true;
    if (!m_path.isEmpty()) {
        QFile file(m_path);
        const QByteArray line = QJsonDocument(entry.toJson()).toJson(QJsonDocument::Compact) + '\n';
        written = file.open(QIODevice::WriteOnly | QIODevice::Append) && file.write(line) == line.size() && file.flush();
        if (written)
            ::fdatasync(file.handle());
        else if (error)
            *error = QStringLiteral("cannot write audit log %1: %2; check the directory exists and is writable").arg(m_path, file.errorString());
        if (written && file.size() == line.size())
            file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }
    m_recent.push_back(std::move(entry));
    if (int(m_recent.size()) > m_keep)
        m_recent.pop_front();
    return written;
}

QList<AuditEntry> AuditLog::recent(int max) const
{
    std::lock_guard lock(m_mutex);
    const size_t n = max < 0 ? m_recent.size() : std::min(m_recent.size(), size_t(max));
    return QList<AuditEntry>(m_recent.end() - qsizetype(n), m_recent.end());
}

QList<AuditEntry> AuditLog::between(const QDateTime &from, const QDateTime &to) const
{
    QList<AuditEntry> out;
    if (!m_path.isEmpty()) {
        std::lock_guard lock(m_mutex);
        QFile file(m_path);
        if (file.open(QIODevice::ReadOnly)) {
            while (!file.atEnd()) {
                const QJsonDocument doc = QJsonDocument::fromJson(file.readLine());
                if (!doc.isObject())
                    continue;
                AuditEntry e = AuditEntry::fromJson(doc.object());
                if (e.time >= from && e.time <= to)
                    out.append(std::move(e));
            }
            return out;
        }
    }
    for (const AuditEntry &e : recent()) {
        if (e.time >= from && e.time <= to)
            out.append(e);
    }
    return out;
}

QString AuditLog::currentOsUser()
{
    if (const passwd *pw = ::getpwuid(::geteuid()))
        return QString::fromLocal8Bit(pw->pw_name);
    return QString::number(::geteuid());
}

} // namespace fulcrum
