// The rise/fall state machine, the slow-start ramp and the reason texts, as pure logic.
#include "health/checkresult.h"
#include "health/healthstatemachine.h"

#include <QTest>

using namespace fulcrum;

class TestHealthStateMachine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void transitions_data();
    void transitions();
    void resetStartsFromTheChecks();
    void slowStartRamp_data();
    void slowStartRamp();
    void reasonTexts_data();
    void reasonTexts();
};

void TestHealthStateMachine::transitions_data()
{
    QTest::addColumn<int>("rise");
    QTest::addColumn<int>("fall");
    QTest::addColumn<bool>("startUp");
    QTest::addColumn<QString>("results"); // + pass, - fail
    QTest::addColumn<QStringList>("texts");
    QTest::newRow("falls after exactly 3")
        << 2 << 3 << true << QStringLiteral("---")
        << QStringList{QStringLiteral("up, 1/3 failed"), QStringLiteral("up, 2/3 failed"), QStringLiteral("down")};
    QTest::newRow("a success in between starts over")
        << 2 << 3 << true << QStringLiteral("--+--")
        << QStringList{QStringLiteral("up, 1/3 failed"), QStringLiteral("up, 2/3 failed"), QStringLiteral("up"),
                       QStringLiteral("up, 1/3 failed"), QStringLiteral("up, 2/3 failed")};
    QTest::newRow("rises after exactly 2")
        << 2 << 3 << false << QStringLiteral("+-++")
        << QStringList{QStringLiteral("down, 1/2 ok"), QStringLiteral("down"), QStringLiteral("down, 1/2 ok"), QStringLiteral("up")};
    QTest::newRow("rise 1 fall 1")
        << 1 << 1 << true << QStringLiteral("-+")
        << QStringList{QStringLiteral("down"), QStringLiteral("up")};
}

void TestHealthStateMachine::transitions()
{
    QFETCH(int, rise);
    QFETCH(int, fall);
    QFETCH(bool, startUp);
    QFETCH(QString, results);
    QFETCH(QStringList, texts);
    HealthStateMachine machine(rise, fall, startUp);
    QCOMPARE(machine.text(), startUp ? QStringLiteral("up") : QStringLiteral("down"));
    for (qsizetype i = 0; i < results.size(); ++i) {
        const bool wasUp = machine.isUp();
        const bool flipped = machine.record(results[i] == u'+');
        QCOMPARE(machine.text(), texts[i]);
        QCOMPARE(flipped, wasUp != machine.isUp());
    }
}

void TestHealthStateMachine::resetStartsFromTheChecks()
{
    HealthStateMachine machine(2, 3, true);
    machine.record(false);
    machine.reset(false);
    QCOMPARE(machine.text(), QStringLiteral("down"));
    QVERIFY(!machine.record(true));
    QCOMPARE(machine.text(), QStringLiteral("down, 1/2 ok"));
    QVERIFY(machine.record(true));
    QVERIFY(machine.isUp());
}

void TestHealthStateMachine::slowStartRamp_data()
{
    QTest::addColumn<int>("weight");
    QTest::addColumn<qint64>("elapsed");
    QTest::addColumn<qint64>("total");
    QTest::addColumn<int>("effective");
    QTest::newRow("start is 10%") << 100 << qint64(0) << qint64(1000) << 10;
    QTest::newRow("quarter") << 100 << qint64(250) << qint64(1000) << 33;  // 10 + 22.5, rounded up
    QTest::newRow("half") << 100 << qint64(500) << qint64(1000) << 55;
    QTest::newRow("nearly done") << 100 << qint64(999) << qint64(1000) << 100;
    QTest::newRow("done") << 100 << qint64(1000) << qint64(1000) << 100;
    QTest::newRow("small weight never 0") << 1 << qint64(0) << qint64(1000) << 1;
    QTest::newRow("weight 0 stays 0") << 0 << qint64(500) << qint64(1000) << 0;
    QTest::newRow("off") << 40 << qint64(0) << qint64(0) << 40;
}

void TestHealthStateMachine::slowStartRamp()
{
    QFETCH(int, weight);
    QFETCH(qint64, elapsed);
    QFETCH(qint64, total);
    QFETCH(int, effective);
    QCOMPARE(slowStartWeight(weight, elapsed, total), effective);
}

void TestHealthStateMachine::reasonTexts_data()
{
    QTest::addColumn<int>("reason");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("passing");
    QTest::newRow("L4OK") << int(CheckReason::L4OK) << 0 << QStringLiteral("L4OK") << true;
    QTest::newRow("L4TOUT") << int(CheckReason::L4TOUT) << 0 << QStringLiteral("L4TOUT") << false;
    QTest::newRow("L4CON") << int(CheckReason::L4CON) << 0 << QStringLiteral("L4CON") << false;
    QTest::newRow("L7OK") << int(CheckReason::L7OK) << 200 << QStringLiteral("L7OK") << true;
    QTest::newRow("L7STS") << int(CheckReason::L7STS) << 503 << QStringLiteral("L7STS 503") << false;
    QTest::newRow("L7TOUT") << int(CheckReason::L7TOUT) << 0 << QStringLiteral("L7TOUT") << false;
    QTest::newRow("L7RSP") << int(CheckReason::L7RSP) << 0 << QStringLiteral("L7RSP") << false;
}

void TestHealthStateMachine::reasonTexts()
{
    QFETCH(int, reason);
    QFETCH(int, status);
    QFETCH(QString, text);
    QFETCH(bool, passing);
    CheckResult result;
    result.reason = CheckReason(reason);
    result.httpStatus = status;
    result.durationUs = 2500;
    QCOMPARE(result.reasonText(), text);
    QCOMPARE(result.passed(), passing);
    QCOMPARE(result.summary(), text + QStringLiteral(" in 2ms"));
}

QTEST_GUILESS_MAIN(TestHealthStateMachine)
#include "tst_healthstatemachine.moc"
