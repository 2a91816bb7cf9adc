#!/usr/bin/python3
"""etcd lock inspection benchmark (prints figures, asserts nothing).

usage: run_etcd_bench.py BUILD_DIR [PREFIXES KEYS [ROUNDS]]
Starts Debian's etcd on free loopback ports in a temporary directory and fills it the way Go
services using concurrency.Mutex do: PREFIXES lock prefixes (default 5 000) under /locks/ with
KEYS contender keys in all (default 20 000), each key on a lease of its own and named after it
(<prefix>/<lease id in hex>), so every prefix has a holder and waiters. Then one full inspection,
ROUNDS times (default 1), taking turns:
  - Fulcrum: `fulcrumctl locks list --etcd URL --prefix /locks/ --json` (process start, paged
    range reads, the holders' leases looked up 32 at a time, JSON out);
  - the operator's script: `etcdctl get /locks/ --prefix --write-out=json`, then
    `etcdctl lease timetolive <id> --keys` for every lease found (what an operator types to
    learn who holds what and for how long).
For each: wall time, the server's CPU time during it (/proc/PID/stat of etcd), the tool's own
CPU time (children included) and its peak RSS.
"""
import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from benchprocess import die_with_parent, free_port, median, run  # noqa: E402


def post(connection, path, body):
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    answer = connection.getresponse()
    data = answer.read()
    if answer.status != 200:
        raise RuntimeError("%s: %d %s" % (path, answer.status, data[:200]))
    return json.loads(data)


def populate(port, prefixes, keys):
    """Each key on a lease of its own, named after it, as concurrency.Mutex writes them."""
    def worker(indexes, failures):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in indexes:
            try:
                lease = int(post(connection, "/v3/lease/grant", {"TTL": 3600})["ID"])
                key = "/locks/prefix-%05d/%x" % (i % prefixes, lease)
                post(connection, "/v3/kv/put", {"key": base64.b64encode(key.encode()).decode(), "value": "", "lease": str(lease)})
            except Exception as e:  # noqa: BLE001 - counted and reported
                failures.append(str(e))
        connection.close()

    failures = []
    threads = [threading.Thread(target=worker, args=(range(t, keys, 4), failures)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def main():
    build = sys.argv[1]
    prefixes = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    keys = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    fulcrumctl = os.path.join(build, "bin", "fulcrumctl")
    with tempfile.TemporaryDirectory() as tmp:
        port, peer = free_port(), free_port()
        url = "http://127.0.0.1:%d" % port
        server = subprocess.Popen(["/usr/bin/etcd", "--name", "bench", "--data-dir", os.path.join(tmp, "data"),
                                   "--listen-client-urls", url, "--advertise-client-urls", url,
                                   "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
                                   "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
                                   "--initial-cluster", "bench=http://127.0.0.1:%d" % peer],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    post(connection, "/v3/kv/range", {"key": base64.b64encode(b"x").decode()})
                    break
                except (OSError, RuntimeError):
                    if time.monotonic() > deadline or server.poll() is not None:
                        sys.exit("etcd did not start on port %d" % port)
                    time.sleep(0.2)
            started = time.monotonic()
            failures = populate(port, prefixes, keys)
            print("populated prefixes=%d keys=%d leases=%d failures=%d in %.1f s" % (
                prefixes, keys, keys, len(failures), time.monotonic() - started))
            if failures:
                sys.exit("populating failed: " + failures[0])
            fulcrum_command = [fulcrumctl, "locks", "list", "--etcd", url, "--prefix", "/locks/", "--json", "--timeout", "60s"]
            operator_command = [sys.executable, os.path.join(HERE, "etcdctl_inspect.py"), url]
            run(fulcrum_command, server.pid)  # warm the server once, untimed
            fulcrums, operators = [], []
            for _ in range(rounds):
                operators.append(run(operator_command, server.pid))
                fulcrums.append(run(fulcrum_command, server.pid))
            for o, f in zip(operators, fulcrums):
                print("round: operator script %.2f s (server %.2f s), fulcrum %.2f s (server %.2f s)" % (
                    o["wall"], o["server_cpu"], f["wall"], f["server_cpu"]))
            fulcrum = median(fulcrums)
            operator = median(operators)
            locks = json.loads(fulcrum["out"])
            waiters = sum(len(lock.get("waiters", [])) for lock in locks)
            print("%-44s %10s %14s %12s %12s" % ("", "wall s", "server CPU s", "tool CPU s", "peak RSS MB"))
            for name, r in (("Fulcrum (fulcrumctl locks list --etcd)", fulcrum),
                            ("etcdctl get --prefix + lease timetolive", operator)):
                print("%-44s %10.2f %14.2f %12.2f %12.1f" % (name, r["wall"], r["server_cpu"], r["tool_cpu"], r["rss_mb"]))
            print("  fulcrum: locks=%d waiters=%d" % (len(locks), waiters))
            print("  operator script: " + operator["out"].strip())
            print("ratio operator/fulcrum: wall %.1fx, server CPU %.1fx" % (
                operator["wall"] / fulcrum["wall"], operator["server_cpu"] / max(fulcrum["server_cpu"], 0.01)))
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
