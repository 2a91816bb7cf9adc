#pragma once

#include "config/config.h"

#include <optional>

namespace fulcrum {

// redis://[user@]HOST[:PORT][/DB] or unix:///path/to/redis.sock[?db=N] -> endpoint.
// A URL with a password is refused: passwords come from a SecretSource, never a URL.
std::optional<RedisEndpointConfig> parseRedisUrl(const QString &url, QString *error);

} // namespace fulcrum
