#include "zookeeperserver.h"

#include "common/childprocess.h"
#include "freeport.h"
#include "programs.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QThread>

#include <csignal>

#include <unistd.h>

namespace fulcrum::test {

ZooKeeperServer::ZooKeeperServer()
    : ZooKeeperServer(Options{})
{
}

ZooKeeperServer::ZooKeeperServer(Options options)
    : m_options(std::move(options))
{
}

ZooKeeperServer::~ZooKeeperServer()
{
    stop();
}

QString ZooKeeperServer::classPath()
{
    return QStringLiteral("/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar");
}

qint64 ZooKeeperServer::pid() const
{
    return m_process ? m_process->processId() : 0;
}

QString ZooKeeperServer::log() const
{
    QFile file(m_dir.filePath(QStringLiteral("zookeeper.out")));
    return file.open(QIODevice::ReadOnly) ? QString::fromLocal8Bit(file.readAll().right(4000)) : QString();
}

bool ZooKeeperServer::start(QString *error)
{
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freeLoopbackPort();
        QString why;
        if (launch(&why))
            return true;
        if (error)
            *error = why;
    }
    return false;
}

bool ZooKeeperServer::restart(QString *error)
{
    stop();
    for (int attempt = 0; attempt < 20; ++attempt) {
        QString why;
        if (launch(&why))
            return true;
        if (error)
            *error = why;
        QThread::msleep(200); // the port may still be held for a moment
    }
    return false;
}

bool ZooKeeperServer::launch(QString *error)
{
    QDir(m_dir.path()).mkpath(QStringLiteral("data"));
    QStringList config{QStringLiteral("tickTime=%1").arg(m_options.tickTimeMs),
                       QStringLiteral("minSessionTimeout=%1").arg(m_options.minSessionTimeoutMs),
                       QStringLiteral("maxSessionTimeout=%1").arg(m_options.maxSessionTimeoutMs),
                       QStringLiteral("dataDir=%1").arg(m_dir.filePath(QStringLiteral("data"))),
                       QStringLiteral("clientPort=%1").arg(m_port),
                       QStringLiteral("clientPortAddress=127.0.0.1"),
                       QStringLiteral("admin.enableServer=false"),
                       QStringLiteral("maxClientCnxns=0"),
                       QStringLiteral("4lw.commands.whitelist=%1")
                           .arg(m_options.fourLetterWords ? QStringLiteral("cons,ruok,srvr") : QString())};
    config << m_options.extraConfig;
    const QString configPath = m_dir.filePath(QStringLiteral("zoo.cfg"));
    QFile file(configPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write %1").arg(configPath);
        return false;
    }
    file.write(config.join(u'\n').toUtf8() + '\n');
    file.close();

    QStringList jvm{QStringLiteral("-Xmx128m"), QStringLiteral("-XX:+UseSerialGC"), QStringLiteral("-Xss512k"),
                    QStringLiteral("-Dzookeeper.admin.enableServer=false"),
                    QStringLiteral("-Dzookeeper.jmx.log4j.disable=true")};
    if (m_options.fastStart)
        jvm << QStringLiteral("-XX:TieredStopAtLevel=1");
    jvm << QStringLiteral("-cp") << classPath() << QStringLiteral("org.apache.zookeeper.server.ZooKeeperServerMain")
        << configPath;
    m_process = std::make_unique<QProcess>();
    m_process->setStandardOutputFile(m_dir.filePath(QStringLiteral("zookeeper.out")), QIODevice::Append);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    // If the test itself dies, the JVM goes with it instead of lingering on its port.
    tieToParent(*m_process, SIGKILL);
    m_process->setProcessEnvironment(componentEnvironment());
    m_process->start(QStringLiteral("java"), jvm);
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("java did not start: %1 (install the zookeeper package, which brings a JRE)")
                     .arg(m_process->errorString());
        m_process.reset();
        return false;
    }
    const QDeadlineTimer deadline(30'000);
    while (!deadline.hasExpired()) {
        if (m_process->state() != QProcess::Running) {
            *error = QStringLiteral("ZooKeeper on port %1 exited: %2").arg(m_port).arg(log());
            m_process.reset();
            return false;
        }
        // Ready when our JVM (not some other process that took the port) listens on it.
        if (listensOnPort())
            return true;
        QThread::msleep(50);
    }
    *error = QStringLiteral("ZooKeeper did not listen on port %1 within 30 s: %2").arg(m_port).arg(log());
    kill();
    return false;
}

bool ZooKeeperServer::listensOnPort() const
{
    // Java listens on an IPv6 socket even for 127.0.0.1, so both tables are looked at.
    const QByteArray portSuffix = ':' + QByteArray::number(m_port, 16).toUpper().rightJustified(4, '0');
    QByteArray inode;
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        QFile tcp(QString::fromLatin1(table));
        if (!tcp.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &line : tcp.readAll().split('\n')) {
            const QList<QByteArray> fields = line.simplified().split(' ');
            if (fields.size() > 9 && fields[1].endsWith(portSuffix) && fields[3] == "0A")
                inode = fields[9];
        }
    }
    if (inode.isEmpty())
        return false;
    const QByteArray socketLink = "socket:[" + inode + ']';
    const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid()));
    for (const QString &fd : fds.entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System)) {
        char target[64] = {};
        const ssize_t n = ::readlink(QFile::encodeName(fds.filePath(fd)).constData(), target, sizeof target - 1);
        if (n > 0 && QByteArray(target, n) == socketLink)
            return true;
    }
    return false;
}

void ZooKeeperServer::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(10'000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
    m_process.reset();
}

void ZooKeeperServer::kill()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    m_process.reset();
}

bool ZooKeeperServer::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

} // namespace fulcrum::test
