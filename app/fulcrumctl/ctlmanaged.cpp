// fulcrumctl backends ... --engine KIND:ADDRESS (--haproxy ADDRESS, --httpd URL): through the
// engine kinds' own links, so scripts get the same checks and messages as the console.
#include "ctlmanaged.h"

#include "ctlguard.h"

#include "command.h"
#include "ctlengine.h"
#include "ctlredis.h"
#include "ctltable.h"

#include "common/duration.h"
#include "engine/enginelink.h"
#include "link/enginekinds.h"
#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif

#include <QCommandLineParser>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>

using namespace fulcrum;

namespace {

constexpr int kWaitMs = 10'000;

// The first snapshot (nullopt when the engine could not be read; *why says why).
std::optional<LinkSnapshot> firstSnapshot(EngineLink &link, QString *why)
{
    std::optional<LinkSnapshot> snapshot;
    QEventLoop loop;
    QObject::connect(&link, &EngineLink::snapshotReady, &loop, [&](const LinkSnapshot &s) {
        snapshot = s;
        loop.quit();
    });
    QObject::connect(&link, &EngineLink::stateChanged, &loop, [&loop, why](LinkState state, const QString &detail) {
        *why = detail;
        if (state == LinkState::Disconnected)
            loop.quit();
    });
    QTimer::singleShot(kWaitMs, &loop, &QEventLoop::quit);
    loop.exec();
    if (!snapshot && why->isEmpty())
        *why = QStringLiteral("no answer from %1").arg(link.description());
    return snapshot;
}

CommandResult waitFor(EngineLink &link, quint64 id)
{
    CommandResult result{id, false, QStringLiteral("no answer from %1 within %2 s").arg(link.description()).arg(kWaitMs / 1000)};
    QEventLoop loop;
    QObject::connect(&link, &EngineLink::commandFinished, &loop, [&](const CommandResult &r) {
        if (r.id != id)
            return;
        result = r;
        loop.quit();
    });
    QTimer::singleShot(kWaitMs, &loop, &QEventLoop::quit);
    loop.exec();
    return result;
}

// What the pool line adds when no server of `pool` takes traffic (HAProxy says so; for httpd
// every member is disabled), as the console's pool strip says it.
QString poolOutage(const LinkSnapshot &snapshot, const QString &pool)
{
    if (!snapshot.cannotServe(pool))
        return QString();
    int up = 0;
    int total = 0;
    for (const ServerStatus &s : snapshot.servers) {
        if (s.pool != pool)
            continue;
        ++total;
        up += s.state == BackendState::Up;
    }
    return ctlPoolOutageText(up, total);
}

void printList(const LinkSnapshot &snapshot, const EngineLink &link)
{
    const QStringList header{QStringLiteral("SERVER"), QStringLiteral("ADDRESS"), QStringLiteral("STATE"), QStringLiteral("IN STATE"),
                             QStringLiteral("WEIGHT"), QStringLiteral("ACTIVE"), QStringLiteral("LAST CHECK")};
    CtlTable table({5}, QStringLiteral("  "));
    QString pool;
    for (const ServerStatus &s : snapshot.servers) {
        if (s.pool != pool) {
            pool = s.pool;
            table.addNote(QStringLiteral("pool %1 (%2; weights %3–%4)%5").arg(pool, link.description()).arg(link.minWeight()).arg(link.maxWeight()).arg(poolOutage(snapshot, pool)));
            table.add(header);
        }
        const qint64 inStateMs = s.stateSince.isValid() ? s.stateSince.msecsTo(snapshot.time) : -1;
        table.add({s.name, s.address, s.stateText, inStateMs >= 0 ? formatDurationMs(inStateMs) : QString(),
                   QStringLiteral("%1/%2").arg(s.effectiveWeight).arg(s.weight), QString::number(s.activeConnections), s.reason});
    }
    ctlOut(table.text());
}

} // namespace

bool ctlIsManagedEngine(const QStringList &arguments)
{
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &a = arguments[i];
        if (a == u"--haproxy" || a.startsWith(u"--haproxy=") || a == u"--httpd" || a.startsWith(u"--httpd="))
            return true;
        // --engine KIND:ADDRESS of a kind other than fulcrumd (whose admin API backends.cpp speaks).
        const QString engine = a.startsWith(u"--engine=") ? a.mid(9) : a == u"--engine" ? arguments.value(i + 1) : QString();
        const qsizetype colon = engine.indexOf(u':');
        const EngineKind *kind = colon > 0 ? EngineKinds::find(engine.left(colon)) : nullptr;
        if (kind && kind != &EngineKinds::all().constFirst())
            return true;
    }
    return false;
}

int ctlManagedBackends(const QStringList &arguments)
{
    const QString sub = arguments.value(0);
    const QString command = QStringLiteral("backends ") + sub;
    const bool list = sub == u"list";
    const bool weight = sub == u"set-weight";
    QCommandLineParser parser;
    const QCommandLineOption haproxyOption(QStringLiteral("haproxy"), QStringLiteral("HAProxy's stats socket: a path or host:port."),
                                           QStringLiteral("ADDRESS"));
    const QCommandLineOption httpdOption(QStringLiteral("httpd"), QStringLiteral("Apache httpd's balancer-manager: http://HOST:PORT/balancer-manager."),
                                         QStringLiteral("URL"));
    const QCommandLineOption userOption(QStringLiteral("user"), QStringLiteral("--httpd: the manager's Basic auth user."), QStringLiteral("USER"));
    const QCommandLineOption passwordFileOption(QStringLiteral("password-file"), QStringLiteral("--httpd: read the password from this file (mode 0600)."),
                                                QStringLiteral("PATH"));
    const QCommandLineOption keychainOption(QStringLiteral("keychain"), QStringLiteral("--httpd: read the password from this keychain entry."),
                                            QStringLiteral("ENTRY"));
    const QCommandLineOption engineOption(QStringLiteral("engine"), QStringLiteral("The engine as KIND:ADDRESS."), QStringLiteral("KIND:ADDRESS"));
    parser.addOptions({haproxyOption, httpdOption, engineOption, userOption, passwordFileOption, keychainOption});
    const CtlGuardOptions guard;
    guard.addTo(parser);
    const CtlDrainWaitOptions drainWait;
    if (sub == u"set-state")
        drainWait.addTo(parser);
    parser.addHelpOption();
    const QString usage = list ? QStringLiteral("usage: fulcrumctl backends list --haproxy ADDRESS | --httpd URL [--user USER]")
                          : weight ? QStringLiteral("usage: fulcrumctl backends set-weight POOL/SERVER WEIGHT --haproxy ADDRESS (0..256) | --httpd URL (1..100)")
                                   : QStringLiteral("usage: fulcrumctl backends set-state POOL/SERVER ready|drain|maint --haproxy ADDRESS | --httpd URL [--wait DURATION]");
    if (!list && !weight && sub != u"set-state") {
        ctlErr(QStringLiteral("fulcrumctl backends: unknown subcommand \"%1\"; use list, set-weight or set-state\n").arg(sub));
        return EngineUsage;
    }
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl ") + command} + arguments.mid(1))) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n%3\n").arg(command, parser.errorText(), usage));
        return EngineUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(usage + u'\n');
        return EngineOk;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != (list ? 0 : 2) || int(parser.isSet(haproxyOption)) + int(parser.isSet(httpdOption)) + int(parser.isSet(engineOption)) != 1) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, usage));
        return EngineUsage;
    }
    // --haproxy ADDRESS and --httpd URL are --engine haproxy:ADDRESS and --engine httpd:URL.
    QString spelled = parser.value(engineOption);
    QString option = QStringLiteral("--engine");
    if (parser.isSet(haproxyOption)) {
        spelled = QStringLiteral("haproxy:") + parser.value(haproxyOption);
        option = QStringLiteral("--haproxy");
    } else if (parser.isSet(httpdOption)) {
        spelled = QStringLiteral("httpd:") + parser.value(httpdOption);
        option = QStringLiteral("--httpd");
    }
    QString error;
    std::optional<EngineKinds::Spelled> engine = EngineKinds::parse(spelled, &error);
    if (!engine) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2: %3\n").arg(command, option, error));
        return EngineUsage;
    }
    if (engine->kind->capabilities().embedded) {
        // It would start a demo of its own here and end with this command: nothing an operator means.
        ctlErr(QStringLiteral("fulcrumctl %1: %2: %3 runs inside the console that opens it, and fulcrumctl cannot reach it; "
                              "run fulcrumd and give --engine its URL, or drive an HAProxy or httpd\n")
                   .arg(command, option, EngineKinds::spell(*engine->kind, engine->address)));
        return EngineUsage;
    }
    if (parser.isSet(userOption)) {
        QUrl url(engine->address);
        url.setUserName(parser.value(userOption));
        engine->address = url.toString();
    }
    const EngineKind &kind = *engine->kind;
    const std::optional<QByteArray> typed = ctlReadPassword(parser, passwordFileOption, keychainOption, kind.secretEnvironment, &error);
    if (!typed) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, error));
        return EngineUsage;
    }
    // Without --password-file or --keychain: the kind's own entry in the keychain, if it needs one.
#ifdef FULCRUM_HAVE_KEYCHAIN
    KeychainSecretStore keychainStore;
    SecretStore *keychain = &keychainStore;
#else
    SecretStore *keychain = nullptr;
#endif
    const QByteArray secret = !typed->isEmpty() ? *typed
                                                : EngineKinds::readSecret(kind, engine->address, QString(), keychain, &error).value_or(QByteArray());
    const std::unique_ptr<EngineLink> link(kind.create(QString(), engine->address, secret, EngineContext{}));
    const int minWeight = link->minWeight();
    QString pool;
    QString server;
    int newWeight = 0;
    BackendState newState = BackendState::Up;
    if (!list) {
        const QString target = positional[0];
        const qsizetype slash = target.indexOf(u'/');
        if (slash <= 0 || slash == target.size() - 1) {
            ctlErr(QStringLiteral("fulcrumctl %1: \"%2\" must be POOL/SERVER, e.g. checkout/app1\n").arg(command, target));
            return EngineUsage;
        }
        pool = target.left(slash);
        server = target.mid(slash + 1);
        bool ok = false;
        if (weight) {
            newWeight = positional[1].toInt(&ok);
            if (!ok || newWeight < minWeight || newWeight > link->maxWeight()) {
                ctlErr(QStringLiteral("fulcrumctl %1: weight \"%2\" must be a whole number from %3 to %4 (%5's scale)\n")
                           .arg(command, positional[1]).arg(minWeight).arg(link->maxWeight()).arg(kind.label));
                return EngineUsage;
            }
        } else {
            const std::optional<BackendState> state = ctlServerState(positional[1], command);
            if (!state)
                return EngineUsage;
            newState = *state;
        }
    }
    std::optional<qint64> waitMs;
    if (sub == u"set-state" && !drainWait.parse(parser, positional[1], command, &waitMs))
        return EngineUsage;

    QString why;
    const std::optional<LinkSnapshot> snapshot = firstSnapshot(*link, &why);
    if (!snapshot) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, why));
        return EngineUnreachable;
    }
    if (list) {
        printList(*snapshot, *link);
        if (!why.isEmpty())
            ctlErr(QStringLiteral("note: %1\n").arg(why));
        return EngineOk;
    }
    const std::optional<double> minShare = guard.share(parser, command);
    if (!minShare)
        return EngineUsage;
    ServerChange change{pool, server, std::nullopt, std::nullopt};
    if (weight)
        change.weight = newWeight;
    else
        change.state = newState;
    if (!ctlConfirmCapacity(snapshot->servers, change, *minShare, parser.isSet(guard.yes), command))
        return EngineUnsafe;
    const CommandResult result = waitFor(*link, weight ? link->setWeight(pool, server, newWeight) : link->setState(pool, server, newState));
    if (!result.ok) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, result.message));
        return link->state() == LinkState::Connected ? EngineRefused : EngineUnreachable;
    }
    ctlOut(result.message + u'\n');
    if (!waitMs)
        return EngineOk;
    // Each of the link's polls (HAProxy's `show stat` scur, httpd's busy) is one look.
    return ctlWaitUntilEmpty(
        [&](int *failure) -> std::optional<int> {
            QString why;
            const std::optional<LinkSnapshot> next = firstSnapshot(*link, &why);
            const auto found = next ? std::find_if(next->servers.cbegin(), next->servers.cend(),
                                                   [&](const ServerStatus &s) { return s.pool == pool && s.name == server; })
                                    : QList<ServerStatus>::const_iterator();
            if (!next || found == next->servers.cend()) {
                ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, next ? QStringLiteral("%1/%2 is gone from %3").arg(pool, server, link->description()) : why));
                *failure = EngineUnreachable;
                return std::nullopt;
            }
            return found->activeConnections;
        },
        pool, server, *waitMs, 0, command);
}
