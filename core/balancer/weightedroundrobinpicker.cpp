#include "weightedroundrobinpicker.h"

#include <utility>

namespace fulcrum {

namespace {
// Fold the lazy offsets into the bases long before base + weight * step could overflow.
constexpr qint64 kRenormaliseAtStep = qint64(1) << 40;
}

void WeightedRoundRobinPicker::init(std::span<const PickerEntry> entries)
{
    m_servers.assign(entries.size(), Server{});
    m_groups.clear();
    m_liveGroups.clear();
    m_step = 0;
    m_total = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        m_servers[i].weight = entries[i].weight;
        m_servers[i].available = entries[i].available;
        if (entries[i].available && entries[i].weight > 0)
            insert(int(i));
    }
}

qint64 WeightedRoundRobinPicker::currentWeight(int index) const
{
    const Server &s = m_servers[size_t(index)];
    return s.group < 0 ? s.base : s.base + qint64(s.weight) * m_step;
}

bool WeightedRoundRobinPicker::above(int a, int b) const
{
    const qint64 ba = m_servers[size_t(a)].base;
    const qint64 bb = m_servers[size_t(b)].base;
    return ba > bb || (ba == bb && a < b);
}

void WeightedRoundRobinPicker::siftUp(Group &group, int pos)
{
    std::vector<int> &heap = group.heap;
    const int item = heap[size_t(pos)];
    while (pos > 0) {
        const int parent = (pos - 1) / 2;
        if (!above(item, heap[size_t(parent)]))
            break;
        heap[size_t(pos)] = heap[size_t(parent)];
        m_servers[size_t(heap[size_t(pos)])].heapPos = pos;
        pos = parent;
    }
    heap[size_t(pos)] = item;
    m_servers[size_t(item)].heapPos = pos;
}

void WeightedRoundRobinPicker::siftDown(Group &group, int pos)
{
    std::vector<int> &heap = group.heap;
    const int size = int(heap.size());
    const int item = heap[size_t(pos)];
    while (true) {
        int child = 2 * pos + 1;
        if (child >= size)
            break;
        if (child + 1 < size && above(heap[size_t(child + 1)], heap[size_t(child)]))
            ++child;
        if (!above(heap[size_t(child)], item))
            break;
        heap[size_t(pos)] = heap[size_t(child)];
        m_servers[size_t(heap[size_t(pos)])].heapPos = pos;
        pos = child;
    }
    heap[size_t(pos)] = item;
    m_servers[size_t(item)].heapPos = pos;
}

int WeightedRoundRobinPicker::groupFor(int weight)
{
    for (size_t g = 0; g < m_groups.size(); ++g) {
        if (m_groups[g].weight == weight)
            return int(g);
    }
    m_groups.push_back(Group{weight, {}, -1});
    return int(m_groups.size() - 1);
}

void WeightedRoundRobinPicker::insert(int index)
{
    Server &s = m_servers[size_t(index)];
    const qint64 current = s.base; // while out of a heap, base is the current weight itself
    const int g = groupFor(s.weight);
    Group &group = m_groups[size_t(g)];
    s.group = g;
    s.base = current - qint64(s.weight) * m_step;
    group.heap.push_back(index);
    siftUp(group, int(group.heap.size() - 1));
    if (group.livePos < 0) {
        group.livePos = int(m_liveGroups.size());
        m_liveGroups.push_back(g);
    }
    m_total += s.weight;
}

void WeightedRoundRobinPicker::erase(int index)
{
    Server &s = m_servers[size_t(index)];
    Group &group = m_groups[size_t(s.group)];
    const int pos = s.heapPos;
    const int last = group.heap.back();
    group.heap.pop_back();
    if (last != index) {
        group.heap[size_t(pos)] = last;
        m_servers[size_t(last)].heapPos = pos;
        siftUp(group, pos);
        siftDown(group, m_servers[size_t(last)].heapPos);
    }
    if (group.heap.empty()) {
        const int moved = m_liveGroups.back();
        m_liveGroups[size_t(group.livePos)] = moved;
        m_groups[size_t(moved)].livePos = group.livePos;
        m_liveGroups.pop_back();
        group.livePos = -1;
    }
    s.base = s.base + qint64(s.weight) * m_step; // keep its current weight while out
    s.group = -1;
    s.heapPos = -1;
    m_total -= s.weight;
}

void WeightedRoundRobinPicker::setWeight(int index, int weight)
{
    Server &s = m_servers[size_t(index)];
    if (s.weight == weight)
        return;
    if (s.group >= 0)
        erase(index);
    s.weight = weight;
    if (s.available && weight > 0)
        insert(index);
}

void WeightedRoundRobinPicker::setAvailable(int index, bool available)
{
    Server &s = m_servers[size_t(index)];
    s.available = available;
    if (available && s.group < 0 && s.weight > 0)
        insert(index);
    else if (!available && s.group >= 0)
        erase(index);
}

void WeightedRoundRobinPicker::renormalise()
{
    for (Server &s : m_servers) {
        if (s.group >= 0)
            s.base += qint64(s.weight) * m_step;
    }
    m_step = 0;
}

int WeightedRoundRobinPicker::pick(const PickContext &)
{
    if (m_liveGroups.empty())
        return -1;
    if (m_step >= kRenormaliseAtStep)
        renormalise();
    ++m_step;
    int best = -1;
    qint64 bestWeight = 0;
    for (int g : m_liveGroups) {
        const Group &group = m_groups[size_t(g)];
        const int top = group.heap.front();
        const qint64 current = m_servers[size_t(top)].base + qint64(group.weight) * m_step;
        if (best < 0 || current > bestWeight || (current == bestWeight && top < best)) {
            best = top;
            bestWeight = current;
        }
    }
    Server &winner = m_servers[size_t(best)];
    winner.base -= m_total;
    siftDown(m_groups[size_t(winner.group)], winner.heapPos);
    return best;
}

} // namespace fulcrum
