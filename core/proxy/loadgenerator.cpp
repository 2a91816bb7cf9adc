#include "loadgenerator.h"

#include "proxy/httpparser.h"

#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace fulcrum {

struct LoadGenerator::Connection
{
    QTcpSocket *socket = nullptr;
    bool busy = false;
    qint64 sentNs = 0;
    QByteArray in;
    bool headDone = false;
    HttpResponseHead head;
    qint64 bodyLeft = 0;
    ChunkedDecoder chunks;
};

QString LoadReport::summary() const
{
    return QStringLiteral("sent %1, completed %2 in %3 s: %4 req/s achieved; skipped %5 (all connections busy), failed %6\n"
                          "responses: 1xx %7, 2xx %8, 3xx %9, 4xx %10, 5xx %11\n"
                          "latency ms: mean %12, p50 %13, p95 %14, p99 %15, max %16\n")
        .arg(sent).arg(completed).arg(elapsedSeconds, 0, 'f', 2).arg(achievedRate(), 0, 'f', 1).arg(skipped).arg(failed)
        .arg(statusClasses[0]).arg(statusClasses[1]).arg(statusClasses[2]).arg(statusClasses[3]).arg(statusClasses[4])
        .arg(meanMs, 0, 'f', 2).arg(p50Ms, 0, 'f', 2).arg(p95Ms, 0, 'f', 2).arg(p99Ms, 0, 'f', 2).arg(maxMs, 0, 'f', 2);
}

LoadGenerator::LoadGenerator(QObject *parent)
    : QObject(parent)
    , m_timer(new QTimer(this))
{
    m_timer->setTimerType(Qt::PreciseTimer);
    connect(m_timer, &QTimer::timeout, this, &LoadGenerator::tick);
}

LoadGenerator::~LoadGenerator()
{
    for (auto &c : m_connections)
        c->socket->disconnect(this);
}

void LoadGenerator::start(const LoadOptions &options)
{
    m_options = options;
    m_report = LoadReport{};
    m_latency.clear();
    m_latencySumMicros = 0;
    m_maxMicros = 0;
    const QString path = options.target.path(QUrl::FullyEncoded).isEmpty() ? QStringLiteral("/") : options.target.path(QUrl::FullyEncoded);
    const QString query = options.target.hasQuery() ? u'?' + options.target.query(QUrl::FullyEncoded) : QString();
    m_request = QStringLiteral("GET %1%2 HTTP/1.1\r\nHost: %3:%4\r\nUser-Agent: fulcrumctl-load\r\n\r\n")
                    .arg(path, query, options.target.host()).arg(options.target.port(80)).toLatin1();
    m_running = true;
    m_sending = true;
    m_clock.start();
    m_rateStartMs = 0;
    m_sentAtRateStart = 0;
    m_timer->start(qBound(1, int(1000.0 / qMax(1.0, options.rate)), 10));
}

void LoadGenerator::setRate(double rate)
{
    m_rateStartMs = m_clock.elapsed();
    m_sentAtRateStart = m_report.sent + m_report.skipped;
    m_options.rate = rate;
}

void LoadGenerator::stop()
{
    if (!m_running)
        return;
    m_sending = false;
    m_options.drainMs = 0;
    checkFinished();
}

void LoadGenerator::tick()
{
    const qint64 now = m_clock.elapsed();
    if (m_sending && m_options.durationMs > 0 && now >= m_options.durationMs)
        m_sending = false;
    if (!m_sending) {
        checkFinished();
        return;
    }
    // The first request goes at once, then one every 1/rate: R × D requests in D.
    quint64 due = m_sentAtRateStart + quint64(std::floor(double(now - m_rateStartMs) * m_options.rate / 1000.0)) + 1;
    if (m_options.durationMs > 0)
        due = qMin(due, m_sentAtRateStart + quint64(std::llround(double(m_options.durationMs - m_rateStartMs) * m_options.rate / 1000.0)));
    while (m_report.sent + m_report.skipped < due) {
        Connection *free = nullptr;
        for (auto &c : m_connections) {
            if (!c->busy && c->socket->state() == QAbstractSocket::ConnectedState) {
                free = c.get();
                break;
            }
        }
        if (!free && int(m_connections.size()) < m_options.maxConnections) {
            auto connection = std::make_unique<Connection>();
            connection->socket = new QTcpSocket(this);
            Connection *c = connection.get();
            connect(c->socket, &QTcpSocket::readyRead, this, [this, c] { onReadyRead(*c); });
            connect(c->socket, &QTcpSocket::errorOccurred, this, [this, c] { onClosed(*c); });
            c->socket->connectToHost(m_options.target.host(), quint16(m_options.target.port(80)));
            m_connections.push_back(std::move(connection));
            free = c;
        }
        if (!free) {
            ++m_report.skipped;
            continue;
        }
        send(*free);
    }
}

void LoadGenerator::send(Connection &c)
{
    c.busy = true;
    c.in.clear();
    c.headDone = false;
    c.chunks.reset();
    c.sentNs = m_clock.nsecsElapsed();
    c.socket->write(m_request);
    ++m_report.sent;
}

void LoadGenerator::onReadyRead(Connection &c)
{
    c.in += c.socket->readAll();
    while (c.busy) {
        if (!c.headDone) {
            const HttpParseResult result = parseResponseHead(c.in, HttpLimits{64 * 1024, 200}, false, c.head);
            if (result.status == HttpParseResult::Incomplete)
                return;
            if (result.status == HttpParseResult::Error) {
                ++m_report.failed;
                c.busy = false;
                c.socket->abort();
                return;
            }
            if (c.head.status < 200) {
                c.in.remove(0, c.head.headLength);
                continue;
            }
            for (const HttpHeader &h : c.head.headers) {
                if (equalsIgnoreCase(h.name, "x-served-by"))
                    ++m_report.servedBy[QString::fromLatin1(h.value)];
            }
            c.in.remove(0, c.head.headLength);
            c.headDone = true;
            c.bodyLeft = c.head.framing == BodyFraming::Length ? c.head.contentLength : 0;
        }
        bool done = false;
        switch (c.head.framing) {
        case BodyFraming::None:
            done = true;
            break;
        case BodyFraming::Length: {
            const qsizetype take = qsizetype(qMin<qint64>(c.bodyLeft, c.in.size()));
            c.bodyLeft -= take;
            c.in.remove(0, take);
            done = c.bodyLeft == 0;
            break;
        }
        case BodyFraming::Chunked: {
            c.in.remove(0, c.chunks.consume(c.in));
            done = c.chunks.done();
            if (c.chunks.failed()) {
                ++m_report.failed;
                c.busy = false;
                c.socket->abort();
                return;
            }
            break;
        }
        case BodyFraming::UntilClose:
            c.in.clear();
            return;   // completes in onClosed
        }
        if (!done)
            return;
        const quint64 micros = quint64((m_clock.nsecsElapsed() - c.sentNs) / 1000);
        m_latency.record(micros);
        m_latencySumMicros += micros;
        m_maxMicros = qMax(m_maxMicros, micros);
        ++m_report.completed;
        ++m_report.statusClasses[size_t(qBound(1, c.head.status / 100, 5) - 1)];
        c.busy = false;
        if (!c.head.keepAlive)
            c.socket->disconnectFromHost();
    }
    checkFinished();
}

void LoadGenerator::onClosed(Connection &c)
{
    if (c.busy) {
        if (c.headDone && c.head.framing == BodyFraming::UntilClose) {
            ++m_report.completed;
            ++m_report.statusClasses[size_t(qBound(1, c.head.status / 100, 5) - 1)];
        } else {
            ++m_report.failed;
        }
        c.busy = false;
    }
    // Closed connections are replaced by new ones on demand.
    for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
        if (it->get() == &c) {
            QTcpSocket *socket = c.socket;
            socket->disconnect(this);
            socket->deleteLater();
            m_connections.erase(it);
            break;
        }
    }
    checkFinished();
}

LoadReport LoadGenerator::report() const
{
    LoadReport r = m_report;
    r.elapsedSeconds = double(m_clock.isValid() ? m_clock.elapsed() : 0) / 1000.0;
    if (m_options.durationMs > 0)
        r.elapsedSeconds = qMin(r.elapsedSeconds, double(m_options.durationMs) / 1000.0);
    r.meanMs = m_latency.count() ? double(m_latencySumMicros) / double(m_latency.count()) / 1000.0 : 0;
    r.p50Ms = m_latency.percentileMicros(0.50) / 1000.0;
    r.p95Ms = m_latency.percentileMicros(0.95) / 1000.0;
    r.p99Ms = m_latency.percentileMicros(0.99) / 1000.0;
    r.maxMs = double(m_maxMicros) / 1000.0;
    return r;
}

void LoadGenerator::checkFinished()
{
    if (!m_running || m_sending)
        return;
    const bool inFlight = std::any_of(m_connections.begin(), m_connections.end(), [](const auto &c) { return c->busy; });
    const qint64 over = m_clock.elapsed() - (m_options.durationMs > 0 ? m_options.durationMs : 0);
    if (inFlight && over < m_options.drainMs)
        return;
    m_running = false;
    m_timer->stop();
    for (auto &c : m_connections) {
        if (c->busy)
            ++m_report.failed;
        c->socket->disconnect(this);
        c->socket->abort();
        c->socket->deleteLater();
    }
    m_connections.clear();
    Q_EMIT finished(report());
}

} // namespace fulcrum
