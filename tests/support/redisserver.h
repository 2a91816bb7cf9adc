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
    QString directory() const { return m_dir.path(); }

    RedisReply command(const QList<QByteArray> &arguments);
    QList<RedisReply> pipeline(const QList<QList<QByteArray>> &commands);

private:
    bool launch(QString *error);
    bool ensureClient();

    Options m_options;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QTcpSocket> m_client;
    QByteArray m_buffer;
};

} // namespace fulcrum::test
