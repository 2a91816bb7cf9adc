#include "ctlguard.h"

#include "command.h"
#include "ctlengine.h"

#include "common/duration.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <algorithm>

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

std::optional<fulcrum::BackendState> ctlServerState(const QString &state, const QString &command)
{
    const std::optional<fulcrum::BackendState> parsed = fulcrum::parseBackendState(state == u"ready" ? QStringLiteral("up") : state);
    if (!parsed || *parsed == fulcrum::BackendState::Down) {
        ctlErr(QStringLiteral("fulcrumctl %1: state \"%2\" must be ready, drain or maint\n").arg(command, state));
        return std::nullopt;
    }
    return parsed;
}

bool CtlDrainWaitOptions::parse(const QCommandLineParser &parser, const QString &state, const QString &command, std::optional<qint64> *waitMs) const
{
    if (!parser.isSet(wait))
        return true;
    const std::optional<qint64> ms = parseDurationMs(parser.value(wait));
    if (!ms || *ms < 0 || *ms > 24 * 3600 * 1000LL) {
        ctlErr(QStringLiteral("fulcrumctl %1: --wait \"%2\" must be a duration such as 30s or 5m, at most 24h\n").arg(command, parser.value(wait)));
        return false;
    }
    if (state != u"drain" && state != u"maint") {
        ctlErr(QStringLiteral("fulcrumctl %1: --wait goes with drain or maint (it waits for the server to empty), not with %2\n").arg(command, state));
        return false;
    }
    *waitMs = ms;
    return true;
}

int ctlWaitUntilEmpty(const std::function<std::optional<int>(int *failure)> &inFlight, const QString &pool, const QString &server, qint64 waitMs,
                      int pauseMs, const QString &command)
{
    QElapsedTimer elapsed;
    elapsed.start();
    int said = -1;
    for (;;) {
        int failure = EngineUnreachable;
        const std::optional<int> now = inFlight(&failure);
        if (!now)
            return failure;
        if (*now == 0) {
            ctlOut(QStringLiteral("%1/%2: no request in flight after %3; safe to stop it\n").arg(pool, server, formatDurationMs(elapsed.elapsed())));
            return EngineOk;
        }
        if (elapsed.elapsed() >= waitMs) {
            ctlErr(QStringLiteral("fulcrumctl %1: %2/%3 still has %4 request(s) in flight after %5; not safe to stop yet (wait longer, or look at "
                                  "`fulcrumctl backends list` for what it serves)\n")
                       .arg(command, pool, server).arg(*now).arg(formatDurationMs(elapsed.elapsed())));
            return EngineStillBusy;
        }
        if (*now != said) {
            ctlOut(QStringLiteral("%1/%2: %3 request(s) in flight, waiting (up to %4)\n").arg(pool, server).arg(*now).arg(formatDurationMs(waitMs)));
            said = *now;
        }
        if (pauseMs > 0) {
            QEventLoop pause;   // returns at once when a signal has ended fulcrumctl's loops
            QTimer::singleShot(int(std::min<qint64>(pauseMs, waitMs - elapsed.elapsed() + 1)), &pause, &QEventLoop::quit);
            pause.exec();
        }
    }
}

QString ctlPoolOutageText(int up, int total)
{
    return QStringLiteral("  NO SERVER: %1/%2 up, none takes traffic: 503 to every request").arg(up).arg(total);
}
