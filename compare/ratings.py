"""Arena ratings: Bradley–Terry strengths with 95% intervals from pairwise or k-pane votes
(method: /work/shared/reference/arena-ratings.md). No Django: callable from anywhere."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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
Z95 = 1.959963984540054
RIDGE = 1e-5  # per battle: keeps an undefeated contestant finite and the system solvable
STYLE_NAMES = ("length", "headers", "list_items", "bold")
_Y = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}


@dataclass(frozen=True)
class Style:
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
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {self.outcome!r}")
        if self.a == self.b:
            raise ValueError("a battle needs two different contestants")


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
    return Style(
        length=len(text),
        headers=len(re.findall(r"^ {0,3}#{1,6}\s", prose, re.M)),
        list_items=len(re.findall(r"^\s*(?:[-*+]|\d+[.)])\s+\S", prose, re.M)),
        bold=len(re.findall(r"\*\*[^*\n]+\*\*|__[^_\n]+__", prose)),
    )


def _tallies(battles: Sequence[Battle]) -> dict[str, list[int]]:
    tally: dict[str, list[int]] = {}  # battles, wins, losses, ties
    for b in battles:
        ta, tb = tally.setdefault(b.a, [0, 0, 0, 0]), tally.setdefault(b.b, [0, 0, 0, 0])
        ka, kb = {"a": (1, 2), "b": (2, 1)}.get(b.outcome, (3, 3))
        ta[0], tb[0], ta[ka], tb[kb] = ta[0] + 1, tb[0] + 1, ta[ka] + 1, tb[kb] + 1
    return tally


def _eligible(battles: Sequence[Battle], min_battles: int) -> tuple[list[str], list[Battle]]:
    """Drop contestants below min_battles, and again until those left still have enough."""
    kept = list(battles)
    while True:
        counts = {name: t[0] for name, t in _tallies(kept).items()}
        keep = {name for name, n in counts.items() if n >= min_battles}
        if len(keep) == len(counts):
            return sorted(keep), kept
        kept = [b for b in kept if b.a in keep and b.b in keep]


def _win_rates(battles: Sequence[Battle], order: Sequence[str]) -> WinRates:
    index, n = {name: i for i, name in enumerate(order)}, len(order)
    ia, ib = (np.array([index[getattr(b, side)] for b in battles], dtype=int) for side in "ab")
    y = np.array([_Y[b.outcome] for b in battles])
    points, count = np.zeros((n, n)), np.zeros((n, n), dtype=int)
    np.add.at(points, (ia, ib), y), np.add.at(points, (ib, ia), 1 - y)
    np.add.at(count, (ia, ib), 1), np.add.at(count, (ib, ia), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return WinRates(tuple(order), np.where(count > 0, points / count, np.nan), count)


def _vector(s: Style | None) -> tuple[float, ...]:
    return (s.length, s.headers, s.list_items, s.bold) if s else (0.0, 0.0, 0.0, 0.0)


def _design(battles: Sequence[Battle], names: Sequence[str], style: bool):
    """Merged rows: index of a, index of b, y, weight, and style differences (or None)."""
    index = {name: i for i, name in enumerate(names)}
    cols = [np.array([index[b.a] for b in battles]), np.array([index[b.b] for b in battles])]
    cols.append(np.array([_Y[b.outcome] for b in battles]))
    if style:
        sa = np.array([_vector(b.style_a) for b in battles])
        sb = np.array([_vector(b.style_b) for b in battles])
        with np.errstate(invalid="ignore", divide="ignore"):  # in [-1, 1], antisymmetric
            diff = np.where(sa + sb > 0, (sa - sb) / (sa + sb), 0.0)
        spread = diff.std(axis=0)
        diff = diff / np.where(spread > 0, spread, 1.0)
        cols += list(diff.T)
    rows, weight = np.unique(np.column_stack(cols), axis=0, return_counts=True)
    ia, ib = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
    return ia, ib, rows[:, 2], weight.astype(float), rows[:, 3:] if style else None


def _mle(n, ia, ib, y, w, x=None, start=None):
    """Weighted Bradley–Terry MLE (θ for n contestants, then β for the style columns)."""
    total, f = w.sum(), 0 if x is None else x.shape[1]

    def objective(params):
        theta, beta = params[:n], params[n:]
        delta = theta[ia] - theta[ib] + (x @ beta if f else 0.0)
        nll = w @ (y * np.logaddexp(0, -delta) + (1 - y) * np.logaddexp(0, delta))
        r = w * (y - 1 / (1 + np.exp(-delta)))
        grad = np.bincount(ib, r, n) - np.bincount(ia, r, n)
        grad = np.concatenate([grad, -(x.T @ r)]) if f else grad
        grad[:n] += RIDGE * total * theta
        return (nll + 0.5 * RIDGE * total * theta @ theta) / total, grad / total

    x0, opts = np.zeros(n + f) if start is None else start, {"ftol": 1e-14, "gtol": 1e-9}
    return minimize(objective, x0, jac=True, method="L-BFGS-B", options=opts).x


def _outer(n, ia, ib, x, s) -> np.ndarray:
    """Σ s · z zᵀ with z = (e_a − e_b, style differences)."""
    f = 0 if x is None else x.shape[1]
    m = np.zeros((n + f, n + f))
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


def _board(battles, names, theta, low, high, group, interval) -> Leaderboard:
    beaten = (low[None, :] > high[:, None]) & (group[None, :] == group[:, None])
    rank, tally = (1 + beaten.sum(axis=1)).tolist(), _tallies(battles)
    rating, low, high = ((1000 + v * SCALE).tolist() for v in (theta, low, high))
    rows = [
        Row(name, rating[i], low[i], high[i], rank[i], *tally[name], int(group[i]))
        for i, name in enumerate(names)
    ]
    rows.sort(key=lambda r: (-r.rating, r.contestant))
    unrated = sorted(
        (Row(name, None, None, None, None, *t) for name, t in tally.items() if name not in names),
        key=lambda r: (-r.battles, r.contestant),
    )
    rates, groups = _win_rates(battles, [r.contestant for r in rows + unrated]), len(set(group))
    return Leaderboard(tuple(rows), tuple(unrated), rates, len(battles), groups, interval)


def _fit(battles: Sequence[Battle], min_battles: int, style: bool):
    """(names, merged design + parameters or None, centred θ, its 95% half-widths, groups)."""
    names, kept = _eligible(battles, min_battles)
    if not kept:
        return names, None, np.zeros(0), np.zeros(0), np.zeros(0, dtype=int)
    n, (ia, ib, y, w, x) = len(names), _design(kept, names, style)
    params = _mle(n, ia, ib, y, w, x)
    group = connected_components(coo_matrix((w, (ia, ib)), shape=(n, n)), directed=False)[1]
    theta, proj = _centre(params[:n], group)
    var = np.diag(proj @ _sandwich(n, ia, ib, y, w, x, params) @ proj.T)
    return names, (ia, ib, y, w, params), theta, Z95 * np.sqrt(np.clip(var, 0, None)), group


def fit(battles: Iterable[Battle], *, min_battles: int = 5) -> Leaderboard:
    """Bradley–Terry ratings (1000 + 400·θ/ln 10) with sandwich 95% intervals."""
    battles = list(battles)
    names, _, theta, half, group = _fit(battles, min_battles, False)
    return _board(battles, names, theta, theta - half, theta + half, group, "sandwich")


def fit_controlled(battles: Iterable[Battle], *, min_battles: int = 5) -> ControlledLeaderboard:
    """Ratings with style held equal: length and markdown-count differences as covariates."""
    battles = list(battles)
    names, design, theta, half, group = _fit(battles, min_battles, True)
    board = _board(battles, names, theta, theta - half, theta + half, group, "sandwich")
    beta = design[-1][len(names) :].tolist() if design else [0.0] * len(STYLE_NAMES)
    return ControlledLeaderboard(board, dict(zip(STYLE_NAMES, beta, strict=True)))


def bootstrap(
    battles: Iterable[Battle], rounds: int = 200, seed: int = 0, *, min_battles: int = 5
) -> Leaderboard:
    """Ratings with percentile (2.5 / 97.5) intervals from `rounds` resamplings of the battles
    (a multinomial draw of weights on the merged rows, refitted from the full-data estimate)."""
    battles = list(battles)
    names, design, theta, _, group = _fit(battles, min_battles, False)
    if design is None:
        return _board(battles, names, theta, theta, theta, group, "bootstrap")
    (ia, ib, y, w, params), n = design, len(names)
    draws = np.empty((rounds, n))
    counts = np.random.default_rng(seed).multinomial(int(w.sum()), w / w.sum(), size=rounds)
    for r, c in enumerate(counts):
        used = c > 0
        fitted = _mle(n, ia[used], ib[used], y[used], c[used].astype(float), start=params)
        draws[r] = _centre(fitted[:n], group)[0]
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    return _board(battles, names, theta, low, high, group, "bootstrap")
