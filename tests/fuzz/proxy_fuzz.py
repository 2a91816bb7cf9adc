#!/usr/bin/env python3
"""Mutation fuzz for fulcrumd's HTTP/1.1 front end (loopback only, stops by itself).

Sends valid GET/POST/chunked/HTTP/1.0 requests with random mutations (flipped, inserted and
deleted bytes, duplicated header lines, bad chunk sizes, huge numbers), in random pieces, with
random pauses and sometimes a half-close, over many connections. Counts what came back. After
the run, a clean GET must still get 200: the proxy survived everything it was sent.

    tests/fuzz/proxy_fuzz.py --target 127.0.0.1:8080 [--seconds 40] [--seed N] [--tls | --h2]

With --tls the target is a TLS listener: the same mutated requests go inside TLS connections,
and a quarter of the connections fuzz the handshake itself instead (a real ClientHello with
flipped, inserted and deleted bytes, cut short, or followed by garbage records), as raw bytes.

With --h2 the target is a TLS listener and every connection speaks HTTP/2 (ALPN h2): valid
requests (HEADERS with HPACK from the hpack package, DATA) mixed with mutated and random frames
(every frame type, odd flags and stream ids, lengths that lie, huge or zero window increments,
odd SETTINGS, garbage HPACK, frames cut short), each connection read until it closes. The
final check is then a clean HTTP/2 GET that must get :status 200. Needs /usr/bin/python3 with
python3-hpack (scripts/packages.txt installs python3-h2, which brings it).

Exit 0 when the proxy still serves afterwards, 1 when it does not. Run it against a fulcrumd
built with -fsanitize=address,undefined to catch memory errors (the sanitizer aborts fulcrumd,
and the final GET then fails).
"""
import argparse
import random
import socket
import ssl
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


def tally(counts, name):
    counts[name] = counts.get(name, 0) + 1


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


def read_reply(s, timeout):
    """What the proxy answers within the time (up to 64 KiB), until it closes."""
    s.settimeout(timeout)
    reply = b""
    try:
        while len(reply) < 65536:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    except socket.timeout:
        pass
    return reply


def client_context():
    # The fuzz checks the proxy, not its certificate: no verification.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def client_hello(rng):
    """A real ClientHello (TLS 1.2 or 1.3, random SNI), as the bytes a client would send."""
    context = client_context()
    if rng.random() < 0.3:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    length = rng.randint(1, 240)   # long names, in labels of at most 63 (IDNA refuses longer ones)
    long_name = ".".join(["x" * 60] * (length // 61) + ["x" * max(1, length % 61)])
    name = rng.choice(["shop.test", long_name, "pay.api.test", None])
    tls = context.wrap_bio(incoming, outgoing, server_hostname=name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def fuzz_handshake(rng, host, port, counts):
    hello = bytearray(client_hello(rng))
    for _ in range(rng.randint(0, 6)):
        op = rng.randrange(4)
        pos = rng.randrange(len(hello) + 1)
        if op == 0 and hello:
            hello[min(pos, len(hello) - 1)] = rng.randrange(256)
        elif op == 1:
            hello[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 2 and hello:
            del hello[pos:pos + rng.randint(1, 16)]
        else:
            hello = hello[:pos]   # cut short
    if rng.random() < 0.2:   # a record header claiming more than follows, or garbage records
        hello += bytes([rng.choice([20, 21, 22, 23, 24]), 3, rng.randrange(5), rng.randrange(256), rng.randrange(256)])
        hello += bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    s = socket.create_connection((host, port), timeout=2)
    try:
        s.sendall(bytes(hello))
        if rng.random() < 0.3:
            s.shutdown(socket.SHUT_WR)
        reply = read_reply(s, 0.3)
        kind = {21: "handshake: alert", 22: "handshake: server hello"}.get(reply[0] if reply else None, "handshake: closed or nothing")
        tally(counts, kind)
    except OSError as error:
        name = "handshake: connection error: " + type(error).__name__
        tally(counts, name)
    finally:
        s.close()


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2_frame(kind, flags, stream, payload=b"", length=None):
    length = len(payload) if length is None else length
    return (length & 0xFFFFFF).to_bytes(3, "big") + bytes([kind, flags]) + (stream & 0xFFFFFFFF).to_bytes(4, "big") + payload


def h2_context():
    context = client_context()
    context.set_alpn_protocols(["h2"])
    return context


def h2_request(encoder, stream, rng):
    """A valid request as frames: HEADERS (+ DATA for a POST)."""
    post = rng.random() < 0.4
    headers = [(":method", "POST" if post else "GET"), (":scheme", "https"), (":authority", "shop.test"),
               (":path", rng.choice(["/", "/echo", "/cart?id=7", "/bytes/3000"]))]
    if rng.random() < 0.3:
        headers.append(("cookie", "a=%d" % rng.randrange(1000)))
    if post and rng.random() < 0.5:
        headers.append(("content-length", "11"))
    block = encoder.encode(headers)
    if not post:
        return h2_frame(1, 0x5, stream, block)
    return h2_frame(1, 0x4, stream, block) + h2_frame(0, 0x1, stream, b"order=12345")


def h2_random_frame(rng, stream):
    kind = rng.randrange(11)
    payload = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 4, 5, 6, 8, 9, 13, 40])))
    if kind == 8 and rng.random() < 0.5:   # WINDOW_UPDATE with 0 or a huge increment
        payload = rng.choice([0, 0x7FFFFFFF, 1]).to_bytes(4, "big")
    if kind == 4 and rng.random() < 0.5:   # SETTINGS with odd values
        payload = b"".join(rng.randrange(10).to_bytes(2, "big") + rng.choice([0, 1, 2**31, 2**32 - 1, 16383, 16777216]).to_bytes(4, "big")
                           for _ in range(rng.randint(1, 4)))
    length = None if rng.random() < 0.8 else rng.randrange(0, 70000)
    return h2_frame(kind, rng.randrange(256), rng.choice([0, stream, stream + 2, rng.randrange(2**31)]), payload, length)


def h2_exchange(rng, host, port, counts):
    from hpack import Encoder
    encoder = Encoder()
    s = socket.create_connection((host, port), timeout=2)
    try:
        s = h2_context().wrap_socket(s)
        payload = H2_PREFACE + h2_frame(4, 0, 0)
        stream = 1
        for _ in range(rng.randint(1, 8)):
            choice = rng.random()
            if choice < 0.5:
                piece = h2_request(encoder, stream, rng)
                stream += 2
            elif choice < 0.75:
                piece = mutate_bytes(rng, h2_request(encoder, stream, rng))
                stream += 2
            elif choice < 0.95:
                piece = h2_random_frame(rng, stream)
            else:
                piece = h2_frame(1, 0x4, stream, bytes(rng.randrange(256) for _ in range(rng.randint(1, 60))))   # garbage HPACK
                stream += 2
            payload += piece
        if rng.random() < 0.1:
            payload = payload[:rng.randrange(len(payload))]   # cut short
        while payload:
            piece = rng.randint(1, max(1, len(payload)))
            s.sendall(payload[:piece])
            payload = payload[piece:]
            if rng.random() < 0.1:
                time.sleep(rng.random() * 0.01)
        reply = read_reply(s, 0.4)
        goaway = reply.find(b"\x07\x00\x00\x00\x00\x00")   # a GOAWAY frame's type, flags and stream 0
        if goaway >= 3 and len(reply) >= goaway + 14:
            code = int.from_bytes(reply[goaway + 10:goaway + 14], "big")
            tally(counts, "h2: goaway %d" % code)
        else:
            tally(counts, "h2: no goaway")
    except (OSError, ValueError) as error:
        name = "h2: connection error: " + type(error).__name__
        tally(counts, name)
    finally:
        s.close()


def h2_clean_get(host, port):
    """True when a clean HTTP/2 GET gets :status 200."""
    from hpack import Decoder, Encoder
    s = h2_context().wrap_socket(socket.create_connection((host, port), timeout=5))
    s.sendall(H2_PREFACE + h2_frame(4, 0, 0) + h2_frame(1, 0x5, 1, Encoder().encode(
        [(":method", "GET"), (":scheme", "https"), (":authority", "shop.test"), (":path", "/")])))
    buffer, decoder, deadline = b"", Decoder(), time.monotonic() + 5
    s.settimeout(1)
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        buffer += chunk
        while len(buffer) >= 9 and len(buffer) >= 9 + int.from_bytes(buffer[:3], "big"):
            length, kind, stream = int.from_bytes(buffer[:3], "big"), buffer[3], int.from_bytes(buffer[5:9], "big")
            if kind == 1 and stream == 1:
                headers = dict(decoder.decode(buffer[9:9 + length]))
                s.close()
                return headers.get(b":status", headers.get(":status")) in (b"200", "200")
            buffer = buffer[9 + length:]
    s.close()
    return False


def mutate_bytes(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(data))
        data[pos] = rng.randrange(256)
    return bytes(data)


def exchange(rng, host, port, counts, tls=False):
    if tls and rng.random() < 0.25:
        fuzz_handshake(rng, host, port, counts)
        return
    s = socket.create_connection((host, port), timeout=2)
    try:
        if tls:
            s = client_context().wrap_socket(s)
        payload = b"".join(mutate(rng, rng.choice(SEEDS)) if rng.random() < 0.8 else rng.choice(SEEDS)
                           for _ in range(rng.randint(1, 3)))
        while payload:
            piece = rng.randint(1, max(1, len(payload)))
            s.sendall(payload[:piece])
            payload = payload[piece:]
            if rng.random() < 0.2:
                time.sleep(rng.random() * 0.01)
        if rng.random() < 0.2:
            if tls:
                s = s.unwrap() if rng.random() < 0.5 else s   # close_notify, or straight to TCP's end
            s.shutdown(socket.SHUT_WR)
        reply = read_reply(s, 0.5)
        if reply.startswith(b"HTTP/1.1 "):
            status = reply[9:12].decode("ascii", "replace")
            tally(counts, status)
        else:
            tally(counts, "closed or nothing")
    except (OSError, ValueError) as error:
        name = "connection error: " + type(error).__name__
        tally(counts, name)
    finally:
        s.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="HOST:PORT of fulcrumd's listener (loopback)")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--tls", action="store_true", help="the listener speaks TLS (no certificate check)")
    parser.add_argument("--h2", action="store_true", help="the listener speaks TLS: fuzz HTTP/2 (ALPN h2) on it")
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    if not (host.startswith("127.") or host in ("::1", "localhost")):
        sys.exit("proxy_fuzz.py: --target must be on loopback, got " + host)
    rng = random.Random(args.seed)
    counts, connections = {}, 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        if args.h2:
            h2_exchange(rng, host, int(port), counts)
        else:
            exchange(rng, host, int(port), counts, args.tls)
        connections += 1
    print(f"seed {args.seed}: {connections} connections; answers: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if args.h2:
        try:
            ok = h2_clean_get(host, int(port))
        except OSError as error:
            print(f"after the fuzz the proxy does not answer HTTP/2: {error}")
            return 1
        print("after the fuzz a clean HTTP/2 GET " + ("still gets 200" if ok else "does not get 200"))
        return 0 if ok else 1
    try:
        s = socket.create_connection((host, int(port)), timeout=5)
        if args.tls:
            s = client_context().wrap_socket(s)
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
