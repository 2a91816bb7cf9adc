#pragma once

#include "engine/inprocessenginelink.h"

#include <QMap>
#include <QString>

#include <utility>

namespace fulcrum::test {

// What the in-process engine's own Pool holds, by server: set weight and state. What console
// tests assert against (not what the console shows).
inline QMap<QString, std::pair<int, BackendState>> enginePool(const InProcessEngineLink &link)
{
    QMap<QString, std::pair<int, BackendState>> servers;
    if (const auto snapshot = link.poolSnapshot()) {
        for (const PoolBackend &backend : snapshot->backends)
            servers.insert(backend.spec.name, {backend.spec.weight, backend.spec.state});
    }
    return servers;
}

} // namespace fulcrum::test
