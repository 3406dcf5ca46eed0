"""Stop budget (design §6): Stop closes the upstream connection within 200 ms.

Measured from the moment the tab sends "stop" to the moment the fake provider (its own
process, same clock) sees its client go away, and to the stopped answer reaching the tab.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import httpx

from bench.setup import stage
from tests.ws_client import PlaygroundSocket

ROUNDS = int(os.environ.get("BENCH_STOP_ROUNDS", "10"))


async def one_stop(server, account, conversation: int, fake_url: str) -> tuple[float, float]:
    control = fake_url.removesuffix("/v1") + "/_control/disconnects"
    async with httpx.AsyncClient() as client:
        before = len((await client.get(control)).json())
        async with PlaygroundSocket(server.url, conversation, account.session_id) as socket:
            await socket.frame()
            await socket.send(action="send", message="go", nonce="1")
            await socket.until(lambda view: any("word2" in text for text in view.texts.values()))
            sent = time.time()
            await socket.send(action="stop")
            await socket.until(lambda view: "stopped" in view.finished.values())
            shown = time.time()
        while True:
            records = (await client.get(control)).json()[before:]
            if records and records[0]["disconnected_at"]:
                return records[0]["disconnected_at"] - sent, shown - sent
            await asyncio.sleep(0.01)


async def main() -> None:
    with stage("stopper", ROUNDS, ["fake-slow"]) as ready:
        samples = [
            await one_stop(ready.server, ready.account, conversation, ready.fake_url)
            for conversation in ready.account.conversation_ids
        ]
    upstream = statistics.median(sample[0] for sample in samples) * 1000
    worst = max(sample[0] for sample in samples) * 1000
    shown = statistics.median(sample[1] for sample in samples) * 1000
    print(f"stop: {ROUNDS} rounds, fake-slow (50 ms per token)")
    print(f"  upstream closed after p50 {upstream:6.1f} ms, max {worst:6.1f} ms (budget < 200 ms)")
    print(f"  stopped answer shown after p50 {shown:6.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
