#include "healthchecker.h"

#include "proxy/tls.h"

#include "common/dnsfollower.h"
#include "common/duration.h"
#include "common/wallclock.h"

#include <QDateTime>
#include <QHostAddress>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <unordered_map>

// Quiet unless asked for (QT_LOGGING_RULES="fulcrum.health.info=true"): every program that runs
// a checker says its changes its own way — fulcrumd's and the console's engine events, the
// health-check command's table — and this line only repeated them.
Q_LOGGING_CATEGORY(lcHealth, "fulcrum.health", QtCriticalMsg)

namespace fulcrum {

BackendState backendStateOfHealth(QStringView state)
{
    return state == u"ejected" ? BackendState::Down : parseBackendState(state).value_or(BackendState::Down);
}

namespace {

constexpr qint64 kNsPerMs = 1'000'000;
constexpr int kMaxEjectionMultiplier = 1024;

} // namespace

QString HealthEvent::text() const
{
    QString out = server.isEmpty() ? QStringLiteral("pool %1").arg(pool) : server;
    out += QStringLiteral(": %1 → %2").arg(from, to);
    if (!reason.isEmpty())
        out += QStringLiteral(" (%1)").arg(reason);
    return out;
}

QString HealthEvent::kindName() const
{
    switch (kind) {
    case Check: return QStringLiteral("check");
    case Operator: return QStringLiteral("operator");
    case Outlier: return QStringLiteral("outlier");
    case Panic: return QStringLiteral("panic");
    case Outage: return QStringLiteral("outage");
    }
    return QStringLiteral("check");
}

HealthEvent::Kind HealthEvent::kindFromName(QStringView name)
{
    for (Kind kind : {Check, Operator, Outlier, Panic, Outage}) {
        if (name == HealthEvent{kind}.kindName())
            return kind;
    }
    return Check;
}

HealthChecker::HealthChecker(std::shared_ptr<Pool> pool, PoolConfig config, HealthCheckerOptions options, QObject *parent)
    : QObject(parent)
    , m_pool(std::move(pool))
    , m_options(options)
    , m_prober(new CheckProber([this](int slot, const CheckResult &result) { onResult(slot, result); }, this))
    , m_timer(new QTimer(this))
    , m_sweepTimer(new QTimer(this))
    , m_random(QRandomGenerator::global()->generate64())
{
    qRegisterMetaType<fulcrum::HealthEvent>();
    qRegisterMetaType<fulcrum::CheckResult>();
    m_clock.start();
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::PreciseTimer);
    connect(m_timer, &QTimer::timeout, this, &HealthChecker::onTimer);
    connect(m_sweepTimer, &QTimer::timeout, this, &HealthChecker::sweep);
    setConfig(config);
    rebuildServers(*m_pool->snapshot());
}

HealthChecker::~HealthChecker()
{
    stop();
}

void HealthChecker::setConfig(const PoolConfig &config)
{
    m_config = config;
    m_expectation.statusRanges = config.health.expectStatus;
    m_expectation.bodyContains = config.health.expectBody.toUtf8();
    for (Server &s : m_servers) {
        if (m_config.health.enabled)
            s.machine.setThresholds(m_config.health.rise, m_config.health.fall);
        buildRequest(s);
    }
    m_sweepTimer->setInterval(int(std::max<qint64>(1, m_options.sweepIntervalMs)));
}

void HealthChecker::rebuildServers(const PoolSnapshot &snapshot)
{
    std::unordered_map<QString, Server> kept;
    for (size_t i = 0; i < m_servers.size(); ++i) {
        m_prober->cancel(int(i));
        m_servers[i].checking = false;
        kept.emplace(m_servers[i].name, std::move(m_servers[i]));
    }
    m_servers.clear();
    m_deadlines = {};
    m_armedNs = -1;
    const HealthCheckConfig &hc = m_config.health;
    for (const PoolBackend &b : snapshot.backends) {
        Server s;
        auto old = kept.find(b.spec.name);
        if (old != kept.end()) {
            s = std::move(old->second);
        } else {
            s.name = b.spec.name;
            s.admin = b.spec.state == BackendState::Maint ? AdminState::Maint
                : b.spec.state == BackendState::Drain    ? AdminState::Drain
                                                         : AdminState::Ready;
            s.machine = HealthStateMachine(hc.rise, hc.fall, !hc.enabled || b.spec.state != BackendState::Down);
            s.history.reserve(size_t(std::max(1, m_options.historyLength)));
        }
        s.address = b.spec.address();
        s.live = b.live;
        if (s.tlsConfig != b.spec.tls || s.tls.host != b.spec.host) {
            s.tlsConfig = b.spec.tls;
            s.tls = CheckTls{};
            QString error;
            if (s.tlsConfig.enabled) {
                s.tls.host = b.spec.host;
                s.tls.context = TlsClientContext::load(s.tlsConfig, &error);
                if (!s.tls.context)   // the config was checked when read: a file gone since
                    qWarning("fulcrum.health: %s: TLS for checks: %s", qPrintable(s.name), qPrintable(error));
            }
        }
        m_servers.push_back(std::move(s));
        buildRequest(m_servers.back());
    }
    m_membership = snapshot.membership;
    m_dirty.assign(m_servers.size(), 0);
    m_dirtyList.clear();
    for (auto it = m_dns.begin(); it != m_dns.end();) {
        const bool gone = std::none_of(m_servers.begin(), m_servers.end(), [&](const Server &server) { return server.name == it->first; });
        it = gone ? m_dns.erase(it) : std::next(it);
    }
    for (size_t i = 0; i < m_servers.size(); ++i) {
        resolve(int(i));
        refresh(int(i), HealthEvent::Check, {});
        m_dirty[i] = 1;
        m_dirtyList.push_back(int(i));
    }
    if (m_running) {
        const qint64 now = nowNs();
        for (size_t i = 0; i < m_servers.size(); ++i) {
            if (m_config.health.enabled && m_servers[i].admin != AdminState::Maint)
                schedule(int(i), now + qint64(m_random.unit() * double(intervalNs(m_servers[i]))));
        }
        armTimer();
    }
}

void HealthChecker::setResolver(const ResolverConfig &resolver)
{
    if (resolver == m_resolver)
        return;
    m_resolver = resolver;
    m_dns.clear();
    for (size_t i = 0; i < m_servers.size(); ++i)
        resolve(int(i));
}

void HealthChecker::resolve(int slot)
{
    Server &s = m_servers[size_t(slot)];
    const PoolBackend &b = m_pool->snapshot()->backends[size_t(slot)];
    const QHostAddress literal(b.spec.host);
    if (!literal.isNull()) {
        m_dns.erase(s.name);
        toSocketAddress(literal, b.spec.port, &s.target);
        return;
    }
    if (m_resolver.enabled()) {
        // Followed in DNS: checks go to the address it gives now (the first, IPv4 first).
        auto it = m_dns.find(s.name);
        if (it != m_dns.end() && it->second->name() == b.spec.host) {
            s.target = CheckTarget{};
            if (!it->second->addresses().isEmpty())
                toSocketAddress(it->second->addresses().constFirst(), b.spec.port, &s.target);
            return;
        }
        s.target = CheckTarget{};
        auto dns = std::make_unique<DnsFollower>(b.spec.host, m_resolver);
        const QString name = s.name;
        connect(dns.get(), &DnsFollower::answered, this, [this, name](const QList<QHostAddress> &previous, const QString &previousError) {
            followed(name, previous, previousError);
        });
        DnsFollower *follower = dns.get();
        m_dns[s.name] = std::move(dns);
        follower->start();
        return;
    }
    m_dns.erase(s.name);
    s.target = CheckTarget{};
    const QString name = s.name;
    const quint16 port = b.spec.port;
    // Until the answer comes, checks report L4CON "address not resolved".
    QHostInfo::lookupHost(b.spec.host, this, [this, name, port](const QHostInfo &info) {
        if (m_dns.count(name))
            return;   // followed in DNS since (proxy.resolver)
        for (Server &server : m_servers) {
            if (server.name != name)
                continue;
            for (const QHostAddress &address : info.addresses()) {
                if (toSocketAddress(address, port, &server.target))
                    break;
            }
        }
    });
}

void HealthChecker::followed(const QString &server, const QList<QHostAddress> &previous, const QString &previousError)
{
    const auto dns = m_dns.find(server);
    if (dns == m_dns.end())
        return;
    const DnsFollower &follower = *dns->second;
    const std::shared_ptr<const PoolSnapshot> snapshot = m_pool->snapshot();
    for (size_t i = 0; i < m_servers.size() && i < snapshot->backends.size(); ++i) {
        Server &s = m_servers[i];
        if (s.name != server)
            continue;
        s.target = CheckTarget{};
        if (!follower.addresses().isEmpty())
            toSocketAddress(follower.addresses().constFirst(), snapshot->backends[i].spec.port, &s.target);
    }
    // What the operator is told: every change, and the first answer (where the name points).
    const QString who = QStringLiteral("%1/%2").arg(m_config.name, server);
    if (!follower.error().isEmpty()) {
        if (follower.error() != previousError)
            Q_EMIT dnsNotice(true, QStringLiteral("%1: %2").arg(who, follower.error()));
        return;
    }
    const QString now = DnsFollower::addressesText(follower.addresses());
    if (follower.rounds() == 1 || previous.isEmpty())
        Q_EMIT dnsNotice(false, QStringLiteral("%1: %2 is at %3 in DNS").arg(who, follower.name(), now));
    else if (previous != follower.addresses())
        Q_EMIT dnsNotice(false, QStringLiteral("%1: %2 moved in DNS to %3 (was %4); new connections go there, kept-alive ones to the old addresses are closed")
                                    .arg(who, follower.name(), now, DnsFollower::addressesText(previous)));
    else if (!previousError.isEmpty())
        Q_EMIT dnsNotice(false, QStringLiteral("%1: DNS answers for %2 again: %3").arg(who, follower.name(), now));
}

void HealthChecker::buildRequest(Server &s)
{
    const HealthCheckConfig &hc = m_config.health;
    if (hc.type == HealthCheckConfig::Tcp) {
        s.request.clear();
        return;
    }
    const QString host = hc.host.isEmpty() ? s.address : hc.host;
    s.request = hc.method.toLatin1() + ' ' + hc.path.toUtf8() + " HTTP/1.1\r\nHost: " + host.toUtf8()
        + "\r\nUser-Agent: fulcrum-health/" FULCRUM_VERSION "\r\nAccept: */*\r\n"
        + (hc.reuseConnection ? "" : "Connection: close\r\n") + "\r\n";
}

void HealthChecker::start()
{
    if (m_running)
        return;
    m_running = true;
    const qint64 now = nowNs();
    // Spread the first checks over one interval, so thousands of servers are not checked in
    // the same millisecond.
    for (size_t i = 0; i < m_servers.size(); ++i) {
        if (m_config.health.enabled && m_servers[i].admin != AdminState::Maint)
            schedule(int(i), now + qint64(m_random.unit() * double(intervalNs(m_servers[i]))));
    }
    armTimer();
    m_sweepTimer->start();
    evaluatePanic();
    flush();
}

void HealthChecker::stop()
{
    if (!m_running)
        return;
    m_running = false;
    for (size_t i = 0; i < m_servers.size(); ++i) {
        m_prober->cancel(int(i));
        m_servers[i].checking = false;
    }
    m_deadlines = {};
    m_armedNs = -1;
    m_timer->stop();
    m_sweepTimer->stop();
}

qint64 HealthChecker::intervalNs(const Server &s) const
{
    const HealthCheckConfig &hc = m_config.health;
    const qint64 ms = s.machine.isChanging() ? hc.fastIntervalMs : s.machine.isUp() ? hc.intervalMs : hc.downIntervalMs;
    return std::max<qint64>(1, ms) * kNsPerMs;
}

void HealthChecker::schedule(int slot, qint64 dueNs)
{
    Server &s = m_servers[size_t(slot)];
    // A new generation makes any earlier entry for this server stale: one pending check each.
    m_deadlines.push(Deadline{dueNs, slot, ++s.scheduleGeneration, false});
}

void HealthChecker::armTimer()
{
    if (!m_running || m_deadlines.empty()) {
        m_timer->stop();
        m_armedNs = -1;
        return;
    }
    const qint64 due = m_deadlines.top().dueNs;
    if (m_timer->isActive() && m_armedNs == due)
        return;
    const qint64 waitNs = std::max<qint64>(0, due - nowNs());
    m_timer->start(int(std::min<qint64>((waitNs + kNsPerMs - 1) / kNsPerMs, 24LL * 3600 * 1000)));
    m_armedNs = due;
}

void HealthChecker::onTimer()
{
    m_armedNs = -1;
    // Checks due a little later go now too: up to 1% of the interval, at most 10 ms. At a
    // 1 s interval that turns thousands of wake-ups a second into about a hundred, at tens
    // of milliseconds (tests) it stays below the timer's resolution.
    const qint64 slack = std::clamp<qint64>(m_config.health.intervalMs * kNsPerMs / 100, kNsPerMs / 2, 10 * kNsPerMs);
    const qint64 horizon = nowNs() + slack;
    while (!m_deadlines.empty() && m_deadlines.top().dueNs <= horizon) {
        const Deadline d = m_deadlines.top();
        if (d.timeout && d.dueNs > horizon - slack)
            break; // timeouts never fire early; the timer comes back for this one
        m_deadlines.pop();
        if (size_t(d.slot) >= m_servers.size())
            continue;
        Server &s = m_servers[size_t(d.slot)];
        if (d.timeout) {
            if (s.checking && d.generation == s.probeGeneration)
                m_prober->expire(d.slot);
        } else if (d.generation == s.scheduleGeneration && !s.checking && s.admin != AdminState::Maint) {
            startCheck(d.slot);
        }
    }
    flush();
    armTimer();
}

void HealthChecker::startCheck(int slot)
{
    Server &s = m_servers[size_t(slot)];
    s.checking = true;
    ++s.probeGeneration;
    m_deadlines.push(Deadline{nowNs() + std::max<qint64>(1, m_config.health.timeoutMs) * kNsPerMs, slot, s.probeGeneration, true});
    if (s.tlsConfig.enabled && !s.tls.context && !s.request.isEmpty()) {
        // Never a plain check on a TLS port: it would fail for the wrong reason.
        CheckResult result;
        result.reason = CheckReason::L6RSP;
        result.detail = QStringLiteral("TLS for checks could not be set up (see the log); fix servers[].tls and reload");
        return onResult(slot, result);
    }
    m_prober->start(slot, s.target, s.request, s.request.isEmpty() ? nullptr : &m_expectation, m_config.health.reuseConnection,
                    s.tlsConfig.enabled ? &s.tls : nullptr);
}

void HealthChecker::onResult(int slot, const CheckResult &result)
{
    Server &s = m_servers[size_t(slot)];
    s.checking = false;
    s.last = result;
    s.lastMs = wallclock::nowMs();
    ++s.checks;
    const bool flipped = s.machine.record(result.passed());
    if (flipped) {
        s.slowStartBeginNs = s.machine.isUp() && m_config.slowStartMs > 0 ? nowNs() : -1;
        s.refusalReported = false;
    }

    CheckRecord entry;
    entry.timeMs = s.lastMs;
    entry.durationUs = qint32(std::min<qint64>(result.durationUs, std::numeric_limits<qint32>::max()));
    entry.httpStatus = quint16(result.httpStatus);
    entry.reason = result.reason;
    entry.up = s.machine.isUp();
    entry.count = quint8(s.machine.count());
    const size_t capacity = size_t(std::max(1, m_options.historyLength));
    if (s.history.size() < capacity) {
        s.history.push_back(entry);
    } else {
        s.history[s.historyNext] = entry;
        s.historyNext = (s.historyNext + 1) % capacity;
    }

    QString reason = result.reasonText();
    if (!result.detail.isEmpty())
        reason += QStringLiteral(": ") + result.detail;
    refresh(slot, HealthEvent::Check, reason, result.durationUs);
    if (flipped)
        evaluatePanic();
    if (m_running)
        schedule(slot, nowNs() + intervalNs(s));
    // Results mostly arrive from the prober, outside onTimer: publish at once.
    flush();
    Q_EMIT checkCompleted(s.name, result);
}

void HealthChecker::refresh(int slot, HealthEvent::Kind kind, const QString &reason, qint64 durationUs)
{
    Server &s = m_servers[size_t(slot)];
    if (!m_dirty[size_t(slot)]) {
        m_dirty[size_t(slot)] = 1;
        m_dirtyList.push_back(slot);
    }
    const quint32 key = quint32(s.machine.isUp()) | (quint32(std::min(s.machine.count(), 255)) << 1)
        | (quint32(s.admin) << 9) | (quint32(s.ejected) << 11);
    if (key == s.displayKey)
        return;
    const bool initial = s.displayKey == ~0u;
    s.displayKey = key;
    QString state;
    QString text;
    const QString health = s.machine.text();
    switch (s.admin) {
    case AdminState::Maint:
        state = text = QStringLiteral("maint");
        break;
    case AdminState::Drain:
        state = QStringLiteral("drain");
        text = health == u"up" ? state : QStringLiteral("drain (%1)").arg(health);
        break;
    case AdminState::Ready:
        if (!s.machine.isUp()) {
            state = QStringLiteral("down");
            text = health;
        } else if (s.ejected) {
            state = QStringLiteral("ejected");
            text = s.machine.isChanging() ? QStringLiteral("ejected (%1)").arg(health) : state;
        } else {
            state = QStringLiteral("up");
            text = health;
        }
        break;
    }
    if (state != s.state)
        s.stateSinceMs = wallclock::nowMs();
    if (!initial) {
        HealthEvent event;
        event.kind = kind;
        event.timeMs = wallclock::nowMs();
        event.pool = m_config.name;
        event.server = s.name;
        event.from = s.stateText;
        event.to = text;
        event.reason = reason;
        event.checkDurationUs = durationUs;
        s.state = state;
        s.stateText = text;
        record(std::move(event), &s);
    } else {
        s.state = state;
        s.stateText = text;
    }
}

void HealthChecker::record(HealthEvent event, Server *server)
{
    if (event.kind == HealthEvent::Panic || event.kind == HealthEvent::Outlier)
        qCWarning(lcHealth, "%s", qUtf8Printable(event.text()));
    else
        qCInfo(lcHealth, "%s", qUtf8Printable(event.text()));
    if (server) {
        server->events.push_back(event);
        while (server->events.size() > size_t(std::max(1, m_options.serverEventLength)))
            server->events.pop_front();
    }
    m_events.push_back(event);
    while (m_events.size() > size_t(std::max(1, m_options.eventLogLength)))
        m_events.pop_front();
    Q_EMIT eventOccurred(event);
}

bool HealthChecker::setAdminState(const QString &server, AdminState state, QString *error, const QString &why)
{
    int slot = -1;
    for (size_t i = 0; i < m_servers.size(); ++i) {
        if (m_servers[i].name == server)
            slot = int(i);
    }
    if (slot < 0) {
        if (error)
            *error = QStringLiteral("pool \"%1\" has no server \"%2\"; check the name with `fulcrumctl backends list`")
                         .arg(m_config.name, server);
        return false;
    }
    Server &s = m_servers[size_t(slot)];
    if (s.admin == state)
        return true;
    const AdminState previous = s.admin;
    s.admin = state;
    if (state == AdminState::Maint) {
        m_prober->cancel(slot);
        s.checking = false;
        ++s.scheduleGeneration; // no checks while in maintenance
        s.slowStartBeginNs = -1;
    } else if (previous == AdminState::Maint) {
        // Back from maintenance the checks decide, from down: `rise` good checks before traffic.
        if (m_config.health.enabled) {
            s.machine.reset(false);
            if (m_running) {
                schedule(slot, nowNs());
                armTimer();
            }
        } else {
            s.machine.reset(true);
            s.slowStartBeginNs = m_config.slowStartMs > 0 ? nowNs() : -1;
        }
    }
    refresh(slot, HealthEvent::Operator, why.isEmpty() ? QStringLiteral("operator: %1").arg(adminStateName(state))
                                                       : QStringLiteral("operator: %1, %2").arg(adminStateName(state), why));
    evaluatePanic();
    flush();
    return true;
}

void HealthChecker::sweep()
{
    const std::shared_ptr<const PoolSnapshot> snapshot = m_pool->snapshot();
    if (snapshot->membership != m_membership)
        rebuildServers(*snapshot);
    const qint64 now = nowNs();
    const OutlierConfig &outlier = m_config.outlier;
    int eligible = 0;
    int ejected = 0;
    for (const Server &s : m_servers) {
        if (s.admin == AdminState::Ready) {
            ++eligible;
            ejected += s.ejected;
        }
    }
    const qint64 baseNs = std::max<qint64>(1, outlier.baseEjectionMs) * kNsPerMs;
    for (size_t i = 0; i < m_servers.size(); ++i) {
        Server &s = m_servers[i];
        if (s.ejected && now >= s.ejectedUntilNs) {
            s.ejected = false;
            s.lastDecayNs = now;
            if (s.admin == AdminState::Ready)
                --ejected;
            refresh(int(i), HealthEvent::Outlier, QStringLiteral("ejection %1 ended").arg(s.ejections));
        } else if (!s.ejected && s.ejections > 0 && now - s.lastDecayNs >= baseNs) {
            // Envoy's backoff: each quiet base period takes one off the multiplier.
            --s.ejections;
            s.lastDecayNs = now;
        }
        if (outlier.enabled && !s.ejected && s.admin == AdminState::Ready && s.machine.isUp() && s.live) {
            const int failures = s.live->consecutiveFailures.load(std::memory_order_relaxed);
            if (failures >= std::max(1, outlier.consecutiveFailures)) {
                if (qint64(ejected + 1) * 100 <= qint64(outlier.maxEjectionPercent) * eligible) {
                    s.ejections = std::min(s.ejections + 1, kMaxEjectionMultiplier);
                    const qint64 ms = std::min(outlier.baseEjectionMs * s.ejections, outlier.maxEjectionMs);
                    s.ejected = true;
                    s.ejectedUntilNs = now + ms * kNsPerMs;
                    s.lastDecayNs = now;
                    s.refusalReported = false;
                    // Counted from zero again, as the proxy would after the ejection.
                    s.live->consecutiveFailures.store(0, std::memory_order_relaxed);
                    ++ejected;
                    refresh(int(i), HealthEvent::Outlier,
                            QStringLiteral("%1 consecutive failures; ejected for %2 (ejection %3)")
                                .arg(failures).arg(formatDurationMs(ms)).arg(s.ejections));
                        } else if (!s.refusalReported) {
                    s.refusalReported = true;
                    HealthEvent event;
                    event.kind = HealthEvent::Outlier;
                    event.timeMs = wallclock::nowMs();
                    event.pool = m_config.name;
                    event.server = s.name;
                    event.from = event.to = s.stateText;
                    event.reason = QStringLiteral("%1 consecutive failures, but not ejected: %2 of %3 servers are already "
                                                  "ejected and max_ejection_percent is %4%")
                                       .arg(failures).arg(ejected).arg(eligible).arg(outlier.maxEjectionPercent);
                    record(std::move(event), &s);
                }
            }
        }
        if (s.slowStartBeginNs >= 0 && !m_dirty[i]) {
            m_dirty[i] = 1;
            m_dirtyList.push_back(int(i));
        }
    }
    evaluatePanic();
    flush();
}

HealthEvent HealthChecker::poolEvent(HealthEvent::Kind kind, const QString &normal, const QString &alarm, bool entering) const
{
    HealthEvent event;
    event.kind = kind;
    event.timeMs = wallclock::nowMs();
    event.pool = m_config.name;
    event.from = entering ? normal : alarm;
    event.to = entering ? alarm : normal;
    return event;
}

void HealthChecker::evaluatePanic()
{
    int eligible = 0;
    int healthy = 0;
    for (const Server &s : m_servers) {
        if (s.admin != AdminState::Ready)
            continue;
        ++eligible;
        healthy += s.machine.isUp() && !s.ejected;
    }
    const int threshold = m_options.panicThresholdPercent;
    const bool panic = threshold > 0 && eligible > 0 && qint64(healthy) * 100 < qint64(threshold) * eligible;
    if (panic == m_panic)
        return;
    m_panic = panic;
    HealthEvent event = poolEvent(HealthEvent::Panic, QStringLiteral("normal"), QStringLiteral("PANIC"), panic);
    // Counted over the servers in rotation; the ones an operator took out are said apart, so
    // "0 of 1" in a six-server pool reads as what it is.
    const int out = int(m_servers.size()) - eligible;
    const QString taken = out > 0 ? QStringLiteral("; %1 more drained or in maintenance").arg(out) : QString();
    event.reason = panic ? QStringLiteral("only %1 of %2 servers in rotation healthy (below %3%%4): balancing across all %2, failed ones included")
                               .arg(healthy).arg(eligible).arg(threshold).arg(taken)
                         : QStringLiteral("%1 of %2 servers in rotation healthy again%3: failed servers get no traffic").arg(healthy).arg(eligible).arg(taken);
    record(std::move(event), nullptr);
    for (size_t i = 0; i < m_servers.size(); ++i) {
        if (!m_dirty[i]) {
            m_dirty[i] = 1;
            m_dirtyList.push_back(int(i));
        }
    }
}

BackendState HealthChecker::desiredState(const Server &s) const
{
    if (s.admin == AdminState::Maint)
        return BackendState::Maint;
    if (s.admin == AdminState::Drain)
        return BackendState::Drain;
    if (!s.machine.isUp() || s.ejected)
        return m_panic ? BackendState::Up : BackendState::Down;
    return BackendState::Up;
}

int HealthChecker::desiredWeight(Server &s, int setWeight, qint64 now)
{
    if (s.slowStartBeginNs < 0)
        return setWeight;
    const qint64 total = m_config.slowStartMs * kNsPerMs;
    const qint64 elapsed = now - s.slowStartBeginNs;
    if (elapsed >= total)
        s.slowStartBeginNs = -1;
    return slowStartWeight(setWeight, elapsed, total);
}

void HealthChecker::evaluateServing()
{
    const std::shared_ptr<const PoolSnapshot> snapshot = m_pool->snapshot();
    int serving = 0;
    int down = 0;
    int drained = 0;
    int maintained = 0;
    int zeroWeight = 0;
    for (const PoolBackend &b : snapshot->backends) {
        if (b.takesTraffic()) {
            ++serving;
            continue;
        }
        switch (b.spec.state) {
        case BackendState::Down: ++down; break;
        case BackendState::Drain: ++drained; break;
        case BackendState::Maint: ++maintained; break;
        case BackendState::Up: ++zeroWeight; break;
        }
    }
    const bool canServe = serving > 0;
    if (canServe == m_serving)
        return;
    m_serving = canServe;
    HealthEvent event = poolEvent(HealthEvent::Outage, QStringLiteral("serving"), QStringLiteral("NO SERVER"), !canServe);
    if (canServe) {
        event.reason = QStringLiteral("%1 of %2 servers take traffic again, after %3 s with none")
                           .arg(serving).arg(snapshot->backends.size()).arg((event.timeMs - m_outageSinceMs) / 1000.0, 0, 'f', 1);
    } else {
        QStringList why;
        if (down > 0)
            why.append(QStringLiteral("%1 down").arg(down));
        if (drained > 0)
            why.append(QStringLiteral("%1 draining").arg(drained));
        if (maintained > 0)
            why.append(QStringLiteral("%1 in maintenance").arg(maintained));
        if (zeroWeight > 0)
            why.append(QStringLiteral("%1 at weight 0").arg(zeroWeight));
        event.reason = QStringLiteral("no server of %1 takes traffic (%2): every request gets 503")
                           .arg(snapshot->backends.size())
                           .arg(why.isEmpty() ? QStringLiteral("none configured") : why.join(QStringLiteral(", ")));
        m_outageSinceMs = event.timeMs;
    }
    record(std::move(event), nullptr);
}

void HealthChecker::flush()
{
    if (m_dirtyList.empty())
        return;
    const std::shared_ptr<const PoolSnapshot> snapshot = m_pool->snapshot();
    const qint64 now = nowNs();
    std::vector<BackendUpdate> updates;
    for (int slot : m_dirtyList) {
        m_dirty[size_t(slot)] = 0;
        if (size_t(slot) >= snapshot->backends.size())
            continue;
        Server &s = m_servers[size_t(slot)];
        const PoolBackend &b = snapshot->backends[size_t(slot)];
        if (b.spec.name != s.name)
            continue; // membership changed under us; the next sweep rebuilds
        const BackendState state = desiredState(s);
        // Slow start only ramps while the server takes traffic.
        const int weight = state == BackendState::Up ? desiredWeight(s, b.spec.weight, now) : b.spec.weight;
        if (state == b.spec.state && weight == b.effectiveWeight)
            continue;
        BackendUpdate update;
        update.index = slot;
        update.server = s.name;
        if (state != b.spec.state)
            update.state = state;
        if (weight != b.effectiveWeight)
            update.effectiveWeight = weight;
        updates.push_back(std::move(update));
    }
    m_dirtyList.clear();
    if (updates.empty())
        return;
    m_pool->applyUpdates(updates);
    evaluateServing();
}

PoolHealth HealthChecker::snapshot() const
{
    const std::shared_ptr<const PoolSnapshot> pool = m_pool->snapshot();
    const qint64 now = nowNs();
    const qint64 nowMs = wallclock::nowMs();
    PoolHealth out;
    out.pool = m_config.name;
    out.panic = m_panic;
    out.servers.reserve(m_servers.size());
    for (size_t i = 0; i < m_servers.size(); ++i) {
        const Server &s = m_servers[i];
        ServerHealth h;
        h.name = s.name;
        h.address = s.address;
        if (!m_dns.empty()) {
            if (const auto dns = m_dns.find(s.name); dns != m_dns.end())
                h.resolved = dns->second->addresses().isEmpty() ? QStringLiteral("no address") : DnsFollower::addressesText(dns->second->addresses());
        }
        h.state = s.state;
        h.stateText = s.stateText;
        h.admin = s.admin;
        h.checksEnabled = m_config.health.enabled && s.admin != AdminState::Maint;
        h.healthUp = s.machine.isUp();
        h.ejected = s.ejected;
        h.ejections = s.ejections;
        h.ejectionLeftMs = s.ejected ? std::max<qint64>(0, (s.ejectedUntilNs - now) / kNsPerMs) : 0;
        h.slowStarting = s.slowStartBeginNs >= 0;
        h.lastCheck = s.last;
        h.lastCheckMs = s.lastMs;
        h.timeInStateMs = nowMs - s.stateSinceMs;
        h.checks = s.checks;
        if (i < pool->backends.size() && pool->backends[i].spec.name == s.name) {
            h.poolState = pool->backends[i].spec.state;
            h.weight = pool->backends[i].spec.weight;
            h.effectiveWeight = pool->backends[i].effectiveWeight;
        }
        if (s.admin == AdminState::Ready) {
            ++out.eligible;
            out.healthy += s.machine.isUp() && !s.ejected;
        }
        out.servers.push_back(std::move(h));
    }
    return out;
}

std::vector<CheckRecord> HealthChecker::history(const QString &server) const
{
    for (const Server &s : m_servers) {
        if (s.name != server)
            continue;
        std::vector<CheckRecord> out;
        out.reserve(s.history.size());
        for (size_t i = 0; i < s.history.size(); ++i)
            out.push_back(s.history[(s.historyNext + i) % s.history.size()]);
        return out;
    }
    return {};
}

std::vector<HealthEvent> HealthChecker::serverEvents(const QString &server) const
{
    for (const Server &s : m_servers) {
        if (s.name == server)
            return {s.events.begin(), s.events.end()};
    }
    return {};
}

} // namespace fulcrum
