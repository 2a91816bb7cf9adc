#include "streamsocket.h"

#include "proxy/tls.h"

#include <QHostAddress>

#include <cerrno>
#include <csignal>
#include <mutex>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fulcrum {

namespace {
constexpr std::uint32_t kStreamEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

void setNoDelay(int fd)
{
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
} // namespace

StreamSocket::StreamSocket(EventPoller *poller, Observer *observer, qsizetype readBufferSize)
    : m_poller(poller)
    , m_observer(observer)
    , m_readBufferSize(readBufferSize)
{
}

StreamSocket::~StreamSocket()
{
    sendDeferred();
    closeFd();
}

void StreamSocket::useTls(std::shared_ptr<const TlsServerContext> context)
{
    m_tlsServer = std::move(context);
}

void StreamSocket::useTls(std::shared_ptr<const TlsClientContext> context, const QString &host)
{
    m_tlsClient = std::move(context);
    m_tlsHost = host;
}

QByteArray StreamSocket::tlsProtocol() const
{
    const unsigned char *protocol = nullptr;
    unsigned int length = 0;
    if (m_ssl)
        SSL_get0_alpn_selected(m_ssl, &protocol, &length);
    return protocol ? QByteArray(reinterpret_cast<const char *>(protocol), length) : QByteArray();
}

bool StreamSocket::tlsResumed() const
{
    return m_ssl && SSL_session_reused(m_ssl) == 1;
}

bool StreamSocket::adopt(int fd)
{
    m_fd = fd;
    setNoDelay(fd);
    // Registering reports data that arrived before, so nothing sent early is missed.
    if (!m_poller->add(fd, kStreamEvents, this)) {
        ::close(fd);
        m_fd = -1;
        m_state = State::Closed;
        return false;
    }
    m_state = State::Connected;
    return !m_tlsServer || startTls();
}

bool StreamSocket::startTls()
{
    // OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a peer gone mid-write must not
    // kill the process (fulcrumd ignores SIGPIPE already; a test or another host may not).
    static std::once_flag ignorePipe;
    std::call_once(ignorePipe, [] { ::signal(SIGPIPE, SIG_IGN); });
    ERR_clear_error();
    m_ssl = m_tlsServer ? m_tlsServer->newConnection() : m_tlsClient->newConnection(m_tlsHost);
    if (!m_ssl || SSL_set_fd(m_ssl, m_fd) != 1) {
        m_tlsError = takeTlsError(m_ssl);
        m_error = ENOMEM;
        closeFd();
        m_state = State::Closed;
        return false;
    }
    m_handshaking = true;
    return true;
}

bool StreamSocket::handshake()
{
    ERR_clear_error();
    errno = 0;
    const int result = SSL_do_handshake(m_ssl);
    const int savedErrno = errno;
    const bool plainHttp = ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST;
    const TlsIoStatus status = tlsIoStatus(m_ssl, result, savedErrno);
    if (status.kind == TlsIoStatus::Done) {
        m_handshaking = false;
        return true;
    }
    if (status.kind == TlsIoStatus::WantRead || status.kind == TlsIoStatus::WantWrite)
        return false;
    if (plainHttp && m_tlsServer) {
        // curl http://host:443/ at 3 a.m.: say so in plain HTTP, as nginx does.
        static const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 64\r\nConnection: close\r\n\r\n"
                                     "This port speaks HTTPS: use https:// for this address, not http\n";
        static_assert(sizeof("This port speaks HTTPS: use https:// for this address, not http\n") - 1 == 64);
        [[maybe_unused]] const ssize_t sent = ::send(m_fd, answer, sizeof(answer) - 1, MSG_NOSIGNAL);
        m_tlsError = QStringLiteral("a plain HTTP request came to a TLS listener");
    } else {
        m_tlsError = status.kind == TlsIoStatus::Closed ? QStringLiteral("the peer closed the connection during the TLS handshake") : status.error;
    }
    fail(status.kind == TlsIoStatus::Failed ? status.systemError : ECONNRESET);
    return false;
}

namespace {

// The plain reads and sends of the hot path go to the kernel through syscall(): glibc's
// wrappers make each of them a thread-cancellation point, two calls more per system call
// (__pthread_enable/disable_asynccancel, 2 % of a worker's user-space instructions), and no
// thread of fulcrumd is ever cancelled. Same arguments, same errno; each passed as a long, the
// width syscall() reads every argument at.
ssize_t sysRead(int fd, void *buffer, size_t size)
{
    return ssize_t(::syscall(SYS_read, long(fd), buffer, size));
}

ssize_t sysReadv(int fd, const iovec *parts, int count)
{
    return ssize_t(::syscall(SYS_readv, long(fd), parts, long(count)));
}

ssize_t sysSend(int fd, const void *data, size_t size)
{
    return ssize_t(::syscall(SYS_sendto, long(fd), data, size, long(MSG_NOSIGNAL), static_cast<const void *>(nullptr), 0L));
}

// A plain read or send as receive() and send() report it: >= 0 bytes, -1 nothing now (EAGAIN),
// -2 failed (*error set); interrupted calls are made again.
template<typename Call>
ssize_t plainCall(Call &&call, int *error)
{
    for (;;) {
        const ssize_t n = call();
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return -1;
        *error = errno;
        return -2;
    }
}

} // namespace

ssize_t StreamSocket::receiveTwo(char *first, size_t firstSize, char *second, size_t secondSize, int *error)
{
    iovec parts[2] = {{first, firstSize}, {second, secondSize}};
    return plainCall([&] { return sysReadv(m_fd, parts, secondSize > 0 ? 2 : 1); }, error);
}

ssize_t StreamSocket::receive(char *buffer, size_t size, int *error)
{
    if (!m_ssl)
        return plainCall([&] { return sysRead(m_fd, buffer, size); }, error);
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(m_ssl, buffer, int(qMin<size_t>(size, INT_MAX)));
    const TlsIoStatus status = tlsIoStatus(m_ssl, n, errno);
    m_readWantsWrite = status.kind == TlsIoStatus::WantWrite;
    const ssize_t bytes = tlsBytes(n, status);
    if (bytes == -2) {
        m_tlsError = status.error;
        *error = status.systemError;
    }
    return bytes;
}

ssize_t StreamSocket::send(const char *data, size_t size, int *error)
{
    if (!m_ssl) {
        const ssize_t n = plainCall([&] { return sysSend(m_fd, data, size); }, error);
        if (n != 0)
            return n;
        *error = EPIPE;   // nothing taken: the stream is no longer writable
        return -2;
    }
    ERR_clear_error();
    errno = 0;
    const int n = SSL_write(m_ssl, data, int(qMin<size_t>(size, INT_MAX)));
    const TlsIoStatus status = tlsIoStatus(m_ssl, n, errno);
    m_writeWantsRead = status.kind == TlsIoStatus::WantRead;
    const ssize_t bytes = tlsBytes(n, status);
    if (bytes > 0 || bytes == -1)
        return bytes;
    m_tlsError = status.error;   // a write after the peer's close_notify is a broken pipe
    *error = status.kind == TlsIoStatus::Failed ? status.systemError : EPIPE;
    return -2;
}

void StreamSocket::connectTo(const SocketAddress &address)
{
    if (m_aborted)
        return;
    m_state = State::Connecting;
    m_error = 0;
    m_fd = ::socket(address.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        fail(errno);   // out of descriptors: no event would ever come for this one
        return;
    }
    setNoDelay(m_fd);
    if (::connect(m_fd, reinterpret_cast<const sockaddr *>(&address.address), address.addressLength) != 0 && errno != EINPROGRESS)
        m_error = errno;
    // Added after connect(): a connect that already failed is reported (EPOLLHUP) at once.
    if (!m_poller->add(m_fd, kStreamEvents, this))
        fail(errno);
}

void StreamSocket::failConnect(int error)
{
    m_state = State::Connecting;
    fail(error);
}

QByteArray StreamSocket::peerIp() const
{
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    if (m_fd < 0 || ::getpeername(m_fd, reinterpret_cast<sockaddr *>(&storage), &length) != 0)
        return QByteArrayLiteral("unknown");
    QHostAddress peer(reinterpret_cast<const sockaddr *>(&storage));
    bool mapped = false;
    const quint32 v4 = peer.toIPv4Address(&mapped);
    if (mapped)
        peer = QHostAddress(v4);
    return peer.toString().toLatin1();
}

void StreamSocket::resumeReading()
{
    if (m_moreToRead && m_in.size() < m_readBufferSize && m_state == State::Connected)
        fill();
}

QByteArray StreamSocket::read(qsizetype max)
{
    QByteArray out = takeFront(m_in, max);
    resumeReading();
    return out;
}

QByteArray StreamSocket::readAll()
{
    return read(m_in.size());
}

void StreamSocket::readInto(QByteArray &target, qsizetype max)
{
    if (!target.isEmpty() || m_in.size() > max) {
        target += read(max);
        return;
    }
    target.swap(m_in);   // the bytes move; the reader's spare memory comes back for the next read
    emptyKeepingSmall(m_in);
    resumeReading();
}

void StreamSocket::write(const QByteArray &data)
{
    if (m_state == State::Closed || m_state == State::Lingering || data.isEmpty())
        return;
    if (m_outPos == m_out.size() && data.size() > m_out.capacity()) {
        m_out = data;   // shared, not copied: most writes go out whole on the next flush()
        m_outPos = 0;
        return;
    }
    write(data.constData(), data.size());   // into the memory m_out keeps
}

void StreamSocket::write(const char *data, qsizetype size)
{
    if (m_state == State::Closed || m_state == State::Lingering || size <= 0)
        return;
    if (m_outPos == m_out.size()) {
        emptyKeepingSmall(m_out);
        m_outPos = 0;
    } else if (m_outPos > 64 * 1024) {
        m_out.remove(0, m_outPos);
        m_outPos = 0;
    }
    appendBytes(m_out, data, size);
}

void StreamSocket::flush()
{
    if (m_state != State::Connected || m_handshaking)
        return;
    // Inside a batch of epoll events, small plain writes go out when the batch has been
    // handled: the peers woken by our sends then find more to read per wake-up and take the
    // core from us less often (measured: -2..4 % CPU per request for fulcrumd, its backends
    // and wrk alike). Large writes (bodies) go at once, so the high-water marks of
    // backpressure see what the kernel really holds.
    if (!m_ssl && !m_closeAfterFlush && m_poller->dispatching()
        && m_out.size() - m_outPos <= kDeferredFlushLimit) {
        if (!m_flushDeferred) {
            m_flushDeferred = true;
            m_poller->deferFlush(this);
        }
        return;
    }
    sendNow();
}

void StreamSocket::sendDeferred()
{
    // Best effort and silent: the socket is going away, so no observer is called from here.
    if (!m_flushDeferred)
        return;
    m_flushDeferred = false;
    m_poller->cancelFlush(this);
    if (m_state == State::Connected && m_fd >= 0 && m_outPos < m_out.size())
        ::send(m_fd, m_out.constData() + m_outPos, size_t(m_out.size() - m_outPos), MSG_NOSIGNAL);
}

void StreamSocket::flushDeferred()
{
    m_flushDeferred = false;
    if (m_state != State::Connected || m_handshaking)
        return;
    sendNow();
}

void StreamSocket::sendNow()
{
    while (m_outPos < m_out.size()) {
        const qsizetype left = m_out.size() - m_outPos;
        int error = 0;
        const ssize_t n = send(m_out.constData() + m_outPos, size_t(left), &error);
        if (n > 0) {
            m_outPos += n;
            if (n < left && !m_ssl)
                return;   // the kernel is full: EPOLLOUT (edge) says when it has room
            continue;
        }
        if (n == -1)
            return;
        fail(error);
        return;
    }
    emptyKeepingSmall(m_out);
    m_outPos = 0;
    if (!m_closeAfterFlush)
        return;
    if (m_lingerAfterFlush) {
        linger();
        return;
    }
    sendCloseNotify();
    closeFd();
    m_state = State::Closed;
    m_observer->socketClosed(this);
}

void StreamSocket::closeAfterFlush(bool linger)
{
    if (m_state == State::Closed || m_state == State::Lingering)
        return;
    if (m_state != State::Connected || (!linger && bytesToWrite() == 0)) {
        if (m_state == State::Connected)
            sendCloseNotify();
        closeFd();
        m_state = State::Closed;
        return;
    }
    m_closeAfterFlush = true;
    m_lingerAfterFlush = linger;
    flush();
}

void StreamSocket::linger()
{
    // Closing with unread bytes would send a reset, which can destroy the response still in
    // flight (a 413 to a client in the middle of its upload, say): nginx's lingering close.
    m_closeAfterFlush = false;
    m_in.clear();
    m_moreToRead = false;
    sendCloseNotify();
    ::shutdown(m_fd, SHUT_WR);
    m_state = State::Lingering;
    drainLingering();
}

void StreamSocket::drainLingering()
{
    constexpr qint64 kLingerLimit = 1024 * 1024;
    char *scratch = m_poller->scratch();
    for (;;) {
        const ssize_t n = ::read(m_fd, scratch, EventPoller::kScratchSize);
        if (n > 0) {
            m_lingerBytes += n;
            if (m_lingerBytes <= kLingerLimit)
                continue;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        // The peer closed, broke off, or keeps sending: done.
        closeFd();
        m_state = State::Closed;
        m_observer->socketClosed(this);
        return;
    }
}

void StreamSocket::abort()
{
    sendDeferred();   // what was flushed before the abort goes out, as it did before deferral
    m_aborted = true;
    closeFd();
    m_state = State::Closed;
    m_out.clear();
    m_outPos = 0;
}

void StreamSocket::sendCloseNotify()
{
    // Best effort, never waited for: a TLS peer reads the end as an end, not a truncation.
    if (m_ssl && !m_handshaking && m_fd >= 0) {
        ERR_clear_error();
        SSL_shutdown(m_ssl);
        ERR_clear_error();
    }
}

void StreamSocket::closeFd()
{
    if (m_ssl) {
        SSL_free(m_ssl);
        m_ssl = nullptr;
        m_handshaking = false;
        m_readWantsWrite = m_writeWantsRead = false;
    }
    if (m_fd < 0)
        return;
    m_poller->remove(m_fd);
    ::close(m_fd);
    m_fd = -1;
}

void StreamSocket::fail(int error)
{
    // Queued bytes stay: a failed connect may be tried again at another address.
    m_error = error;
    closeFd();
    m_state = State::Closed;
    m_observer->socketClosed(this);
}

void StreamSocket::fill()
{
    if (m_handshaking)
        return;
    bool got = false;
    m_moreToRead = false;
    char *scratch = m_poller->scratch();
    while (m_state == State::Connected) {
        const qsizetype room = m_readBufferSize - m_in.size();
        if (room <= 0) {
            m_moreToRead = true;
            break;
        }
        const qsizetype want = qMin<qsizetype>(room, EventPoller::kScratchSize);
        int error = 0;
        ssize_t n;
        if (!m_ssl && m_in.isEmpty() && m_in.isDetached() && m_in.capacity() > 0) {
            // Into the memory the buffer kept (see readInto), the rest into the scratch: one
            // readv, and a small read needs no allocation and no copy.
            const qsizetype own = qMin(m_in.capacity(), want);
            setSize(m_in, own);
            n = receiveTwo(m_in.data(), size_t(own), scratch, size_t(want - own), &error);
            setSize(m_in, n <= 0 ? 0 : qMin<qsizetype>(n, own));
            if (n > own)
                appendBytes(m_in, scratch, n - own);
        } else {
            n = receive(scratch, size_t(want), &error);
            // Into an empty buffer (the reader took the last one whole), a buffer of exactly the
            // bytes read: append() would go through Qt's growth path, twice the instructions.
            if (n > 0 && m_in.isEmpty())
                m_in = QByteArray(scratch, n);
            else if (n > 0)
                appendBytes(m_in, scratch, n);
        }
        if (n > 0) {
            got = true;
            // A short read emptied the socket: the next arrival is a new edge. Only after a
            // peer shutdown is the end of stream read for, since its edge may be spent. (TLS
            // reads a record at a time, so only its "nothing now" says the socket is empty.)
            if (n < want && !m_peerShutdown && !m_ssl)
                break;
            continue;
        }
        if (n == 0) {
            closeFd();
            m_state = State::Closed;
            if (got)
                m_observer->socketReadable(this);
            if (!m_aborted)   // the owner may have dropped the socket on seeing the data
                m_observer->socketClosed(this);
            return;
        }
        if (n == -1)
            break;
        if (got)
            m_observer->socketReadable(this);
        if (!m_aborted)
            fail(error);
        return;
    }
    if (got)
        m_observer->socketReadable(this);
}

void StreamSocket::pollEvents(std::uint32_t events)
{
    if (m_state == State::Closed || m_fd < 0)
        return;   // closed earlier in this batch
    if (m_state == State::Lingering) {
        drainLingering();
        return;
    }
    if (m_state == State::Connecting) {
        int error = 0;
        socklen_t length = sizeof(error);
        if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
            error = errno;
        if (error == 0 && (events & (EPOLLERR | EPOLLHUP)))
            error = m_error != 0 ? m_error : ECONNREFUSED;
        if (error != 0) {
            fail(error);
            return;
        }
        if (!(events & EPOLLOUT))
            return;
        m_state = State::Connected;
        if (m_tlsClient) {
            if (!startTls()) {
                m_observer->socketClosed(this);
                return;
            }
        } else {
            m_observer->socketConnected(this);
            if (m_state != State::Connected)
                return;
            flush();
        }
    }
    if (events & EPOLLRDHUP)
        m_peerShutdown = true;
    if (m_handshaking) {
        if (!handshake())
            return;
        m_observer->socketConnected(this);   // a client's connect, or an accepted client's handshake
        if (m_state != State::Connected)
            return;
        // The edge that finished the handshake may have brought data too, and what was
        // queued meanwhile can go now.
        flush();
        if (m_state != State::Connected)
            return;
        events |= EPOLLIN;
    }
    const bool tlsReadMayGo = m_readWantsWrite && (events & EPOLLOUT);
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) || tlsReadMayGo) {
        fill();
        if (m_state != State::Connected)
            return;
        if (events & EPOLLERR) {
            int error = 0;
            socklen_t length = sizeof(error);
            ::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length);
            fail(error != 0 ? error : ECONNRESET);
            return;
        }
    }
    const bool tlsWriteMayGo = m_writeWantsRead && (events & EPOLLIN);
    if (((events & EPOLLOUT) || tlsWriteMayGo) && bytesToWrite() > 0) {
        const qsizetype before = bytesToWrite();
        if (m_state == State::Connected && !m_handshaking)
            sendNow();   // not deferred: the observer hears below whether room was made
        if (m_state == State::Connected && bytesToWrite() < before)
            m_observer->socketWritten(this);
    }
}

} // namespace fulcrum
