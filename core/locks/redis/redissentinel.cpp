#include "redissentinel.h"

#include "locks/redis/rediscommands.h"
#include "locks/redis/redisnodeset.h"

#include <QSslConfiguration>
#include <QSslSocket>

#include <hiredis/hiredis.h>

#include <memory>

namespace fulcrum {

RedisSentinelWatch::RedisSentinelWatch(QStringList sentinels, QString masterName, RedisConnectionOptions base, QObject *parent)
    : QObject(parent)
    , m_sentinels(std::move(sentinels))
    , m_masterName(std::move(masterName))
    , m_base(std::move(base))
{
    // The sentinels' credentials are their own, not the master's.
    m_base.user = m_base.sentinelUser;
    m_base.password = m_base.sentinelPassword;
    m_base.passwordHint = QStringLiteral("set \"sentinel_password\" on the endpoint (\"keychain\", \"file:PATH\" or \"env:VAR\"; "
                                         "\"sentinel_user\" too for an ACL user), or FULCRUM_SENTINEL_PASSWORD for fulcrumctl");
    m_base.database = 0;
    m_base.unixSocket.clear();
    m_base.reconnect = false;
    m_base.connectTimeoutMs = std::min<qint64>(m_base.connectTimeoutMs, 2000);
    m_check.setSingleShot(false);
    connect(&m_check, &QTimer::timeout, this, [this] {
        if (m_checking)
            return;
        m_checking = true;
        resolve([this](const QString &, const QString &) {
            m_checking = false;
        });
    });
    m_resubscribe.setSingleShot(true);
    connect(&m_resubscribe, &QTimer::timeout, this, &RedisSentinelWatch::subscribe);
}

RedisSentinelWatch::~RedisSentinelWatch()
{
    dropSubscriber(false);
}

void RedisSentinelWatch::start()
{
    m_check.start(int(checkIntervalMs));
    subscribe();
}

void RedisSentinelWatch::resolve(std::function<void(const QString &, const QString &)> done)
{
    resolveFrom(0, {}, std::move(done));
}

void RedisSentinelWatch::resolveFrom(int index, QStringList errors, std::function<void(const QString &, const QString &)> done)
{
    if (index >= m_sentinels.size()) {
        done(QString(), QStringLiteral("no sentinel named the master of \"%1\": %2").arg(m_masterName, errors.join(QStringLiteral("; "))));
        return;
    }
    RedisConnectionOptions options = m_base;
    const QString sentinel = m_sentinels.at(index);
    splitRedisNodeAddress(sentinel, &options.host, &options.port);
    auto *connection = new RedisConnection(options, this);
    auto answered = std::make_shared<bool>(false);
    auto next = [this, index, errors, done, connection, answered, sentinel](const QString &why) mutable {
        if (std::exchange(*answered, true))
            return;
        connection->deleteLater();
        errors << QStringLiteral("sentinel %1: %2").arg(sentinel, why);
        resolveFrom(index + 1, errors, done);
    };
    connect(connection, &RedisConnection::errorOccurred, this, next);
    connect(connection, &RedisConnection::connected, this, [this, connection, answered, next, done, sentinel]() mutable {
        connection->command({QByteArrayLiteral("SENTINEL"), QByteArrayLiteral("get-master-addr-by-name"), m_masterName.toUtf8()},
                            [this, connection, answered, next, done, sentinel](const RedisReply &reply) mutable {
                                if (*answered)
                                    return;
                                if (reply.type == RedisReply::Nil) {
                                    next(QStringLiteral("does not monitor a master named \"%1\"; check master_name against its \"sentinel monitor\" line").arg(m_masterName));
                                    return;
                                }
                                if (reply.type != RedisReply::Array || reply.elements.size() != 2) {
                                    next(reply.isError() ? reply.errorText() : QStringLiteral("unexpected reply (is it a sentinel?)"));
                                    return;
                                }
                                *answered = true;
                                connection->deleteLater();
                                const QString host = QString::fromUtf8(reply.elements[0].string);
                                const QString address = (host.contains(u':') ? u'[' + host + u']' : host) + u':' + QString::fromUtf8(reply.elements[1].string);
                                noteMaster(address, QStringLiteral("sentinel %1").arg(sentinel));
                                done(address, QString());
                            });
    });
    connection->open();
}

void RedisSentinelWatch::noteMaster(const QString &address, const QString &how)
{
    if (address == m_master)
        return;
    const QString before = std::exchange(m_master, address);
    Q_EMIT masterChanged(before, address, how);
}

void RedisSentinelWatch::subscribe()
{
    dropSubscriber(false);
    if (m_sentinels.isEmpty())
        return;
    const QString sentinel = m_sentinels.at(m_subscriberIndex % m_sentinels.size());
    QString host;
    quint16 port = 0;
    splitRedisNodeAddress(sentinel, &host, &port);
    m_reader = redisReaderCreate();
    QByteArray request;
    if (!m_base.password.isEmpty()) {
        // Its reply comes first; a refusal (an error reply) drops the subscriber, and the
        // asking connections say why.
        request = RedisCommands::format(m_base.authCommand());
    }
    request += RedisCommands::format({"SUBSCRIBE", "+switch-master"});
    if (m_base.tls) {
        // The same TLS settings as the connections; a file that cannot be read is reported there.
        QString unused;
        auto *socket = new QSslSocket(this);
        socket->setSslConfiguration(redisTlsConfiguration(m_base, &unused).value_or(QSslConfiguration::defaultConfiguration()));
        m_subscriber = socket;
        connect(socket, &QSslSocket::encrypted, this, [socket, request] { socket->write(request); });
        socket->connectToHostEncrypted(host, port, m_base.serverName.isEmpty() ? host : m_base.serverName);
    } else {
        auto *socket = new QTcpSocket(this);
        m_subscriber = socket;
        connect(socket, &QTcpSocket::connected, this, [socket, request] { socket->write(request); });
        socket->connectToHost(host, port);
    }
    connect(m_subscriber, &QTcpSocket::readyRead, this, &RedisSentinelWatch::onSubscriberReadable);
    connect(m_subscriber, &QTcpSocket::errorOccurred, this, [this] { dropSubscriber(true); });
    connect(m_subscriber, &QTcpSocket::disconnected, this, [this] { dropSubscriber(true); });
}

void RedisSentinelWatch::onSubscriberReadable()
{
    if (!m_subscriber || !m_reader)
        return;
    const QByteArray bytes = m_subscriber->readAll();
    redisReaderFeed(m_reader, bytes.constData(), size_t(bytes.size()));
    const QString sentinel = m_sentinels.at(m_subscriberIndex % m_sentinels.size());
    while (true) {
        void *raw = nullptr;
        if (redisReaderGetReply(m_reader, &raw) != REDIS_OK) {
            dropSubscriber(true);
            return;
        }
        if (!raw)
            break;
        std::unique_ptr<redisReply, void (*)(void *)> reply(static_cast<redisReply *>(raw), freeReplyObject);
        if (reply->type == REDIS_REPLY_ERROR) {
            dropSubscriber(true);   // AUTH or SUBSCRIBE refused: try again later, or the next sentinel
            return;
        }
        // ["message", "+switch-master", "<name> <old-ip> <old-port> <new-ip> <new-port>"]
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || reply->element[2]->type != REDIS_REPLY_STRING
            || QByteArray(reply->element[0]->str, qsizetype(reply->element[0]->len)) != "message")
            continue;
        const QStringList f = QString::fromUtf8(reply->element[2]->str, qsizetype(reply->element[2]->len)).split(u' ');
        if (f.size() == 5 && f[0] == m_masterName) {
            const QString host = f[3].contains(u':') ? u'[' + f[3] + u']' : f[3];
            noteMaster(host + u':' + f[4], QStringLiteral("+switch-master from sentinel %1").arg(sentinel));
        }
    }
}

void RedisSentinelWatch::dropSubscriber(bool retry)
{
    if (m_subscriber) {
        QTcpSocket *socket = std::exchange(m_subscriber, nullptr);
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
    if (m_reader) {
        redisReaderFree(m_reader);
        m_reader = nullptr;
    }
    if (retry) {
        ++m_subscriberIndex; // the next sentinel, in case this one is gone for good
        m_resubscribe.start(1000);
    }
}

} // namespace fulcrum
