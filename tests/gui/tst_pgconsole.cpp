#include "engine/inprocessenginelink.h"
#include "freeport.h"
#include "locks/lockbackends.h"
#include "lockmodel.h"
#include "locksview.h"
#include "locksviewrows.h"
#include "postgresserver.h"

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

// The console's Locks view on a PostgreSQL endpoint of the embedded engine: advisory locks and a
// blocking chain side by side, the chain's tree in the detail pane, and the release dialog that
// lists what the session also holds and whether it is in a transaction before the operator
// cancels the root blocker's query. Settings' Test connection on postgres:// lines.
class TestPgConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void locksViewShowsAdvisoryLocksAndAChainAndCancelsTheRoot();
    void testConnectionReachesPostgresOrSaysWhy();

private:
    std::unique_ptr<PostgresServer> m_server;
};

void TestPgConsole::initTestCase()
{
    m_server = std::make_unique<PostgresServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY2(m_server->sql(QStringLiteral("CREATE TABLE stock (sku int PRIMARY KEY, n int); INSERT INTO stock VALUES (42, 100);"), &error),
             qPrintable(error));
}

void TestPgConsole::locksViewShowsAdvisoryLocksAndAChainAndCancelsTheRoot()
{
    PsqlSession advisory(*m_server, QStringLiteral("postgres"), QStringLiteral("settlement"));
    QVERIFY(advisory.start());
    QVERIFY(advisory.run(QStringLiteral("SELECT pg_advisory_lock(77); SELECT pg_advisory_lock(78);")));
    PsqlSession root(*m_server, QStringLiteral("postgres"), QStringLiteral("batch"));
    QVERIFY(root.start());
    QVERIFY(root.run(QStringLiteral("BEGIN; UPDATE stock SET n = n WHERE sku = 42;")));
    root.send(QStringLiteral("SELECT pg_sleep(120);"));
    PsqlSession blocked(*m_server, QStringLiteral("postgres"), QStringLiteral("checkout"));
    QVERIFY(blocked.start());
    const QString done = blocked.send(QStringLiteral("UPDATE stock SET n = n - 1 WHERE sku = 42;"));

    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint pg;
    QString error;
    QVERIFY2(parseLockEndpointAddress(m_server->url(), &pg.config, &error), qPrintable(error));
    pg.config.postgres.name = QStringLiteral("shop-db");
    pg.config.postgres.pollIntervalMs = 200;
    options.locks.append(pg);
    InProcessEngineLink link(options);
    QCOMPARE(link.lockEndpoints(), (QList<LockEndpointInfo>{{QStringLiteral("shop-db"), QStringLiteral("postgres"), QStringLiteral("PostgreSQL"), false}}));
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.resize(1100, 600);
    view.show();

    auto *picker = view.findChild<QComboBox *>(QStringLiteral("lockEndpoints"));
    QVERIFY(picker);
    QCOMPARE(picker->currentText(), QStringLiteral("shop-db (PostgreSQL)"));
    const QString chainKey = QStringLiteral("postgres/chain:%1").arg(root.pid());
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, QStringLiteral("postgres/77")) >= 0 && rowOf(&view, chainKey) >= 0
                                 && view.table()->model()->index(rowOf(&view, chainKey), LockModel::Waiters).data().toString() == u"1",
                             30'000);
    QVERIFY(view.table()->isColumnHidden(LockModel::Ttl));
    QVERIFY(!view.table()->isColumnHidden(LockModel::Session));
    QCOMPARE(view.table()->model()->index(rowOf(&view, QStringLiteral("postgres/77")), LockModel::Kind).data().toString(),
             QStringLiteral("PostgreSQL advisory"));

    // The advisory lock: the dialog lists the session's other lock; no cancel (it frees nothing).
    view.table()->selectRow(rowOf(&view, QStringLiteral("postgres/77")));
    ForceReleaseDialog *lockDialog = view.forceReleaseSelected();
    QVERIFY(lockDialog);
    auto *otherLocks = lockDialog->findChild<QLabel *>(QStringLiteral("otherLocks"));
    QVERIFY(otherLocks);
    QVERIFY2(otherLocks->text().contains(u"advisory 78"), qPrintable(otherLocks->text()));
    QVERIFY(!lockDialog->askButton());
    lockDialog->close();

    const int chainRow = rowOf(&view, chainKey);
    QCOMPARE(view.table()->model()->index(chainRow, LockModel::Kind).data().toString(), QStringLiteral("blocking chain"));
    view.table()->selectRow(chainRow);
    auto *detail = view.findChild<QLabel *>(QStringLiteral("lockDetail"));
    QVERIFY(detail);
    QTRY_VERIFY2(detail->text().contains(QStringLiteral("    pid %1").arg(root.pid())) && detail->text().contains(QStringLiteral("        pid %1").arg(blocked.pid())),
                 qPrintable(detail->text()));
    ForceReleaseDialog *dialog = view.forceReleaseSelected();
    QVERIFY(dialog);
    auto *inTransaction = dialog->findChild<QLabel *>(QStringLiteral("inTransaction"));
    auto *askEffect = dialog->findChild<QLabel *>(QStringLiteral("askEffect"));
    QVERIFY(inTransaction && askEffect);
    QVERIFY2(inTransaction->text().contains(u"rolls it back"), qPrintable(inTransaction->text()));
    QVERIFY2(askEffect->text().contains(u"pg_cancel_backend"), qPrintable(askEffect->text()));
    QVERIFY(dialog->askButton());
    dialog->show();
    dialog->askButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(dialog->outcome(), ForceReleaseDialog::Outcome::Asked, 10'000);
    QVERIFY(blocked.waitFor(done));
    QVERIFY(root.run(QStringLiteral("ROLLBACK;")));
    QCOMPARE(root.run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));
    root.quit();
    blocked.quit();
    advisory.quit();
}

// Settings → Locks → Test connection, as the dialog sends it: through the engine's side.
void TestPgConsole::testConnectionReachesPostgresOrSaysWhy()
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
    const CommandResult ok = test(m_server->url());
    QVERIFY2(ok.ok && ok.message.contains(u"connected to") && ok.message.contains(u"PostgreSQL 1"), qPrintable(ok.message));

    const QString down = QStringLiteral("postgres://postgres@127.0.0.1:%1/postgres").arg(freeLoopbackPort());
    const CommandResult refused = test(down);
    QVERIFY(!refused.ok);
    QVERIFY2(refused.message.contains(down), qPrintable(refused.message));

    const CommandResult withPassword = test(QStringLiteral("postgres://app:secret@127.0.0.1:5432/shop"));
    QVERIFY(!withPassword.ok);
    QVERIFY2(withPassword.message.contains(u"password") && !withPassword.message.contains(u"secret"), qPrintable(withPassword.message));
}

QTEST_MAIN(TestPgConsole)
#include "tst_pgconsole.moc"
