#include "engine/inprocessenginelink.h"
#include "locks/lockbackends.h"
#include "lockmodel.h"
#include "locksview.h"
#include "locksviewrows.h"
#include "redisclusterservers.h"
#include "redisserver.h"
#include "redissentinelserver.h"

#include <QComboBox>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace fulcrum::ui;

// The console's Locks view on Redis as production runs it, through the embedded engine: a
// Cluster's rows from every master with their node, a Sentinel endpoint that follows a real
// SENTINEL FAILOVER while the view is open (the event says so, the table goes on), and a TLS
// endpoint whose certificate is not verified, named in red in the picker.
class TestRedisConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void clusterSentinelAndInsecureTls();

private:
    std::unique_ptr<RedisClusterServers> m_cluster;
    std::unique_ptr<RedisServer> m_master;
    std::unique_ptr<RedisServer> m_replica;
    std::unique_ptr<RedisSentinelServer> m_sentinel;
    std::unique_ptr<RedisServer> m_tls;
};

void TestRedisConsole::initTestCase()
{
    QString error;
    m_cluster = std::make_unique<RedisClusterServers>(3, 0);
    QVERIFY2(m_cluster->start(&error), qPrintable(error));
    m_master = std::make_unique<RedisServer>();
    QVERIFY2(m_master->start(&error), qPrintable(error));
    m_replica = std::make_unique<RedisServer>(RedisServer::Options{{}, false, {QStringLiteral("replicaof 127.0.0.1 %1").arg(m_master->port())}, false, false});
    QVERIFY2(m_replica->start(&error), qPrintable(error));
    m_sentinel = std::make_unique<RedisSentinelServer>(QStringLiteral("checkout"), m_master->address());
    QVERIFY2(m_sentinel->start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(m_sentinel->command({"SENTINEL", "replicas", "checkout"}).string.contains(QByteArray::number(m_replica->port())), 30'000);
    m_tls = std::make_unique<RedisServer>(RedisServer::Options{{}, false, {}, true, false});
    QVERIFY2(m_tls->start(&error), qPrintable(error));
}

static InProcessLockEndpoint endpoint(const QString &address, const QString &name)
{
    InProcessLockEndpoint e;
    QString error;
    if (!parseLockEndpointAddress(address, &e.config, &error))
        qFatal("%s", qPrintable(error));
    e.config.redis.name = name;
    e.config.redis.pollIntervalMs = 200;
    return e;
}

void TestRedisConsole::clusterSentinelAndInsecureTls()
{
    for (int i = 0; i < 30; ++i)
        m_cluster->command({"SET", "lock:cart:" + QByteArray::number(i), "tok-" + QByteArray::number(i), "PX", "600000"});
    m_master->command({"SET", "lock:checkout:1", "before", "PX", "600000"});

    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    options.locks.append(endpoint(QStringLiteral("redis-cluster://%1").arg(m_cluster->server(0).address()), QStringLiteral("orders")));
    options.locks.append(endpoint(QStringLiteral("redis-sentinel://%1/checkout").arg(m_sentinel->address()), QStringLiteral("checkout")));
    InProcessLockEndpoint insecure = endpoint(QStringLiteral("rediss://127.0.0.1:%1").arg(m_tls->tlsPort()), QStringLiteral("managed"));
    insecure.config.redis.tlsInsecure = true;
    options.locks.append(insecure);
    InProcessEngineLink link(options);
    QList<LinkEvent> events;
    QObject::connect(&link, &EngineLink::eventsReady, &link, [&events](const QList<LinkEvent> &more) { events += more; });
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.resize(1100, 600);
    view.show();

    auto *picker = view.findChild<QComboBox *>(QStringLiteral("lockEndpoints"));
    QVERIFY(picker);
    const int clusterItem = picker->findData(QStringLiteral("orders"));
    const int sentinelItem = picker->findData(QStringLiteral("checkout"));
    const int insecureItem = picker->findData(QStringLiteral("managed"));
    QCOMPARE(picker->itemText(clusterItem), QStringLiteral("orders (Redis Cluster)"));
    QCOMPARE(picker->itemText(sentinelItem), QStringLiteral("checkout (Redis (Sentinel))"));
    QVERIFY2(picker->itemText(insecureItem).contains(u"TLS NOT VERIFIED"), qPrintable(picker->itemText(insecureItem)));
    QCOMPARE(picker->itemData(insecureItem, Qt::ForegroundRole).value<QBrush>().color(), QColor(0xc0, 0x1c, 0x28));
    QVERIFY(!picker->itemData(clusterItem, Qt::ForegroundRole).isValid());
    // Chosen, the picker itself is red and says why on hover.
    picker->setCurrentIndex(insecureItem);
    QVERIFY(picker->styleSheet().contains(u"#c01c28"));
    QVERIFY(picker->toolTip().contains(u"tls_insecure"));

    // The cluster: every master's rows in one table.
    picker->setCurrentIndex(clusterItem);
    QTRY_VERIFY_WITH_TIMEOUT(view.table()->model()->rowCount() == 30, 20'000);

    // Sentinel: the lock, then a failover while the view is open.
    picker->setCurrentIndex(sentinelItem);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, QStringLiteral("lock:checkout:1")) >= 0, 20'000);
    QCOMPARE(m_master->command({"WAIT", "1", "5000"}).integer, 1);
    QVERIFY(m_sentinel->command({"SENTINEL", "FAILOVER", "checkout"}).type != RedisReply::Error);
    auto announced = [&events, this] {
        for (const LinkEvent &e : events) {
            const QString text = e.what + u' ' + e.detail + u' ' + e.after;
            if (text.contains(u"failover") && text.contains(m_replica->address()))
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(announced(), 30'000);
    QTRY_VERIFY_WITH_TIMEOUT(m_replica->command({"ROLE"}).elements.value(0).string == "master", 15'000);
    m_replica->command({"SET", "lock:checkout:2", "after", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, QStringLiteral("lock:checkout:2")) >= 0, 20'000);
    QVERIFY(rowOf(&view, QStringLiteral("lock:checkout:1")) >= 0);
}

QTEST_MAIN(TestRedisConsole)
#include "tst_redisconsole.moc"
