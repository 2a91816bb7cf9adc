#!/usr/bin/python3
"""ZooKeeper lock inspection benchmark (prints figures, asserts nothing).

usage: run_zk_bench.py BUILD_DIR [FOLDERS CONTENDERS [ROUNDS]]
Starts Debian's ZooKeeper on a free loopback port in a temporary directory, fills /locks with
FOLDERS lock folders holding CONTENDERS Curator-named contender znodes in all (default 10 000 and
50 000), then inspects it ROUNDS times (default 3, the median is printed) with Fulcrum (bench_zklocks: ZooKeeperLockBackend, pipelined) and
once with the usual operator script (kazoo_inspect.py: recursive get_children, then get each
node), taking turns, after one untimed Fulcrum pass to warm the server. For each: wall time, the server's CPU
time during it (/proc/PID/stat of the JVM), the tool's own CPU time and its peak RSS.
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from benchprocess import median, run, start_zookeeper  # noqa: E402


def main():
    build = sys.argv[1]
    folders = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    contenders = int(sys.argv[3]) if len(sys.argv) > 3 else 50000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    bench = os.path.join(build, "bench", "bench_zklocks")
    with tempfile.TemporaryDirectory() as tmp:
        server, hosts = start_zookeeper(tmp)
        try:
            print(run([bench, hosts, "populate", str(folders), str(contenders)], server.pid)["says"])
            run([bench, hosts, "inspect"], server.pid)
            # Fulcrum as configured by default (waiter_details 1000: the rest of the waiters listed
            # by name, read when a lock is opened) and with every waiter read whole.
            kazoos, fulcrums, alls = [], [], []
            for _ in range(rounds):
                kazoos.append(run(["/usr/bin/python3", os.path.join(HERE, "kazoo_inspect.py"), hosts], server.pid))
                fulcrums.append(run([bench, hosts, "inspect"], server.pid))
                alls.append(run([bench, hosts, "inspect", "all"], server.pid))
            for k, f, a in zip(kazoos, fulcrums, alls):
                print("round: kazoo %.2f s (server %.2f s), fulcrum %.2f s (server %.2f s), every waiter whole %.2f s (server %.2f s)" % (
                    k["wall"], k["server_cpu"], f["wall"], f["server_cpu"], a["wall"], a["server_cpu"]))
            kazoo = median(kazoos)
            fulcrum = median(fulcrums)
            whole = median(alls)
            print("%-44s %10s %14s %12s %12s" % ("", "wall s", "server CPU s", "tool CPU s", "peak RSS MB"))
            for name, r in (("Fulcrum (default, waiter_details 1000)", fulcrum),
                            ("Fulcrum (every waiter read whole)", whole),
                            ("Kazoo operator script", kazoo)):
                print("%-44s %10.2f %14.2f %12.2f %12.1f" % (name, r["wall"], r["server_cpu"], r["tool_cpu"], r["rss_mb"]))
            print("  fulcrum: " + fulcrum["says"])
            print("  whole:   " + whole["says"])
            print("  kazoo:   " + kazoo["says"])
            for name, r in (("default", fulcrum), ("every waiter whole", whole)):
                print("ratio kazoo/fulcrum (%s): wall %.1fx, server CPU %.1fx" % (
                    name, kazoo["wall"] / r["wall"], kazoo["server_cpu"] / max(r["server_cpu"], 0.01)))
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
