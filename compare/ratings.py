"""Arena ratings: Bradley–Terry strengths with 95% intervals from pairwise or k-pane votes
(method: /work/shared/reference/arena-ratings.md). No Django: callable from anywhere."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = [  # data and results, then functions
    *("OUTCOMES", "Battle", "Style", "Row", "WinRates", "Leaderboard", "ControlledLeaderboard"),
    *("battles_from_vote", "fit", "fit_controlled", "bootstrap", "markdown_features"),
]

OUTCOMES = ("a", "b", "tie", "both_bad")
SCALE = 400 / math.log(10)  # logit → rating points
Z95 = 1.959963984540054  # two-sided 95%
RIDGE = 1e-5  # per battle: keeps an undefeated contestant finite and the system solvable
STYLE_NAMES = ("length", "headers", "list_items", "bold")
_CODE = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}
_MARKS = (r"^ {0,3}#{1,6}\s", r"^\s*(?:[-*+]|\d+[.)])\s+\S", r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_YS = np.array([1.0, 0.0, 0.5, 0.5])  # y by outcome code


class Style(NamedTuple):
    """What an answer looks like, not what it says: characters and markdown elements."""

    length: float = 0
    headers: float = 0
    list_items: float = 0
    bold: float = 0


@dataclass(frozen=True)
class Battle:
    a: str
    b: str
    outcome: str  # one of OUTCOMES
    style_a: Style | None = None
    style_b: Style | None = None

    def __post_init__(self):
        if self.outcome not in OUTCOMES or self.a == self.b:
            raise ValueError(f"a battle needs two contestants and one of {OUTCOMES}: {self}")


Styles = Mapping[str, Style] | None


def battles_from_vote(
    contestants: Sequence[str], outcome: str, winner: str | None = None, styles: Styles = None
) -> list[Battle]:
    """One vote → battles. Two panes: "a"/"b"/"tie"/"both_bad" (or "best" + winner). k panes:
    "best" + winner → winner over each other (k − 1 battles); "tie"/"both_bad" → every pair."""
    names, styles = list(contestants), styles or {}
    if len(names) < 2 or len(set(names)) != len(names):
        raise ValueError("a vote needs at least two different contestants")

    def battle(a: str, b: str, result: str) -> Battle:
        return Battle(a, b, result, styles.get(a), styles.get(b))

    if outcome == "best" or (winner is not None and outcome not in ("tie", "both_bad")):
        if winner not in names:
            raise ValueError(f"the winner {winner!r} is not among the contestants")
        return [battle(winner, other, "a") for other in names if other != winner]
    if outcome in ("tie", "both_bad"):
        return [battle(a, b, outcome) for i, a in enumerate(names) for b in names[i + 1 :]]
    if outcome in ("a", "b") and len(names) == 2:
        return [battle(names[0], names[1], outcome)]
    raise ValueError(f"outcome {outcome!r} does not fit a vote among {len(names)} contestants")


@dataclass(frozen=True)
class Row:
    contestant: str
    rating: float | None  # None: too few battles to rate
    ci_low: float | None
    ci_high: float | None
    rank: int | None
    battles: int
    wins: int
    losses: int
    ties: int  # ties and "both bad"
    group: int = 0  # connected group of the battle graph; ranks compare within a group only


@dataclass(frozen=True)
class WinRates:
    """share[i, j]: i's share of wins over j (ties half; nan if they never met); count[i, j]."""

    contestants: tuple[str, ...]
    share: np.ndarray
    count: np.ndarray

    def get(self, a: str, b: str) -> tuple[float, int]:
        i, j = self.contestants.index(a), self.contestants.index(b)
        return float(self.share[i, j]), int(self.count[i, j])


@dataclass(frozen=True)
class Leaderboard:
    rows: tuple[Row, ...]  # rated, best first
    unrated: tuple[Row, ...]  # below min_battles, left out of the fit
    win_rates: WinRates
    battles: int
    groups: int  # 1 when every rated contestant is linked to every other through battles
    interval: str = "sandwich"  # or "bootstrap"

    def row(self, contestant: str) -> Row:
        return next(r for r in self.rows + self.unrated if r.contestant == contestant)


@dataclass(frozen=True)
class ControlledLeaderboard:
    leaderboard: Leaderboard  # strengths with style held equal
    style: dict[str, float]  # logit per standard deviation of each normalised difference


def markdown_features(text: str) -> Style:
    """Characters, headers, list items and bold spans, ignoring lines inside code fences."""
    prose = "\n".join(re.split(r"^ *(?:```|~~~).*?^ *(?:```|~~~).*?$", text, flags=re.M | re.S))
    return Style(len(text), *(len(re.findall(mark, prose, re.M)) for mark in _MARKS))


def _encode(battles: Sequence[Battle]):
    """Every contestant (sorted), and each battle as indices of a and b and an outcome code."""
    names = sorted({b.a for b in battles} | {b.b for b in battles})
    index = {name: i for i, name in enumerate(names)}
    ia, ib = (np.array([index[getattr(b, s)] for b in battles], dtype=np.int64) for s in "ab")
    return names, ia, ib, np.array([_CODE[b.outcome] for b in battles], dtype=np.int64)


def _tallies(n: int, ia: np.ndarray, ib: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Per contestant: battles, wins, losses, ties (ties and "both bad")."""
    cases = ((code == 0, code == 1), (code == 1, code == 0), (code >= 2, code >= 2))
    wins, losses, ties = (np.bincount(ia, ma, n) + np.bincount(ib, mb, n) for ma, mb in cases)
    return np.stack([wins + losses + ties, wins, losses, ties], axis=1).astype(int)


def _eligible(n: int, ia: np.ndarray, ib: np.ndarray, min_battles: int):
    """Battles kept and contestants rated: below min_battles out, until the rest have enough."""
    kept = np.ones(len(ia), dtype=bool)
    while True:
        played = np.bincount(ia[kept], minlength=n) + np.bincount(ib[kept], minlength=n)
        drop = kept & ~((enough := played >= min_battles)[ia] & enough[ib])
        if not drop.any():
            return kept, np.flatnonzero(enough & (played > 0))
        kept &= ~drop


def _win_rates(names, ia, ib, code, order) -> WinRates:
    n, y = len(names), _YS[code]
    points = np.bincount(ia * n + ib, y, n * n) + np.bincount(ib * n + ia, 1 - y, n * n)
    count = np.bincount(ia * n + ib, minlength=n * n) + np.bincount(ib * n + ia, minlength=n * n)
    points, count = (m.reshape(n, n)[np.ix_(order, order)] for m in (points, count))
    share = np.divide(points, count, out=np.full((n, n), np.nan), where=count > 0)
    return WinRates(tuple(names[i] for i in order), share, count)


def _style_columns(battles: Sequence[Battle], kept: np.ndarray) -> np.ndarray:
    """(a − b)/(a + b) per feature (0 when both are 0), divided by its standard deviation."""
    chosen, blank, f = [battles[i] for i in np.flatnonzero(kept)], Style(), len(STYLE_NAMES)
    sa, sb = (
        np.fromiter(chain.from_iterable(getattr(b, side) or blank for b in chosen), float)
        for side in ("style_a", "style_b")
    )
    with np.errstate(invalid="ignore", divide="ignore"):  # in [-1, 1], antisymmetric
        diff = np.where(sa + sb > 0, (sa - sb) / (sa + sb), 0.0).reshape(-1, f)
    return diff / np.where((spread := diff.std(axis=0)) > 0, spread, 1.0)


def _merged(n: int, ia: np.ndarray, ib: np.ndarray, code: np.ndarray):
    """Identical (a, b, y) rows as one row with a weight: (ia, ib, y, w)."""
    keys, w = np.unique((ia * n + ib) * 3 + np.minimum(code, 2), return_counts=True)
    return keys // 3 // n, keys // 3 % n, _YS[np.minimum(keys % 3, 2)], w.astype(float)


def _mle(n, ia, ib, y, w, x=None, start=None):
    """Weighted Bradley–Terry MLE (θ for n contestants, then β for the style columns)."""
    total, f = w.sum(), 0 if x is None else x.shape[1]

    def objective(params):
        theta, beta = params[:n], params[n:]
        delta = theta[ia] - theta[ib] + (x @ beta if f else 0.0)
        soft = np.logaddexp(0, -delta)  # −log σ(Δ); −log(1 − σ(Δ)) = soft + Δ
        nll = w @ (soft + (1 - y) * delta)
        r = w * (y - np.exp(-soft))
        grad = np.bincount(ib, r, n) - np.bincount(ia, r, n)
        grad = np.concatenate([grad + RIDGE * total * theta, -(x.T @ r) if f else []])
        return (nll + 0.5 * RIDGE * total * theta @ theta) / total, grad / total

    x0, opts = np.zeros(n + f) if start is None else start, {"ftol": 1e-14, "gtol": 1e-9}
    return minimize(objective, x0, jac=True, method="L-BFGS-B", options=opts).x


def _outer(n, ia, ib, x, s) -> np.ndarray:
    """Σ s · z zᵀ with z = (e_a − e_b, style differences)."""
    m = np.zeros((n + (f := 0 if x is None else x.shape[1]),) * 2)
    flat = np.bincount(ia * n + ia, s, n * n) + np.bincount(ib * n + ib, s, n * n)
    flat -= np.bincount(ia * n + ib, s, n * n) + np.bincount(ib * n + ia, s, n * n)
    m[:n, :n] = flat.reshape(n, n)
    if f:
        sx = s[:, None] * x
        cross = np.stack([np.bincount(ia, c, n) - np.bincount(ib, c, n) for c in sx.T], 1)
        m[:n, n:], m[n:, :n], m[n:, n:] = cross, cross.T, sx.T @ x
    return m


def _sandwich(n, ia, ib, y, w, x, params) -> np.ndarray:
    delta = params[:n][ia] - params[:n][ib] + (x @ params[n:] if x is not None else 0.0)
    p = 1 / (1 + np.exp(-delta))
    h = _outer(n, ia, ib, x, w * p * (1 - p))
    h[np.arange(n), np.arange(n)] += RIDGE * w.sum()
    return ((h_inv := np.linalg.pinv(h)) @ _outer(n, ia, ib, x, w * (y - p) ** 2) @ h_inv)[:n, :n]


def _centre(theta: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """θ with mean 0 in each group, and the projection that does it (for the covariance)."""
    same = (group[:, None] == group[None, :]).astype(float)
    proj = np.eye(len(theta)) - same / same.sum(axis=1, keepdims=True)
    return proj @ theta, proj


def _board(encoded, tally, rated, theta, low, high, group, interval) -> Leaderboard:
    names, ia, ib, code = encoded
    beaten = (low[None, :] > high[:, None]) & (group[None, :] == group[:, None])
    rank, stats = (1 + beaten.sum(axis=1)).tolist(), tally.tolist()
    rating, low, high = ((1000 + v * SCALE).tolist() for v in (theta, low, high))
    rows = [
        Row(names[k], rating[i], low[i], high[i], rank[i], *stats[k], int(group[i]))
        for i, k in enumerate(rated.tolist())
    ]
    rows.sort(key=lambda r: (-r.rating, r.contestant))
    others = sorted(set(range(len(names))) - set(rated.tolist()), key=lambda k: (-stats[k][0], k))
    unrated = [Row(names[k], None, None, None, None, *stats[k]) for k in others]
    order, groups = [names.index(r.contestant) for r in rows + unrated], len(set(group.tolist()))
    rates = _win_rates(names, ia, ib, code, order)
    return Leaderboard(tuple(rows), tuple(unrated), rates, len(ia), groups, interval)


def _fit(battles: Sequence[Battle], min_battles: int, style: bool):
    """Encoding, tallies, rated, (design, parameters) or None, θ, 95% half-widths, groups."""
    encoded = names, ia, ib, code = _encode(battles)
    kept, rated = _eligible(len(names), ia, ib, min_battles)
    tally, n = _tallies(len(names), ia, ib, code), len(rated)
    if not n:
        return encoded, tally, rated, None, np.zeros(0), np.zeros(0), np.zeros(0, dtype=int)
    remap = np.searchsorted(rated, np.arange(len(names)))  # kept battles are among the rated
    ka, kb, kc = remap[ia[kept]], remap[ib[kept]], code[kept]
    params = _mle(n, *(design := _merged(n, ka, kb, kc)))
    if style:  # one row per battle (styles differ), started from the plain strengths
        x = _style_columns(battles, kept)
        design = ka, kb, _YS[kc], np.ones(len(ka)), x
        params = _mle(n, *design, start=np.r_[params, np.zeros(x.shape[1])])
    group = connected_components(coo_matrix((design[3], design[:2]), (n, n)), directed=False)[1]
    theta, proj = _centre(params[:n], group)
    var = np.diag(proj @ _sandwich(n, *design[:4], design[4] if style else None, params) @ proj.T)
    half = Z95 * np.sqrt(np.clip(var, 0, None))
    return encoded, tally, rated, (design[:4], params), theta, half, group


def fit(battles: Iterable[Battle], *, min_battles: int = 5) -> Leaderboard:
    """Bradley–Terry ratings (1000 + 400·θ/ln 10) with sandwich 95% intervals."""
    encoded, tally, rated, _, theta, half, group = _fit(list(battles), min_battles, False)
    return _board(encoded, tally, rated, theta, theta - half, theta + half, group, "sandwich")


def fit_controlled(battles: Iterable[Battle], *, min_battles: int = 5) -> ControlledLeaderboard:
    """Ratings with style held equal: length and markdown-count differences as covariates."""
    encoded, tally, rated, fitted, theta, half, group = _fit(list(battles), min_battles, True)
    board = _board(encoded, tally, rated, theta, theta - half, theta + half, group, "sandwich")
    beta = fitted[1][len(rated) :].tolist() if fitted else [0.0] * len(STYLE_NAMES)
    return ControlledLeaderboard(board, dict(zip(STYLE_NAMES, beta, strict=True)))


def bootstrap(
    battles: Iterable[Battle], rounds: int = 200, seed: int = 0, *, min_battles: int = 5
) -> Leaderboard:
    """Ratings with percentile (2.5 / 97.5) intervals from `rounds` resamplings of the battles."""
    encoded, tally, rated, fitted, theta, _, group = _fit(list(battles), min_battles, False)
    if fitted is None:
        return _board(encoded, tally, rated, theta, theta, theta, group, "bootstrap")
    ((ia, ib, y, w), params), n = fitted, len(rated)
    draws = np.empty((rounds, n))
    counts = np.random.default_rng(seed).multinomial(int(w.sum()), w / w.sum(), size=rounds)
    for r, c in enumerate(counts):
        used = c > 0
        refit = _mle(n, ia[used], ib[used], y[used], c[used].astype(float), start=params)
        draws[r] = _centre(refit[:n], group)[0]
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    return _board(encoded, tally, rated, theta, low, high, group, "bootstrap")
