#include "democonnection.h"

#include "proxy/httpparser.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <cstring>

namespace fulcrum {

namespace {

constexpr qsizetype kMaxHeadBytes = 16 * 1024;
constexpr qsizetype kMaxChunkLineBytes = 1024;
constexpr qsizetype kMaxTrailerBytes = 16 * 1024;
constexpr qint64 kReadBufferBytes = 256 * 1024;
constexpr qint64 kWriteHighWater = 256 * 1024;
constexpr qint64 kMaxStreamBytes = qint64(1) << 44; // 16 TiB: any sane test, no overflow

// One block of the /bytes pattern, a whole number of 26-letter periods long, so blocks can
// be written back to back and byte i is still demoStreamByte(i).
const QByteArray &streamBlock()
{
    static const QByteArray block = [] {
        QByteArray b(26 * 2048, Qt::Uninitialized);
        for (qsizetype i = 0; i < b.size(); ++i)
            b[i] = demoStreamByte(i);
        return b;
    }();
    return block;
}

bool parseDecimal(QByteArrayView text, qint64 *value)
{
    if (text.isEmpty() || text.size() > 18)
        return false;
    qint64 v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *value = v;
    return true;
}

bool parseHex(QByteArrayView text, qint64 *value)
{
    if (text.isEmpty() || text.size() > 15)
        return false;
    qint64 v = 0;
    for (char c : text) {
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return false;
        v = v * 16 + digit;
    }
    *value = v;
    return true;
}

bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

} // namespace

DemoWorker::DemoWorker(std::shared_ptr<DemoBackendState> state, QObject *parent)
    : QObject(parent)
    , m_state(std::move(state))
    , m_random(QRandomGenerator::global()->generate64())
{
}

void DemoWorker::adopt(qintptr descriptor)
{
    new DemoConnection(this, descriptor);
}

DemoConnection::DemoConnection(DemoWorker *worker, qintptr descriptor)
    : QObject(worker)
    , m_worker(worker)
    , m_socket(new QTcpSocket(this))
    , m_delay(new QTimer(this))
{
    m_delay->setSingleShot(true);
    m_delay->setTimerType(Qt::PreciseTimer);
    connect(m_delay, &QTimer::timeout, this, &DemoConnection::answer);
    if (!m_socket->setSocketDescriptor(descriptor)) {
        deleteLater();
        return;
    }
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // Bounded reads: a client that sends while we wait is held back by TCP, not by RAM.
    m_socket->setReadBufferSize(kReadBufferBytes);
    m_worker->state().connections.fetch_add(1, std::memory_order_relaxed);
    connect(m_socket, &QTcpSocket::readyRead, this, &DemoConnection::process);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_phase == Phase::Streaming)
            pump();
    });
    connect(m_socket, &QTcpSocket::disconnected, this, &QObject::deleteLater);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this] {
        if (m_socket->state() == QAbstractSocket::UnconnectedState)
            deleteLater();
    });
    process();
}

void DemoConnection::process()
{
    for (;;) {
        if (m_phase == Phase::Waiting || m_phase == Phase::Streaming || m_phase == Phase::Hung || m_phase == Phase::Closing)
            return;
        if (m_pos >= m_in.size()) {
            m_in.clear();
            m_pos = 0;
        } else if (m_pos > 64 * 1024) {
            m_in.remove(0, m_pos);
            m_pos = 0;
        }
        if (m_socket->bytesAvailable() > 0)
            m_in.append(m_socket->readAll());
        const qint64 available = m_in.size() - m_pos;
        if (available == 0)
            return;

        switch (m_phase) {
        case Phase::Head: {
            const qsizetype end = m_in.indexOf("\r\n\r\n", m_pos);
            if (end < 0) {
                if (available > kMaxHeadBytes)
                    return reject(431, "request head is larger than 16 KiB");
                return;
            }
            if (end - m_pos > kMaxHeadBytes)
                return reject(431, "request head is larger than 16 KiB");
            const QByteArrayView head(m_in.constData() + m_pos, end - m_pos);
            m_pos = end + 4;
            if (!parseHead(head))
                return;
            break;
        }
        case Phase::Body:
        case Phase::ChunkData:
            consumeBody(available);
            break;
        case Phase::ChunkSize: {
            const qsizetype eol = m_in.indexOf('\n', m_pos);
            if (eol < 0) {
                if (available > kMaxChunkLineBytes)
                    return reject(400, "chunk size line is longer than 1 KiB");
                return;
            }
            QByteArrayView line(m_in.constData() + m_pos, eol - m_pos);
            m_pos = eol + 1;
            if (line.endsWith('\r'))
                line.chop(1);
            const qsizetype semicolon = line.indexOf(';');
            if (semicolon >= 0)
                line = line.first(semicolon);
            qint64 size = 0;
            if (!parseHex(line.trimmed(), &size))
                return reject(400, "chunk size is not a hexadecimal number");
            if (size == 0) {
                m_phase = Phase::Trailers;
                m_trailerBytes = 0;
            } else {
                m_bodyRemaining = size;
                m_phase = Phase::ChunkData;
            }
            break;
        }
        case Phase::ChunkDataEnd: {
            if (available < 2)
                return;
            if (m_in.at(m_pos) != '\r' || m_in.at(m_pos + 1) != '\n')
                return reject(400, "chunk data is not followed by CRLF");
            m_pos += 2;
            m_phase = Phase::ChunkSize;
            break;
        }
        case Phase::Trailers: {
            const qsizetype eol = m_in.indexOf('\n', m_pos);
            if (eol < 0) {
                if (m_trailerBytes + available > kMaxTrailerBytes)
                    return reject(400, "chunked trailers are larger than 16 KiB");
                return;
            }
            const qsizetype length = eol - m_pos;
            m_trailerBytes += length + 1;
            m_pos = eol + 1;
            if (length == 0 || (length == 1 && m_in.at(eol - 1) == '\r'))
                dispatch();
            else if (m_trailerBytes > kMaxTrailerBytes)
                return reject(400, "chunked trailers are larger than 16 KiB");
            break;
        }
        case Phase::Waiting:
        case Phase::Streaming:
        case Phase::Hung:
        case Phase::Closing:
            return;
        }
    }
}

bool DemoConnection::parseHead(QByteArrayView head)
{
    qsizetype lineEnd = head.indexOf("\r\n");
    const QByteArrayView requestLine = lineEnd < 0 ? head : head.first(lineEnd);
    const qsizetype firstSpace = requestLine.indexOf(' ');
    const qsizetype lastSpace = requestLine.lastIndexOf(' ');
    if (firstSpace <= 0 || lastSpace <= firstSpace + 1) {
        reject(400, "request line must be METHOD TARGET HTTP/1.x");
        return false;
    }
    const QByteArrayView method = requestLine.first(firstSpace);
    for (char c : method) {
        if (!isTokenChar(c)) {
            reject(400, "request method has characters HTTP does not allow");
            return false;
        }
    }
    QByteArrayView target = requestLine.sliced(firstSpace + 1, lastSpace - firstSpace - 1);
    const QByteArrayView version = requestLine.sliced(lastSpace + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        if (version.startsWith("HTTP/"))
            reject(505, "only HTTP/1.0 and HTTP/1.1 are served");
        else
            reject(400, "request line must end with HTTP/1.0 or HTTP/1.1");
        return false;
    }
    if (target.startsWith("http://") || target.startsWith("https://")) {
        const qsizetype authority = target.indexOf("//") + 2;
        const qsizetype slash = target.indexOf('/', authority);
        target = slash < 0 ? QByteArrayView("/") : target.sliced(slash);
    }
    if (!target.startsWith('/') && target != "*") {
        reject(400, "request target must start with '/'");
        return false;
    }
    const qsizetype question = target.indexOf('?');
    m_method = method.toByteArray();
    m_path = (question < 0 ? target : target.first(question)).toByteArray();
    m_query = question < 0 ? QByteArray() : target.sliced(question + 1).toByteArray();
    m_keepAlive = version == "HTTP/1.1";

    qint64 contentLength = -1;
    bool chunked = false;
    bool expectContinue = false;
    while (lineEnd >= 0) {
        const qsizetype start = lineEnd + 2;
        lineEnd = head.indexOf("\r\n", start);
        const QByteArrayView line = head.sliced(start, (lineEnd < 0 ? head.size() : lineEnd) - start);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            reject(400, "header line without a name and ':'");
            return false;
        }
        const QByteArrayView name = line.first(colon);
        for (char c : name) {
            if (!isTokenChar(c)) {
                reject(400, "header name has characters HTTP does not allow (no spaces before ':')");
                return false;
            }
        }
        const QByteArray value = line.sliced(colon + 1).trimmed().toByteArray().toLower();
        if (name.compare("Content-Length", Qt::CaseInsensitive) == 0) {
            qint64 length = 0;
            if (!parseDecimal(value, &length) || (contentLength >= 0 && length != contentLength)) {
                reject(400, "Content-Length must be one non-negative decimal number");
                return false;
            }
            contentLength = length;
        } else if (name.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0) {
            if (!value.endsWith("chunked")) {
                reject(501, "only the chunked transfer coding is understood");
                return false;
            }
            chunked = true;
        } else if (name.compare("Connection", Qt::CaseInsensitive) == 0) {
            if (value.contains("close"))
                m_keepAlive = false;
            else if (value.contains("keep-alive"))
                m_keepAlive = true;
        } else if (name.compare("Expect", Qt::CaseInsensitive) == 0) {
            expectContinue = value == "100-continue";
        }
    }
    if (chunked && contentLength >= 0) {
        // RFC 9112 6.1: both at once is how requests are smuggled; refuse rather than guess.
        reject(400, "request has both Content-Length and Transfer-Encoding");
        return false;
    }

    ++m_requestsOnConnection;
    m_bodyBytes = 0;
    m_bodyCrc = 0;
    m_bodyRemaining = 0;
    const bool hasBody = chunked || contentLength > 0;
    if (expectContinue && hasBody)
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    if (chunked) {
        m_phase = Phase::ChunkSize;
    } else if (contentLength > 0) {
        m_bodyRemaining = contentLength;
        m_phase = Phase::Body;
    } else {
        dispatch();
    }
    return true;
}

void DemoConnection::consumeBody(qint64 available)
{
    const qint64 n = std::min(available, m_bodyRemaining);
    m_bodyCrc = crc32Update(m_bodyCrc, QByteArrayView(m_in.constData() + m_pos, n));
    m_bodyBytes += n;
    m_bodyRemaining -= n;
    m_pos += n;
    m_worker->state().bodyBytes.fetch_add(quint64(n), std::memory_order_relaxed);
    if (m_bodyRemaining > 0)
        return;
    if (m_phase == Phase::ChunkData)
        m_phase = Phase::ChunkDataEnd;
    else
        dispatch();
}

void DemoConnection::dispatch()
{
    DemoBackendState &state = m_worker->state();
    state.requests.fetch_add(1, std::memory_order_relaxed);
    m_phase = Phase::Waiting;
    if (m_path == "/_control")
        return answerControl();
    if (m_path == "/health") {
        state.healthRequests.fetch_add(1, std::memory_order_relaxed);
        const auto mode = DemoHealthMode(state.health.load(std::memory_order_relaxed));
        if (mode == DemoHealthMode::Hang) {
            m_phase = Phase::Hung;
            return;
        }
        if (mode == DemoHealthMode::Close) {
            m_phase = Phase::Closing;
            m_socket->abort();
            deleteLater();
            return;
        }
    }
    const qint64 latency = state.latencyMs.load(std::memory_order_relaxed);
    const qint64 jitter = state.jitterMs.load(std::memory_order_relaxed);
    qint64 delay = latency;
    if (jitter > 0)
        delay += qint64(m_worker->random().below(quint32(std::min<qint64>(2 * jitter + 1, 1 << 30)))) - jitter;
    if (delay > 0)
        m_delay->start(int(std::min<qint64>(delay, 24LL * 3600 * 1000)));
    else
        answer();
}

void DemoConnection::answer()
{
    DemoBackendState &state = m_worker->state();
    const QByteArray name = state.name.toUtf8();
    if (m_path == "/health") {
        if (DemoHealthMode(state.health.load(std::memory_order_relaxed)) == DemoHealthMode::Unavailable)
            writeSimple(503, "unavailable\n");
        else
            writeSimple(200, "ok\n");
        return finishResponse();
    }
    const double errorRate = state.errorRate.load(std::memory_order_relaxed);
    if (errorRate > 0 && m_worker->random().unit() < errorRate) {
        writeSimple(500, name + " injected error\n");
        return finishResponse();
    }
    if (m_path == "/echo") {
        const QByteArray crc = QByteArray::number(m_bodyCrc, 16).rightJustified(8, '0');
        const QByteArray body = "{\"name\":\"" + name + "\",\"bytes\":" + QByteArray::number(m_bodyBytes)
            + ",\"crc32\":\"" + crc + "\"}\n";
        writeSimple(200, body, "application/json",
                    "X-Body-Bytes: " + QByteArray::number(m_bodyBytes) + "\r\nX-Body-Crc32: " + crc + "\r\n");
        return finishResponse();
    }
    if (m_path.startsWith("/bytes/")) {
        qint64 count = 0;
        if (!parseDecimal(QByteArrayView(m_path).sliced(7), &count) || count > kMaxStreamBytes) {
            writeSimple(400, "/bytes/N needs N as a decimal number of bytes up to 16 TiB\n");
            return finishResponse();
        }
        m_streamChunked = m_query.contains("chunked=1");
        m_streamOffset = 0;
        m_streamRemaining = m_method == "HEAD" ? 0 : count;
        writeHead(200, m_streamChunked ? -1 : count, "application/octet-stream", {}, m_streamChunked);
        m_phase = Phase::Streaming;
        return pump();
    }
    writeSimple(200, name + "\n");
    finishResponse();
}

void DemoConnection::answerControl()
{
    DemoBackendState &state = m_worker->state();
    DemoBackendSettings settings = state.settings();
    QString error;
    if (!applyDemoControl(QUrlQuery(QString::fromUtf8(m_query)), &settings, &error)) {
        writeSimple(400, error.toUtf8() + '\n');
        return finishResponse();
    }
    state.apply(settings);
    const QJsonObject json{
        {QStringLiteral("name"), state.name},
        {QStringLiteral("latency_ms"), settings.latencyMs},
        {QStringLiteral("jitter_ms"), settings.jitterMs},
        {QStringLiteral("error_rate"), settings.errorRate},
        {QStringLiteral("health"), demoHealthModeName(settings.health)},
        {QStringLiteral("requests"), qint64(state.requests.load(std::memory_order_relaxed))},
        {QStringLiteral("health_requests"), qint64(state.healthRequests.load(std::memory_order_relaxed))},
        {QStringLiteral("connections"), qint64(state.connections.load(std::memory_order_relaxed))},
    };
    writeSimple(200, QJsonDocument(json).toJson(QJsonDocument::Compact) + '\n', "application/json");
    finishResponse();
}

void DemoConnection::pump()
{
    const QByteArray &block = streamBlock();
    while (m_streamRemaining > 0 && m_socket->bytesToWrite() < kWriteHighWater) {
        // Start each piece at the pattern position of its offset, so any split stays verifiable.
        const qint64 phase = m_streamOffset % 26;
        const qint64 n = std::min<qint64>(m_streamRemaining, block.size() - phase);
        if (m_streamChunked)
            m_socket->write(QByteArray::number(n, 16) + "\r\n");
        m_socket->write(block.constData() + phase, n);
        if (m_streamChunked)
            m_socket->write("\r\n");
        m_streamOffset += n;
        m_streamRemaining -= n;
    }
    if (m_streamRemaining > 0)
        return;
    if (m_streamChunked && m_method != "HEAD")
        m_socket->write("0\r\n\r\n");
    finishResponse();
}

void DemoConnection::finishResponse()
{
    if (!m_keepAlive) {
        m_phase = Phase::Closing;
        m_socket->disconnectFromHost();
        return;
    }
    m_phase = Phase::Head;
    process();
}

void DemoConnection::reject(int status, const QByteArray &message)
{
    m_keepAlive = false;
    m_method.clear();
    writeSimple(status, m_worker->state().name.toUtf8() + ": " + message + '\n');
    m_phase = Phase::Closing;
    m_socket->disconnectFromHost();
}

QByteArray DemoConnection::head(int status, qint64 contentLength, const QByteArray &contentType,
                                 const QByteArray &extraHeaders, bool chunked) const
{
    QByteArray head;
    head.reserve(256 + extraHeaders.size());
    head += "HTTP/1.1 " + QByteArray::number(status) + ' ' + httpReasonPhrase(status) + "\r\n";
    head += "Content-Type: " + contentType + "\r\n";
    if (chunked)
        head += "Transfer-Encoding: chunked\r\n";
    else
        head += "Content-Length: " + QByteArray::number(contentLength) + "\r\n";
    head += "X-Served-By: " + m_worker->state().name.toUtf8() + "\r\n";
    head += "X-Connection-Requests: " + QByteArray::number(m_requestsOnConnection) + "\r\n";
    head += m_keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    head += extraHeaders;
    head += "\r\n";
    return head;
}

void DemoConnection::writeHead(int status, qint64 contentLength, const QByteArray &contentType,
                               const QByteArray &extraHeaders, bool chunked)
{
    m_socket->write(head(status, contentLength, contentType, extraHeaders, chunked));
}

void DemoConnection::writeSimple(int status, const QByteArray &body, const QByteArray &contentType,
                                 const QByteArray &extraHeaders)
{
    // One write, so head and body leave in one segment.
    QByteArray answer = head(status, body.size(), contentType, extraHeaders);
    if (m_method != "HEAD")
        answer += body;
    m_socket->write(answer);
}

} // namespace fulcrum
