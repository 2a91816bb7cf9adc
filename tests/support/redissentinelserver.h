#pragma once

#include "locks/redis/redisreply.h"

#include <QProcess>
#include <QTemporaryDir>

#include <memory>

namespace fulcrum::test {

// A real redis-sentinel (Debian package redis-sentinel) watching one master: free loopback
// port, its own directory (sentinel rewrites its config file there), quorum 1, a master counted
// down after 1 s. command() asks it over a plain socket. `extraConfig`: more sentinel.conf lines
// (requirepass, user ...); `password`: what command() authenticates with (REDISCLI_AUTH).
class RedisSentinelServer
{
public:
    RedisSentinelServer(QString masterName, QString masterAddress, QStringList extraConfig = {}, QByteArray password = {});
    ~RedisSentinelServer();

    bool start(QString *error);
    void stop();
    quint16 port() const { return m_port; }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    RedisReply command(const QList<QByteArray> &arguments);

private:
    QString m_masterName;
    QString m_masterAddress;
    QStringList m_extraConfig;
    QByteArray m_password;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
};

} // namespace fulcrum::test
