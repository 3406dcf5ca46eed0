"""Concurrency budget (design §6): one Daphne process holds 300 concurrent streams with p99
frame lag under 100 ms.

300 websocket clients each start an answer (spread over a few seconds); the fake provider
(its own process) paces every answer at one token per DELAY and stamps each token with the
wall-clock time it sent it. A frame's lag is the time from the upstream sending its newest
token to the frame reaching the client.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import time

from bench.setup import stage
from tests.ws_client import PlaygroundSocket

STREAMS = int(os.environ.get("BENCH_STREAMS", "300"))
TOKENS = int(os.environ.get("BENCH_STREAM_TOKENS", "200"))
DELAY_MS = int(os.environ.get("BENCH_STREAM_DELAY_MS", "50"))
RAMP = float(os.environ.get("BENCH_STREAM_RAMP_S", "3"))
STAMP = re.compile(r"@(\d+\.\d+) ")


async def one_stream(
    server, account, conversation: int, start: asyncio.Event, offset: float
) -> list[float]:
    lags: list[float] = []
    async with PlaygroundSocket(server.url, conversation, account.session_id) as socket:
        await socket.frame(60)
        await start.wait()
        await asyncio.sleep(offset)
        await socket.send(action="send", message="go", nonce="1")
        while True:
            frame = await asyncio.wait_for(socket.connection.recv(), 120)
            arrived = time.time()
            if "beforeend:#message-" in frame:
                stamps = STAMP.findall(frame)
                if stamps:
                    lags.append(arrived - float(stamps[-1]))
            if 'hx-swap-oob="true"' in frame and 'data-status="' in frame:
                if 'data-status="streaming"' not in frame:
                    return lags


async def main() -> None:
    with stage("crowd", STREAMS, [f"fake-paced-{TOKENS}-{DELAY_MS}"]) as ready:
        start = asyncio.Event()
        # Answers start spread over RAMP seconds, as people's messages do, not all in the
        # same millisecond; every stream still overlaps all the others.
        tasks = [
            asyncio.create_task(
                one_stream(ready.server, ready.account, conversation, start, RAMP * i / STREAMS)
            )
            for i, conversation in enumerate(ready.account.conversation_ids)
        ]
        await asyncio.sleep(2)  # let every socket connect first
        began = time.perf_counter()
        start.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = time.perf_counter() - began
    failures = [result for result in results if isinstance(result, BaseException)]
    lags = sorted(lag * 1000 for result in results if isinstance(result, list) for lag in result)
    p50 = statistics.median(lags)
    p99 = lags[int(len(lags) * 0.99) - 1]
    print(f"concurrency: {STREAMS} streams × {TOKENS} tokens at one per {DELAY_MS} ms, started "
          f"over {RAMP:g} s; one Daphne process, in-memory channel layer")  # fmt: skip
    print(f"  finished {STREAMS - len(failures)}/{STREAMS} in {elapsed:5.1f} s; "
          f"{len(lags)} frames")  # fmt: skip
    print(f"  frame lag p50 {p50:6.1f} ms   p99 {p99:6.1f} ms (budget p99 < 100 ms)")
    if failures:
        print(f"  first failure: {failures[0]!r}")
