"""Group commit: calls that arrive while the database thread is busy are made together, in its
next visit, as one list.

Every database visit of the process goes through one thread (Channels' database_sync_to_async),
so 300 sends made at once used to wait for each other's dozen queries: the last one left
seconds after the first. A batch does one query per table for all of them. A call alone is
not held back: it goes at the next turn of the event loop. Calls that come several to a turn
are a burst, and the batch waits for the burst to end (no new call for QUIET_S, at most
GATHER_AT_MOST_S) — PostgreSQL's commit_delay, which applies only when commit_siblings are
active, does the same. Visited in pieces, a burst's later sends wait for the first piece's
visit and then compete with its streams for the interpreter (bench/concurrency.py, 300
sends: the last request left 160–710 ms after the first, median 560; gathered, 110–490,
median 214, and 40–50 ms when the whole burst is in one visit). The calls that come while a
batch is saved form the next batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from channels.db import database_sync_to_async

Item = TypeVar("Item")

# The work: items -> one result per item, in order; an exception in the list is raised to
# that item's caller alone.
Work = Callable[[list[Item]], list[Any]]

BURST = 2  # calls pending together that make a burst
QUIET_S = 0.002  # a burst has ended when no call came for this long
GATHER_AT_MOST_S = 0.05


@dataclass
class _Queue(Generic[Item]):
    pending: list[tuple[Item, asyncio.Future[Any]]] = field(default_factory=list)
    drain: asyncio.Task[None] | None = None


class Batched(Generic[Item]):
    def __init__(self, work: Work[Item]) -> None:
        self.work = work
        self._queues: dict[asyncio.AbstractEventLoop, _Queue[Item]] = {}

    async def __call__(self, item: Item) -> Any:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            for closed in [other for other in self._queues if other.is_closed()]:
                del self._queues[closed]  # a test's loop, gone
            queue = self._queues[loop] = _Queue()
        future = loop.create_future()
        queue.pending.append((item, future))
        if queue.drain is None or queue.drain.done():
            queue.drain = loop.create_task(self._drain(queue))
        return await future

    async def _gather(self, queue: _Queue[Item]) -> None:
        """While calls keep coming, let them join (a burst), up to GATHER_AT_MOST_S."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATHER_AT_MOST_S
        seen = len(queue.pending)
        while loop.time() < deadline:
            await asyncio.sleep(min(QUIET_S, deadline - loop.time()))
            if len(queue.pending) == seen:
                return
            seen = len(queue.pending)

    async def _drain(self, queue: _Queue[Item]) -> None:
        await asyncio.sleep(0)  # the calls made in this same turn of the loop come along
        while queue.pending:
            if len(queue.pending) >= BURST:
                await self._gather(queue)
            batch, queue.pending = queue.pending, []
            try:
                results = await database_sync_to_async(self.work)([item for item, _ in batch])
            except Exception as error:  # noqa: BLE001 - a bug: every caller hears of it
                results = [error] * len(batch)
            for (_item, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue  # its caller went away (a closed socket)
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
