#pragma once

#include <QByteArray>
#include <QString>

#include <functional>

namespace fulcrum {

class AuditLog;
class RedisConnection;

struct ForceReleaseResult
{
    enum Outcome { Released, HolderChanged, Gone, Failed } outcome = Failed;
    QByteArray currentHolder;           // HolderChanged: who holds it now
    QString message;                    // one line for a person
};

// Releases a lock only if `holder` (as listed by the inspector) still holds it, in one Lua
// script: a string lock must still have exactly that value; a Redisson hash must still have
// that field, and then the hash is deleted and 0 is published on Redisson's channel so waiters
// wake up, as Redisson's forceUnlock does. Anything else deletes nothing. The attempt and its
// outcome go to the audit log (when given) before `done` runs, in the name of `user`.
void forceReleaseLock(RedisConnection *connection, const QByteArray &key, const QByteArray &holder,
                      AuditLog *audit, const QString &user, const QString &origin, std::function<void(const ForceReleaseResult &)> done);

extern const QByteArray forceReleaseScript;

} // namespace fulcrum
