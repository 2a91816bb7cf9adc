// The floor of a lock inspection, for run_topology_bench.py: the least any client must do to
// read the same locks. One thread per node, plain hiredis, blocking: SCAN MATCH PATTERN COUNT N,
// then for each batch PTTL per key and one MGET in one pipeline (with more than one node, a
// Cluster's masters: GET per key, since a master refuses MGET over several slots), replies freed
// unread. No
// classification, no table, no merge. Its CPU is what a client cannot avoid (the replies are
// parsed by hiredis); its wall, next to the servers' CPU, shows what this machine allows.
// Prints "bare: WALL ms wall, KEYS keys read".
// Usage: bench_bare_scan PATTERN COUNT HOST:PORT [HOST:PORT...]
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Node
{
    std::string host;
    int port = 0;
    const char *pattern = nullptr;
    const char *count = nullptr;
    long long keys = 0;
    bool failed = false;
    bool getPerKey = false;
};

void scanNode(Node *n)
{
    redisContext *c = redisConnect(n->host.c_str(), n->port);
    if (!c || c->err) {
        std::fprintf(stderr, "%s:%d: %s\n", n->host.c_str(), n->port, c ? c->errstr : "out of memory");
        n->failed = true;
        return;
    }
    char cursor[32] = "0";
    do {
        auto *scan = static_cast<redisReply *>(redisCommand(c, "SCAN %s MATCH %s COUNT %s", cursor, n->pattern, n->count));
        if (!scan || scan->type != REDIS_REPLY_ARRAY || scan->elements != 2) {
            std::fprintf(stderr, "%s:%d: SCAN failed\n", n->host.c_str(), n->port);
            n->failed = true;
            break;
        }
        std::snprintf(cursor, sizeof cursor, "%s", scan->element[0]->str);
        redisReply *batch = scan->element[1];
        if (batch->elements > 0) {
            const size_t argc = batch->elements + 1;
            std::vector<const char *> argv(argc);
            std::vector<size_t> lens(argc);
            argv[0] = "MGET";
            lens[0] = 4;
            for (size_t i = 0; i < batch->elements; ++i) {
                redisAppendCommand(c, "PTTL %b", batch->element[i]->str, size_t(batch->element[i]->len));
                argv[i + 1] = batch->element[i]->str;
                lens[i + 1] = size_t(batch->element[i]->len);
            }
            if (n->getPerKey) {
                for (size_t i = 0; i < batch->elements; ++i)
                    redisAppendCommand(c, "GET %b", batch->element[i]->str, size_t(batch->element[i]->len));
            } else {
                redisAppendCommandArgv(c, int(argc), argv.data(), lens.data());
            }
            const size_t replies = n->getPerKey ? 2 * batch->elements : argc;
            for (size_t i = 0; i < replies; ++i) {
                void *r = nullptr;
                if (redisGetReply(c, &r) != REDIS_OK) {
                    n->failed = true;
                    break;
                }
                freeReplyObject(r);
            }
            n->keys += static_cast<long long>(batch->elements);
        }
        freeReplyObject(scan);
    } while (!n->failed && std::strcmp(cursor, "0") != 0);
    redisFree(c);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_bare_scan PATTERN COUNT HOST:PORT [HOST:PORT...]\n");
        return 2;
    }
    std::vector<Node> nodes(size_t(argc - 3));
    for (size_t i = 0; i < nodes.size(); ++i) {
        const std::string address = argv[i + 3];
        const size_t colon = address.rfind(':');
        if (colon == std::string::npos) {
            std::fprintf(stderr, "%s: expected HOST:PORT\n", address.c_str());
            return 2;
        }
        nodes[i].host = address.substr(0, colon);
        nodes[i].port = std::stoi(address.substr(colon + 1));
        nodes[i].pattern = argv[1];
        nodes[i].count = argv[2];
        nodes[i].getPerKey = nodes.size() > 1;
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (Node &n : nodes)
        threads.emplace_back(scanNode, &n);
    long long keys = 0;
    bool failed = false;
    for (size_t i = 0; i < nodes.size(); ++i) {
        threads[i].join();
        keys += nodes[i].keys;
        failed = failed || nodes[i].failed;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("bare: %.0f ms wall, %lld keys read\n", ms, keys);
    return failed ? 1 : 0;
}
