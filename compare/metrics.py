"""The figures of each pane of a turn, which panes stand out, and how figures read to people.

Used by the chart across panes (compare/chart.py) and the metrics strip under each answer, so
that a number reads the same everywhere on the compare screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "CHEAPEST",
    "FASTEST",
    "MISSING",
    "PaneFigures",
    "best_positions",
    "format_cost",
    "format_ms",
    "format_rate",
    "format_tokens",
    "has_value",
    "marks",
]

FASTEST = "fastest"
CHEAPEST = "cheapest"
MISSING = "—"  # what a figure the run did not produce reads as

# Below this a cost is shown as "<$0.000001" rather than as a row of zeros.
_SMALLEST_COST_SHOWN = Decimal("0.000001")


@dataclass(frozen=True)
class PaneFigures:
    """One pane's figures for one turn; None where the run did not produce the figure
    (no first token yet, a failed run, a model without a price)."""

    label: str
    ttft_ms: int | None = None
    tokens_per_second: float | None = None
    total_ms: int | None = None
    cost: float | Decimal | None = None  # USD; Run.cost is a Decimal


def has_value(value: float | Decimal | None) -> bool:
    """Whether a figure was produced: not None, and not NaN or infinite."""
    if value is None:
        return False
    if isinstance(value, Decimal):
        return value.is_finite()
    return math.isfinite(value)


def best_positions(values: Sequence[float | Decimal | None], *, lower_is_better: bool) -> set[int]:
    """The positions of the best value: every tied one, none when fewer than two values are
    present (a single pane is not "the fastest" of anything)."""
    present = {position: value for position, value in enumerate(values) if has_value(value)}
    if len(present) < 2:
        return set()
    best = min(present.values()) if lower_is_better else max(present.values())
    return {position for position, value in present.items() if value == best}


def marks(figures: Sequence[PaneFigures]) -> dict[str, set[str]]:
    """Which panes are the fastest (lowest total time) and the cheapest (lowest cost), keyed
    by label; every pane has an entry, most of them empty."""
    labels = [pane.label for pane in figures]
    if len(set(labels)) != len(labels):
        # Keyed by label, two panes with one label could not be told apart.
        raise ValueError(f"Pane labels must be distinct to be marked, got {labels!r}")
    result: dict[str, set[str]] = {label: set() for label in labels}
    for mark, values in (
        (FASTEST, [pane.total_ms for pane in figures]),
        (CHEAPEST, [pane.cost for pane in figures]),
    ):
        for position in best_positions(values, lower_is_better=True):
            result[labels[position]].add(mark)
    return result


def format_ms(ms: float | None) -> str:
    """A duration as people say it: "412 ms", "1.2 s", "2 min 5 s", "1 h 3 min"."""
    if ms is None or not math.isfinite(ms):
        return MISSING
    whole_ms = round(ms)
    if whole_ms < 1000:
        return f"{whole_ms} ms"
    tenths = (whole_ms + 50) // 100  # rounded first, so 59,960 ms reads "1 min", not "60.0 s"
    if tenths < 600:
        return f"{tenths // 10}.{tenths % 10} s"
    minutes, seconds = divmod((whole_ms + 500) // 1000, 60)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"


def format_rate(tokens_per_second: float | None) -> str:
    """Output speed: "38.5 tok/s"."""
    if tokens_per_second is None or not math.isfinite(tokens_per_second):
        return MISSING
    return f"{tokens_per_second:,.1f} tok/s"


def format_cost(usd: float | Decimal | None) -> str:
    """A cost in US dollars: cents from a dollar up ("$12.30"), two significant digits below
    ("$0.42", "$0.0031"), since most single answers cost a fraction of a cent."""
    if not has_value(usd):
        return "no price"
    amount = usd if isinstance(usd, Decimal) else Decimal(str(usd))  # str: no binary noise
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    if amount == 0:
        return "$0.00"
    if amount < _SMALLEST_COST_SHOWN:
        return f"{sign}<${_SMALLEST_COST_SHOWN:f}"
    if amount >= 1:
        return f"{sign}${amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"
    places = max(2, 1 - amount.adjusted())  # adjusted() is the exponent of the first digit
    text = f"{amount.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):f}"
    whole, fraction = text.split(".")
    fraction = fraction.rstrip("0").ljust(2, "0")  # "$0.050" reads "$0.05", "$0.10" stays
    return f"{sign}${whole}.{fraction}"


def format_tokens(n: int | None, estimated: bool = False) -> str:
    """A token count: "1,234"; "≈57" when counted from the text because the provider did not
    say; "?" when unknown."""
    if n is None:
        return "?"
    return f"{'≈' if estimated else ''}{n:,}"
