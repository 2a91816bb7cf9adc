#include "engine/linkfigures.h"

#include "common/wallclock.h"
#include "engine/auditlog.h"

#include <QCoreApplication>

#include <algorithm>

namespace fulcrum {

CounterWindow::Rates CounterWindow::add(const QString &key, qint64 nowMs, qint64 requests, qint64 errors)
{
    std::deque<Sample> &window = m_samples[key];
    if (!window.empty() && (requests < window.back().requests || errors < window.back().errors))
        window.clear();
    window.push_back(Sample{nowMs, requests, errors});
    // From the newest sample at least a second old.
    while (window.size() > 2 && nowMs - window[1].ms >= 1000)
        window.pop_front();
    const Sample &from = window.front();
    const double seconds = double(nowMs - from.ms) / 1000.0;
    const qint64 windowRequests = requests - from.requests;
    Rates rates;
    rates.requestsPerSecond = seconds > 0 ? double(windowRequests) / seconds : 0;
    rates.errorRate = windowRequests > 0 ? std::min(1.0, double(errors - from.errors) / double(windowRequests)) : 0;
    return rates;
}

void CounterWindow::keepOnly(const QSet<QString> &keys)
{
    for (auto it = m_samples.begin(); it != m_samples.end();) {
        if (keys.contains(it.key()))
            ++it;
        else
            it = m_samples.erase(it);
    }
}

LinkSnapshot SnapshotMapper::map(const EngineSnapshot &engine, int tickMs)
{
    LinkSnapshot snapshot;
    snapshot.sequence = engine.sequence;
    snapshot.time = engine.time.isValid() ? engine.time : wallclock::nowUtc();
    snapshot.tickMs = tickMs;
    const qint64 nowMs = snapshot.time.toMSecsSinceEpoch();
    QSet<QString> keys;
    for (const PoolView &pool : engine.pools) {
        PoolStatus status{pool.name, pool.cannotServe, pool.panic, true, 0};
        const QString poolKey = QStringLiteral("pool ") + pool.name;
        status.unservedPerSecond = m_rates.add(poolKey, nowMs, qint64(pool.unservedTotal), 0).requestsPerSecond;
        keys.insert(poolKey);
        snapshot.pools.append(status);
        for (const ServerSnapshot &s : pool.servers) {
            const ServerHealth &h = s.health;
            ServerStatus server;
            server.pool = pool.name;
            server.name = s.spec.name;
            server.address = s.spec.address();
            if (!h.resolved.isEmpty())
                server.address += QStringLiteral(" → ") + h.resolved;   // a name followed in DNS
            server.state = s.spec.state;
            server.stateText = h.stateText.isEmpty() ? backendStateName(s.spec.state) : h.stateText;
            if (h.admin != AdminState::Ready)
                server.reason = QStringLiteral("operator");
            else if (h.lastCheck.reason == CheckReason::None && !h.checksEnabled)
                server.reason = QCoreApplication::translate("fulcrum::SnapshotMapper", "checks off");
            else if (h.lastCheck.reason == CheckReason::None)
                server.reason = QCoreApplication::translate("fulcrum::SnapshotMapper", "not checked yet");
            else
                server.reason = h.lastCheck.summary();
            server.weight = s.spec.weight;
            server.effectiveWeight = pool.weightInUse(s);
            server.backup = s.spec.backup;
            // Active: requests being served now (connections in use), as HAProxy's scur and
            // httpd's busy count; the proxy's kept-alive idle connections are open, not active.
            server.activeConnections = s.stats.inFlight;
            server.requestsPerSecond = s.stats.requestsPerSecond;
            server.p50Ms = s.stats.p50Ms;
            server.p95Ms = s.stats.p95Ms;
            server.p99Ms = s.stats.p99Ms;
            // 5xx and connect failures over the last second, from the cumulative counts.
            server.errorRate = m_rates.add(server.key(), nowMs, qint64(s.stats.totals.requests),
                                           qint64(s.stats.totals.responses[4] + s.stats.totals.connectFailures)).errorRate;
            keys.insert(server.key());
            if (h.lastCheckMs > 0)
                server.lastCheck = QDateTime::fromMSecsSinceEpoch(h.lastCheckMs, Qt::UTC);
            server.stateSince = snapshot.time.addMSecs(-h.timeInStateMs);
            snapshot.servers.append(server);
        }
    }
    m_rates.keepOnly(keys);
    assignTrafficShares(snapshot.servers);
    return snapshot;
}

void assignTrafficShares(QList<ServerStatus> &servers)
{
    QHash<QString, double> poolRps;
    for (const ServerStatus &s : std::as_const(servers))
        poolRps[s.pool] += s.requestsPerSecond;
    for (ServerStatus &s : servers) {
        const double total = poolRps.value(s.pool);
        s.share = total > 0 ? s.requestsPerSecond / total : 0;
    }
}

QList<LinkEvent> stateChangeEvents(const LinkSnapshot &before, const LinkSnapshot &after, const QString &who)
{
    QList<LinkEvent> events;
    for (const ServerStatus &s : after.servers) {
        const int index = before.indexOf(s.pool, s.name);
        if (index >= 0 && before.servers[index].stateText != s.stateText) {
            events.append(LinkEvent{after.time, LinkEvent::Kind::Health, who, s.key(), QStringLiteral("state"),
                                    before.servers[index].stateText, s.stateText, s.reason});
        }
    }
    return events;
}

LinkEvent healthLinkEvent(const QDateTime &time, QStringView kind, const QString &pool, const QString &server, const QString &from,
                          const QString &to, const QString &reason)
{
    const LinkEvent::Kind linkKind = kind == u"outlier" ? LinkEvent::Kind::Ejection
                                     : kind == u"panic" ? LinkEvent::Kind::Panic
                                     : kind == u"outage" ? LinkEvent::Kind::Outage
                                                         : LinkEvent::Kind::Health;
    return LinkEvent{time, linkKind, QStringLiteral("engine"), server.isEmpty() ? pool : pool + u'/' + server,
                     linkKind == LinkEvent::Kind::Outage ? QStringLiteral("pool") : linkKind == LinkEvent::Kind::Panic ? QStringLiteral("panic mode") : QStringLiteral("state"),
                     from, to, reason};
}

std::optional<LinkEvent> healthLinkEvent(const HealthEvent &event)
{
    if (event.kind == HealthEvent::Operator)
        return std::nullopt;
    return healthLinkEvent(QDateTime::fromMSecsSinceEpoch(event.timeMs, Qt::UTC), event.kindName(), event.pool, event.server, event.from,
                           event.to, event.reason);
}

std::optional<LinkEvent> engineLinkEvent(const EngineEvent &event, const QString &engine)
{
    if (event.source == u"health" || event.source == u"operator")
        return std::nullopt;
    const LinkEvent::Severity severity = event.severity == EngineEvent::Error     ? LinkEvent::Severity::Error
                                         : event.severity == EngineEvent::Warning ? LinkEvent::Severity::Warning
                                                                                  : LinkEvent::Severity::Info;
    return LinkEvent{event.time.toUTC(), event.source == u"locks" ? LinkEvent::Kind::Lock : LinkEvent::Kind::Engine, QStringLiteral("engine"),
                     engine, event.source, QString(), QString(), event.text, severity};
}

LinkEvent auditLinkEvent(const AuditEntry &entry)
{
    return LinkEvent{entry.time.toUTC(), entry.action == u"force-release" ? LinkEvent::Kind::Lock : LinkEvent::Kind::Operator,
                     entry.user, entry.target, entry.action, entry.before, entry.after,
                     entry.result == u"ok" ? QStringLiteral("from %1").arg(entry.origin) : entry.result};
}

LinkState lockEndpointLinkState(const QString &connection)
{
    if (connection == u"connected")
        return LinkState::Connected;
    if (connection == u"connecting")
        return LinkState::Connecting;
    return LinkState::Disconnected;
}

std::optional<LinkEvent> connectionEvent(LinkState before, LinkState after, const QString &target, const QString &detail)
{
    if (before == after || (before != LinkState::Connected && after != LinkState::Connected))
        return std::nullopt;
    return LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Link, QStringLiteral("console"), target, QStringLiteral("connection"),
                     linkStateName(before), linkStateName(after), detail};
}

} // namespace fulcrum
