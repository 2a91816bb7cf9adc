#include "democonnection.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>

namespace fulcrum {

namespace {

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
    m_open = m_worker->sharedState();
    m_open->openConnections.fetch_add(1, std::memory_order_relaxed);
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

DemoConnection::~DemoConnection()
{
    if (m_open)
        m_open->openConnections.fetch_sub(1, std::memory_order_relaxed);
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
        const QByteArrayView unread = QByteArrayView(m_in).sliced(m_pos);
        if (unread.isEmpty())
            return;

        switch (m_phase) {
        case Phase::Head:
            if (!readHead(unread))
                return;
            break;
        case Phase::Body: {
            const QByteArrayView piece = unread.first(std::min<qint64>(unread.size(), m_bodyRemaining));
            countBody(piece);
            m_pos += piece.size();
            m_bodyRemaining -= piece.size();
            if (m_bodyRemaining == 0)
                dispatch();
            break;
        }
        case Phase::ChunkedBody:
            m_pos += m_chunks.consume(unread, [this](QByteArrayView payload) { countBody(payload); });
            if (m_chunks.failed())
                return reject(400, m_chunks.error());
            if (m_chunks.done())
                dispatch();
            break;
        case Phase::Waiting:
        case Phase::Streaming:
        case Phase::Hung:
        case Phase::Closing:
            return;
        }
    }
}

bool DemoConnection::readHead(QByteArrayView unread)
{
    // The proxy's strict parser; a transfer coding it does not know is "not implemented" here.
    HttpLimits limits;
    limits.unknownTransferCodingStatus = 501;
    HttpRequestHead head;
    const HttpParseResult parsed = parseRequestHead(unread, limits, head);
    if (parsed.status == HttpParseResult::Incomplete)
        return false;
    if (parsed.status == HttpParseResult::Error) {
        reject(parsed.httpStatus, parsed.message);
        return false;
    }
    const QByteArrayView target = head.originTarget();
    if (!target.startsWith('/') && target != "*") {
        reject(400, "request target must start with '/'");
        return false;
    }
    const qsizetype question = target.indexOf('?');
    m_method = head.method.toByteArray();
    m_path = (question < 0 ? target : target.first(question)).toByteArray();
    m_query = question < 0 ? QByteArray() : target.sliced(question + 1).toByteArray();
    m_keepAlive = head.keepAlive;
    m_pos += head.headLength;

    ++m_requestsOnConnection;
    m_bodyBytes = 0;
    m_bodyCrc = 0;
    m_bodyRemaining = 0;
    if (head.expectContinue && head.framing != BodyFraming::None)
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    if (head.framing == BodyFraming::Chunked) {
        m_chunks.reset();
        m_phase = Phase::ChunkedBody;
    } else if (head.framing == BodyFraming::Length) {
        m_bodyRemaining = head.contentLength;
        m_phase = Phase::Body;
    } else {
        dispatch();
    }
    return true;
}

void DemoConnection::countBody(QByteArrayView bytes)
{
    m_bodyCrc = crc32Update(m_bodyCrc, bytes);
    m_bodyBytes += bytes.size();
    m_worker->state().bodyBytes.fetch_add(quint64(bytes.size()), std::memory_order_relaxed);
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
        {QStringLiteral("open_connections"), state.openConnections.load(std::memory_order_relaxed)},
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
