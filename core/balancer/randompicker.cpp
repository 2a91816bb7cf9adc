#include "randompicker.h"

#include "backend.h"

namespace fulcrum {

RandomPicker::RandomPicker(quint64 seed, int choices)
    : m_random(seed)
    , m_choices(choices < 2 ? 1 : 2)
{
}

void RandomPicker::init(std::span<const PickerEntry> entries)
{
    m_entries.assign(entries.begin(), entries.end());
    rebuild();
}

void RandomPicker::setWeight(int index, int weight)
{
    if (m_entries[size_t(index)].weight == weight)
        return;
    m_entries[size_t(index)].weight = weight;
    rebuild();
}

void RandomPicker::setAvailable(int index, bool available)
{
    if (m_entries[size_t(index)].available == available)
        return;
    m_entries[size_t(index)].available = available;
    rebuild();
}

void RandomPicker::rebuild()
{
    m_slotServer.clear();
    qint64 total = 0;
    for (size_t i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].available && m_entries[i].weight > 0) {
            m_slotServer.push_back(int(i));
            total += m_entries[i].weight;
        }
    }
    const size_t n = m_slotServer.size();
    m_alias.assign(n, 0);
    m_threshold.assign(n, 1.0);
    if (n == 0)
        return;
    std::vector<double> scaled(n);
    std::vector<int> small, large;
    for (size_t s = 0; s < n; ++s) {
        scaled[s] = double(m_entries[size_t(m_slotServer[s])].weight) * double(n) / double(total);
        (scaled[s] < 1.0 ? small : large).push_back(int(s));
    }
    while (!small.empty() && !large.empty()) {
        const int l = small.back();
        small.pop_back();
        const int g = large.back();
        m_threshold[size_t(l)] = scaled[size_t(l)];
        m_alias[size_t(l)] = m_slotServer[size_t(g)];
        scaled[size_t(g)] = (scaled[size_t(g)] + scaled[size_t(l)]) - 1.0;
        if (scaled[size_t(g)] < 1.0) {
            large.pop_back();
            small.push_back(g);
        }
    }
    // Whatever is left is 1 up to rounding: keeps its own server.
    for (int s : large)
        m_threshold[size_t(s)] = 1.0;
    for (int s : small)
        m_threshold[size_t(s)] = 1.0;
}

int RandomPicker::draw()
{
    const quint32 slot = m_random.below(quint32(m_slotServer.size()));
    return m_random.unit() < m_threshold[slot] ? m_slotServer[slot] : m_alias[slot];
}

int RandomPicker::pick(const PickContext &)
{
    if (m_slotServer.empty())
        return -1;
    const int first = draw();
    if (m_choices < 2 || m_slotServer.size() < 2)
        return first;
    int second = draw();
    // One more draw when both land on the same server, as nginx's "random two" does.
    if (second == first)
        second = draw();
    const BackendLive *a = m_entries[size_t(first)].live;
    const BackendLive *b = m_entries[size_t(second)].live;
    if (!a || !b)
        return first;
    // Fewer in flight per unit of weight wins; the first draw on ties.
    const qint64 loadA = qint64(a->inFlight.load(std::memory_order_relaxed)) * m_entries[size_t(second)].weight;
    const qint64 loadB = qint64(b->inFlight.load(std::memory_order_relaxed)) * m_entries[size_t(first)].weight;
    return loadB < loadA ? second : first;
}

} // namespace fulcrum
