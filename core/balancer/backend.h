#pragma once

#include <QString>

#include <atomic>
#include <optional>

namespace fulcrum {

// up/down come from health checks; drain and maint are set by an operator.
enum class BackendState { Up, Down, Drain, Maint };

QString backendStateName(BackendState state);
std::optional<BackendState> parseBackendState(QStringView name);

constexpr int kMaxWeight = 10000;

// What the configuration and the operator say about one server.
// TLS from the proxy to a server (HTTPS backends). The server's certificate is verified against
// caFile (else the system's CAs) and serverName (else the server's host), which is also the SNI.
struct BackendTls
{
    bool enabled = false;
    QString caFile;
    QString serverName;
    bool verify = true;                             // false only when written in the config
    QString certFile;                               // a client certificate (mutual TLS), with its key
    QString keyFile;

    friend bool operator==(const BackendTls &, const BackendTls &) = default;
};

struct BackendSpec
{
    QString name{};
    QString host{};
    quint16 port = 0;
    int weight = 1;               // 0..kMaxWeight; 0 = no new traffic
    BackendState state = BackendState::Up;
    int maxConnections = 0;       // concurrent requests; 0 = unlimited
    bool backup = false;          // only used when no primary server can take traffic
    BackendTls tls{};

    QString address() const { return host.contains(u':') ? QStringLiteral("[%1]:%2").arg(host).arg(port) : QStringLiteral("%1:%2").arg(host).arg(port); }
    friend bool operator==(const BackendSpec &, const BackendSpec &) = default;
};

// Live figures every worker thread updates for a server; shared by all snapshots of the
// pool that contain it. Only relaxed atomics: no lock on the request path.
struct BackendLive
{
    std::atomic<int> inFlight{0};
    // Passive health: connect failures, resets and 5xx in a row, across workers (the proxy
    // adds one per failure and sets 0 on a success; outlier detection reads it).
    std::atomic<int> consecutiveFailures{0};
    // Peak EWMA of response time (Finagle/Linkerd), in nanoseconds. The value and its time
    // stamp are separate atomics: a race between two workers only blurs one decay step.
    std::atomic<double> peakEwmaNs{0.0};
    std::atomic<qint64> ewmaStampNs{0};

    static constexpr double kDecayNs = 10e9; // 10 s, as Finagle and Linkerd

    void recordLatency(qint64 nowNs, double rttNs) noexcept;
    // The EWMA decayed to nowNs (0 while there is no sample yet).
    double currentEwmaNs(qint64 nowNs) const noexcept;
};

} // namespace fulcrum
