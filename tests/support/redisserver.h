#pragma once

#include "locks/redis/redisreply.h"

#include <QByteArray>
#include <QList>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <memory>

namespace fulcrum::test {

// A real redis-server for one test: free loopback port, its own temporary directory, no
// persistence. Optional requirepass (written to a 0600 config file, never on the command line)
// and unix socket. Can be restarted on the same port, stopped or killed; the destructor always
// stops it. command() talks to it over a plain socket with its own RESP code, independent of
// the hiredis code under test.
class RedisServer
{
public:
    struct Options
    {
        QByteArray password;
        bool unixSocket = false;
        QStringList extraConfig;        // extra redis.conf lines
        // TLS on a second port (tlsPort()), with certificates made in the server's directory
        // (caFile(), clientCertFile()...); the plain port stays for command().
        bool tls = false;
        bool clusterEnabled = false;    // cluster-enabled yes, its own nodes.conf, 1 s node timeout
    };

    RedisServer();
    explicit RedisServer(Options options);
    ~RedisServer();
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    bool start(QString *error = nullptr);
    bool restart(QString *error = nullptr);     // same port, empty data set
    void stop();
    void kill();
    bool isRunning() const;

    quint16 port() const { return m_port; }
    QString host() const { return QStringLiteral("127.0.0.1"); }
    QString unixSocketPath() const;
    QByteArray password() const { return m_options.password; }
    QString url(int database = 0) const;
    quint16 tlsPort() const { return m_tlsPort; }
    QString tlsUrl(int database = 0) const;     // rediss://127.0.0.1:TLSPORT/DB
    QString caFile() const { return m_dir.filePath(QStringLiteral("ca.pem")); }
    QString clientCertFile() const { return m_dir.filePath(QStringLiteral("client.pem")); }
    QString clientKeyFile() const { return m_dir.filePath(QStringLiteral("client.key")); }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    QString directory() const { return m_dir.path(); }

    RedisReply command(const QList<QByteArray> &arguments);
    QList<RedisReply> pipeline(const QList<QList<QByteArray>> &commands);

private:
    bool launch(QString *error);
    bool ensureClient();

    Options m_options;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    quint16 m_tlsPort = 0;
    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QTcpSocket> m_client;
    QByteArray m_buffer;
};

} // namespace fulcrum::test
