"""What an answer cost: the price of a model (the ModelPrice table, seeded from the provider
records and edited by admins on the Prices page) and the arithmetic (design §5).

Prices are read once a minute per process, and at once after an edit in this process.
"""

from __future__ import annotations

import re
import threading
import time
from decimal import Decimal
from typing import Any

from connections.models import ModelPrice

CACHE_SECONDS = 60.0
MILLION = Decimal(1_000_000)
WILDCARD = "*"
# What may follow a priced name for it to price the model too: dates, revisions and
# "latest"/"preview" tags (claude-sonnet-4-5-20250929, gpt-4o-2024-08-06, gemini-2.0-flash-001,
# claude-3-7-sonnet-latest, claude-sonnet-4-5@20250929). Not another name: o3 does not price
# o3-pro, nor claude-opus-4 claude-opus-4-5 (a newer model is never priced as its elder).
_VERSION_PART = (
    r"(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|\d{2}-\d{2}(?:-\d{4})?|latest|preview|exp|v\d+(?::\d+)?)"
)
VERSION_SUFFIX = re.compile(rf"(?:[-@_.:]{_VERSION_PART})+")

_lock = threading.Lock()
_cached: tuple[float, tuple[ModelPrice, ...]] | None = None


def forget_cached(*_args: Any, **_kwargs: Any) -> None:
    """Drop the cached table (a post_save/post_delete receiver for ModelPrice)."""
    global _cached
    with _lock:
        _cached = None


def _table() -> tuple[ModelPrice, ...]:
    global _cached
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    rows = tuple(ModelPrice.objects.all())
    with _lock:
        _cached = (time.monotonic(), rows)
    return rows


def covers(priced: str, model: str) -> bool:
    """Whether a row's model name prices `model` (both lower case), other than exactly."""
    if priced.endswith(WILDCARD):
        return model.startswith(priced[:-1])
    return model.startswith(priced) and bool(VERSION_SUFFIX.fullmatch(model[len(priced) :]))


def price_for(kind: str, model: str) -> ModelPrice | None:
    """The price of `model` on a connection of `kind`: a row for that provider before a row
    for any provider; within each, the exact model before the longest name that covers it.
    None when no row does. Reads the database (sync), at most once a minute."""
    name = (model or "").strip().lower()
    if not name:
        return None
    table = _table()
    for provider in dict.fromkeys([kind or "", ""]):
        rows = [row for row in table if row.provider == provider]
        exact = [row for row in rows if row.model.lower() == name]
        if exact:
            return exact[0]
        covering = [row for row in rows if covers(row.model.lower(), name)]
        if covering:
            return max(covering, key=lambda row: len(row.model.rstrip(WILDCARD)))
    return None


def cost(
    price: ModelPrice | None, input_tokens: int | None, output_tokens: int | None
) -> Decimal | None:
    """USD for an answer's tokens at `price`; None when the price or a count is missing."""
    if price is None or input_tokens is None or output_tokens is None:
        return None
    spent = (
        price.input_usd_per_million * input_tokens + price.output_usd_per_million * output_tokens
    )
    return spent / MILLION
