"""The in-memory renditions: made once per key, bounded by bytes, oldest out first."""

from __future__ import annotations

from dataclasses import dataclass

from chat.renditions import Renditions


@dataclass(frozen=True)
class Blob:
    data: bytes


def test_a_rendition_is_made_once_and_the_least_recently_used_goes_first():
    made = []

    def maker(key: str, size: int):
        def make():
            made.append(key)
            return Blob(b"x" * size)

        return make

    cache = Renditions(max_bytes=100)
    cache.get("a", maker("a", 40))
    cache.get("b", maker("b", 40))
    cache.get("a", maker("a", 40))  # from memory; now the most recent
    cache.get("c", maker("c", 40))  # 120 bytes: "b" must go
    cache.get("a", maker("a", 40))
    cache.get("b", maker("b", 40))
    assert made == ["a", "b", "c", "b"]


def test_a_rendition_bigger_than_the_budget_is_returned_but_not_kept():
    cache = Renditions(max_bytes=10)
    calls = []
    for _ in range(2):
        assert cache.get("big", lambda: calls.append(1) or Blob(b"y" * 11)).data == b"y" * 11
    assert len(calls) == 2
