#!/usr/bin/env python3
"""Redis Cluster and TLS inspection benchmark (issue 17), one run, real servers on loopback.

A 3-master Redis Cluster and one plain redis-server hold the same 1 000 000 keys, 100 000 of
them locks (keys without hash tags, so spread over all 16 384 slots as a shop's are; 900 000
other keys from DEBUG POPULATE). Full passes through the engine's own LockBackend (bench_redisendpoint):
  * cluster: wall per pass next to the masters' summed CPU per pass / min(masters, cores), the
    wall a pass bound by the servers' CPU would take (target: wall <= 1.15 x that);
  * the single node over plain TCP and over TLS (its tls-port, a CA made by openssl; target: TLS
    <= 1.2 x plain);
  * the floor: bench_bare_scan, a bare hiredis client (a thread per node, SCAN with Fulcrum's
    MATCH and COUNT, PTTL + MGET per batch, replies freed unread) over the same nodes. What it
    costs is what any client must spend; its wall next to the servers' CPU is what this machine
    allows before Fulcrum does any work of its own.
Prints figures and ratios, asserts nothing.
Usage: tests/bench/locks/redis/run_topology_bench.py [BUILD_DIR] [ROUNDS]"""
import binascii
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchprocess import die_with_parent, free_port, server_cpu_seconds  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
BENCH = os.path.join(BUILD, "bench", "bench_redisendpoint")
BARE = os.path.join(BUILD, "bench", "bench_bare_scan")
LOCKS = 100_000
OTHERS = 900_000


def free_cluster_port():
    """A port a cluster node may take: at most 55535, and its bus port (+10000) free too."""
    import socket
    for _ in range(200):
        port = free_port()
        if port > 55535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
                return port
            except OSError:
                continue
    sys.exit("no port for a cluster node")


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + [str(a) for a in args], capture_output=True, text=True, check=True).stdout.strip()


def start_server(directory, port, extra):
    os.makedirs(directory, exist_ok=True)
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory, "--enable-debug-command", "local", "--loglevel", "warning", "--daemonize", "no"] + extra
    log = open(os.path.join(directory, "redis.log"), "w")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    for _ in range(200):
        try:
            if cli(port, "PING") == "PONG":
                return process
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.05)
    sys.exit("redis-server on %d did not start: %s" % (port, open(os.path.join(directory, "redis.log")).read()[-800:]))


def start_cluster(work, name="n", masters=3):
    """A Redis Cluster of `masters` masters without replicas on free ports, its nodes in
    work/<name>0.., once every node says cluster_state:ok: (ports, processes)."""
    ports = [free_cluster_port() for _ in range(masters)]
    processes = [start_server(os.path.join(work, "%s%d" % (name, i)), p,
                              ["--cluster-enabled", "yes", "--cluster-config-file", os.path.join(work, "%s%d" % (name, i), "nodes.conf")])
                 for i, p in enumerate(ports)]
    subprocess.run(["redis-cli", "--cluster", "create"] + ["127.0.0.1:%d" % p for p in ports] + ["--cluster-replicas", "0", "--cluster-yes"],
                   capture_output=True, check=True)
    for _ in range(200):
        if all("cluster_state:ok" in cli(p, "CLUSTER", "INFO") for p in ports):
            break
        time.sleep(0.1)
    return ports, processes


def slot_owners(port):
    """The port of each of the 16 384 slots' master, from CLUSTER NODES."""
    owner = [0] * 16384
    for line in cli(port, "CLUSTER", "NODES").splitlines():
        f = line.split()
        node = int(f[1].split("@")[0].split(":")[1])
        for s in f[8:]:
            first, last = map(int, s.split("-")) if "-" in s else (int(s), int(s))
            for slot in range(first, last + 1):
                owner[slot] = node
    return owner


def lock_commands(key_for):
    """The benchmark's 100 000 locks, as bench_locks.sh writes them, keyed by key_for(i, kind)."""
    for i in range(60_000):
        yield key_for(i, "order"), resp("SET", key_for(i, "order"), "tok-%d" % i, "PX", "600000")
    for i in range(10_000):
        yield key_for(i, "stuck"), resp("SET", key_for(i, "stuck"), "tok-%d" % i)
    for i in range(20_000):
        k = key_for(i, "cart")
        yield k, resp("HSET", k, "8743c9c0-0795-4907-87fd-6c719a6b4586:%d" % i, "1") + resp("PEXPIRE", k, "600000")
    for i in range(10_000):
        yield key_for(i, "fulcrum"), resp("SET", key_for(i, "fulcrum"), "fulcrum:0123456789abcdef0123456789abcdef:%d" % i, "PX", "600000")


def pipe(port, payload):
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, check=True)


THREADS = {}  # address -> [(thread name, CPU ms per pass)] of the last passes() there
SERVER_CPU = {}  # address -> [each server's CPU ms per pass]


def passes(address, servers, ca_file=None):
    """ROUNDS passes; per pass wall (ms) and the servers' summed CPU (ms) per pass."""
    each_before = [server_cpu_seconds(p.pid) for p in servers]
    cpu_before = sum(each_before)
    command = [BENCH, address, str(ROUNDS)] + ([ca_file] if ca_file else [])
    if os.environ.get("FULCRUM_BENCH_PERF") and "cluster" in address:
        # Where Fulcrum's own CPU goes in a cluster pass: perf report -i FILE.
        command = ["perf", "record", "--call-graph", os.environ.get("FULCRUM_BENCH_PERF_GRAPH", "fp"), "-o", os.environ["FULCRUM_BENCH_PERF"]] + command
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
    stdout, stderr = process.communicate(timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / ROUNDS
    if process.returncode != 0:
        sys.exit("%s failed: %s %s" % (" ".join(command), stdout, stderr))
    each = [(server_cpu_seconds(p.pid) - b) * 1000 / ROUNDS for p, b in zip(servers, each_before)]
    SERVER_CPU[address] = each
    cpu = sum(each)
    THREADS[address] = [(line[7:].split(":")[0], float(line.split(":")[1].split()[0]) / ROUNDS)
                        for line in stdout.splitlines() if line.startswith("thread ")]
    walls = [int(line.split(":")[1].split()[0]) for line in stdout.splitlines() if line.startswith("pass ")]
    locks = {line.split(",")[1].strip() for line in stdout.splitlines() if line.startswith("pass ")}
    return walls, cpu, locks, client


def bare_passes(nodes, servers):
    """ROUNDS passes of the bare client over NODES (host:port); as passes()."""
    import resource
    walls, keys = [], set()
    cpu_before = sum(server_cpu_seconds(p.pid) for p in servers)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(ROUNDS):
        out = subprocess.run([BARE, "*lock:*", "1000"] + nodes, capture_output=True, text=True, timeout=600,
                             preexec_fn=die_with_parent)
        if out.returncode != 0:
            sys.exit("%s failed: %s %s" % (BARE, out.stdout, out.stderr))
        walls.append(int(out.stdout.split(":")[1].split()[0]))
        keys.add(out.stdout.split(",")[1].strip())
        time.sleep(0.2)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / ROUNDS
    cpu = (sum(server_cpu_seconds(p.pid) for p in servers) - cpu_before) * 1000 / ROUNDS
    return walls, cpu, keys, client


def main():
    for program in (BENCH, BARE):
        if not os.access(program, os.X_OK):
            sys.exit("missing %s: build with -DFULCRUM_BUILD_BENCH=ON" % program)
    work = tempfile.mkdtemp(prefix="fulcrum-topo-bench-")
    processes = []
    try:
        # Certificates for the single node's TLS port.
        ext = os.path.join(work, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        for step in (["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", work + "/ca.key", "-out", work + "/ca.pem", "-days", "3650", "-subj", "/CN=bench CA"],
                     ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", work + "/server.key", "-out", work + "/server.csr", "-subj", "/CN=127.0.0.1"],
                     ["x509", "-req", "-in", work + "/server.csr", "-CA", work + "/ca.pem", "-CAkey", work + "/ca.key", "-CAcreateserial",
                      "-out", work + "/server.pem", "-days", "3650", "-extfile", ext]):
            subprocess.run(["openssl"] + step, capture_output=True, check=True)

        ports, masters = start_cluster(work)
        processes += masters
        single_port, tls_port = free_port(), free_port()
        single = start_server(os.path.join(work, "single"), single_port,
                              ["--tls-port", str(tls_port), "--tls-cert-file", work + "/server.pem", "--tls-key-file", work + "/server.key",
                               "--tls-ca-cert-file", work + "/ca.pem", "--tls-auth-clients", "no"])
        processes.append(single)

        # Slot ranges per master. Lock keys carry no hash tag, so they spread over all 16 384
        # slots as a shop's keys do (binascii.crc_hqx is Redis Cluster's CRC16).
        slot_owner = slot_owners(ports[0])

        def key_for(i, kind):
            return "lock:%s:%d" % (kind, i)

        def owner_of(key):
            return slot_owner[binascii.crc_hqx(key.encode(), 0) % 16384]

        print("== populating: %d keys, %d of them locks, on a 3-master cluster and on one node" % (OTHERS + LOCKS, LOCKS))
        started = time.monotonic()
        per_node = {p: bytearray() for p in ports}
        everything = bytearray()
        for key, command in lock_commands(key_for):
            per_node[owner_of(key)] += command
            everything += command
        for p in ports:
            pipe(p, bytes(per_node[p]))
            cli(p, "DEBUG", "POPULATE", OTHERS // 3, "data%d" % p)
        pipe(single_port, bytes(everything))
        cli(single_port, "DEBUG", "POPULATE", OTHERS, "data")
        sizes = [int(cli(p, "DBSIZE")) for p in ports]
        print("   cluster: %s keys per master (%d in all); single node: %s keys; %.0f s"
              % (sizes, sum(sizes), cli(single_port, "DBSIZE"), time.monotonic() - started))
        print("== load: %s on %d cores; %d passes each" % (open("/proc/loadavg").read().split()[:3], os.cpu_count(), ROUNDS))

        cluster_walls, cluster_cpu, cluster_locks, cluster_client = passes("redis-cluster://127.0.0.1:%d" % ports[0], masters)
        single_walls, single_cpu, single_locks, single_client = passes("redis://127.0.0.1:%d" % single_port, [single])
        tls_walls, tls_cpu, tls_locks, tls_client = passes("rediss://127.0.0.1:%d" % tls_port, [single], work + "/ca.pem")
        bare_walls, bare_cpu, bare_keys, bare_client = bare_passes(["127.0.0.1:%d" % p for p in ports], masters)
        single_bare_walls, single_bare_cpu, single_bare_keys, single_bare_client = bare_passes(["127.0.0.1:%d" % single_port], [single])
        bound = cluster_cpu / min(3, os.cpu_count())
        bare_bound = bare_cpu / min(3, os.cpu_count())
        bw, sbw = statistics.median(bare_walls), statistics.median(single_bare_walls)
        cw, sw, tw = statistics.median(cluster_walls), statistics.median(single_walls), statistics.median(tls_walls)
        print()
        print("| endpoint | wall per pass, median (range) | servers' CPU per pass | Fulcrum's CPU per pass | locks |")
        print("|---|---|---|---|---|")
        print("| cluster, 3 masters | %d ms (%d–%d) | %.0f ms summed | %.0f ms | %s |" % (cw, min(cluster_walls), max(cluster_walls), cluster_cpu, cluster_client, ", ".join(sorted(cluster_locks))))
        print("| one node, plain TCP | %d ms (%d–%d) | %.0f ms | %.0f ms | %s |" % (sw, min(single_walls), max(single_walls), single_cpu, single_client, ", ".join(sorted(single_locks))))
        print("| one node, TLS | %d ms (%d–%d) | %.0f ms | %.0f ms | %s |" % (tw, min(tls_walls), max(tls_walls), tls_cpu, tls_client, ", ".join(sorted(tls_locks))))
        print("| cluster, bare hiredis client (the floor) | %d ms (%d–%d) | %.0f ms summed | %.0f ms | %s |" % (bw, min(bare_walls), max(bare_walls), bare_cpu, bare_client, ", ".join(sorted(bare_keys))))
        print("| one node, bare hiredis client | %d ms (%d–%d) | %.0f ms | %.0f ms | %s |" % (sbw, min(single_bare_walls), max(single_bare_walls), single_bare_cpu, single_bare_client, ", ".join(sorted(single_bare_keys))))
        print()
        print("cluster wall / (masters' summed CPU / min(3 masters, %d cores)) = %d / %.0f = %.2f (target <= 1.15)" % (os.cpu_count(), cw, bound, cw / bound))
        print("bare client, cluster: wall / (masters' summed CPU / min(3 masters, %d cores)) = %d / %.0f = %.2f (the same target, for the floor)" % (os.cpu_count(), bw, bare_bound, bw / bare_bound))
        print("CPU-bound floor of the cluster pass on this machine: (masters' CPU + Fulcrum's CPU) / %d cores = %.0f ms; Fulcrum's wall is %.2fx it" % (os.cpu_count(), (cluster_cpu + cluster_client) / os.cpu_count(), cw / ((cluster_cpu + cluster_client) / os.cpu_count())))
        print("cluster: Fulcrum's CPU / the bare client's = %.2f; one node: %.2f" % (cluster_client / bare_client, single_client / single_bare_client))
        print("cluster wall / one node's wall = %.2f" % (cw / sw))
        cluster_address = "redis-cluster://127.0.0.1:%d" % ports[0]
        threads = sorted(THREADS[cluster_address], key=lambda t: -t[1])
        print("cluster: Fulcrum's CPU per pass by thread (start included): %s"
              % ", ".join("%s %.0f ms" % t for t in threads if t[1] >= 1))
        print("cluster: each master's CPU per pass: %s; Fulcrum's busiest thread / the busiest master = %.2f"
              % (", ".join("%.0f ms" % c for c in SERVER_CPU[cluster_address]), threads[0][1] / max(SERVER_CPU[cluster_address])))
        print("TLS wall / plain wall = %.2f (target <= 1.2)" % (tw / sw))
    finally:
        for p in processes:
            p.kill()
            p.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
