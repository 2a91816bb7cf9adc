#include "lockbackend.h"

#include <QTimer>

#include <algorithm>

namespace fulcrum {

QString lockBackendStateText(LockBackendState state)
{
    switch (state) {
    case LockBackendState::NotStarted: return QStringLiteral("not started");
    case LockBackendState::Connecting: return QStringLiteral("connecting");
    case LockBackendState::Connected: return QStringLiteral("connected");
    case LockBackendState::WaitingToReconnect: return QStringLiteral("waiting to reconnect");
    case LockBackendState::Disconnected: return QStringLiteral("disconnected");
    }
    return {};
}

QString lockFeedModeName(LockFeedState::Mode mode)
{
    switch (mode) {
    case LockFeedState::Polling: return QStringLiteral("polling");
    case LockFeedState::Live: return QStringLiteral("live");
    case LockFeedState::Resyncing: return QStringLiteral("resyncing");
    }
    return {};
}

LockFeedState LockBackend::feedState() const
{
    LockFeedState feed;
    const QString backend = capabilities().backend;
    feed.why = backend == u"postgres" || backend == u"mysql"
        ? QStringLiteral("a database has no change stream for locks: the table is read whole every poll_interval")
        : QStringLiteral("%1 has no change stream Fulcrum follows yet: the table is read whole on a timer").arg(capabilities().displayName);
    return feed;
}

void LockBackend::enableNotifications(std::function<void(bool ok, const QString &message)> done)
{
    const QString message = QStringLiteral("%1: %2 has no change notifications to enable; nothing was changed").arg(url(), capabilities().displayName);
    QTimer::singleShot(0, this, [done = std::move(done), message] { done(false, message); });
}

void LockBackend::inspect(const QByteArray &key, std::function<void(const LockInspection &)> done)
{
    const QList<LockInfo> &locks = lastResult().locks;
    const auto it = std::find_if(locks.begin(), locks.end(), [&](const LockInfo &lock) { return lock.key == key; });
    LockInspection answer;
    if (it != locks.end()) {
        answer.lock = *it;
    } else {
        answer.gone = true;
        answer.error = QStringLiteral("%1: no lock \"%2\" in the last pass").arg(url(), escapeBytes(key));
    }
    QTimer::singleShot(0, this, [done = std::move(done), answer] { done(answer); });
}

QString forceReleaseOutcomeName(ForceReleaseResult::Outcome outcome)
{
    switch (outcome) {
    case ForceReleaseResult::Released: return QStringLiteral("released");
    case ForceReleaseResult::HolderChanged: return QStringLiteral("holder changed");
    case ForceReleaseResult::Gone: return QStringLiteral("gone");
    case ForceReleaseResult::Failed: return QStringLiteral("failed");
    case ForceReleaseResult::Asked: return QStringLiteral("asked");
    }
    return {};
}

QString lockReleaseModeName(LockReleaseRequest::Mode mode)
{
    switch (mode) {
    case LockReleaseRequest::Delete: return QStringLiteral("delete");
    case LockReleaseRequest::AskHolder: return QStringLiteral("ask");
    case LockReleaseRequest::RevokeSession: return QStringLiteral("revoke");
    }
    return {};
}

std::optional<LockReleaseRequest::Mode> lockReleaseModeFromName(const QString &name)
{
    for (LockReleaseRequest::Mode mode : {LockReleaseRequest::Delete, LockReleaseRequest::AskHolder, LockReleaseRequest::RevokeSession}) {
        if (lockReleaseModeName(mode) == name)
            return mode;
    }
    return std::nullopt;
}

} // namespace fulcrum
