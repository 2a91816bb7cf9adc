#pragma once

#include "history/historystore.h"

#include <QString>

#include <vector>

namespace fulcrum::test {

// A history with known content: one hour (kFromMs .. kToMs) of 1 s samples for pool "web":
// app1 (weight 3) always up, 30 req/s, mean 10 ms; app2 (weight 1, 2 from +3000 s) 10 req/s,
// 1 error/s, mean 20 ms, down for 300 s at +600 s (L4CON) and 100 s at +2000 s (L7STS 503);
// panic +610..+640 s; locks lock:orders (held 120 s), lock:cron (no expiry), lock:quick (fine);
// a force-release, a set-weight, an action with a formula-like target, one action after the window.
struct KnownHistory
{
    static constexpr qint64 kFromMs = 1'795'478'400'000;   // 2026-11-24T00:00:00Z
    static constexpr qint64 kToMs = kFromMs + 3'600'000;
    static const QString kFormulaTarget;

    // Writes it in batches of 60 s; reopens the store (a restart) at +1800 s when asked.
    static bool write(HistoryStore &store, const QString &path, bool restartHalfway, QString *error);

    // Engine runs as HistoryRecorder writes them, for pool "web" with app1 and app2, both up
    // all the time, 10 req/s each: one row per tick at the tick's time (not a whole second),
    // 1 s long, every fifth one 1.5 s (a late tick). Nothing is recorded between runs.
    struct Run
    {
        qint64 startMs;
        int ticks;
        // Where the run's last row ends.
        qint64 endMs() const { return startMs + qint64(ticks) * 1000 + qint64(ticks / 5) * 500; }
    };
    static bool writeRuns(HistoryStore &store, const QString &path, const std::vector<Run> &runs, QString *error);
};

} // namespace fulcrum::test
