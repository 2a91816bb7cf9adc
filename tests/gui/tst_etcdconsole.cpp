#include "engine/inprocessenginelink.h"
#include "etcdclients.h"
#include "etcdserver.h"
#include "freeport.h"
#include "locks/lockbackends.h"
#include "lockmodel.h"
#include "locksview.h"
#include "locksviewrows.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace fulcrum::ui;

// The console's Locks view on an etcd endpoint of the embedded engine: the picker names the
// backend, the TTL column counts the lease down, and the release dialog explains both releases
// and lists the lease's other keys before the operator chooses; revoking ends a real
// `etcdctl lock` holder. Settings' Test connection on etcd:// lines.
class TestEtcdConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void locksViewShowsAnEtcdEndpointAndRevokes();
    void testConnectionReachesEtcdOrSaysWhy();

private:
    std::unique_ptr<EtcdServer> m_server;
};

void TestEtcdConsole::initTestCase()
{
    m_server = std::make_unique<EtcdServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
}

static QString etcdAddress(const EtcdServer &server)
{
    return QStringLiteral("etcd://") + server.clientUrl().mid(7);
}

void TestEtcdConsole::locksViewShowsAnEtcdEndpointAndRevokes()
{
    const QString name = QStringLiteral("/locks/console/payout-3");
    auto holder = EtcdLockProcess::lock(*m_server, name);
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 20'000);
    const QByteArray key = holder->key();
    const QString lease = QString::fromUtf8(key.mid(key.lastIndexOf('/') + 1));
    QVERIFY(m_server->etcdctl({QStringLiteral("put"), QStringLiteral("--lease=%1").arg(lease), QStringLiteral("/services/payout-worker"), QStringLiteral("up")}));
    auto waiter = EtcdLockProcess::lock(*m_server, name);

    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint etcd;
    QString error;
    QVERIFY2(parseLockEndpointAddress(etcdAddress(*m_server), &etcd.config, &error), qPrintable(error));
    etcd.config.etcd.name = QStringLiteral("k8s-etcd");
    etcd.config.etcd.pollIntervalMs = 200;
    options.locks.append(etcd);
    InProcessEngineLink link(options);
    QCOMPARE(link.lockEndpoints(), (QList<LockEndpointInfo>{{QStringLiteral("k8s-etcd"), QStringLiteral("etcd"), QStringLiteral("etcd"), false}}));
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.resize(1100, 600);
    view.show();

    auto *picker = view.findChild<QComboBox *>(QStringLiteral("lockEndpoints"));
    QVERIFY(picker);
    QCOMPARE(picker->currentText(), QStringLiteral("k8s-etcd (etcd)"));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, name) >= 0 && view.table()->model()->index(rowOf(&view, name), LockModel::Waiters).data().toString() == u"1",
                             30'000);
    QVERIFY(!view.table()->isColumnHidden(LockModel::Ttl));
    QVERIFY(!view.table()->isColumnHidden(LockModel::Session));
    const int row = rowOf(&view, name);
    QCOMPARE(view.table()->model()->index(row, LockModel::Kind).data().toString(), QStringLiteral("etcd mutex"));
    QCOMPARE(view.table()->model()->index(row, LockModel::Session).data().toString(), lease);

    view.table()->selectRow(row);
    ForceReleaseDialog *dialog = view.forceReleaseSelected();
    QVERIFY(dialog);
    auto *effect = dialog->findChild<QLabel *>(QStringLiteral("releaseEffect"));
    auto *revokeEffect = dialog->findChild<QLabel *>(QStringLiteral("revokeEffect"));
    auto *leaseKeys = dialog->findChild<QLabel *>(QStringLiteral("leaseKeys"));
    QVERIFY(effect && revokeEffect && leaseKeys);
    QVERIFY2(effect->text().contains(u"NOT told"), qPrintable(effect->text()));
    QVERIFY2(revokeEffect->text().contains(u"EVERY") && revokeEffect->text().contains(u"learns"), qPrintable(revokeEffect->text()));
    QCOMPARE(leaseKeys->text(), QStringLiteral("/services/payout-worker"));
    QVERIFY(!dialog->askButton());
    QVERIFY(dialog->revokeButton());
    dialog->show();
    dialog->revokeButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(dialog->outcome(), ForceReleaseDialog::Outcome::Revoked, 10'000);
    QVERIFY(!dialog->releaseButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!holder->isRunning(), 20'000);      // the holder learned its session is over
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 20'000);
}

// Settings → Locks → Test connection, as the dialog sends it: through the engine's side.
void TestEtcdConsole::testConnectionReachesEtcdOrSaysWhy()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    auto test = [&link](const QString &address) {
        LockEndpointConfig endpoint;
        QString error;
        if (!parseLockEndpointAddress(address, &endpoint, &error))
            return CommandResult{0, false, error};
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
    const CommandResult ok = test(etcdAddress(*m_server));
    QVERIFY2(ok.ok && ok.message.contains(u"connected to") && ok.message.contains(u"etcd 3."), qPrintable(ok.message));

    const QString down = QStringLiteral("127.0.0.1:%1").arg(freeLoopbackPort());
    const CommandResult refused = test(QStringLiteral("etcd://") + down);
    QVERIFY(!refused.ok);
    QVERIFY2(refused.message.contains(down), qPrintable(refused.message));

    const CommandResult malformed = test(QStringLiteral("etcd://etcd1"));
    QVERIFY(!malformed.ok);
    QVERIFY2(malformed.message.contains(u"HOST:PORT"), qPrintable(malformed.message));
}

QTEST_MAIN(TestEtcdConsole)
#include "tst_etcdconsole.moc"
