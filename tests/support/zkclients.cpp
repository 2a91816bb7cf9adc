#include "zkclients.h"

#include "common/childprocess.h"
#include "programs.h"
#include "zookeeperserver.h"

#include <QTemporaryDir>

#include <csignal>

namespace fulcrum::test {

static QString supportDir()
{
    return QStringLiteral(FULCRUM_SOURCE_DIR "/tests/support/zk");
}

static QString curatorClassPath()
{
    // The jars' manifests name guava, slf4j and the ZooKeeper jars they need.
    return QStringLiteral("/usr/share/java/curator-recipes.jar:/usr/share/java/curator-framework.jar:"
                          "/usr/share/java/curator-client.jar:")
         + ZooKeeperServer::classPath();
}

static QTemporaryDir &curatorClasses()
{
    static QTemporaryDir dir;
    return dir;
}

bool ZkLockProcess::prepareCurator(QString *error)
{
    static bool compiled = false;
    if (compiled)
        return true;
    const ProgramRun run = runProgram(QStringLiteral("javac"),
                                      {QStringLiteral("-cp"), curatorClassPath(), QStringLiteral("-d"), curatorClasses().path(),
                                       supportDir() + QStringLiteral("/CuratorLocks.java")},
                                      componentEnvironment(), {}, 120'000);
    if (run.exitCode != 0) {
        *error = QStringLiteral("javac CuratorLocks.java failed (install default-jdk-headless and libcurator-recipes-java): %1%2")
                     .arg(run.out, run.err);
        return false;
    }
    compiled = true;
    return true;
}

ZkLockProcess::ZkLockProcess(Library library, const QString &recipe, const QString &hosts, const QString &path,
                             const QString &identifier, int maxLeases)
    : m_library(library)
{
    if (library == Library::Kazoo) {
        m_arguments = {supportDir() + QStringLiteral("/kazoo_locks.py"), recipe, hosts, path, identifier, QString::number(maxLeases)};
    } else {
        m_arguments = {QStringLiteral("-Xmx64m"), QStringLiteral("-XX:TieredStopAtLevel=1"), QStringLiteral("-XX:+UseSerialGC"),
                       QStringLiteral("-cp"), curatorClasses().path() + u':' + curatorClassPath(), QStringLiteral("CuratorLocks"),
                       recipe, hosts, path, QString::number(maxLeases)};
    }
}

ZkLockProcess::~ZkLockProcess()
{
    kill();
}

bool ZkLockProcess::start(QString *error)
{
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setProcessEnvironment(componentEnvironment());
    tieToParent(*m_process, SIGKILL);
    // Debian's python3, where python3-kazoo lives, whatever python3 the PATH finds first.
    m_process->start(m_library == Library::Kazoo ? QStringLiteral("/usr/bin/python3") : QStringLiteral("java"), m_arguments);
    if (!m_process->waitForStarted(10'000)) {
        if (error)
            *error = m_process->errorString();
        return false;
    }
    return true;
}

QString ZkLockProcess::output()
{
    if (m_process)
        m_output += QString::fromLocal8Bit(m_process->readAll());
    return m_output;
}

bool ZkLockProcess::hasSaid(const QString &word)
{
    return output().split(u'\n').contains(word);
}

void ZkLockProcess::release()
{
    if (m_process && m_process->state() == QProcess::Running)
        m_process->write("release\n");
}

void ZkLockProcess::kill()
{
    if (!m_process)
        return;
    output();
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    m_process.reset();
}

bool ZkLockProcess::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

} // namespace fulcrum::test
