#include "engine/enginelink.h"

#include <atomic>

namespace fulcrum {

int LinkSnapshot::indexOf(const QString &pool, const QString &name) const
{
    for (int i = 0; i < servers.size(); ++i) {
        if (servers[i].name == name && servers[i].pool == pool)
            return i;
    }
    return -1;
}

const PoolStatus *LinkSnapshot::pool(const QString &name) const
{
    for (const PoolStatus &p : pools) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
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
    case LinkEvent::Kind::Outage: return QStringLiteral("outage");
    }
    return QStringLiteral("unknown");
}

QStringList csvReportSections()
{
    return {QStringLiteral("servers"), QStringLiteral("check-failures"), QStringLiteral("weight-changes"), QStringLiteral("pools"),
            QStringLiteral("locks"), QStringLiteral("force-releases"), QStringLiteral("operator-actions")};
}

quint64 EngineLink::exportReport(const ReportRequest &, const QString &)
{
    const quint64 id = nextDefaultAnswerId();
    QMetaObject::invokeMethod(this, [this, id] {
        Q_EMIT commandFinished(CommandResult{id, false, tr("Reports are not available for this engine.")});
    }, Qt::QueuedConnection);
    return id;
}

void EngineLink::cancelReport(quint64)
{
}

quint64 EngineLink::nextDefaultAnswerId()
{
    // The top bit keeps these ids apart from the ones a link numbers its own commands with.
    static std::atomic<quint64> last{0};
    return (quint64(1) << 63) | ++last;
}

quint64 EngineLink::requestHistory(const HistoryQuery &)
{
    const quint64 id = nextDefaultAnswerId();
    QMetaObject::invokeMethod(this, [this, id] {
        Q_EMIT historyReady(id, QJsonObject(), tr("This engine keeps no history: only the live view is available."));
    }, Qt::QueuedConnection);
    return id;
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
