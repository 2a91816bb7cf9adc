#pragma once

#include "picker.h"

#include <vector>

namespace fulcrum {

// Weighted least-connections, HAProxy's key: (active + 1) / weight, so idle servers fill in
// weight order. Ties go round-robin (the one picked least recently first). An indexed heap
// keeps pick, start and finish at O(log n).
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
        quint64 lastPick = 0;
        int heapPos = -1;   // -1 = not in the heap (unavailable or weight 0)
        bool available = false;
    };
    // The ordering key lives in the heap itself, so sifting reads one contiguous array.
    struct Node
    {
        int active;
        int weight;
        quint64 lastPick;
        int index;
    };

    static bool before(const Node &a, const Node &b);
    Node node(int index) const;
    void settle();
    void siftUp(int pos);
    void siftDown(int pos);
    void fix(int index);
    void insert(int index);
    void erase(int index);

    std::vector<Server> m_servers;
    std::vector<Node> m_heap;
    quint64 m_pickCount = 0;
    // The server just picked: its new lastPick is re-sifted together with the
    // requestStarted() that normally follows, one heap fix instead of two.
    int m_unsettled = -1;
};

} // namespace fulcrum
