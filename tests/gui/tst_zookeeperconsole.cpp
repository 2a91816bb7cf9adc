#include "engine/inprocessenginelink.h"
#include "locks/lockbackends.h"
#include "lockmodel.h"
#include "locksview.h"
#include "locksviewrows.h"
#include "freeport.h"
#include "zkclients.h"
#include "zookeeperserver.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include <memory>
#include <vector>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace fulcrum::ui;

// The console's Locks view on a ZooKeeper endpoint of the embedded engine: the picker names
// the backend, columns ZooKeeper has no figures for are hidden, the detail pane lists the
// waiters in queue order, and the release dialog says what a release does here, offers to ask
// a Curator holder first, and passes the lock on to the next real Curator client.
class TestZooKeeperConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void locksViewShowsAZooKeeperEndpoint();
    void detailPaneReadsWaitersAPassListedByName();
    void testConnectionReachesZooKeeperOrSaysWhy();

private:
    std::unique_ptr<ZooKeeperServer> m_server;
};

void TestZooKeeperConsole::initTestCase()
{
    m_server = std::make_unique<ZooKeeperServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY2(ZkLockProcess::prepareCurator(&error), qPrintable(error));
}

void TestZooKeeperConsole::locksViewShowsAZooKeeperEndpoint()
{
    const QString path = QStringLiteral("/locks/console/payout-3");
    ZkLockProcess holder(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), m_server->hosts(), path);
    QString error;
    QVERIFY2(holder.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(holder.isAcquired(), 30'000);
    ZkLockProcess waiter(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), m_server->hosts(), path);
    QVERIFY2(waiter.start(&error), qPrintable(error));

    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint zk;
    QVERIFY(parseLockEndpointAddress(QStringLiteral("zookeeper://") + m_server->hosts(), &zk.config, &error));
    zk.config.zookeeper.name = QStringLiteral("orders-zk");
    zk.config.zookeeper.pollIntervalMs = 200;
    zk.config.zookeeper.sessionTimeoutMs = 4000;
    options.locks.append(zk);
    InProcessEngineLink link(options);
    QCOMPARE(link.lockEndpoints(), (QList<LockEndpointInfo>{{QStringLiteral("orders-zk"), QStringLiteral("zookeeper"), QStringLiteral("ZooKeeper"), false}}));
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.resize(1100, 600);
    view.show();

    auto *picker = view.findChild<QComboBox *>(QStringLiteral("lockEndpoints"));
    QVERIFY(picker);
    QCOMPARE(picker->currentText(), QStringLiteral("orders-zk (ZooKeeper)"));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, path) >= 0 && view.table()->model()->index(rowOf(&view, path), LockModel::Waiters).data().toString() == u"1",
                             30'000);
    // No TTL for ZooKeeper locks (they live as long as the holder's session): no such column.
    QVERIFY(view.table()->isColumnHidden(LockModel::Ttl));
    QVERIFY(!view.table()->isColumnHidden(LockModel::Session));
    QVERIFY(!view.table()->isColumnHidden(LockModel::Waiters));
    QCOMPARE(view.table()->model()->headerData(LockModel::Key, Qt::Horizontal).toString(), QStringLiteral("Lock"));
    const int row = rowOf(&view, path);
    QCOMPARE(view.table()->model()->index(row, LockModel::Kind).data().toString(), QStringLiteral("Curator mutex"));
    QVERIFY(view.table()->model()->index(row, LockModel::Session).data().toString().startsWith(u"0x"));
    QVERIFY2(!view.table()->model()->index(row, LockModel::Flags).data().toString().contains(u"no expiry"),
             "ZooKeeper locks are not flagged for a TTL they cannot have");

    view.table()->selectRow(row);
    QVERIFY2(view.detailText().contains(u"1. ") && view.detailText().contains(u"session 0x"), qPrintable(view.detailText()));
    // The pane names the kind as the table does (translated), not the inspector's word.
    QVERIFY2(view.detailText().contains(u" — Curator mutex, held by "), qPrintable(view.detailText()));

    ForceReleaseDialog *dialog = view.forceReleaseSelected();
    QVERIFY(dialog);
    auto *effect = dialog->findChild<QLabel *>(QStringLiteral("releaseEffect"));
    QVERIFY(effect);
    QVERIFY2(effect->text().contains(u"next waiter takes the lock at once") && effect->text().contains(u"NOT told"), qPrintable(effect->text()));
    QVERIFY2(dialog->askButton(), "a Curator lock offers to ask its holder first");
    QVERIFY(!dialog->keyConfirmation());
    dialog->show();
    dialog->releaseButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(dialog->outcome(), ForceReleaseDialog::Outcome::Released, 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(waiter.isAcquired(), 30'000);
    waiter.release();
}

// An endpoint whose passes read no waiter whole (waiter_details 0, as a large tree exhausts the
// default budget): the table counts the waiters, and opening the lock reads who they are.
void TestZooKeeperConsole::detailPaneReadsWaitersAPassListedByName()
{
    const QString path = QStringLiteral("/locks/console/refund-8");
    QString error;
    std::vector<std::unique_ptr<ZkLockProcess>> clients;
    for (const QString &who : {QStringLiteral("refund-1"), QStringLiteral("refund-2"), QStringLiteral("refund-3")}) {
        clients.push_back(std::make_unique<ZkLockProcess>(ZkLockProcess::Library::Kazoo, QStringLiteral("lock"), m_server->hosts(), path, who));
        QVERIFY2(clients.back()->start(&error), qPrintable(error));
        if (who == u"refund-1")
            QTRY_VERIFY_WITH_TIMEOUT(clients.back()->isAcquired(), 30'000);
        else
            QTRY_VERIFY_WITH_TIMEOUT(clients.back()->hasSaid(QStringLiteral("waiting")), 30'000);
    }

    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint zk;
    QVERIFY(parseLockEndpointAddress(QStringLiteral("zookeeper://") + m_server->hosts(), &zk.config, &error));
    zk.config.zookeeper.name = QStringLiteral("refunds-zk");
    zk.config.zookeeper.pollIntervalMs = 200;
    zk.config.zookeeper.sessionTimeoutMs = 4000;
    zk.config.zookeeper.waiterDetails = 0;
    options.locks.append(zk);
    InProcessEngineLink link(options);
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.resize(1100, 600);
    view.show();
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, path) >= 0 && view.table()->model()->index(rowOf(&view, path), LockModel::Waiters).data().toString() == u"2",
                             30'000);
    view.table()->selectRow(rowOf(&view, path));
    QTRY_VERIFY2_WITH_TIMEOUT(view.detailText().contains(u"refund-2") && view.detailText().contains(u"refund-3"), qPrintable(view.detailText()), 15'000);
    QVERIFY2(view.detailText().contains(u"1. refund-") && view.detailText().contains(u"2. refund-"), qPrintable(view.detailText()));
    QVERIFY2(view.detailText().count(u"session 0x") >= 2, qPrintable(view.detailText()));
    QVERIFY2(!view.detailText().contains(u"Reading the waiters"), qPrintable(view.detailText()));
    // The next table (its waiters still by name) keeps what was read.
    QSignalSpy tables(&link, &EngineLink::lockTableReady);
    QTRY_VERIFY_WITH_TIMEOUT(tables.count() >= 2, 10'000);
    QVERIFY2(view.detailText().contains(u"refund-2") && view.detailText().contains(u"refund-3"), qPrintable(view.detailText()));
}

// Settings → Locks → Test connection, as the dialog sends it: through the engine's side.
void TestZooKeeperConsole::testConnectionReachesZooKeeperOrSaysWhy()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    auto test = [&link](const QString &address) {
        LockEndpointConfig endpoint;
        QString error;
        if (!parseLockEndpointAddress(address, &endpoint, &error))
            return CommandResult{0, false, error};
        endpoint.zookeeper.sessionTimeoutMs = 4000;
        QSignalSpy finished(&link, &EngineLink::commandFinished);
        const quint64 id = link.testLockEndpoint(endpoint, QByteArray());
        for (int waited = 0; waited < 30; ++waited) {
            for (const QList<QVariant> &args : std::as_const(finished)) {
                const CommandResult result = args.at(0).value<CommandResult>();
                if (result.id == id)
                    return result;
            }
            finished.wait(1000);
        }
        return CommandResult{id, false, QStringLiteral("no answer")};
    };
    const CommandResult ok = test(QStringLiteral("zookeeper://") + m_server->hosts());
    QVERIFY2(ok.ok && ok.message.contains(u"connected to") && ok.message.contains(u"/locks"), qPrintable(ok.message));

    // Nothing listens there, as at a stopped server; held so no server of a suite running in
    // parallel can take the port meanwhile (a stopped server's freed port once was).
    const RefusingPort stopped;
    const QString hosts = QStringLiteral("127.0.0.1:%1").arg(stopped.port());
    const CommandResult down = test(QStringLiteral("zookeeper://") + hosts);
    QVERIFY2(!down.ok, qPrintable(QStringLiteral("a stopped server at %1 answered: %2").arg(hosts, down.message)));
    QVERIFY2(down.message.contains(hosts), qPrintable(down.message));
}

QTEST_MAIN(TestZooKeeperConsole)
#include "tst_zookeeperconsole.moc"
