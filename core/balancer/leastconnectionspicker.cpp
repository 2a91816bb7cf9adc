#include "leastconnectionspicker.h"

namespace fulcrum {

void LeastConnectionsPicker::init(std::span<const PickerEntry> entries)
{
    m_servers.assign(entries.size(), Server{});
    m_heap.clear();
    m_unsettled = -1;
    for (size_t i = 0; i < entries.size(); ++i) {
        m_servers[i].weight = entries[i].weight;
        m_servers[i].available = entries[i].available;
        if (entries[i].available && entries[i].weight > 0)
            insert(int(i));
    }
}

bool LeastConnectionsPicker::before(const Node &a, const Node &b)
{
    // (active_a + 1) / w_a < (active_b + 1) / w_b, without division
    const qint64 la = qint64(a.active + 1) * b.weight;
    const qint64 lb = qint64(b.active + 1) * a.weight;
    if (la != lb)
        return la < lb;
    if (a.lastPick != b.lastPick)
        return a.lastPick < b.lastPick;
    return a.index < b.index;
}

LeastConnectionsPicker::Node LeastConnectionsPicker::node(int index) const
{
    const Server &s = m_servers[size_t(index)];
    return Node{s.active, s.weight, s.lastPick, index};
}

void LeastConnectionsPicker::siftUp(int pos)
{
    const Node item = m_heap[size_t(pos)];
    while (pos > 0) {
        const int parent = (pos - 1) / 2;
        if (!before(item, m_heap[size_t(parent)]))
            break;
        m_heap[size_t(pos)] = m_heap[size_t(parent)];
        m_servers[size_t(m_heap[size_t(pos)].index)].heapPos = pos;
        pos = parent;
    }
    m_heap[size_t(pos)] = item;
    m_servers[size_t(item.index)].heapPos = pos;
}

void LeastConnectionsPicker::siftDown(int pos)
{
    const int size = int(m_heap.size());
    const Node item = m_heap[size_t(pos)];
    while (true) {
        int child = 2 * pos + 1;
        if (child >= size)
            break;
        if (child + 1 < size && before(m_heap[size_t(child + 1)], m_heap[size_t(child)]))
            ++child;
        if (!before(m_heap[size_t(child)], item))
            break;
        m_heap[size_t(pos)] = m_heap[size_t(child)];
        m_servers[size_t(m_heap[size_t(pos)].index)].heapPos = pos;
        pos = child;
    }
    m_heap[size_t(pos)] = item;
    m_servers[size_t(item.index)].heapPos = pos;
}

void LeastConnectionsPicker::fix(int index)
{
    const int pos = m_servers[size_t(index)].heapPos;
    if (pos < 0)
        return;
    m_heap[size_t(pos)] = node(index);
    siftUp(pos);
    siftDown(m_servers[size_t(index)].heapPos);
}

void LeastConnectionsPicker::settle()
{
    if (m_unsettled < 0)
        return;
    const int index = m_unsettled;
    m_unsettled = -1;
    fix(index);
}

void LeastConnectionsPicker::insert(int index)
{
    m_heap.push_back(node(index));
    siftUp(int(m_heap.size() - 1));
}

void LeastConnectionsPicker::erase(int index)
{
    Server &s = m_servers[size_t(index)];
    const int pos = s.heapPos;
    const Node last = m_heap.back();
    m_heap.pop_back();
    s.heapPos = -1;
    if (last.index != index) {
        m_heap[size_t(pos)] = last;
        m_servers[size_t(last.index)].heapPos = pos;
        fix(last.index);
    }
}

void LeastConnectionsPicker::setWeight(int index, int weight)
{
    settle();
    Server &s = m_servers[size_t(index)];
    if (s.weight == weight)
        return;
    s.weight = weight;
    const bool wanted = s.available && weight > 0;
    if (s.heapPos >= 0 && !wanted)
        erase(index);
    else if (s.heapPos < 0 && wanted)
        insert(index);
    else
        fix(index);
}

void LeastConnectionsPicker::setAvailable(int index, bool available)
{
    settle();
    Server &s = m_servers[size_t(index)];
    s.available = available;
    const bool wanted = available && s.weight > 0;
    if (s.heapPos >= 0 && !wanted)
        erase(index);
    else if (s.heapPos < 0 && wanted)
        insert(index);
}

int LeastConnectionsPicker::pick(const PickContext &)
{
    settle();
    if (m_heap.empty())
        return -1;
    const int chosen = m_heap.front().index;
    m_servers[size_t(chosen)].lastPick = ++m_pickCount;
    m_unsettled = chosen;
    return chosen;
}

void LeastConnectionsPicker::requestStarted(int index)
{
    if (m_unsettled != index)
        settle();
    m_unsettled = -1;
    ++m_servers[size_t(index)].active;
    fix(index);
}

void LeastConnectionsPicker::requestFinished(int index)
{
    settle();
    Server &s = m_servers[size_t(index)];
    if (s.active > 0)
        --s.active;
    fix(index);
}

} // namespace fulcrum
