#pragma once

#include "engine/capacityguard.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <functional>
#include <optional>

// The console's capacity question, asked by `fulcrumctl backends set-weight|set-state` the same
// way: a change that would leave a pool with no server taking traffic, or below --min-capacity
// of what it has now, is applied only with --yes, or after "y" at a terminal. Without either it
// is not sent, and the command exits with EngineUnsafe.
struct CtlGuardOptions
{
    QCommandLineOption yes{QStringLiteral("yes"), QStringLiteral("Apply even if it leaves a pool without servers or below --min-capacity.")};
    QCommandLineOption minCapacity{QStringLiteral("min-capacity"),
                                   QStringLiteral("Ask before leaving a pool below this share of its capacity (default 50)."), QStringLiteral("PERCENT"),
                                   QStringLiteral("50")};

    void addTo(QCommandLineParser &parser) const { parser.addOptions({yes, minCapacity}); }
    // The share (0..1), or nullopt after printing why the option is wrong.
    std::optional<double> share(const QCommandLineParser &parser, const QString &command) const;
};

// True when the change may go ahead; prints what it means on stderr when it asks.
bool ctlConfirmCapacity(const QList<fulcrum::ServerStatus> &servers, const fulcrum::ServerChange &change, double minShare, bool yes,
                        const QString &command);

// What `backends list` adds to the line of a pool no server takes traffic in, as the console's
// pool strip says it: "  NO SERVER: 0/3 up, none takes traffic: 503 to every request".
QString ctlPoolOutageText(int up, int total);

// STATE of `backends set-state`: ready, drain or maint (down comes from health checks only);
// nullopt after printing why it is wrong.
std::optional<fulcrum::BackendState> ctlServerState(const QString &state, const QString &command);

// --wait DURATION of `backends set-state drain|maint`, for every kind of engine: after the
// change, wait until the server serves nothing (fulcrumd: requests in flight, WebSocket tunnels
// one each; HAProxy: scur; httpd: busy), so a maintenance script can stop it.
struct CtlDrainWaitOptions
{
    QCommandLineOption wait{QStringLiteral("wait"),
                            QStringLiteral("drain and maint: then wait up to DURATION (e.g. 5m) until the server has no request in flight, "
                                           "so a script can stop it safely; exit 6 if it still has some then."),
                            QStringLiteral("DURATION")};

    void addTo(QCommandLineParser &parser) const { parser.addOption(wait); }
    // The time to wait (nullopt without --wait); false after printing why it is wrong.
    bool parse(const QCommandLineParser &parser, const QString &state, const QString &command, std::optional<qint64> *waitMs) const;
};

// Asks `inFlight` (nullopt: it failed and said why; `*failure` is the exit status then) until
// it reads 0 or `waitMs` has passed, `pauseMs` between asks, printing each new count. Returns
// EngineOk ("safe to stop it"), EngineStillBusy, or the failure's status.
int ctlWaitUntilEmpty(const std::function<std::optional<int>(int *failure)> &inFlight, const QString &pool, const QString &server, qint64 waitMs,
                      int pauseMs, const QString &command);
