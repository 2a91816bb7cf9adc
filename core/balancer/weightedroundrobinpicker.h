#pragma once

#include "picker.h"

#include <vector>

namespace fulcrum {

// Smooth weighted round-robin with exactly nginx's sequence (ngx_http_upstream_get_peer:
// every server's current weight grows by its weight, the largest wins, earlier server on
// ties, the winner pays the total), at O(distinct weights) per pick instead of O(n).
//
// Servers of equal weight grow in lockstep, so their order only changes when one is
// picked. Each weight group keeps its servers sorted (largest current weight first, then
// lowest index) with a lazy offset (weight × step): a pick compares the front of every
// group. The winner drops by the total, which in steady state puts it behind every other
// server of its group, so it moves from front to back in O(1); after a runtime change has
// scattered the current weights it is placed by binary search instead.
// Current weights survive weight and availability changes, so a runtime reweight never
// sends a burst to one server (the nginx-upsync #28 problem, where all were reset to zero).
class WeightedRoundRobinPicker final : public Picker
{
public:
    void init(std::span<const PickerEntry> entries) override;
    void setWeight(int index, int weight) override;
    void setAvailable(int index, bool available) override;
    int pick(const PickContext &context) override;

    // nginx's current_weight of a server right now (for tests and the console's tooltip).
    qint64 currentWeight(int index) const;

private:
    struct Entry
    {
        qint64 base;   // current weight = base + weight * m_step
        int index;
    };
    struct Server
    {
        qint64 base = 0;      // as in its Entry while in a group; the current weight itself while out
        int weight = 0;
        int group = -1;       // -1 while unavailable or weight 0
        bool available = false;
    };
    // Sorted entries in [head, end): front = largest base, then smallest index.
    struct Group
    {
        int weight = 0;
        std::vector<Entry> entries;
        size_t head = 0;
        int livePos = -1;     // position in m_liveGroups while non-empty

        size_t size() const { return entries.size() - head; }
    };

    static bool before(const Entry &a, const Entry &b) { return a.base > b.base || (a.base == b.base && a.index < b.index); }
    void insertSorted(Group &group, Entry entry);
    void insert(int index);
    void erase(int index);
    int groupFor(int weight);
    void renormalise();

    std::vector<Server> m_servers;
    std::vector<Group> m_groups;
    std::vector<int> m_liveGroups;   // groups with at least one server
    qint64 m_step = 0;
    qint64 m_total = 0;              // sum of weights of the servers in groups
};

} // namespace fulcrum
