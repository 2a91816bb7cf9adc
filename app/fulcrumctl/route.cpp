// fulcrumctl route: which listener, route and pool a request URL goes to, by the same rule the
// proxy applies (RouteTable), read from a config file or a running fulcrumd; with --engine, also
// whether that pool can serve now.
#include "command.h"
#include "ctlengine.h"

#include "admin/adminjson.h"
#include "config/configparser.h"
#include "config/routetable.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

using namespace fulcrum;

namespace {

// A listener as either source tells it.
struct RouteListener
{
    QString name;
    QString address;
    quint16 port = 0;
    bool tls = false;
    QString pool;
    QString redirectTo;
    QList<QByteArray> redirectExcept;
    std::vector<ListenerRoute> routes;
};

// "https://Admin.Shop.Example:8443/api/x?y=1" (or "host/path", taken as http://): its scheme's
// TLS, host as written (with its port), port and path as sent (not decoded, dot segments kept:
// the table makes it plain as the proxy does).
struct RouteRequest
{
    bool https = false;
    QByteArray host;
    quint16 port = 0;
    QByteArray path;
};

std::optional<RouteRequest> parseRequestUrl(const QString &url, QString *error)
{
    RouteRequest r;
    QByteArray rest = url.toUtf8();
    if (const qsizetype scheme = rest.indexOf("://"); scheme >= 0) {
        const QByteArray name = rest.first(scheme).toLower();
        if (name != "http" && name != "https") {
            *error = QStringLiteral("%1: the scheme is not http:// or https://").arg(url);
            return std::nullopt;
        }
        r.https = name == "https";
        rest = rest.mid(scheme + 3);
    }
    qsizetype end = rest.size();
    for (const char c : {'/', '?', '#'}) {
        if (const qsizetype at = rest.indexOf(c); at >= 0)
            end = std::min(end, at);
    }
    r.host = rest.first(end);
    rest = rest.mid(end);
    if (const qsizetype fragment = rest.indexOf('#'); fragment >= 0)
        rest.truncate(fragment);
    if (const qsizetype query = rest.indexOf('?'); query >= 0)
        rest.truncate(query);
    r.path = rest.isEmpty() ? QByteArray("/") : rest;
    if (r.host.isEmpty() || r.host.contains('@') || r.host.contains(' ')) {
        *error = QStringLiteral("%1: no host name (write it as a client asks, e.g. https://admin.shop.example/api/orders)").arg(url);
        return std::nullopt;
    }
    const qsizetype colon = r.host.startsWith('[') ? r.host.indexOf("]:") + 1 : r.host.lastIndexOf(':');
    r.port = r.https ? 443 : 80;
    if (colon > 0) {
        bool ok = false;
        const uint port = r.host.mid(colon + 1).toUInt(&ok);
        if (!ok || port == 0 || port > 65535) {
            *error = QStringLiteral("%1: the port is not 1..65535").arg(url);
            return std::nullopt;
        }
        r.port = quint16(port);
    }
    return r;
}

std::vector<RouteListener> listenersOf(const Config &config)
{
    std::vector<RouteListener> out;
    for (const ListenerConfig &l : config.listeners) {
        out.push_back({l.name, QStringLiteral("%1:%2").arg(l.host).arg(l.port), l.port, l.tls.enabled(), l.pool, l.redirect.to, l.redirect.except, l.routes});
    }
    return out;
}

// GET /api/v1/listeners, read by the admin client's own decoder.
std::vector<RouteListener> listenersOf(const QJsonObject &answer)
{
    std::vector<RouteListener> out;
    for (const QJsonValue &value : answer.value(QStringLiteral("listeners")).toArray()) {
        const ListenerView l = listenerFromJson(value.toObject());
        RouteListener r{l.name, QStringLiteral("%1:%2").arg(l.host).arg(l.port), l.port, l.tls, l.pool, l.redirectTo, {}, {}};
        for (const QString &prefix : l.redirectExcept)
            r.redirectExcept << prefix.toLatin1();
        for (const ListenerView::Route &route : l.routes)
            r.routes.push_back({route.prefix.toLatin1(), route.pool, route.host.toLatin1(), route.prefixRewrite.toLatin1()});
        out.push_back(std::move(r));
    }
    return out;
}

QString routeText(const ListenerRoute &route)
{
    QStringList parts;
    if (!route.host.isEmpty())
        parts << QStringLiteral("host %1").arg(QString::fromLatin1(route.host));
    parts << (route.prefix.isEmpty() ? QStringLiteral("every path") : QStringLiteral("prefix %1").arg(QString::fromLatin1(route.prefix)));
    if (!route.prefixRewrite.isEmpty())
        parts << QStringLiteral("prefix_rewrite %1").arg(QString::fromLatin1(route.prefixRewrite));
    return parts.join(QStringLiteral(", "));
}

int route(const QStringList &arguments)
{
    const QString command = QStringLiteral("fulcrumctl route");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Say which listener, route and pool a request goes to, by the rule the proxy applies\n"
        "(listeners[].routes: the exact host's routes, then its \"*.\" names', then those without a\n"
        "host, each by the longest prefix; the path as the servers read it), from a config file\n"
        "(--config) or a running fulcrumd (--engine, which also says whether that pool can serve).\n"
        "The listener is the one on the URL's port (80 for http://, 443 for https://), or --listener.\n"
        "Example: fulcrumctl route https://admin.shop.example/api/orders --config /etc/fulcrum/fulcrum.json\n"
        "Exits 0 when the request reaches a pool, 1 when that pool cannot serve now (--engine),\n"
        "2 on a usage error, 4 when the engine cannot be reached."));
    parser.addPositionalArgument(QStringLiteral("URL"), QStringLiteral("The request as a client sends it: http(s)://HOST[:PORT]/PATH."));
    const QCommandLineOption configOption(QStringLiteral("config"), QStringLiteral("Config file (JSON), as fulcrumd reads it."), QStringLiteral("FILE"));
    const QCommandLineOption listenerOption(QStringLiteral("listener"), QStringLiteral("The listener by name, instead of by the URL's port."), QStringLiteral("NAME"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print JSON instead of text."));
    CtlEngineOptions engineOptions;
    engineOptions.addTo(parser);
    parser.addOptions({configOption, listenerOption, jsonOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{command} + arguments)) {
        ctlErr(QStringLiteral("%1: %2\n").arg(command, parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, command));
        return 0;
    }
    if (parser.positionalArguments().size() != 1 || parser.isSet(configOption) == parser.isSet(engineOptions.engine)) {
        ctlErr(QStringLiteral("%1: give one URL and either --config FILE or --engine URL, e.g. %1 https://admin.shop.example/api/orders "
                              "--config /etc/fulcrum/fulcrum.json\n").arg(command));
        return 2;
    }
    QString error;
    const std::optional<RouteRequest> request = parseRequestUrl(parser.positionalArguments().first(), &error);
    if (!request) {
        ctlErr(QStringLiteral("%1: %2\n").arg(command, error));
        return 2;
    }

    std::vector<RouteListener> listeners;
    std::optional<CtlEngineClient> engine;
    if (parser.isSet(configOption)) {
        // The certificates play no part in routing, and may not be on this machine.
        const ConfigResult loaded = loadConfigFile(parser.value(configOption), ConfigFiles::NotRead);
        if (!loaded.ok()) {
            ctlErr(loaded.errorText() + u'\n');
            return 2;
        }
        listeners = listenersOf(*loaded.config);
    } else {
        engine = CtlEngineClient::fromParser(parser, engineOptions, command);
        if (!engine)
            return EngineUsage;
        const CtlEngineReply reply = engine->request("GET", QStringLiteral("/api/v1/listeners"));
        if (reply.status != 200)
            return ctlEngineFailure(command, reply);
        listeners = listenersOf(reply.json);
    }

    // The listener: by name, else every one on the URL's port (0.0.0.0 and [::] twins alike).
    std::vector<RouteListener> chosen;
    for (const RouteListener &l : listeners) {
        if (parser.isSet(listenerOption) ? l.name == parser.value(listenerOption) : l.port == request->port)
            chosen.push_back(l);
    }
    if (chosen.empty()) {
        QStringList names;
        for (const RouteListener &l : listeners)
            names << QStringLiteral("%1 (%2%3)").arg(l.name, l.address, l.tls ? QStringLiteral(", https") : QString());
        ctlErr(QStringLiteral("%1: no listener %2; the listeners are: %3\n")
                   .arg(command,
                        parser.isSet(listenerOption) ? QStringLiteral("named \"%1\"").arg(parser.value(listenerOption))
                                                     : QStringLiteral("on port %1 (give --listener NAME for another)").arg(request->port),
                        names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "))));
        return 2;
    }
    const RouteListener &listener = chosen.front();
    const QByteArray plain = routePlainPath(request->path);

    QJsonObject out{{QStringLiteral("listener"), listener.name},
                    {QStringLiteral("address"), listener.address},
                    {QStringLiteral("host"), QString::fromLatin1(routeHostName(request->host).toByteArray().toLower())},
                    {QStringLiteral("path"), QString::fromLatin1(request->path)},
                    {QStringLiteral("path_as_read"), QString::fromLatin1(plain)}};
    QStringList lines;
    lines << QStringLiteral("listener  %1 (%2, %3)").arg(listener.name, listener.address, listener.tls ? QStringLiteral("https") : QStringLiteral("http"));
    if (request->https != listener.tls)
        lines << QStringLiteral("          note: the URL is %1 and the listener %2").arg(request->https ? QStringLiteral("https://") : QStringLiteral("http://"),
                                                                                    listener.tls ? QStringLiteral("takes TLS only") : QStringLiteral("plain HTTP"));
    lines << QStringLiteral("request   host %1, path %2%3")
                 .arg(out.value(QStringLiteral("host")).toString(), QString::fromLatin1(request->path),
                      plain != request->path ? QStringLiteral(" (as the servers read it: %1)").arg(QString::fromLatin1(plain)) : QString());
    QString pool;
    if (!listener.redirectTo.isEmpty()) {
        // A redirect listener: the proxy's own check of its except paths (strict: a path with
        // '%', a backslash or a dot segment is redirected).
        const bool excepted = redirectExceptTakes(listener.redirectExcept, request->path);
        out.insert(QStringLiteral("redirect_to"), listener.redirectTo);
        out.insert(QStringLiteral("redirected"), !excepted);
        const QString except = QString::fromLatin1(listener.redirectExcept.join(", "));
        if (!excepted) {
            out.insert(QStringLiteral("pool"), QJsonValue::Null);
            lines << QStringLiteral("redirect  redirected to listener \"%1\" (https), the same host and target%2")
                         .arg(listener.redirectTo, listener.redirectExcept.isEmpty()
                                                       ? QString()
                                                       : QStringLiteral("; not one of its except paths (%1), or a path with '%', a backslash or a dot "
                                                                        "segment, which are never excepted").arg(except));
            ctlOut(parser.isSet(jsonOption) ? QString::fromUtf8(QJsonDocument(out).toJson()) : lines.join(u'\n') + u'\n');
            return 0;
        }
        lines << QStringLiteral("redirect  not redirected: under its except paths (%1), so its pool answers").arg(except);
        pool = listener.pool;
    } else {
        const RouteTable<size_t> table = RouteTable<size_t>::make(listener.routes, [](size_t i, const ListenerRoute &) { return std::optional(i); });
        if (const size_t *index = table.find(request->host, request->path)) {
            const ListenerRoute &route = listener.routes[*index];
            pool = route.pool;
            QJsonObject r = routeToJson(route);
            r.insert(QStringLiteral("index"), qint64(*index));
            out.insert(QStringLiteral("route"), r);
            lines << QStringLiteral("route     routes[%1]: %2").arg(*index).arg(routeText(route));
            if (const QByteArray sent = route.prefixRewrite.isEmpty() ? QByteArray() : routeRewrittenTarget(request->path, {}, route.prefix, route.prefixRewrite);
                !sent.isEmpty()) {
                out.insert(QStringLiteral("path_to_server"), QString::fromLatin1(sent));
                lines << QStringLiteral("          the servers get the path %1 (the query, if any, as sent)").arg(QString::fromLatin1(sent));
            }
        } else {
            pool = listener.pool;
            out.insert(QStringLiteral("route"), QJsonValue::Null);
            lines << QStringLiteral("route     none of its %1 routes: the listener's own pool").arg(listener.routes.size());
        }
    }
    out.insert(QStringLiteral("pool"), pool);
    lines << QStringLiteral("pool      %1").arg(pool);

    int status = 0;
    if (engine) {
        const CtlEngineReply reply = engine->request("GET", QStringLiteral("/api/v1/pools/%1").arg(QString::fromUtf8(QUrl::toPercentEncoding(pool))));
        if (reply.status != 200)
            return ctlEngineFailure(command, reply);
        const PoolView live = poolFromJson(reply.json);
        const bool cannotServe = live.cannotServe;
        const qsizetype taking = std::count_if(live.servers.begin(), live.servers.end(), [](const ServerSnapshot &s) {
            return s.spec.state == BackendState::Up && s.effectiveWeight > 0;   // as the engine's cannot_serve counts them
        });
        const qsizetype servers = qsizetype(live.servers.size());
        out.insert(QStringLiteral("cannot_serve"), cannotServe);
        out.insert(QStringLiteral("servers_taking_traffic"), qint64(taking));
        out.insert(QStringLiteral("servers"), qint64(servers));
        lines << (cannotServe ? QStringLiteral("          NO SERVER: 0 of %1 servers take traffic, so this request gets 503 now (fulcrumctl backends list --engine URL)")
                                    .arg(servers)
                              : QStringLiteral("          %1 of %2 servers take traffic now").arg(taking).arg(servers));
        status = cannotServe ? 1 : 0;
    }
    if (chosen.size() > 1)
        lines << QStringLiteral("          (%1 listeners are on port %2; this is the first, give --listener NAME for another)").arg(chosen.size()).arg(request->port);
    ctlOut(parser.isSet(jsonOption) ? QString::fromUtf8(QJsonDocument(out).toJson()) : lines.join(u'\n') + u'\n');
    return status;
}

} // namespace

FULCRUM_CTL_COMMAND(route, "route", "say which listener, route and pool a request URL goes to (a config file or a running fulcrumd)", route);
