// The rule that keeps one click from taking a pool out of service: which changes would leave a
// pool with no server taking traffic, or below a share of the capacity it has now, and what
// the question says. The console (any view, several servers at once) and fulcrumctl ask it.
#include "engine/capacityguard.h"

#include <QTest>

using namespace fulcrum;

namespace {

ServerStatus server(const QString &pool, const QString &name, int weight, BackendState state = BackendState::Up, bool backup = false)
{
    ServerStatus s;
    s.pool = pool;
    s.name = name;
    s.weight = weight;
    s.state = state;
    s.backup = backup;
    return s;
}

// checkout: six servers as in the demo (one of them down); search: two.
QList<ServerStatus> shop()
{
    return {server(QStringLiteral("checkout"), QStringLiteral("app1"), 100), server(QStringLiteral("checkout"), QStringLiteral("app2"), 100),
            server(QStringLiteral("checkout"), QStringLiteral("app3"), 50), server(QStringLiteral("checkout"), QStringLiteral("app4"), 100),
            server(QStringLiteral("checkout"), QStringLiteral("app5"), 100, BackendState::Down),
            server(QStringLiteral("checkout"), QStringLiteral("app6"), 25),
            server(QStringLiteral("search"), QStringLiteral("s1"), 10), server(QStringLiteral("search"), QStringLiteral("s2"), 10)};
}

QList<ServerChange> allOf(const QString &pool, BackendState state)
{
    QList<ServerChange> changes;
    for (const ServerStatus &s : shop()) {
        if (s.pool == pool)
            changes.append(ServerChange{s.pool, s.name, std::nullopt, state});
    }
    return changes;
}

} // namespace

class TestCapacityGuard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void selectAllMaintenanceTakesThePoolOut_data();
    void selectAllMaintenanceTakesThePoolOut();
    void lastServerToWeightZero();
    void belowTheShareAsks();
    void smallChangesDoNotAsk();
    void backupsServingAloneAreSaid();
    void aPoolThatCannotServeAlreadyIsNotAskedAgain();
};

void TestCapacityGuard::selectAllMaintenanceTakesThePoolOut_data()
{
    QTest::addColumn<int>("state");
    QTest::newRow("maintenance") << int(BackendState::Maint);
    QTest::newRow("drain") << int(BackendState::Drain);
}

void TestCapacityGuard::selectAllMaintenanceTakesThePoolOut()
{
    QFETCH(int, state);
    const QList<PoolImpact> risks = capacityRisks(shop(), allOf(QStringLiteral("checkout"), BackendState(state)), kDefaultMinCapacityShare);
    QCOMPARE(risks.size(), 1);
    const PoolImpact &checkout = risks.first();
    QCOMPARE(checkout.pool, QStringLiteral("checkout"));
    QCOMPARE(checkout.servers, 6);
    QCOMPARE(checkout.servingBefore, 5);      // app5 is down
    QCOMPARE(checkout.servingAfter, 0);
    QVERIFY(checkout.cannotServe());
    QCOMPARE(checkout.describe(), QStringLiteral("checkout will answer 503 to every request: not one of its servers (6) would take traffic"));
}

void TestCapacityGuard::lastServerToWeightZero()
{
    // search has two servers; one drained, the other set to weight 0.
    QList<ServerStatus> servers = shop();
    servers[6].state = BackendState::Drain;
    const QList<PoolImpact> risks = capacityRisks(servers, {ServerChange{QStringLiteral("search"), QStringLiteral("s2"), 0, std::nullopt}}, 0.0);
    QCOMPARE(risks.size(), 1);
    QVERIFY(risks.first().cannotServe());
    QVERIFY(risks.first().describe().startsWith(u"search will answer 503 to every request"));
}

void TestCapacityGuard::belowTheShareAsks()
{
    // Four of the five serving checkout servers drained: app6 (25 of 375) is left, 6.6 %.
    QList<ServerChange> changes;
    for (const char *name : {"app1", "app2", "app3", "app4"})
        changes.append(ServerChange{QStringLiteral("checkout"), QString::fromLatin1(name), std::nullopt, BackendState::Drain});
    const QList<PoolImpact> risks = capacityRisks(shop(), changes, kDefaultMinCapacityShare);
    QCOMPARE(risks.size(), 1);
    QVERIFY(!risks.first().cannotServe());
    QCOMPARE(risks.first().capacityBefore, qint64(375));
    QCOMPARE(risks.first().capacityAfter, qint64(25));
    QCOMPARE(risks.first().describe(), QStringLiteral("checkout would keep 1 of 6 servers taking traffic, 6.6 % of the capacity it has now"));
    // With the guard at 0 %, only a pool left with nothing asks.
    QVERIFY(capacityRisks(shop(), changes, 0.0).isEmpty());
}

void TestCapacityGuard::smallChangesDoNotAsk()
{
    // One server drained (275 of 375 left), a weight raised, a down server set ready, another pool untouched.
    QVERIFY(capacityRisks(shop(), {ServerChange{QStringLiteral("checkout"), QStringLiteral("app1"), std::nullopt, BackendState::Drain}},
                          kDefaultMinCapacityShare).isEmpty());
    QVERIFY(capacityRisks(shop(), {ServerChange{QStringLiteral("checkout"), QStringLiteral("app6"), 200, std::nullopt}}, 1.0).isEmpty());
    QVERIFY(capacityRisks(shop(), {ServerChange{QStringLiteral("checkout"), QStringLiteral("app5"), std::nullopt, BackendState::Up}}, 1.0).isEmpty());
    // Half of search drained: 50 % is not below 50 %.
    QVERIFY(capacityRisks(shop(), {ServerChange{QStringLiteral("search"), QStringLiteral("s1"), std::nullopt, BackendState::Drain}},
                          kDefaultMinCapacityShare).isEmpty());
    // ... but it is below 60 %, and only search is named.
    const QList<PoolImpact> risks = capacityRisks(shop(), {ServerChange{QStringLiteral("search"), QStringLiteral("s1"), std::nullopt, BackendState::Drain}}, 0.6);
    QCOMPARE(risks.size(), 1);
    QCOMPARE(risks.first().pool, QStringLiteral("search"));
}

void TestCapacityGuard::backupsServingAloneAreSaid()
{
    QList<ServerStatus> servers{server(QStringLiteral("api"), QStringLiteral("a1"), 10), server(QStringLiteral("api"), QStringLiteral("spare"), 10, BackendState::Up, true)};
    const QList<PoolImpact> risks = capacityRisks(servers, {ServerChange{QStringLiteral("api"), QStringLiteral("a1"), std::nullopt, BackendState::Maint}}, 0.0);
    QCOMPARE(risks.size(), 1);
    QVERIFY(!risks.first().cannotServe());
    QVERIFY2(risks.first().describe().contains(u"backup servers only"), qPrintable(risks.first().describe()));
}

void TestCapacityGuard::aPoolThatCannotServeAlreadyIsNotAskedAgain()
{
    QList<ServerStatus> servers{server(QStringLiteral("api"), QStringLiteral("a1"), 10, BackendState::Down),
                                server(QStringLiteral("api"), QStringLiteral("a2"), 10, BackendState::Maint)};
    QVERIFY(capacityRisks(servers, {ServerChange{QStringLiteral("api"), QStringLiteral("a1"), std::nullopt, BackendState::Maint}}, 1.0).isEmpty());
}

QTEST_GUILESS_MAIN(TestCapacityGuard)
#include "tst_capacityguard.moc"
