#!/usr/bin/env python3
"""A link emulator for benchmarks: a TCP proxy in front of an S3 endpoint whose upload
direction is capped by ONE token bucket shared by all connections (as a home uplink
is), with added one-way latency (a delay line each way).

    bench/linkemu.py LISTEN_PORT UPSTREAM_HOST:PORT RATE_BYTES_PER_S LATENCY_MS
"""
import asyncio
import sys
import time

CHUNK = 16 * 1024


class Bucket:
    def __init__(self, rate):
        self.rate = float(rate)
        self.tokens = 0.0
        self.at = time.monotonic()
        self.lock = asyncio.Lock()

    async def take(self, n):
        if self.rate <= 0:
            return
        async with self.lock:
            now = time.monotonic()
            self.tokens = min(self.tokens + (now - self.at) * self.rate, CHUNK)
            self.at = now
            self.tokens -= n
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait > 0:
            await asyncio.sleep(wait)


async def pipe(reader, writer, latency, bucket=None):
    q = asyncio.Queue(maxsize=64)

    async def read():
        while True:
            data = await reader.read(CHUNK)
            if bucket is not None and data:
                await bucket.take(len(data))
            await q.put((time.monotonic() + latency, data))
            if not data:
                return

    async def write():
        while True:
            due, data = await q.get()
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not data:
                try:
                    writer.write_eof()
                except Exception:
                    pass
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read(), write())
    except Exception:
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    port, upstream, rate, latency_ms = sys.argv[1:5]
    host, uport = upstream.rsplit(":", 1)
    bucket = Bucket(int(rate))
    latency = int(latency_ms) / 1000.0

    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.open_connection(host, int(uport))
        except Exception:
            cw.close()
            return
        await asyncio.gather(pipe(cr, sw, latency, bucket), pipe(sr, cw, latency))

    server = await asyncio.start_server(handle, "127.0.0.1", int(port))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
