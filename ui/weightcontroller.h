#pragma once

#include "engine/capacityguard.h"
#include "engine/enginelink.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QUndoStack>

#include <algorithm>
#include <functional>

namespace fulcrum::ui {

// Target shares: what fraction of a pool's new requests each server should get with the
// given weights (weight / sum of weights of the servers taking traffic; 0 for the others).
QList<double> targetShares(const QList<ServerStatus> &servers);
// The same with one server's weight replaced: what a drag or a typed number would give.
QList<double> projectedShares(const QList<ServerStatus> &servers, int index, int weight);
// The weight (at most maxWeight) that gives server `index` the target share `share` with the
// others unchanged; -1 when no weight can (it is the only server taking traffic, or it takes none).
int weightForShare(const QList<ServerStatus> &servers, int index, double share, int maxWeight = kMaxWeight);
// The step a dragged weight snaps to in server `index`'s pool: the largest of 1, 2, 5, 10,
// 20, 50, … that is at most a twentieth of the pool's biggest weight (100s: 5; 10s: 1;
// 1000s: 50), so a drag gives 105, not 106, and moves a share by well under one per cent.
int weightStep(const QList<ServerStatus> &servers, int index);
// `weight` on that step (never rounded to 0 from above 0: a weight of 0 stops new traffic).
int snappedWeight(const QList<ServerStatus> &servers, int index, int weight);
// Fraction of traffic that moves between two share vectors: half the L1 distance.
double movedTraffic(const QList<double> &before, const QList<double> &after);

// The one road for weight changes, whether from a drag, an arrow key, the table or a
// dialog: asks for confirmation when a change moves too much traffic at once, applies it
// through the engine link and records it on an undo stack.
class WeightController : public QObject
{
    Q_OBJECT
public:
    // Returns true to go ahead; gets a sentence describing the change.
    using Confirmer = std::function<bool(const QString &question)>;

    explicit WeightController(EngineLink *link, QObject *parent = nullptr);

    QUndoStack *undoStack() { return &m_undo; }
    // Changes that move more than this share of a pool's traffic ask first (0..1).
    void setConfirmThreshold(double share);
    double confirmThreshold() const { return m_threshold; }
    void setConfirmer(Confirmer confirmer);
    // Any change (weight, drain, maintenance, several servers at once) that would leave a pool
    // unable to serve, or below this share (0..1) of its capacity, asks riskConfirmer first
    // with what it means ("checkout will answer 503 to every request ...").
    void setCapacityGuard(double minShare) { m_minCapacityShare = std::clamp(minShare, 0.0, 1.0); }
    double capacityGuard() const { return m_minCapacityShare; }
    void setRiskConfirmer(Confirmer confirmer) { m_riskConfirmer = std::move(confirmer); }
    // True when these changes may go ahead: nothing at risk, or the operator said yes.
    // `what` names the action for the question ("Drain app1, app2").
    bool confirmCapacity(const QList<ServerChange> &changes, const QString &what);
    // The engine's weight scale (HAProxy: 256), and what to tell the operator about it.
    int maxWeight() const { return m_link ? m_link->maxWeight() : kMaxWeight; }
    int minWeight() const { return m_link ? m_link->minWeight() : 0; }
    EngineCapabilities capabilities() const { return m_link ? m_link->capabilities() : EngineCapabilities{}; }
    QString weightNote() const { return m_link ? m_link->weightNote() : QString(); }

    // The latest snapshot: the baseline for shares and for "before" in undo.
    void setSnapshot(const LinkSnapshot &snapshot);
    const LinkSnapshot &snapshot() const { return m_snapshot; }

    // False when the change was refused by the operator or is not possible.
    bool requestWeight(const QString &pool, const QString &server, int weight);

    // Used by the undo commands.
    void apply(const QString &pool, const QString &server, int weight);

Q_SIGNALS:
    void commandFailed(const QString &message);

private:
    QPointer<EngineLink> m_link;
    QUndoStack m_undo;
    double m_threshold = 0.25;
    double m_minCapacityShare = kDefaultMinCapacityShare;
    Confirmer m_confirmer;
    Confirmer m_riskConfirmer;
    LinkSnapshot m_snapshot;
    QHash<quint64, QString> m_pending;   // command id → what it was, for error messages
};

} // namespace fulcrum::ui
