#!/usr/bin/python3
"""The usual operator script: list children recursively, then get each node (Kazoo, synchronous)."""
import sys
import time

from kazoo.client import KazooClient


def walk(zk, path, counts):
    for child in zk.get_children(path):
        full = path.rstrip("/") + "/" + child
        data, stat = zk.get(full)
        counts["nodes"] += 1
        if stat.numChildren:
            walk(zk, full, counts)


def main():
    zk = KazooClient(hosts=sys.argv[1], timeout=10.0)
    zk.start(timeout=15)
    counts = {"nodes": 0}
    start = time.monotonic()
    walk(zk, "/locks", counts)
    print("kazoo wall_ms=%d nodes=%d" % ((time.monotonic() - start) * 1000, counts["nodes"]))
    zk.stop()


if __name__ == "__main__":
    main()
