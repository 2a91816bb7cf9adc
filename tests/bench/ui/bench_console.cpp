// UI-thread work per tick with 500 servers at 4 Hz: applying a snapshot to every model and
// chart, then painting the visible view. Prints milliseconds against the 8 ms budget (a 4 Hz
// tick leaves 250 ms; 8 ms keeps input and animation smooth). Asserts nothing about time.
//
//   QT_QPA_PLATFORM=offscreen build/bench/bench_console [servers] [ticks] [view name prefix] [tick ms]
//
// Ticks come every 250 ms with the event loop idle in between, as in the console; a tick of
// 0 ms runs them back to back (quicker, for a profiler, but then the UI thread is a busy
// process to the scheduler and is preempted more on a loaded machine).

#include "engine/inprocessenginelink.h"
#include "liveloadview.h"
#include "mainwindow.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QStandardPaths>
#include <QTimer>
#include <QWindow>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

using namespace fulcrum;

static LinkSnapshot makeSnapshot(int servers, int tick, const QDateTime &start)
{
    LinkSnapshot snapshot;
    snapshot.sequence = quint64(tick);
    snapshot.time = start.addMSecs(qint64(tick) * 250);
    for (int i = 0; i < servers; ++i) {
        ServerStatus server;
        server.pool = QStringLiteral("pool%1").arg(i / 100);
        server.name = QStringLiteral("app%1").arg(i, 3, 10, QLatin1Char('0'));
        server.address = QStringLiteral("10.0.%1.%2:8080").arg(i / 250).arg(i % 250);
        server.state = i % 97 == 0 ? BackendState::Down : BackendState::Up;
        server.stateText = backendStateName(server.state);
        server.reason = QStringLiteral("L7OK 200 in 5 ms");
        server.weight = 100 + i % 7;
        server.effectiveWeight = server.weight;
        server.requestsPerSecond = 40 + 20 * std::sin(tick * 0.05 + i);
        server.share = 0.01 + 0.002 * std::sin(tick * 0.1 + i);
        // Every figure moves every tick, as a live engine's do, so no view is measured on
        // figures that stand still.
        server.p50Ms = 5 + i % 11 + 0.5 * std::sin(tick * 0.07 + i);
        server.p95Ms = 2 * server.p50Ms + std::fmod(tick, 5.0);
        server.p99Ms = 3 * server.p50Ms + std::fmod(tick + i, 7.0);
        server.errorRate = (i % 13) * 0.001 * (1 + std::sin(tick * 0.3 + i));
        server.activeConnections = (i + tick) % 17;
        server.lastCheck = snapshot.time.addMSecs(-250 * ((tick + i) % 4));
        server.stateSince = start;
        snapshot.servers.append(server);
    }
    return snapshot;
}

// Counts paint events, so the figures are known to include the real repaint of the shown view.
class PaintCounter : public QObject
{
public:
    int paints = 0;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Paint)
            ++paints;
        return QObject::eventFilter(watched, event);
    }
};

// CPU time of the UI thread alone: unlike the wall clock, it does not grow when other
// processes on a busy machine take the core away.
static double threadCpuMs()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

struct Figures
{
    double p50, p95, max;
};

static Figures summarise(std::vector<double> samples)
{
    std::sort(samples.begin(), samples.end());
    auto at = [&](double p) { return samples[std::min(samples.size() - 1, size_t(p * double(samples.size())))]; };
    return {at(0.5), at(0.95), samples.back()};
}

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    const int servers = argc > 1 ? std::max(1, atoi(argv[1])) : 500;
    const int ticks = argc > 2 ? std::max(10, atoi(argv[2])) : 240;
    const QByteArray only = argc > 3 ? QByteArray(argv[3]) : QByteArray();
    const int tickMs = argc > 4 ? std::max(0, atoi(argv[4])) : 250;

    // The window needs a link; its engine is kept nearly idle so it does not compete with
    // what is measured.
    InProcessOptions options = InProcessOptions::demo();
    options.tickMs = 1000;
    options.demandRps = 1;
    options.flapping = false;
    InProcessEngineLink link(options);
    ui::MainWindow window(&link);
    QObject::disconnect(&link, nullptr, &window, nullptr);   // only the bench's snapshots
    window.resize(1400, 860);
    window.show();
    QApplication::processEvents();
    if (!window.windowHandle() || !window.windowHandle()->isExposed())
        std::printf("warning: the window is not exposed, repaints are not measured\n");

    const QDateTime start = QDateTime::currentDateTimeUtc();
    // Five minutes of history first, so every line holds its full window of points.
    int tick = 0;
    for (; tick < ui::LiveLoadView::kWindowSeconds * 4; ++tick)
        window.applySnapshot(makeSnapshot(servers, tick, start));

    std::printf("console UI-thread work per tick, %d servers, %d ticks, one every %d ms (budget 8 ms)\n", servers, ticks, tickMs);
    std::printf("%-34s %8s %8s %8s\n", "view shown", "p50 ms", "p95 ms", "max ms");
    const struct { ui::MainWindow::View view; const char *name; } views[] = {
        {ui::MainWindow::LiveLoad, "live load (12 lines x 3 charts)"},
        {ui::MainWindow::Weights, "weights (40 bars of pool0)"},
        {ui::MainWindow::Servers, "servers table (sorted, 500 rows)"},
        {ui::MainWindow::Events, "events"},
    };
    PaintCounter counter;
    app.installEventFilter(&counter);
    for (const auto &v : views) {
        if (!QByteArray(v.name).startsWith(only))
            continue;
        window.showView(v.view);
        QApplication::processEvents();
        std::vector<double> update;
        std::vector<double> total;
        std::vector<double> cpu;
        counter.paints = 0;
        QElapsedTimer pace;
        pace.start();
        for (int i = 0; i < ticks; ++i, ++tick) {
            const LinkSnapshot snapshot = makeSnapshot(servers, tick, start);   // built off the clock
            // Idle in the event loop until the tick is due.
            const qint64 due = qint64(i) * tickMs - pace.elapsed();
            if (due > 0) {
                QEventLoop idle;
                QTimer::singleShot(int(due), &idle, &QEventLoop::quit);
                idle.exec();
            }
            QElapsedTimer clock;
            clock.start();
            const double cpuStart = threadCpuMs();
            window.applySnapshot(snapshot);
            const double updateMs = clock.nsecsElapsed() / 1e6;
            // What the event loop does after the tick: lay out and repaint what changed (the
            // window is shown and exposed on the offscreen platform, so this paints into its
            // backing store). Repeated until a pass paints nothing, so deferred updates count.
            for (int pass = 0; pass < 4; ++pass) {
                const int before = counter.paints;
                QApplication::processEvents();
                if (counter.paints == before && pass > 0)
                    break;
            }
            cpu.push_back(threadCpuMs() - cpuStart);
            update.push_back(updateMs);
            total.push_back(clock.nsecsElapsed() / 1e6);
        }
        const Figures u = summarise(update);
        const Figures t = summarise(total);
        const Figures c = summarise(cpu);
        std::printf("%-34s %8.2f %8.2f %8.2f   models+charts p50 %.2f p95 %.2f | UI-thread CPU p50 %.2f p95 %.2f | %.1f paints/tick\n",
                    v.name, t.p50, t.p95, t.max, u.p50, u.p95, c.p50, c.p95, double(counter.paints) / ticks);
    }
    return 0;
}
