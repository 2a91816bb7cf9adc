// Latency a proxy adds, measured so that a busy machine hits every target alike: one
// keep-alive connection per target, one request at a time, the targets taken in turn
// (direct, proxy A, proxy B, direct, ...) at a fixed pace. A scheduling hiccup then lands on
// all targets in the same seconds instead of on whichever one wrk happened to be running.
//
//   bench_latency_probe [--requests N] [--rate R] NAME=PORT...   (the first one is the baseline)
//
// Prints p50/p90/p99/p99.9 per target and each one's difference to the baseline. Asserts
// nothing. Loopback only; stops after N requests per target.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Target
{
    std::string name;
    int port = 0;
    int fd = -1;
    std::vector<double> micros;
};

int connectTo(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        std::fprintf(stderr, "bench_latency_probe: cannot connect to 127.0.0.1:%d: %s\n", port, std::strerror(errno));
        std::exit(1);
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// Sends one GET and reads one Content-Length response; false when the connection broke.
bool exchange(int fd, std::string &buffer)
{
    static const char request[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
    if (::send(fd, request, sizeof request - 1, 0) != ssize_t(sizeof request - 1))
        return false;
    buffer.clear();
    size_t headEnd = std::string::npos;
    size_t total = 0;
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return false;
        buffer.append(chunk, size_t(n));
        if (headEnd == std::string::npos) {
            headEnd = buffer.find("\r\n\r\n");
            if (headEnd == std::string::npos)
                continue;
            std::string head = buffer.substr(0, headEnd);
            std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return char(std::tolower(c)); });
            const size_t at = head.find("content-length:");
            if (at == std::string::npos)
                return false;
            total = headEnd + 4 + size_t(std::strtoull(head.c_str() + at + 15, nullptr, 10));
        }
        if (buffer.size() >= total)
            return true;
    }
}

double percentile(std::vector<double> sorted, double p)
{
    std::sort(sorted.begin(), sorted.end());
    const size_t index = std::min(sorted.size() - 1, size_t(p / 100.0 * double(sorted.size())));
    return sorted[index];
}

} // namespace

int main(int argc, char **argv)
{
    int requests = 20000;
    double rate = 2000;
    std::vector<Target> targets;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--requests" && i + 1 < argc) {
            requests = std::atoi(argv[++i]);
        } else if (arg == "--rate" && i + 1 < argc) {
            rate = std::atof(argv[++i]);
        } else if (arg.find('=') != std::string::npos) {
            Target t;
            t.name = arg.substr(0, arg.find('='));
            t.port = std::atoi(arg.c_str() + arg.find('=') + 1);
            targets.push_back(t);
        } else {
            std::fprintf(stderr, "usage: bench_latency_probe [--requests N] [--rate R] NAME=PORT... (first is the baseline)\n");
            return 2;
        }
    }
    if (targets.size() < 2 || requests < 100 || requests > 10'000'000 || rate <= 0 || rate > 100'000) {
        std::fprintf(stderr, "bench_latency_probe: give at least two NAME=PORT targets, --requests 100..10000000, --rate 1..100000\n");
        return 2;
    }
    std::string buffer;
    for (Target &t : targets) {
        t.fd = connectTo(t.port);
        t.micros.reserve(size_t(requests));
        for (int i = 0; i < 200; ++i) // warm-up: the proxies' server connections, caches
            if (!exchange(t.fd, buffer)) {
                std::fprintf(stderr, "bench_latency_probe: %s (port %d) closed the connection\n", t.name.c_str(), t.port);
                return 1;
            }
    }
    const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
    auto next = Clock::now();
    for (int i = 0; i < requests; ++i) {
        for (Target &t : targets) {
            next += interval;
            std::this_thread::sleep_until(next);
            const auto start = Clock::now();
            if (!exchange(t.fd, buffer)) {
                std::fprintf(stderr, "bench_latency_probe: %s (port %d) closed the connection\n", t.name.c_str(), t.port);
                return 1;
            }
            t.micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        }
    }
    const double points[] = {50, 90, 99, 99.9};
    std::printf("%-10s %9s %9s %9s %9s   %s\n", "target", "p50 us", "p90 us", "p99 us", "p99.9 us", "added to baseline p50 / p99 / p99.9 (us)");
    const Target &base = targets.front();
    for (const Target &t : targets) {
        double v[4], b[4];
        for (int k = 0; k < 4; ++k) {
            v[k] = percentile(t.micros, points[k]);
            b[k] = percentile(base.micros, points[k]);
        }
        std::printf("%-10s %9.0f %9.0f %9.0f %9.0f", t.name.c_str(), v[0], v[1], v[2], v[3]);
        if (&t == &base)
            std::printf("   (baseline)\n");
        else
            std::printf("   %+.0f / %+.0f / %+.0f\n", v[0] - b[0], v[2] - b[2], v[3] - b[3]);
    }
    for (Target &t : targets)
        ::close(t.fd);
    return 0;
}
