#include "etcdserver.h"

#include "common/childprocess.h"
#include "freeport.h"
#include "programs.h"
#include "testcertificates.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QThread>

#include <csignal>

namespace fulcrum::test {

EtcdServer::EtcdServer()
    : EtcdServer(Options{})
{
}

EtcdServer::EtcdServer(Options options)
    : m_options(options)
{
}

EtcdServer::~EtcdServer()
{
    for (Member &m : m_members) {
        if (m.process && m.process->state() != QProcess::NotRunning)
            stopProcess(*m.process);
    }
}

QString EtcdServer::caFile() const { return m_dir.filePath(QStringLiteral("ca.pem")); }
QString EtcdServer::clientCertFile() const { return m_dir.filePath(QStringLiteral("client.pem")); }
QString EtcdServer::clientKeyFile() const { return m_dir.filePath(QStringLiteral("client.key")); }

QStringList EtcdServer::clientUrls() const
{
    QStringList urls;
    for (const Member &m : m_members)
        urls << QStringLiteral("%1://127.0.0.1:%2").arg(m_options.tls ? QStringLiteral("https") : QStringLiteral("http")).arg(m.clientPort);
    return urls;
}

QString EtcdServer::log(int member) const
{
    QFile file(m_dir.filePath(QStringLiteral("m%1.log").arg(member)));
    return file.open(QIODevice::ReadOnly) ? QString::fromLocal8Bit(file.readAll().right(4000)) : QString();
}

bool EtcdServer::isRunning(int member) const
{
    return member < int(m_members.size()) && m_members[member].process && m_members[member].process->state() == QProcess::Running;
}

void EtcdServer::kill(int member)
{
    if (member >= int(m_members.size()) || !m_members[member].process)
        return;
    m_members[member].process->kill();
    m_members[member].process->waitForFinished(5000);
}

QProcessEnvironment EtcdServer::etcdctlEnvironment() const
{
    QProcessEnvironment env = componentEnvironment();
    env.insert(QStringLiteral("ETCDCTL_API"), QStringLiteral("3"));
    return env;
}

QStringList EtcdServer::etcdctlArguments(const QStringList &arguments) const
{
    QStringList args{QStringLiteral("--endpoints=%1").arg(clientUrls().join(u','))};
    if (m_options.tls)
        args << QStringLiteral("--cacert=%1").arg(caFile()) << QStringLiteral("--cert=%1").arg(clientCertFile())
             << QStringLiteral("--key=%1").arg(clientKeyFile());
    return args + arguments;
}

bool EtcdServer::etcdctl(const QStringList &arguments, QString *output, const QByteArray &input) const
{
    const ProgramRun run = runProgram(QStringLiteral("/usr/bin/etcdctl"), etcdctlArguments(arguments), etcdctlEnvironment(), input, 30'000);
    if (output)
        *output = run.exitCode == 0 ? run.out : run.out + run.err;
    return run.exitCode == 0;
}

bool EtcdServer::start(QString *error)
{
    QString why;
    if (m_options.tls && !makeTestCertificates(m_dir.path(), &why)) {
        if (error)
            *error = why;
        return false;
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (launch(&why))
            return true;
        for (Member &m : m_members) {
            if (m.process && m.process->state() != QProcess::NotRunning) {
                m.process->kill();
                m.process->waitForFinished(5000);
            }
        }
        QDir(m_dir.path()).removeRecursively();
        QDir().mkpath(m_dir.path());
        if (m_options.tls && !makeTestCertificates(m_dir.path(), &why))
            break;
    }
    if (error)
        *error = why;
    return false;
}

bool EtcdServer::launch(QString *error)
{
    m_members.clear();
    m_members.resize(m_options.members);
    QStringList cluster;
    for (int i = 0; i < m_options.members; ++i) {
        Member &m = m_members[i];
        m.name = QStringLiteral("m%1").arg(i);
        m.clientPort = freeLoopbackPort();
        m.peerPort = freeLoopbackPort();
        cluster << QStringLiteral("%1=http://127.0.0.1:%2").arg(m.name).arg(m.peerPort);
    }
    const QStringList urls = clientUrls();
    for (int i = 0; i < m_options.members; ++i) {
        Member &m = m_members[i];
        const QString peer = QStringLiteral("http://127.0.0.1:%1").arg(m.peerPort);
        QStringList args{QStringLiteral("--name"), m.name,
                         QStringLiteral("--data-dir"), m_dir.filePath(m.name),
                         QStringLiteral("--listen-client-urls"), urls[i],
                         QStringLiteral("--advertise-client-urls"), urls[i],
                         QStringLiteral("--listen-peer-urls"), peer,
                         QStringLiteral("--initial-advertise-peer-urls"), peer,
                         QStringLiteral("--initial-cluster"), cluster.join(u','),
                         QStringLiteral("--initial-cluster-state"), QStringLiteral("new"),
                         QStringLiteral("--initial-cluster-token"), QStringLiteral("fulcrum-test"),
                         // Elections within a second or two when a member is killed.
                         QStringLiteral("--heartbeat-interval"), QStringLiteral("100"),
                         QStringLiteral("--election-timeout"), QStringLiteral("1000")};
        if (m_options.tls)
            args << QStringLiteral("--cert-file") << m_dir.filePath(QStringLiteral("server.pem")) << QStringLiteral("--key-file")
                 << m_dir.filePath(QStringLiteral("server.key")) << QStringLiteral("--trusted-ca-file") << caFile();
        args << m_options.extraArguments;
        m.process = std::make_unique<QProcess>();
        m.process->setStandardOutputFile(m_dir.filePath(QStringLiteral("m%1.log").arg(i)), QIODevice::Append);
        m.process->setProcessChannelMode(QProcess::MergedChannels);
        tieToParent(*m.process, SIGKILL);
        m.process->setProcessEnvironment(componentEnvironment());
        m.process->start(QStringLiteral("/usr/bin/etcd"), args);
        if (!m.process->waitForStarted(5000)) {
            *error = QStringLiteral("etcd did not start: %1 (install the etcd-server package)").arg(m.process->errorString());
            return false;
        }
    }
    const QDeadlineTimer deadline(30'000);
    for (int i = 0; i < m_options.members; ++i) {
        while (true) {
            if (m_members[i].process->state() != QProcess::Running) {
                *error = QStringLiteral("etcd member %1 exited: %2").arg(i).arg(log(i));
                return false;
            }
            QStringList args{QStringLiteral("--endpoints=%1").arg(urls[i]), QStringLiteral("--command-timeout=2s"),
                             QStringLiteral("endpoint"), QStringLiteral("health")};
            if (m_options.tls)
                args << QStringLiteral("--cacert=%1").arg(caFile()) << QStringLiteral("--cert=%1").arg(clientCertFile())
                     << QStringLiteral("--key=%1").arg(clientKeyFile());
            if (runProgram(QStringLiteral("/usr/bin/etcdctl"), args, etcdctlEnvironment(), {}, 10'000).exitCode == 0)
                break;
            if (deadline.hasExpired()) {
                *error = QStringLiteral("etcd member %1 was not healthy within 30 s: %2").arg(i).arg(log(i));
                return false;
            }
            QThread::msleep(100);
        }
    }
    return true;
}

} // namespace fulcrum::test
