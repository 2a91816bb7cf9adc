#!/usr/bin/python3
"""The live ZooKeeper lock table next to polling, in one run on one ZooKeeper (prints figures,
asserts nothing).

usage: run_zk_live_bench.py BUILD_DIR [SECONDS [RATE]]
Starts Debian's ZooKeeper in a temporary directory, fills /locks with 10 000 lock folders (one
Curator-named holder each), warms the JVM up with 15 s of load, then for each mode runs bench_zklive for SECONDS (default 60) while
its load takes and releases mutexes in 2 000 more folders at RATE changes per second (default
1 000): "none" (the load alone, the server's own cost of it), "polling" (watch: false) and
"live" (watches). For each: the delay from a change to the engine's lock table (p50, p99, max)
and the ZooKeeper JVM's CPU per minute, the load's share subtracted.
"""
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from benchprocess import run, start_zookeeper  # noqa: E402


def figure(text, pattern):
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


def main():
    build = sys.argv[1]
    seconds = sys.argv[2] if len(sys.argv) > 2 else "60"
    rate = sys.argv[3] if len(sys.argv) > 3 else "1000"
    populate = os.path.join(build, "bench", "bench_zklocks")
    bench = os.path.join(build, "bench", "bench_zklive")
    with tempfile.TemporaryDirectory() as tmp:
        server, hosts = start_zookeeper(tmp)
        try:
            print(run([populate, hosts, "populate", "10000", "10000"], server.pid)["says"])
            print("load before the run: %s on %d cores" % (" ".join(open("/proc/loadavg").read().split()[:3]), os.cpu_count()))
            # The JVM compiles its hot paths in the first seconds of load: warm it up, untimed.
            run([bench, hosts, str(server.pid), "none", "15", rate], server.pid)
            says = {}
            for mode in ("none", "polling", "live"):
                print("== %s, %s s at %s changes/s" % (mode, seconds, rate))
                says[mode] = run([bench, hosts, str(server.pid), mode, seconds, rate], server.pid)["says"]
                print(says[mode])
            cpu = {m: figure(says[m], r"zookeeper cpu (\d+) ms per minute") for m in says}
            p99 = {m: figure(says[m], r"p99 ([\d.]+)") for m in ("polling", "live")}
            poll, live = cpu["polling"] - cpu["none"], cpu["live"] - cpu["none"]
            print("== summary")
            print("ZooKeeper CPU spent on Fulcrum per minute: polling %.0f ms (%.2f %% of a core), live %.0f ms (%.2f %%): "
                  "live/polling %.3fx" % (poll, poll / 600, live, live / 600, live / poll if poll > 0 else 0))
            print("p99 freshness: polling %.1f ms, live %.2f ms: live/polling %.4fx" % (
                p99["polling"], p99["live"], p99["live"] / p99["polling"] if p99["polling"] > 0 else 0))
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
