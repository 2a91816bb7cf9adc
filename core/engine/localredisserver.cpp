#include "engine/localredisserver.h"

#include "common/childprocess.h"

#include <QFile>
#include <QStandardPaths>
#include <QElapsedTimer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

namespace fulcrum {

LocalRedisServer::LocalRedisServer() = default;

LocalRedisServer::~LocalRedisServer()
{
    stop();
}

bool LocalRedisServer::start(QString *error)
{
    const QString binary = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (binary.isEmpty()) {
        *error = QStringLiteral("redis-server is not installed (Debian package redis-server); demo mode runs without locks");
        return false;
    }
    OwnedTempDir::removeStale(QStringLiteral("redis"));
    if (!m_dir.isValid()) {
        *error = QStringLiteral("cannot create a temporary directory for redis-server: %1").arg(m_dir.errorString());
        return false;
    }
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        *error = QStringLiteral("no free loopback port for redis-server: %1").arg(probe.errorString());
        return false;
    }
    m_port = probe.serverPort();
    probe.close();
    const QStringList config{QStringLiteral("port %1").arg(m_port), QStringLiteral("bind 127.0.0.1"),
                             QStringLiteral("save \"\""), QStringLiteral("appendonly no"),
                             QStringLiteral("dir %1").arg(m_dir.path()), QStringLiteral("daemonize no"),
                             QStringLiteral("logfile \"\""), QStringLiteral("loglevel warning"),
                             // The demo's own throwaway server publishes keyspace notifications, so the
                             // demo's lock table is live (docs/locks-live.md); a shop's Redis is never
                             // changed without the operator's audited enable.
                             QStringLiteral("notify-keyspace-events Kg$hxe")};
    const QString configPath = m_dir.filePath(QStringLiteral("redis.conf"));
    QFile file(configPath);
    if (!file.open(QIODevice::WriteOnly) || file.write(config.join(u'\n').toUtf8() + '\n') < 0) {
        *error = QStringLiteral("cannot write %1: %2").arg(configPath, file.errorString());
        return false;
    }
    file.close();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process->setStandardOutputFile(QProcess::nullDevice());
    tieToParent(*m_process);
    m_process->setProcessEnvironment(environmentWithoutFaketime());   // its own clock, under faketime too
    m_process->start(binary, {configPath});
    return true;
}

bool LocalRedisServer::waitUntilAccepting(int timeoutMs)
{
    QElapsedTimer waited;
    waited.start();
    if (!m_process || !m_process->waitForStarted(timeoutMs))
        return false;
    // waitForFinished(0) takes in an early exit (a port taken meanwhile) without waiting.
    while (!m_process->waitForFinished(0) && m_process->state() != QProcess::NotRunning) {
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        if (probe.waitForConnected(200))
            return true;
        if (waited.elapsed() >= timeoutMs)
            return false;
        QThread::msleep(20);
    }
    return false;
}

void LocalRedisServer::stop()
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    m_process->terminate();
    if (!m_process->waitForFinished(3000)) {
        m_process->kill();
        m_process->waitForFinished(1000);
    }
}

} // namespace fulcrum
