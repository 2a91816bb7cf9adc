#include "engine/inprocessenginelink.h"

#include "common/fastrandom.h"
#include "common/wallclock.h"
#include "engine/linkfigures.h"
#include "config/config.h"
#include "demo/demobackend.h"
#include "engine/auditlog.h"
#include "engine/demoenvironment.h"
#include "engine/engine.h"
#include "engine/localredisserver.h"
#include "health/healthchecker.h"
#include "locks/redis/redisconnection.h"
#include "locks/lockbackends.h"
#include "locks/secretstore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QSet>
#include <QTimer>

#include <algorithm>
#include <deque>
#include <memory>
#include <utility>

namespace fulcrum {

InProcessLockEndpoint InProcessLockEndpoint::redis(const QString &host, quint16 port)
{
    InProcessLockEndpoint e;
    e.config.backend = QStringLiteral("redis");
    e.config.redis.host = host;
    e.config.redis.port = port;
    return e;
}

QString InProcessLockEndpoint::endpoint() const
{
    if (!config.name().isEmpty())
        return config.name();
    if (config.isZooKeeper())
        return config.zookeeper.hosts + config.zookeeper.chroot;
    const RedisEndpointConfig &r = config.redis;
    return r.unixSocket.isEmpty() ? QStringLiteral("%1:%2").arg(r.host).arg(r.port) : r.unixSocket;
}

InProcessOptions InProcessOptions::demo()
{
    InProcessOptions options;
    // Host and port come from the demo backends when the engine starts.
    struct Row { const char *name; int weight; double latency; double errors; bool flaky; };
    const Row rows[] = {
        {"app1", 100, 6, 0.001, false},
        {"app2", 100, 7, 0.001, false},
        {"app3", 50, 35, 0.004, false},
        {"app4", 100, 9, 0.002, false},
        {"app5", 100, 11, 0.01, true},
        {"app6", 25, 5, 0.0, false},
    };
    for (const Row &row : rows) {
        DemoServerProfile profile;
        profile.spec.name = QString::fromLatin1(row.name);
        profile.spec.weight = row.weight;
        profile.latencyMs = row.latency;
        profile.errorRate = row.errors;
        profile.flaky = row.flaky;
        options.servers.append(profile);
    }
    return options;
}

// The worker side, on the link's thread: owns the Engine and the demo backends and load, and
// turns engine snapshots and lock scans into the link's value types.
class EngineWorker : public QObject
{
public:
    EngineWorker(InProcessEngineLink *link, const InProcessOptions &options)
        : m_link(link), m_options(options), m_random(0xf00d), m_engine(new Engine(this))
    {
    }

    void start()
    {
        m_clock.start();
        // Lock endpoint news (connected, lost, a cluster failover, Sentinel's new master) reaches
        // the console's events as it does through a remote link; health and operator events come
        // structured on their own paths.
        QObject::connect(m_engine, &Engine::eventOccurred, m_engine, [this](const EngineEvent &event) {
            // Its listeners starting and such are the console's own doing: only lock news.
            if (event.source != u"locks")
                return;
            if (const std::optional<LinkEvent> linkEvent = engineLinkEvent(event, QStringLiteral("embedded")))
                m_events.append(*linkEvent);
        });
        startEngine();
        for (const InProcessLockEndpoint &endpoint : m_options.locks) {
            if (endpoint.demoLocks && endpoint.config.isRedis())
                startDemoLocks(endpoint);
        }
    }

    void releaseLock(quint64 id, const QString &endpoint, const LockReleaseRequest &request)
    {
        const QString user = AuditLog::currentOsUser();
        const QByteArray key = request.key;
        const QByteArray holder = request.holder;
        m_engine->releaseLock(endpoint, request, user, QStringLiteral("console"),
                              [this, id, user, endpoint, key, holder](const ForceReleaseResult &result) {
            const bool released = result.outcome == ForceReleaseResult::Released || result.outcome == ForceReleaseResult::Asked;
            m_events.append(LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Lock, user,
                                      endpoint + u' ' + QString::fromUtf8(key), QStringLiteral("force-release"),
                                      QString::fromUtf8(holder), released ? QStringLiteral("released") : QStringLiteral("not released"),
                                      result.message});
            finish(id, released, result.message);
        });
    }

    void setWeight(quint64 id, const QString &pool, const QString &server, int weight)
    {
        const std::shared_ptr<Pool> live = checkPool(id, pool);
        if (!live)
            return;
        const auto before = live->snapshot();
        const int index = before->indexOf(server);
        QString error;
        if (index < 0 || !m_engine->setWeight(pool, server, weight, AuditLog::currentOsUser(), QStringLiteral("console"), &error)) {
            if (error.isEmpty())
                error = QStringLiteral("server \"%1\" is not in pool \"%2\"; refresh the servers view").arg(server, pool);
            finish(id, false, error);
            return;
        }
        const int old = before->backends[size_t(index)].spec.weight;
        operatorEvent(QStringLiteral("set-weight"), pool + u'/' + server, QString::number(old), QString::number(weight));
        finish(id, true, QCoreApplication::translate("fulcrum::InProcessEngineLink", "weight of %1/%2: %3 → %4").arg(pool, server).arg(old).arg(weight));
    }

    void setState(quint64 id, const QString &pool, const QString &server, BackendState state)
    {
        const std::shared_ptr<Pool> live = checkPool(id, pool);
        if (!live)
            return;
        if (live->snapshot()->indexOf(server) < 0) {
            finish(id, false, QStringLiteral("server \"%1\" is not in pool \"%2\"; refresh the servers view").arg(server, pool));
            return;
        }
        if (state == BackendState::Down) {
            finish(id, false, QStringLiteral("%1/%2: \"down\" comes from health checks; use drain or maint to take it out").arg(pool, server));
            return;
        }
        const AdminState admin = state == BackendState::Drain ? AdminState::Drain
                                 : state == BackendState::Maint ? AdminState::Maint : AdminState::Ready;
        const QString old = adminName(pool, server);
        const QString shown = shownState(pool, server);
        QString error;
        if (!m_engine->setAdminState(pool, server, admin, AuditLog::currentOsUser(), QStringLiteral("console"), &error)) {
            finish(id, false, error);
            return;
        }
        const QString now = adminName(pool, server);
        operatorEvent(QStringLiteral("set-state"), pool + u'/' + server, old, now);
        // For the status bar: from what the table showed to what was set.
        finish(id, true, QStringLiteral("%1/%2: %3 → %4").arg(pool, server, shown.isEmpty() ? old : shown, now));
    }

    void exportReport(quint64 id, const ReportRequest &request, const QString &path, std::shared_ptr<std::atomic_bool> cancel)
    {
        if (!m_reports) {
            finish(id, false, QCoreApplication::translate("fulcrum::InProcessEngineLink", "this in-process engine keeps no history, so it has no reports"));
            return;
        }
        auto progress = [link = m_link, id](int done, int total) {
            QMetaObject::invokeMethod(link, [link, id, done, total] { Q_EMIT link->reportProgress(id, done, total); }, Qt::QueuedConnection);
        };
        m_reports->buildReport(request, path, this, std::move(cancel), progress, [this, id, request](const ReportOutcome &outcome) {
            if (!outcome.ok) {
                finish(id, false, outcome.error);
                return;
            }
            finish(id, true, QStringLiteral("%1 report, %2 – %3, %4 server(s): %5")
                                 .arg(request.format.toUpper(),
                                      QDateTime::fromMSecsSinceEpoch(request.fromMs, Qt::UTC).toString(Qt::ISODate),
                                      QDateTime::fromMSecsSinceEpoch(request.toMs, Qt::UTC).toString(Qt::ISODate))
                                 .arg(outcome.servers)
                                 .arg(outcome.files.join(QStringLiteral(", "))));
        });
    }

    void history(quint64 id, const HistoryQuery &query)
    {
        auto answer = [link = m_link, id](const QJsonObject &series, const QString &error) {
            QMetaObject::invokeMethod(link, [link, id, series, error] { Q_EMIT link->historyReady(id, series, error); }, Qt::QueuedConnection);
        };
        if (!m_reports) {
            answer({}, QCoreApplication::translate("fulcrum::InProcessEngineLink", "this in-process engine keeps no history: only the live view is available"));
            return;
        }
        m_reports->history(query, this, answer);
    }

    void enableNotifications(quint64 id, const QString &endpoint)
    {
        const QString user = AuditLog::currentOsUser();
        m_engine->enableLockNotifications(endpoint, user, QStringLiteral("console"), [this, id, user, endpoint](bool ok, const QString &message) {
            m_events.append(LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Operator, user, endpoint, QStringLiteral("enable-notifications"),
                                      QString(), ok ? QStringLiteral("enabled") : QStringLiteral("not enabled"), message});
            finish(id, ok, message);
        });
    }

    void inspectLock(quint64 id, const QString &endpoint, const QByteArray &key)
    {
        m_engine->inspectLock(endpoint, key, [link = m_link, id, endpoint, key](const LockInspection &answer) {
            LockDetail detail{endpoint, key, std::nullopt, answer.gone, answer.error};
            if (answer.lock)
                detail.row = LockRow::fromInfo(endpoint, *answer.lock, wallclock::nowUtc());
            QMetaObject::invokeMethod(link, [link, id, detail] { Q_EMIT link->lockDetailReady(id, detail); }, Qt::QueuedConnection);
        });
    }

    void testLockEndpoint(quint64 id, const LockEndpointConfig &endpoint, const QByteArray &password)
    {
        probeLockEndpoint(endpoint, password, this, [this, id](bool ok, const QString &message) { finish(id, ok, message); });
    }

private:
    // Each Redis endpoint as the last snapshot showed it, to publish only what changed.
    struct LockEndpointSeen
    {
        LinkState state = LinkState::Disconnected;
        QString connectionState;
        QString lastError;
        bool scanning = false;
        qint64 keysScanned = 0;
        LockFeedState feed;
    };

    // The Engine's lock endpoints, in the order the options list them; a password goes to the
    // engine's keychain interface under the endpoint's name.
    void addLockEndpoints(Config *config)
    {
        for (const InProcessLockEndpoint &lock : m_options.locks) {
            LockEndpointConfig endpoint = lock.config;
            const QString name = lock.endpoint();
            const SecretSource password = lock.password.isEmpty() ? SecretSource{} : SecretSource{SecretSource::Keychain, name};
            if (!lock.password.isEmpty())
                m_secrets.insert(name, lock.password);
            endpoint.setName(name);
            endpoint.setPassword(password);
            config->locks.push_back(endpoint);
        }
        for (auto it = m_options.keychainSecrets.cbegin(); it != m_options.keychainSecrets.cend(); ++it)
            m_secrets.insert(it.key(), it.value());
        m_engine->setKeychain(&m_secrets);
        connect(m_engine, &Engine::lockScanFinished, this, [this](const QString &endpoint, const LockScanResult &result) {
            LockTable table = lockTable(endpoint, result);
            table.feed = m_engine->lockFeed(endpoint);
            m_liveChanged.remove(endpoint);
            publish(table);
        });
        // A live table's rows change between passes: the console gets the table as it is now,
        // on a beat (a busy Redis announces dozens of changes a second).
        m_liveBeat = new QTimer(this);
        m_liveBeat->setSingleShot(true);
        m_liveBeat->setInterval(200);
        connect(m_engine, &Engine::lockRowsChanged, this, [this](const QString &endpoint) {
            m_liveChanged.insert(endpoint);
            if (!m_liveBeat->isActive())
                m_liveBeat->start();
        });
        connect(m_liveBeat, &QTimer::timeout, this, [this] {
            for (const QString &endpoint : std::exchange(m_liveChanged, {})) {
                if (const std::optional<LockEndpointView> view = m_engine->lockView(endpoint)) {
                    LockTable table = lockTable(view->name, view->lastResult);
                    table.feed = view->feed;
                    publish(table);
                }
            }
        });
    }

    // Connection states and scan progress come with the engine's snapshot: publish the
    // changes (a lock table while a pass runs, or when the endpoint's error changes).
    void publishLockEndpoints(const EngineSnapshot &engine)
    {
        for (const LockEndpointView &view : engine.lockEndpoints) {
            LockEndpointSeen &seen = m_lockSeen[view.name];
            const LinkState state = lockEndpointLinkState(view.connectionState);
            if (view.connectionState != seen.connectionState || view.lastError != seen.lastError) {
                QMetaObject::invokeMethod(m_link, [link = m_link, endpoint = view.name, state, detail = view.lastError] {
                    Q_EMIT link->lockEndpointStateChanged(endpoint, state, detail);
                }, Qt::QueuedConnection);
            }
            const bool progressed = view.scanning && (!seen.scanning || view.passKeysScanned != seen.keysScanned);
            // Each notification moves the feed's count: a table of every row again only when
            // what it shows of the feed changed (the live beat publishes the rows).
            if (progressed || view.lastError != seen.lastError || !view.feed.sameShownState(seen.feed)) {
                LockTable table = lockTable(view.name, view.lastResult);
                table.scanning = view.scanning;
                if (view.scanning) {
                    table.keysScanned = view.passKeysScanned;
                    table.passDetail = view.passDetail;
                }
                table.error = view.lastError;
                table.feed = view.feed;
                publish(table);
            }
            seen = LockEndpointSeen{state, view.connectionState, view.lastError, view.scanning, view.passKeysScanned, view.feed};
        }
    }

    // What a shop's Redis holds, written by a client of its own as a shop's workers would: a
    // cart lock renewed by its holder, an order lock someone forgot to give a TTL, a Redisson
    // stock lock, one of Fulcrum's own, and cart locks of short requests coming and going.
    void startDemoLocks(const InProcessLockEndpoint &redis)
    {
        auto *connection = new RedisConnection(RedisConnectionOptions::fromConfig(redis.config.redis, redis.password), this);
        auto ignore = [](const RedisReply &) {};
        connect(connection, &RedisConnection::connected, this, [connection, ignore] {
            connection->command({"SET", "lock:checkout:order-5531", "worker-7:77aa01"}, ignore);
            connection->command({"HSET", "lock:inventory:sku-42", "8743c9c0-0795-4907-87fd-6c719a6b4586:57", "1"}, ignore);
            connection->command({"PEXPIRE", "lock:inventory:sku-42", "600000"}, ignore);
            connection->command({"SET", "payments:lock:refund-88", "fulcrum:6f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5:12", "PX", "600000"}, ignore);
        });
        auto *timer = new QTimer(this);
        connect(timer, &QTimer::timeout, this, [this, connection, ignore] {
            if (!connection->isConnected())
                return;
            ++m_demoLockRound;
            connection->command({"SET", "lock:cart:1001", "web-3:9f1c2a", "PX", "30000"}, ignore);
            const QByteArray cart = "lock:cart:" + QByteArray::number(2000 + m_demoLockRound % 6);
            const QByteArray holder = "web-" + QByteArray::number(m_demoLockRound % 4) + ':' + QByteArray::number(m_random.next() & 0xffffff, 16);
            connection->command({"SET", cart, holder, "PX", QByteArray::number(8000 + (m_demoLockRound % 3) * 6000)}, ignore);
        });
        timer->start(4000);
        connection->open();
    }

    LockTable lockTable(const QString &endpoint, const LockScanResult &result) const
    {
        LockTable table;
        table.endpoint = endpoint;
        table.backend = backendOf(endpoint);
        table.keysScanned = result.keysScanned;
        table.notes = result.notes;
        table.notesOmitted = result.notesOmitted;
        const QDateTime readAt = result.finishedAt.isValid() ? result.finishedAt : wallclock::nowUtc();
        for (const LockInfo &lock : result.locks)
            table.rows.append(LockRow::fromInfo(endpoint, lock, readAt));
        return table;
    }

    QString backendOf(const QString &endpoint) const
    {
        for (const LockEndpointConfig &c : m_engine->config().locks) {
            if (c.name() == endpoint)
                return c.backend;
        }
        return QString();
    }

    void publish(const LockTable &table)
    {
        QMetaObject::invokeMethod(m_link, [link = m_link, table] { Q_EMIT link->lockTableReady(table); }, Qt::QueuedConnection);
    }

    std::shared_ptr<Pool> checkPool(quint64 id, const QString &pool)
    {
        if (std::shared_ptr<Pool> live = m_engine->pool(pool))
            return live;
        QStringList pools;
        for (const PoolConfig &p : m_engine->config().pools)
            pools.append(QStringLiteral("\"%1\"").arg(p.name));
        finish(id, false, QStringLiteral("pool \"%1\" does not exist (this engine has %2)").arg(pool, pools.join(QStringLiteral(", "))));
        return nullptr;
    }

    void finish(quint64 id, bool ok, const QString &message)
    {
        CommandResult result{id, ok, message};
        QMetaObject::invokeMethod(m_link, [link = m_link, result] { Q_EMIT link->commandFinished(result); }, Qt::QueuedConnection);
    }

    void operatorEvent(const QString &action, const QString &target, const QString &before, const QString &after)
    {
        m_events.append(LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Operator, AuditLog::currentOsUser(),
                                  target, action, before, after, QString()});
    }

    // The operator's config, or the demo scenario's, on the same engine: its pools' health
    // checkers and events, its lock endpoints, its history; then the demo's traffic if it is one.
    void startEngine()
    {
        const bool demo = !m_options.config;
        Config config = demo ? demoConfig() : *m_options.config;
        config.admin.enabled = false;   // the console is this engine's interface
        addLockEndpoints(&config);
        QStringList errors;
        if (!m_engine->start(config, &errors)) {
            const QString text = errors.join(QStringLiteral("; "));
            qWarning("in-process engine: %s", qPrintable(text));
            m_events.append(LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Engine, QStringLiteral("engine"), QStringLiteral("embedded"),
                                      QStringLiteral("start"), QString(), QStringLiteral("not running"), text});
        }
        if (!config.pools.empty())
            m_pool = m_engine->pool(config.pools.front().name);
        QMetaObject::invokeMethod(m_link, [link = m_link, p = m_pool, audit = &m_engine->auditLog()] { link->attach(p, audit); },
                                  Qt::QueuedConnection);
        connect(m_engine, &Engine::snapshotReady, this, [this](const EngineSnapshot &snapshot) {
            publishSnapshot(snapshot);
            publishLockEndpoints(snapshot);
        });
        m_engine->setTickRate(std::clamp(1000 / std::max(1, m_options.tickMs), 1, 4));
        for (const PoolConfig &pool : config.pools) {
            HealthChecker *checker = m_engine->healthChecker(pool.name);
            if (!checker)
                continue;
            connect(checker, &HealthChecker::eventOccurred, this, [this](const HealthEvent &event) {
                // Operator actions are recorded with the user who made them.
                if (const std::optional<LinkEvent> linkEvent = healthLinkEvent(event))
                    m_events.append(*linkEvent);
            });
        }
        if (m_options.history)
            m_reports = m_options.history(m_engine);
        if (demo)
            startDemoTraffic();
    }

    // The demo scenario's config: six real demo backends on loopback in one pool behind a
    // listener on a free port, checked every second.
    Config demoConfig()
    {
        PoolConfig pool;
        pool.name = m_options.poolName;
        pool.options = m_options.pool;
        for (const DemoServerProfile &profile : m_options.servers) {
            auto *backend = new DemoBackend(profile.spec.name, this);
            QString error;
            if (!backend->listen(QHostAddress::LocalHost, 0, 1, &error))
                qWarning("demo backend %s: %s", qPrintable(profile.spec.name), qPrintable(error));
            backend->setLatency(qint64(profile.latencyMs), qint64(profile.latencyMs / 3));
            backend->setErrorRate(profile.errorRate);
            BackendSpec spec = profile.spec;
            spec.host = QStringLiteral("127.0.0.1");
            spec.port = backend->serverPort();
            pool.servers.push_back(spec);
            m_backends.push_back(backend);
        }
        pool.health.intervalMs = 1000;
        pool.health.fastIntervalMs = 500;
        pool.health.downIntervalMs = 1000;
        pool.outlier.enabled = false;   // the demo's 5xx are steady noise, not a server to eject
        Config config;
        ListenerConfig listener;
        listener.name = QStringLiteral("demo");
        listener.pool = pool.name;
        config.listeners.push_back(listener);
        config.pools.push_back(pool);
        config.proxy.workers = 1;
        return config;
    }

    // Real load through the demo's listener; the flaky backends answer /health with 503 for
    // 12 s of every 45 s.
    void startDemoTraffic()
    {
        m_environment = new DemoEnvironment(this);
        m_environment->startLoad(*m_engine, m_options.demandRps);
        if (!m_options.flapping)
            return;
        auto *flap = new QTimer(this);
        connect(flap, &QTimer::timeout, this, [this] {
            const bool bad = (m_clock.elapsed() % 45'000) >= 33'000;
            for (size_t i = 0; i < m_backends.size(); ++i) {
                if (m_options.servers[qsizetype(i)].flaky)
                    m_backends[i]->setHealth(bad ? DemoHealthMode::Unavailable : DemoHealthMode::Ok);
            }
        });
        flap->start(500);
    }

    // What the Servers table shows for it ("up", "up, 1/3 failed", "drain"): the "before" of a
    // state change, so the status bar and the table say the same thing.
    QString shownState(const QString &pool, const QString &server) const
    {
        HealthChecker *checker = m_engine->healthChecker(pool);
        if (!checker)
            return QString();
        for (const ServerHealth &health : checker->snapshot().servers) {
            if (health.name == server)
                return health.stateText;
        }
        return QString();
    }

    QString adminName(const QString &pool, const QString &server) const
    {
        HealthChecker *checker = m_engine->healthChecker(pool);
        if (!checker)
            return QString();
        for (const ServerHealth &health : checker->snapshot().servers) {
            if (health.name == server)
                return health.admin == AdminState::Ready ? QStringLiteral("ready") : adminStateName(health.admin);
        }
        return QString();
    }

    void publishSnapshot(const EngineSnapshot &engine)
    {
        LinkSnapshot snapshot = m_mapper.map(engine, 1000 / m_engine->tickRate());
        QList<LinkEvent> events;
        events.swap(m_events);
        QMetaObject::invokeMethod(m_link, [link = m_link, snapshot = std::move(snapshot), events = std::move(events)] {
            if (!events.isEmpty())
                Q_EMIT link->eventsReady(events);
            Q_EMIT link->snapshotReady(snapshot);
        }, Qt::QueuedConnection);
    }

    InProcessEngineLink *m_link;
    InProcessOptions m_options;
    FastRandom m_random;
    Engine *m_engine;
    std::shared_ptr<Pool> m_pool;
    DemoEnvironment *m_environment = nullptr;
    QElapsedTimer m_clock;
    std::vector<DemoBackend *> m_backends;
    QList<LinkEvent> m_events;
    SnapshotMapper m_mapper;
    InMemorySecretStore m_secrets;
    std::unique_ptr<ReportService> m_reports;
    QHash<QString, LockEndpointSeen> m_lockSeen;
    QTimer *m_liveBeat = nullptr;
    QSet<QString> m_liveChanged;          // live endpoints whose rows changed since the last beat
    int m_demoLockRound = 0;
};

InProcessEngineLink::InProcessEngineLink(InProcessOptions options, QObject *parent)
    : EngineLink(parent), m_options(std::move(options))
{
    qRegisterMetaType<LinkSnapshot>();
    qRegisterMetaType<LinkEvent>();
    qRegisterMetaType<LockTable>();
    qRegisterMetaType<LockDetail>();
    qRegisterMetaType<CommandResult>();
    auto describe = [](const LockEndpointConfig &config, const QString &name) {
        return LockEndpointInfo{name, config.backend, lockEndpointDisplayName(config),
                                config.isRedis() && config.redis.tls && config.redis.tlsInsecure};
    };
    if (m_options.config) {
        for (const LockEndpointConfig &lock : m_options.config->locks)
            m_lockEndpoints.append(describe(lock, lock.name()));
    }
    for (const InProcessLockEndpoint &lock : m_options.locks)
        m_lockEndpoints.append(describe(lock.config, lock.endpoint()));
    m_thread.setObjectName(QStringLiteral("fulcrum-engine"));
    m_traffic = new EngineWorker(this, m_options);
    m_traffic->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_traffic, &QObject::deleteLater);
    m_thread.start();
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic] { traffic->start(); }, Qt::QueuedConnection);
}

InProcessEngineLink::~InProcessEngineLink()
{
    m_thread.quit();
    m_thread.wait();
    m_redisServer.reset();      // after the engine's connections to it are gone
}

void InProcessEngineLink::adoptRedisServer(std::unique_ptr<LocalRedisServer> server)
{
    m_redisServer = std::move(server);
}

EngineCapabilities InProcessEngineLink::capabilities() const
{
    EngineCapabilities c = embeddedCapabilities(bool(m_options.history));
    if (m_options.config) {
        // Its state folder keeps the audit log, runtime weights and states, and history.
        c.forgetsOnRestart = m_options.config->stateDir.isEmpty()
                                 ? tr("everything set here: the config names no state_dir, so weights, states and the audit log are not kept")
                                 : QString();
    }
    return c;
}

EngineCapabilities InProcessEngineLink::embeddedCapabilities(bool history)
{
    EngineCapabilities c;
    c.embedded = true;
    c.reports = history;
    c.forgetsOnRestart = tr("everything: the demo starts again from its own weights, states and locks");
    return c;
}

LinkState InProcessEngineLink::state() const
{
    return LinkState::Connected;
}

QString InProcessEngineLink::description() const
{
    if (m_options.config)
        return tr("in-process engine (%1)").arg(m_options.configSource);
    return tr("in-process engine (demo)");
}

int InProcessEngineLink::tickMs() const
{
    return m_options.tickMs;
}

QList<LockEndpointInfo> InProcessEngineLink::lockEndpoints() const
{
    return m_lockEndpoints;
}

quint64 InProcessEngineLink::nextCommandId()
{
    return ++m_lastCommandId;
}

void InProcessEngineLink::finish(quint64 id, bool ok, const QString &message)
{
    QMetaObject::invokeMethod(this, [this, result = CommandResult{id, ok, message}] { Q_EMIT commandFinished(result); }, Qt::QueuedConnection);
}

quint64 InProcessEngineLink::setWeight(const QString &pool, const QString &server, int weight)
{
    const quint64 id = nextCommandId();
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic, id, pool, server, weight] { traffic->setWeight(id, pool, server, weight); }, Qt::QueuedConnection);
    return id;
}

quint64 InProcessEngineLink::setState(const QString &pool, const QString &server, BackendState state)
{
    const quint64 id = nextCommandId();
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic, id, pool, server, state] { traffic->setState(id, pool, server, state); }, Qt::QueuedConnection);
    return id;
}

quint64 InProcessEngineLink::requestLockRelease(const QString &endpoint, const LockReleaseRequest &request)
{
    const quint64 id = nextCommandId();
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic, id, endpoint, request] { traffic->releaseLock(id, endpoint, request); },
                              Qt::QueuedConnection);
    return id;
}

quint64 InProcessEngineLink::enableLockNotifications(const QString &endpoint)
{
    const quint64 id = nextCommandId();
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic, id, endpoint] { traffic->enableNotifications(id, endpoint); }, Qt::QueuedConnection);
    return id;
}

quint64 InProcessEngineLink::requestLockDetail(const QString &endpoint, const QByteArray &key)
{
    const quint64 id = nextCommandId();
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic, id, endpoint, key] { traffic->inspectLock(id, endpoint, key); },
                              Qt::QueuedConnection);
    return id;
}

quint64 InProcessEngineLink::testLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &password)
{
    const quint64 id = nextCommandId();
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic, id, endpoint, password] { traffic->testLockEndpoint(id, endpoint, password); },
                              Qt::QueuedConnection);
    return id;
}

quint64 InProcessEngineLink::exportReport(const ReportRequest &request, const QString &path)
{
    const quint64 id = nextCommandId();
    auto cancel = std::make_shared<std::atomic_bool>(false);
    m_reports.insert(id, cancel);
    // Forgotten once answered, whatever the answer.
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(this, &EngineLink::commandFinished, this, [this, id, connection](const CommandResult &result) {
        if (result.id != id)
            return;
        m_reports.remove(id);
        disconnect(*connection);
    });
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic, id, request, path, cancel] { traffic->exportReport(id, request, path, cancel); },
                              Qt::QueuedConnection);
    return id;
}

quint64 InProcessEngineLink::requestHistory(const HistoryQuery &query)
{
    const quint64 id = nextCommandId();
    QMetaObject::invokeMethod(m_traffic, [traffic = m_traffic, id, query] { traffic->history(id, query); }, Qt::QueuedConnection);
    return id;
}

void InProcessEngineLink::cancelReport(quint64 id)
{
    if (const auto cancel = m_reports.value(id))
        cancel->store(true);
}

std::shared_ptr<const PoolSnapshot> InProcessEngineLink::poolSnapshot() const
{
    return m_pool ? m_pool->snapshot() : nullptr;
}

const AuditLog *InProcessEngineLink::auditLog() const
{
    return m_audit;
}

void InProcessEngineLink::attach(std::shared_ptr<Pool> pool, const AuditLog *audit)
{
    m_pool = std::move(pool);
    m_audit = audit;
}

} // namespace fulcrum
