#include "engine/capacityguard.h"

#include <QCoreApplication>
#include <QHash>

#include <cmath>

namespace fulcrum {

QString PoolImpact::describe() const
{
    if (cannotServe()) {
        return QCoreApplication::translate("CapacityGuard", "%1 will answer 503 to every request: not one of its servers (%2) would take traffic")
            .arg(pool).arg(servers);
    }
    if (servingAfter == 0) {
        return QCoreApplication::translate("CapacityGuard", "%1 would be served by its backup servers only: none of its primary servers would take traffic")
            .arg(pool);
    }
    return QCoreApplication::translate("CapacityGuard", "%1 would keep %2 of %3 servers taking traffic, %4 % of the capacity it has now")
        .arg(pool).arg(servingAfter).arg(servers).arg(std::floor(capacityShare() * 1000) / 10, 0, 'f', 1);
}

QList<PoolImpact> capacityRisks(const QList<ServerStatus> &servers, const QList<ServerChange> &changes, double minShare)
{
    // The changes by server, the last one winning where a server is named twice.
    QHash<QString, ServerChange> byServer;
    for (const ServerChange &change : changes)
        byServer[change.pool + u'/' + change.server] = change;

    QList<PoolImpact> impacts;
    QHash<QString, qsizetype> index;
    QHash<QString, bool> touched;
    for (const ServerStatus &now : servers) {
        qsizetype &at = index[now.pool];
        if (at == 0) {
            impacts.append(PoolImpact{now.pool});
            at = impacts.size();
        }
        PoolImpact &impact = impacts[at - 1];
        ServerStatus after = now;
        const auto change = byServer.constFind(now.key());
        if (change != byServer.cend()) {
            touched[now.pool] = true;
            if (change->weight)
                after.weight = *change->weight;
            // "Ready" hands a server back to its health checks: one that is down stays down.
            if (change->state)
                after.state = *change->state == BackendState::Up && now.state == BackendState::Down ? BackendState::Down : *change->state;
        }
        ++impact.servers;
        if (now.takesTraffic()) {
            ++impact.servingBefore;
            impact.capacityBefore += now.weight;
        }
        if (after.takesTraffic()) {
            ++impact.servingAfter;
            impact.capacityAfter += after.weight;
        } else if (after.backup && after.state == BackendState::Up && after.weight > 0) {
            impact.backupsAfter = true;     // a backup that would serve alone
        }
    }
    QList<PoolImpact> risks;
    for (const PoolImpact &impact : std::as_const(impacts)) {
        if (!touched.value(impact.pool) || impact.servingBefore == 0 || impact.capacityAfter >= impact.capacityBefore)
            continue;
        if (impact.servingAfter == 0 || impact.capacityShare() < minShare)
            risks.append(impact);
    }
    return risks;
}

} // namespace fulcrum
