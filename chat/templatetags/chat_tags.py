from __future__ import annotations

import json
from decimal import Decimal

from django import template

from chat.rendering import render_json, render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):  # type: ignore[no-untyped-def]
    return render_markdown(text)


@register.filter
def milliseconds(value: int | None) -> str:
    """1234 -> "1.23 s", 87 -> "87 ms"."""
    if value is None:
        return "–"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value} ms"


@register.filter
def pretty_json(value: object):  # type: ignore[no-untyped-def]
    """A JSON string, or a value to dump as JSON, pretty-printed and highlighted."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return render_json(text)


@register.filter
def duration(seconds: float | None) -> str:
    """12.3 -> "0:12", 75 -> "1:15"."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@register.filter
def usd(value: Decimal | float | None) -> str:
    """A cost in US dollars at a precision people read: "$0.0031", "$0.42", "$12.30"; a model
    the price table does not know is "no price", never a wrong $0."""
    if value is None:
        return "no price"
    amount = float(value)
    if amount == 0:
        return "$0"
    if amount < 0.01:
        return f"${amount:.2g}" if amount < 0.0001 else f"${amount:.4f}".rstrip("0")
    return f"${amount:,.2f}"


@register.filter
def count(value: int | None) -> str:
    """A count as text, "?" when unknown (text, because an int in a template is formatted
    for the locale at a cost that shows on a page of a thousand messages)."""
    return "?" if value is None else str(value)


@register.filter
def per_second(rate: float | None) -> str:
    """Output tokens per second: "38.5 tok/s", "– tok/s" when there is no rate."""
    return "– tok/s" if not rate else f"{rate:.1f} tok/s"
