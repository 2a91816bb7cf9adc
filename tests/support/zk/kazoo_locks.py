#!/usr/bin/python3
"""Takes one Kazoo lock and holds it until told: a real Kazoo client for Fulcrum's tests.

usage: kazoo_locks.py RECIPE HOSTS PATH IDENTIFIER [MAX_LEASES]
RECIPE: lock | curator-compatible | read | write | semaphore
("curator-compatible" is a Lock that also queues behind Curator's "-lock-" nodes.)
Prints "acquired" once it holds; "release" on stdin (or end of input) releases it and exits.
"""
import sys

from kazoo.client import KazooClient


def main():
    recipe, hosts, path, identifier = sys.argv[1:5]
    max_leases = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    client = KazooClient(hosts=hosts, timeout=3.0)
    client.start(timeout=15)
    if recipe == "lock":
        lock = client.Lock(path, identifier)
    elif recipe == "curator-compatible":
        lock = client.Lock(path, identifier, extra_lock_patterns=["-lock-"])
    elif recipe == "read":
        lock = client.ReadLock(path, identifier)
    elif recipe == "write":
        lock = client.WriteLock(path, identifier)
    elif recipe == "semaphore":
        lock = client.Semaphore(path, identifier, max_leases=max_leases)
    else:
        sys.exit("unknown recipe " + recipe)
    print("waiting", flush=True)
    lock.acquire()
    print("acquired", flush=True)
    for line in sys.stdin:
        if line.strip() == "release":
            break
    lock.release()
    print("released", flush=True)
    client.stop()


if __name__ == "__main__":
    main()
