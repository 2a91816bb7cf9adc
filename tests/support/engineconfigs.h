#pragma once

#include "config/config.h"

#include <QByteArray>
#include <QString>

namespace fulcrum {
class Engine;
struct LockInfo;
} // namespace fulcrum

namespace fulcrum::test {

// A server on loopback, as test backends listen.
BackendSpec loopbackServer(const QString &name, quint16 port, int weight = 10);

// One listener (port 0: any free one) in front of one pool "web", one proxy worker, and
// health checks fast enough for tests (50 ms interval, 20 ms while changing, rise 2, fall 3).
Config fastCheckedPoolConfig(std::vector<BackendSpec> servers);

// The lock `key` in the engine's last snapshot of `endpoint`'s last pass; null when not there.
const LockInfo *lockIn(const Engine &engine, const QString &endpoint, const QByteArray &key);

} // namespace fulcrum::test
