#include "demobackend.h"

#include "common/duration.h"
#include "democonnection.h"

#include <QTcpServer>
#include <QThread>

#include <array>

namespace fulcrum {

QString demoHealthModeName(DemoHealthMode mode)
{
    switch (mode) {
    case DemoHealthMode::Ok: return QStringLiteral("ok");
    case DemoHealthMode::Unavailable: return QStringLiteral("503");
    case DemoHealthMode::Hang: return QStringLiteral("hang");
    case DemoHealthMode::Close: return QStringLiteral("close");
    }
    return QStringLiteral("ok");
}

std::optional<DemoHealthMode> parseDemoHealthMode(QStringView text)
{
    if (text == u"ok" || text == u"200")
        return DemoHealthMode::Ok;
    if (text == u"503")
        return DemoHealthMode::Unavailable;
    if (text == u"hang")
        return DemoHealthMode::Hang;
    if (text == u"close")
        return DemoHealthMode::Close;
    return std::nullopt;
}

quint32 crc32Update(quint32 crc, QByteArrayView data) noexcept
{
    static constexpr std::array<quint32, 256> table = [] {
        std::array<quint32, 256> t{};
        for (quint32 i = 0; i < 256; ++i) {
            quint32 c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (char byte : data)
        crc = table[(crc ^ quint8(byte)) & 0xff] ^ (crc >> 8);
    return ~crc;
}

bool applyDemoControl(const QUrlQuery &query, DemoBackendSettings *settings, QString *error)
{
    DemoBackendSettings next = *settings;
    const auto items = query.queryItems(QUrl::FullyDecoded);
    for (const auto &[key, value] : items) {
        if (key == u"latency" || key == u"jitter") {
            const auto ms = parseDurationMs(value);
            if (!ms) {
                *error = QStringLiteral("%1=%2 is not a duration; use e.g. 50ms or 1.5s").arg(key, value);
                return false;
            }
            (key == u"latency" ? next.latencyMs : next.jitterMs) = *ms;
        } else if (key == u"error_rate") {
            bool ok = false;
            const double rate = value.toDouble(&ok);
            if (!ok || !(rate >= 0.0 && rate <= 1.0)) {
                *error = QStringLiteral("error_rate=%1 must be a share between 0 and 1, e.g. 0.05").arg(value);
                return false;
            }
            next.errorRate = rate;
        } else if (key == u"health") {
            const auto mode = parseDemoHealthMode(value);
            if (!mode) {
                *error = QStringLiteral("health=%1 is unknown; use ok, 503, hang or close").arg(value);
                return false;
            }
            next.health = *mode;
        } else {
            *error = QStringLiteral("control parameter \"%1\" is unknown; use latency, jitter, error_rate or health").arg(key);
            return false;
        }
    }
    *settings = next;
    return true;
}

DemoBackendSettings DemoBackendState::settings() const
{
    DemoBackendSettings s;
    s.latencyMs = latencyMs.load(std::memory_order_relaxed);
    s.jitterMs = jitterMs.load(std::memory_order_relaxed);
    s.errorRate = errorRate.load(std::memory_order_relaxed);
    s.health = DemoHealthMode(health.load(std::memory_order_relaxed));
    return s;
}

void DemoBackendState::apply(const DemoBackendSettings &s)
{
    latencyMs.store(std::max<qint64>(0, s.latencyMs), std::memory_order_relaxed);
    jitterMs.store(std::max<qint64>(0, s.jitterMs), std::memory_order_relaxed);
    errorRate.store(std::clamp(s.errorRate, 0.0, 1.0), std::memory_order_relaxed);
    health.store(int(s.health), std::memory_order_relaxed);
}

// Hands accepted sockets to a worker before Qt wraps them, so the socket is created on
// the worker's thread.
class DemoBackend::Listener : public QTcpServer
{
public:
    explicit Listener(DemoBackend *backend)
        : QTcpServer(backend)
        , m_backend(backend)
    {
    }

protected:
    void incomingConnection(qintptr descriptor) override { m_backend->adopt(descriptor); }

private:
    DemoBackend *m_backend;
};

DemoBackend::DemoBackend(QString name, QObject *parent)
    : QObject(parent)
    , m_state(std::make_shared<DemoBackendState>())
{
    m_state->name = std::move(name);
}

DemoBackend::~DemoBackend()
{
    close();
}

bool DemoBackend::listen(const QHostAddress &address, quint16 port, int threads, QString *error)
{
    close();
    threads = std::max(1, threads);
    if (threads == 1) {
        m_workers.push_back(new DemoWorker(m_state, this));
    } else {
        for (int i = 0; i < threads; ++i) {
            auto *thread = new QThread;
            thread->setObjectName(QStringLiteral("demo-%1-%2").arg(m_state->name).arg(i));
            auto *worker = new DemoWorker(m_state);
            worker->moveToThread(thread);
            connect(thread, &QThread::finished, worker, &QObject::deleteLater);
            thread->start();
            m_threads.push_back(thread);
            m_workers.push_back(worker);
        }
    }
    m_listener = new Listener(this);
    if (!m_listener->listen(address, port)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(address.toString()).arg(port).arg(m_listener->errorString());
        close();
        return false;
    }
    return true;
}

void DemoBackend::close()
{
    delete m_listener;
    m_listener = nullptr;
    for (QThread *thread : m_threads) {
        thread->quit();
        thread->wait();
        delete thread;
    }
    if (m_threads.empty()) {
        for (DemoWorker *worker : m_workers)
            delete worker;
    }
    m_threads.clear();
    m_workers.clear();
    m_nextWorker = 0;
}

void DemoBackend::adopt(qintptr descriptor)
{
    DemoWorker *worker = m_workers[m_nextWorker];
    m_nextWorker = (m_nextWorker + 1) % m_workers.size();
    if (m_threads.empty())
        worker->adopt(descriptor);
    else
        QMetaObject::invokeMethod(worker, [worker, descriptor] { worker->adopt(descriptor); }, Qt::QueuedConnection);
}

quint16 DemoBackend::serverPort() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

QHostAddress DemoBackend::serverAddress() const
{
    return m_listener ? m_listener->serverAddress() : QHostAddress();
}

QString DemoBackend::name() const
{
    return m_state->name;
}

DemoBackendSettings DemoBackend::settings() const
{
    return m_state->settings();
}

void DemoBackend::setSettings(const DemoBackendSettings &settings)
{
    m_state->apply(settings);
}

void DemoBackend::setLatency(qint64 latencyMs, qint64 jitterMs)
{
    m_state->latencyMs.store(std::max<qint64>(0, latencyMs), std::memory_order_relaxed);
    m_state->jitterMs.store(std::max<qint64>(0, jitterMs), std::memory_order_relaxed);
}

void DemoBackend::setErrorRate(double rate)
{
    m_state->errorRate.store(std::clamp(rate, 0.0, 1.0), std::memory_order_relaxed);
}

void DemoBackend::setHealth(DemoHealthMode mode)
{
    m_state->health.store(int(mode), std::memory_order_relaxed);
}

quint64 DemoBackend::connectionCount() const
{
    return m_state->connections.load(std::memory_order_relaxed);
}

qint64 DemoBackend::openConnectionCount() const
{
    return m_state->openConnections.load(std::memory_order_relaxed);
}

quint64 DemoBackend::requestCount() const
{
    return m_state->requests.load(std::memory_order_relaxed);
}

quint64 DemoBackend::healthRequestCount() const
{
    return m_state->healthRequests.load(std::memory_order_relaxed);
}

quint64 DemoBackend::bodyBytesReceived() const
{
    return m_state->bodyBytes.load(std::memory_order_relaxed);
}

} // namespace fulcrum
