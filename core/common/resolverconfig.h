#pragma once

#include <QStringList>
#include <QtGlobal>

namespace fulcrum {

// proxy.resolver: server names followed in DNS (NGINX Plus's `resolver` + `server … resolve`,
// HAProxy's `resolvers`). Without nameservers a name is resolved once by the system
// (getaddrinfo: /etc/hosts, then resolv.conf) and again only on a reload.
struct ResolverConfig
{
    QStringList nameservers;                        // IP addresses, asked on port 53, the first first
    qint64 validMs = 0;                             // 0: ask again when the answer's shortest TTL runs out
    qint64 retryMs = 5000;                          // after a failed or empty answer (the last addresses stay)

    bool enabled() const { return !nameservers.isEmpty(); }
    friend bool operator==(const ResolverConfig &, const ResolverConfig &) = default;
};

} // namespace fulcrum
