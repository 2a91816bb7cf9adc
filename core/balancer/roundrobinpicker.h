#pragma once

#include "picker.h"

#include <vector>

namespace fulcrum {

// Plain round-robin over available servers; weights only matter as 0 (no traffic). O(1).
class RoundRobinPicker final : public Picker
{
public:
    void init(std::span<const PickerEntry> entries) override;
    void setWeight(int index, int weight) override;
    void setAvailable(int index, bool available) override;
    int pick(const PickContext &context) override;

private:
    void rebuild();

    std::vector<bool> m_available;
    std::vector<int> m_ring;   // available indices in server order
    size_t m_cursor = 0;
    int m_last = -1;           // keeps the rotation going after the ring changes
};

} // namespace fulcrum
