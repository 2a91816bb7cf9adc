#include "redissentinelserver.h"

#include "common/childprocess.h"
#include "freeport.h"
#include "programs.h"
#include "redisserver.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QThread>

#include <csignal>

namespace fulcrum::test {

RedisSentinelServer::RedisSentinelServer(QString masterName, QString masterAddress, QStringList extraConfig, QByteArray password)
    : m_masterName(std::move(masterName))
    , m_masterAddress(std::move(masterAddress))
    , m_extraConfig(std::move(extraConfig))
    , m_password(std::move(password))
{
}

RedisSentinelServer::~RedisSentinelServer()
{
    stop();
}

bool RedisSentinelServer::start(QString *error)
{
    m_port = freeLoopbackPort();
    const QString host = m_masterAddress.section(u':', 0, -2);
    const QString port = m_masterAddress.section(u':', -1);
    QStringList config{QStringLiteral("port %1").arg(m_port),
                             QStringLiteral("bind 127.0.0.1"),
                             QStringLiteral("daemonize no"),
                             QStringLiteral("dir %1").arg(m_dir.path()),
                             QStringLiteral("logfile \"\""),
                             QStringLiteral("sentinel monitor %1 %2 %3 1").arg(m_masterName, host, port),
                             QStringLiteral("sentinel down-after-milliseconds %1 1000").arg(m_masterName),
                             QStringLiteral("sentinel failover-timeout %1 5000").arg(m_masterName)};
    config += m_extraConfig;
    const QString path = m_dir.filePath(QStringLiteral("sentinel.conf"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(config.join(u'\n').toUtf8() + '\n');
    file.close();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    tieToParent(*m_process, SIGTERM);
    m_process->setProcessEnvironment(componentEnvironment());
    m_process->start(QStringLiteral("redis-sentinel"), {path});
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("redis-sentinel did not start: %1 (package redis-sentinel)").arg(m_process->errorString());
        return false;
    }
    const QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        if (m_process->state() != QProcess::Running) {
            *error = QStringLiteral("redis-sentinel exited: %1").arg(QString::fromLocal8Bit(m_process->readAll()));
            return false;
        }
        if (command({QByteArrayLiteral("PING")}).string == "PONG")
            return true;
        QThread::msleep(50);
    }
    *error = QStringLiteral("redis-sentinel on port %1 did not answer PING").arg(m_port);
    return false;
}

void RedisSentinelServer::stop()
{
    if (!m_process)
        return;
    m_process->terminate();
    if (!m_process->waitForFinished(5000)) {
        m_process->kill();
        m_process->waitForFinished(2000);
    }
    m_process.reset();
}

RedisReply RedisSentinelServer::command(const QList<QByteArray> &arguments)
{
    // redis-cli parses the reply; one short-lived call per question is plenty for a test.
    QStringList args{QStringLiteral("-p"), QString::number(m_port), QStringLiteral("--no-raw")};
    for (const QByteArray &a : arguments)
        args << QString::fromUtf8(a);
    QProcessEnvironment environment = componentEnvironment();
    if (!m_password.isEmpty())
        environment.insert(QStringLiteral("REDISCLI_AUTH"), QString::fromUtf8(m_password));   // not on the command line
    const ProgramRun run = runProgram(QStringLiteral("redis-cli"), args, environment, {}, 5000);
    RedisReply reply;
    if (run.exitCode != 0)
        return RedisReply::failed(run.err);
    const QString text = run.out.trimmed();
    if (text.startsWith(u"(error)")) {
        reply.type = RedisReply::Error;
        reply.string = text.mid(8).toUtf8();
    } else {
        reply.type = RedisReply::String;
        reply.string = text.startsWith(u'"') && text.endsWith(u'"') ? text.mid(1, text.size() - 2).toUtf8() : text.toUtf8();
    }
    return reply;
}

} // namespace fulcrum::test
