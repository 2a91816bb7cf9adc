// CPU cost of active health checks: Fulcrum's HealthChecker and HAProxy 2.6 (the peer), each
// checking the same N real loopback listeners at a 1 s interval, side by side in one run.
// Prints figures only; asserts nothing about time.
//
//   bench_health [--seconds 30] [--servers 1000,5000] [--type http|tcp] [--no-haproxy]
//
// The listeners live in a child process (this binary with --serve N), so neither checker is
// charged for answering. CPU comes from getrusage(RUSAGE_SELF) for Fulcrum and from
// /proc/PID/stat for HAProxy, over the same measured window after a warm-up of 2 s.
#include "balancer/pool.h"
#include "config/config.h"
#include "health/healthchecker.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace fulcrum;

namespace {

constexpr qint64 kWarmupMs = 2000;

void raiseFileLimit()
{
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

// The peer side: N listening sockets that answer any request with a tiny 200 and close.
int serve(int count)
{
    raiseFileLimit();
    const int epoll = epoll_create1(0);
    std::vector<int> listeners;
    QByteArray ports;
    for (int i = 0; i < count; ++i) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 || listen(fd, 1024) != 0) {
            std::fprintf(stderr, "bench_health --serve: listener %d: %s (raise ulimit -n)\n", i, std::strerror(errno));
            return 1;
        }
        socklen_t length = sizeof address;
        getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
        ports += QByteArray::number(ntohs(address.sin_port)) + ' ';
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = (quint64(1) << 32) | quint32(fd);
        epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
        listeners.push_back(fd);
    }
    std::printf("%s\n", ports.constData());
    std::fflush(stdout);
    // Kept alive: checkers that reuse connections can, the others close theirs.
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
    epoll_event events[512];
    char buffer[4096];
    for (;;) {
        const int n = epoll_wait(epoll, events, 512, -1);
        for (int i = 0; i < n; ++i) {
            const int fd = int(quint32(events[i].data.u64));
            if (events[i].data.u64 >> 32) {
                int client;
                while ((client = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
                    epoll_event event{};
                    event.events = EPOLLIN | EPOLLRDHUP;
                    event.data.u64 = quint32(client);
                    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &event);
                }
                continue;
            }
            const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
            if (got > 0)
                send(fd, answer, sizeof answer - 1, MSG_NOSIGNAL);
            else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                close(fd);
        }
    }
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

double selfCpuSeconds(bool userOnly = false)
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double user = double(usage.ru_utime.tv_sec) + double(usage.ru_utime.tv_usec) / 1e6;
    return userOnly ? user : user + double(usage.ru_stime.tv_sec) + double(usage.ru_stime.tv_usec) / 1e6;
}

double processCpuSeconds(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = file.readAll();
    // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    const double ticks = double(sysconf(_SC_CLK_TCK));
    return (fields.value(11).toDouble() + fields.value(12).toDouble()) / ticks;
}

struct Listeners
{
    QProcess process;
    QList<quint16> ports;
};

bool startListeners(int count, Listeners *listeners)
{
    listeners->process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    listeners->process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    listeners->process.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--serve"), QString::number(count)});
    if (!listeners->process.waitForStarted(5000))
        return false;
    QByteArray line;
    while (!line.contains('\n') && listeners->process.waitForReadyRead(30'000))
        line += listeners->process.readAllStandardOutput();
    for (const QByteArray &port : line.trimmed().split(' '))
        listeners->ports << quint16(port.toUInt());
    return listeners->ports.size() == count;
}

void stopProcess(QProcess &process)
{
    process.terminate();
    if (!process.waitForFinished(5000)) {
        process.kill();
        process.waitForFinished(5000);
    }
}

struct Figures
{
    double cpuSeconds = 0;
    double windowSeconds = 0;
    quint64 checks = 0;
    quint64 failed = 0;
    double listenerCpuSeconds = 0;
    double userCpuSeconds = -1;
    qint64 durationUs = 0;          // summed over checks (Fulcrum only)     // of cpuSeconds, in user space (Fulcrum only)
    double percent() const { return windowSeconds > 0 ? 100.0 * cpuSeconds / windowSeconds : 0; }
};

void waitMs(qint64 ms)
{
    QEventLoop loop;
    QTimer::singleShot(int(ms), &loop, &QEventLoop::quit);
    loop.exec();
}

Figures runFulcrum(const QList<quint16> &ports, bool tcp, bool reuse, qint64 seconds, qint64 listenerPid)
{
    PoolConfig config;
    config.name = QStringLiteral("bench");
    for (qsizetype i = 0; i < ports.size(); ++i) {
        BackendSpec spec;
        spec.name = QStringLiteral("s%1").arg(i);
        spec.host = QStringLiteral("127.0.0.1");
        spec.port = ports[i];
        config.servers.push_back(spec);
    }
    config.health.type = tcp ? HealthCheckConfig::Tcp : HealthCheckConfig::Http;
    config.health.intervalMs = config.health.fastIntervalMs = config.health.downIntervalMs = 1000;
    config.health.timeoutMs = 1000;
    config.health.reuseConnection = reuse;
    auto pool = std::make_shared<Pool>(config.name, config.options, config.servers);
    HealthChecker checker(pool, config);
    Figures f;
    QObject::connect(&checker, &HealthChecker::checkCompleted, &checker, [&f](const QString &, const CheckResult &result) {
        ++f.checks;
        f.failed += !result.passed();
        f.durationUs += result.durationUs;
    });
    checker.start();
    waitMs(kWarmupMs);
    f.checks = f.failed = 0;
    f.durationUs = 0;
    const double cpu0 = selfCpuSeconds();
    const double user0 = selfCpuSeconds(true);
    const double peer0 = processCpuSeconds(listenerPid);
    QElapsedTimer clock;
    clock.start();
    waitMs(seconds * 1000);
    f.cpuSeconds = selfCpuSeconds() - cpu0;
    f.userCpuSeconds = selfCpuSeconds(true) - user0;
    f.listenerCpuSeconds = processCpuSeconds(listenerPid) - peer0;
    f.windowSeconds = double(clock.nsecsElapsed()) / 1e9;
    checker.stop();
    return f;
}

Figures runHaproxy(const QList<quint16> &ports, bool tcp, qint64 seconds, qint64 listenerPid, QString *error)
{
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("haproxy.cfg")));
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1").arg(file.fileName());
        return {};
    }
    QTextStream out(&file);
    out << "global\n  nbthread 1\n  maxconn 6000\n"
        << "defaults\n  mode " << (tcp ? "tcp" : "http") << "\n  timeout connect 1s\n  timeout client 5s\n"
        << "  timeout server 5s\n  timeout check 1s\n"
        << "frontend unused\n  bind 127.0.0.1:" << freePort() << "\n  default_backend bench\n"
        << "backend bench\n" << (tcp ? "" : "  option httpchk GET /health\n")
        << "  default-server check inter 1s fastinter 1s downinter 1s rise 2 fall 3\n";
    for (qsizetype i = 0; i < ports.size(); ++i)
        out << "  server s" << i << " 127.0.0.1:" << ports[i] << "\n";
    out.flush();
    file.close();
    QProcess haproxy;
    haproxy.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    haproxy.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    haproxy.start(QStringLiteral("haproxy"), {QStringLiteral("-db"), QStringLiteral("-f"), file.fileName()});
    if (!haproxy.waitForStarted(5000)) {
        *error = QStringLiteral("cannot start haproxy: %1").arg(haproxy.errorString());
        return {};
    }
    Figures f;
    waitMs(kWarmupMs);
    if (haproxy.state() != QProcess::Running) {
        *error = QStringLiteral("haproxy exited (%1); see its messages above").arg(haproxy.exitCode());
        return {};
    }
    const double cpu0 = processCpuSeconds(haproxy.processId());
    const double peer0 = processCpuSeconds(listenerPid);
    QElapsedTimer clock;
    clock.start();
    waitMs(seconds * 1000);
    f.cpuSeconds = processCpuSeconds(haproxy.processId()) - cpu0;
    f.listenerCpuSeconds = processCpuSeconds(listenerPid) - peer0;
    f.windowSeconds = double(clock.nsecsElapsed()) / 1e9;
    stopProcess(haproxy);
    return f;
}

} // namespace

int main(int argc, char *argv[])
{
    if (argc == 3 && std::strcmp(argv[1], "--serve") == 0)
        return serve(std::atoi(argv[2]));
    QCoreApplication app(argc, argv);
    raiseFileLimit();
    qint64 seconds = 30;
    QList<int> counts{1000, 5000};
    bool tcp = false;
    bool withHaproxy = true;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i < args.size(); ++i) {
        if (args[i] == u"--seconds" && i + 1 < args.size()) {
            seconds = args[++i].toLongLong();
        } else if (args[i] == u"--servers" && i + 1 < args.size()) {
            counts.clear();
            for (const QString &n : args[++i].split(u','))
                counts << n.toInt();
        } else if (args[i] == u"--type" && i + 1 < args.size()) {
            tcp = args[++i] == u"tcp";
        } else if (args[i] == u"--no-haproxy") {
            withHaproxy = false;
        } else {
            std::fprintf(stderr, "usage: bench_health [--seconds 30] [--servers 1000,5000] [--type http|tcp] [--no-haproxy]\n");
            return 2;
        }
    }
    std::printf("health checks, %s, 1 s interval, %lld s measured after %lld s warm-up, single thread each\n",
                tcp ? "tcp" : "http", seconds, kWarmupMs / 1000);
    std::printf("%-8s %-18s %8s %10s %8s %10s %14s %9s\n", "servers", "checker", "cpu s", "% of core", "user %", "checks/s", "listener cpu%", "check ms");
    for (int count : counts) {
        Listeners listeners;
        Figures perCheck;
        if (!startListeners(count, &listeners)) {
            std::fprintf(stderr, "could not start %d listeners\n", count);
            return 1;
        }
        Figures ours;
        for (const bool reuse : tcp ? QList<bool>{false} : QList<bool>{false, true}) {
            ours = runFulcrum(listeners.ports, tcp, reuse, seconds, listeners.process.processId());
            std::printf("%-8d %-18s %8.2f %10.2f %8.2f %10.0f %14.1f %9.2f%s\n", count, reuse ? "fulcrum (reuse)" : "fulcrum (new conn)",
                        ours.cpuSeconds, ours.percent(), 100.0 * ours.userCpuSeconds / ours.windowSeconds,
                        double(ours.checks) / ours.windowSeconds, 100.0 * ours.listenerCpuSeconds / ours.windowSeconds,
                        ours.checks ? double(ours.durationUs) / double(ours.checks) / 1000.0 : 0.0,
                        ours.failed ? qPrintable(QStringLiteral("  (%1 failed)").arg(ours.failed)) : "");
            std::fflush(stdout);
            if (!reuse)
                perCheck = ours;
        }
        if (withHaproxy) {
            QString error;
            const Figures peer = runHaproxy(listeners.ports, tcp, seconds, listeners.process.processId(), &error);
            if (!error.isEmpty()) {
                std::printf("%-8d %-18s %s\n", count, "haproxy 2.6", qPrintable(error));
            } else {
                std::printf("%-8d %-18s %8.2f %10.2f %8s %10s %14.1f\n", count, "haproxy 2.6", peer.cpuSeconds, peer.percent(),
                            "-", "-", 100.0 * peer.listenerCpuSeconds / peer.windowSeconds);
                std::printf("%-8d CPU vs haproxy: new conn %.2fx", count, peer.cpuSeconds > 0 ? perCheck.cpuSeconds / peer.cpuSeconds : 0.0);
                if (!tcp)
                    std::printf(", reuse %.2fx", peer.cpuSeconds > 0 ? ours.cpuSeconds / peer.cpuSeconds : 0.0);
                std::printf("\n");
            }
            std::fflush(stdout);
        }
        stopProcess(listeners.process);
    }
    return 0;
}
