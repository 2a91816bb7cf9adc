#include "lockbackend.h"

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

} // namespace fulcrum
