#pragma once

#include "checkprober.h"
#include "checkresult.h"
#include "common/fastrandom.h"
#include "config/config.h"
#include "healthstatemachine.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>

#include <deque>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

class QHostAddress;
class QTimer;

namespace fulcrum {

class DnsFollower;

// A change the console's event log and the health reports show.
struct HealthEvent
{
    enum Kind : quint8 {
        Check,     // checks moved a server: up → "up, 1/3 failed" → down, and back
        Operator,  // drain, maint, ready
        Outlier,   // passive ejection, its end, or an ejection refused by max_ejection_percent
        Panic,     // the pool entered or left panic mode (server is empty)
        Outage,    // the pool stopped or started serving: no server takes traffic, every request gets 503 (server is empty)
    };
    Kind kind = Check;
    qint64 timeMs = 0;             // since the epoch
    QString pool{};
    QString server{};
    QString from{};
    QString to{};
    QString reason{};              // "L4CON (Connection refused)", "operator", "5 consecutive failures", ...
    qint64 checkDurationUs = -1;   // -1 when no check caused it

    // "app1: up, 2/3 failed → down (L4CON in 0ms)".
    QString text() const;
    // "check", "operator", "outlier", "panic", "outage": how the admin API and the links name it.
    QString kindName() const;
    // The inverse of kindName; Check for another word.
    static Kind kindFromName(QStringView name);
};

// One finished check in a server's bounded history.
struct CheckRecord
{
    qint64 timeMs = 0;
    qint32 durationUs = 0;
    quint16 httpStatus = 0;
    CheckReason reason = CheckReason::None;
    bool up = false;               // the health state after this result
    quint8 count = 0;              // and the transitional count

    QString reasonText() const { return checkReasonText(reason, httpStatus); }
};

// A server as the console and `fulcrumctl backends list` show it.
struct ServerHealth
{
    QString name;
    QString address;
    QString resolved;              // a name followed in DNS (proxy.resolver): its addresses now, "10.1.4.7, 10.1.4.8"
    QString state;                 // up, down, drain, maint, ejected
    QString stateText;             // with the transitional count: "up, 1/3 failed"
    BackendState poolState = BackendState::Up; // what the balancer sees
    AdminState admin = AdminState::Ready;
    bool checksEnabled = true;
    bool healthUp = true;
    bool ejected = false;
    int ejections = 0;             // the current ejection multiplier
    qint64 ejectionLeftMs = 0;
    bool slowStarting = false;
    int weight = 0;                // set weight
    int effectiveWeight = 0;       // what the balancer uses (lower while slow start ramps)
    CheckResult lastCheck;
    qint64 lastCheckMs = 0;        // when lastCheck finished, ms since the epoch; 0 before the first
    qint64 timeInStateMs = 0;
    quint64 checks = 0;
};

// The server's own state that ServerHealth::state names (ejected is down), which is what a
// snapshot and the admin API say of it; in panic mode the balancer still sees a down server up
// (ServerHealth::poolState).
BackendState backendStateOfHealth(QStringView state);

struct PoolHealth
{
    QString pool;
    bool panic = false;
    int healthy = 0;               // ready servers that are up and not ejected
    int eligible = 0;              // servers not in drain or maint
    std::vector<ServerHealth> servers;
};

// Tunables that are not (yet) in the config file.
struct HealthCheckerOptions
{
    qint64 sweepIntervalMs = 100;  // passive failures, ejection ends, slow-start steps, panic
    int panicThresholdPercent = 50; // Envoy's healthy_panic_threshold; 0 = never panic
    int historyLength = 64;        // check results kept per server
    int serverEventLength = 16;    // state changes kept per server
    int eventLogLength = 1000;     // events kept for the whole pool
};

// Decides which servers of one pool take traffic and drives the Pool accordingly
// (Pool::applyUpdates: state and effective weight): active HTTP/TCP checks with
// rise/fall and inter/fastinter/downinter, operator drain/maint, passive outlier ejection
// from BackendLive::consecutiveFailures, panic mode and slow start. One per pool, owned by
// the engine on its thread; operator state changes must come through setAdminState() (a
// Pool::setState from elsewhere would be overwritten).
// All checks share one epoll descriptor (CheckProber) and one timer over a deadline heap.
class HealthChecker : public QObject
{
    Q_OBJECT
public:
    HealthChecker(std::shared_ptr<Pool> pool, PoolConfig config, HealthCheckerOptions options = {},
                  QObject *parent = nullptr);
    ~HealthChecker() override;

    void start();
    void stop();
    bool isRunning() const { return m_running; }

    // Check, outlier and slow-start settings changed (servers come from the Pool).
    void setConfig(const PoolConfig &config);
    const PoolConfig &config() const { return m_config; }
    // Server names followed in DNS (proxy.resolver): each named server's checks go to the
    // address DNS gives now. Empty nameservers: a name is resolved once, as before.
    void setResolver(const ResolverConfig &resolver);

    // `why`, when given, follows "operator: drain" in the event (a state kept from before a restart).
    bool setAdminState(const QString &server, AdminState state, QString *error = nullptr, const QString &why = {});

    PoolHealth snapshot() const;
    std::vector<CheckRecord> history(const QString &server) const;
    std::vector<HealthEvent> serverEvents(const QString &server) const;
    std::vector<HealthEvent> events() const { return {m_events.begin(), m_events.end()}; }
    bool isPanicking() const { return m_panic; }
    // No server of the pool takes traffic (all down, drained, in maintenance or at weight 0).
    bool cannotServe() const { return !m_serving; }
    // An operator changed a weight in the Pool: is the pool still serving?
    void weightsChanged() { evaluateServing(); }

Q_SIGNALS:
    void eventOccurred(const fulcrum::HealthEvent &event);
    void checkCompleted(const QString &server, const fulcrum::CheckResult &result);
    // A named server's addresses changed in DNS, or DNS stopped answering for it (warning).
    void dnsNotice(bool warning, const QString &text);

private:
    struct Server
    {
        QString name;
        QString address;
        CheckTarget target;
        QByteArray request;
        BackendTls tlsConfig;             // the server is reached over TLS: so are its HTTP checks
        CheckTls tls;
        std::shared_ptr<BackendLive> live;
        HealthStateMachine machine;
        AdminState admin = AdminState::Ready;
        bool checking = false;
        quint32 scheduleGeneration = 0;
        quint32 probeGeneration = 0;
        CheckResult last;
        qint64 lastMs = 0;
        quint64 checks = 0;
        // Passive outlier detection.
        bool ejected = false;
        bool refusalReported = false;
        int ejections = 0;
        qint64 ejectedUntilNs = 0;
        qint64 lastDecayNs = 0;
        // Slow start: -1 = not ramping.
        qint64 slowStartBeginNs = -1;
        // What is shown; rebuilt only when the compact key changes.
        quint32 displayKey = ~0u;
        QString state;
        QString stateText;
        qint64 stateSinceMs = 0;
        std::vector<CheckRecord> history;   // ring
        size_t historyNext = 0;
        std::deque<HealthEvent> events;
    };
    struct Deadline
    {
        qint64 dueNs;
        int slot;
        quint32 generation;
        bool timeout;
        bool operator>(const Deadline &other) const { return dueNs > other.dueNs; }
    };

    qint64 nowNs() const { return m_clock.nsecsElapsed(); }
    void rebuildServers(const PoolSnapshot &snapshot);
    void resolve(int slot);
    void followed(const QString &server, const QList<QHostAddress> &previous, const QString &previousError);
    void buildRequest(Server &server);
    void schedule(int slot, qint64 dueNs);
    void armTimer();
    void onTimer();
    void startCheck(int slot);
    void onResult(int slot, const CheckResult &result);
    void sweep();
    void evaluatePanic();
    // Records an Outage event when the pool stops or starts serving.
    void evaluateServing();
    // A pool-wide event (server empty) going normal → alarm when entering, alarm → normal when leaving.
    HealthEvent poolEvent(HealthEvent::Kind kind, const QString &normal, const QString &alarm, bool entering) const;
    void refresh(int slot, HealthEvent::Kind kind, const QString &reason, qint64 durationUs = -1);
    BackendState desiredState(const Server &server) const;
    int desiredWeight(Server &server, int setWeight, qint64 now);
    void flush();
    void record(HealthEvent event, Server *server);
    qint64 intervalNs(const Server &server) const;

    std::shared_ptr<Pool> m_pool;
    PoolConfig m_config;
    HealthCheckerOptions m_options;
    ResolverConfig m_resolver;
    // Named servers followed in DNS (proxy.resolver set), by server name.
    std::unordered_map<QString, std::unique_ptr<DnsFollower>> m_dns;
    HttpExpectation m_expectation;
    CheckProber *m_prober;
    QTimer *m_timer;
    QTimer *m_sweepTimer;
    QElapsedTimer m_clock;
    qint64 m_armedNs = -1;
    bool m_running = false;
    bool m_panic = false;
    bool m_serving = true;           // servers start up: a pool that cannot serve from the start says so
    qint64 m_outageSinceMs = 0;
    quint64 m_membership = 0;
    std::vector<Server> m_servers;
    std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> m_deadlines;
    std::vector<char> m_dirty;
    std::vector<int> m_dirtyList;
    std::deque<HealthEvent> m_events;
    FastRandom m_random;
};

} // namespace fulcrum

Q_DECLARE_METATYPE(fulcrum::HealthEvent)
Q_DECLARE_METATYPE(fulcrum::CheckResult)
