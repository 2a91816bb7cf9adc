#include "historyrecorder.h"

#include "common/wallclock.h"
#include "engine/engine.h"

#include <QDateTime>
#include <QTimer>

#include <algorithm>

namespace fulcrum {

HistoryRecorder::HistoryRecorder(Engine *engine, HistoryStore *store, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_store(store)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(5000);
    connect(m_timer, &QTimer::timeout, this, [this] { flush(); });
    m_timer->start();
    connect(engine, &Engine::snapshotReady, this, &HistoryRecorder::onSnapshot);
    connect(engine, &Engine::healthEventOccurred, this, &HistoryRecorder::recordHealthEvent);
    connect(engine, &Engine::lockScanFinished, this, &HistoryRecorder::recordLockPass);
    // Audit entries written before this recorder started are already on disk from the last run.
    m_lastAuditMs = wallclock::nowMs();
}

HistoryRecorder::~HistoryRecorder()
{
    flush();
}

void HistoryRecorder::setFlushInterval(int ms)
{
    m_timer->setInterval(ms);
}

void HistoryRecorder::onSnapshot(const EngineSnapshot &snapshot)
{
    if (!m_engine)
        return;
    for (const PoolView &pool : snapshot.pools) {
        for (const ServerSnapshot &server : pool.servers) {
            const std::vector<StatsPoint> points = m_engine->history(pool.name, server.spec.name);
            const ServerCounts &totals = server.stats.totals;
            auto [it, first] = m_servers.try_emplace({pool.name, server.spec.name});
            Progress &progress = it->second;
            if (first && !points.empty()) {
                // Started while the engine was already running: record from here on.
                progress.lastPointMs = points.back().timeMs;
                progress.requests = totals.requests;
                progress.errors = totals.responses[4] + totals.connectFailures;
                continue;
            }
            // A tick adds at most one point, and the snapshot's totals are those at its end, so
            // counts come from the totals (exact) and the latency figures from the point.
            if (points.empty() || points.back().timeMs <= progress.lastPointMs)
                continue;
            const StatsPoint &point = points.back();
            const qint64 lengthMs = progress.lastPointMs > 0 ? std::clamp<qint64>(point.timeMs - progress.lastPointMs, 1000, 5000) : 1000;
            progress.lastPointMs = point.timeMs;
            const quint64 errors = totals.responses[4] + totals.connectFailures;
            HistorySample s;
            s.timeMs = point.timeMs - lengthMs;
            s.pool = pool.name;
            s.server = server.spec.name;
            s.requests = double(totals.requests - std::min(totals.requests, progress.requests));
            s.errors = double(errors - std::min(errors, progress.errors));
            progress.requests = totals.requests;
            progress.errors = errors;
            s.meanMs = point.meanMs;
            s.p50Ms = point.p50Ms;
            s.p95Ms = point.p95Ms;
            s.p99Ms = point.p99Ms;
            s.state = int(server.spec.state);
            s.weight = server.spec.weight;
            s.effectiveWeight = server.effectiveWeight;
            s.upMs = server.spec.state == BackendState::Up ? lengthMs : 0;
            s.coveredMs = lengthMs;
            m_buffer.samples.push_back(std::move(s));
        }
    }
    trimBuffer();
}

void HistoryRecorder::recordHealthEvent(const HealthEvent &event)
{
    m_buffer.healthEvents.push_back(event);
    trimBuffer();
}

void HistoryRecorder::recordLockPass(const QString &endpoint, const LockScanResult &result)
{
    const qint64 now = result.finishedAt.isValid() ? result.finishedAt.toMSecsSinceEpoch() : wallclock::nowMs();
    for (const LockInfo &lock : result.locks) {
        LockObservation o;
        o.timeMs = now;
        o.endpoint = endpoint;
        o.key = lock.displayKey();
        o.kind = lock.kind;
        o.holder = lock.displayHolder();
        o.ttlMs = lock.ttlMs;
        o.heldForMs = lock.heldForMs;
        o.flags = lock.flags;
        m_buffer.locks.push_back(std::move(o));
    }
    trimBuffer();
}

void HistoryRecorder::trimBuffer()
{
    // Samples are the bulk: while the store is failing, the oldest seconds give way first.
    const qsizetype excess = m_buffer.size() - m_maxBuffered;
    if (excess > 0 && qsizetype(m_buffer.samples.size()) >= excess)
        m_buffer.samples.erase(m_buffer.samples.begin(), m_buffer.samples.begin() + excess);
}

bool HistoryRecorder::flush()
{
    if (m_engine) {
        const QList<AuditEntry> recent = m_engine->auditLog().recent(1000);
        for (const AuditEntry &entry : recent) {
            const qint64 t = entry.time.toMSecsSinceEpoch();
            if (t > m_lastAuditMs) {
                m_buffer.audit.append(entry);
                m_lastAuditMs = t;
            }
        }
    }
    QString error;
    const qint64 now = wallclock::nowMs();
    bool ok = m_store->write(m_buffer, &error);
    if (ok)
        m_buffer = HistoryBatch();
    if (ok && now - m_lastCompactMs >= 60'000) {
        ok = m_store->compact(now, &error);
        if (ok)
            m_lastCompactMs = now;
    }
    if (ok) {
        if (m_failing && m_engine)
            m_engine->addEvent(EngineEvent::Info, QStringLiteral("history"), QStringLiteral("history store %1 is writable again").arg(m_store->path()));
        m_failing = false;
        return true;
    }
    m_lastError = error;
    if (!m_failing) {
        m_failing = true;
        if (m_engine)
            m_engine->addEvent(EngineEvent::Warning, QStringLiteral("history"),
                               QStringLiteral("%1; balancing goes on, history is kept in memory (bounded) until the store works again").arg(error));
        Q_EMIT storeFailed(error);
    }
    trimBuffer();
    return false;
}

} // namespace fulcrum
