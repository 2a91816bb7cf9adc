#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <deque>
#include <mutex>

namespace fulcrum {

// One operator action: who did what to which target, from what to what, and how it ended.
struct AuditEntry
{
    QDateTime time;          // UTC
    QString user;            // OS user (or admin-API token name) who acted
    QString origin;          // "console", "fulcrumctl", "admin-api", "engine"
    QString action;          // "set-weight", "set-state", "force-release", ...
    QString target;          // "pool/server", "endpoint key", ...
    QString before;
    QString after;
    QString result;          // "ok", or what went wrong ("holder changed: ...")

    QJsonObject toJson() const;
    static AuditEntry fromJson(const QJsonObject &object);
};

// Append-only audit trail of every operator action. Each entry is one JSON line, flushed
// to disk before append() returns, so a crash right after an action still has it on record.
// Thread-safe. Secrets never go in here: callers pass names and holders, not passwords.
class AuditLog
{
public:
    // path empty = kept in memory only (tests, demo mode without a state dir).
    explicit AuditLog(QString path = QString(), int keepInMemory = 10'000);

    bool append(AuditEntry entry, QString *error = nullptr);
    // Newest last; at most `max` entries (all kept in memory when max < 0).
    QList<AuditEntry> recent(int max = -1) const;
    // Everything on disk (or in memory) between from and to, oldest first.
    QList<AuditEntry> between(const QDateTime &from, const QDateTime &to) const;
    QString path() const { return m_path; }

    static QString currentOsUser();

private:
    QString m_path;
    int m_keep;
    mutable std::mutex m_mutex;
    std::deque<AuditEntry> m_recent;
};

} // namespace fulcrum
