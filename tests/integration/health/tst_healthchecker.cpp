// HealthChecker against real `fulcrumctl demo-backend` processes, with intervals of tens of
// milliseconds. Passive failures are written into BackendLive exactly as the proxy does.
#include "balancer/balancer.h"
#include "demobackends.h"
#include "freeport.h"
#include "health/healthchecker.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <set>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace fulcrum;
using namespace fulcrum::test;

namespace {

PoolConfig testConfig(const QList<quint16> &ports)
{
    PoolConfig config;
    config.name = QStringLiteral("web");
    for (qsizetype i = 0; i < ports.size(); ++i) {
        BackendSpec spec;
        spec.name = QStringLiteral("app%1").arg(i + 1);
        spec.host = QStringLiteral("127.0.0.1");
        spec.port = ports[i];
        spec.weight = 100;
        config.servers.push_back(spec);
    }
    config.health.intervalMs = 40;
    config.health.fastIntervalMs = 20;
    config.health.downIntervalMs = 40;
    config.health.timeoutMs = 200;
    config.health.rise = 2;
    config.health.fall = 3;
    config.outlier.baseEjectionMs = 300;
    config.outlier.maxEjectionMs = 700;
    return config;
}

HealthCheckerOptions testOptions()
{
    HealthCheckerOptions options;
    options.sweepIntervalMs = 10;
    return options;
}

// A loopback listener whose accept queue is full, so new connections get no SYN-ACK: the
// one way to see L4TOUT without leaving 127.0.0.1.
class FullBacklogListener
{
public:
    FullBacklogListener()
    {
        m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_listener, reinterpret_cast<sockaddr *>(&address), sizeof address);
        ::listen(m_listener, 0);
        socklen_t length = sizeof address;
        ::getsockname(m_listener, reinterpret_cast<sockaddr *>(&address), &length);
        m_port = ntohs(address.sin_port);
        for (int i = 0; i < 3; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address);
            m_fillers.push_back(fd);
        }
    }
    ~FullBacklogListener()
    {
        for (int fd : m_fillers)
            ::close(fd);
        ::close(m_listener);
    }
    quint16 port() const { return m_port; }

private:
    int m_listener = -1;
    quint16 m_port = 0;
    std::vector<int> m_fillers;
};

// A pool of demo backend processes and its checker.
struct Setup
{
    explicit Setup(int servers, const std::function<void(PoolConfig &)> &adjust = {}, HealthCheckerOptions options = testOptions())
    {
        QList<quint16> ports;
        for (int i = 0; i < servers; ++i) {
            apps.push_back(std::make_unique<DemoBackendProcess>(QStringLiteral("app%1").arg(i + 1)));
            ports << apps.back()->port();
        }
        config = testConfig(ports);
        if (adjust)
            adjust(config);
        pool = std::make_shared<Pool>(config.name, config.options, config.servers);
        checker = std::make_unique<HealthChecker>(pool, config, options);
    }
    bool allRunning() const
    {
        return std::all_of(apps.begin(), apps.end(), [](const auto &app) { return app->isRunning(); });
    }
    ServerHealth server(const QString &name) const
    {
        for (const ServerHealth &s : checker->snapshot().servers) {
            if (s.name == name)
                return s;
        }
        return {};
    }
    BackendState poolState(const QString &name) const
    {
        const auto snapshot = pool->snapshot();
        return snapshot->backends[size_t(snapshot->indexOf(name))].spec.state;
    }
    BackendLive &live(const QString &name) const
    {
        const auto snapshot = pool->snapshot();
        return *snapshot->backends[size_t(snapshot->indexOf(name))].live;
    }
    QStringList transitions(const QString &name, HealthEvent::Kind kind) const
    {
        QStringList out;
        for (const HealthEvent &e : checker->serverEvents(name)) {
            if (e.kind == kind)
                out << e.from + QStringLiteral(" → ") + e.to;
        }
        return out;
    }
    std::set<int> picked(int count) const
    {
        Balancer balancer(*pool);
        std::set<int> indexes;
        for (int i = 0; i < count; ++i)
            indexes.insert(balancer.pick(PickContext{}).index);
        return indexes;
    }

    std::vector<std::unique_ptr<DemoBackendProcess>> apps;
    PoolConfig config;
    std::shared_ptr<Pool> pool;
    std::unique_ptr<HealthChecker> checker;
};

qint64 counterOf(DemoBackendProcess &app, const QString &name)
{
    const SimpleHttpResponse response = httpGet(app.port(), "/_control");
    return QJsonDocument::fromJson(response.body).object().value(name).toInteger(-1);
}

qint64 healthRequestsSeenBy(DemoBackendProcess &app)
{
    return counterOf(app, QStringLiteral("health_requests"));
}

} // namespace

class TestHealthChecker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killedServerGoesDownAfterExactlyFallChecks_data();
    void killedServerGoesDownAfterExactlyFallChecks();
    void reasons_data();
    void reasons();
    void drainKeepsChecksAndTakesNoNewPicks();
    void maintStopsChecksAndLeavesThroughTheChecks();
    void outlierEjectionBacksOff();
    void outlierEjectionRespectsMaxPercent();
    void panicModeBalancesAcrossAll();
    void panicTextCountsTheServersTakenOut();
    void poolThatCannotServeIsAnEvent();
    void slowStartRampsEffectiveWeight();
    void historyIsBounded();
    void checkConnectionsAreReusedOrNot_data();
    void checkConnectionsAreReusedOrNot();
    void newServersInThePoolAreChecked();
    void passiveDetectionWithoutActiveChecks();
};

void TestHealthChecker::killedServerGoesDownAfterExactlyFallChecks_data()
{
    QTest::addColumn<bool>("reuse");
    QTest::newRow("kept-alive check connection") << true;
    QTest::newRow("connection per check") << false;
}

void TestHealthChecker::killedServerGoesDownAfterExactlyFallChecks()
{
    QFETCH(bool, reuse);
    Setup setup(2, [reuse](PoolConfig &c) { c.health.reuseConnection = reuse; });
    QVERIFY(setup.allRunning());
    setup.checker->start();
    QTRY_VERIFY(setup.server(QStringLiteral("app1")).checks >= 2);
    QCOMPARE(setup.server(QStringLiteral("app1")).stateText, QStringLiteral("up"));
    QCOMPARE(setup.server(QStringLiteral("app1")).lastCheck.reasonText(), QStringLiteral("L7OK"));

    setup.apps[0]->kill();
    QTRY_COMPARE_WITH_TIMEOUT(setup.server(QStringLiteral("app1")).state, QStringLiteral("down"), 5000);
    QCOMPARE(setup.poolState(QStringLiteral("app1")), BackendState::Down);
    QCOMPARE(setup.poolState(QStringLiteral("app2")), BackendState::Up);
    QCOMPARE(setup.transitions(QStringLiteral("app1"), HealthEvent::Check),
             (QStringList{QStringLiteral("up → up, 1/3 failed"), QStringLiteral("up, 1/3 failed → up, 2/3 failed"),
                          QStringLiteral("up, 2/3 failed → down")}));
    const HealthEvent down = setup.checker->serverEvents(QStringLiteral("app1")).back();
    QVERIFY2(down.reason.startsWith(QStringLiteral("L4CON")), qPrintable(down.reason));
    QVERIFY(down.checkDurationUs >= 0);
    QCOMPARE(down.pool, QStringLiteral("web"));
    // Exactly `fall` failures: the result that took it down is the third failure after a success.
    const std::vector<CheckRecord> history = setup.checker->history(QStringLiteral("app1"));
    const auto firstDown = std::find_if(history.begin(), history.end(), [](const CheckRecord &r) { return !r.up; });
    QVERIFY(firstDown != history.end());
    const qsizetype k = firstDown - history.begin();
    QVERIFY(k >= 3);
    QCOMPARE(history[size_t(k - 3)].reason, CheckReason::L7OK);
    for (qsizetype i = k - 2; i <= k; ++i)
        QVERIFY(!isPassing(history[size_t(i)].reason));
    QCOMPARE(history[size_t(k - 2)].count, quint8(1));
    QCOMPARE(history[size_t(k - 1)].count, quint8(2));
    QVERIFY(setup.picked(50) == std::set<int>{1});

    QVERIFY2(setup.apps[0]->start(), qPrintable(setup.apps[0]->error()));
    QTRY_COMPARE_WITH_TIMEOUT(setup.server(QStringLiteral("app1")).stateText, QStringLiteral("up"), 5000);
    QCOMPARE(setup.poolState(QStringLiteral("app1")), BackendState::Up);
    const QStringList all = setup.transitions(QStringLiteral("app1"), HealthEvent::Check);
    QCOMPARE(all.mid(all.size() - 2), (QStringList{QStringLiteral("down → down, 1/2 ok"), QStringLiteral("down, 1/2 ok → up")}));
    QVERIFY(setup.server(QStringLiteral("app1")).timeInStateMs >= 0);
}

void TestHealthChecker::reasons_data()
{
    QTest::addColumn<QString>("kind");        // backend behaviour
    QTest::addColumn<bool>("tcp");
    QTest::addColumn<QString>("expectBody");
    QTest::addColumn<int>("expectOnly");      // 0 = default 200-399
    QTest::addColumn<QString>("reason");
    QTest::addColumn<bool>("reuse");
    QTest::newRow("http ok") << QStringLiteral("ok") << false << QString() << 0 << QStringLiteral("L7OK") << true;
    QTest::newRow("http 503") << QStringLiteral("503") << false << QString() << 0 << QStringLiteral("L7STS 503") << true;
    QTest::newRow("http 503 expected") << QStringLiteral("503") << false << QString() << 503 << QStringLiteral("L7OK") << true;
    QTest::newRow("hang") << QStringLiteral("hang") << false << QString() << 0 << QStringLiteral("L7TOUT") << true;
    QTest::newRow("closes without answer") << QStringLiteral("close") << false << QString() << 0 << QStringLiteral("L7RSP") << true;
    QTest::newRow("body lacks text") << QStringLiteral("ok") << false << QStringLiteral("healthy") << 0 << QStringLiteral("L7RSP") << true;
    QTest::newRow("body has text") << QStringLiteral("ok") << false << QStringLiteral("ok") << 0 << QStringLiteral("L7OK") << true;
    QTest::newRow("http closed port") << QStringLiteral("closed port") << false << QString() << 0 << QStringLiteral("L4CON") << true;
    QTest::newRow("tcp open") << QStringLiteral("ok") << true << QString() << 0 << QStringLiteral("L4OK") << true;
    QTest::newRow("tcp closed port") << QStringLiteral("closed port") << true << QString() << 0 << QStringLiteral("L4CON") << true;
    QTest::newRow("tcp full backlog") << QStringLiteral("full backlog") << true << QString() << 0 << QStringLiteral("L4TOUT") << true;
    QTest::newRow("http ok, new connections") << QStringLiteral("ok") << false << QString() << 0 << QStringLiteral("L7OK") << false;
    QTest::newRow("http 503, new connections") << QStringLiteral("503") << false << QString() << 0 << QStringLiteral("L7STS 503") << false;
    QTest::newRow("hang, new connections") << QStringLiteral("hang") << false << QString() << 0 << QStringLiteral("L7TOUT") << false;
    QTest::newRow("body lacks text, new connections") << QStringLiteral("ok") << false << QStringLiteral("healthy") << 0 << QStringLiteral("L7RSP") << false;
    QTest::newRow("not http") << QStringLiteral("not http") << false << QString() << 0 << QStringLiteral("L7RSP") << true;
}

void TestHealthChecker::reasons()
{
    QFETCH(QString, kind);
    QFETCH(bool, tcp);
    QFETCH(QString, expectBody);
    QFETCH(int, expectOnly);
    QFETCH(QString, reason);
    QFETCH(bool, reuse);

    DemoBackendProcess app(QStringLiteral("app1"));
    QVERIFY2(app.isRunning(), qPrintable(app.error()));
    std::unique_ptr<FullBacklogListener> fullBacklog;
    std::unique_ptr<QTcpServer> notHttp;
    quint16 port = app.port();
    if (kind == u"closed port") {
        port = freeLoopbackPort();
    } else if (kind == u"full backlog") {
        fullBacklog = std::make_unique<FullBacklogListener>();
        port = fullBacklog->port();
    } else if (kind == u"not http") {
        notHttp = std::make_unique<QTcpServer>();
        QVERIFY(notHttp->listen(QHostAddress::LocalHost));
        connect(notHttp.get(), &QTcpServer::newConnection, this, [&notHttp] {
            while (QTcpSocket *socket = notHttp->nextPendingConnection())
                socket->write("SSH-2.0-OpenSSH_9.2\r\n");
        });
        port = notHttp->serverPort();
    } else {
        QVERIFY(app.setHealth(kind));
    }
    PoolConfig config = testConfig({port});
    config.health.type = tcp ? HealthCheckConfig::Tcp : HealthCheckConfig::Http;
    config.health.expectBody = expectBody;
    config.health.reuseConnection = reuse;
    if (expectOnly)
        config.health.expectStatus = {{expectOnly, expectOnly}};
    auto pool = std::make_shared<Pool>(config.name, config.options, config.servers);
    HealthChecker checker(pool, config, testOptions());
    QSignalSpy checks(&checker, &HealthChecker::checkCompleted);
    checker.start();
    QTRY_VERIFY_WITH_TIMEOUT(checks.size() >= 2, 5000);
    const auto result = checks.at(1).at(1).value<CheckResult>();
    QCOMPARE(checks.at(1).at(0).toString(), QStringLiteral("app1"));
    QCOMPARE(result.reasonText(), reason);
    QVERIFY(result.durationUs >= 0);
    if (reason.endsWith(u"TOUT"))
        QVERIFY(result.durationUs >= config.health.timeoutMs * 1000 - 2000);
    QCOMPARE(checker.snapshot().servers.front().lastCheck.reason != CheckReason::None, true);
}

void TestHealthChecker::drainKeepsChecksAndTakesNoNewPicks()
{
    Setup setup(2);
    setup.checker->start();
    QTRY_VERIFY(setup.server(QStringLiteral("app1")).checks >= 1);
    QCOMPARE(setup.picked(50), (std::set<int>{0, 1}));

    QVERIFY(setup.checker->setAdminState(QStringLiteral("app1"), AdminState::Drain));
    QCOMPARE(setup.poolState(QStringLiteral("app1")), BackendState::Drain);
    QCOMPARE(setup.server(QStringLiteral("app1")).stateText, QStringLiteral("drain"));
    QCOMPARE(setup.picked(50), std::set<int>{1});
    const quint64 checksBefore = setup.server(QStringLiteral("app1")).checks;
    QTRY_VERIFY(setup.server(QStringLiteral("app1")).checks >= checksBefore + 3);
    // A drained server's health is still followed: its text says so.
    QVERIFY(setup.apps[0]->setHealth(QStringLiteral("503")));
    QTRY_COMPARE(setup.server(QStringLiteral("app1")).stateText, QStringLiteral("drain (down)"));
    QVERIFY(setup.apps[0]->setHealth(QStringLiteral("ok")));
    QTRY_COMPARE(setup.server(QStringLiteral("app1")).stateText, QStringLiteral("drain"));

    QVERIFY(setup.checker->setAdminState(QStringLiteral("app1"), AdminState::Ready));
    QCOMPARE(setup.poolState(QStringLiteral("app1")), BackendState::Up);
    QCOMPARE(setup.picked(50), (std::set<int>{0, 1}));
    QCOMPARE(setup.transitions(QStringLiteral("app1"), HealthEvent::Operator),
             (QStringList{QStringLiteral("up → drain"), QStringLiteral("drain → up")}));

    QString error;
    QVERIFY(!setup.checker->setAdminState(QStringLiteral("nope"), AdminState::Drain, &error));
    QVERIFY2(error.contains(QStringLiteral("\"nope\"")), qPrintable(error));
}

void TestHealthChecker::maintStopsChecksAndLeavesThroughTheChecks()
{
    Setup setup(2);
    setup.checker->start();
    QTRY_VERIFY(setup.server(QStringLiteral("app1")).checks >= 1);
    QVERIFY(setup.checker->setAdminState(QStringLiteral("app1"), AdminState::Maint));
    QCOMPARE(setup.poolState(QStringLiteral("app1")), BackendState::Maint);
    QVERIFY(!setup.server(QStringLiteral("app1")).checksEnabled);
    const quint64 checks = setup.server(QStringLiteral("app1")).checks;
    const qint64 seen = healthRequestsSeenBy(*setup.apps[0]);
    QVERIFY(seen >= 1);
    // While app2 is checked five more times, app1 is not checked at all.
    const quint64 other = setup.server(QStringLiteral("app2")).checks;
    QTRY_VERIFY(setup.server(QStringLiteral("app2")).checks >= other + 5);
    QCOMPARE(setup.server(QStringLiteral("app1")).checks, checks);
    QCOMPARE(healthRequestsSeenBy(*setup.apps[0]), seen);

    QVERIFY(setup.checker->setAdminState(QStringLiteral("app1"), AdminState::Ready));
    QCOMPARE(setup.server(QStringLiteral("app1")).stateText, QStringLiteral("down"));
    QCOMPARE(setup.poolState(QStringLiteral("app1")), BackendState::Down);
    QTRY_COMPARE(setup.server(QStringLiteral("app1")).stateText, QStringLiteral("up"));
    QCOMPARE(setup.transitions(QStringLiteral("app1"), HealthEvent::Operator),
             (QStringList{QStringLiteral("up → maint"), QStringLiteral("maint → down")}));
    QCOMPARE(setup.transitions(QStringLiteral("app1"), HealthEvent::Check),
             (QStringList{QStringLiteral("down → down, 1/2 ok"), QStringLiteral("down, 1/2 ok → up")}));
    QCOMPARE(setup.poolState(QStringLiteral("app1")), BackendState::Up);
}

void TestHealthChecker::outlierEjectionBacksOff()
{
    Setup setup(4);
    setup.checker->start();
    const QString app1 = QStringLiteral("app1");
    QSignalSpy events(setup.checker.get(), &HealthChecker::eventOccurred);

    // Below the threshold nothing happens.
    setup.live(app1).consecutiveFailures.store(4);
    const quint64 checks = setup.server(app1).checks;
    QTRY_VERIFY(setup.server(app1).checks >= checks + 3);
    QVERIFY(!setup.server(app1).ejected);

    // 300 ms, then 600 ms, then capped at 700 ms.
    const QStringList lengths{QStringLiteral("300ms"), QStringLiteral("600ms"), QStringLiteral("700ms")};
    for (int round = 1; round <= 3; ++round) {
        setup.live(app1).consecutiveFailures.store(5); // as the proxy counts failures in a row
        QTRY_VERIFY(setup.server(app1).ejected);
        QCOMPARE(setup.server(app1).ejections, round);
        QCOMPARE(setup.server(app1).stateText, QStringLiteral("ejected"));
        QCOMPARE(setup.poolState(app1), BackendState::Down);
        QCOMPARE(setup.live(app1).consecutiveFailures.load(), 0);
        const HealthEvent ejection = setup.checker->serverEvents(app1).back();
        QCOMPARE(ejection.kind, HealthEvent::Outlier);
        QVERIFY2(ejection.reason.contains(QStringLiteral("ejected for %1 (ejection %2)").arg(lengths[round - 1]).arg(round)),
                 qPrintable(ejection.reason));
        QTRY_VERIFY_WITH_TIMEOUT(!setup.server(app1).ejected, 3000);
        QCOMPARE(setup.poolState(app1), BackendState::Up);
    }
    // Quiet time takes the multiplier back down, one base period at a time.
    QTRY_COMPARE_WITH_TIMEOUT(setup.server(app1).ejections, 0, 5000);
    QVERIFY(events.size() >= 6);
}

void TestHealthChecker::outlierEjectionRespectsMaxPercent()
{
    Setup setup(4, [](PoolConfig &c) { c.outlier.baseEjectionMs = 60'000; c.outlier.maxEjectionMs = 60'000; });
    setup.checker->start();
    for (const char *name : {"app1", "app2", "app3"})
        setup.live(QString::fromLatin1(name)).consecutiveFailures.store(5);
    QTRY_VERIFY(setup.server(QStringLiteral("app1")).ejected && setup.server(QStringLiteral("app2")).ejected);
    // Two of four is the 50% limit: app3 keeps its traffic and the refusal is an event.
    QTRY_VERIFY(!setup.checker->serverEvents(QStringLiteral("app3")).empty());
    const HealthEvent refusal = setup.checker->serverEvents(QStringLiteral("app3")).back();
    QVERIFY2(refusal.reason.contains(QStringLiteral("max_ejection_percent is 50%")), qPrintable(refusal.reason));
    QVERIFY(!setup.server(QStringLiteral("app3")).ejected);
    QCOMPARE(setup.poolState(QStringLiteral("app3")), BackendState::Up);
    QCOMPARE(setup.picked(60), (std::set<int>{2, 3}));
    QVERIFY(!setup.checker->isPanicking());
}

void TestHealthChecker::panicModeBalancesAcrossAll()
{
    Setup setup(3);
    QSignalSpy events(setup.checker.get(), &HealthChecker::eventOccurred);
    setup.checker->start();
    QVERIFY(setup.apps[0]->setHealth(QStringLiteral("503")));
    QTRY_COMPARE_WITH_TIMEOUT(setup.server(QStringLiteral("app1")).state, QStringLiteral("down"), 5000);
    QVERIFY(!setup.checker->isPanicking()); // 2 of 3 healthy is not below 50%
    QCOMPARE(setup.picked(60), (std::set<int>{1, 2}));

    setup.apps[1]->kill();
    QTRY_VERIFY_WITH_TIMEOUT(setup.checker->isPanicking(), 5000);
    const PoolHealth health = setup.checker->snapshot();
    QVERIFY(health.panic);
    QCOMPARE(health.healthy, 1);
    QCOMPARE(health.eligible, 3);
    // The servers still say what the checks say; the pool sends traffic to all of them.
    QCOMPARE(setup.server(QStringLiteral("app2")).state, QStringLiteral("down"));
    QCOMPARE(setup.poolState(QStringLiteral("app1")), BackendState::Up);
    QCOMPARE(setup.poolState(QStringLiteral("app2")), BackendState::Up);
    QCOMPARE(setup.picked(60), (std::set<int>{0, 1, 2}));
    const auto all = setup.checker->events();
    const auto panic = std::find_if(all.begin(), all.end(), [](const HealthEvent &e) { return e.kind == HealthEvent::Panic; });
    QVERIFY(panic != all.end());
    QCOMPARE(panic->to, QStringLiteral("PANIC"));
    QVERIFY2(panic->reason.contains(QStringLiteral("only 1 of 3 servers in rotation healthy")), qPrintable(panic->reason));

    QVERIFY(setup.apps[0]->setHealth(QStringLiteral("ok")));
    QTRY_VERIFY_WITH_TIMEOUT(!setup.checker->isPanicking(), 5000);
    QCOMPARE(setup.poolState(QStringLiteral("app2")), BackendState::Down);
    QCOMPARE(setup.checker->events().back().to, QStringLiteral("normal"));
    QCOMPARE(setup.picked(60), (std::set<int>{0, 2}));
}

void TestHealthChecker::panicTextCountsTheServersTakenOut()
{
    // Four servers, two in maintenance, one of the two in rotation fails: 1 of 2 is not below
    // 50 %, a second failure is. The text says "0 of 2 in rotation", and that two more are out.
    Setup setup(4);
    setup.checker->start();
    QVERIFY(setup.checker->setAdminState(QStringLiteral("app3"), AdminState::Maint));
    QVERIFY(setup.checker->setAdminState(QStringLiteral("app4"), AdminState::Maint));
    QVERIFY(setup.apps[0]->setHealth(QStringLiteral("503")));
    QVERIFY(setup.apps[1]->setHealth(QStringLiteral("503")));
    QTRY_VERIFY_WITH_TIMEOUT(setup.checker->isPanicking(), 5000);
    const auto all = setup.checker->events();
    const auto panic = std::find_if(all.begin(), all.end(), [](const HealthEvent &e) { return e.kind == HealthEvent::Panic; });
    QVERIFY(panic != all.end());
    QVERIFY2(panic->reason.contains(QStringLiteral("only 0 of 2 servers in rotation healthy"))
                 && panic->reason.contains(QStringLiteral("2 more drained or in maintenance")),
             qPrintable(panic->reason));
    QVERIFY(panic->server.isEmpty());
}

void TestHealthChecker::poolThatCannotServeIsAnEvent()
{
    Setup setup(3);
    QSignalSpy events(setup.checker.get(), &HealthChecker::eventOccurred);
    setup.checker->start();
    const auto outages = [&setup] {
        std::vector<HealthEvent> found;
        for (const HealthEvent &e : setup.checker->events()) {
            if (e.kind == HealthEvent::Outage)
                found.push_back(e);
        }
        return found;
    };
    // Two of three in maintenance: the pool still serves, nothing said.
    QVERIFY(setup.checker->setAdminState(QStringLiteral("app1"), AdminState::Maint));
    QVERIFY(setup.checker->setAdminState(QStringLiteral("app2"), AdminState::Drain));
    QVERIFY(outages().empty());
    QVERIFY(!setup.checker->cannotServe());
    // The last one set to weight 0 by an operator: no server takes traffic.
    QVERIFY(setup.pool->setWeight(QStringLiteral("app3"), 0));
    setup.checker->weightsChanged();
    QCOMPARE(outages().size(), size_t(1));
    QVERIFY(setup.checker->cannotServe());
    HealthEvent outage = outages().back();
    QCOMPARE(outage.pool, QStringLiteral("web"));
    QVERIFY(outage.server.isEmpty());
    QCOMPARE(outage.from, QStringLiteral("serving"));
    QCOMPARE(outage.to, QStringLiteral("NO SERVER"));
    QCOMPARE(outage.kindName(), QStringLiteral("outage"));
    QVERIFY2(outage.reason == QStringLiteral("no server of 3 takes traffic (1 draining, 1 in maintenance, 1 at weight 0): every request gets 503"),
             qPrintable(outage.reason));
    QCOMPARE(setup.picked(10), (std::set<int>{-1}));   // no pick: the proxy answers 503
    // Said once, not again while it lasts.
    QVERIFY(setup.checker->setAdminState(QStringLiteral("app3"), AdminState::Maint));
    QCOMPARE(outages().size(), size_t(1));
    // A server back in rotation and passing its checks: serving again, with how long it lasted.
    QVERIFY(setup.checker->setAdminState(QStringLiteral("app2"), AdminState::Ready));
    QTRY_COMPARE_WITH_TIMEOUT(outages().size(), size_t(2), 5000);
    outage = outages().back();
    QCOMPARE(outage.to, QStringLiteral("serving"));
    QVERIFY2(outage.reason.startsWith(QStringLiteral("1 of 3 servers take traffic again, after ")), qPrintable(outage.reason));
    QVERIFY(!setup.checker->cannotServe());
    QCOMPARE(setup.picked(10), (std::set<int>{1}));
}

void TestHealthChecker::slowStartRampsEffectiveWeight()
{
    Setup setup(2, [](PoolConfig &c) { c.slowStartMs = 1500; });
    setup.checker->start();
    const QString app1 = QStringLiteral("app1");
    QTRY_VERIFY(setup.server(app1).checks >= 1);
    // No ramp at start: servers that were never down take their full weight.
    QCOMPARE(setup.server(app1).effectiveWeight, 100);

    QVERIFY(setup.apps[0]->setHealth(QStringLiteral("503")));
    QTRY_COMPARE_WITH_TIMEOUT(setup.server(app1).state, QStringLiteral("down"), 5000);
    QVERIFY(setup.apps[0]->setHealth(QStringLiteral("ok")));
    QTRY_COMPARE_WITH_TIMEOUT(setup.server(app1).state, QStringLiteral("up"), 5000);

    QList<int> samples;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const ServerHealth s = setup.server(app1);
        samples << s.effectiveWeight;
        return s.effectiveWeight == 100 && !s.slowStarting;
    }()), 10'000);
    QCOMPARE(setup.server(app1).weight, 100);
    QVERIFY2(samples.first() <= 50, qPrintable(QStringLiteral("first effective weight %1").arg(samples.first())));
    QVERIFY(samples.first() >= 10);
    QVERIFY(std::is_sorted(samples.begin(), samples.end()));
    const std::set<int> between(samples.begin(), samples.end());
    QVERIFY2(std::count_if(between.begin(), between.end(), [](int w) { return w > 10 && w < 100; }) >= 3,
             qPrintable(QStringLiteral("too few ramp steps seen")));
}

void TestHealthChecker::historyIsBounded()
{
    HealthCheckerOptions options = testOptions();
    options.historyLength = 5;
    Setup setup(1, {}, options);
    setup.checker->start();
    QTRY_VERIFY(setup.server(QStringLiteral("app1")).checks >= 12);
    const std::vector<CheckRecord> history = setup.checker->history(QStringLiteral("app1"));
    QCOMPARE(history.size(), size_t(5));
    for (size_t i = 1; i < history.size(); ++i)
        QVERIFY(history[i - 1].timeMs <= history[i].timeMs);
    QCOMPARE(history.back().reasonText(), QStringLiteral("L7OK"));
}

void TestHealthChecker::checkConnectionsAreReusedOrNot_data()
{
    QTest::addColumn<bool>("reuse");
    QTest::newRow("reuse") << true;
    QTest::newRow("connection per check") << false;
}

void TestHealthChecker::checkConnectionsAreReusedOrNot()
{
    QFETCH(bool, reuse);
    Setup setup(1, [reuse](PoolConfig &c) { c.health.reuseConnection = reuse; });
    setup.checker->start();
    QTRY_VERIFY(setup.server(QStringLiteral("app1")).checks >= 6);
    setup.checker->stop();
    const qint64 checks = qint64(setup.server(QStringLiteral("app1")).checks);
    // The backend counts every connection it accepted, this control request's included.
    const qint64 connections = counterOf(*setup.apps[0], QStringLiteral("connections")) - 1;
    QCOMPARE(healthRequestsSeenBy(*setup.apps[0]), checks);
    if (reuse)
        QCOMPARE(connections, 1);
    else
        QCOMPARE(connections, checks);
}

void TestHealthChecker::newServersInThePoolAreChecked()
{
    Setup setup(1);
    setup.checker->start();
    QTRY_VERIFY(setup.server(QStringLiteral("app1")).checks >= 1);
    DemoBackendProcess extra(QStringLiteral("app9"));
    std::vector<BackendSpec> servers = setup.config.servers;
    BackendSpec spec;
    spec.name = QStringLiteral("app9");
    spec.host = QStringLiteral("127.0.0.1");
    spec.port = extra.port();
    servers.push_back(spec);
    setup.pool->replace(setup.config.options, servers);
    QTRY_VERIFY(setup.server(QStringLiteral("app9")).checks >= 2);
    QCOMPARE(setup.server(QStringLiteral("app9")).lastCheck.reasonText(), QStringLiteral("L7OK"));
    // app1 kept its state and counters across the change.
    QVERIFY(setup.server(QStringLiteral("app1")).checks >= 2);
}

void TestHealthChecker::passiveDetectionWithoutActiveChecks()
{
    Setup setup(2, [](PoolConfig &c) { c.health.enabled = false; });
    setup.checker->start();
    const QString app1 = QStringLiteral("app1");
    setup.live(app1).consecutiveFailures.store(7);
    QTRY_VERIFY(setup.server(app1).ejected);
    QCOMPARE(setup.poolState(app1), BackendState::Down);
    QTRY_VERIFY_WITH_TIMEOUT(!setup.server(app1).ejected, 3000);
    // Without checks, nothing was ever sent to the backend, and leaving maint is immediate.
    QCOMPARE(setup.server(app1).checks, quint64(0));
    QCOMPARE(healthRequestsSeenBy(*setup.apps[0]), 0);
    QVERIFY(setup.checker->setAdminState(app1, AdminState::Maint));
    QVERIFY(setup.checker->setAdminState(app1, AdminState::Ready));
    QCOMPARE(setup.server(app1).stateText, QStringLiteral("up"));
    QCOMPARE(setup.poolState(app1), BackendState::Up);
}

QTEST_GUILESS_MAIN(TestHealthChecker)
#include "tst_healthchecker.moc"
