#pragma once

#include <QDateTime>

namespace fulcrum {

// The one wall clock: everything that judges age (retention, "held for", report windows,
// event and audit times) asks it for "now". Production reads the system clock; a test sets
// a fixed time with ScopedWallClock and builds its fixtures relative to it, so that no test
// depends on the day it runs. Intervals and timeouts use QElapsedTimer/steady time instead.
namespace wallclock {
qint64 nowMs();
QDateTime nowUtc();
} // namespace wallclock

// For tests: while alive, the wall clock of this process reads the time it was given (moved
// on only by set()/advance()); the system clock again after it is destroyed. One at a time.
class ScopedWallClock
{
public:
    explicit ScopedWallClock(qint64 ms);
    ~ScopedWallClock();
    ScopedWallClock(const ScopedWallClock &) = delete;
    ScopedWallClock &operator=(const ScopedWallClock &) = delete;

    void set(qint64 ms);
    void advance(qint64 ms);
};

} // namespace fulcrum
