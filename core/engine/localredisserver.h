#pragma once

#include "common/ownedtempdir.h"

#include <QProcess>
#include <QString>

#include <memory>

namespace fulcrum {

// A throwaway redis-server for demo mode: loopback only, a free port, its own temporary
// directory, no persistence, no password (nothing but demo locks goes in it). Stopped by
// the destructor; killed by the kernel if this program dies first, and its folder removed
// by the next start. start() does not wait for it to accept connections: RedisConnection
// reconnects until it does, so nobody blocks on it.
class LocalRedisServer
{
public:
    LocalRedisServer();
    ~LocalRedisServer();
    LocalRedisServer(const LocalRedisServer &) = delete;
    LocalRedisServer &operator=(const LocalRedisServer &) = delete;

    // False with the reason (no redis-server binary, no free port, ...) when it cannot start.
    bool start(QString *error);
    void stop();
    quint16 port() const { return m_port; }

private:
    OwnedTempDir m_dir{QStringLiteral("redis")};
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
};

} // namespace fulcrum
