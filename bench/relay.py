"""Relay budget (design §6): text reaches the browser's socket at ≥ 80% of the rate a bare
httpx client reads the same upstream stream, and adds < 10 ms to time to first token (p50).

Both paths read the same no-delay stream from the fake provider running in its own process:
(a) a bare httpx client that parses the SSE lines and JSON chunks itself;
(b) the playground: Daphne relays the run to a websocket client, which applies the frames.

Time to first token is measured on short answers, the rate on long ones: deltas are coalesced
for 30 ms, so an answer that streams in less time than that is all "tail" and says nothing
about the rate the relay sustains.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time

import httpx

from bench.setup import stage
from tests.ws_client import PlaygroundSocket, StreamView

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
SHORT_TOKENS = 50
LONG_TOKENS = int(os.environ.get("BENCH_TOKENS", "50000"))


async def bare_httpx(base_url: str, tokens: int) -> tuple[float, float, int]:
    """(time to first token, time to last token, characters) reading the stream directly."""
    body = {"model": f"fake-fast-{tokens}", "stream": True, "messages": [{"role": "user", "content": "go"}],
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


async def through_playground(socket: PlaygroundSocket, connection: int, tokens: int):
    """Frames are only timestamped while they arrive (a browser applies them in C++); the
    text is reassembled afterwards, to check it and count its characters."""
    start = time.perf_counter()
    await socket.send(action="send", message="go", nonce="1")  # its pane runs fake-fast-<tokens>
    first = last_text = None
    frames = []
    while True:
        frame = await asyncio.wait_for(socket.connection.recv(), 60)
        frames.append(frame)
        if 'hx-swap-oob="beforeend:#message-' in frame:
            last_text = time.perf_counter()
            first = first or last_text
        if 'hx-swap-oob="true"' in frame and "data-status=" in frame and "streaming" not in frame:
            rendered = time.perf_counter()
            break
    view = StreamView()
    for frame in frames:
        view.apply(frame)
    [text] = [text for key, text in view.texts.items() if key in view.finished]
    assert view.finished and text.count("tok") == tokens, "the relayed answer is incomplete"
    # The text has reached the socket with its last delta; the final Markdown render that
    # replaces it afterwards is reported on its own.
    return first - start, last_text - start, len(text), rendered - last_text


def ttft_p50(samples: list[tuple]) -> float:
    return statistics.median(sample[0] for sample in samples) * 1000


def rate_p50(samples: list[tuple]) -> float:
    """The rate text arrives once it flows: characters over the time after the first token."""
    return statistics.median(sample[2] / (sample[1] - sample[0]) for sample in samples)


async def measure(server, account, conversations, base_url: str, tokens: int):
    direct = [await bare_httpx(base_url, tokens) for _ in conversations[1:]]
    relayed = []
    for conversation in conversations:
        async with PlaygroundSocket(server.url, conversation, account.session_id) as socket:
            await socket.frame()
            relayed.append(await through_playground(socket, account.connection_id, tokens))
    return direct, relayed[1:]  # the first round warms up templates and connections


async def main() -> None:
    long_rounds = max(3, ROUNDS // 2)
    # A fresh conversation per answer, so a growing history does not blur the relay cost.
    models = [[f"fake-fast-{SHORT_TOKENS}"]] * (ROUNDS + 1) + [[f"fake-fast-{LONG_TOKENS}"]] * (
        long_rounds + 1
    )
    with stage("bench", len(models), models) as ready:
        ids = ready.account.conversation_ids
        short = await measure(
            ready.server, ready.account, ids[: ROUNDS + 1], ready.fake_url, SHORT_TOKENS
        )
        long = await measure(
            ready.server, ready.account, ids[ROUNDS + 1 :], ready.fake_url, LONG_TOKENS
        )
    direct_ttft, relay_ttft = ttft_p50(short[0]), ttft_p50(short[1])
    direct_rate, relay_rate = rate_p50(long[0]), rate_p50(long[1])
    render = statistics.median(sample[3] for sample in long[1]) * 1000
    print("relay: fake provider with no delay")
    print(f"  time to first token, {ROUNDS} answers of {SHORT_TOKENS} tokens:")
    print(f"    bare httpx {direct_ttft:6.2f} ms   playground {relay_ttft:6.2f} ms   "
          f"added {relay_ttft - direct_ttft:6.2f} ms (budget < 10 ms)")  # fmt: skip
    chars_per_token = long[0][0][2] / LONG_TOKENS
    print(f"  rate, {long_rounds} answers of {LONG_TOKENS} tokens:")
    print(f"    bare httpx {direct_rate:12,.0f} chars/s   playground {relay_rate:12,.0f} chars/s   "
          f"ratio {relay_rate / direct_rate:6.1%} (budget ≥ 80%)")  # fmt: skip
    print(
        f"    = {direct_rate / chars_per_token:10,.0f} vs {relay_rate / chars_per_token:10,.0f} "
        "tokens/s"
    )
    print(f"  final Markdown render of a long answer: {render:6.2f} ms after its last text")


if __name__ == "__main__":
    asyncio.run(main())
