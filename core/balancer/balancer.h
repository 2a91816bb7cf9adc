#pragma once

#include "picker.h"
#include "pool.h"

#include <memory>
#include <vector>

namespace fulcrum {

// A picked server: enough to find it again when its request ends, even if the pool has
// changed in between.
struct Pick
{
    int index = -1;                 // in snapshot()->backends at the time of the pick
    quint64 membership = 0;
    BackendLive *live = nullptr;

    bool valid() const { return index >= 0; }
};

// One worker's view of a pool: its own picker (primary servers) and one for backup
// servers, kept in step with the pool's snapshots. Applies what every algorithm must
// honour in one place: only `up` servers with weight > 0 take new requests, servers at
// max connections are passed over, backups only when no primary can take the request.
// Not thread-safe: one Balancer per worker thread; many per Pool.
class Balancer
{
public:
    explicit Balancer(const Pool &pool, quint64 seed = 1);

    Pick pick(const PickContext &context);
    // Counts the request in the server's live figures and in the picker (least-connections).
    void requestStarted(const Pick &pick);
    void requestFinished(const Pick &pick);

    const PoolSnapshot &snapshot() const { return *m_snapshot; }
    // Brings this worker's pickers up to date with the pool (pick() does it by itself).
    void sync();

private:
    enum Tier { Primary, Backup };
    bool takesTraffic(const PoolBackend &backend, Tier tier) const;
    void rebuildPickers();
    int pickFrom(Tier tier, const PickContext &context);

    const Pool &m_pool;
    quint64 m_seed;
    std::shared_ptr<const PoolSnapshot> m_snapshot;
    std::unique_ptr<Picker> m_pickers[2];
    std::vector<PickerEntry> m_entries[2];
    std::vector<int> m_full;   // scratch: servers skipped for max connections during one pick
};

} // namespace fulcrum
