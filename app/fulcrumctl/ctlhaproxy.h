#pragma once

#include <QStringList>

// `backends list|set-weight|set-state ... --haproxy ADDRESS`: the same commands over a
// HAProxy's Runtime API (stats socket) instead of a fulcrumd's admin API.
int ctlHaproxyBackends(const QStringList &arguments);
