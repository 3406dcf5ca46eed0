"""Attachments as fitted for one provider, kept in memory for the next turn.

Every turn sends the whole history again, images and recordings included; without this, a
long conversation would re-encode the same photo and re-convert the same recording on every
turn. Bounded by bytes, least recently used first out, shared by the run threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar


class HasData(Protocol):
    data: bytes


T = TypeVar("T", bound=HasData)

MAX_BYTES = 64 * 2**20


class Renditions:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, HasData] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
        made = make()  # outside the lock: encoding takes a while, other runs go on
        with self._lock:
            if key not in self._items and len(made.data) <= self.max_bytes:
                self._items[key] = made
                self._bytes += len(made.data)
                while self._bytes > self.max_bytes:
                    _, dropped = self._items.popitem(last=False)
                    self._bytes -= len(dropped.data)
        return made

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


RENDITIONS = Renditions()
