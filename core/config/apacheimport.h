#pragma once

#include "configimport.h"

namespace fulcrum {

using ApacheImportResult = ConfigImport;

// Turns Apache httpd mod_proxy_balancer balancers into Fulcrum pools: `<Proxy balancer://NAME>`
// blocks and `BalancerMember balancer://NAME URL` lines with loadfactor=, status=, lbset=;
// `ProxySet` lbmethod= and stickysession=. `ProxyPass PATH balancer://NAME/` (also inside
// `<Location PATH>`) in a `<VirtualHost ADDR:PORT>` or the main server (`Listen`) becomes a
// listener. Every directive that has no exact equivalent is named in notes, never silently
// dropped. `Include` and `IncludeOptional` are followed where they stand (from ServerRoot, else
// fileName's folder).
ApacheImportResult importApache(const QByteArray &text, const QString &fileName);

} // namespace fulcrum
