#pragma once

#include "picker.h"

#include <vector>

namespace fulcrum {

// Smooth weighted round-robin with exactly nginx's sequence (ngx_http_upstream_get_peer:
// every server's current weight grows by its weight, the largest wins, earlier server on
// ties, the winner pays the total), at O(log n + distinct weights) per pick instead of O(n).
//
// Servers with the same weight grow in lockstep, so their order only changes when one is
// picked: each weight group keeps one max-heap and a lazy offset (weight × step). A pick
// compares the top of every group and sifts one heap. Current weights survive weight and
// availability changes, so a runtime reweight never sends a burst to one server (the
// nginx-upsync #28 problem, where every current weight was reset to zero).
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
    struct Server
    {
        qint64 base = 0;      // current weight = base + weight * m_step while in a heap
        int weight = 0;
        int group = -1;       // heap it is in; -1 while unavailable (base then holds the current weight)
        int heapPos = -1;
        bool available = false; // as the balancer says; in a heap iff available and weight > 0
    };
    struct Group
    {
        int weight = 0;
        std::vector<int> heap;   // server indices; top = largest base, then smallest index
        int livePos = -1;        // position in m_liveGroups while non-empty
    };

    bool above(int a, int b) const; // a belongs above b in its group's heap
    void siftUp(Group &group, int pos);
    void siftDown(Group &group, int pos);
    void insert(int index);
    void erase(int index);
    int groupFor(int weight);
    void renormalise();

    std::vector<Server> m_servers;
    std::vector<Group> m_groups;
    std::vector<int> m_liveGroups;   // groups with a non-empty heap
    qint64 m_step = 0;
    qint64 m_total = 0;              // sum of weights of available servers
};

} // namespace fulcrum
