"""The relay's moving parts on their own: the coalescer that groups tokens into pieces, the
in-process fan-out that hands events to sockets, and the group commit that saves sends made at
the same time together."""

from __future__ import annotations

import asyncio

import pytest

from chat.engine import fanout
from chat.engine.batching import Batched
from chat.engine.coalescing import Coalescer, interval_seconds


class Published:
    def __init__(self, pause: float = 0.0) -> None:
        self.pieces: list[tuple[int, str, int, str]] = []
        self.pause = pause

    async def __call__(self, start: int, text: str, reasoning_start: int, reasoning: str) -> None:
        if self.pause:
            await asyncio.sleep(self.pause)
        self.pieces.append((start, text, reasoning_start, reasoning))

    @property
    def text(self) -> str:
        return "".join(piece[1] for piece in self.pieces)


@pytest.fixture
def flush_every_50ms(settings):
    settings.PLAYGROUND_STREAM_FLUSH_MS = 50
    settings.PLAYGROUND_STREAM_FLUSHES_PER_SECOND = 2000


def test_the_interval_grows_with_the_number_of_streaming_answers(flush_every_50ms):
    assert interval_seconds(1) == pytest.approx(0.05)
    assert interval_seconds(100) == pytest.approx(0.05)  # 100 / 2000 is 0.05 too
    assert interval_seconds(300) == pytest.approx(0.15)


async def test_the_first_piece_goes_at_once_and_the_next_ones_together(flush_every_50ms):
    published = Published()
    pieces = Coalescer(published, lambda: 1)
    await pieces.add("Hel")
    assert published.pieces == [(0, "Hel", 0, "")]  # time to first token: no wait
    await pieces.add("lo")
    await pieces.add(", world", reasoning="hmm")
    assert len(published.pieces) == 1  # held for the interval
    await asyncio.sleep(0.08)
    assert published.pieces[1] == (3, "lo, world", 0, "hmm")
    assert not pieces.pending


async def test_the_end_of_the_answer_is_published_without_waiting_for_the_timer(
    flush_every_50ms,
):
    published = Published()
    pieces = Coalescer(published, lambda: 1)
    await pieces.add("first")
    await pieces.add(" last")
    loop = asyncio.get_running_loop()
    began = loop.time()
    await pieces.flush()
    assert loop.time() - began < 0.04  # not the 50 ms interval
    assert published.text == "first last" and pieces.text == "first last"
    await asyncio.sleep(0.08)
    assert len(published.pieces) == 2  # the cancelled timer publishes nothing more


async def test_pieces_that_arrive_during_a_slow_publish_follow_it_an_interval_later(
    flush_every_50ms,
):
    published = Published(pause=0.03)
    pieces = Coalescer(published, lambda: 1)
    await pieces.add("a")
    await pieces.add("b")
    await asyncio.sleep(0.06)  # the timer fired; "b" is being published (30 ms)
    await pieces.add("c")  # arrives meanwhile: must not wait for another token to go out
    await asyncio.sleep(0.15)
    assert published.text == "abc"
    offsets = [piece[0] for piece in published.pieces]
    assert offsets == [0, 1, 2]


async def test_a_flush_during_a_publish_waits_for_it_and_loses_nothing(flush_every_50ms):
    published = Published(pause=0.03)
    pieces = Coalescer(published, lambda: 1)
    await pieces.add("a")
    await pieces.add("b")
    await asyncio.sleep(0.06)
    await pieces.add("c")
    await pieces.flush()
    assert published.text == "abc"
    assert [piece[0] for piece in published.pieces] == [0, 1, 2]


class Socket:
    def __init__(self) -> None:
        self.heard: list[dict] = []

    def hear(self, event: dict) -> None:
        self.heard.append(event)


class Broken:
    def hear(self, event: dict) -> None:
        raise RuntimeError("a bug in one socket")


async def test_every_watcher_of_a_conversation_hears_its_events_in_order_and_only_its_own():
    first, second, elsewhere = Socket(), Socket(), Socket()
    await fanout.watch(101, first)
    await fanout.watch(101, second)
    await fanout.watch(202, elsewhere)
    for number in range(3):
        await fanout.publish(101, {"type": "run.delta", "number": number})
    await fanout.unwatch(101, second)
    await fanout.publish(101, {"type": "run.finished"})
    await fanout.unwatch(101, first)
    await fanout.unwatch(202, elsewhere)
    assert [e.get("number", "end") for e in first.heard] == [0, 1, 2, "end"]
    assert [e["number"] for e in second.heard] == [0, 1, 2]
    assert elsewhere.heard == []
    assert first.heard[0] is second.heard[0]  # handed over, not copied per socket


async def test_a_broken_watcher_does_not_keep_the_event_from_the_others(caplog):
    healthy = Socket()
    await fanout.watch(303, Broken())
    await fanout.watch(303, healthy)
    await fanout.publish(303, {"type": "run.delta"})
    assert healthy.heard == [{"type": "run.delta"}]
    assert "failed to take an event" in caplog.text


async def test_watchers_on_another_event_loop_hear_events_on_their_own_loop():
    """A sync view publishes from its own thread's loop; the sockets live on the server's."""
    heard = asyncio.Event()
    here = asyncio.get_running_loop()

    class OnThisLoop:
        def hear(self, event: dict) -> None:
            assert asyncio.get_running_loop() is here
            heard.set()

    watcher = OnThisLoop()
    await fanout.watch(404, watcher)
    await asyncio.to_thread(asyncio.run, fanout.publish(404, {"type": "panes.changed"}))
    await asyncio.wait_for(heard.wait(), 2)
    await fanout.unwatch(404, watcher)


async def test_calls_made_together_are_worked_in_one_batch_and_errors_stay_with_their_caller(
    monkeypatch,
):
    batches: list[list[int]] = []

    def work(items: list[int]) -> list[object]:
        batches.append(items)
        return [ValueError(f"no {item}") if item == 3 else item * 10 for item in items]

    monkeypatch.setattr("chat.engine.batching.database_sync_to_async",
                        lambda function: lambda items: asyncio.to_thread(function, items))  # fmt: skip
    batched = Batched(work)
    results = await asyncio.gather(*(batched(item) for item in range(5)), return_exceptions=True)
    assert batches == [[0, 1, 2, 3, 4]]
    assert results[:3] == [0, 10, 20] and results[4] == 40
    assert isinstance(results[3], ValueError) and str(results[3]) == "no 3"
    assert await batched(7) == 70 and batches[-1] == [7]  # alone, it goes alone


async def test_calls_that_arrive_while_a_batch_is_worked_form_the_next_batch(monkeypatch):
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def work_slowly(items: list[int]) -> list[int]:
        batches.append(items)
        if len(batches) == 1:
            await release.wait()
        return items

    monkeypatch.setattr("chat.engine.batching.database_sync_to_async",
                        lambda function: work_slowly)  # fmt: skip
    batched = Batched(lambda items: items)
    first = asyncio.ensure_future(batched(1))
    await asyncio.sleep(0.01)
    later = [asyncio.ensure_future(batched(n)) for n in (2, 3)]
    await asyncio.sleep(0.01)
    release.set()
    assert await first == 1 and [await call for call in later] == [2, 3]
    assert batches == [[1], [2, 3]]


def _worked_in_a_thread(monkeypatch, batches: list[list[int]]) -> Batched:
    def work(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    monkeypatch.setattr("chat.engine.batching.database_sync_to_async",
                        lambda function: lambda items: asyncio.to_thread(function, items))  # fmt: skip
    return Batched(work)


async def test_a_burst_is_gathered_until_it_ends_and_a_lone_call_goes_at_once(monkeypatch):
    monkeypatch.setattr("chat.engine.batching.QUIET_S", 0.3)
    monkeypatch.setattr("chat.engine.batching.GATHER_AT_MOST_S", 30)
    batches: list[list[int]] = []
    batched = _worked_in_a_thread(monkeypatch, batches)
    # Alone, it is not held back for the quiet time (0.3 s), let alone the longest (30 s).
    assert await asyncio.wait_for(batched(1), 0.25) == 1
    burst = [asyncio.ensure_future(batched(n)) for n in (2, 3)]  # two in one turn: a burst
    await asyncio.sleep(0.1)
    burst.append(asyncio.ensure_future(batched(4)))  # still coming: it joins
    assert [await call for call in burst] == [2, 3, 4]
    assert batches == [[1], [2, 3, 4]]


async def test_a_burst_that_goes_on_is_worked_after_the_longest_gathering(monkeypatch):
    monkeypatch.setattr("chat.engine.batching.QUIET_S", 0.05)
    monkeypatch.setattr("chat.engine.batching.GATHER_AT_MOST_S", 0.1)
    batches: list[list[int]] = []
    batched = _worked_in_a_thread(monkeypatch, batches)
    calls = [asyncio.ensure_future(batched(n)) for n in (0, 1)]
    for n in range(2, 60):  # a call every 10 ms for 0.6 s, never quiet for 50 ms
        await asyncio.sleep(0.01)
        calls.append(asyncio.ensure_future(batched(n)))
    assert [await call for call in calls] == list(range(60))
    assert len(batches) > 1 and sorted(sum(batches, [])) == list(range(60))
