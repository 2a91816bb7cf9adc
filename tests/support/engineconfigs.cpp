#include "engineconfigs.h"

#include "engine/engine.h"

namespace fulcrum::test {

BackendSpec loopbackServer(const QString &name, quint16 port, int weight)
{
    BackendSpec spec;
    spec.name = name;
    spec.host = QStringLiteral("127.0.0.1");
    spec.port = port;
    spec.weight = weight;
    return spec;
}

Config fastCheckedPoolConfig(std::vector<BackendSpec> servers)
{
    Config config;
    config.proxy.workers = 1;
    config.proxy.stopTimeoutMs = 1000;
    ListenerConfig listener;
    listener.name = QStringLiteral("web");
    listener.pool = QStringLiteral("web");
    config.listeners.push_back(listener);
    PoolConfig pool;
    pool.name = QStringLiteral("web");
    pool.servers = std::move(servers);
    pool.health.intervalMs = 50;
    pool.health.fastIntervalMs = 20;
    pool.health.downIntervalMs = 50;
    pool.health.timeoutMs = 300;
    pool.health.rise = 2;
    pool.health.fall = 3;
    config.pools.push_back(pool);
    return config;
}

const LockInfo *lockIn(const Engine &engine, const QString &endpoint, const QByteArray &key)
{
    const LockEndpointView *view = engine.snapshot().lockEndpoint(endpoint);
    if (!view)
        return nullptr;
    for (const LockInfo &lock : view->lastResult.locks) {
        if (lock.key == key)
            return &lock;
    }
    return nullptr;
}

} // namespace fulcrum::test
