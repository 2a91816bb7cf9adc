#include "common/wallclock.h"

#include <QtGlobal>

#include <atomic>
#include <limits>

namespace fulcrum {

namespace {

constexpr qint64 kSystem = std::numeric_limits<qint64>::min();
// Read from every thread (proxy workers stamp events, the history thread compacts).
std::atomic<qint64> g_fixedMs{kSystem};

} // namespace

qint64 wallclock::nowMs()
{
    const qint64 fixed = g_fixedMs.load(std::memory_order_relaxed);
    return fixed == kSystem ? QDateTime::currentMSecsSinceEpoch() : fixed;
}

QDateTime wallclock::nowUtc()
{
    return QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC);
}

ScopedWallClock::ScopedWallClock(qint64 ms)
{
    Q_ASSERT(g_fixedMs.load() == kSystem);
    set(ms);
}

ScopedWallClock::~ScopedWallClock()
{
    g_fixedMs.store(kSystem);
}

void ScopedWallClock::set(qint64 ms)
{
    g_fixedMs.store(ms);
}

void ScopedWallClock::advance(qint64 ms)
{
    g_fixedMs.fetch_add(ms);
}

} // namespace fulcrum
