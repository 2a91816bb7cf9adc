#!/usr/bin/env python3
"""The live lock table of a Redis Cluster and of Redlock masters next to polling, one run, real
servers on loopback (bench_livetable.sh does the same for one node).

Two topologies, three masters each, and the same keys as bench_livetable.sh: 900 000 other keys
and 100 000 locks (70 000 strings, 30 000 Redisson hashes).
  * cluster: a 3-master Redis Cluster, keys without hash tags spread over all slots as a shop's
    are; the load sends each change to the master of its key's slot, so each master sees about a
    third of them.
  * redlock: three independent redis-servers, each holding every lock (a Redlock client writes
    each lock to every master); the load sends each change to all three, so each master sees all
    of them, and the table shows a lock once a majority holds it.
A load thread makes RATE lock changes per second (acquire, extend, release, short locks left to
expire; bench_livetable). Per topology, modes of SECONDS each: the load alone (notifications off),
polling (notifications off), and in ROUNDS rounds: the load alone, a bare subscriber (a
redis-cli PSUBSCRIBE per master on Fulcrum's default patterns, reading and discarding: the floor
of any consumer of keyspace notifications) and live. For each: the masters' main-thread CPU per
minute (the load alone's just before subtracted), each master's and the busiest one's, Fulcrum's
own commands by INFO commandstats, and how long a change takes to reach the engine's table.
Prints figures and ratios, asserts nothing.
Usage: [BENCH_SECONDS=30] [RATE=1000] [ROUNDS=3] [TOPOLOGIES="cluster redlock"]
       tests/bench/locks/redis/run_live_topology_bench.py [BUILD_DIR]"""
import binascii
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchprocess import die_with_parent, free_port  # noqa: E402
from run_topology_bench import cli, pipe, resp, slot_owners, start_cluster, start_server  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
BENCH = os.path.join(BUILD, "bench", "bench_livetable")
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
RATE = int(os.environ.get("RATE", "1000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
TOPOLOGIES = os.environ.get("TOPOLOGIES", "cluster redlock").split()
LIVE_FLAGS = "Kg$hxe"
PATTERNS = ["__keyspace@0__:lock:*", "__keyspace@0__:*:lock:*"]


def locks():
    """bench_livetable.sh's 100 000 locks: (key, RESP commands)."""
    for i in range(70_000):
        k = "lock:order:%d" % i
        yield k, resp("SET", k, "tok-%d" % i, "PX", "3600000")
    for i in range(30_000):
        k = "app:lock:cart:%d" % i
        yield k, resp("HSET", k, "8743c9c0-0795-4907-87fd-6c719a6b4586:%d" % i, "1") + resp("PEXPIRE", k, "3600000")


def key_slot(key):
    """Redis Cluster's slot of a key without a hash tag (binascii.crc_hqx is its CRC16)."""
    return binascii.crc_hqx(key.encode(), 0) % 16384


def clear_load_keys(ports):
    """The load's keys go between modes, one DEL each (a cluster refuses DEL across slots)."""
    for p in ports:
        keys = subprocess.run(["redis-cli", "-p", str(p), "--scan", "--pattern", "lock:load:*"], capture_output=True, text=True,
                              check=True).stdout.split()
        if keys:
            pipe(p, b"".join(resp("DEL", k) for k in keys))


def notifications(ports, flags):
    for p in ports:
        cli(p, "CONFIG", "SET", "notify-keyspace-events", flags)


def bench(target, ports, mode, label, flags):
    notifications(ports, flags)
    print("== %s %s (notify-keyspace-events \"%s\"), %d s at %d changes/s, load %s" % (target.split(":")[0], label, flags, SECONDS, RATE,
                                                                                       open("/proc/loadavg").read().split()[0]), flush=True)
    out = subprocess.run([BENCH, target, mode, str(SECONDS), str(RATE)], capture_output=True, text=True, timeout=SECONDS + 300,
                         preexec_fn=die_with_parent)
    if out.returncode != 0:
        sys.exit("bench_livetable %s %s failed: %s %s" % (target, mode, out.stdout, out.stderr))
    print("   " + out.stdout.strip().replace("\n", "\n   "), flush=True)
    clear_load_keys(ports)
    text = out.stdout
    figures = {"cpu": float(re.search(r"^redis-server cpu (\S+) ms", text, re.M).group(1)),
               "each": [float(x) for x in re.search(r"^each server's cpu, ms per minute: (.*)$", text, re.M).group(1).split()],
               "commands": float(re.search(r"Fulcrum's commands \d+ calls, (\S+) ms per minute", text).group(1))}
    fresh = re.search(r"^freshness .* p50 (\S+) p99 (\S+) max (\S+)", text, re.M)
    if fresh:
        figures["p50"], figures["p99"], figures["max"] = (float(x) for x in fresh.groups())
    return figures


def subscribe(target, ports, label):
    """The load alone with a bare subscriber per master on Fulcrum's default patterns."""
    notifications(ports, LIVE_FLAGS)
    subscribers = [subprocess.Popen(["redis-cli", "-p", str(p), "PSUBSCRIBE"] + PATTERNS, stdout=subprocess.DEVNULL,
                                    preexec_fn=die_with_parent) for p in ports]
    time.sleep(1)
    try:
        return bench(target, ports, "none", label, LIVE_FLAGS)
    finally:
        for s in subscribers:
            s.kill()
            s.wait()


def run_topology(name, target, ports):
    print("== %s: load before the run %s on %d cores" % (name, open("/proc/loadavg").read().split()[:3], os.cpu_count()), flush=True)
    base = bench(target, ports, "none", "none-0", "")
    polling = bench(target, ports, "polling", "polling", "")
    rounds = []
    for r in range(1, ROUNDS + 1):
        alone = bench(target, ports, "none", "none-%d" % r, "")
        floor = subscribe(target, ports, "subscribe-%d" % r)
        live = bench(target, ports, "live", "live-%d" % r, LIVE_FLAGS)
        rounds.append((alone, floor, live))
    return base, polling, rounds


def summary(name, masters, base, polling, rounds):
    over = lambda run, alone: run["cpu"] - alone["cpu"]                                         # noqa: E731
    busiest = lambda run, alone: max(a - b for a, b in zip(run["each"], alone["each"]))        # noqa: E731
    poll = over(polling, base)
    lives = [over(live, alone) for alone, _, live in rounds]
    floors = [over(floor, alone) for alone, floor, _ in rounds]
    live_busiest = [busiest(live, alone) for alone, _, live in rounds]
    p99s = [live["p99"] for _, _, live in rounds]
    live, floor, live_top = statistics.median(lives), statistics.median(floors), statistics.median(live_busiest)
    print()
    print("### %s, %d masters: %d s per mode, %d changes/s, %d rounds" % (name, masters, SECONDS, RATE, len(rounds)))
    print("| round | masters' CPU for the load alone, ms/min (summed) | bare subscriber over it | live over it | "
          "live, busiest master | p99 freshness | Fulcrum's commands (commandstats) |")
    print("|---|---|---|---|---|---|---|")
    for r, (alone, fl, lv) in enumerate(rounds, 1):
        print("| %d | %.0f | %.0f ms (%.2f %% of one thread) | %.0f ms (%.2f %%) | %.0f ms (%.2f %%) | %.1f ms | %.0f ms (%.2f %%) |"
              % (r, alone["cpu"], over(fl, alone), over(fl, alone) / 600, over(lv, alone), over(lv, alone) / 600,
                 busiest(lv, alone), busiest(lv, alone) / 600, lv["p99"], lv["commands"], lv["commands"] / 600))
    print("polling: %.0f ms per minute over the load alone, summed over the masters (%.2f %% of one thread; busiest master %.0f ms, "
          "%.2f %%), Fulcrum's commands %.0f ms; freshness p50 %.0f ms, p99 %.0f ms, max %.0f ms"
          % (poll, poll / 600, busiest(polling, base), busiest(polling, base) / 600, polling["commands"], polling["p50"], polling["p99"],
             polling["max"]))
    print("median: live %.0f ms per minute summed (%.2f %% of one thread; busiest master %.0f ms, %.2f %% of its thread) against "
          "polling %.0f ms: live/polling %.3fx" % (live, live / 600, live_top, live_top / 600, poll, live / poll if poll > 0 else 0))
    print("median bare subscriber: %.0f ms per minute summed (%.2f %%); live minus it: %.0f ms (%.2f %%)"
          % (floor, floor / 600, live - floor, (live - floor) / 600))
    print("p99 freshness: polling %.0f ms, live (median round) %.1f ms: live/polling %.4fx"
          % (polling["p99"], statistics.median(p99s), statistics.median(p99s) / polling["p99"] if polling["p99"] > 0 else 0))


def main():
    if not os.access(BENCH, os.X_OK):
        sys.exit("missing %s: build with -DFULCRUM_BUILD_BENCH=ON" % BENCH)
    work = tempfile.mkdtemp(prefix="fulcrum-live-topo-bench-")
    processes = []
    results = []
    try:
        if "cluster" in TOPOLOGIES:
            ports, masters = start_cluster(work, "c")
            processes += masters
            owner = slot_owners(ports[0])
            per_node = {p: bytearray() for p in ports}
            for key, command in locks():
                per_node[owner[key_slot(key)]] += command
            for p in ports:
                pipe(p, bytes(per_node[p]))
                cli(p, "DEBUG", "POPULATE", 300_000, "data%d" % p)
            print("== cluster: %s keys per master" % [int(cli(p, "DBSIZE")) for p in ports], flush=True)
            base, polling, rounds = run_topology("cluster", "cluster:" + ",".join(map(str, ports)), ports)
            results.append(("Redis Cluster", base, polling, rounds))
        if "redlock" in TOPOLOGIES:
            ports = [free_port() for _ in range(3)]
            processes += [start_server(os.path.join(work, "r%d" % i), p, []) for i, p in enumerate(ports)]
            everything = b"".join(command for _, command in locks())
            for p in ports:
                pipe(p, everything)
                cli(p, "DEBUG", "POPULATE", 900_000, "data")
            print("== redlock: %s keys per master" % [int(cli(p, "DBSIZE")) for p in ports], flush=True)
            base, polling, rounds = run_topology("redlock", "redlock:" + ",".join(map(str, ports)), ports)
            results.append(("Redlock", base, polling, rounds))
        for name, base, polling, rounds in results:
            summary(name, 3, base, polling, rounds)
    finally:
        for p in processes:
            p.kill()
            p.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
