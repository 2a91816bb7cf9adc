// The live lock table: a Redis endpoint that follows keyspace notifications instead of re-reading
// everything, against a real redis-server. Every endpoint here polls once an hour at most, so a
// change that shows up in the table came through the notifications.
#include "demobackends.h"
#include "engine/auditlog.h"
#include "engine/lockservice.h"
#include "freeport.h"
#include "fulcrumdprocess.h"
#include "isolatedpaths.h"
#include "locks/redis/redislockbackend.h"
#include "redisserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <memory>
#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;

static const QByteArray redissonTryLock =
    "if ((redis.call('exists', KEYS[1]) == 0) or (redis.call('hexists', KEYS[1], ARGV[2]) == 1)) then "
    "redis.call('hincrby', KEYS[1], ARGV[2], 1); redis.call('pexpire', KEYS[1], ARGV[1]); return nil; end; "
    "return redis.call('pttl', KEYS[1]);";
// Redisson's unlock: the last hold deletes the key (and publishes to its waiters' channel).
static const QByteArray redissonUnlock =
    "if (redis.call('hexists', KEYS[1], ARGV[3]) == 0) then return nil; end; "
    "local counter = redis.call('hincrby', KEYS[1], ARGV[3], -1); "
    "if (counter > 0) then redis.call('pexpire', KEYS[1], ARGV[2]); return 0; "
    "else redis.call('del', KEYS[1]); redis.call('publish', KEYS[2], ARGV[1]); return 1; end; return nil;";
static const QByteArray uuid = "8743c9c0-0795-4907-87fd-6c719a6b4586";

class TestLiveLocks : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { useIsolatedStandardPaths(); }
    void everyEventKindReachesTheTable();
    void aBigStringChangedLiveIsReadWholeOnce();
    void evictionUnderMaxmemoryRemovesTheRows();
    void unixSocketEndpointFollowsLive();
    void expiredLockLeavesAtItsDeadlineEvenWhenRedisIsSlowToReclaim();
    void subscriberKilledWhileLocksChangeEndsCorrect();
    void serverRestartWhileLocksChangeEndsCorrect();
    void churnEndsEqualToRedis();
    void withoutNotificationsItPollsAndSaysWhy();
    void requireNeverPollsAndOffNeverFollows();
    void enableIsTheOnlyConfigSetAndIsAudited();
    void managedRedisRefusalNamesTheSetting();
    void aclUserWithoutChannelsPollsAndSaysWhatToGrant();
    void engineStreamsRowChangesAndCtlFollowsThem();

private:
    static RedisEndpointConfig endpointFor(const RedisServer &server, RedisEndpointConfig::Notifications notifications = RedisEndpointConfig::Notifications::Auto);
    static bool waitForFeed(const LockBackend &backend, LockFeedState::Mode mode, int timeoutMs = 15'000);
    // The table as the backend has it, key -> holder.
    static std::map<QByteArray, QByteArray> table(const LockBackend &backend);
    // What Redis holds under lock:* right now, key -> holder, read as the inspector would not
    // (KEYS: fine on a test server): strings by GET, Redisson hashes by their one field.
    static std::map<QByteArray, QByteArray> reality(RedisServer &server);
};

RedisEndpointConfig TestLiveLocks::endpointFor(const RedisServer &server, RedisEndpointConfig::Notifications notifications)
{
    RedisEndpointConfig c;
    c.name = QStringLiteral("live");
    c.host = server.host();
    c.port = server.port();
    c.lockPatterns = {QStringLiteral("lock:*")};
    c.pollIntervalMs = 3'600'000;
    c.reconcileIntervalMs = 3'600'000;
    c.notifications = notifications;
    return c;
}

bool TestLiveLocks::waitForFeed(const LockBackend &backend, LockFeedState::Mode mode, int timeoutMs)
{
    return QTest::qWaitFor([&] { return backend.feedState().mode == mode; }, timeoutMs);
}

std::map<QByteArray, QByteArray> TestLiveLocks::table(const LockBackend &backend)
{
    std::map<QByteArray, QByteArray> rows;
    for (const LockInfo &lock : backend.lastResult().locks)
        rows[lock.key] = lock.holder;
    return rows;
}

std::map<QByteArray, QByteArray> TestLiveLocks::reality(RedisServer &server)
{
    std::map<QByteArray, QByteArray> rows;
    const RedisReply keys = server.command({"KEYS", "lock:*"});
    for (const RedisReply &key : keys.elements) {
        const QList<RedisReply> read = server.pipeline({{"TYPE", key.string}, {"GET", key.string}, {"HKEYS", key.string}});
        if (read[0].string == "string")
            rows[key.string] = read[1].string;
        else if (read[0].string == "hash" && !read[2].elements.isEmpty())
            rows[key.string] = read[2].elements.first().string;
    }
    return rows;
}

static const LockInfo *row(const LockBackend &backend, const QByteArray &key)
{
    for (const LockInfo &lock : backend.lastResult().locks) {
        if (lock.key == key)
            return &lock;
    }
    return nullptr;
}

static RedisServer::Options withNotifications(const QByteArray &flags = "Kg$hxe")
{
    RedisServer::Options o;
    o.extraConfig << QStringLiteral("notify-keyspace-events %1").arg(QString::fromLatin1(flags));
    return o;
}

// A Redis reached over its unix socket (a shop's single box: /run/redis/redis.sock) follows the
// notifications too: its subscriber connection is a QLocalSocket with the same parser. A lost
// subscriber is made again and the table read whole.
void TestLiveLocks::unixSocketEndpointFollowsLive()
{
    RedisServer::Options options = withNotifications();
    options.unixSocket = true;
    RedisServer server(options);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.command({"SET", "lock:before", "t0", "PX", "600000"});
    RedisEndpointConfig config = endpointFor(server);
    config.host.clear();
    config.port = 0;
    config.unixSocket = server.unixSocketPath();
    RedisLockBackend backend(config, {});
    backend.open();
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    QVERIFY(row(backend, "lock:before"));

    server.command({"SET", "lock:order:1", "worker-1:aa", "NX", "PX", "60000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:order:1"), 10'000);
    QCOMPARE(row(backend, "lock:order:1")->holder, QByteArray("worker-1:aa"));
    server.command({"DEL", "lock:order:1"});
    QTRY_VERIFY_WITH_TIMEOUT(!row(backend, "lock:order:1"), 10'000);

    // The subscriber is cut while a lock is taken: resyncing, then live again with it.
    QSignalSpy feeds(&backend, &LockBackend::feedChanged);
    server.pipeline({{"MULTI"}, {"CLIENT", "KILL", "TYPE", "pubsub"}, {"SET", "lock:during", "d1", "PX", "600000"}, {"EXEC"}});
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(feeds.begin(), feeds.end(), [](const QList<QVariant> &f) {
        return f.first().value<LockFeedState>().mode == LockFeedState::Resyncing;
    }), 10'000);
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:during"), 15'000);
    // A change after that comes through the new subscription (the timer polls once an hour).
    server.command({"SET", "lock:after", "a1", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:after"), 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(table(backend), reality(server), 15'000);
}

void TestLiveLocks::everyEventKindReachesTheTable()
{
    RedisServer server(withNotifications());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.command({"SET", "lock:before", "t0", "PX", "600000"});
    RedisLockBackend backend(endpointFor(server), {});
    QSignalSpy changes(&backend, &LockBackend::rowsChanged);
    backend.open();
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    QVERIFY(backend.feedState().liveSince.isValid());
    QVERIFY(row(backend, "lock:before")); // the full pass after subscribing

    // set: a new lock appears, as a change set of its own.
    server.command({"SET", "lock:order:1", "worker-1:aa", "NX", "PX", "60000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:order:1"), 10'000);
    QCOMPARE(row(backend, "lock:order:1")->holder, QByteArray("worker-1:aa"));
    QVERIFY(row(backend, "lock:order:1")->readAt.isValid());
    QVERIFY(!changes.isEmpty());
    const LockChanges first = changes.last().first().value<LockChanges>();
    QCOMPARE(first.upserted.size(), qsizetype(1));
    QCOMPARE(first.upserted.first().key, QByteArray("lock:order:1"));

    // expire: the holder extends; the TTL follows.
    server.command({"PEXPIRE", "lock:order:1", "500000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:order:1")->ttlMs > 100'000, 10'000);

    // set over a held key (SET XX): the holder changes, and the history says so.
    server.command({"SET", "lock:order:1", "worker-2:bb", "XX", "PX", "60000"});
    QTRY_COMPARE_WITH_TIMEOUT(row(backend, "lock:order:1")->holder, QByteArray("worker-2:bb"), 10'000);
    QCOMPARE(row(backend, "lock:order:1")->holderChanges, 1);

    // hset / hincrby: Redisson takes a lock, then takes it again (reentrant).
    server.command({"EVAL", redissonTryLock, "1", "lock:stock:42", "30000", uuid + ":7"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:stock:42"), 10'000);
    QCOMPARE(row(backend, "lock:stock:42")->kind, QStringLiteral("redisson"));
    server.command({"EVAL", redissonTryLock, "1", "lock:stock:42", "30000", uuid + ":7"});
    QTRY_COMPARE_WITH_TIMEOUT(row(backend, "lock:stock:42")->detailInteger(QStringLiteral("reentrancy")), qint64(2), 10'000);
    // hincrby -1 then del: Redisson's unlock, twice.
    server.command({"EVAL", redissonUnlock, "2", "lock:stock:42", "redisson_lock__channel:{lock:stock:42}", "0", "30000", uuid + ":7"});
    QTRY_COMPARE_WITH_TIMEOUT(row(backend, "lock:stock:42")->detailInteger(QStringLiteral("reentrancy")), qint64(1), 10'000);
    server.command({"EVAL", redissonUnlock, "2", "lock:stock:42", "redisson_lock__channel:{lock:stock:42}", "0", "30000", uuid + ":7"});
    QTRY_VERIFY_WITH_TIMEOUT(!row(backend, "lock:stock:42"), 10'000);

    // hdel: a hash lock loses its field (not a lock any more).
    server.command({"HSET", "lock:hash", uuid + ":9", "1"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:hash"), 10'000);
    server.command({"HSET", "lock:hash", "extra", "1"});
    server.command({"HDEL", "lock:hash", uuid + ":9"});
    QTRY_VERIFY_WITH_TIMEOUT(!row(backend, "lock:hash"), 10'000);
    server.command({"DEL", "lock:hash"});

    // rename: the old name goes, the new one comes.
    server.command({"RENAME", "lock:order:1", "lock:order:renamed"});
    QTRY_VERIFY_WITH_TIMEOUT(!row(backend, "lock:order:1") && row(backend, "lock:order:renamed"), 10'000);

    // del: released.
    server.command({"DEL", "lock:order:renamed"});
    QTRY_VERIFY_WITH_TIMEOUT(!row(backend, "lock:order:renamed"), 10'000);
    const LockChanges released = changes.last().first().value<LockChanges>();
    QCOMPARE(released.removed, QList<QByteArray>{QByteArrayLiteral("lock:order:renamed")});

    // expired: Redis expires the key by itself.
    server.command({"SET", "lock:short", "t", "PX", "150"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:short"), 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(!row(backend, "lock:short"), 10'000);

    // A key outside the lock patterns is never read: no change set names it.
    const qsizetype before = changes.size();
    server.command({"SET", "session:1", "x"});
    server.command({"SET", "lock:marker", "m"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:marker"), 10'000);
    for (qsizetype i = before; i < changes.size(); ++i) {
        for (const LockInfo &lock : changes.at(i).first().value<LockChanges>().upserted)
            QVERIFY(lock.key.startsWith("lock:"));
    }
    QCOMPARE(table(backend), reality(server));
    QVERIFY(backend.feedState().eventsApplied >= 10);
    QCOMPARE(backend.feedState().mode, LockFeedState::Live);
}

static const LockScanNote *note(const LockBackend &backend, const QByteArray &key)
{
    for (const LockScanNote &n : backend.lastResult().notes) {
        if (n.key == key)
            return &n;
    }
    return nullptr;
}

// A cached blob under the lock pattern, rewritten again and again: read whole the first time
// (that is how it is found too large to be a lock), then only its length at each change.
void TestLiveLocks::aBigStringChangedLiveIsReadWholeOnce()
{
    RedisServer server(withNotifications());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisLockBackend backend(endpointFor(server), {});
    backend.open();
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    server.command({"SET", "lock:cache:home", QByteArray(1 << 20, 'a')});
    QTRY_VERIFY_WITH_TIMEOUT(note(backend, "lock:cache:home"), 10'000);
    QVERIFY2(note(backend, "lock:cache:home")->text.contains(u"a string of 1048576 bytes, too large to be a lock"),
             qPrintable(note(backend, "lock:cache:home")->text));
    QVERIFY(!row(backend, "lock:cache:home"));

    server.command({"CONFIG", "RESETSTAT"});
    for (char c : {'b', 'c', 'd', 'e', 'f'}) {
        server.command({"SET", "lock:cache:home", QByteArray(1 << 20, c)});
        QTest::qWait(30);   // each its own live read
    }
    server.command({"SET", "lock:marker", "m", "PX", "60000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:marker"), 10'000);
    const QByteArray stats = server.command({"INFO", "stats"}).string;
    const qsizetype at = stats.indexOf("total_net_output_bytes:") + qsizetype(strlen("total_net_output_bytes:"));
    const qint64 sent = stats.mid(at, stats.indexOf('\r', at) - at).toLongLong();
    QVERIFY2(sent > 0 && sent < 256 * 1024, qPrintable(QString::number(sent)));   // five reads whole: over 5 MB
    QVERIFY2(server.command({"INFO", "commandstats"}).string.contains("cmdstat_strlen:calls="), "no STRLEN");
    QVERIFY(note(backend, "lock:cache:home"));

    // Shrunk to a lock's value: a row again, with that holder.
    server.command({"SET", "lock:cache:home", "web-1:aa", "PX", "60000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:cache:home"), 10'000);
    QCOMPARE(row(backend, "lock:cache:home")->holder, QByteArray("web-1:aa"));
    QVERIFY(!note(backend, "lock:cache:home"));
    QCOMPARE(backend.feedState().mode, LockFeedState::Live);
}

void TestLiveLocks::evictionUnderMaxmemoryRemovesTheRows()
{
    // volatile-ttl evicts only keys with a TTL: here, only the locks.
    RedisServer::Options o = withNotifications();
    o.extraConfig << QStringLiteral("maxmemory-policy volatile-ttl");
    RedisServer server(o);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QList<QList<QByteArray>> locks;
    for (int i = 0; i < 300; ++i)
        locks.append({"SET", "lock:evict:" + QByteArray::number(i), QByteArray(200, 'h'), "PX", QByteArray::number(600000 + i * 1000)});
    server.pipeline(locks);
    RedisLockBackend backend(endpointFor(server), {});
    backend.open();
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    QCOMPARE(backend.lastResult().locks.size(), qsizetype(300));

    const RedisReply info = server.command({"INFO", "memory"});
    qint64 used = 0;
    for (const QByteArray &line : info.string.split('\n')) {
        if (line.startsWith("used_memory:"))
            used = line.mid(12).trimmed().toLongLong();
    }
    QVERIFY(used > 0);
    server.command({"CONFIG", "SET", "maxmemory", QByteArray::number(used + 8 * 1024)});
    // Data without a TTL pushes the locks out, shortest TTL first.
    for (int i = 0; i < 40; ++i)
        server.command({"SET", "data:" + QByteArray::number(i), QByteArray(2048, 'd')});
    server.command({"CONFIG", "SET", "maxmemory", "0"});
    const RedisReply stats = server.command({"INFO", "stats"});
    QVERIFY2(stats.string.contains("evicted_keys:") && !stats.string.contains("evicted_keys:0\r"), stats.string.constData());
    const auto remaining = reality(server);
    QVERIFY(remaining.size() < 300);
    QTRY_COMPARE_WITH_TIMEOUT(table(backend), remaining, 10'000);
}

void TestLiveLocks::expiredLockLeavesAtItsDeadlineEvenWhenRedisIsSlowToReclaim()
{
    // Redis announces an expiry only when it reclaims the key: on a read, or when its sampling
    // expire cycle finds it, which on a big keyspace takes seconds. Here the cycle is off, so
    // only the table's own read at the deadline can make the row go.
    RedisServer server(withNotifications());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QCOMPARE(server.command({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}).string, QByteArray("OK"));
    RedisLockBackend backend(endpointFor(server), {});
    backend.open();
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    server.command({"SET", "lock:brief", "t", "PX", "300"});
    server.command({"SET", "lock:long", "t", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:brief") && row(backend, "lock:long"), 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(!row(backend, "lock:brief"), 10'000);
    QVERIFY(row(backend, "lock:long"));
    QCOMPARE(server.command({"EXISTS", "lock:brief"}).integer, 0);
}

void TestLiveLocks::subscriberKilledWhileLocksChangeEndsCorrect()
{
    RedisServer server(withNotifications());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.pipeline({{"SET", "lock:a", "1", "PX", "600000"}, {"SET", "lock:b", "1", "PX", "600000"}});
    RedisLockBackend backend(endpointFor(server), {});
    backend.open();
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    QSignalSpy feeds(&backend, &LockBackend::feedChanged);
    // The subscriber is closed before the writes run (one transaction): their notifications
    // go nowhere; only the pass after the resubscription can find them.
    server.pipeline({{"MULTI"}, {"CLIENT", "KILL", "TYPE", "pubsub"}, {"SET", "lock:c", "2", "PX", "600000"},
                     {"DEL", "lock:a"}, {"SET", "lock:b", "2", "PX", "600000"}, {"EXEC"}});
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(feeds.begin(), feeds.end(), [](const QList<QVariant> &args) {
        return args.first().value<LockFeedState>().mode == LockFeedState::Resyncing;
    }), 10'000);
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    QCOMPARE(table(backend), reality(server));
    QCOMPARE(table(backend).at("lock:b"), QByteArray("2"));
    // And it follows again.
    server.command({"SET", "lock:d", "3", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:d"), 10'000);
}

void TestLiveLocks::serverRestartWhileLocksChangeEndsCorrect()
{
    RedisServer server(withNotifications());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.pipeline({{"SET", "lock:old:1", "1", "PX", "600000"}, {"SET", "lock:old:2", "1", "PX", "600000"}});
    RedisLockBackend backend(endpointFor(server), {});
    backend.open();
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    QCOMPARE(table(backend).size(), size_t(2));
    // A restart loses the data set; locks are taken again before Fulcrum is back.
    QVERIFY2(server.restart(&error), qPrintable(error));
    server.pipeline({{"SET", "lock:new:1", "x", "PX", "600000"}, {"SET", "lock:new:2", "y", "PX", "600000"}});
    QTRY_VERIFY_WITH_TIMEOUT(backend.feedState().mode == LockFeedState::Live && table(backend) == reality(server), 20'000);
    QVERIFY(!row(backend, "lock:old:1"));
}

void TestLiveLocks::churnEndsEqualToRedis()
{
    RedisServer server(withNotifications());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisLockBackend backend(endpointFor(server), {});
    backend.open();
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    // Acquire, extend, hand over, release and short-lived locks over 200 keys, with full
    // passes started in the middle (as the reconciling pass would): events that arrive during
    // a pass must not leave an older row behind.
    QRandomGenerator random(42);
    for (int round = 0; round < 20; ++round) {
        QList<QList<QByteArray>> batch;
        for (int i = 0; i < 100; ++i) {
            const QByteArray key = "lock:churn:" + QByteArray::number(random.bounded(200));
            switch (random.bounded(5)) {
            case 0: batch.append({"SET", key, "h" + QByteArray::number(round * 100 + i), "NX", "PX", "60000"}); break;
            case 1: batch.append({"PEXPIRE", key, "90000"}); break;
            case 2: batch.append({"SET", key, "h" + QByteArray::number(round * 100 + i), "PX", "60000"}); break;
            case 3: batch.append({"DEL", key}); break;
            default: batch.append({"SET", key, "short", "PX", "30"}); break;
            }
        }
        server.pipeline(batch);
        if (round % 5 == 2)
            backend.scan();
        QTest::qWait(20);
    }
    QTest::qWait(200); // the short ones expire
    QTRY_COMPARE_WITH_TIMEOUT(table(backend), reality(server), 10'000);
}

void TestLiveLocks::withoutNotificationsItPollsAndSaysWhy()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.command({"SET", "lock:x", "1", "PX", "600000"});
    LockService service(nullptr);
    RedisEndpointConfig c = endpointFor(server);
    c.pollIntervalMs = 200;
    service.apply({LockEndpointConfig::fromRedis(c)});
    QSignalSpy passes(&service, &LockService::scanFinished);
    QVERIFY(passes.wait(10'000));
    QTRY_VERIFY_WITH_TIMEOUT(service.views().front().feed.canEnable, 10'000);
    const LockFeedState feed = service.views().front().feed;
    QCOMPARE(feed.mode, LockFeedState::Polling);
    QVERIFY2(feed.why.contains(QStringLiteral("notify-keyspace-events is \"\"")), qPrintable(feed.why));
    QCOMPARE(feed.needs, QStringLiteral("notify-keyspace-events Kg$hxe"));
    // It polls: a change shows up with the next pass, not before being asked for.
    server.command({"SET", "lock:y", "2", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(service.views().front().lastResult.locks.size() == 2, 10'000);
    // And nothing of the server was changed.
    QCOMPARE(server.command({"CONFIG", "GET", "notify-keyspace-events"}).elements.value(1).string, QByteArray(""));
}

void TestLiveLocks::requireNeverPollsAndOffNeverFollows()
{
    RedisServer bare;
    QString error;
    QVERIFY2(bare.start(&error), qPrintable(error));
    bare.command({"SET", "lock:x", "1", "PX", "600000"});
    {
        RedisEndpointConfig c = endpointFor(bare, RedisEndpointConfig::Notifications::Require);
        c.pollIntervalMs = 100;
        RedisLockBackend backend(c, {});
        QSignalSpy errors(&backend, &LockBackend::errorOccurred);
        QSignalSpy passes(&backend, &LockBackend::scanFinished);
        backend.open();
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 10'000);
        QVERIFY2(errors.last().first().toString().contains(QStringLiteral("notifications: require")), qPrintable(errors.last().first().toString()));
        for (int i = 0; i < 5; ++i)
            backend.scan(); // what the poll timer would do
        QTest::qWait(300);
        QCOMPARE(passes.size(), 0);
        QVERIFY(!backend.lastResult().finishedAt.isValid());
    }
    RedisServer notifying(withNotifications("AK"));
    QVERIFY2(notifying.start(&error), qPrintable(error));
    RedisLockBackend off(endpointFor(notifying, RedisEndpointConfig::Notifications::Off), {});
    off.open();
    QTRY_VERIFY_WITH_TIMEOUT(off.isConnected(), 10'000);
    QSignalSpy pass(&off, &LockBackend::scanFinished);
    off.scan();
    QVERIFY(pass.wait(10'000));
    QCOMPARE(off.feedState().mode, LockFeedState::Polling);
    QVERIFY(off.feedState().why.contains(QStringLiteral("notifications: off")));
    notifying.command({"SET", "lock:z", "1", "PX", "600000"});
    QTest::qWait(300);
    QVERIFY(!row(off, "lock:z"));
    // Nobody subscribed: Fulcrum did not listen.
    QCOMPARE(notifying.command({"PUBSUB", "NUMPAT"}).integer, 0);
}

void TestLiveLocks::enableIsTheOnlyConfigSetAndIsAudited()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QTemporaryDir dir;
    AuditLog audit(dir.filePath(QStringLiteral("audit.log")));
    LockService service(&audit);
    service.apply({LockEndpointConfig::fromRedis(endpointFor(server))});
    QTRY_VERIFY_WITH_TIMEOUT(service.views().front().feed.canEnable, 10'000);
    // Connecting, passing and checking sent no CONFIG SET.
    QVERIFY(!server.command({"INFO", "commandstats"}).string.contains("cmdstat_config|set"));
    QCOMPARE(server.command({"CONFIG", "GET", "notify-keyspace-events"}).elements.value(1).string, QByteArray(""));

    // Flags someone else set stay: Fulcrum adds, never takes away.
    server.command({"CONFIG", "SET", "notify-keyspace-events", "El"});
    std::optional<std::pair<bool, QString>> answer;
    service.enableNotifications(QStringLiteral("live"), QStringLiteral("alice"), QStringLiteral("test"),
                                [&](bool ok, const QString &message) { answer = {ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 10'000);
    QVERIFY2(answer->first, qPrintable(answer->second));
    const QByteArray flags = server.command({"CONFIG", "GET", "notify-keyspace-events"}).elements.value(1).string;
    for (const char c : QByteArray("KEglhxe$"))
        QVERIFY2(flags.contains(c), flags.constData());
    QVERIFY(server.command({"INFO", "commandstats"}).string.contains("cmdstat_config|set:calls=2")); // the test's and Fulcrum's
    const QList<AuditEntry> entries = audit.recent(10);
    QCOMPARE(entries.size(), qsizetype(1));
    QCOMPARE(entries.first().action, QStringLiteral("enable-notifications"));
    QCOMPARE(entries.first().user, QStringLiteral("alice"));
    QCOMPARE(entries.first().result, QStringLiteral("ok"));
    QVERIFY2(entries.first().before.contains(QStringLiteral("Kg$hxe")), qPrintable(entries.first().before));
    QVERIFY(entries.first().target.contains(QString::number(server.port())));

    // It goes live by itself now, and follows.
    QTRY_VERIFY_WITH_TIMEOUT(service.views().front().feed.mode == LockFeedState::Live, 15'000);
    QSignalSpy rows(&service, &LockService::rowsChanged);
    server.command({"SET", "lock:after-enable", "t", "PX", "600000"});
    QVERIFY(rows.wait(10'000));
    QCOMPARE(rows.first().at(0).toString(), QStringLiteral("live"));
    QCOMPARE(rows.first().at(1).value<LockChanges>().upserted.first().key, QByteArray("lock:after-enable"));
}

void TestLiveLocks::managedRedisRefusalNamesTheSetting()
{
    // A managed Redis hides CONFIG; here it is renamed away, as the providers do.
    RedisServer::Options o;
    o.extraConfig << QStringLiteral("rename-command CONFIG \"\"");
    RedisServer server(o);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QTemporaryDir dir;
    AuditLog audit(dir.filePath(QStringLiteral("audit.log")));
    LockService service(&audit);
    service.apply({LockEndpointConfig::fromRedis(endpointFor(server))});
    QTRY_VERIFY_WITH_TIMEOUT(service.views().front().feed.why.contains(QStringLiteral("refused")), 10'000);
    QCOMPARE(service.views().front().feed.mode, LockFeedState::Polling);
    QVERIFY(service.views().front().feed.why.contains(QStringLiteral("notifications: require")));
    std::optional<std::pair<bool, QString>> answer;
    service.enableNotifications(QStringLiteral("live"), QStringLiteral("bob"), QStringLiteral("test"),
                                [&](bool ok, const QString &message) { answer = {ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 10'000);
    QVERIFY(!answer->first);
    QVERIFY2(answer->second.contains(QStringLiteral("parameter group")) && answer->second.contains(QStringLiteral("nothing was changed")),
             qPrintable(answer->second));
    QCOMPARE(audit.recent(10).size(), qsizetype(1));
    QVERIFY(audit.recent(10).first().result.startsWith(QStringLiteral("failed")));
    // An unknown endpoint is named.
    std::optional<std::pair<bool, QString>> unknown;
    service.enableNotifications(QStringLiteral("nope"), QStringLiteral("bob"), QStringLiteral("test"),
                                [&](bool ok, const QString &message) { unknown = {ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(unknown.has_value(), 10'000);
    QVERIFY(!unknown->first && unknown->second.contains(QStringLiteral("\"nope\" does not exist")));
}

void TestLiveLocks::aclUserWithoutChannelsPollsAndSaysWhatToGrant()
{
    // Redis 7's ACL users get no pub/sub channel by default (acl-pubsub-default resetchannels).
    RedisServer server(withNotifications());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QCOMPARE(server.command({"ACL", "SETUSER", "inspector", "on", ">inspector-pass", "~*", "+@all", "resetchannels"}).string, QByteArray("OK"));
    server.command({"SET", "lock:acl", "t", "PX", "600000"});
    RedisEndpointConfig c = endpointFor(server);
    c.user = QStringLiteral("inspector");
    RedisLockBackend backend(c, "inspector-pass");
    QSignalSpy passes(&backend, &LockBackend::scanFinished);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.feedState().why.contains(QStringLiteral("refused PSUBSCRIBE")), 10'000);
    const LockFeedState feed = backend.feedState();
    QCOMPARE(feed.mode, LockFeedState::Polling);
    QVERIFY2(feed.why.contains(QStringLiteral("NOPERM")) && feed.why.contains(QStringLiteral("ACL SETUSER inspector &__keyspace@0__:lock:*")),
             qPrintable(feed.why));
    // Polled meanwhile: a pass lists the lock.
    backend.scan();
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:acl"), 10'000);
    // Granted and reconnected: live.
    // What the message says to grant is enough.
    server.command({"ACL", "SETUSER", "inspector", "&__keyspace@0__:lock:*"});
    server.command({"CLIENT", "KILL", "USER", "inspector"});
    QVERIFY2(waitForFeed(backend, LockFeedState::Live), qPrintable(backend.feedState().why));
    server.command({"SET", "lock:acl:2", "t", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(row(backend, "lock:acl:2"), 10'000);
}

void TestLiveLocks::engineStreamsRowChangesAndCtlFollowsThem()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    InProcessDemoBackend app(QStringLiteral("app1"));
    QVERIFY(app.isListening());
    FulcrumdProcess::Options options;
    options.servers = {{QStringLiteral("app1"), app.port()}};
    options.redisPort = server.port();
    FulcrumdProcess engine(options);
    QString log;
    QVERIFY2(engine.start(&log), qPrintable(log));
    QTRY_VERIFY_WITH_TIMEOUT(engine.request("GET", "/api/v1/locks/cache").value(QStringLiteral("feed")).toObject()
                                 .value(QStringLiteral("can_enable")).toBool(), 15'000);

    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QProcess enable;
    enable.setProcessEnvironment(env);
    enable.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("locks"), QStringLiteral("notifications"), QStringLiteral("enable"),
                                                           QStringLiteral("--endpoint"), QStringLiteral("cache"), QStringLiteral("--engine"),
                                                           engine.adminUrl().toString(), QStringLiteral("--token-file"), engine.tokenFile()});
    QVERIFY(enable.waitForFinished(30'000));
    QVERIFY2(enable.exitCode() == 0, enable.readAllStandardError().constData());
    QVERIFY(enable.readAllStandardOutput().contains("notify-keyspace-events"));
    QTRY_COMPARE_WITH_TIMEOUT(engine.request("GET", "/api/v1/locks/cache").value(QStringLiteral("feed")).toObject()
                                  .value(QStringLiteral("mode")).toString(), QStringLiteral("live"), 15'000);
    const QJsonArray audit = engine.request("GET", "/api/v1/audit").value(QStringLiteral("entries")).toArray();
    QVERIFY(std::any_of(audit.begin(), audit.end(), [](const QJsonValue &e) {
        return e.toObject().value(QStringLiteral("action")).toString() == u"enable-notifications";
    }));

    QProcess follow;
    follow.setProcessEnvironment(env);
    follow.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--engine"),
                                                           engine.adminUrl().toString(), QStringLiteral("--token-file"), engine.tokenFile(),
                                                           QStringLiteral("--endpoint"), QStringLiteral("cache"), QStringLiteral("--follow")});
    QVERIFY(follow.waitForStarted());
    QByteArray out;
    // The table first, with the endpoint's feed.
    QTRY_VERIFY_WITH_TIMEOUT((out += follow.readAllStandardOutput()).contains("live ("), 15'000);
    server.command({"SET", "lock:followed", "holder-9", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT((out += follow.readAllStandardOutput()).contains("cache: + lock:followed  plain  holder holder-9"), 15'000);
    server.command({"DEL", "lock:followed"});
    QTRY_VERIFY_WITH_TIMEOUT((out += follow.readAllStandardOutput()).contains("cache: - lock:followed"), 15'000);
    follow.kill();
    follow.waitForFinished();
}

QTEST_GUILESS_MAIN(TestLiveLocks)
#include "tst_livelocks.moc"
