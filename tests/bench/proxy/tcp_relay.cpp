// The floor of a keep-alive HTTP proxy on this machine, for run.sh's "relay" row: a TCP relay
// that pairs each client connection with a backend connection of its own (round-robin over the
// backends) and copies bytes both ways. It parses nothing, adds no header, keeps no statistics and
// has no timeouts: one read and one write per direction per request, as any proxy must do, on one
// edge-triggered epoll set per worker thread with SO_REUSEPORT listeners, as fulcrumd and nginx
// have. What it costs per request is the kernel's share that no proxy can avoid here.
// Usage: bench_tcp_relay LISTEN_PORT WORKERS BACKEND_PORT...
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::vector<int> g_backendPorts;
std::atomic<unsigned> g_next{0};
int g_listenPort = 0;

struct End
{
    int fd = -1;
    End *peer = nullptr;
    std::string pending; // bytes for this end that the kernel did not take yet
};

sockaddr_in loopback(int port)
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

void noDelay(int fd)
{
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void closePair(End *end)
{
    // The ends are not freed: a later event of the same batch may name them (fd -1 then).
    for (End *e : {end, end->peer}) {
        if (e->fd >= 0)
            close(e->fd);
        e->fd = -1;
    }
}

// Writes what `to` has pending plus `data`; keeps what the kernel refuses for EPOLLOUT.
bool relayTo(End *to, const char *data, size_t size)
{
    if (!to->pending.empty()) {
        to->pending.append(data, size);
        data = to->pending.data();
        size = to->pending.size();
    }
    size_t done = 0;
    while (done < size) {
        const ssize_t n = write(to->fd, data + done, size - done);
        if (n > 0) {
            done += size_t(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else {
            return false;
        }
    }
    std::string rest(data + done, size - done);
    to->pending.swap(rest);
    return true;
}

void worker()
{
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const sockaddr_in address = loopback(g_listenPort);
    if (bind(listener, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0 || listen(listener, 1024) != 0) {
        std::perror("bench_tcp_relay: listen");
        std::exit(1);
    }
    const int poll = epoll_create1(EPOLL_CLOEXEC);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr; // the listener
    epoll_ctl(poll, EPOLL_CTL_ADD, listener, &event);
    std::vector<epoll_event> events(512);
    char buffer[16384];
    for (;;) {
        const int count = epoll_wait(poll, events.data(), int(events.size()), -1);
        for (int i = 0; i < count; ++i) {
            auto *end = static_cast<End *>(events[size_t(i)].data.ptr);
            if (!end) {
                int client;
                while ((client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    const int backend = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                    const sockaddr_in to = loopback(g_backendPorts[g_next++ % g_backendPorts.size()]);
                    if (connect(backend, reinterpret_cast<const sockaddr *>(&to), sizeof to) != 0) {
                        std::perror("bench_tcp_relay: connect");
                        std::exit(1);
                    }
                    fcntl(backend, F_SETFL, fcntl(backend, F_GETFL) | O_NONBLOCK); // connected: now as the client
                    noDelay(client);
                    noDelay(backend);
                    auto *a = new End{client, nullptr, {}};
                    auto *b = new End{backend, a, {}};
                    a->peer = b;
                    for (End *e : {a, b}) {
                        epoll_event add{};
                        add.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
                        add.data.ptr = e;
                        epoll_ctl(poll, EPOLL_CTL_ADD, e->fd, &add);
                    }
                }
                continue;
            }
            if (end->fd < 0)
                continue;
            if ((events[size_t(i)].events & EPOLLOUT) && !end->pending.empty() && !relayTo(end, "", 0)) {
                closePair(end);
                continue;
            }
            for (;;) {
                const ssize_t n = read(end->fd, buffer, sizeof buffer);
                if (n > 0) {
                    if (!relayTo(end->peer, buffer, size_t(n))) {
                        closePair(end);
                        break;
                    }
                    if (size_t(n) < sizeof buffer)
                        break; // a short read: the socket is drained (edge-triggered)
                    continue;
                }
                if (n < 0 && errno == EINTR)
                    continue;
                if (n == 0 || errno != EAGAIN)
                    closePair(end);
                break;
            }
        }
    }
}

} // namespace

int main(int argc, char *argv[])
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_tcp_relay LISTEN_PORT WORKERS BACKEND_PORT...\n");
        return 2;
    }
    g_listenPort = std::atoi(argv[1]);
    const int workers = std::atoi(argv[2]);
    for (int i = 3; i < argc; ++i)
        g_backendPorts.push_back(std::atoi(argv[i]));
    std::vector<std::thread> threads;
    for (int i = 0; i < workers; ++i)
        threads.emplace_back(worker);
    for (std::thread &thread : threads)
        thread.join();
    return 0;
}
