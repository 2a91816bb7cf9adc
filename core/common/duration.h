#pragma once

#include <QString>

#include <optional>

namespace fulcrum {

// Parses "250ms", "2s", "1.5s", "5m", "1h", "7d" or a bare number of milliseconds.
// Returns nullopt for anything else (negative, unknown unit, garbage).
std::optional<qint64> parseDurationMs(QStringView text);

// 1500 -> "1.5s", 90000 -> "1m30s", 250 -> "250ms": how durations are shown to people.
QString formatDurationMs(qint64 ms);

} // namespace fulcrum
