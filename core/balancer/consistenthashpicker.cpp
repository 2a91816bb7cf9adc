#include "consistenthashpicker.h"

#include "common/hashing.h"

#include <algorithm>

namespace fulcrum {

ConsistentHashPicker::ConsistentHashPicker(quint32 tableSize, quint64 seed)
    : m_tableSize(tableSize)
    , m_random(seed)
{
}

bool ConsistentHashPicker::isPrime(quint32 n)
{
    if (n < 2)
        return false;
    for (quint32 d = 2; quint64(d) * d <= n; ++d) {
        if (n % d == 0)
            return false;
    }
    return true;
}

void ConsistentHashPicker::init(std::span<const PickerEntry> entries)
{
    m_entries.assign(entries.begin(), entries.end());
    rebuild();
}

void ConsistentHashPicker::setWeight(int index, int weight)
{
    if (m_entries[size_t(index)].weight == weight)
        return;
    m_entries[size_t(index)].weight = weight;
    rebuild();
}

void ConsistentHashPicker::setAvailable(int index, bool available)
{
    if (m_entries[size_t(index)].available == available)
        return;
    m_entries[size_t(index)].available = available;
    rebuild();
}

void ConsistentHashPicker::rebuild()
{
    struct Build
    {
        int server;
        quint64 offset;
        quint64 skip;
        quint64 next = 0;
        quint64 weight;
        quint64 target = 0;
    };
    std::vector<Build> builds;
    quint64 maxWeight = 0;
    for (size_t i = 0; i < m_entries.size(); ++i) {
        const PickerEntry &e = m_entries[i];
        if (!e.available || e.weight <= 0)
            continue;
        // The permutation depends only on the server's identity, never on its position, so
        // removing a server does not reshuffle the others.
        const quint64 h1 = mix64(e.nameHash ^ 0x6d61676c65763031ULL);
        const quint64 h2 = mix64(e.nameHash ^ 0x736b697030303031ULL);
        builds.push_back(Build{int(i), h1 % m_tableSize, h2 % (m_tableSize - 1) + 1, 0, quint64(e.weight), 0});
        maxWeight = std::max(maxWeight, quint64(e.weight));
    }
    m_table.assign(m_tableSize, -1);
    if (builds.empty())
        return;
    quint32 filled = 0;
    for (quint64 iteration = 1; filled < m_tableSize; ++iteration) {
        for (Build &b : builds) {
            if (filled == m_tableSize)
                break;
            // A server of maximum weight takes a slot every round, one of a third of it
            // every third round (Envoy's weighted Maglev).
            if (iteration * b.weight < b.target)
                continue;
            b.target += maxWeight;
            quint64 slot = (b.offset + b.next * b.skip) % m_tableSize;
            while (m_table[slot] >= 0) {
                ++b.next;
                slot = (b.offset + b.next * b.skip) % m_tableSize;
            }
            m_table[slot] = b.server;
            ++b.next;
            ++filled;
        }
    }
}

int ConsistentHashPicker::pick(const PickContext &context)
{
    if (m_table.empty() || m_table.front() < 0)
        return -1;
    const quint64 key = context.hasKey ? context.keyHash : m_random.next();
    return m_table[size_t(key % m_tableSize)];
}

} // namespace fulcrum
