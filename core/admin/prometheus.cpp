#include "prometheus.h"

#include "engine/engine.h"

#include <algorithm>
#include <array>
#include <vector>

namespace fulcrum {

namespace {

QByteArray labelValue(const QString &value)
{
    QByteArray out;
    for (const char c : value.toUtf8()) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

class Writer
{
public:
    void family(const char *name, const char *type, const char *help)
    {
        m_out += "# HELP ";
        m_out += name;
        m_out += ' ';
        m_out += help;
        m_out += "\n# TYPE ";
        m_out += name;
        m_out += ' ';
        m_out += type;
        m_out += '\n';
    }
    void sample(const char *name, const QByteArray &labels, double value)
    {
        m_out += name;
        if (!labels.isEmpty())
            m_out += '{' + labels + '}';
        m_out += ' ';
        m_out += QByteArray::number(value, 'g', 17);
        m_out += '\n';
    }
    QByteArray take() { return std::move(m_out); }

private:
    QByteArray m_out;
};

QByteArray serverLabels(const QString &pool, const QString &server)
{
    return "pool=\"" + labelValue(pool) + "\",server=\"" + labelValue(server) + '"';
}

constexpr std::array<double, 13> kBucketSeconds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::array<const char *, 5> kStates{"up", "down", "drain", "maint", "ejected"};

} // namespace

QByteArray prometheusMetrics(const Engine &engine)
{
    const EngineSnapshot &snapshot = engine.snapshot();
    Writer w;
    struct Row
    {
        const PoolView *pool;
        const ServerSnapshot *server;
        QByteArray labels;
    };
    std::vector<Row> rows;
    for (const PoolView &p : snapshot.pools) {
        for (const ServerSnapshot &s : p.servers)
            rows.push_back(Row{&p, &s, serverLabels(p.name, s.spec.name)});
    }

    w.family("fulcrum_server_requests_total", "counter", "Requests sent to the server.");
    for (const Row &r : rows)
        w.sample("fulcrum_server_requests_total", r.labels, double(r.server->stats.totals.requests));
    w.family("fulcrum_server_responses_total", "counter", "Responses from the server by status class (proxy-made 502/504 count as 5xx).");
    for (const Row &r : rows) {
        for (int c = 0; c < 5; ++c)
            w.sample("fulcrum_server_responses_total", r.labels + ",class=\"" + QByteArray::number(c + 1) + "xx\"", double(r.server->stats.totals.responses[size_t(c)]));
    }
    w.family("fulcrum_server_connect_failures_total", "counter", "Connections to the server that failed.");
    for (const Row &r : rows)
        w.sample("fulcrum_server_connect_failures_total", r.labels, double(r.server->stats.totals.connectFailures));
    w.family("fulcrum_server_response_seconds", "histogram", "Time from request sent to response head received.");
    for (const Row &r : rows) {
        const ServerTotals *totals = engine.totals(r.pool->name, r.server->spec.name);
        LatencyHistogram empty;
        const LatencyHistogram &h = totals ? totals->latency : empty;
        int bucket = 0;
        quint64 cumulative = 0;
        for (double le : kBucketSeconds) {
            const quint64 limitUs = quint64(le * 1e6);
            while (bucket < LatencyHistogram::kBuckets && LatencyHistogram::bucketLow(bucket) + LatencyHistogram::bucketWidth(bucket) <= limitUs)
                cumulative += h.bucketCount(bucket++);
            w.sample("fulcrum_server_response_seconds_bucket", r.labels + ",le=\"" + QByteArray::number(le, 'g', 6) + '"', double(cumulative));
        }
        w.sample("fulcrum_server_response_seconds_bucket", r.labels + ",le=\"+Inf\"", double(h.count()));
        w.sample("fulcrum_server_response_seconds_sum", r.labels, totals ? double(totals->latencySumMicros) / 1e6 : 0.0);
        w.sample("fulcrum_server_response_seconds_count", r.labels, double(h.count()));
    }
    w.family("fulcrum_server_state", "gauge", "1 for the server's current state (up, down, drain, maint, ejected).");
    for (const Row &r : rows) {
        const QString state = r.server->health.state.isEmpty() ? backendStateName(r.server->spec.state) : r.server->health.state;
        for (const char *name : kStates)
            w.sample("fulcrum_server_state", r.labels + ",state=\"" + name + '"', state == QLatin1StringView(name) ? 1 : 0);
    }
    w.family("fulcrum_server_weight", "gauge", "Weight set by config or operator.");
    for (const Row &r : rows)
        w.sample("fulcrum_server_weight", r.labels, r.server->spec.weight);
    w.family("fulcrum_server_effective_weight", "gauge", "Weight the balancer uses now (lower during slow start, 0 when not taking traffic).");
    for (const Row &r : rows)
        w.sample("fulcrum_server_effective_weight", r.labels, r.server->effectiveWeight);
    w.family("fulcrum_server_in_flight", "gauge", "Requests in flight to the server.");
    for (const Row &r : rows)
        w.sample("fulcrum_server_in_flight", r.labels, r.server->stats.inFlight);
    w.family("fulcrum_pool_panic", "gauge", "1 while the pool balances across all servers because too few are healthy.");
    for (const PoolView &p : snapshot.pools)
        w.sample("fulcrum_pool_panic", "pool=\"" + labelValue(p.name) + '"', p.panic ? 1 : 0);

    const auto workerLabels = [](size_t worker) { return QByteArray("worker=\"" + QByteArray::number(qulonglong(worker)) + '"'); };
    w.family("fulcrum_worker_connections", "gauge", "Client connections open on the proxy worker.");
    for (size_t i = 0; i < snapshot.workerConnections.size(); ++i)
        w.sample("fulcrum_worker_connections", workerLabels(i), snapshot.workerConnections[i]);
    w.family("fulcrum_worker_handoffs_total", "counter", "Connections the worker accepted and handed to a less loaded worker.");
    for (size_t i = 0; i < snapshot.workerHandoffs.size(); ++i)
        w.sample("fulcrum_worker_handoffs_total", workerLabels(i), double(snapshot.workerHandoffs[i]));

    const auto listenerLabels = [](const ListenerView &l) { return QByteArray("listener=\"" + labelValue(l.name) + '"'); };
    w.family("fulcrum_listener_tls_handshakes_total", "counter", "TLS handshakes completed on the listener.");
    for (const ListenerView &l : snapshot.listeners) {
        if (l.tls)
            w.sample("fulcrum_listener_tls_handshakes_total", listenerLabels(l), double(l.tlsHandshakes));
    }
    w.family("fulcrum_listener_tls_handshake_failures_total", "counter", "TLS handshakes that failed on the listener (the reason is in the admin API).");
    for (const ListenerView &l : snapshot.listeners) {
        if (l.tls)
            w.sample("fulcrum_listener_tls_handshake_failures_total", listenerLabels(l), double(l.tlsFailures));
    }
    w.family("fulcrum_listener_http2_streams_total", "counter", "HTTP/2 streams (requests) on the TLS listener.");
    for (const ListenerView &l : snapshot.listeners) {
        if (l.tls)
            w.sample("fulcrum_listener_http2_streams_total", listenerLabels(l), double(l.h2Streams));
    }
    w.family("fulcrum_listener_http2_refused_connections_total", "counter",
             "HTTP/2 connections ended for abuse: rapid reset, CONTINUATION flood, HPACK bomb, stream flood (the reason is in the admin API).");
    for (const ListenerView &l : snapshot.listeners) {
        if (l.tls)
            w.sample("fulcrum_listener_http2_refused_connections_total", listenerLabels(l), double(l.h2Refusals));
    }
    w.family("fulcrum_listener_certificate_expiry_timestamp_seconds", "gauge", "When the first certificate of the TLS listener expires (Unix time).");
    for (const ListenerView &l : snapshot.listeners) {
        if (l.tls)
            w.sample("fulcrum_listener_certificate_expiry_timestamp_seconds", listenerLabels(l), double(l.tlsExpiresMs / 1000));
    }

    if (snapshot.accessLog.enabled) {
        w.family("fulcrum_access_log_lines_total", "counter", "Lines written to proxy.access_log since the start.");
        w.sample("fulcrum_access_log_lines_total", {}, double(snapshot.accessLog.lines));
        w.family("fulcrum_access_log_lines_lost_total", "counter",
                 "Access log lines lost because the file could not be opened or written (requests were served as before).");
        w.sample("fulcrum_access_log_lines_lost_total", {}, double(snapshot.accessLog.linesLost));
        w.family("fulcrum_access_log_failures_total", "counter", "Failed opens and writes of proxy.access_log (the reason is in the admin API and the events).");
        w.sample("fulcrum_access_log_failures_total", {}, double(snapshot.accessLog.failures));
    }

    const auto lockLabels = [](const LockEndpointView &e) {
        return QByteArray("endpoint=\"" + labelValue(e.name) + "\",backend=\"" + labelValue(e.backend) + '"');
    };
    w.family("fulcrum_lock_endpoint_connected", "gauge", "1 while the lock endpoint (Redis, ZooKeeper, ...) is connected.");
    for (const LockEndpointView &e : snapshot.lockEndpoints)
        w.sample("fulcrum_lock_endpoint_connected", lockLabels(e), e.connectionState == u"connected" ? 1 : 0);
    w.family("fulcrum_locks", "gauge", "Locks found by the last scan.");
    for (const LockEndpointView &e : snapshot.lockEndpoints)
        w.sample("fulcrum_locks", lockLabels(e), double(e.lastResult.locks.size()));
    struct LockFigures
    {
        QByteArray labels;
        int longHeld = 0;
        int noExpiry = 0;
        int waiters = 0;
        int orphaned = 0;
        bool ttl = false;
        qint64 maxHeldMs = 0;
        qint64 minTtlMs = -1;
    };
    std::vector<LockFigures> figures;
    for (const LockEndpointView &e : snapshot.lockEndpoints) {
        LockFigures f;
        f.labels = lockLabels(e);
        f.ttl = e.capabilities.ttl;
        for (const LockInfo &lock : e.lastResult.locks) {
            f.longHeld += (lock.flags & LockInfo::LongHeld) != 0;
            f.noExpiry += lock.ttlMs < 0;
            f.waiters += int(lock.waiters.size());
            f.orphaned += (lock.flags & LockInfo::OrphanedWaiter) != 0;
            f.maxHeldMs = std::max(f.maxHeldMs, lock.heldForMs);
            if (lock.ttlMs >= 0)
                f.minTtlMs = f.minTtlMs < 0 ? lock.ttlMs : std::min(f.minTtlMs, lock.ttlMs);
        }
        figures.push_back(f);
    }
    w.family("fulcrum_locks_long_held", "gauge", "Locks held longer than the endpoint's long_held setting.");
    for (const LockFigures &f : figures)
        w.sample("fulcrum_locks_long_held", f.labels, f.longHeld);
    w.family("fulcrum_lock_held_seconds_max", "gauge", "Longest observed hold time among the current locks.");
    for (const LockFigures &f : figures)
        w.sample("fulcrum_lock_held_seconds_max", f.labels, double(f.maxHeldMs) / 1000.0);
    w.family("fulcrum_lock_ttl_seconds_min", "gauge", "Shortest TTL among the current locks with an expiry (absent when none has one).");
    for (const LockFigures &f : figures) {
        if (f.minTtlMs >= 0)
            w.sample("fulcrum_lock_ttl_seconds_min", f.labels, double(f.minTtlMs) / 1000.0);
    }
    w.family("fulcrum_locks_without_expiry", "gauge", "Locks with no TTL: they stay until released (backends with TTLs only).");
    for (const LockFigures &f : figures) {
        if (f.ttl)
            w.sample("fulcrum_locks_without_expiry", f.labels, f.noExpiry);
    }
    w.family("fulcrum_lock_waiters", "gauge", "Contenders queued behind the current holders (backends that show waiters).");
    for (const LockFigures &f : figures)
        w.sample("fulcrum_lock_waiters", f.labels, f.waiters);
    w.family("fulcrum_locks_orphaned_waiter", "gauge", "Locks with a waiter whose predecessor is gone longer than a session timeout.");
    for (const LockFigures &f : figures)
        w.sample("fulcrum_locks_orphaned_waiter", f.labels, f.orphaned);
    return w.take();
}

} // namespace fulcrum
