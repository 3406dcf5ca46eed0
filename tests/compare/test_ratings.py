"""Arena ratings (compare/ratings.py): Bradley–Terry strengths, intervals, ranks, style control."""

from __future__ import annotations

import math

import numpy as np
import pytest

from compare.ratings import (
    Battle,
    Style,
    battles_from_vote,
    bootstrap,
    fit,
    fit_controlled,
    markdown_features,
)


def votes(a: str, b: str, wins: int = 0, losses: int = 0, ties: int = 0) -> list[Battle]:
    return [Battle(a, b, "a")] * wins + [Battle(a, b, "b")] * losses + [Battle(a, b, "tie")] * ties


def simulate(strengths: dict[str, float], n: int, seed: int, tie_share: float = 0.1):
    rng, names = np.random.default_rng(seed), list(strengths)
    battles = []
    for _ in range(n):
        a, b = (names[i] for i in rng.choice(len(names), 2, replace=False))
        p = 1 / (1 + math.exp(strengths[b] - strengths[a]))
        outcome = "tie" if rng.random() < tie_share else ("a" if rng.random() < p else "b")
        battles.append(Battle(a, b, outcome))
    return battles


def test_the_reference_check_7_wins_3_losses_2_ties_is_a_gap_of_120_points():
    board = fit(votes("A", "B", wins=7, losses=3, ties=2))
    a, b = board.row("A"), board.row("B")
    assert a.rating - b.rating == pytest.approx(120.4, abs=0.5)
    assert a.rating + b.rating == pytest.approx(2000, abs=1e-6)  # mean strength 0
    assert (a.battles, a.wins, a.losses, a.ties) == (12, 7, 3, 2)
    assert a.ci_low < a.rating < a.ci_high
    assert a.rank == b.rank == 1  # twelve votes cannot separate them


def test_symmetric_data_gives_equal_ratings():
    battles = votes("A", "B", 5, 5, 2) + votes("B", "C", 4, 4) + votes("C", "A", 3, 3, 1)
    ratings = [row.rating for row in fit(battles).rows]
    assert ratings == pytest.approx([1000, 1000, 1000], abs=1e-3)


def test_three_simulated_contestants_of_known_strength_come_out_in_order():
    board = fit(simulate({"strong": 0.8, "middle": 0.0, "weak": -0.8}, 3000, seed=7))
    assert [row.contestant for row in board.rows] == ["strong", "middle", "weak"]
    assert [row.rank for row in board.rows] == [1, 2, 3]
    gap = (board.row("strong").rating - board.row("weak").rating) * math.log(10) / 400
    share = 0.9 / (1 + math.exp(-1.6)) + 0.05  # random ties count half a win: a smaller gap
    assert gap == pytest.approx(math.log(share / (1 - share)), abs=0.2)


def test_sandwich_half_widths_agree_with_a_bootstrap():
    battles = simulate({"A": 0.6, "B": 0.0, "C": -0.6}, 1500, seed=1)
    sandwich, resampled = fit(battles), bootstrap(battles, rounds=500, seed=0)
    assert resampled.interval == "bootstrap" and sandwich.interval == "sandwich"
    for row in sandwich.rows:
        other = resampled.row(row.contestant)
        assert other.rating == pytest.approx(row.rating)
        half, other_half = (row.ci_high - row.ci_low) / 2, (other.ci_high - other.ci_low) / 2
        assert 10 < half < 20
        assert half == pytest.approx(other_half, abs=2.0)


def test_overlapping_intervals_share_a_rank():
    battles = votes("A", "B", 6, 4) + votes("B", "C", 6, 4) + votes("A", "C", 60, 5)
    board = fit(battles)
    a, b, c = (board.row(name) for name in "ABC")
    assert a.ci_low < b.ci_high and b.ci_low < c.ci_high  # neighbours overlap
    assert a.ci_low > c.ci_high  # the ends do not
    assert (a.rank, b.rank, c.rank) == (1, 1, 2)


def test_contestants_with_few_battles_are_listed_apart_and_left_out_of_the_fit():
    battles = votes("A", "B", 6, 4) + votes("E", "A", 3)
    board = fit(battles, min_battles=5)
    assert [row.contestant for row in board.unrated] == ["E"]
    e = board.unrated[0]
    assert (e.rating, e.ci_low, e.rank, e.battles, e.wins) == (None, None, None, 3, 3)
    assert board.row("A").rating == pytest.approx(fit(votes("A", "B", 6, 4)).row("A").rating)
    assert board.row("A").battles == 13  # the counts shown are all the votes
    assert board.win_rates.get("E", "A") == (1.0, 3)


def test_edge_cases_no_battles_one_rated_undefeated_and_disconnected():
    empty = fit([])
    assert (empty.rows, empty.unrated, empty.battles, empty.groups) == ((), (), 0, 0)
    assert fit(votes("A", "B", 3)).rows == ()  # two contestants, each below the minimum
    undefeated = fit(votes("A", "B", 10))
    assert all(math.isfinite(v) for r in undefeated.rows for v in (r.rating, r.ci_low, r.ci_high))
    assert undefeated.rows[0].contestant == "A"
    split = fit(votes("A", "B", 6, 4) + votes("C", "D", 8, 2))
    assert split.groups == 2
    assert {row.group for row in split.rows} == {0, 1}
    assert split.row("A").rating + split.row("B").rating == pytest.approx(2000, abs=1e-6)
    assert all(row.rank == 1 for row in split.rows)  # ranks compare within a group only
    assert bootstrap([]).rows == ()


def test_a_k_pane_best_pick_is_k_minus_1_battles_and_a_tie_is_every_pair():
    assert battles_from_vote(["A", "B", "C", "D"], "best", winner="C") == [
        Battle("C", "A", "a"),
        Battle("C", "B", "a"),
        Battle("C", "D", "a"),
    ]
    assert battles_from_vote(["A", "B"], "b") == [Battle("A", "B", "b")]
    assert len(battles_from_vote(["A", "B", "C"], "both_bad")) == 3
    assert {b.outcome for b in battles_from_vote(["A", "B", "C"], "tie")} == {"tie"}
    styles = {"A": Style(10), "B": Style(20)}
    assert battles_from_vote(["A", "B"], "a", styles=styles)[0].style_b == Style(20)
    with pytest.raises(ValueError):
        battles_from_vote(["A", "B", "C"], "a")
    with pytest.raises(ValueError):
        battles_from_vote(["A", "B"], "best", winner="Z")
    with pytest.raises(ValueError):
        Battle("A", "A", "a")
    with pytest.raises(ValueError):
        Battle("A", "B", "draw")


def test_the_win_rate_matrix_by_hand():
    battles = votes("A", "B", 3, 1, 2) + [Battle("B", "C", "both_bad")] * 5 + votes("C", "B", 1)
    rates = fit(battles, min_battles=1).win_rates
    assert rates.get("A", "B") == (pytest.approx(4 / 6), 6)  # 3 wins + 2 ties × ½ of 6
    assert rates.get("B", "A") == (pytest.approx(2 / 6), 6)
    assert rates.get("B", "C") == (pytest.approx(2.5 / 6), 6)
    share, count = rates.get("A", "C")
    assert math.isnan(share) and count == 0


def test_style_control_closes_a_gap_that_is_only_length():
    rng, names, battles = np.random.default_rng(0), ["A", "B", "C"], []
    for _ in range(6000):
        a, b = (names[i] for i in rng.choice(3, 2, replace=False))
        length = {"A": rng.uniform(400, 1200), "B": rng.uniform(100, 700)}
        length["C"] = rng.uniform(100, 700)
        d = (length[a] - length[b]) / (length[a] + length[b])
        won = rng.random() < 1 / (1 + math.exp(-3 * d))  # equal strengths; longer wins
        battles.append(Battle(a, b, "a" if won else "b", Style(length[a]), Style(length[b])))
    plain, controlled = fit(battles), fit_controlled(battles)
    assert plain.row("A").rating - plain.row("B").rating > 100
    board = controlled.leaderboard
    assert abs(board.row("A").rating - board.row("B").rating) < 20
    assert all(row.rank == 1 for row in board.rows)
    assert controlled.style["length"] > 0.5
    assert controlled.style["headers"] == 0


def test_markdown_features_count_headers_list_items_and_bold_outside_code():
    text = "# Title\n\n- one\n- **two**\n1. three\n```\n# not a header\n- nor an item\n```\n## End"
    assert markdown_features(text) == Style(len(text), headers=2, list_items=3, bold=1)
    assert markdown_features("") == Style(0, 0, 0, 0)
