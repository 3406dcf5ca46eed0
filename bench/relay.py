"""Relay budget (design §6): text reaches the browser's socket at ≥ 80% of the rate a bare
httpx client reads the same upstream stream, and adds < 10 ms to time to first token (p50).

Both paths read the same no-delay stream from the fake provider running in its own process:
(a) a bare httpx client that parses the SSE lines and JSON chunks itself;
(b) the playground: Daphne relays the run to a websocket client, which applies the frames.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.e2e.servers import PlaygroundServer
from tests.ws_client import PlaygroundSocket, StreamView, create_account

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
TOKENS = int(os.environ.get("BENCH_TOKENS", "5000"))
MODEL = f"fake-fast-{TOKENS}"


def start_fake() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_provider", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


async def bare_httpx(base_url: str) -> tuple[float, float, int]:
    """(time to first token, total seconds, characters) reading the stream directly."""
    body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "go"}],
            "stream_options": {"include_usage": True}}  # fmt: skip
    chars = 0
    first = None
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.perf_counter()
        async with client.stream("POST", base_url + "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                for choice in json.loads(line[6:]).get("choices") or ():
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        first = first or time.perf_counter()
                        chars += len(text)
        end = time.perf_counter()
    return (first or end) - start, end - start, chars


async def through_playground(socket: PlaygroundSocket, connection: int, round_: int):
    """Frames are only timestamped while they arrive (a browser applies them in C++); the
    text is reassembled afterwards, to check it and count its characters."""
    start = time.perf_counter()
    await socket.send(action="send", message=f"go {round_}", connection=str(connection),
                      model=MODEL, nonce=str(round_))  # fmt: skip
    first = None
    frames = []
    while True:
        frame = await asyncio.wait_for(socket.connection.recv(), 60)
        frames.append(frame)
        if first is None and 'hx-swap-oob="beforeend:#message-' in frame:
            first = time.perf_counter()
        if 'hx-swap-oob="true"' in frame and "data-status=" in frame and "streaming" not in frame:
            end = time.perf_counter()
            break
    view = StreamView()
    for frame in frames:
        view.apply(frame)
    [text] = [text for key, text in view.texts.items() if key in view.finished]
    assert view.finished and text.count("tok") == TOKENS, "the relayed answer is incomplete"
    return first - start, end - start, len(text)


def report(name: str, samples: list[tuple[float, float, int]]) -> tuple[float, float]:
    ttft = statistics.median(sample[0] for sample in samples) * 1000
    # The rate text arrives once it flows: characters over the time after the first token.
    rate = statistics.median(sample[2] / (sample[1] - sample[0]) for sample in samples)
    print(f"  {name:<22} TTFT p50 {ttft:7.2f} ms   throughput p50 {rate:12,.0f} chars/s")
    return ttft, rate


async def main() -> None:
    fake, base_url = start_fake()
    with tempfile.TemporaryDirectory() as data:
        server = PlaygroundServer(Path(data))
        server.migrate()
        # A fresh conversation per round, so a growing history does not blur the relay cost.
        account = create_account(server, base_url, "bench", conversations=ROUNDS + 1)
        server.start()
        try:
            direct = [await bare_httpx(base_url) for _ in range(ROUNDS)]
            relayed = []
            for round_, conversation in enumerate(account.conversation_ids):
                async with PlaygroundSocket(server.url, conversation, account.session_id) as socket:
                    await socket.frame()
                    sample = await through_playground(socket, account.connection_id, round_)
                if round_:  # the first round warms up templates and connections
                    relayed.append(sample)
        finally:
            server.stop()
            fake.terminate()
    print(f"relay: {TOKENS} tokens per answer, {ROUNDS} rounds, fake provider with no delay")
    direct_ttft, direct_rate = report("bare httpx", direct)
    relay_ttft, relay_rate = report("through playground", relayed)
    print(f"  added TTFT p50 {relay_ttft - direct_ttft:7.2f} ms (budget < 10 ms)")
    print(f"  throughput ratio {relay_rate / direct_rate:6.1%} (budget ≥ 80%)")


if __name__ == "__main__":
    asyncio.run(main())
