#include "rediskeyspacefeed.h"

namespace fulcrum {

namespace keyspacenotifications {

QByteArray missing(const QByteArray &flags)
{
    QByteArray lacking;
    for (const char c : QByteArrayView(needed)) {
        // A covers g $ l s h z x e t d (and m n only when given themselves).
        const bool coveredByA = c != 'K' && flags.contains('A');
        if (!flags.contains(c) && !coveredByA)
            lacking.append(c);
    }
    return lacking;
}

QByteArray merged(const QByteArray &flags)
{
    return flags + missing(flags);
}

} // namespace keyspacenotifications

RedisKeyspaceFeed::RedisKeyspaceFeed(RedisConnectionOptions options, const QList<QByteArray> &patterns, QObject *parent)
    : QObject(parent)
{
    const QByteArray prefix = "__keyspace@" + QByteArray::number(options.database) + "__:";
    m_prefixSize = prefix.size();
    for (const QByteArray &pattern : patterns)
        m_channels.append(prefix + pattern);
    m_connection = new RedisConnection(std::move(options), this);
    m_connection->setPushHandler([this](const RedisReply &reply) { onPush(reply); });
    connect(m_connection, &RedisConnection::connected, this, [this] {
        m_confirmed = 0;
        m_connection->sendSubscription(QList<QByteArray>{QByteArrayLiteral("PSUBSCRIBE")} + m_channels);
        m_ping.start();
    });
    connect(m_connection, &RedisConnection::errorOccurred, this, [this](const QString &why) { setLost(why); });
    connect(m_connection, &RedisConnection::stateChanged, this, [this](RedisConnection::State state) {
        if (state != RedisConnection::State::Connected)
            setLost(m_connection->lastError().isEmpty() ? RedisConnection::stateName(state) : m_connection->lastError());
    });
    m_ping.setInterval(10'000);
    connect(&m_ping, &QTimer::timeout, this, [this] {
        // The reply ("pong" in subscriber mode) only matters by arriving: a connection whose
        // reply is late past the command timeout is dropped and made again.
        if (m_connection->isConnected())
            m_connection->command({QByteArrayLiteral("PING")}, [](const RedisReply &) {});
    });
}

void RedisKeyspaceFeed::open()
{
    m_connection->open();
}

void RedisKeyspaceFeed::close()
{
    m_ping.stop();
    m_connection->close();
    m_subscribed = false;
}

void RedisKeyspaceFeed::setLost(const QString &why)
{
    m_ping.stop();
    m_confirmed = 0;
    if (!std::exchange(m_subscribed, false))
        return;
    Q_EMIT lost(why);
}

void RedisKeyspaceFeed::onPush(const RedisReply &reply)
{
    if (reply.isError()) {
        const QString why = QStringLiteral("%1 refused PSUBSCRIBE %2: %3").arg(m_connection->endpoint(), QString::fromUtf8(m_channels.join(' ')), reply.errorText());
        close();
        Q_EMIT refused(why);
        return;
    }
    if (reply.type != RedisReply::Array || reply.elements.isEmpty())
        return;
    const QList<RedisReply> &e = reply.elements;
    const QByteArray &kind = e.at(0).string;
    if (kind == "pmessage" && e.size() == 4) {
        const QByteArray &channel = e.at(2).string;
        if (channel.size() > m_prefixSize)
            Q_EMIT keyEvent(channel.mid(m_prefixSize), e.at(3).string);
    } else if (kind == "psubscribe") {
        if (++m_confirmed == m_channels.size() && !m_subscribed) {
            m_subscribed = true;
            Q_EMIT subscribed();
        }
    }
}

} // namespace fulcrum
