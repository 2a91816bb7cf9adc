#include "common/childprocess.h"
#include "freeport.h"
#include "locks/zookeeper/zkclient.h"
#include "programs.h"
#include "zkclients.h"
#include "zookeeperserver.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

Q_DECLARE_METATYPE(fulcrum::test::ZkLockProcess::Library)

// `fulcrumctl lock run --zookeeper` (the real binary) against a real ZooKeeper and real
// Curator and Kazoo lock clients on the same lock path. One server for the suite; every test
// uses its own path. Who holds is judged by what the clients say and what ran, never by time.
class TestZooKeeperLockRun : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void holdsWhileCuratorWaitsAndHandsOverWhenTheCommandEnds();
    void anotherHolderFirst_data();
    void anotherHolderFirst();
    void lostSessionStopsTheCommand();

private:
    QStringList runArguments(const QString &path, const QStringList &extra, const QString &script) const;
    // The names of path's children as the test's own session sees them.
    QList<QByteArray> contenders(const QString &path);
    QString file(const QString &name) const { return m_dir.filePath(name); }

    std::unique_ptr<ZooKeeperServer> m_server;
    std::unique_ptr<ZkClient> m_client;
    QTemporaryDir m_dir;
};

void TestZooKeeperLockRun::initTestCase()
{
    m_server = std::make_unique<ZooKeeperServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY2(ZkLockProcess::prepareCurator(&error), qPrintable(error));
    ZkClient::Options options;
    options.hosts = m_server->hosts();
    options.sessionTimeoutMs = 4000;
    m_client = std::make_unique<ZkClient>(options);
    m_client->open();
    QTRY_VERIFY_WITH_TIMEOUT(m_client->isConnected(), 20'000);
}

QStringList TestZooKeeperLockRun::runArguments(const QString &path, const QStringList &extra, const QString &script) const
{
    return QStringList{QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("job"), QStringLiteral("--zookeeper"), m_server->hosts(),
                       QStringLiteral("--path"), path}
         + extra + QStringList{QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"), script};
}

QList<QByteArray> TestZooKeeperLockRun::contenders(const QString &path)
{
    std::optional<QList<QByteArray>> names;
    m_client->getChildren(path.toUtf8(), this, [&names](int rc, const QList<QByteArray> &children, const ZkStat &) {
        names = rc == zkrc::Ok ? children : QList<QByteArray>();
    });
    if (!QTest::qWaitFor([&] { return names.has_value(); }, 15'000))
        qWarning("no answer to getChildren(%s)", qPrintable(path));
    return names.value_or(QList<QByteArray>());
}

void TestZooKeeperLockRun::holdsWhileCuratorWaitsAndHandsOverWhenTheCommandEnds()
{
    const QString path = QStringLiteral("/locks/run/curator-waits");
    const QString started = file(QStringLiteral("a-started"));
    const QString finish = file(QStringLiteral("a-finish"));
    QProcess ctl;
    tieToParent(ctl, SIGKILL);
    // The bound on the loop only keeps a broken run from hanging; it is not a timing assertion.
    ctl.start(binaryPath(QStringLiteral("fulcrumctl")),
              runArguments(path, {},
                           QStringLiteral("echo \"$FULCRUM_LOCK_NODE $FULCRUM_LOCK_FENCE\" > %1.tmp && mv %1.tmp %1; "
                                          "for i in $(seq 2400); do [ -e %2 ] && exit 7; sleep 0.05; done; exit 9")
                               .arg(started, finish)));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(started), 20'000);
    QFile marker(started);
    QVERIFY(marker.open(QIODevice::ReadOnly));
    const QList<QByteArray> env = marker.readAll().trimmed().split(' ');
    QCOMPARE(env.size(), 2);
    const QByteArray node = env[0];
    QVERIFY2(node.startsWith(path.toUtf8() + "/_c_") && node.contains("-lock-"), node.constData());
    QVERIFY2(env[1].toLongLong() > 0, env[1].constData());
    QCOMPARE(contenders(path).size(), 1);

    auto curator = std::make_unique<ZkLockProcess>(ZkLockProcess::Library::Curator, QStringLiteral("mutex"), m_server->hosts(), path);
    QVERIFY(curator->start());
    QTRY_VERIFY_WITH_TIMEOUT(contenders(path).size() == 2, 30'000);      // Curator has queued behind the command
    QVERIFY(!curator->isAcquired());
    QVERIFY(ctl.state() == QProcess::Running);

    QFile(finish).open(QIODevice::WriteOnly);
    QTRY_VERIFY_WITH_TIMEOUT(ctl.state() == QProcess::NotRunning, 20'000);
    QCOMPARE(ctl.exitStatus(), QProcess::NormalExit);
    QCOMPARE(ctl.exitCode(), 7);                                        // the command's own status
    QTRY_VERIFY_WITH_TIMEOUT(curator->isAcquired(), 15'000);
    const QList<QByteArray> after = contenders(path);
    QCOMPARE(after.size(), 1);                                          // fulcrumctl's node is gone
    QVERIFY(!node.endsWith(after.first()));
}

void TestZooKeeperLockRun::anotherHolderFirst_data()
{
    QTest::addColumn<ZkLockProcess::Library>("library");
    QTest::addColumn<QString>("recipe");
    QTest::newRow("curator InterProcessMutex") << ZkLockProcess::Library::Curator << QStringLiteral("mutex");
    // A Kazoo Lock sees Curator-style nodes only with extra_lock_patterns=["-lock-"].
    QTest::newRow("kazoo Lock") << ZkLockProcess::Library::Kazoo << QStringLiteral("curator-compatible");
}

void TestZooKeeperLockRun::anotherHolderFirst()
{
    QFETCH(ZkLockProcess::Library, library);
    QFETCH(QString, recipe);
    const QString path = QStringLiteral("/locks/run/holder-first-%1").arg(recipe);
    const QString ran = file(QStringLiteral("ran-") + recipe);
    ZkLockProcess holder(library, recipe, m_server->hosts(), path, QStringLiteral("holder"));
    QVERIFY(holder.start());
    QTRY_VERIFY_WITH_TIMEOUT(holder.isAcquired(), 30'000);

    // One attempt: not acquired, the command never ran, and fulcrumctl left no node behind.
    const ProgramRun once = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                       runArguments(path, {QStringLiteral("--wait"), QStringLiteral("0")},
                                                    QStringLiteral("touch %1").arg(ran)));
    QCOMPARE(once.exitCode, 75);
    QVERIFY2(once.err.contains(u"held by someone else"), qPrintable(once.err));
    QVERIFY(!QFile::exists(ran));
    QCOMPARE(contenders(path).size(), 1);

    // Waiting: queued behind the holder, the command runs once it lets go.
    QProcess ctl;
    tieToParent(ctl, SIGKILL);
    ctl.start(binaryPath(QStringLiteral("fulcrumctl")),
              runArguments(path, {QStringLiteral("--wait"), QStringLiteral("30s")}, QStringLiteral("touch %1; exit 3").arg(ran)));
    QTRY_VERIFY_WITH_TIMEOUT(contenders(path).size() == 2, 20'000);
    QVERIFY(!QFile::exists(ran));
    QVERIFY(ctl.state() == QProcess::Running);
    holder.release();
    QTRY_VERIFY_WITH_TIMEOUT(holder.hasSaid(QStringLiteral("released")), 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(ctl.state() == QProcess::NotRunning, 30'000);
    QVERIFY2(ctl.exitCode() == 3, ctl.readAllStandardError().constData());
    QVERIFY(QFile::exists(ran));
    QTRY_VERIFY_WITH_TIMEOUT(contenders(path).isEmpty(), 15'000);
}

void TestZooKeeperLockRun::lostSessionStopsTheCommand()
{
    const QString path = QStringLiteral("/locks/run/session-lost");
    const QString started = file(QStringLiteral("d-started"));
    const QString stopped = file(QStringLiteral("d-stopped"));
    QProcess ctl;
    tieToParent(ctl, SIGKILL);
    ctl.start(binaryPath(QStringLiteral("fulcrumctl")),
              runArguments(path, {QStringLiteral("--session-timeout"), QStringLiteral("2s")},
                           QStringLiteral("trap 'touch %2; exit 42' TERM; touch %1; "
                                          "for i in $(seq 2400); do sleep 0.05; done; exit 9")
                               .arg(started, stopped)));
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(started), 20'000);

    // The server stays down until fulcrumctl has given up: no reconnect can save the session.
    m_server->kill();
    QTRY_VERIFY_WITH_TIMEOUT(ctl.state() == QProcess::NotRunning, 30'000);
    const QString err = QString::fromLocal8Bit(ctl.readAllStandardError());
    QCOMPARE(ctl.exitCode(), 76);
    QVERIFY(QFile::exists(stopped));                                    // the command got SIGTERM
    QVERIFY2(err.contains(u"lost the ZooKeeper lock /locks/run/session-lost"), qPrintable(err));

    QString error;
    QVERIFY2(m_server->restart(&error), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestZooKeeperLockRun)
#include "tst_zookeeperlockrun.moc"
