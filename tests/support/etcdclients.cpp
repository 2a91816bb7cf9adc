#include "etcdclients.h"

#include "common/childprocess.h"
#include "etcdserver.h"

#include <csignal>

namespace fulcrum::test {

static std::unique_ptr<QProcess> startEtcdctl(const EtcdServer &server, const QStringList &arguments)
{
    auto process = std::make_unique<QProcess>();
    process->setProcessChannelMode(QProcess::SeparateChannels);
    process->setProcessEnvironment(server.etcdctlEnvironment());
    tieToParent(*process, SIGKILL);
    process->start(QStringLiteral("/usr/bin/etcdctl"), server.etcdctlArguments(arguments));
    if (!process->waitForStarted(10'000))
        qWarning("etcdctl did not start: %s", qPrintable(process->errorString()));
    return process;
}

std::unique_ptr<EtcdLockProcess> EtcdLockProcess::lock(const EtcdServer &server, const QString &name, const QStringList &extra)
{
    std::unique_ptr<EtcdLockProcess> p(new EtcdLockProcess);
    p->m_process = startEtcdctl(server, QStringList{QStringLiteral("lock"), name} + extra);
    return p;
}

std::unique_ptr<EtcdLockProcess> EtcdLockProcess::elect(const EtcdServer &server, const QString &name, const QString &proposal)
{
    std::unique_ptr<EtcdLockProcess> p(new EtcdLockProcess);
    p->m_process = startEtcdctl(server, {QStringLiteral("elect"), name, proposal});
    return p;
}

EtcdLockProcess::~EtcdLockProcess()
{
    kill();
}

QString EtcdLockProcess::output()
{
    if (m_process)
        m_output += QString::fromLocal8Bit(m_process->readAllStandardOutput());
    return m_output;
}

bool EtcdLockProcess::isAcquired()
{
    return output().contains(u'\n');
}

QByteArray EtcdLockProcess::key()
{
    return output().section(u'\n', 0, 0).toUtf8();
}

void EtcdLockProcess::release()
{
    if (m_process && m_process->state() == QProcess::Running) {
        m_process->terminate();
        m_process->waitForFinished(10'000);
    }
}

void EtcdLockProcess::kill()
{
    if (!m_process)
        return;
    output();
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

bool EtcdLockProcess::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

int EtcdLockProcess::exitCode() const
{
    return m_process ? m_process->exitCode() : -1;
}

} // namespace fulcrum::test
