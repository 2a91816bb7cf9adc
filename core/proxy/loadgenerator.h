#pragma once

#include "metrics/latencyhistogram.h"

#include <QElapsedTimer>
#include <QMap>
#include <QObject>
#include <QUrl>

#include <array>
#include <vector>

class QTcpSocket;
class QTimer;

namespace fulcrum {

struct LoadOptions
{
    QUrl target;                    // http://host:port/path
    double rate = 10;               // requests per second, steady (open loop while connections allow)
    qint64 durationMs = 10'000;     // 0 = until stop()
    int maxConnections = 64;        // kept-alive connections; a request due while all are busy is skipped
    qint64 drainMs = 2000;          // after the duration, how long answers still in flight are awaited
};

struct LoadReport
{
    quint64 sent = 0;
    quint64 completed = 0;
    quint64 skipped = 0;            // due while every connection was busy (the target is slower than the rate)
    quint64 failed = 0;             // connection refused, reset, unparsable response
    std::array<quint64, 5> statusClasses{};
    QMap<QString, quint64> servedBy;    // by X-Served-By header
    double elapsedSeconds = 0;
    double meanMs = 0;
    double p50Ms = 0;
    double p95Ms = 0;
    double p99Ms = 0;
    double maxMs = 0;

    double achievedRate() const { return elapsedSeconds > 0 ? double(completed) / elapsedSeconds : 0; }
    QString summary() const;
};

// Steady HTTP/1.1 client traffic for demos and `fulcrumctl load`: GETs at a fixed rate over
// kept-alive connections, bounded in time; reports the achieved rate and latencies.
class LoadGenerator : public QObject
{
    Q_OBJECT

public:
    explicit LoadGenerator(QObject *parent = nullptr);
    ~LoadGenerator() override;

    void start(const LoadOptions &options);
    void stop();
    void setRate(double rate);
    bool isRunning() const { return m_running; }
    LoadReport report() const;

Q_SIGNALS:
    void finished(const fulcrum::LoadReport &report);

private:
    struct Connection;
    void tick();
    void send(Connection &connection);
    void onReadyRead(Connection &connection);
    void onClosed(Connection &connection);
    void checkFinished();

    LoadOptions m_options;
    QByteArray m_request;
    bool m_running = false;
    bool m_sending = false;
    QTimer *m_timer = nullptr;
    QElapsedTimer m_clock;
    qint64 m_rateStartMs = 0;
    quint64 m_sentAtRateStart = 0;
    std::vector<std::unique_ptr<Connection>> m_connections;
    LoadReport m_report;
    LatencyHistogram m_latency;
    quint64 m_latencySumMicros = 0;
    quint64 m_maxMicros = 0;
};

} // namespace fulcrum
