// How fresh the engine's ZooKeeper lock table is, and what it costs ZooKeeper: a load thread
// takes and releases Curator-shaped mutexes at a fixed rate in /locks/load-0..1999 (beside the
// 10 000 lock folders run_zk_live_bench.py populated), and the engine's LockService watches
// /locks as fulcrumd does, polled (watch: false) or live (watches). For each change: the delay
// from the moment it was sent to the first table update that shows it. Around the run: the
// ZooKeeper JVM's CPU time (/proc/PID/stat). Mode "none" runs the load alone: the server's CPU
// for the load itself, to subtract.
// Usage: bench_zklive HOSTS SERVER_PID MODE(none|polling|live) SECONDS [RATE]
#include "config/config.h"
#include "engine/lockservice.h"
#include "livetablefreshness.h"
#include "locks/zookeeper/zkclient.h"

#include <QCoreApplication>
#include <QFile>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>

#include <unistd.h>

#include <cstdio>
#include <vector>

using namespace fulcrum;
using namespace fulcrum::bench;

namespace {

Freshness g_freshness;
constexpr int kLoadFolders = 2000;

double serverCpuMs(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = stat.readAll().split(')').last().split(' ');
    // After "pid (comm)": state is [1], utime [12], stime [13].
    return (fields.value(12).toDouble() + fields.value(13).toDouble()) * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

// The load: /locks/load-K, each free or held as this side believes it. Every tick (5 ms) it
// makes its share of the rate: an acquire (an ephemeral sequential Curator lock node) on a free
// folder, a release (its delete) on a held one, half and half.
class Load : public QObject
{
public:
    explicit Load(const QString &hosts, int rate) : m_rate(rate)
    {
        ZkClient::Options o;
        o.hosts = hosts;
        m_client = new ZkClient(o, this);
        m_timer = new QTimer(this);
        m_timer->setInterval(5);
        connect(m_timer, &QTimer::timeout, this, [this] { tick(); });
        m_holder.resize(kLoadFolders);
        m_client->open();
    }
    bool isConnected() const { return m_client->isConnected(); }
    // Creates the load's folders (before the engine reads anything).
    void prepare(std::function<void()> done)
    {
        auto pending = std::make_shared<int>(kLoadFolders);
        for (int k = 0; k < kLoadFolders; ++k) {
            m_client->create(folder(k), {}, ZkClient::Persistent, this, [pending, done](int, const QByteArray &) {
                if (--*pending == 0)
                    done();
            });
        }
    }
    void start() { m_started = nowUs(); m_timer->start(); }
    void stop() { m_timer->stop(); }
    qint64 made() const { return m_made; }
    // The load's own requests: the slowest answer (a change ZooKeeper made late is late for
    // every reader, not only for the table).
    double slowestAnswerMs() const { return m_slowestUs / 1000.0; }

private:
    void answered(qint64 sentUs) { m_slowestUs = std::max(m_slowestUs, nowUs() - sentUs); }
    static QByteArray folder(int k) { return "/locks/load-" + QByteArray::number(k); }

    void tick()
    {
        if (!m_client->isConnected())
            return;
        const qint64 now = nowUs();
        const qint64 due = (now - m_started) * m_rate / 1'000'000;
        while (m_made < due) {
            const int k = int(m_random.bounded(kLoadFolders));
            if (m_busy.contains(k))
                continue;
            ++m_made;
            m_busy.insert(k);
            // Told before it is sent: the engine may see the change before this side's answer.
            // A load folder holds one node at most, so any holder shows an acquire.
            if (m_holder[k].isEmpty()) {
                g_freshness.sent({Change{Change::Acquire, folder(k), {}, now, 0}});
                m_client->create(folder(k) + "/_c_5b1e0c1a-2222-4a4a-9b9b-" + QByteArray::number(100000000000LL + k) + "-lock-",
                                 "10.0.0.9", ZkClient::Ephemeral | ZkClient::Sequential, this, [this, k, now](int rc, const QByteArray &path) {
                    answered(now);
                    m_busy.remove(k);
                    if (rc == zkrc::Ok)
                        m_holder[k] = path.mid(path.lastIndexOf('/') + 1);
                });
            } else {
                g_freshness.sent({Change{Change::Release, folder(k), {}, now, 0}});
                m_client->remove(folder(k) + '/' + m_holder[k], -1, this, [this, k, now](int rc) {
                    answered(now);
                    m_busy.remove(k);
                    if (rc == zkrc::Ok)
                        m_holder[k].clear();
                });
            }
        }
    }

    ZkClient *m_client = nullptr;
    QTimer *m_timer = nullptr;
    int m_rate;
    qint64 m_started = 0;
    qint64 m_made = 0;
    qint64 m_slowestUs = 0;
    std::vector<QByteArray> m_holder;
    QSet<int> m_busy;                   // a request for this folder is on its way
    QRandomGenerator m_random{7};
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 5) {
        std::fprintf(stderr, "usage: bench_zklive HOSTS SERVER_PID none|polling|live SECONDS [RATE]\n");
        return 2;
    }
    const QString hosts = QString::fromLatin1(argv[1]);
    const qint64 serverPid = QByteArray(argv[2]).toLongLong();
    const QByteArray mode = argv[3];
    const int seconds = QByteArray(argv[4]).toInt();
    const int rate = argc > 5 ? QByteArray(argv[5]).toInt() : 1000;

    // The load runs on a thread of its own: its work never delays the table's.
    QThread loadThread;
    Load *load = nullptr;
    QObject context;
    context.moveToThread(&loadThread);
    loadThread.start();
    QMetaObject::invokeMethod(&context, [&] { load = new Load(hosts, rate); }, Qt::BlockingQueuedConnection);
    bool prepared = false;
    while (!prepared) {
        bool connected = false;
        QMetaObject::invokeMethod(load, [&] { connected = load->isConnected(); }, Qt::BlockingQueuedConnection);
        if (connected) {
            QMetaObject::invokeMethod(load, [&] { load->prepare([&] { prepared = true; }); }, Qt::BlockingQueuedConnection);
            while (!prepared)
                QThread::msleep(20);
        }
        QThread::msleep(20);
    }

    LockService service(nullptr);
    if (mode != "none") {
        ZooKeeperEndpointConfig c;
        c.name = QStringLiteral("bench");
        c.hosts = hosts;
        c.paths = {QStringLiteral("/locks")};
        c.fourLetterWords = false;
        c.watch = mode == "live";
        g_freshness.watch(service, &app);
        service.apply({LockEndpointConfig::fromZooKeeper(c)});
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
        std::printf("first pass: %lld locks, %lld znodes\n", qint64(service.views().front().lastResult.locks.size()),
                    service.views().front().lastResult.keysScanned);
    }
    QThread::msleep(300);
    const RunCpu cpu = measureRun(
        g_freshness, service, mode, seconds, [&] { QMetaObject::invokeMethod(load, [load] { load->start(); }, Qt::BlockingQueuedConnection); },
        [&] { QMetaObject::invokeMethod(load, [load] { load->stop(); }, Qt::BlockingQueuedConnection); },
        [&] { return serverCpuMs(serverPid); });
    const qint64 made = load->made();
    const double slowestAnswer = load->slowestAnswerMs();
    QMetaObject::invokeMethod(load, [load] { delete load; }, Qt::BlockingQueuedConnection);
    loadThread.quit();
    loadThread.wait();

    const double perMinute = cpu.serverPerMinuteMs;
    const std::vector<double> &delaysMs = g_freshness.delaysMs();
    std::printf("mode %s: %lld changes in %d s (%d/s), %lld table updates (%lld of them full passes)\n", mode.constData(), made, seconds, rate,
                g_freshness.updates(), g_freshness.passes());
    std::printf("the load's slowest answer from ZooKeeper: %.1f ms\n", slowestAnswer);
    std::printf("zookeeper cpu %.0f ms per minute (%.2f %% of one core)\n", perMinute, perMinute / 600.0);
    std::printf("engine (this process, load thread included) cpu %.0f ms per minute\n", cpu.enginePerMinuteMs);
    if (mode != "none")
        std::printf("freshness (acquire, release: sent -> in the table) ms: p50 %.2f p99 %.2f max %.2f over %zu changes, %lld coalesced (between two reads), %lld unseen\n",
                    percentile(delaysMs, 0.5), percentile(delaysMs, 0.99), maximum(delaysMs), delaysMs.size(), g_freshness.coalesced(),
                    g_freshness.unseen());
    return 0;
}
