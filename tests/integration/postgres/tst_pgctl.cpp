#include "common/childprocess.h"
#include "freeport.h"
#include "postgresserver.h"
#include "programs.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

// fulcrumctl (the real binary) on PostgreSQL: `locks list|release --postgres` (exit 3 when the
// holder changed, the audit log), `lock run --postgres` next to psql sessions taking the same
// key by the documented SQL, and fulcrumd serving a postgres endpoint on its admin API.
class TestPgCtl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void listAndReleaseWithTheSameCommandLine();
    void aNoteOnTheWholeServerReadsAsOne();
    void lockRunExcludesAndIsExcludedByTheDocumentedKey();
    void terminatedSessionStopsTheCommand();
    void fulcrumdServesPostgresLocksAndMetrics();

private:
    QJsonObject listedRow(const QString &key, int waiters);
    QString file(const QString &name) const { return m_dir.filePath(name); }
    std::unique_ptr<PsqlSession> session(const QString &application = QStringLiteral("checkout"));

    std::unique_ptr<PostgresServer> m_server;
    QTemporaryDir m_dir;
};

void TestPgCtl::initTestCase()
{
    m_server = std::make_unique<PostgresServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
}

std::unique_ptr<PsqlSession> TestPgCtl::session(const QString &application)
{
    auto s = std::make_unique<PsqlSession>(*m_server, QStringLiteral("postgres"), application);
    QString error;
    if (!s->start(&error))
        qWarning("%s", qPrintable(error));
    return s;
}

QJsonObject TestPgCtl::listedRow(const QString &key, int waiters)
{
    QJsonObject row;
    (void)QTest::qWaitFor([&] {
        const ProgramRun list = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                           {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--postgres"), m_server->url(),
                                            QStringLiteral("--json")});
        if (list.exitCode != 0)
            return false;
        for (const QJsonValue &value : QJsonDocument::fromJson(list.out.toUtf8()).array()) {
            if (value.toObject().value(QStringLiteral("key")).toString() == key)
                row = value.toObject();
        }
        return row.value(QStringLiteral("waiters")).toArray().size() == waiters;
    }, 30'000);
    return row;
}

void TestPgCtl::listAndReleaseWithTheSameCommandLine()
{
    auto holder = session(QStringLiteral("stuck-job"));
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(42);")));
    auto waiter = session(QStringLiteral("next-job"));
    const QString acquired = waiter->send(QStringLiteral("SELECT pg_advisory_lock(42);"));
    const QJsonObject row = listedRow(QStringLiteral("postgres/42"), 1);
    QCOMPARE(row.value(QStringLiteral("backend")).toString(), QStringLiteral("postgres"));
    QCOMPARE(row.value(QStringLiteral("kind")).toString(), QStringLiteral("pg-advisory"));
    const QString holderId = row.value(QStringLiteral("holder")).toString();
    QVERIFY2(holderId.startsWith(QStringLiteral("%1@").arg(holder->pid())), qPrintable(holderId));

    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const ProgramRun table = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--postgres"), m_server->url()});
    QCOMPARE(table.exitCode, 0);
    QVERIFY2(table.out.contains(u"postgres/42") && table.out.contains(u"pg-advisory") && table.out.contains(u"stuck-job"), qPrintable(table.out));

    // One lock whole, read now; exit 3 for a lock nobody holds.
    const ProgramRun show = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("show"), QStringLiteral("postgres/42"), QStringLiteral("--postgres"),
                                             m_server->url(), QStringLiteral("--json")});
    QVERIFY2(show.exitCode == 0, qPrintable(show.err));
    const QJsonObject shown = QJsonDocument::fromJson(show.out.toUtf8()).object();
    QCOMPARE(shown.value(QStringLiteral("holder")).toString(), holderId);
    QCOMPARE(shown.value(QStringLiteral("waiters")).toArray().size(), 1);
    QVERIFY(shown.value(QStringLiteral("waiters")).toArray().at(0).toObject().value(QStringLiteral("who")).toString().contains(u"next-job"));
    const ProgramRun none = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("show"), QStringLiteral("postgres/4242"), QStringLiteral("--postgres"),
                                             m_server->url()});
    QVERIFY2(none.exitCode == 3, qPrintable(none.err));

    const QString auditPath = file(QStringLiteral("audit.log"));
    const QStringList release{QStringLiteral("locks"), QStringLiteral("release"), QStringLiteral("postgres/42"), QStringLiteral("--postgres"),
                              m_server->url(), QStringLiteral("--audit-log"), auditPath, QStringLiteral("--holder")};
    // Exit 3: the session shown is not the one holding (another start time); nothing is done.
    const QString otherSession = QStringLiteral("%1@1").arg(holder->pid());
    const ProgramRun wrong = runProgram(ctl, release + QStringList{otherSession});
    QVERIFY2(wrong.exitCode == 3, qPrintable(wrong.err));
    QVERIFY2(wrong.err.contains(holderId), qPrintable(wrong.err));
    QCOMPARE(holder->run(QStringLiteral("SELECT 'alive';")).value_or(QString()), QStringLiteral("alive"));
    const ProgramRun right = runProgram(ctl, release + QStringList{holderId});
    QVERIFY2(right.exitCode == 0, qPrintable(right.err));
    QVERIFY2(right.out.contains(u"pg_terminate_backend"), qPrintable(right.out));
    QVERIFY(holder->connectionLost());
    QVERIFY(waiter->waitFor(acquired));

    QFile audit(auditPath);
    QVERIFY(audit.open(QIODevice::ReadOnly));
    QCOMPARE(audit.readAll().count("force-release"), 2);
    waiter->quit();
}

// A role without pg_read_all_stats cannot see other roles' sessions: `locks list` says so, as a
// note on the server, not as a note on a key with no name ("note: : role …").
void TestPgCtl::aNoteOnTheWholeServerReadsAsOne()
{
    QVERIFY(m_server->sql(QStringLiteral("DROP ROLE IF EXISTS lookout; CREATE ROLE lookout LOGIN;")));
    auto holder = session(QStringLiteral("night-job"));
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(7007);")));
    const ProgramRun list = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                       {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--postgres"), m_server->url(QStringLiteral("lookout"))});
    QVERIFY2(list.exitCode == 0, qPrintable(list.err));
    QVERIFY2(list.out.contains(u"postgres/7007"), qPrintable(list.out));
    QVERIFY2(list.err.startsWith(u"note: role lookout cannot see other roles' sessions"), qPrintable(list.err));
    QVERIFY2(!list.err.contains(u"note: : "), qPrintable(list.err));
    holder->quit();
}

void TestPgCtl::lockRunExcludesAndIsExcludedByTheDocumentedKey()
{
    QString key;
    QVERIFY(m_server->sql(QStringLiteral("SELECT ('x' || left(encode(sha256(convert_to('nightly-export', 'UTF8')), 'hex'), 16))::bit(64)::bigint"), &key));
    auto app = session(QStringLiteral("other-language"));
    QVERIFY(app->run(QStringLiteral("SELECT pg_advisory_lock(%1);").arg(key)));

    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const QString ran = file(QStringLiteral("ran"));
    const QStringList run{QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("nightly-export"), QStringLiteral("--postgres"), m_server->url()};
    const ProgramRun once = runProgram(ctl, run + QStringList{QStringLiteral("--"), QStringLiteral("touch"), ran});
    QCOMPARE(once.exitCode, 75);
    QVERIFY2(once.err.contains(key) && once.err.contains(u"held by another session"), qPrintable(once.err));
    QVERIFY(!QFile::exists(ran));

    // Waiting: the command runs once the other session lets go, and sees the key.
    QProcess waiting;
    tieToParent(waiting, SIGKILL);
    const QString started = file(QStringLiteral("started"));
    const QString finish = file(QStringLiteral("finish"));
    waiting.start(ctl, run + QStringList{QStringLiteral("--wait"), QStringLiteral("60s"), QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                                         QStringLiteral("echo $FULCRUM_LOCK_KEY > %1.tmp && mv %1.tmp %1; for i in $(seq 2400); do [ -e %2 ] && exit 7; sleep 0.05; done; exit 9")
                                             .arg(started, finish)});
    QVERIFY(app->run(QStringLiteral("SELECT pg_advisory_unlock(%1);").arg(key)));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(started), 20'000);
    QFile marker(started);
    QVERIFY(marker.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(marker.readAll().trimmed()), key);
    // While the command runs, the application cannot take the key.
    QCOMPARE(app->run(QStringLiteral("SELECT pg_try_advisory_lock(%1);").arg(key)).value_or(QString()), QStringLiteral("f"));
    QFile(finish).open(QIODevice::WriteOnly);
    QTRY_VERIFY_WITH_TIMEOUT(waiting.state() == QProcess::NotRunning, 20'000);
    QCOMPARE(waiting.exitCode(), 7);
    QCOMPARE(app->run(QStringLiteral("SELECT pg_try_advisory_lock(%1);").arg(key)).value_or(QString()), QStringLiteral("t"));
    app->quit();
}

void TestPgCtl::terminatedSessionStopsTheCommand()
{
    QProcess ctl;
    tieToParent(ctl, SIGKILL);
    const QString started = file(QStringLiteral("t-started"));
    const QString stopped = file(QStringLiteral("t-stopped"));
    ctl.start(binaryPath(QStringLiteral("fulcrumctl")),
              {QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("terminated"), QStringLiteral("--postgres"), m_server->url(),
               QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
               QStringLiteral("trap 'touch %2; exit 42' TERM; echo $FULCRUM_LOCK_FENCE > %1.tmp && mv %1.tmp %1; for i in $(seq 2400); do sleep 0.05; done; exit 9")
                   .arg(started, stopped)});
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(started), 20'000);
    QFile marker(started);
    QVERIFY(marker.open(QIODevice::ReadOnly));
    const QString pid = QString::fromUtf8(marker.readAll().trimmed());
    QVERIFY(pid.toLongLong() > 0);
    QString out;
    QVERIFY2(m_server->sql(QStringLiteral("SELECT pg_terminate_backend(%1)").arg(pid), &out), qPrintable(out));
    QTRY_VERIFY_WITH_TIMEOUT(ctl.state() == QProcess::NotRunning, 20'000);
    const QString err = QString::fromLocal8Bit(ctl.readAllStandardError());
    QCOMPARE(ctl.exitCode(), 76);
    QVERIFY(QFile::exists(stopped));
    QVERIFY2(err.contains(u"session holding the lock was lost"), qPrintable(err));
}

static std::pair<int, QByteArray> adminRequest(const QString &url, const QString &tokenFile, const QByteArray &method, const QByteArray &body = {})
{
    QFile token(tokenFile);
    if (!token.open(QIODevice::ReadOnly))
        return {0, "no token file"};
    QNetworkAccessManager network;
    QNetworkRequest request{QUrl(url)};
    request.setRawHeader("Authorization", "Bearer " + token.readAll().trimmed());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(10'000);
    QNetworkReply *reply = network.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const std::pair<int, QByteArray> answer{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    reply->deleteLater();
    return answer;
}

void TestPgCtl::fulcrumdServesPostgresLocksAndMetrics()
{
    auto holder = session(QStringLiteral("refund"));
    QVERIFY(holder->run(QStringLiteral("SELECT pg_advisory_lock(7, -7);")));
    auto waiter = session(QStringLiteral("refund-2"));
    const QString acquired = waiter->send(QStringLiteral("SELECT pg_advisory_lock(7, -7);"));

    QTemporaryDir dir;
    const quint16 adminPort = freeLoopbackPort();
    const QString configPath = dir.filePath(QStringLiteral("fulcrum.json"));
    QFile config(configPath);
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QStringLiteral("{\"locks\": [{\"backend\": \"postgres\", \"name\": \"shop-db\", \"url\": \"%1\", \"poll_interval\": \"200ms\"}],"
                                " \"admin\": {\"listen\": \"127.0.0.1:%2\"}, \"state_dir\": \"%3\"}")
                     .arg(m_server->url())
                     .arg(adminPort)
                     .arg(dir.filePath(QStringLiteral("state")))
                     .toUtf8());
    config.close();
    QProcess fulcrumd;
    QString log;
    QVERIFY2(startFulcrumd(fulcrumd, configPath, &log), qPrintable(log));
    const QString engine = QStringLiteral("http://127.0.0.1:%1").arg(adminPort);
    const QString tokenFile = dir.filePath(QStringLiteral("state/admin.token"));
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    QJsonObject endpoint;
    QJsonObject row;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const ProgramRun run = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--engine"), engine,
                                                QStringLiteral("--token-file"), tokenFile, QStringLiteral("--endpoint"), QStringLiteral("shop-db"),
                                                QStringLiteral("--json")});
        endpoint = QJsonDocument::fromJson(run.out.toUtf8()).object();
        for (const QJsonValue &value : endpoint.value(QStringLiteral("locks")).toArray()) {
            if (value.toObject().value(QStringLiteral("key")).toString() == u"postgres/7,-7")
                row = value.toObject();
        }
        return row.value(QStringLiteral("waiters")).toArray().size() == 1;
    })(), 30'000);
    QCOMPARE(endpoint.value(QStringLiteral("backend")).toString(), QStringLiteral("postgres"));
    const QJsonObject capabilities = endpoint.value(QStringLiteral("capabilities")).toObject();
    QVERIFY(capabilities.value(QStringLiteral("release_effect")).toString().contains(u"pg_terminate_backend"));
    QVERIFY(capabilities.value(QStringLiteral("ask_effect")).toString().contains(u"pg_cancel_backend"));

    const auto metrics = adminRequest(engine + QStringLiteral("/metrics"), tokenFile, "GET");
    QCOMPARE(metrics.first, 200);
    QVERIFY2(metrics.second.contains("fulcrum_locks{endpoint=\"shop-db\",backend=\"postgres\"} 1"), metrics.second.constData());
    QVERIFY2(metrics.second.contains("fulcrum_lock_waiters{endpoint=\"shop-db\",backend=\"postgres\"} 1"), metrics.second.constData());

    const ProgramRun release = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("release"), QStringLiteral("postgres/7,-7"),
                                                QStringLiteral("--endpoint"), QStringLiteral("shop-db"), QStringLiteral("--engine"), engine,
                                                QStringLiteral("--token-file"), tokenFile, QStringLiteral("--holder"),
                                                row.value(QStringLiteral("holder")).toString()});
    QVERIFY2(release.exitCode == 0, qPrintable(release.err));
    QVERIFY(holder->connectionLost());
    QVERIFY(waiter->waitFor(acquired));
    stopProcess(fulcrumd);
    QFile audit(dir.filePath(QStringLiteral("state/audit.log")));
    QVERIFY(audit.open(QIODevice::ReadOnly));
    QVERIFY(audit.readAll().contains("force-release"));
    waiter->quit();
}

QTEST_GUILESS_MAIN(TestPgCtl)
#include "tst_pgctl.moc"
