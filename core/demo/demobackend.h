#pragma once

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrlQuery>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

class QThread;

namespace fulcrum {

// How the demo backend answers GET /health.
enum class DemoHealthMode { Ok, Unavailable, Hang, Close };

QString demoHealthModeName(DemoHealthMode mode);
// CRC-32 (IEEE, as zlib and `crc32` compute it); feed pieces with the previous result, start at 0.
quint32 crc32Update(quint32 crc, QByteArrayView data) noexcept;
// Byte i of a /bytes/N answer, so a client can verify what it received at any offset.
constexpr char demoStreamByte(qint64 offset) noexcept { return char('a' + offset % 26); }
std::optional<DemoHealthMode> parseDemoHealthMode(QStringView text); // ok, 503, hang, close

// What a demo backend does with requests; every field can change while it runs.
struct DemoBackendSettings
{
    qint64 latencyMs = 0;
    qint64 jitterMs = 0;          // each answer waits latency ± jitter (uniform, never below 0)
    double errorRate = 0.0;       // share of application requests answered 500
    DemoHealthMode health = DemoHealthMode::Ok;
};

// Applies "latency=50ms&jitter=0&error_rate=0.5&health=503" to settings; false with a message
// naming the parameter and its allowed values when one is wrong (settings then unchanged).
bool applyDemoControl(const QUrlQuery &query, DemoBackendSettings *settings, QString *error);

// Shared, lock-free state of one demo backend: its settings and counters, read by every
// connection on every worker thread.
struct DemoBackendState
{
    QString name;
    std::atomic<qint64> latencyMs{0};
    std::atomic<qint64> jitterMs{0};
    std::atomic<double> errorRate{0.0};
    std::atomic<int> health{int(DemoHealthMode::Ok)};

    std::atomic<quint64> connections{0};
    std::atomic<qint64> openConnections{0};     // accepted and not closed yet
    std::atomic<quint64> requests{0};
    std::atomic<quint64> healthRequests{0};
    std::atomic<quint64> bodyBytes{0};

    DemoBackendSettings settings() const;
    void apply(const DemoBackendSettings &settings);
};

class DemoWorker;

// A small HTTP/1.1 server that plays an application server in tests, demos and benchmarks:
// answers with its name (body and X-Served-By), injects latency and 500s, fakes health
// states, streams /bytes/N, checks uploads with /echo, counts requests per connection
// (X-Connection-Requests), and is steered at run time through POST /_control.
class DemoBackend : public QObject
{
    Q_OBJECT
public:
    explicit DemoBackend(QString name, QObject *parent = nullptr);
    ~DemoBackend() override;

    // threads > 1 serves connections on that many worker threads (accepting stays here).
    bool listen(const QHostAddress &address, quint16 port, int threads = 1, QString *error = nullptr);
    void close();
    quint16 serverPort() const;
    QHostAddress serverAddress() const;
    QString name() const;

    DemoBackendSettings settings() const;
    void setSettings(const DemoBackendSettings &settings);
    void setLatency(qint64 latencyMs, qint64 jitterMs = 0);
    void setErrorRate(double rate);
    void setHealth(DemoHealthMode mode);

    quint64 connectionCount() const;
    qint64 openConnectionCount() const;
    quint64 requestCount() const;
    quint64 healthRequestCount() const;
    quint64 bodyBytesReceived() const;

private:
    class Listener;
    void adopt(qintptr descriptor);

    std::shared_ptr<DemoBackendState> m_state;
    Listener *m_listener = nullptr;
    std::vector<DemoWorker *> m_workers;
    std::vector<QThread *> m_threads;
    size_t m_nextWorker = 0;
};

} // namespace fulcrum
