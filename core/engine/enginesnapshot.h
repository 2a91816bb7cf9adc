#pragma once

#include "balancer/backend.h"
#include "balancer/pool.h"
#include "metrics/serverstats.h"

#include <QDateTime>
#include <QMetaType>
#include <QString>

#include <vector>

namespace fulcrum {

struct ServerSnapshot
{
    BackendSpec spec;              // spec.weight is the set weight, spec.state the state
    int effectiveWeight = 0;       // what the balancer uses now (below the set weight during slow start)
    ServerStats stats;
};

struct PoolView
{
    QString name;
    PoolOptions options;
    std::vector<ServerSnapshot> servers;

    const ServerSnapshot *server(QStringView name) const;
};

struct ListenerView
{
    QString name;
    QString host;
    quint16 port = 0;
    QString pool;
};

// Everything the console shows at one tick, as plain values (safe to queue across threads).
struct EngineSnapshot
{
    quint64 sequence = 0;
    QDateTime time;                // UTC
    bool proxyRunning = false;
    int workers = 0;
    std::vector<ListenerView> listeners;
    std::vector<PoolView> pools;

    const PoolView *pool(QStringView name) const;
};

// Something the operator should see in the event list: a reload, a rejected config, a
// server going down. Other parts (health checker, lock inspectors) add theirs too.
struct EngineEvent
{
    enum Severity { Info, Warning, Error };
    QDateTime time;                // UTC
    Severity severity = Info;
    QString source;                // "engine", "config", "proxy", "health", "locks", "operator"
    QString text;
};

} // namespace fulcrum

Q_DECLARE_METATYPE(fulcrum::EngineSnapshot)
Q_DECLARE_METATYPE(fulcrum::EngineEvent)
