#pragma once

#include "common/fastrandom.h"
#include "picker.h"

#include <vector>

namespace fulcrum {

// Least response time: cost = peak EWMA of response time (10 s decay, Finagle/Linkerd)
// × (in flight + 1) / weight, between two random candidates (P2C). A server with no sample
// yet costs 0 while idle, so it is tried at once (not starved), and a large penalty while it
// has a request in flight, so it is not flooded before its first answer (Finagle's rule).
class LeastResponseTimePicker final : public Picker
{
public:
    explicit LeastResponseTimePicker(quint64 seed);

    void init(std::span<const PickerEntry> entries) override;
    void setWeight(int index, int weight) override;
    void setAvailable(int index, bool available) override;
    int pick(const PickContext &context) override;

    // Cost of a server as the picker sees it (exposed for tests and the console).
    double cost(int index, qint64 nowNs) const;

private:
    void rebuild();

    FastRandom m_random;
    std::vector<PickerEntry> m_entries;
    std::vector<int> m_candidates; // available servers
};

} // namespace fulcrum
