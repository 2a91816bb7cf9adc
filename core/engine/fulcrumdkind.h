#pragma once

#include "engine/enginekind.h"

namespace fulcrum {

// A running fulcrumd, through its admin API (RemoteEngineLink): http://HOST:PORT and a token.
EngineKind fulcrumdEngineKind();

} // namespace fulcrum
