#include "adminjson.h"

#include "balancer/picker.h"
#include "common/bytestext.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

QString isoTime(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

QString isoTime(qint64 ms)
{
    return isoTime(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC));
}

QDateTime timeFrom(const QJsonValue &value)
{
    const QDateTime time = QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
    return time.isValid() ? time.toUTC() : time;
}

QString text(const QJsonObject &json, QLatin1StringView key)
{
    return json.value(key).toString();
}

// A count with the last reason and when (TLS handshake failures, HTTP/2 refusals, access log
// failures), under three keys; the reason and its time only once there was one.
struct CountedKeys
{
    QLatin1StringView count, reason, time;
};

void writeCounted(QJsonObject &json, CountedKeys keys, quint64 count, const QString &reason, qint64 ms)
{
    json.insert(keys.count, qint64(count));
    if (ms > 0) {
        json.insert(keys.reason, reason);
        json.insert(keys.time, isoTime(ms));
    }
}

void readCounted(const QJsonObject &json, CountedKeys keys, quint64 *count, QString *reason, qint64 *ms)
{
    *count = quint64(json.value(keys.count).toInteger());
    *reason = text(json, keys.reason);
    if (json.contains(keys.time))
        *ms = timeFrom(json.value(keys.time)).toMSecsSinceEpoch();
}

constexpr CountedKeys kTlsFailureKeys{QLatin1StringView("tls_handshake_failures"), QLatin1StringView("tls_last_failure"),
                                      QLatin1StringView("tls_last_failure_time")};
constexpr CountedKeys kH2RefusalKeys{QLatin1StringView("http2_refused_connections"), QLatin1StringView("http2_last_refusal"),
                                     QLatin1StringView("http2_last_refusal_time")};
constexpr CountedKeys kAccessLogFailureKeys{QLatin1StringView("failures"), QLatin1StringView("last_failure"), QLatin1StringView("last_failure_time")};

// "host:port" or "[v6]:port", as BackendSpec::address() writes it.
std::pair<QString, quint16> splitAddress(const QString &address)
{
    const qsizetype colon = address.lastIndexOf(u':');
    if (colon < 0)
        return {address, 0};
    QString host = address.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    return {host, quint16(address.mid(colon + 1).toUInt())};
}

} // namespace

QJsonObject serverToJson(const ServerSnapshot &s)
{
    const ServerHealth &h = s.health;
    const ServerCounts &t = s.stats.totals;
    QJsonArray responses;
    for (quint64 n : t.responses)
        responses.append(qint64(n));
    QJsonObject json{
        {QStringLiteral("name"), s.spec.name},
        {QStringLiteral("address"), s.spec.address()},
        {QStringLiteral("state"), h.state.isEmpty() ? backendStateName(s.spec.state) : h.state},
        {QStringLiteral("state_text"), h.stateText.isEmpty() ? backendStateName(s.spec.state) : h.stateText},
        {QStringLiteral("admin_state"), adminStateName(h.admin)},
        {QStringLiteral("time_in_state_ms"), h.timeInStateMs},
        {QStringLiteral("last_check"), QJsonObject{{QStringLiteral("reason"), h.lastCheck.reasonText()},
                                                   {QStringLiteral("detail"), h.lastCheck.detail},
                                                   {QStringLiteral("duration_ms"), double(h.lastCheck.durationUs) / 1000.0},
                                                   {QStringLiteral("at"), h.lastCheckMs > 0 ? QJsonValue(isoTime(h.lastCheckMs)) : QJsonValue()}}},
        {QStringLiteral("checks"), qint64(h.checks)},
        {QStringLiteral("checks_enabled"), h.checksEnabled},
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
    if (!h.resolved.isEmpty())
        json.insert(QStringLiteral("resolved"), h.resolved);
    return json;
}

QJsonObject poolToJson(const PoolView &pool)
{
    QJsonArray servers;
    for (const ServerSnapshot &s : pool.servers)
        servers.append(serverToJson(s));
    QJsonObject o{
        {QStringLiteral("name"), pool.name},
        {QStringLiteral("algorithm"), algorithmName(pool.options.algorithm)},
        {QStringLiteral("panic"), pool.panic},
        {QStringLiteral("cannot_serve"), pool.cannotServe},
        {QStringLiteral("unserved_total"), qint64(pool.unservedTotal)},
        {QStringLiteral("healthy"), pool.healthy},
        {QStringLiteral("eligible"), pool.eligible},
        {QStringLiteral("servers"), servers},
    };
    // The timeouts in force, and which key set each: the pool's own or the proxy's.
    // (Left out where not known: a balancer that is not a fulcrumd.)
    const auto setting = [&o](const char *key, const char *from, bool known, qint64 value, bool poolsOwn) {
        if (!known)
            return;
        o.insert(QLatin1StringView(key), value);
        o.insert(QLatin1StringView(from), poolsOwn ? QStringLiteral("pool") : QStringLiteral("proxy"));
    };
    setting("connect_timeout_ms", "connect_timeout_from", pool.connectTimeoutMs > 0, pool.connectTimeoutMs, pool.options.ownsConnectTimeout());
    setting("response_timeout_ms", "response_timeout_from", pool.responseTimeoutMs > 0, pool.responseTimeoutMs, pool.options.ownsResponseTimeout());
    setting("max_body_bytes", "max_body_bytes_from", pool.maxBodyBytes >= 0, pool.maxBodyBytes, pool.options.ownsMaxBodyBytes());   // 0: no limit
    setting("keepalive_timeout_ms", "keepalive_timeout_from", pool.keepaliveTimeoutMs > 0, pool.keepaliveTimeoutMs, pool.options.ownsKeepaliveTimeout());
    setting("max_idle_per_server", "max_idle_per_server_from", pool.maxIdlePerServer >= 0, pool.maxIdlePerServer, pool.options.ownsMaxIdlePerServer());   // 0: none kept
    // A server connection's lifetime: the pool's only (no proxy-wide key), 0: no limit.
    if (pool.keepaliveTimeoutMs > 0) {
        o.insert("keepalive_requests"_L1, pool.options.keepaliveRequests);
        o.insert("keepalive_time_ms"_L1, pool.options.keepaliveTimeMs);
    }
    return o;
}

QJsonObject lockFeedToJson(const LockFeedState &feed)
{
    QJsonObject o{{QStringLiteral("mode"), lockFeedModeName(feed.mode)}, {QStringLiteral("why"), feed.why}};
    if (!feed.needs.isEmpty())
        o.insert(QStringLiteral("needs"), feed.needs);
    if (feed.canEnable)
        o.insert(QStringLiteral("can_enable"), true);
    if (feed.liveSince.isValid()) {
        o.insert(QStringLiteral("live_since"), isoTime(feed.liveSince));
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
    feed.liveSince = timeFrom(o.value(QStringLiteral("live_since")));
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
                       {QStringLiteral("at"), isoTime(changes.at)},
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
        {QStringLiteral("scanned_at"), e.hasResult ? QJsonValue(isoTime(e.lastResult.finishedAt)) : QJsonValue()},
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
            notes.append(QJsonObject{{QStringLiteral("key"), escapeBytes(note.key)}, {QStringLiteral("text"), note.text}, {QStringLiteral("unreadable"), note.unreadable}});
        o.insert(QStringLiteral("notes"), notes);
        o.insert(QStringLiteral("notes_omitted"), e.lastResult.notesOmitted);
    }
    return o;
}

QJsonObject engineEventToJson(const EngineEvent &event)
{
    return QJsonObject{
        {QStringLiteral("time"), isoTime(event.time)},
        {QStringLiteral("severity"), EngineEvent::severityName(event.severity).toString()},
        {QStringLiteral("source"), event.source},
        {QStringLiteral("text"), event.text},
    };
}

QJsonObject healthEventToJson(const HealthEvent &event)
{
    return QJsonObject{
        {QStringLiteral("time"), isoTime(event.timeMs)},
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

QJsonObject listenerToJson(const ListenerView &l)
{
    QJsonObject listener{{QStringLiteral("name"), l.name}, {QStringLiteral("address"), QStringLiteral("%1:%2").arg(l.host).arg(l.port)}, {QStringLiteral("pool"), l.pool}, {QStringLiteral("tls"), l.tls}};
    if (!l.redirectTo.isEmpty())
        listener.insert(QStringLiteral("redirect_to"), l.redirectTo);
    if (!l.redirectExcept.isEmpty())
        listener.insert(QStringLiteral("redirect_except"), QJsonArray::fromStringList(l.redirectExcept));
    if (!l.routes.empty()) {
        QJsonArray routes;
        for (const ListenerView::Route &route : l.routes) {
            QJsonObject o{{QStringLiteral("pool"), route.pool}};
            if (!route.host.isEmpty())
                o.insert(QStringLiteral("host"), route.host);
            if (!route.prefix.isEmpty())
                o.insert(QStringLiteral("prefix"), route.prefix);
            if (!route.prefixRewrite.isEmpty())
                o.insert(QStringLiteral("prefix_rewrite"), route.prefixRewrite);
            routes.append(o);
        }
        listener.insert(QStringLiteral("routes"), routes);
    }
    if (l.tls) {
        listener.insert(QStringLiteral("tls_expires"), isoTime(l.tlsExpiresMs));
        listener.insert(QStringLiteral("tls_handshakes"), qint64(l.tlsHandshakes));
        writeCounted(listener, kTlsFailureKeys, l.tlsFailures, l.tlsLastFailure, l.tlsLastFailureMs);
        listener.insert(QStringLiteral("http2_connections"), qint64(l.h2Connections));
        listener.insert(QStringLiteral("http2_streams"), qint64(l.h2Streams));
        writeCounted(listener, kH2RefusalKeys, l.h2Refusals, l.h2LastRefusal, l.h2LastRefusalMs);
    }
    return listener;
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
        listeners.append(listenerToJson(l));
    const AccessLogView &log = snapshot.accessLog;
    QJsonObject accessLog{{QStringLiteral("enabled"), log.enabled},
                          {QStringLiteral("lines"), qint64(log.lines)},
                          {QStringLiteral("lines_lost"), qint64(log.linesLost)}};
    if (log.enabled)
        accessLog.insert(QStringLiteral("path"), log.path);
    writeCounted(accessLog, kAccessLogFailureKeys, log.failures, log.lastFailure, log.lastFailureMs);
    QJsonArray workerConnections;
    for (int count : snapshot.workerConnections)
        workerConnections.append(count);
    QJsonArray workerHandoffs;
    for (quint64 count : snapshot.workerHandoffs)
        workerHandoffs.append(qint64(count));
    return QJsonObject{
        {QStringLiteral("sequence"), qint64(snapshot.sequence)},
        {QStringLiteral("time"), isoTime(snapshot.time)},
        {QStringLiteral("proxy_running"), snapshot.proxyRunning},
        {QStringLiteral("workers"), snapshot.workers},
        {QStringLiteral("worker_connections"), workerConnections},
        {QStringLiteral("worker_handoffs"), workerHandoffs},
        {QStringLiteral("listeners"), listeners},
        {QStringLiteral("access_log"), accessLog},
        {QStringLiteral("pools"), pools},
        {QStringLiteral("lock_endpoints"), endpoints},
    };
}

ServerSnapshot serverFromJson(const QJsonObject &json)
{
    ServerSnapshot s;
    const auto [host, port] = splitAddress(text(json, "address"_L1));
    s.spec.name = text(json, "name"_L1);
    s.spec.host = host;
    s.spec.port = port;
    s.spec.weight = json.value("weight"_L1).toInt();
    s.spec.backup = json.value("backup"_L1).toBool();
    s.spec.state = backendStateOfHealth(text(json, "state"_L1));
    s.effectiveWeight = json.value("effective_weight"_L1).toInt();

    ServerStats &stats = s.stats;
    stats.inFlight = json.value("in_flight"_L1).toInt();
    stats.activeConnections = json.value("active_connections"_L1).toInt();
    stats.consecutiveFailures = json.value("consecutive_failures"_L1).toInt();
    stats.requestsPerSecond = json.value("requests_per_second"_L1).toDouble();
    stats.meanMs = json.value("mean_ms"_L1).toDouble();
    stats.p50Ms = json.value("p50_ms"_L1).toDouble();
    stats.p95Ms = json.value("p95_ms"_L1).toDouble();
    stats.p99Ms = json.value("p99_ms"_L1).toDouble();
    stats.totals.requests = quint64(json.value("requests_total"_L1).toInteger());
    const QJsonArray responses = json.value("responses_by_class"_L1).toArray();
    for (size_t i = 0; i < std::size(stats.totals.responses); ++i)
        stats.totals.responses[i] = quint64(responses.at(qsizetype(i)).toInteger());
    stats.totals.connectFailures = quint64(json.value("connect_failures_total"_L1).toInteger());
    stats.totals.timeouts = quint64(json.value("timeouts_total"_L1).toInteger());

    ServerHealth &h = s.health;
    h.name = s.spec.name;
    h.address = text(json, "address"_L1);
    h.resolved = text(json, "resolved"_L1);
    h.state = text(json, "state"_L1);
    h.stateText = text(json, "state_text"_L1);
    h.poolState = s.spec.state;
    h.admin = parseAdminState(text(json, "admin_state"_L1)).value_or(AdminState::Ready);
    h.timeInStateMs = json.value("time_in_state_ms"_L1).toInteger();
    const QJsonObject check = json.value("last_check"_L1).toObject();
    h.lastCheck.reason = parseCheckReason(text(check, "reason"_L1), &h.lastCheck.httpStatus);
    h.lastCheck.detail = text(check, "detail"_L1);
    h.lastCheck.durationUs = qRound64(check.value("duration_ms"_L1).toDouble() * 1000.0);
    if (const QDateTime at = timeFrom(check.value("at"_L1)); at.isValid())
        h.lastCheckMs = at.toMSecsSinceEpoch();
    h.checks = quint64(json.value("checks"_L1).toInteger());
    h.checksEnabled = json.value("checks_enabled"_L1).toBool(true);   // an engine from before it: as it was shown then
    h.ejected = json.value("ejected"_L1).toBool();
    h.slowStarting = json.value("slow_starting"_L1).toBool();
    h.weight = s.spec.weight;
    h.effectiveWeight = s.effectiveWeight;
    return s;
}

PoolView poolFromJson(const QJsonObject &json)
{
    PoolView pool;
    pool.name = text(json, "name"_L1);
    if (const std::optional<AlgorithmChoice> algorithm = parseAlgorithm(text(json, "algorithm"_L1))) {
        pool.options.algorithm = algorithm->algorithm;
        pool.options.choices = algorithm->choices;
    }
    pool.panic = json.value("panic"_L1).toBool();
    pool.cannotServe = json.value("cannot_serve"_L1).toBool();
    pool.unservedTotal = quint64(json.value("unserved_total"_L1).toInteger());
    pool.healthy = json.value("healthy"_L1).toInt();
    pool.eligible = json.value("eligible"_L1).toInt();
    pool.connectTimeoutMs = json.value("connect_timeout_ms"_L1).toInteger();
    pool.responseTimeoutMs = json.value("response_timeout_ms"_L1).toInteger();
    if (json.value("connect_timeout_from"_L1).toString() == u"pool")
        pool.options.connectTimeoutMs = pool.connectTimeoutMs;
    if (json.value("response_timeout_from"_L1).toString() == u"pool")
        pool.options.responseTimeoutMs = pool.responseTimeoutMs;
    pool.maxBodyBytes = json.value("max_body_bytes"_L1).toInteger(-1);
    if (json.value("max_body_bytes_from"_L1).toString() == u"pool")
        pool.options.maxBodyBytes = pool.maxBodyBytes;
    pool.keepaliveTimeoutMs = json.value("keepalive_timeout_ms"_L1).toInteger();
    if (json.value("keepalive_timeout_from"_L1).toString() == u"pool")
        pool.options.keepaliveTimeoutMs = pool.keepaliveTimeoutMs;
    pool.maxIdlePerServer = int(json.value("max_idle_per_server"_L1).toInteger(-1));
    if (json.value("max_idle_per_server_from"_L1).toString() == u"pool")
        pool.options.maxIdlePerServer = pool.maxIdlePerServer;
    pool.options.keepaliveRequests = json.value("keepalive_requests"_L1).toInteger();
    pool.options.keepaliveTimeMs = json.value("keepalive_time_ms"_L1).toInteger();
    for (const QJsonValue &server : json.value("servers"_L1).toArray())
        pool.servers.push_back(serverFromJson(server.toObject()));
    return pool;
}

LockEndpointView lockEndpointFromJson(const QJsonObject &json)
{
    LockEndpointView e;
    e.name = text(json, "name"_L1);
    e.backend = json.value("backend"_L1).toString(QStringLiteral("redis"));
    e.url = text(json, "url"_L1);
    e.tlsInsecure = json.value("tls_insecure"_L1).toBool();
    e.connectionState = text(json, "connection"_L1);
    e.lastError = text(json, "error"_L1);
    e.pollIntervalMs = json.value("poll_interval_ms"_L1).toInteger();
    e.effectivePollIntervalMs = json.value("effective_poll_interval_ms"_L1).toInteger();
    e.scanning = json.value("scanning"_L1).toBool();
    e.passKeysScanned = json.value("pass_keys_scanned"_L1).toInteger();
    e.passDetail = text(json, "pass_detail"_L1);
    e.lastResult.keysScanned = json.value("keys_scanned"_L1).toInteger();
    e.lastResult.elapsedMs = json.value("scan_ms"_L1).toInteger();
    e.lastResult.finishedAt = timeFrom(json.value("scanned_at"_L1));
    e.hasResult = e.lastResult.finishedAt.isValid();
    e.lastResult.truncated = json.value("truncated"_L1).toBool();
    for (const QJsonValue &lock : json.value("locks"_L1).toArray())
        e.lastResult.locks.append(LockInfo::fromJson(lock.toObject()));
    for (const QJsonValue &value : json.value("notes"_L1).toArray()) {
        const QJsonObject note = value.toObject();
        e.lastResult.notes.append(LockScanNote{unescapeBytes(text(note, "key"_L1)).value_or(QByteArray()), text(note, "text"_L1), note.value("unreadable"_L1).toBool()});
    }
    e.lastResult.notesOmitted = json.value("notes_omitted"_L1).toInteger();
    const QJsonObject c = json.value("capabilities"_L1).toObject();
    LockBackendCapabilities &caps = e.capabilities;
    caps.backend = e.backend;
    caps.displayName = text(json, "display_name"_L1);
    caps.ttl = c.value("ttl"_L1).toBool();
    caps.waiters = c.value("waiters"_L1).toBool();
    caps.sessions = c.value("sessions"_L1).toBool();
    caps.clientAddress = c.value("client_address"_L1).toBool();
    caps.askHolder = c.value("ask_holder"_L1).toBool();
    caps.revokeSession = c.value("revoke_session"_L1).toBool();
    for (const QJsonValue &kind : c.value("kinds"_L1).toArray())
        caps.kinds.append(kind.toString());
    caps.releaseEffect = text(c, "release_effect"_L1);
    caps.revokeEffect = text(c, "revoke_effect"_L1);
    caps.askEffect = text(c, "ask_effect"_L1);
    e.feed = lockFeedFromJson(json.value("feed"_L1).toObject());
    return e;
}

ListenerView listenerFromJson(const QJsonObject &l)
{
    const auto [host, port] = splitAddress(text(l, "address"_L1));
    ListenerView view{text(l, "name"_L1), host, port, text(l, "pool"_L1), l.value("tls"_L1).toBool(), text(l, "redirect_to"_L1)};
    for (const QJsonValue &prefix : l.value("redirect_except"_L1).toArray())
        view.redirectExcept << prefix.toString();
    for (const QJsonValue &route : l.value("routes"_L1).toArray())
        view.routes.push_back({text(route.toObject(), "prefix"_L1), text(route.toObject(), "pool"_L1), text(route.toObject(), "host"_L1),
                               text(route.toObject(), "prefix_rewrite"_L1)});
    if (view.tls) {
        view.tlsExpiresMs = timeFrom(l.value("tls_expires"_L1)).toMSecsSinceEpoch();
        view.tlsHandshakes = quint64(l.value("tls_handshakes"_L1).toInteger());
        readCounted(l, kTlsFailureKeys, &view.tlsFailures, &view.tlsLastFailure, &view.tlsLastFailureMs);
        view.h2Connections = quint64(l.value("http2_connections"_L1).toInteger());
        view.h2Streams = quint64(l.value("http2_streams"_L1).toInteger());
        readCounted(l, kH2RefusalKeys, &view.h2Refusals, &view.h2LastRefusal, &view.h2LastRefusalMs);
    }
    return view;
}

EngineSnapshot snapshotFromJson(const QJsonObject &json)
{
    EngineSnapshot snapshot;
    snapshot.sequence = quint64(json.value("sequence"_L1).toInteger());
    snapshot.time = timeFrom(json.value("time"_L1));
    snapshot.proxyRunning = json.value("proxy_running"_L1).toBool();
    snapshot.workers = json.value("workers"_L1).toInt();
    for (const QJsonValue &value : json.value("worker_connections"_L1).toArray())
        snapshot.workerConnections.push_back(value.toInt());
    for (const QJsonValue &value : json.value("worker_handoffs"_L1).toArray())
        snapshot.workerHandoffs.push_back(quint64(value.toInteger()));
    for (const QJsonValue &value : json.value("listeners"_L1).toArray())
        snapshot.listeners.push_back(listenerFromJson(value.toObject()));
    {
        const QJsonObject log = json.value("access_log"_L1).toObject();
        AccessLogView &view = snapshot.accessLog;
        view.enabled = log.value("enabled"_L1).toBool();
        view.path = text(log, "path"_L1);
        view.lines = quint64(log.value("lines"_L1).toInteger());
        view.linesLost = quint64(log.value("lines_lost"_L1).toInteger());
        readCounted(log, kAccessLogFailureKeys, &view.failures, &view.lastFailure, &view.lastFailureMs);
    }
    for (const QJsonValue &pool : json.value("pools"_L1).toArray())
        snapshot.pools.push_back(poolFromJson(pool.toObject()));
    for (const QJsonValue &endpoint : json.value("lock_endpoints"_L1).toArray())
        snapshot.lockEndpoints.push_back(lockEndpointFromJson(endpoint.toObject()));
    return snapshot;
}

EngineEvent engineEventFromJson(const QJsonObject &json)
{
    EngineEvent event;
    event.time = timeFrom(json.value("time"_L1));
    event.severity = EngineEvent::parseSeverity(text(json, "severity"_L1)).value_or(EngineEvent::Info);
    event.source = text(json, "source"_L1);
    event.text = text(json, "text"_L1);
    return event;
}

HealthEvent healthEventFromJson(const QJsonObject &json)
{
    HealthEvent event;
    event.kind = HealthEvent::kindFromName(text(json, "kind"_L1));
    event.timeMs = timeFrom(json.value("time"_L1)).toMSecsSinceEpoch();
    event.pool = text(json, "pool"_L1);
    event.server = text(json, "server"_L1);
    event.from = text(json, "from"_L1);
    event.to = text(json, "to"_L1);
    event.reason = text(json, "reason"_L1);
    const QJsonValue duration = json.value("check_duration_ms"_L1);
    event.checkDurationUs = duration.isDouble() ? qRound64(duration.toDouble() * 1000.0) : -1;
    return event;
}

LockChangesMessage lockChangesFromJson(const QJsonObject &json)
{
    LockChangesMessage message;
    message.endpoint = text(json, "endpoint"_L1);
    message.feed = lockFeedFromJson(json.value("feed"_L1).toObject());
    message.changes.at = timeFrom(json.value("at"_L1));
    for (const QJsonValue &value : json.value("upserted"_L1).toArray())
        message.changes.upserted.append(LockInfo::fromJson(value.toObject()));
    for (const QJsonValue &key : json.value("removed"_L1).toArray()) {
        if (const std::optional<QByteArray> raw = unescapeBytes(key.toString()))
            message.changes.removed.append(*raw);
    }
    return message;
}

} // namespace fulcrum
