#include "adminserver.h"

#include "admin/adminjson.h"
#include "admin/admintoken.h"
#include "admin/prometheus.h"
#include "common/duration.h"
#include "common/tlsfiles.h"
#include "common/wallclock.h"
#include "engine/engine.h"
#include "engine/reportservice.h"
#include "locks/redis/redisreply.h"
#include "proxy/httpparser.h"

#include <QDateTime>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

namespace fulcrum {

namespace {

constexpr qint64 kMaxBodyBytes = 64 * 1024;
constexpr qint64 kMaxStreamBacklog = 8 * 1024 * 1024; // a stream client this far behind is dropped
constexpr int kDefaultLimit = 200;
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
    bool busy = false;       // a reply is pending (lock release); later requests wait
    bool streaming = false;
};

struct AdminServer::Request
{
    QByteArray method;
    QStringList path;        // decoded segments
    QUrlQuery query;
    QByteArray body;
    bool readOnly = false;   // authenticated with the read-only token
    QString user;
    QString origin;
};

struct AdminServer::Reply
{
    int status = 200;
    QByteArray body;
    QByteArray contentType = "application/json";
    QByteArray extraHeaders;

    static Reply json(int status, const QJsonObject &object)
    {
        return Reply{status, QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n', "application/json", {}};
    }
    static Reply error(int status, const QString &message, const QString &field = QString())
    {
        QJsonObject o{{QStringLiteral("error"), message}};
        if (!field.isEmpty())
            o.insert(QStringLiteral("field"), field);
        return json(status, o);
    }
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
{
    connect(m_server, &QTcpServer::newConnection, this, &AdminServer::onNewConnection);
    connect(m_engine, &Engine::snapshotReady, this, &AdminServer::onSnapshot);
    connect(m_engine, &Engine::eventOccurred, this, &AdminServer::onEvent);
    connect(m_engine, &Engine::healthEventOccurred, this, &AdminServer::onHealthEvent);
    connect(m_engine, &Engine::lockScanFinished, this, &AdminServer::onLockScan);
    connect(m_engine, &Engine::lockRowsChanged, this, &AdminServer::onLockChanges);
    const QList<AuditEntry> newest = m_engine->auditLog().recent(1);
    if (!newest.isEmpty())
        m_lastAuditSent = newest.first().toJson();
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
        const QSslCertificate leaf = listener->tls->localCertificate();
        const QDateTime now = wallclock::nowUtc();
        if (leaf.expiryDate() < now || leaf.effectiveDate() > now)
            m_engine->addEvent(EngineEvent::Error, QStringLiteral("admin"),
                               QStringLiteral("admin.tls.cert %1 is valid from %2 to %3 (UTC), not now: clients will refuse the admin API until it is renewed")
                                   .arg(config.tlsCertFile, leaf.effectiveDate().toUTC().toString(Qt::ISODate), leaf.expiryDate().toUTC().toString(Qt::ISODate)));
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
                    send(socket, Reply::error(408, QStringLiteral("the request was not complete within %1 s of its start").arg(kHeaderTimeoutMs / 1000)), false);
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
            send(socket, Reply::error(parsed.httpStatus, QStringLiteral("malformed request: %1").arg(QLatin1StringView(parsed.message))), false);
            return;
        }
        if (head.framing == BodyFraming::Chunked) {
            send(socket, Reply::error(411, QStringLiteral("send the body with Content-Length, not chunked")), false);
            return;
        }
        if (head.contentLength > kMaxBodyBytes) {
            send(socket, Reply::error(413, QStringLiteral("body of %1 bytes is over the admin API's limit of %2").arg(head.contentLength).arg(kMaxBodyBytes)), false);
            return;
        }
        const qsizetype total = head.headLength + qsizetype(head.contentLength);
        if (client->buffer.size() < total)
            return;

        Request request;
        request.method = head.method.toByteArray();
        const QByteArray target = head.target.toByteArray();
        const qsizetype q = target.indexOf('?');
        const QByteArray path = q < 0 ? target : target.left(q);
        if (q >= 0)
            request.query = QUrlQuery(QString::fromUtf8(target.mid(q + 1)));
        for (const QByteArray &segment : path.split('/')) {
            if (!segment.isEmpty())
                request.path.append(QUrl::fromPercentEncoding(segment));
        }
        request.body = client->buffer.mid(head.headLength, qsizetype(head.contentLength));
        const bool keepAlive = head.keepAlive;
        const QByteArray authorization = head.header("authorization").toByteArray();
        const QByteArray user = head.header("x-fulcrum-user").toByteArray().left(64);
        client->buffer.remove(0, total);

        const QByteArray presented = authorization.startsWith("Bearer ") ? authorization.mid(7).trimmed() : QByteArray();
        const bool full = !presented.isEmpty() && tokensEqual(presented, m_token);
        const bool viewer = !full && !presented.isEmpty() && !m_readOnlyToken.isEmpty() && tokensEqual(presented, m_readOnlyToken);
        if (!full && !viewer) {
            Reply reply = Reply::error(401, presented.isEmpty() ? QStringLiteral("send Authorization: Bearer TOKEN (the token is in the admin token file)")
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
            send(socket, Reply::error(403, QStringLiteral("the read-only token may only GET; use the admin token to change anything")), keepAlive);
            continue;
        }
        // The lock release answers later; everything else right away.
        if (request.method == "POST" && request.path.size() == 5 && request.path[0] == u"api" && request.path[1] == u"v1"
            && request.path[2] == u"locks" && request.path[4] == u"release") {
            client->busy = true;
            releaseLock(socket, request, request.path[3], keepAlive);
            return;
        }
        // Turning a server's notifications on answers when it has.
        if (request.method == "POST" && request.path.size() == 6 && request.path[0] == u"api" && request.path[1] == u"v1"
            && request.path[2] == u"locks" && request.path[4] == u"notifications" && request.path[5] == u"enable") {
            client->busy = true;
            enableNotifications(socket, request, request.path[3], keepAlive);
            return;
        }
        // One lock read whole answers when the lock backend has read it.
        if (request.method == "GET" && request.path.size() == 5 && request.path[0] == u"api" && request.path[1] == u"v1"
            && request.path[2] == u"locks" && request.path[4] == u"lock") {
            client->busy = true;
            inspectLock(socket, request, request.path[3], keepAlive);
            return;
        }
        // History and reports are built off the engine's thread and answered when done.
        if (request.method == "GET" && request.path.size() == 3 && request.path[0] == u"api" && request.path[1] == u"v1"
            && (request.path[2] == u"history" || request.path[2] == u"report")) {
            client->busy = true;
            historyOrReport(socket, request, request.path[2] == u"report", keepAlive);
            return;
        }
        if (request.method == "GET" && request.path == QStringList{QStringLiteral("api"), QStringLiteral("v1"), QStringLiteral("stream")}) {
            startStream(socket);
            return;
        }
        dispatch(socket, request);
        if (!keepAlive)
            return;
    }
}

void AdminServer::send(QTcpSocket *socket, const Reply &reply, bool keepAlive)
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

void AdminServer::dispatch(QTcpSocket *socket, const Request &r)
{
    const QStringList &p = r.path;
    const bool get = r.method == "GET";
    auto reply = [&]() -> Reply {
        if (p == QStringList{QStringLiteral("metrics")}) {
            if (!get)
                return Reply::error(405, QStringLiteral("/metrics only answers GET"));
            return Reply{200, prometheusMetrics(*m_engine), "text/plain; version=0.0.4; charset=utf-8", {}};
        }
        if (p.size() < 3 || p[0] != u"api" || p[1] != u"v1")
            return Reply::error(404, QStringLiteral("no such path; the API is under /api/v1 (see docs/admin-api.md)"));
        const QString &area = p[2];
        const EngineSnapshot &snapshot = m_engine->snapshot();
        const int limit = r.query.hasQueryItem(QStringLiteral("limit")) ? r.query.queryItemValue(QStringLiteral("limit")).toInt() : kDefaultLimit;
        if (r.query.hasQueryItem(QStringLiteral("limit")) && (limit <= 0 || limit > 100'000))
            return Reply::error(400, QStringLiteral("limit \"%1\" must be a number from 1 to 100000").arg(r.query.queryItemValue(QStringLiteral("limit"))), QStringLiteral("limit"));

        if (area == u"pools") {
            if (p.size() == 3 || p.size() == 4 || p.size() == 6) {
                if (!get)
                    return Reply::error(405, QStringLiteral("%1 only answers GET").arg(p.join(u'/')));
            }
            if (p.size() == 3) {
                QJsonArray pools;
                for (const PoolView &pool : snapshot.pools)
                    pools.append(poolToJson(pool));
                return Reply::json(200, QJsonObject{{QStringLiteral("pools"), pools}});
            }
            const PoolView *pool = snapshot.pool(p[3]);
            if (!pool)
                return Reply::error(404, QStringLiteral("pool \"%1\" does not exist; pools: %2").arg(p[3], m_engine->poolNames().join(QStringLiteral(", "))), QStringLiteral("pool"));
            if (p.size() == 4)
                return Reply::json(200, poolToJson(*pool));
            if (p.size() < 6 || p[4] != u"servers")
                return Reply::error(404, QStringLiteral("no such path under pool \"%1\"; servers are at /api/v1/pools/%1/servers/NAME").arg(pool->name));
            const ServerSnapshot *server = pool->server(p[5]);
            if (!server) {
                QStringList names;
                for (const ServerSnapshot &s : pool->servers)
                    names.append(s.spec.name);
                return Reply::error(404, QStringLiteral("pool \"%1\" has no server \"%2\"; servers: %3").arg(pool->name, p[5], names.join(QStringLiteral(", "))), QStringLiteral("server"));
            }
            if (p.size() == 6)
                return Reply::json(200, serverToJson(*server));
            if (p.size() == 7 && (p[6] == u"weight" || p[6] == u"state")) {
                if (r.method != "PUT")
                    return Reply::error(405, QStringLiteral("set the %1 with PUT").arg(p[6]));
                return serverAction(r, pool->name, server->spec.name, p[6]);
            }
            return Reply::error(404, QStringLiteral("no such path; a server has /weight and /state"));
        }
        if (!get && area != u"locks")
            return Reply::error(405, QStringLiteral("/api/v1/%1 only answers GET").arg(area));
        if (area == u"events" && p.size() == 3) {
            const QList<EngineEvent> events = m_engine->recentEvents();
            QJsonArray out;
            for (qsizetype i = std::max<qsizetype>(0, events.size() - limit); i < events.size(); ++i)
                out.append(engineEventToJson(events[i]));
            return Reply::json(200, QJsonObject{{QStringLiteral("events"), out}});
        }
        if (area == u"health-events" && p.size() == 3) {
            const QString poolFilter = r.query.queryItemValue(QStringLiteral("pool"));
            if (!poolFilter.isEmpty() && !snapshot.pool(poolFilter))
                return Reply::error(404, QStringLiteral("pool \"%1\" does not exist; pools: %2").arg(poolFilter, m_engine->poolNames().join(QStringLiteral(", "))), QStringLiteral("pool"));
            std::vector<HealthEvent> events = m_engine->healthEvents();
            if (!poolFilter.isEmpty())
                std::erase_if(events, [&](const HealthEvent &e) { return e.pool != poolFilter; });
            QJsonArray out;
            for (size_t i = events.size() > size_t(limit) ? events.size() - size_t(limit) : 0; i < events.size(); ++i)
                out.append(healthEventToJson(events[i]));
            return Reply::json(200, QJsonObject{{QStringLiteral("events"), out}});
        }
        if (area == u"audit" && p.size() == 3) {
            QJsonArray out;
            for (const AuditEntry &e : m_engine->auditLog().recent(limit))
                out.append(e.toJson());
            return Reply::json(200, QJsonObject{{QStringLiteral("entries"), out}});
        }
        if (area == u"locks") {
            if (p.size() == 3 || p.size() == 4) {
                if (!get)
                    return Reply::error(405, QStringLiteral("%1 only answers GET").arg(p.join(u'/')));
            }
            if (p.size() == 3) {
                QJsonArray out;
                for (const LockEndpointView &e : snapshot.lockEndpoints)
                    out.append(lockEndpointToJson(e, true));
                return Reply::json(200, QJsonObject{{QStringLiteral("endpoints"), out}});
            }
            const LockEndpointView *endpoint = snapshot.lockEndpoint(p[3]);
            if (!endpoint)
                return Reply::error(404, QStringLiteral("Redis endpoint \"%1\" does not exist; endpoints: %2").arg(p[3], m_engine->lockEndpointNames().join(QStringLiteral(", "))), QStringLiteral("endpoint"));
            if (p.size() == 4)
                return Reply::json(200, lockEndpointToJson(*endpoint, true));
            if (p.size() == 5 && p[4] == u"release")
                return Reply::error(405, QStringLiteral("release with POST"));
            return Reply::error(404, QStringLiteral("no such path; an endpoint has /lock?key=KEY and /release"));
        }
        if (area == u"stream")
            return Reply::error(405, QStringLiteral("the stream answers GET only"));
        return Reply::error(404, QStringLiteral("no such path \"/%1\"; see docs/admin-api.md").arg(p.join(u'/')));
    }();
    send(socket, reply, true);
}

AdminServer::Reply AdminServer::serverAction(const Request &r, QString pool, QString server, QString action)
// By value: the engine replaces its snapshot (which the caller's names point into) while acting.
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(r.body, &parseError);
    if (!doc.isObject())
        return Reply::error(400, parseError.error != QJsonParseError::NoError
                                     ? QStringLiteral("body is not valid JSON at offset %1: %2; send {\"%3\": ...}").arg(parseError.offset).arg(parseError.errorString(), action)
                                     : QStringLiteral("body must be a JSON object such as {\"%1\": ...}").arg(action),
                            QStringLiteral("body"));
    const QJsonValue value = doc.object().value(action);
    QString error;
    if (action == u"weight") {
        const double w = value.toDouble(-1);
        if (!value.isDouble() || w != double(qint64(w)) || w < 0 || w > kMaxWeight)
            return Reply::error(400, QStringLiteral("\"weight\" must be a whole number from 0 to %1").arg(kMaxWeight), QStringLiteral("weight"));
        if (!m_engine->setWeight(pool, server, int(w), r.user, r.origin, &error))
            return Reply::error(400, error, QStringLiteral("weight"));
    } else {
        const QString name = value.toString();
        const std::optional<AdminState> state = name == u"ready" ? std::optional(AdminState::Ready)
            : name == u"drain"                                 ? std::optional(AdminState::Drain)
            : name == u"maint"                                 ? std::optional(AdminState::Maint)
                                                               : std::nullopt;
        if (!state)
            return Reply::error(400, QStringLiteral("\"state\" must be \"ready\", \"drain\" or \"maint\" (up and down come from health checks)"), QStringLiteral("state"));
        if (!m_engine->setAdminState(pool, server, *state, r.user, r.origin, &error))
            return Reply::error(400, error, QStringLiteral("state"));
    }
    m_engine->tick();
    const ServerSnapshot *s = m_engine->snapshot().pool(pool) ? m_engine->snapshot().pool(pool)->server(server) : nullptr;
    return s ? Reply::json(200, serverToJson(*s)) : Reply::json(200, {});
}

// POST /api/v1/locks/{endpoint}/notifications/enable: the only way Fulcrum changes a server's
// settings (Redis: CONFIG SET notify-keyspace-events, merged), audited.
void AdminServer::enableNotifications(QTcpSocket *socket, const Request &r, const QString &endpoint, bool keepAlive)
{
    const QPointer<QTcpSocket> guard(socket);
    if (!m_engine->snapshot().lockEndpoint(endpoint)) {
        finishLater(guard, Reply::error(404, QStringLiteral("lock endpoint \"%1\" does not exist; endpoints: %2").arg(endpoint, m_engine->lockEndpointNames().join(QStringLiteral(", "))), QStringLiteral("endpoint")), keepAlive);
        return;
    }
    m_engine->enableLockNotifications(endpoint, r.user, r.origin, [this, guard, keepAlive](bool ok, const QString &message) {
        QJsonObject o{{QStringLiteral("result"), ok ? QStringLiteral("enabled") : QStringLiteral("failed")}, {QStringLiteral("message"), message}};
        if (!ok)
            o.insert(QStringLiteral("error"), message);
        finishLater(guard, Reply::json(ok ? 200 : 502, o), keepAlive);
    });
}

void AdminServer::releaseLock(QTcpSocket *socket, const Request &r, const QString &endpoint, bool keepAlive)
{
    const QPointer<QTcpSocket> guard(socket);
    auto finish = [this, guard, keepAlive](const Reply &reply) {
        if (!guard)
            return;
        if (Client *client = m_clients.value(guard.data()))
            client->busy = false;
        send(guard.data(), reply, keepAlive);
        if (keepAlive)
            process(guard.data());
    };
    if (!m_engine->snapshot().lockEndpoint(endpoint)) {
        finish(Reply::error(404, QStringLiteral("lock endpoint \"%1\" does not exist; endpoints: %2").arg(endpoint, m_engine->lockEndpointNames().join(QStringLiteral(", "))), QStringLiteral("endpoint")));
        return;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(r.body, &parseError);
    if (!doc.isObject()) {
        finish(Reply::error(400, QStringLiteral("body must be a JSON object {\"key\": KEY, \"holder\": HOLDER[, \"mode\": \"delete\"|\"ask\"|\"revoke\"]} as listed by GET /api/v1/locks/%1").arg(endpoint), QStringLiteral("body")));
        return;
    }
    const QJsonObject o = doc.object();
    std::optional<QByteArray> key;
    std::optional<QByteArray> holder;
    if (o.value(QStringLiteral("key")).isString())
        key = unescapeBytes(o.value(QStringLiteral("key")).toString());
    if (o.value(QStringLiteral("holder")).isString())
        holder = unescapeBytes(o.value(QStringLiteral("holder")).toString());
    if (!key || key->isEmpty()) {
        finish(Reply::error(400, QStringLiteral("\"key\" must be the lock's key as listed (\\xHH escapes for raw bytes)"), QStringLiteral("key")));
        return;
    }
    if (!holder || holder->isEmpty()) {
        finish(Reply::error(400, QStringLiteral("\"holder\" must be the holder you saw in the list; the lock is deleted only if it still holds it"), QStringLiteral("holder")));
        return;
    }
    LockReleaseRequest request{LockReleaseRequest::Delete, *key, *holder};
    const QString mode = o.value(QStringLiteral("mode")).toString(QStringLiteral("delete"));
    if (const auto known = lockReleaseModeFromName(mode)) {
        request.mode = *known;
    } else {
        finish(Reply::error(400, QStringLiteral("\"mode\" must be \"delete\" (force-release), \"ask\" (ask the holder to release, where its lock is "
                                                "revocable) or \"revoke\" (end the holder's session: etcd revokes its lease), not \"%1\"").arg(mode),
                            QStringLiteral("mode")));
        return;
    }
    m_engine->releaseLock(endpoint, request, r.user, r.origin, [finish](const ForceReleaseResult &result) {
        static const char *const names[] = {"released", "holder_changed", "gone", "failed", "asked"};
        QJsonObject o{{QStringLiteral("result"), QString::fromLatin1(names[result.outcome])}, {QStringLiteral("message"), result.message}};
        switch (result.outcome) {
        case ForceReleaseResult::Released:
        case ForceReleaseResult::Asked:
            finish(Reply::json(200, o));
            return;
        case ForceReleaseResult::HolderChanged:
            o.insert(QStringLiteral("error"), result.message);
            o.insert(QStringLiteral("field"), QStringLiteral("holder"));
            o.insert(QStringLiteral("current_holder"), escapeBytes(result.currentHolder));
            finish(Reply::json(409, o));
            return;
        case ForceReleaseResult::Gone:
            o.insert(QStringLiteral("error"), result.message);
            o.insert(QStringLiteral("field"), QStringLiteral("key"));
            finish(Reply::json(404, o));
            return;
        case ForceReleaseResult::Failed:
            break;
        }
        o.insert(QStringLiteral("error"), result.message);
        finish(Reply::json(503, o));
    });
}

// GET /api/v1/locks/{endpoint}/lock?key=KEY: one lock read whole now, its waiters included
// where a pass listed them by name only.
void AdminServer::inspectLock(QTcpSocket *socket, const Request &r, const QString &endpoint, bool keepAlive)
{
    const QPointer<QTcpSocket> guard(socket);
    if (!m_engine->snapshot().lockEndpoint(endpoint)) {
        finishLater(guard, Reply::error(404, QStringLiteral("lock endpoint \"%1\" does not exist; endpoints: %2")
                                                 .arg(endpoint, m_engine->lockEndpointNames().join(QStringLiteral(", "))),
                                        QStringLiteral("endpoint")),
                    keepAlive);
        return;
    }
    const QString keyText = r.query.queryItemValue(QStringLiteral("key"), QUrl::FullyDecoded);
    const std::optional<QByteArray> key = unescapeBytes(keyText);
    if (!key || key->isEmpty()) {
        finishLater(guard, Reply::error(400, QStringLiteral("add ?key=KEY: the lock's key as GET /api/v1/locks/%1 lists it (\\xHH escapes for raw bytes, URL-encoded)").arg(endpoint),
                                        QStringLiteral("key")),
                    keepAlive);
        return;
    }
    m_engine->inspectLock(endpoint, *key, [this, guard, keepAlive, endpoint](const LockInspection &answer) {
        if (!answer.lock) {
            // Gone is a 404; an endpoint that cannot answer now is a 503.
            finishLater(guard, Reply::error(answer.gone ? 404 : 503, answer.error, answer.gone ? QStringLiteral("key") : QStringLiteral("endpoint")),
                        keepAlive);
            return;
        }
        finishLater(guard, Reply::json(200, QJsonObject{{QStringLiteral("endpoint"), endpoint}, {QStringLiteral("lock"), answer.lock->toJson()}}),
                    keepAlive);
    });
}

void AdminServer::finishLater(const QPointer<QTcpSocket> &socket, const Reply &reply, bool keepAlive)
{
    if (!socket)
        return;
    if (Client *client = m_clients.value(socket.data()))
        client->busy = false;
    send(socket.data(), reply, keepAlive);
    if (keepAlive) {
        process(socket.data());
        betweenRequests(socket.data());
    }
}

void AdminServer::historyOrReport(QTcpSocket *socket, const Request &r, bool report, bool keepAlive)
{
    const QPointer<QTcpSocket> guard(socket);
    const auto fail = [&](int status, const QString &message, const QString &field = QString()) {
        finishLater(guard, Reply::error(status, message, field), keepAlive);
    };
    if (!m_reports) {
        fail(503, QStringLiteral("this engine keeps no history, so it has no %1; start fulcrumd with --state-dir DIR (or state_dir in the config)")
                      .arg(report ? QStringLiteral("reports") : QStringLiteral("history")));
        return;
    }
    const QUrlQuery &q = r.query;
    const auto value = [&q](const char *name) { return q.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded); };
    const auto parseTime = [](const QString &text) -> std::optional<qint64> {
        QDateTime time = QDateTime::fromString(text, Qt::ISODateWithMs);
        if (!time.isValid())
            return std::nullopt;
        if (time.timeSpec() == Qt::LocalTime)
            time.setTimeSpec(Qt::UTC);   // like every time Fulcrum prints: no offset = UTC
        return time.toMSecsSinceEpoch();
    };
    const qint64 now = wallclock::nowMs();
    const bool since = q.hasQueryItem(QStringLiteral("since"));
    const bool from = q.hasQueryItem(QStringLiteral("from"));
    if (since == from) {
        fail(400, QStringLiteral("give the window as since=DURATION (15m, 1h, 24h, 7d) or from=TIME[&to=TIME] (ISO 8601, e.g. 2026-11-24T08:00:00Z)"),
             QStringLiteral("since"));
        return;
    }
    qint64 fromMs = 0;
    qint64 toMs = now;
    if (since) {
        const auto ms = parseDurationMs(value("since"));
        if (!ms || *ms <= 0) {
            fail(400, QStringLiteral("since \"%1\" is not a duration; write 15m, 1h, 24h or 7d").arg(value("since")), QStringLiteral("since"));
            return;
        }
        if (q.hasQueryItem(QStringLiteral("to"))) {
            fail(400, QStringLiteral("since ends now; for a window in the past give from=TIME&to=TIME"), QStringLiteral("to"));
            return;
        }
        fromMs = now - *ms;
    } else {
        const auto t = parseTime(value("from"));
        if (!t) {
            fail(400, QStringLiteral("from \"%1\" is not a time; write ISO 8601, e.g. 2026-11-24T08:00:00Z").arg(value("from")), QStringLiteral("from"));
            return;
        }
        fromMs = *t;
        if (q.hasQueryItem(QStringLiteral("to"))) {
            const auto end = parseTime(value("to"));
            if (!end) {
                fail(400, QStringLiteral("to \"%1\" is not a time; write ISO 8601, e.g. 2026-11-24T09:30:00Z").arg(value("to")), QStringLiteral("to"));
                return;
            }
            toMs = *end;
        }
    }
    if (toMs <= fromMs) {
        fail(400, QStringLiteral("the window %1 – %2 is empty; to must be after from")
                      .arg(QDateTime::fromMSecsSinceEpoch(fromMs, Qt::UTC).toString(Qt::ISODate), QDateTime::fromMSecsSinceEpoch(toMs, Qt::UTC).toString(Qt::ISODate)),
             QStringLiteral("to"));
        return;
    }

    if (!report) {
        HistoryQuery query;
        query.fromMs = fromMs;
        query.toMs = toMs;
        query.pool = value("pool");
        query.server = value("server");
        if (q.hasQueryItem(QStringLiteral("points"))) {
            bool ok = false;
            query.maxPoints = value("points").toInt(&ok);
            if (!ok || query.maxPoints < 1 || query.maxPoints > 100'000) {
                fail(400, QStringLiteral("points \"%1\" must be a number from 1 to 100000 (points per server)").arg(value("points")), QStringLiteral("points"));
                return;
            }
        }
        m_reports->history(query, this, [this, guard, keepAlive](const QJsonObject &series, const QString &error) {
            finishLater(guard, error.isEmpty() ? Reply::json(200, series) : Reply::error(503, error), keepAlive);
        });
        return;
    }

    ReportRequest request;
    request.fromMs = fromMs;
    request.toMs = toMs;
    request.format = q.hasQueryItem(QStringLiteral("format")) ? value("format").toLower() : QStringLiteral("json");
    if (request.format != u"json" && request.format != u"csv" && request.format != u"html" && request.format != u"pdf") {
        fail(400, QStringLiteral("format \"%1\" is not one of json, csv, html, pdf").arg(value("format")), QStringLiteral("format"));
        return;
    }
    const QStringList sections = m_reports->csvSections();
    if (request.format == u"csv") {
        request.csvSection = q.hasQueryItem(QStringLiteral("section")) ? value("section") : QStringLiteral("servers");
        if (!sections.contains(request.csvSection)) {
            fail(400, QStringLiteral("section \"%1\" is not a csv section; one of: %2").arg(request.csvSection, sections.join(QStringLiteral(", "))),
                 QStringLiteral("section"));
            return;
        }
    } else if (q.hasQueryItem(QStringLiteral("section"))) {
        fail(400, QStringLiteral("section is for format=csv only (one file per section)"), QStringLiteral("section"));
        return;
    }
    if (q.hasQueryItem(QStringLiteral("lock_threshold"))) {
        const auto ms = parseDurationMs(value("lock_threshold"));
        if (!ms) {
            fail(400, QStringLiteral("lock_threshold \"%1\" is not a duration; write 30s or 5m").arg(value("lock_threshold")), QStringLiteral("lock_threshold"));
            return;
        }
        request.lockHeldThresholdMs = *ms;
    }
    auto dir = std::make_shared<QTemporaryDir>();
    if (!dir->isValid()) {
        fail(500, QStringLiteral("cannot make a temporary directory for the report: %1; check TMPDIR").arg(dir->errorString()));
        return;
    }
    const auto stamp = [](qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")); };
    const QString name = QStringLiteral("fulcrum-report-%1-%2%3.%4")
                             .arg(stamp(fromMs), stamp(toMs), request.csvSection.isEmpty() ? QString() : u'-' + request.csvSection, request.format);
    const QString path = dir->filePath(name);
    static const QHash<QString, QByteArray> contentTypes{
        {QStringLiteral("json"), "application/json"},
        {QStringLiteral("csv"), "text/csv; charset=utf-8; header=present"},
        {QStringLiteral("html"), "text/html; charset=utf-8"},
        {QStringLiteral("pdf"), "application/pdf"},
    };
    const QByteArray contentType = contentTypes.value(request.format);
    auto cancel = std::make_shared<std::atomic_bool>(false);
    // A client that hangs up does not need its report any more.
    connect(socket, &QObject::destroyed, this, [cancel] { cancel->store(true); });
    m_reports->buildReport(request, path, this, cancel, {}, [this, guard, keepAlive, dir, path, name, contentType, request](const ReportOutcome &outcome) {
        if (!guard)
            return;
        if (!outcome.ok) {
            finishLater(guard, Reply::error(outcome.cancelled || outcome.unavailable ? 503 : 500, outcome.error), keepAlive);
            return;
        }
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            finishLater(guard, Reply::error(500, QStringLiteral("the report was written but cannot be read back: %1").arg(file.errorString())), keepAlive);
            return;
        }
        // The window as the engine resolved it (since= counts from its clock), so a client can ask
        // for the other csv sections over exactly the same window.
        const QByteArray window = QDateTime::fromMSecsSinceEpoch(request.fromMs, Qt::UTC).toString(Qt::ISODateWithMs).toLatin1() + '/'
                                  + QDateTime::fromMSecsSinceEpoch(request.toMs, Qt::UTC).toString(Qt::ISODateWithMs).toLatin1();
        Reply reply{200, file.readAll(), contentType,
                    "Content-Disposition: attachment; filename=\"" + name.toUtf8() + "\"\r\nX-Fulcrum-Window: " + window + "\r\n"};
        finishLater(guard, reply, keepAlive);
    });
}

void AdminServer::startStream(QTcpSocket *socket)
{
    Client *client = m_clients.value(socket);
    client->streaming = true;
    client->buffer.clear();
    socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
    socket->write("event: snapshot\ndata: " + QJsonDocument(snapshotToJson(m_engine->snapshot())).toJson(QJsonDocument::Compact) + "\n\n");
    // A console that just attached shows the locks at once, not after the next pass: the tables
    // as they are now (a live table's next pass may be ten minutes away; the lock-changes
    // from here on apply to this one).
    for (const LockEndpointView &endpoint : m_engine->lockViews()) {
        if (endpoint.hasResult)
            socket->write("event: locks\ndata: " + QJsonDocument(lockEndpointToJson(endpoint, true)).toJson(QJsonDocument::Compact) + "\n\n");
    }
    m_streams.append(socket);
}

void AdminServer::broadcast(const QByteArray &event, const QByteArray &data)
{
    m_streams.removeIf([](const QPointer<QTcpSocket> &s) { return s.isNull(); });
    const QByteArray message = "event: " + event + "\ndata: " + data + "\n\n";
    for (const QPointer<QTcpSocket> &s : std::as_const(m_streams)) {
        if (s->bytesToWrite() > kMaxStreamBacklog) {
            s->abort();
            continue;
        }
        s->write(message);
    }
}

void AdminServer::onSnapshot(const EngineSnapshot &snapshot)
{
    if (!m_streams.isEmpty())
        broadcast("snapshot", QJsonDocument(snapshotToJson(snapshot)).toJson(QJsonDocument::Compact));
}

void AdminServer::onEvent(const EngineEvent &event)
{
    // An operator action is in the audit log before its event: the structured entry (who,
    // before, after) goes first, so a console need not parse the text. Followed with no
    // stream open too, so a stream opened later does not get old entries as new.
    if (event.source == u"operator")
        broadcastNewAudit();
    if (!m_streams.isEmpty())
        broadcast("event", QJsonDocument(engineEventToJson(event)).toJson(QJsonDocument::Compact));
}

void AdminServer::broadcastNewAudit()
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
        broadcast("audit", QJsonDocument(m_lastAuditSent).toJson(QJsonDocument::Compact));
    }
}

void AdminServer::onLockScan(const QString &endpoint, const LockScanResult &result)
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
    broadcast("locks", QJsonDocument(lockEndpointToJson(now, true)).toJson(QJsonDocument::Compact));
}

// A live endpoint's rows as they change: only the rows, never the whole table again.
void AdminServer::onLockChanges(const QString &endpoint, const LockChanges &changes)
{
    if (m_streams.isEmpty())
        return;
    broadcast("lock-changes", QJsonDocument(lockChangesToJson(endpoint, m_engine->lockFeed(endpoint), changes)).toJson(QJsonDocument::Compact));
}

void AdminServer::onHealthEvent(const HealthEvent &event)
{
    if (!m_streams.isEmpty())
        broadcast("health", QJsonDocument(healthEventToJson(event)).toJson(QJsonDocument::Compact));
}

} // namespace fulcrum
