#include "pool.h"

#include "common/hashing.h"

#include <algorithm>
#include <utility>

namespace fulcrum {

bool PoolSnapshot::canServe() const
{
    return std::any_of(backends.cbegin(), backends.cend(), [](const PoolBackend &b) { return b.takesTraffic(); });
}

int PoolSnapshot::indexOf(QStringView serverName) const
{
    for (size_t i = 0; i < backends.size(); ++i) {
        if (backends[i].spec.name == serverName)
            return int(i);
    }
    return -1;
}

static PoolBackend makeBackend(BackendSpec spec, std::shared_ptr<BackendLive> live)
{
    PoolBackend b;
    b.nameHash = stableHash(spec.name.toUtf8());
    b.effectiveWeight = spec.weight;
    b.spec = std::move(spec);
    b.live = live ? std::move(live) : std::make_shared<BackendLive>();
    return b;
}

Pool::Pool(QString name, PoolOptions options, std::vector<BackendSpec> backends)
{
    auto first = std::make_shared<PoolSnapshot>();
    first->name = std::move(name);
    first->options = options;
    first->membership = 1;
    for (BackendSpec &spec : backends)
        first->backends.push_back(makeBackend(std::move(spec), nullptr));
    publish(std::move(first));
}

QString Pool::name() const
{
    return snapshot()->name;
}

std::shared_ptr<const PoolSnapshot> Pool::snapshot() const
{
    std::lock_guard lock(m_pointerMutex);
    return m_snapshot;
}

void Pool::publish(std::shared_ptr<PoolSnapshot> next)
{
    static std::atomic<quint64> s_snapshotIds{0};
    next->version = m_version.load(std::memory_order_relaxed) + 1;
    next->id = s_snapshotIds.fetch_add(1, std::memory_order_relaxed) + 1;
    const quint64 version = next->version;
    std::shared_ptr<const PoolSnapshot> previous;
    {
        std::lock_guard lock(m_pointerMutex);
        previous = std::exchange(m_snapshot, std::move(next));
    }
    m_version.store(version, std::memory_order_release);
    // `previous` is released here, outside the lock: freeing a large snapshot never holds up a reader.
}

template<typename Change>
bool Pool::change(const QString &server, QString *error, Change &&apply)
{
    std::lock_guard lock(m_writeMutex);
    auto next = std::make_shared<PoolSnapshot>(*snapshot());
    const int index = next->indexOf(server);
    if (index < 0) {
        if (error) {
            QStringList names;
            for (const PoolBackend &b : next->backends)
                names << b.spec.name;
            *error = QStringLiteral("pool \"%1\" has no server \"%2\"; its servers are: %3")
                         .arg(next->name, server, names.join(QStringLiteral(", ")));
        }
        return false;
    }
    if (!apply(next->backends[size_t(index)], error))
        return false;
    publish(std::move(next));
    return true;
}

bool Pool::setWeight(const QString &server, int weight, QString *error)
{
    if (weight < 0 || weight > kMaxWeight) {
        if (error)
            *error = QStringLiteral("weight %1 for server \"%2\" must be 0..%3").arg(weight).arg(server).arg(kMaxWeight);
        return false;
    }
    return change(server, error, [weight](PoolBackend &b, QString *) {
        // The effective weight follows, unless a slow start is ramping below it.
        if (b.effectiveWeight == b.spec.weight || b.effectiveWeight > weight)
            b.effectiveWeight = weight;
        b.spec.weight = weight;
        return true;
    });
}

bool Pool::setState(const QString &server, BackendState state, QString *error)
{
    return change(server, error, [state](PoolBackend &b, QString *) {
        b.spec.state = state;
        return true;
    });
}

bool Pool::setEffectiveWeight(const QString &server, int effectiveWeight, QString *error)
{
    return change(server, error, [effectiveWeight](PoolBackend &b, QString *err) {
        if (effectiveWeight < 0 || effectiveWeight > b.spec.weight) {
            if (err)
                *err = QStringLiteral("effective weight %1 for server \"%2\" must be 0..%3 (its set weight)")
                           .arg(effectiveWeight).arg(b.spec.name).arg(b.spec.weight);
            return false;
        }
        b.effectiveWeight = effectiveWeight;
        return true;
    });
}

int Pool::applyUpdates(const std::vector<BackendUpdate> &updates)
{
    if (updates.empty())
        return 0;
    std::lock_guard lock(m_writeMutex);
    auto next = std::make_shared<PoolSnapshot>(*snapshot());
    int applied = 0;
    for (const BackendUpdate &update : updates) {
        int index = update.index;
        if (index < 0 || size_t(index) >= next->backends.size() || next->backends[size_t(index)].spec.name != update.server)
            index = next->indexOf(update.server);
        if (index < 0)
            continue;
        PoolBackend &b = next->backends[size_t(index)];
        if (update.state)
            b.spec.state = *update.state;
        if (update.effectiveWeight)
            b.effectiveWeight = std::clamp(*update.effectiveWeight, 0, b.spec.weight);
        ++applied;
    }
    if (applied > 0)
        publish(std::move(next));
    return applied;
}

void Pool::replace(PoolOptions options, std::vector<BackendSpec> backends)
{
    std::lock_guard lock(m_writeMutex);
    const std::shared_ptr<const PoolSnapshot> current = snapshot();
    auto next = std::make_shared<PoolSnapshot>();
    next->name = current->name;
    next->options = options;
    bool sameMembers = options.picksLike(current->options) && backends.size() == current->backends.size();
    for (size_t i = 0; i < backends.size(); ++i) {
        const int old = current->indexOf(backends[i].name);
        if (old != int(i))
            sameMembers = false;
        next->backends.push_back(makeBackend(std::move(backends[i]), old >= 0 ? current->backends[size_t(old)].live : nullptr));
    }
    next->membership = sameMembers ? current->membership : current->membership + 1;
    publish(std::move(next));
}

} // namespace fulcrum
