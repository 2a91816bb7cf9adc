#pragma once

#include "engine/enginelink.h"

#include <QHash>
#include <QWidget>

#include <optional>

class QHBoxLayout;
class QLabel;

namespace fulcrum::ui {

// One pool at a glance: what the strip above every view shows.
struct PoolSummary
{
    QString pool;
    int up = 0;                   // servers up (state), backups included
    int total = 0;
    double requestsPerSecond = 0; // answered by servers, plus the 503s the proxy answered itself
    double unservedPerSecond = 0; // those 503s
    double errorShare = 0;        // (servers' 5xx and failed connects + the proxy's own 503s) / all requests, 0..1
    std::optional<double> p95Ms;  // the worst p95 among servers with traffic; none without traffic
    std::optional<double> p99Ms;  // likewise
    std::optional<double> p50Ms;  // the request-weighted mean of the servers' p50
    int weight = 0;               // sums over the pool's servers
    int effectiveWeight = 0;
    int activeConnections = 0;
    bool cannotServe = false;     // no server takes traffic: every request gets 503
    bool panic = false;
};

// Per pool, in the order the snapshot lists its servers. A pool the engine says nothing about
// beyond its servers is judged from them (cannot serve: no server up with a weight).
QList<PoolSummary> summarizePools(const LinkSnapshot &snapshot);

// The strip above every view: one chip per pool ("checkout · 5/6 up · 312 req/s · 5xx 0.4 % ·
// p95 14.8 ms"), red and saying "NO SERVER — every request gets 503" when the pool cannot serve,
// amber in panic mode. Figures an engine does not report are left out, not shown as 0.
class PoolStrip : public QWidget
{
    Q_OBJECT
public:
    explicit PoolStrip(QWidget *parent = nullptr);

    void setCapabilities(const EngineCapabilities &capabilities) { m_capabilities = capabilities; }
    void updateFromSnapshot(const LinkSnapshot &snapshot);

    // For tests and tools: the chip of a pool (null when there is none).
    QLabel *chip(const QString &pool) const { return m_chips.value(pool); }
    static QString chipText(const PoolSummary &summary, const EngineCapabilities &capabilities);

private:
    QHBoxLayout *m_layout = nullptr;
    QHash<QString, QLabel *> m_chips;
    QStringList m_order;
    EngineCapabilities m_capabilities;
};

} // namespace fulcrum::ui
