#pragma once

#include "engine/enginekind.h"

namespace fulcrum {

// A running Apache httpd, through its balancer-manager: http://[USER@]HOST:PORT/balancer-manager,
// the password (Basic auth) as its secret.
EngineKind httpdEngineKind();

} // namespace fulcrum
