#pragma once

#include "engine/enginesnapshot.h"

#include <QJsonObject>

namespace fulcrum {

// The admin API's JSON forms of the engine's values (docs/admin-api.md,
// lists every field). Snake case keys, times in ISO 8601 UTC, durations in ms.
QJsonObject serverToJson(const ServerSnapshot &server);
QJsonObject poolToJson(const PoolView &pool);
// withLocks false: counts only (the SSE snapshot stays small with thousands of locks).
QJsonObject lockEndpointToJson(const LockEndpointView &endpoint, bool withLocks);
QJsonObject engineEventToJson(const EngineEvent &event);
QJsonObject healthEventToJson(const HealthEvent &event);
QJsonObject snapshotToJson(const EngineSnapshot &snapshot);

} // namespace fulcrum
