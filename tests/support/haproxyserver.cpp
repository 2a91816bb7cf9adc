#include "haproxyserver.h"

#include "common/childprocess.h"
#include "freeport.h"
#include "programs.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QLocalSocket>
#include <QStandardPaths>
#include <QThread>

#include <csignal>

namespace fulcrum::test {

HaproxyServer::HaproxyServer()
    : HaproxyServer(Options{})
{
}

HaproxyServer::HaproxyServer(Options options)
    : m_options(std::move(options))
{
}

HaproxyServer::~HaproxyServer()
{
    stop();
}

QString HaproxyServer::adminSocket() const
{
    return m_dir.filePath(QStringLiteral("admin.sock"));
}

QString HaproxyServer::userSocket() const
{
    return m_dir.filePath(QStringLiteral("user.sock"));
}

QStringList HaproxyServer::serverNames() const
{
    QStringList names;
    for (qsizetype i = 0; i < m_options.weights.size(); ++i)
        names.append(QStringLiteral("app%1").arg(i + 1));
    return names;
}

QString HaproxyServer::output() const
{
    return m_process ? QString::fromLocal8Bit(m_process->readAll()) : QString();
}

bool HaproxyServer::start(QString *error)
{
    if (m_backends.empty()) {
        for (const QString &name : serverNames()) {
            m_backends.push_back(std::make_unique<InProcessDemoBackend>(name));
            if (!m_backends.back()->isListening()) {
                *error = QStringLiteral("demo backend %1 could not listen on loopback").arg(name);
                return false;
            }
            m_backends.back()->backend().setLatency(2, 0);
            m_backends.back()->backend().setErrorRate(0);
        }
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (launch(error))
            return true;
    }
    return false;
}

bool HaproxyServer::launch(QString *error)
{
    m_frontendPort = freeLoopbackPort();
    m_adminPort = freeLoopbackPort();
    QStringList config{
        QStringLiteral("global"),
        QStringLiteral("    stats socket %1 mode 600 level admin").arg(adminSocket()),
        QStringLiteral("    stats socket %1 mode 600 level user").arg(userSocket()),
        QStringLiteral("    stats socket ipv4@127.0.0.1:%1 level admin").arg(m_adminPort),
        QStringLiteral("    nbthread 1"),
        QStringLiteral("    maxconn 500"),
        QStringLiteral("defaults"),
        QStringLiteral("    mode http"),
        QStringLiteral("    timeout connect 1s"),
        QStringLiteral("    timeout client 10s"),
        QStringLiteral("    timeout server 10s"),
        QStringLiteral("frontend web"),
        QStringLiteral("    bind 127.0.0.1:%1").arg(m_frontendPort),
        QStringLiteral("    default_backend %1").arg(backendName()),
        QStringLiteral("backend %1").arg(backendName()),
        QStringLiteral("    balance roundrobin"),
    };
    if (m_options.checks) {
        config << QStringLiteral("    option httpchk GET /health")
               << QStringLiteral("    default-server inter 200 fastinter 100 downinter 200 rise 1 fall 2");
    }
    for (qsizetype i = 0; i < m_options.weights.size(); ++i) {
        config << QStringLiteral("    server app%1 127.0.0.1:%2 weight %3%4")
                      .arg(i + 1).arg(m_backends[size_t(i)]->port()).arg(m_options.weights[i])
                      .arg(m_options.checks ? QStringLiteral(" check") : QString());
    }
    const QString path = m_dir.filePath(QStringLiteral("haproxy.cfg"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    file.write(config.join(u'\n').toUtf8() + '\n');
    file.close();

    QString program = QStandardPaths::findExecutable(QStringLiteral("haproxy"));
    if (program.isEmpty())
        program = QStandardPaths::findExecutable(QStringLiteral("haproxy"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
    if (program.isEmpty()) {
        *error = QStringLiteral("haproxy not found in PATH or /usr/sbin: install the Debian package haproxy");
        return false;
    }
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    // If the test itself dies, the child goes with it instead of lingering on its port.
    tieToParent(*m_process);
    m_process->setProcessEnvironment(componentEnvironment());
    m_process->start(program, {QStringLiteral("-f"), path, QStringLiteral("-db")});
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("haproxy did not start: %1").arg(m_process->errorString());
        m_process.reset();
        return false;
    }
    const QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        if (m_process->state() != QProcess::Running) {
            *error = QStringLiteral("haproxy exited: %1").arg(output());
            m_process.reset();
            return false;
        }
        if (command("show info").startsWith("Name: HAProxy"))
            return true;
        QThread::msleep(20);
    }
    *error = QStringLiteral("haproxy did not answer on %1 within 10 s: %2").arg(adminSocket(), output());
    stop();
    return false;
}

void HaproxyServer::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        resume();   // a stopped process would not see SIGTERM
        m_process->terminate();
        if (!m_process->waitForFinished(5000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
    m_process.reset();
}

void HaproxyServer::suspend()
{
    if (isRunning())
        ::kill(pid_t(m_process->processId()), SIGSTOP);
}

void HaproxyServer::resume()
{
    if (isRunning())
        ::kill(pid_t(m_process->processId()), SIGCONT);
}

bool HaproxyServer::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

QByteArray HaproxyServer::command(const QByteArray &command) const
{
    QLocalSocket socket;
    socket.connectToServer(adminSocket());
    if (!socket.waitForConnected(2000))
        return QByteArray();
    socket.write(command + '\n');
    socket.waitForBytesWritten(2000);
    QByteArray answer;
    const QDeadlineTimer deadline(5000);
    while (socket.state() == QLocalSocket::ConnectedState && !deadline.hasExpired()) {
        if (!socket.waitForReadyRead(int(deadline.remainingTime())))
            break;
        answer += socket.readAll();
    }
    answer += socket.readAll();
    return answer;
}

QString HaproxyServer::serverField(const QString &server, const QString &field) const
{
    const QList<QByteArray> lines = command("show stat").split('\n');
    if (lines.isEmpty() || !lines.first().startsWith("# "))
        return QString();
    const QList<QByteArray> header = lines.first().mid(2).split(',');
    const qsizetype column = header.indexOf(field.toLatin1());
    if (column < 0)
        return QString();
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.split(',');
        if (fields.size() > column && fields.value(0) == backendName().toLatin1() && fields.value(1) == server.toLatin1())
            return QString::fromLatin1(fields[column]);
    }
    return QString();
}

} // namespace fulcrum::test
