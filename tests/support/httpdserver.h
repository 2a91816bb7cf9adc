#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace fulcrum::test {

// A real Apache httpd for one test: Debian's `apache2 -f TEMP.conf -DFOREGROUND` on a free
// loopback port with its own temporary directory, mod_proxy_balancer (byrequests) over the
// given members, its balancer-manager at /balancer-manager, optionally behind Basic auth.
// restart() keeps the port and gives the balancer a new nonce, as a real restart does.
class HttpdServer
{
public:
    struct Member
    {
        quint16 port = 0;
        int loadFactor = 1;
        QString route;
    };
    struct Options
    {
        QString balancer = QStringLiteral("web");
        QList<Member> members;
        QString user;             // with a password: the manager asks for Basic auth
        QByteArray password;
        // https on the port, with a certificate signed by a CA made for this server (openssl);
        // with requireClientCertificate, SSLVerifyClient require: only clientCertFile() gets in.
        bool tls = false;
        bool requireClientCertificate = false;
    };

    explicit HttpdServer(Options options);
    ~HttpdServer();
    HttpdServer(const HttpdServer &) = delete;
    HttpdServer &operator=(const HttpdServer &) = delete;

    bool start(QString *error);
    bool restart(QString *error);
    void stop();

    quint16 port() const { return m_port; }
    QString managerUrl() const;
    // tls: the CA that signed the server's and the client's certificates, and the client's
    // certificate and key (mode 0600), all PEM.
    QString caFile() const;
    QString clientCertFile() const;
    QString clientKeyFile() const;
    // The manager's XML, read straight (Referer and credentials included), independent of
    // the code under test.
    QByteArray managerXml() const;
    // Sends `count` requests for / through httpd, one after the other, and counts the
    // answers by body ("app1" → n): httpd's own traffic split.
    QMap<QString, int> spread(int count) const;

private:
    bool launch(QString *error);
    bool makeCertificates(QString *error);

    Options m_options;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
};

} // namespace fulcrum::test
