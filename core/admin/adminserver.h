#pragma once

#include "admin/adminrouter.h"
#include "admin/handlers/reports.h"
#include "config/config.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSslConfiguration>

#include <memory>
#include <optional>

class QHostAddress;
class QTcpServer;
class QTcpSocket;

namespace fulcrum {

class Engine;
class ReportService;

// The admin API of a running engine: HTTP/1.1 + JSON (requests parsed by the proxy's strict
// parser), every request with `Authorization: Bearer TOKEN`; the read-only token may only GET.
// This class keeps the connections (TLS, caps, timeouts, the token, keep-alive) and writes the
// replies; an AdminRouter hands each request to its resource's handler (handlers/, one file
// per resource; the routes are listed in docs/admin-api.md). Lives on the engine's thread; one
// request per connection at a time (pipelined requests wait their turn).
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
    // A reload (SIGHUP): admin.tls's files read again and checked as at start, so a renewed
    // certificate at the same paths is served without a restart. nullopt with *error naming the
    // file when they cannot be used; then the reload is refused whole and nothing changes.
    std::optional<QSslConfiguration> readTls(const AdminConfig &config, QString *error) const;
    // For the connections made from now on (those open keep theirs); an event names the old and
    // the new certificate when it changed.
    void useTls(const QSslConfiguration &tls, const AdminConfig &config);
    // Where /api/v1/history and /api/v1/report come from; without one they answer 503
    // (the engine keeps no history). Must live on this server's thread.
    void setReportService(ReportService *service) { m_reports.setService(service); }

private:
    struct Client;

    // An error event when the certificate is not valid now (expired, or not yet), a warning when
    // it expires within kCertificateExpiryWarningDays; and its expiry for /metrics.
    void checkCertificateDates(const QSslCertificate &leaf, const QString &path);

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
    // Reads the buffered requests one by one: checks framing and token, then routes.
    void process(QTcpSocket *socket);
    // The way a handler answers this connection's request. inRoute is true while the router is
    // still in the handler: an answer then lets process() go on to the next request; a later
    // one starts it again.
    AdminResponder responderFor(QTcpSocket *socket, bool keepAlive, const std::shared_ptr<bool> &inRoute);
    void send(QTcpSocket *socket, const AdminReply &reply, bool keepAlive);

    Engine *m_engine;
    QTcpServer *m_server;
    AdminRouter m_router;
    ReportRoutes m_reports;
    QByteArray m_token;
    QByteArray m_readOnlyToken;
    QHash<QTcpSocket *, Client *> m_clients;
    quint64 m_accepted = 0;
    quint64 m_evicted = 0;
    QElapsedTimer m_evictionNoticed;
    quint64 m_tlsFailures = 0;
    QElapsedTimer m_tlsFailureNoticed;
    qint64 m_certificateExpiryMs = 0;   // of admin.tls.cert (ms since the epoch); 0: plain HTTP
};

} // namespace fulcrum
