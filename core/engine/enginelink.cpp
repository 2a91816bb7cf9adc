#include "engine/enginelink.h"

namespace fulcrum {

int EngineSnapshot::indexOf(const QString &pool, const QString &name) const
{
    for (int i = 0; i < servers.size(); ++i) {
        if (servers[i].name == name && servers[i].pool == pool)
            return i;
    }
    return -1;
}

QString eventKindName(EngineEvent::Kind kind)
{
    switch (kind) {
    case EngineEvent::Kind::Health: return QStringLiteral("health");
    case EngineEvent::Kind::Ejection: return QStringLiteral("ejection");
    case EngineEvent::Kind::Panic: return QStringLiteral("panic");
    case EngineEvent::Kind::Operator: return QStringLiteral("operator");
    case EngineEvent::Kind::Lock: return QStringLiteral("lock");
    case EngineEvent::Kind::Link: return QStringLiteral("link");
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
