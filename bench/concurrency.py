"""Concurrency budgets (design §7) for one Daphne process, the fake provider in its own:

- paced streams: N answers at once, each 200 deltas 20 ms apart, every delta stamped with
  the time the upstream sent it. How late the last delta of each answer reaches its reader,
  through the playground's socket and through a bare httpx client reading the same answers
  (budget: p99 no more than 100 ms beyond the bare client's, at 300 streams). The two are
  interleaved, A B B A.
- simultaneous sends: N tabs send in the same instant; how far apart their requests reach
  the upstream (budget: within 100 ms of each other at 300).
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import time

import httpx

from bench.setup import open_sockets, stage, unstreamed
from tests.ws_client import PlaygroundSocket

STREAM_COUNTS = [int(n) for n in os.environ.get("BENCH_STREAMS", "100,300").split(",")]
SEND_COUNTS = [int(n) for n in os.environ.get("BENCH_SENDS", "50,300").split(",")]
TOKENS = int(os.environ.get("BENCH_STREAM_TOKENS", "200"))
DELAY_MS = int(os.environ.get("BENCH_STREAM_DELAY_MS", "20"))
PACED = f"fake-paced-{TOKENS}-{DELAY_MS}"
STAMP = re.compile(r"@(\d+\.\d+) ")


def p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def bare_lateness(base_url: str, limits: httpx.Limits) -> float:
    body = {"model": PACED, "stream": True, "messages": [{"role": "user", "content": "go"}]}
    lateness = 0.0
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        async with client.stream("POST", base_url + "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                stamps = STAMP.findall(line)
                if stamps:
                    lateness = time.time() - float(stamps[-1])
    return lateness


async def playground_lateness(socket: PlaygroundSocket, *, send: bool = True) -> float:
    """How late the answer's last delta reaches `socket` (sent through it, or, with
    `send=False`, watched there while another socket sends)."""
    if send:
        await socket.send(action="send", message="go", nonce="1")
    lateness = None
    while True:
        frame = await asyncio.wait_for(socket.connection.recv(), 180)
        if "beforeend:#message-" in frame:
            stamps = STAMP.findall(frame)
            if stamps:
                lateness = time.time() - float(stamps[-1])
        if 'hx-swap-oob="true"' in frame and 'data-status="' in frame:
            if 'data-status="streaming"' not in frame:
                if lateness is None:
                    raise unstreamed(frame)
                return lateness


async def connected(ready, count: int) -> list[PlaygroundSocket]:
    sockets = [PlaygroundSocket(ready.server.url, conversation, ready.account.session_id)
               for conversation in ready.account.conversation_ids[:count]]  # fmt: skip
    await open_sockets(sockets)
    for socket in sockets:
        await socket.frame(60)  # the snapshot
        await socket.frame(60)  # the idle state
    return sockets


async def paced(count: int) -> tuple[list[float], list[float]]:
    """(the playground's last-delta lateness per stream, the bare client's), A B B A."""
    relay: list[float] = []
    bare: list[float] = []
    with stage(f"paced{count}", count, [PACED]) as ready:
        sockets = await connected(ready, count)
        limits = httpx.Limits(max_connections=None)
        try:
            for path in ("bare", "relay", "relay", "bare"):
                if path == "bare":
                    bare += await asyncio.gather(
                        *(bare_lateness(ready.fake_url, limits) for _ in range(count))
                    )
                else:
                    relay += await asyncio.gather(*(playground_lateness(s) for s in sockets))
        finally:
            await asyncio.gather(*(socket.__aexit__(None, None, None) for socket in sockets))
    return relay, bare


async def simultaneous(count: int) -> float:
    """Milliseconds between the first and the last of `count` simultaneous sends reaching
    the upstream."""
    with stage(f"sends{count}", count, ["fake-fast-5"]) as ready:
        control = ready.fake_url.removesuffix("/v1") + "/_control"
        sockets = await connected(ready, count)
        try:
            async with httpx.AsyncClient() as client:
                await client.post(control + "/reset")
                await asyncio.gather(*(s.send(action="send", message="go", nonce="1")
                                       for s in sockets))  # fmt: skip
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    arrived = [
                        r["received_at"] for r in (await client.get(control + "/requests")).json()
                    ]
                    if len(arrived) >= count:
                        break
                    await asyncio.sleep(0.1)
        finally:
            await asyncio.gather(*(socket.__aexit__(None, None, None) for socket in sockets))
    assert len(arrived) == count, f"{len(arrived)} of {count} requests arrived"
    return (max(arrived) - min(arrived)) * 1000


async def main() -> None:
    print(f"concurrency: one Daphne process, in-memory channel layer; {TOKENS} deltas "
          f"{DELAY_MS} ms apart per answer")  # fmt: skip
    for count in STREAM_COUNTS:
        relay, bare = await paced(count)
        relay_ms = [late * 1000 for late in relay]
        bare_ms = [late * 1000 for late in bare]
        print(f"  {count} paced streams, last delta late: playground p50 "
              f"{statistics.median(relay_ms):7.1f} ms p99 {p(relay_ms, 0.99):7.1f} ms   "
              f"bare p50 {statistics.median(bare_ms):6.1f} ms p99 {p(bare_ms, 0.99):6.1f} ms   "
              f"beyond bare at p99 {p(relay_ms, 0.99) - p(bare_ms, 0.99):+7.1f} ms "
              "(budget ≤ +100 ms at 300)")  # fmt: skip
    for count in SEND_COUNTS:
        spread = await simultaneous(count)
        print(f"  {count} simultaneous sends reach the upstream within {spread:7.1f} ms "
              "(budget ≤ 100 ms at 300)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
