#include "httpdserver.h"

#include "common/childprocess.h"
#include "demobackends.h"
#include "freeport.h"
#include "programs.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QThread>

namespace fulcrum::test {

namespace {

const QString kModules = QStringLiteral("/usr/lib/apache2/modules");

} // namespace

HttpdServer::HttpdServer(Options options)
    : m_options(std::move(options))
{
}

HttpdServer::~HttpdServer()
{
    stop();
}

QString HttpdServer::managerUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1/balancer-manager").arg(m_port);
}

bool HttpdServer::start(QString *error)
{
    if (!m_dir.isValid()) {
        *error = QStringLiteral("no temporary directory for httpd: %1").arg(m_dir.errorString());
        return false;
    }
    if (!m_options.user.isEmpty()) {
        const ProgramRun htpasswd = runProgram(QStringLiteral("htpasswd"), {QStringLiteral("-cbB"), m_dir.filePath(QStringLiteral("htpasswd")),
                                                                            m_options.user, QString::fromUtf8(m_options.password)});
        if (htpasswd.exitCode != 0) {
            *error = QStringLiteral("htpasswd failed (package apache2-utils): %1").arg(htpasswd.err);
            return false;
        }
    }
    // A port taken between the probe and httpd's bind: try another.
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freeLoopbackPort();
        if (launch(error))
            return true;
    }
    return false;
}

bool HttpdServer::restart(QString *error)
{
    stop();
    return launch(error);
}

bool HttpdServer::launch(QString *error)
{
    const QString program = QStandardPaths::findExecutable(QStringLiteral("apache2"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin")});
    if (program.isEmpty()) {
        *error = QStringLiteral("apache2 is not installed (Debian package apache2)");
        return false;
    }
    QStringList modules{QStringLiteral("mpm_event"), QStringLiteral("authz_core"), QStringLiteral("authz_host"), QStringLiteral("proxy"),
                        QStringLiteral("proxy_http"), QStringLiteral("proxy_balancer"), QStringLiteral("lbmethod_byrequests"),
                        QStringLiteral("slotmem_shm")};
    if (!m_options.user.isEmpty())
        modules += {QStringLiteral("auth_basic"), QStringLiteral("authn_core"), QStringLiteral("authn_file"), QStringLiteral("authz_user")};
    QStringList config{QStringLiteral("ServerRoot %1").arg(m_dir.path()), QStringLiteral("ServerName 127.0.0.1"),
                       QStringLiteral("Listen 127.0.0.1:%1").arg(m_port), QStringLiteral("PidFile %1/httpd.pid").arg(m_dir.path()),
                       QStringLiteral("DefaultRuntimeDir %1").arg(m_dir.path()), QStringLiteral("ErrorLog %1/error.log").arg(m_dir.path()),
                       QStringLiteral("LogLevel warn"), QStringLiteral("StartServers 1"), QStringLiteral("ServerLimit 1"),
                       QStringLiteral("ThreadsPerChild 8"), QStringLiteral("MaxRequestWorkers 8")};
    for (const QString &module : std::as_const(modules))
        config.append(QStringLiteral("LoadModule %1_module %2/mod_%1.so").arg(module, kModules));
    config.append(QStringLiteral("<Proxy balancer://%1>").arg(m_options.balancer));
    for (const Member &m : std::as_const(m_options.members)) {
        config.append(QStringLiteral("    BalancerMember http://127.0.0.1:%1 loadfactor=%2%3").arg(m.port).arg(m.loadFactor)
                          .arg(m.route.isEmpty() ? QString() : QStringLiteral(" route=") + m.route));
    }
    config += {QStringLiteral("    ProxySet lbmethod=byrequests"), QStringLiteral("</Proxy>"),
               QStringLiteral("<Location /balancer-manager>"), QStringLiteral("    SetHandler balancer-manager")};
    if (m_options.user.isEmpty()) {
        config.append(QStringLiteral("    Require ip 127.0.0.1"));
    } else {
        config += {QStringLiteral("    AuthType Basic"), QStringLiteral("    AuthName manager"),
                   QStringLiteral("    AuthUserFile %1/htpasswd").arg(m_dir.path()), QStringLiteral("    Require valid-user")};
    }
    config += {QStringLiteral("</Location>"), QStringLiteral("ProxyPass /balancer-manager !"),
               QStringLiteral("ProxyPass / balancer://%1/").arg(m_options.balancer)};
    const QString path = m_dir.filePath(QStringLiteral("httpd.conf"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(config.join(u'\n').toUtf8() + '\n') < 0) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.close();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setProcessEnvironment(componentEnvironment());
    // If the test itself dies, the child goes with it instead of lingering on its port.
    tieToParent(*m_process);
    m_process->start(program, {QStringLiteral("-f"), path, QStringLiteral("-DFOREGROUND")});
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("apache2 did not start: %1").arg(m_process->errorString());
        m_process.reset();
        return false;
    }
    const QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        if (m_process->state() != QProcess::Running) {
            QFile log(m_dir.filePath(QStringLiteral("error.log")));
            log.open(QIODevice::ReadOnly);
            *error = QStringLiteral("apache2 exited: %1 %2").arg(QString::fromUtf8(m_process->readAll()), QString::fromUtf8(log.readAll()));
            m_process.reset();
            return false;
        }
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        if (probe.waitForConnected(200))
            return true;
        QThread::msleep(50);
    }
    *error = QStringLiteral("apache2 did not listen on port %1 within 10 s").arg(m_port);
    stop();
    return false;
}

void HttpdServer::stop()
{
    if (!m_process)
        return;
    stopProcess(*m_process);   // SIGTERM: httpd stops its children and exits
    m_process.reset();
}

QByteArray HttpdServer::managerXml() const
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    if (!socket.waitForConnected(5000))
        return {};
    QByteArray request = "GET /balancer-manager?xml=1 HTTP/1.0\r\nHost: 127.0.0.1\r\nReferer: " + managerUrl().toUtf8() + "\r\n";
    if (!m_options.user.isEmpty())
        request += "Authorization: Basic " + (m_options.user.toUtf8() + ':' + m_options.password).toBase64() + "\r\n";
    socket.write(request + "\r\n");
    QByteArray answer;
    while (socket.waitForReadyRead(5000))
        answer += socket.readAll();
    answer += socket.readAll();
    const qsizetype body = answer.indexOf("\r\n\r\n");
    return body < 0 ? QByteArray() : answer.mid(body + 4);
}

QMap<QString, int> HttpdServer::spread(int count) const
{
    QMap<QString, int> served;
    for (int i = 0; i < count; ++i) {
        const SimpleHttpResponse response = httpGet(m_port, "/");
        served[response.status == 200 ? QString::fromUtf8(response.body).trimmed() : QStringLiteral("HTTP %1").arg(response.status)] += 1;
    }
    return served;
}

} // namespace fulcrum::test
