#include "engine/enginelink.h"

#include <algorithm>
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

bool LinkSnapshot::cannotServe(const QString &name) const
{
    if (const PoolStatus *status = pool(name))
        return status->cannotServe;
    return std::none_of(servers.begin(), servers.end(), [&](const ServerStatus &s) {
        return s.pool == name && s.state == BackendState::Up && s.effectiveWeight > 0;
    });
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
    case LinkEvent::Kind::Engine: return QStringLiteral("engine");
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

QStringList EngineLink::lockEndpointNames() const
{
    QStringList names;
    for (const LockEndpointInfo &endpoint : lockEndpoints())
        names.append(endpoint.name);
    return names;
}

QString EngineLink::lockEndpointBackend(const QString &endpoint) const
{
    for (const LockEndpointInfo &e : lockEndpoints()) {
        if (e.name == endpoint)
            return e.backend;
    }
    return QString();
}

quint64 EngineLink::testLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &)
{
    const quint64 id = nextDefaultAnswerId();
    QMetaObject::invokeMethod(this, [this, id, url = endpoint.url()] {
        Q_EMIT commandFinished(CommandResult{id, false, tr("Testing %1 is not available for this engine: it has no lock endpoints; "
                                                           "open a Fulcrum engine (the console's own or a fulcrumd) for locks.").arg(url)});
    }, Qt::QueuedConnection);
    return id;
}

quint64 EngineLink::requestLockRelease(const QString &endpoint, const LockReleaseRequest &request)
{
    const quint64 id = nextDefaultAnswerId();
    QMetaObject::invokeMethod(this, [this, id, endpoint, key = escapeBytes(request.key)] {
        Q_EMIT commandFinished(CommandResult{id, false, tr("Releasing lock %1 on %2 is not available for this engine: it has no lock endpoints; "
                                                           "nothing was changed. Open a Fulcrum engine for locks.").arg(key, endpoint)});
    }, Qt::QueuedConnection);
    return id;
}

quint64 EngineLink::requestLockDetail(const QString &endpoint, const QByteArray &key)
{
    const quint64 id = nextDefaultAnswerId();
    QMetaObject::invokeMethod(this, [this, id, endpoint, key] {
        Q_EMIT lockDetailReady(id, LockDetail{endpoint, key, std::nullopt, false,
                                              tr("Reading lock %1 on %2 is not available for this engine: it has no lock endpoints.")
                                                  .arg(escapeBytes(key), endpoint)});
    }, Qt::QueuedConnection);
    return id;
}

quint64 EngineLink::enableLockNotifications(const QString &endpoint)
{
    const quint64 id = nextDefaultAnswerId();
    QMetaObject::invokeMethod(this, [this, id, endpoint] {
        Q_EMIT commandFinished(CommandResult{id, false, tr("Turning on change notifications for %1 is not available for this engine; "
                                                           "nothing was changed.").arg(endpoint)});
    }, Qt::QueuedConnection);
    return id;
}

LockRow LockRow::fromInfo(const QString &endpoint, const LockInfo &info, const QDateTime &readAt)
{
    LockRow row;
    row.endpoint = endpoint;
    row.backend = info.backend;
    row.key = info.key;
    row.kind = info.kind;
    row.holder = info.holder;
    row.holders = info.holders;
    row.holderText = info.holderText;
    row.session = info.session;
    row.clientAddress = info.clientAddress;
    row.acquiredAt = info.acquiredAt;
    row.ttlMs = info.ttlMs;
    row.readAt = readAt;
    row.lastRead = info.readAt.isValid() ? info.readAt : readAt;
    // The holder's observed start: what "held for" counts from.
    row.firstSeen = readAt.addMSecs(-info.heldForMs);
    row.waiters = info.waiters;
    row.details = info.details;
    row.longHeld = info.flags & LockInfo::LongHeld;
    row.churning = info.flags & LockInfo::Churn;
    row.orphanedWaiter = info.flags & LockInfo::OrphanedWaiter;
    row.redlockSplit = info.flags & LockInfo::RedlockSplit;
    row.redlockMinority = info.flags & LockInfo::RedlockMinority;
    row.ttlSkew = info.flags & LockInfo::TtlSkew;
    return row;
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
