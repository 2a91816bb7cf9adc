"""A real WebSocket client over TLS (Debian's python3-websockets and Python's ssl module) for
the proxy's tests. Usage: wss_client.py URL CA_FILE. Reads the server's greeting, sends
"order 42 shipped" and a 200 000-byte message, and prints what came back, one line each
(the long one as its length). Exits 1 on any failure, with the reason."""
import asyncio
import ssl
import sys

import websockets


async def main(url, ca):
    context = ssl.create_default_context(cafile=ca)
    async with websockets.connect(url, ssl=context, max_size=None, open_timeout=10) as ws:
        print(await asyncio.wait_for(ws.recv(), 10))
        await ws.send("order 42 shipped")
        print(await asyncio.wait_for(ws.recv(), 10))
        await ws.send("y" * 200000)
        print(len(await asyncio.wait_for(ws.recv(), 10)))


try:
    asyncio.run(main(sys.argv[1], sys.argv[2]))
except Exception as error:  # the test prints it
    print("failed: %r" % (error,))
    sys.exit(1)
