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
// An endpoint's "feed": {mode: polling|live|resyncing, why, needs, can_enable, live_since, events}.
QJsonObject lockFeedToJson(const LockFeedState &feed);
LockFeedState lockFeedFromJson(const QJsonObject &json);
// The stream's "lock-changes" event: {endpoint, at, feed, upserted: [rows], removed: [keys]}.
QJsonObject lockChangesToJson(const QString &endpoint, const LockFeedState &feed, const LockChanges &changes);
QJsonObject engineEventToJson(const EngineEvent &event);
QJsonObject healthEventToJson(const HealthEvent &event);
QJsonObject snapshotToJson(const EngineSnapshot &snapshot);

} // namespace fulcrum
