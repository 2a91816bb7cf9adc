#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace fulcrum {

// One Redis reply as a value: safe to keep after hiredis has freed its own reply object.
struct RedisReply
{
    // Failed = no reply at all (timeout, connection lost, not connected): the command may or
    // may not have run on the server.
    enum Type { Nil, Status, Error, Integer, String, Array, Failed } type = Nil;
    QByteArray string;              // Status, Error, String; for Failed, what went wrong
    qint64 integer = 0;
    QList<RedisReply> elements;

    bool isError() const { return type == Error || type == Failed; }
    bool isNil() const { return type == Nil; }
    QString errorText() const { return QString::fromUtf8(string); }

    static RedisReply failed(const QString &why) { return RedisReply{Failed, why.toUtf8(), 0, {}}; }
};

// Redis keys and values are bytes. Shown to people: printable UTF-8 stays as it is, a backslash
// becomes "\\", every other byte "\xHH". unescapeRedisBytes() turns that text back into the exact
// bytes, so an operator can copy a key from `locks list` into `locks release`.
QString escapeRedisBytes(const QByteArray &bytes);
std::optional<QByteArray> unescapeRedisBytes(QStringView text);

} // namespace fulcrum
