"""Aligning two long sequences of tokens quickly: the runs of equal tokens they share.

difflib's SequenceMatcher (autojunk off, so common words are never ignored) finds them, but its
time grows with how often the tokens the two sides share repeat, times the number of matches:
two 20,000-word answers take it ten seconds and more. So long sequences are first cut at
anchors, runs of three tokens that occur exactly once on each side (patience diff's unique
lines, with three words for a line), kept where both sides have them in the same order; the
pieces between them are small enough for SequenceMatcher to align in milliseconds. A single
rare word makes a poor anchor: two reworded answers often use one in unrelated places, and
cutting there costs matches. Measured on reworded prose, the result matches as many tokens as
SequenceMatcher alone (tests/compare/test_alignment.py).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher

__all__ = ["Block", "matching_blocks"]

Block = tuple[int, int, int]  # a run of `size` equal tokens at a[i:] and b[j:]

# SequenceMatcher's work is about the sum, over the tokens both sides share, of how often each
# occurs on the left times on the right. Below this it takes milliseconds: align directly.
_DIRECT_WORK = 20_000
# With no anchor to cut at, SequenceMatcher still aligns a piece up to this (a tenth of a
# second at worst); beyond it, it would take seconds to minutes (its time grows with the work
# times the number of matches), so the piece is left unmatched (a diff shows it replaced
# whole). Only long, repetitive stretches that share no three words in a row that occur once
# get there, such as two different repetition loops.
_MOST_WORK = 50_000
_ANCHOR_LENGTH = 3


def _shared_work(a: Sequence[str], b: Sequence[str]) -> int:
    counts_b = Counter(b)
    return sum(count * counts_b[token] for token, count in Counter(a).items() if token in counts_b)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of `pairs` (in increasing i) whose j increase too (patience sorting)."""
    tail_positions: list[int] = []  # per run length, the pair ending the best run so far
    tail_js: list[int] = []
    previous: list[int | None] = [None] * len(pairs)
    for position, (_, j) in enumerate(pairs):
        length = bisect_left(tail_js, j)
        if length:
            previous[position] = tail_positions[length - 1]
        if length == len(tail_js):
            tail_positions.append(position)
            tail_js.append(j)
        else:
            tail_positions[length] = position
            tail_js[length] = j
    run: list[tuple[int, int]] = []
    cursor = tail_positions[-1] if tail_positions else None
    while cursor is not None:
        run.append(pairs[cursor])
        cursor = previous[cursor]
    return run[::-1]


def _unique_runs(tokens: Sequence[str], lo: int, hi: int) -> dict[tuple[str, ...], int]:
    """Where each run of _ANCHOR_LENGTH tokens that occurs once in tokens[lo:hi] starts."""
    starts: dict[tuple[str, ...], int] = {}
    repeated: set[tuple[str, ...]] = set()
    for start in range(lo, hi - _ANCHOR_LENGTH + 1):
        run = tuple(tokens[start : start + _ANCHOR_LENGTH])
        if run in starts:
            repeated.add(run)
        starts[run] = start
    for run in repeated:
        del starts[run]
    return starts


def _anchors(
    a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Where the runs that occur once in a[alo:ahi] and once in b[blo:bhi] start on each
    side, as many of them as appear in the same order on both."""
    in_b = _unique_runs(b, blo, bhi)
    in_a = _unique_runs(a, alo, ahi)
    pairs = sorted((i, in_b[run]) for run, i in in_a.items() if run in in_b)
    return _longest_increasing(pairs)


def _joined(blocks: list[Block]) -> list[Block]:
    """Blocks in order, neighbours that continue each other made one."""
    joined: list[Block] = []
    for i, j, size in sorted(blocks):
        if joined and joined[-1][0] + joined[-1][2] == i and joined[-1][1] + joined[-1][2] == j:
            joined[-1] = (joined[-1][0], joined[-1][1], joined[-1][2] + size)
        else:
            joined.append((i, j, size))
    return joined


def matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[Block]:
    """The runs of equal tokens of `a` and `b`, in order: SequenceMatcher's, computed between
    anchors on long inputs."""
    blocks: list[Block] = []
    pending = [(0, len(a), 0, len(b))]  # a stack, not recursion: pieces can nest deeply
    while pending:
        alo, ahi, blo, bhi = pending.pop()
        # What both start and end with is matched as it is; it also extends each anchor.
        same = 0
        while alo + same < ahi and blo + same < bhi and a[alo + same] == b[blo + same]:
            same += 1
        if same:
            blocks.append((alo, blo, same))
            alo, blo = alo + same, blo + same
        same = 0
        while ahi - same > alo and bhi - same > blo and a[ahi - same - 1] == b[bhi - same - 1]:
            same += 1
        if same:
            blocks.append((ahi - same, bhi - same, same))
            ahi, bhi = ahi - same, bhi - same
        if alo == ahi or blo == bhi:
            continue
        work = _shared_work(a[alo:ahi], b[blo:bhi])
        anchors = _anchors(a, alo, ahi, b, blo, bhi) if work > _DIRECT_WORK else []
        if anchors:
            start_i, start_j = alo, blo
            for i, j in anchors:
                blocks.append((i, j, 1))  # the rest of its run starts the next piece
                pending.append((start_i, i, start_j, j))
                start_i, start_j = i + 1, j + 1
            pending.append((start_i, ahi, start_j, bhi))
        elif work <= _MOST_WORK:
            matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            blocks.extend(
                (alo + i, blo + j, size) for i, j, size in matcher.get_matching_blocks() if size
            )
    return _joined(blocks)
