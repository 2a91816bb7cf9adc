#pragma once

#include "locks/redis/redisconnection.h"

#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>

struct redisReader;
class QTcpSocket;

namespace fulcrum {

// Which node is the master of `masterName`, as a group of Redis Sentinels says, and when that
// changes. Subscribes to +switch-master on one sentinel (the announcement of a finished
// failover; the next sentinel is tried when that one goes) and, since Pub/Sub messages are
// fire-and-forget, also asks SENTINEL get-master-addr-by-name every `checkIntervalMs`.
class RedisSentinelWatch : public QObject
{
    Q_OBJECT
public:
    // `base` carries TLS, timeouts and the sentinels' own credentials (sentinelUser and
    // sentinelPassword; without a password the sentinels are asked without AUTH).
    RedisSentinelWatch(QStringList sentinels, QString masterName, RedisConnectionOptions base, QObject *parent = nullptr);
    ~RedisSentinelWatch() override;

    void start();
    // Asks the sentinels in turn; `done` runs once with "host:port", or an error naming what
    // each sentinel said.
    void resolve(std::function<void(const QString &address, const QString &error)> done);
    QString master() const { return m_master; }
    QString masterName() const { return m_masterName; }
    qint64 checkIntervalMs = 2000;

Q_SIGNALS:
    // The master moved; `how` says who told ("+switch-master from 127.0.0.1:26379").
    void masterChanged(const QString &from, const QString &to, const QString &how);

private:
    void resolveFrom(int index, QStringList errors, std::function<void(const QString &, const QString &)> done);
    void noteMaster(const QString &address, const QString &how);
    void subscribe();
    void onSubscriberReadable();
    void dropSubscriber(bool retry);

    QStringList m_sentinels;
    QString m_masterName;
    RedisConnectionOptions m_base;
    QString m_master;
    QTimer m_check;
    QTimer m_resubscribe;
    int m_subscriberIndex = 0;
    QTcpSocket *m_subscriber = nullptr;
    redisReader *m_reader = nullptr;
    bool m_checking = false;
};

} // namespace fulcrum
