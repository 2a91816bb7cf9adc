#include "locks/lockbackends.h"
#include "locks/sql/mysqllockbackend.h"
#include "mariadbserver.h"
#include "programs.h"
#include "freeport.h"
#include "testcertificates.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QRegularExpression>
#include <QTest>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

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
    void connectsWhileTheHeapIsBusyAfterOpen();
    void killGuardedByIsUsedLock();
    void holderChangedIsRefused();
    void userWithoutConnectionAdminIsToldWhichPrivilege();
    void fulcrumctlListsAndReleases();
    void serverWithoutThePluginSaysWhatItNeeds();
    void performanceSchemaShowsHoldersAndWaiters();
    void shedLockRowsExpireOnlyWhileStillAsShown();
    void ownLockTableMappedAndProblemsNamed();
    void tlsWhenTheServerOffersItAndVerifiedWhenAsked();

private:
    std::unique_ptr<MysqlLockBackend> connectedBackend(const QString &user = QStringLiteral("fulcrum"), const QString &database = {});
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

std::unique_ptr<MysqlLockBackend> TestMysqlLocks::connectedBackend(const QString &user, const QString &database)
{
    MysqlEndpointConfig config;
    config.name = QStringLiteral("shop-mysql");
    config.url = m_server->url(user, database);
    auto backend = std::make_unique<MysqlLockBackend>(config, QByteArray());
    QStringList errors;
    QObject::connect(backend.get(), &LockBackend::errorOccurred, backend.get(), [&errors](const QString &why) { errors << why; });
    backend->open();
    const bool connected = QTest::qWaitFor([&] { return backend->isConnected(); }, 20'000);
    QObject::disconnect(backend.get(), &LockBackend::errorOccurred, backend.get(), nullptr);
    if (!connected) {
        qWarning("%s did not connect within 20 s: %s", qPrintable(config.url), qPrintable(errors.join(QStringLiteral("; "))));
        return nullptr;
    }
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

void TestMysqlLocks::connectsWhileTheHeapIsBusyAfterOpen()
{
    // The connection is made by Connector/C's non-blocking API, which goes on reading the host,
    // user and database it was given after open() has returned. A console allocates all the
    // time; here the memory a short-lived copy of those names would have had is taken and
    // overwritten at once, many times over. Each connection still reaches the right server as
    // the right user, over TLS-less loopback and with a database named.
    for (int round = 0; round < 20; ++round) {
        MysqlEndpointConfig config;
        config.name = QStringLiteral("shop-mysql");
        config.url = m_server->url(QStringLiteral("viewer"), QStringLiteral("information_schema"));
        MysqlLockBackend backend(config, QByteArray());
        QStringList errors;
        connect(&backend, &LockBackend::errorOccurred, &backend, [&errors](const QString &why) { errors << why; });
        backend.open();
        std::vector<QByteArray> scribble;
        for (int i = 0; i < 64; ++i) {
            for (qsizetype size : {qsizetype(5), qsizetype(9), qsizetype(15), qsizetype(31), qsizetype(config.url.size())})
                scribble.emplace_back(size, 'x');
        }
        QVERIFY2(QTest::qWaitFor([&] { return backend.isConnected() || !errors.isEmpty(); }, 20'000), "neither connected nor failed");
        QVERIFY2(backend.isConnected(), qPrintable(errors.join(QStringLiteral("; "))));
        QSignalSpy finished(&backend, &LockBackend::scanFinished);
        backend.scan();
        QVERIFY(QTest::qWaitFor([&] { return finished.count() > 0; }, 15'000));
    }
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
    // The table's count line says what a MySQL pass reads: rows (it said "node(s) read", ZooKeeper's word).
    const ProgramRun table = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--mysql"), m_server->url(QStringLiteral("fulcrum"))});
    QVERIFY2(table.exitCode == 0 && table.out.contains(u"ctl:9"), qPrintable(table.out + table.err));
    QVERIFY2(QRegularExpression(QStringLiteral("\\d+ lock\\(s\\) among \\d+ row\\(s\\) read in \\d+ ms\\n$")).match(table.out).hasMatch(), qPrintable(table.out));
    const QStringList release{QStringLiteral("locks"), QStringLiteral("release"), QStringLiteral("ctl:9"), QStringLiteral("--mysql"),
                              m_server->url(QStringLiteral("fulcrum")), QStringLiteral("--audit-log"), QDir::temp().filePath(QStringLiteral("fulcrum-mysql-audit.log")),
                              QStringLiteral("--holder")};
    const ProgramRun wrong = runProgram(ctl, release + QStringList{QString::number(holder->connectionId() + 1000)});
    QVERIFY2(wrong.exitCode == 3, qPrintable(wrong.err));
    const ProgramRun right = runProgram(ctl, release + QStringList{QString::number(holder->connectionId())});
    QVERIFY2(right.exitCode == 0, qPrintable(QStringLiteral("exit %1: %2%3").arg(right.exitCode).arg(right.err, right.out)));
    QVERIFY(holder->connectionLost());
    QFile::remove(QDir::temp().filePath(QStringLiteral("fulcrum-mysql-audit.log")));
}

void TestMysqlLocks::serverWithoutThePluginSaysWhatItNeeds()
{
    MariaDbServer bare(MariaDbServer::NamedLocks::None);
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

void TestMysqlLocks::performanceSchemaShowsHoldersAndWaiters()
{
    // MySQL 8's source (performance_schema.metadata_locks, OBJECT_TYPE 'USER LEVEL LOCK'), on a
    // MariaDB that has it on instead of the plugin: the same statement MySQL 8 answers.
    MariaDbServer server(MariaDbServer::NamedLocks::PerformanceSchema);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QVERIFY(server.sql(QStringLiteral("CREATE USER fulcrum@'%'; GRANT PROCESS, CONNECTION ADMIN ON *.* TO fulcrum@'%'; "
                                      "GRANT SELECT ON performance_schema.* TO fulcrum@'%'; CREATE USER app@'%';")));
    MysqlEndpointConfig config;
    config.url = server.url(QStringLiteral("fulcrum"));
    MysqlLockBackend backend(config, QByteArray());
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 20'000);
    MariaDbSession holder(server, QStringLiteral("app"));
    MariaDbSession waiter(server, QStringLiteral("app"));
    QVERIFY(holder.start() && waiter.start());
    QCOMPARE(holder.run(QStringLiteral("SELECT GET_LOCK('stock:7', 0);")).value_or(QString()), QStringLiteral("1"));
    waiter.send(QStringLiteral("SELECT GET_LOCK('stock:7', 100);"));
    const LockInfo row = rowWhen(backend, "stock:7", [](const LockInfo &r) { return r.waiters.size() == 1; });
    QCOMPARE(row.detailString(QStringLiteral("source")), QStringLiteral("performance_schema"));
    QCOMPARE(row.holder, QByteArray::number(holder.connectionId()));
    QCOMPARE(row.waiters.value(0).id, QByteArray::number(waiter.connectionId()));
    const ForceReleaseResult killed = releaseNow(backend, LockReleaseRequest{LockReleaseRequest::Delete, "stock:7", row.holder});
    QCOMPARE(killed.outcome, ForceReleaseResult::Released);
    QVERIFY(holder.connectionLost());
    QCOMPARE(rowWhen(backend, "stock:7", [&](const LockInfo &r) { return r.holder == QByteArray::number(waiter.connectionId()); }).holder,
             QByteArray::number(waiter.connectionId()));
    waiter.quit();
}

// ShedLock's statements for MySQL with the database's time (usingDbTime(): its
// MySqlServerTimeStatementsSource), as a scheduler node runs them.
static QString shedLockInsert(const QString &name, const QString &node, qint64 lockAtMostForMicros)
{
    return QStringLiteral("INSERT IGNORE INTO shedlock(name, lock_until, locked_at, locked_by) VALUES('%1', TIMESTAMPADD(MICROSECOND, %3, UTC_TIMESTAMP(3)), "
                          "UTC_TIMESTAMP(3), '%2');").arg(name, node).arg(lockAtMostForMicros);
}

static QString shedLockUpdate(const QString &name, const QString &node, qint64 lockAtMostForMicros)
{
    return QStringLiteral("UPDATE shedlock SET lock_until = TIMESTAMPADD(MICROSECOND, %3, UTC_TIMESTAMP(3)), locked_at = UTC_TIMESTAMP(3), locked_by = '%2' "
                          "WHERE name = '%1' AND lock_until <= UTC_TIMESTAMP(3); SELECT ROW_COUNT();").arg(name, node).arg(lockAtMostForMicros);
}

static QString shedLockExtend(const QString &name, const QString &node, qint64 lockAtMostForMicros)
{
    return QStringLiteral("UPDATE shedlock SET lock_until = TIMESTAMPADD(MICROSECOND, %3, UTC_TIMESTAMP(3)) WHERE name = '%1' AND locked_by = '%2' "
                          "AND lock_until > UTC_TIMESTAMP(3);").arg(name, node).arg(lockAtMostForMicros);
}

static QString shedLockUnlock(const QString &name, const QString &node)
{
    return QStringLiteral("UPDATE shedlock SET lock_until = IF (TIMESTAMPADD(MICROSECOND, 0, locked_at) > UTC_TIMESTAMP(3) , TIMESTAMPADD(MICROSECOND, 0, locked_at), "
                          "UTC_TIMESTAMP(3)) WHERE name = '%1' AND locked_by = '%2';").arg(name, node);
}

void TestMysqlLocks::shedLockRowsExpireOnlyWhileStillAsShown()
{
    // ShedLock's own DDL for MySQL (its README), in the application's database.
    QString error;
    QVERIFY2(m_server->sql(QStringLiteral("CREATE DATABASE shop; CREATE TABLE shop.shedlock(name VARCHAR(64) NOT NULL, lock_until TIMESTAMP(3) NOT NULL, "
                                          "locked_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name)); "
                                          "GRANT ALL ON shop.* TO app@'%'; GRANT SELECT, UPDATE ON shop.* TO fulcrum@'%';"), &error),
             qPrintable(error));
    auto nodeA = session();
    auto nodeB = session();
    QVERIFY(nodeA->run(QStringLiteral("USE shop;")) && nodeB->run(QStringLiteral("USE shop;")));
    QVERIFY(nodeA->run(shedLockInsert(QStringLiteral("reportJob"), QStringLiteral("node-a"), 600'000'000)));
    QVERIFY(nodeA->run(shedLockInsert(QStringLiteral("cleanupJob"), QStringLiteral("node-a"), 600'000'000)));
    QVERIFY(nodeA->run(shedLockUnlock(QStringLiteral("cleanupJob"), QStringLiteral("node-a"))));

    auto backend = connectedBackend(QStringLiteral("fulcrum"), QStringLiteral("shop"));
    QVERIFY(backend);
    const QByteArray key = "shop/table:shedlock:reportJob";
    const LockInfo shown = rowWhen(*backend, key, [](const LockInfo &) { return true; });
    QCOMPARE(shown.kind, QStringLiteral("lock-table"));
    QCOMPARE(shown.holderText, QStringLiteral("node-a"));
    QVERIFY2(shown.ttlMs > 500'000 && shown.ttlMs <= 600'000, qPrintable(QString::number(shown.ttlMs)));
    QVERIFY2(std::abs(shown.acquiredAt.secsTo(QDateTime::currentDateTimeUtc())) < 60, qPrintable(shown.acquiredAt.toString(Qt::ISODate)));
    for (const LockInfo &info : backend->lastResult().locks)
        QVERIFY2(info.key != "shop/table:shedlock:cleanupJob", "an unlocked ShedLock row is not a held lock");

    // fulcrumctl: the row the operator saw is gone stale after node-a extends (exit 3); the
    // current one is expired (exit 0), and node-b's next attempt takes the lock.
    QVERIFY(nodeA->run(shedLockExtend(QStringLiteral("reportJob"), QStringLiteral("node-a"), 900'000'000)));
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const QString audit = QDir::temp().filePath(QStringLiteral("fulcrum-shedlock-audit.log"));
    const QStringList release{QStringLiteral("locks"), QStringLiteral("release"), QString::fromUtf8(key), QStringLiteral("--mysql"),
                              m_server->url(QStringLiteral("fulcrum"), QStringLiteral("shop")), QStringLiteral("--audit-log"), audit, QStringLiteral("--holder")};
    const ProgramRun stale = runProgram(ctl, release + QStringList{QString::fromUtf8(shown.holder)});
    QVERIFY2(stale.exitCode == 3, qPrintable(stale.out + stale.err));
    QCOMPARE(nodeB->run(shedLockUpdate(QStringLiteral("reportJob"), QStringLiteral("node-b"), 600'000'000)).value_or(QString()), QStringLiteral("0"));
    const LockInfo current = rowWhen(*backend, key, [](const LockInfo &r) { return r.ttlMs > 600'000; });
    const ProgramRun right = runProgram(ctl, release + QStringList{QString::fromUtf8(current.holder)});
    QVERIFY2(right.exitCode == 0, qPrintable(right.out + right.err));
    QVERIFY2((right.out + right.err).contains(QStringLiteral("NOT stopped")), qPrintable(right.out + right.err));
    QCOMPARE(nodeB->run(shedLockUpdate(QStringLiteral("reportJob"), QStringLiteral("node-b"), 600'000'000)).value_or(QString()), QStringLiteral("1"));
    const LockInfo taken = rowWhen(*backend, key, [](const LockInfo &r) { return r.holderText == u"node-b"; });
    QCOMPARE(taken.holderText, QStringLiteral("node-b"));
    const ForceReleaseResult late = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, key, current.holder});
    QCOMPARE(late.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(late.currentHolder, taken.holder);
    QFile auditLog(audit);
    QVERIFY(auditLog.open(QIODevice::ReadOnly));
    const QByteArray logged = auditLog.readAll();
    QVERIFY2(logged.contains("reportJob"), logged.constData());
    auditLog.remove();
    nodeA->quit();
    nodeB->quit();
}

void TestMysqlLocks::ownLockTableMappedAndProblemsNamed()
{
    QString error;
    QVERIFY2(m_server->sql(QStringLiteral("CREATE DATABASE ops; CREATE TABLE ops.job_locks(job VARCHAR(100) PRIMARY KEY, node VARCHAR(100), expires_at DATETIME(6)); "
                                          "INSERT INTO ops.job_locks VALUES ('nightly-export', 'cron-2', UTC_TIMESTAMP(6) + INTERVAL 5 MINUTE), "
                                          "('done', 'cron-1', UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE); "
                                          "CREATE DATABASE IF NOT EXISTS shop; GRANT SELECT, UPDATE ON ops.* TO fulcrum@'%';"), &error),
             qPrintable(error));
    MysqlEndpointConfig config;
    config.url = m_server->url(QStringLiteral("fulcrum"), QStringLiteral("ops"));
    LockTableConfig own;
    own.table = QStringLiteral("ops.job_locks");
    own.nameColumn = QStringLiteral("job");
    own.ownerColumn = QStringLiteral("node");
    own.untilColumn = QStringLiteral("expires_at");
    own.sinceColumn.clear();
    LockTableConfig missing;
    missing.table = QStringLiteral("no_such_locks");
    config.lockTables = {own, missing};
    MysqlLockBackend backend(config, QByteArray());
    QSignalSpy errors(&backend, &LockBackend::errorOccurred);
    backend.open();
    QTRY_VERIFY2_WITH_TIMEOUT(backend.isConnected(), qPrintable(errors.isEmpty() ? QString() : errors.last().first().toString()), 20'000);
    const LockInfo row = rowWhen(backend, "ops/table:ops.job_locks:nightly-export", [](const LockInfo &) { return true; });
    QCOMPARE(row.holderText, QStringLiteral("cron-2"));
    QVERIFY2(row.ttlMs > 240'000 && row.ttlMs <= 300'000, qPrintable(QString::number(row.ttlMs)));
    QVERIFY(!row.acquiredAt.isValid());
    QStringList notes;
    for (const LockScanNote &note : backend.lastResult().notes)
        notes.append(note.text);
    QVERIFY2(notes.join(u'\n').contains(QStringLiteral("no_such_locks does not exist")), qPrintable(notes.join(u'\n')));
    for (const LockInfo &info : backend.lastResult().locks)
        QVERIFY(!info.key.endsWith(":done"));
    QCOMPARE(releaseNow(backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder}).outcome, ForceReleaseResult::Released);
    QString output;
    QVERIFY(m_server->sql(QStringLiteral("SELECT COUNT(*) FROM ops.job_locks WHERE expires_at > UTC_TIMESTAMP(6);"), &output));
    QVERIFY2(output.trimmed().endsWith(u'0'), qPrintable(output));
    QCOMPARE(releaseNow(backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder}).outcome, ForceReleaseResult::Gone);
}

void TestMysqlLocks::tlsWhenTheServerOffersItAndVerifiedWhenAsked()
{
    // A server that refuses connections without TLS: every connection that works is encrypted.
    QTemporaryDir certificates;
    QTemporaryDir otherCa;
    QString error;
    QVERIFY2(makeTestCertificates(certificates.path(), &error), qPrintable(error));
    QVERIFY2(makeTestCertificates(otherCa.path(), &error), qPrintable(error));
    MariaDbServer server;
    server.setExtraArguments({QStringLiteral("--ssl-cert=") + certificates.filePath(QStringLiteral("server.pem")),
                              QStringLiteral("--ssl-key=") + certificates.filePath(QStringLiteral("server.key")),
                              QStringLiteral("--ssl-ca=") + certificates.filePath(QStringLiteral("ca.pem")),
                              QStringLiteral("--require-secure-transport=ON")});
    QVERIFY2(server.start(&error), qPrintable(error));
    QVERIFY(server.sql(QStringLiteral("CREATE USER fulcrum@'%'; GRANT PROCESS ON *.* TO fulcrum@'%';")));
    const auto probe = [](const QString &url) {
        MysqlEndpointConfig config;
        config.url = url;
        std::optional<std::pair<bool, QString>> probed;
        QObject context;
        MysqlLockBackend::probe(config, QByteArray(), &context, [&](bool ok, const QString &message) { probed = {ok, message}; });
        (void)QTest::qWaitFor([&] { return probed.has_value(); }, 20'000);
        return probed.value_or(std::pair{false, QStringLiteral("no answer")});
    };
    const QString url = server.url(QStringLiteral("fulcrum"));
    QVERIFY2(MysqlEndpointConfig::checkUrl(url + QStringLiteral("?ssl-mode=VERIFY_IDENTITY&ssl-ca=") + certificates.filePath(QStringLiteral("ca.pem"))).isEmpty(),
             "the URL with TLS parameters is taken");
    // The certificate checked against the right CA and the name 127.0.0.1; refused against another CA.
    const auto verified = probe(url + QStringLiteral("?ssl-mode=VERIFY_IDENTITY&ssl-ca=") + certificates.filePath(QStringLiteral("ca.pem")));
    QVERIFY2(verified.first && verified.second.contains(QStringLiteral(", TLS ")), qPrintable(verified.second));
    const auto wrongCa = probe(url + QStringLiteral("?ssl-mode=VERIFY_CA&ssl-ca=") + otherCa.filePath(QStringLiteral("ca.pem")));
    QVERIFY2(!wrongCa.first, qPrintable(wrongCa.second));
    // Default (PREFERRED): TLS because the server offers it.
    const auto preferred = probe(url);
    QVERIFY2(preferred.first && preferred.second.contains(QStringLiteral(", TLS ")), qPrintable(preferred.second));
    // Without TLS this server says no (MariaDB answers it as "Access denied").
    const auto disabled = probe(url + QStringLiteral("?ssl-mode=DISABLED"));
    QVERIFY2(!disabled.first, qPrintable(disabled.second));
    // A pass over the verified connection.
    MysqlEndpointConfig config;
    config.url = url + QStringLiteral("?ssl-mode=VERIFY_IDENTITY&ssl-ca=") + certificates.filePath(QStringLiteral("ca.pem"));
    MysqlLockBackend backend(config, QByteArray());
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 20'000);
    QSignalSpy finished(&backend, &LockBackend::scanFinished);
    backend.scan();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 15'000);
}

QTEST_GUILESS_MAIN(TestMysqlLocks)
#include "tst_mysqllocks.moc"
