// How fresh the engine's lock table is, and what it costs Redis: a load thread makes lock
// changes at a fixed rate on a running Redis (acquire, extend, release, and short locks left to
// expire), and the engine's LockService watches the same Redis as fulcrumd does, polled
// (notifications: off) or live (keyspace notifications). For each change: the delay from the
// moment it was sent to the first table update that shows it (a pass, or a live change set).
// Around the run: redis-server's main-thread CPU time (INFO cpu), summed over the masters. Mode
// "none" runs the load alone: the servers' CPU for the load itself, to subtract.
// Usage: bench_livetable TARGET MODE(none|polling|live) SECONDS [RATE]   (RATE changes per second, default 1000)
// TARGET: PORT (one node), cluster:P1,P2,P3 (a Redis Cluster's masters: each change goes to the
// master of its key's slot) or redlock:P1,P2,P3 (independent masters: each change goes to every
// master, as a Redlock client makes it; a lock is held once a majority has it).
#include "config/config.h"
#include "engine/lockservice.h"
#include "livetablefreshness.h"
#include "locks/redis/redisclustertopology.h"
#include "locks/redis/redisconnection.h"

#include <QCoreApplication>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <memory>
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
// Where the load and the engine go: one node, a Cluster's masters or Redlock's masters.
struct Target
{
    RedisEndpointConfig::Topology topology = RedisEndpointConfig::Topology::Node;
    QList<quint16> ports;
    std::vector<int> slotOwner;   // a Cluster: the index in ports of each slot's master
};

// Which of the target's servers a change to `key` goes to.
QList<int> routeOf(const Target &target, const QByteArray &key)
{
    switch (target.topology) {
    case RedisEndpointConfig::Topology::Cluster: return {target.slotOwner[size_t(redisKeySlot(key))]};
    case RedisEndpointConfig::Topology::Redlock: {
        QList<int> all;
        for (int i = 0; i < target.ports.size(); ++i)
            all << i;
        return all;
    }
    default: return {0};
    }
}

class Load : public QObject
{
public:
    Load(const Target &target, int rate) : m_rate(rate)
    {
        for (const quint16 port : target.ports) {
            RedisConnectionOptions o;
            o.port = port;
            m_connections.push_back(new RedisConnection(o, this));
            m_connections.back()->open();
        }
        m_timer = new QTimer(this);
        m_timer->setInterval(5);
        connect(m_timer, &QTimer::timeout, this, [this] { tick(); });
        m_state.resize(kKeys, Free);
        m_freeAgainUs.resize(kKeys, 0);
        m_routes.reserve(kKeys);
        for (int key = 0; key < kKeys; ++key)
            m_routes.push_back(routeOf(target, "lock:load:" + QByteArray::number(key)));
    }
    void start() { m_started = nowUs(); m_timer->start(); }
    void stop() { m_timer->stop(); }
    qint64 made() const { return m_made; }

private:
    enum State { Free, Held, Expiring };
    static constexpr int kKeys = 5000;

    void tick()
    {
        for (RedisConnection *connection : m_connections) {
            if (!connection->isConnected())
                return;
        }
        const qint64 now = nowUs();
        const qint64 due = (now - m_started) * m_rate / 1'000'000;
        std::vector<QList<QList<QByteArray>>> commandsTo(m_connections.size());
        bool any = false;
        const auto send = [&](int key, const QList<QByteArray> &command) {
            for (const int server : m_routes[size_t(key)])
                commandsTo[size_t(server)].append(command);
            any = true;
        };
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
                send(key, {"SET", name, token, "NX", "PX", "600000"});
                changes.push_back({Change::Acquire, name, token, now, 0});
                m_state[key] = Held;
            } else if (m_state[key] == Held && roll < 60) {
                send(key, {"PEXPIRE", name, "900000"});
                changes.push_back({Change::Extend, name, {}, now, 0});
            } else if (m_state[key] == Held && roll < 90) {
                send(key, {"DEL", name});
                changes.push_back({Change::Release, name, {}, now, 0});
                m_state[key] = Free;
            } else if (m_state[key] == Free) {
                const int ttl = 100 + int(m_random.bounded(200));
                send(key, {"SET", name, token, "NX", "PX", QByteArray::number(ttl)});
                changes.push_back({Change::Expire, name, token, now, now + ttl * 1000});
                m_state[key] = Expiring;
                m_freeAgainUs[key] = now + (ttl + 2000) * 1000;
            } else {
                --m_made; // nothing fits this key now: roll again
                break;
            }
        }
        if (!any)
            return;
        g_freshness.sent(std::move(changes));
        for (size_t i = 0; i < m_connections.size(); ++i) {
            if (commandsTo[i].isEmpty())
                continue;
            m_connections[i]->pipeline(commandsTo[i], [](const QList<RedisReply> &) {});
            m_connections[i]->flush();
        }
    }

    std::vector<RedisConnection *> m_connections;   // in the target's order
    std::vector<QList<int>> m_routes;               // per load key: the servers its changes go to
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

// TARGET as the usage says.
std::optional<Target> parseTarget(const QByteArray &text, QString *error)
{
    Target target;
    QByteArray ports = text;
    if (text.startsWith("cluster:")) {
        target.topology = RedisEndpointConfig::Topology::Cluster;
        ports = text.mid(8);
    } else if (text.startsWith("redlock:")) {
        target.topology = RedisEndpointConfig::Topology::Redlock;
        ports = text.mid(8);
    }
    for (const QByteArray &port : ports.split(',')) {
        bool ok = false;
        target.ports << quint16(port.toUInt(&ok));
        if (!ok || target.ports.back() == 0) {
            *error = QStringLiteral("\"%1\" is not a port").arg(QString::fromLatin1(port));
            return std::nullopt;
        }
    }
    return target;
}

// A Cluster's slot owners, from its first master's CLUSTER SHARDS.
bool readSlotOwners(Target &target, RedisConnection &first, QString *error)
{
    const std::optional<RedisClusterTopology> topology = parseClusterShards(ask(first, {"CLUSTER", "SHARDS"}), false, error);
    if (!topology)
        return false;
    target.slotOwner.assign(size_t(redisClusterSlots), -1);
    for (const RedisClusterShard &shard : topology->shards) {
        const int owner = int(target.ports.indexOf(quint16(shard.master.section(u':', -1).toUInt())));
        if (owner < 0) {
            *error = QStringLiteral("master %1 is not among the ports given").arg(shard.master);
            return false;
        }
        for (const auto &[first, last] : shard.slots) {
            for (int slot = first; slot <= last; ++slot)
                target.slotOwner[size_t(slot)] = owner;
        }
    }
    if (std::count(target.slotOwner.begin(), target.slotOwner.end(), -1) > 0) {
        *error = QStringLiteral("the cluster does not cover every slot");
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_livetable PORT|cluster:P1,P2,P3|redlock:P1,P2,P3 none|polling|live SECONDS [RATE]\n");
        return 2;
    }
    QString error;
    std::optional<Target> target = parseTarget(argv[1], &error);
    if (!target) {
        std::fprintf(stderr, "bench_livetable: %s\n", qPrintable(error));
        return 2;
    }
    const QByteArray mode = argv[2];
    const int seconds = QByteArray(argv[3]).toInt();
    const int rate = argc > 4 ? QByteArray(argv[4]).toInt() : 1000;

    // One connection per server for its CPU and command statistics.
    std::vector<std::unique_ptr<RedisConnection>> infos;
    for (const quint16 port : target->ports) {
        RedisConnectionOptions o;
        o.port = port;
        infos.push_back(std::make_unique<RedisConnection>(o));
        infos.back()->open();
        while (!infos.back()->isConnected())
            waitEvents(50);
    }
    if (target->topology == RedisEndpointConfig::Topology::Cluster && !readSlotOwners(*target, *infos.front(), &error)) {
        std::fprintf(stderr, "bench_livetable: %s\n", qPrintable(error));
        return 1;
    }

    LockService service(nullptr);
    if (mode != "none") {
        RedisEndpointConfig c;
        c.name = QStringLiteral("bench");
        c.port = target->ports.front();
        c.topology = target->topology;
        if (c.topology != RedisEndpointConfig::Topology::Node) {
            for (const quint16 port : target->ports)
                c.nodes << QStringLiteral("127.0.0.1:%1").arg(port);
        }
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
    QMetaObject::invokeMethod(&context, [&] { load = new Load(*target, rate); }, Qt::BlockingQueuedConnection);
    QThread::msleep(300);
    for (const auto &info : infos)
        ask(*info, {"CONFIG", "RESETSTAT"});
    QHash<QByteArray, std::pair<qint64, qint64>> stats;
    std::vector<std::vector<double>> cpuReads;   // each server's CPU, before and after the run
    const RunCpu cpu = measureRun(
        g_freshness, service, mode, seconds, [&] { QMetaObject::invokeMethod(load, [load] { load->start(); }, Qt::BlockingQueuedConnection); },
        [&] {
            QMetaObject::invokeMethod(load, [load] { load->stop(); }, Qt::BlockingQueuedConnection);
            // The run's, before the last changes drain: summed over the servers.
            for (const auto &info : infos) {
                const auto each = commandStats(*info);
                for (auto it = each.cbegin(); it != each.cend(); ++it) {
                    stats[it.key()].first += it->first;
                    stats[it.key()].second += it->second;
                }
            }
        },
        [&] {
            std::vector<double> each;
            double sum = 0;
            for (const auto &info : infos) {
                each.push_back(serverCpuMs(*info));
                sum += each.back();
            }
            cpuReads.push_back(std::move(each));
            return sum;
        });
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
    if (infos.size() > 1 && cpuReads.size() == 2) {
        // Summed above; each master's here: the share the target is about is one server's thread.
        std::printf("each server's cpu, ms per minute:");
        for (size_t i = 0; i < infos.size(); ++i)
            std::printf(" %.0f", (cpuReads[1][i] - cpuReads[0][i]) * 60.0 / seconds);
        std::printf("\n");
    }
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
