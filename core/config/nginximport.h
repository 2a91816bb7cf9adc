#pragma once

#include "config.h"

#include <QStringList>

namespace fulcrum {

struct NginxImportResult
{
    Config config;
    QStringList notes;    // "nginx.conf:12: max_fails=... not carried over: ..." (what did not map exactly)
    QStringList errors;   // what makes the import fail (no upstream, unreadable file, syntax)
    bool ok() const { return errors.isEmpty(); }
};

// Turns nginx `upstream` blocks into Fulcrum pools: server weight=, max_fails=,
// fail_timeout=, max_conns=, backup, down; least_conn, random [two], ip_hash, hash.
// `server { listen ...; location { proxy_pass http://UPSTREAM; } }` becomes a listener.
// Every directive that has no exact equivalent is named in notes, never silently dropped.
NginxImportResult importNginx(const QByteArray &text, const QString &fileName);

} // namespace fulcrum
