#include "locks/lockbackends.h"
#include "locks/sql/mysqllockbackend.h"
#include "mariadbserver.h"
#include "programs.h"
#include "freeport.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <functional>
#include <memory>
#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;

// MysqlLockBackend against a real MariaDB 10.11 with the metadata_lock_info plugin, and real
// `mariadb` client processes holding and waiting in GET_LOCK; a second server without the plugin
// for what Fulcrum says then. fulcrumctl locks list|release --mysql on the same server.
class TestMysqlLocks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void holderAndWaitersInOrder();
    void killGuardedByIsUsedLock();
    void holderChangedIsRefused();
    void userWithoutConnectionAdminIsToldWhichPrivilege();
    void fulcrumctlListsAndReleases();
    void serverWithoutThePluginSaysWhatItNeeds();

private:
    std::unique_ptr<MysqlLockBackend> connectedBackend(const QString &user = QStringLiteral("fulcrum"));
    LockInfo rowWhen(MysqlLockBackend &backend, const QByteArray &key, const std::function<bool(const LockInfo &)> &accept);
    ForceReleaseResult releaseNow(MysqlLockBackend &backend, const LockReleaseRequest &request);
    std::unique_ptr<MariaDbSession> session(const QString &user = QStringLiteral("app"));

    std::unique_ptr<MariaDbServer> m_server;
};

void TestMysqlLocks::initTestCase()
{
    m_server = std::make_unique<MariaDbServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY2(m_server->sql(QStringLiteral("CREATE USER fulcrum@'%'; GRANT PROCESS, CONNECTION ADMIN ON *.* TO fulcrum@'%'; "
                                          "CREATE USER viewer@'%'; GRANT PROCESS ON *.* TO viewer@'%'; CREATE USER app@'%';"),
                           &error),
             qPrintable(error));
}

std::unique_ptr<MysqlLockBackend> TestMysqlLocks::connectedBackend(const QString &user)
{
    MysqlEndpointConfig config;
    config.name = QStringLiteral("shop-mysql");
    config.url = m_server->url(user);
    auto backend = std::make_unique<MysqlLockBackend>(config, QByteArray());
    backend->open();
    if (!QTest::qWaitFor([&] { return backend->isConnected(); }, 20'000))
        return nullptr;
    return backend;
}

std::unique_ptr<MariaDbSession> TestMysqlLocks::session(const QString &user)
{
    auto s = std::make_unique<MariaDbSession>(*m_server, user);
    QString error;
    if (!s->start(&error))
        qWarning("%s", qPrintable(error));
    return s;
}

LockInfo TestMysqlLocks::rowWhen(MysqlLockBackend &backend, const QByteArray &key, const std::function<bool(const LockInfo &)> &accept)
{
    QDeadlineTimer deadline(30'000);
    while (!deadline.hasExpired()) {
        QSignalSpy finished(&backend, &LockBackend::scanFinished);
        backend.scan();
        if (QTest::qWaitFor([&] { return finished.count() > 0; }, 15'000)) {
            for (const LockInfo &info : backend.lastResult().locks) {
                if (info.key == key && accept(info))
                    return info;
            }
        }
        QTest::qWait(100);
    }
    return LockInfo{};
}

ForceReleaseResult TestMysqlLocks::releaseNow(MysqlLockBackend &backend, const LockReleaseRequest &request)
{
    std::optional<ForceReleaseResult> outcome;
    backend.release(request, [&outcome](const ForceReleaseResult &r) { outcome = r; });
    (void)QTest::qWaitFor([&] { return outcome.has_value(); }, 15'000);
    return outcome.value_or(ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("no answer")});
}

void TestMysqlLocks::holderAndWaitersInOrder()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto holder = session();
    QCOMPARE(holder->run(QStringLiteral("SELECT GET_LOCK('orders:42', 0);")).value_or(QString()), QStringLiteral("1"));
    auto first = session();
    first->send(QStringLiteral("SELECT GET_LOCK('orders:42', 100);"));
    QCOMPARE(rowWhen(*backend, "orders:42", [](const LockInfo &r) { return r.waiters.size() == 1; }).waiters.size(), 1);
    auto second = session();
    second->send(QStringLiteral("SELECT GET_LOCK('orders:42', 100);"));
    const LockInfo row = rowWhen(*backend, "orders:42", [](const LockInfo &r) { return r.waiters.size() == 2; });
    QCOMPARE(row.kind, QStringLiteral("mysql-user-lock"));
    QCOMPARE(row.holder, QByteArray::number(holder->connectionId()));
    QVERIFY2(row.holderText.contains(QStringLiteral("app@127.0.0.1")), qPrintable(row.holderText));
    QCOMPARE(row.detailString(QStringLiteral("source")), QStringLiteral("metadata_lock_info"));
    QCOMPARE(row.waiters.size(), 2);
    QCOMPARE(row.waiters.at(0).id, QByteArray::number(first->connectionId()));
    QCOMPARE(row.waiters.at(1).id, QByteArray::number(second->connectionId()));
    QVERIFY(row.waiters.at(0).queuedAt <= row.waiters.at(1).queuedAt);
    first->quit();
    second->quit();
    holder->quit();
}

void TestMysqlLocks::killGuardedByIsUsedLock()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto holder = session();
    QCOMPARE(holder->run(QStringLiteral("SELECT GET_LOCK('stock:7', 0), GET_LOCK('stock:8', 0);")).value_or(QString()), QStringLiteral("1\t1"));
    auto waiter = session();
    const QString acquired = waiter->send(QStringLiteral("SELECT GET_LOCK('stock:7', 100);"));
    const LockInfo row = rowWhen(*backend, "stock:7", [](const LockInfo &r) { return r.waiters.size() == 1; });
    QCOMPARE(row.waiters.size(), 1);
    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::Released);
    QVERIFY2(result.message.contains(QStringLiteral("killed connection")), qPrintable(result.message));
    QVERIFY(holder->connectionLost());
    QVERIFY(waiter->waitFor(acquired));
    // Every lock of the killed connection goes with it.
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        QString free;
        return m_server->sql(QStringLiteral("SELECT IS_FREE_LOCK('stock:8')"), &free) && free == u"1";
    })(), 15'000);
    waiter->quit();
}

void TestMysqlLocks::holderChangedIsRefused()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto holder = session();
    QVERIFY(holder->run(QStringLiteral("SELECT GET_LOCK('refund:1', 0);")));
    const LockInfo seen = rowWhen(*backend, "refund:1", [](const LockInfo &) { return true; });
    QVERIFY(holder->run(QStringLiteral("SELECT RELEASE_LOCK('refund:1');")));
    auto next = session();
    QVERIFY(next->run(QStringLiteral("SELECT GET_LOCK('refund:1', 0);")));
    const ForceReleaseResult changed = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, seen.key, seen.holder});
    QCOMPARE(changed.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(changed.currentHolder, QByteArray::number(next->connectionId()));
    QCOMPARE(next->run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));
    QCOMPARE(holder->run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));
    next->quit();
    // The client has exited; the server ends its connection a moment later.
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        QString used;
        return m_server->sql(QStringLiteral("SELECT IS_USED_LOCK('refund:1')"), &used) && used == u"NULL";
    })(), 15'000);
    const ForceReleaseResult gone = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, seen.key, seen.holder});
    QCOMPARE(gone.outcome, ForceReleaseResult::Gone);
    holder->quit();
}

void TestMysqlLocks::userWithoutConnectionAdminIsToldWhichPrivilege()
{
    auto backend = connectedBackend(QStringLiteral("viewer"));
    QVERIFY(backend);
    auto holder = session();
    QVERIFY(holder->run(QStringLiteral("SELECT GET_LOCK('payout:3', 0);")));
    const LockInfo row = rowWhen(*backend, "payout:3", [](const LockInfo &) { return true; });
    QVERIFY(row.holderText.contains(QStringLiteral("app@")));
    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::Failed);
    QVERIFY2(result.message.contains(QStringLiteral("CONNECTION ADMIN")), qPrintable(result.message));
    QCOMPARE(holder->run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));

    // Without PROCESS, other users' connections are hidden: a note names the privilege.
    auto blind = connectedBackend(QStringLiteral("app"));
    QVERIFY(blind);
    auto other = session(QStringLiteral("viewer"));
    QVERIFY(other->run(QStringLiteral("SELECT GET_LOCK('hidden:1', 0);")));
    (void)rowWhen(*blind, "hidden:1", [](const LockInfo &) { return true; });
    bool noted = false;
    for (const LockScanNote &note : blind->lastResult().notes)
        noted = noted || note.text.contains(QStringLiteral("GRANT PROCESS"));
    QVERIFY(noted);
    other->quit();
    holder->quit();
}

void TestMysqlLocks::fulcrumctlListsAndReleases()
{
    auto holder = session();
    QVERIFY(holder->run(QStringLiteral("SELECT GET_LOCK('ctl:9', 0);")));
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    QJsonObject row;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const ProgramRun list = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--mysql"), m_server->url(QStringLiteral("fulcrum")),
                                                 QStringLiteral("--json")});
        for (const QJsonValue &value : QJsonDocument::fromJson(list.out.toUtf8()).array()) {
            if (value.toObject().value(QStringLiteral("key")).toString() == u"ctl:9")
                row = value.toObject();
        }
        return !row.isEmpty();
    })(), 20'000);
    QCOMPARE(row.value(QStringLiteral("holder")).toString(), QString::number(holder->connectionId()));
    const QStringList release{QStringLiteral("locks"), QStringLiteral("release"), QStringLiteral("ctl:9"), QStringLiteral("--mysql"),
                              m_server->url(QStringLiteral("fulcrum")), QStringLiteral("--audit-log"), QDir::temp().filePath(QStringLiteral("fulcrum-mysql-audit.log")),
                              QStringLiteral("--holder")};
    const ProgramRun wrong = runProgram(ctl, release + QStringList{QString::number(holder->connectionId() + 1000)});
    QVERIFY2(wrong.exitCode == 3, qPrintable(wrong.err));
    const ProgramRun right = runProgram(ctl, release + QStringList{QString::number(holder->connectionId())});
    QVERIFY2(right.exitCode == 0, qPrintable(right.err));
    QVERIFY(holder->connectionLost());
    QFile::remove(QDir::temp().filePath(QStringLiteral("fulcrum-mysql-audit.log")));
}

void TestMysqlLocks::serverWithoutThePluginSaysWhatItNeeds()
{
    MariaDbServer bare(false);
    QString error;
    QVERIFY2(bare.start(&error), qPrintable(error));
    QVERIFY(bare.sql(QStringLiteral("CREATE USER fulcrum@'%'; GRANT PROCESS ON *.* TO fulcrum@'%';")));
    MysqlEndpointConfig config;
    config.url = bare.url(QStringLiteral("fulcrum"));
    MysqlLockBackend backend(config, QByteArray());
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 20'000);
    QSignalSpy failed(&backend, &LockBackend::scanFailed);
    backend.scan();
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10'000);
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("INSTALL SONAME 'metadata_lock_info'")), qPrintable(failed.first().first().toString()));

    std::optional<std::pair<bool, QString>> probed;
    QObject context;
    MysqlLockBackend::probe(config, QByteArray(), &context, [&](bool ok, const QString &message) { probed = {ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(probed.has_value(), 15'000);
    QVERIFY2(probed->first && probed->second.contains(QStringLiteral("metadata_lock_info")), qPrintable(probed->second));
    config.url = QStringLiteral("mysql://fulcrum@127.0.0.1:%1/").arg(freeLoopbackPort());
    probed.reset();
    MysqlLockBackend::probe(config, QByteArray(), &context, [&](bool ok, const QString &message) { probed = {ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(probed.has_value(), 15'000);
    QVERIFY(!probed->first);
}

QTEST_GUILESS_MAIN(TestMysqlLocks)
#include "tst_mysqllocks.moc"
