#pragma once

#include "admin/adminrouter.h"
#include "locks/lockinfo.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>

class QTcpSocket;

namespace fulcrum {

class Engine;
struct EngineEvent;
struct EngineSnapshot;
struct HealthEvent;
struct LockScanResult;

// GET /api/v1/stream: Server-Sent Events. A snapshot and the lock tables on connect, then every
// engine tick, lock pass, live lock change, audit entry, engine event and health event, to every
// open stream; a client too far behind is dropped.
class EventStream : public QObject
{
    Q_OBJECT
public:
    explicit EventStream(Engine *engine, QObject *parent = nullptr);
    void addTo(AdminRouter &router);

private:
    void start(QTcpSocket *socket);
    void broadcast(const QByteArray &event, const QByteArray &data);
    void onSnapshot(const EngineSnapshot &snapshot);
    void onEvent(const EngineEvent &event);
    void onHealthEvent(const HealthEvent &event);
    void onLockScan(const QString &endpoint, const LockScanResult &result);
    void onLockChanges(const QString &endpoint, const LockChanges &changes);
    void broadcastNewAudit();

    Engine *m_engine;
    QList<QPointer<QTcpSocket>> m_streams;
    QJsonObject m_lastAuditSent;   // the newest audit entry the streams have: what comes after it is new
};

} // namespace fulcrum
