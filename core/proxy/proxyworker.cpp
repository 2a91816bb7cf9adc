#include "proxyworker.h"

#include "proxy/epolldispatcher.h"
#include "proxy/tls.h"

#include "proxy/clientsession.h"

#include <QHostInfo>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace fulcrum {

namespace {
constexpr qsizetype kUpstreamReadBuffer = 128 * 1024;
} // namespace

std::shared_ptr<const ListenerRoutes> ListenerRoutes::make(const std::vector<ListenerRoute> &config,
                                                           const std::function<std::shared_ptr<Pool>(const QString &)> &poolNamed,
                                                           std::shared_ptr<Pool> fallback)
{
    auto routes = std::make_shared<ListenerRoutes>();
    routes->fallback = std::move(fallback);
    routes->table = RouteTable<Target>::make(config, [&](size_t, const ListenerRoute &route) -> std::optional<Target> {
        std::shared_ptr<Pool> pool = poolNamed(route.pool);
        return pool ? std::optional(Target{std::move(pool), route.prefix, route.prefixRewrite}) : std::nullopt;
    });
    return routes;
}

std::vector<std::shared_ptr<Pool>> ListenerRoutes::pools() const
{
    std::vector<std::shared_ptr<Pool>> out;
    table.forEachTarget([&out](const Target &target) { out.push_back(target.pool); });
    return out;
}

// A listening socket shared by all workers (each has its own dup): level-triggered, one
// accept per event, so a burst of new connections spreads over the workers instead of
// landing on the first awake.
class ProxyWorker::Listener final : public PollHandler
{
public:
    Listener(ProxyWorker *worker, const ListenerBinding &binding)
        : worker(worker)
        , fd(binding.fd)
        , pool(binding.pool)
        , tls(binding.tls)
        , tlsStats(binding.tlsStats)
        , redirect(binding.redirect)
        , routes(binding.routes)
    {
    }
    ~Listener() override { ::close(fd); }

    void pollEvents(std::uint32_t) override
    {
        if (paused)
            return;
        const int client = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client >= 0) {
            worker->accepted(this, client);
            return;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // Out of descriptors or memory: a level-triggered listener would spin. Pause; the
            // sweep listens again, and the kernel's backlog holds the clients meanwhile.
            worker->m_poller->remove(fd);
            paused = true;
            pausedSinceMs = ProxyWorker::nowMs();
        }
    }

    ProxyWorker *const worker;
    const int fd;
    const std::shared_ptr<Pool> pool;
    const std::shared_ptr<const TlsServerContext> tls;
    const std::shared_ptr<ListenerTlsStats> tlsStats;
    const ListenerRedirect redirect;
    const std::shared_ptr<const ListenerRoutes> routes;
    bool paused = false;
    qint64 pausedSinceMs = 0;
};

// The owner's end of its WorkerInbox in its poller.
class ProxyWorker::InboxReader final : public PollHandler
{
public:
    explicit InboxReader(ProxyWorker *worker)
        : worker(worker)
    {
    }
    void pollEvents(std::uint32_t) override { worker->takeInbox(); }

    ProxyWorker *const worker;
};

WorkerInbox::WorkerInbox()
    : m_eventFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
}

WorkerInbox::~WorkerInbox()
{
    for (const AcceptedConnection &connection : m_queue)
        ::close(connection.fd);
    if (m_eventFd >= 0)
        ::close(m_eventFd);
}

bool WorkerInbox::push(AcceptedConnection &connection)
{
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_closed || m_eventFd < 0)
            return false;
        wake = m_queue.empty();   // otherwise a wake-up is already pending
        m_queue.push_back(std::move(connection));
    }
    if (wake) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t written = ::write(m_eventFd, &one, sizeof one);
    }
    return true;
}

std::vector<AcceptedConnection> WorkerInbox::take()
{
    // The wake-up first: a push after the swap below finds the queue empty and wakes again.
    std::uint64_t value = 0;
    [[maybe_unused]] const ssize_t read = ::read(m_eventFd, &value, sizeof value);
    std::vector<AcceptedConnection> taken;
    std::lock_guard lock(m_mutex);
    taken.swap(m_queue);
    return taken;
}

std::vector<AcceptedConnection> WorkerInbox::close()
{
    std::vector<AcceptedConnection> left;
    std::lock_guard lock(m_mutex);
    m_closed = true;
    left.swap(m_queue);
    return left;
}

UpstreamConnection::UpstreamConnection(WorkerServer *server, ProxyWorker *worker)
    : StreamSocket(worker->poller(), this, kUpstreamReadBuffer)
    , server(server)
    , openedAtMs(ProxyWorker::nowMs())
    , m_worker(worker)
{
}

UpstreamConnection::~UpstreamConnection()
{
    if (m_counted)
        server->counters.connectionClosed();
}

void UpstreamConnection::start()
{
    const size_t count = server->addresses.size();
    if (count == 0) {
        failConnect(EHOSTUNREACH);
        return;
    }
    if (m_tried == 0)
        m_addressGeneration = server->addressGeneration;
    const SocketAddress &address = server->addresses[(server->preferred + m_tried) % count];
    m_target = address;
    ++m_tried;
    if (server->tlsConfig.enabled) {
        if (!server->tls) {
            failConnect(EPROTO);   // tlsError() is the server's
            return;
        }
        useTls(server->tls, server->host);
    }
    connectTo(address);
}

void UpstreamConnection::socketConnected(StreamSocket *)
{
    m_connected = true;
    if (toCurrentAddresses() && !server->addresses.empty())
        server->preferred = (server->preferred + m_tried - 1) % server->addresses.size();
    server->counters.connectionOpened();
    m_counted = true;
    if (owner)
        owner->onUpstreamActivity();
}

void UpstreamConnection::socketReadable(StreamSocket *)
{
    if (owner)
        owner->onUpstreamActivity();
    else
        m_worker->discard(this);   // an idle connection that speaks is out of step
}

void UpstreamConnection::socketWritten(StreamSocket *)
{
    if (owner)
        owner->onUpstreamDrained();
}

void UpstreamConnection::socketClosed(StreamSocket *)
{
    if (!m_connected && error() != 0 && m_tried > 0 && m_tried < server->addresses.size() && toCurrentAddresses()) {
        start();   // the name has another address to try
        return;
    }
    if (owner)
        owner->onUpstreamClosed();
    else
        m_worker->discard(this);
}

ProxyWorker::ProxyWorker(int index, const ProxyConfig &config, std::shared_ptr<AccessLogStats> accessLogStats)
    : m_index(index)
    , m_accessLog(accessLogStats ? std::move(accessLogStats) : std::make_shared<AccessLogStats>())
    , m_inbox(std::make_shared<WorkerInbox>())
    , m_siblings{m_inbox}
{
    setConfig(config);
}

ProxyWorker::~ProxyWorker()
{
    // Sessions and connections report to m_servers and m_poller as they go: end them first.
    closeAll();
    const QObjectList children = this->children();
    qDeleteAll(children);
    if (m_inboxReader) {
        m_poller->remove(m_inbox->wakeFd());
        delete m_inboxReader;
    }
    delete m_poller;
}

qint64 ProxyWorker::nowMs()
{
    // The worker loop's clock, read after each wake-up (nginx's cached time): timeouts and idle
    // ages need no more, and a clock read per use was 1.5 % of the worker's CPU, the biggest
    // item of its user time.
    return EpollEventDispatcher::loopTimeMs();
}

qint64 ProxyWorker::nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void ProxyWorker::ensurePoller()
{
    // Here, not in the constructor: the poller's notifier must belong to the worker's thread.
    // No parent: it goes last, after every session and connection that uses it.
    if (m_poller)
        return;
    m_poller = new EventPoller;
    // Without its inbox in the poller, the worker takes no connection from the others.
    if (m_inbox->wakeFd() >= 0) {
        m_inboxReader = new InboxReader(this);
        if (!m_poller->add(m_inbox->wakeFd(), EPOLLIN, m_inboxReader)) {
            delete m_inboxReader;
            m_inboxReader = nullptr;
            m_inbox->close();
        }
    }
}

void ProxyWorker::setConfig(const ProxyConfig &config)
{
    const bool resolverChanged = config.resolver != m_config.resolver;
    m_config = config;
    if (resolverChanged) {
        // Names are asked of the new nameservers (or of the system) from now on.
        for (auto &entry : m_servers) {
            WorkerServer &server = *entry.second;
            if (!QHostAddress(server.host).isNull())
                continue;
            server.dns.reset();
            server.resolution = WorkerServer::Resolution::Unresolved;
            if (!server.waitingForAddress.empty())
                resolve(server);
        }
    }
    m_limits.maxHeadBytes = config.maxHeaderBytes;
    m_accessLog.configure(config.accessLog);
    if (!m_sweepTimer) {
        m_sweepTimer = new QTimer(this);
        connect(m_sweepTimer, &QTimer::timeout, this, &ProxyWorker::sweep);
    }
    // Timeouts are checked by one sweep per worker instead of a timer per connection;
    // the sweep period bounds how late a timeout can fire.
    m_sweepTimer->start(sweepPeriodMs());
}

int ProxyWorker::sweepPeriodMs() const
{
    qint64 shortest = std::min({m_config.connectTimeoutMs, m_config.headerTimeoutMs, m_config.idleTimeoutMs, m_config.responseTimeoutMs});
    for (const Listener *listener : m_listeners) {
        // Held while read: a reload on the engine's thread may replace the pool's snapshot.
        const std::shared_ptr<const PoolSnapshot> snapshot = listener->pool->snapshot();
        const PoolOptions &options = snapshot->options;
        shortest = std::min({shortest, options.connectTimeoutOr(shortest), options.responseTimeoutOr(shortest), options.keepaliveTimeoutOr(shortest)});
    }
    return int(std::clamp<qint64>(shortest / 10, 10, 100));
}

void ProxyWorker::closeListeners()
{
    for (Listener *listener : m_listeners) {
        if (!listener->paused)
            m_poller->remove(listener->fd);
        m_poller->retire(listener);
    }
    m_listeners.clear();
}

void ProxyWorker::setListeners(std::vector<ListenerBinding> bindings)
{
    ensurePoller();
    closeListeners();
    if (m_stopping || !m_poller->isValid()) {
        for (const ListenerBinding &b : bindings)
            ::close(b.fd);
        return;
    }
    for (ListenerBinding &binding : bindings) {
        auto *listener = new Listener(this, binding);
        if (!m_poller->add(binding.fd, EPOLLIN, listener)) {
            delete listener;
            continue;
        }
        balancerFor(binding.pool);
        if (binding.routes) {
            for (const std::shared_ptr<Pool> &pool : binding.routes->pools())
                balancerFor(pool);
        }
        m_listeners.push_back(listener);
    }
}

void ProxyWorker::accepted(Listener *listener, int fd)
{
    place(AcceptedConnection{fd, listener->pool, listener->tls, listener->tlsStats, listener->redirect, listener->routes});
}

void ProxyWorker::place(AcceptedConnection connection)
{
    // To the worker with the fewest connections when it has fewer than this one (ties stay
    // here, saving a wake-up). Counts read without a lock may be a moment old when clients
    // arrive at several workers at once; the spread then stays within a few.
    const int own = m_inbox->connections.load(std::memory_order_relaxed);
    WorkerInbox *least = nullptr;
    int leastCount = own;
    for (const std::shared_ptr<WorkerInbox> &sibling : m_siblings) {
        const int count = sibling->connections.load(std::memory_order_relaxed);
        if (sibling != m_inbox && count < leastCount) {
            least = sibling.get();
            leastCount = count;
        }
    }
    if (least) {
        least->connections.fetch_add(1, std::memory_order_relaxed);
        if (least->push(connection)) {
            m_inbox->handedOff.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        least->connections.fetch_sub(1, std::memory_order_relaxed);   // it is stopping
    }
    m_inbox->connections.fetch_add(1, std::memory_order_relaxed);
    serve(std::move(connection));
}

void ProxyWorker::serve(AcceptedConnection connection)
{
    auto *session = new ClientSession(this, connection.fd, std::move(connection.pool), std::move(connection.tls),
                                      std::move(connection.tlsStats), connection.redirect, std::move(connection.routes));
    m_sessions.insert(session);
    session->start();
}

void ProxyWorker::takeInbox()
{
    // Counted already, by the worker that handed them over.
    for (AcceptedConnection &connection : m_inbox->take())
        serve(std::move(connection));
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
    if (server.checkedSnapshot == snapshot.id && snapshot.id != 0)
        return server;
    server.checkedSnapshot = snapshot.id;
    if (server.port != backend.spec.port || server.host != backend.spec.host) {
        // A reload moved the server: its kept-alive connections go to the old address.
        while (!server.idle.empty())
            discard(server.idle.back());
        server.host = backend.spec.host;
        server.port = backend.spec.port;
        server.dns.reset();
        server.resolution = WorkerServer::Resolution::Unresolved;
    }
    if (!(server.poolOptions == snapshot.options)) {
        // A reload may have shortened the pool's keep-alive: the connections idle longer than
        // the new timeout go before one of them is reused.
        server.poolOptions = snapshot.options;
        trimIdle(server, nowMs());
    }
    if (server.tlsConfig != backend.spec.tls) {
        // Kept-alive connections were made with the old settings (or without TLS).
        while (!server.idle.empty())
            discard(server.idle.back());
        server.tlsConfig = backend.spec.tls;
        server.tls = nullptr;
        server.tlsError.clear();
        if (server.tlsConfig.enabled)
            server.tls = TlsClientContext::load(server.tlsConfig, &server.tlsError);
    }
    return server;
}

UpstreamConnection *ProxyWorker::connectTo(WorkerServer &server, ClientSession *owner)
{
    auto *connection = new UpstreamConnection(&server, this);
    connection->owner = owner;
    // A name followed in DNS that has no address yet is not asked again per request: its
    // follower asks every retry, and the connect fails now ("the name does not resolve").
    if (server.resolution == WorkerServer::Resolution::Unresolved || (server.resolution == WorkerServer::Resolution::Failed && !server.dns))
        resolve(server);
    if (server.resolution == WorkerServer::Resolution::Resolved || server.resolution == WorkerServer::Resolution::Failed)
        connection->start();
    else
        server.waitingForAddress.push_back(connection);
    return connection;
}


void ProxyWorker::resolve(WorkerServer &server)
{
    server.addresses.clear();
    server.preferred = 0;
    ++server.addressGeneration;
    const QHostAddress literal(server.host);
    if (!literal.isNull()) {
        SocketAddress address;
        if (toSocketAddress(literal, server.port, &address))
            server.addresses.push_back(address);
        server.resolution = server.addresses.empty() ? WorkerServer::Resolution::Failed : WorkerServer::Resolution::Resolved;
        return;
    }
    server.resolution = WorkerServer::Resolution::Resolving;
    const BackendLive *key = server.live.get();
    if (m_config.resolver.enabled()) {
        // Followed in DNS: asked again at every TTL, new connections go to what it says now.
        server.dns = std::make_unique<DnsFollower>(server.host, m_config.resolver);
        connect(server.dns.get(), &DnsFollower::answered, this, [this, key] {
            auto it = m_servers.find(key);
            if (it != m_servers.end())
                followed(*it->second);
        });
        server.dns->start();
        return;
    }
    const QString host = server.host;
    QHostInfo::lookupHost(host, this, [this, key, host](const QHostInfo &info) {
        auto it = m_servers.find(key);
        if (it == m_servers.end() || it->second->host != host)
            return;   // a reload moved the server meanwhile
        WorkerServer &s = *it->second;
        s.addresses.clear();
        s.preferred = 0;
        for (const QHostAddress &address : info.addresses()) {
            SocketAddress resolved;
            if (toSocketAddress(address, s.port, &resolved))
                s.addresses.push_back(resolved);
        }
        s.resolution = s.addresses.empty() ? WorkerServer::Resolution::Failed : WorkerServer::Resolution::Resolved;
        startWaiting(s);
    });
}

void ProxyWorker::startWaiting(WorkerServer &server)
{
    std::vector<UpstreamConnection *> waiting;
    waiting.swap(server.waitingForAddress);
    for (UpstreamConnection *connection : waiting) {
        if (server.resolution == WorkerServer::Resolution::Resolved)
            connection->start();
        else
            connection->failConnect(EHOSTUNREACH);
    }
}

void ProxyWorker::followed(WorkerServer &server)
{
    std::vector<SocketAddress> next;
    for (const QHostAddress &address : server.dns->addresses()) {
        SocketAddress resolved;
        if (toSocketAddress(address, server.port, &resolved))
            next.push_back(resolved);
    }
    const auto same = [](const SocketAddress &a, const SocketAddress &b) {
        return a.addressLength == b.addressLength && std::memcmp(&a.address, &b.address, a.addressLength) == 0;
    };
    // A failed round leaves the last addresses (DnsFollower keeps them too).
    if (!next.empty() && !std::equal(next.begin(), next.end(), server.addresses.begin(), server.addresses.end(), same)) {
        server.addresses = std::move(next);
        server.preferred = 0;
        ++server.addressGeneration;
        // Kept-alive connections to the old addresses go now; those in use finish their
        // request and are not kept (parkIdle).
        while (!server.idle.empty())
            discard(server.idle.back());
    }
    server.resolution = server.addresses.empty() ? WorkerServer::Resolution::Failed : WorkerServer::Resolution::Resolved;
    startWaiting(server);
}

UpstreamConnection *ProxyWorker::takeIdle(WorkerServer &server)
{
    while (!server.idle.empty()) {
        UpstreamConnection *connection = server.idle.back();
        server.idle.pop_back();
        if (connection->state() != StreamSocket::State::Connected || connection->bytesAvailable() > 0 || !connection->toCurrentAddresses()
            || (server.poolOptions.keepaliveTimeMs > 0 && nowMs() - connection->openedAtMs >= server.poolOptions.keepaliveTimeMs)) {
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
    const PoolOptions &options = server.poolOptions;
    ++connection->requestsAnswered;
    const qint64 now = nowMs();
    if (m_stopping || int(server.idle.size()) >= options.maxIdlePerServerOr(m_config.maxIdlePerServer) || !connection->toCurrentAddresses()
        || (options.keepaliveRequests > 0 && connection->requestsAnswered >= options.keepaliveRequests)
        || (options.keepaliveTimeMs > 0 && now - connection->openedAtMs >= options.keepaliveTimeMs)) {
        discard(connection);
        return;
    }
    connection->owner = nullptr;
    connection->idleSinceMs = now;
    server.idle.push_back(connection);
}

void ProxyWorker::discard(UpstreamConnection *connection)
{
    if (connection->aborted())
        return;   // already on its way out (an end of stream right after data, for one)
    std::vector<UpstreamConnection *> &idle = connection->server->idle;
    idle.erase(std::remove(idle.begin(), idle.end(), connection), idle.end());
    std::vector<UpstreamConnection *> &waiting = connection->server->waitingForAddress;
    waiting.erase(std::remove(waiting.begin(), waiting.end(), connection), waiting.end());
    connection->owner = nullptr;
    connection->abort();
    m_poller->retire(connection);
}

void ProxyWorker::trimIdle(WorkerServer &server, qint64 now)
{
    const qint64 timeoutMs = server.poolOptions.keepaliveTimeoutOr(m_config.idleTimeoutMs);
    const size_t most = size_t(server.poolOptions.maxIdlePerServerOr(m_config.maxIdlePerServer));
    std::vector<UpstreamConnection *> &idle = server.idle;
    while (!idle.empty() && (idle.size() > most || now - idle.front()->idleSinceMs > timeoutMs))
        discard(idle.front());
}

void ProxyWorker::sessionClosed(ClientSession *session)
{
    if (session->servesConnection())
        m_inbox->connections.fetch_sub(1, std::memory_order_relaxed);
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
    for (auto &entry : m_servers)
        trimIdle(*entry.second, now);
    for (Listener *listener : m_listeners) {
        if (listener->paused && now - listener->pausedSinceMs >= 100 && m_poller->add(listener->fd, EPOLLIN, listener))
            listener->paused = false;
    }
    if (m_poller)
        m_poller->freeRetired();
    m_accessLog.tick(now);
    // A reload may have given a bound pool a shorter timeout of its own.
    if (const int period = sweepPeriodMs(); period != m_sweepTimer->interval())
        m_sweepTimer->setInterval(period);
}

void ProxyWorker::beginStop()
{
    m_stopping = true;
    if (m_poller)
        closeListeners();
    // Handed over before the stop: served like those accepted here (then closed when idle).
    for (AcceptedConnection &connection : m_inbox->close())
        serve(std::move(connection));
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
    if (m_stopping && m_sessions.empty()) {
        m_accessLog.flush();   // the last requests' lines are on disk when the proxy says it stopped
        Q_EMIT drained();
    }
}

void ProxyWorker::closeAll()
{
    m_stopping = true;
    if (m_poller)
        closeListeners();
    for (const AcceptedConnection &connection : m_inbox->close())
        ::close(connection.fd);
    const std::vector<ClientSession *> sessions(m_sessions.begin(), m_sessions.end());
    for (ClientSession *session : sessions)
        delete session;
    m_sessions.clear();
    for (auto &entry : m_servers) {
        for (UpstreamConnection *connection : entry.second->idle)
            delete connection;
        entry.second->idle.clear();
    }
    if (m_poller)
        m_poller->freeRetired();
    m_accessLog.flush();
}

void ProxyWorker::collect(const std::function<void(const WorkerServer &)> &visit) const
{
    std::lock_guard lock(m_serversMutex);
    for (const auto &entry : m_servers)
        visit(*entry.second);
}

void ProxyWorker::collectUnserved(const std::function<void(const QString &, quint64)> &visit) const
{
    std::lock_guard lock(m_serversMutex);
    for (const auto &[pool, count] : m_unserved)
        visit(pool, count->load(std::memory_order_relaxed));
}

void ProxyWorker::countUnserved(const QString &pool)
{
    // Only this thread inserts, under the lock that collectUnserved() takes; lookups need none.
    auto it = m_unserved.find(pool);
    if (it == m_unserved.end()) {
        std::lock_guard lock(m_serversMutex);
        it = m_unserved.emplace(pool, std::make_unique<std::atomic<quint64>>(0)).first;
    }
    ServerCounters::bump(*it->second);
}

} // namespace fulcrum
