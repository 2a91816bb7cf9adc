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

} // namespace fulcrum
