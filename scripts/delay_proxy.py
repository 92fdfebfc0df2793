#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that adds a fixed one-way delay to every byte in each direction,
so that a trust server on loopback answers as one across a network would (round trip =
2 x DELAY; a new connection costs one round trip before its first byte). Bandwidth is not
limited; order is kept. Used by the bench scripts (DELAY_MS).

Usage: delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS
Prints "ready" on stdout once it listens.
"""
import asyncio
import sys


async def pipe(reader, writer, delay):
    """Forward what `reader` yields to `writer`, each chunk `delay` seconds after it came."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def forward():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(forward())
    try:
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay, data or None))
            if not data:
                break
    except ConnectionError:
        await queue.put((loop.time(), None))
    await sender


async def main(listen_port, target_port, delay):
    async def handle(client_reader, client_writer):
        # A connection costs a round trip before the first byte can be sent; the client's
        # bytes wait in the socket meanwhile.
        await asyncio.sleep(2 * delay)
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, server_writer, delay),
            pipe(server_reader, client_writer, delay),
            return_exceptions=True,
        )

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000.0))
