#include "weightcontroller.h"

#include <QUndoCommand>

#include <algorithm>
#include <cmath>

namespace fulcrum::ui {

namespace {

double weightSum(const QList<ServerStatus> &servers, const QString &pool, int skip)
{
    double sum = 0;
    for (int i = 0; i < servers.size(); ++i) {
        if (i != skip && servers[i].pool == pool && servers[i].takesTraffic())
            sum += servers[i].weight;
    }
    return sum;
}

class SetWeightCommand : public QUndoCommand
{
public:
    SetWeightCommand(WeightController *controller, QString pool, QString server, int before, int after)
        : m_controller(controller), m_pool(std::move(pool)), m_server(std::move(server)), m_before(before), m_after(after)
    {
        setText(QObject::tr("weight of %1: %2 → %3").arg(m_server).arg(before).arg(after));
    }
    void redo() override { m_controller->apply(m_pool, m_server, m_after); }
    void undo() override { m_controller->apply(m_pool, m_server, m_before); }

private:
    WeightController *m_controller;
    QString m_pool;
    QString m_server;
    int m_before;
    int m_after;
};

} // namespace

QList<double> targetShares(const QList<ServerStatus> &servers)
{
    QList<double> shares(servers.size(), 0.0);
    QHash<QString, double> sums;
    for (const ServerStatus &server : servers) {
        if (server.takesTraffic())
            sums[server.pool] += server.weight;
    }
    for (int i = 0; i < servers.size(); ++i) {
        const double sum = sums.value(servers[i].pool);
        if (servers[i].takesTraffic() && sum > 0)
            shares[i] = servers[i].weight / sum;
    }
    return shares;
}

QList<double> projectedShares(const QList<ServerStatus> &servers, int index, int weight)
{
    QList<ServerStatus> changed = servers;
    if (index >= 0 && index < changed.size())
        changed[index].weight = weight;
    return targetShares(changed);
}

int weightForShare(const QList<ServerStatus> &servers, int index, double share, int maxWeight)
{
    if (index < 0 || index >= servers.size())
        return -1;
    const ServerStatus &server = servers[index];
    if (server.state != BackendState::Up || server.backup)
        return -1;
    const double others = weightSum(servers, server.pool, index);
    if (others <= 0)
        return -1;
    share = std::clamp(share, 0.0, 0.999);
    // w / (w + others) = share  ⇔  w = share · others / (1 − share)
    const double weight = share * others / (1.0 - share);
    return int(std::clamp(std::lround(weight), 0L, long(maxWeight)));
}

int weightStep(const QList<ServerStatus> &servers, int index)
{
    if (index < 0 || index >= servers.size())
        return 1;
    int biggest = 0;
    for (const ServerStatus &s : servers) {
        if (s.pool == servers[index].pool)
            biggest = std::max(biggest, s.weight);
    }
    int step = 1;
    for (int magnitude = 1; magnitude <= biggest; magnitude *= 10) {
        for (int factor : {1, 2, 5}) {
            if (factor * magnitude * 20 <= biggest)
                step = factor * magnitude;
        }
    }
    return step;
}

int snappedWeight(const QList<ServerStatus> &servers, int index, int weight)
{
    const int step = weightStep(servers, index);
    const int snapped = int(std::lround(double(weight) / step)) * step;
    return snapped == 0 && weight > 0 ? weight : snapped;
}

double movedTraffic(const QList<double> &before, const QList<double> &after)
{
    double distance = 0;
    for (int i = 0; i < std::min(before.size(), after.size()); ++i)
        distance += std::abs(after[i] - before[i]);
    return distance / 2;
}

WeightController::WeightController(EngineLink *link, QObject *parent)
    : QObject(parent), m_link(link)
{
    connect(link, &EngineLink::commandFinished, this, [this](const CommandResult &result) {
        const QString what = m_pending.take(result.id);
        if (!what.isNull() && !result.ok)
            Q_EMIT commandFailed(tr("%1 failed: %2").arg(what, result.message));
    });
}

void WeightController::setConfirmThreshold(double share)
{
    m_threshold = std::clamp(share, 0.0, 1.0);
}

void WeightController::setConfirmer(Confirmer confirmer)
{
    m_confirmer = std::move(confirmer);
}

void WeightController::setSnapshot(const LinkSnapshot &snapshot)
{
    m_snapshot = snapshot;
}

bool WeightController::requestWeight(const QString &pool, const QString &server, int weight)
{
    const int index = m_snapshot.indexOf(pool, server);
    if (index < 0 || weight < minWeight() || weight > maxWeight())
        return false;
    const int before = m_snapshot.servers[index].weight;
    if (before == weight)
        return false;
    const double moved = movedTraffic(targetShares(m_snapshot.servers), projectedShares(m_snapshot.servers, index, weight));
    ServerChange change{pool, server, weight, std::nullopt};
    if (!capacityRisks(m_snapshot.servers, {change}, m_minCapacityShare).isEmpty()) {
        // The louder question covers the move too.
        if (!confirmCapacity({change}, tr("Setting the weight of %1 from %2 to %3").arg(server).arg(before).arg(weight)))
            return false;
    } else if (moved > m_threshold && m_confirmer) {
        const QString question = tr("Changing the weight of %1 from %2 to %3 moves %4 % of the traffic of pool %5 at once. Apply?")
                                     .arg(server).arg(before).arg(weight).arg(moved * 100, 0, 'f', 1).arg(pool);
        if (!m_confirmer(question))
            return false;
    }
    // The snapshot is the baseline until the next tick; keep it in step so that a second
    // change before then starts from this one.
    m_snapshot.servers[index].weight = weight;
    m_undo.push(new SetWeightCommand(this, pool, server, before, weight));
    return true;
}

bool WeightController::confirmCapacity(const QList<ServerChange> &changes, const QString &what)
{
    const QList<PoolImpact> risks = capacityRisks(m_snapshot.servers, changes, m_minCapacityShare);
    if (risks.isEmpty())
        return true;
    if (!m_riskConfirmer)
        return false;     // nobody to ask: the safe answer
    QStringList lines;
    for (const PoolImpact &risk : risks)
        lines.append(risk.describe() + u'.');
    return m_riskConfirmer(tr("%1: %2\n\nApply anyway?").arg(what, lines.join(u'\n')));
}

void WeightController::apply(const QString &pool, const QString &server, int weight)
{
    if (!m_link)
        return;
    const quint64 id = m_link->setWeight(pool, server, weight);
    m_pending.insert(id, tr("Setting the weight of %1 to %2").arg(server).arg(weight));
}

} // namespace fulcrum::ui
