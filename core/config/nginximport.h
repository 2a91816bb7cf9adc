#pragma once

#include "configimport.h"

namespace fulcrum {

using NginxImportResult = ConfigImport;

// Turns nginx `upstream` blocks into Fulcrum pools: server weight=, max_fails=,
// fail_timeout=, max_conns=, backup, down; least_conn, random [two], ip_hash, hash.
// `server { listen ...; location { proxy_pass http://UPSTREAM; } }` becomes a listener.
// `include` is followed where it stands (globs sorted, relative paths from fileName's folder).
// Every directive that has no exact equivalent is named in notes, never silently dropped.
NginxImportResult importNginx(const QByteArray &text, const QString &fileName);

} // namespace fulcrum
