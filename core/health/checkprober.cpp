#include "checkprober.h"

#include "proxy/tls.h"

#include <QSocketNotifier>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace fulcrum {

namespace {

constexpr qsizetype kMaxResponseBytes = 64 * 1024;
constexpr int kEventsPerWait = 256;

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

quint64 eventData(int slot, quint32 generation)
{
    return (quint64(generation) << 32) | quint32(slot);
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// sendSome's and receiveSome's answer for a TLS call that returned n.
ssize_t tlsResult(int n, const TlsIoStatus &status, QString *error)
{
    const ssize_t bytes = tlsBytes(n, status);
    if (bytes == -2)
        *error = status.error;
    return bytes;
}

} // namespace

CheckProber::CheckProber(Completion completion, QObject *parent)
    : QObject(parent)
    , m_completion(std::move(completion))
    , m_epoll(::epoll_create1(EPOLL_CLOEXEC))
{
    if (m_epoll < 0)
        return;
    m_notifier = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &CheckProber::onEpollReadable);
}

CheckProber::~CheckProber()
{
    for (Probe &p : m_probes)
        closeProbe(p);
    delete m_notifier;
    if (m_epoll >= 0)
        ::close(m_epoll);
}

CheckProber::Probe &CheckProber::probe(int slot)
{
    if (size_t(slot) >= m_probes.size())
        m_probes.resize(size_t(slot) + 1);
    return m_probes[size_t(slot)];
}

bool CheckProber::isRunning(int slot) const
{
    return size_t(slot) < m_probes.size() && m_probes[size_t(slot)].phase != Phase::Idle;
}

void CheckProber::closeConnection(Probe &p)
{
    if (p.ssl) {
        SSL_free(p.ssl);
        p.ssl = nullptr;
        p.sslWantsWrite = false;
    }
    if (p.fd < 0)
        return;
    // Reset instead of FIN, as HAProxy does for checks: no TIME_WAIT pile-up on either
    // side at thousands of checks per second.
    const linger reset{1, 0};
    ::setsockopt(p.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(p.fd); // also leaves the epoll set
    p.fd = -1;
    p.watched = false;
}

void CheckProber::closeProbe(Probe &p, bool keepConnection)
{
    if (!keepConnection)
        closeConnection(p);
    if (p.phase != Phase::Idle)
        --m_running;
    p.phase = Phase::Idle;
    p.request = QByteArray();
    p.response = QByteArray();
    p.expect = nullptr;
}

bool CheckProber::watch(int slot, quint32 events)
{
    Probe &p = m_probes[size_t(slot)];
    epoll_event event{};
    event.events = events;
    event.data.u64 = eventData(slot, p.generation);
    if (::epoll_ctl(m_epoll, p.watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, p.fd, &event) != 0)
        return false;
    p.watched = true;
    return true;
}

void CheckProber::start(int slot, const CheckTarget &target, const QByteArray &request, const HttpExpectation *expect, bool keepAlive,
                        const CheckTls *tls)
{
    Probe &p = probe(slot);
    if (p.phase != Phase::Idle)
        closeProbe(p);
    ++p.generation;
    ++m_running;
    p.startNs = monotonicNs();
    p.sent = 0;
    p.request = request;
    p.expect = expect;
    p.keepAlive = keepAlive && !request.isEmpty();
    p.response.clear();
    // TLS only for HTTP checks: a tcp check is a connect, whatever the server speaks.
    const std::shared_ptr<const TlsClientContext> tlsContext = tls && !request.isEmpty() ? tls->context : nullptr;
    const bool sameTarget = p.target.addressLength == target.addressLength
        && std::memcmp(&p.target.address, &target.address, target.addressLength) == 0
        && p.tls == tlsContext;
    if (p.fd >= 0 && p.keepAlive && sameTarget) {
        // The connection the previous check left open.
        p.reused = true;
        p.phase = Phase::Sending;
        return sendRequest(slot);
    }
    closeConnection(p);
    p.target = target;
    p.tls = tlsContext;
    p.tlsHost = tlsContext ? tls->host : QString();
    connectFresh(slot);
}

void CheckProber::connectFresh(int slot)
{
    Probe &p = m_probes[size_t(slot)];
    p.reused = false;
    p.phase = Phase::Connecting;
    if (m_epoll < 0)
        return finish(slot, CheckReason::L4CON, 0, QStringLiteral("health checker could not create its epoll descriptor"));
    if (!p.target.valid())
        return finish(slot, CheckReason::L4CON, 0, QStringLiteral("address not resolved"));
    p.fd = ::socket(p.target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p.fd < 0) {
        const int error = errno;
        return finish(slot, CheckReason::L4CON, 0,
                      error == EMFILE || error == ENFILE
                          ? QStringLiteral("out of file descriptors on the checker (raise ulimit -n)")
                          : errnoText(error));
    }
    const int one = 1;
    ::setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(p.fd, reinterpret_cast<const sockaddr *>(&p.target.address), p.target.addressLength) == 0)
        return afterConnect(slot);
    if (errno != EINPROGRESS)
        return finish(slot, CheckReason::L4CON, 0, errnoText(errno));
    // On loopback and fast LANs the handshake is often done by now: asking saves a wake-up
    // and an epoll_ctl per check.
    int error = 0;
    socklen_t length = sizeof error;
    sockaddr_storage peer{};
    socklen_t peerLength = sizeof peer;
    if (::getpeername(p.fd, reinterpret_cast<sockaddr *>(&peer), &peerLength) == 0)
        return afterConnect(slot);
    if (::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error != 0)
        return finish(slot, CheckReason::L4CON, 0, errnoText(error));
    if (!watch(slot, EPOLLOUT))
        finish(slot, CheckReason::L4CON, 0, errnoText(errno));
}

bool CheckProber::retryFresh(int slot)
{
    // A kept-alive connection the server closed while idle (timeouts, restarts) says nothing
    // about the server's health: try once on a new connection, within the same check.
    Probe &p = m_probes[size_t(slot)];
    if (!p.reused || !p.response.isEmpty())
        return false;
    closeConnection(p);
    p.sent = 0;
    connectFresh(slot);
    return true;
}

void CheckProber::afterConnect(int slot)
{
    Probe &p = m_probes[size_t(slot)];
    if (p.request.isEmpty())
        return finish(slot, CheckReason::L4OK);
    if (p.tls) {
        ERR_clear_error();
        p.ssl = p.tls->newConnection(p.tlsHost);
        if (!p.ssl || SSL_set_fd(p.ssl, p.fd) != 1)
            return finish(slot, CheckReason::L6RSP, 0, QStringLiteral("TLS could not start: %1").arg(takeTlsError(p.ssl)));
        p.phase = Phase::Handshaking;
        return handshake(slot);
    }
    p.phase = Phase::Sending;
    sendRequest(slot);
}

void CheckProber::handshake(int slot)
{
    Probe &p = m_probes[size_t(slot)];
    ERR_clear_error();
    errno = 0;
    const int result = SSL_do_handshake(p.ssl);
    const TlsIoStatus status = tlsIoStatus(p.ssl, result, errno);
    switch (status.kind) {
    case TlsIoStatus::Done:
        p.sslWantsWrite = false;
        p.phase = Phase::Sending;
        return sendRequest(slot);
    case TlsIoStatus::WantRead:
    case TlsIoStatus::WantWrite:
        p.sslWantsWrite = status.kind == TlsIoStatus::WantWrite;
        if (!watch(slot, p.sslWantsWrite ? EPOLLOUT : EPOLLIN | EPOLLRDHUP))
            finish(slot, CheckReason::L6RSP, 0, errnoText(errno));
        return;
    case TlsIoStatus::Closed:
        return finish(slot, CheckReason::L6RSP, 0, QStringLiteral("TLS handshake failed: the server closed the connection"));
    case TlsIoStatus::Failed:
        return finish(slot, CheckReason::L6RSP, 0, QStringLiteral("TLS handshake failed: %1").arg(status.error));
    }
}

ssize_t CheckProber::sendSome(Probe &p, const char *data, size_t size, QString *error)
{
    if (!p.ssl) {
        const ssize_t n = ::send(p.fd, data, size, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return -1;
        *error = errnoText(errno);
        return -2;
    }
    ERR_clear_error();
    errno = 0;
    const int n = SSL_write(p.ssl, data, int(size));
    const ssize_t sent = tlsResult(n, tlsIoStatus(p.ssl, n, errno), error);
    if (sent == 0)
        *error = QStringLiteral("the server closed the connection");
    return sent == 0 ? -2 : sent;
}

ssize_t CheckProber::receiveSome(Probe &p, char *buffer, size_t size, QString *error)
{
    if (!p.ssl) {
        const ssize_t n = ::recv(p.fd, buffer, size, 0);
        if (n >= 0)
            return n;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return -1;
        *error = errnoText(errno);
        return -2;
    }
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(p.ssl, buffer, int(size));
    return tlsResult(n, tlsIoStatus(p.ssl, n, errno), error);
}

void CheckProber::sendRequest(int slot)
{
    Probe &p = m_probes[size_t(slot)];
    while (p.sent < p.request.size()) {
        QString error;
        const ssize_t n = sendSome(p, p.request.constData() + p.sent, size_t(p.request.size() - p.sent), &error);
        if (n == -1)
            break;
        if (n < 0) {
            if (retryFresh(slot))
                return;
            return finish(slot, CheckReason::L7RSP, 0, QStringLiteral("sending the request failed: %1").arg(error));
        }
        p.sent += n;
    }
    const bool done = p.sent == p.request.size();
    if (done)
        p.phase = Phase::Receiving;
    if (!watch(slot, done ? EPOLLIN | EPOLLRDHUP : EPOLLOUT))
        finish(slot, CheckReason::L7RSP, 0, errnoText(errno));
    else if (done && p.ssl && SSL_pending(p.ssl) > 0)
        receive(slot);   // the answer may already sit decrypted in OpenSSL's buffer: no event would come
}

void CheckProber::onEpollReadable()
{
    epoll_event events[kEventsPerWait];
    for (;;) {
        const int n = ::epoll_wait(m_epoll, events, kEventsPerWait, 0);
        if (n <= 0)
            return;
        for (int i = 0; i < n; ++i) {
            const int slot = int(quint32(events[i].data.u64));
            const quint32 generation = quint32(events[i].data.u64 >> 32);
            if (size_t(slot) >= m_probes.size() || m_probes[size_t(slot)].generation != generation)
                continue;
            Probe &p = m_probes[size_t(slot)];
            if (p.phase != Phase::Idle)
                handle(slot, events[i].events);
            else
                closeConnection(p); // the server closed (or wrote to) a kept-alive connection
        }
        if (n < kEventsPerWait)
            return;
    }
}

void CheckProber::handle(int slot, quint32 events)
{
    Probe &p = m_probes[size_t(slot)];
    switch (p.phase) {
    case Phase::Connecting: {
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0)
            return finish(slot, CheckReason::L4CON, 0, errnoText(error));
        if (events & (EPOLLERR | EPOLLHUP))
            return finish(slot, CheckReason::L4CON, 0, QStringLiteral("connection failed"));
        return afterConnect(slot);
    }
    case Phase::Handshaking:
        return handshake(slot);
    case Phase::Sending:
        if ((events & EPOLLERR) && retryFresh(slot))
            return;
        if (events & EPOLLERR)
            return finish(slot, CheckReason::L7RSP, 0, QStringLiteral("connection reset while sending the request"));
        return sendRequest(slot);
    case Phase::Receiving:
        return receive(slot);
    case Phase::Idle:
        return;
    }
}

void CheckProber::receive(int slot)
{
    Probe &p = m_probes[size_t(slot)];
    char buffer[4096];
    for (;;) {
        QString error;
        const ssize_t n = receiveSome(p, buffer, sizeof buffer, &error);
        if (n > 0) {
            p.response.append(buffer, n);
            if (evaluate(slot, false))
                return;
            continue;
        }
        if (n == 0) {
            if (!retryFresh(slot))
                evaluate(slot, true);
            return;
        }
        if (n == -1)
            return;
        if (retryFresh(slot))
            return;
        if (p.response.isEmpty())
            return finish(slot, CheckReason::L7RSP, 0, QStringLiteral("connection reset before an answer: %1").arg(error));
        evaluate(slot, true);
        return;
    }
}

bool CheckProber::evaluate(int slot, bool atEof)
{
    Probe &p = m_probes[size_t(slot)];
    const QByteArray &r = p.response;
    const qsizetype eol = r.indexOf('\n');
    if (eol < 0) {
        if (atEof) {
            finish(slot, CheckReason::L7RSP, 0, r.isEmpty() ? QStringLiteral("connection closed without an answer")
                                                            : QStringLiteral("answer cut short"));
            return true;
        }
        if (r.size() > kMaxResponseBytes) {
            finish(slot, CheckReason::L7RSP, 0, QStringLiteral("no HTTP status line"));
            return true;
        }
        return false;
    }
    // "HTTP/1.1 200 OK"
    const QByteArrayView line = QByteArrayView(r).first(eol);
    int status = 0;
    if (line.size() >= 12 && line.startsWith("HTTP/1.") && line[8] == ' ') {
        for (int i = 9; i < 12; ++i) {
            const char c = line[i];
            status = (c >= '0' && c <= '9') ? status * 10 + (c - '0') : -1000;
        }
    }
    if (status < 100 || status > 999) {
        finish(slot, CheckReason::L7RSP, 0, QStringLiteral("not an HTTP answer"));
        return true;
    }
    // On a kept-alive connection the whole answer must be read before the next check can
    // use it; it is usually in the same segment, or the next.
    const Framing frame = framing(r);
    if (p.keepAlive && frame == Framing::Incomplete && !atEof && r.size() <= kMaxResponseBytes)
        return false;
    bool expected = false;
    for (const auto &[low, high] : p.expect->statusRanges)
        expected = expected || (status >= low && status <= high);
    if (!expected) {
        finish(slot, CheckReason::L7STS, status);
        return true;
    }
    if (p.expect->bodyContains.isEmpty()) {
        finish(slot, CheckReason::L7OK, status);
        return true;
    }
    const qsizetype bodyStart = r.indexOf("\r\n\r\n");
    if (bodyStart >= 0 && r.indexOf(p.expect->bodyContains, bodyStart + 4) >= 0) {
        finish(slot, CheckReason::L7OK, status);
        return true;
    }
    if (atEof || r.size() > kMaxResponseBytes || frame == Framing::Complete || frame == Framing::CompleteReusable) {
        finish(slot, CheckReason::L7RSP, status,
               QStringLiteral("answer lacks \"%1\"").arg(QString::fromUtf8(p.expect->bodyContains)));
        return true;
    }
    return false;
}

void CheckProber::expire(int slot)
{
    if (!isRunning(slot))
        return;
    const Phase phase = m_probes[size_t(slot)].phase;
    if (phase == Phase::Connecting)
        finish(slot, CheckReason::L4TOUT);
    else if (phase == Phase::Handshaking)
        finish(slot, CheckReason::L6TOUT);
    else
        finish(slot, CheckReason::L7TOUT);
}

void CheckProber::cancel(int slot)
{
    if (size_t(slot) < m_probes.size())
        closeProbe(m_probes[size_t(slot)]);
}

void CheckProber::finish(int slot, CheckReason reason, int status, QString detail)
{
    Probe &p = m_probes[size_t(slot)];
    CheckResult result;
    result.reason = reason;
    result.httpStatus = status;
    result.durationUs = (monotonicNs() - p.startNs) / 1000;
    result.detail = std::move(detail);
    const bool keep = (reason == CheckReason::L7OK || reason == CheckReason::L7STS) && p.keepAlive
        && framing(p.response) == Framing::CompleteReusable;
    closeProbe(p, keep);
    // While idle, only a close (or stray bytes) from the server wakes us, to drop the socket.
    if (keep && !watch(slot, EPOLLIN | EPOLLRDHUP))
        closeConnection(p);
    m_completion(slot, result);
}

CheckProber::Framing CheckProber::framing(const QByteArray &response)
{
    const qsizetype headEnd = response.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return Framing::Incomplete;
    const QByteArrayView head = QByteArrayView(response).first(headEnd);
    qint64 length = -1;
    bool close = false;
    qsizetype lineStart = head.indexOf("\r\n");
    while (lineStart >= 0) {
        const qsizetype next = head.indexOf("\r\n", lineStart + 2);
        const QByteArrayView line = head.sliced(lineStart + 2, (next < 0 ? head.size() : next) - lineStart - 2);
        const qsizetype colon = line.indexOf(':');
        if (colon > 0) {
            const QByteArrayView name = line.first(colon);
            const QByteArray value = line.sliced(colon + 1).trimmed().toByteArray().toLower();
            if (name.compare("Content-Length", Qt::CaseInsensitive) == 0) {
                bool ok = false;
                length = value.toLongLong(&ok);
                if (!ok)
                    return Framing::Unknown;
            } else if (name.compare("Connection", Qt::CaseInsensitive) == 0 && value.contains("close")) {
                close = true;
            } else if (name.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0) {
                return Framing::Unknown;
            }
        }
        lineStart = next;
    }
    if (length < 0)
        return Framing::Unknown;
    const qint64 body = response.size() - (headEnd + 4);
    if (body < length)
        return Framing::Incomplete;
    // More than announced means a confused server: never reuse that connection.
    return body == length && !close ? Framing::CompleteReusable : Framing::Complete;
}

} // namespace fulcrum
