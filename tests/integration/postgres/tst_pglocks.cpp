#include "locks/sql/locktables.h"
#include "locks/sql/pgadvisory.h"
#include "locks/sql/postgreslockbackend.h"
#include "postgresserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <functional>
#include <memory>
#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;

// PostgresLockBackend against a real PostgreSQL and real psql sessions holding and waiting
// for advisory locks and row locks. One server for the suite; every test uses its own keys.
class TestPgLocks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void bigintAndPairKeysAsWritten();
    void xactScopeSharedModeAndWaitersInOrder();
    void terminateFreesTheLockForTheNextWaiter();
    void reusedPidIsRefused();
    void holderThatEndedIsReportedWithTheNewHolder();
    void roleWithoutSignalBackendIsToldWhichPrivilege();
    void roleWithoutReadAllStatsSeesANoteAndCannotRelease();
    void rowLockChainOfThreeFromTheRootDown();
    void cancelTheRootBlockersQuery();
    void wrongDatabaseIsAClearError();
    void shedLockRowsExpireOnlyWhileStillAsShown();
    void ownLockTableMappedAndProblemsNamed();
    void quietSessionsConfirmTheLastReadAndEveryStatementIsSeen();
    void lockTableRowsExpireInQuietPasses();

private:
    LockScanResult scanOnce(PostgresLockBackend &backend);
    std::unique_ptr<PostgresLockBackend> connectedBackend(const QString &user = QStringLiteral("postgres"));
    LockScanResult scanUntil(PostgresLockBackend &backend, const std::function<bool(const LockScanResult &)> &accept);
    LockInfo rowWhen(PostgresLockBackend &backend, const QString &key, const std::function<bool(const LockInfo &)> &accept);
    ForceReleaseResult releaseNow(PostgresLockBackend &backend, const LockReleaseRequest &request);
    std::unique_ptr<PsqlSession> session(const QString &user = QStringLiteral("postgres"), const QString &application = QStringLiteral("checkout"));

    std::unique_ptr<PostgresServer> m_server;
};

static const LockInfo *rowOf(const LockScanResult &result, const QByteArray &key)
{
    for (const LockInfo &info : result.locks) {
        if (info.key == key)
            return &info;
    }
    return nullptr;
}

void TestPgLocks::initTestCase()
{
    m_server = std::make_unique<PostgresServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY2(m_server->sql(QStringLiteral("CREATE ROLE app LOGIN; CREATE ROLE viewer LOGIN IN ROLE pg_read_all_stats; CREATE ROLE outsider LOGIN; "
                                          "CREATE TABLE stock (sku int PRIMARY KEY, n int); INSERT INTO stock VALUES (42, 100), (43, 100); "
                                          "GRANT ALL ON stock TO app;"),
                           &error),
             qPrintable(error));
}

std::unique_ptr<PostgresLockBackend> TestPgLocks::connectedBackend(const QString &user)
{
    PostgresEndpointConfig config;
    config.name = QStringLiteral("pg");
    config.url = m_server->url(user);
    auto backend = std::make_unique<PostgresLockBackend>(config, QByteArray());
    backend->open();
    if (!QTest::qWaitFor([&] { return backend->isConnected(); }, 20'000))
        return nullptr;
    return backend;
}

std::unique_ptr<PsqlSession> TestPgLocks::session(const QString &user, const QString &application)
{
    auto s = std::make_unique<PsqlSession>(*m_server, user, application);
    QString error;
    if (!s->start(&error))
        qWarning("%s", qPrintable(error));
    return s;
}

LockScanResult TestPgLocks::scanUntil(PostgresLockBackend &backend, const std::function<bool(const LockScanResult &)> &accept)
{
    // A database is polled, and says why (docs/locks-live.md).
    if (backend.feedState().mode != LockFeedState::Polling || !backend.feedState().why.contains(QStringLiteral("a database has no change stream")))
        qFatal("unexpected feed: %s", qPrintable(backend.feedState().why));
    QDeadlineTimer deadline(30'000);
    while (!deadline.hasExpired()) {
        QSignalSpy finished(&backend, &LockBackend::scanFinished);
        backend.scan();
        if (!QTest::qWaitFor([&] { return finished.count() > 0; }, 15'000))
            continue;
        if (accept(backend.lastResult()))
            return backend.lastResult();
        QTest::qWait(100);
    }
    return backend.lastResult();
}

LockInfo TestPgLocks::rowWhen(PostgresLockBackend &backend, const QString &key, const std::function<bool(const LockInfo &)> &accept)
{
    const LockScanResult result = scanUntil(backend, [&](const LockScanResult &r) {
        const LockInfo *row = rowOf(r, key.toUtf8());
        return row && accept(*row);
    });
    const LockInfo *row = rowOf(result, key.toUtf8());
    return row ? *row : LockInfo{};
}

LockScanResult TestPgLocks::scanOnce(PostgresLockBackend &backend)
{
    QSignalSpy finished(&backend, &LockBackend::scanFinished);
    backend.scan();
    if (!QTest::qWaitFor([&] { return finished.count() > 0; }, 15'000))
        qWarning("no pass finished within 15 s");
    return backend.lastResult();
}

ForceReleaseResult TestPgLocks::releaseNow(PostgresLockBackend &backend, const LockReleaseRequest &request)
{
    std::optional<ForceReleaseResult> outcome;
    backend.release(request, [&outcome](const ForceReleaseResult &r) { outcome = r; });
    (void)QTest::qWaitFor([&] { return outcome.has_value(); }, 15'000);
    return outcome.value_or(ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("no answer")});
}

void TestPgLocks::bigintAndPairKeysAsWritten()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto a = session();
    QVERIFY(a->run(QStringLiteral("SELECT pg_advisory_lock(9000000042); SELECT pg_advisory_lock(-7); SELECT pg_advisory_lock(-9223372036854775808);"
                                  "SELECT pg_advisory_lock(1, -2); SELECT pg_advisory_lock(-2147483648, 2147483647);")));
    const LockScanResult result = scanUntil(*backend, [](const LockScanResult &r) { return rowOf(r, "postgres/-2147483648,2147483647"); });
    for (const char *key : {"postgres/9000000042", "postgres/-7", "postgres/-9223372036854775808", "postgres/1,-2", "postgres/-2147483648,2147483647"}) {
        const LockInfo *row = rowOf(result, key);
        QVERIFY2(row, key);
        QCOMPARE(row->kind, QStringLiteral("pg-advisory"));
        QCOMPARE(row->holder, pgadvisory::holderId(a->pid(), pgadvisory::parseHolderId(row->holder)->backendStartUs));
        QCOMPARE(row->session, QStringLiteral("pid %1").arg(a->pid()));
        QVERIFY2(row->holderText.contains(QStringLiteral("postgres (checkout) from 127.0.0.1:")), qPrintable(row->holderText));
        QCOMPARE(row->detailString(QStringLiteral("mode")), QStringLiteral("exclusive"));
        QCOMPARE(row->detailString(QStringLiteral("scope")), QStringLiteral("session"));
        QCOMPARE(row->details.value(QStringLiteral("in_transaction")).toBool(), false);
        QCOMPARE(row->detailInteger(QStringLiteral("other_lock_count")), 4);
    }
    QCOMPARE(rowOf(result, "postgres/-7")->detailString(QStringLiteral("key_form")), QStringLiteral("bigint"));
    QCOMPARE(rowOf(result, "postgres/1,-2")->detailString(QStringLiteral("key_form")), QStringLiteral("int4 pair"));
    const QJsonArray others = rowOf(result, "postgres/-7")->details.value(QStringLiteral("other_locks")).toArray();
    QVERIFY(others.contains(QStringLiteral("advisory 1,-2")));
    QVERIFY(others.contains(QStringLiteral("advisory 9000000042")));
    QVERIFY(!others.contains(QStringLiteral("advisory -7")));
    a->quit();
}

void TestPgLocks::xactScopeSharedModeAndWaitersInOrder()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto holder = session();
    QVERIFY(holder->run(QStringLiteral("BEGIN; SELECT pg_advisory_xact_lock(100);")));
    auto first = session(QStringLiteral("postgres"), QStringLiteral("worker-1"));
    first->send(QStringLiteral("SELECT pg_advisory_lock(100);"));
    QCOMPARE(rowWhen(*backend, QStringLiteral("postgres/100"), [](const LockInfo &r) { return r.waiters.size() == 1; }).waiters.size(), 1);
    auto second = session(QStringLiteral("postgres"), QStringLiteral("worker-2"));
    second->send(QStringLiteral("SELECT pg_advisory_lock(100);"));
    const LockInfo row = rowWhen(*backend, QStringLiteral("postgres/100"), [](const LockInfo &r) { return r.waiters.size() == 2; });
    QCOMPARE(row.waiters.size(), 2);
    QCOMPARE(row.detailString(QStringLiteral("scope")), QStringLiteral("transaction"));
    QCOMPARE(row.details.value(QStringLiteral("in_transaction")).toBool(), true);
    QCOMPARE(row.waiters.at(0).session, QStringLiteral("pid %1").arg(first->pid()));
    QCOMPARE(row.waiters.at(1).session, QStringLiteral("pid %1").arg(second->pid()));
    QVERIFY(row.waiters.at(0).who.contains(QStringLiteral("worker-1")));
    QVERIFY(row.waiters.at(0).queuedAt.isValid());
    QVERIFY(row.waiters.at(0).queuedAt <= row.waiters.at(1).queuedAt);
    // Advisory waits are advisory rows, not blocking chains.
    for (const LockInfo &info : backend->lastResult().locks)
        QVERIFY2(info.kind != u"pg-blocking-chain", info.key.constData());

    auto r1 = session();
    auto r2 = session();
    QVERIFY(r1->run(QStringLiteral("SELECT pg_advisory_lock_shared(200);")));
    QVERIFY(r2->run(QStringLiteral("SELECT pg_advisory_lock_shared(200);")));
    const LockInfo shared = rowWhen(*backend, QStringLiteral("postgres/200"), [](const LockInfo &r) { return r.holders.size() == 2; });
    QCOMPARE(shared.detailString(QStringLiteral("mode")), QStringLiteral("shared"));
    QCOMPARE(shared.holders.size(), 2);

    // The transaction ends: its lock goes to the first waiter.
    QVERIFY(holder->run(QStringLiteral("COMMIT;")));
    const LockInfo handed = rowWhen(*backend, QStringLiteral("postgres/100"), [&](const LockInfo &r) {
        return r.session == QStringLiteral("pid %1").arg(first->pid());
    });
    QCOMPARE(handed.waiters.size(), 1);
    first->quit();
    second->quit();
}

void TestPgLocks::terminateFreesTheLockForTheNextWaiter()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto holder = session();
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(300); SELECT pg_advisory_lock(301); BEGIN; UPDATE stock SET n = n WHERE sku = 43;")));
    auto waiter = session(QStringLiteral("postgres"), QStringLiteral("next"));
    const QString acquired = waiter->send(QStringLiteral("SELECT pg_advisory_lock(300);"));
    const LockInfo row = rowWhen(*backend, QStringLiteral("postgres/300"), [](const LockInfo &r) { return r.waiters.size() == 1; });
    QCOMPARE(row.waiters.size(), 1);
    QCOMPARE(row.details.value(QStringLiteral("in_transaction")).toBool(), true);
    const QJsonArray others = row.details.value(QStringLiteral("other_locks")).toArray();
    QVERIFY(others.contains(QStringLiteral("advisory 301")));
    QVERIFY2(QJsonDocument(others).toJson().contains("table stock (RowExclusiveLock)"), QJsonDocument(others).toJson().constData());

    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::Released);
    QVERIFY2(result.message.contains(QStringLiteral("pg_terminate_backend")) && result.message.contains(QStringLiteral("rolled back"))
                 && result.message.contains(QStringLiteral("next")),
             qPrintable(result.message));
    QVERIFY(holder->connectionLost());
    QVERIFY(waiter->waitFor(acquired));
    const LockInfo after = rowWhen(*backend, QStringLiteral("postgres/300"), [&](const LockInfo &r) { return r.waiters.isEmpty(); });
    QCOMPARE(after.session, QStringLiteral("pid %1").arg(waiter->pid()));
    waiter->quit();
}

void TestPgLocks::reusedPidIsRefused()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto holder = session();
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(400);")));
    const LockInfo row = rowWhen(*backend, QStringLiteral("postgres/400"), [](const LockInfo &) { return true; });
    const auto id = pgadvisory::parseHolderId(row.holder);
    QVERIFY(id);
    // The same pid with another session start: what the operator saw was a session that ended
    // and whose pid a new session got.
    const QByteArray earlierSession = pgadvisory::holderId(id->pid, id->backendStartUs - 1'000'000);
    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, earlierSession});
    QCOMPARE(result.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(result.currentHolder, row.holder);
    QVERIFY2(result.message.contains(QStringLiteral("pid was reused")) && result.message.contains(QStringLiteral("nothing was done")),
             qPrintable(result.message));
    QCOMPARE(holder->run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));
    holder->quit();
}

void TestPgLocks::holderThatEndedIsReportedWithTheNewHolder()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto holder = session();
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(500);")));
    const LockInfo seen = rowWhen(*backend, QStringLiteral("postgres/500"), [](const LockInfo &) { return true; });
    holder->quit();
    auto next = session();
    QVERIFY(next->run(QStringLiteral("SELECT pg_advisory_lock(500);")));
    const LockInfo now = rowWhen(*backend, QStringLiteral("postgres/500"), [&](const LockInfo &r) { return r.holder != seen.holder; });
    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, seen.key, seen.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(result.currentHolder, now.holder);
    QCOMPARE(next->run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));
    next->quit();
    // psql has exited; its server process ends a moment later: wait until no pass shows the lock.
    (void)scanUntil(*backend, [&](const LockScanResult &r) { return !rowOf(r, now.key); });
    const ForceReleaseResult gone = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, now.key, now.holder});
    QCOMPARE(gone.outcome, ForceReleaseResult::Gone);
}

void TestPgLocks::roleWithoutSignalBackendIsToldWhichPrivilege()
{
    auto backend = connectedBackend(QStringLiteral("viewer"));
    QVERIFY(backend);
    auto holder = session(QStringLiteral("app"));
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(600);")));
    const LockInfo row = rowWhen(*backend, QStringLiteral("postgres/600"), [](const LockInfo &) { return true; });
    QVERIFY(row.holderText.contains(QStringLiteral("app")));
    QVERIFY(!row.holder.endsWith("@?"));
    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::Failed);
    QVERIFY2(result.message.contains(QStringLiteral("GRANT pg_signal_backend TO viewer")), qPrintable(result.message));
    QCOMPARE(holder->run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));
    holder->quit();
}

void TestPgLocks::roleWithoutReadAllStatsSeesANoteAndCannotRelease()
{
    auto backend = connectedBackend(QStringLiteral("outsider"));
    QVERIFY(backend);
    auto holder = session(QStringLiteral("app"));
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(700);")));
    const LockInfo row = rowWhen(*backend, QStringLiteral("postgres/700"), [](const LockInfo &) { return true; });
    QVERIFY(row.holder.endsWith("@?"));
    bool noted = false;
    for (const LockScanNote &note : backend->lastResult().notes)
        noted = noted || note.text.contains(QStringLiteral("GRANT pg_read_all_stats TO outsider"));
    QVERIFY(noted);
    // It cannot see whether other roles' sessions are quiet: every pass reads pg_locks.
    for (int i = 0; i < 3; ++i)
        (void)scanOnce(*backend);
    QCOMPARE(backend->passesConfirmed(), quint64(0));
    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::Failed);
    QVERIFY2(result.message.contains(QStringLiteral("pg_read_all_stats")), qPrintable(result.message));
    holder->quit();
}

void TestPgLocks::rowLockChainOfThreeFromTheRootDown()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto root = session(QStringLiteral("app"), QStringLiteral("batch"));
    QVERIFY(root->run(QStringLiteral("BEGIN; UPDATE stock SET n = n - 1 WHERE sku = 42;")));
    auto second = session(QStringLiteral("app"), QStringLiteral("checkout-1"));
    const QString secondDone = second->send(QStringLiteral("UPDATE stock SET n = n - 1 WHERE sku = 42;"));
    (void)rowWhen(*backend, QStringLiteral("postgres/chain:%1").arg(root->pid()), [](const LockInfo &r) { return r.waiters.size() == 1; });
    auto third = session(QStringLiteral("app"), QStringLiteral("checkout-2"));
    const QString thirdDone = third->send(QStringLiteral("UPDATE stock SET n = n - 1 WHERE sku = 42;"));
    // Both waiters, each with the lock it waits on: pg_blocking_pids() can name a session a pass
    // before pg_locks shows its queued lock (the note then says "a lock").
    const LockInfo chain = rowWhen(*backend, QStringLiteral("postgres/chain:%1").arg(root->pid()), [](const LockInfo &r) {
        return r.waiters.size() == 2 && !r.waiters.at(0).note.contains(QStringLiteral("on a lock")) && !r.waiters.at(1).note.contains(QStringLiteral("on a lock"));
    });
    QCOMPARE(chain.kind, QStringLiteral("pg-blocking-chain"));
    QCOMPARE(chain.waiters.size(), 2);
    QVERIFY(chain.holderText.contains(QStringLiteral("batch")));
    QCOMPARE(chain.details.value(QStringLiteral("in_transaction")).toBool(), true);
    QCOMPARE(chain.waiters.at(0).session, QStringLiteral("pid %1").arg(second->pid()));
    QVERIFY2(chain.waiters.at(0).note.contains(QStringLiteral("waits for pid %1").arg(root->pid())), qPrintable(chain.waiters.at(0).note));
    QVERIFY2(chain.waiters.at(0).note.contains(QStringLiteral("UPDATE stock")), qPrintable(chain.waiters.at(0).note));
    // What each waits on, as pg_locks says: the root's transaction (the row it changed), or the row.
    QVERIFY2(chain.waiters.at(0).note.contains(QStringLiteral("a row")), qPrintable(chain.waiters.at(0).note));
    QVERIFY2(chain.waiters.at(1).note.contains(QStringLiteral("a row")), qPrintable(chain.waiters.at(1).note));
    QVERIFY(chain.waiters.at(0).queuedAt.isValid());
    QCOMPARE(chain.waiters.at(1).session, QStringLiteral("pid %1").arg(third->pid()));
    // The tree: root → second → third (the third queues on the row behind the second).
    const QJsonObject tree = chain.details.value(QStringLiteral("chain")).toObject();
    QCOMPARE(tree.value(QStringLiteral("pid")).toInteger(), root->pid());
    const QJsonArray below = tree.value(QStringLiteral("blocks")).toArray();
    QVERIFY(!below.isEmpty());
    QCOMPARE(below.at(0).toObject().value(QStringLiteral("pid")).toInteger(), second->pid());
    // Only root blockers head a chain.
    QVERIFY(!rowOf(backend->lastResult(), QStringLiteral("postgres/chain:%1").arg(second->pid()).toUtf8()));

    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, chain.key, chain.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::Released);
    QVERIFY(root->connectionLost());
    QVERIFY(second->waitFor(secondDone));
    QVERIFY(second->run(QStringLiteral("SELECT 1;")));
    QVERIFY(third->waitFor(thirdDone));
    second->quit();
    third->quit();
}

void TestPgLocks::cancelTheRootBlockersQuery()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto root = session(QStringLiteral("app"), QStringLiteral("report"));
    QVERIFY(root->run(QStringLiteral("BEGIN; UPDATE stock SET n = n WHERE sku = 43;")));
    root->send(QStringLiteral("SELECT pg_sleep(60);"));
    auto waiter = session(QStringLiteral("app"), QStringLiteral("checkout"));
    const QString done = waiter->send(QStringLiteral("UPDATE stock SET n = n - 1 WHERE sku = 43;"));
    const LockInfo chain = rowWhen(*backend, QStringLiteral("postgres/chain:%1").arg(root->pid()), [](const LockInfo &r) { return r.waiters.size() == 1; });
    QCOMPARE(chain.waiters.size(), 1);
    // Asking to cancel is refused for an advisory lock: it would free nothing.
    auto advisory = session();
    QVERIFY(advisory->run(QStringLiteral("SELECT pg_advisory_lock(800);")));
    const LockInfo lock = rowWhen(*backend, QStringLiteral("postgres/800"), [](const LockInfo &) { return true; });
    const ForceReleaseResult refused = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::AskHolder, lock.key, lock.holder});
    QCOMPARE(refused.outcome, ForceReleaseResult::Failed);
    QVERIFY(refused.message.contains(QStringLiteral("does not free an advisory lock")));
    advisory->quit();

    const ForceReleaseResult result = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::AskHolder, chain.key, chain.holder});
    QCOMPARE(result.outcome, ForceReleaseResult::Released);
    QVERIFY2(result.message.contains(QStringLiteral("pg_cancel_backend")), qPrintable(result.message));
    QVERIFY(waiter->waitFor(done));
    // The root's session stays (its transaction was aborted).
    QVERIFY(root->run(QStringLiteral("ROLLBACK;")));
    QCOMPARE(root->run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));
    root->quit();
    waiter->quit();
}

void TestPgLocks::wrongDatabaseIsAClearError()
{
    PostgresEndpointConfig config;
    config.url = m_server->url(QStringLiteral("postgres"), QStringLiteral("nosuchdb"));
    PostgresLockBackend backend(config, QByteArray());
    QSignalSpy errors(&backend, &LockBackend::errorOccurred);
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(errors.count() > 0, 15'000);
    QVERIFY2(errors.first().first().toString().contains(QStringLiteral("nosuchdb")), qPrintable(errors.first().first().toString()));
    QVERIFY(!backend.isConnected());

    std::optional<std::pair<bool, QString>> probed;
    QObject context;
    PostgresLockBackend::probe(config, QByteArray(), &context, [&](bool ok, const QString &message) { probed = {ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(probed.has_value(), 15'000);
    QVERIFY(!probed->first);
    config.url = m_server->url(QStringLiteral("outsider"));
    probed.reset();
    PostgresLockBackend::probe(config, QByteArray(), &context, [&](bool ok, const QString &message) { probed = {ok, message}; });
    QTRY_VERIFY_WITH_TIMEOUT(probed.has_value(), 15'000);
    QVERIFY2(probed->first && probed->second.contains(QStringLiteral("pg_read_all_stats")) && probed->second.contains(QStringLiteral("pg_signal_backend")),
             qPrintable(probed->second));
}

// ShedLock's statements for PostgreSQL with the database's time (usingDbTime(): its
// PostgresSqlServerTimeStatementsSource), as a scheduler node runs them.
static QString shedLockLock(const QString &name, const QString &node, int lockAtMostForMs)
{
    const QString now = QStringLiteral("timezone('utc', CURRENT_TIMESTAMP)");
    const QString until = QStringLiteral("%1 + cast('%2 milliseconds' as interval)").arg(now).arg(lockAtMostForMs);
    return QStringLiteral("INSERT INTO shedlock(name, lock_until, locked_at, locked_by) VALUES('%1', %3, %4, '%2') "
                          "ON CONFLICT (name) DO UPDATE SET lock_until = %3, locked_at = %4, locked_by = '%2' "
                          "WHERE shedlock.lock_until <= %4;")
        .arg(name, node, until, now);
}

static QString shedLockExtend(const QString &name, const QString &node, int lockAtMostForMs)
{
    return QStringLiteral("UPDATE shedlock SET lock_until = timezone('utc', CURRENT_TIMESTAMP) + cast('%3 milliseconds' as interval) "
                          "WHERE name = '%1' AND locked_by = '%2' AND lock_until > timezone('utc', CURRENT_TIMESTAMP);")
        .arg(name, node).arg(lockAtMostForMs);
}

static QString shedLockUnlock(const QString &name, const QString &node)
{
    return QStringLiteral("UPDATE shedlock SET lock_until = CASE WHEN locked_at + cast('0 milliseconds' as interval) > timezone('utc', CURRENT_TIMESTAMP) "
                          "THEN locked_at + cast('0 milliseconds' as interval) ELSE timezone('utc', CURRENT_TIMESTAMP) END "
                          "WHERE name = '%1' AND locked_by = '%2';").arg(name, node);
}

void TestPgLocks::shedLockRowsExpireOnlyWhileStillAsShown()
{
    // ShedLock's own DDL for PostgreSQL (its README).
    QString error;
    QVERIFY2(m_server->sql(QStringLiteral("CREATE TABLE shedlock(name VARCHAR(64) NOT NULL, lock_until TIMESTAMP NOT NULL, locked_at TIMESTAMP NOT NULL, "
                                          "locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name)); GRANT ALL ON shedlock TO app;"), &error),
             qPrintable(error));
    auto nodeA = session(QStringLiteral("app"), QStringLiteral("scheduler-a"));
    auto nodeB = session(QStringLiteral("app"), QStringLiteral("scheduler-b"));
    QVERIFY(nodeA->run(shedLockLock(QStringLiteral("reportJob"), QStringLiteral("node-a"), 600'000)));
    // A job that ran and unlocked: its row stays, not held.
    QVERIFY(nodeA->run(shedLockLock(QStringLiteral("cleanupJob"), QStringLiteral("node-a"), 600'000)));
    QVERIFY(nodeA->run(shedLockUnlock(QStringLiteral("cleanupJob"), QStringLiteral("node-a"))));

    auto backend = connectedBackend();
    QVERIFY(backend);
    const QByteArray key = "postgres/table:shedlock:reportJob";
    const LockInfo shown = rowWhen(*backend, QString::fromUtf8(key), [](const LockInfo &) { return true; });
    QCOMPARE(shown.kind, QStringLiteral("lock-table"));
    QCOMPARE(shown.holderText, QStringLiteral("node-a"));
    QVERIFY2(shown.holder.startsWith("node-a@"), shown.holder.constData());
    QVERIFY2(shown.ttlMs > 500'000 && shown.ttlMs <= 600'000, qPrintable(QString::number(shown.ttlMs)));
    QVERIFY(shown.acquiredAt.isValid());
    QVERIFY2(std::abs(shown.acquiredAt.secsTo(QDateTime::currentDateTimeUtc())) < 60, qPrintable(shown.acquiredAt.toString(Qt::ISODate)));
    QCOMPARE(shown.detailString(QStringLiteral("schema")), QStringLiteral("shedlock"));
    QVERIFY2(!rowOf(backend->lastResult(), "postgres/table:shedlock:cleanupJob"), "an unlocked ShedLock row is not a held lock");

    // node-a extends its lock (ShedLock's extend): the row the operator saw is no longer current.
    QVERIFY(nodeA->run(shedLockExtend(QStringLiteral("reportJob"), QStringLiteral("node-a"), 900'000)));
    const ForceReleaseResult stale = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, key, shown.holder});
    QCOMPARE(stale.outcome, ForceReleaseResult::HolderChanged);
    QVERIFY2(stale.currentHolder.startsWith("node-a@") && stale.currentHolder != shown.holder, stale.currentHolder.constData());
    QCOMPARE(nodeB->run(QStringLiteral("SELECT locked_by FROM shedlock WHERE name = 'reportJob' AND lock_until > timezone('utc', now());")).value_or(QString()),
             QStringLiteral("node-a"));

    // Released while still as shown: node-b's next ShedLock attempt takes it.
    const LockInfo current = rowWhen(*backend, QString::fromUtf8(key), [](const LockInfo &r) { return r.ttlMs > 600'000; });
    const ForceReleaseResult released = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, key, current.holder});
    QCOMPARE(released.outcome, ForceReleaseResult::Released);
    QVERIFY2(released.message.contains(QStringLiteral("NOT stopped")), qPrintable(released.message));
    QVERIFY(nodeB->run(shedLockLock(QStringLiteral("reportJob"), QStringLiteral("node-b"), 600'000)));
    QCOMPARE(nodeB->run(QStringLiteral("SELECT locked_by FROM shedlock WHERE name = 'reportJob';")).value_or(QString()), QStringLiteral("node-b"));
    const LockInfo taken = rowWhen(*backend, QString::fromUtf8(key), [](const LockInfo &r) { return r.holderText == u"node-b"; });
    QCOMPARE(taken.holderText, QStringLiteral("node-b"));
    // The operator's old view names node-a: nothing happens to node-b's lock.
    const ForceReleaseResult late = releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::Delete, key, current.holder});
    QCOMPARE(late.outcome, ForceReleaseResult::HolderChanged);
    QCOMPARE(late.currentHolder, taken.holder);
    // Asking or revoking means nothing for a row.
    QCOMPARE(releaseNow(*backend, LockReleaseRequest{LockReleaseRequest::AskHolder, key, taken.holder}).outcome, ForceReleaseResult::Failed);
    // A role that may not read the table sees a note naming the grant, not a silent half-view.
    auto viewer = connectedBackend(QStringLiteral("viewer"));
    QVERIFY(viewer);
    const LockScanResult seen = scanUntil(*viewer, [](const LockScanResult &) { return true; });
    QVERIFY(!rowOf(seen, key));
    bool noted = false;
    for (const LockScanNote &note : seen.notes)
        noted = noted || note.text.contains(QStringLiteral("GRANT SELECT, UPDATE ON shedlock"));
    QVERIFY(noted);
    nodeA->quit();
    nodeB->quit();
    QVERIFY(m_server->sql(QStringLiteral("DROP TABLE shedlock;")));
}

void TestPgLocks::ownLockTableMappedAndProblemsNamed()
{
    QString error;
    QVERIFY2(m_server->sql(QStringLiteral("CREATE SCHEMA ops; CREATE TABLE ops.job_locks(job text PRIMARY KEY, node text, expires_at timestamptz, taken_at timestamptz); "
                                          "CREATE TABLE bad_locks(job text, node text, expires_at bigint); GRANT ALL ON ALL TABLES IN SCHEMA ops TO app; "
                                          "GRANT USAGE ON SCHEMA ops TO app;"), &error),
             qPrintable(error));
    auto app = session(QStringLiteral("app"), QStringLiteral("cron"));
    QVERIFY(app->run(QStringLiteral("INSERT INTO ops.job_locks VALUES ('nightly-export', 'cron-2', now() + interval '5 minutes', now() - interval '2 minutes'), "
                                    "('done', 'cron-1', now() - interval '1 minute', now() - interval '3 minutes');")));
    PostgresEndpointConfig config;
    config.url = m_server->url(QStringLiteral("postgres"));
    LockTableConfig own;
    own.table = QStringLiteral("ops.job_locks");
    own.nameColumn = QStringLiteral("job");
    own.ownerColumn = QStringLiteral("node");
    own.untilColumn = QStringLiteral("expires_at");
    own.sinceColumn = QStringLiteral("taken_at");
    LockTableConfig missing;
    missing.table = QStringLiteral("no_such_locks");
    LockTableConfig bad = own;
    bad.table = QStringLiteral("bad_locks");
    bad.sinceColumn.clear();
    config.lockTables = {own, missing, bad};
    PostgresLockBackend backend(config, QByteArray());
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 20'000);
    const LockInfo row = rowWhen(backend, QStringLiteral("postgres/table:ops.job_locks:nightly-export"), [](const LockInfo &) { return true; });
    QCOMPARE(row.holderText, QStringLiteral("cron-2"));
    QVERIFY2(row.ttlMs > 240'000 && row.ttlMs <= 300'000, qPrintable(QString::number(row.ttlMs)));
    QVERIFY2(std::abs(row.acquiredAt.secsTo(QDateTime::currentDateTimeUtc()) - 120) < 30, qPrintable(row.acquiredAt.toString(Qt::ISODate)));
    QCOMPARE(row.detailString(QStringLiteral("schema")), QStringLiteral("custom"));
    QVERIFY(!rowOf(backend.lastResult(), "postgres/table:ops.job_locks:done"));
    QStringList notes;
    for (const LockScanNote &note : backend.lastResult().notes)
        notes.append(note.text);
    QVERIFY2(notes.join(u'\n').contains(QStringLiteral("no_such_locks does not exist")), qPrintable(notes.join(u'\n')));
    QVERIFY2(notes.join(u'\n').contains(QStringLiteral("bad_locks: column expires_at is bigint")), qPrintable(notes.join(u'\n')));
    // Expired only while still as shown; the job's row then reads as not held.
    const ForceReleaseResult released = releaseNow(backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder});
    QCOMPARE(released.outcome, ForceReleaseResult::Released);
    QCOMPARE(app->run(QStringLiteral("SELECT count(*) FROM ops.job_locks WHERE expires_at > now();")).value_or(QString()), QStringLiteral("0"));
    QCOMPARE(releaseNow(backend, LockReleaseRequest{LockReleaseRequest::Delete, row.key, row.holder}).outcome, ForceReleaseResult::Gone);
    app->quit();
    QVERIFY(m_server->sql(QStringLiteral("DROP SCHEMA ops CASCADE; DROP TABLE bad_locks;")));
}

void TestPgLocks::quietSessionsConfirmTheLastReadAndEveryStatementIsSeen()
{
    auto backend = connectedBackend();
    QVERIFY(backend);
    auto holder = session(QStringLiteral("app"), QStringLiteral("quiet-holder"));
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(9101);")));
    auto waiter = session(QStringLiteral("app"), QStringLiteral("quiet-waiter"));
    const QString granted = waiter->send(QStringLiteral("SELECT pg_advisory_lock(9101);"));
    (void)rowWhen(*backend, QStringLiteral("postgres/9101"), [](const LockInfo &r) { return r.waiters.size() == 1; });

    // Nobody runs a statement (the holder is idle, the waiter waits): passes confirm the last
    // read of pg_locks with one read of pg_stat_activity, and show the same rows.
    int confirmed = 0;
    LockScanResult quiet;
    for (int i = 0; i < 60 && confirmed < 2; ++i) {
        const quint64 before = backend->passesConfirmed();
        const LockScanResult pass = scanOnce(*backend);
        if (backend->passesConfirmed() > before) {
            ++confirmed;
            quiet = pass;
        }
    }
    QCOMPARE(confirmed, 2);
    const LockInfo *row = rowOf(quiet, "postgres/9101");
    QVERIFY(row);
    QCOMPARE(row->session, QStringLiteral("pid %1").arg(holder->pid()));
    QCOMPARE(row->waiters.size(), 1);
    QCOMPARE(row->waiters.at(0).session, QStringLiteral("pid %1").arg(waiter->pid()));

    // Any statement is seen by the very next pass.
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(9102);")));
    QVERIFY2(rowOf(scanOnce(*backend), "postgres/9102"), "a lock taken by a statement is in the next pass");
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_unlock(9101);")));
    QVERIFY(waiter->waitFor(granted));
    const LockScanResult handedOver = scanOnce(*backend);
    row = rowOf(handedOver, "postgres/9101");
    QVERIFY(row);
    QCOMPARE(row->session, QStringLiteral("pid %1").arg(waiter->pid()));
    QVERIFY(row->waiters.isEmpty());

    // A statement still running may take locks as it goes: while it runs every pass reads
    // pg_locks, and its second lock shows though the statement never ended.
    auto batch = session(QStringLiteral("app"), QStringLiteral("quiet-batch"));
    (void)batch->send(QStringLiteral("DO $$ BEGIN PERFORM pg_advisory_lock(9103); PERFORM pg_sleep(1); PERFORM pg_advisory_lock(9104); "
                                     "PERFORM pg_sleep(60); END $$;"));
    (void)rowWhen(*backend, QStringLiteral("postgres/9103"), [](const LockInfo &) { return true; });
    const quint64 readsBefore = backend->fullReads();
    (void)rowWhen(*backend, QStringLiteral("postgres/9104"), [](const LockInfo &) { return true; });
    QVERIFY(rowOf(backend->lastResult(), "postgres/9104"));
    QVERIFY(backend->fullReads() > readsBefore);
    QVERIFY(m_server->sql(QStringLiteral("SELECT pg_terminate_backend(%1);").arg(batch->pid())));

    // A session that ends takes its locks along.
    holder->quit();
    (void)scanUntil(*backend, [](const LockScanResult &r) { return !rowOf(r, "postgres/9102"); });
    QVERIFY(!rowOf(backend->lastResult(), "postgres/9102"));
    waiter->quit();
}

void TestPgLocks::lockTableRowsExpireInQuietPasses()
{
    // A lock table's row stops being held when its time is up, with no statement run by
    // anyone: quiet passes read the lock tables every time.
    QString error;
    QVERIFY2(m_server->sql(QStringLiteral("CREATE TABLE shedlock(name VARCHAR(64) NOT NULL, lock_until TIMESTAMP NOT NULL, locked_at TIMESTAMP NOT NULL, "
                                          "locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name));"), &error),
             qPrintable(error));
    auto backend = connectedBackend();
    QVERIFY(backend);
    bool seenInAQuietPass = false;
    for (int attempt = 0; attempt < 3 && !seenInAQuietPass; ++attempt) {
        const QString name = QStringLiteral("quietJob%1").arg(attempt);
        QVERIFY(m_server->sql(QStringLiteral("INSERT INTO shedlock VALUES ('%1', timezone('utc', now()) + interval '3 seconds', "
                                             "timezone('utc', now()), 'node-q');").arg(name)));
        const QByteArray key = QStringLiteral("postgres/table:shedlock:%1").arg(name).toUtf8();
        (void)scanUntil(*backend, [&](const LockScanResult &r) { return rowOf(r, key) != nullptr; });
        QVERIFY(rowOf(backend->lastResult(), key));
        QDeadlineTimer deadline(20'000);
        while (!deadline.hasExpired()) {
            const quint64 before = backend->passesConfirmed();
            const LockScanResult pass = scanOnce(*backend);
            if (!rowOf(pass, key)) {
                // Gone; whether a quiet pass saw it go (another process may have run meanwhile).
                seenInAQuietPass = backend->passesConfirmed() > before;
                break;
            }
            QTest::qWait(200);
        }
        QVERIFY2(!rowOf(backend->lastResult(), key), "an expired row is not a held lock");
    }
    QVERIFY(seenInAQuietPass);
    QVERIFY(m_server->sql(QStringLiteral("DROP TABLE shedlock;")));
}

QTEST_GUILESS_MAIN(TestPgLocks)
#include "tst_pglocks.moc"
