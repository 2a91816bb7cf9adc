// Redis Cluster as a lock endpoint, against real clusters made by redis-cli --cluster create:
// three masters (rows from every shard, each once, with shard and node; release routed by slot,
// following a real MOVED and a real ASK during a slot migration) and three masters with three
// replicas (a master SIGKILLed mid-life: the replica takes over, the endpoint says so and the
// next pass is complete again). Live (issue 18): one keyspace subscription per master, turned on
// by the enable action on every master, followed with no pass, and made again on the new master
// after a failover. Both clusters start once for the suite.
#include "locks/lockbackends.h"
#include "locks/redis/redisclusterlockbackend.h"
#include "locks/redis/redisclustertopology.h"
#include "locks/redis/rediskeyspacefeed.h"
#include "freeport.h"
#include "locks/redis/lockclient.h"
#include "programs.h"
#include "redisclusterservers.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <functional>
#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;

class TestRedisCluster : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void rowsFromEveryShardOnce();
    void anEndpointGoneMidPassLeavesNothingBehind();
    void releaseGoesToTheSlotsMaster();
    void releaseFollowsMovedAndAsk();
    void notAClusterNode();
    void fulcrumctlLocksInTheSlotsMaster();
    void fulcrumctlLockRunFollowsAResharding();
    void failoverIsNoticedAndThePassCompleteAgain();
    void liveOnEveryMasterAfterTheEnableAction();
    void liveSubscriptionIsMadeAgainAfterAFailover();

private:
    static RedisEndpointConfig configFor(RedisClusterServers &cluster, const QStringList &seeds = {});
    static LockScanResult scanUntil(LockBackend &backend, const std::function<bool(const LockScanResult &)> &accept, int timeoutMs = 40'000);
    static ForceReleaseResult releaseNow(LockBackend &backend, const QByteArray &key, const QByteArray &holder);
    static void writeLocks(RedisClusterServers &cluster, const QByteArray &prefix, int count);

    std::unique_ptr<RedisClusterServers> m_three;
    std::unique_ptr<RedisClusterServers> m_replicated;
};

void TestRedisCluster::initTestCase()
{
    m_three = std::make_unique<RedisClusterServers>(3, 0);
    QString error;
    QVERIFY2(m_three->start(&error), qPrintable(error));
    m_replicated = std::make_unique<RedisClusterServers>(3, 1);
    QVERIFY2(m_replicated->start(&error), qPrintable(error));
}

RedisEndpointConfig TestRedisCluster::configFor(RedisClusterServers &cluster, const QStringList &seeds)
{
    RedisEndpointConfig config;
    config.name = QStringLiteral("cluster");
    config.topology = RedisEndpointConfig::Topology::Cluster;
    config.nodes = seeds.isEmpty() ? QStringList{cluster.server(0).address()} : seeds;
    return config;
}

LockScanResult TestRedisCluster::scanUntil(LockBackend &backend, const std::function<bool(const LockScanResult &)> &accept, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        QSignalSpy finished(&backend, &LockBackend::scanFinished);
        QSignalSpy interrupted(&backend, &LockBackend::scanInterrupted);
        backend.scan();
        (void)QTest::qWaitFor([&] { return finished.count() > 0 || interrupted.count() > 0; }, 10'000);
        if (finished.count() > 0 && accept(backend.lastResult()))
            return backend.lastResult();
        QTest::qWait(200);
    }
    return backend.lastResult();
}

ForceReleaseResult TestRedisCluster::releaseNow(LockBackend &backend, const QByteArray &key, const QByteArray &holder)
{
    std::optional<ForceReleaseResult> outcome;
    backend.release(LockReleaseRequest{LockReleaseRequest::Delete, key, holder}, [&outcome](const ForceReleaseResult &r) { outcome = r; });
    (void)QTest::qWaitFor([&] { return outcome.has_value(); }, 15'000);
    return outcome.value_or(ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("no answer")});
}

void TestRedisCluster::writeLocks(RedisClusterServers &cluster, const QByteArray &prefix, int count)
{
    for (int i = 0; i < count; ++i) {
        const QByteArray key = prefix + QByteArray::number(i);
        const RedisReply reply = cluster.command({"SET", key, "token-" + QByteArray::number(i), "PX", "600000"});
        QVERIFY2(reply.type == RedisReply::Status, qPrintable(reply.errorText()));
    }
}

void TestRedisCluster::rowsFromEveryShardOnce()
{
    writeLocks(*m_three, "lock:order:", 300);
    // A Redisson lock too, hashed into one slot by its tag.
    QCOMPARE(m_three->command({"HSET", "lock:{stock}:42", "8d3f-uuid:77", "1"}).integer, 1);
    QCOMPARE(m_three->command({"HSET", "lock:{cart}:9", "aa11-uuid:5", "2"}).integer, 1);
    // And two taken by Fulcrum's own client, with their fencing tokens.
    QCOMPARE(m_three->command({"SET", "lock:fenced", "fulcrum:0123456789abcdef0123456789abcdef:17", "PX", "600000"}).type, RedisReply::Status);
    QCOMPARE(m_three->command({"SET", "lock:fenced:2", "fulcrum:0123456789abcdef0123456789abcdef:18", "PX", "600000"}).type, RedisReply::Status);
    // Not a lock: a counter under the same pattern is a note, not a row.
    m_three->command({"LPUSH", "lock:queue", "x"});

    for (const QString &master : m_three->masterAddresses()) {
        QVERIFY(m_three->serverAt(master));
        m_three->serverAt(master)->command({"CONFIG", "RESETSTAT"});
    }

    // Seeded with one node only: the rest of the cluster is found from it.
    RedisClusterLockBackend backend(configFor(*m_three));
    QSignalSpy topology(&backend, &LockBackend::topologyChanged);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    QCOMPARE(topology.count(), 1);
    QVERIFY2(topology.first().first().toString().contains(u"cluster of 3 masters"), qPrintable(topology.first().first().toString()));
    QCOMPARE(backend.topology().masters().size(), 3);

    // While a pass runs, each shard's progress is named.
    {
        QSignalSpy finished(&backend, &LockBackend::scanFinished);
        backend.scan();
        const QString detail = backend.passProgressDetail();
        QCOMPARE(detail.count(QStringLiteral(" · ")), 2);
        for (const RedisClusterShard &shard : backend.topology().shards)
            QVERIFY2(detail.contains(shard.slotsText()), qPrintable(detail));
        QVERIFY(finished.wait(10'000));
        QVERIFY(backend.passProgressDetail().isEmpty());
    }
    const LockScanResult result = scanUntil(backend, [](const LockScanResult &r) { return r.locks.size() >= 304; });
    QCOMPARE(result.locks.size(), 304);
    QVERIFY(!result.truncated);
    QSet<QByteArray> keys;
    QSet<QString> nodes;
    for (const LockInfo &lock : result.locks) {
        QVERIFY2(!keys.contains(lock.key), lock.key.constData());
        keys.insert(lock.key);
        const QString node = lock.detailString(QStringLiteral("node"));
        nodes.insert(node);
        // Each row names the master that really holds the key.
        QCOMPARE(node, m_three->masterOf(lock.key));
        QCOMPARE(lock.detailInteger(QStringLiteral("slot")), qint64(redisKeySlot(lock.key)));
        QVERIFY(!lock.detailString(QStringLiteral("shard")).isEmpty());
    }
    QCOMPARE(nodes.size(), 3);
    const LockInfo *order = nullptr;
    for (const LockInfo &lock : result.locks)
        order = lock.key == "lock:order:7" ? &lock : order;
    QVERIFY(order);
    QCOMPARE(order->holder, QByteArray("token-7"));
    QVERIFY(order->ttlMs > 0);
    // A row's own details and its placement side by side (one merged object per row), each
    // row with its own values though rows of one kind are built from one template.
    for (const LockInfo &lock : result.locks) {
        if (lock.key == "lock:{stock}:42" || lock.key == "lock:{cart}:9") {
            const bool stock = lock.key == "lock:{stock}:42";
            QCOMPARE(lock.detailString(QStringLiteral("owner_uuid")), stock ? QStringLiteral("8d3f-uuid") : QStringLiteral("aa11-uuid"));
            QCOMPARE(lock.detailInteger(QStringLiteral("thread_id")), stock ? 77 : 5);
            QCOMPARE(lock.detailInteger(QStringLiteral("reentrancy")), stock ? 1 : 2);
            QCOMPARE(lock.details.size(), 6);
        } else if (lock.key.startsWith("lock:fenced")) {
            QCOMPARE(lock.detailInteger(QStringLiteral("fence")), lock.key == "lock:fenced" ? 17 : 18);
            QCOMPARE(lock.details.size(), 4);
        } else {
            QCOMPARE(lock.details.size(), 3);
        }
    }
    QVERIFY(keys.contains("lock:{stock}:42"));
    QVERIFY(keys.contains("lock:fenced"));
    bool noted = false;
    for (const LockScanNote &note : result.notes)
        noted = noted || note.key == "lock:queue";
    QVERIFY(noted);
    // The progress of a pass adds up the shards.
    QVERIFY(result.keysScanned >= 305);

    // Strings are read in the pass's first round on every master: no read refused for spanning
    // slots (an MGET over a batch's keys is CROSSSLOT on a cluster, and then every key needed a
    // second look), and TYPE only for what is not a string (the hashes and the list).
    qint64 typeCalls = 0;
    for (const QString &master : m_three->masterAddresses()) {
        const QByteArray errors = m_three->serverAt(master)->command({"INFO", "errorstats"}).string;
        QVERIFY2(!errors.contains("CROSSSLOT"), errors.constData());
        const QByteArray stats = m_three->serverAt(master)->command({"INFO", "commandstats"}).string;
        const qsizetype at = stats.indexOf("cmdstat_type:calls=");
        if (at >= 0)
            typeCalls += stats.mid(at + 19, stats.indexOf(',', at) - at - 19).toLongLong();
    }
    const int passes = 2; // the one watched above and scanUntil's
    QVERIFY2(typeCalls <= 3 * passes + 2, qPrintable(QStringLiteral("%1 TYPE calls for 3 non-strings in %2 passes").arg(typeCalls).arg(passes)));
}

static int threadCount()
{
    return int(QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size());
}

static int connectedClients(RedisServer &server)
{
    const QByteArray info = server.command({"INFO", "clients"}).string;
    const qsizetype at = info.indexOf("connected_clients:");
    return at < 0 ? -1 : info.mid(at + 18, info.indexOf('\r', at) - at - 18).toInt();
}

// Each master is read on a pass thread of the endpoint's, over a connection of its own. A reload
// or a removed endpoint (the backend deleted) in the middle of a pass, and then again right after
// a pass was asked for, must take those threads and connections with it, and the rows of a
// pass still under way must never reach a backend that is gone.
void TestRedisCluster::anEndpointGoneMidPassLeavesNothingBehind()
{
    writeLocks(*m_three, "lock:gone:", 3000);
    const int threadsBefore = threadCount();
    QMap<QString, int> clientsBefore;
    for (const QString &master : m_three->masterAddresses())
        clientsBefore[master] = connectedClients(*m_three->serverAt(master));

    for (const bool waitForProgress : {true, false}) {
        auto backend = std::make_unique<RedisClusterLockBackend>(configFor(*m_three));
        backend->open();
        QTRY_VERIFY_WITH_TIMEOUT(backend->isConnected(), 15'000);
        // A complete pass first: every master's rows came back from its pass thread.
        const LockScanResult result = scanUntil(*backend, [](const LockScanResult &r) { return r.locks.size() >= 3000 && !r.truncated; });
        QVERIFY(result.locks.size() >= 3000);
        QVERIFY(threadCount() > threadsBefore);
        QSignalSpy progress(backend.get(), &LockBackend::progress);
        QSignalSpy finished(backend.get(), &LockBackend::scanFinished);
        backend->scan();
        if (waitForProgress)
            QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0 || finished.count() > 0, 10'000);
        backend.reset();
        QTest::qWait(50); // what the pass threads posted before they went is dropped, not delivered
        QCOMPARE(threadCount(), threadsBefore);
        for (const QString &master : m_three->masterAddresses())
            QTRY_COMPARE_WITH_TIMEOUT(connectedClients(*m_three->serverAt(master)), clientsBefore.value(master), 10'000);
    }
}

void TestRedisCluster::releaseGoesToTheSlotsMaster()
{
    writeLocks(*m_three, "lock:release:", 30);
    RedisClusterLockBackend backend(configFor(*m_three, {m_three->server(2).address()}));
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    // Keys on every master, whichever node was the seed.
    QSet<QString> owners;
    for (int i = 0; i < 30; ++i) {
        const QByteArray key = "lock:release:" + QByteArray::number(i);
        owners.insert(m_three->masterOf(key));
        const ForceReleaseResult result = releaseNow(backend, key, "token-" + QByteArray::number(i));
        QCOMPARE(result.outcome, ForceReleaseResult::Released);
        QCOMPARE(m_three->command({"EXISTS", key}).integer, 0);
    }
    QCOMPARE(owners.size(), 3);
    // Compare first: another holder's lock stays.
    m_three->command({"SET", "lock:release:x", "someone-else", "PX", "600000"});
    const ForceReleaseResult changed = releaseNow(backend, "lock:release:x", "token-x");
    QCOMPARE(changed.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(changed.currentHolder, QByteArray("someone-else"));
    QCOMPARE(m_three->command({"EXISTS", "lock:release:x"}).integer, 1);
    QCOMPARE(releaseNow(backend, "lock:release:none", "t").outcome, ForceReleaseResult::Gone);
}

// Moves a key's slot to another master the way redis-cli --cluster reshard does: IMPORTING on the
// target, MIGRATING on the source, MIGRATE of every key in the slot, and (finish) NODE on all,
// after which the source answers MOVED. Returns the target; what failed goes to *errors.
static QString moveSlotOf(RedisClusterServers &cluster, const QByteArray &key, bool finish, QStringList *errors)
{
    const int slot = redisKeySlot(key);
    const QString source = cluster.masterOf(key);
    QString target;
    for (const QString &master : cluster.masterAddresses())
        target = master != source && target.isEmpty() ? master : target;
    RedisServer *src = cluster.serverAt(source);
    RedisServer *dst = cluster.serverAt(target);
    const QByteArray srcId = cluster.nodeId(source).toUtf8();
    const QByteArray dstId = cluster.nodeId(target).toUtf8();
    const QByteArray slotText = QByteArray::number(slot);
    QList<RedisReply> replies{dst->command({"CLUSTER", "SETSLOT", slotText, "IMPORTING", srcId}),
                              src->command({"CLUSTER", "SETSLOT", slotText, "MIGRATING", dstId})};
    QList<QByteArray> migrate{"MIGRATE", "127.0.0.1", QByteArray::number(dst->port()), "", "0", "5000", "KEYS"};
    for (const RedisReply &k : src->command({"CLUSTER", "GETKEYSINSLOT", slotText, "1000"}).elements)
        migrate << k.string;
    if (migrate.size() > 7)
        replies << src->command(migrate);
    for (const RedisReply &reply : replies) {
        if (reply.type != RedisReply::Status)
            *errors << reply.errorText();
    }
    if (finish) {
        for (int i = 0; i < cluster.size(); ++i)
            cluster.server(i).command({"CLUSTER", "SETSLOT", slotText, "NODE", dstId});
    }
    return target;
}

void TestRedisCluster::releaseFollowsMovedAndAsk()
{
    RedisClusterLockBackend backend(configFor(*m_three));
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    QVERIFY(backend.topology().masters().size() == 3);

    QStringList migrationErrors;
    auto migrate = [&](const QByteArray &key, bool finish) { return moveSlotOf(*m_three, key, finish, &migrationErrors); };

    // ASK: the slot is half-way; the key already lives on the target, the map still says source.
    m_three->command({"SET", "lock:ask", "holder-ask", "PX", "600000"});
    const QString askTarget = migrate("lock:ask", false);
    QVERIFY2(!askTarget.isEmpty() && migrationErrors.isEmpty(), qPrintable(migrationErrors.join(QStringLiteral("; "))));
    const ForceReleaseResult asked = releaseNow(backend, "lock:ask", "holder-ask");
    QVERIFY2(asked.outcome == ForceReleaseResult::Released, qPrintable(asked.message));
    QVERIFY2(asked.message.contains(askTarget), qPrintable(asked.message));
    QCOMPARE(m_three->serverAt(askTarget)->command({"EXISTS", "lock:ask"}).integer, 0);
    // Finish that migration so the cluster is whole again.
    const int askSlot = redisKeySlot("lock:ask");
    for (int i = 0; i < m_three->size(); ++i)
        m_three->server(i).command({"CLUSTER", "SETSLOT", QByteArray::number(askSlot), "NODE", m_three->nodeId(askTarget).toUtf8()});

    // MOVED: the slot has moved for good since the backend read the map.
    m_three->command({"SET", "lock:moved", "holder-moved", "PX", "600000"});
    QTest::qWait(200);
    const QString movedTarget = migrate("lock:moved", true);
    QVERIFY2(migrationErrors.isEmpty(), qPrintable(migrationErrors.join(QStringLiteral("; "))));
    QTRY_COMPARE_WITH_TIMEOUT(m_three->masterOf("lock:moved"), movedTarget, 10'000);
    const ForceReleaseResult moved = releaseNow(backend, "lock:moved", "holder-moved");
    QVERIFY2(moved.outcome == ForceReleaseResult::Released, qPrintable(moved.message));
    QCOMPARE(m_three->command({"EXISTS", "lock:moved"}).integer, 0);
    // A MOVED makes the next pass read the map again: the key's new master is the one named.
    m_three->command({"SET", "lock:moved", "again", "PX", "600000"});
    const LockScanResult result = scanUntil(backend, [](const LockScanResult &r) {
        for (const LockInfo &lock : r.locks) {
            if (lock.key == "lock:moved")
                return true;
        }
        return false;
    });
    QString node;
    for (const LockInfo &lock : result.locks)
        node = lock.key == "lock:moved" ? lock.detailString(QStringLiteral("node")) : node;
    QCOMPARE(node, movedTarget);
}

void TestRedisCluster::notAClusterNode()
{
    RedisServer plain;
    QString error;
    QVERIFY2(plain.start(&error), qPrintable(error));
    RedisEndpointConfig config;
    config.topology = RedisEndpointConfig::Topology::Cluster;
    config.nodes = {plain.address()};
    std::optional<std::pair<bool, QString>> answer;
    QObject context;
    probeLockEndpoint(LockEndpointConfig::fromRedis(config), {}, &context, [&](bool ok, const QString &message) { answer = std::pair{ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 15'000);
    QVERIFY(!answer->first);
    QVERIFY2(answer->second.contains(u"not a cluster node"), qPrintable(answer->second));
    // And a real cluster probes fine, naming its masters.
    answer.reset();
    probeLockEndpoint(LockEndpointConfig::fromRedis(configFor(*m_three)), {}, &context, [&](bool ok, const QString &message) { answer = std::pair{ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 15'000);
    QVERIFY2(answer->first, qPrintable(answer->second));
    QVERIFY(answer->second.contains(u"3 masters"));
}

static ProgramRun fulcrumctl(const QStringList &arguments)
{
    static QTemporaryDir state;   // never the tester's own audit log
    QProcessEnvironment env = componentEnvironment();
    env.insert(QStringLiteral("XDG_STATE_HOME"), state.path());
    return runProgram(binaryPath(QStringLiteral("fulcrumctl")), arguments, env, {}, 30'000);
}

void TestRedisCluster::fulcrumctlLocksInTheSlotsMaster()
{
    // Fulcrum's own lock client on a cluster: the lock and its fencing counter go to the master
    // of the key's slot, whichever node is the seed; a key with a {tag} of its own keeps its
    // counter in the same slot.
    const QString seed = QStringLiteral("redis-cluster://") + m_three->server(0).address();
    for (const QByteArray &key : {QByteArray("lock:{order}:7"), QByteArray("lock:report:nightly")}) {
        ProgramRun run = fulcrumctl({QStringLiteral("lock"), QStringLiteral("acquire"), QString::fromUtf8(key), QStringLiteral("--redis"), seed,
                                     QStringLiteral("--ttl"), QStringLiteral("60s"), QStringLiteral("--json")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject acquired = QJsonDocument::fromJson(run.out.toUtf8()).object();
        const QString token = acquired.value(QStringLiteral("token")).toString();
        QCOMPARE(acquired.value(QStringLiteral("fence")).toInt(), 1);
        RedisServer *owner = m_three->serverAt(m_three->masterOf(key));
        QVERIFY(owner);
        QVERIFY(owner->command({"GET", key}).string.startsWith(token.toUtf8() + ':'));
        QCOMPARE(owner->command({"GET", LockClient::clusterFenceKey(key)}).string, QByteArray("1"));
        QCOMPARE(redisKeySlot(LockClient::clusterFenceKey(key)), redisKeySlot(key));
        // Held: a second acquire is refused (exit 1); the release with the token deletes it.
        run = fulcrumctl({QStringLiteral("lock"), QStringLiteral("acquire"), QString::fromUtf8(key), QStringLiteral("--redis"), seed});
        QCOMPARE(run.exitCode, 1);
        run = fulcrumctl({QStringLiteral("lock"), QStringLiteral("release"), QString::fromUtf8(key), QStringLiteral("--token"), token,
                          QStringLiteral("--redis"), seed});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(owner->command({"EXISTS", key}).integer, 0);
    }
    // lock run: held while the command runs, fence 2 now, released after.
    ProgramRun run = fulcrumctl({QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("lock:report:nightly"), QStringLiteral("--redis"), seed,
                                 QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("echo fence=$FULCRUM_LOCK_FENCE")});
    QVERIFY2(run.exitCode == 0 && run.out.contains(u"fence=2"), qPrintable(run.out + run.err));
    QCOMPARE(m_three->command({"EXISTS", "lock:report:nightly"}).integer, 0);
    // A '}' outside a tag cannot share its counter's slot: refused, with the fix.
    run = fulcrumctl({QStringLiteral("lock"), QStringLiteral("acquire"), QStringLiteral("lock:a}b"), QStringLiteral("--redis"), seed});
    QVERIFY2(run.exitCode == 2 && run.err.contains(u"hash tag"), qPrintable(run.err));
    m_three->command({"DEL", LockClient::clusterFenceKey("lock:{order}:7")});
    m_three->command({"DEL", LockClient::clusterFenceKey("lock:report:nightly")});
}

void TestRedisCluster::fulcrumctlLockRunFollowsAResharding()
{
    // A lock run whose key's slot moves to another master while it holds it (a resharding, as
    // redis-cli --cluster reshard makes it): the renewal gets MOVED, the client reads the map
    // again, renews on the new master and releases there when COMMAND ends.
    const QByteArray key = "lock:resharded";
    QTemporaryDir state;
    QProcessEnvironment env = componentEnvironment();
    env.insert(QStringLiteral("XDG_STATE_HOME"), state.path());
    QProcess run;
    run.setProcessEnvironment(env);
    run.start(binaryPath(QStringLiteral("fulcrumctl")),
              {QStringLiteral("lock"), QStringLiteral("run"), QString::fromUtf8(key), QStringLiteral("--ttl"), QStringLiteral("6s"),
               QStringLiteral("--redis"), QStringLiteral("redis-cluster://") + m_three->server(0).address(), QStringLiteral("--"),
               QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("sleep 8; echo done")});
    QTRY_VERIFY_WITH_TIMEOUT(m_three->command({"EXISTS", key}).integer == 1, 15'000);
    QStringList errors;
    const QString target = moveSlotOf(*m_three, key, true, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QStringLiteral("; "))));
    QTRY_COMPARE_WITH_TIMEOUT(m_three->masterOf(key), target, 10'000);
    RedisServer *owner = m_three->serverAt(target);
    QCOMPARE(owner->command({"EXISTS", key}).integer, 1);
    // Renewed there: its time to live goes up between two readings (else it only goes down).
    // Not against the first reading: taken just after the lock was made, it can be above what
    // a renewal leaves by the time it is read (5984 ms, then 5931 after a renewal), which made
    // this check fail one run in three.
    qint64 last = owner->command({"PTTL", key}).integer;
    bool renewed = false;
    for (QDeadlineTimer deadline(10'000); !renewed && !deadline.hasExpired();) {
        QTest::qWait(50);
        const qint64 now = owner->command({"PTTL", key}).integer;
        renewed = now > last;
        last = now;
    }
    QVERIFY2(renewed, "the lock was not renewed on its slot's new master");
    QVERIFY2(run.waitForFinished(30'000), "lock run did not end");
    const QString stderrText = QString::fromUtf8(run.readAllStandardError());
    QVERIFY2(run.exitStatus() == QProcess::NormalExit && run.exitCode() == 0 && !stderrText.contains(u"failed"), qPrintable(stderrText));
    QVERIFY(run.readAllStandardOutput().contains("done"));
    QCOMPARE(owner->command({"EXISTS", key}).integer, 0);
    m_three->command({"DEL", LockClient::clusterFenceKey(key)});
}

void TestRedisCluster::failoverIsNoticedAndThePassCompleteAgain()
{
    RedisClusterServers &cluster = *m_replicated;
    writeLocks(cluster, "lock:fo:", 200);
    // Seeded with every node, as an operator would.
    RedisClusterLockBackend backend(configFor(cluster, cluster.addresses()));
    QSignalSpy topology(&backend, &LockBackend::topologyChanged);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    LockScanResult before = scanUntil(backend, [](const LockScanResult &r) { return r.locks.size() == 200 && !r.truncated; });
    QCOMPARE(before.locks.size(), 200);

    // Kill the master that holds lock:fo:0; its replica must take over.
    const QString victim = cluster.masterOf("lock:fo:0");
    RedisServer *dead = cluster.serverAt(victim);
    QVERIFY(dead);
    // Fulcrum's lock client holds a lock in that slot across the failover, seeded with the victim
    // first: it finds the promoted replica again and releases the lock there when COMMAND ends.
    QTemporaryDir state;
    QProcessEnvironment env = componentEnvironment();
    env.insert(QStringLiteral("XDG_STATE_HOME"), state.path());
    QProcess run;
    run.setProcessEnvironment(env);
    QStringList seeds{victim};
    for (const QString &node : cluster.addresses()) {
        if (node != victim)
            seeds << node;
    }
    run.start(binaryPath(QStringLiteral("fulcrumctl")),
              {QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("{lock:fo:0}:nightly"), QStringLiteral("--ttl"), QStringLiteral("15s"),
               QStringLiteral("--redis"), QStringLiteral("redis-cluster://") + seeds.join(u','), QStringLiteral("--"),
               QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("sleep 12; echo done")});
    QTRY_VERIFY_WITH_TIMEOUT(dead->command({"EXISTS", "{lock:fo:0}:nightly"}).integer == 1, 15'000);
    // Replication is asynchronous: let the replicas catch up before the kill, so no lock is lost by Redis itself.
    for (const QString &master : cluster.masterAddresses())
        cluster.serverAt(master)->command({"WAIT", "1", "5000"});
    dead->kill();

    // While the shard has no master the table is incomplete, and says so.
    // After the replica is promoted, a pass is complete again: every lock once.
    const LockScanResult after = scanUntil(backend, [](const LockScanResult &r) { return !r.truncated && r.locks.size() == 200; }, 60'000);
    QCOMPARE(after.locks.size(), 200);
    QVERIFY(!after.truncated);
    QSet<QByteArray> keys;
    for (const LockInfo &lock : after.locks) {
        QVERIFY(!keys.contains(lock.key));
        keys.insert(lock.key);
        QVERIFY2(lock.detailString(QStringLiteral("node")) != victim, lock.key.constData());
    }
    // The change was announced: slots moved from the dead master to its replica.
    QVERIFY(topology.count() >= 2);
    const QString last = topology.last().first().toString();
    QVERIFY2(last.contains(victim) && last.contains(u"failover"), qPrintable(last));
    // Observed history survives the failover: first seen is still the first pass's.
    for (const LockInfo &lock : after.locks) {
        if (lock.key == "lock:fo:0") {
            for (const LockInfo &old : before.locks) {
                if (old.key == lock.key)
                    QCOMPARE(lock.firstSeen, old.firstSeen);
            }
        }
    }
    // Releases go to the new master.
    const ForceReleaseResult released = releaseNow(backend, "lock:fo:0", "token-0");
    QVERIFY2(released.outcome == ForceReleaseResult::Released, qPrintable(released.message));
    // The lock lives on in the promoted replica and is renewed there (its TTL goes back up).
    const qint64 ttlAfterFailover = cluster.command({"PTTL", "{lock:fo:0}:nightly"}).integer;
    QVERIFY2(ttlAfterFailover > 0, "the lock did not survive the failover");
    QTRY_VERIFY_WITH_TIMEOUT(cluster.command({"PTTL", "{lock:fo:0}:nightly"}).integer > ttlAfterFailover, 10'000);
    QVERIFY2(run.waitForFinished(40'000), "lock run did not end");
    const QString stderrText = QString::fromUtf8(run.readAllStandardError());
    QVERIFY2(run.exitStatus() == QProcess::NormalExit && run.exitCode() == 0 && !stderrText.contains(u"failed"), qPrintable(stderrText));
    QVERIFY(run.readAllStandardOutput().contains("done"));
    QCOMPARE(cluster.command({"EXISTS", "{lock:fo:0}:nightly"}).integer, 0);   // released on the promoted replica
}

static const LockInfo *rowIn(const LockScanResult &result, const QByteArray &key)
{
    for (const LockInfo &lock : result.locks) {
        if (lock.key == key)
            return &lock;
    }
    return nullptr;
}

void TestRedisCluster::liveOnEveryMasterAfterTheEnableAction()
{
    RedisClusterServers &cluster = *m_three;
    for (const QString &master : cluster.masterAddresses())
        cluster.serverAt(master)->command({"CONFIG", "SET", "notify-keyspace-events", ""});
    RedisEndpointConfig config = configFor(cluster);
    config.lockPatterns = {QStringLiteral("lock:live:*")};
    RedisClusterLockBackend backend(config);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    scanUntil(backend, [](const LockScanResult &r) { return !r.truncated; });
    // No master publishes notifications: polled, and it says what the masters lack.
    QTRY_VERIFY_WITH_TIMEOUT(backend.feedState().canEnable, 10'000);
    QCOMPARE(backend.feedState().mode, LockFeedState::Polling);
    QVERIFY2(backend.feedState().why.contains(QStringLiteral("not every master")), qPrintable(backend.feedState().why));

    // The enable action: CONFIG SET on every master, merged with what each has.
    cluster.serverAt(cluster.masterAddresses().first())->command({"CONFIG", "SET", "notify-keyspace-events", "El"});
    std::optional<std::pair<bool, QString>> enabled;
    backend.enableNotifications([&](bool ok, const QString &message) { enabled = std::make_pair(ok, message); });
    QTRY_VERIFY_WITH_TIMEOUT(enabled.has_value(), 10'000);
    QVERIFY2(enabled->first, qPrintable(enabled->second));
    for (const QString &master : cluster.masterAddresses()) {
        const RedisReply flags = cluster.serverAt(master)->command({"CONFIG", "GET", "notify-keyspace-events"});
        QVERIFY2(flags.elements.size() == 2 && keyspacenotifications::missing(flags.elements[1].string).isEmpty(), qPrintable(master));
    }
    const RedisReply kept = cluster.serverAt(cluster.masterAddresses().first())->command({"CONFIG", "GET", "notify-keyspace-events"});
    QVERIFY2(kept.elements[1].string.contains('l'), kept.elements[1].string.constData());   // nothing taken away

    QTRY_COMPARE_WITH_TIMEOUT(backend.feedState().mode, LockFeedState::Live, 20'000);
    QSignalSpy passes(&backend, &LockBackend::scanFinished);
    QSignalSpy changes(&backend, &LockBackend::rowsChanged);

    // Locks on every shard appear, change and go, each announced by its own master.
    QSet<QString> masters;
    for (int i = 0; i < 30; ++i) {
        const QByteArray key = "lock:live:" + QByteArray::number(i);
        QCOMPARE(cluster.command({"SET", key, "holder-" + QByteArray::number(i), "PX", "600000"}).type, RedisReply::Status);
        masters.insert(cluster.masterOf(key));
    }
    QCOMPARE(masters.size(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(int(std::count_if(backend.lastResult().locks.cbegin(), backend.lastResult().locks.cend(),
                                                 [](const LockInfo &l) { return l.key.startsWith("lock:live:"); })), 30, 10'000);
    for (int i = 0; i < 30; ++i) {
        const QByteArray key = "lock:live:" + QByteArray::number(i);
        const LockInfo *row = rowIn(backend.lastResult(), key);
        QVERIFY(row);
        QCOMPARE(row->detailString(QStringLiteral("node")), cluster.masterOf(key));
        QVERIFY(row->readAt.isValid());
    }
    QCOMPARE(cluster.command({"SET", "lock:live:3", "holder-new", "PX", "600000"}).type, RedisReply::Status);
    QCOMPARE(cluster.command({"DEL", "lock:live:4"}).integer, 1);
    QTRY_VERIFY_WITH_TIMEOUT(!rowIn(backend.lastResult(), "lock:live:4"), 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(rowIn(backend.lastResult(), "lock:live:3") ? rowIn(backend.lastResult(), "lock:live:3")->holder : QByteArray(),
                              QByteArray("holder-new"), 10'000);
    QCOMPARE(passes.count(), 0);
    QVERIFY(changes.count() > 0);
    QVERIFY(backend.feedState().eventsApplied >= 32);
}

void TestRedisCluster::liveSubscriptionIsMadeAgainAfterAFailover()
{
    RedisClusterServers &cluster = *m_replicated;
    // Every node publishes them, replicas too (as a config file would set it).
    for (const QString &node : cluster.addresses()) {
        if (RedisServer *server = cluster.serverAt(node))
            server->command({"CONFIG", "SET", "notify-keyspace-events", "Kg$hxe"});
    }
    RedisEndpointConfig config = configFor(cluster, cluster.addresses());
    config.lockPatterns = {QStringLiteral("lock:flive:*")};
    RedisClusterLockBackend backend(config);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 15'000);
    backend.scan();
    QTRY_COMPARE_WITH_TIMEOUT(backend.feedState().mode, LockFeedState::Live, 20'000);

    // A master that still has its replica (the earlier test killed one of the first three).
    QString victim;
    QByteArray key;
    for (int i = 0; i < 200 && victim.isEmpty(); ++i) {
        key = "lock:flive:" + QByteArray::number(i);
        const QString master = cluster.masterOf(key);
        for (int s = 0; s < 3; ++s) {
            if (cluster.server(s).address() == master && cluster.server(s).isRunning())
                victim = master;
        }
    }
    QVERIFY(!victim.isEmpty());
    for (const QString &master : cluster.masterAddresses())
        cluster.serverAt(master)->command({"WAIT", "1", "5000"});
    cluster.serverAt(victim)->kill();

    // The slot's new master gets a subscription, the table is read whole once, and then the
    // new master's changes are followed.
    // The lost subscription turns the endpoint resyncing; the engine then polls (scan() here, as
    // its timer would), which re-reads the map.
    QTRY_VERIFY_WITH_TIMEOUT(backend.feedState().mode != LockFeedState::Live, 20'000);
    QDeadlineTimer deadline(90'000);
    while (!deadline.hasExpired()
           && !(backend.feedState().mode == LockFeedState::Live && !backend.topology().describe().contains(victim))) {
        backend.scan();
        QTest::qWait(500);
    }
    QVERIFY2(!backend.topology().describe().contains(victim), qPrintable(backend.topology().describe()));
    QCOMPARE(backend.feedState().mode, LockFeedState::Live);
    QSignalSpy passes(&backend, &LockBackend::scanFinished);
    // The cluster itself may still be settling (CLUSTERDOWN for a moment): a client retries.
    QTRY_COMPARE_WITH_TIMEOUT(cluster.command({"SET", key, "after-failover", "PX", "600000"}).type, RedisReply::Status, 30'000);
    QTRY_VERIFY_WITH_TIMEOUT(rowIn(backend.lastResult(), key), 10'000);
    QCOMPARE(rowIn(backend.lastResult(), key)->holder, QByteArray("after-failover"));
    QCOMPARE(rowIn(backend.lastResult(), key)->detailString(QStringLiteral("node")), cluster.masterOf(key));
    QCOMPARE(passes.count(), 0);
}

QTEST_GUILESS_MAIN(TestRedisCluster)
#include "tst_rediscluster.moc"
