"""Arena ratings budget: a leaderboard of 50 contestants from 100,000 votes in under 1 s.

Seeded random votes (Bradley–Terry with known strengths, a tenth of them ties, answer lengths
and markdown counts per side); times fit (merged rows, sandwich intervals) and fit_controlled
(style covariates, one row per vote), medians of BENCH_ARENA_ROUNDS runs.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from compare.ratings import Battle, Style, fit, fit_controlled

ROUNDS = int(os.environ.get("BENCH_ARENA_ROUNDS", "3"))
CONTESTANTS, VOTES, SEED = 50, 100_000, 0
BUDGET_S = 1.0


def battles(seed: int = SEED) -> list[Battle]:
    rng = np.random.default_rng(seed)
    names = [f"model-{i:02d}" for i in range(CONTESTANTS)]
    strength = rng.normal(0, 0.6, CONTESTANTS)
    a = rng.integers(0, CONTESTANTS, VOTES)
    b = (a + rng.integers(1, CONTESTANTS, VOTES)) % CONTESTANTS  # never a itself
    p = 1 / (1 + np.exp(strength[b] - strength[a]))
    tie, won = rng.random(VOTES) < 0.1, rng.random(VOTES) < p
    length, marks = rng.integers(50, 3000, (VOTES, 2)), rng.integers(0, 12, (VOTES, 2, 3))
    outcome = np.where(tie, "tie", np.where(won, "a", "b"))
    return [
        Battle(
            names[a[i]],
            names[b[i]],
            str(outcome[i]),
            Style(int(length[i, 0]), *marks[i, 0].tolist()),
            Style(int(length[i, 1]), *marks[i, 1].tolist()),
        )
        for i in range(VOTES)
    ]


def median_s(work: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    votes = battles()
    print(f"arena: {CONTESTANTS} contestants, {VOTES:,} seeded votes, medians of {ROUNDS} runs")
    for name, work in (("fit", fit), ("fit_controlled", fit_controlled)):
        seconds = median_s(lambda work=work: work(votes))
        print(
            f"  {name}: {seconds:.3f} s (budget < {BUDGET_S:.0f} s, ratio {seconds / BUDGET_S:.2f})"
        )


if __name__ == "__main__":
    main()
