#pragma once

#include "common/fastrandom.h"
#include "picker.h"

#include <vector>

namespace fulcrum {

// Consistent hashing with a Maglev lookup table (Eisenbud et al., NSDI 2016; Envoy's
// weighted variant): a prime-sized table filled from each server's permutation, so a key
// (cart cookie, header or client IP) sticks to its server and only about 1/n of keys move
// when one of n servers leaves. O(1) per pick; O(table size) to rebuild on a change.
// Requests without a key are spread at random by weight over the table.
class ConsistentHashPicker final : public Picker
{
public:
    ConsistentHashPicker(quint32 tableSize, quint64 seed);

    void init(std::span<const PickerEntry> entries) override;
    void setWeight(int index, int weight) override;
    void setAvailable(int index, bool available) override;
    int pick(const PickContext &context) override;

    static bool isPrime(quint32 n);

private:
    void rebuild();

    quint32 m_tableSize;
    FastRandom m_random;
    std::vector<PickerEntry> m_entries;
    std::vector<int> m_table;
};

} // namespace fulcrum
