#pragma once

#include "config/config.h"
#include "locks/lockinfo.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

class QHostAddress;
class QTcpServer;
class QTcpSocket;

namespace fulcrum {

class Engine;
struct EngineEvent;
struct EngineSnapshot;
struct HealthEvent;
struct LockScanResult;
class ReportService;

// The admin API of a running engine: HTTP/1.1 + JSON (requests parsed by the proxy's strict
// parser), every request with `Authorization: Bearer TOKEN`; the read-only token may only GET.
// Routes are listed in docs/admin-api.md. Lives on the engine's
// thread; one request per connection at a time (pipelined requests wait their turn).
class AdminServer : public QObject
{
    Q_OBJECT
public:
    AdminServer(Engine *engine, QObject *parent = nullptr);
    ~AdminServer() override;

    // Binds config.host:port. A non-loopback address needs config.allowNonLoopback and is
    // reported with a warning event (unless TLS protects it). With config.hasTls() every
    // connection is TLS (and for a client CA, mutual TLS); the files are read here, and a
    // missing file or a key that is not the certificate's fails the listen with *error naming it.
    // readOnlyToken may be empty (no viewer access).
    bool listen(const AdminConfig &config, const QByteArray &token, const QByteArray &readOnlyToken, QString *error);
    quint16 port() const;
    int streamCount() const { return int(m_streams.size()); }
    // Where /api/v1/history and /api/v1/report come from; without one they answer 503
    // (the engine keeps no history). Must live on this server's thread.
    void setReportService(ReportService *service) { m_reports = service; }

private:
    struct Client;
    struct Request;
    struct Reply;

    void onNewConnection();
    // A TLS handshake that failed (no client certificate, a plain-HTTP client): an event at most
    // once a minute, with the count.
    void noteTlsFailure(const QHostAddress &peer, const QString &why);
    // At a connection cap: closes one connection to make room (of `peer` only, when given);
    // false when every connection is an operator's request in progress or stream.
    bool makeRoom(const QHostAddress *peer);
    // After a request was answered: with nothing more buffered, only the idle timer runs.
    void betweenRequests(QTcpSocket *socket);
    void onReadyRead(QTcpSocket *socket);
    void process(QTcpSocket *socket);
    void dispatch(QTcpSocket *socket, const Request &request);
    void send(QTcpSocket *socket, const Reply &reply, bool keepAlive);
    void startStream(QTcpSocket *socket);
    void broadcast(const QByteArray &event, const QByteArray &data);
    void onSnapshot(const EngineSnapshot &snapshot);
    void onEvent(const EngineEvent &event);
    void onHealthEvent(const HealthEvent &event);
    void onLockScan(const QString &endpoint, const LockScanResult &result);
    void onLockChanges(const QString &endpoint, const LockChanges &changes);
    void broadcastNewAudit();

    Reply serverAction(const Request &request, QString pool, QString server, QString action);
    void releaseLock(QTcpSocket *socket, const Request &request, const QString &endpoint, bool keepAlive);
    void enableNotifications(QTcpSocket *socket, const Request &request, const QString &endpoint, bool keepAlive);
    void inspectLock(QTcpSocket *socket, const Request &request, const QString &endpoint, bool keepAlive);
    void historyOrReport(QTcpSocket *socket, const Request &request, bool report, bool keepAlive);
    void finishLater(const QPointer<QTcpSocket> &socket, const Reply &reply, bool keepAlive);

    Engine *m_engine;
    QTcpServer *m_server;
    QByteArray m_token;
    QByteArray m_readOnlyToken;
    QHash<QTcpSocket *, Client *> m_clients;
    quint64 m_accepted = 0;
    quint64 m_evicted = 0;
    QElapsedTimer m_evictionNoticed;
    quint64 m_tlsFailures = 0;
    QElapsedTimer m_tlsFailureNoticed;
    QList<QPointer<QTcpSocket>> m_streams;
    QJsonObject m_lastAuditSent;   // the newest audit entry the streams have: what comes after it is new
    ReportService *m_reports = nullptr;
};

} // namespace fulcrum
