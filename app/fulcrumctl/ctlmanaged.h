#pragma once

#include <QStringList>

// `backends list|set-weight|set-state ... --haproxy ADDRESS | --httpd URL`: the same commands
// over a balancer Fulcrum manages but does not run (HAProxy's Runtime API, Apache httpd's
// balancer-manager), through the console's own engine links.
bool ctlIsManagedEngine(const QStringList &arguments);
int ctlManagedBackends(const QStringList &arguments);
