#!/usr/bin/env python3
"""Mutation fuzz for fulcrumd's HTTP/1.1 front end (loopback only, stops by itself).

Sends valid GET/POST/chunked/HTTP/1.0 requests with random mutations (flipped, inserted and
deleted bytes, duplicated header lines, bad chunk sizes, huge numbers), in random pieces, with
random pauses and sometimes a half-close, over many connections. Counts what came back. After
the run, a clean GET must still get 200: the proxy survived everything it was sent.

    tests/fuzz/proxy_fuzz.py --target 127.0.0.1:8080 [--seconds 40] [--seed N]

Exit 0 when the proxy still serves afterwards, 1 when it does not. Run it against a fulcrumd
built with -fsanitize=address,undefined to catch memory errors (the sanitizer aborts fulcrumd,
and the final GET then fails).
"""
import argparse
import random
import socket
import sys
import time

SEEDS = [
    b"GET / HTTP/1.1\r\nHost: shop\r\n\r\n",
    b"GET /cart?id=7 HTTP/1.1\r\nHost: shop\r\nConnection: keep-alive\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
    b"POST /order HTTP/1.1\r\nHost: shop\r\nContent-Length: 11\r\n\r\norder=12345",
    b"POST /order HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: shop\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: shop\r\n\r\nGET /2 HTTP/1.1\r\nHost: shop\r\n\r\n",
]
NASTY = [b"\r\n", b"\n", b"\r", b":", b" ", b"\t", b"\x00", b"\xff", b"chunked", b"Content-Length: 5\r\n",
         b"Transfer-Encoding: chunked\r\n", b"ffffffffffffffff", b"-1", b"99999999999999999999", b"\r\n\r\n",
         b"Host: other\r\n", b" folded\r\n", b"HTTP/2.0", b"%00", b"0\r\n\r\n"]


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(pos, len(data) - 1)] = rng.randrange(256)
        elif op == 1:
            data[pos:pos] = rng.choice(NASTY)
        elif op == 2 and data:
            del data[pos:pos + rng.randint(1, 8)]
        elif op == 3:
            lines = bytes(data).split(b"\r\n")
            if len(lines) > 2:
                i = rng.randrange(1, len(lines) - 1)
                lines.insert(i, lines[i])
                data = bytearray(b"\r\n".join(lines))
        else:
            data[pos:pos] = bytes(rng.randrange(32, 127) for _ in range(rng.randint(1, 64)))
    return bytes(data)


def exchange(rng, host, port, counts):
    s = socket.create_connection((host, port), timeout=2)
    try:
        payload = b"".join(mutate(rng, rng.choice(SEEDS)) if rng.random() < 0.8 else rng.choice(SEEDS)
                           for _ in range(rng.randint(1, 3)))
        while payload:
            piece = rng.randint(1, max(1, len(payload)))
            s.sendall(payload[:piece])
            payload = payload[piece:]
            if rng.random() < 0.2:
                time.sleep(rng.random() * 0.01)
        if rng.random() < 0.2:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(0.5)
        reply = b""
        try:
            while len(reply) < 65536:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            pass
        if reply.startswith(b"HTTP/1.1 "):
            status = reply[9:12].decode("ascii", "replace")
            counts[status] = counts.get(status, 0) + 1
        else:
            counts["closed or nothing"] = counts.get("closed or nothing", 0) + 1
    except OSError as error:
        name = "connection error: " + type(error).__name__
        counts[name] = counts.get(name, 0) + 1
    finally:
        s.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="HOST:PORT of fulcrumd's listener (loopback)")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    if not (host.startswith("127.") or host in ("::1", "localhost")):
        sys.exit("proxy_fuzz.py: --target must be on loopback, got " + host)
    rng = random.Random(args.seed)
    counts, connections = {}, 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        exchange(rng, host, int(port), counts)
        connections += 1
    print(f"seed {args.seed}: {connections} connections; answers: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    try:
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n")
        s.settimeout(5)
        reply = s.recv(65536)
        s.close()
    except OSError as error:
        print(f"after the fuzz the proxy does not answer: {error}")
        return 1
    if not reply.startswith(b"HTTP/1.1 200"):
        print("after the fuzz a clean GET got: " + reply[:80].decode("latin-1"))
        return 1
    print("after the fuzz a clean GET still gets 200")
    return 0


if __name__ == "__main__":
    sys.exit(main())
