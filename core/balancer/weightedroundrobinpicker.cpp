#include "weightedroundrobinpicker.h"

#include <algorithm>

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

int WeightedRoundRobinPicker::groupFor(int weight)
{
    for (size_t g = 0; g < m_groups.size(); ++g) {
        if (m_groups[g].weight == weight)
            return int(g);
    }
    m_groups.push_back(Group{weight, {}, 0, -1});
    return int(m_groups.size() - 1);
}

void WeightedRoundRobinPicker::insertSorted(Group &group, Entry entry)
{
    // Compact now and then, so popping the front stays O(1) amortised.
    if (group.head > 64 && group.head * 2 > group.entries.size()) {
        group.entries.erase(group.entries.begin(), group.entries.begin() + qsizetype(group.head));
        group.head = 0;
    }
    if (group.size() == 0 || before(group.entries.back(), entry)) {
        group.entries.push_back(entry);
        return;
    }
    const auto at = std::upper_bound(group.entries.begin() + qsizetype(group.head), group.entries.end(), entry, before);
    group.entries.insert(at, entry);
}

void WeightedRoundRobinPicker::insert(int index)
{
    Server &s = m_servers[size_t(index)];
    const int g = groupFor(s.weight);
    Group &group = m_groups[size_t(g)];
    s.group = g;
    s.base -= qint64(s.weight) * m_step; // from current weight to base
    insertSorted(group, Entry{s.base, index});
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
    const Entry key{s.base, index};
    const auto at = std::lower_bound(group.entries.begin() + qsizetype(group.head), group.entries.end(), key, before);
    Q_ASSERT(at != group.entries.end() && at->index == index);
    if (at == group.entries.begin() + qsizetype(group.head))
        ++group.head;
    else
        group.entries.erase(at);
    if (group.size() == 0) {
        group.entries.clear();
        group.head = 0;
        const int moved = m_liveGroups.back();
        m_liveGroups[size_t(group.livePos)] = moved;
        m_groups[size_t(moved)].livePos = group.livePos;
        m_liveGroups.pop_back();
        group.livePos = -1;
    }
    s.base += qint64(s.weight) * m_step; // keep its current weight while out
    s.group = -1;
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
    for (Group &group : m_groups) {
        const qint64 offset = qint64(group.weight) * m_step;
        for (size_t i = group.head; i < group.entries.size(); ++i) {
            group.entries[i].base += offset;
            m_servers[size_t(group.entries[i].index)].base += offset;
        }
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
    Group *bestGroup = nullptr;
    int best = -1;
    qint64 bestWeight = 0;
    for (int g : m_liveGroups) {
        Group &group = m_groups[size_t(g)];
        const Entry &front = group.entries[group.head];
        const qint64 current = front.base + qint64(group.weight) * m_step;
        if (best < 0 || current > bestWeight || (current == bestWeight && front.index < best)) {
            best = front.index;
            bestWeight = current;
            bestGroup = &group;
        }
    }
    Entry winner = bestGroup->entries[bestGroup->head++];
    winner.base -= m_total;
    m_servers[size_t(best)].base = winner.base;
    insertSorted(*bestGroup, winner);
    return best;
}

} // namespace fulcrum
