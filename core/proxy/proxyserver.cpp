#include "proxyserver.h"

#include "proxy/epolldispatcher.h"

#include <QHostAddress>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

namespace fulcrum {

ProxyServer::ProxyServer(QObject *parent)
    : QObject(parent)
{
}

ProxyServer::~ProxyServer()
{
    for (size_t i = 0; i < m_threads.size(); ++i)
        QMetaObject::invokeMethod(m_workers[i], [w = m_workers[i]] { w->closeAll(); }, Qt::BlockingQueuedConnection);
    for (QThread *thread : m_threads) {
        thread->quit();
        thread->wait();
        delete thread;
    }
    for (Listener &l : m_listeners)
        ::close(l.fd);
}

int ProxyServer::bindListener(const ListenerConfig &config, quint16 *boundPort, QString *error)
{
    const QString where = QStringLiteral("listener \"%1\" (%2:%3)").arg(config.name, config.host).arg(config.port);
    QHostAddress address;
    if (config.host == u"localhost")
        address = QHostAddress(QHostAddress::LocalHost);
    else if (!address.setAddress(config.host)) {
        *error = QStringLiteral("%1: host must be an IP address such as 127.0.0.1, 0.0.0.0 or ::1").arg(where);
        return -1;
    }
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(config.port);
        const Q_IPV6ADDR bytes = address.toIPv6Address();
        std::memcpy(&in6->sin6_addr, bytes.c, 16);
        length = sizeof(sockaddr_in6);
    } else {
        auto *in4 = reinterpret_cast<sockaddr_in *>(&storage);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(config.port);
        in4->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof(sockaddr_in);
    }
    const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = QStringLiteral("%1: cannot create a socket: %2").arg(where, QString::fromLocal8Bit(std::strerror(errno)));
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, reinterpret_cast<sockaddr *>(&storage), length) != 0 || ::listen(fd, 1024) != 0) {
        const int code = errno;
        ::close(fd);
        *error = QStringLiteral("%1: %2%3").arg(where, QString::fromLocal8Bit(std::strerror(code)),
                                                code == EADDRINUSE ? QStringLiteral("; another program (or another fulcrumd) listens there: stop it or choose another port")
                                                : code == EACCES   ? QStringLiteral("; ports below 1024 need privileges: choose a port above 1024")
                                                                   : QString());
        return -1;
    }
    sockaddr_storage bound{};
    socklen_t boundLength = sizeof(bound);
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&bound), &boundLength);
    *boundPort = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 *>(&bound)->sin6_port
                                                   : reinterpret_cast<sockaddr_in *>(&bound)->sin_port);
    return fd;
}

bool ProxyServer::start(const ProxyConfig &config, const std::vector<ListenerConfig> &listeners, const PoolMap &pools, QStringList *errors,
                        QStringList *notes)
{
    if (isRunning()) {
        errors->append(QStringLiteral("the proxy is already running; use reconfigure"));
        return false;
    }
    m_config = config;
    if (!reconfigure(config, listeners, pools, errors, notes))
        return false;
    const int count = config.workers > 0 ? config.workers : qMax(1, QThread::idealThreadCount());
    for (int i = 0; i < count; ++i) {
        auto *thread = new QThread;
        thread->setObjectName(QStringLiteral("proxy-worker-%1").arg(i));
        thread->setEventDispatcher(new EpollEventDispatcher);   // one epoll_wait per wake-up
        auto *worker = new ProxyWorker(i, config, m_accessLogStats);
        worker->moveToThread(thread);
        connect(thread, &QThread::finished, worker, &QObject::deleteLater);
        connect(worker, &ProxyWorker::drained, this, [this] {
            if (m_stopping && ++m_drained == int(m_workers.size()))
                finishStop();
        });
        m_threads.push_back(thread);
        m_workers.push_back(worker);
        m_inboxes.push_back(worker->inbox());
    }
    // Each worker may hand accepted connections to any other (WorkerInbox).
    for (ProxyWorker *worker : m_workers)
        worker->setSiblings(m_inboxes);
    for (QThread *thread : m_threads)
        thread->start();
    applyListeners(pools);
    return true;
}

bool ProxyServer::reconfigure(const ProxyConfig &config, const std::vector<ListenerConfig> &listeners, const PoolMap &pools,
                              QStringList *errors, QStringList *notes)
{
    for (const ListenerConfig &l : listeners) {
        if (!pools.contains(l.pool))
            errors->append(QStringLiteral("listener \"%1\": pool \"%2\" does not exist").arg(l.name, l.pool));
    }
    if (!errors->isEmpty())
        return false;
    // Certificates first: a bad one rejects the reload before any socket changes.
    std::map<QString, std::shared_ptr<TicketKeys>> ticketKeys;
    std::vector<std::shared_ptr<const TlsServerContext>> contexts;
    for (const ListenerConfig &l : listeners) {
        if (!l.tls.enabled()) {
            contexts.push_back(nullptr);
            continue;
        }
        std::shared_ptr<TicketKeys> &keys = ticketKeys[l.name];
        const auto kept = m_ticketKeys.find(l.name);
        keys = kept != m_ticketKeys.end() ? kept->second : std::make_shared<TicketKeys>(l.tls.ticketKeyRotationMs);
        keys->setRotation(l.tls.ticketKeyRotationMs);
        TlsServerContext::LoadError error;
        QStringList warnings;
        contexts.push_back(TlsServerContext::load(l.tls, keys, &error, &warnings));
        if (!contexts.back())
            errors->append(QStringLiteral("listener \"%1\": tls: %2").arg(l.name, error.message));
        for (const QString &warning : warnings) {
            if (notes)
                notes->append(QStringLiteral("listener \"%1\": %2").arg(l.name, warning));
        }
    }
    if (!errors->isEmpty())
        return false;
    std::vector<Listener> next;
    std::vector<bool> kept(m_listeners.size(), false);
    for (const ListenerConfig &l : listeners) {
        Listener entry;
        entry.config = l;
        entry.tls = contexts[next.size()];
        if (entry.tls) {
            const auto kept = m_tlsStats.find(l.name);
            entry.tlsStats = kept != m_tlsStats.end() ? kept->second : std::make_shared<ListenerTlsStats>();
        }
        for (size_t i = 0; i < m_listeners.size(); ++i) {
            const Listener &old = m_listeners[i];
            if (!kept[i] && l.port != 0 && old.config.host == l.host && old.boundPort == l.port) {
                entry.fd = old.fd;
                entry.boundPort = old.boundPort;
                kept[i] = true;
                break;
            }
        }
        if (entry.fd < 0) {
            QString error;
            entry.fd = bindListener(l, &entry.boundPort, &error);
            if (entry.fd < 0)
                errors->append(error);
        }
        next.push_back(entry);
    }
    if (!errors->isEmpty()) {
        for (size_t i = 0; i < next.size(); ++i) {
            const bool isOld = std::any_of(m_listeners.begin(), m_listeners.end(), [&](const Listener &o) { return o.fd == next[i].fd; });
            if (next[i].fd >= 0 && !isOld)
                ::close(next[i].fd);
        }
        return false;
    }
    for (size_t i = 0; i < m_listeners.size(); ++i) {
        if (!kept[i])
            ::close(m_listeners[i].fd);
    }
    m_listeners = std::move(next);
    m_ticketKeys = std::move(ticketKeys);
    m_tlsStats.clear();
    for (const Listener &l : m_listeners) {
        if (l.tlsStats)
            m_tlsStats[l.config.name] = l.tlsStats;
    }
    if (notes && isRunning() && config.workers != m_config.workers)
        notes->append(QStringLiteral("proxy.workers changed from %1 to %2: takes effect after a restart").arg(m_config.workers).arg(config.workers));
    const int workers = m_config.workers;
    m_config = config;
    m_config.workers = isRunning() ? workers : config.workers;
    if (isRunning()) {
        for (ProxyWorker *worker : m_workers)
            QMetaObject::invokeMethod(worker, [worker, config] { worker->setConfig(config); }, Qt::QueuedConnection);
        applyListeners(pools);
    }
    return true;
}

void ProxyServer::applyListeners(const PoolMap &pools)
{
    for (ProxyWorker *worker : m_workers) {
        std::vector<ListenerBinding> bindings;
        for (const Listener &l : m_listeners) {
            ListenerBinding b;
            b.name = l.config.name;
            b.address = QStringLiteral("%1:%2").arg(l.config.host).arg(l.boundPort);
            b.fd = ::fcntl(l.fd, F_DUPFD_CLOEXEC, 0);
            b.pool = pools.value(l.config.pool);
            b.tls = l.tls;
            b.tlsStats = l.tlsStats;
            b.redirect = l.config.redirect;
            if (!l.config.routes.empty())
                b.routes = ListenerRoutes::make(l.config.routes, [&pools](const QString &name) { return pools.value(name); }, b.pool);
            // The port its clients are sent to: the TLS listener's as bound (0 in a config is a
            // port the kernel picked).
            for (const Listener &to : m_listeners) {
                if (b.redirect.enabled() && to.config.name == b.redirect.to)
                    b.redirect.toPort = to.boundPort;
            }
            bindings.push_back(std::move(b));
        }
        QMetaObject::invokeMethod(worker, [worker, bindings = std::move(bindings)]() mutable { worker->setListeners(std::move(bindings)); },
                                  Qt::QueuedConnection);
    }
}

std::vector<ProxyServer::WorkerLoad> ProxyServer::workerLoads() const
{
    std::vector<WorkerLoad> loads;
    for (const std::shared_ptr<WorkerInbox> &inbox : m_inboxes)
        loads.push_back(WorkerLoad{inbox->connections.load(std::memory_order_relaxed), inbox->handedOff.load(std::memory_order_relaxed)});
    return loads;
}

std::vector<ProxyServer::BoundListener> ProxyServer::listeners() const
{
    std::vector<BoundListener> out;
    for (const Listener &l : m_listeners)
        out.push_back(BoundListener{l.config.name, l.config.host, l.boundPort, l.config.pool, l.tls != nullptr, l.tls ? l.tls->earliestExpiry() : 0, l.tlsStats,
                                    l.config.redirect.to, l.config.redirect.except, l.config.routes});
    return out;
}

std::map<QString, quint64> ProxyServer::unservedTotals() const
{
    std::map<QString, quint64> totals;
    for (const auto &worker : m_workers)
        worker->collectUnserved([&totals](const QString &pool, quint64 count) { totals[pool] += count; });
    return totals;
}

void ProxyServer::collect(const std::function<void(const WorkerServer &)> &visit) const
{
    for (const ProxyWorker *worker : m_workers)
        worker->collect(visit);
}

void ProxyServer::stop()
{
    if (!isRunning()) {
        Q_EMIT stopped();
        return;
    }
    if (m_stopping)
        return;
    m_stopping = true;
    m_drained = 0;
    for (Listener &l : m_listeners)
        ::close(l.fd);
    m_listeners.clear();
    m_stopTimer = new QTimer(this);
    m_stopTimer->setSingleShot(true);
    connect(m_stopTimer, &QTimer::timeout, this, &ProxyServer::finishStop);
    m_stopTimer->start(int(std::clamp<qint64>(m_config.stopTimeoutMs, 0, 24 * 3600 * 1000)));
    for (ProxyWorker *worker : m_workers)
        QMetaObject::invokeMethod(worker, [worker] { worker->beginStop(); }, Qt::QueuedConnection);
}

void ProxyServer::finishStop()
{
    if (!m_stopping)
        return;
    m_stopping = false;
    delete m_stopTimer;
    m_stopTimer = nullptr;
    for (ProxyWorker *worker : m_workers)
        QMetaObject::invokeMethod(worker, [worker] { worker->closeAll(); }, Qt::BlockingQueuedConnection);
    for (QThread *thread : m_threads) {
        thread->quit();
        thread->wait();
        delete thread;
    }
    m_threads.clear();
    m_workers.clear();
    m_inboxes.clear();
    Q_EMIT stopped();
}

} // namespace fulcrum
