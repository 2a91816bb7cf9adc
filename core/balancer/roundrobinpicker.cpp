#include "roundrobinpicker.h"

#include <algorithm>

namespace fulcrum {

void RoundRobinPicker::init(std::span<const PickerEntry> entries)
{
    m_available.assign(entries.size(), false);
    for (size_t i = 0; i < entries.size(); ++i)
        m_available[i] = entries[i].available && entries[i].weight > 0;
    m_last = -1;
    rebuild();
}

void RoundRobinPicker::setWeight(int index, int weight)
{
    // Only weight 0 matters, and the balancer folds it into availability.
}

void RoundRobinPicker::setAvailable(int index, bool available)
{
    if (m_available[size_t(index)] == available)
        return;
    m_available[size_t(index)] = available;
    rebuild();
}

void RoundRobinPicker::rebuild()
{
    m_ring.clear();
    for (size_t i = 0; i < m_available.size(); ++i) {
        if (m_available[i])
            m_ring.push_back(int(i));
    }
    // Continue after the server picked last, not from the start: no burst to server 0.
    const auto next = std::upper_bound(m_ring.begin(), m_ring.end(), m_last);
    m_cursor = next == m_ring.end() ? 0 : size_t(next - m_ring.begin());
}

int RoundRobinPicker::pick(const PickContext &)
{
    if (m_ring.empty())
        return -1;
    if (m_cursor >= m_ring.size())
        m_cursor = 0;
    m_last = m_ring[m_cursor++];
    return m_last;
}

} // namespace fulcrum
