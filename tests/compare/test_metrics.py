"""Which panes stand out, and how each figure reads to people (compare/metrics.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from compare.metrics import (
    CHEAPEST,
    FASTEST,
    PaneFigures,
    best_positions,
    format_cost,
    format_ms,
    format_rate,
    format_tokens,
    has_value,
    marks,
)


def test_pane_figures_cannot_be_changed_once_made():
    pane = PaneFigures("A", ttft_ms=412, tokens_per_second=38.5, total_ms=2100, cost=0.0031)
    with pytest.raises(AttributeError):
        pane.label = "B"  # type: ignore[misc]


def test_pane_figures_missing_from_a_failed_run_default_to_none():
    pane = PaneFigures("A")
    assert (pane.ttft_ms, pane.tokens_per_second, pane.total_ms, pane.cost) == (None,) * 4


# --- marks ---------------------------------------------------------------------------------


def test_it_marks_the_pane_with_the_lowest_total_time_fastest_and_the_lowest_cost_cheapest():
    figures = [
        PaneFigures("A", total_ms=2400, cost=0.004),
        PaneFigures("B", total_ms=1800, cost=0.009),
        PaneFigures("C", total_ms=3100, cost=0.002),
    ]
    assert marks(figures) == {"A": set(), "B": {FASTEST}, "C": {CHEAPEST}}


def test_one_pane_can_be_both_fastest_and_cheapest():
    figures = [
        PaneFigures("A", total_ms=900, cost=0.001),
        PaneFigures("B", total_ms=1200, cost=0.01),
    ]
    assert marks(figures)["A"] == {"fastest", "cheapest"}


def test_a_tie_marks_every_tied_pane():
    figures = [
        PaneFigures("A", total_ms=1000, cost=Decimal("0.002")),
        PaneFigures("B", total_ms=1000, cost=Decimal("0.002")),
        PaneFigures("C", total_ms=1500, cost=Decimal("0.003")),
    ]
    assert marks(figures) == {"A": {FASTEST, CHEAPEST}, "B": {FASTEST, CHEAPEST}, "C": set()}


def test_a_pane_without_a_figure_is_never_marked():
    figures = [
        PaneFigures("A", total_ms=None, cost=None),
        PaneFigures("B", total_ms=1500, cost=0.003),
        PaneFigures("C", total_ms=2500, cost=0.004),
    ]
    assert marks(figures) == {"A": set(), "B": {FASTEST, CHEAPEST}, "C": set()}


def test_nothing_is_marked_when_fewer_than_two_panes_have_the_figure():
    figures = [
        PaneFigures("A", total_ms=1500, cost=None),
        PaneFigures("B", total_ms=None, cost=0.2),
    ]
    assert marks(figures) == {"A": set(), "B": set()}


def test_a_single_pane_is_not_the_fastest_of_anything():
    assert marks([PaneFigures("A", total_ms=10, cost=0.0)]) == {"A": set()}


def test_no_panes_have_no_marks():
    assert marks([]) == {}


def test_two_panes_with_one_label_are_refused_rather_than_merged():
    with pytest.raises(ValueError, match="distinct"):
        marks([PaneFigures("gpt-4.1", total_ms=1), PaneFigures("gpt-4.1", total_ms=2)])


def test_best_positions_takes_the_highest_where_higher_is_better():
    assert best_positions([38.5, None, 52.0, 52.0], lower_is_better=False) == {2, 3}


def test_best_positions_ignores_figures_that_are_not_numbers():
    assert best_positions([float("nan"), 3.0, 4.0], lower_is_better=True) == {1}
    assert best_positions([float("nan"), 3.0], lower_is_better=True) == set()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), (0, True), (0.0, True), (Decimal("0"), True), (float("nan"), False),
     (float("inf"), False), (Decimal("NaN"), False)],
)  # fmt: skip
def test_a_figure_has_a_value_unless_it_is_none_or_not_a_finite_number(value, expected):
    assert has_value(value) is expected


# --- formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (None, "—"),
        (0, "0 ms"),
        (412, "412 ms"),
        (999, "999 ms"),
        (999.6, "1.0 s"),
        (1000, "1.0 s"),
        (1234, "1.2 s"),
        (12_345, "12.3 s"),
        (59_940, "59.9 s"),
        (59_960, "1 min"),
        (60_000, "1 min"),
        (125_000, "2 min 5 s"),
        (3_599_400, "59 min 59 s"),
        (3_600_000, "1 h"),
        (3_780_000, "1 h 3 min"),
    ],
)
def test_a_duration_reads_in_the_unit_people_use_for_it(ms, expected):
    assert format_ms(ms) == expected


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(None, "—"), (float("nan"), "—"), (38.46, "38.5 tok/s"), (0, "0.0 tok/s"),
     (1234.5, "1,234.5 tok/s")],
)  # fmt: skip
def test_a_rate_reads_in_tokens_per_second_with_one_decimal(rate, expected):
    assert format_rate(rate) == expected


@pytest.mark.parametrize(
    ("usd", "expected"),
    [
        (None, "no price"),
        (0, "$0.00"),
        (Decimal("0E-8"), "$0.00"),
        (0.0031, "$0.0031"),
        (0.003149, "$0.0031"),
        (0.00315, "$0.0032"),
        (0.00031, "$0.00031"),
        (0.05, "$0.05"),
        (0.1, "$0.10"),
        (0.42, "$0.42"),
        (0.4251, "$0.43"),
        (0.00999, "$0.01"),
        (0.999, "$1.00"),
        (12.3, "$12.30"),
        (1234.5, "$1,234.50"),
        (Decimal("0.00310000"), "$0.0031"),
        (0.0000004, "<$0.000001"),
        (-0.42, "-$0.42"),
    ],
)
def test_a_cost_reads_in_dollars_with_the_precision_it_needs(usd, expected):
    assert format_cost(usd) == expected


def test_a_float_cost_is_rounded_as_written_not_as_stored_in_binary():
    # 0.285 is 0.28499999999999998 as a float; people expect it to round up.
    assert format_cost(0.285) == "$0.29"


@pytest.mark.parametrize(
    ("n", "estimated", "expected"),
    [(1234, False, "1,234"), (57, True, "≈57"), (0, False, "0"), (None, False, "?"),
     (None, True, "?")],
)  # fmt: skip
def test_a_token_count_has_thousands_separators_and_says_when_it_is_estimated(
    n, estimated, expected
):
    assert format_tokens(n, estimated=estimated) == expected
