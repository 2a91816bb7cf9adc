#include "engine/auditlog.h"
#include "engine/inprocessenginelink.h"
#include "isolatedpaths.h"
#include "lockmodel.h"
#include "locksview.h"
#include "eventmodel.h"
#include "mainwindow.h"
#include "redisserver.h"

#include <QItemSelectionModel>
#include <QLabel>
#include <QDialog>
#include <QPlainTextEdit>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QSortFilterProxyModel>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

// The locks view and the force-release confirmation, over the in-process link and, for the
// releases themselves, a real redis-server.
class TestForceRelease : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void lockWithoutExpiryNeedsItsKeyTyped();
    void engineRefusalIsReportedAndNothingClaimsRelease();
    void ttlCountsDownAndFlagsShow();
    void releasedThroughTheDialogAgainstRedis();
    void holderChangedInBetweenDeletesNothing();
    void passwordReachesTheEnginesInspector();
    void countFollowsTheFilterAndKindsArePeoplesWords();
    void keysNotShownAreSaidAndListed();
    void moreHiddenKeysThanAPassKeeps();
    void lostRedisMakesTheRowsStaleAndSaysSo();
    void rowsKeepStillUntilTheCalmBeat();

private:
    // A running redis-server and a link + locks view watching it.
    struct Setup
    {
        std::unique_ptr<fulcrum::test::RedisServer> redis;
        std::unique_ptr<InProcessEngineLink> link;
        std::unique_ptr<LocksView> view;
    };
    void startRedisAndView(Setup &setup);
    static int rowOf(LocksView *view, const QByteArray &key);
};

void TestForceRelease::startRedisAndView(Setup &setup)
{
    setup.redis = std::make_unique<fulcrum::test::RedisServer>();
    QString error;
    QVERIFY2(setup.redis->start(&error), qPrintable(error));
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint redis = InProcessLockEndpoint::redis(setup.redis->host(), setup.redis->port());
    redis.config.redis.pollIntervalMs = 200;
    options.locks.append(redis);
    setup.link = std::make_unique<InProcessEngineLink>(options);
    setup.view = std::make_unique<LocksView>(setup.link.get());
    QObject::connect(setup.link.get(), &EngineLink::lockTableReady, setup.view.get(), &LocksView::setLockTable);
    setup.view->show();
}

int TestForceRelease::rowOf(LocksView *view, const QByteArray &key)
{
    const QAbstractItemModel *model = view->table()->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, LockModel::Key).data().toString() == QString::fromUtf8(key))
            return row;
    }
    return -1;
}

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
    fulcrum::test::useIsolatedStandardPaths();
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

void TestForceRelease::releasedThroughTheDialogAgainstRedis()
{
    Setup setup;
    startRedisAndView(setup);
    if (QTest::currentTestFailed())
        return;
    setup.redis->command({"SET", "lock:cart:42", "worker-1:token-a"});              // no expiry
    setup.redis->command({"SET", "lock:cart:7", "worker-2:token-b", "PX", "60000"});
    QTRY_VERIFY(rowOf(setup.view.get(), "lock:cart:42") >= 0);
    setup.view->table()->selectRow(rowOf(setup.view.get(), "lock:cart:42"));
    ForceReleaseDialog *dialog = setup.view->forceReleaseSelected();
    QVERIFY(dialog);
    dialog->show();
    QVERIFY(dialog->keyConfirmation());   // no expiry: the key must be typed
    QVERIFY(!dialog->releaseButton()->isEnabled());
    QTest::keyClicks(dialog->keyConfirmation(), QStringLiteral("lock:cart:42"));
    QTest::mouseClick(dialog->releaseButton(), Qt::LeftButton);
    QTRY_COMPARE(dialog->outcome(), ForceReleaseDialog::Outcome::Released);
    QCOMPARE(setup.redis->command({"EXISTS", "lock:cart:42"}).integer, 0);
    QCOMPARE(setup.redis->command({"GET", "lock:cart:7"}).string, QByteArray("worker-2:token-b"));   // the other lock is untouched
    QTRY_VERIFY(rowOf(setup.view.get(), "lock:cart:42") < 0);
    // On the record: who released which key from which holder.
    const QList<AuditEntry> audit = setup.link->auditLog()->recent();
    QVERIFY(!audit.isEmpty());
    QVERIFY2(audit.last().target.contains(QStringLiteral("lock:cart:42")), qPrintable(audit.last().target));
    QVERIFY2(audit.last().before.contains(QStringLiteral("worker-1:token-a")), qPrintable(audit.last().before));
    delete dialog;
}

void TestForceRelease::holderChangedInBetweenDeletesNothing()
{
    Setup setup;
    startRedisAndView(setup);
    if (QTest::currentTestFailed())
        return;
    setup.redis->command({"SET", "lock:order:9", "worker-1:token-a", "PX", "60000"});
    QTRY_VERIFY(rowOf(setup.view.get(), "lock:order:9") >= 0);
    setup.view->table()->selectRow(rowOf(setup.view.get(), "lock:order:9"));
    ForceReleaseDialog *dialog = setup.view->forceReleaseSelected();
    QVERIFY(dialog);
    dialog->show();
    // While the operator reads the dialog, the lock expires and another worker takes it.
    setup.redis->command({"SET", "lock:order:9", "worker-3:token-c", "PX", "60000"});
    QTest::mouseClick(dialog->releaseButton(), Qt::LeftButton);
    QTRY_COMPARE(dialog->outcome(), ForceReleaseDialog::Outcome::Refused);
    QCOMPARE(setup.redis->command({"GET", "lock:order:9"}).string, QByteArray("worker-3:token-c"));
    const QString shown = dialog->findChild<QLabel *>(QStringLiteral("result"))->text();
    QVERIFY2(shown.contains(QStringLiteral("nothing was deleted")), qPrintable(shown));
    QVERIFY2(shown.contains(QStringLiteral("worker-3")) || shown.contains(QStringLiteral("holder")), qPrintable(shown));
    delete dialog;
}

void TestForceRelease::passwordReachesTheEnginesInspector()
{
    // As Settings' endpoints do: the password read from the keychain at start, in memory only.
    fulcrum::test::RedisServer::Options redisOptions;
    redisOptions.password = "locks-pass-4c1e";
    fulcrum::test::RedisServer redis(redisOptions);
    QString error;
    QVERIFY2(redis.start(&error), qPrintable(error));
    redis.command({"SET", "lock:cart:77", "worker-5:token-e", "PX", "60000"});

    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint right = InProcessLockEndpoint::redis(QStringLiteral("127.0.0.1"), redis.port());
    right.config.redis.name = QStringLiteral("with-password");
    right.config.redis.pollIntervalMs = 200;
    right.password = redisOptions.password;
    InProcessLockEndpoint wrong = right;
    wrong.config.redis.name = QStringLiteral("wrong-password");
    wrong.password = "not-the-password";
    options.locks = {right, wrong};
    InProcessEngineLink link(options);
    QCOMPARE(link.lockEndpointNames(), (QStringList{QStringLiteral("with-password"), QStringLiteral("wrong-password")}));
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    QHash<QString, QPair<LinkState, QString>> states;
    QObject::connect(&link, &EngineLink::lockEndpointStateChanged, &view, [&states](const QString &endpoint, LinkState state, const QString &detail) {
        states.insert(endpoint, {state, detail});
    });
    QTRY_VERIFY(rowOf(&view, "lock:cart:77") >= 0);
    QTRY_COMPARE(states.value(QStringLiteral("with-password")).first, LinkState::Connected);
    // The wrong password is refused by Redis; the reason shows, the password never does.
    QTRY_VERIFY(!states.value(QStringLiteral("wrong-password")).second.isEmpty());
    QCOMPARE_NE(states.value(QStringLiteral("wrong-password")).first, LinkState::Connected);
    const QString detail = states.value(QStringLiteral("wrong-password")).second;
    QVERIFY2(!detail.contains(QStringLiteral("not-the-password")) && !detail.contains(QStringLiteral("locks-pass")), qPrintable(detail));
}

void TestForceRelease::countFollowsTheFilterAndKindsArePeoplesWords()
{
    InProcessEngineLink link(InProcessOptions::demo());
    LocksView view(&link);
    view.show();
    LockTable table;
    table.endpoint = QStringLiteral("127.0.0.1:6379");
    table.keysScanned = 1200;
    table.rows = {lock("lock:cart:42", 30'000), lock("lock:cart:43", 30'000), lock("lock:order:7", -1)};
    table.rows[2].kind = QStringLiteral("redisson-rw");
    view.setEndpoints({table.endpoint});
    view.setLockTable(table);
    QTRY_COMPARE(view.table()->model()->rowCount(), 3);
    QCOMPARE(view.statusText(), QStringLiteral("3 lock(s), 1200 keys scanned"));
    QTest::keyClicks(view.filter(), QStringLiteral("cart"));
    QCOMPARE(view.table()->model()->rowCount(), 2);
    QCOMPARE(view.statusText(), QStringLiteral("2 of 3 lock(s) shown (filter), 1200 keys scanned"));
    view.filter()->clear();
    QCOMPARE(view.statusText(), QStringLiteral("3 lock(s), 1200 keys scanned"));
    const int row = rowOf(&view, "lock:order:7");
    QCOMPARE(view.table()->model()->index(row, LockModel::Kind).data().toString(), QStringLiteral("Redisson read/write"));
    // A key set to "" is held by no one it names: said, not a blank cell that reads as free.
    table.rows[1].holder.clear();
    view.setLockTable(table);
    QTRY_COMPARE(view.table()->model()->index(rowOf(&view, "lock:cart:43"), LockModel::Holder).data().toString(), QStringLiteral("(empty value)"));
    view.table()->selectRow(rowOf(&view, "lock:cart:43"));
    QVERIFY2(view.detailText().contains(u"held by (empty value)"), qPrintable(view.detailText()));
    QVERIFY(!view.table()->model()->index(rowOf(&view, "lock:cart:42"), LockModel::Holder).data().toString().isEmpty());
}

// The demo engine (no flapping) with one Redis endpoint read as the ACL user "viewer", polled
// every 200 ms.
static InProcessOptions demoReadingRedisAsViewer(quint16 port, const QByteArray &password)
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint endpoint = InProcessLockEndpoint::redis(QStringLiteral("127.0.0.1"), port);
    endpoint.config.redis.user = QStringLiteral("viewer");
    endpoint.config.redis.pollIntervalMs = 200;
    endpoint.password = password;
    options.locks = {endpoint};
    return options;
}

// An operator looking for a lock the table does not show must learn why: keys the ACL hides
// (a lock may be among them) and matched keys that are not locks are said above the table, and
// listed one per line behind "Show them…". Against a real Redis and an ACL user of its own.
void TestForceRelease::keysNotShownAreSaidAndListed()
{
    fulcrum::test::RedisServer redis;
    QString error;
    QVERIFY2(redis.start(&error), qPrintable(error));
    QCOMPARE(redis.command({"ACL", "SETUSER", "viewer", "on", ">viewer-pass-71", "~lock:orders:*", "~lock:queue", "+@read", "+@connection", "+scan"}).string,
             QByteArray("OK"));
    redis.pipeline({{"SET", "lock:orders:1", "worker-3:aa", "PX", "60000"},
                    {"SET", "lock:payments:9", "worker-8:bb", "PX", "60000"},   // the ACL hides it
                    {"RPUSH", "lock:queue", "a", "b"}});
    InProcessEngineLink link(demoReadingRedisAsViewer(redis.port(), "viewer-pass-71"));
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.show();
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, "lock:orders:1") >= 0 && !view.notesText().isEmpty(), 10'000);
    QCOMPARE(view.table()->model()->rowCount(), 1);
    const QString notes = view.notesText();
    QVERIFY2(notes.contains(u"1 matched key(s) could not be read, so a lock among them would not show (lock:payments:9: could not be read: NOPERM"),
             qPrintable(notes));
    QVERIFY2(notes.contains(u"1 matched key(s) are not locks"), qPrintable(notes));
    QDialog *list = view.showNotesList();
    QVERIFY(list);
    const QString listed = list->findChild<QPlainTextEdit *>()->toPlainText();
    QVERIFY2(listed.startsWith(u"lock:payments:9: could not be read: NOPERM") && listed.contains(u"\nlock:queue: a list, not a lock"), qPrintable(listed));
    list->close();

    // Nothing left out: no line at all.
    redis.command({"DEL", "lock:queue"});
    QCOMPARE(redis.command({"ACL", "SETUSER", "viewer", "~*"}).string, QByteArray("OK"));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, "lock:payments:9") >= 0, 10'000);
    QTRY_COMPARE(view.notesText(), QString());
}

// More keys the ACL hides than a pass keeps notes of: the line counts the kept ones as hidden
// and does not call the rest "not locks", since they may be hidden too.
void TestForceRelease::moreHiddenKeysThanAPassKeeps()
{
    fulcrum::test::RedisServer redis;
    QString error;
    QVERIFY2(redis.start(&error), qPrintable(error));
    QCOMPARE(redis.command({"ACL", "SETUSER", "viewer", "on", ">viewer-pass-72", "~lock:orders:*", "+@read", "+@connection", "+scan"}).string, QByteArray("OK"));
    QList<QList<QByteArray>> commands{{"SET", "lock:orders:1", "worker-3:aa", "PX", "60000"}};
    for (int i = 0; i < maxNotesPerPass + 3; ++i)
        commands.append({"SET", "lock:payments:" + QByteArray::number(i), "worker-8:bb", "PX", "60000"});
    redis.pipeline(commands);
    InProcessEngineLink link(demoReadingRedisAsViewer(redis.port(), "viewer-pass-72"));
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.show();
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, "lock:orders:1") >= 0 && !view.notesText().isEmpty(), 10'000);
    const QString notes = view.notesText();
    QVERIFY2(notes.contains(u"1000 matched key(s) could not be read"), qPrintable(notes));
    QVERIFY2(notes.contains(u"3 more matched key(s) not kept: could not be read, or not locks (a pass keeps 1000 notes)."), qPrintable(notes));
    QVERIFY2(!notes.contains(u"are not locks"), qPrintable(notes));
}

void TestForceRelease::lostRedisMakesTheRowsStaleAndSaysSo()
{
    // The console over a real Redis that dies: the rows stay, but visibly as old news (greyed,
    // countdowns stopped, "as of"), a banner says why, force-release waits, and the loss and
    // the return are events.
    fulcrum::test::RedisServer redis;
    QString error;
    QVERIFY2(redis.start(&error), qPrintable(error));
    QCOMPARE(redis.command({"SET", "lock:stock:sku-42", "worker-9:aa01", "PX", "600000"}).string, QByteArray("OK"));
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint endpoint = InProcessLockEndpoint::redis(redis.host(), redis.port());
    endpoint.config.redis.pollIntervalMs = 200;
    options.locks.append(endpoint);
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.resize(1200, 800);
    window.showView(MainWindow::Locks);
    window.show();
    LocksView *view = window.locksView();
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(view, "lock:stock:sku-42") >= 0, 10'000);
    QVERIFY(view->bannerText().isEmpty());
    QVERIFY(!view->model()->isStale());

    redis.kill();
    QTRY_VERIFY_WITH_TIMEOUT(view->model()->isStale(), 10'000);
    QVERIFY2(view->bannerText().contains(QStringLiteral("Redis %1:%2 is").arg(redis.host()).arg(redis.port())) && view->bannerText().contains(u"as of"),
             qPrintable(view->bannerText()));
    // The address once, not twice ("… (redis://…: cannot connect …)").
    QCOMPARE(view->bannerText().count(QString::number(redis.port())), 1);
    const int row = rowOf(view, "lock:stock:sku-42");
    QVERIFY(row >= 0);
    const QModelIndex ttl = view->table()->model()->index(row, LockModel::Ttl);
    const QString frozen = ttl.data().toString();
    QTest::qWait(600);
    QCOMPARE(view->table()->model()->index(rowOf(view, "lock:stock:sku-42"), LockModel::Ttl).data().toString(), frozen);
    QVERIFY(view->table()->model()->index(row, LockModel::Key).data(Qt::ToolTipRole).toString().startsWith(u"As of "));
    const auto connectionEvents = [&window](const QString &after) {
        int n = 0;
        EventModel *events = window.eventModel();
        for (int r = 0; r < events->rowCount(); ++r) {
            n += events->data(events->index(r, EventModel::Target)).toString().startsWith(u"Redis ")
                         && events->data(events->index(r, EventModel::Change)).toString().endsWith(after)
                     ? 1 : 0;
        }
        return n;
    };
    QTRY_COMPARE(connectionEvents(QStringLiteral("→ disconnected")) + connectionEvents(QStringLiteral("→ connecting")), 1);

    QVERIFY2(redis.restart(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(!view->model()->isStale(), 15'000);
    QVERIFY(view->bannerText().isEmpty());
    QTRY_COMPARE(connectionEvents(QStringLiteral("→ connected")), 1);
}

void TestForceRelease::rowsKeepStillUntilTheCalmBeat()
{
    InProcessEngineLink link(InProcessOptions::demo());
    LocksView view(&link);
    view.setResortIntervalMs(300);
    view.show();
    LockTable table;
    table.endpoint = QStringLiteral("127.0.0.1:6379");
    table.rows = {lock("lock:a", 10'000), lock("lock:b", 20'000), lock("lock:c", 30'000)};
    view.setEndpoints({table.endpoint});
    view.setLockTable(table);
    QTRY_COMPARE(view.table()->model()->rowCount(), 3);
    QCOMPARE(rowOf(&view, "lock:a"), 0);   // sorted by TTL, shortest first
    view.table()->selectRow(0);

    // lock:a is renewed (its TTL jumps to 40 s) while the pointer is over the table: nothing moves
    // under it, the selection stays on lock:a.
    QEvent enter(QEvent::Enter);
    QCoreApplication::sendEvent(view.table()->viewport(), &enter);
    table.rows[0].ttlMs = 40'000;
    table.rows[0].readAt = QDateTime::currentDateTimeUtc();
    view.setLockTable(table);
    QTest::qWait(700);
    QCOMPARE(rowOf(&view, "lock:a"), 0);
    QCOMPARE(view.table()->selectionModel()->selectedRows().first().data().toString(), QStringLiteral("lock:a"));
    // The pointer leaves: at the next beat the row takes its place, the selection with it.
    QEvent leave(QEvent::Leave);
    QCoreApplication::sendEvent(view.table()->viewport(), &leave);
    QTRY_COMPARE(rowOf(&view, "lock:a"), 2);
    QCOMPARE(view.table()->selectionModel()->selectedRows().first().data().toString(), QStringLiteral("lock:a"));
}

QTEST_MAIN(TestForceRelease)
#include "tst_forcerelease.moc"
