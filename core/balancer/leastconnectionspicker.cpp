#include "leastconnectionspicker.h"

namespace fulcrum {

void LeastConnectionsPicker::init(std::span<const PickerEntry> entries)
{
    m_servers.assign(entries.size(), Server{});
    m_groups.clear();
    m_liveGroups.clear();
    m_clock = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        m_servers[i].weight = entries[i].weight;
        m_servers[i].available = entries[i].available;
        if (entries[i].available && entries[i].weight > 0)
            join(int(i));
    }
}

int LeastConnectionsPicker::groupFor(int weight)
{
    for (size_t g = 0; g < m_groups.size(); ++g) {
        if (m_groups[g].weight == weight)
            return int(g);
    }
    m_groups.push_back(Group{weight, 0, 0, {}, -1});
    return int(m_groups.size() - 1);
}

void LeastConnectionsPicker::link(int index)
{
    Server &s = m_servers[size_t(index)];
    Group &g = m_groups[size_t(s.group)];
    if (size_t(s.active) >= g.buckets.size())
        g.buckets.resize(size_t(s.active) + 1);
    Bucket &b = g.buckets[size_t(s.active)];
    s.since = ++m_clock;
    s.prev = b.tail;
    s.next = -1;
    if (b.tail >= 0)
        m_servers[size_t(b.tail)].next = index;
    else
        b.head = index;
    b.tail = index;
    if (g.count == 0 || s.active < g.lowest)
        g.lowest = s.active;
    ++g.count;
}

void LeastConnectionsPicker::unlink(int index)
{
    Server &s = m_servers[size_t(index)];
    Group &g = m_groups[size_t(s.group)];
    Bucket &b = g.buckets[size_t(s.active)];
    if (s.prev >= 0)
        m_servers[size_t(s.prev)].next = s.next;
    else
        b.head = s.next;
    if (s.next >= 0)
        m_servers[size_t(s.next)].prev = s.prev;
    else
        b.tail = s.prev;
    s.prev = s.next = -1;
    --g.count;
    // Loads move one step at a time, so the next non-empty bucket is near.
    if (g.count > 0 && s.active == g.lowest) {
        while (g.buckets[size_t(g.lowest)].head < 0)
            ++g.lowest;
    }
}

void LeastConnectionsPicker::join(int index)
{
    Server &s = m_servers[size_t(index)];
    s.group = groupFor(s.weight);
    Group &g = m_groups[size_t(s.group)];
    if (g.livePos < 0) {
        g.livePos = int(m_liveGroups.size());
        m_liveGroups.push_back(s.group);
    }
    link(index);
}

void LeastConnectionsPicker::leave(int index)
{
    Server &s = m_servers[size_t(index)];
    unlink(index);
    Group &g = m_groups[size_t(s.group)];
    if (g.count == 0) {
        const int moved = m_liveGroups.back();
        m_liveGroups[size_t(g.livePos)] = moved;
        m_groups[size_t(moved)].livePos = g.livePos;
        m_liveGroups.pop_back();
        g.livePos = -1;
    }
    s.group = -1;
}

void LeastConnectionsPicker::setWeight(int index, int weight)
{
    Server &s = m_servers[size_t(index)];
    if (s.weight == weight)
        return;
    if (s.group >= 0)
        leave(index);
    s.weight = weight;
    if (s.available && weight > 0)
        join(index);
}

void LeastConnectionsPicker::setAvailable(int index, bool available)
{
    Server &s = m_servers[size_t(index)];
    s.available = available;
    if (available && s.group < 0 && s.weight > 0)
        join(index);
    else if (!available && s.group >= 0)
        leave(index);
}

int LeastConnectionsPicker::pick(const PickContext &)
{
    int best = -1;
    qint64 bestLoad = 0;   // (active + 1), compared as (a+1)/w by cross-multiplying
    int bestWeight = 1;
    for (int gi : m_liveGroups) {
        const Group &g = m_groups[size_t(gi)];
        const int candidate = g.buckets[size_t(g.lowest)].head;
        const qint64 load = g.lowest + 1;
        if (best >= 0) {
            const qint64 mine = load * bestWeight;
            const qint64 theirs = bestLoad * g.weight;
            if (mine > theirs || (mine == theirs && m_servers[size_t(candidate)].since > m_servers[size_t(best)].since))
                continue;
        }
        best = candidate;
        bestLoad = load;
        bestWeight = g.weight;
    }
    if (best >= 0) {
        // Picked: to the back of its bucket, so an equally loaded server goes next.
        unlink(best);
        link(best);
    }
    return best;
}

void LeastConnectionsPicker::requestStarted(int index)
{
    Server &s = m_servers[size_t(index)];
    if (s.group < 0) {
        ++s.active;
        return;
    }
    unlink(index);
    ++s.active;
    link(index);
}

void LeastConnectionsPicker::requestFinished(int index)
{
    Server &s = m_servers[size_t(index)];
    if (s.active == 0)
        return;
    if (s.group < 0) {
        --s.active;
        return;
    }
    unlink(index);
    --s.active;
    link(index);
}

} // namespace fulcrum
