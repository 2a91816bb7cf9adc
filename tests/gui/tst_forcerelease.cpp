#include "engine/inprocessenginelink.h"
#include "lockmodel.h"
#include "locksview.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::ui;

// The locks view and the force-release confirmation, over the in-process link.
class TestForceRelease : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void lockWithoutExpiryNeedsItsKeyTyped();
    void engineRefusalIsReportedAndNothingClaimsRelease();
    void ttlCountsDownAndFlagsShow();
};

namespace {
LockRow lock(const char *key, qint64 ttlMs)
{
    LockRow row;
    row.endpoint = QStringLiteral("127.0.0.1:6379");
    row.key = key;
    row.kind = QStringLiteral("plain");
    row.holder = "worker-7:3f2a";
    row.ttlMs = ttlMs;
    row.readAt = QDateTime::currentDateTimeUtc();
    row.firstSeen = row.readAt.addSecs(-90);
    row.longHeld = true;
    return row;
}
}

void TestForceRelease::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void TestForceRelease::lockWithoutExpiryNeedsItsKeyTyped()
{
    InProcessEngineLink link(InProcessOptions::demo());
    ForceReleaseDialog dialog(&link, lock("lock:cart:42", -1));
    QVERIFY(dialog.keyConfirmation());
    QVERIFY(!dialog.releaseButton()->isEnabled());
    QTest::keyClicks(dialog.keyConfirmation(), QStringLiteral("lock:cart:4"));
    QVERIFY(!dialog.releaseButton()->isEnabled());
    QTest::keyClicks(dialog.keyConfirmation(), QStringLiteral("2"));
    QVERIFY(dialog.releaseButton()->isEnabled());

    ForceReleaseDialog expiring(&link, lock("lock:cart:43", 30'000));
    QVERIFY(!expiring.keyConfirmation());
    QVERIFY(expiring.releaseButton()->isEnabled());
}

void TestForceRelease::engineRefusalIsReportedAndNothingClaimsRelease()
{
    // The in-process engine has no Redis endpoint: it must refuse and say why.
    InProcessEngineLink link(InProcessOptions::demo());
    ForceReleaseDialog dialog(&link, lock("lock:cart:42", 30'000));
    dialog.show();
    QTest::mouseClick(dialog.releaseButton(), Qt::LeftButton);
    QCOMPARE(dialog.outcome(), ForceReleaseDialog::Outcome::Pending);
    QVERIFY(!dialog.releaseButton()->isEnabled());
    QTRY_COMPARE(dialog.outcome(), ForceReleaseDialog::Outcome::Refused);
    auto *result = dialog.findChild<QLabel *>(QStringLiteral("result"));
    QVERIFY(result->text().contains(QStringLiteral("nothing was deleted")));
    QVERIFY(result->text().contains(QStringLiteral("127.0.0.1:6379")));
}

void TestForceRelease::ttlCountsDownAndFlagsShow()
{
    LockModel model;
    LockTable table;
    table.endpoint = QStringLiteral("127.0.0.1:6379");
    table.rows = {lock("lock:a", 10'000), lock("lock:b", -1)};
    model.setTable(table);
    const QDateTime readAt = table.rows[0].readAt;
    model.tick(readAt.addMSecs(2500));
    QCOMPARE(model.index(0, LockModel::Ttl).data().toString(), QStringLiteral("7.5 s"));
    model.tick(readAt.addMSecs(20'000));
    QCOMPARE(model.index(0, LockModel::Ttl).data().toString(), QStringLiteral("0.0 s"));
    QCOMPARE(model.index(1, LockModel::Ttl).data().toString(), QStringLiteral("no expiry"));
    QVERIFY(model.index(1, LockModel::Flags).data().toString().contains(QStringLiteral("no expiry")));
    QVERIFY(model.index(1, LockModel::Flags).data().toString().contains(QStringLiteral("long-held")));
    QVERIFY(model.index(1, LockModel::Key).data(Qt::BackgroundRole).isValid());
}

QTEST_MAIN(TestForceRelease)
#include "tst_forcerelease.moc"
