// fulcrumctl backends ... --haproxy ADDRESS: through HaproxyEngineLink, so scripts get the
// same checks and messages as the console.
#include "ctlhaproxy.h"

#include "command.h"
#include "ctlengine.h"

#include "common/duration.h"
#include "haproxy/haproxyenginelink.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QTimer>

using namespace fulcrum;

namespace {

constexpr int kWaitMs = 10'000;

// The first snapshot (nullopt when the socket could not be read; the link says why).
std::optional<LinkSnapshot> firstSnapshot(HaproxyEngineLink &link)
{
    std::optional<LinkSnapshot> snapshot;
    QEventLoop loop;
    QObject::connect(&link, &EngineLink::snapshotReady, &loop, [&](const LinkSnapshot &s) {
        snapshot = s;
        loop.quit();
    });
    QObject::connect(&link, &EngineLink::stateChanged, &loop, [&loop](LinkState state) {
        if (state == LinkState::Disconnected)
            loop.quit();
    });
    QTimer::singleShot(kWaitMs, &loop, &QEventLoop::quit);
    loop.exec();
    return snapshot;
}

CommandResult waitFor(HaproxyEngineLink &link, quint64 id)
{
    CommandResult result{id, false, QStringLiteral("no answer from HAProxy within %1 s").arg(kWaitMs / 1000)};
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

void printList(const LinkSnapshot &snapshot, const HaproxyEngineLink &link)
{
    QString pool;
    for (const ServerStatus &s : snapshot.servers) {
        if (s.pool != pool) {
            pool = s.pool;
            ctlOut(QStringLiteral("backend %1 (%2; weights 0–%3)\n").arg(pool, link.description()).arg(link.maxWeight()));
            ctlOut(QStringLiteral("  %1 %2 %3 %4 %5 %6 %7\n").arg(QStringLiteral("SERVER"), -12).arg(QStringLiteral("ADDRESS"), -22)
                       .arg(QStringLiteral("STATE"), -22).arg(QStringLiteral("IN STATE"), -10).arg(QStringLiteral("WEIGHT"), -8)
                       .arg(QStringLiteral("ACTIVE"), 6).arg(QStringLiteral("LAST CHECK")));
        }
        const qint64 inStateMs = s.stateSince.isValid() ? s.stateSince.msecsTo(snapshot.time) : -1;
        ctlOut(QStringLiteral("  %1 %2 %3 %4 %5 %6 %7\n").arg(s.name, -12).arg(s.address, -22).arg(s.stateText, -22)
                   .arg(inStateMs >= 0 ? formatDurationMs(inStateMs) : QString(), -10)
                   .arg(QStringLiteral("%1/%2").arg(s.effectiveWeight).arg(s.weight), -8)
                   .arg(s.activeConnections, 6).arg(s.reason));
    }
}

} // namespace

int ctlHaproxyBackends(const QStringList &arguments)
{
    const QString sub = arguments.value(0);
    const QString command = QStringLiteral("backends ") + sub;
    const bool list = sub == u"list";
    const bool weight = sub == u"set-weight";
    QCommandLineParser parser;
    const QCommandLineOption haproxyOption(QStringLiteral("haproxy"), QStringLiteral("HAProxy's stats socket: a path or host:port."),
                                           QStringLiteral("ADDRESS"));
    parser.addOption(haproxyOption);
    parser.addHelpOption();
    const QString usage = list ? QStringLiteral("usage: fulcrumctl backends list --haproxy ADDRESS")
                          : weight ? QStringLiteral("usage: fulcrumctl backends set-weight BACKEND/SERVER 0..256 --haproxy ADDRESS")
                                   : QStringLiteral("usage: fulcrumctl backends set-state BACKEND/SERVER ready|drain|maint --haproxy ADDRESS");
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
    if (positional.size() != (list ? 0 : 2) || !parser.isSet(haproxyOption)) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, usage));
        return EngineUsage;
    }
    QString error;
    const std::optional<RuntimeAddress> address = RuntimeAddress::parse(parser.value(haproxyOption), &error);
    if (!address) {
        ctlErr(QStringLiteral("fulcrumctl %1: --haproxy: %2\n").arg(command, error));
        return EngineUsage;
    }
    QString pool;
    QString server;
    int newWeight = 0;
    BackendState newState = BackendState::Up;
    if (!list) {
        const QString target = positional[0];
        const qsizetype slash = target.indexOf(u'/');
        if (slash <= 0 || slash == target.size() - 1) {
            ctlErr(QStringLiteral("fulcrumctl %1: \"%2\" must be BACKEND/SERVER, e.g. checkout/app1\n").arg(command, target));
            return EngineUsage;
        }
        pool = target.left(slash);
        server = target.mid(slash + 1);
        bool ok = false;
        if (weight) {
            newWeight = positional[1].toInt(&ok);
            if (!ok || newWeight < 0 || newWeight > HaproxyEngineLink::kHaproxyMaxWeight) {
                ctlErr(QStringLiteral("fulcrumctl %1: weight \"%2\" must be a whole number from 0 to %3 (HAProxy's scale)\n")
                           .arg(command, positional[1]).arg(HaproxyEngineLink::kHaproxyMaxWeight));
                return EngineUsage;
            }
        } else {
            const std::optional<BackendState> state = parseBackendState(positional[1] == u"ready" ? QStringLiteral("up") : positional[1]);
            if (!state || *state == BackendState::Down) {
                ctlErr(QStringLiteral("fulcrumctl %1: state \"%2\" must be ready, drain or maint\n").arg(command, positional[1]));
                return EngineUsage;
            }
            newState = *state;
        }
    }

    HaproxyEngineLink link(*address, 250);
    const std::optional<LinkSnapshot> snapshot = firstSnapshot(link);
    if (!snapshot) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, link.lastError().isEmpty() ? QStringLiteral("no answer from %1").arg(address->toString())
                                                                                        : link.lastError()));
        return EngineUnreachable;
    }
    if (list) {
        printList(*snapshot, link);
        if (!link.lastError().isEmpty())
            ctlErr(QStringLiteral("note: %1\n").arg(link.lastError()));
        return EngineOk;
    }
    const CommandResult result = waitFor(link, weight ? link.setWeight(pool, server, newWeight) : link.setState(pool, server, newState));
    if (!result.ok) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, result.message));
        return link.state() == LinkState::Connected ? EngineRefused : EngineUnreachable;
    }
    ctlOut(result.message + u'\n');
    return EngineOk;
}
