#include "balancer.h"

namespace fulcrum {

Balancer::Balancer(const Pool &pool, quint64 seed)
    : m_pool(pool)
    , m_seed(seed)
{
    m_snapshot = m_pool.snapshot();
    rebuildPickers();
}

bool Balancer::takesTraffic(const PoolBackend &backend, Tier tier) const
{
    return backend.takesTraffic() && backend.spec.backup == (tier == Backup);
}

void Balancer::rebuildPickers()
{
    PickerOptions options;
    options.choices = m_snapshot->options.choices;
    options.maglevTableSize = m_snapshot->options.maglevTableSize;
    for (Tier tier : {Primary, Backup}) {
        options.seed = m_seed * 2 + quint64(tier);
        std::vector<PickerEntry> &entries = m_entries[tier];
        entries.clear();
        for (const PoolBackend &b : m_snapshot->backends)
            entries.push_back(PickerEntry{b.effectiveWeight, takesTraffic(b, tier), b.nameHash, b.live.get()});
        m_pickers[tier] = makePicker(m_snapshot->options.algorithm, options);
        m_pickers[tier]->init(entries);
    }
}

void Balancer::sync()
{
    if (m_pool.version() == m_snapshot->version)
        return;
    std::shared_ptr<const PoolSnapshot> next = m_pool.snapshot();
    const bool rebuild = next->membership != m_snapshot->membership;
    m_snapshot = std::move(next);
    if (rebuild) {
        rebuildPickers();
        return;
    }
    // Same servers in the same order: tell the pickers only what changed, so they keep
    // their state (smooth WRR's current weights, least-connections counts).
    for (Tier tier : {Primary, Backup}) {
        std::vector<PickerEntry> &entries = m_entries[tier];
        for (size_t i = 0; i < entries.size(); ++i) {
            const PoolBackend &b = m_snapshot->backends[i];
            const bool available = takesTraffic(b, tier);
            if (entries[i].weight != b.effectiveWeight) {
                entries[i].weight = b.effectiveWeight;
                m_pickers[tier]->setWeight(int(i), b.effectiveWeight);
            }
            if (entries[i].available != available) {
                entries[i].available = available;
                m_pickers[tier]->setAvailable(int(i), available);
            }
        }
    }
}

int Balancer::pickFrom(Tier tier, const PickContext &context)
{
    Picker &picker = *m_pickers[tier];
    int chosen = picker.pick(context);
    // A server at max connections sits this pick out (as nginx's max_conns): take it out,
    // pick again, and put every such server back afterwards.
    while (chosen >= 0) {
        const PoolBackend &b = m_snapshot->backends[size_t(chosen)];
        if (b.spec.maxConnections <= 0 || b.live->inFlight.load(std::memory_order_relaxed) < b.spec.maxConnections)
            break;
        m_full.push_back(chosen);
        picker.setAvailable(chosen, false);
        chosen = picker.pick(context);
    }
    for (int index : m_full)
        picker.setAvailable(index, true);
    m_full.clear();
    return chosen;
}

Pick Balancer::pick(const PickContext &context)
{
    sync();
    int chosen = pickFrom(Primary, context);
    if (chosen < 0)
        chosen = pickFrom(Backup, context);
    if (chosen < 0)
        return Pick{};
    return Pick{chosen, m_snapshot->membership, m_snapshot->backends[size_t(chosen)].live.get()};
}

void Balancer::requestStarted(const Pick &pick)
{
    if (!pick.valid())
        return;
    pick.live->inFlight.fetch_add(1, std::memory_order_relaxed);
    if (pick.membership == m_snapshot->membership)
        m_pickers[m_snapshot->backends[size_t(pick.index)].spec.backup ? Backup : Primary]->requestStarted(pick.index);
}

void Balancer::requestFinished(const Pick &pick)
{
    if (!pick.valid())
        return;
    pick.live->inFlight.fetch_sub(1, std::memory_order_relaxed);
    if (pick.membership == m_snapshot->membership)
        m_pickers[m_snapshot->backends[size_t(pick.index)].spec.backup ? Backup : Primary]->requestFinished(pick.index);
}

} // namespace fulcrum
