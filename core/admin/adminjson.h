#pragma once

#include "engine/enginesnapshot.h"

#include <QJsonObject>

namespace fulcrum {

// The wire codec: the admin API's JSON forms of the engine's values, both ways, in this one
// place (docs/admin-api.md lists every field, docs/admin-api-schema.json checks them). The
// admin server encodes; the console's remote link and fulcrumctl decode into the same value
// types the in-process engine hands out, so every surface maps one EngineSnapshot the same way.
// Snake case keys, times in ISO 8601 UTC with ms, durations in ms. Audit entries and lock rows
// keep their codec beside their type (AuditEntry::toJson/fromJson, LockInfo::toJson/fromJson).
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
// One listener: address, pool, TLS, redirect and routes, its TLS and HTTP/2 figures.
QJsonObject listenerToJson(const ListenerView &listener);
QJsonObject snapshotToJson(const EngineSnapshot &snapshot);

// Decoding. What the wire does not carry stays at its default (ServerStats' byte rates, a
// health view's ejection count and time left, a pass's restarts); a field an older engine did
// not send reads as "not known" (no time of the last check, no feed: polling).
ServerSnapshot serverFromJson(const QJsonObject &json);
PoolView poolFromJson(const QJsonObject &json);
// With the rows and notes when the JSON has them (GET /api/v1/locks/{endpoint}, the stream's
// "locks" event); lock_count alone is not kept (it is the size of the rows).
LockEndpointView lockEndpointFromJson(const QJsonObject &json);
ListenerView listenerFromJson(const QJsonObject &json);
EngineSnapshot snapshotFromJson(const QJsonObject &json);
EngineEvent engineEventFromJson(const QJsonObject &json);
HealthEvent healthEventFromJson(const QJsonObject &json);
struct LockChangesMessage
{
    QString endpoint;
    LockFeedState feed;
    LockChanges changes;
};
LockChangesMessage lockChangesFromJson(const QJsonObject &json);

} // namespace fulcrum
