#include "checkprober.h"

#include <QSocketNotifier>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

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

void CheckProber::closeProbe(Probe &p)
{
    if (p.fd >= 0) {
        // Reset instead of FIN, as HAProxy does for checks: no TIME_WAIT pile-up on either
        // side at thousands of checks per second.
        const linger reset{1, 0};
        ::setsockopt(p.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        ::close(p.fd); // also leaves the epoll set
        p.fd = -1;
    }
    if (p.phase != Phase::Idle)
        --m_running;
    p.phase = Phase::Idle;
    p.watched = false;
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

void CheckProber::start(int slot, const CheckTarget &target, const QByteArray &request, const HttpExpectation *expect)
{
    Probe &p = probe(slot);
    if (p.phase != Phase::Idle)
        closeProbe(p);
    ++p.generation;
    p.phase = Phase::Connecting;
    ++m_running;
    p.startNs = monotonicNs();
    p.sent = 0;
    p.request = request;
    p.expect = expect;
    p.response.clear();
    if (m_epoll < 0)
        return finish(slot, CheckReason::L4CON, 0, QStringLiteral("health checker could not create its epoll descriptor"));
    if (!target.valid())
        return finish(slot, CheckReason::L4CON, 0, QStringLiteral("address not resolved"));
    p.fd = ::socket(target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p.fd < 0) {
        const int error = errno;
        return finish(slot, CheckReason::L4CON, 0,
                      error == EMFILE || error == ENFILE
                          ? QStringLiteral("out of file descriptors on the checker (raise ulimit -n)")
                          : errnoText(error));
    }
    const int one = 1;
    ::setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(p.fd, reinterpret_cast<const sockaddr *>(&target.address), target.addressLength) == 0)
        return afterConnect(slot);
    if (errno != EINPROGRESS)
        return finish(slot, CheckReason::L4CON, 0, errnoText(errno));
    if (!watch(slot, EPOLLOUT))
        finish(slot, CheckReason::L4CON, 0, errnoText(errno));
}

void CheckProber::afterConnect(int slot)
{
    Probe &p = m_probes[size_t(slot)];
    if (p.request.isEmpty())
        return finish(slot, CheckReason::L4OK);
    p.phase = Phase::Sending;
    sendRequest(slot);
}

void CheckProber::sendRequest(int slot)
{
    Probe &p = m_probes[size_t(slot)];
    while (p.sent < p.request.size()) {
        const ssize_t n = ::send(p.fd, p.request.constData() + p.sent, size_t(p.request.size() - p.sent), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return finish(slot, CheckReason::L7RSP, 0, QStringLiteral("sending the request failed: %1").arg(errnoText(errno)));
        }
        p.sent += n;
    }
    const bool done = p.sent == p.request.size();
    if (done)
        p.phase = Phase::Receiving;
    if (!watch(slot, done ? EPOLLIN | EPOLLRDHUP : EPOLLOUT))
        finish(slot, CheckReason::L7RSP, 0, errnoText(errno));
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
            if (size_t(slot) < m_probes.size() && m_probes[size_t(slot)].generation == generation
                && m_probes[size_t(slot)].phase != Phase::Idle)
                handle(slot, events[i].events);
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
    case Phase::Sending:
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
        const ssize_t n = ::recv(p.fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            p.response.append(buffer, n);
            if (evaluate(slot, false))
                return;
            continue;
        }
        if (n == 0) {
            evaluate(slot, true);
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno == EINTR)
            continue;
        if (p.response.isEmpty())
            return finish(slot, CheckReason::L7RSP, 0, QStringLiteral("connection reset before an answer: %1").arg(errnoText(errno)));
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
    if (atEof || r.size() > kMaxResponseBytes) {
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
    else
        finish(slot, CheckReason::L7TOUT);
}

void CheckProber::cancel(int slot)
{
    if (isRunning(slot))
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
    closeProbe(p);
    m_completion(slot, result);
}

} // namespace fulcrum
