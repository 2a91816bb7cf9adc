// How fresh the engine's lock table is, and what it costs Redis: a load thread makes lock
// changes at a fixed rate on a running Redis (acquire, extend, release, and short locks left to
// expire), and the engine's LockService watches the same Redis as fulcrumd does, polled
// (notifications: off) or live (keyspace notifications). For each change: the delay from the
// moment it was sent to the first table update that shows it (a pass, or a live change set).
// Around the run: redis-server's main-thread CPU time (INFO cpu). Mode "none" runs the load alone: the
// server's CPU for the load itself, to subtract.
// Usage: bench_livetable PORT MODE(none|polling|live) SECONDS [RATE]   (RATE changes per second, default 1000)
#include "config/config.h"
#include "engine/lockservice.h"
#include "livetablefreshness.h"
#include "locks/redis/redisconnection.h"

#include <QCoreApplication>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <optional>
#include <vector>

using namespace fulcrum;
using namespace fulcrum::bench;

namespace {

Freshness g_freshness;

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
        g_freshness.sent(std::move(changes));
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

double serverCpuMs(RedisConnection &info)
{
    std::optional<RedisReply> reply;
    info.command({"INFO", "cpu"}, [&](const RedisReply &r) { reply = r; });
    while (!reply)
        waitEvents(50);
    double cpu = 0;
    for (QByteArray line : reply->string.split('\n')) {
        line = line.trimmed();
        // The main thread's: the target is a share of Redis's one thread (the bio threads idle).
        for (const char *field : {"used_cpu_user_main_thread:", "used_cpu_sys_main_thread:"}) {
            if (line.startsWith(field))
                cpu += line.mid(qsizetype(qstrlen(field))).toDouble() * 1000.0;
        }
    }
    return cpu;
}

RedisReply ask(RedisConnection &info, const QList<QByteArray> &command)
{
    std::optional<RedisReply> reply;
    info.command(command, [&](const RedisReply &r) { reply = r; });
    while (!reply)
        waitEvents(20);
    return *reply;
}

// INFO commandstats as command -> (calls, usec): the time Redis spent executing each command,
// without the network and event-loop work around it. Far less noisy than the process's CPU time
// on a shared machine, and it tells Fulcrum's reads from the load's writes.
QHash<QByteArray, std::pair<qint64, qint64>> commandStats(RedisConnection &info)
{
    QHash<QByteArray, std::pair<qint64, qint64>> stats;
    for (QByteArray line : ask(info, {"INFO", "commandstats"}).string.split('\n')) {
        line = line.trimmed();
        if (!line.startsWith("cmdstat_"))
            continue;
        const qsizetype colon = line.indexOf(':');
        const QByteArray name = line.mid(8, colon - 8);
        qint64 calls = 0;
        qint64 usec = 0;
        for (const QByteArray &field : line.mid(colon + 1).split(',')) {
            if (field.startsWith("calls="))
                calls = field.mid(6).toLongLong();
            else if (field.startsWith("usec="))
                usec = field.mid(5).toLongLong();
        }
        stats.insert(name, {calls, usec});
    }
    return stats;
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

    LockService service(nullptr);
    if (mode != "none") {
        RedisEndpointConfig c;
        c.name = QStringLiteral("bench");
        c.port = port;
        c.notifications = mode == "live" ? RedisEndpointConfig::Notifications::Require : RedisEndpointConfig::Notifications::Off;
        g_freshness.watch(service, &app);
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
    ask(info, {"CONFIG", "RESETSTAT"});
    QHash<QByteArray, std::pair<qint64, qint64>> stats;
    const RunCpu cpu = measureRun(
        g_freshness, service, mode, seconds, [&] { QMetaObject::invokeMethod(load, [load] { load->start(); }, Qt::BlockingQueuedConnection); },
        [&] {
            QMetaObject::invokeMethod(load, [load] { load->stop(); }, Qt::BlockingQueuedConnection);
            stats = commandStats(info); // the run's, before the last changes drain
        },
        [&] { return serverCpuMs(info); });
    const qint64 made = load->made();
    QMetaObject::invokeMethod(load, [load] { delete load; }, Qt::BlockingQueuedConnection);
    loadThread.quit();
    loadThread.wait();

    const qint64 unseen = g_freshness.unseen();
    const std::vector<double> &delaysMs = g_freshness.delaysMs();
    const std::vector<double> &expiryMs = g_freshness.expiryMs();
    const double perMinute = cpu.serverPerMinuteMs;
    std::printf("mode %s: %lld changes in %d s (%d/s), %lld table updates (%lld of them full passes)\n", mode.constData(), made, seconds, rate,
                g_freshness.updates(), g_freshness.passes());
    std::printf("redis-server cpu %.0f ms per minute (%.2f %% of its main thread)\n", perMinute, perMinute / 600.0);
    std::printf("engine (this process, load thread included) cpu %.0f ms per minute\n", cpu.enginePerMinuteMs);
    // What Redis spent executing Fulcrum's own commands, and the load's writes (whose time grows
    // by what building keyspace notifications costs, when they are on).
    qint64 readCalls = 0, readUsec = 0, writeCalls = 0, writeUsec = 0;
    for (auto it = stats.cbegin(); it != stats.cend(); ++it) {
        const QByteArray &name = it.key();
        if (name == "set" || name == "pexpire" || name == "del") {
            writeCalls += it->first;
            writeUsec += it->second;
        } else if (name != "info" && !name.startsWith("config|resetstat")) {
            readCalls += it->first;
            readUsec += it->second;
        }
    }
    std::printf("redis commandstats: Fulcrum's commands %lld calls, %.0f ms per minute (%.2f %% of its thread); the load's writes %lld calls, "
                "%.2f us per call\n",
                readCalls, readUsec / 1000.0 * 60.0 / seconds, readUsec / 1000.0 * 60.0 / seconds / 600.0, writeCalls,
                writeCalls ? double(writeUsec) / double(writeCalls) : 0.0);
    if (mode != "none") {
        std::printf("freshness (acquire, extend, release: sent -> in the table) ms: p50 %.2f p99 %.2f max %.2f over %zu changes, %lld coalesced (between two reads), %lld unseen\n",
                    percentile(delaysMs, 0.5), percentile(delaysMs, 0.99), maximum(delaysMs),
                    delaysMs.size(), g_freshness.coalesced(), unseen);
        std::printf("expiry (TTL due -> gone from the table) ms: p50 %.2f p99 %.2f max %.2f over %zu expiries\n",
                    percentile(expiryMs, 0.5), percentile(expiryMs, 0.99), maximum(expiryMs),
                    expiryMs.size());
    }
    return 0;
}
