#include "locks/zookeeper/zkfourletterwords.h"
#include "locks/zookeeper/zkrecipes.h"

#include <QTest>

using namespace fulcrum;
using namespace fulcrum::zkrecipes;

// The recipe readers on hand-made folders, no server: names, order, holders and waiters.
class TestZkRecipes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void folder_data();
    void folder();
    void curatorSemaphorePendingLeaseIsAWaiter();
    void kazooSemaphoreWaitersComeFromItsLock();
    void planGroupsSemaphoreParts();
    void dataIsReadOnlyWhereARowShowsIt_data();
    void dataIsReadOnlyWhereARowShowsIt();
    void orphanedWaiterAfterASessionTimeoutWithoutMoving();
    void waitersAreKnownFromNamesAlone_data();
    void waitersAreKnownFromNamesAlone();
    void consAnswer();
};

static const QByteArray uuidA = "_c_0f0e4c1a-1111-4a4a-9b9b-000000000001-";
static const QByteArray uuidB = "_c_0f0e4c1a-2222-4a4a-9b9b-000000000002-";
static const QByteArray hexA = "4f1c2a3b4c5d6e7f8091a2b3c4d5e6f7";
static const QByteArray hexB = "00aa2a3b4c5d6e7f8091a2b3c4d5e6f7";

// name, ephemeral owner, ctime, data
static ZkNode node(const QByteArray &name, qint64 owner, qint64 ctime, const QByteArray &data = {}, qint64 czxid = 0)
{
    ZkNode n;
    n.name = name;
    n.stat.ephemeralOwner = owner;
    n.stat.ctime = ctime;
    n.stat.czxid = czxid ? czxid : ctime;
    n.stat.version = 3;
    n.data = data;
    return n;
}

void TestZkRecipes::folder_data()
{
    QTest::addColumn<QList<ZkNode>>("children");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("holder");
    QTest::addColumn<QList<QByteArray>>("holders");
    QTest::addColumn<QList<QByteArray>>("waiters");

    // The uuid prefix must not order the queue: B's uuid sorts first, A's sequence is lower.
    QTest::newRow("curator mutex, by sequence not name")
        << QList<ZkNode>{node(uuidB + "lock-0000000012", 0x101, 2000), node(uuidA + "lock-0000000009", 0x102, 1000),
                         node(uuidA + "lock-0000000010", 0x103, 1500)}
        << QStringLiteral("curator-mutex") << QByteArray(uuidA + "lock-0000000009") << QList<QByteArray>{}
        << QList<QByteArray>{uuidA + "lock-0000000010", uuidB + "lock-0000000012"};
    QTest::newRow("curator mutex without protection")
        << QList<ZkNode>{node("lock-0000000002", 0x101, 2000), node("lock-0000000001", 0x102, 1000)}
        << QStringLiteral("curator-mutex") << QByteArray("lock-0000000001") << QList<QByteArray>{}
        << QList<QByteArray>{"lock-0000000002"};
    QTest::newRow("curator rwlock, readers before the first writer hold")
        << QList<ZkNode>{node(uuidA + "__READ__0000000001", 1, 1), node(uuidB + "__READ__0000000002", 2, 2),
                         node(uuidA + "__WRIT__0000000003", 3, 3), node(uuidB + "__READ__0000000004", 4, 4)}
        << QStringLiteral("curator-rwlock") << QByteArray(uuidA + "__READ__0000000001")
        << QList<QByteArray>{uuidA + "__READ__0000000001", uuidB + "__READ__0000000002"}
        << QList<QByteArray>{uuidA + "__WRIT__0000000003", uuidB + "__READ__0000000004"};
    QTest::newRow("curator rwlock, lowest writer holds alone")
        << QList<ZkNode>{node(uuidB + "__READ__0000000008", 1, 2), node(uuidA + "__WRIT__0000000007", 2, 1)}
        << QStringLiteral("curator-rwlock") << QByteArray(uuidA + "__WRIT__0000000007") << QList<QByteArray>{}
        << QList<QByteArray>{uuidB + "__READ__0000000008"};
    QTest::newRow("kazoo lock")
        << QList<ZkNode>{node(hexB + "__lock__0000000004", 1, 2, "worker-2"), node(hexA + "__lock__0000000003", 2, 1, "worker-1")}
        << QStringLiteral("kazoo-lock") << QByteArray(hexA + "__lock__0000000003") << QList<QByteArray>{}
        << QList<QByteArray>{hexB + "__lock__0000000004"};
    QTest::newRow("kazoo rwlock, writer first")
        << QList<ZkNode>{node(hexA + "__lock__0000000001", 1, 1), node(hexB + "__rlock__0000000002", 2, 2)}
        << QStringLiteral("kazoo-rwlock") << QByteArray(hexA + "__lock__0000000001") << QList<QByteArray>{}
        << QList<QByteArray>{hexB + "__rlock__0000000002"};
    QTest::newRow("kazoo semaphore leases")
        << QList<ZkNode>{node(hexB, 1, 2, "b", 20), node(hexA, 2, 1, "a", 10)}
        << QStringLiteral("kazoo-semaphore") << hexA << QList<QByteArray>{hexA, hexB} << QList<QByteArray>{};
}

void TestZkRecipes::folder()
{
    QFETCH(QList<ZkNode>, children);
    QFETCH(QString, kind);
    QFETCH(QByteArray, holder);
    QFETCH(QList<QByteArray>, holders);
    QFETCH(QList<QByteArray>, waiters);
    const FolderLocks found = locksInFolder("/locks/a", children);
    QVERIFY(found.lock);
    QVERIFY(!found.note);
    const LockInfo &info = *found.lock;
    QCOMPARE(info.backend, QStringLiteral("zookeeper"));
    QCOMPARE(info.key, QByteArray("/locks/a"));
    QCOMPARE(info.kind, kind);
    QCOMPARE(info.holder, holder);
    QCOMPARE(info.holders, holders);
    QList<QByteArray> ids;
    for (const LockWaiter &w : info.waiters)
        ids.append(w.id);
    QCOMPARE(ids, waiters);
    QCOMPARE(info.detailString(QStringLiteral("holder_path")), QStringLiteral("/locks/a/") + QString::fromUtf8(holder));
    QCOMPARE(info.detailInteger(QStringLiteral("holder_version")), 3);
    for (const ZkNode &n : children) {
        if (n.name == holder) {
            QCOMPARE(info.session, sessionText(n.stat.ephemeralOwner));
            QCOMPARE(info.acquiredAt.toMSecsSinceEpoch(), n.stat.ctime);
        }
    }
}

void TestZkRecipes::curatorSemaphorePendingLeaseIsAWaiter()
{
    // Session 7 holds the semaphore's internal lock and created a lease after it: still waiting.
    const QList<ZkNode> leases{node(uuidA + "lease-0000000001", 5, 100, "10.0.0.5", 100),
                               node(uuidB + "lease-0000000002", 7, 300, "10.0.0.7", 300)};
    const QList<ZkNode> locks{node(uuidB + "lock-0000000004", 7, 200, {}, 200), node(uuidA + "lock-0000000005", 9, 250, {}, 250)};
    const auto info = curatorSemaphore("/locks/sem", leases, locks);
    QVERIFY(info);
    QCOMPARE(info->kind, QStringLiteral("curator-semaphore"));
    QCOMPARE(info->holders, QList<QByteArray>{uuidA + "lease-0000000001"});
    QCOMPARE(info->holderText, QStringLiteral("10.0.0.5"));
    QCOMPARE(info->waiters.size(), 2);
    QCOMPARE(info->waiters[0].id, uuidB + "lease-0000000002");
    QCOMPARE(info->waiters[1].id, QByteArray("locks/" + uuidA + "lock-0000000005"));
    QCOMPARE(info->detailString(QStringLiteral("holder_path")), QStringLiteral("/locks/sem/leases/") + QString::fromUtf8(uuidA + "lease-0000000001"));
}

void TestZkRecipes::kazooSemaphoreWaitersComeFromItsLock()
{
    const auto info = kazooSemaphore("/locks/exports", "1", {node(hexA, 1, 1, "export-1")},
                                     {node(hexB + "__lock__0000000002", 3, 3, "b"), node(hexA + "__lock__0000000001", 2, 2, "a")});
    QVERIFY(info);
    QCOMPARE(info->holderText, QStringLiteral("export-1"));
    QCOMPARE(info->waiters.size(), 2);
    QCOMPARE(info->waiters[0].id, hexA + "__lock__0000000001");
    QCOMPARE(info->detailInteger(QStringLiteral("max_leases")), 1);
}

void TestZkRecipes::planGroupsSemaphoreParts()
{
    const FolderPlan curator = planFolder({node("leases", 0, 1), node("locks", 0, 1)});
    QVERIFY(curator.curatorSemaphore);
    const FolderPlan kazoo = planFolder({node("exports", 0, 1), node("exports-__lock__", 0, 1), node("other", 0, 1)});
    QVERIFY(!kazoo.curatorSemaphore);
    QCOMPARE(kazoo.kazooSemaphores, QList<QByteArray>{"exports"});
    // Ephemeral nodes of no known recipe are a note, plain empty folders are nothing.
    const FolderLocks unknown = locksInFolder("/locks/odd", {node("member-0000000001", 5, 1)});
    QVERIFY(!unknown.lock);
    QVERIFY(unknown.note);
    QVERIFY(unknown.note->text.contains(u"/locks/odd"));
    const FolderLocks folders = locksInFolder("/locks", {node("cart-1", 0, 1), node("cart-2", 0, 1)});
    QVERIFY(!folders.lock && !folders.note);
}

void TestZkRecipes::dataIsReadOnlyWhereARowShowsIt_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<bool>("shown");
    QTest::newRow("curator mutex") << uuidA + "lock-0000000001" << true;
    QTest::newRow("curator mutex, unprotected") << QByteArray("lock-0000000001") << true;
    QTest::newRow("curator writer") << uuidA + "__WRIT__0000000002" << true;
    QTest::newRow("curator lease") << uuidA + "lease-0000000003" << true;
    QTest::newRow("kazoo lock") << hexA + "__lock__0000000004" << true;
    QTest::newRow("kazoo reader") << hexA + "__rlock__0000000005" << true;
    QTest::newRow("kazoo lease") << hexA << true;
    QTest::newRow("kazoo semaphore (max leases)") << QByteArray("exports") << true;
    QTest::newRow("lock folder") << QByteArray("cart-1") << false;
    QTest::newRow("curator semaphore leases") << QByteArray("leases") << false;
    QTest::newRow("kazoo semaphore's lock folder") << QByteArray("exports-__lock__") << false;
    QTest::newRow("unknown sequential") << QByteArray("member-0000000001") << false;
}

void TestZkRecipes::dataIsReadOnlyWhereARowShowsIt()
{
    QFETCH(QByteArray, name);
    QFETCH(bool, shown);
    const QSet<QByteArray> siblings{"exports", "exports-__lock__", "cart-1", "leases", "locks", name};
    QCOMPARE(isDataShown(name, siblings), shown);
}

// What a budgeted pass leaves unread: exactly the contenders that wait, in queue order (by
// sequence, not by name), never a holder, never a semaphore's lease.
void TestZkRecipes::waitersAreKnownFromNamesAlone_data()
{
    QTest::addColumn<QList<QByteArray>>("names");
    QTest::addColumn<QList<QByteArray>>("waiters");
    QTest::newRow("curator mutex, names not in sequence order")
        << QList<QByteArray>{uuidA + "lock-0000000007", uuidB + "lock-0000000003", uuidA + "lock-0000000005"}
        << QList<QByteArray>{uuidA + "lock-0000000005", uuidA + "lock-0000000007"};
    QTest::newRow("kazoo lock, holder alone") << QList<QByteArray>{hexA + "__lock__0000000001"} << QList<QByteArray>{};
    QTest::newRow("kazoo lock, uuid order is not queue order")
        << QList<QByteArray>{hexA + "__lock__0000000002", hexB + "__lock__0000000009", hexB + "__lock__0000000001"}
        << QList<QByteArray>{hexA + "__lock__0000000002", hexB + "__lock__0000000009"};
    QTest::newRow("curator readers hold together, a writer waits")
        << QList<QByteArray>{uuidA + "__READ__0000000001", uuidB + "__READ__0000000002", uuidA + "__WRIT__0000000003",
                             uuidB + "__READ__0000000004"}
        << QList<QByteArray>{uuidA + "__WRIT__0000000003", uuidB + "__READ__0000000004"};
    QTest::newRow("kazoo writer holds, readers wait")
        << QList<QByteArray>{hexA + "__lock__0000000001", hexB + "__rlock__0000000002", hexA + "__rlock__0000000003"}
        << QList<QByteArray>{hexB + "__rlock__0000000002", hexA + "__rlock__0000000003"};
    QTest::newRow("curator semaphore leases: every Stat is needed")
        << QList<QByteArray>{uuidA + "lease-0000000001", uuidB + "lease-0000000002"} << QList<QByteArray>{};
    QTest::newRow("a folder of lock folders") << QList<QByteArray>{"cart-1", "cart-2", "leases", "locks"} << QList<QByteArray>{};
}

void TestZkRecipes::waitersAreKnownFromNamesAlone()
{
    QFETCH(QList<QByteArray>, names);
    QFETCH(QList<QByteArray>, waiters);
    QCOMPARE(waiterNamesOf("/locks/cart-1", names), waiters);
    // The same queue as a fully read folder gives.
    QList<ZkNode> read;
    for (const QByteArray &name : names)
        read.append(node(name, 7, 1000, "who"));
    const FolderLocks full = locksInFolder("/locks/cart-1", read);
    if (full.lock && !full.lock->kind.endsWith(u"semaphore")) {
        QList<QByteArray> fullWaiters;
        for (const LockWaiter &w : full.lock->waiters)
            fullWaiters.append(w.id);
        QCOMPARE(fullWaiters, waiters);
    }
}

void TestZkRecipes::orphanedWaiterAfterASessionTimeoutWithoutMoving()
{
    const QDateTime t0 = QDateTime::fromMSecsSinceEpoch(1'000'000, Qt::UTC);
    auto row = [](QList<QByteArray> queue) {
        LockInfo info;
        info.key = "/locks/a";
        info.holder = queue.takeFirst();
        for (const QByteArray &w : queue)
            info.waiters.append(LockWaiter{w, {}, {}, {}, {}});
        return info;
    };
    ZkHandOverHistory history;
    auto pass = [&](qint64 atMs, QList<QByteArray> queue) {
        history.beginPass(t0.addMSecs(atMs));
        LockInfo info = row(queue);
        history.observe(info, 10'000);
        history.endPass();
        return info;
    };
    QCOMPARE(pass(0, {"n1", "n2", "n3"}).flags & LockInfo::OrphanedWaiter, 0);
    QCOMPARE(pass(2000, {"n2", "n3"}).flags & LockInfo::OrphanedWaiter, 0);     // n1 went: n2 took over
    QCOMPARE(pass(9000, {"n2", "n3"}).flags & LockInfo::OrphanedWaiter, 0);     // not a session timeout yet
    const LockInfo late = pass(12'500, {"n2", "n3"});
    QVERIFY(late.flags & LockInfo::OrphanedWaiter);
    QVERIFY(late.waiters.first().note.contains(u"n2"));
    // A holder that found the lock free is never flagged, however long it holds.
    ZkHandOverHistory fresh;
    for (qint64 at : {0, 20'000, 40'000}) {
        fresh.beginPass(t0.addMSecs(at));
        LockInfo info = row({"m1", "m2"});
        fresh.observe(info, 10'000);
        fresh.endPass();
        QCOMPARE(info.flags & LockInfo::OrphanedWaiter, 0);
    }
}

void TestZkRecipes::consAnswer()
{
    const QByteArray answer = " /127.0.0.1:43210[1](queued=0,recved=5,sent=5,sid=0x1000a2b3c0001,lop=PING,est=1,to=4000)\n"
                              " /127.0.0.1:43222[0](queued=0,recved=1,sent=0)\n\n";
    const ZkConnections c = parseConsAnswer(answer, QStringLiteral("zk1:2181"));
    QVERIFY(c.ok);
    QCOMPARE(c.addressBySession.value(QStringLiteral("0x1000a2b3c0001")), QStringLiteral("127.0.0.1:43210"));
    QCOMPARE(c.addressBySession.size(), 1);
    const ZkConnections refused = parseConsAnswer("cons is not executed because it is not in the whitelist.\n", QStringLiteral("zk1:2181"));
    QVERIFY(!refused.ok);
    QVERIFY(refused.notWhitelisted);
    QVERIFY(refused.error.contains(u"zk1:2181"));
}

QTEST_GUILESS_MAIN(TestZkRecipes)
#include "tst_zkrecipes.moc"
