#include "lockservice.h"

#include "common/wallclock.h"
#include "engine/auditlog.h"
#include "locks/lockbackends.h"

#include <QPointer>
#include <QTimer>

#include <algorithm>
#include <limits>

namespace fulcrum {

namespace {

// What a live endpoint follows, in the words of its backend.
QString changeStreamName(const LockEndpointConfig &config)
{
    if (config.isZooKeeper())
        return QStringLiteral("child and data watches on the lock folders");
    if (config.isEtcd())
        return QStringLiteral("a watch on the lock prefixes");
    return QStringLiteral("keyspace notifications");
}

// An endpoint waits at least this many times its last pass before the next one.
constexpr qint64 kLockPollDutyFactor = 4;

int timerInterval(qint64 ms)
{
    return int(std::clamp<qint64>(ms, 1, std::numeric_limits<int>::max()));
}

} // namespace

// One lock endpoint: its backend and poll timer (children of the service, so they follow it to
// another thread; deleted here when the endpoint goes).
struct LockService::Endpoint
{
    // A release whose answer has not come yet; `done` is emptied once it has run.
    struct PendingRelease
    {
        std::function<void(const ForceReleaseResult &)> done;
        AuditEntry entry;                    // written with the outcome unknown if no answer comes
    };

    LockService *owner = nullptr;
    LockEndpointConfig config;
    LockBackend *backend = nullptr;          // null when the password could not be read
    QTimer *poll = nullptr;
    QString lastError;
    qint64 passKeys = 0;
    int passLocks = 0;
    qint64 lastPassMs = 0;
    LockFeedState::Mode feedMode = LockFeedState::Polling;
    bool topologySeen = false;               // a topology event came before (the next ones are changes)
    std::vector<std::shared_ptr<PendingRelease>> releases;

    ~Endpoint()
    {
        delete poll;
        // The backend answers its pending releases as Failed when destroyed; their audit entries
        // say the outcome is unknown.
        for (const std::shared_ptr<PendingRelease> &pending : releases) {
            if (!pending->done)
                continue;
            pending->entry.result = QStringLiteral("unknown: the endpoint was reconfigured or stopped before it answered");
            if (owner->m_audit)
                owner->m_audit->append(pending->entry);
            QMetaObject::invokeMethod(owner, [done = std::move(pending->done), name = config.name(), backend = config.backend] {
                ForceReleaseResult result;
                result.message = QStringLiteral("%1 endpoint \"%2\" was reconfigured or stopped before it answered; "
                                                "the lock may or may not be released: list the locks again").arg(backend, name);
                done(result);
            }, Qt::QueuedConnection);
            pending->done = nullptr;
        }
        delete backend;
    }
};

LockService::LockService(AuditLog *audit, QObject *parent)
    : QObject(parent)
    , m_audit(audit)
{
    qRegisterMetaType<fulcrum::LockScanResult>();
    qRegisterMetaType<fulcrum::LockChanges>();
}

LockService::~LockService() = default;

void LockService::apply(const std::vector<LockEndpointConfig> &endpoints)
{
    std::map<QString, std::unique_ptr<Endpoint>> next;
    for (const LockEndpointConfig &config : endpoints) {
        auto it = m_endpoints.find(config.name());
        if (it != m_endpoints.end() && it->second->config == config)
            next.emplace(config.name(), std::move(it->second));
        else
            next.emplace(config.name(), makeEndpoint(config));
    }
    m_endpoints = std::move(next);
    m_order = endpoints;
}

void LockService::clear()
{
    m_endpoints.clear();
    m_order.clear();
}

std::unique_ptr<LockService::Endpoint> LockService::makeEndpoint(const LockEndpointConfig &config)
{
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->owner = this;
    endpoint->config = config;
    QString why;
    const auto password = readLockEndpointPassword(config, m_keychain, &why);
    const auto sentinelPassword = password ? readRedisSentinelPassword(config, m_keychain, &why) : std::nullopt;
    if (!password || !sentinelPassword) {
        endpoint->lastError = why;
        Q_EMIT eventOccurred(EngineEvent::Error, QStringLiteral("locks"), QStringLiteral("%1: not polled: %2").arg(config.url(), why));
        const QString name = config.name();
        QMetaObject::invokeMethod(this, [this, name, why] { Q_EMIT endpointFailed(name, why); }, Qt::QueuedConnection);
        return endpoint;
    }
    Endpoint *e = endpoint.get();
    e->backend = createLockBackend(config, *password, this, *sentinelPassword);
    e->poll = new QTimer(this);
    e->poll->setInterval(timerInterval(config.pollIntervalMs()));
    const QString name = config.name();
    connect(e->poll, &QTimer::timeout, e->backend, [this, name] { scan(name); });
    connect(e->backend, &LockBackend::connected, e->backend, [this, e, name] {
        e->lastError.clear();
        Q_EMIT eventOccurred(EngineEvent::Info, QStringLiteral("locks"), QStringLiteral("%1: connected").arg(e->config.url()));
        Q_EMIT endpointConnected(name);
        scan(name);
    });
    connect(e->backend, &LockBackend::errorOccurred, e->backend, [this, e, name](const QString &message) {
        Q_EMIT endpointFailed(name, message);
        // Every reconnect attempt fails the same way during an outage: report each new reason once.
        if (message != e->lastError)
            Q_EMIT eventOccurred(EngineEvent::Warning, QStringLiteral("locks"), message);
        e->lastError = message;
    });
    connect(e->backend, &LockBackend::topologyChanged, e->backend, [this, e](const QString &message) {
        // The first map is news; every later change (a failover, a new master) is a warning.
        Q_EMIT eventOccurred(e->topologySeen ? EngineEvent::Warning : EngineEvent::Info, QStringLiteral("locks"), message);
        e->topologySeen = true;
    });
    connect(e->backend, &LockBackend::progress, e->backend, [e](qint64 keys, int locks) {
        e->passKeys = keys;
        e->passLocks = locks;
    });
    // A pass over a big keyspace keeps a server busy for most of a second: back to back, the
    // inspector would take most of it from the applications. A live table needs a pass only to
    // reconcile what the change stream cannot promise.
    auto pollInterval = [e] {
        if (e->backend->feedState().mode == LockFeedState::Live && e->config.reconcileIntervalMs() > 0)
            return timerInterval(e->config.reconcileIntervalMs());
        return timerInterval(std::max(e->config.pollIntervalMs(), kLockPollDutyFactor * e->lastPassMs));
    };
    connect(e->backend, &LockBackend::scanFinished, e->backend, [this, e, name, pollInterval](const LockScanResult &result) {
        e->passKeys = 0;
        e->passLocks = 0;
        e->lastPassMs = result.elapsedMs;
        e->poll->setInterval(pollInterval());
        Q_EMIT scanFinished(name, result);
    });
    connect(e->backend, &LockBackend::rowsChanged, e->backend, [this, name](const LockChanges &changes) { Q_EMIT rowsChanged(name, changes); });
    connect(e->backend, &LockBackend::feedChanged, e->backend, [this, e, pollInterval](const LockFeedState &feed) {
        const LockFeedState::Mode before = std::exchange(e->feedMode, feed.mode);
        const int interval = pollInterval();
        if (interval != e->poll->interval())
            e->poll->start(interval);
        const QString url = e->config.url();
        switch (feed.mode) {
        case LockFeedState::Live:
            Q_EMIT eventOccurred(EngineEvent::Info, QStringLiteral("locks"),
                                 QStringLiteral("%1: live: following %2; a full pass every %3 s reconciles%4")
                                     .arg(url, changeStreamName(e->config))
                                     .arg(interval / 1000)
                                     .arg(feed.why.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(feed.why)));
            break;
        case LockFeedState::Resyncing:
            // Out of live is news (a lost subscription or connection); the steps towards live are not.
            if (before == LockFeedState::Live)
                Q_EMIT eventOccurred(EngineEvent::Warning, QStringLiteral("locks"), QStringLiteral("%1: resyncing: %2").arg(url, feed.why));
            break;
        case LockFeedState::Polling:
            Q_EMIT eventOccurred(EngineEvent::Info, QStringLiteral("locks"), QStringLiteral("%1: polling: %2").arg(url, feed.why));
            break;
        }
    });
    connect(e->backend, &LockBackend::scanInterrupted, e->backend, [this, name](const QString &why) {
        Q_EMIT endpointFailed(name, QStringLiteral("%1 (connection lost during the pass)").arg(why));
    });
    connect(e->backend, &LockBackend::scanFailed, e->backend, [this, e, name](const QString &why) {
        Q_EMIT endpointFailed(name, why);
        if (why != e->lastError)
            Q_EMIT eventOccurred(EngineEvent::Error, QStringLiteral("locks"), QStringLiteral("%1: lock scan refused: %2").arg(e->config.url(), why));
        e->lastError = why;
    });
    e->backend->open();
    e->poll->start();
    return endpoint;
}

QStringList LockService::endpointNames() const
{
    QStringList names;
    for (const LockEndpointConfig &config : m_order)
        names.append(config.name());
    return names;
}

void LockService::scan(const QString &endpoint)
{
    auto it = m_endpoints.find(endpoint);
    if (it != m_endpoints.end() && it->second->backend && it->second->backend->isConnected())
        it->second->backend->scan();
}

void LockService::inspect(const QString &endpoint, const QByteArray &key, std::function<void(const LockInspection &)> done)
{
    auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end() || !it->second->backend || !it->second->backend->isConnected()) {
        QString error;
        if (it == m_endpoints.end()) {
            const QStringList names = endpointNames();
            error = QStringLiteral("lock endpoint \"%1\" does not exist; endpoints: %2")
                        .arg(endpoint, names.isEmpty() ? QStringLiteral("(none)") : names.join(QStringLiteral(", ")));
        } else {
            error = QStringLiteral("%1 endpoint \"%2\" is not connected (%3)")
                        .arg(it->second->config.backend, endpoint,
                             it->second->lastError.isEmpty() ? QStringLiteral("connecting") : it->second->lastError);
        }
        QTimer::singleShot(0, this, [done = std::move(done), error] { done(LockInspection{std::nullopt, false, error}); });
        return;
    }
    // The backend may go (a reload) before it answers: the answer is guaranteed here.
    struct Pending
    {
        std::function<void(const LockInspection &)> done;
        QMetaObject::Connection gone;
    };
    auto pending = std::make_shared<Pending>(Pending{std::move(done), {}});
    LockBackend *backend = it->second->backend;
    pending->gone = QObject::connect(backend, &QObject::destroyed, this, [pending, endpoint] {
        if (auto f = std::exchange(pending->done, nullptr))
            f(LockInspection{std::nullopt, false,
                             QStringLiteral("lock endpoint \"%1\" was reconfigured before it answered; try again").arg(endpoint)});
    });
    backend->inspect(key, [pending](const LockInspection &answer) {
        QObject::disconnect(pending->gone);
        if (auto f = std::exchange(pending->done, nullptr))
            f(answer);
    });
}

void LockService::release(const QString &endpoint, const LockReleaseRequest &request, const QString &user, const QString &origin,
                          std::function<void(const ForceReleaseResult &)> done)
{
    auto it = m_endpoints.find(endpoint);
    const bool asking = request.mode == LockReleaseRequest::AskHolder;
    // The audit's and the events' word for what the operator did.
    const QString action = asking ? QStringLiteral("ask-release")
                                  : request.mode == LockReleaseRequest::RevokeSession ? QStringLiteral("revoke-lease") : QStringLiteral("force-release");
    if (it == m_endpoints.end() || !it->second->backend || !it->second->backend->isConnected()) {
        ForceReleaseResult result;
        if (it == m_endpoints.end()) {
            const QStringList names = endpointNames();
            result.message = QStringLiteral("lock endpoint \"%1\" does not exist; endpoints: %2")
                                 .arg(endpoint, names.isEmpty() ? QStringLiteral("(none)") : names.join(QStringLiteral(", ")));
        } else {
            result.message = QStringLiteral("%1 endpoint \"%2\" is not connected (%3); nothing %4")
                                 .arg(it->second->config.backend, endpoint,
                                      it->second->lastError.isEmpty() ? QStringLiteral("connecting") : it->second->lastError,
                                      asking ? QStringLiteral("asked") : request.mode == LockReleaseRequest::RevokeSession ? QStringLiteral("revoked") : QStringLiteral("deleted"));
        }
        QTimer::singleShot(0, this, [done = std::move(done), result] { done(result); });
        return;
    }
    Endpoint *e = it->second.get();
    std::erase_if(e->releases, [](const auto &pending) { return !pending->done; });
    AuditEntry entry;
    entry.time = wallclock::nowUtc();
    entry.user = user;
    entry.origin = origin;
    entry.action = action;
    entry.target = QStringLiteral("%1 %2").arg(e->backend->url(), escapeBytes(request.key));
    entry.before = escapeBytes(request.holder);
    auto pending = std::make_shared<Endpoint::PendingRelease>(Endpoint::PendingRelease{std::move(done), entry});
    e->releases.push_back(pending);
    e->backend->release(request, [this, endpoint, user, pending, action](const ForceReleaseResult &result) {
        if (!pending->done)
            return;
        const auto done = std::move(pending->done);
        pending->done = nullptr;
        AuditEntry entry = pending->entry;
        entry.time = wallclock::nowUtc();
        entry.after = result.outcome == ForceReleaseResult::HolderChanged ? escapeBytes(result.currentHolder) : QString();
        entry.result = result.outcome == ForceReleaseResult::Released || result.outcome == ForceReleaseResult::Asked
                           ? QStringLiteral("ok")
                           : QStringLiteral("%1: %2").arg(forceReleaseOutcomeName(result.outcome), result.message);
        ForceReleaseResult answer = result;
        QString error;
        if (m_audit && !m_audit->append(entry, &error))
            answer.message += QStringLiteral(" (audit log: %1)").arg(error);
        const bool good = result.outcome == ForceReleaseResult::Released || result.outcome == ForceReleaseResult::Asked;
        Q_EMIT eventOccurred(good ? EngineEvent::Info : EngineEvent::Warning, QStringLiteral("operator"),
                             QStringLiteral("%1 %2 on %3: %4").arg(user, action, endpoint, answer.message));
        scan(endpoint);
        done(answer);
    });
}

void LockService::enableNotifications(const QString &endpoint, const QString &user, const QString &origin,
                                      std::function<void(bool ok, const QString &message)> done)
{
    auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end() || !it->second->backend) {
        const QStringList names = endpointNames();
        const QString message = it == m_endpoints.end()
            ? QStringLiteral("lock endpoint \"%1\" does not exist; endpoints: %2").arg(endpoint, names.isEmpty() ? QStringLiteral("(none)") : names.join(QStringLiteral(", ")))
            : QStringLiteral("lock endpoint \"%1\" is not running (%2); nothing was changed").arg(endpoint, it->second->lastError);
        QTimer::singleShot(0, this, [done = std::move(done), message] { done(false, message); });
        return;
    }
    Endpoint *e = it->second.get();
    AuditEntry entry;
    entry.time = wallclock::nowUtc();
    entry.user = user;
    entry.origin = origin;
    entry.action = QStringLiteral("enable-notifications");
    entry.target = e->backend->url();
    entry.before = e->backend->feedState().needs.isEmpty() ? QString() : QStringLiteral("needs %1").arg(e->backend->feedState().needs);
    // The backend answers even when destroyed first (a reload): the audit entry is written once.
    auto once = std::make_shared<std::function<void(bool, const QString &)>>(std::move(done));
    QPointer<LockService> self(this);
    e->backend->enableNotifications([self, once, entry, user, endpoint](bool ok, const QString &message) mutable {
        if (!*once)
            return;
        entry.time = wallclock::nowUtc();
        entry.result = ok ? QStringLiteral("ok") : QStringLiteral("failed: %1").arg(message);
        entry.after = ok ? message : QString();
        QString answer = message;
        QString error;
        if (self && self->m_audit && !self->m_audit->append(entry, &error))
            answer += QStringLiteral(" (audit log: %1)").arg(error);
        if (self)
            Q_EMIT self->eventOccurred(ok ? EngineEvent::Info : EngineEvent::Warning, QStringLiteral("operator"),
                                       QStringLiteral("%1 enable-notifications on %2: %3").arg(user, endpoint, answer));
        const auto f = std::exchange(*once, nullptr);
        f(ok, answer);
    });
}

std::vector<LockEndpointView> LockService::views() const
{
    std::vector<LockEndpointView> views;
    for (const LockEndpointConfig &config : m_order) {
        if (std::optional<LockEndpointView> one = view(config.name()))
            views.push_back(std::move(*one));
    }
    return views;
}

std::optional<LockEndpointView> LockService::view(const QString &endpoint) const
{
    auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end())
        return std::nullopt;
    const Endpoint &e = *it->second;
    const LockEndpointConfig &config = e.config;
    LockEndpointView view;
    view.name = config.name();
    view.backend = config.backend;
    view.capabilities = e.backend ? e.backend->capabilities() : lockBackendCapabilities(config.backend);
    view.url = config.url();
    view.tlsInsecure = config.isRedis() && config.redis.tls && config.redis.tlsInsecure;
    view.connectionState = e.backend ? lockBackendStateText(e.backend->state()) : QStringLiteral("not started");
    view.lastError = e.lastError;
    view.pollIntervalMs = config.pollIntervalMs();
    view.effectivePollIntervalMs = e.poll ? e.poll->interval() : config.pollIntervalMs();
    if (e.backend) {
        view.scanning = e.backend->isScanning();
        view.passKeysScanned = e.passKeys;
        view.passDetail = e.backend->passProgressDetail();
        view.passLocksFound = e.passLocks;
        view.lastResult = e.backend->lastResult();
        view.hasResult = view.lastResult.finishedAt.isValid();
        view.feed = e.backend->feedState();
    } else {
        view.feed.why = e.lastError;
    }
    return view;
}

LockFeedState LockService::feed(const QString &endpoint) const
{
    auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end())
        return {};
    return it->second->backend ? it->second->backend->feedState() : LockFeedState{LockFeedState::Polling, it->second->lastError};
}

} // namespace fulcrum
