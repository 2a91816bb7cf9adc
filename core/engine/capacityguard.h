#pragma once

#include "engine/enginelink.h"

#include <QList>
#include <QString>

#include <optional>

namespace fulcrum {

// One change an operator is about to make: a weight, a state, or both.
struct ServerChange
{
    QString pool;
    QString server;
    std::optional<int> weight;
    std::optional<BackendState> state;
};

// What a set of changes would do to one pool's ability to serve.
struct PoolImpact
{
    QString pool;
    int servers = 0;              // in the pool
    int servingBefore = 0;        // primaries taking new requests now
    int servingAfter = 0;         // ... after the changes
    bool backupsAfter = false;    // after: no primary, but a backup up (it serves alone)
    qint64 capacityBefore = 0;    // sum of the weights of the servers taking traffic now
    qint64 capacityAfter = 0;

    // No server, primary or backup, would take a request: every request gets a 503.
    bool cannotServe() const { return servingAfter == 0 && !backupsAfter; }
    // The share of today's capacity left (1 when the pool has none today).
    double capacityShare() const { return capacityBefore > 0 ? double(capacityAfter) / double(capacityBefore) : 1.0; }
    // For a person, in the pool's words: "checkout will answer 503 to every request: ...".
    QString describe() const;
};

// The pools these changes would leave unable to serve, or with less than minShare (0..1) of the
// capacity they have now; empty when nothing needs asking. A pool that cannot serve already
// is not asked about again (the change does not make it worse), nor is a change that adds
// capacity. The same rule for the console (any view, several servers at once) and fulcrumctl.
QList<PoolImpact> capacityRisks(const QList<ServerStatus> &servers, const QList<ServerChange> &changes, double minShare);

// The default share below which an action asks first (Settings, fulcrumctl --min-capacity).
constexpr double kDefaultMinCapacityShare = 0.5;

} // namespace fulcrum
