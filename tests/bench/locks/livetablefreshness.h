#pragma once
// What the live-table benchmarks (bench_livetable for Redis, bench_zklive for ZooKeeper) share:
// the changes a load thread made, and how long each took to show in the engine's lock table
// (a pass's result, or a live change set). Header-only: two benchmark programs use it.
#include "engine/lockservice.h"

#include <QEventLoop>
#include <QHash>
#include <QMutex>
#include <QSet>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <vector>

namespace fulcrum::bench {

inline qint64 nowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double processCpuMs()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

// Runs the event loop for up to `ms`, sleeping while nothing happens (processEvents with a
// time limit would spin).
inline void waitEvents(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

inline double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, size_t(p * double(values.size() - 1) + 0.5))];
}

inline double maximum(const std::vector<double> &values)
{
    return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

// One change the load made, and what the table must show once it has it.
struct Change
{
    enum Kind { Acquire, Extend, Release, Expire } kind;
    QByteArray key;
    QByteArray token;       // Acquire, Expire: the holder the row must show (Acquire: empty = any holder)
    qint64 sentUs = 0;
    qint64 dueUs = 0;       // Expire: when the server may expire it (the delay counts from here)
};

// The load thread sends() its changes; the main thread hooks the engine's table updates.
class Freshness
{
public:
    void sent(std::vector<Change> changes)
    {
        QMutexLocker lock(&m_mutex);
        for (Change &c : changes)
            m_sent.push_back(std::move(c));
    }

    // Counts from here on: every table update the service reports settles what it shows.
    void watch(LockService &service, QObject *context)
    {
        QObject::connect(&service, &LockService::scanFinished, context, [this](const QString &, const LockScanResult &result) {
            if (!m_measuring)
                return;
            const qint64 at = nowUs();
            ++m_updates;
            ++m_passes;
            take();
            QHash<QByteArray, const LockInfo *> byKey;
            byKey.reserve(result.locks.size());
            for (const LockInfo &lock : result.locks)
                byKey.insert(lock.key, &lock);
            const QList<QByteArray> keys = m_pending.keys();
            for (const QByteArray &key : keys)
                settle(key, byKey.value(key, nullptr), at);
        });
        QObject::connect(&service, &LockService::rowsChanged, context, [this](const QString &, const LockChanges &changes) {
            if (!m_measuring)
                return;
            const qint64 at = nowUs();
            ++m_updates;
            take();
            for (const LockInfo &lock : changes.upserted)
                settle(lock.key, &lock, at);
            for (const QByteArray &key : changes.removed)
                settle(key, nullptr, at);
        });
    }

    void setMeasuring(bool on) { m_measuring = on; }
    void take()
    {
        QMutexLocker lock(&m_mutex);
        for (Change &c : m_sent)
            m_pending[c.key].push_back(std::move(c));
        m_sent.clear();
    }
    bool allSeen() const { return m_pending.isEmpty(); }
    qint64 unseen() const
    {
        qint64 n = 0;
        for (const auto &changes : m_pending)
            n += qint64(changes.size());
        return n;
    }
    qint64 updates() const { return m_updates; }
    qint64 passes() const { return m_passes; }          // full passes among the updates
    qint64 coalesced() const { return m_coalesced; }
    // At the end: the changes of a key whose last one left it as the table shows it now
    // (`shows`: the key has a row) were coalesced too (acquired and released between reads).
    void settleAtEnd(const std::function<bool(const QByteArray &key)> &shows)
    {
        for (auto it = m_pending.begin(); it != m_pending.end();) {
            const Change &last = it->back();
            const bool held = last.kind == Change::Acquire || last.kind == Change::Extend;
            if (last.kind != Change::Expire && held == shows(it.key())) {
                m_coalesced += qint64(it->size());
                it = m_pending.erase(it);
            } else {
                ++it;
            }
        }
    }
    const std::vector<double> &delaysMs() const { return m_delaysMs; }
    const std::vector<double> &expiryMs() const { return m_expiryMs; }

private:
    // The table shows `key` as `row` (null: no such lock) at `atUs`: settle what it shows.
    void settle(const QByteArray &key, const LockInfo *row, qint64 atUs)
    {
        auto it = m_pending.find(key);
        if (it == m_pending.end())
            return;
        std::deque<Change> &changes = *it;
        while (!changes.empty()) {
            const Change &c = changes.front();
            bool shown = false;
            switch (c.kind) {
            case Change::Acquire: shown = row && (c.token.isEmpty() || row->holder == c.token); break;
            case Change::Extend: shown = row && row->ttlMs > 610'000; break;
            case Change::Release: shown = !row; break;
            case Change::Expire: shown = !row && atUs >= c.dueUs; break;
            }
            // A later change already shown settles the earlier ones too: the table went past
            // them (an acquire and release within one read show as nothing at all). They count
            // as coalesced, not as delays: no reader could have seen them.
            if (!shown) {
                bool later = false;
                for (size_t i = 1; i < changes.size() && !later; ++i) {
                    const Change &n = changes[i];
                    later = (n.kind == Change::Acquire && row && (n.token.isEmpty() || row->holder == n.token)) || ((n.kind == Change::Release) && !row);
                }
                if (!later)
                    break;
                ++m_coalesced;
                changes.pop_front();
                continue;
            }
            if (c.kind == Change::Expire)
                m_expiryMs.push_back(double(atUs - c.dueUs) / 1000.0);
            else
                m_delaysMs.push_back(double(atUs - c.sentUs) / 1000.0);
            changes.pop_front();
        }
        if (changes.empty())
            m_pending.erase(it);
    }

    QMutex m_mutex;
    std::deque<Change> m_sent;              // from the load thread, taken by the main thread
    QHash<QByteArray, std::deque<Change>> m_pending;
    std::vector<double> m_delaysMs;
    std::vector<double> m_expiryMs;
    qint64 m_updates = 0;
    qint64 m_passes = 0;
    qint64 m_coalesced = 0;
    bool m_measuring = false;
};

// One measured run: `start` the load, wait `seconds`, `stop` it, then let the last changes reach
// the table (up to 15 s polled, 2 s live; not in the CPU figures) and settle what the table shows
// at the end. Returns the server's and this process's CPU per minute of the run.
struct RunCpu
{
    double serverPerMinuteMs = 0;
    double enginePerMinuteMs = 0;
};
inline RunCpu measureRun(Freshness &freshness, LockService &service, const QByteArray &mode, int seconds, const std::function<void()> &start,
                         const std::function<void()> &stop, const std::function<double()> &serverCpuMs)
{
    const double cpuBefore = serverCpuMs();
    const double clientBefore = processCpuMs();
    freshness.setMeasuring(true);
    start();
    const qint64 runStart = nowUs();
    // Polling: a change waits for the next pass, which the engine starts by itself on its timer.
    while (nowUs() - runStart < qint64(seconds) * 1'000'000)
        waitEvents(50);
    stop();
    const RunCpu cpu{(serverCpuMs() - cpuBefore) * 60.0 / seconds, (processCpuMs() - clientBefore) * 60.0 / seconds};
    const qint64 drainStart = nowUs();
    while (mode != "none" && nowUs() - drainStart < (mode == "polling" ? 15'000'000 : 2'000'000)) {
        waitEvents(50);
        freshness.take();
        if (freshness.allSeen())
            break;
    }
    freshness.setMeasuring(false);
    if (mode != "none") {
        QSet<QByteArray> rows;
        for (const LockInfo &lock : service.views().front().lastResult.locks)
            rows.insert(lock.key);
        freshness.settleAtEnd([&](const QByteArray &key) { return rows.contains(key); });
    }
    return cpu;
}

} // namespace fulcrum::bench
