#pragma once

#include "common/ownedtempdir.h"

#include <QProcess>
#include <QString>

#include <memory>

namespace fulcrum {

// A throwaway redis-server for demo mode: loopback only, a free port, its own temporary
// directory, no persistence, no password (nothing but demo locks goes in it). Stopped by
// the destructor; killed by the kernel if this program dies first, and its folder removed
// by the next start. start() does not wait for it to accept connections; waitUntilAccepting()
// does, briefly, so the demo's first pass finds it (else RedisConnection reconnects anyway).
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
    // True once it accepts a connection on its port, polled every 20 ms for at most
    // timeoutMs (it takes ~10–50 ms); false at once if it exited.
    bool waitUntilAccepting(int timeoutMs);
    quint16 port() const { return m_port; }

private:
    OwnedTempDir m_dir{QStringLiteral("redis")};
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
};

} // namespace fulcrum
