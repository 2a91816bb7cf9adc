#include "locks/lockbackends.h"
#include "haproxy/haproxyenginelink.h"

#include "demobackends.h"
#include "freeport.h"
#include "haproxyserver.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <memory>
#include <tuple>

#include <unistd.h>

using namespace fulcrum;
using namespace fulcrum::test;

// HaproxyEngineLink against a real haproxy on loopback (tests/support/haproxyserver.h):
// what it reads is checked against haproxy's own `show stat`, what it sets against
// haproxy's `get weight` and status, over the Unix and the TCP stats socket.
class TestHaproxyLink : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void readsServersAndTraffic_data();
    void readsServersAndTraffic();
    void setWeightChangesHaproxysWeight_data();
    void setWeightChangesHaproxysWeight();
    void weightOutsideHaproxysScaleIsRefused_data();
    void weightOutsideHaproxysScaleIsRefused();
    void setStateDrainsMaintainsAndReadies();
    void sickBackendShowsDownWithTheCheck();
    void haproxysOwn503sArePoolFigures();
    void unknownServerGetsHaproxysAnswer();
    void locksAreNotAvailable();
    void missingSocketNamesThePathAndTheFix();
    void refusedTcpSocketNamesTheFix();
    void hungHaproxyTimesOutAndComesBack();
    void permissionDeniedNamesTheGroupAndTheFix();
    void nonAdminSocketReadsButCannotChange();
    void fulcrumctlDrivesHaproxy_data();
    void fulcrumctlDrivesHaproxy();
    void drainWaitsForHaproxysSessions();

private:
    void openLink(const QString &address);
    bool waitForServers(int count);
    const ServerStatus *server(const QString &name) const;
    CommandResult waitForResult(quint64 id);

    std::unique_ptr<HaproxyServer> m_haproxy;
    std::unique_ptr<HaproxyEngineLink> m_link;
    LinkSnapshot m_last;
    QList<LinkEvent> m_events;
    QList<CommandResult> m_results;
};

void TestHaproxyLink::init()
{
    m_haproxy = std::make_unique<HaproxyServer>();
    QString error;
    QVERIFY2(m_haproxy->start(&error), qPrintable(error));
    m_last = LinkSnapshot();
    m_events.clear();
    m_results.clear();
}

void TestHaproxyLink::cleanup()
{
    m_link.reset();
    m_haproxy.reset();
}

void TestHaproxyLink::openLink(const QString &text)
{
    QString error;
    const std::optional<RuntimeAddress> address = RuntimeAddress::parse(text, &error);
    QVERIFY2(address, qPrintable(error));
    m_link = std::make_unique<HaproxyEngineLink>(*address, 250);
    connect(m_link.get(), &EngineLink::snapshotReady, this, [this](const LinkSnapshot &snapshot) { m_last = snapshot; });
    connect(m_link.get(), &EngineLink::eventsReady, this, [this](const QList<LinkEvent> &events) { m_events += events; });
    connect(m_link.get(), &EngineLink::commandFinished, this, [this](const CommandResult &result) { m_results.append(result); });
}

bool TestHaproxyLink::waitForServers(int count)
{
    const QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        // "up" and not "up, going down (1/2)": haproxy starts a server with one check to pass.
        int up = 0;
        for (const ServerStatus &s : m_last.servers)
            up += s.stateText == QLatin1String("up") ? 1 : 0;
        if (m_last.servers.size() == count && up == count)
            return true;
        QTest::qWait(20);
    }
    return false;
}

const ServerStatus *TestHaproxyLink::server(const QString &name) const
{
    const int index = m_last.indexOf(QStringLiteral("checkout"), name);
    return index >= 0 ? &m_last.servers[index] : nullptr;
}

CommandResult TestHaproxyLink::waitForResult(quint64 id)
{
    const QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        for (const CommandResult &result : m_results) {
            if (result.id == id)
                return result;
        }
        QTest::qWait(10);
    }
    return CommandResult{id, false, QStringLiteral("no answer within 10 s")};
}

void TestHaproxyLink::readsServersAndTraffic_data()
{
    QTest::addColumn<bool>("tcp");
    QTest::newRow("unix socket") << false;
    QTest::newRow("tcp socket") << true;
}

void TestHaproxyLink::readsServersAndTraffic()
{
    QFETCH(bool, tcp);
    openLink(tcp ? m_haproxy->adminTcpAddress() : m_haproxy->adminSocket());
    QVERIFY2(waitForServers(3), qPrintable(m_link->lastError()));
    QCOMPARE(m_link->state(), LinkState::Connected);
    QCOMPARE(m_link->accessLevel(), QStringLiteral("admin"));
    QCOMPARE(m_link->maxWeight(), 256);
    QVERIFY(m_link->weightNote().contains(QStringLiteral("0–256")));
    const QList<int> weights{100, 100, 50};
    for (int i = 0; i < 3; ++i) {
        const ServerStatus *s = server(m_haproxy->serverNames()[i]);
        QVERIFY(s);
        QCOMPARE(s->weight, weights[i]);
        QCOMPARE(s->effectiveWeight, weights[i]);
        QCOMPARE(s->address, QStringLiteral("127.0.0.1:%1").arg(m_haproxy->backend(i).port()));
        QCOMPARE(s->stateText, QStringLiteral("up"));
        // "L7OK in 1 ms" while the next check has just started and has no code yet.
        static const QRegularExpression passed(QStringLiteral("^L7OK (200 )?in \\d+ ms$"));
        QVERIFY2(passed.match(s->reason).hasMatch(), qPrintable(s->reason));
        QCOMPARE(s->activeConnections, 0);
        QVERIFY(s->stateSince.isValid());
    }

    // Real requests through haproxy's frontend: the link's rates rise, and its counts agree
    // with haproxy's own.
    double busiest = 0;
    connect(m_link.get(), &EngineLink::snapshotReady, this, [&busiest](const LinkSnapshot &snapshot) {
        double total = 0;
        for (const ServerStatus &s : snapshot.servers)
            total += s.requestsPerSecond;
        busiest = std::max(busiest, total);
    });
    for (int i = 0; i < 50; ++i)
        QCOMPARE(httpGet(m_haproxy->frontendPort(), "/checkout").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(busiest > 5, 5000);
    double shares = 0;
    for (const ServerStatus &s : m_last.servers)
        shares += s.share;
    QVERIFY2(shares == 0 || std::abs(shares - 1) < 0.01, qPrintable(QString::number(shares)));
    int served = 0;
    for (const QString &name : m_haproxy->serverNames())
        served += m_haproxy->serverField(name, QStringLiteral("stot")).toInt();
    QCOMPARE(served, 50);
}

void TestHaproxyLink::setWeightChangesHaproxysWeight_data()
{
    QTest::addColumn<bool>("tcp");
    QTest::addColumn<int>("weight");
    QTest::newRow("unix, 17") << false << 17;
    QTest::newRow("tcp, 256") << true << 256;
    QTest::newRow("unix, 0") << false << 0;
}

void TestHaproxyLink::setWeightChangesHaproxysWeight()
{
    QFETCH(bool, tcp);
    QFETCH(int, weight);
    openLink(tcp ? m_haproxy->adminTcpAddress() : m_haproxy->adminSocket());
    QVERIFY(waitForServers(3));
    const CommandResult result = waitForResult(m_link->setWeight(QStringLiteral("checkout"), QStringLiteral("app1"), weight));
    QVERIFY2(result.ok, qPrintable(result.message));
    QVERIFY2(result.message.contains(QStringLiteral("100 → %1").arg(weight)), qPrintable(result.message));
    QVERIFY2(m_haproxy->command("get weight checkout/app1").startsWith(QByteArray::number(weight) + " (initial 100)"),
             m_haproxy->command("get weight checkout/app1").constData());
    QCOMPARE(m_haproxy->serverField(QStringLiteral("app1"), QStringLiteral("uweight")), QString::number(weight));
    // The other servers keep theirs.
    QCOMPARE(m_haproxy->serverField(QStringLiteral("app2"), QStringLiteral("uweight")), QStringLiteral("100"));
    QTRY_VERIFY(server(QStringLiteral("app1")) && server(QStringLiteral("app1"))->weight == weight);
    QTRY_VERIFY(std::any_of(m_events.cbegin(), m_events.cend(), [weight](const LinkEvent &event) {
        return event.kind == LinkEvent::Kind::Operator && event.what == QLatin1String("set-weight")
               && event.target == QLatin1String("checkout/app1") && event.before == QLatin1String("100")
               && event.after == QString::number(weight);
    }));
}

void TestHaproxyLink::weightOutsideHaproxysScaleIsRefused_data()
{
    QTest::addColumn<int>("weight");
    QTest::newRow("257") << 257;
    QTest::newRow("10000 (Fulcrum's top)") << 10000;
    QTest::newRow("-1") << -1;
}

void TestHaproxyLink::weightOutsideHaproxysScaleIsRefused()
{
    QFETCH(int, weight);
    openLink(m_haproxy->adminSocket());
    QVERIFY(waitForServers(3));
    const CommandResult result = waitForResult(m_link->setWeight(QStringLiteral("checkout"), QStringLiteral("app2"), weight));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(QStringLiteral("0–256")) && result.message.contains(QStringLiteral("checkout/app2")),
             qPrintable(result.message));
    QCOMPARE(m_haproxy->serverField(QStringLiteral("app2"), QStringLiteral("uweight")), QStringLiteral("100"));
}

void TestHaproxyLink::setStateDrainsMaintainsAndReadies()
{
    openLink(m_haproxy->adminSocket());
    QVERIFY(waitForServers(3));
    struct Step { BackendState state; const char *status; const char *text; };
    const Step steps[] = {
        {BackendState::Drain, "DRAIN", "drain"},
        {BackendState::Maint, "MAINT", "maint"},
        {BackendState::Up, "UP", "up"},
    };
    for (const Step &step : steps) {
        const CommandResult result = waitForResult(m_link->setState(QStringLiteral("checkout"), QStringLiteral("app3"), step.state));
        QVERIFY2(result.ok, qPrintable(result.message));
        // Back from maint, haproxy checks first: UP once one check passed (rise 1).
        QTRY_COMPARE(m_haproxy->serverField(QStringLiteral("app3"), QStringLiteral("status")), QString::fromLatin1(step.status));
        QTRY_COMPARE(server(QStringLiteral("app3"))->stateText, QString::fromLatin1(step.text));
        QCOMPARE(server(QStringLiteral("app3"))->state, step.state);
    }
    // Every change was seen between polls and reported as an event.
    QStringList seen;
    for (const LinkEvent &event : m_events) {
        if (event.kind == LinkEvent::Kind::Health && event.target == QLatin1String("checkout/app3"))
            seen.append(event.after);
    }
    QVERIFY2(seen.contains(QStringLiteral("drain")) && seen.contains(QStringLiteral("maint")), qPrintable(seen.join(u',')));
    // down is the checks' verdict, not an operator's.
    const CommandResult down = waitForResult(m_link->setState(QStringLiteral("checkout"), QStringLiteral("app3"), BackendState::Down));
    QVERIFY(!down.ok);
    QVERIFY2(down.message.contains(QStringLiteral("use maint")), qPrintable(down.message));
}

void TestHaproxyLink::haproxysOwn503sArePoolFigures()
{
    // Every server in maintenance: HAProxy answers 503 itself. Those are not any server's
    // errors, so they are counted for the pool (backend 5xx beyond its servers').
    openLink(m_haproxy->adminSocket());
    QVERIFY(waitForServers(3));
    const PoolStatus *pool = m_last.pool(QStringLiteral("checkout"));
    QVERIFY(pool);
    QVERIFY(!pool->cannotServe);
    QVERIFY(pool->reportsUnserved);
    for (const char *name : {"app1", "app2", "app3"}) {
        const CommandResult result = waitForResult(m_link->setState(QStringLiteral("checkout"), QString::fromLatin1(name), BackendState::Maint));
        QVERIFY2(result.ok, qPrintable(result.message));
    }
    QTRY_VERIFY(m_last.pool(QStringLiteral("checkout")) && m_last.pool(QStringLiteral("checkout"))->cannotServe);
    // Requests for a few polls, so the last second has some.
    const QDeadlineTimer until(1500);
    int answered = 0;
    while (!until.hasExpired()) {
        QCOMPARE(httpGet(m_haproxy->frontendPort(), "/checkout").status, 503);
        ++answered;
        QTest::qWait(20);
    }
    QVERIFY(answered > 10);
    QTRY_VERIFY2(m_last.pool(QStringLiteral("checkout"))->unservedPerSecond > 0, "HAProxy's own 503s are not counted");
    for (const ServerStatus &s : std::as_const(m_last.servers))
        QCOMPARE(s.errorRate, 0.0);   // none of them is a server's
    // Back in service: serving again, and no more 503s of its own once the window passed.
    for (const char *name : {"app1", "app2", "app3"})
        QVERIFY(waitForResult(m_link->setState(QStringLiteral("checkout"), QString::fromLatin1(name), BackendState::Up)).ok);
    QTRY_VERIFY_WITH_TIMEOUT(!m_last.pool(QStringLiteral("checkout"))->cannotServe, 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(m_last.pool(QStringLiteral("checkout"))->unservedPerSecond, 0.0, 10'000);
}

void TestHaproxyLink::sickBackendShowsDownWithTheCheck()
{
    openLink(m_haproxy->adminSocket());
    QVERIFY(waitForServers(3));
    m_haproxy->backend(1).backend().setHealth(DemoHealthMode::Unavailable);
    QTRY_VERIFY_WITH_TIMEOUT(server(QStringLiteral("app2"))->state == BackendState::Down, 5000);
    QCOMPARE(server(QStringLiteral("app2"))->stateText, QStringLiteral("down"));
    // Between two checks (the code is missing for a moment while one starts).
    QTRY_VERIFY2(server(QStringLiteral("app2"))->reason.startsWith(QStringLiteral("L7STS 503 in ")),
                 qPrintable(server(QStringLiteral("app2"))->reason));
    QCOMPARE(server(QStringLiteral("app2"))->effectiveWeight, 0);
    QCOMPARE(m_haproxy->serverField(QStringLiteral("app2"), QStringLiteral("status")), QStringLiteral("DOWN"));
    QTRY_VERIFY(std::any_of(m_events.cbegin(), m_events.cend(), [](const LinkEvent &event) {
        return event.kind == LinkEvent::Kind::Health && event.target == QLatin1String("checkout/app2")
               && event.after == QLatin1String("down") && event.detail.startsWith(QLatin1String("L7STS"));
    }));
    m_haproxy->backend(1).backend().setHealth(DemoHealthMode::Ok);
    QTRY_VERIFY_WITH_TIMEOUT(server(QStringLiteral("app2"))->state == BackendState::Up, 5000);
}

void TestHaproxyLink::unknownServerGetsHaproxysAnswer()
{
    openLink(m_haproxy->adminSocket());
    QVERIFY(waitForServers(3));
    const CommandResult server = waitForResult(m_link->setWeight(QStringLiteral("checkout"), QStringLiteral("app9"), 5));
    QVERIFY(!server.ok);
    QVERIFY2(server.message.contains(QStringLiteral("No such server")) && server.message.contains(QStringLiteral("app9")),
             qPrintable(server.message));
    const CommandResult backend = waitForResult(m_link->setState(QStringLiteral("cart"), QStringLiteral("app1"), BackendState::Drain));
    QVERIFY(!backend.ok);
    QVERIFY2(backend.message.contains(QStringLiteral("No such backend")), qPrintable(backend.message));
    // A name that would break the one-line command never reaches haproxy.
    const CommandResult injected = waitForResult(m_link->setWeight(QStringLiteral("checkout"), QStringLiteral("app1 weight 1\nshutdown"), 5));
    QVERIFY(!injected.ok);
    QVERIFY2(injected.message.contains(QStringLiteral("not a HAProxy backend/server name")), qPrintable(injected.message));
    QVERIFY(m_haproxy->isRunning());
}

void TestHaproxyLink::locksAreNotAvailable()
{
    openLink(m_haproxy->adminSocket());
    const CommandResult release = waitForResult(m_link->releaseLock(QStringLiteral("redis"), "lock:cart:1", "web-1"));
    QVERIFY(!release.ok);
    QVERIFY2(release.message.contains(QStringLiteral("not available for this engine")) && release.message.contains(QStringLiteral("nothing was changed")),
             qPrintable(release.message));
    LockEndpointConfig endpoint;
    QVERIFY(parseLockEndpointAddress(QStringLiteral("127.0.0.1:6379"), &endpoint, nullptr));
    const CommandResult redis = waitForResult(m_link->testLockEndpoint(endpoint, QByteArray()));
    QVERIFY(!redis.ok);
    QVERIFY2(redis.message.contains(QStringLiteral("not available for this engine")), qPrintable(redis.message));
    QVERIFY(m_link->lockEndpoints().isEmpty());
    QVERIFY(!m_link->capabilities().locks);
}

void TestHaproxyLink::missingSocketNamesThePathAndTheFix()
{
    const QString path = m_haproxy->directory() + QStringLiteral("/nothing-here.sock");
    openLink(path);
    QSignalSpy states(m_link.get(), &EngineLink::stateChanged);
    QTRY_COMPARE(m_link->state(), LinkState::Disconnected);
    QVERIFY2(m_link->lastError().contains(path) && m_link->lastError().contains(QStringLiteral("stats socket")),
             qPrintable(m_link->lastError()));
    QVERIFY(!states.isEmpty());
    QCOMPARE(states.last().at(1).toString(), m_link->lastError());
    const CommandResult result = waitForResult(m_link->setWeight(QStringLiteral("checkout"), QStringLiteral("app1"), 5));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(path), qPrintable(result.message));
}

void TestHaproxyLink::refusedTcpSocketNamesTheFix()
{
    const quint16 port = freeLoopbackPort();
    openLink(QStringLiteral("127.0.0.1:%1").arg(port));
    QTRY_COMPARE(m_link->state(), LinkState::Disconnected);
    QVERIFY2(m_link->lastError().contains(QStringLiteral("connection refused on 127.0.0.1:%1").arg(port))
                 && m_link->lastError().contains(QStringLiteral("level admin")),
             qPrintable(m_link->lastError()));
}

void TestHaproxyLink::hungHaproxyTimesOutAndComesBack()
{
    openLink(m_haproxy->adminSocket());
    QVERIFY(waitForServers(3));
    m_haproxy->suspend();
    // The socket still accepts (the kernel's backlog) but nothing answers: the deadline ends it.
    QTRY_COMPARE_WITH_TIMEOUT(m_link->state(), LinkState::Disconnected, 8000);
    QVERIFY2(m_link->lastError().contains(QStringLiteral("did not answer `show stat` within")), qPrintable(m_link->lastError()));
    QVERIFY(std::any_of(m_events.cbegin(), m_events.cend(), [](const LinkEvent &event) {
        return event.kind == LinkEvent::Kind::Link && event.after == QLatin1String("disconnected");
    }));
    m_haproxy->resume();
    QTRY_COMPARE_WITH_TIMEOUT(m_link->state(), LinkState::Connected, 8000);
    QVERIFY(m_link->lastError().isEmpty());
    QTRY_VERIFY(std::any_of(m_events.cbegin(), m_events.cend(), [](const LinkEvent &event) {
        return event.kind == LinkEvent::Kind::Link && event.after == QLatin1String("connected");
    }));
}

void TestHaproxyLink::permissionDeniedNamesTheGroupAndTheFix()
{
    // root passes every permission check: run fulcrumctl as nobody then. Anyone else is
    // refused by a socket file with no permissions.
    QProcess ctl;
    const QStringList arguments{QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--haproxy"), m_haproxy->adminSocket()};
    if (::geteuid() == 0) {
        ctl.start(QStringLiteral("setpriv"), QStringList{QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                                                         QStringLiteral("--clear-groups"), binaryPath(QStringLiteral("fulcrumctl"))} + arguments);
    } else {
        QVERIFY(QFile::setPermissions(m_haproxy->adminSocket(), QFileDevice::Permissions()));
        ctl.start(binaryPath(QStringLiteral("fulcrumctl")), arguments);
    }
    QVERIFY(ctl.waitForFinished(30'000));
    const QString err = QString::fromUtf8(ctl.readAllStandardError());
    QCOMPARE(ctl.exitCode(), 4);
    QVERIFY2(err.contains(QStringLiteral("permission denied on %1: run as a member of group").arg(m_haproxy->adminSocket()))
                 && err.contains(QStringLiteral("mode 660 group")),
             qPrintable(err));
}

void TestHaproxyLink::nonAdminSocketReadsButCannotChange()
{
    openLink(m_haproxy->userSocket());
    QVERIFY(waitForServers(3));
    QTRY_COMPARE(m_link->accessLevel(), QStringLiteral("user"));
    QCOMPARE(m_link->state(), LinkState::Connected);
    QTRY_VERIFY2(m_link->lastError().contains(QStringLiteral("add `level admin`")), qPrintable(m_link->lastError()));
    const CommandResult result = waitForResult(m_link->setWeight(QStringLiteral("checkout"), QStringLiteral("app1"), 5));
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(QStringLiteral("not at admin level")) && result.message.contains(m_haproxy->userSocket()),
             qPrintable(result.message));
    QCOMPARE(m_haproxy->serverField(QStringLiteral("app1"), QStringLiteral("uweight")), QStringLiteral("100"));
}

void TestHaproxyLink::fulcrumctlDrivesHaproxy_data()
{
    QTest::addColumn<QStringList>("arguments");   // "ADMIN", "USER" and "TCP" stand for the sockets
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("output");          // expected in stdout (exit 0) or stderr
    QTest::addColumn<QString>("app2Weight");      // haproxy's uweight of app2 afterwards
    QTest::addColumn<QString>("app2Status");
    const auto args = [](const char *text) { return QString::fromLatin1(text).split(u' '); };
    QTest::newRow("list") << args("backends list --haproxy ADMIN") << 0 << QStringLiteral("L7OK 200") << QStringLiteral("100") << QStringLiteral("UP");
    QTest::newRow("set-weight over tcp") << args("backends set-weight checkout/app2 42 --haproxy TCP") << 0
                                         << QStringLiteral("checkout/app2: 100 → 42") << QStringLiteral("42") << QStringLiteral("UP");
    QTest::newRow("set-state drain") << args("backends set-state checkout/app2 drain --haproxy=ADMIN") << 0
                                     << QStringLiteral("up → drain") << QStringLiteral("100") << QStringLiteral("DRAIN");
    // Any drain takes capacity: at --min-capacity 100 it is asked, refused without --yes (exit 5).
    QTest::newRow("drain below min-capacity") << args("backends set-state checkout/app2 drain --haproxy ADMIN --min-capacity 100") << 5
                                              << QStringLiteral("give --yes") << QStringLiteral("100") << QStringLiteral("UP");
    QTest::newRow("drain below min-capacity, --yes") << args("backends set-state checkout/app2 drain --haproxy ADMIN --min-capacity 100 --yes") << 0
                                                     << QStringLiteral("up → drain") << QStringLiteral("100") << QStringLiteral("DRAIN");
    QTest::newRow("weight past 256") << args("backends set-weight checkout/app2 300 --haproxy ADMIN") << 2
                                     << QStringLiteral("from 0 to 256") << QStringLiteral("100") << QStringLiteral("UP");
    QTest::newRow("unknown server") << args("backends set-weight checkout/app9 3 --haproxy ADMIN") << 1
                                    << QStringLiteral("No such server") << QStringLiteral("100") << QStringLiteral("UP");
    QTest::newRow("user level") << args("backends set-state checkout/app2 maint --haproxy USER") << 1
                                << QStringLiteral("add `level admin`") << QStringLiteral("100") << QStringLiteral("UP");
    QTest::newRow("no socket") << args("backends list --haproxy ADMIN.missing") << 4
                               << QStringLiteral("no HAProxy stats socket at") << QStringLiteral("100") << QStringLiteral("UP");
}

void TestHaproxyLink::fulcrumctlDrivesHaproxy()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, output);
    QFETCH(QString, app2Weight);
    QFETCH(QString, app2Status);
    // Every server up first: fulcrumctl asks before cutting a pool below half its capacity, and
    // a server still coming up would make a plain reweight of app2 look like one.
    for (const char *server : {"app1", "app2", "app3"})
        QTRY_COMPARE(m_haproxy->serverField(QString::fromLatin1(server), QStringLiteral("status")), QStringLiteral("UP"));
    for (QString &argument : arguments) {
        argument.replace(QStringLiteral("ADMIN"), m_haproxy->adminSocket());
        argument.replace(QStringLiteral("USER"), m_haproxy->userSocket());
        argument.replace(QStringLiteral("TCP"), m_haproxy->adminTcpAddress());
    }
    QProcess ctl;
    ctl.start(binaryPath(QStringLiteral("fulcrumctl")), arguments);
    QVERIFY(ctl.waitForFinished(30'000));
    const QString out = QString::fromUtf8(ctl.readAllStandardOutput());
    const QString err = QString::fromUtf8(ctl.readAllStandardError());
    QCOMPARE(ctl.exitCode(), exitCode);
    QVERIFY2((exitCode == 0 ? out : err).contains(output), qPrintable(out + err));
    QCOMPARE(m_haproxy->serverField(QStringLiteral("app2"), QStringLiteral("uweight")), app2Weight);
    QCOMPARE(m_haproxy->serverField(QStringLiteral("app2"), QStringLiteral("status")), app2Status);
}

// `backends set-state … drain --wait` against HAProxy: it waits for the server's scur (sessions
// in progress) to reach 0, with requests really held by the server behind a real HAProxy.
void TestHaproxyLink::drainWaitsForHaproxysSessions()
{
    for (const char *server : {"app1", "app2", "app3"})
        QTRY_COMPARE(m_haproxy->serverField(QString::fromLatin1(server), QStringLiteral("status")), QStringLiteral("UP"));
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    auto send = [&](int count) {
        std::vector<std::unique_ptr<QTcpSocket>> sent = sendWithoutWaiting(m_haproxy->frontendPort(), count, "/checkout");
        QCOMPARE(int(sent.size()), count);
        std::move(sent.begin(), sent.end(), std::back_inserter(clients));
    };
    auto ctl = [&](const QStringList &arguments) {
        QProcess process;
        process.start(binaryPath(QStringLiteral("fulcrumctl")), arguments + QStringList{QStringLiteral("--haproxy"), m_haproxy->adminSocket()});
        if (!process.waitForFinished(30'000))
            qFatal("fulcrumctl did not end");
        return std::make_tuple(process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError()));
    };
    const auto sessions = [&](const char *server) { return m_haproxy->serverField(QString::fromLatin1(server), QStringLiteral("scur")).toInt(); };
    for (int i = 0; i < 3; ++i)
        m_haproxy->backend(i).backend().setLatency(1500);
    send(6);
    QTRY_VERIFY_WITH_TIMEOUT(sessions("app2") > 0, 5000);
    auto [code, out, err] = ctl({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("checkout/app2"), QStringLiteral("drain"),
                                 QStringLiteral("--wait"), QStringLiteral("10s"), QStringLiteral("--yes")});
    QVERIFY2(code == 0, qPrintable(out + err));
    QVERIFY2(out.contains(u"checkout/app2: ") && out.contains(u"request(s) in flight, waiting (up to 10s)")
                 && out.contains(u"checkout/app2: no request in flight after "),
             qPrintable(out));
    QCOMPARE(sessions("app2"), 0);

    // Not empty in time: exit 6. (The slow health checks took the servers down: up again first.)
    for (int i = 0; i < 3; ++i)
        m_haproxy->backend(i).backend().setLatency(2);
    for (const char *server : {"app1", "app3"})
        QTRY_COMPARE_WITH_TIMEOUT(m_haproxy->serverField(QString::fromLatin1(server), QStringLiteral("status")), QStringLiteral("UP"), 10'000);
    for (int i = 0; i < 3; ++i)
        m_haproxy->backend(i).backend().setLatency(5000);
    send(6);
    QTRY_VERIFY_WITH_TIMEOUT(sessions("app1") > 0, 5000);
    std::tie(code, out, err) = ctl({QStringLiteral("backends"), QStringLiteral("set-state"), QStringLiteral("checkout/app1"), QStringLiteral("maint"),
                                    QStringLiteral("--wait"), QStringLiteral("500ms"), QStringLiteral("--yes")});
    QVERIFY2(code == 6 && err.contains(u"checkout/app1 still has ") && err.contains(u"not safe to stop yet"), qPrintable(out + err));
    for (int i = 0; i < 3; ++i)
        m_haproxy->backend(i).backend().setLatency(2);
}

QTEST_GUILESS_MAIN(TestHaproxyLink)
#include "tst_haproxylink.moc"
