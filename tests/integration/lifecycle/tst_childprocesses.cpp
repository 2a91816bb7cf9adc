// The programs clean up after themselves, however they end: `fulcrum --demo` (offscreen, a
// real console with its own redis-server) stopped by SIGTERM, SIGINT or SIGHUP stops its
// redis-server and removes its temporary folder; killed outright (SIGKILL) it leaves no
// redis-server behind either, and the next start removes the folder it left. `fulcrumctl lock
// run` killed outright takes its job with it.
#include "freeport.h"
#include "processes.h"
#include "programs.h"
#include "redisserver.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QFile>
#include <QTest>

#include <csignal>

using namespace fulcrum;
using namespace fulcrum::test;

class TestChildProcesses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void signalEndsTheDemoLikeQuit_data();
    void signalEndsTheDemoLikeQuit();
    void killedConsoleLeavesNoRedisAndNextStartSweeps();
    void killedLockRunTakesItsJobAlong();

private:
    // Starts `fulcrum --demo` in this suite's own TMPDIR/HOME and waits for its redis-server.
    void startDemo(QProcess &console, qint64 *redisPid);
    QStringList redisFolders() const;

    QTemporaryDir m_root;
    QString m_tmp;
    QProcessEnvironment m_environment;
    QList<qint64> m_redisPids;
};

void TestChildProcesses::initTestCase()
{
    QVERIFY(m_root.isValid());
    // Everything the console writes (temp folders, settings, demo history) stays in here.
    m_tmp = m_root.filePath(QStringLiteral("tmp"));
    const QString home = m_root.filePath(QStringLiteral("home"));
    const QString runtime = m_root.filePath(QStringLiteral("runtime"));
    for (const QString &dir : {m_tmp, home, runtime})
        QVERIFY(QDir().mkpath(dir));
    QVERIFY(QFile::setPermissions(runtime, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    m_environment = componentEnvironment();   // its demo redis-server cannot run under faketime
    m_environment.insert(QStringLiteral("TMPDIR"), m_tmp);
    m_environment.insert(QStringLiteral("HOME"), home);
    m_environment.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/.config"));
    m_environment.insert(QStringLiteral("XDG_STATE_HOME"), home + QStringLiteral("/.local/state"));
    m_environment.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/.local/share"));
    m_environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime);
    m_environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
}

QStringList TestChildProcesses::redisFolders() const
{
    return QDir(m_tmp).entryList({QStringLiteral("fulcrum-redis-*")}, QDir::Dirs | QDir::NoDotAndDotDot);
}

void TestChildProcesses::startDemo(QProcess &console, qint64 *redisPid)
{
    console.setProcessEnvironment(m_environment);
    // Not ctest's pipes: an orphaned redis-server would hold them open, and the run with it.
    console.setStandardOutputFile(QProcess::nullDevice());
    console.setStandardErrorFile(m_root.filePath(QStringLiteral("console.log")), QIODevice::Append);
    console.start(binaryPath(QStringLiteral("fulcrum")), {QStringLiteral("--demo")});
    QVERIFY2(console.waitForStarted(10'000), qPrintable(console.errorString()));
    QList<qint64> children;
    // Its result is the list it fills, checked below with what the console said.
    (void)QTest::qWaitFor([&] {
        return console.state() != QProcess::Running
               || !(children = childProcesses(console.processId(), QStringLiteral("redis-server"))).isEmpty();
    }, 30'000);
    if (children.isEmpty()) {
        // Say what the console said, so a rare slow start can be told from a broken one.
        QFile log(m_root.filePath(QStringLiteral("console.log")));
        const QString said = log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll().right(4000)) : QStringLiteral("(no log)");
        QFAIL(qPrintable(QStringLiteral("fulcrum --demo started no redis-server within 30 s (console %1); its log:\n%2")
                             .arg(console.state() == QProcess::Running ? QStringLiteral("still running") : QStringLiteral("exited"), said)));
    }
    *redisPid = children.constFirst();
    m_redisPids.append(*redisPid);
}

void TestChildProcesses::cleanup()
{
    // What a failed check left running goes here, so that no run is left with an orphan.
    for (const qint64 pid : std::as_const(m_redisPids)) {
        if (processAlive(pid))
            ::kill(pid_t(pid), SIGKILL);
    }
    m_redisPids.clear();
}

void TestChildProcesses::signalEndsTheDemoLikeQuit_data()
{
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGTERM") << SIGTERM;
    QTest::newRow("SIGINT") << SIGINT;
    QTest::newRow("SIGHUP") << SIGHUP;
}

void TestChildProcesses::signalEndsTheDemoLikeQuit()
{
    QFETCH(int, signal);
    QProcess console;
    qint64 redis = 0;
    startDemo(console, &redis);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(processAlive(redis));
    QCOMPARE(redisFolders().size(), 1);

    ::kill(pid_t(console.processId()), signal);
    QVERIFY(console.waitForFinished(20'000));
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QCOMPARE(console.exitCode(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!processAlive(redis), 10'000);
    QCOMPARE(redisFolders(), QStringList());
}

void TestChildProcesses::killedConsoleLeavesNoRedisAndNextStartSweeps()
{
    QProcess killed;
    qint64 orphan = 0;
    startDemo(killed, &orphan);
    if (QTest::currentTestFailed())
        return;
    const QStringList leftBehind = redisFolders();
    QCOMPARE(leftBehind.size(), 1);

    killed.kill();
    QVERIFY(killed.waitForFinished(10'000));
    // The kernel ends the redis-server (PR_SET_PDEATHSIG); the folder stays until a next start.
    QTRY_VERIFY_WITH_TIMEOUT(!processAlive(orphan), 10'000);
    QCOMPARE(redisFolders(), leftBehind);

    QProcess next;
    qint64 redis = 0;
    startDemo(next, &redis);
    if (QTest::currentTestFailed())
        return;
    const QStringList now = redisFolders();
    QCOMPARE(now.size(), 1);
    QVERIFY2(now.constFirst() != leftBehind.constFirst(), "the stale folder of the killed console is still there");

    ::kill(pid_t(next.processId()), SIGTERM);
    QVERIFY(next.waitForFinished(20'000));
    QTRY_VERIFY_WITH_TIMEOUT(!processAlive(redis), 10'000);
    QCOMPARE(redisFolders(), QStringList());
}

void TestChildProcesses::killedLockRunTakesItsJobAlong()
{
    RedisServer redis;
    QString error;
    QVERIFY2(redis.start(&error), qPrintable(error));
    QProcess ctl;
    ctl.setProcessEnvironment(m_environment);
    ctl.setStandardOutputFile(QProcess::nullDevice());
    ctl.setStandardErrorFile(m_root.filePath(QStringLiteral("ctl.log")), QIODevice::Append);
    ctl.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("nightly-export"),
                                                         QStringLiteral("--ttl"), QStringLiteral("30s"), QStringLiteral("--redis"), redis.url(),
                                                         QStringLiteral("--"), QStringLiteral("sleep"), QStringLiteral("300")});
    QVERIFY(ctl.waitForStarted(10'000));
    QList<qint64> jobs;
    QTRY_VERIFY_WITH_TIMEOUT(!(jobs = childProcesses(ctl.processId(), QStringLiteral("sleep"))).isEmpty(), 15'000);

    ctl.kill();
    QVERIFY(ctl.waitForFinished(10'000));
    const qint64 job = jobs.constFirst();
    QTRY_VERIFY_WITH_TIMEOUT(!processAlive(job), 10'000);
}

QTEST_GUILESS_MAIN(TestChildProcesses)
#include "tst_childprocesses.moc"
