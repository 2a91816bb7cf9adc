#include "leastresponsetimepicker.h"

#include "backend.h"

namespace fulcrum {

namespace {
constexpr double kUnsampledPenaltyNs = 1e15; // ~11.5 days: worse than any real server
}

LeastResponseTimePicker::LeastResponseTimePicker(quint64 seed)
    : m_random(seed)
{
}

void LeastResponseTimePicker::init(std::span<const PickerEntry> entries)
{
    m_entries.assign(entries.begin(), entries.end());
    rebuild();
}

void LeastResponseTimePicker::setWeight(int index, int weight)
{
    const bool wasIn = m_entries[size_t(index)].available && m_entries[size_t(index)].weight > 0;
    m_entries[size_t(index)].weight = weight;
    if (wasIn != (m_entries[size_t(index)].available && weight > 0))
        rebuild();
}

void LeastResponseTimePicker::setAvailable(int index, bool available)
{
    if (m_entries[size_t(index)].available == available)
        return;
    m_entries[size_t(index)].available = available;
    rebuild();
}

void LeastResponseTimePicker::rebuild()
{
    m_candidates.clear();
    for (size_t i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].available && m_entries[i].weight > 0)
            m_candidates.push_back(int(i));
    }
}

double LeastResponseTimePicker::cost(int index, qint64 nowNs) const
{
    const PickerEntry &e = m_entries[size_t(index)];
    if (!e.live)
        return 0.0;
    const int inFlight = e.live->inFlight.load(std::memory_order_relaxed);
    const double ewma = e.live->currentEwmaNs(nowNs);
    if (ewma <= 0.0)
        return inFlight > 0 ? kUnsampledPenaltyNs + inFlight : 0.0;
    return ewma * double(inFlight + 1) / double(e.weight);
}

int LeastResponseTimePicker::pick(const PickContext &context)
{
    const quint32 n = quint32(m_candidates.size());
    if (n == 0)
        return -1;
    if (n == 1)
        return m_candidates.front();
    const quint32 i = m_random.below(n);
    quint32 j = m_random.below(n - 1);
    if (j >= i)
        ++j; // two distinct candidates
    const int a = m_candidates[i];
    const int b = m_candidates[j];
    return cost(b, context.nowNs) < cost(a, context.nowNs) ? b : a;
}

} // namespace fulcrum
