#include "haproxy/haproxyenginelink.h"

#include "common/wallclock.h"
#include "engine/auditlog.h"
#include "engine/linkfigures.h"

#include <QHash>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <memory>

namespace fulcrum {

namespace {

QString field(const char *name)
{
    return QString::fromLatin1(name);
}

// HAProxy's own rule for proxy and server names; anything else would also break the
// one-line command.
bool validName(const QString &name)
{
    static const QRegularExpression allowed(QStringLiteral("^[A-Za-z0-9_.:-]+$"));
    return allowed.match(name).hasMatch();
}

} // namespace

HaproxyEngineLink::HaproxyEngineLink(const RuntimeAddress &address, int tickMs, QObject *parent)
    : EngineLink(parent), m_client(address), m_tickMs(std::clamp(tickMs, 250, 1000))
{
    qRegisterMetaType<LinkSnapshot>();
    qRegisterMetaType<LinkEvent>();
    qRegisterMetaType<LockTable>();
    qRegisterMetaType<CommandResult>();
    m_client.setTimeoutMs(std::max(2000, 2 * m_tickMs));
    m_clock.start();
    m_tick.setInterval(m_tickMs);
    connect(&m_tick, &QTimer::timeout, this, &HaproxyEngineLink::poll);
    m_tick.start();
    QMetaObject::invokeMethod(this, [this] { poll(); }, Qt::QueuedConnection);
}

HaproxyEngineLink::~HaproxyEngineLink() = default;

QString HaproxyEngineLink::description() const
{
    return tr("HAProxy at %1").arg(m_client.address().toString());
}

void HaproxyEngineLink::probe(const RuntimeAddress &address, QObject *context, std::function<void(bool, const QString &)> done)
{
    auto *client = new RuntimeClient(address, context);
    client->setTimeoutMs(2000);
    auto level = std::make_shared<QString>();
    client->send("show cli level", client, [level](const RuntimeReply &reply) {
        const QString answer = QString::fromLatin1(reply.output).trimmed();
        // An older HAProxy answers "Unknown command": its level shows when a command is refused.
        if (reply.ok && (answer == u"admin" || answer == u"operator" || answer == u"user"))
            *level = answer;
    });
    client->send("show info", client, [client, level, done = std::move(done)](const RuntimeReply &reply) {
        client->deleteLater();
        const QString where = client->address().toString();
        if (!reply.ok) {
            done(false, reply.error);
            return;
        }
        QString version;
        for (const QByteArray &line : reply.output.split('\n')) {
            if (line.startsWith("Version:"))
                version = QString::fromLatin1(line.mid(8)).trimmed();
        }
        if (version.isEmpty()) {
            done(false, tr("%1 answered `show info` without a Version line: is this a HAProxy stats socket? It said: %2")
                            .arg(where, QString::fromLatin1(reply.output.left(200)).trimmed()));
            return;
        }
        if (*level == u"admin")
            done(true, tr("%1: HAProxy %2, socket at admin level (weights and states can be changed)").arg(where, version));
        else if (level->isEmpty())
            done(true, tr("%1: HAProxy %2; this HAProxy does not say its socket's level (no `show cli level`): a command it refuses will say so").arg(where, version));
        else
            done(true, tr("%1: HAProxy %2, read-only: %3").arg(where, version, client->notAdminMessage(*level)));
    });
}

EngineCapabilities HaproxyEngineLink::kindCapabilities()
{
    EngineCapabilities c;
    c.maxWeight = kHaproxyMaxWeight;
    c.locks = false;
    c.reports = false;
    c.percentiles = false;        // show stat has the average response time only (shown as p50)
    c.auditLog = false;
    c.forgetsOnRestart = tr("runtime weights and states, unless HAProxy keeps a server-state-file");
    return c;
}

QString HaproxyEngineLink::weightNote() const
{
    return tr("HAProxy weights are 0–%1 (Fulcrum's are 0–%2). HAProxy forgets runtime changes when it reloads, "
              "unless it keeps a server-state-file.").arg(kHaproxyMaxWeight).arg(kMaxWeight);
}

void HaproxyEngineLink::poll()
{
    // A slow HAProxy: skip ticks rather than pile up connections.
    if (m_polling)
        return;
    m_polling = true;
    if (!m_levelAsked) {
        m_levelAsked = true;
        m_client.send("show cli level", this, [this](const RuntimeReply &reply) {
            const QString level = QString::fromUtf8(reply.output).trimmed();
            if (!reply.ok)
                m_levelAsked = false;   // ask again once the socket answers
            else if (level == QLatin1String("admin") || level == QLatin1String("operator") || level == QLatin1String("user"))
                m_level = level;
            // Older HAProxy has no `show cli level`: the level shows when a command is refused.
        });
    }
    m_client.send("show stat", this, [this](const RuntimeReply &reply) { onStat(reply); });
}

void HaproxyEngineLink::onStat(const RuntimeReply &reply)
{
    m_polling = false;
    if (!reply.ok) {
        setLinkState(LinkState::Disconnected, reply.error);
        return;
    }
    QString error;
    const std::optional<ShowStat> stat = parseShowStat(reply.output, &error);
    if (!stat) {
        setLinkState(LinkState::Disconnected, tr("%1: %2").arg(m_client.address().toString(), error));
        return;
    }
    setLinkState(LinkState::Connected, m_level.isEmpty() || m_level == QLatin1String("admin")
                                           ? QString() : tr("read-only: %1").arg(m_client.notAdminMessage(m_level)));
    publish(*stat);
}

BackendState HaproxyEngineLink::stateFromStatus(const QString &status, QString *stateText)
{
    const QString trimmed = status.trimmed();
    const QString word = trimmed.section(u' ', 0, 0).toUpper();
    const QString rest = trimmed.section(u' ', 1).trimmed();
    static const QRegularExpression counts(QStringLiteral("^\\d+/\\d+$"));
    const bool transition = counts.match(rest).hasMatch();
    if (trimmed.compare(QLatin1String("no check"), Qt::CaseInsensitive) == 0) {
        *stateText = QStringLiteral("up (no check)");
        return BackendState::Up;
    }
    if (word == QLatin1String("UP")) {
        // "UP 2/3": up, and 2 more failed checks of fall 3 take it down.
        *stateText = transition ? QStringLiteral("up, going down (%1)").arg(rest) : QStringLiteral("up");
        return BackendState::Up;
    }
    if (word == QLatin1String("DOWN")) {
        // "DOWN 1/2": down, 1 of the rise 2 passing checks seen.
        *stateText = transition ? QStringLiteral("down, going up (%1)").arg(rest)
                                : rest.isEmpty() ? QStringLiteral("down") : QStringLiteral("down %1").arg(rest);
        return BackendState::Down;
    }
    if (word == QLatin1String("NOLB")) {
        // Up but not given new traffic (http-check disable-on-404): as drained.
        *stateText = QStringLiteral("nolb (no new traffic)");
        return BackendState::Drain;
    }
    if (word == QLatin1String("MAINT")) {
        *stateText = rest.isEmpty() ? QStringLiteral("maint") : QStringLiteral("maint %1").arg(rest);
        return BackendState::Maint;
    }
    if (word == QLatin1String("DRAIN")) {
        *stateText = rest.isEmpty() ? QStringLiteral("drain") : QStringLiteral("drain %1").arg(rest);
        return BackendState::Drain;
    }
    *stateText = QStringLiteral("unknown HAProxy status \"%1\"").arg(trimmed);
    return BackendState::Down;
}

QString HaproxyEngineLink::checkReason(const StatRow &row)
{
    QString status = row.text(field("check_status"));
    if (status.startsWith(QLatin1String("* ")))
        status = status.mid(2);   // "* " marks a check running right now
    if (status.isEmpty())
        return QString();
    QStringList parts{status};
    // HAProxy shows code 0 for a moment while a new check starts: no answer yet, not a code.
    const QString code = row.text(field("check_code"));
    if (!code.isEmpty() && code != QLatin1String("0"))
        parts.append(code);
    const QString duration = row.text(field("check_duration"));
    if (!duration.isEmpty())
        parts.append(QStringLiteral("in %1 ms").arg(duration));
    QString reason = parts.join(u' ');
    if (!status.endsWith(QLatin1String("OK"))) {
        QString info = row.text(field("last_chk"));
        if (info.isEmpty())
            info = row.text(field("check_desc"));
        if (!info.isEmpty())
            reason += QStringLiteral(": ") + info;
    }
    return reason;
}

void HaproxyEngineLink::publish(const ShowStat &stat)
{
    const qint64 nowMs = m_clock.elapsed();
    LinkSnapshot snapshot;
    snapshot.sequence = ++m_sequence;
    snapshot.time = wallclock::nowUtc();
    snapshot.tickMs = m_tickMs;
    QList<LinkEvent> events;
    events.swap(m_events);
    QSet<QString> seen;
    for (const StatRow &row : stat.servers) {
        ServerStatus s;
        s.pool = row.proxy();
        s.name = row.service();
        s.address = row.text(field("addr"));
        s.state = stateFromStatus(row.text(field("status")), &s.stateText);
        s.backup = row.number(field("bck"), 0) == 1;
        // uweight is the weight set (config or runtime; not in older HAProxy); weight is the effective one.
        const qint64 effective = row.number(field("weight"), 0);
        s.weight = int(row.number(field("uweight")).value_or(effective));
        s.effectiveWeight = s.state == BackendState::Up ? int(effective) : 0;
        s.activeConnections = int(row.number(field("scur"), 0));
        s.reason = checkReason(row);
        if (s.reason.isEmpty() && (s.state == BackendState::Maint || s.state == BackendState::Drain))
            s.reason = tr("operator or haproxy.cfg");
        if (const std::optional<qint64> since = row.number(field("lastchg")))
            s.stateSince = snapshot.time.addSecs(-*since);
        // The average over the last 1024 requests is all show stat has; no percentiles.
        s.p50Ms = double(row.number(field("rtime"), 0));

        // HTTP requests; a TCP-mode server (or an old HAProxy) has no req_tot, and there a session (stot) is the unit.
        const qint64 requests = row.number(field("req_tot")).value_or(row.number(field("stot"), 0));
        const qint64 errors = row.number(field("hrsp_5xx"), 0) + row.number(field("eresp"), 0) + row.number(field("econ"), 0);
        const CounterWindow::Rates rates = m_rates.add(s.key(), nowMs, requests, errors);
        s.requestsPerSecond = rates.requestsPerSecond;
        s.errorRate = rates.errorRate;
        seen.insert(s.key());
        snapshot.servers.append(s);
    }
    assignTrafficShares(snapshot.servers);
    // What HAProxy answered itself: a backend's 5xx beyond its servers' are the 503s it gave
    // when no server could take the request (and its own errors), counted per pool as the
    // strip and the totals row count fulcrumd's.
    QHash<QString, qint64> serversFiveXx;
    for (const StatRow &row : stat.servers)
        serversFiveXx[row.proxy()] += row.number(field("hrsp_5xx"), 0);
    for (const StatRow &row : stat.backends) {
        PoolStatus pool;
        pool.name = row.proxy();
        bool serving = false;
        bool any = false;
        for (const ServerStatus &s : std::as_const(snapshot.servers)) {
            if (s.pool != pool.name)
                continue;
            any = true;
            serving = serving || (s.state == BackendState::Up && s.effectiveWeight > 0);
        }
        if (!any)
            continue;
        pool.cannotServe = !serving;
        pool.reportsUnserved = row.number(field("hrsp_5xx")).has_value();
        const qint64 own = std::max<qint64>(0, row.number(field("hrsp_5xx"), 0) - serversFiveXx.value(pool.name));
        const QString key = QStringLiteral("backend\n") + pool.name;
        pool.unservedPerSecond = m_rates.add(key, nowMs, own, 0).requestsPerSecond;
        seen.insert(key);
        snapshot.pools.append(pool);
    }
    m_rates.keepOnly(seen);
    events += stateChangeEvents(m_last, snapshot, QStringLiteral("haproxy"));
    m_last = snapshot;
    if (!events.isEmpty())
        Q_EMIT eventsReady(events);
    Q_EMIT snapshotReady(snapshot);
}

void HaproxyEngineLink::setLinkState(LinkState state, const QString &detail)
{
    if (state == m_state && detail == m_detail)
        return;
    const LinkState before = m_state;
    m_state = state;
    m_detail = detail;
    if (const std::optional<LinkEvent> event = connectionEvent(before, state, m_client.address().toString(), detail)) {
        m_events.append(*event);
        if (state != LinkState::Connected) {
            QList<LinkEvent> events;
            events.swap(m_events);
            Q_EMIT eventsReady(events);
        }
    }
    Q_EMIT stateChanged(state, detail);
}

quint64 HaproxyEngineLink::refuse(const QString &message)
{
    const quint64 id = ++m_lastCommandId;
    QMetaObject::invokeMethod(this, [this, result = CommandResult{id, false, message}] { Q_EMIT commandFinished(result); },
                              Qt::QueuedConnection);
    return id;
}

quint64 HaproxyEngineLink::setWeight(const QString &pool, const QString &server, int weight)
{
    if (weight < 0 || weight > kHaproxyMaxWeight) {
        return refuse(tr("weight %1 for %2/%3 is outside HAProxy's range 0–%4 (HAProxy weights are not Fulcrum's 0–%5)")
                          .arg(weight).arg(pool, server).arg(kHaproxyMaxWeight).arg(kMaxWeight));
    }
    const int index = m_last.indexOf(pool, server);
    const QString before = index >= 0 ? QString::number(m_last.servers[index].weight) : QString();
    return runServerCommand(pool, server, "weight " + QByteArray::number(weight), before, QString::number(weight),
                            QStringLiteral("set-weight"));
}

quint64 HaproxyEngineLink::setState(const QString &pool, const QString &server, BackendState state)
{
    QByteArray word;
    switch (state) {
    case BackendState::Up: word = "ready"; break;
    case BackendState::Drain: word = "drain"; break;
    case BackendState::Maint: word = "maint"; break;
    case BackendState::Down:
        return refuse(tr("down is what HAProxy's health checks find, not a state to set; use maint (no traffic, no checks) "
                         "or drain (no new traffic) for %1/%2").arg(pool, server));
    }
    const int index = m_last.indexOf(pool, server);
    const QString before = index >= 0 ? m_last.servers[index].stateText : QString();
    return runServerCommand(pool, server, "state " + word, before, QString::fromLatin1(word), QStringLiteral("set-state"));
}

quint64 HaproxyEngineLink::runServerCommand(const QString &pool, const QString &server, const QByteArray &what,
                                            const QString &before, const QString &after, const QString &action)
{
    if (!validName(pool) || !validName(server)) {
        return refuse(tr("\"%1/%2\" is not a HAProxy backend/server name (letters, digits and _ . : - only); "
                         "pick the server from the list").arg(pool, server));
    }
    if (!m_level.isEmpty() && m_level != QLatin1String("admin"))
        return refuse(m_client.notAdminMessage(m_level));
    const quint64 id = ++m_lastCommandId;
    const QByteArray command = "set server " + pool.toUtf8() + '/' + server.toUtf8() + ' ' + what;
    m_client.send(command, this, [this, id, pool, server, before, after, action, what](const RuntimeReply &reply) {
        CommandResult result{id, false, QString()};
        const QString answer = QString::fromUtf8(reply.output).trimmed();
        if (!reply.ok) {
            result.message = reply.error;
        } else if (!answer.isEmpty()) {
            result.message = explain(pool, server, answer);
        } else {
            result.ok = true;
            result.message = before.isEmpty() ? tr("HAProxy %1/%2: %3").arg(pool, server, QString::fromLatin1(what))
                                              : tr("HAProxy %1/%2: %3 → %4").arg(pool, server, before, after);
            m_events.append(LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Operator, AuditLog::currentOsUser(),
                                      pool + u'/' + server, action, before, after, tr("through %1").arg(m_client.address().toString())});
        }
        Q_EMIT commandFinished(result);
        if (result.ok)
            poll();   // show the change now rather than at the next tick
    });
    return id;
}

QString HaproxyEngineLink::explain(const QString &pool, const QString &server, const QString &answer) const
{
    if (answer.contains(QLatin1String("Permission denied")))
        return m_client.notAdminMessage(m_level);
    if (answer.startsWith(QLatin1String("No such server")))
        return tr("HAProxy has no server \"%1\" in backend \"%2\" (%3): check the name against haproxy.cfg; "
                  "a reload may have renamed or removed it").arg(server, pool, answer);
    if (answer.startsWith(QLatin1String("No such backend")))
        return tr("HAProxy has no backend \"%1\" (%2): check the name against haproxy.cfg; "
                  "a reload may have renamed or removed it").arg(pool, answer);
    return tr("HAProxy refused it for %1/%2: %3").arg(pool, server, answer);
}

} // namespace fulcrum
