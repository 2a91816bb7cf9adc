#include "adminserver.h"

#include "admin/admintoken.h"
#include "admin/handlers/adminhandlers.h"
#include "admin/handlers/stream.h"
#include "common/tlsfiles.h"
#include "common/wallclock.h"
#include "engine/engine.h"
#include "proxy/httpparser.h"

#include <QDateTime>
#include <QHostAddress>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>

namespace fulcrum {

namespace {

constexpr qint64 kMaxBodyBytes = 64 * 1024;
constexpr int kIdleTimeoutMs = 60'000;                 // an authenticated connection with no request in progress this long is closed
constexpr int kHeaderTimeoutMs = 5000;                 // a request (head and body) not complete this long after it began is answered 408
// At either cap a newcomer is taken and the oldest connection that never presented a valid
// token (else the oldest idle one) is closed to make room: connections that hold a slot without
// a token cannot keep an operator out (they live at most kHeaderTimeoutMs anyway).
constexpr int kMaxClients = 256;
constexpr int kMaxClientsPerAddress = 128;

} // namespace

struct AdminServer::Client
{
    QTimer idle;             // authenticated, between requests
    QTimer header;           // from the first byte of a request (or the connect) to its last
    QHostAddress peer;
    quint64 order = 0;       // accept order: lower is older
    bool authenticated = false;   // has presented a valid token on this connection
    QByteArray buffer;
    bool busy = false;       // a handler has not answered yet (a lock release, a report); later requests wait
    bool streaming = false;
};

// The listener: plain TCP, or with admin.tls a TLS server socket per connection, handed over at
// once (the handshake runs under the same header timeout and connection caps as a request, so
// a client that never finishes it cannot keep a slot; Qt 6.4's QSslServer hands a connection over
// only after its handshake, with no timeout on it).
class AdminListener : public QTcpServer
{
public:
    using QTcpServer::QTcpServer;
    std::optional<QSslConfiguration> tls;

protected:
    void incomingConnection(qintptr descriptor) override
    {
        if (!tls) {
            QTcpServer::incomingConnection(descriptor);
            return;
        }
        auto *socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        socket->setSslConfiguration(*tls);
        socket->startServerEncryption();
        addPendingConnection(socket);
    }
};

AdminServer::AdminServer(Engine *engine, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_server(new AdminListener(this))
    , m_reports(this)
{
    connect(m_server, &QTcpServer::newConnection, this, &AdminServer::onNewConnection);
    addPoolRoutes(m_router, engine);
    addEventRoutes(m_router, engine);
    addAuditRoutes(m_router, engine);
    addLockRoutes(m_router, engine);
    m_reports.addTo(m_router);
    (new EventStream(engine, this))->addTo(m_router);
    addMetricsRoutes(m_router, engine, [this] { return m_certificateExpiryMs; });
}

AdminServer::~AdminServer()
{
    qDeleteAll(m_clients);
}

bool AdminServer::listen(const AdminConfig &config, const QByteArray &token, const QByteArray &readOnlyToken, QString *error)
{
    QHostAddress address;
    if (config.host == u"localhost")
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(config.host)) {
        *error = QStringLiteral("admin.listen: \"%1\" is not an IP address").arg(config.host);
        return false;
    }
    if (!address.isLoopback() && !config.allowNonLoopback) {
        *error = QStringLiteral("admin.listen \"%1\" is not a loopback address; set admin.allow_non_loopback to true to bind it").arg(config.host);
        return false;
    }
    auto *listener = static_cast<AdminListener *>(m_server);
    listener->tls.reset();
    if (config.hasTls()) {
        listener->tls = serverTlsConfiguration(config.tlsCertFile, config.tlsKeyFile, config.tlsClientCaFile, QStringLiteral("admin.tls"), error);
        if (!listener->tls)
            return false;
        checkCertificateDates(listener->tls->localCertificate(), config.tlsCertFile);
    }
    if (!address.isLoopback()) {
        m_engine->addEvent(EngineEvent::Warning, QStringLiteral("admin"),
                           config.hasTls()
                               ? QStringLiteral("admin API on non-loopback %1:%2 over TLS%3: anyone who can reach it and has the token can change weights "
                                                "and release locks; keep it behind a firewall")
                                     .arg(config.host).arg(config.port).arg(config.tlsClientCaFile.isEmpty() ? QString() : QStringLiteral(" with client certificates"))
                               : QStringLiteral("admin API on non-loopback %1:%2 without TLS: tokens and lock data cross the network in clear, and anyone who can "
                                                "reach it and has the token can change weights and release locks; set admin.tls, and keep it behind a firewall")
                                     .arg(config.host).arg(config.port));
    }
    m_token = token;
    m_readOnlyToken = readOnlyToken;
    // Room in the kernel's queue for a burst of connections (the default is 50): beyond it a
    // client's handshake may complete while the server never hears of the connection.
    m_server->setListenBacklogSize(1024);
    if (!m_server->listen(address, config.port)) {
        *error = QStringLiteral("admin API cannot listen on %1:%2: %3").arg(config.host).arg(config.port).arg(m_server->errorString());
        return false;
    }
    m_engine->addEvent(EngineEvent::Info, QStringLiteral("admin"),
                       QStringLiteral("admin API on %1://%2:%3/%4")
                           .arg(config.hasTls() ? QStringLiteral("https") : QStringLiteral("http"), config.host)
                           .arg(port())
                           .arg(!config.hasTls() ? QString()
                                : config.tlsClientCaFile.isEmpty()
                                    ? QStringLiteral(" (TLS, certificate %1)").arg(tlsFingerprint(listener->tls->localCertificate()))
                                    : QStringLiteral(" (TLS, client certificates from %1 required)").arg(config.tlsClientCaFile)));
    return true;
}

void AdminServer::checkCertificateDates(const QSslCertificate &leaf, const QString &path)
{
    m_certificateExpiryMs = leaf.expiryDate().toMSecsSinceEpoch();
    const QDateTime now = wallclock::nowUtc();
    if (leaf.expiryDate() < now || leaf.effectiveDate() > now) {
        m_engine->addEvent(EngineEvent::Error, QStringLiteral("admin"),
                           QStringLiteral("admin.tls.cert %1 is valid from %2 to %3 (UTC), not now: clients will refuse the admin API until it is renewed")
                               .arg(path, leaf.effectiveDate().toUTC().toString(Qt::ISODate), leaf.expiryDate().toUTC().toString(Qt::ISODate)));
    } else if (leaf.expiryDate() < now.addDays(kCertificateExpiryWarningDays)) {
        m_engine->addEvent(EngineEvent::Warning, QStringLiteral("admin"),
                           QStringLiteral("admin.tls.cert %1 expires on %2 (UTC), in %3 day(s): renew it at the same paths and send fulcrumd SIGHUP")
                               .arg(path, leaf.expiryDate().toUTC().toString(Qt::ISODate))
                               .arg(std::max<qint64>(0, now.secsTo(leaf.expiryDate()) / 86'400)));
    }
}

std::optional<QSslConfiguration> AdminServer::readTls(const AdminConfig &config, QString *error) const
{
    return serverTlsConfiguration(config.tlsCertFile, config.tlsKeyFile, config.tlsClientCaFile, QStringLiteral("admin.tls"), error);
}

void AdminServer::useTls(const QSslConfiguration &tls, const AdminConfig &config)
{
    auto *listener = static_cast<AdminListener *>(m_server);
    if (!listener->tls)
        return; // plain HTTP since the start: TLS comes with a restart
    const QString before = tlsFingerprint(listener->tls->localCertificate());
    const QString after = tlsFingerprint(tls.localCertificate());
    const bool clientCaChanged = listener->tls->caCertificates() != tls.caCertificates();
    listener->tls = tls;
    const QSslCertificate leaf = tls.localCertificate();
    if (before != after || clientCaChanged)
        m_engine->addEvent(EngineEvent::Info, QStringLiteral("admin"),
                           QStringLiteral("admin.tls read again for new connections: certificate %1, valid until %2 (UTC)%3")
                               .arg(before == after ? after : QStringLiteral("%1 (was %2)").arg(after, before),
                                    leaf.expiryDate().toUTC().toString(Qt::ISODate),
                                    clientCaChanged ? QStringLiteral("; client certificates now from %1").arg(config.tlsClientCaFile) : QString()));
    checkCertificateDates(leaf, config.tlsCertFile); // said at every reload, as at start
}

quint16 AdminServer::port() const
{
    return m_server->serverPort();
}

void AdminServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        const QHostAddress peer = socket->peerAddress();
        const auto fromPeer = std::count_if(m_clients.cbegin(), m_clients.cend(), [&](const Client *c) { return c->peer == peer; });
        if ((fromPeer >= kMaxClientsPerAddress && !makeRoom(&peer)) || (m_clients.size() >= kMaxClients && !makeRoom(nullptr))) {
            // Every slot is an operator's, busy or streaming: the newcomer waits for one.
            socket->abort();
            socket->deleteLater();
            continue;
        }
        Client *client = new Client;
        client->peer = peer;
        client->order = ++m_accepted;
        m_clients.insert(socket, client);
        client->idle.setSingleShot(true);
        client->idle.setInterval(kIdleTimeoutMs);
        connect(&client->idle, &QTimer::timeout, socket, [this, socket] {
            const Client *c = m_clients.value(socket);
            // Queued: aborting here would delete the client, and with it this timer, inside its own signal.
            if (c && !c->streaming && !c->busy && c->buffer.isEmpty())
                QMetaObject::invokeMethod(socket, &QTcpSocket::abort, Qt::QueuedConnection);
        });
        // A connection must complete a request within kHeaderTimeoutMs of starting it, and the
        // first within that of connecting: a byte now and then does not keep a slot.
        client->header.setSingleShot(true);
        client->header.setInterval(kHeaderTimeoutMs);
        connect(&client->header, &QTimer::timeout, socket, [this, socket] {
            const Client *c = m_clients.value(socket);
            if (!c || c->streaming || c->busy)
                return;
            QMetaObject::invokeMethod(socket, [this, socket] {
                if (m_clients.contains(socket))
                    send(socket, AdminReply::error(408, QStringLiteral("the request was not complete within %1 s of its start").arg(kHeaderTimeoutMs / 1000)), false);
            }, Qt::QueuedConnection);
        });
        client->header.start();
        if (auto *tls = qobject_cast<QSslSocket *>(socket)) {
            connect(tls, &QSslSocket::errorOccurred, this, [this, tls](QAbstractSocket::SocketError) {
                if (!tls->isEncrypted())
                    noteTlsFailure(tls->peerAddress(), tls->errorString());
            });
        }
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            delete m_clients.take(socket);
            socket->deleteLater();
        });
    }
}

void AdminServer::noteTlsFailure(const QHostAddress &peer, const QString &why)
{
    ++m_tlsFailures;
    if (m_tlsFailureNoticed.isValid() && m_tlsFailureNoticed.elapsed() < 60'000)
        return;
    m_tlsFailureNoticed.start();
    m_engine->addEvent(EngineEvent::Warning, QStringLiteral("admin"),
                       QStringLiteral("admin API: a TLS handshake from %1 failed: %2 (%3 so far; a client needs https://, the CA of admin.tls.cert, "
                                      "and with admin.tls.client_ca a certificate of its own)")
                           .arg(peer.toString(), why).arg(m_tlsFailures));
}

bool AdminServer::makeRoom(const QHostAddress *peer)
{
    // The oldest connection that never authenticated; else the oldest authenticated one that is
    // idle (a console reconnects for its next request); never one mid-request or streaming.
    QTcpSocket *victim = nullptr;
    const Client *chosen = nullptr;
    for (auto it = m_clients.cbegin(); it != m_clients.cend(); ++it) {
        const Client *c = it.value();
        if ((peer && c->peer != *peer) || c->streaming || c->busy)
            continue;
        const bool idle = c->authenticated && c->buffer.isEmpty();
        if (c->authenticated && !idle)
            continue;
        const auto rank = [](const Client *x) { return std::pair{x->authenticated, x->order}; };
        if (!chosen || rank(c) < rank(chosen)) {
            chosen = c;
            victim = it.key();
        }
    }
    if (!victim)
        return false;
    ++m_evicted;
    if (!m_evictionNoticed.isValid() || m_evictionNoticed.elapsed() > 60'000) {
        m_evictionNoticed.start();
        m_engine->addEvent(EngineEvent::Warning, QStringLiteral("admin"),
                           QStringLiteral("admin API at its connection limit (%1 in all, %2 from one address): closing the oldest connections "
                                          "that sent no valid token (%3 so far, the last from %4) to make room")
                               .arg(kMaxClients).arg(kMaxClientsPerAddress).arg(m_evicted).arg(chosen->peer.toString()));
    }
    delete m_clients.take(victim);
    victim->abort();
    victim->deleteLater();
    return true;
}

void AdminServer::onReadyRead(QTcpSocket *socket)
{
    Client *client = m_clients.value(socket);
    if (!client)
        return;
    if (client->streaming) {
        socket->readAll(); // a stream client has nothing more to say
        return;
    }
    if (client->buffer.isEmpty()) {
        client->idle.stop();
        if (!client->header.isActive())
            client->header.start();
    }
    client->buffer += socket->readAll();
    process(socket);
    betweenRequests(socket);
}

void AdminServer::betweenRequests(QTcpSocket *socket)
{
    // Between requests only the idle timer runs; a request begun and not complete has its own.
    Client *client = m_clients.value(socket);
    if (!client || client->busy || client->streaming)
        return;
    if (client->buffer.isEmpty()) {
        client->header.stop();
        client->idle.start();
    } else if (!client->header.isActive()) {
        client->header.start();
    }
}

void AdminServer::process(QTcpSocket *socket)
{
    for (;;) {
        // Looked up anew each round: answering with Connection: close may have dropped it.
        Client *client = m_clients.value(socket);
        if (!client || client->busy || client->streaming || client->buffer.isEmpty() || socket->state() != QAbstractSocket::ConnectedState)
            return;
        HttpRequestHead head;
        const HttpParseResult parsed = parseRequestHead(client->buffer, HttpLimits{}, head);
        if (parsed.status == HttpParseResult::Incomplete)
            return;
        if (parsed.status == HttpParseResult::Error) {
            send(socket, AdminReply::error(parsed.httpStatus, QStringLiteral("malformed request: %1").arg(QLatin1StringView(parsed.message))), false);
            return;
        }
        if (head.framing == BodyFraming::Chunked) {
            send(socket, AdminReply::error(411, QStringLiteral("send the body with Content-Length, not chunked")), false);
            return;
        }
        if (head.contentLength > kMaxBodyBytes) {
            send(socket, AdminReply::error(413, QStringLiteral("body of %1 bytes is over the admin API's limit of %2").arg(head.contentLength).arg(kMaxBodyBytes)), false);
            return;
        }
        const qsizetype total = head.headLength + qsizetype(head.contentLength);
        if (client->buffer.size() < total)
            return;

        AdminRequest request;
        request.method = head.method.toByteArray();
        request.setTarget(head.target);
        request.body = client->buffer.mid(head.headLength, qsizetype(head.contentLength));
        const bool keepAlive = head.keepAlive;
        const QByteArray authorization = head.header("authorization").toByteArray();
        const QByteArray user = head.header("x-fulcrum-user").toByteArray().left(64);
        client->buffer.remove(0, total);

        const QByteArray presented = authorization.startsWith("Bearer ") ? authorization.mid(7).trimmed() : QByteArray();
        const bool full = !presented.isEmpty() && tokensEqual(presented, m_token);
        const bool viewer = !full && !presented.isEmpty() && !m_readOnlyToken.isEmpty() && tokensEqual(presented, m_readOnlyToken);
        if (!full && !viewer) {
            AdminReply reply = AdminReply::error(401, presented.isEmpty() ? QStringLiteral("send Authorization: Bearer TOKEN (the token is in the admin token file)")
                                                                          : QStringLiteral("the token is not valid for this engine"));
            reply.extraHeaders = "WWW-Authenticate: Bearer realm=\"fulcrum\"\r\n";
            send(socket, reply, false);   // a connection without a token holds no slot
            return;
        }
        client->authenticated = true;
        request.readOnly = viewer;
        request.user = user.isEmpty() ? QStringLiteral("admin-api") : QString::fromUtf8(user).simplified();
        request.origin = QStringLiteral("admin-api %1").arg(socket->peerAddress().toString());
        if (viewer && request.method != "GET" && request.method != "HEAD") {
            send(socket, AdminReply::error(403, QStringLiteral("the read-only token may only GET; use the admin token to change anything")), keepAlive);
            continue;
        }
        // Busy until the handler answers: at once, or later (a lock release, a report), and
        // until then later requests on this connection wait.
        client->busy = true;
        const auto inRoute = std::make_shared<bool>(true);
        m_router.route(request, responderFor(socket, keepAlive, inRoute));
        *inRoute = false;
        if (!keepAlive)
            return;
    }
}

AdminResponder AdminServer::responderFor(QTcpSocket *socket, bool keepAlive, const std::shared_ptr<bool> &inRoute)
{
    const QPointer<QTcpSocket> guard(socket);
    const auto answered = std::make_shared<bool>(false);
    // The one way out of busy: at most once, and only while the client is still connected.
    const auto claim = [this, guard, answered]() -> Client * {
        if (!guard || *answered)
            return nullptr;
        Client *client = m_clients.value(guard.data());
        if (!client)
            return nullptr;
        *answered = true;
        client->busy = false;
        return client;
    };
    const auto reply = [this, guard, keepAlive, inRoute, claim](const AdminReply &answer) {
        if (!claim())
            return;
        send(guard.data(), answer, keepAlive);
        // An answer that came later: the requests that waited for it, then the timers.
        if (!*inRoute && keepAlive) {
            process(guard.data());
            betweenRequests(guard.data());
        }
    };
    const auto openStream = [guard, claim]() -> QTcpSocket * {
        Client *client = claim();
        if (!client)
            return nullptr;
        client->streaming = true;
        client->buffer.clear();
        guard->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
        return guard.data();
    };
    return AdminResponder(guard, reply, openStream);
}

void AdminServer::send(QTcpSocket *socket, const AdminReply &reply, bool keepAlive)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(reply.status) + ' ' + httpReasonPhrase(reply.status) + "\r\n";
    out += "Content-Type: " + reply.contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(reply.body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    out += reply.extraHeaders;
    if (!keepAlive)
        out += "Connection: close\r\n";
    out += "\r\n";
    out += reply.body;
    socket->write(out);
    if (!keepAlive) {
        if (Client *client = m_clients.value(socket))
            client->buffer.clear();
        socket->disconnectFromHost();
    }
}

} // namespace fulcrum
