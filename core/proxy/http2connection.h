#pragma once

#include "proxy/clientstream.h"
#include "proxy/httpparser.h"

#include <QByteArray>
#include <QString>

#include <map>
#include <memory>
#include <vector>

typedef struct nghttp2_session nghttp2_session;

namespace fulcrum {

class ClientSession;
class Http2Connection;
class ProxyWorker;
class StreamSocket;
struct ListenerTlsStats;
struct ListenerRoutes;
struct Pool;

// HTTP/2's own limits on one client connection: what it may open, send and reset. Beyond
// them the connection ends with GOAWAY (ENHANCE_YOUR_CALM, or the protocol's own error) and
// the listener's figures say why.
struct Http2Limits
{
    int maxConcurrentStreams = 128;          // SETTINGS_MAX_CONCURRENT_STREAMS; more open at once: RST_STREAM REFUSED_STREAM
    qint64 maxHeaderListBytes = 16 * 1024;   // SETTINGS_MAX_HEADER_LIST_SIZE (proxy.maxHeaderBytes): 431 beyond it
    int maxHeaders = 100;                    // fields per request: 431 beyond
    int streamWindow = 256 * 1024;           // each stream's request body in flight
    int connectionWindow = 1024 * 1024;      // all of them together
    // Rapid reset (CVE-2023-44487): a token bucket over the client's RST_STREAMs.
    double resetBurst = 200;
    double resetsPerSecond = 100;
    // HPACK bomb: a stream whose headers decode to more than this many times the list
    // limit ends the connection (below, the stream alone gets its 431).
    int headerBombFactor = 4;
    int oversizedStreamsPerConnection = 16;
};

// One request of an HTTP/2 connection, as its ClientSession sees it: the request as HTTP/1.1
// bytes (head, then the body: as sent with content-length, chunked without), and whatever
// HTTP/1.1 response the session writes, turned into HEADERS and DATA frames.
class Http2Stream final : public ClientStream
{
    friend struct Http2Callbacks;

public:
    Http2Stream(Http2Connection *connection, qint32 id) : m_connection(connection), m_id(id) {}

    qsizetype bytesAvailable() const override { return m_in.size(); }
    QByteArray read(qsizetype max) override;
    QByteArray readAll() override { return read(m_in.size()); }
    void write(const QByteArray &data) override { write(data.constData(), data.size()); }
    void write(const char *data, qsizetype size) override;
    qsizetype bytesToWrite() const override;
    void flush() override;
    void closeAfterFlush(bool linger) override;
    void abort() override;
    bool isClosed() const override { return m_closed; }

private:
    friend class Http2Connection;
    struct Field
    {
        QByteArray name;
        QByteArray value;
    };

    void feedBody(QByteArrayView data);
    void endResponse();

    Http2Connection *const m_connection;
    const qint32 m_id;
    ClientSession *m_session = nullptr;

    // The request.
    QByteArray m_method, m_path, m_authority, m_scheme;
    std::vector<Field> m_fields;
    qint64 m_headerBytes = 0;
    bool m_oversized = false;
    bool m_headersDone = false;
    bool m_chunked = false;          // no content-length: the body goes to the server chunked
    bool m_requestEnded = false;
    QByteArray m_in;
    qint64 m_unconsumed = 0;         // body bytes received but not yet given back to flow control

    // The response.
    QByteArray m_raw;                // the session's bytes before the head is complete
    bool m_headSubmitted = false;
    bool m_isHead = false;
    HttpResponseHead m_response;
    qint64 m_bodyLeft = 0;
    ChunkedDecoder m_chunks;
    QByteArray m_body;
    qsizetype m_bodyPos = 0;
    bool m_bodyEnded = false;
    bool m_deferred = false;         // nghttp2 waits for body bytes (resume when some arrive)
    bool m_sent = false;             // END_STREAM went out
    bool m_closeRequested = false;
    bool m_closed = false;           // isClosed(): everything sent after closeAfterFlush, or reset
    bool m_streamClosed = false;     // nghttp2 closed the stream (sent, reset or the connection ended)
    bool m_reset = false;
};

// The HTTP/2 side of one client connection (nghttp2, server role): frames in from the
// socket, frames out to it, every stream a ClientSession of its own, so picking, retries,
// timeouts and counters are the same as for HTTP/1.1. The owner (the connection's session)
// calls process() on every event and closes the socket once finished().
class Http2Connection
{
public:
    // hsts: the listener's Strict-Transport-Security line, for every stream's answer.
    // routes: the listener's routes by path, for every stream (null: every stream to `pool`).
    Http2Connection(ProxyWorker *worker, ClientSession *owner, StreamSocket *socket, std::shared_ptr<Pool> pool, const QByteArray &clientIp,
                    std::shared_ptr<ListenerTlsStats> stats, const Http2Limits &limits, const QByteArray &hsts = {},
                    std::shared_ptr<const ListenerRoutes> routes = {});
    ~Http2Connection();
    Http2Connection(const Http2Connection &) = delete;
    Http2Connection &operator=(const Http2Connection &) = delete;

    // Reads what the client sent, starts and feeds streams, sends what is queued.
    void process();
    // GOAWAY: the streams open go on, no new one starts; finished() once they are done.
    void shutdown();
    bool finished() const;
    int openStreams() const { return int(m_streams.size()); }
    // The client is gone: every stream's session hears so.
    void closeStreams();

private:
    friend class Http2Stream;
    friend struct Http2Callbacks;

    Http2Stream *stream(qint32 id) const;
    // The stream's request as HTTP/1.1 bytes, once its headers are in.
    void composeRequest(Http2Stream *stream);
    void endRequest(Http2Stream *stream);
    // Gives received body bytes back to flow control once the session has read them.
    void giveBackWindow(Http2Stream *stream);
    void startStream(Http2Stream *stream);
    bool submitResponse(Http2Stream *stream, bool hasBody);
    void resetStream(Http2Stream *stream, quint32 code);
    void send();
    // Rapid reset and stream floods: false (and the connection refused) once the bucket is empty.
    bool spendResetToken(const QString &reason);
    // Ends the connection: GOAWAY with `code`, the reason in the listener's figures.
    void refuse(quint32 code, const QString &reason);
    void release(Http2Stream *stream);
    // A turn of the owner soon (to send what the streams queued), not from inside this call.
    void schedule();
    void dispatch();

    ProxyWorker *const m_worker;
    ClientSession *const m_owner;
    StreamSocket *const m_socket;
    std::shared_ptr<Pool> m_pool;
    std::shared_ptr<const ListenerRoutes> m_routes;
    const QByteArray m_clientIp;
    const QByteArray m_hsts;
    std::shared_ptr<ListenerTlsStats> m_stats;
    const Http2Limits m_limits;
    nghttp2_session *m_session = nullptr;
    std::map<qint32, std::unique_ptr<Http2Stream>> m_streams;
    bool m_failed = false;           // refused: a GOAWAY of our own, then close
    quint32 m_refusal = 0;
    bool m_goawaySent = false;
    bool m_shutdown = false;
    bool m_scheduled = false;
    // Streams whose session has something to hear, told after nghttp2 returns (never from
    // inside its callbacks): new ones start, the rest read on or learn the client left.
    std::vector<qint32> m_toStart, m_toWake, m_toDrain, m_toClose;
    // The header block being received: its frames and compressed size (CONTINUATION flood).
    qint64 m_blockBytes = 0;
    int m_blockFrames = 0;
    int m_oversizedStreams = 0;
    // For proxy.client_keepalive_requests and client_keepalive_time.
    qint64 m_streamsStarted = 0;
    const qint64 m_openedMs;
    double m_resetTokens = 0;
    qint64 m_resetRefillMs = 0;
};

} // namespace fulcrum
