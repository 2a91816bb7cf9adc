#pragma once

#include "engine/capacityguard.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

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
