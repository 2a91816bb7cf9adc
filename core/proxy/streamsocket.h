#pragma once

#include "common/socketaddress.h"
#include "proxy/clientstream.h"
#include "proxy/eventpoller.h"

#include <QByteArray>
#include <QString>

#include <cstring>
#include <memory>

#include <sys/types.h>

typedef struct ssl_st SSL;

namespace fulcrum {

class TlsClientContext;
class TlsServerContext;

// Sets the size of a buffer: when it owns its memory and that has room after its start, as
// resize() does on that path (size and terminator) without the call into Qt, which was 14
// calls and 430 instructions per proxied request; otherwise resize() itself.
inline void setSize(QByteArray &buffer, qsizetype size)
{
    QByteArray::DataPointer &d = buffer.data_ptr();
    if (!d.isShared() && size <= d.freeSpaceAtEnd() + d.size) {
        d.size = size;
        d.data()[size] = '\0';
        return;
    }
    buffer.resize(size);
}

// The memory a connection's buffer keeps between requests, at most.
constexpr qsizetype kKeptBufferBytes = 2048;

// Empties `buffer` for its next use. Its memory stays when no one shares it and it is at most
// kKeptBufferBytes, so the small heads and reads of a keep-alive connection reuse one
// allocation instead of taking and freeing one per request (malloc and free were a tenth of a
// worker's user-space instructions); a larger one is freed at once, so an idle connection
// holds little.
inline void emptyKeepingSmall(QByteArray &buffer)
{
    if (buffer.isEmpty() && buffer.capacity() <= kKeptBufferBytes)
        return;
    if (buffer.isDetached() && buffer.capacity() <= kKeptBufferBytes)
        setSize(buffer, 0);
    else
        buffer.clear();
}

// Drops the first n bytes. In memory that is kept (above), the rest moves to the front, so the
// memory stays whole for its next use; elsewhere QByteArray::remove, which only moves the start.
inline void dropFront(QByteArray &buffer, qsizetype n)
{
    const qsizetype rest = buffer.size() - n;
    if (rest <= 0) {
        emptyKeepingSmall(buffer);
    } else if (buffer.isDetached() && buffer.capacity() <= kKeptBufferBytes) {
        std::memmove(buffer.data(), buffer.constData() + n, size_t(rest));
        setSize(buffer, rest);
    } else {
        buffer.remove(0, n);
    }
}

// Appends `size` bytes: a size change within the buffer's memory and a memcpy, where
// QByteArray::append goes through Qt's generic insert (twice the instructions).
inline void appendBytes(QByteArray &buffer, const char *data, qsizetype size)
{
    const qsizetype old = buffer.size();
    setSize(buffer, old + size);
    std::memcpy(buffer.data() + old, data, size_t(size));
}

// A non-blocking TCP stream on an EventPoller (edge-triggered): what the proxy's hot path
// needs of QTcpSocket and no more. Reads land in a bounded buffer (reading stops at the
// bound until the owner takes data: backpressure); writes queue and go out on flush() or
// when the kernel has room again.
//
// With TLS (useTls before adopt or connectTo) the same holds over OpenSSL: an accepted
// connection hands its owner no byte before the handshake is done (then socketConnected says it
// is), and a connect reports socketConnected only after the handshake (a failed one is a
// socketClosed with tlsError()).
//
// The observer's calls may come from pollEvents() and also from read(), readAll() and
// flush() (an end of stream or an error found there); observers only note what happened
// and move their own state on, never delete the socket from inside a call.
class StreamSocket : public PollHandler, public ClientStream
{
public:
    // Lingering: everything was sent and our side shut down; what the peer still sends is
    // read and dropped until it closes, so it reads our last response instead of a reset.
    enum class State { Unconnected, Connecting, Connected, Lingering, Closed };

    class Observer
    {
    public:
        virtual void socketConnected(StreamSocket *) {}
        virtual void socketReadable(StreamSocket *) = 0;
        // Queued bytes went out after the kernel had been full.
        virtual void socketWritten(StreamSocket *) = 0;
        // The peer closed, the connection failed or broke, or a closeAfterFlush() completed.
        virtual void socketClosed(StreamSocket *) = 0;

    protected:
        ~Observer() = default;
    };

    StreamSocket(EventPoller *poller, Observer *observer, qsizetype readBufferSize);
    ~StreamSocket() override;
    StreamSocket(const StreamSocket &) = delete;
    StreamSocket &operator=(const StreamSocket &) = delete;

    // TLS on this stream: the server side of an accepted connection (call before adopt), or
    // the client side of a connect to `host` (before connectTo; each connect starts afresh).
    void useTls(std::shared_ptr<const TlsServerContext> context);
    void useTls(std::shared_ptr<const TlsClientContext> context, const QString &host);
    bool isTls() const { return m_tlsServer || m_tlsClient; }
    // Why the handshake or a TLS read/write failed ("certificate has expired"); empty if it did not.
    const QString &tlsError() const { return m_tlsError; }
    // The protocol ALPN chose ("http/1.1"), empty without TLS or ALPN.
    QByteArray tlsProtocol() const;
    bool tlsResumed() const;

    // An accepted connection. False (and the fd closed) if the poller refuses it, or TLS cannot start.
    bool adopt(int fd);
    // Starts a non-blocking connect; the outcome arrives as socketConnected or socketClosed
    // (from inside this call only when no socket can be made at all: out of descriptors).
    void connectTo(const SocketAddress &address);
    // A connect that cannot start (the address did not resolve): fails like a refused one.
    void failConnect(int error);

    State state() const { return m_state; }
    int error() const { return m_error; }
    // The peer's address, e.g. "192.0.2.7" (IPv4-mapped IPv6 shown as IPv4).
    QByteArray peerIp() const;

    qsizetype bytesAvailable() const override { return m_in.size(); }
    QByteArray read(qsizetype max) override;
    QByteArray readAll() override;
    void readInto(QByteArray &target, qsizetype max) override;

    void write(const QByteArray &data) override;
    void write(const char *data, qsizetype size) override;
    qsizetype bytesToWrite() const override { return m_out.size() - m_outPos; }
    // Sends what the kernel takes now, the rest when it has room. Inside a batch of epoll
    // events a small plain write waits for the batch's end (flushDeferred), so the peers it
    // wakes find more per wake-up; an abort() or the destructor still sends it.
    void flush() override;
    void flushDeferred() override;
    // Closes once every queued byte is out (at once if none is). With linger, it shuts down
    // our side instead and lingers (see State), closing when the peer closes or after 1 MiB
    // more from it; the owner bounds the time (no timer here).
    void closeAfterFlush(bool linger) override;
    // Closes now; queued bytes are dropped, and the observer hears nothing more.
    void abort() override;
    bool isClosed() const override { return m_state == State::Closed; }
    bool aborted() const { return m_aborted; }

    void pollEvents(std::uint32_t events) override;

private:
    static constexpr qsizetype kDeferredFlushLimit = 16 * 1024;
    void sendNow();
    void sendDeferred();
    void fill();
    // Reads on after the reader took bytes, if reading had stopped at the buffer's bound.
    void resumeReading();
    // One read or write of the stream (plain or TLS): > 0 bytes, 0 end of stream, -1 nothing now
    // (EAGAIN), -2 failed (*error set).
    ssize_t receive(char *buffer, size_t size, int *error);
    ssize_t send(const char *data, size_t size, int *error);
    // A plain read into two places, the first filled first (readv).
    ssize_t receiveTwo(char *first, size_t firstSize, char *second, size_t secondSize, int *error);
    bool startTls();
    // Moves a handshake on; false when it is not done yet or failed (then closed).
    bool handshake();
    void sendCloseNotify();
    void linger();
    void drainLingering();
    void closeFd();
    void fail(int error);

    EventPoller *const m_poller;
    Observer *const m_observer;
    const qsizetype m_readBufferSize;
    int m_fd = -1;
    State m_state = State::Unconnected;
    int m_error = 0;
    bool m_moreToRead = false;     // stopped reading at the buffer bound with data maybe left
    bool m_peerShutdown = false;   // EPOLLRDHUP seen: read on to the end of stream
    bool m_closeAfterFlush = false;
    bool m_flushDeferred = false;
    bool m_lingerAfterFlush = false;
    bool m_aborted = false;        // abort() was called: no more observer calls, ever
    qint64 m_lingerBytes = 0;
    QByteArray m_in;
    QByteArray m_out;
    qsizetype m_outPos = 0;

    std::shared_ptr<const TlsServerContext> m_tlsServer;
    std::shared_ptr<const TlsClientContext> m_tlsClient;
    QString m_tlsHost;
    SSL *m_ssl = nullptr;
    bool m_handshaking = false;
    bool m_readWantsWrite = false;     // an SSL_read needs the kernel's room to go on
    bool m_writeWantsRead = false;     // an SSL_write needs the peer's bytes to go on
    QString m_tlsError;
};

} // namespace fulcrum
