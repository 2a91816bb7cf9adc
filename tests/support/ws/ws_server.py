"""A real WebSocket server for the proxy's tests: Debian's python3-websockets (RFC 6455, its
handshake and framing checked by the library). Usage: ws_server.py PORT NAME. On connecting a
client is greeted with "hello NAME"; text messages are echoed; "big N" answers N bytes at once
(backpressure); "close" closes from the server's side. Prints "ready" once listening."""
import asyncio
import sys

import websockets


async def handler(websocket, path=None):
    await websocket.send("hello " + NAME)
    async for message in websocket:
        if message.startswith("big "):
            await websocket.send("x" * int(message[4:]))
        elif message == "close":
            await websocket.close(1000, "asked to")
            return
        else:
            await websocket.send(message)


async def main(port):
    async with websockets.serve(handler, "127.0.0.1", port, max_size=None):
        print("ready", flush=True)
        await asyncio.Future()


NAME = sys.argv[2]
asyncio.run(main(int(sys.argv[1])))
