#pragma once

#include "locks/redis/redisconnection.h"

#include <QTest>

#include <optional>

namespace fulcrum::test {

// Sends one command through the connection under test and waits (event loop running) for it.
inline RedisReply callAndWait(RedisConnection &connection, const QList<QByteArray> &arguments, int timeoutMs = 10'000)
{
    std::optional<RedisReply> reply;
    connection.command(arguments, [&reply](const RedisReply &r) { reply = r; });
    if (!QTest::qWaitFor([&reply] { return reply.has_value(); }, timeoutMs))
        return RedisReply::failed(QStringLiteral("test: no callback within %1 ms").arg(timeoutMs));
    return *reply;
}

} // namespace fulcrum::test
