#pragma once

#include "common/fastrandom.h"
#include "picker.h"

#include <vector>

namespace fulcrum {

// Weighted random in O(1) per pick (Vose's alias table, rebuilt in O(n) when a weight or
// availability changes). With choices = 2, power of two choices: draw two servers by
// weight and take the one with fewer requests in flight (across all workers).
class RandomPicker final : public Picker
{
public:
    RandomPicker(quint64 seed, int choices);

    void init(std::span<const PickerEntry> entries) override;
    void setWeight(int index, int weight) override;
    void setAvailable(int index, bool available) override;
    int pick(const PickContext &context) override;

private:
    int draw();
    void rebuild();

    FastRandom m_random;
    int m_choices = 1;
    std::vector<PickerEntry> m_entries;
    std::vector<int> m_alias;        // per slot: the other server
    std::vector<double> m_threshold; // per slot: probability of keeping the slot's own server
    std::vector<int> m_slotServer;   // per slot: its server
};

} // namespace fulcrum
