#pragma once

#include "picker.h"

#include <vector>

namespace fulcrum {

// Weighted least-connections, HAProxy's key: (active + 1) / weight, so idle servers fill in
// weight order. Ties go round-robin: among equally loaded servers, the one that has waited
// longest at that load goes first. O(distinct weights) per pick, O(1) per start and finish:
// servers of equal weight sit in FIFO buckets by their active count, and only the front of
// each weight group's lowest bucket can win.
//
// Counts are this worker's own requests (as nginx without a shared zone, and Envoy's
// per-worker balancers): no lock or shared cache line on the request path. With N workers
// each balancing its own share, the sum balances too.
class LeastConnectionsPicker final : public Picker
{
public:
    void init(std::span<const PickerEntry> entries) override;
    void setWeight(int index, int weight) override;
    void setAvailable(int index, bool available) override;
    int pick(const PickContext &context) override;
    void requestStarted(int index) override;
    void requestFinished(int index) override;

    int active(int index) const { return m_servers[size_t(index)].active; }

private:
    struct Server
    {
        int weight = 0;
        int active = 0;
        int group = -1;       // -1 = not taking traffic (unavailable or weight 0)
        int prev = -1;        // neighbours in its bucket
        int next = -1;
        quint64 since = 0;    // when it joined its bucket: the round-robin order among ties
        bool available = false;
    };
    struct Bucket
    {
        int head = -1;
        int tail = -1;
    };
    struct Group
    {
        int weight = 0;
        int count = 0;
        int lowest = 0;               // lowest non-empty bucket while count > 0
        std::vector<Bucket> buckets;  // by active count
        int livePos = -1;
    };

    int groupFor(int weight);
    void link(int index);     // at the back of its group's bucket for its active count
    void unlink(int index);
    void join(int index);     // into its weight group
    void leave(int index);

    std::vector<Server> m_servers;
    std::vector<Group> m_groups;
    std::vector<int> m_liveGroups;
    quint64 m_clock = 0;
};

} // namespace fulcrum
