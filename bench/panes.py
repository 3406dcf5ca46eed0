"""Compare budgets (design §7), against a real Daphne and the fake provider in its own process:

- start spread: the panes of one turn send their requests within 20 ms of each other (p99
  over 50 turns, for 2, 4 and 6 panes), measured where it counts — when each request
  reaches the upstream;
- a six-pane turn relays at no less than 90% of six bare httpx readers of the same
  upstreams, the two paths interleaved (A B B A) and the median of per-round ratios given
  with its spread;
- a conversation of 1,000 messages over six panes renders with a constant number of
  queries and in under 300 ms.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import httpx

from bench.relay import bare_httpx
from bench.setup import stage
from tests.ws_client import PlaygroundSocket

TURNS = int(os.environ.get("BENCH_PANE_TURNS", "50"))
RELAY_ROUNDS = int(os.environ.get("BENCH_PANE_ROUNDS", "6"))
RELAY_TOKENS = int(os.environ.get("BENCH_PANE_TOKENS", "20000"))
PAGE_MESSAGES = 1000
PAGE_PANES = 6


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def one_turn(socket: PlaygroundSocket, panes: int) -> None:
    """Send, then wait until every pane's answer has ended."""
    before = len(socket.view.finished)
    await socket.send(action="send", message="go", nonce="1")
    await socket.until(lambda view: len(view.finished) >= before + panes, timeout=60)


async def start_spread(panes: int) -> list[float]:
    """Milliseconds between the first and the last request of each turn at the upstream."""
    with stage(f"spread{panes}", 1, ["fake-fast-20"] * panes) as ready:
        control = ready.fake_url.removesuffix("/v1") + "/_control"
        spreads = []
        async with (
            httpx.AsyncClient() as client,
            PlaygroundSocket(ready.server.url, ready.account.conversation_id,
                             ready.account.session_id) as socket,
        ):  # fmt: skip
            await socket.frame()
            await one_turn(socket, panes)  # warm: templates, connections
            for _ in range(TURNS):
                await client.post(control + "/reset")
                await one_turn(socket, panes)
                arrived = [
                    r["received_at"] for r in (await client.get(control + "/requests")).json()
                ]
                assert len(arrived) == panes, arrived
                spreads.append((max(arrived) - min(arrived)) * 1000)
    return spreads


async def six_bare_readers(fake_url: str) -> tuple[float, int]:
    """(seconds from the first delta of any stream to the last of all, deltas)."""
    started = time.perf_counter()
    results = await asyncio.gather(*(bare_httpx(fake_url, RELAY_TOKENS) for _ in range(6)))
    first = started + min(ttft for ttft, _end, _deltas in results)
    last = started + max(end for _ttft, end, _deltas in results)
    return last - first, sum(deltas for _ttft, _end, deltas in results)


async def six_panes(socket: PlaygroundSocket) -> tuple[float, int]:
    """The same through the playground: from the first text frame of the turn to the last
    one, and the deltas the six answers hold (each "tok<n> ")."""
    before = set(socket.view.finished)
    first = last = None
    await socket.send(action="send", message="go", nonce="1")
    while len(set(socket.view.finished) - before) < 6:
        frame = await socket.frame(60)
        if 'hx-swap-oob="beforeend:#message-' in frame:
            last = time.perf_counter()
            first = first or last
    answers = set(socket.view.finished) - before
    deltas = sum(socket.view.texts[message].count("tok") for message in answers)
    assert all(socket.view.finished[m] == "done" for m in answers)
    return last - first, deltas


async def relay_ratios() -> list[float]:
    """Per round: the playground's rate over the bare readers' rate, A B B A."""
    with stage("six", 1, ["fake-fast-" + str(RELAY_TOKENS)] * 6) as ready:
        ratios = []
        async with PlaygroundSocket(ready.server.url, ready.account.conversation_id,
                                    ready.account.session_id) as socket:  # fmt: skip
            await socket.frame()
            await six_panes(socket)  # warm up
            for index in range(RELAY_ROUNDS):
                order = ("bare", "relay") if index % 2 == 0 else ("relay", "bare")
                rates = {}
                for path in order:
                    seconds, deltas = (await six_bare_readers(ready.fake_url) if path == "bare"
                                       else await six_panes(socket))  # fmt: skip
                    rates[path] = deltas / seconds
                ratios.append(rates["relay"] / rates["bare"])
    return ratios


PAGE_SCRIPT = """
import statistics, time
from django.db import connection as database
from django.test import Client
from chat.engine import starting, store
from chat.models import Conversation, Pane
from django.contrib.auth import get_user_model
from connections.models import Connection
user = get_user_model().objects.get(username={username!r})
connection = Connection.objects.get(name={username!r})

def conversation_of(messages):
    conversation = Conversation.objects.create(owner=user)
    for position in range({panes}):
        Pane.objects.create(conversation=conversation, position=position, connection=connection,
                            model="fake-model")
    sent = 0
    while sent < messages:
        turn = starting.start_turn(conversation, "question " + str(sent) + " **with** `code`")
        for run in turn.runs:
            store.finish_run(str(run.pk), text="## Answer\\n\\nSome **bold** text and `code`.",
                             reasoning="", status="done", tool_calls=[],
                             fields={{"duration_ms": 900, "time_to_first_token_ms": 100,
                                     "input_tokens": 12, "output_tokens": 40}})
        sent += 1 + {panes}
    return conversation, sent

client = Client(HTTP_HOST="127.0.0.1")
client.force_login(user)
small, _ = conversation_of({panes} + 1)
big, count = conversation_of({messages})

def queries_of(path):
    seen = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with database.execute_wrapper(count):
        assert client.get(path).status_code == 200
    return seen

queries_of(f"/c/{{small.pk}}/")  # warm
few, many = queries_of(f"/c/{{small.pk}}/"), queries_of(f"/c/{{big.pk}}/")
times = []
for _ in range(7):
    started = time.perf_counter()
    page = client.get(f"/c/{{big.pk}}/")
    times.append((time.perf_counter() - started) * 1000)
assert page.status_code == 200
print(count, len(few), len(many), statistics.median(times),
      big.pk)
"""


async def page_figures() -> tuple[int, int, int, float, float]:
    with stage("page", 1) as ready:
        script = PAGE_SCRIPT.format(username="page", panes=PAGE_PANES, messages=PAGE_MESSAGES)
        last = ready.server.manage("shell", "-c", script).strip().splitlines()[-1]
        count, few, many, in_process, conversation = last.split()
        cookies = {"sessionid": ready.account.session_id}
        async with httpx.AsyncClient(base_url=ready.server.url, cookies=cookies) as client:
            await client.get(f"/c/{conversation}/")
            served = []
            for _ in range(5):
                started = time.perf_counter()
                response = await client.get(f"/c/{conversation}/")
                served.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return int(count), int(few), int(many), float(in_process), statistics.median(served)


async def main() -> None:
    print(f"panes: start spread at the upstream, {TURNS} turns each (budget p99 < 20 ms)")
    for panes in (2, 4, 6):
        spreads = await start_spread(panes)
        print(f"  {panes} panes: p50 {statistics.median(spreads):5.1f} ms   "
              f"p99 {percentile(spreads, 0.99):5.1f} ms   max {max(spreads):5.1f} ms")  # fmt: skip
    ratios = await relay_ratios()
    print(f"panes: a six-pane turn of {RELAY_TOKENS} tokens each against six bare httpx "
          f"readers, {RELAY_ROUNDS} rounds A B B A")  # fmt: skip
    print(f"  ratio median {statistics.median(ratios):6.1%}   "
          f"spread {min(ratios):6.1%} – {max(ratios):6.1%}   (budget ≥ 90%)")  # fmt: skip
    count, few, many, in_process, served = await page_figures()
    print(f"panes: a conversation of {count} messages over {PAGE_PANES} panes")
    print(f"  queries {many} (a one-turn conversation: {few})   render {in_process:6.1f} ms "
          f"in process, {served:6.1f} ms served by Daphne (budget < 300 ms)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
