"""Relay budgets for one stream (design §7), each path read from the same upstream:

- the rate: a 5,000-delta answer with no delay, deltas per second through the playground's
  socket over a bare httpx reader's (budget ≥ 0.9);
- added time to first token on 50-delta answers (budget ≤ 5 ms at p50), and how long after
  the send its request reaches the upstream (what a provider slower than the fake waits);
- the final text: how long after the upstream sent the last delta it reaches the socket
  (budget ≤ 5 ms), on a paced answer whose deltas carry the time they were sent.

The paths are interleaved, A B B A, round after round, so that the machine's drift (another
process waking, the CPU's clock) falls on both alike; each figure is the median of the
per-round ratios or differences, given with their spread. The fake provider runs in its own
process; a round's playground answer is in a fresh conversation, so a growing history does
not blur the relay's cost.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import time

import httpx

from bench.setup import stage, unstreamed
from tests.ws_client import PlaygroundSocket, StreamView

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "12"))
SHORT_TOKENS = 50
LONG_TOKENS = int(os.environ.get("BENCH_TOKENS", "5000"))
PACED = "fake-paced-40-10"  # 40 deltas 10 ms apart, each stamped with when it was sent
STAMP = re.compile(r"@(\d+\.\d+) ")
DELTA = 'hx-swap-oob="beforeend:#message-'


async def bare_httpx(base_url: str, tokens: int, model: str = "") -> tuple[float, float, int]:
    """(time to first delta, time to the last, deltas) reading the stream directly."""
    body = {"model": model or f"fake-fast-{tokens}", "stream": True,
            "messages": [{"role": "user", "content": "go"}],
            "stream_options": {"include_usage": True}}  # fmt: skip
    deltas, first, last = 0, None, None
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.perf_counter()
        async with client.stream("POST", base_url + "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                for choice in json.loads(line[6:]).get("choices") or ():
                    if (choice.get("delta") or {}).get("content"):
                        last = time.perf_counter()
                        first = first or last
                        deltas += 1
    return (first or start) - start, (last or start) - start, deltas


async def bare_final_lag(base_url: str) -> float:
    """Seconds from the upstream sending its last delta to a bare reader having it."""
    body = {"model": PACED, "stream": True, "messages": [{"role": "user", "content": "go"}]}
    lag = 0.0
    async with httpx.AsyncClient(timeout=60) as client:
        async with client.stream("POST", base_url + "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                stamps = STAMP.findall(line)
                if stamps:
                    lag = time.time() - float(stamps[-1])
    return lag


async def through_playground(socket: PlaygroundSocket, tokens: int) -> tuple[float, float, int]:
    """The same through the playground's socket: frames are only timestamped while they
    arrive (a browser applies them in C++); the text is checked afterwards."""
    start = time.perf_counter()
    await socket.send(action="send", message="go", nonce="1")  # its pane runs fake-fast-<n>
    first = last = None
    frames = []
    while True:
        frame = await asyncio.wait_for(socket.connection.recv(), 60)
        frames.append(frame)
        if DELTA in frame:
            last = time.perf_counter()
            first = first or last
        if 'hx-swap-oob="true"' in frame and "data-status=" in frame and "streaming" not in frame:
            break
    view = StreamView()
    for frame in frames:
        view.apply(frame)
    [text] = [text for key, text in view.texts.items() if key in view.finished]
    assert text.count("tok") == tokens, "the relayed answer is incomplete"
    return first - start, last - start, tokens


async def playground_final_lag(socket: PlaygroundSocket) -> float:
    await socket.send(action="send", message="go", nonce="1")  # its pane runs PACED
    lag = None
    while True:
        frame = await asyncio.wait_for(socket.connection.recv(), 60)
        stamps = STAMP.findall(frame) if DELTA in frame else []
        if stamps:
            lag = time.time() - float(stamps[-1])
        if 'hx-swap-oob="true"' in frame and "data-status=" in frame and "streaming" not in frame:
            if lag is None:
                raise unstreamed(frame)
            return lag


def spread(values: list[float], unit: str = "", scale: float = 1.0) -> str:
    """ "median (min – max)" of per-round values."""
    shown = [value * scale for value in values]
    return (f"{statistics.median(shown):7.2f}{unit} ({min(shown):.2f} – {max(shown):.2f}{unit})")  # fmt: skip


async def main() -> None:
    # Per round a fresh conversation for each playground answer: short, long, paced.
    models = [[f"fake-fast-{SHORT_TOKENS}"], [f"fake-fast-{LONG_TOKENS}"], [PACED]] * (ROUNDS + 1)
    ttft_added, rate_ratios, lag_relay, lag_bare, request_after = [], [], [], [], []
    with stage("relay", len(models), models) as ready:
        control = httpx.AsyncClient(base_url=ready.fake_url.removesuffix("/v1") + "/_control")
        ids = ready.account.conversation_ids
        for round_index in range(ROUNDS + 1):
            short, long, paced = ids[3 * round_index : 3 * round_index + 3]
            bare_first = round_index % 2 == 0  # A B, then B A
            figures: dict[str, tuple] = {}
            for path in ("bare", "relay") if bare_first else ("relay", "bare"):
                if path == "bare":
                    figures["bare_short"] = await bare_httpx(ready.fake_url, SHORT_TOKENS)
                    figures["bare_long"] = await bare_httpx(ready.fake_url, LONG_TOKENS)
                    figures["bare_lag"] = (await bare_final_lag(ready.fake_url),)
                    continue
                for conversation, key in ((short, "short"), (long, "long"), (paced, "lag")):
                    async with PlaygroundSocket(ready.server.url, conversation,
                                                ready.account.session_id) as socket:  # fmt: skip
                        await socket.frame()
                        await socket.frame()
                        if key == "lag":
                            figures["relay_lag"] = (await playground_final_lag(socket),)
                        else:
                            tokens = SHORT_TOKENS if key == "short" else LONG_TOKENS
                            await control.post("/reset")
                            sent_at = time.time()
                            figures[f"relay_{key}"] = await through_playground(socket, tokens)
                            [asked] = (await control.get("/requests")).json()
                            figures[f"request_{key}"] = (asked["received_at"] - sent_at,)
            if round_index == 0:
                continue  # warming up: templates, connections, the fake's JIT-less caches
            ttft_added.append(figures["relay_short"][0] - figures["bare_short"][0])
            request_after.append(figures["request_short"][0])

            def rate(sample: tuple) -> float:
                return sample[2] / (sample[1] - sample[0])

            rate_ratios.append(rate(figures["relay_long"]) / rate(figures["bare_long"]))
            lag_relay.append(figures["relay_lag"][0])
            lag_bare.append(figures["bare_lag"][0])
        await control.aclose()
    print(f"relay: one stream, {ROUNDS} rounds A B B A (median of per-round figures, spread)")
    print(f"  deltas/s of a {LONG_TOKENS}-delta answer, playground / bare httpx: "
          f"{spread(rate_ratios, '×')}   (budget ≥ 0.9×)")  # fmt: skip
    print(f"  time to first token added ({SHORT_TOKENS}-delta answers): "
          f"{spread(ttft_added, ' ms', 1000)}   (budget ≤ 5 ms)")  # fmt: skip
    print(f"  the request reaches the upstream after the send: "
          f"{spread(request_after, ' ms', 1000)}")  # fmt: skip
    print(f"  last delta after the upstream sent it: playground {spread(lag_relay, ' ms', 1000)}"
          f"   bare {spread(lag_bare, ' ms', 1000)}   (budget ≤ 5 ms)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
