#include "ctlguard.h"

#include "command.h"

#include <QFile>

#include <cstdio>
#include <unistd.h>

using namespace fulcrum;

std::optional<double> CtlGuardOptions::share(const QCommandLineParser &parser, const QString &command) const
{
    bool ok = false;
    const int percent = parser.value(minCapacity).toInt(&ok);
    if (!ok || percent < 0 || percent > 100) {
        ctlErr(QStringLiteral("fulcrumctl %1: --min-capacity \"%2\" must be a whole number from 0 to 100 (percent of a pool's capacity)\n")
                   .arg(command, parser.value(minCapacity)));
        return std::nullopt;
    }
    return percent / 100.0;
}

bool ctlConfirmCapacity(const QList<ServerStatus> &servers, const ServerChange &change, double minShare, bool yes, const QString &command)
{
    const QList<PoolImpact> risks = capacityRisks(servers, {change}, minShare);
    if (risks.isEmpty())
        return true;
    for (const PoolImpact &risk : risks)
        ctlErr(QStringLiteral("fulcrumctl %1: %2/%3: %4.\n").arg(command, change.pool, change.server, risk.describe()));
    if (yes)
        return true;
    if (::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO)) {
        ctlErr(QStringLiteral("Apply anyway? [y/N] "));
        QFile in;
        (void)in.open(stdin, QIODevice::ReadOnly);
        const QByteArray answer = in.readLine().trimmed().toLower();
        if (answer == "y" || answer == "yes")
            return true;
    }
    ctlErr(QStringLiteral("fulcrumctl %1: nothing changed; give --yes to apply it anyway\n").arg(command));
    return false;
}
