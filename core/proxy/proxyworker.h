#pragma once

#include "balancer/balancer.h"
#include "common/dnsfollower.h"
#include "common/socketaddress.h"
#include "config/config.h"
#include "config/routetable.h"
#include "metrics/servercounters.h"
#include "proxy/accesslog.h"
#include "proxy/httpparser.h"
#include "proxy/streamsocket.h"

#include <QObject>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

class QTimer;

namespace fulcrum {

class ClientSession;
class ProxyWorker;
class TlsClientContext;
class TlsServerContext;
struct ListenerTlsStats;

// listeners[].routes with their pools (RouteTable: the most specific route wins), and the
// listener's own pool for the requests no route takes (ClientSession routes each request by it).
struct ListenerRoutes
{
    struct Target
    {
        std::shared_ptr<Pool> pool;
        QByteArray prefix;            // with prefixRewrite: what the path starts with, made plain
        QByteArray prefixRewrite;     // empty: the path goes to the servers as sent
    };
    RouteTable<Target> table;
    std::shared_ptr<Pool> fallback;

    // Built from the config's routes (pools by name; a route whose pool is missing is left out).
    static std::shared_ptr<const ListenerRoutes> make(const std::vector<ListenerRoute> &config,
                                                      const std::function<std::shared_ptr<Pool>(const QString &)> &poolNamed,
                                                      std::shared_ptr<Pool> fallback);

    // The route of a request by the host it asks for (HttpRequestHead::hostAsked) and its path
    // (HttpRequestHead::path), matched as the servers will read it, so "/api/../admin" is not
    // routed as "/api/"; nullptr: no route takes it, it goes to `fallback`.
    const Target *routeFor(QByteArrayView host, QByteArrayView path) const { return table.find(host, path); }

    // Every pool a route names (each worker makes their balancers up front).
    std::vector<std::shared_ptr<Pool>> pools() const;
};

// A listening socket handed to one worker, and the pool its traffic goes to.
struct ListenerBinding
{
    QString name;
    QString address;                 // host:port, for messages
    int fd = -1;                     // this worker's own dup of the listening socket; the worker closes it
    std::shared_ptr<Pool> pool;
    std::shared_ptr<const TlsServerContext> tls;   // null: plain HTTP
    std::shared_ptr<ListenerTlsStats> tlsStats;     // with tls
    ListenerRedirect redirect;                      // enabled: every request answered with it
    std::shared_ptr<const ListenerRoutes> routes;   // null: every request goes to `pool`
};

class UpstreamConnection;

// An accepted client connection and what serving it needs: handed from the worker that
// accepted it to the one that will serve it.
struct AcceptedConnection
{
    int fd = -1;
    std::shared_ptr<Pool> pool;
    std::shared_ptr<const TlsServerContext> tls;
    std::shared_ptr<ListenerTlsStats> tlsStats;
    ListenerRedirect redirect;
    std::shared_ptr<const ListenerRoutes> routes;
};

// One worker's count of client connections, read by the other workers, and the queue where
// they hand it connections they accepted. All workers wait on each listening socket and the
// first awake accepts; alone, that can pile the clients of a burst onto whichever worker the
// scheduler runs first (51 clients against 1 in one of five wrk runs of 50 connections), and
// one thread cannot use more than one core, nor more than its share of a busy one. So the accepting
// worker gives the connection to the least loaded worker when that one holds fewer
// (ProxyWorker::place). Any thread; shared by the workers so that a push never outlives it.
class WorkerInbox
{
public:
    WorkerInbox();
    ~WorkerInbox();   // closes the connections no worker took
    WorkerInbox(const WorkerInbox &) = delete;
    WorkerInbox &operator=(const WorkerInbox &) = delete;

    // Readable when connections wait: in the owner's poller.
    int wakeFd() const { return m_eventFd; }
    // False (and the connection left with the caller) once the owner stops taking any.
    bool push(AcceptedConnection &connection);
    // The owner's thread: what waits, and the wake-up consumed.
    std::vector<AcceptedConnection> take();
    // The owner stops: pushes fail from now on; returns what still waits.
    std::vector<AcceptedConnection> close();

    // Open client connections of the owner, counting those pushed and not yet taken.
    std::atomic<int> connections{0};
    // Connections this worker accepted and handed to another (cumulative).
    std::atomic<quint64> handedOff{0};

private:
    std::mutex m_mutex;
    std::vector<AcceptedConnection> m_queue;
    bool m_closed = false;
    int m_eventFd = -1;
};

// One worker's view of one server: its counters and its kept-alive connections.
struct WorkerServer
{
    std::shared_ptr<BackendLive> live;
    QString pool;
    QString name;
    QString host;
    quint16 port = 0;
    ServerCounters counters;
    std::vector<UpstreamConnection *> idle;
    // Where connections go: a literal host at once, a name once resolved (once per worker
    // and host; a reload that changes the host resolves again). A connect tries the address
    // that last worked first, then the others, like QTcpSocket does.
    enum class Resolution { Unresolved, Resolving, Resolved, Failed };
    Resolution resolution = Resolution::Unresolved;
    std::vector<SocketAddress> addresses;
    size_t preferred = 0;
    // Bumped whenever addresses change: a connection made to the old ones is not kept alive.
    quint32 addressGeneration = 0;
    // With proxy.resolver and a name: the name followed in DNS (new addresses at every TTL).
    std::unique_ptr<DnsFollower> dns;
    std::vector<UpstreamConnection *> waitingForAddress;
    // TLS to the server (servers[].tls), made when the config names it; a context that cannot
    // load (a CA file gone since the config was read) leaves tls null and tlsError set.
    BackendTls tlsConfig;
    std::shared_ptr<const TlsClientContext> tls;
    QString tlsError;
    // The snapshot (PoolSnapshot::id) whose address and TLS settings were last compared with
    // these: the comparison of strings is made once per snapshot, not once per request.
    quint64 checkedSnapshot = 0;
    // The pool's options as of checkedSnapshot: its own keep-alive timeout and idle count.
    PoolOptions poolOptions;
};

// A connection to a server, reused across requests while the server keeps it alive. What
// happens on it goes to whoever holds it now: a session, or (while idle) the worker, which
// drops it on any sign of life. Cheaper than reconnecting per request.
class UpstreamConnection final : public StreamSocket, private StreamSocket::Observer
{
public:
    UpstreamConnection(WorkerServer *server, ProxyWorker *worker);
    ~UpstreamConnection() override;

    WorkerServer *const server;
    ClientSession *owner = nullptr;
    qint64 idleSinceMs = 0;
    bool reused = false;
    // For the pool's keepalive_requests and keepalive_time: requests answered on it so far, and
    // when it was made.
    qint64 requestsAnswered = 0;
    const qint64 openedAtMs;

    // Connects to the server's addresses in turn (they must be resolved).
    void start();
    // Made to the server's current addresses (not to ones DNS or a reload has replaced since).
    bool toCurrentAddresses() const { return m_addressGeneration == server->addressGeneration; }
    // The address connected to (or last tried); invalid before the first try.
    const SocketAddress &target() const { return m_target; }

private:
    void socketConnected(StreamSocket *) override;
    void socketReadable(StreamSocket *) override;
    void socketWritten(StreamSocket *) override;
    void socketClosed(StreamSocket *) override;

    ProxyWorker *const m_worker;
    bool m_counted = false;
    bool m_connected = false;
    size_t m_tried = 0;
    quint32 m_addressGeneration = 0;   // the server's addresses this connection was made from
    SocketAddress m_target;
};

// One proxy worker: its own thread and event loop, its own Balancer per pool, its own
// connection pools and counters. Nothing on the request path is shared with other
// workers except the pool snapshots (read lock-free) and BackendLive's relaxed atomics.
class ProxyWorker : public QObject
{
    Q_OBJECT

public:
    // accessLogStats: shared by the workers of one proxy (null: this worker's own).
    ProxyWorker(int index, const ProxyConfig &config, std::shared_ptr<AccessLogStats> accessLogStats = {});
    ~ProxyWorker() override;

    // These run in the worker's thread (ProxyServer queues them there).
    void setListeners(std::vector<ListenerBinding> bindings);
    // Before the threads start: every worker's inbox, in worker order (this one's included).
    void setSiblings(std::vector<std::shared_ptr<WorkerInbox>> inboxes) { m_siblings = std::move(inboxes); }
    const std::shared_ptr<WorkerInbox> &inbox() const { return m_inbox; }
    void setConfig(const ProxyConfig &config);
    void beginStop();
    void closeAll();

    // Any thread: visits this worker's counters for every server it has talked to.
    void collect(const std::function<void(const WorkerServer &)> &visit) const;
    // Any thread: requests of each pool this worker answered 503 itself because no server of
    // the pool took traffic (cumulative).
    void collectUnserved(const std::function<void(const QString &pool, quint64 count)> &visit) const;
    // Worker thread: one such 503.
    void countUnserved(const QString &pool);
    int index() const { return m_index; }

    // For the sessions of this worker.
    const ProxyConfig &config() const { return m_config; }
    const HttpLimits &limits() const { return m_limits; }
    bool stopping() const { return m_stopping; }
    Balancer &balancerFor(const std::shared_ptr<Pool> &pool);
    WorkerServer &serverFor(const PoolSnapshot &snapshot, int index);
    // A kept-alive connection to the server, or null. One older than the pool's keepalive_time
    // is closed, not reused.
    UpstreamConnection *takeIdle(WorkerServer &server);
    // A new connection to the server for owner, connecting (or waiting for its address).
    UpstreamConnection *connectTo(WorkerServer &server, ClientSession *owner);
    // A connection whose request was answered: kept for the next request to its server, or
    // closed (stopping, the idle count full, its address replaced, the pool's keepalive_requests
    // or keepalive_time reached).
    void parkIdle(UpstreamConnection *connection);
    void discard(UpstreamConnection *connection);
    void sessionClosed(ClientSession *session);
    // An HTTP/2 stream's session: timed out, stopped and counted like a connection's.
    void adoptSession(ClientSession *session) { m_sessions.insert(session); }

    EventPoller *poller() { return m_poller; }
    AccessLog &accessLog() { return m_accessLog; }
    // Where a session writes a head before handing it to its streams (one per worker thread:
    // the head is copied out at once). Plain memory, grown and never shrunk.
    struct HeadScratch
    {
        std::unique_ptr<char[]> data;
        qsizetype capacity = 0;
    };
    HeadScratch &headScratch() { return m_headScratch; }
    static qint64 nowMs();
    static qint64 nowNs();

Q_SIGNALS:
    // After beginStop(): the last session has ended.
    void drained();

private:
    class Listener;
    class InboxReader;
    void sweep();
    // How often the sweep runs: a tenth of the shortest timeout in force (the proxy's, or a bound
    // pool's own), 10..100 ms, so a timeout fires at most that late.
    int sweepPeriodMs() const;
    void checkDrained();
    void accepted(Listener *listener, int fd);
    // Serves the connection here, or hands it to the worker with the fewest (WorkerInbox).
    void place(AcceptedConnection connection);
    void serve(AcceptedConnection connection);
    void takeInbox();
    void closeListeners();
    void resolve(WorkerServer &server);
    // Closes the kept-alive connections idle longer than the keep-alive timeout in force, and
    // those beyond the idle count in force (the oldest first).
    void trimIdle(WorkerServer &server, qint64 now);
    // A followed name's answer (DnsFollower::changed): new addresses for new connections.
    void followed(WorkerServer &server);
    // Starts the connections that waited for the server's address (fails them if it has none).
    void startWaiting(WorkerServer &server);
    void ensurePoller();

    const int m_index;
    ProxyConfig m_config;
    HttpLimits m_limits;
    bool m_stopping = false;
    QTimer *m_sweepTimer = nullptr;
    EventPoller *m_poller = nullptr;
    HeadScratch m_headScratch;
    AccessLog m_accessLog;   // before the sessions go (closeAll in the destructor): their last lines
    std::vector<Listener *> m_listeners;
    std::shared_ptr<WorkerInbox> m_inbox;
    std::vector<std::shared_ptr<WorkerInbox>> m_siblings;
    InboxReader *m_inboxReader = nullptr;
    struct PoolBalancer
    {
        std::shared_ptr<Pool> pool;
        std::unique_ptr<Balancer> balancer;
    };
    // Kept for the worker's life: a session may still hold a Balancer of a pool a reload removed.
    std::unordered_map<const Pool *, PoolBalancer> m_balancers;
    mutable std::mutex m_serversMutex;   // insertions here vs. collect() from the engine tick only
    std::unordered_map<const BackendLive *, std::unique_ptr<WorkerServer>> m_servers;
    std::unordered_map<QString, std::unique_ptr<std::atomic<quint64>>> m_unserved;   // by pool; inserted under m_serversMutex
    std::unordered_set<ClientSession *> m_sessions;
};

} // namespace fulcrum
