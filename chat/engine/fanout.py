"""Who hears a conversation's events: every socket watching it, in this process and others.

A socket in this process is handed each event directly, as the same dict, in the order
published: no copy and no channel-layer hop per socket (with 300 streams that hop was a
third of the process's time, bench/concurrency.py). When several processes serve the site,
the "watchers" channel layer (Redis publish/subscribe, playground/settings.py) carries each
event once more, to `watchers.conversation.<pk>`: each process joins that group with one
channel of its own while any of its sockets watches the conversation, hands what arrives
to its sockets, and drops what it published itself. Publish/subscribe, not the default
layer: that one queued every event of every conversation for a process in one Redis list,
read one round trip per event, and dropped events past its capacity (bench/scale.py).

A watcher is anything with `hear(event)`: it must only take the event (queue it), never
block; the socket does its work in its own task (chat.consumers).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

ORIGIN, CONVERSATION = "watchers_origin", "watchers_conversation"  # added on the layer


class Watcher(Protocol):
    def hear(self, event: dict[str, Any]) -> None: ...


def watchers_group(conversation_id: int) -> str:
    return f"watchers.conversation.{conversation_id}"


WATCHERS_LAYER = "watchers"


def layer_between_processes() -> Any:
    """The layer that carries events to other processes, or None when one process serves."""
    return get_channel_layer(WATCHERS_LAYER) if WATCHERS_LAYER in settings.CHANNEL_LAYERS else None


class Hub:
    """The watchers of one event loop (one process serves from one loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.layer = layer_between_processes()
        self.remote = self.layer is not None
        self.watching: dict[int, set[Watcher]] = defaultdict(set)
        self.channel = ""
        self.listener: asyncio.Task[None] | None = None

    async def watch(self, conversation_id: int, watcher: Watcher) -> None:
        first = not self.watching[conversation_id]
        self.watching[conversation_id].add(watcher)
        if first and self.remote:
            await self._join(conversation_id)

    async def unwatch(self, conversation_id: int, watcher: Watcher) -> None:
        watchers = self.watching.get(conversation_id)
        if watchers is None or watcher not in watchers:
            return
        watchers.discard(watcher)
        if not watchers:
            del self.watching[conversation_id]
            if self.remote:
                await self.layer.group_discard(watchers_group(conversation_id), self.channel)

    def hand_out(self, conversation_id: int, event: dict[str, Any]) -> None:
        for watcher in tuple(self.watching.get(conversation_id, ())):
            try:
                watcher.hear(event)
            except Exception:  # noqa: BLE001 - one broken socket must not starve the others
                logger.exception("a watcher of conversation %s failed to take an event",
                                 conversation_id)  # fmt: skip

    async def publish(self, conversation_id: int, event: dict[str, Any]) -> None:
        self.hand_out(conversation_id, event)
        if self.remote:
            # `origin` is empty when nothing here watches: then nothing here hears it back.
            await self.layer.group_send(
                watchers_group(conversation_id),
                {**event, ORIGIN: self.channel, CONVERSATION: conversation_id},
            )

    async def _ensure_channel(self) -> None:
        if not self.channel:
            self.channel = await self.layer.new_channel()
            self.listener = self.loop.create_task(self._listen())

    async def _join(self, conversation_id: int) -> None:
        await self._ensure_channel()
        await self.layer.group_add(watchers_group(conversation_id), self.channel)

    async def _listen(self) -> None:
        while True:
            event = await self.layer.receive(self.channel)
            origin, conversation_id = event.pop(ORIGIN, ""), event.pop(CONVERSATION)
            if origin != self.channel:  # else published here: its sockets have it already
                self.hand_out(conversation_id, event)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        for stale in [other for other in _hubs if other.is_closed()]:
            del _hubs[stale]  # a test's loop, gone
        found = _hubs[loop] = Hub(loop)
    return found


async def watch(conversation_id: int, watcher: Watcher) -> None:
    await hub().watch(conversation_id, watcher)


async def unwatch(conversation_id: int, watcher: Watcher) -> None:
    await hub().unwatch(conversation_id, watcher)


async def publish(conversation_id: int, event: dict[str, Any]) -> None:
    """Hand an event to every watcher of the conversation. Watchers on another event loop of
    this process (a test's, a sync view's thread) get it on their own loop."""
    here = hub()
    await here.publish(conversation_id, event)
    if here.remote:
        return  # the other loops' hubs hear it through the layer
    for loop, other in list(_hubs.items()):
        if other is not here and not loop.is_closed():
            loop.call_soon_threadsafe(other.hand_out, conversation_id, event)


def panes_changed_from_sync(conversation_id: int) -> None:
    """From a view (sync code): every tab of the conversation redraws its panes."""
    from chat.engine.events import panes_changed  # events imports the models; fanout does not

    async_to_sync(publish)(conversation_id, panes_changed(conversation_id))
