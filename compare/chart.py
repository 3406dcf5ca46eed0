"""A server-rendered SVG chart of the panes of one turn on four metrics (no JavaScript).

One small group of horizontal bars per metric, one bar per pane, each bar as long as its value
relative to the largest value of that metric. The page's CSS colours it (classes below); the
only presentation attributes are geometry, font size and `currentColor` fills, so it reads in
light and dark themes even before the stylesheet arrives, and needs no inline style (the CSP
allows none).

    svg.metrics-chart
      g.metric.metric-<key>            one per metric; <key> is ttft, rate, total or cost
        text.metric-name               "Time to first token", with tspan.metric-hint
        g.pane.pane-<n>                one per pane (n from 1); also .best or .missing
          title                        the full label and value, shown on hover
          text.pane-label              the label, shortened if long
          rect.bar                     absent when the value is missing
          text.value                   "412 ms", "—", "no price"
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from compare.metrics import (
    MISSING,
    PaneFigures,
    best_positions,
    format_cost,
    format_ms,
    format_rate,
    has_value,
)

__all__ = ["metrics_chart"]

# Geometry in viewBox units; the SVG is width 100% and scales to its column.
WIDTH = 640
LABEL_WIDTH = 21  # characters of a pane label shown before it is shortened with "…"
BAR_X = 160
BAR_MAX = 340  # leaves room after the longest bar for a value such as "1,234.5 tok/s"
VALUE_GAP = 6
HEADING_HEIGHT = 22
ROW_HEIGHT = 18
BAR_HEIGHT = 12
GROUP_GAP = 14
FONT_SIZE = 12


@dataclass(frozen=True)
class _Metric:
    key: str
    name: str
    lower_is_better: bool
    value_of: Callable[[PaneFigures], float | Decimal | None]
    formatted: Callable[[float | Decimal | None], str]


_METRICS = (
    _Metric("ttft", "Time to first token", True, lambda pane: pane.ttft_ms, format_ms),
    _Metric("rate", "Tokens per second", False, lambda pane: pane.tokens_per_second, format_rate),
    _Metric("total", "Total time", True, lambda pane: pane.total_ms, format_ms),
    _Metric("cost", "Cost", True, lambda pane: pane.cost, format_cost),
)


def _number(value: float) -> str:
    """Coordinates with at most one decimal, so the same figures give the same bytes."""
    return f"{value:.1f}".removesuffix(".0")


def _shortened(label: str) -> str:
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"


def _bar_width(value: float | Decimal, largest: float | Decimal) -> float:
    if largest <= 0 or value <= 0:
        return 1.0  # a zero still gets a sliver, so "present" and "missing" look different
    return max(1.0, BAR_MAX * float(value) / float(largest))


def _metric_group(metric: _Metric, figures: Sequence[PaneFigures], top: int) -> tuple[str, int]:
    """One metric's heading and rows, starting at `top`; returns the markup and its height."""
    values = [metric.value_of(pane) for pane in figures]
    best = best_positions(values, lower_is_better=metric.lower_is_better)
    largest = max((value for value in values if has_value(value)), default=0)
    hint = "lower is better" if metric.lower_is_better else "higher is better"
    parts = [
        format_html(
            '<text class="metric-name" x="0" y="{}" font-size="{}" fill="currentColor">{}'
            ' <tspan class="metric-hint">· {}</tspan></text>',
            top + 15,
            FONT_SIZE,
            metric.name,
            hint,
        )
    ]
    row_top = top + HEADING_HEIGHT
    for position, (pane, value) in enumerate(zip(figures, values, strict=True)):
        classes = f"pane pane-{position + 1}"
        if position in best:
            classes += " best"
        shown = metric.formatted(value)
        baseline = row_top + 13
        if has_value(value):
            width = _bar_width(value, largest)
            bar = format_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" rx="2"'
                ' fill="currentColor"/>',
                BAR_X,
                row_top + 3,
                _number(width),
                BAR_HEIGHT,
            )
            value_x = BAR_X + width + VALUE_GAP
        else:
            classes += " missing"
            bar = ""
            value_x = BAR_X
        parts.append(
            format_html(
                '<g class="{}"><title>{}: {}</title>'
                '<text class="pane-label" x="0" y="{}" font-size="{}" fill="currentColor">{}</text>'
                "{}"
                '<text class="value" x="{}" y="{}" font-size="{}" fill="currentColor">{}</text>'
                "</g>",
                classes,
                pane.label,
                shown,
                baseline,
                FONT_SIZE,
                _shortened(pane.label),
                bar,
                _number(value_x),
                baseline,
                FONT_SIZE,
                shown,
            )
        )
        row_top += ROW_HEIGHT
    return "".join(parts), row_top - top


def _spoken(metric: _Metric, value: float | Decimal | None) -> str:
    shown = metric.formatted(value)
    return "not measured" if shown == MISSING else shown  # a screen reader would say "dash"


def _summary(figures: Sequence[PaneFigures]) -> str:
    """What a screen reader hears instead of the picture: every figure, the best ones said so."""
    sentences = []
    for metric in _METRICS:
        values = [metric.value_of(pane) for pane in figures]
        best = best_positions(values, lower_is_better=metric.lower_is_better)
        readings = [
            f"{pane.label} {_spoken(metric, value)}" + (" (best)" if position in best else "")
            for position, (pane, value) in enumerate(zip(figures, values, strict=True))
        ]
        sentences.append(f"{metric.name}: {', '.join(readings)}.")
    count = f"{len(figures)} pane" + ("" if len(figures) == 1 else "s")
    return f"Metrics of {count}. " + " ".join(sentences)


def metrics_chart(figures: Sequence[PaneFigures]) -> SafeString:
    """The SVG comparing `figures` (one per pane, in pane order), ready to put in a page."""
    if not figures:
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="metrics-chart empty"'
            ' viewBox="0 0 {} 24" width="100%" role="img" aria-label="{}"><title>{}</title>'
            '<text x="0" y="16" font-size="{}" fill="currentColor">{}</text></svg>',
            WIDTH,
            "No panes to compare.",
            "Pane metrics",
            FONT_SIZE,
            "No panes to compare.",
        )
    groups = []
    top = 0
    for metric in _METRICS:
        markup, height = _metric_group(metric, figures, top)
        groups.append(f'<g class="metric metric-{metric.key}">{markup}</g>')
        top += height + GROUP_GAP
    height = top - GROUP_GAP + 4  # room for descenders of the last row
    # Every piece above was built with format_html, so joining them keeps them safe.
    body = mark_safe("".join(groups))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="metrics-chart" viewBox="0 0 {} {}"'
        ' width="100%" role="img" aria-label="{}"><title>{}</title>{}</svg>',
        WIDTH,
        height,
        _summary(figures),
        "Time to first token, tokens per second, total time and cost of each pane",
        body,
    )
