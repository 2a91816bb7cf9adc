#pragma once

#include "config.h"

#include <QStringList>

namespace fulcrum {

// What an import of another balancer's config (nginx, Apache httpd) gives: the config, what
// did not carry over exactly and what makes the import fail.
struct ConfigImport
{
    Config config;
    QStringList notes;    // "FILE:LINE: what was not carried over and why"
    QStringList errors;   // "FILE:LINE: what is wrong and how to fix it" (no balancer, unreadable, syntax)
    bool ok() const { return errors.isEmpty(); }
};

// Both importers follow their server's include directives, this deep at most: deeper is a loop.
constexpr int kMaxImportIncludeDepth = 16;

// The TLS listener an imported port-80 redirect sends clients to: the one on 443, else the
// first; null when the import made none.
const ListenerConfig *redirectTarget(const Config &config);

// A listener name `config` does not use yet: `base`, else base-2, base-3…
QString freeListenerName(const Config &config, const QString &base);

// The files a shell glob (or a plain path) names, sorted as glob(3) sorts them, which is how
// nginx and httpd read an include's files; none when nothing matches.
QStringList filesMatching(const QString &pattern);

} // namespace fulcrum
