#pragma once

#include "common/bytestext.h"

#include <QByteArray>
#include <QList>
#include <QString>

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

} // namespace fulcrum
