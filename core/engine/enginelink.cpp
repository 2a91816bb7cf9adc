#include "engine/enginelink.h"

namespace fulcrum {

int LinkSnapshot::indexOf(const QString &pool, const QString &name) const
{
    for (int i = 0; i < servers.size(); ++i) {
        if (servers[i].name == name && servers[i].pool == pool)
            return i;
    }
    return -1;
}

QString eventKindName(LinkEvent::Kind kind)
{
    switch (kind) {
    case LinkEvent::Kind::Health: return QStringLiteral("health");
    case LinkEvent::Kind::Ejection: return QStringLiteral("ejection");
    case LinkEvent::Kind::Panic: return QStringLiteral("panic");
    case LinkEvent::Kind::Operator: return QStringLiteral("operator");
    case LinkEvent::Kind::Lock: return QStringLiteral("lock");
    case LinkEvent::Kind::Link: return QStringLiteral("link");
    }
    return QStringLiteral("unknown");
}

QString linkStateName(LinkState state)
{
    switch (state) {
    case LinkState::Disconnected: return QStringLiteral("disconnected");
    case LinkState::Connecting: return QStringLiteral("connecting");
    case LinkState::Connected: return QStringLiteral("connected");
    }
    return QStringLiteral("unknown");
}

} // namespace fulcrum
