#include "adminjson.h"

#include "balancer/picker.h"

#include <QJsonArray>

namespace fulcrum {

QJsonObject serverToJson(const ServerSnapshot &s)
{
    const ServerHealth &h = s.health;
    const ServerCounts &t = s.stats.totals;
    QJsonArray responses;
    for (quint64 n : t.responses)
        responses.append(qint64(n));
    return QJsonObject{
        {QStringLiteral("name"), s.spec.name},
        {QStringLiteral("address"), s.spec.address()},
        {QStringLiteral("state"), h.state.isEmpty() ? backendStateName(s.spec.state) : h.state},
        {QStringLiteral("state_text"), h.stateText.isEmpty() ? backendStateName(s.spec.state) : h.stateText},
        {QStringLiteral("admin_state"), adminStateName(h.admin)},
        {QStringLiteral("time_in_state_ms"), h.timeInStateMs},
        {QStringLiteral("last_check"), QJsonObject{{QStringLiteral("reason"), h.lastCheck.reasonText()},
                                                   {QStringLiteral("detail"), h.lastCheck.detail},
                                                   {QStringLiteral("duration_ms"), double(h.lastCheck.durationUs) / 1000.0}}},
        {QStringLiteral("checks"), qint64(h.checks)},
        {QStringLiteral("ejected"), h.ejected},
        {QStringLiteral("slow_starting"), h.slowStarting},
        {QStringLiteral("backup"), s.spec.backup},
        {QStringLiteral("weight"), s.spec.weight},
        {QStringLiteral("effective_weight"), s.effectiveWeight},
        {QStringLiteral("in_flight"), s.stats.inFlight},
        {QStringLiteral("active_connections"), s.stats.activeConnections},
        {QStringLiteral("consecutive_failures"), s.stats.consecutiveFailures},
        {QStringLiteral("requests_per_second"), s.stats.requestsPerSecond},
        {QStringLiteral("mean_ms"), s.stats.meanMs},
        {QStringLiteral("p50_ms"), s.stats.p50Ms},
        {QStringLiteral("p95_ms"), s.stats.p95Ms},
        {QStringLiteral("p99_ms"), s.stats.p99Ms},
        {QStringLiteral("requests_total"), qint64(t.requests)},
        {QStringLiteral("responses_by_class"), responses},
        {QStringLiteral("connect_failures_total"), qint64(t.connectFailures)},
        {QStringLiteral("timeouts_total"), qint64(t.timeouts)},
    };
}

QJsonObject poolToJson(const PoolView &pool)
{
    QJsonArray servers;
    for (const ServerSnapshot &s : pool.servers)
        servers.append(serverToJson(s));
    return QJsonObject{
        {QStringLiteral("name"), pool.name},
        {QStringLiteral("algorithm"), algorithmName(pool.options.algorithm)},
        {QStringLiteral("panic"), pool.panic},
        {QStringLiteral("cannot_serve"), pool.cannotServe},
        {QStringLiteral("unserved_total"), qint64(pool.unservedTotal)},
        {QStringLiteral("healthy"), pool.healthy},
        {QStringLiteral("eligible"), pool.eligible},
        {QStringLiteral("servers"), servers},
    };
}

QJsonObject lockFeedToJson(const LockFeedState &feed)
{
    QJsonObject o{{QStringLiteral("mode"), lockFeedModeName(feed.mode)}, {QStringLiteral("why"), feed.why}};
    if (!feed.needs.isEmpty())
        o.insert(QStringLiteral("needs"), feed.needs);
    if (feed.canEnable)
        o.insert(QStringLiteral("can_enable"), true);
    if (feed.liveSince.isValid()) {
        o.insert(QStringLiteral("live_since"), feed.liveSince.toUTC().toString(Qt::ISODateWithMs));
        o.insert(QStringLiteral("events"), feed.eventsApplied);
    }
    return o;
}

LockFeedState lockFeedFromJson(const QJsonObject &o)
{
    LockFeedState feed;
    const QString mode = o.value(QStringLiteral("mode")).toString();
    feed.mode = mode == u"live" ? LockFeedState::Live : mode == u"resyncing" ? LockFeedState::Resyncing : LockFeedState::Polling;
    feed.why = o.value(QStringLiteral("why")).toString();
    feed.needs = o.value(QStringLiteral("needs")).toString();
    feed.canEnable = o.value(QStringLiteral("can_enable")).toBool();
    feed.liveSince = QDateTime::fromString(o.value(QStringLiteral("live_since")).toString(), Qt::ISODateWithMs);
    feed.eventsApplied = o.value(QStringLiteral("events")).toInteger();
    return feed;
}

QJsonObject lockChangesToJson(const QString &endpoint, const LockFeedState &feed, const LockChanges &changes)
{
    QJsonArray upserted;
    for (const LockInfo &lock : changes.upserted)
        upserted.append(lock.toJson());
    QJsonArray removed;
    for (const QByteArray &key : changes.removed)
        removed.append(escapeBytes(key));
    return QJsonObject{{QStringLiteral("endpoint"), endpoint},
                       {QStringLiteral("at"), changes.at.toUTC().toString(Qt::ISODateWithMs)},
                       {QStringLiteral("feed"), lockFeedToJson(feed)},
                       {QStringLiteral("upserted"), upserted},
                       {QStringLiteral("removed"), removed}};
}

QJsonObject lockEndpointToJson(const LockEndpointView &e, bool withLocks)
{
    QJsonObject o{
        {QStringLiteral("name"), e.name},
        {QStringLiteral("backend"), e.backend},
        {QStringLiteral("url"), e.url},
        {QStringLiteral("display_name"), e.capabilities.displayName},
        {QStringLiteral("tls_insecure"), e.tlsInsecure},
        {QStringLiteral("connection"), e.connectionState},
        {QStringLiteral("error"), e.lastError},
        {QStringLiteral("poll_interval_ms"), e.pollIntervalMs},
        {QStringLiteral("effective_poll_interval_ms"), e.effectivePollIntervalMs},
        {QStringLiteral("scanning"), e.scanning},
        {QStringLiteral("pass_keys_scanned"), e.passKeysScanned},
        {QStringLiteral("pass_detail"), e.passDetail},
        {QStringLiteral("lock_count"), e.lastResult.locks.size()},
        {QStringLiteral("keys_scanned"), e.lastResult.keysScanned},
        {QStringLiteral("scan_ms"), e.lastResult.elapsedMs},
        {QStringLiteral("scanned_at"), e.hasResult ? QJsonValue(e.lastResult.finishedAt.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue()},
        {QStringLiteral("truncated"), e.lastResult.truncated},
        {QStringLiteral("capabilities"), QJsonObject{{QStringLiteral("ttl"), e.capabilities.ttl},
                                                     {QStringLiteral("waiters"), e.capabilities.waiters},
                                                     {QStringLiteral("sessions"), e.capabilities.sessions},
                                                     {QStringLiteral("client_address"), e.capabilities.clientAddress},
                                                     {QStringLiteral("ask_holder"), e.capabilities.askHolder},
                                                     {QStringLiteral("revoke_session"), e.capabilities.revokeSession},
                                                     {QStringLiteral("kinds"), QJsonArray::fromStringList(e.capabilities.kinds)},
                                                     {QStringLiteral("release_effect"), e.capabilities.releaseEffect},
                                                     {QStringLiteral("revoke_effect"), e.capabilities.revokeEffect},
                                                     {QStringLiteral("ask_effect"), e.capabilities.askEffect}}},
    };
    o.insert(QStringLiteral("feed"), lockFeedToJson(e.feed));
    if (withLocks) {
        QJsonArray locks;
        for (const LockInfo &lock : e.lastResult.locks)
            locks.append(lock.toJson());
        o.insert(QStringLiteral("locks"), locks);
        QJsonArray notes;
        for (const LockScanNote &note : e.lastResult.notes)
            notes.append(QJsonObject{{QStringLiteral("key"), escapeBytes(note.key)}, {QStringLiteral("text"), note.text}});
        o.insert(QStringLiteral("notes"), notes);
    }
    return o;
}

QJsonObject engineEventToJson(const EngineEvent &event)
{
    static const char *const severities[] = {"info", "warning", "error"};
    return QJsonObject{
        {QStringLiteral("time"), event.time.toString(Qt::ISODateWithMs)},
        {QStringLiteral("severity"), QString::fromLatin1(severities[event.severity])},
        {QStringLiteral("source"), event.source},
        {QStringLiteral("text"), event.text},
    };
}

QJsonObject healthEventToJson(const HealthEvent &event)
{
    return QJsonObject{
        {QStringLiteral("time"), QDateTime::fromMSecsSinceEpoch(event.timeMs, Qt::UTC).toString(Qt::ISODateWithMs)},
        {QStringLiteral("kind"), event.kindName()},
        {QStringLiteral("pool"), event.pool},
        {QStringLiteral("server"), event.server},
        {QStringLiteral("from"), event.from},
        {QStringLiteral("to"), event.to},
        {QStringLiteral("reason"), event.reason},
        {QStringLiteral("check_duration_ms"), event.checkDurationUs < 0 ? QJsonValue() : QJsonValue(double(event.checkDurationUs) / 1000.0)},
        {QStringLiteral("text"), event.text()},
    };
}

QJsonObject snapshotToJson(const EngineSnapshot &snapshot)
{
    QJsonArray pools;
    for (const PoolView &p : snapshot.pools)
        pools.append(poolToJson(p));
    QJsonArray endpoints;
    for (const LockEndpointView &e : snapshot.lockEndpoints)
        endpoints.append(lockEndpointToJson(e, false));
    QJsonArray listeners;
    for (const ListenerView &l : snapshot.listeners)
        listeners.append(QJsonObject{{QStringLiteral("name"), l.name}, {QStringLiteral("address"), QStringLiteral("%1:%2").arg(l.host).arg(l.port)}, {QStringLiteral("pool"), l.pool}});
    return QJsonObject{
        {QStringLiteral("sequence"), qint64(snapshot.sequence)},
        {QStringLiteral("time"), snapshot.time.toString(Qt::ISODateWithMs)},
        {QStringLiteral("proxy_running"), snapshot.proxyRunning},
        {QStringLiteral("workers"), snapshot.workers},
        {QStringLiteral("listeners"), listeners},
        {QStringLiteral("pools"), pools},
        {QStringLiteral("lock_endpoints"), endpoints},
    };
}

} // namespace fulcrum
