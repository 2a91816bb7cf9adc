// Redis Cluster's slot map, without a server: the hash every cluster client must agree on, the
// two topology replies, and the redirects. tst_rediscluster runs the same code against a real
// cluster.
#include "locks/redis/redisclustertopology.h"

#include <QTest>

using namespace fulcrum;

class TstRedisClusterTopology : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void crc16MatchesRedis();
    void slotsFollowHashTags();
    void clusterNodesText();
    void clusterShardsReply();
    void redirects();
};

void TstRedisClusterTopology::crc16MatchesRedis()
{
    // The reference value from the Redis Cluster specification (CRC16/XMODEM of "123456789").
    QCOMPARE(redisCrc16("123456789"), quint16(0x31C3));
    // Slots redis-cli's CLUSTER KEYSLOT gives for these keys.
    QCOMPARE(redisKeySlot("foo"), 12182);
    QCOMPARE(redisKeySlot("lock:order:42"), int(redisCrc16("lock:order:42") % 16384));
    QCOMPARE(redisKeySlot(""), 0);
    // The table-driven CRC against the bit-by-bit definition, over keys of every byte value.
    auto bitwise = [](const QByteArray &bytes) {
        quint16 crc = 0;
        for (const char c : bytes) {
            crc ^= quint16(quint8(c)) << 8;
            for (int bit = 0; bit < 8; ++bit)
                crc = (crc & 0x8000) ? quint16((crc << 1) ^ 0x1021) : quint16(crc << 1);
        }
        return crc;
    };
    QByteArray key;
    for (int i = 0; i < 2000; ++i) {
        key.append(char((i * 131 + 7) % 256));
        if (key.size() > 40)
            key.remove(0, 17);
        QCOMPARE(redisCrc16(key), bitwise(key));
    }
}

void TstRedisClusterTopology::slotsFollowHashTags()
{
    QCOMPARE(redisKeySlot("{user1000}.following"), redisKeySlot("{user1000}.followers"));
    QCOMPARE(redisKeySlot("{user1000}.following"), redisKeySlot("user1000"));
    // An empty tag hashes the whole key; only the first {...} counts.
    QCOMPARE(redisKeySlot("foo{}{bar}"), int(redisCrc16("foo{}{bar}") % 16384));
    QCOMPARE(redisKeySlot("foo{{bar}}zap"), int(redisCrc16("{bar") % 16384));
    QCOMPARE(redisKeySlot("foo{bar}{zap}"), redisKeySlot("bar"));
    // Fulcrum's own fence counter lives in its lock's slot.
    QCOMPARE(redisKeySlot("fulcrum:fence:{lock:a}"), redisKeySlot("lock:a"));
}

void TstRedisClusterTopology::clusterNodesText()
{
    // Three masters, one replica, a failed old master and a node whose address is not known yet.
    const QByteArray text =
        "07c3 127.0.0.1:30004@40004 slave e7d1 0 1426238317239 4 connected\n"
        "67ed 127.0.0.1:30002@40002,host2 master - 0 1426238316232 2 connected 5461-10922\n"
        "2921 :0@0 myself,master - 0 0 1 connected 0-5460\n"
        "824f 127.0.0.1:30007@40007 master,fail - 1426238316000 1426238315000 0 disconnected\n"
        "e7d1 127.0.0.1:30003@40003 master - 0 1426238318243 3 connected 10923-16383 [10924->-67ed]\n";
    QString error;
    const auto topology = parseClusterNodes(text, QStringLiteral("127.0.0.1:30001"), &error);
    QVERIFY2(topology, qPrintable(error));
    QCOMPARE(topology->shards.size(), 3); // the failed master serves no slots
    QCOMPARE(topology->masters(), (QStringList{QStringLiteral("127.0.0.1:30001"), QStringLiteral("127.0.0.1:30002"), QStringLiteral("127.0.0.1:30003")}));
    QCOMPARE(topology->coveredSlots(), 16384);
    QCOMPARE(topology->shardForSlot(10923)->replicas, QStringList{QStringLiteral("127.0.0.1:30004")});
    QCOMPARE(topology->shardForSlot(0)->slotsText(), QStringLiteral("0-5460"));
    QCOMPARE(topology->shardForSlot(redisKeySlot("foo"))->master, QStringLiteral("127.0.0.1:30003"));
    QVERIFY(!parseClusterNodes("", QString(), &error));
}

static RedisReply str(const char *s) { return RedisReply{RedisReply::String, s, 0, {}}; }
static RedisReply num(qint64 n) { return RedisReply{RedisReply::Integer, {}, n, {}}; }
static RedisReply arr(QList<RedisReply> e) { return RedisReply{RedisReply::Array, {}, 0, std::move(e)}; }

static RedisReply node(const char *id, qint64 port, const char *role, const char *health, qint64 tlsPort = 0)
{
    QList<RedisReply> f{str("id"), str(id), str("port"), num(port), str("ip"), str("127.0.0.1"), str("endpoint"), str("127.0.0.1"),
                        str("role"), str(role), str("replication-offset"), num(0), str("health"), str(health)};
    if (tlsPort)
        f << str("tls-port") << num(tlsPort);
    return arr(f);
}

void TstRedisClusterTopology::clusterShardsReply()
{
    const RedisReply reply = arr({
        arr({str("slots"), arr({num(5461), num(10922)}), str("nodes"), arr({node("b", 7001, "master", "online", 8001)})}),
        // After a failover: the old master failed, its replica took over.
        arr({str("slots"), arr({num(0), num(5460)}), str("nodes"),
             arr({node("a", 7000, "master", "fail"), node("d", 7003, "master", "online"), node("e", 7004, "replica", "online")})}),
        // Not failed over yet: the shard's only master is marked failed.
        arr({str("slots"), arr({num(10923), num(16383)}), str("nodes"), arr({node("c", 7002, "master", "fail")})}),
    });
    QString error;
    const auto topology = parseClusterShards(reply, false, &error);
    QVERIFY2(topology, qPrintable(error));
    QCOMPARE(topology->shards.size(), 3);
    QCOMPARE(topology->shards[0].master, QStringLiteral("127.0.0.1:7003"));
    QCOMPARE(topology->shards[0].replicas, QStringList{QStringLiteral("127.0.0.1:7004")});
    QVERIFY(topology->shards[2].masterFailed);
    QCOMPARE(topology->masters(), (QStringList{QStringLiteral("127.0.0.1:7003"), QStringLiteral("127.0.0.1:7001")}));
    QCOMPARE(topology->coveredSlots(), 16384 - 5461);
    // With TLS each node is reached on its tls-port where it has one.
    const auto tls = parseClusterShards(reply, true, &error);
    QVERIFY(tls);
    QCOMPARE(tls->shardForSlot(6000)->master, QStringLiteral("127.0.0.1:8001"));
    QVERIFY(!parseClusterShards(RedisReply{RedisReply::Error, "ERR unknown subcommand 'SHARDS'", 0, {}}, false, &error));
    QVERIFY(error.contains(u"unknown subcommand"));
}

void TstRedisClusterTopology::redirects()
{
    const auto moved = parseRedisRedirect(RedisReply{RedisReply::Error, "MOVED 3999 127.0.0.1:6381", 0, {}});
    QVERIFY(moved);
    QVERIFY(!moved->ask);
    QCOMPARE(moved->slot, 3999);
    QCOMPARE(moved->node, QStringLiteral("127.0.0.1:6381"));
    const auto ask = parseRedisRedirect(RedisReply{RedisReply::Error, "ASK 3999 127.0.0.1:6382", 0, {}});
    QVERIFY(ask && ask->ask && ask->node == u"127.0.0.1:6382");
    QVERIFY(!parseRedisRedirect(RedisReply{RedisReply::Error, "ERR wrong number of arguments", 0, {}}));
    QVERIFY(!parseRedisRedirect(RedisReply{RedisReply::Error, "MOVED 99999 127.0.0.1:6381", 0, {}}));
    QVERIFY(!parseRedisRedirect(RedisReply{RedisReply::String, "MOVED 1 127.0.0.1:6381", 0, {}}));
}

QTEST_GUILESS_MAIN(TstRedisClusterTopology)
#include "tst_redisclustertopology.moc"
