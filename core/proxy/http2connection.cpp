#include "http2connection.h"

#include "proxy/clientsession.h"
#include "proxy/proxyworker.h"
#include "proxy/streamsocket.h"
#include "proxy/tls.h"

#include <QDateTime>
#include <QMetaObject>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

namespace fulcrum {

namespace {

// The socket's unsent bytes above which no more frames are made (the client reads slowly).
constexpr qsizetype kSocketHighWater = 256 * 1024;
// Frames of one header block (HEADERS + CONTINUATION) before it is a flood (CVE-2024-28182;
// nghttp2 1.61 and Debian's patched 1.52 stop at the same count).
constexpr int kMaxContinuations = 8;

// A request target HTTP/1.1 can carry as it is: no space or control character (nghttp2 lets
// some through that would change the meaning of a request line).
bool plainTarget(QByteArrayView path)
{
    return !path.isEmpty() && std::none_of(path.begin(), path.end(), [](char c) { return uchar(c) <= 0x20 || uchar(c) == 0x7f; });
}

nghttp2_nv field(const QByteArray &name, QByteArrayView value)
{
    return nghttp2_nv{reinterpret_cast<uint8_t *>(const_cast<char *>(name.constData())), reinterpret_cast<uint8_t *>(const_cast<char *>(value.data())),
                      size_t(name.size()), size_t(value.size()), NGHTTP2_NV_FLAG_NONE};
}

qint64 epochMs() { return QDateTime::currentMSecsSinceEpoch(); }

} // namespace

// nghttp2's callbacks, with access to both classes.
struct Http2Callbacks
{
    static Http2Connection *self(void *p) { return static_cast<Http2Connection *>(p); }
    static Http2Stream *streamOf(nghttp2_session *session, qint32 id) { return static_cast<Http2Stream *>(nghttp2_session_get_stream_user_data(session, id)); }

    static int beginFrame(nghttp2_session *, const nghttp2_frame_hd *hd, void *p)
    {
        Http2Connection *c = self(p);
        if (hd->type == NGHTTP2_HEADERS) {
            c->m_blockBytes = qint64(hd->length);
            c->m_blockFrames = 1;
        } else if (hd->type == NGHTTP2_CONTINUATION) {
            c->m_blockBytes += qint64(hd->length);
            if (++c->m_blockFrames > kMaxContinuations + 1 || c->m_blockBytes > 2 * c->m_limits.maxHeaderListBytes) {
                c->refuse(NGHTTP2_ENHANCE_YOUR_CALM, QStringLiteral("CONTINUATION flood: a header block of more than %1 frames or %2 bytes")
                                                         .arg(kMaxContinuations + 1).arg(2 * c->m_limits.maxHeaderListBytes));
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            }
        }
        return 0;
    }

    static int beginHeaders(nghttp2_session *session, const nghttp2_frame *frame, void *p)
    {
        Http2Connection *c = self(p);
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
            return 0;
        const qint32 id = frame->hd.stream_id;
        const auto open = std::count_if(c->m_streams.begin(), c->m_streams.end(), [](const auto &s) { return !s.second->m_streamClosed; });
        if (c->m_shutdown || open >= c->m_limits.maxConcurrentStreams) {
            // A client that keeps opening streams past the limit pays like one that resets them.
            if (!c->spendResetToken(QStringLiteral("stream flood: streams opened past SETTINGS_MAX_CONCURRENT_STREAMS (%1)").arg(c->m_limits.maxConcurrentStreams)))
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        auto stream = std::make_unique<Http2Stream>(c, id);
        nghttp2_session_set_stream_user_data(session, id, stream.get());
        c->m_streams[id] = std::move(stream);
        if (c->m_stats)
            c->m_stats->h2Streams.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }

    static int header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *namePtr, size_t nameLength, const uint8_t *valuePtr,
                      size_t valueLength, uint8_t, void *p)
    {
        Http2Connection *c = self(p);
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
            return 0;   // trailers: not passed on
        Http2Stream *s = streamOf(session, frame->hd.stream_id);
        if (!s)
            return 0;
        // RFC 7541 4.1's size of a field; decoded, so an HPACK bomb (a small block of references
        // to one big table entry) shows here at its real size.
        s->m_headerBytes += qint64(nameLength + valueLength + 32);
        if (s->m_headerBytes > c->m_limits.headerBombFactor * c->m_limits.maxHeaderListBytes) {
            c->refuse(NGHTTP2_ENHANCE_YOUR_CALM, QStringLiteral("HPACK bomb: the headers of stream %1 decode to more than %2 bytes (the limit is %3)")
                                                     .arg(frame->hd.stream_id).arg(c->m_limits.headerBombFactor * c->m_limits.maxHeaderListBytes)
                                                     .arg(c->m_limits.maxHeaderListBytes));
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        if (s->m_oversized)
            return 0;
        if (s->m_headerBytes > c->m_limits.maxHeaderListBytes || int(s->m_fields.size()) >= c->m_limits.maxHeaders) {
            s->m_oversized = true;
            s->m_fields.clear();
            if (++c->m_oversizedStreams > c->m_limits.oversizedStreamsPerConnection) {
                c->refuse(NGHTTP2_ENHANCE_YOUR_CALM, QStringLiteral("%1 requests with headers over the limit on one connection").arg(c->m_oversizedStreams));
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            }
            return 0;
        }
        const QByteArrayView name(reinterpret_cast<const char *>(namePtr), qsizetype(nameLength));
        const QByteArrayView value(reinterpret_cast<const char *>(valuePtr), qsizetype(valueLength));
        if (name == ":method")
            s->m_method = value.toByteArray();
        else if (name == ":path")
            s->m_path = value.toByteArray();
        else if (name == ":authority")
            s->m_authority = value.toByteArray();
        else if (name == ":scheme")
            s->m_scheme = value.toByteArray();
        else if (!name.startsWith(':')) {
            // Cookie crumbs join into one field again (RFC 9113 8.2.3).
            if (name == "cookie") {
                for (Http2Stream::Field &f : s->m_fields) {
                    if (f.name == "cookie") {
                        f.value.append("; ").append(value);
                        return 0;
                    }
                }
            }
            s->m_fields.push_back({name.toByteArray(), value.toByteArray()});
        }
        return 0;
    }

    static int frameReceived(nghttp2_session *session, const nghttp2_frame *frame, void *p)
    {
        Http2Connection *c = self(p);
        const bool endStream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
        switch (frame->hd.type) {
        case NGHTTP2_HEADERS: {
            Http2Stream *s = streamOf(session, frame->hd.stream_id);
            if (!s)
                break;
            if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
                s->m_headersDone = true;
                s->m_requestEnded = endStream;
                c->composeRequest(s);
                c->m_toStart.push_back(s->m_id);
            } else if (endStream) {
                c->endRequest(s);
            }
            break;
        }
        case NGHTTP2_DATA:
            if (endStream) {
                if (Http2Stream *s = streamOf(session, frame->hd.stream_id))
                    c->endRequest(s);
            }
            break;
        case NGHTTP2_RST_STREAM:
            if (!c->spendResetToken(QStringLiteral("rapid reset: more than %1 stream resets at once, %2 per second allowed")
                                        .arg(c->m_limits.resetBurst).arg(c->m_limits.resetsPerSecond)))
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            break;
        default:
            break;
        }
        return 0;
    }

    static int frameSent(nghttp2_session *session, const nghttp2_frame *frame, void *p)
    {
        Http2Connection *c = self(p);
        if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR && !c->m_failed && c->m_stats) {
            // nghttp2 ended the connection itself (a stream past the acknowledged limit, a frame
            // out of place): counted like our own refusals, with its reason.
            const QByteArray why(reinterpret_cast<const char *>(frame->goaway.opaque_data), qsizetype(frame->goaway.opaque_data_len));
            c->m_stats->h2Refusals.note(QStringLiteral("client %1: %2 (%3)").arg(QString::fromLatin1(c->m_clientIp), QString::fromLatin1(why),
                                                                              QString::fromLatin1(nghttp2_http2_strerror(frame->goaway.error_code))),
                                      epochMs());
        }
        if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
            if (Http2Stream *s = streamOf(session, frame->hd.stream_id)) {
                s->m_sent = true;
                if (s->m_closeRequested) {
                    s->m_closed = true;
                    c->m_toClose.push_back(s->m_id);
                }
            }
        }
        return 0;
    }

    static int dataChunk(nghttp2_session *session, uint8_t, int32_t id, const uint8_t *data, size_t length, void *p)
    {
        Http2Connection *c = self(p);
        Http2Stream *s = streamOf(session, id);
        if (!s || s->m_oversized || s->m_closed) {
            // Nobody will read it (refused, or the response is done): back to the window at once.
            nghttp2_session_consume(session, id, length);
            return 0;
        }
        if (s->m_chunked)
            s->m_in.append(QByteArray::number(qulonglong(length), 16)).append("\r\n");
        s->m_in.append(reinterpret_cast<const char *>(data), qsizetype(length));
        if (s->m_chunked)
            s->m_in.append("\r\n");
        s->m_unconsumed += qint64(length);
        c->giveBackWindow(s);
        c->m_toWake.push_back(id);
        return 0;
    }

    static int streamClosed(nghttp2_session *session, int32_t id, uint32_t errorCode, void *p)
    {
        Http2Connection *c = self(p);
        Http2Stream *s = streamOf(session, id);
        if (!s)
            return 0;
        s->m_streamClosed = true;
        if (errorCode != NGHTTP2_NO_ERROR || !s->m_sent)
            s->m_reset = true;
        s->m_closed = true;
        c->m_toClose.push_back(id);
        return 0;
    }

    static ssize_t readBody(nghttp2_session *, int32_t, uint8_t *buffer, size_t length, uint32_t *flags, nghttp2_data_source *source, void *p)
    {
        Http2Connection *c = self(p);
        auto *s = static_cast<Http2Stream *>(source->ptr);
        const qsizetype n = qMin<qsizetype>(qsizetype(length), s->m_body.size() - s->m_bodyPos);
        if (n > 0) {
            std::memcpy(buffer, s->m_body.constData() + s->m_bodyPos, size_t(n));
            s->m_bodyPos += n;
            if (s->m_bodyPos == s->m_body.size()) {
                s->m_body.resize(0);
                s->m_bodyPos = 0;
            }
            if (s->m_session && s->m_session->waitingForClientDrain())
                c->m_toDrain.push_back(s->m_id);
        }
        if (s->m_bodyEnded && s->m_bodyPos == s->m_body.size()) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
            return n;
        }
        if (n == 0) {
            s->m_deferred = true;
            return NGHTTP2_ERR_DEFERRED;
        }
        return n;
    }
};

QByteArray Http2Stream::read(qsizetype max)
{
    QByteArray out = takeFront(m_in, max);
    if (m_unconsumed > 0)
        m_connection->giveBackWindow(this);
    return out;
}

qsizetype Http2Stream::bytesToWrite() const
{
    return m_body.size() - m_bodyPos + m_raw.size();
}

void Http2Stream::write(const char *data, qsizetype size)
{
    if (m_closed || m_closeRequested || size <= 0 || !m_connection->m_session)
        return;
    if (m_headSubmitted) {
        feedBody(QByteArrayView(data, size));
        m_connection->schedule();
        return;
    }
    m_raw.append(data, size);
    HttpLimits limits = m_connection->m_worker->limits();
    limits.maxHeadBytes = qMax<qint64>(limits.maxHeadBytes, 64 * 1024);
    for (;;) {
        const HttpParseResult result = parseResponseHead(m_raw, limits, m_isHead, m_response);
        if (result.status == HttpParseResult::Incomplete)
            return;
        if (result.status == HttpParseResult::Error) {
            m_connection->resetStream(this, NGHTTP2_INTERNAL_ERROR);
            return;
        }
        if (m_response.status >= 200)
            break;
        m_raw.remove(0, m_response.headLength);   // 1xx (100 Continue): HTTP/2 clients do not wait for one
    }
    m_headSubmitted = true;
    m_bodyLeft = m_response.contentLength;
    const bool hasBody = m_response.framing != BodyFraming::None;
    if (!m_connection->submitResponse(this, hasBody))
        return;
    const QByteArray rest = m_raw.sliced(m_response.headLength);
    m_raw.clear();
    if (hasBody)
        feedBody(rest);
    else
        m_bodyEnded = true;
    m_connection->schedule();
}

void Http2Stream::feedBody(QByteArrayView data)
{
    if (m_bodyEnded || data.isEmpty())
        return;
    if (m_bodyPos > 64 * 1024 && m_bodyPos * 2 > m_body.size()) {
        m_body.remove(0, m_bodyPos);
        m_bodyPos = 0;
    }
    switch (m_response.framing) {
    case BodyFraming::Length: {
        const qsizetype take = qsizetype(qMin<qint64>(m_bodyLeft, data.size()));
        m_body.append(data.first(take));
        m_bodyLeft -= take;
        if (m_bodyLeft == 0)
            m_bodyEnded = true;
        break;
    }
    case BodyFraming::Chunked:
        m_chunks.consume(data, [this](QByteArrayView payload) { m_body.append(payload); });
        if (m_chunks.failed()) {
            m_connection->resetStream(this, NGHTTP2_INTERNAL_ERROR);
            return;
        }
        m_bodyEnded = m_chunks.done();
        break;
    case BodyFraming::UntilClose:
        m_body.append(data);
        break;
    case BodyFraming::None:
        break;
    }
    endResponse();
}

void Http2Stream::endResponse()
{
    if (m_deferred && (m_bodyEnded || m_bodyPos < m_body.size()) && !m_streamClosed) {
        m_deferred = false;
        nghttp2_session_resume_data(m_connection->m_session, m_id);
    }
}

void Http2Stream::flush()
{
    m_connection->schedule();
}

void Http2Stream::closeAfterFlush(bool)
{
    if (m_closed || m_closeRequested)
        return;
    m_closeRequested = true;
    if (m_headSubmitted && m_response.framing == BodyFraming::UntilClose) {
        m_bodyEnded = true;
        endResponse();
    }
    if (!m_headSubmitted || !m_bodyEnded) {
        // The response stops short (the server went away mid-body): the client must not take
        // it for a whole one.
        m_connection->resetStream(this, NGHTTP2_INTERNAL_ERROR);
        return;
    }
    if (m_sent || m_streamClosed)
        m_closed = true;
    m_connection->schedule();
}

void Http2Stream::abort()
{
    m_session = nullptr;
    m_closed = true;
    if (!m_streamClosed && m_connection->m_session) {
        // Done with our side: the client may still be sending a body nobody reads (NO_ERROR,
        // RFC 9113 8.1); otherwise the response was cut short.
        nghttp2_submit_rst_stream(m_connection->m_session, NGHTTP2_FLAG_NONE, m_id, m_sent ? NGHTTP2_NO_ERROR : NGHTTP2_INTERNAL_ERROR);
        m_connection->schedule();
        return;
    }
    m_connection->release(this);   // last: this is gone
}

Http2Connection::Http2Connection(ProxyWorker *worker, ClientSession *owner, StreamSocket *socket, std::shared_ptr<Pool> pool, const QByteArray &clientIp,
                                 std::shared_ptr<ListenerTlsStats> stats, const Http2Limits &limits, const QByteArray &hsts,
                                 std::shared_ptr<const ListenerRoutes> routes)
    : m_worker(worker)
    , m_owner(owner)
    , m_socket(socket)
    , m_pool(std::move(pool))
    , m_routes(std::move(routes))
    , m_clientIp(clientIp)
    , m_hsts(hsts)
    , m_stats(std::move(stats))
    , m_limits(limits)
    , m_openedMs(ProxyWorker::nowMs())
    , m_resetTokens(limits.resetBurst)
{
    nghttp2_session_callbacks *callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, &Http2Callbacks::beginFrame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Http2Callbacks::beginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &Http2Callbacks::header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Http2Callbacks::frameReceived);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Http2Callbacks::frameSent);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Http2Callbacks::dataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Http2Callbacks::streamClosed);
    nghttp2_option *options = nullptr;
    nghttp2_option_new(&options);
    // Request bodies are given back to flow control as their sessions read them, so a slow
    // server holds at most a window of each body here.
    nghttp2_option_set_no_auto_window_update(options, 1);
    const int made = nghttp2_session_server_new2(&m_session, callbacks, this, options);
    nghttp2_option_del(options);
    nghttp2_session_callbacks_del(callbacks);
    if (made != 0) {
        m_session = nullptr;
        m_failed = true;
        return;
    }
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, quint32(limits.maxConcurrentStreams)},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, quint32(limits.streamWindow)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, quint32(limits.maxHeaderListBytes)},
    };
    nghttp2_submit_settings(m_session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(m_session, NGHTTP2_FLAG_NONE, 0, limits.connectionWindow);
    if (m_stats)
        m_stats->h2Connections.fetch_add(1, std::memory_order_relaxed);
}

Http2Connection::~Http2Connection()
{
    // Sessions still reading a stream were told by closeStreams(); none is called from here.
    for (auto &entry : m_streams)
        entry.second->m_session = nullptr;
    m_streams.clear();
    if (m_session)
        nghttp2_session_del(m_session);
}

Http2Stream *Http2Connection::stream(qint32 id) const
{
    const auto it = m_streams.find(id);
    return it == m_streams.end() ? nullptr : it->second.get();
}

bool Http2Connection::spendResetToken(const QString &reason)
{
    const qint64 now = ProxyWorker::nowMs();
    if (m_resetRefillMs == 0)
        m_resetRefillMs = now;
    m_resetTokens = qMin(m_limits.resetBurst, m_resetTokens + double(now - m_resetRefillMs) * m_limits.resetsPerSecond / 1000.0);
    m_resetRefillMs = now;
    m_resetTokens -= 1;
    if (m_resetTokens >= 0)
        return true;
    refuse(NGHTTP2_ENHANCE_YOUR_CALM, reason);
    return false;
}

void Http2Connection::composeRequest(Http2Stream *s)
{
    const auto has = [s](QByteArrayView name) {
        return std::any_of(s->m_fields.begin(), s->m_fields.end(), [name](const Http2Stream::Field &f) { return f.name == name; });
    };
    s->m_isHead = s->m_method == "HEAD";
    if (s->m_oversized || s->m_method.isEmpty() || s->m_method == "CONNECT" || !plainTarget(s->m_path))
        return;   // answered when it starts
    s->m_chunked = !s->m_requestEnded && !has("content-length");
    QByteArray head;
    head.reserve(256 + s->m_path.size());
    head.append(s->m_method).append(' ').append(s->m_path).append(" HTTP/1.1\r\n");
    const bool authority = !s->m_authority.isEmpty();
    if (authority)
        head.append("Host: ").append(s->m_authority).append("\r\n");
    for (const Http2Stream::Field &f : s->m_fields) {
        if (authority && f.name == "host")
            continue;   // :authority wins (RFC 9113 8.3.1)
        head.append(f.name).append(": ").append(f.value).append("\r\n");
    }
    if (s->m_chunked)
        head.append("Transfer-Encoding: chunked\r\n");
    // One request per stream: the session ends with the response.
    head.append("Connection: close\r\n\r\n");
    s->m_in.prepend(head);
    s->m_fields.clear();
}

void Http2Connection::endRequest(Http2Stream *s)
{
    if (s->m_chunked && !s->m_requestEnded)
        s->m_in.append("0\r\n\r\n");
    s->m_requestEnded = true;
    m_toWake.push_back(s->m_id);
}

void Http2Connection::giveBackWindow(Http2Stream *s)
{
    // What the session has not read yet stays out of the window, up to one window's worth.
    if (s->m_unconsumed > 0 && s->m_in.size() < m_limits.streamWindow && m_session) {
        nghttp2_session_consume(m_session, s->m_id, size_t(s->m_unconsumed));
        s->m_unconsumed = 0;
        schedule();
    }
}

void Http2Connection::startStream(Http2Stream *s)
{
    // The stream that reaches proxy.client_keepalive_requests or client_keepalive_time is
    // served, and GOAWAY tells the client to open a new connection for the next ones.
    ++m_streamsStarted;
    const ProxyConfig &proxy = m_worker->config();
    if ((proxy.clientKeepaliveRequests > 0 && m_streamsStarted >= proxy.clientKeepaliveRequests)
        || (proxy.clientKeepaliveTimeMs > 0 && ProxyWorker::nowMs() - m_openedMs >= proxy.clientKeepaliveTimeMs))
        shutdown();
    QByteArray refusal;
    int status = 0;
    if (s->m_oversized) {
        status = 431;
        refusal = QStringLiteral("request headers are over the limit of %1 bytes or %2 fields (proxy.max_header_bytes)\n")
                      .arg(m_limits.maxHeaderListBytes).arg(m_limits.maxHeaders).toUtf8();
    } else if (s->m_method == "CONNECT") {
        status = 501;
        refusal = "CONNECT is not proxied\n";
    } else if (s->m_method.isEmpty() || !plainTarget(s->m_path)) {
        status = 400;
        refusal = "the request's :path is empty or holds a space or control character\n";
    }
    if (status != 0) {
        const QByteArray response = QByteArray("HTTP/1.1 ").append(QByteArray::number(status)).append(' ').append(httpReasonPhrase(status))
                                        .append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ").append(QByteArray::number(refusal.size()))
                                        .append("\r\n\r\n").append(refusal);
        s->write(response);
        s->closeAfterFlush(false);
        return;
    }
    auto *session = new ClientSession(m_worker, s, m_pool, m_clientIp, m_hsts, m_routes);
    s->m_session = session;
    m_worker->adoptSession(session);
    session->start();
}

bool Http2Connection::submitResponse(Http2Stream *s, bool hasBody)
{
    const HttpResponseHead &head = s->m_response;
    std::vector<QByteArray> names;
    names.reserve(head.headers.size() + 1);
    std::vector<nghttp2_nv> fields;
    fields.reserve(head.headers.size() + 1);
    static const QByteArray status = ":status";
    const QByteArray code = QByteArray::number(head.status);
    fields.push_back(field(status, code));
    const ConnectionTokens connection(head.headers, head.connectionOptions);
    for (const HttpHeader &h : head.headers) {
        if (isHopByHop(h.kind, true) || connection.names(h.name))
            continue;
        names.push_back(h.name.toByteArray().toLower());
        fields.push_back(field(names.back(), h.value));
    }
    nghttp2_data_provider provider;
    provider.source.ptr = s;
    provider.read_callback = &Http2Callbacks::readBody;
    if (nghttp2_submit_response(m_session, s->m_id, fields.data(), fields.size(), hasBody ? &provider : nullptr) != 0) {
        resetStream(s, NGHTTP2_INTERNAL_ERROR);
        return false;
    }
    return true;
}

void Http2Connection::resetStream(Http2Stream *s, quint32 code)
{
    s->m_closed = true;
    s->m_reset = true;
    if (!s->m_streamClosed && m_session)
        nghttp2_submit_rst_stream(m_session, NGHTTP2_FLAG_NONE, s->m_id, code);
    m_toClose.push_back(s->m_id);
    schedule();
}

void Http2Connection::release(Http2Stream *s)
{
    if (s->m_unconsumed > 0 && m_session)
        nghttp2_session_consume_connection(m_session, size_t(s->m_unconsumed));
    if (m_session && !s->m_streamClosed)
        nghttp2_session_set_stream_user_data(m_session, s->m_id, nullptr);
    m_streams.erase(s->m_id);
}

void Http2Connection::refuse(quint32 code, const QString &reason)
{
    if (m_failed)
        return;
    m_failed = true;
    m_refusal = code;
    if (m_stats)
        m_stats->h2Refusals.note(QStringLiteral("client %1: %2").arg(QString::fromLatin1(m_clientIp), reason), epochMs());
}

void Http2Connection::schedule()
{
    if (m_scheduled)
        return;
    m_scheduled = true;
    QMetaObject::invokeMethod(m_owner, [owner = m_owner] { owner->wake(); }, Qt::QueuedConnection);
}

void Http2Connection::process()
{
    m_scheduled = false;
    while (!m_failed && m_session && m_socket->bytesAvailable() > 0) {
        const QByteArray data = m_socket->readAll();
        const ssize_t used = nghttp2_session_mem_recv(m_session, reinterpret_cast<const uint8_t *>(data.constData()), size_t(data.size()));
        if (used < 0 && !m_failed) {
            const quint32 code = used == NGHTTP2_ERR_FLOODED || used == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR;
            refuse(code, QString::fromLatin1(nghttp2_strerror(int(used))));
        }
    }
    dispatch();
    send();
    dispatch();
}

void Http2Connection::send()
{
    if (m_failed) {
        // A GOAWAY of our own: after a callback failed, nghttp2 makes no more frames.
        if (!m_goawaySent && m_socket->state() == StreamSocket::State::Connected) {
            const qint32 last = m_session ? nghttp2_session_get_last_proc_stream_id(m_session) : 0;
            uchar frame[17] = {0, 0, 8, NGHTTP2_GOAWAY, 0, 0, 0, 0, 0};
            for (int i = 0; i < 4; ++i) {
                frame[9 + i] = uchar(quint32(last) >> (24 - 8 * i));
                frame[13 + i] = uchar(m_refusal >> (24 - 8 * i));
            }
            m_socket->write(reinterpret_cast<const char *>(frame), sizeof(frame));
            m_socket->flush();
        }
        m_goawaySent = true;
        return;
    }
    while (m_session && m_socket->bytesToWrite() < kSocketHighWater) {
        const uint8_t *data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(m_session, &data);
        if (n < 0) {
            refuse(NGHTTP2_INTERNAL_ERROR, QString::fromLatin1(nghttp2_strerror(int(n))));
            send();
            return;
        }
        if (n == 0)
            break;
        m_socket->write(reinterpret_cast<const char *>(data), qsizetype(n));
    }
    m_socket->flush();
}

void Http2Connection::dispatch()
{
    // Each list is taken whole first: a session told something may add to them.
    for (int round = 0; round < 8; ++round) {
        if (m_toStart.empty() && m_toWake.empty() && m_toDrain.empty() && m_toClose.empty())
            return;
        std::vector<qint32> start, wake, drain, close;
        start.swap(m_toStart);
        wake.swap(m_toWake);
        drain.swap(m_toDrain);
        close.swap(m_toClose);
        for (const qint32 id : start) {
            Http2Stream *s = stream(id);
            if (s && !s->m_session && !s->m_closed && !m_failed)
                startStream(s);
        }
        std::sort(wake.begin(), wake.end());
        wake.erase(std::unique(wake.begin(), wake.end()), wake.end());
        for (const qint32 id : wake) {
            Http2Stream *s = stream(id);
            if (s && s->m_session)
                s->m_session->clientReadable();
        }
        for (const qint32 id : drain) {
            Http2Stream *s = stream(id);
            if (s && s->m_session && s->m_session->waitingForClientDrain())
                s->m_session->clientWritten();
        }
        for (const qint32 id : close) {
            Http2Stream *s = stream(id);
            if (!s)
                continue;
            if (s->m_session)
                s->m_session->clientClosed();   // it aborts the stream, which releases it
            else if (s->m_streamClosed)
                release(s);
        }
    }
    schedule();   // more to tell than rounds: the rest on the next turn
}

void Http2Connection::shutdown()
{
    if (m_shutdown || m_failed || !m_session)
        return;
    m_shutdown = true;
    nghttp2_submit_goaway(m_session, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(m_session), NGHTTP2_NO_ERROR, nullptr, 0);
}

bool Http2Connection::finished() const
{
    if (m_failed || !m_session)
        return m_goawaySent || !m_session;
    if (nghttp2_session_want_write(m_session))
        return false;
    return !nghttp2_session_want_read(m_session) || (m_shutdown && m_streams.empty());
}

void Http2Connection::closeStreams()
{
    std::vector<qint32> ids;
    for (const auto &entry : m_streams)
        ids.push_back(entry.first);
    for (const qint32 id : ids) {
        Http2Stream *s = stream(id);
        if (!s)
            continue;
        s->m_streamClosed = true;
        s->m_reset = !s->m_sent;
        s->m_closed = true;
        if (s->m_session)
            s->m_session->clientClosed();
        else
            release(s);
    }
}

} // namespace fulcrum
