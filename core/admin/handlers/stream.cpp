#include "admin/handlers/stream.h"

#include "admin/adminjson.h"
#include "engine/engine.h"

#include <QJsonDocument>
#include <QTcpSocket>

namespace fulcrum {

namespace {

constexpr qint64 kMaxStreamBacklog = 8 * 1024 * 1024; // a stream client this far behind is dropped

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// One Server-Sent Event; the data is compact JSON, one line (SseReader reads it back).
QByteArray frame(const QByteArray &event, const QByteArray &data)
{
    return "event: " + event + "\ndata: " + data + "\n\n";
}

} // namespace

EventStream::EventStream(Engine *engine, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
{
    connect(m_engine, &Engine::snapshotReady, this, &EventStream::onSnapshot);
    connect(m_engine, &Engine::eventOccurred, this, &EventStream::onEvent);
    connect(m_engine, &Engine::healthEventOccurred, this, &EventStream::onHealthEvent);
    connect(m_engine, &Engine::lockScanFinished, this, &EventStream::onLockScan);
    connect(m_engine, &Engine::lockRowsChanged, this, &EventStream::onLockChanges);
    const QList<AuditEntry> newest = m_engine->auditLog().recent(1);
    if (!newest.isEmpty())
        m_lastAuditSent = newest.first().toJson();
}

void EventStream::addTo(AdminRouter &router)
{
    router.addDeferred("GET", "/api/v1/stream", [this](const AdminRequest &, const AdminResponder &responder) {
        if (QTcpSocket *socket = responder.openEventStream())
            start(socket);
    });
}

void EventStream::start(QTcpSocket *socket)
{
    socket->write(frame("snapshot", compact(snapshotToJson(m_engine->snapshot()))));
    // A console that just attached shows the locks at once, not after the next pass: the tables
    // as they are now (a live table's next pass may be ten minutes away; the lock-changes
    // from here on apply to this one).
    for (const LockEndpointView &endpoint : m_engine->lockViews()) {
        if (endpoint.hasResult)
            socket->write(frame("locks", compact(lockEndpointToJson(endpoint, true))));
    }
    m_streams.append(socket);
}

void EventStream::broadcast(const QByteArray &event, const QByteArray &data)
{
    m_streams.removeIf([](const QPointer<QTcpSocket> &s) { return s.isNull(); });
    const QByteArray message = frame(event, data);
    for (const QPointer<QTcpSocket> &s : std::as_const(m_streams)) {
        if (s->bytesToWrite() > kMaxStreamBacklog) {
            s->abort();
            continue;
        }
        s->write(message);
    }
}

void EventStream::onSnapshot(const EngineSnapshot &snapshot)
{
    if (!m_streams.isEmpty())
        broadcast("snapshot", compact(snapshotToJson(snapshot)));
}

void EventStream::onEvent(const EngineEvent &event)
{
    // An operator action is in the audit log before its event: the structured entry (who,
    // before, after) goes first, so a console need not parse the text. Followed with no
    // stream open too, so a stream opened later does not get old entries as new.
    if (event.source == u"operator")
        broadcastNewAudit();
    if (!m_streams.isEmpty())
        broadcast("event", compact(engineEventToJson(event)));
}

void EventStream::broadcastNewAudit()
{
    const QList<AuditEntry> recent = m_engine->auditLog().recent(64);
    // After the last one sent; only the newest when that one has scrolled out of reach.
    qsizetype first = recent.size() - 1;
    for (qsizetype i = recent.size() - 1; i >= 0; --i) {
        if (recent[i].toJson() == m_lastAuditSent) {
            first = i + 1;
            break;
        }
    }
    for (qsizetype i = std::max<qsizetype>(0, first); i < recent.size(); ++i) {
        m_lastAuditSent = recent[i].toJson();
        broadcast("audit", compact(m_lastAuditSent));
    }
}

void EventStream::onLockScan(const QString &endpoint, const LockScanResult &result)
{
    if (m_streams.isEmpty())
        return;
    // The engine's snapshot has the endpoint's state; the pass that just ended is the
    // inspector's last result, which the snapshot takes at the next tick.
    const LockEndpointView *view = m_engine->snapshot().lockEndpoint(endpoint);
    if (!view)
        return;
    LockEndpointView now = *view;
    // The pass that just ended may be the one that made the endpoint live: its feed as of now.
    now.feed = m_engine->lockFeed(endpoint);
    now.lastResult = result;
    now.hasResult = true;
    now.scanning = false;
    now.passKeysScanned = 0;
    broadcast("locks", compact(lockEndpointToJson(now, true)));
}

// A live endpoint's rows as they change: only the rows, never the whole table again.
void EventStream::onLockChanges(const QString &endpoint, const LockChanges &changes)
{
    if (!m_streams.isEmpty())
        broadcast("lock-changes", compact(lockChangesToJson(endpoint, m_engine->lockFeed(endpoint), changes)));
}

void EventStream::onHealthEvent(const HealthEvent &event)
{
    if (!m_streams.isEmpty())
        broadcast("health", compact(healthEventToJson(event)));
}

} // namespace fulcrum
