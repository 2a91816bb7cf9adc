#include "redisurl.h"

#include <QUrl>
#include <QUrlQuery>

namespace fulcrum {

std::optional<RedisEndpointConfig> parseRedisUrl(const QString &text, QString *error)
{
    RedisEndpointConfig c;
    const QUrl url(text, QUrl::StrictMode);
    if (!url.password().isEmpty() || (text.contains(u'@') && text.left(text.indexOf(u'@')).count(u':') > 1)) {
        *error = QStringLiteral("the Redis URL contains a password; remove it and use --password-file, FULCRUM_REDIS_PASSWORD or the keychain");
        return std::nullopt;
    }
    auto database = [&](const QString &db) {
        if (db.isEmpty())
            return true;
        bool ok = false;
        c.database = db.toInt(&ok);
        if (!ok || c.database < 0 || c.database > 15) {
            *error = QStringLiteral("database \"%1\" in Redis URL %2 must be a number 0..15").arg(db, text);
            return false;
        }
        return true;
    };
    if (url.scheme() == u"unix") {
        c.unixSocket = url.path();
        if (c.unixSocket.isEmpty()) {
            *error = QStringLiteral("Redis URL %1 must name a socket path, e.g. unix:///run/redis/redis.sock").arg(text);
            return std::nullopt;
        }
        if (!database(QUrlQuery(url).queryItemValue(QStringLiteral("db"))))
            return std::nullopt;
        c.name = c.unixSocket;
        return c;
    }
    if (!url.isValid() || (url.scheme() != u"redis" && url.scheme() != u"rediss") || url.host().isEmpty()) {
        *error = QStringLiteral("Redis URL \"%1\" must look like redis://HOST:PORT[/DB], rediss://HOST:PORT[/DB] (TLS) or unix:///path/to/redis.sock").arg(text);
        return std::nullopt;
    }
    c.tls = url.scheme() == u"rediss";
    c.host = url.host();
    c.port = quint16(url.port(6379));
    c.user = url.userName();
    if (!database(url.path().mid(1)))
        return std::nullopt;
    c.name = QStringLiteral("%1:%2").arg(c.host).arg(c.port);
    return c;
}

} // namespace fulcrum
