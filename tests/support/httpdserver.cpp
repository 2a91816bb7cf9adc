#include "httpdserver.h"

#include "common/childprocess.h"
#include "demobackends.h"
#include "freeport.h"
#include "programs.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
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
    return QStringLiteral("%1://127.0.0.1:%2/balancer-manager").arg(m_options.tls ? QStringLiteral("https") : QStringLiteral("http")).arg(m_port);
}

QString HttpdServer::caFile() const
{
    return m_dir.filePath(QStringLiteral("ca.pem"));
}

QString HttpdServer::clientCertFile() const
{
    return m_dir.filePath(QStringLiteral("client.pem"));
}

QString HttpdServer::clientKeyFile() const
{
    return m_dir.filePath(QStringLiteral("client.key"));
}

bool HttpdServer::makeCertificates(QString *error)
{
    // A CA, and a server (127.0.0.1) and a client certificate it signs: P-256 keys, ten years.
    const QString dir = m_dir.path();
    const auto openssl = [&](const QStringList &arguments) {
        const ProgramRun run = runProgram(QStringLiteral("openssl"), arguments, componentEnvironment());
        if (run.exitCode != 0)
            *error = QStringLiteral("openssl %1 failed (package openssl): %2").arg(arguments.join(u' '), run.err);
        return run.exitCode == 0;
    };
    QFile server(dir + QStringLiteral("/server.ext"));
    QFile client(dir + QStringLiteral("/client.ext"));
    if (!server.open(QIODevice::WriteOnly) || !client.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write the certificate extensions in %1").arg(dir);
        return false;
    }
    server.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    client.write("extendedKeyUsage=clientAuth\n");
    server.close();
    client.close();
    const QStringList ec{QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"),
                         QStringLiteral("-nodes")};
    if (!openssl(QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + ec
                 + QStringList{QStringLiteral("-keyout"), dir + QStringLiteral("/ca.key"), QStringLiteral("-out"), caFile(),
                               QStringLiteral("-days"), QStringLiteral("3650"), QStringLiteral("-subj"), QStringLiteral("/CN=Fulcrum test CA")}))
        return false;
    for (const QString &name : {QStringLiteral("server"), QStringLiteral("client")}) {
        const QString base = dir + u'/' + name;
        if (!openssl(QStringList{QStringLiteral("req")} + ec
                     + QStringList{QStringLiteral("-keyout"), base + QStringLiteral(".key"), QStringLiteral("-out"), base + QStringLiteral(".csr"),
                                   QStringLiteral("-subj"), name == u"server" ? QStringLiteral("/CN=127.0.0.1") : QStringLiteral("/CN=fulcrum-ops")})
            || !openssl({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), base + QStringLiteral(".csr"), QStringLiteral("-CA"), caFile(),
                         QStringLiteral("-CAkey"), dir + QStringLiteral("/ca.key"), QStringLiteral("-CAcreateserial"), QStringLiteral("-out"),
                         base + QStringLiteral(".pem"), QStringLiteral("-days"), QStringLiteral("3650"), QStringLiteral("-extfile"), base + QStringLiteral(".ext")}))
            return false;
    }
    QFile::setPermissions(clientKeyFile(), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
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
    if (m_options.tls && !makeCertificates(error))
        return false;
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
    if (m_options.tls)
        modules += {QStringLiteral("socache_shmcb"), QStringLiteral("ssl")};
    for (const QString &module : std::as_const(modules))
        config.append(QStringLiteral("LoadModule %1_module %2/mod_%1.so").arg(module, kModules));
    if (m_options.tls) {
        config += {QStringLiteral("SSLEngine on"), QStringLiteral("SSLCertificateFile %1/server.pem").arg(m_dir.path()),
                   QStringLiteral("SSLCertificateKeyFile %1/server.key").arg(m_dir.path()),
                   QStringLiteral("SSLSessionCache shmcb:%1/ssl_scache(65536)").arg(m_dir.path())};
        if (m_options.requireClientCertificate)
            config += {QStringLiteral("SSLCACertificateFile %1").arg(caFile()), QStringLiteral("SSLVerifyClient require"),
                       QStringLiteral("SSLVerifyDepth 2")};
    }
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
    QSslSocket socket;
    if (m_options.tls) {
        QSslConfiguration tls = socket.sslConfiguration();
        tls.setCaCertificates(QSslCertificate::fromPath(caFile()));
        tls.setLocalCertificateChain(QSslCertificate::fromPath(clientCertFile()));
        QFile key(clientKeyFile());
        key.open(QIODevice::ReadOnly);
        tls.setPrivateKey(QSslKey(key.readAll(), QSsl::Ec));
        socket.setSslConfiguration(tls);
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
        if (!socket.waitForEncrypted(5000))
            return {};
    } else {
        socket.connectToHost(QHostAddress::LocalHost, m_port);
        if (!socket.waitForConnected(5000))
            return {};
    }
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
