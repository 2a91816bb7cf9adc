#include "demoenvironment.h"

#include "demo/demobackend.h"
#include "engine/engine.h"
#include "proxy/loadgenerator.h"
#include "proxy/proxyserver.h"

namespace fulcrum {

namespace {

struct DemoServer
{
    const char *name;
    int weight;
    qint64 latencyMs;
    qint64 jitterMs;
};

// Three servers a checkout might have: a fast new machine, an older one, and a slow one.
constexpr DemoServer kDemoServers[] = {
    {"app1", 3, 15, 5},
    {"app2", 2, 35, 10},
    {"app3", 1, 80, 40},
};

} // namespace

DemoEnvironment::DemoEnvironment(QObject *parent)
    : QObject(parent)
{
}

DemoEnvironment::~DemoEnvironment()
{
    stop();
}

bool DemoEnvironment::startBackends(quint16 listenPort, Config *config, QStringList *errors)
{
    PoolConfig pool;
    pool.name = QStringLiteral("shop");
    pool.options.algorithm = Algorithm::WeightedRoundRobin;
    pool.health.path = QStringLiteral("/health");
    for (const DemoServer &server : kDemoServers) {
        auto *backend = new DemoBackend(QString::fromLatin1(server.name), this);
        QString error;
        if (!backend->listen(QHostAddress::LocalHost, 0, 1, &error)) {
            errors->append(QStringLiteral("demo backend %1: %2").arg(QString::fromLatin1(server.name), error));
            delete backend;
            stop();
            return false;
        }
        backend->setLatency(server.latencyMs, server.jitterMs);
        m_backends.push_back(backend);
        BackendSpec spec;
        spec.name = QString::fromLatin1(server.name);
        spec.host = QStringLiteral("127.0.0.1");
        spec.port = backend->serverPort();
        spec.weight = server.weight;
        pool.servers.push_back(spec);
    }
    config->pools = {pool};
    ListenerConfig listener;
    listener.name = QStringLiteral("shop");
    listener.host = QStringLiteral("127.0.0.1");
    listener.port = listenPort;
    listener.pool = pool.name;
    config->listeners = {listener};
    return true;
}

void DemoEnvironment::startLoad(const Engine &engine, double rate)
{
    const std::vector<ProxyServer::BoundListener> listeners = engine.proxy().listeners();
    if (listeners.empty())
        return;
    if (!m_load)
        m_load = new LoadGenerator(this);
    LoadOptions options;
    options.target = QUrl(QStringLiteral("http://127.0.0.1:%1/cart").arg(listeners.front().port));
    options.rate = rate;
    options.durationMs = 0;
    m_load->start(options);
}

void DemoEnvironment::stop()
{
    if (m_load)
        m_load->stop();
    for (DemoBackend *backend : m_backends) {
        backend->close();
        delete backend;
    }
    m_backends.clear();
}

DemoBackend *DemoEnvironment::backend(const QString &name) const
{
    for (DemoBackend *backend : m_backends) {
        if (backend->name() == name)
            return backend;
    }
    return nullptr;
}

} // namespace fulcrum
