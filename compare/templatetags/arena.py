"""Template filters of the leaderboard."""

from __future__ import annotations

import math

from django import template

register = template.Library()


@register.filter
def percent(share: float) -> str:
    """0.6667 → "67%"; no battles (NaN) → "—"."""
    return "—" if share is None or math.isnan(share) else f"{round(share * 100)}%"
