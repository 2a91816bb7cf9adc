#!/usr/bin/python3
"""The operator's script that run_etcd_bench.py compares Fulcrum with: what an operator types to
learn who holds which etcd lock and for how long. `etcdctl get /locks/ --prefix -w json`, then
`etcdctl lease timetolive <id> --keys` once per lease found. Prints one summary line.

usage: etcdctl_inspect.py ENDPOINT_URL
"""
import json
import os
import subprocess
import sys


def main():
    endpoint = sys.argv[1]
    env = dict(os.environ, ETCDCTL_API="3")
    base = ["/usr/bin/etcdctl", "--endpoints=" + endpoint]
    listing = json.loads(subprocess.run(base + ["get", "/locks/", "--prefix", "--write-out=json"], env=env,
                                        check=True, capture_output=True, text=True).stdout)
    leases = sorted({int(kv["lease"]) for kv in listing.get("kvs", []) if int(kv.get("lease", 0))})
    alive = 0
    for lease in leases:
        answer = subprocess.run(base + ["lease", "timetolive", "%x" % lease, "--keys"], env=env, check=True,
                                capture_output=True, text=True).stdout
        alive += "remaining" in answer
    print("keys=%d leases=%d looked_up=%d alive=%d" % (len(listing.get("kvs", [])), len(leases), len(leases), alive))


if __name__ == "__main__":
    main()
