"""Repetitions: how consistent a pane's answers to one turn are — distinct answers after
normalising whitespace and case, how often the same tool calls were made, how many
structured answers were valid, and latency min / median / max. No Django."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

__all__ = ["Repetition", "Consistency", "normalised", "figures"]


@dataclass(frozen=True)
class Repetition:
    content: str
    tool_calls: tuple[str, ...] = ()  # each call as canonical JSON of its name and arguments
    output_valid: bool | None = None  # None: no output schema
    duration_ms: int | None = None

    @classmethod
    def of(cls, content: str, calls: Sequence[dict[str, Any]] | None, output_valid: bool | None,
           duration_ms: int | None) -> Repetition:  # fmt: skip
        keys = tuple(sorted(json.dumps({"name": call.get("name"),
                                        "arguments": call.get("arguments") or {}},
                                       sort_keys=True) for call in calls or []))  # fmt: skip
        return cls(content, keys, output_valid, duration_ms)


@dataclass(frozen=True)
class Consistency:
    answers: int
    distinct: int  # different answers once whitespace and case are set aside
    most_common: int  # how many gave the commonest answer
    with_tool_calls: int  # answers that called tools
    same_tool_calls: int  # answers whose calls (names and arguments) are the commonest set
    structured: int  # answers checked against an output schema
    valid: int
    latency_ms: tuple[float, float, float] | None  # min, median, max of the finished ones


def normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def figures(repetitions: Sequence[Repetition]) -> Consistency:
    texts = Counter(normalised(r.content) for r in repetitions)
    calls = Counter(r.tool_calls for r in repetitions)
    common_calls = calls.most_common(1)[0][1] if calls else 0
    checked = [r.output_valid for r in repetitions if r.output_valid is not None]
    times = sorted(float(r.duration_ms) for r in repetitions if r.duration_ms is not None)
    return Consistency(
        answers=len(repetitions),
        distinct=len(texts),
        most_common=texts.most_common(1)[0][1] if texts else 0,
        with_tool_calls=sum(1 for r in repetitions if r.tool_calls),
        same_tool_calls=common_calls,
        structured=len(checked),
        valid=sum(checked),
        latency_ms=(times[0], median(times), times[-1]) if times else None,
    )
