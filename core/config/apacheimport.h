#pragma once

#include "config.h"

#include <QStringList>

namespace fulcrum {

struct ApacheImportResult
{
    Config config;
    QStringList notes;    // "httpd.conf:12: retry=30 not carried over: ..." (what did not map exactly)
    QStringList errors;   // what makes the import fail (no balancer, unclosed section, bad loadfactor)
    bool ok() const { return errors.isEmpty(); }
};

// Turns Apache httpd mod_proxy_balancer balancers into Fulcrum pools: `<Proxy balancer://NAME>`
// blocks and `BalancerMember balancer://NAME URL` lines with loadfactor=, status=, lbset=;
// `ProxySet` lbmethod= and stickysession=. `ProxyPass PATH balancer://NAME/` (also inside
// `<Location PATH>`) in a `<VirtualHost ADDR:PORT>` or the main server (`Listen`) becomes a
// listener. Every directive that has no exact equivalent is named in notes, never silently
// dropped; `Include` is named, not followed.
ApacheImportResult importApache(const QByteArray &text, const QString &fileName);

} // namespace fulcrum
