// Redlock over three real, independent redis-servers, with locks written the way redsync and
// node-redlock write them (SET key token NX PX ttl, the same token on every master) and the way
// Redisson's RedissonRedLock does (one Redisson client per master: a hash field
// "<client uuid>:<thread id>" that differs per master). Full majority, a majority beside a
// leftover, a split, a lone leftover, skewed TTLs, and releases per master.
#include "locks/lockbackends.h"
#include "locks/redis/rediskeyspacefeed.h"
#include "locks/redis/redisredlockbackend.h"
#include "redisserver.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;

class TestRedisRedlock : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void majoritySplitAndLeftovers();
    void redissonRedLockAgreesByThread();
    void releaseComparesOnEveryMaster();
    void probeNamesEveryMaster();
    void liveMergesEachMastersChangeAgain();
    void liveEndsWhenAMasterComesBackWithoutNotifications();

private:
    RedisEndpointConfig config() const;
    // A Redlock counts as connected with a quorum; these tests want every master read.
    static void openAll(RedisRedlockBackend &backend)
    {
        QSignalSpy all(&backend, &LockBackend::connected);
        backend.open();
        QVERIFY(all.wait(10'000) || all.count() > 0);
    }
    LockScanResult pass(RedisRedlockBackend &backend);
    static const LockInfo *row(const LockScanResult &result, const QByteArray &key);
    ForceReleaseResult release(RedisRedlockBackend &backend, const QByteArray &key, const QByteArray &holder);
    void setOn(QList<int> masters, const QByteArray &key, const QByteArray &token, int ttlMs = 600'000);

    RedisServer m_masters[3];
};

void TestRedisRedlock::initTestCase()
{
    for (RedisServer &server : m_masters) {
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
    }
}

void TestRedisRedlock::init()
{
    for (RedisServer &server : m_masters)
        server.command({"FLUSHALL"});
}

RedisEndpointConfig TestRedisRedlock::config() const
{
    RedisEndpointConfig c;
    c.name = QStringLiteral("redlock");
    c.topology = RedisEndpointConfig::Topology::Redlock;
    for (const RedisServer &server : m_masters)
        c.nodes << server.address();
    return c;
}

LockScanResult TestRedisRedlock::pass(RedisRedlockBackend &backend)
{
    QSignalSpy finished(&backend, &LockBackend::scanFinished);
    backend.scan();
    if (!QTest::qWaitFor([&] { return finished.count() > 0; }, 15'000))
        return {};
    return backend.lastResult();
}

const LockInfo *TestRedisRedlock::row(const LockScanResult &result, const QByteArray &key)
{
    for (const LockInfo &lock : result.locks) {
        if (lock.key == key)
            return &lock;
    }
    return nullptr;
}

ForceReleaseResult TestRedisRedlock::release(RedisRedlockBackend &backend, const QByteArray &key, const QByteArray &holder)
{
    std::optional<ForceReleaseResult> outcome;
    backend.release({LockReleaseRequest::Delete, key, holder}, [&](const ForceReleaseResult &r) { outcome = r; });
    if (!QTest::qWaitFor([&] { return outcome.has_value(); }, 15'000))
        return {};
    return *outcome;
}

// As redsync's and node-redlock's acquire does on each master.
void TestRedisRedlock::setOn(QList<int> masters, const QByteArray &key, const QByteArray &token, int ttlMs)
{
    for (int i : masters)
        QCOMPARE(m_masters[i].command({"SET", key, token, "NX", "PX", QByteArray::number(ttlMs)}).type, RedisReply::Status);
}

void TestRedisRedlock::majoritySplitAndLeftovers()
{
    setOn({0, 1, 2}, "lock:stock:1", "gZ4x-redsync-token");                 // everyone agrees
    setOn({0, 1}, "lock:stock:2", "token-a");                               // a majority ...
    setOn({2}, "lock:stock:2", "token-b");                                  // ... and someone else's leftover
    setOn({0}, "lock:stock:3", "t1");
    setOn({1}, "lock:stock:3", "t2");
    setOn({2}, "lock:stock:3", "t3");                                       // three contenders, no majority
    setOn({1}, "lock:stock:4", "failed-attempt");                           // a failed acquire's leftover
    setOn({0, 1}, "lock:stock:5", "skewed", 600'000);
    setOn({2}, "lock:stock:5", "skewed", 30'000);                           // the same token, TTLs 570 s apart

    RedisRedlockBackend backend(config());
    QCOMPARE(backend.url(), QStringLiteral("redlock://%1/0").arg(config().nodes.join(u',')));
    openAll(backend);
    const LockScanResult result = pass(backend);
    QCOMPARE(result.locks.size(), 5);

    const LockInfo *full = row(result, "lock:stock:1");
    QVERIFY(full);
    QCOMPARE(full->holder, QByteArray("gZ4x-redsync-token"));
    QCOMPARE(full->flags, 0);
    QCOMPARE(full->detailInteger(QStringLiteral("agreeing")), 3);
    QCOMPARE(full->detailInteger(QStringLiteral("quorum")), 2);
    QVERIFY(full->ttlMs > 590'000);
    const QJsonArray masters = full->details.value(QStringLiteral("masters")).toArray();
    QCOMPARE(masters.size(), 3);
    for (const QJsonValue &m : masters)
        QVERIFY(m.toObject().value(QStringLiteral("ttl_ms")).toInteger() > 590'000);

    const LockInfo *majority = row(result, "lock:stock:2");
    QVERIFY(majority);
    QCOMPARE(majority->holder, QByteArray("token-a"));
    QCOMPARE(majority->detailInteger(QStringLiteral("agreeing")), 2);
    QVERIFY(majority->flags & LockInfo::RedlockMinority);
    QVERIFY(!(majority->flags & LockInfo::RedlockSplit));

    const LockInfo *split = row(result, "lock:stock:3");
    QVERIFY(split);
    QVERIFY(split->flags & LockInfo::RedlockSplit);
    QCOMPARE(split->detailString(QStringLiteral("agreement")), QStringLiteral("none"));
    QVERIFY2(split->holderText.contains(u"no majority"), qPrintable(split->holderText));
    QVERIFY(split->flagNames().contains(QStringLiteral("redlock-split")));

    const LockInfo *leftover = row(result, "lock:stock:4");
    QVERIFY(leftover);
    QVERIFY(leftover->flags & LockInfo::RedlockMinority);
    QVERIFY(!(leftover->flags & LockInfo::RedlockSplit));
    QCOMPARE(leftover->detailInteger(QStringLiteral("agreeing")), 0);

    const LockInfo *skewed = row(result, "lock:stock:5");
    QVERIFY(skewed);
    QCOMPARE(skewed->holder, QByteArray("skewed"));
    QVERIFY(skewed->flags & LockInfo::TtlSkew);
    // Held while a quorum has it: the second-longest TTL, not the shortest.
    QVERIFY(skewed->ttlMs > 590'000);
    QVERIFY(!(full->flags & LockInfo::TtlSkew));
    // The flags travel through the admin API's JSON.
    QCOMPARE(LockInfo::fromJson(split->toJson()).flags & LockInfo::RedlockSplit, int(LockInfo::RedlockSplit));
}

void TestRedisRedlock::redissonRedLockAgreesByThread()
{
    // RedissonRedLock over three Redisson clients: each master's hash names its own client's UUID.
    const QByteArray uuids[3] = {"1b5c0d8e-aaaa", "7f0e33a1-bbbb", "c2d9e410-cccc"};
    for (int i = 0; i < 3; ++i) {
        m_masters[i].command({"HSET", "lock:{order}:9", uuids[i] + ":83", "1"});
        m_masters[i].command({"PEXPIRE", "lock:{order}:9", "30000"});
    }
    RedisRedlockBackend backend(config());
    openAll(backend);
    const LockInfo *lock = row(pass(backend), "lock:{order}:9");
    QVERIFY(lock);
    QCOMPARE(lock->kind, QStringLiteral("redisson"));
    QCOMPARE(lock->detailString(QStringLiteral("agreement")), QStringLiteral("thread_id"));
    QCOMPARE(lock->detailInteger(QStringLiteral("agreeing")), 3);
    QVERIFY(!(lock->flags & (LockInfo::RedlockSplit | LockInfo::RedlockMinority)));
    // Released on every master with that master's own field.
    const ForceReleaseResult result = release(backend, "lock:{order}:9", lock->holder);
    QVERIFY2(result.outcome == ForceReleaseResult::Released && result.message.contains(u"on 3 of 3 masters"), qPrintable(result.message));
    for (RedisServer &server : m_masters)
        QCOMPARE(server.command({"EXISTS", "lock:{order}:9"}).integer, 0);
}

void TestRedisRedlock::releaseComparesOnEveryMaster()
{
    setOn({0, 1, 2}, "lock:pay:1", "tok-1");
    setOn({0, 1}, "lock:pay:2", "tok-2");
    setOn({2}, "lock:pay:2", "other");
    RedisRedlockBackend backend(config());
    openAll(backend);
    pass(backend);

    const ForceReleaseResult all = release(backend, "lock:pay:1", "tok-1");
    QCOMPARE(all.outcome, ForceReleaseResult::Released);
    QVERIFY2(all.message.contains(u"on 3 of 3 masters"), qPrintable(all.message));
    for (RedisServer &server : m_masters)
        QCOMPARE(server.command({"EXISTS", "lock:pay:1"}).integer, 0);

    // The majority's copies go; the third master's other token is someone else's and stays.
    const ForceReleaseResult two = release(backend, "lock:pay:2", "tok-2");
    QCOMPARE(two.outcome, ForceReleaseResult::Released);
    QVERIFY2(two.message.contains(u"on 2 of 2 masters"), qPrintable(two.message));
    QCOMPARE(m_masters[0].command({"EXISTS", "lock:pay:2"}).integer, 0);
    QCOMPARE(m_masters[2].command({"GET", "lock:pay:2"}).string, QByteArray("other"));

    // Taken over since it was shown: nothing is deleted anywhere.
    setOn({0, 1, 2}, "lock:pay:3", "old");
    pass(backend);
    for (RedisServer &server : m_masters)
        server.command({"SET", "lock:pay:3", "new", "PX", "600000"});
    const ForceReleaseResult changed = release(backend, "lock:pay:3", "old");
    QCOMPARE(changed.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(changed.currentHolder, QByteArray("new"));
    for (RedisServer &server : m_masters)
        QCOMPARE(server.command({"GET", "lock:pay:3"}).string, QByteArray("new"));

    // A master that is down is named in the outcome; the others are released.
    setOn({0, 1, 2}, "lock:pay:4", "tok-4");
    pass(backend);
    m_masters[2].kill();
    const ForceReleaseResult partial = release(backend, "lock:pay:4", "tok-4");
    QCOMPARE(partial.outcome, ForceReleaseResult::Released);
    QVERIFY2(partial.message.contains(u"on 2 of 3 masters") && partial.message.contains(m_masters[2].address()), qPrintable(partial.message));
    QString error;
    QVERIFY2(m_masters[2].restart(&error), qPrintable(error));
}

void TestRedisRedlock::probeNamesEveryMaster()
{
    QObject context;
    std::optional<std::pair<bool, QString>> answer;
    probeLockEndpoint(LockEndpointConfig::fromRedis(config()), {}, &context, [&](bool ok, const QString &message) { answer = std::pair{ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 15'000);
    QVERIFY2(answer->first && answer->second.contains(u"3 of 3 masters answered"), qPrintable(answer->second));
}

void TestRedisRedlock::liveMergesEachMastersChangeAgain()
{
    for (RedisServer &server : m_masters)
        server.command({"CONFIG", "SET", "notify-keyspace-events", ""});
    RedisEndpointConfig c = config();
    c.lockPatterns = {QStringLiteral("lock:live:*")};
    RedisRedlockBackend backend(c);
    openAll(backend);
    pass(backend);
    // No master publishes notifications: polled, saying what they lack and that it can be enabled.
    QTRY_VERIFY_WITH_TIMEOUT(backend.feedState().canEnable, 10'000);
    QCOMPARE(backend.feedState().mode, LockFeedState::Polling);
    QVERIFY2(backend.feedState().why.contains(u"not every master"), qPrintable(backend.feedState().why));

    // The enable action sets them on every master, keeping what one had already.
    m_masters[1].command({"CONFIG", "SET", "notify-keyspace-events", "El"});
    std::optional<std::pair<bool, QString>> enabled;
    backend.enableNotifications([&](bool ok, const QString &message) { enabled = std::make_pair(ok, message); });
    QTRY_VERIFY_WITH_TIMEOUT(enabled.has_value(), 10'000);
    QVERIFY2(enabled->first, qPrintable(enabled->second));
    for (RedisServer &server : m_masters) {
        const RedisReply flags = server.command({"CONFIG", "GET", "notify-keyspace-events"});
        QVERIFY2(flags.elements.size() == 2 && keyspacenotifications::missing(flags.elements[1].string).isEmpty(), qPrintable(server.address()));
    }
    QVERIFY(m_masters[1].command({"CONFIG", "GET", "notify-keyspace-events"}).elements[1].string.contains('l'));
    QTRY_COMPARE_WITH_TIMEOUT(backend.feedState().mode, LockFeedState::Live, 20'000);
    QVERIFY2(backend.feedState().why.contains(u"each of the 3 masters"), qPrintable(backend.feedState().why));

    QSignalSpy passes(&backend, &LockBackend::scanFinished);
    QSignalSpy changes(&backend, &LockBackend::rowsChanged);
    auto current = [&backend](const QByteArray &key) -> std::optional<LockInfo> {
        const LockInfo *lock = row(backend.lastResult(), key);
        return lock ? std::optional<LockInfo>(*lock) : std::nullopt;
    };
    const QByteArray key = "lock:live:order:7";

    // An acquire as redsync makes it, one master after another: a leftover, then a majority.
    setOn({0}, key, "tok-a");
    QTRY_VERIFY_WITH_TIMEOUT(current(key) && (current(key)->flags & LockInfo::RedlockMinority), 10'000);
    QCOMPARE(current(key)->detailInteger(QStringLiteral("agreeing")), 0);
    setOn({1}, key, "tok-a");
    QTRY_COMPARE_WITH_TIMEOUT(current(key) ? current(key)->detailInteger(QStringLiteral("agreeing")) : -1, qint64(2), 10'000);
    QCOMPARE(current(key)->holder, QByteArray("tok-a"));
    QCOMPARE(current(key)->flags & (LockInfo::RedlockMinority | LockInfo::RedlockSplit), 0);
    QVERIFY(current(key)->ttlMs > 590'000 && current(key)->ttlMs <= 600'000);
    // Someone else's leftover on the third master: still the majority's, flagged.
    setOn({2}, key, "tok-b");
    QTRY_VERIFY_WITH_TIMEOUT(current(key) && (current(key)->flags & LockInfo::RedlockMinority), 10'000);
    QCOMPARE(current(key)->holder, QByteArray("tok-a"));
    const QJsonArray masters = current(key)->details.value(QStringLiteral("masters")).toArray();
    QCOMPARE(masters.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(masters.at(i).toObject().value(QStringLiteral("node")).toString(), m_masters[i].address());
    QCOMPARE(masters.at(2).toObject().value(QStringLiteral("holder")).toString(), QStringLiteral("tok-b"));

    // The majority releases on one master: no quorum any more, a split.
    QCOMPARE(m_masters[0].command({"DEL", key}).integer, 1);
    QTRY_VERIFY_WITH_TIMEOUT(current(key) && (current(key)->flags & LockInfo::RedlockSplit), 10'000);
    QCOMPARE(current(key)->detailString(QStringLiteral("agreement")), QStringLiteral("none"));
    // Gone from every master: gone from the table.
    m_masters[1].command({"DEL", key});
    m_masters[2].command({"DEL", key});
    QTRY_VERIFY_WITH_TIMEOUT(!current(key), 10'000);

    // A release in the live table goes to the masters it shows holding the token, and leaves
    // the other token, taken since the last pass, alone.
    setOn({0, 1}, "lock:live:pay", "tok-p");
    setOn({2}, "lock:live:pay", "other");
    QTRY_VERIFY_WITH_TIMEOUT(current("lock:live:pay") && (current("lock:live:pay")->flags & LockInfo::RedlockMinority), 10'000);
    const ForceReleaseResult released = release(backend, "lock:live:pay", "tok-p");
    QVERIFY2(released.outcome == ForceReleaseResult::Released && released.message.contains(u"on 2 of 2 masters"), qPrintable(released.message));
    QCOMPARE(m_masters[0].command({"EXISTS", "lock:live:pay"}).integer, 0);
    QCOMPARE(m_masters[1].command({"EXISTS", "lock:live:pay"}).integer, 0);
    QCOMPARE(m_masters[2].command({"GET", "lock:live:pay"}).string, QByteArray("other"));
    QTRY_VERIFY_WITH_TIMEOUT(current("lock:live:pay") && current("lock:live:pay")->holder == "other", 10'000);

    QCOMPARE(passes.count(), 0);
    QVERIFY(changes.count() >= 6);
    QVERIFY(backend.feedState().eventsApplied >= 8);
}

void TestRedisRedlock::liveEndsWhenAMasterComesBackWithoutNotifications()
{
    for (RedisServer &server : m_masters)
        server.command({"CONFIG", "SET", "notify-keyspace-events", "Kg$hxe"});
    RedisEndpointConfig c = config();
    c.lockPatterns = {QStringLiteral("lock:back:*")};
    RedisRedlockBackend backend(c);
    openAll(backend);
    backend.scan();
    QTRY_COMPARE_WITH_TIMEOUT(backend.feedState().mode, LockFeedState::Live, 20'000);

    // CONFIG SET is not kept over a restart: the master comes back without notifications.
    QString error;
    QVERIFY2(m_masters[2].restart(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(backend.feedState().mode != LockFeedState::Live, 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(backend.feedState().mode, LockFeedState::Polling, 20'000);
    QVERIFY2(backend.feedState().why.contains(m_masters[2].address()) && backend.feedState().canEnable, qPrintable(backend.feedState().why));
    // And stays so: master 2's subscription, coming back as the feeds are dropped, is not the
    // endpoint's any more (it used to turn polling into "resyncing" for a minute).
    QTest::qWait(1000);
    QCOMPARE(backend.feedState().mode, LockFeedState::Polling);
    // Polled again: a pass reads what changed meanwhile on every master.
    setOn({0, 1, 2}, "lock:back:1", "tok-1");
    QTRY_VERIFY_WITH_TIMEOUT(row(pass(backend), "lock:back:1"), 10'000);
    QCOMPARE(row(backend.lastResult(), "lock:back:1")->detailInteger(QStringLiteral("agreeing")), 3);
}

QTEST_GUILESS_MAIN(TestRedisRedlock)
#include "tst_redisredlock.moc"
