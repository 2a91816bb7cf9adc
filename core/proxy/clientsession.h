#pragma once

#include "balancer/balancer.h"
#include "config/config.h"
#include "proxy/httpparser.h"
#include "proxy/streamsocket.h"

#include <QByteArray>
#include <QObject>

#include <memory>

namespace fulcrum {

class Http2Connection;
class ProxyWorker;
class UpstreamConnection;
struct ProxyConfig;
struct ListenerTlsStats;
struct ListenerRoutes;
struct WorkerServer;

// One client connection and the requests on it, one at a time: reads a head, picks a
// server, streams the request body there and the response back with backpressure, retries
// or answers 502/503/504 on failure, then waits for the next request (keep-alive).
// Every signal only notes what happened and calls drive(), which moves the state on; so
// no handler ever runs inside another.
class ClientSession : public QObject, private StreamSocket::Observer
{
public:
    // Takes the accepted connection's fd; start() begins reading.
    // tls: the listener's TLS (the handshake comes first), or null for plain HTTP.
    // redirect: the listener answers every request with it (listeners[].redirect).
    // routes: the listener's routes by path (listeners[].routes); null: every request to `pool`.
    ClientSession(ProxyWorker *worker, int fd, std::shared_ptr<Pool> pool, std::shared_ptr<const TlsServerContext> tls,
                  std::shared_ptr<ListenerTlsStats> tlsStats, const ListenerRedirect &redirect = {},
                  std::shared_ptr<const ListenerRoutes> routes = {});
    // One HTTP/2 stream's request (the stream holds it as HTTP/1.1 bytes) and its response.
    ClientSession(ProxyWorker *worker, ClientStream *stream, std::shared_ptr<Pool> pool, const QByteArray &clientIp, const QByteArray &hsts = {},
                  std::shared_ptr<const ListenerRoutes> routes = {});
    ~ClientSession() override;
    void start();

    // From an HTTP/2 stream this session reads: what a socket would say.
    void clientReadable() { socketReadable(nullptr); }
    void clientWritten() { socketWritten(nullptr); }
    void clientClosed() { socketClosed(nullptr); }
    bool waitingForClientDrain() const { return m_waitingForClientDrain; }
    // The HTTP/2 connection asks for a turn (to send what its streams queued).
    void wake() { drive(); }

    void checkTimeout(qint64 nowMs);
    // From the server connection this session holds.
    void onUpstreamActivity();
    void onUpstreamDrained();
    void onUpstreamClosed();
    // Graceful stop: an idle connection closes now, a busy one after its response.
    void stopWhenIdle();
    void closeNow();
    // An accepted connection's session (not an HTTP/2 stream's): what a worker's load counts.
    bool servesConnection() const { return m_servesConnection; }

private:
    void socketConnected(StreamSocket *) override;   // TLS: the client's handshake is done
    void socketReadable(StreamSocket *) override;
    void socketWritten(StreamSocket *) override;
    void socketClosed(StreamSocket *) override;

    // Tunnel: after a server's 101 to an upgrade (WebSocket), bytes pass both ways as they are.
    // Http2: the connection speaks HTTP/2 (ALPN h2); m_h2 runs it, each stream in a session of its own.
    enum class Phase { ReadingHead, Exchange, Tunnel, Http2, Closing, Closed };
    // The config key that set a limit, for the answer's text: the pool's own, or the proxy's.
    static QString settingName(bool poolsOwn, const char *key);
    enum class Failure { ConnectFailed, ConnectTimeout, Reset };

    void drive();
    void step();
    void readHead();
    void startExchange();
    void rewriteTarget(const QByteArray &prefix, const QByteArray &rewrite);
    // Picks a server other than avoidIndex (-1: any) and sends the request there, on a kept-alive
    // connection unless `newConnection`.
    bool startAttempt(int avoidIndex, bool newConnection = false);
    void exchange();
    void pumpRequest();
    void pumpResponse();
    bool handleResponseHead();
    void switchToTunnel(QByteArrayView statusLine);
    void tunnel();
    void endTunnel(const char *end);
    void upstreamFailed(Failure failure);
    void finishExchange();
    // A response of the proxy's own; `end` says for the access log what cut the request short.
    // end: why the exchange ended (the access log's end=), null for an answer that is no failure;
    // headers: whole lines ("Location: …\r\n") added to the answer's head.
    void respond(int status, const QByteArray &body, bool close, const char *end, QByteArrayView headers = {});
    void redirectToHttps();
    bool isLastRequest(qint64 nowMs) const;
    void closeAfterFlush();
    void releaseUpstream(bool reusable);
    // Both into the worker's head scratch: valid until the next head is built.
    QByteArrayView buildRequestHead() const;
    QByteArrayView buildResponseHead(const HttpResponseHead &head, QByteArrayView statusLine) const;
    quint64 hashKey(bool *hasKey) const;
    void noteProgress();
    // The access log's line for the request now ending (proxy.access_log), if one is open.
    void logRequest(int status, const char *end, QByteArrayView error = {});

    ProxyWorker *m_worker;
    StreamSocket m_clientSocket;      // unused by a stream's session
    ClientStream *m_client;           // m_clientSocket (or the HTTP/2 stream) while open, then null
    bool m_https = false;
    ListenerRedirect m_redirect;
    QByteArray m_hsts;   // the TLS listener's "Strict-Transport-Security: …\r\n", or empty
    bool m_servesConnection = false;
    std::unique_ptr<Http2Connection> m_h2;
    int m_h2MaxStreams = 128;
    std::shared_ptr<Pool> m_pool;                     // the current request's (routed by path)
    std::shared_ptr<const ListenerRoutes> m_routes;
    QByteArray m_targetToServer;                      // the request target after the route's prefix_rewrite; empty: as sent
    std::shared_ptr<ListenerTlsStats> m_tlsStats;
    bool m_tlsHandshakeDone = false;
    Balancer *m_balancer;
    QByteArray m_clientIp;

    Phase m_phase = Phase::ReadingHead;
    bool m_driving = false;
    bool m_again = false;
    bool m_clientGone = false;
    bool m_closeWhenIdle = false;
    bool m_lingerOnClose = false;
    // Backpressure: a pump stopped because the other side's unsent bytes were above the
    // bound; only then does a bytesWritten need to drive the session.
    bool m_waitingForClientDrain = false;
    bool m_waitingForUpstreamDrain = false;
    qint64 m_headStartMs = 0;
    qint64 m_lastProgressMs = 0;
    qint64 m_acceptedMs = 0;         // for proxy.client_keepalive_time
    int m_requestsServed = 0;

    // The current request.
    QByteArray m_in;                 // bytes from the client not yet used (head, then body)
    QByteArray m_head;               // the parsed head's bytes (the views in m_request point here)
    HttpRequestHead m_request;
    QByteArray m_replay;             // what was sent to the server, while small enough to send again
    bool m_replayable = true;
    qint64 m_bodyLeft = 0;
    ChunkedDecoder m_requestChunks;
    bool m_requestDone = false;
    qint64 m_requestSentMs = 0;
    bool m_closeClientAfter = false;
    QByteArray m_upgrade;            // the protocol the client asks to switch to (Upgrade), passed on; empty: none

    // What the access log says of the current request. Figures are kept whether or not a log is
    // written (a few adds); clock reads and the address only with a log.
    bool m_http2Stream = false;
    bool m_requestOpen = false;      // bytes of a request came and its line is not written yet
    bool m_logHeadParsed = false;
    bool m_logHasUpstream = false;
    qint64 m_logStartNs = 0;
    qint64 m_logBytesIn = 0;
    qint64 m_logBytesOut = 0;
    qint64 m_logConnectNs = -1;
    qint64 m_logHeaderNs = -1;
    int m_logUpstreamStatus = 0;
    SocketAddress m_logUpstream;

    // The current attempt at a server.
    Pick m_pick;
    WorkerServer *m_server = nullptr;
    UpstreamConnection *m_upstream = nullptr;
    int m_attempt = 0;
    bool m_connecting = false;
    qint64 m_connectStartMs = 0;
    bool m_upstreamClosed = false;   // the server closed or reset the connection
    bool m_upstreamConnectError = false;
    qint64 m_attemptStartNs = 0;
    QByteArray m_upIn;
    bool m_responseBytesSeen = false;
    bool m_responseHeadDone = false;
    HttpResponseHead m_response;
    qint64 m_responseLeft = 0;
    ChunkedDecoder m_responseChunks;
    bool m_responseDone = false;
    bool m_upstreamReusable = true;
};

} // namespace fulcrum
