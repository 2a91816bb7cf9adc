#include "locks/redis/lockclient.h"
#include "locks/redis/redisconnection.h"
#include "redisserver.h"
#include "redistestutil.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <optional>
#include <vector>

using namespace fulcrum;
using namespace fulcrum::test;

class TestLockClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void acquireExtendRelease();
    void releaseAfterExpiryLeavesTheNewHolder();
    void waitTimesOutWhileHeld();
    void watchdogKeepsTheLockAndReportsLoss();
    void mutualExclusionUnderContention();
    void redlockWithOneOfThreeMastersDown();
    void redlockWithoutQuorumReleasesEverywhere();

private:
    std::unique_ptr<RedisServer> m_server;
    std::unique_ptr<RedisConnection> m_connection;
};

static std::unique_ptr<RedisConnection> openConnection(const RedisServer &server)
{
    RedisConnectionOptions o;
    o.port = server.port();
    auto c = std::make_unique<RedisConnection>(o);
    c->open();
    return c;
}

static LockResult acquireAndWait(LockClient &client, const QByteArray &key, const LockOptions &options)
{
    std::optional<LockResult> result;
    client.acquire(key, options, [&result](const LockResult &r) { result = r; });
    if (!QTest::qWaitFor([&result] { return result.has_value(); }, int(options.waitMs) + 10'000))
        return LockResult{false, false, {}, QStringLiteral("test: no answer")};
    return *result;
}

static LockOperationResult operationAndWait(const std::function<void(std::function<void(const LockOperationResult &)>)> &start)
{
    std::optional<LockOperationResult> result;
    start([&result](const LockOperationResult &r) { result = r; });
    if (!QTest::qWaitFor([&result] { return result.has_value(); }, 10'000))
        return LockOperationResult{false, false, 0, 0, QStringLiteral("test: no answer")};
    return *result;
}

void TestLockClient::init()
{
    m_server = std::make_unique<RedisServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    m_connection = openConnection(*m_server);
    QTRY_VERIFY(m_connection->isConnected());
}

void TestLockClient::cleanup()
{
    m_connection.reset();
    m_server.reset();
}

void TestLockClient::acquireExtendRelease()
{
    LockClient client({m_connection.get()});
    LockOptions options;
    options.ttlMs = 10'000;
    const LockResult first = acquireAndWait(client, "lock:order:1", options);
    QVERIFY2(first.acquired, qPrintable(first.error));
    QCOMPARE(first.handle.token.size(), qsizetype(8 + 32)); // "fulcrum:" + 128 bits in hex
    QCOMPARE(first.handle.fence, qint64(1));
    QVERIFY(first.handle.validityMs > 0 && first.handle.validityMs <= 10'000 - 102);
    QCOMPARE(m_server->command({"GET", "lock:order:1"}).string, first.handle.token + ":1");
    const qint64 pttl = m_server->command({"PTTL", "lock:order:1"}).integer;
    QVERIFY2(pttl > 5'000 && pttl <= 10'000, qPrintable(QString::number(pttl)));

    const LockResult second = acquireAndWait(client, "lock:order:1", options);
    QVERIFY(!second.acquired);
    QVERIFY(second.heldByOther);

    LockHandle stranger = first.handle;
    stranger.token = LockClient::newToken();
    QVERIFY(stranger.token != first.handle.token);
    const LockOperationResult wrongRelease = operationAndWait([&](auto done) { client.release(stranger, done); });
    QVERIFY(!wrongRelease.ok);
    QVERIFY(wrongRelease.notHolder);
    QCOMPARE(m_server->command({"EXISTS", "lock:order:1"}).integer, qint64(1));

    const LockOperationResult extended = operationAndWait([&](auto done) { client.extend(first.handle, 60'000, done); });
    QVERIFY2(extended.ok, qPrintable(extended.error));
    QVERIFY(m_server->command({"PTTL", "lock:order:1"}).integer > 30'000);

    const LockOperationResult released = operationAndWait([&](auto done) { client.release(first.handle, done); });
    QVERIFY(released.ok);
    QCOMPARE(m_server->command({"EXISTS", "lock:order:1"}).integer, qint64(0));

    const LockResult third = acquireAndWait(client, "lock:order:1", options);
    QVERIFY(third.acquired);
    QCOMPARE(third.handle.fence, qint64(2));
    QCOMPARE(m_server->command({"GET", LockClient::fenceKey("lock:order:1")}).string, QByteArray("2"));
}

void TestLockClient::releaseAfterExpiryLeavesTheNewHolder()
{
    LockClient client({m_connection.get()});
    LockOptions shortLived;
    shortLived.ttlMs = 50;
    const LockResult first = acquireAndWait(client, "lock:cart:7", shortLived);
    QVERIFY(first.acquired);
    QTRY_COMPARE(m_server->command({"EXISTS", "lock:cart:7"}).integer, qint64(0));
    LockOptions options;
    options.ttlMs = 10'000;
    const LockResult second = acquireAndWait(client, "lock:cart:7", options);
    QVERIFY(second.acquired);
    QVERIFY(second.handle.fence > first.handle.fence);
    // The naive DEL would delete the second holder's lock here.
    const LockOperationResult late = operationAndWait([&](auto done) { client.release(first.handle, done); });
    QVERIFY(!late.ok);
    QVERIFY(late.notHolder);
    QCOMPARE(m_server->command({"GET", "lock:cart:7"}).string, second.handle.token + ':' + QByteArray::number(second.handle.fence));
}

void TestLockClient::waitTimesOutWhileHeld()
{
    LockClient client({m_connection.get()});
    LockOptions options;
    options.ttlMs = 10'000;
    QVERIFY(acquireAndWait(client, "lock:busy", options).acquired);
    options.waitMs = 300;
    options.retryDelayMinMs = 10;
    options.retryDelayMaxMs = 30;
    const LockResult waited = acquireAndWait(client, "lock:busy", options);
    QVERIFY(!waited.acquired);
    QVERIFY(waited.heldByOther);
    QVERIFY2(waited.error.contains(u"held by someone else"), qPrintable(waited.error));
}

void TestLockClient::watchdogKeepsTheLockAndReportsLoss()
{
    LockClient client({m_connection.get()});
    LockOptions options;
    options.ttlMs = 1000;
    const LockResult held = acquireAndWait(client, "lock:job", options);
    QVERIFY(held.acquired);
    LockWatchdog watchdog(&client, held.handle, options.ttlMs);
    QSignalSpy renewed(&watchdog, &LockWatchdog::renewed);
    QSignalSpy lost(&watchdog, &LockWatchdog::lost);
    watchdog.start();
    QTRY_VERIFY(renewed.size() >= 4); // past the 1 s TTL
    QVERIFY(lost.isEmpty());
    QCOMPARE(m_server->command({"GET", "lock:job"}).string, held.handle.token + ":1");
    // Someone breaks the lock: the watchdog must say so instead of silently renewing nothing.
    m_server->command({"DEL", "lock:job"});
    QTRY_COMPARE(lost.size(), 1);
    QVERIFY(lost.first().first().toString().contains(u"no longer held"));
}

void TestLockClient::mutualExclusionUnderContention()
{
    constexpr int clients = 20;
    constexpr int rounds = 4;
    std::vector<std::unique_ptr<RedisConnection>> connections;
    std::vector<std::unique_ptr<LockClient>> lockClients;
    for (int i = 0; i < clients; ++i) {
        connections.push_back(openConnection(*m_server));
        lockClients.push_back(std::make_unique<LockClient>(QList<RedisConnection *>{connections.back().get()}));
    }
    for (auto &c : connections)
        QTRY_VERIFY(c->isConnected());

    int holders = 0;
    int maxHolders = 0;
    int done = 0;
    QList<qint64> fences;
    QStringList failures;
    std::function<void(int, int)> round = [&](int who, int remaining) {
        if (remaining == 0) {
            ++done;
            return;
        }
        LockOptions options;
        options.ttlMs = 10'000;
        options.waitMs = 30'000;
        options.maxAttempts = 1'000'000; // bounded by waitMs: on a loaded machine rounds take long
        options.retryDelayMinMs = 1;
        options.retryDelayMaxMs = 15;
        lockClients[size_t(who)]->acquire("lock:shared", options, [&, who, remaining](const LockResult &r) {
            if (!r.acquired) {
                failures << r.error;
                ++done;
                return;
            }
            ++holders;
            maxHolders = std::max(maxHolders, holders);
            fences.append(r.handle.fence);
            const int pause = QRandomGenerator::global()->bounded(8);
            QTimer::singleShot(pause, lockClients[size_t(who)].get(), [&, who, remaining, handle = r.handle] {
                --holders; // before the release is sent: from then on another client may get it
                lockClients[size_t(who)]->release(handle, [&, who, remaining](const LockOperationResult &released) {
                    if (!released.ok)
                        failures << QStringLiteral("release failed: %1").arg(released.error);
                    round(who, remaining - 1);
                });
            });
        });
    };
    for (int i = 0; i < clients; ++i)
        round(i, rounds);
    QTRY_VERIFY_WITH_TIMEOUT(done == clients, 60'000);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(u'\n')));
    QCOMPARE(maxHolders, 1);
    QCOMPARE(fences.size(), clients * rounds);
    for (qsizetype i = 1; i < fences.size(); ++i)
        QVERIFY2(fences[i] > fences[i - 1], qPrintable(QStringLiteral("fence %1 after %2").arg(fences[i]).arg(fences[i - 1])));
}

void TestLockClient::redlockWithOneOfThreeMastersDown()
{
    std::vector<std::unique_ptr<RedisServer>> servers;
    std::vector<std::unique_ptr<RedisConnection>> connections;
    QList<RedisConnection *> masters;
    for (int i = 0; i < 3; ++i) {
        servers.push_back(std::make_unique<RedisServer>());
        QString error;
        QVERIFY2(servers.back()->start(&error), qPrintable(error));
        connections.push_back(openConnection(*servers.back()));
        masters << connections.back().get();
    }
    for (auto &c : connections)
        QTRY_VERIFY(c->isConnected());
    servers[1]->kill();
    QTRY_VERIFY(!connections[1]->isConnected());

    LockClient client(masters);
    QCOMPARE(client.quorum(), 2);
    LockOptions options;
    options.ttlMs = 5'000;
    const LockResult result = acquireAndWait(client, "lock:payment:9", options);
    QVERIFY2(result.acquired, qPrintable(result.error));
    QVERIFY(result.handle.validityMs <= 5'000 - (50 + 2));
    QCOMPARE(servers[0]->command({"EXISTS", "lock:payment:9"}).integer, qint64(1));
    QCOMPARE(servers[2]->command({"EXISTS", "lock:payment:9"}).integer, qint64(1));

    const LockOperationResult released = operationAndWait([&](auto done) { client.release(result.handle, done); });
    QVERIFY(released.ok);
    QCOMPARE(released.masters, 2);
    QCOMPARE(servers[0]->command({"EXISTS", "lock:payment:9"}).integer, qint64(0));
    QCOMPARE(servers[2]->command({"EXISTS", "lock:payment:9"}).integer, qint64(0));
}

void TestLockClient::redlockWithoutQuorumReleasesEverywhere()
{
    std::vector<std::unique_ptr<RedisServer>> servers;
    std::vector<std::unique_ptr<RedisConnection>> connections;
    QList<RedisConnection *> masters;
    for (int i = 0; i < 3; ++i) {
        servers.push_back(std::make_unique<RedisServer>());
        QString error;
        QVERIFY2(servers.back()->start(&error), qPrintable(error));
        connections.push_back(openConnection(*servers.back()));
        masters << connections.back().get();
    }
    for (auto &c : connections)
        QTRY_VERIFY(c->isConnected());
    servers[0]->kill();
    servers[1]->kill();
    QTRY_VERIFY(!connections[0]->isConnected() && !connections[1]->isConnected());

    LockClient client(masters);
    LockOptions options;
    options.ttlMs = 5'000;
    const LockResult result = acquireAndWait(client, "lock:payment:10", options);
    QVERIFY(!result.acquired);
    QVERIFY2(result.error.contains(u"quorum") || result.error.contains(u"connect") || result.error.contains(u"waiting"), qPrintable(result.error));
    // The one master that granted it must not keep it until the TTL runs out.
    QTRY_COMPARE(servers[2]->command({"EXISTS", "lock:payment:10"}).integer, qint64(0));
}

QTEST_GUILESS_MAIN(TestLockClient)
#include "tst_lockclient.moc"
