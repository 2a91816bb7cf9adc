#pragma once

#include "engine/enginekind.h"

namespace fulcrum {

// A running HAProxy, through its Runtime API (stats socket): a path or HOST:PORT, no secret
// (the socket's permissions and level decide).
EngineKind haproxyEngineKind();

} // namespace fulcrum
