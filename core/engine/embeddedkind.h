#pragma once

#include "engine/enginekind.h"

namespace fulcrum {

// The engine that runs inside the console itself (InProcessEngineLink): "embedded:demo" is the
// real Engine in front of six demo backends on loopback, with steady load, flapping and its
// own throwaway redis-server holding demo locks. What the console opens when told of no
// engine. It ends with the console, so fulcrumctl cannot reach it.
EngineKind embeddedEngineKind();

} // namespace fulcrum
