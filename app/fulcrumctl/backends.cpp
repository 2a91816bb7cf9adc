// fulcrumctl backends list|set-weight|set-state: the servers of a running fulcrumd.
#include "command.h"
#include "ctlengine.h"
#include "ctlguard.h"
#include "ctlmanaged.h"
#include "ctltable.h"

#include "admin/adminjson.h"
#include "balancer/picker.h"
#include "common/duration.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

#include <algorithm>

namespace {

QString encoded(const QString &name)
{
    return QString::fromUtf8(QUrl::toPercentEncoding(name));
}

// Parses the common part; nullopt (after printing why) on a usage error.
std::optional<CtlEngineClient> parseEngineCommand(QCommandLineParser &parser, const CtlEngineOptions &engine, const QString &command,
                                                  const QStringList &arguments, int positionals, const QString &usage)
{
    engine.addTo(parser);
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl ") + command} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n%3\n").arg(command, parser.errorText(), usage));
        return std::nullopt;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl ") + command));
        return std::nullopt;
    }
    if (parser.positionalArguments().size() != positionals || !parser.isSet(engine.engine)) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, usage));
        return std::nullopt;
    }
    return CtlEngineClient::fromParser(parser, engine, command);
}

// The engine's pools (GET /api/v1/pools), decoded by the wire codec.
std::vector<fulcrum::PoolView> poolsOf(const QJsonObject &json)
{
    std::vector<fulcrum::PoolView> pools;
    for (const QJsonValue &pool : json.value(QStringLiteral("pools")).toArray())
        pools.push_back(fulcrum::poolFromJson(pool.toObject()));
    return pools;
}

// The engine's pools as the capacity guard reads them: state, weight, backup per server.
QList<fulcrum::ServerStatus> serversOf(const QJsonObject &json)
{
    QList<fulcrum::ServerStatus> servers;
    for (const fulcrum::PoolView &pool : poolsOf(json)) {
        for (const fulcrum::ServerSnapshot &s : pool.servers) {
            fulcrum::ServerStatus status;
            status.pool = pool.name;
            status.name = s.spec.name;
            status.weight = s.spec.weight;
            status.backup = s.spec.backup;
            status.state = s.spec.state;
            servers.append(status);
        }
    }
    return servers;
}

// "pool/server" as one argument.
bool splitTarget(const QString &target, QString *pool, QString *server, const QString &command)
{
    const qsizetype slash = target.indexOf(u'/');
    if (slash <= 0 || slash == target.size() - 1) {
        ctlErr(QStringLiteral("fulcrumctl %1: \"%2\" must be POOL/SERVER, e.g. web/app1\n").arg(command, target));
        return false;
    }
    *pool = target.left(slash);
    *server = target.mid(slash + 1);
    return true;
}

int backendsList(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List the pools and servers of a running fulcrumd with their health and live figures."));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the engine's JSON."));
    parser.addOption(jsonOption);
    const CtlEngineOptions engine;
    const QString usage = QStringLiteral("usage: fulcrumctl backends list --engine URL [--token-file PATH] [--json]");
    const auto client = parseEngineCommand(parser, engine, QStringLiteral("backends list"), arguments, 0, usage);
    if (!client)
        return parser.isSet(QStringLiteral("help")) ? EngineOk : EngineUsage;
    const CtlEngineReply reply = client->request("GET", QStringLiteral("/api/v1/pools"));
    if (reply.status != 200)
        return ctlEngineFailure(QStringLiteral("backends list"), reply);
    if (parser.isSet(jsonOption)) {
        ctlOut(QString::fromUtf8(QJsonDocument(reply.json).toJson(QJsonDocument::Indented)));
        return EngineOk;
    }
    // One table for every pool, so their columns line up too.
    // ACTIVE: requests being served now (a drained server is empty when it reads 0).
    const QStringList header{QStringLiteral("SERVER"), QStringLiteral("ADDRESS"), QStringLiteral("STATE"), QStringLiteral("IN STATE"),
                             QStringLiteral("WEIGHT"), QStringLiteral("ACTIVE"), QStringLiteral("REQ/S"), QStringLiteral("P99 MS"), QStringLiteral("LAST CHECK")};
    CtlTable table({5, 6, 7}, QStringLiteral("  "));
    for (const fulcrum::PoolView &pool : poolsOf(reply.json)) {
        // A pool that cannot serve at all says so on its own line, as the console's strip does.
        const QString outage = pool.cannotServe ? ctlPoolOutageText(pool.healthy, int(pool.servers.size())) : QString();
        // The pool's own timeouts, body limit and kept-alive connections, where they are not the proxy's.
        QString own;
        if (pool.options.ownsConnectTimeout())
            own += QStringLiteral(", connect_timeout %1").arg(fulcrum::formatDurationMs(pool.options.connectTimeoutMs));
        if (pool.options.ownsResponseTimeout())
            own += QStringLiteral(", response_timeout %1").arg(fulcrum::formatDurationMs(pool.options.responseTimeoutMs));
        if (pool.options.ownsMaxBodyBytes())
            own += pool.options.maxBodyBytes == 0 ? QStringLiteral(", max_body_bytes none") : QStringLiteral(", max_body_bytes %1").arg(pool.options.maxBodyBytes);
        if (pool.options.ownsKeepaliveTimeout())
            own += QStringLiteral(", keepalive_timeout %1").arg(fulcrum::formatDurationMs(pool.options.keepaliveTimeoutMs));
        if (pool.options.ownsMaxIdlePerServer())
            own += QStringLiteral(", max_idle_per_server %1").arg(pool.options.maxIdlePerServer);
        if (pool.options.keepaliveRequests > 0)
            own += QStringLiteral(", keepalive_requests %1").arg(pool.options.keepaliveRequests);
        if (pool.options.keepaliveTimeMs > 0)
            own += QStringLiteral(", keepalive_time %1").arg(fulcrum::formatDurationMs(pool.options.keepaliveTimeMs));
        table.addNote(QStringLiteral("pool %1 (%2%3)%4%5")
                          .arg(pool.name, fulcrum::algorithmName(pool.options.algorithm), own, pool.panic ? QStringLiteral(" PANIC") : QString(), outage));
        table.add(header);
        for (const fulcrum::ServerSnapshot &server : pool.servers) {
            const fulcrum::CheckResult &check = server.health.lastCheck;
            table.add({server.spec.name, server.health.resolved.isEmpty() ? server.spec.address() : server.spec.address() + QStringLiteral(" → ") + server.health.resolved, server.health.stateText, fulcrum::formatDurationMs(server.health.timeInStateMs),
                       // What the balancer uses now: 0 while it takes no traffic, as the console and HAProxy's list say.
                       QStringLiteral("%1/%2").arg(pool.weightInUse(server)).arg(server.spec.weight),
                       QString::number(server.stats.inFlight),
                       QString::number(server.stats.requestsPerSecond, 'f', 1),
                       server.stats.p99Ms > 0 ? QString::number(server.stats.p99Ms, 'f', 1) : QStringLiteral("-"), // no request to measure
                       check.reason != fulcrum::CheckReason::None ? QStringLiteral("%1 in %2 ms").arg(check.reasonText()).arg(double(check.durationUs) / 1000.0, 0, 'f', 1)
                       : server.health.checksEnabled              ? QStringLiteral("not checked yet")
                                                                  : QStringLiteral("checks off")});
        }
    }
    ctlOut(table.text());
    return EngineOk;
}

int backendsSet(const QStringList &arguments, const QString &what)
{
    QCommandLineParser parser;
    const bool weight = what == u"weight";
    parser.setApplicationDescription(weight ? QStringLiteral("Set a server's weight (0..10000) on a running fulcrumd; it survives restarts and reloads.")
                                            : QStringLiteral("Set a server's state to ready, drain or maint on a running fulcrumd; it survives restarts and reloads."));
    parser.addPositionalArgument(QStringLiteral("POOL/SERVER"), QStringLiteral("The server, e.g. web/app1."));
    parser.addPositionalArgument(weight ? QStringLiteral("WEIGHT") : QStringLiteral("STATE"), weight ? QStringLiteral("0..10000") : QStringLiteral("ready, drain or maint"));
    const CtlEngineOptions engine;
    const CtlGuardOptions guard;
    guard.addTo(parser);
    const CtlDrainWaitOptions drainWait;
    if (!weight)
        drainWait.addTo(parser);
    const QString command = QStringLiteral("backends set-") + what;
    const QString usage = QStringLiteral("usage: fulcrumctl %1 POOL/SERVER %2 --engine URL [--token-file PATH] [--yes] [--min-capacity PERCENT]%3")
                              .arg(command, weight ? QStringLiteral("WEIGHT") : QStringLiteral("ready|drain|maint"), weight ? QString() : QStringLiteral(" [--wait DURATION]"));
    const auto client = parseEngineCommand(parser, engine, command, arguments, 2, usage);
    if (!client)
        return parser.isSet(QStringLiteral("help")) ? EngineOk : EngineUsage;
    const std::optional<double> minShare = guard.share(parser, command);
    if (!minShare)
        return EngineUsage;
    QString pool;
    QString server;
    if (!splitTarget(parser.positionalArguments().at(0), &pool, &server, command))
        return EngineUsage;
    const QString value = parser.positionalArguments().at(1);
    std::optional<fulcrum::BackendState> state;
    if (!weight && !(state = ctlServerState(value, command)))
        return EngineUsage;
    std::optional<qint64> waitMs;
    if (!weight && !drainWait.parse(parser, value, command, &waitMs))
        return EngineUsage;
    QJsonObject body;
    if (weight) {
        bool ok = false;
        const int n = value.toInt(&ok);
        if (!ok || n < 0 || n > 10000) {
            ctlErr(QStringLiteral("fulcrumctl %1: weight \"%2\" must be a whole number from 0 to 10000\n").arg(command, value));
            return EngineUsage;
        }
        body.insert(QStringLiteral("weight"), n);
    } else {
        body.insert(QStringLiteral("state"), value);
    }
    // The console's question: would this leave the pool unable to serve, or too thin?
    fulcrum::ServerChange change{pool, server, std::nullopt, std::nullopt};
    if (weight)
        change.weight = body.value(QStringLiteral("weight")).toInt();
    else
        change.state = state;
    if (change.weight || change.state) {
        const CtlEngineReply pools = client->request("GET", QStringLiteral("/api/v1/pools"));
        if (pools.status != 200)
            return ctlEngineFailure(command, pools);
        if (!ctlConfirmCapacity(serversOf(pools.json), change, *minShare, parser.isSet(guard.yes), command))
            return EngineUnsafe;
    }
    const CtlEngineReply reply = client->request("PUT", QStringLiteral("/api/v1/pools/%1/servers/%2/%3").arg(encoded(pool), encoded(server), what), body);
    if (reply.status != 200)
        return ctlEngineFailure(command, reply);
    const fulcrum::ServerSnapshot changed = fulcrum::serverFromJson(reply.json);
    ctlOut(QStringLiteral("%1/%2: %3, weight %4\n").arg(pool, server, changed.health.stateText).arg(changed.spec.weight));
    if (!waitMs)
        return EngineOk;
    // Asked of the engine every 250 ms.
    const QString path = QStringLiteral("/api/v1/pools/%1/servers/%2").arg(encoded(pool), encoded(server));
    return ctlWaitUntilEmpty(
        [&](int *failure) -> std::optional<int> {
            const CtlEngineReply now = client->request("GET", path);
            if (now.status != 200) {
                *failure = ctlEngineFailure(command, now);
                return std::nullopt;
            }
            return fulcrum::serverFromJson(now.json).stats.inFlight;
        },
        pool, server, *waitMs, 250, command);
}

int backends(const QStringList &given)
{
    const QStringList arguments = ctlListUnlessNamed(given);
    const QString sub = arguments.value(0);
    if (ctlIsManagedEngine(arguments))
        return ctlManagedBackends(arguments);
    if (sub == u"list")
        return backendsList(arguments.mid(1));
    if (sub == u"set-weight")
        return backendsSet(arguments.mid(1), QStringLiteral("weight"));
    if (sub == u"set-state")
        return backendsSet(arguments.mid(1), QStringLiteral("state"));
    const QString usage = QStringLiteral("Usage: fulcrumctl backends list --engine URL [--json]\n"
                                         "       fulcrumctl backends set-weight POOL/SERVER WEIGHT --engine URL\n"
                                         "       fulcrumctl backends set-state POOL/SERVER ready|drain|maint --engine URL\n"
                                         "       fulcrumctl backends list|set-weight|set-state ... --haproxy ADDRESS (a HAProxy stats socket; weights 0..256)\n"
                                         "       fulcrumctl backends list|set-weight|set-state ... --httpd URL [--user USER] (Apache httpd's balancer-manager;\n"
                                         "         load factors 1..100; password from --password-file, FULCRUM_HTTPD_PASSWORD or --keychain ENTRY)\n"
                                         "Options alone mean list: fulcrumctl backends --engine URL.\n"
                                         "The token comes from --token-file PATH, FULCRUM_TOKEN or the keychain (fulcrumctl secret set --engine URL).\n");
    if (sub == u"--help" || sub == u"-h") {
        ctlOut(usage);
        return EngineOk;
    }
    ctlErr(sub.isEmpty() ? usage : QStringLiteral("fulcrumctl backends: unknown subcommand \"%1\"\n%2").arg(sub, usage));
    return EngineUsage;
}

} // namespace

FULCRUM_CTL_COMMAND(backends, "backends", "list a running fulcrumd's servers; set their weight or state", backends);
