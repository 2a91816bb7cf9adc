#pragma once

#include "config/config.h"
#include "proxy/proxyworker.h"
#include "proxy/tls.h"

#include <QHash>
#include <QObject>
#include <QStringList>

#include <functional>
#include <map>
#include <memory>
#include <vector>

class QThread;
class QTimer;

namespace fulcrum {

// The data plane: binds the configured listeners, runs N ProxyWorker threads that share
// the listening sockets, and stops gracefully. Lives in the engine's thread.
class ProxyServer : public QObject
{
    Q_OBJECT

public:
    using PoolMap = QHash<QString, std::shared_ptr<Pool>>;

    explicit ProxyServer(QObject *parent = nullptr);
    ~ProxyServer() override;

    // Binds every listener, then starts the workers. Any error leaves nothing running;
    // each error names the listener, its address and the fix.
    // TLS listeners read their certificates here (a reload reads them again: a renewed
    // certificate takes effect for new connections); warnings (an expired certificate or
    // OCSP response) go to *notes.
    bool start(const ProxyConfig &config, const std::vector<ListenerConfig> &listeners, const PoolMap &pools, QStringList *errors,
               QStringList *notes = nullptr);
    // A reload: listeners keeping their address keep their socket (no connection is lost),
    // new ones are bound first; on any error nothing changes. The worker count of a
    // running proxy does not change (a note says so in *notes).
    bool reconfigure(const ProxyConfig &config, const std::vector<ListenerConfig> &listeners, const PoolMap &pools,
                     QStringList *errors, QStringList *notes = nullptr);
    // Graceful stop: no new connections, requests in flight finish, up to config.stopTimeoutMs;
    // then everything still open is closed. Emits stopped() once done.
    void stop();
    bool isRunning() const { return !m_threads.empty(); }

    int workerCount() const { return int(m_workers.size()); }
    // Each worker's open client connections, in worker order (empty when stopped); read with
    // relaxed atomics, called from the thread that started the proxy.
    struct WorkerLoad
    {
        int connections = 0;
        quint64 handedOff = 0;   // accepted by this worker, served by another (cumulative)
    };
    std::vector<WorkerLoad> workerLoads() const;
    // The address each listener is bound to (port filled in when the config said 0).
    struct BoundListener
    {
        QString name;
        QString host;
        quint16 port = 0;
        QString pool;
        bool tls = false;
        qint64 tlsExpiry = 0;                           // the first certificate's end, s since the epoch
        std::shared_ptr<const ListenerTlsStats> tlsStats;
        QString redirectTo;                             // a redirect listener's TLS listener
        QList<QByteArray> redirectExcept;               // and the path prefixes it sends to `pool` instead
        std::vector<ListenerRoute> routes;              // path prefixes sent to other pools than `pool`
    };
    std::vector<BoundListener> listeners() const;
    // Visits every worker's counters (engine tick).
    void collect(const std::function<void(const WorkerServer &)> &visit) const;
    // Per pool, the 503s the workers answered themselves because no server took traffic
    // (cumulative, summed over the workers).
    std::map<QString, quint64> unservedTotals() const;
    // The workers' access log (proxy.access_log): lines written and lost, the last failure.
    const AccessLogStats &accessLogStats() const { return *m_accessLogStats; }

Q_SIGNALS:
    void stopped();

private:
    struct Listener
    {
        ListenerConfig config;
        int fd = -1;
        quint16 boundPort = 0;
        std::shared_ptr<const TlsServerContext> tls;
        std::shared_ptr<ListenerTlsStats> tlsStats;
    };
    static int bindListener(const ListenerConfig &config, quint16 *boundPort, QString *error);
    void applyListeners(const PoolMap &pools);
    void finishStop();

    ProxyConfig m_config;
    std::vector<Listener> m_listeners;
    // Per listener name, kept across reloads so that clients' session tickets stay good.
    std::map<QString, std::shared_ptr<TicketKeys>> m_ticketKeys;
    std::map<QString, std::shared_ptr<ListenerTlsStats>> m_tlsStats;   // the same, for the handshake figures
    std::vector<QThread *> m_threads;
    std::vector<ProxyWorker *> m_workers;
    std::vector<std::shared_ptr<WorkerInbox>> m_inboxes;   // the workers', read for workerLoads()
    std::shared_ptr<AccessLogStats> m_accessLogStats = std::make_shared<AccessLogStats>();
    int m_drained = 0;
    bool m_stopping = false;
    QTimer *m_stopTimer = nullptr;
};

} // namespace fulcrum
