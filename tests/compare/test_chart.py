"""The SVG chart across the panes of a turn (compare/chart.py), read back as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from compare.chart import BAR_MAX, metrics_chart
from compare.metrics import PaneFigures

SVG = "{http://www.w3.org/2000/svg}"
METRICS = ("ttft", "rate", "total", "cost")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def group(root: ET.Element, metric: str) -> ET.Element:
    (found,) = [g for g in root.iter(f"{SVG}g") if {"metric", f"metric-{metric}"} <= classes(g)]
    return found


def rows(root: ET.Element, metric: str) -> list[ET.Element]:
    return [g for g in group(root, metric).iter(f"{SVG}g") if "pane" in classes(g)]


def text_of(row: ET.Element, kind: str) -> str:
    (found,) = [t for t in row.iter(f"{SVG}text") if kind in classes(t)]
    return "".join(found.itertext())


def bar(row: ET.Element) -> ET.Element | None:
    bars = [r for r in row.iter(f"{SVG}rect") if "bar" in classes(r)]
    return bars[0] if bars else None


TWO_PANES = [
    PaneFigures("gpt-4.1-mini", ttft_ms=412, tokens_per_second=38.5, total_ms=2400, cost=0.0031),
    PaneFigures("claude-haiku", ttft_ms=1200, tokens_per_second=77.0, total_ms=1800, cost=0.42),
]


def test_it_is_an_image_with_a_title_and_a_spoken_summary_of_every_figure():
    root = parse(metrics_chart(TWO_PANES))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None
    summary = root.get("aria-label")
    for fragment in (
        "2 panes",
        "Time to first token: gpt-4.1-mini 412 ms (best), claude-haiku 1.2 s.",
        "Tokens per second: gpt-4.1-mini 38.5 tok/s, claude-haiku 77.0 tok/s (best).",
        "Total time: gpt-4.1-mini 2.4 s, claude-haiku 1.8 s (best).",
        "Cost: gpt-4.1-mini $0.0031 (best), claude-haiku $0.42.",
    ):
        assert fragment in summary


def test_it_scales_to_its_column():
    root = parse(metrics_chart(TWO_PANES))
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 640 ")


def test_it_has_one_group_per_metric_and_one_bar_per_pane_in_each():
    root = parse(metrics_chart(TWO_PANES))
    for metric in METRICS:
        assert len(rows(root, metric)) == 2
        assert all(bar(row) is not None for row in rows(root, metric))
    assert len([r for r in root.iter(f"{SVG}rect") if "bar" in classes(r)]) == 8


def test_each_bar_is_labelled_with_its_pane_and_its_value_as_people_read_it():
    root = parse(metrics_chart(TWO_PANES))
    shown = {
        metric: [(text_of(row, "pane-label"), text_of(row, "value")) for row in rows(root, metric)]
        for metric in METRICS
    }
    assert shown == {
        "ttft": [("gpt-4.1-mini", "412 ms"), ("claude-haiku", "1.2 s")],
        "rate": [("gpt-4.1-mini", "38.5 tok/s"), ("claude-haiku", "77.0 tok/s")],
        "total": [("gpt-4.1-mini", "2.4 s"), ("claude-haiku", "1.8 s")],
        "cost": [("gpt-4.1-mini", "$0.0031"), ("claude-haiku", "$0.42")],
    }


def test_the_best_pane_of_each_metric_is_classed_best():
    root = parse(metrics_chart(TWO_PANES))
    best = {
        metric: [text_of(row, "pane-label") for row in rows(root, metric) if "best" in classes(row)]
        for metric in METRICS
    }
    # lower is better for times and cost, higher for tokens per second
    assert best == {
        "ttft": ["gpt-4.1-mini"],
        "rate": ["claude-haiku"],
        "total": ["claude-haiku"],
        "cost": ["gpt-4.1-mini"],
    }


def test_each_metric_says_which_way_is_better():
    root = parse(metrics_chart(TWO_PANES))
    hints = {
        metric: "".join(next(t for t in group(root, metric).iter(f"{SVG}text")).itertext())
        for metric in METRICS
    }
    assert "lower is better" in hints["ttft"] and "lower is better" in hints["cost"]
    assert "higher is better" in hints["rate"]


def test_bars_are_as_long_as_their_value_relative_to_the_largest_of_their_metric():
    figures = [PaneFigures("A", total_ms=1000), PaneFigures("B", total_ms=4000)]
    widths = [float(bar(row).get("width")) for row in rows(parse(metrics_chart(figures)), "total")]
    assert widths == [BAR_MAX / 4, BAR_MAX]


def test_a_missing_value_shows_a_dash_and_no_bar_and_a_missing_cost_says_no_price():
    figures = [
        PaneFigures("A", ttft_ms=None, tokens_per_second=None, total_ms=None, cost=None),
        PaneFigures("B", ttft_ms=300, tokens_per_second=20.0, total_ms=900, cost=0.01),
    ]
    root = parse(metrics_chart(figures))
    for metric, shown in (("ttft", "—"), ("rate", "—"), ("total", "—"), ("cost", "no price")):
        missing, present = rows(root, metric)
        assert text_of(missing, "value") == shown
        assert bar(missing) is None
        assert "missing" in classes(missing)
        assert bar(present) is not None
    assert "A not measured" in root.get("aria-label")


def test_no_pane_is_best_when_only_one_has_the_figure():
    figures = [PaneFigures("A", cost=None), PaneFigures("B", cost=0.01)]
    root = parse(metrics_chart(figures))
    assert not any("best" in classes(row) for row in rows(root, "cost"))


def test_tied_panes_are_all_best():
    figures = [PaneFigures("A", ttft_ms=300), PaneFigures("B", ttft_ms=300)]
    assert all("best" in classes(row) for row in rows(parse(metrics_chart(figures)), "ttft"))


def test_a_zero_still_gets_a_sliver_of_a_bar_so_it_does_not_look_missing():
    figures = [PaneFigures("local", cost=Decimal("0")), PaneFigures("hosted", cost=Decimal("0.2"))]
    free, _ = rows(parse(metrics_chart(figures)), "cost")
    assert float(bar(free).get("width")) > 0
    assert text_of(free, "value") == "$0.00"


def test_a_label_written_as_markup_is_shown_as_text():
    chart = metrics_chart([PaneFigures("<b>bold</b> & co", ttft_ms=1), PaneFigures("B", ttft_ms=2)])
    root = parse(chart)  # it would not parse if the label had been let through as markup
    assert not list(root.iter(f"{SVG}b")) and not list(root.iter("b"))
    assert text_of(rows(root, "ttft")[0], "pane-label") == "<b>bold</b> & co"
    assert "<b>" not in chart
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in chart


def test_a_long_label_is_shortened_and_given_in_full_on_hover():
    label = "anthropic:claude-3-5-sonnet-20241022"
    row = rows(parse(metrics_chart([PaneFigures(label, ttft_ms=1)])), "ttft")[0]
    assert text_of(row, "pane-label") == "anthropic:claude-3-5…"
    assert row.find(f"{SVG}title").text == f"{label}: 1 ms"


def test_eight_panes_each_get_a_row_and_a_class_of_their_own_in_every_metric():
    figures = [PaneFigures(chr(ord("A") + n), ttft_ms=100 * (n + 1)) for n in range(8)]
    root = parse(metrics_chart(figures))
    for metric in METRICS:
        assert [f"pane-{n}" in classes(row) for n, row in enumerate(rows(root, metric), 1)] == [
            True
        ] * 8
    assert len([r for r in group(root, "ttft").iter(f"{SVG}rect")]) == 8


def test_the_same_figures_give_the_same_bytes():
    assert metrics_chart(TWO_PANES) == metrics_chart(list(TWO_PANES))


def test_it_uses_no_inline_style_so_the_content_security_policy_lets_it_render():
    chart = metrics_chart(TWO_PANES)
    root = parse(chart)
    assert all("style" not in element.attrib for element in root.iter())
    assert not list(root.iter(f"{SVG}style")) and not list(root.iter(f"{SVG}script"))
    assert not any(name.startswith("on") for element in root.iter() for name in element.attrib)


def test_no_panes_give_a_chart_that_says_so():
    root = parse(metrics_chart([]))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "No panes to compare."
    assert not list(root.iter(f"{SVG}rect"))


@pytest.mark.parametrize("count", [1, 3, 8])
def test_the_chart_is_tall_enough_for_every_row(count):
    figures = [PaneFigures(str(n), ttft_ms=n + 1) for n in range(count)]
    root = parse(metrics_chart(figures))
    height = float(root.get("viewBox").split()[3])
    lowest = max(float(t.get("y")) for t in root.iter(f"{SVG}text"))
    assert lowest < height
