// How fresh the engine's lock table is, and what it costs Redis: a load thread makes lock
// changes at a fixed rate on a running Redis (acquire, extend, release, and short locks left to
// expire), and the engine's LockService watches the same Redis as fulcrumd does, polled
// (notifications: off) or live (keyspace notifications). For each change: the delay from the
// moment it was sent to the first table update that shows it (a pass, or a live change set).
// Around the run: redis-server's CPU time (INFO cpu). Mode "none" runs the load alone: the
// server's CPU for the load itself, to subtract.
// Usage: bench_livetable PORT MODE(none|polling|live) SECONDS [RATE]   (RATE changes per second, default 1000)
#include "config/config.h"
#include "engine/lockservice.h"
#include "locks/redis/redisconnection.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QHash>
#include <QMutex>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>
#include <vector>

using namespace fulcrum;

namespace {

qint64 nowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double processCpuMs()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

// One change the load made, and what the table must show once it has it.
struct Change
{
    enum Kind { Acquire, Extend, Release, Expire } kind;
    QByteArray key;
    QByteArray token;
    qint64 sentUs = 0;
    qint64 dueUs = 0;       // Expire: when Redis may expire it (the delay counts from here)
};

QMutex g_mutex;
std::deque<Change> g_sent;  // from the load thread, taken by the main thread

// The load: lock:load:0..N-1, each free, held or expiring, as this side believes it. Every tick
// (5 ms) it makes its share of the rate: 35 % acquire (10 min TTL, so none runs out during the
// run unseen by this side), 25 % extend (to 15 min), 30 % release, 10 % a short lock left to
// expire (100-300 ms), the mix of a checkout's locks.
class Load : public QObject
{
public:
    Load(quint16 port, int rate) : m_rate(rate)
    {
        RedisConnectionOptions o;
        o.port = port;
        m_connection = new RedisConnection(o, this);
        m_timer = new QTimer(this);
        m_timer->setInterval(5);
        connect(m_timer, &QTimer::timeout, this, [this] { tick(); });
        m_connection->open();
        m_state.resize(kKeys, Free);
        m_freeAgainUs.resize(kKeys, 0);
    }
    void start() { m_started = nowUs(); m_timer->start(); }
    void stop() { m_timer->stop(); }
    qint64 made() const { return m_made; }

private:
    enum State { Free, Held, Expiring };
    static constexpr int kKeys = 5000;

    void tick()
    {
        if (!m_connection->isConnected())
            return;
        const qint64 now = nowUs();
        const qint64 due = (now - m_started) * m_rate / 1'000'000;
        QList<QList<QByteArray>> commands;
        std::vector<Change> changes;
        while (m_made < due) {
            ++m_made;
            const int roll = int(m_random.bounded(100));
            const int key = int(m_random.bounded(kKeys));
            if (m_state[key] == Expiring && now > m_freeAgainUs[key])
                m_state[key] = Free;
            const QByteArray name = "lock:load:" + QByteArray::number(key);
            const QByteArray token = "load-" + QByteArray::number(m_made);
            if (m_state[key] == Free && roll < 35) {
                commands.append({"SET", name, token, "NX", "PX", "600000"});
                changes.push_back({Change::Acquire, name, token, now, 0});
                m_state[key] = Held;
            } else if (m_state[key] == Held && roll < 60) {
                commands.append({"PEXPIRE", name, "900000"});
                changes.push_back({Change::Extend, name, {}, now, 0});
            } else if (m_state[key] == Held && roll < 90) {
                commands.append({"DEL", name});
                changes.push_back({Change::Release, name, {}, now, 0});
                m_state[key] = Free;
            } else if (m_state[key] == Free) {
                const int ttl = 100 + int(m_random.bounded(200));
                commands.append({"SET", name, token, "NX", "PX", QByteArray::number(ttl)});
                changes.push_back({Change::Expire, name, token, now, now + ttl * 1000});
                m_state[key] = Expiring;
                m_freeAgainUs[key] = now + (ttl + 2000) * 1000;
            } else {
                --m_made; // nothing fits this key now: roll again
                break;
            }
        }
        if (commands.isEmpty())
            return;
        {
            QMutexLocker lock(&g_mutex);
            for (Change &c : changes)
                g_sent.push_back(std::move(c));
        }
        m_connection->pipeline(commands, [](const QList<RedisReply> &) {});
        m_connection->flush();
    }

    RedisConnection *m_connection = nullptr;
    QTimer *m_timer = nullptr;
    int m_rate;
    qint64 m_started = 0;
    qint64 m_made = 0;
    std::vector<State> m_state;
    std::vector<qint64> m_freeAgainUs;
    QRandomGenerator m_random{7};
};

// Runs the event loop for up to `ms`, sleeping while nothing happens (processEvents with a
// time limit would spin).
void waitEvents(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

double serverCpuMs(RedisConnection &info)
{
    std::optional<RedisReply> reply;
    info.command({"INFO", "cpu"}, [&](const RedisReply &r) { reply = r; });
    while (!reply)
        waitEvents(50);
    double cpu = 0;
    for (QByteArray line : reply->string.split('\n')) {
        line = line.trimmed();
        for (const char *field : {"used_cpu_user:", "used_cpu_sys:"}) {
            if (line.startsWith(field))
                cpu += line.mid(qsizetype(qstrlen(field))).toDouble() * 1000.0;
        }
    }
    return cpu;
}

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, size_t(p * double(values.size() - 1) + 0.5))];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_livetable PORT none|polling|live SECONDS [RATE]\n");
        return 2;
    }
    const quint16 port = quint16(QByteArray(argv[1]).toUInt());
    const QByteArray mode = argv[2];
    const int seconds = QByteArray(argv[3]).toInt();
    const int rate = argc > 4 ? QByteArray(argv[4]).toInt() : 1000;

    RedisConnectionOptions o;
    o.port = port;
    RedisConnection info(o);
    info.open();
    while (!info.isConnected())
        waitEvents(50);

    // The changes not yet seen, by key, oldest first; and the delays of those seen.
    QHash<QByteArray, std::deque<Change>> pending;
    std::vector<double> delaysMs;
    std::vector<double> expiryMs;
    qint64 updates = 0;
    auto take = [&] {
        QMutexLocker lock(&g_mutex);
        for (Change &c : g_sent)
            pending[c.key].push_back(std::move(c));
        g_sent.clear();
    };
    // The table shows `key` as `row` (null: no such lock) at `atUs`: settle what it shows.
    auto settle = [&](const QByteArray &key, const LockInfo *row, qint64 atUs) {
        auto it = pending.find(key);
        if (it == pending.end())
            return;
        std::deque<Change> &changes = *it;
        while (!changes.empty()) {
            const Change &c = changes.front();
            bool shown = false;
            switch (c.kind) {
            case Change::Acquire: shown = row && row->holder == c.token; break;
            case Change::Extend: shown = row && row->ttlMs > 610'000; break;
            case Change::Release: shown = !row; break;
            case Change::Expire: shown = !row && atUs >= c.dueUs; break;
            }
            // A later change already shown settles the earlier ones too (the table skipped them).
            if (!shown) {
                bool later = false;
                for (size_t i = 1; i < changes.size() && !later; ++i) {
                    const Change &n = changes[i];
                    later = (n.kind == Change::Acquire && row && row->holder == n.token) || ((n.kind == Change::Release) && !row);
                }
                if (!later)
                    break;
            }
            if (c.kind == Change::Expire)
                expiryMs.push_back(double(atUs - c.dueUs) / 1000.0);
            else
                delaysMs.push_back(double(atUs - c.sentUs) / 1000.0);
            changes.pop_front();
        }
        if (changes.empty())
            pending.erase(it);
    };

    LockService service(nullptr);
    bool measuring = false;
    if (mode != "none") {
        RedisEndpointConfig c;
        c.name = QStringLiteral("bench");
        c.port = port;
        c.notifications = mode == "live" ? RedisEndpointConfig::Notifications::Require : RedisEndpointConfig::Notifications::Off;
        QObject::connect(&service, &LockService::scanFinished, &app, [&](const QString &, const LockScanResult &result) {
            if (!measuring)
                return;
            const qint64 at = nowUs();
            ++updates;
            take();
            QHash<QByteArray, const LockInfo *> byKey;
            byKey.reserve(result.locks.size());
            for (const LockInfo &lock : result.locks)
                byKey.insert(lock.key, &lock);
            const QList<QByteArray> keys = pending.keys();
            for (const QByteArray &key : keys)
                settle(key, byKey.value(key, nullptr), at);
        });
        QObject::connect(&service, &LockService::rowsChanged, &app, [&](const QString &, const LockChanges &changes) {
            if (!measuring)
                return;
            const qint64 at = nowUs();
            ++updates;
            take();
            for (const LockInfo &lock : changes.upserted)
                settle(lock.key, &lock, at);
            for (const QByteArray &key : changes.removed)
                settle(key, nullptr, at);
        });
        service.apply({LockEndpointConfig::fromRedis(c)});
        // Until the first full pass is in (live: subscribed and read).
        const qint64 start = nowUs();
        while (nowUs() - start < 60'000'000) {
            waitEvents(50);
            const auto views = service.views();
            if (!views.empty() && views.front().hasResult && (mode != "live" || views.front().feed.mode == LockFeedState::Live))
                break;
        }
        if (mode == "live" && service.views().front().feed.mode != LockFeedState::Live) {
            std::fprintf(stderr, "not live: %s\n", qPrintable(service.views().front().feed.why));
            return 1;
        }
    }

    // The load runs on a thread of its own: its work never delays the table's.
    QThread loadThread;
    Load *load = nullptr;
    QObject context;
    context.moveToThread(&loadThread);
    loadThread.start();
    QMetaObject::invokeMethod(&context, [&] { load = new Load(port, rate); }, Qt::BlockingQueuedConnection);
    QThread::msleep(300);
    const double cpuBefore = serverCpuMs(info);
    const double clientBefore = processCpuMs();
    measuring = true;
    QMetaObject::invokeMethod(load, [load] { load->start(); }, Qt::BlockingQueuedConnection);
    const qint64 runStart = nowUs();
    // Polling: a change waits for the next pass, which the engine starts by itself on its timer.
    while (nowUs() - runStart < qint64(seconds) * 1'000'000)
        waitEvents(50);
    QMetaObject::invokeMethod(load, [load] { load->stop(); }, Qt::BlockingQueuedConnection);
    const double cpuAfter = serverCpuMs(info);
    const double clientAfter = processCpuMs();
    // The last changes may still be on their way: a few seconds more (not in the CPU figures).
    const qint64 drainStart = nowUs();
    while (nowUs() - drainStart < (mode == "polling" ? 15'000'000 : 2'000'000) && mode != "none") {
        waitEvents(50);
        take();
        if (pending.isEmpty())
            break;
    }
    measuring = false;
    const qint64 made = load->made();
    QMetaObject::invokeMethod(load, [load] { delete load; }, Qt::BlockingQueuedConnection);
    loadThread.quit();
    loadThread.wait();

    qint64 unseen = 0;
    for (const auto &changes : std::as_const(pending))
        unseen += qint64(changes.size());
    const double perMinute = (cpuAfter - cpuBefore) * 60.0 / seconds;
    std::printf("mode %s: %lld changes in %d s (%d/s), %lld table updates\n", mode.constData(), made, seconds, rate, updates);
    std::printf("redis-server cpu %.0f ms per minute (%.2f %% of its thread)\n", perMinute, perMinute / 600.0);
    std::printf("engine (this process, load thread included) cpu %.0f ms per minute\n", (clientAfter - clientBefore) * 60.0 / seconds);
    if (mode != "none") {
        std::printf("freshness (acquire, extend, release: sent -> in the table) ms: p50 %.2f p99 %.2f max %.2f over %zu changes, %lld unseen\n",
                    percentile(delaysMs, 0.5), percentile(delaysMs, 0.99), delaysMs.empty() ? 0 : *std::max_element(delaysMs.begin(), delaysMs.end()),
                    delaysMs.size(), unseen);
        std::printf("expiry (TTL due -> gone from the table) ms: p50 %.2f p99 %.2f max %.2f over %zu expiries\n",
                    percentile(expiryMs, 0.5), percentile(expiryMs, 0.99), expiryMs.empty() ? 0 : *std::max_element(expiryMs.begin(), expiryMs.end()),
                    expiryMs.size());
    }
    return 0;
}
