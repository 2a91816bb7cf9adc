#include "proxyworker.h"

#include "proxy/clientsession.h"

#include <QTcpServer>
#include <QTimer>

#include <algorithm>
#include <chrono>

#include <unistd.h>

namespace fulcrum {

UpstreamConnection::UpstreamConnection(WorkerServer *server, ProxyWorker *worker)
    : QTcpSocket(worker)
    , server(server)
{
    connect(this, &QTcpSocket::connected, this, [this] {
        setSocketOption(QAbstractSocket::LowDelayOption, 1);
        this->server->counters.connectionOpened();
        m_counted = true;
        if (owner)
            owner->onUpstreamActivity();
    });
    auto activity = [this, worker] {
        if (owner)
            owner->onUpstreamActivity();
        else
            worker->discard(this);   // an idle connection that speaks is out of step
    };
    auto closed = [this, worker] {
        if (owner)
            owner->onUpstreamClosed();
        else
            worker->discard(this);
    };
    connect(this, &QTcpSocket::readyRead, worker, activity);
    connect(this, &QTcpSocket::bytesWritten, worker, [this] {
        if (owner)
            owner->onUpstreamDrained();
    });
    connect(this, &QTcpSocket::errorOccurred, worker, closed);
    connect(this, &QTcpSocket::disconnected, worker, closed);
}

UpstreamConnection::~UpstreamConnection()
{
    if (m_counted)
        server->counters.connectionClosed();
}

ProxyWorker::ProxyWorker(int index, const ProxyConfig &config)
    : m_index(index)
{
    setConfig(config);
}

ProxyWorker::~ProxyWorker()
{
    // Sessions and connections report to m_servers as they go: end them while it exists.
    closeAll();
    const QObjectList children = this->children();
    qDeleteAll(children);
}

qint64 ProxyWorker::nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

qint64 ProxyWorker::nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void ProxyWorker::setConfig(const ProxyConfig &config)
{
    m_config = config;
    m_limits.maxHeadBytes = config.maxHeaderBytes;
    if (!m_sweepTimer) {
        m_sweepTimer = new QTimer(this);
        connect(m_sweepTimer, &QTimer::timeout, this, &ProxyWorker::sweep);
    }
    // Timeouts are checked by one sweep per worker instead of a timer per connection;
    // the sweep period bounds how late a timeout can fire.
    const qint64 shortest = std::min({config.connectTimeoutMs, config.headerTimeoutMs, config.idleTimeoutMs, config.responseTimeoutMs});
    m_sweepTimer->start(int(std::clamp<qint64>(shortest / 10, 10, 100)));
}

void ProxyWorker::setListeners(std::vector<ListenerBinding> bindings)
{
    for (QTcpServer *server : m_listeners)
        delete server;
    m_listeners.clear();
    if (m_stopping) {
        for (const ListenerBinding &b : bindings)
            ::close(b.fd);
        return;
    }
    for (ListenerBinding &binding : bindings) {
        auto *server = new QTcpServer(this);
        // One accept per wake-up: the workers share the socket, and a burst of new
        // connections then spreads over all of them instead of landing on the first awake.
        server->setMaxPendingConnections(1);
        if (!server->setSocketDescriptor(binding.fd)) {
            ::close(binding.fd);
            delete server;
            continue;
        }
        std::shared_ptr<Pool> pool = binding.pool;
        balancerFor(pool);
        connect(server, &QTcpServer::newConnection, this, [this, server, pool] {
            while (QTcpSocket *socket = server->nextPendingConnection()) {
                auto *session = new ClientSession(this, socket, pool);
                m_sessions.insert(session);
            }
        });
        m_listeners.push_back(server);
    }
}

Balancer &ProxyWorker::balancerFor(const std::shared_ptr<Pool> &pool)
{
    PoolBalancer &entry = m_balancers[pool.get()];
    if (!entry.balancer) {
        entry.pool = pool;
        entry.balancer = std::make_unique<Balancer>(*pool, quint64(m_index) * 7919 + 1);
    }
    return *entry.balancer;
}

WorkerServer &ProxyWorker::serverFor(const PoolSnapshot &snapshot, int index)
{
    const PoolBackend &backend = snapshot.backends[size_t(index)];
    auto it = m_servers.find(backend.live.get());
    if (it == m_servers.end()) {
        auto server = std::make_unique<WorkerServer>();
        server->live = backend.live;
        server->pool = snapshot.name;
        server->name = backend.spec.name;
        server->host = backend.spec.host;
        server->port = backend.spec.port;
        std::lock_guard lock(m_serversMutex);
        it = m_servers.emplace(backend.live.get(), std::move(server)).first;
    }
    WorkerServer &server = *it->second;
    if (server.port != backend.spec.port || server.host != backend.spec.host) {
        // A reload moved the server: its kept-alive connections go to the old address.
        while (!server.idle.empty())
            discard(server.idle.back());
        server.host = backend.spec.host;
        server.port = backend.spec.port;
    }
    return server;
}

UpstreamConnection *ProxyWorker::takeIdle(WorkerServer &server)
{
    while (!server.idle.empty()) {
        UpstreamConnection *connection = server.idle.back();
        server.idle.pop_back();
        if (connection->state() != QAbstractSocket::ConnectedState || connection->bytesAvailable() > 0) {
            discard(connection);
            continue;
        }
        connection->reused = true;
        return connection;
    }
    return nullptr;
}

void ProxyWorker::parkIdle(UpstreamConnection *connection)
{
    WorkerServer &server = *connection->server;
    if (m_stopping || int(server.idle.size()) >= m_config.maxIdlePerServer) {
        discard(connection);
        return;
    }
    connection->owner = nullptr;
    connection->idleSinceMs = nowMs();
    server.idle.push_back(connection);
}

void ProxyWorker::discard(UpstreamConnection *connection)
{
    std::vector<UpstreamConnection *> &idle = connection->server->idle;
    idle.erase(std::remove(idle.begin(), idle.end(), connection), idle.end());
    connection->owner = nullptr;
    connection->disconnect();
    connection->abort();
    connection->deleteLater();
}

void ProxyWorker::sessionClosed(ClientSession *session)
{
    m_sessions.erase(session);
    checkDrained();
}

void ProxyWorker::sweep()
{
    const qint64 now = nowMs();
    // Copy: a timeout may close a session, which leaves m_sessions.
    const std::vector<ClientSession *> sessions(m_sessions.begin(), m_sessions.end());
    for (ClientSession *session : sessions) {
        if (m_sessions.count(session))
            session->checkTimeout(now);
    }
    for (auto &entry : m_servers) {
        std::vector<UpstreamConnection *> &idle = entry.second->idle;
        while (!idle.empty() && now - idle.front()->idleSinceMs > m_config.idleTimeoutMs)
            discard(idle.front());
    }
}

void ProxyWorker::beginStop()
{
    m_stopping = true;
    for (QTcpServer *server : m_listeners)
        delete server;
    m_listeners.clear();
    for (auto &entry : m_servers) {
        while (!entry.second->idle.empty())
            discard(entry.second->idle.back());
    }
    const std::vector<ClientSession *> sessions(m_sessions.begin(), m_sessions.end());
    for (ClientSession *session : sessions) {
        if (m_sessions.count(session))
            session->stopWhenIdle();
    }
    checkDrained();
}

void ProxyWorker::checkDrained()
{
    if (m_stopping && m_sessions.empty())
        Q_EMIT drained();
}

void ProxyWorker::closeAll()
{
    m_stopping = true;
    for (QTcpServer *server : m_listeners)
        delete server;
    m_listeners.clear();
    const std::vector<ClientSession *> sessions(m_sessions.begin(), m_sessions.end());
    for (ClientSession *session : sessions)
        delete session;
    m_sessions.clear();
    for (auto &entry : m_servers) {
        for (UpstreamConnection *connection : entry.second->idle) {
            connection->disconnect();
            delete connection;
        }
        entry.second->idle.clear();
    }
}

void ProxyWorker::collect(const std::function<void(const WorkerServer &)> &visit) const
{
    std::lock_guard lock(m_serversMutex);
    for (const auto &entry : m_servers)
        visit(*entry.second);
}

} // namespace fulcrum
