#include "mariadbserver.h"

#include "common/childprocess.h"
#include "freeport.h"
#include "programs.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QThread>

#include <csignal>
#include <unistd.h>

namespace fulcrum::test {

MariaDbServer::MariaDbServer(NamedLocks namedLocks)
    : m_namedLocks(namedLocks)
{
}

MariaDbServer::~MariaDbServer()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(10'000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
}

QString MariaDbServer::url(const QString &user, const QString &database) const
{
    return QStringLiteral("mysql://%1@127.0.0.1:%2/%3").arg(user).arg(m_port).arg(database);
}

QString MariaDbServer::log() const
{
    QFile file(m_dir.filePath(QStringLiteral("mariadbd.log")));
    return file.open(QIODevice::ReadOnly) ? QString::fromLocal8Bit(file.readAll().right(4000)) : QString();
}

QStringList MariaDbServer::clientArguments(const QString &user) const
{
    return {QStringLiteral("--no-defaults"), QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-P"), QString::number(m_port),
            QStringLiteral("-u"), user, QStringLiteral("-N"), QStringLiteral("-B"), QStringLiteral("--unbuffered")};
}

bool MariaDbServer::sql(const QString &sql, QString *output) const
{
    const ProgramRun run = runProgram(QStringLiteral("/usr/bin/mariadb"),
                                      {QStringLiteral("--no-defaults"), QStringLiteral("-S"), m_dir.filePath(QStringLiteral("sock")),
                                       QStringLiteral("-u"), QStringLiteral("root"), QStringLiteral("-N"), QStringLiteral("-B"), QStringLiteral("-e"), sql},
                                      componentEnvironment(), {}, 30'000);
    if (output)
        *output = run.exitCode == 0 ? run.out.trimmed() : run.out + run.err;
    return run.exitCode == 0;
}

bool MariaDbServer::start(QString *error)
{
    const ProgramRun install = runProgram(QStringLiteral("/usr/bin/mariadb-install-db"),
                                          {QStringLiteral("--no-defaults"), QStringLiteral("--datadir=") + m_dir.filePath(QStringLiteral("data")),
                                           QStringLiteral("--auth-root-authentication-method=normal"), QStringLiteral("--skip-test-db"),
                                           QStringLiteral("--user=") + QString::fromLocal8Bit(qgetenv("USER").isEmpty() ? "root" : qgetenv("USER"))},
                                          componentEnvironment(), {}, 120'000);
    if (install.exitCode != 0) {
        if (error)
            *error = QStringLiteral("mariadb-install-db failed (install the mariadb-server package): %1 %2").arg(install.out.right(2000), install.err.right(2000));
        return false;
    }
    QString why;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (launch(&why))
            return true;
    }
    if (error)
        *error = why;
    return false;
}

bool MariaDbServer::launch(QString *error)
{
    m_port = freeLoopbackPort();
    QStringList args{QStringLiteral("--no-defaults"), QStringLiteral("--datadir=") + m_dir.filePath(QStringLiteral("data")),
                     QStringLiteral("--socket=") + m_dir.filePath(QStringLiteral("sock")), QStringLiteral("--port=%1").arg(m_port),
                     QStringLiteral("--bind-address=127.0.0.1"), QStringLiteral("--skip-log-bin"), QStringLiteral("--skip-name-resolve"),
                     QStringLiteral("--pid-file=") + m_dir.filePath(QStringLiteral("mariadbd.pid")), QStringLiteral("--innodb-buffer-pool-size=16M")};
    if (geteuid() == 0)
        args << QStringLiteral("--user=root");
    if (m_namedLocks == NamedLocks::MetadataLockInfo)
        args << QStringLiteral("--plugin-load-add=metadata_lock_info");
    else if (m_namedLocks == NamedLocks::PerformanceSchema)
        args << QStringLiteral("--performance-schema=ON") << QStringLiteral("--performance-schema-instrument=wait/lock/metadata/sql/mdl=ON");
    args << m_extraArguments;
    m_process = std::make_unique<QProcess>();
    m_process->setStandardOutputFile(m_dir.filePath(QStringLiteral("mariadbd.log")), QIODevice::Append);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setProcessEnvironment(componentEnvironment());
    tieToParent(*m_process, SIGKILL);
    m_process->start(QStringLiteral("/usr/sbin/mariadbd"), args);
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("mariadbd did not start: %1").arg(m_process->errorString());
        return false;
    }
    const QDeadlineTimer deadline(30'000);
    while (true) {
        if (m_process->state() != QProcess::Running) {
            m_process->waitForFinished(1000);
            *error = QStringLiteral("mariadbd exited: %1").arg(log());
            return false;
        }
        QString out;
        // Ours: the socket in our directory, and the port it says it listens on.
        if (QFile::exists(m_dir.filePath(QStringLiteral("sock"))) && sql(QStringLiteral("SELECT @@port"), &out) && out == QString::number(m_port))
            return true;
        if (deadline.hasExpired()) {
            *error = QStringLiteral("mariadbd was not ready within 30 s: %1").arg(log());
            m_process->kill();
            m_process->waitForFinished(5000);
            return false;
        }
        QThread::msleep(100);
    }
}

MariaDbSession::MariaDbSession(const MariaDbServer &server, const QString &user)
    : m_server(server), m_user(user)
{
    QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] { read(); });
}

MariaDbSession::~MariaDbSession()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

void MariaDbSession::read()
{
    m_out += QString::fromUtf8(m_process.readAllStandardOutput());
}

bool MariaDbSession::start(QString *error)
{
    m_process.setProcessEnvironment(componentEnvironment());
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    tieToParent(m_process, SIGKILL);
    m_process.start(QStringLiteral("/usr/bin/mariadb"), m_server.clientArguments(m_user));
    if (!m_process.waitForStarted(5000)) {
        if (error)
            *error = QStringLiteral("mariadb did not start: %1").arg(m_process.errorString());
        return false;
    }
    const auto id = run(QStringLiteral("SELECT CONNECTION_ID();"));
    if (!id || id->trimmed().toLongLong() <= 0) {
        if (error)
            *error = QStringLiteral("mariadb as %1 did not connect: %2").arg(m_user, m_out);
        return false;
    }
    m_id = id->trimmed().toLongLong();
    return true;
}

QString MariaDbSession::send(const QString &sql)
{
    const QString marker = QStringLiteral("--marker-%1--").arg(++m_markers);
    m_process.write((sql + QStringLiteral("\nSELECT '") + marker + QStringLiteral("';\n")).toUtf8());
    return marker;
}

bool MariaDbSession::waitFor(const QString &marker, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!m_out.contains(marker)) {
        if (deadline.hasExpired() || m_process.state() != QProcess::Running)
            return m_out.contains(marker);
        m_process.waitForReadyRead(50);
        read();
        QCoreApplication::processEvents();
    }
    return true;
}

std::optional<QString> MariaDbSession::run(const QString &sql, int timeoutMs)
{
    const qsizetype from = m_out.size();
    const QString marker = send(sql);
    if (!waitFor(marker, timeoutMs))
        return std::nullopt;
    return m_out.mid(from, m_out.indexOf(marker, from) - from).trimmed();
}

bool MariaDbSession::connectionLost(int timeoutMs)
{
    if (m_process.state() == QProcess::Running)
        send(QStringLiteral("SELECT 1;"));
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        read();
        if (m_process.state() != QProcess::Running || m_out.contains(QStringLiteral("server has gone away"))
            || m_out.contains(QStringLiteral("Lost connection")) || m_out.contains(QStringLiteral("Connection was killed")))
            return true;
        m_process.waitForReadyRead(50);
        m_process.waitForFinished(10);
    }
    return false;
}

void MariaDbSession::quit()
{
    if (m_process.state() == QProcess::Running) {
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(5000))
            m_process.kill();
    }
    m_process.waitForFinished(5000);
}

} // namespace fulcrum::test
