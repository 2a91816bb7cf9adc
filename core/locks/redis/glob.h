#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <optional>

namespace fulcrum {

// Redis's own glob rules (SCAN MATCH, KEYS): * ? [abc] [^a-z] and \ to escape, on bytes.
bool redisGlobMatch(QByteArrayView pattern, QByteArrayView text);

// One SCAN MATCH pattern that every key matching any of `patterns` also matches: "*<s>*" for
// the longest literal run s the patterns share (lock:* and *:lock:* -> *lock:*). Redis 7.0
// spends most of a SCAN on visiting keys, not on matching them, so one pass with a covering
// pattern plus exact matching here costs about half of two passes. nullopt when the patterns
// share no literal of at least 3 bytes.
std::optional<QByteArray> coveringGlob(const QList<QByteArray> &patterns);

} // namespace fulcrum
