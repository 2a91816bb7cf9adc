#pragma once

#include "config/config.h"

#include <QByteArray>
#include <QByteArrayView>

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

namespace fulcrum {

// A path made plain to be matched as the servers will read it (RFC 3986 6.2.2): unreserved
// characters written as %XX decoded ("%61pi" is "api"; "%2F" stays), then dot segments removed
// ("/api/../admin" is "/admin").
QByteArray routePlainPath(QByteArrayView path);
// Whether routePlainPath would give `path` back as it is (no '%', no "/."): most paths, which
// are then matched and rewritten without a copy.
inline bool routePathIsPlain(QByteArrayView path)
{
    return !path.contains('%') && !path.contains("/.");
}
// The target the servers get on a route with prefix_rewrite: `path` made plain as it was
// matched, its `prefix` replaced by `rewrite`, then `query` ("?…" as sent, or empty); empty when
// the plain path is not under `prefix`. The proxy's and `fulcrumctl route`'s alike.
QByteArray routeRewrittenTarget(QByteArrayView path, QByteArrayView query, QByteArrayView prefix, QByteArrayView rewrite);
// The name a Host field (or an absolute-form authority) asks for: without its port and a final
// dot; empty for an IP literal in brackets, which no route names.
QByteArrayView routeHostName(QByteArrayView host);
// Whether a redirect listener's pool answers a request for this path (listeners[].redirect.except):
// it starts with one of the prefixes and holds nothing that could walk out of it ('%', a backslash, a
// dot segment), so "/.well-known/acme-challenge/../admin" is redirected like any other path.
bool redirectExceptTakes(const QList<QByteArray> &except, QByteArrayView path);

// listeners[].routes made ready to match, over any target: the proxy's pools, the command
// line's route numbers. The rule lives here only: the most specific route wins, first the routes
// of the host a request asks for (its exact name, then the "*." names it is under, the longest
// first), then those without a host; within each, the longest prefix that matches, a route
// without prefix taking every path.
template <typename Target>
class RouteTable
{
public:
    // `targetOf` gives each config route's target (nullopt: left out, e.g. its pool is gone).
    static RouteTable make(const std::vector<ListenerRoute> &config, const std::function<std::optional<Target>(size_t, const ListenerRoute &)> &targetOf)
    {
        RouteTable table;
        for (size_t i = 0; i < config.size(); ++i) {
            const ListenerRoute &route = config[i];
            std::optional<Target> target = targetOf(i, route);
            if (!target)
                continue;
            if (route.host.isEmpty()) {
                table.m_routes.push_back({route.prefix, std::move(*target)});
                continue;
            }
            const bool wildcard = route.host.startsWith("*.");
            const QByteArray name = wildcard ? route.host.mid(1) : route.host;   // "*.shop.example": ".shop.example"
            auto host = std::find_if(table.m_hosts.begin(), table.m_hosts.end(), [&](const Host &h) { return h.name == name && h.wildcard == wildcard; });
            if (host == table.m_hosts.end())
                host = table.m_hosts.insert(table.m_hosts.end(), Host{name, wildcard, {}});
            host->routes.push_back({route.prefix, std::move(*target)});
        }
        const auto longestFirst = [](const Route &a, const Route &b) { return a.prefix.size() > b.prefix.size(); };
        std::stable_sort(table.m_routes.begin(), table.m_routes.end(), longestFirst);
        for (Host &host : table.m_hosts)
            std::stable_sort(host.routes.begin(), host.routes.end(), longestFirst);
        std::stable_sort(table.m_hosts.begin(), table.m_hosts.end(), [](const Host &a, const Host &b) {
            return a.wildcard != b.wildcard ? !a.wildcard : a.wildcard && a.name.size() > b.name.size();
        });
        return table;
    }

    // The target of a request by the host it asks for (HttpRequestHead::hostAsked: any case, a
    // port and a final dot allowed) and its path (HttpRequestHead::path); nullptr: no route.
    // The path is made plain only when a prefix is compared and it holds '%' or "/.".
    const Target *find(QByteArrayView host, QByteArrayView path) const
    {
        QByteArray plain;
        bool madePlain = false;
        const auto match = [&](const std::vector<Route> &list) -> const Target * {
            for (const Route &route : list) {
                if (route.prefix.isEmpty())
                    return &route.target;
                if (!madePlain) {
                    madePlain = true;
                    if (!routePathIsPlain(path)) {
                        plain = routePlainPath(path);
                        path = plain;
                    }
                }
                if (path.startsWith(route.prefix))
                    return &route.target;
            }
            return nullptr;
        };
        if (!m_hosts.empty()) {
            const QByteArrayView name = routeHostName(host);
            for (const Host &h : m_hosts) {
                const bool asked = h.wildcard ? name.size() > h.name.size() && sameLetters(name.last(h.name.size()), h.name) : sameLetters(name, h.name);
                if (!asked)
                    continue;
                if (const Target *target = match(h.routes))
                    return target;
            }
        }
        return match(m_routes);
    }

    template <typename F>
    void forEachTarget(F &&f) const
    {
        for (const Route &route : m_routes)
            f(route.target);
        for (const Host &host : m_hosts) {
            for (const Route &route : host.routes)
                f(route.target);
        }
    }

private:
    struct Route
    {
        QByteArray prefix;                // empty: every path (a host's route without prefix)
        Target target;
    };
    struct Host
    {
        QByteArray name;                  // lower case; a wildcard's without its '*' (".shop.example")
        bool wildcard = false;
        std::vector<Route> routes;        // the longest prefix first
    };

    static bool sameLetters(QByteArrayView a, QByteArrayView b) { return a.size() == b.size() && qstrnicmp(a.data(), a.size(), b.data(), b.size()) == 0; }

    std::vector<Host> m_hosts;            // exact names first, then wildcards, the longest first
    std::vector<Route> m_routes;          // without a host, the longest prefix first
};

} // namespace fulcrum
