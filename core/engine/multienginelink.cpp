#include "engine/multienginelink.h"

#include "common/wallclock.h"

#include <QJsonArray>
#include <QTimer>

#include <algorithm>

namespace fulcrum {

namespace {

QString prefixed(const QString &engine, const QString &name)
{
    return engine + u'/' + name;
}

// Disconnected is the worst: the status bar shows the state of the engine that needs attention.
int badness(LinkState state)
{
    switch (state) {
    case LinkState::Connected: return 0;
    case LinkState::Connecting: return 1;
    case LinkState::Disconnected: return 2;
    }
    return 2;
}

} // namespace

MultiEngineLink::MultiEngineLink(QObject *parent)
    : EngineLink(parent), m_tick(new QTimer(this))
{
    qRegisterMetaType<LinkSnapshot>();
    qRegisterMetaType<LinkEvent>();
    qRegisterMetaType<LockTable>();
    qRegisterMetaType<CommandResult>();
    connect(m_tick, &QTimer::timeout, this, &MultiEngineLink::publishSnapshot);
}

MultiEngineLink::~MultiEngineLink()
{
    // The links go with the QObject children after this; they must not call back into a half-gone composite.
    for (const std::unique_ptr<Child> &child : m_children)
        child->link->disconnect(this);
}

bool MultiEngineLink::addEngine(const QString &name, EngineLink *link)
{
    if (name.isEmpty() || name.contains(u'/') || engine(name))
        return false;
    link->setParent(this);
    auto child = std::make_unique<Child>();
    child->name = name;
    child->link = link;
    child->state = link->state();
    Child *c = child.get();
    m_children.push_back(std::move(child));

    connect(link, &EngineLink::snapshotReady, this, [this, c](const LinkSnapshot &snapshot) {
        c->snapshot = snapshot;
        for (ServerStatus &server : c->snapshot.servers)
            server.pool = prefixed(c->name, server.pool);
        for (PoolStatus &pool : c->snapshot.pools)
            pool.name = prefixed(c->name, pool.name);
        m_dirty = true;
        if (!m_tick->isActive())
            m_tick->start(tickMs());
    });
    connect(link, &EngineLink::eventsReady, this, [this, c](const QList<LinkEvent> &events) {
        QList<LinkEvent> out = events;
        for (LinkEvent &event : out) {
            if (event.target != c->name)
                event.target = prefixed(c->name, event.target);
        }
        Q_EMIT eventsReady(out);
    });
    connect(link, &EngineLink::lockTableReady, this, [this, c](const LockTable &table) {
        LockTable out = table;
        out.endpoint = prefixed(c->name, table.endpoint);
        for (LockRow &row : out.rows)
            row.endpoint = out.endpoint;
        Q_EMIT lockTableReady(out);
    });
    connect(link, &EngineLink::lockDetailReady, this, [this, c](quint64 childId, const LockDetail &detail) {
        const auto it = m_details.constFind({c->link, childId});
        if (it == m_details.cend())
            return;
        const DetailAsked asked = *it;
        m_details.erase(it);
        LockDetail out = detail;
        out.endpoint = asked.endpoint;
        if (out.row)
            out.row->endpoint = asked.endpoint;
        Q_EMIT lockDetailReady(asked.id, out);
    });
    connect(link, &EngineLink::lockEndpointStateChanged, this, [this, c](const QString &endpoint, LinkState state, const QString &detail) {
        Q_EMIT lockEndpointStateChanged(prefixed(c->name, endpoint), state, detail);
    });
    connect(link, &EngineLink::stateChanged, this, [this, c](LinkState state, const QString &detail) {
        c->state = state;
        c->detail = detail;
        updateState();
    });
    connect(link, &EngineLink::commandFinished, this, [this, c](const CommandResult &result) {
        const auto it = m_commands.constFind({c->link, result.id});
        if (it == m_commands.cend())
            return;
        const quint64 id = *it;
        m_commands.erase(it);
        Q_EMIT commandFinished(CommandResult{id, result.ok, QStringLiteral("%1: %2").arg(c->name, result.message)});
    });
    updateState();
    Q_EMIT enginesChanged();
    return true;
}

bool MultiEngineLink::removeEngine(const QString &name)
{
    const auto it = std::find_if(m_children.begin(), m_children.end(), [&name](const std::unique_ptr<Child> &child) { return child->name == name; });
    if (it == m_children.end())
        return false;
    EngineLink *link = (*it)->link;
    link->disconnect(this);
    for (auto command = m_commands.begin(); command != m_commands.end();) {
        if (command.key().first != link) {
            ++command;
            continue;
        }
        failLater(*command, tr("%1: the engine was removed before it answered; check on that engine whether the command took effect").arg(name));
        command = m_commands.erase(command);
    }
    for (auto detail = m_details.begin(); detail != m_details.end();) {
        if (detail.key().first != link) {
            ++detail;
            continue;
        }
        const LockDetail gone{detail->endpoint, detail->key, std::nullopt, false, tr("%1: the engine was removed before it answered").arg(name)};
        QMetaObject::invokeMethod(this, [this, id = detail->id, gone] { Q_EMIT lockDetailReady(id, gone); }, Qt::QueuedConnection);
        detail = m_details.erase(detail);
    }
    m_children.erase(it);
    // Later: the link may be inside one of its own slots further up this stack.
    link->deleteLater();
    m_dirty = true;
    publishSnapshot();
    updateState();
    Q_EMIT enginesChanged();
    return true;
}

QStringList MultiEngineLink::engineNames() const
{
    QStringList names;
    for (const std::unique_ptr<Child> &child : m_children)
        names.append(child->name);
    return names;
}

EngineLink *MultiEngineLink::engine(const QString &name) const
{
    for (const std::unique_ptr<Child> &child : m_children) {
        if (child->name == name)
            return child->link;
    }
    return nullptr;
}

QString MultiEngineLink::description() const
{
    QStringList parts;
    for (const std::unique_ptr<Child> &child : m_children)
        parts.append(child->link->description());
    return tr("%n engine(s): %1", nullptr, int(m_children.size())).arg(parts.join(QStringLiteral("; ")));
}

QString MultiEngineLink::transportWarning() const
{
    QStringList parts;
    for (const std::unique_ptr<Child> &child : m_children) {
        const QString warning = child->link->transportWarning();
        if (!warning.isEmpty())
            parts.append(warning);
    }
    return parts.join(QStringLiteral("; "));
}

int MultiEngineLink::tickMs() const
{
    int tick = 1000;
    for (const std::unique_ptr<Child> &child : m_children)
        tick = std::min(tick, child->link->tickMs());
    return std::max(tick, 250);
}

QList<LockEndpointInfo> MultiEngineLink::lockEndpoints() const
{
    QList<LockEndpointInfo> endpoints;
    for (const std::unique_ptr<Child> &child : m_children) {
        for (const LockEndpointInfo &endpoint : child->link->lockEndpoints())
            endpoints.append(LockEndpointInfo{prefixed(child->name, endpoint.name), endpoint.backend, endpoint.displayName, endpoint.tlsInsecure});
    }
    return endpoints;
}

void MultiEngineLink::publishSnapshot()
{
    if (!m_dirty) {
        m_tick->stop();   // nothing came in a whole tick: wait for the next snapshot to restart
        return;
    }
    m_dirty = false;
    m_tick->setInterval(tickMs());
    LinkSnapshot merged;
    merged.sequence = ++m_sequence;
    merged.time = wallclock::nowUtc();
    merged.tickMs = tickMs();
    for (const std::unique_ptr<Child> &child : m_children) {
        merged.servers.append(child->snapshot.servers);
        merged.pools.append(child->snapshot.pools);
    }
    Q_EMIT snapshotReady(merged);
}

void MultiEngineLink::updateState()
{
    LinkState worst = LinkState::Connected;
    QStringList parts;
    for (const std::unique_ptr<Child> &child : m_children) {
        if (badness(child->state) > badness(worst))
            worst = child->state;
        parts.append(child->detail.isEmpty() ? tr("%1: %2").arg(child->name, linkStateName(child->state))
                                             : tr("%1: %2, %3").arg(child->name, linkStateName(child->state), child->detail));
    }
    if (m_children.empty()) {
        worst = LinkState::Disconnected;
        parts.append(tr("no engines: add one under Settings → Engines"));
    }
    m_state = worst;
    Q_EMIT stateChanged(worst, parts.join(QStringLiteral(" · ")));
}

MultiEngineLink::Child *MultiEngineLink::route(const QString &name, QString *local)
{
    const qsizetype slash = name.indexOf(u'/');
    if (slash <= 0)
        return nullptr;
    for (const std::unique_ptr<Child> &child : m_children) {
        if (QStringView(name).left(slash) == child->name) {
            *local = name.mid(slash + 1);
            return child.get();
        }
    }
    return nullptr;
}

quint64 MultiEngineLink::forward(Child *child, quint64 childId)
{
    const quint64 id = ++m_lastCommandId;
    m_commands.insert({child->link, childId}, id);
    return id;
}

void MultiEngineLink::failLater(quint64 id, const QString &message)
{
    QMetaObject::invokeMethod(this, [this, result = CommandResult{id, false, message}] { Q_EMIT commandFinished(result); }, Qt::QueuedConnection);
}

quint64 MultiEngineLink::setWeight(const QString &pool, const QString &server, int weight)
{
    QString local;
    if (Child *child = route(pool, &local))
        return forward(child, child->link->setWeight(local, server, weight));
    const quint64 id = ++m_lastCommandId;
    failLater(id, tr("pool \"%1\" names no engine (engines: %2); refresh the view").arg(pool, engineNames().join(QStringLiteral(", "))));
    return id;
}

quint64 MultiEngineLink::setState(const QString &pool, const QString &server, BackendState state)
{
    QString local;
    if (Child *child = route(pool, &local))
        return forward(child, child->link->setState(local, server, state));
    const quint64 id = ++m_lastCommandId;
    failLater(id, tr("pool \"%1\" names no engine (engines: %2); refresh the view").arg(pool, engineNames().join(QStringLiteral(", "))));
    return id;
}

quint64 MultiEngineLink::testLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &password)
{
    if (m_children.empty()) {
        const quint64 id = ++m_lastCommandId;
        failLater(id, tr("no engine to test %1 from").arg(endpoint.url()));
        return id;
    }
    Child *first = m_children.front().get();
    return forward(first, first->link->testLockEndpoint(endpoint, password));
}

quint64 MultiEngineLink::requestLockRelease(const QString &endpoint, const LockReleaseRequest &request)
{
    QString local;
    if (Child *child = route(endpoint, &local))
        return forward(child, child->link->requestLockRelease(local, request));
    const quint64 id = ++m_lastCommandId;
    failLater(id, tr("lock endpoint \"%1\" names no engine (engines: %2); nothing deleted").arg(endpoint, engineNames().join(QStringLiteral(", "))));
    return id;
}

quint64 MultiEngineLink::enableLockNotifications(const QString &endpoint)
{
    QString local;
    if (Child *child = route(endpoint, &local))
        return forward(child, child->link->enableLockNotifications(local));
    const quint64 id = ++m_lastCommandId;
    failLater(id, tr("lock endpoint \"%1\" names no engine (engines: %2); nothing was changed").arg(endpoint, engineNames().join(QStringLiteral(", "))));
    return id;
}

quint64 MultiEngineLink::requestLockDetail(const QString &endpoint, const QByteArray &key)
{
    const quint64 id = ++m_lastCommandId;
    QString local;
    if (Child *child = route(endpoint, &local)) {
        m_details.insert({child->link, child->link->requestLockDetail(local, key)}, DetailAsked{id, endpoint, key});
        return id;
    }
    const LockDetail none{endpoint, key, std::nullopt, false,
                          tr("lock endpoint \"%1\" names no engine (engines: %2)").arg(endpoint, engineNames().join(QStringLiteral(", ")))};
    QMetaObject::invokeMethod(this, [this, id, none] { Q_EMIT lockDetailReady(id, none); }, Qt::QueuedConnection);
    return id;
}

// What every engine shown can take (weights), and what at least one of them has.
EngineCapabilities MultiEngineLink::capabilities() const
{
    if (m_children.empty())
        return EngineLink::capabilities();
    EngineCapabilities all;
    all.drain = all.maintenance = true;
    all.locks = all.reports = all.responseTimes = all.percentiles = all.errorRates = all.auditLog = false;
    for (const std::unique_ptr<Child> &child : m_children) {
        const EngineCapabilities c = child->link->capabilities();
        all.minWeight = std::max(all.minWeight, c.minWeight);
        all.maxWeight = std::min(all.maxWeight, c.maxWeight);
        all.drain = all.drain && c.drain;
        all.maintenance = all.maintenance && c.maintenance;
        all.locks = all.locks || c.locks;
        all.reports = all.reports || c.reports;
        all.responseTimes = all.responseTimes || c.responseTimes;
        all.percentiles = all.percentiles || c.percentiles;
        all.errorRates = all.errorRates || c.errorRates;
        all.auditLog = all.auditLog || c.auditLog;
    }
    return all;
}

QString MultiEngineLink::weightNote() const
{
    QStringList notes;
    for (const std::unique_ptr<Child> &child : m_children) {
        const QString note = child->link->weightNote();
        if (!note.isEmpty())
            notes.append(tr("%1: %2").arg(child->name, note));
    }
    if (notes.isEmpty())
        return QString();
    if (maxWeight() < kMaxWeight)
        notes.append(tr("Weights here stop at %1 for every engine.").arg(maxWeight()));
    return notes.join(u' ');
}

quint64 MultiEngineLink::exportReport(const ReportRequest &, const QString &)
{
    const quint64 id = ++m_lastCommandId;
    failLater(id, tr("a report covers one engine's history: start the console with that one --engine, or run fulcrumctl report --engine URL (engines: %1)")
                      .arg(engineNames().join(QStringLiteral(", "))));
    return id;
}

quint64 MultiEngineLink::requestHistory(const HistoryQuery &query)
{
    // Every engine that keeps history is asked; their servers are merged with the engine's
    // name in front of the pool, as in snapshots. An engine without history is named in the
    // answer's "missing" list, and the answer is an error only when no engine had any.
    const quint64 id = ++m_lastCommandId;
    struct Gather
    {
        int waiting = 0;
        QJsonArray servers;
        int resolution = 0;
        QStringList missing;
    };
    auto gather = std::make_shared<Gather>();
    auto finishIfDone = [this, id, gather, query] {
        if (gather->waiting > 0)
            return;
        if (gather->servers.isEmpty() && !gather->missing.isEmpty()) {
            Q_EMIT historyReady(id, QJsonObject(), gather->missing.join(QStringLiteral("; ")));
            return;
        }
        QJsonObject series{{QStringLiteral("from"), QDateTime::fromMSecsSinceEpoch(query.fromMs, Qt::UTC).toString(Qt::ISODateWithMs)},
                           {QStringLiteral("to"), QDateTime::fromMSecsSinceEpoch(query.toMs, Qt::UTC).toString(Qt::ISODateWithMs)},
                           {QStringLiteral("resolution_s"), gather->resolution},
                           {QStringLiteral("servers"), gather->servers}};
        if (!gather->missing.isEmpty())
            series.insert(QStringLiteral("missing"), QJsonArray::fromStringList(gather->missing));
        Q_EMIT historyReady(id, series, QString());
    };
    for (const std::unique_ptr<Child> &child : m_children) {
        if (!child->link->capabilities().reports) {
            gather->missing.append(tr("%1 keeps no history").arg(child->name));
            continue;
        }
        HistoryQuery local = query;
        if (!query.pool.isEmpty()) {
            QString pool;
            if (route(query.pool, &pool) != child.get())
                continue;
            local.pool = pool;
        }
        ++gather->waiting;
        const QString name = child->name;
        auto connection = std::make_shared<QMetaObject::Connection>();
        const quint64 childId = child->link->requestHistory(local);
        *connection = connect(child->link, &EngineLink::historyReady, this,
                              [gather, finishIfDone, connection, childId, name](quint64 answered, const QJsonObject &series, const QString &error) {
            if (answered != childId)
                return;
            disconnect(*connection);
            --gather->waiting;
            if (!error.isEmpty())
                gather->missing.append(QStringLiteral("%1: %2").arg(name, error));
            gather->resolution = std::max(gather->resolution, series.value(QStringLiteral("resolution_s")).toInt());
            for (const QJsonValue &value : series.value(QStringLiteral("servers")).toArray()) {
                QJsonObject server = value.toObject();
                server.insert(QStringLiteral("pool"), prefixed(name, server.value(QStringLiteral("pool")).toString()));
                gather->servers.append(server);
            }
            finishIfDone();
        });
    }
    if (gather->waiting == 0)
        QMetaObject::invokeMethod(this, finishIfDone, Qt::QueuedConnection);
    return id;
}

} // namespace fulcrum
