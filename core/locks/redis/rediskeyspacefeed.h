#pragma once

#include "locks/redis/redisconnection.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTimer>

namespace fulcrum {

// What a live lock table needs a Redis to publish (notify-keyspace-events), and the merge that
// adds it to what a server already has without taking anything away.
namespace keyspacenotifications {
// K (keyspace channels) with g (del, expire, rename), $ (set), h (hset, hincrby, hdel), x
// (expired) and e (evicted); A stands for every class but key-miss and new-key.
inline constexpr char needed[] = "Kg$hxe";
// The classes `flags` lacks, as written ("" when it has all); `flags` as CONFIG GET answers it.
QByteArray missing(const QByteArray &flags);
// `flags` with what is missing added.
QByteArray merged(const QByteArray &flags);
}

// Follows one Redis's keyspace notifications for the lock patterns, on a subscriber connection
// of its own: PSUBSCRIBE __keyspace@DB__:PATTERN per pattern (the server filters; other keys'
// events never cross the network), then every message names a key and an event. Reconnects by
// itself. Notifications are fire-and-forget: whatever happened while it was not subscribed is
// lost, so every (re)subscription is announced and the owner reads everything again.
class RedisKeyspaceFeed : public QObject
{
    Q_OBJECT
public:
    RedisKeyspaceFeed(RedisConnectionOptions options, const QList<QByteArray> &patterns, QObject *parent = nullptr);

    void open();
    void close();
    bool isSubscribed() const { return m_subscribed; }
    QString endpoint() const { return m_connection->endpoint(); }
    const QList<QByteArray> &channels() const { return m_channels; }

Q_SIGNALS:
    // Every pattern is confirmed: from here on, each change to a matching key is announced.
    void subscribed();
    // The subscription is gone (the connection dropped or was refused): changes may be missed.
    void lost(const QString &why);
    void keyEvent(const QByteArray &key, const QByteArray &event);
    // The server refused the subscription (an ACL user without access to the channels); the
    // feed has closed and does not retry.
    void refused(const QString &why);

private:
    void onPush(const RedisReply &reply);
    void setLost(const QString &why);

    RedisConnection *m_connection = nullptr;
    QList<QByteArray> m_channels;       // __keyspace@DB__:PATTERN
    qsizetype m_prefixSize = 0;         // of "__keyspace@DB__:"
    int m_confirmed = 0;
    bool m_subscribed = false;
    QTimer m_ping;                      // a silent subscriber must still prove the connection lives
};

} // namespace fulcrum
