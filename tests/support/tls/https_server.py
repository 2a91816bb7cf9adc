"""A real HTTPS server for the proxy's backend-TLS tests: Python's http.server behind its ssl
module (OpenSSL). Usage: https_server.py PORT NAME CERT KEY. Answers every GET with
"hello NAME" and the X-Forwarded-Proto it was sent, says in X-Tls-Session whether the
connection's TLS session was resumed ("reused") or new, keeps connections alive (HTTP/1.1).
GET /sts also sends its own "Strict-Transport-Security: max-age=0". Every answer names the
server (X-Served-By) and the request target it got, as it got it (X-Request-Target). CERT and
KEY "-": plain HTTP. Prints "ready" once listening."""
import http.server
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = ("hello %s proto=%s\n" % (NAME, self.headers.get("X-Forwarded-Proto", "-"))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Served-By", NAME)
        self.send_header("X-Request-Target", self.path)
        if PLAIN:
            self.send_header("X-Tls-Session", "none")
        else:
            self.send_header("X-Tls-Session", "reused" if self.connection.session_reused else "new")
        if self.path == "/sts":
            self.send_header("Strict-Transport-Security", "max-age=0")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


port, NAME, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
PLAIN = cert == "-"
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
if not PLAIN:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("ready", flush=True)
server.serve_forever()
