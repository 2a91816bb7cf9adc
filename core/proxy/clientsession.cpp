#include "clientsession.h"

#include "proxy/http2connection.h"
#include "proxy/tls.h"

#include <QDateTime>

#include "common/hashing.h"
#include "proxy/proxyworker.h"

#include <algorithm>
#include <cstring>

namespace fulcrum {

namespace {

constexpr qint64 kReadChunk = 64 * 1024;
// Stop reading one side while the other side's unsent bytes are above this: a 1 GiB body
// never sits in memory, only about this much per direction.
constexpr qint64 kHighWater = 256 * 1024;
// An idempotent request is retried on another server only while all it sent fits here.
constexpr qsizetype kReplayLimit = 64 * 1024;
constexpr qint64 kLingerMs = 5000;

// A head being written into the worker's scratch memory, from its start: appends are a
// bounds check and a memcpy (QByteArray::append's generic insert was a tenth of the proxy's
// user-space instructions per request, and a QByteArray per head an allocation and a free).
class HeadWriter
{
public:
    HeadWriter(ProxyWorker::HeadScratch &out, qsizetype capacity) : m_out(out)
    {
        if (m_out.capacity < capacity) {
            m_out.data.reset(new char[size_t(capacity)]);
            m_out.capacity = capacity;
        }
    }
    HeadWriter &operator<<(QByteArrayView v)
    {
        if (v.isEmpty())
            return *this;   // an empty view may have no data pointer, which memcpy must not get
        if (m_size + v.size() > m_out.capacity) {
            const qsizetype capacity = qMax(2 * m_out.capacity, m_size + v.size());
            std::unique_ptr<char[]> grown(new char[size_t(capacity)]);
            std::memcpy(grown.get(), m_out.data.get(), size_t(m_size));
            m_out.data = std::move(grown);
            m_out.capacity = capacity;
        }
        std::memcpy(m_out.data.get() + m_size, v.data(), size_t(v.size()));
        m_size += v.size();
        return *this;
    }
    // The head, valid until the worker's next head is written.
    QByteArrayView written() const { return QByteArrayView(m_out.data.get(), m_size); }

private:
    ProxyWorker::HeadScratch &m_out;
    qsizetype m_size = 0;
};

// The header lines of a parsed head that go on unchanged are copied as they came, a run of
// consecutive lines at a time: the parser's views point into the head's bytes, one line after
// the other, so a run is one memcpy from its first name to the next line not copied (or to the
// empty line). Calls `drop` for each header that does not go on, which may note it.
template<typename Drop>
void copyHeaderLines(HeadWriter &out, const std::vector<HttpHeader> &headers, const char *linesEnd, Drop &&drop)
{
    const char *run = nullptr;
    for (const HttpHeader &h : headers) {
        if (!drop(h)) {
            if (!run)
                run = h.name.data();
            continue;
        }
        if (run) {
            out << QByteArrayView(run, h.name.data() - run);
            run = nullptr;
        }
    }
    if (run)
        out << QByteArrayView(run, linesEnd - run);
}

// An upgrade the proxy passes on (RFC 9110 7.8): HTTP/1.1, "Upgrade" named by "Connection",
// and no request body (a WebSocket handshake is a GET without one).
QByteArray upgradeAskedFor(const HttpRequestHead &request)
{
    if (request.versionMinor < 1 || request.framing != BodyFraming::None || !(request.connectionOptions & ConnectionUpgrade))
        return {};
    return request.header("upgrade").trimmed().toByteArray();
}

// Whether a redirect listener's pool answers this request (listeners[].redirect.except).
bool redirectExcepts(const ListenerRedirect &redirect, const HttpRequestHead &request)
{
    return !redirect.except.isEmpty() && redirectExceptTakes(redirect.except, request.path());
}

} // namespace

ClientSession::ClientSession(ProxyWorker *worker, int fd, std::shared_ptr<Pool> pool, std::shared_ptr<const TlsServerContext> tls,
                             std::shared_ptr<ListenerTlsStats> tlsStats, const ListenerRedirect &redirect, std::shared_ptr<const ListenerRoutes> routes)
    : QObject(worker)
    , m_worker(worker)
    , m_clientSocket(worker->poller(), this, 2 * kReadChunk)
    , m_client(&m_clientSocket)
    , m_pool(std::move(pool))
    , m_routes(std::move(routes))
    , m_tlsStats(std::move(tlsStats))
    , m_balancer(&worker->balancerFor(m_pool))
{
    m_servesConnection = true;
    m_redirect = redirect;
    if (tls) {
        m_h2MaxStreams = tls->http2().maxConcurrentStreams;
        m_hsts = tls->hstsLine();
        m_clientSocket.useTls(std::move(tls));
    }
    if (!m_clientSocket.adopt(fd))
        m_clientGone = true;
    m_clientIp = m_clientSocket.peerIp();
    m_https = m_clientSocket.isTls();
    m_headStartMs = m_lastProgressMs = m_acceptedMs = ProxyWorker::nowMs();
}

ClientSession::ClientSession(ProxyWorker *worker, ClientStream *stream, std::shared_ptr<Pool> pool, const QByteArray &clientIp, const QByteArray &hsts,
                             std::shared_ptr<const ListenerRoutes> routes)
    : QObject(worker)
    , m_worker(worker)
    , m_clientSocket(worker->poller(), this, 0)
    , m_client(stream)
    , m_https(true)
    , m_pool(std::move(pool))
    , m_routes(std::move(routes))
    , m_tlsHandshakeDone(true)
    , m_balancer(&worker->balancerFor(m_pool))
    , m_clientIp(clientIp)
    , m_http2Stream(true)
{
    m_hsts = hsts;
    m_headStartMs = m_lastProgressMs = ProxyWorker::nowMs();
}

void ClientSession::start()
{
    drive();
}

ClientSession::~ClientSession()
{
    // The worker closes everything (a stop past stop_timeout): the request in flight is cut.
    logRequest(m_responseHeadDone ? m_response.status : 499, "stopped");
    if (m_upstream) {
        m_balancer->requestFinished(m_pick);
        releaseUpstream(false);
    }
}

void ClientSession::socketReadable(StreamSocket *)
{
    noteProgress();
    drive();
}

void ClientSession::socketWritten(StreamSocket *)
{
    noteProgress();
    if (m_waitingForClientDrain || m_phase == Phase::Http2)
        drive();
}

void ClientSession::socketConnected(StreamSocket *)
{
    m_tlsHandshakeDone = true;
    if (m_tlsStats)
        m_tlsStats->handshakes.fetch_add(1, std::memory_order_relaxed);
    if (m_clientSocket.tlsProtocol() == "h2") {
        Http2Limits limits;
        limits.maxConcurrentStreams = m_h2MaxStreams;
        limits.maxHeaderListBytes = m_worker->limits().maxHeadBytes;
        limits.maxHeaders = m_worker->limits().maxHeaders;
        m_h2 = std::make_unique<Http2Connection>(m_worker, this, &m_clientSocket, m_pool, m_clientIp, m_tlsStats, limits, m_hsts, m_routes);
        m_phase = Phase::Http2;
        drive();
    }
}

void ClientSession::socketClosed(StreamSocket *)
{
    if (m_tlsStats && !m_tlsHandshakeDone && !m_clientGone) {
        const QString &why = m_clientSocket.tlsError();
        m_tlsStats->handshakeFailures.note(why.isEmpty() ? QStringLiteral("the client closed the connection during the handshake") : why,
                                QDateTime::currentMSecsSinceEpoch());
    }
    m_clientGone = true;
    drive();
}

void ClientSession::onUpstreamActivity()
{
    noteProgress();
    drive();
}

void ClientSession::onUpstreamDrained()
{
    noteProgress();
    if (m_waitingForUpstreamDrain)
        drive();
}

void ClientSession::onUpstreamClosed()
{
    if (m_connecting)
        m_upstreamConnectError = true;
    m_upstreamClosed = true;
    drive();
}

void ClientSession::noteProgress()
{
    m_lastProgressMs = ProxyWorker::nowMs();
}

void ClientSession::logRequest(int status, const char *end, QByteArrayView error)
{
    if (!m_requestOpen)
        return;
    m_requestOpen = false;
    AccessLog &log = m_worker->accessLog();
    if (log.enabled() && log.wants(status, end)) {
        AccessRecord r;
        r.clientIp = m_clientIp;
        if (m_logHeadParsed) {
            r.method = m_request.method;
            r.target = m_request.target;
            r.protocol = m_http2Stream ? QByteArrayView("HTTP/2.0") : m_request.versionMinor == 0 ? QByteArrayView("HTTP/1.0") : QByteArrayView("HTTP/1.1");
            r.host = m_request.header("host");
            r.userAgent = m_request.header("user-agent");
            r.referer = m_request.header("referer");
            r.requestId = m_request.header("x-request-id");
        }
        r.https = m_https;
        r.status = status;
        r.bytesIn = m_logBytesIn;
        r.bytesOut = m_logBytesOut;
        r.durationNs = m_logStartNs > 0 ? ProxyWorker::nowNs() - m_logStartNs : 0;
        r.pool = &m_balancer->snapshot().name;
        if (m_logHeadParsed && m_attempt > 0) {
            r.server = &m_server->name;
            r.tries = m_attempt;
        }
        r.upstream = m_logHasUpstream ? &m_logUpstream : nullptr;
        r.upstreamStatus = m_logUpstreamStatus;
        r.connectNs = m_logConnectNs;
        r.headerNs = m_logHeaderNs;
        r.end = end;
        r.error = error;
        log.write(r, QDateTime::currentMSecsSinceEpoch());
    }
    m_logHeadParsed = false;
    m_logHasUpstream = false;
    m_logStartNs = 0;
    m_logBytesIn = 0;
    m_logBytesOut = 0;
    m_logConnectNs = -1;
    m_logHeaderNs = -1;
    m_logUpstreamStatus = 0;
}

void ClientSession::drive()
{
    if (m_driving) {
        m_again = true;
        return;
    }
    m_driving = true;
    do {
        m_again = false;
        step();
    } while (m_again && m_phase != Phase::Closed);
    m_driving = false;
    if (m_phase == Phase::Closed && m_client) {
        logRequest(m_responseHeadDone ? m_response.status : 499, m_clientGone ? "client-closed" : m_worker->stopping() ? "stopped" : "closed");
        if (m_h2)
            m_h2->closeStreams();   // their sessions hear that the client is gone
        if (m_upstream) {
            m_balancer->requestFinished(m_pick);
            releaseUpstream(false);
        }
        m_client->abort();
        m_client = nullptr;
        m_worker->sessionClosed(this);
        deleteLater();
    }
}

void ClientSession::step()
{
    switch (m_phase) {
    case Phase::ReadingHead:
        if (m_clientGone)
            m_phase = Phase::Closed;
        else
            readHead();
        break;
    case Phase::Exchange:
        exchange();
        break;
    case Phase::Tunnel:
        tunnel();
        break;
    case Phase::Http2:
        if (m_clientGone) {
            m_phase = Phase::Closed;
        } else {
            if (m_closeWhenIdle || m_worker->stopping())
                m_h2->shutdown();
            m_h2->process();
            if (m_h2->finished()) {
                // After a GOAWAY the client may still have frames on the way: read and drop
                // them, or the kernel's reset could destroy the GOAWAY before it is read.
                m_lingerOnClose = true;
                closeAfterFlush();
            }
        }
        break;
    case Phase::Closing:
        if (m_clientGone || m_client->isClosed())
            m_phase = Phase::Closed;
        break;
    case Phase::Closed:
        break;
    }
}

void ClientSession::closeAfterFlush()
{
    m_phase = Phase::Closing;
    noteProgress();
    // Linger only where unread bytes may follow; a plain close (Connection: close, idle
    // keep-alive at stop) ends at once with a FIN.
    m_client->closeAfterFlush(m_lingerOnClose || !m_in.isEmpty() || m_client->bytesAvailable() > 0);
    if (m_client->isClosed())
        m_phase = Phase::Closed;
}

void ClientSession::closeNow()
{
    if (m_phase == Phase::Closed)
        return;
    m_phase = Phase::Closed;
    drive();
}

void ClientSession::stopWhenIdle()
{
    m_closeWhenIdle = true;
    drive();
}

void ClientSession::readHead()
{
    if (m_client->bytesAvailable() > 0)
        m_client->readInto(m_in, m_client->bytesAvailable());
    if (m_in.isEmpty()) {
        if (m_closeWhenIdle || m_worker->stopping())
            closeAfterFlush();
        return;
    }
    if (m_headStartMs == 0)
        m_headStartMs = ProxyWorker::nowMs();
    if (!m_requestOpen) {
        m_requestOpen = true;
        if (m_worker->accessLog().enabled())
            m_logStartNs = ProxyWorker::nowNs();
    }
    const HttpParseResult result = parseRequestHead(m_in, m_worker->limits(), m_request);
    if (result.status == HttpParseResult::Incomplete)
        return;
    if (result.status == HttpParseResult::Error) {
        m_logBytesIn = m_in.size();
        respond(result.httpStatus, QByteArray(result.message) + '\n', true, "bad-request");
        return;
    }
    m_logHeadParsed = true;
    m_logBytesIn = m_request.headLength;
    // Keep the head's bytes where the parsed views point; the rest (body or the next request)
    // goes into the memory of the previous head, which is reused.
    m_head.swap(m_in);
    emptyKeepingSmall(m_in);
    if (m_head.size() > m_request.headLength)
        appendBytes(m_in, m_head.constData() + m_request.headLength, m_head.size() - m_request.headLength);
    m_head.truncate(m_request.headLength);
    startExchange();
}

// The connection's last request: the client asked (or spoke HTTP/1.0 without keep-alive), or
// proxy.client_keepalive_requests / client_keepalive_time is reached with it (an HTTP/2
// stream's connection counts its own).
bool ClientSession::isLastRequest(qint64 nowMs) const
{
    const ProxyConfig &proxy = m_worker->config();
    return !m_request.keepAlive
           || (m_servesConnection
               && ((proxy.clientKeepaliveRequests > 0 && m_requestsServed + 1 >= proxy.clientKeepaliveRequests)
                   || (proxy.clientKeepaliveTimeMs > 0 && nowMs - m_acceptedMs >= proxy.clientKeepaliveTimeMs)));
}

void ClientSession::startExchange()
{
    if (m_redirect.enabled() && !redirectExcepts(m_redirect, m_request)) {
        redirectToHttps();
        return;
    }
    m_attempt = 0;
    if (m_routes) {
        // listeners[].routes: this request's pool, by the host it asks for and its path.
        const ListenerRoutes::Target *route = m_routes->routeFor(m_request.hostAsked(), m_request.path());
        const std::shared_ptr<Pool> &pool = route ? route->pool : m_routes->fallback;
        if (pool.get() != m_pool.get()) {
            m_pool = pool;
            m_balancer = &m_worker->balancerFor(m_pool);
        }
        m_targetToServer.clear();
        if (route && !route->prefixRewrite.isEmpty())
            rewriteTarget(route->prefix, route->prefixRewrite);
    }
    // The pool's body limit as of now: a reload may have changed it since this worker's last pick.
    m_balancer->sync();
    const PoolOptions &pool = m_balancer->snapshot().options;
    const qint64 maxBody = pool.maxBodyBytesOr(m_worker->config().maxBodyBytes);
    if (maxBody > 0 && m_request.framing == BodyFraming::Length && m_request.contentLength > maxBody) {
        respond(413, QStringLiteral("request body of %1 bytes is over the limit of %2 bytes (%3)\n")
                                         .arg(m_request.contentLength).arg(maxBody).arg(settingName(pool.ownsMaxBodyBytes(), "max_body_bytes")).toUtf8(),
                true, "body-too-large");
        return;
    }
    m_phase = Phase::Exchange;
    emptyKeepingSmall(m_replay);
    m_replayable = m_request.idempotent();
    m_bodyLeft = m_request.framing == BodyFraming::Length ? m_request.contentLength : 0;
    m_requestChunks.reset();
    m_requestDone = m_request.framing == BodyFraming::None;
    m_upgrade = upgradeAskedFor(m_request);
    m_requestSentMs = ProxyWorker::nowMs();
    m_closeClientAfter = isLastRequest(m_requestSentMs);
    if (!startAttempt(-1)) {
        m_worker->countUnserved(m_balancer->snapshot().name);
        respond(503, QStringLiteral("no server available in pool \"%1\"\n").arg(m_balancer->snapshot().name).toUtf8(),
                !m_requestDone, "no-server");
        return;
    }
    m_again = true;
}

// A route's prefix_rewrite: the servers get the path made plain as it was matched (dot segments
// removed, unreserved %XX decoded), its prefix replaced, then the query as the client sent it;
// in origin form, as nginx's `proxy_pass http://pool/;` in a prefix location sends it.
void ClientSession::rewriteTarget(const QByteArray &prefix, const QByteArray &rewrite)
{
    const QByteArrayView path = m_request.path();
    m_targetToServer = routeRewrittenTarget(path, m_request.originTarget().sliced(path.size()), prefix, rewrite);
}

quint64 ClientSession::hashKey(bool *hasKey) const
{
    const PoolSnapshot &snapshot = m_balancer->snapshot();
    *hasKey = false;
    if (snapshot.options.algorithm != Algorithm::ConsistentHash)
        return 0;
    const HashKeySource &source = snapshot.options.hashKey;
    if (source.kind == HashKeySource::ClientIp) {
        *hasKey = true;
        return stableHash(m_clientIp);
    }
    if (source.kind == HashKeySource::Uri || source.kind == HashKeySource::Path) {
        QByteArrayView target = m_request.target;
        if (const qsizetype query = target.indexOf('?'); query >= 0 && source.kind == HashKeySource::Path)
            target = target.first(query);
        *hasKey = true;
        return stableHash(target);
    }
    const QByteArray name = source.name.toLatin1();
    if (source.kind == HashKeySource::Header) {
        const QByteArrayView value = m_request.header(name);
        *hasKey = !value.isEmpty();
        return stableHash(value);
    }
    QByteArrayView cookies = m_request.header("cookie");
    while (!cookies.isEmpty()) {
        const qsizetype semicolon = cookies.indexOf(';');
        const QByteArrayView pair = (semicolon < 0 ? cookies : cookies.first(semicolon)).trimmed();
        const qsizetype eq = pair.indexOf('=');
        if (eq > 0 && pair.first(eq) == name) {
            *hasKey = true;
            return stableHash(pair.sliced(eq + 1));
        }
        if (semicolon < 0)
            break;
        cookies = cookies.sliced(semicolon + 1);
    }
    return 0;
}

bool ClientSession::startAttempt(int avoidIndex, bool newConnection)
{
    PickContext context;
    // One clock read stamps the pick and the attempt's start (its latency then includes
    // making a new connection's socket, which the answer waits for too).
    const qint64 startNs = ProxyWorker::nowNs();
    context.nowNs = startNs;
    context.keyHash = hashKey(&context.hasKey);
    Pick pick = m_balancer->pick(context);
    // A retry goes to another server: ask again a few times (round robin moves on by itself;
    // consistent hashing keeps answering the same server, and then there is no other).
    for (int tries = 0; pick.valid() && pick.index == avoidIndex && tries < 4; ++tries)
        pick = m_balancer->pick(context);
    if (!pick.valid() || pick.index == avoidIndex)
        return false;

    ++m_attempt;
    m_pick = pick;
    m_balancer->requestStarted(pick);
    m_server = &m_worker->serverFor(m_balancer->snapshot(), pick.index);
    emptyKeepingSmall(m_upIn);
    m_responseBytesSeen = false;
    m_responseHeadDone = false;
    m_responseDone = false;
    m_upstreamReusable = true;
    m_upstreamClosed = false;
    m_upstreamConnectError = false;
    m_responseChunks.reset();

    m_logConnectNs = -1;
    m_logHeaderNs = -1;
    m_upstream = newConnection ? nullptr : m_worker->takeIdle(*m_server);
    if (m_upstream) {
        m_upstream->owner = this;
        m_connecting = false;
        m_logConnectNs = 0;
    } else {
        // State first: a connect that cannot even start reports from inside connectTo.
        m_connecting = true;
        m_connectStartMs = ProxyWorker::nowMs();
        m_upstream = m_worker->connectTo(*m_server, this);
    }

    m_attemptStartNs = startNs;
    if (m_attempt == 1) {
        const QByteArrayView head = buildRequestHead();
        if (m_replayable)
            appendBytes(m_replay, head.data(), head.size());   // a retry sends it again, with the body after it
        m_upstream->write(head.data(), head.size());
        ServerCounters::bump(m_server->counters.bytesToServer, quint64(head.size()));
    } else {
        m_upstream->write(m_replay);
        ServerCounters::bump(m_server->counters.bytesToServer, quint64(m_replay.size()));
    }
    if (!m_connecting)
        m_upstream->flush();
    return true;
}

QByteArrayView ClientSession::buildRequestHead() const
{
    HeadWriter out(m_worker->headScratch(), m_head.size() + m_clientIp.size() + m_upgrade.size() + 192);
    // An HTTP/1.0 client cannot read a chunked response: asking the server in HTTP/1.0 means
    // it answers with a length or by closing, never chunked.
    const bool http10 = m_request.versionMinor == 0;
    out << m_request.method << " " << (m_targetToServer.isEmpty() ? QByteArrayView(m_request.target) : QByteArrayView(m_targetToServer)) << (http10 ? QByteArrayView(" HTTP/1.0\r\nConnection: keep-alive\r\n") : QByteArrayView(" HTTP/1.1\r\n"));
    const ConnectionTokens connection(m_request.headers, m_request.connectionOptions);
    QByteArray forwardedFor;
    QByteArray via;
    copyHeaderLines(out, m_request.headers, m_head.constData() + m_request.headLength - 2, [&](const HttpHeader &h) {
        switch (h.kind) {
        case HeaderKind::XForwardedProto:
            return true;
        case HeaderKind::XForwardedFor:
            forwardedFor.append(h.value).append(", ");
            return true;
        case HeaderKind::Via:
            via.append(h.value).append(", ");
            return true;
        default:
            return isHopByHop(h.kind) || connection.names(h.name);
        }
    });
    if (!m_request.hasHost)
        out << "Host: " << m_server->host.toLatin1() << ":" << QByteArray::number(m_server->port) << "\r\n";
    out << "X-Forwarded-For: " << forwardedFor << m_clientIp << "\r\n";
    if (!m_upgrade.isEmpty())
        out << "Connection: Upgrade\r\nUpgrade: " << m_upgrade << "\r\n";
    out << (m_https ? QByteArrayView("X-Forwarded-Proto: https\r\n") : QByteArrayView("X-Forwarded-Proto: http\r\n"));
    out << "Via: " << via << (http10 ? QByteArrayView("1.0 fulcrum\r\n\r\n") : QByteArrayView("1.1 fulcrum\r\n\r\n"));
    return out.written();
}

QByteArrayView ClientSession::buildResponseHead(const HttpResponseHead &head, QByteArrayView statusLine) const
{
    HeadWriter out(m_worker->headScratch(), head.headLength + 96);
    out << "HTTP/1.1" << statusLine.sliced(8) << "\r\n";
    const ConnectionTokens connection(head.headers, head.connectionOptions);
    QByteArray via;
    const bool hsts = !m_hsts.isEmpty();
    copyHeaderLines(out, head.headers, statusLine.data() + head.headLength - 2, [&](const HttpHeader &h) {
        if (isHopByHop(h.kind) || connection.names(h.name))
            return true;
        // The listener's Strict-Transport-Security replaces the server's own.
        if (hsts && h.name.size() == 25 && h.name.compare("strict-transport-security", Qt::CaseInsensitive) == 0)
            return true;
        if (h.kind != HeaderKind::Via)
            return false;
        via.append(h.value).append(", ");
        return true;
    });
    out << "Via: " << via << "1.1 fulcrum\r\n";
    if (hsts && head.status >= 200)   // not on an interim 100 Continue
        out << m_hsts;
    if (head.status >= 200) {
        if (m_closeClientAfter)
            out << "Connection: close\r\n";
        else if (m_request.versionMinor == 0)
            out << "Connection: keep-alive\r\n";
    }
    out << "\r\n";
    return out.written();
}

void ClientSession::exchange()
{
    if (m_clientGone) {
        // The client left: the server's answer has nowhere to go and its connection is mid-response.
        if (m_upstream) {
            m_balancer->requestFinished(m_pick);
            releaseUpstream(false);
        }
        logRequest(m_responseHeadDone ? m_response.status : 499, "client-closed");
        m_phase = Phase::Closed;
        return;
    }
    if (m_connecting && m_upstream->state() == StreamSocket::State::Connected) {
        m_connecting = false;
        if (m_worker->accessLog().enabled())
            m_logConnectNs = ProxyWorker::nowNs() - m_attemptStartNs;
        m_upstream->flush();
    }
    if (m_upstreamConnectError) {
        upstreamFailed(Failure::ConnectFailed);
        return;
    }
    pumpRequest();
    if (m_phase != Phase::Exchange)
        return;
    pumpResponse();
    if (m_phase != Phase::Exchange)
        return;
    if (m_upstreamClosed && !m_responseDone && m_upstream->bytesAvailable() == 0 && m_upIn.isEmpty()) {
        if (m_responseHeadDone && m_response.framing == BodyFraming::UntilClose) {
            m_responseDone = true;
            m_upstreamReusable = false;
        } else if (!m_responseBytesSeen) {
            upstreamFailed(Failure::Reset);
            return;
        } else {
            // Lost mid-response: nothing honest can be sent after part of a response.
            ServerCounters::bump(m_server->counters.resets);
            m_pick.live->consecutiveFailures.fetch_add(1, std::memory_order_relaxed);
            m_balancer->requestFinished(m_pick);
            releaseUpstream(false);
            if (!m_responseHeadDone) {
                m_server->counters.recordProxyError(502);
                respond(502, QStringLiteral("server %1 closed the connection in the middle of its response head\n")
                                                 .arg(m_server->name).toUtf8(), true, "server-closed");
            } else {
                logRequest(m_response.status, "server-closed");
                m_phase = Phase::Closed;
            }
            return;
        }
    }
    if (m_responseDone) {
        if (!m_requestDone) {
            // The server answered before reading the whole body: the rest of the body can
            // no longer be told apart from a next request.
            m_closeClientAfter = true;
            m_upstreamReusable = false;
            m_requestDone = true;
            m_lingerOnClose = true;
        }
        finishExchange();
    }
}

void ClientSession::pumpRequest()
{
    bool wrote = false;
    m_waitingForUpstreamDrain = false;
    while (!m_requestDone) {
        if (m_upstream->bytesToWrite() > kHighWater) {
            m_waitingForUpstreamDrain = true;
            break;
        }
        if (m_in.isEmpty()) {
            if (m_client->bytesAvailable() <= 0)
                break;
            m_client->readInto(m_in, kReadChunk);
        }
        qsizetype take = 0;
        bool done = false;
        if (m_request.framing == BodyFraming::Length) {
            take = qsizetype(qMin<qint64>(m_bodyLeft, m_in.size()));
            m_bodyLeft -= take;
            done = m_bodyLeft == 0;
        } else {
            take = m_requestChunks.consume(m_in);
            if (m_requestChunks.failed()) {
                m_balancer->requestFinished(m_pick);
                releaseUpstream(false);
                if (m_responseHeadDone) {
                    logRequest(m_response.status, "bad-request", m_requestChunks.error());
                    m_phase = Phase::Closed;
                } else {
                    respond(400, QByteArray(m_requestChunks.error()) + '\n', true, "bad-request");
                }
                return;
            }
            done = m_requestChunks.done();
            const PoolOptions &pool = m_balancer->snapshot().options;
            const qint64 maxBody = pool.maxBodyBytesOr(m_worker->config().maxBodyBytes);
            if (maxBody > 0 && m_requestChunks.payloadBytes() > maxBody) {
                m_balancer->requestFinished(m_pick);
                releaseUpstream(false);
                if (m_responseHeadDone) {
                    logRequest(m_response.status, "body-too-large");
                    m_phase = Phase::Closed;
                } else {
                    respond(413, QStringLiteral("chunked request body is over the limit of %1 bytes (%2)\n")
                                     .arg(maxBody).arg(settingName(pool.ownsMaxBodyBytes(), "max_body_bytes")).toUtf8(), true,
                            "body-too-large");
                }
                return;
            }
        }
        if (take > 0) {
            m_upstream->write(m_in.constData(), take);
            m_logBytesIn += take;
            wrote = true;
            ServerCounters::bump(m_server->counters.bytesToServer, quint64(take));
            if (m_replayable) {
                if (m_replay.size() + take > kReplayLimit) {
                    m_replayable = false;
                    emptyKeepingSmall(m_replay);
                } else {
                    appendBytes(m_replay, m_in.constData(), take);
                }
            }
        }
        if (take == m_in.size())
            emptyKeepingSmall(m_in);
        else
            m_in.remove(0, take);
        if (done) {
            m_requestDone = true;
            m_requestSentMs = ProxyWorker::nowMs();
        }
    }
    if (wrote && !m_connecting)
        m_upstream->flush();
}

bool ClientSession::handleResponseHead()
{
    HttpLimits limits = m_worker->limits();
    limits.maxHeadBytes = qMax<qint64>(limits.maxHeadBytes, 64 * 1024);
    const HttpParseResult result = parseResponseHead(m_upIn, limits, m_request.method == "HEAD", m_response);
    if (result.status == HttpParseResult::Incomplete)
        return false;
    if (result.status == HttpParseResult::Complete && m_response.status == 101 && !m_upgrade.isEmpty()) {
        switchToTunnel(QByteArrayView(m_upIn).first(m_response.statusLineLength));
        return false;
    }
    if (result.status == HttpParseResult::Error || m_response.status == 101) {
        m_pick.live->consecutiveFailures.fetch_add(1, std::memory_order_relaxed);
        m_server->counters.recordProxyError(502);
        m_balancer->requestFinished(m_pick);
        const QString server = m_server->name;
        releaseUpstream(false);
        respond(502, QStringLiteral("server %1 sent an invalid response: %2\n")
                                         .arg(server, QString::fromLatin1(m_response.status == 101 ? "unexpected protocol switch" : result.message)).toUtf8(),
                true, "bad-response");
        return false;
    }
    const QByteArrayView statusLine = QByteArrayView(m_upIn).first(m_response.statusLineLength);
    if (m_response.status < 200) {
        if (m_request.versionMinor >= 1) {
            const QByteArrayView interim = buildResponseHead(m_response, statusLine);
            m_client->write(interim.data(), interim.size());
            m_logBytesOut += interim.size();
        }
        dropFront(m_upIn, m_response.headLength);
        return true;
    }
    const qint64 now = ProxyWorker::nowNs();
    const qint64 latencyNs = now - m_attemptStartNs;
    m_pick.live->recordLatency(now, double(latencyNs));
    m_server->counters.recordResponse(m_response.status, quint64(latencyNs / 1000));
    m_logHeaderNs = latencyNs;
    m_logUpstreamStatus = m_response.status;
    if (m_response.status >= 500)
        m_pick.live->consecutiveFailures.fetch_add(1, std::memory_order_relaxed);
    else
        m_pick.live->consecutiveFailures.store(0, std::memory_order_relaxed);

    if (m_response.framing == BodyFraming::UntilClose || m_worker->stopping() || m_closeWhenIdle)
        m_closeClientAfter = true;
    const QByteArrayView head = buildResponseHead(m_response, statusLine);
    m_client->write(head.data(), head.size());
    m_logBytesOut += head.size();
    dropFront(m_upIn, m_response.headLength);
    m_responseHeadDone = true;
    m_responseLeft = m_response.contentLength;
    if (!m_response.keepAlive)
        m_upstreamReusable = false;
    if (m_response.framing == BodyFraming::None)
        m_responseDone = true;
    return true;
}

void ClientSession::pumpResponse()
{
    bool wrote = false;
    m_waitingForClientDrain = false;
    while (!m_responseDone) {
        if (!m_responseHeadDone) {
            if (m_upstream->bytesAvailable() > 0) {
                m_upstream->readInto(m_upIn, m_upstream->bytesAvailable());
                m_responseBytesSeen = true;
            }
            if (m_upIn.isEmpty() || !handleResponseHead())
                break;
            wrote = true;
            continue;
        }
        if (m_client->bytesToWrite() > kHighWater) {
            m_waitingForClientDrain = true;
            break;
        }
        // m_upIn's memory is the working buffer: handed to the stream for its next read and back.
        QByteArray data;
        data.swap(m_upIn);
        if (data.isEmpty() && m_upstream->bytesAvailable() > 0)
            m_upstream->readInto(data, kReadChunk);
        if (data.isEmpty()) {
            m_upIn.swap(data);
            break;
        }
        ServerCounters::bump(m_server->counters.bytesFromServer, quint64(data.size()));
        qsizetype take = data.size();
        switch (m_response.framing) {
        case BodyFraming::Length:
            take = qsizetype(qMin<qint64>(m_responseLeft, data.size()));
            m_responseLeft -= take;
            m_responseDone = m_responseLeft == 0;
            break;
        case BodyFraming::Chunked:
            take = m_responseChunks.consume(data);
            if (m_responseChunks.failed()) {
                // What came before the break goes to the client, then the close that tells it
                // the body is cut (there is no way left to say so inside the response).
                if (take > 0)
                    m_client->write(data.constData(), take);
                m_logBytesOut += take;
                m_client->flush();
                ServerCounters::bump(m_server->counters.resets);
                m_balancer->requestFinished(m_pick);
                releaseUpstream(false);
                logRequest(m_response.status, "server-bad-body", m_responseChunks.error());
                m_phase = Phase::Closed;
                return;
            }
            m_responseDone = m_responseChunks.done();
            break;
        case BodyFraming::UntilClose:
        case BodyFraming::None:
            break;
        }
        if (take > 0) {
            m_client->write(data.constData(), take);
            m_logBytesOut += take;
            wrote = true;
        }
        if (take < data.size())
            m_upstreamReusable = false;   // more than the response announced: the connection is out of step
        emptyKeepingSmall(data);
        m_upIn.swap(data);
    }
    if (wrote)
        m_client->flush();
}

void ClientSession::switchToTunnel(QByteArrayView statusLine)
{
    // The server took the upgrade: its 101 goes to the client with the upgrade headers (hop by
    // hop, so named again here), then the connection is a tunnel until either side closes. The
    // request stays open for least-connections all that time.
    const qint64 now = ProxyWorker::nowNs();
    const qint64 latencyNs = now - m_attemptStartNs;
    m_pick.live->recordLatency(now, double(latencyNs));
    m_server->counters.recordResponse(101, quint64(latencyNs / 1000));
    m_logHeaderNs = latencyNs;
    m_logUpstreamStatus = 101;
    m_pick.live->consecutiveFailures.store(0, std::memory_order_relaxed);
    QByteArray head = buildResponseHead(m_response, statusLine).toByteArray();
    const QByteArrayView protocol = m_response.header("upgrade").trimmed();
    head.insert(head.size() - 2, QByteArray("Connection: Upgrade\r\nUpgrade: ").append(protocol.isEmpty() ? QByteArrayView(m_upgrade) : protocol).append("\r\n"));
    m_client->write(head);
    m_logBytesOut += head.size();
    m_upIn.remove(0, m_response.headLength);
    m_responseHeadDone = true;
    m_upstreamReusable = false;
    m_requestDone = true;
    m_phase = Phase::Tunnel;
    noteProgress();
    m_again = true;
}

namespace {

// One direction of a tunnel: `pending` (bytes already read) then what `from` has, to `to`,
// while `to` has at most kHighWater unsent. Returns the bytes passed; *blocked: stopped by
// `to`'s unsent bytes, so its draining must wake the session.
qint64 passOn(QByteArray &pending, ClientStream &from, ClientStream &to, bool *blocked)
{
    qint64 passed = 0;
    *blocked = false;
    for (;;) {
        if (to.bytesToWrite() > kHighWater) {
            *blocked = true;
            break;
        }
        QByteArray data;
        if (!pending.isEmpty())
            data.swap(pending);
        else if (from.bytesAvailable() > 0)
            data = from.read(kReadChunk);
        if (data.isEmpty())
            break;
        to.write(data);
        passed += data.size();
    }
    return passed;
}

} // namespace

void ClientSession::tunnel()
{
    // Each way, at most kHighWater unsent: a side that does not read slows the other down.
    const qint64 up = m_clientGone ? 0 : passOn(m_in, *m_client, *m_upstream, &m_waitingForUpstreamDrain);
    const qint64 down = m_clientGone ? 0 : passOn(m_upIn, *m_upstream, *m_client, &m_waitingForClientDrain);
    ServerCounters::bump(m_server->counters.bytesToServer, quint64(up));
    ServerCounters::bump(m_server->counters.bytesFromServer, quint64(down));
    m_logBytesIn += up;
    m_logBytesOut += down;
    const bool wroteUp = up > 0;
    const bool wroteDown = down > 0;
    if (wroteUp)
        m_upstream->flush();
    if (wroteDown)
        m_client->flush();
    if (wroteUp || wroteDown)
        noteProgress();
    // Either side closed: what the server still sent goes to the client first. A closing
    // handshake (a WebSocket close frame) is the application's business; this is TCP's.
    if (m_clientGone || (m_upstreamClosed && m_upstream->bytesAvailable() == 0 && m_upIn.isEmpty()))
        endTunnel(nullptr);   // either side may end a tunnel: a normal end
}

void ClientSession::endTunnel(const char *end)
{
    m_balancer->requestFinished(m_pick);
    releaseUpstream(false);
    logRequest(101, end);
    ++m_requestsServed;
    if (m_clientGone)
        m_phase = Phase::Closed;
    else
        closeAfterFlush();
}

void ClientSession::upstreamFailed(Failure failure)
{
    WorkerServer *failed = m_server;
    const bool staleKeepAlive = failure == Failure::Reset && m_upstream && m_upstream->reused;
    if (failure == Failure::Reset)
        ServerCounters::bump(failed->counters.resets);
    else
        ServerCounters::bump(failed->counters.connectFailures);
    // A kept-alive connection the server had just closed says nothing about its health.
    if (!staleKeepAlive)
        m_pick.live->consecutiveFailures.fetch_add(1, std::memory_order_relaxed);
    const int socketError = m_upstream ? m_upstream->error() : 0;
    const QString tlsError = !m_upstream ? QString() : !m_upstream->tlsError().isEmpty() ? m_upstream->tlsError() : failed->tls ? QString() : failed->tlsError;
    m_balancer->requestFinished(m_pick);
    releaseUpstream(false);
    const int failedIndex = m_pick.index;
    if (m_attempt == 1 && m_replayable && !m_worker->stopping()) {
        ServerCounters::bump(failed->counters.retries);
        // A kept-alive connection the server had just closed: the server is fine, the connection
        // was stale. Any server will do, this one too (a pool of one), on a new connection: its
        // other idle ones may have gone stale at the same moment.
        if (staleKeepAlive ? startAttempt(-1, true) : startAttempt(failedIndex)) {
            m_again = true;
            return;
        }
    }
    failed->counters.recordProxyError(502);
    QString what;
    const char *end = "connect-failed";
    switch (failure) {
    case Failure::ConnectFailed:
        // The system's reason tells "refused" (server down) from "too many open files" (us).
        if (failed->resolution == WorkerServer::Resolution::Failed)
            what = QStringLiteral("connection failed: the name does not resolve");
        else if (!tlsError.isEmpty())
            what = QStringLiteral("TLS handshake failed: %1").arg(tlsError);
        else if (socketError != 0)
            what = QStringLiteral("connection failed: %1").arg(QString::fromLocal8Bit(std::strerror(socketError)));
        else
            what = QStringLiteral("connection failed");
        break;
    case Failure::ConnectTimeout: {
        const PoolOptions &pool = m_balancer->snapshot().options;
        what = QStringLiteral("no connection within %1 ms (%2)")
                   .arg(pool.connectTimeoutOr(m_worker->config().connectTimeoutMs))
                   .arg(settingName(pool.ownsConnectTimeout(), "connect_timeout"));
        end = "connect-timeout";
        break;
    }
    case Failure::Reset:
        // A stale kept-alive connection is the proxy's to avoid: the answer says how.
        what = !staleKeepAlive ? QStringLiteral("connection closed before any response")
                               : QStringLiteral("it closed the kept-alive connection as the request went out (%1); set the pool's "
                                                "keepalive_timeout below the server's own keep-alive timeout")
                                     .arg(m_replayable ? QStringLiteral("no other attempt was left") : QStringLiteral("a request that cannot be sent twice is not retried"));
        end = "server-reset";
        break;
    }
    respond(502, QStringLiteral("server %1 (%2:%3) of pool \"%4\": %5\n")
                                     .arg(failed->name, failed->host).arg(failed->port).arg(failed->pool, what).toUtf8(),
            !m_requestDone, end);
}

void ClientSession::releaseUpstream(bool reusable)
{
    if (!m_upstream)
        return;
    UpstreamConnection *connection = m_upstream;
    m_upstream = nullptr;
    m_connecting = false;
    if (m_requestOpen && connection->target().valid() && m_worker->accessLog().enabled()) {
        m_logUpstream = connection->target();
        m_logHasUpstream = true;
    }
    connection->owner = nullptr;
    if (reusable && connection->state() == StreamSocket::State::Connected && connection->bytesAvailable() == 0)
        m_worker->parkIdle(connection);
    else
        m_worker->discard(connection);
}

void ClientSession::finishExchange()
{
    m_balancer->requestFinished(m_pick);
    releaseUpstream(m_upstreamReusable);
    logRequest(m_response.status, nullptr);
    ++m_requestsServed;
    if (m_closeClientAfter || m_closeWhenIdle || m_worker->stopping()) {
        closeAfterFlush();
        return;
    }
    m_phase = Phase::ReadingHead;
    m_headStartMs = m_in.isEmpty() ? 0 : ProxyWorker::nowMs();
    noteProgress();
    m_again = true;
}

void ClientSession::respond(int status, const QByteArray &body, bool close, const char *end, QByteArrayView headers)
{
    QByteArray out;
    out.reserve(160 + headers.size() + body.size());
    out.append("HTTP/1.1 ").append(QByteArray::number(status)).append(' ').append(httpReasonPhrase(status))
        .append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ").append(QByteArray::number(body.size()))
        .append("\r\n").append(headers).append(m_hsts).append("Via: 1.1 fulcrum\r\n");
    close = close || m_closeClientAfter || m_closeWhenIdle || m_worker->stopping();
    if (close)
        out.append("Connection: close\r\n");
    out.append("\r\n");
    if (m_phase != Phase::Exchange || m_request.method != "HEAD")
        out.append(body);
    m_client->write(out);
    m_logBytesOut += out.size();
    logRequest(status, end, status >= 400 ? QByteArrayView(body).chopped(body.endsWith('\n') ? 1 : 0) : QByteArrayView());
    ++m_requestsServed;
    if (close) {
        // After an error the client may still be sending (the rest of a refused body).
        if (status >= 400)
            m_lingerOnClose = true;
        closeAfterFlush();
        return;
    }
    m_client->flush();
    m_phase = Phase::ReadingHead;
    m_headStartMs = m_in.isEmpty() ? 0 : ProxyWorker::nowMs();
    m_again = true;
}

// A redirect listener's answer (listeners[].redirect): the host the client asked for and the
// same target, over https on the TLS listener's port, as nginx's
// `return 301 https://$host$request_uri`. The Host is the client's, so it is checked to be a
// host name or an address before it goes into Location.
void ClientSession::redirectToHttps()
{
    QByteArrayView target = m_request.originTarget();
    QByteArrayView host = m_request.hostAsked();
    if (!target.startsWith('/'))
        target = "/";   // "*" of OPTIONS
    host = host.trimmed();
    if (host.startsWith('[')) {
        const qsizetype close = host.indexOf(']');
        host = close < 0 ? QByteArrayView() : host.first(close + 1);
    } else if (const qsizetype colon = host.lastIndexOf(':'); colon >= 0) {
        host = host.first(colon);
    }
    const bool bracketed = host.startsWith('[');
    bool valid = !host.isEmpty() && host.size() <= 255;
    for (qsizetype i = bracketed ? 1 : 0; valid && i < host.size() - (bracketed ? 1 : 0); ++i) {
        const char c = host[i];
        valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || (!bracketed && c == '_')
                || (bracketed && c == ':');
    }
    const bool bodyFollows = m_request.framing != BodyFraming::None;
    if (!valid) {
        respond(400, QStringLiteral("this listener redirects to https://HOST/…, and Host \"%1\" is not a host name or an address\n")
                         .arg(QString::fromLatin1(m_request.header("host").first(std::min<qsizetype>(m_request.header("host").size(), 100))))
                         .toUtf8(),
                bodyFollows, "bad-host");
        return;
    }
    QByteArray location = "https://";
    location.append(host);
    if (const quint16 port = m_redirect.locationPort())
        location.append(':').append(QByteArray::number(port));
    location.append(target);
    // The body of a POST is not read: the connection closes after the answer, once what the
    // client still sends has been drained (as after a refusal).
    if (bodyFollows)
        m_lingerOnClose = true;
    m_phase = Phase::Exchange;   // a HEAD's answer has no body (respond)
    respond(m_redirect.status, "redirecting to " + location + '\n', bodyFollows || isLastRequest(ProxyWorker::nowMs()), nullptr,
            "Location: " + location + "\r\n");
}

QString ClientSession::settingName(bool poolsOwn, const char *key)
{
    return poolsOwn ? QStringLiteral("the pool's %1").arg(QLatin1StringView(key)) : QStringLiteral("proxy.%1").arg(QLatin1StringView(key));
}

void ClientSession::checkTimeout(qint64 nowMs)
{
    const ProxyConfig &config = m_worker->config();
    if (m_driving)
        return;
    m_driving = true;
    switch (m_phase) {
    case Phase::ReadingHead:
        if (m_in.isEmpty() && m_headStartMs == 0) {
            if (nowMs - m_lastProgressMs > config.idleTimeoutMs)
                m_phase = Phase::Closed;
        } else if (nowMs - m_headStartMs > config.headerTimeoutMs) {
            if (m_in.isEmpty())
                m_phase = Phase::Closed;
            else
                respond(408, QStringLiteral("request head not complete within %1 ms (proxy.header_timeout)\n").arg(config.headerTimeoutMs).toUtf8(), true,
                        "head-timeout");
        }
        break;
    case Phase::Exchange: {
        const PoolOptions &pool = m_balancer->snapshot().options;
        const qint64 responseTimeoutMs = pool.responseTimeoutOr(config.responseTimeoutMs);
        if (m_connecting) {
            if (nowMs - m_connectStartMs > pool.connectTimeoutOr(config.connectTimeoutMs))
                upstreamFailed(Failure::ConnectTimeout);
        } else if (!m_responseHeadDone && m_requestDone) {
            if (nowMs - m_requestSentMs > responseTimeoutMs) {
                ServerCounters::bump(m_server->counters.timeouts);
                m_server->counters.recordProxyError(504);
                m_pick.live->consecutiveFailures.fetch_add(1, std::memory_order_relaxed);
                m_balancer->requestFinished(m_pick);
                const QString server = m_server->name;
                releaseUpstream(false);
                respond(504, QStringLiteral("server %1 of pool \"%2\" did not answer within %3 ms (%4)\n")
                                                 .arg(server, m_balancer->snapshot().name).arg(responseTimeoutMs)
                                                 .arg(settingName(pool.ownsResponseTimeout(), "response_timeout"))
                                                 .toUtf8(),
                        false, "server-timeout");
            }
        } else if (nowMs - m_lastProgressMs > qMax(config.idleTimeoutMs, responseTimeoutMs)) {
            m_balancer->requestFinished(m_pick);
            releaseUpstream(false);
            if (!m_responseHeadDone) {
                respond(408, QByteArrayLiteral("request body stalled\n"), true, "body-stalled");
            } else {
                logRequest(m_response.status, "stalled");
                m_phase = Phase::Closed;
            }
        }
        break;
    }
    case Phase::Tunnel:
        if (nowMs - m_lastProgressMs > config.tunnelTimeoutMs)
            endTunnel("tunnel-timeout");
        break;
    case Phase::Http2:
        // No stream open and nothing from the client for the keep-alive time: GOAWAY, then close.
        if (m_h2->openStreams() == 0 && nowMs - m_lastProgressMs > config.idleTimeoutMs) {
            m_h2->shutdown();
            m_again = true;
        }
        break;
    case Phase::Closing:
        // The last response is being sent, then the client gets a few seconds to read it
        // and close (lingering close), never longer than the idle timeout.
        if (nowMs - m_lastProgressMs > qMin<qint64>(config.idleTimeoutMs, kLingerMs))
            m_phase = Phase::Closed;
        break;
    case Phase::Closed:
        break;
    }
    m_driving = false;
    drive();
}

} // namespace fulcrum
