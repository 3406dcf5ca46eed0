from __future__ import annotations

from django import template

from chat.rendering import render_markdown

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
