"""Aligning long token sequences (compare/alignment.py)."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

import pytest

from compare.alignment import matching_blocks


def matched(blocks) -> int:
    return sum(size for _, _, size in blocks)


def assert_well_formed(blocks, a, b):
    """Each block is a run of equal tokens, and the blocks go forward on both sides."""
    end_i = end_j = 0
    for i, j, size in blocks:
        assert size > 0
        assert i >= end_i and j >= end_j
        assert a[i : i + size] == b[j : j + size]
        end_i, end_j = i + size, j + size


def prose(rng: random.Random, length: int, common_share: float = 0.5) -> list[str]:
    """Tokens as prose has them: a few very common ones, and words of a long-tailed
    vocabulary (few distinct words, which is what makes aligning it hard)."""
    common = ["the", "of", "and", ",", ".", "a", "to"]
    return [
        rng.choice(common)
        if rng.random() < common_share
        else f"w{int(rng.paretovariate(1)) % 2000}"
        for _ in range(length)
    ]


def edited(rng: random.Random, tokens: list[str], rate: float) -> list[str]:
    """Tokens replaced, added and left out, the new ones from the same vocabulary, so that a
    rare word now and then lands where the other side has it somewhere else."""
    out = []
    for token in tokens:
        roll = rng.random()
        if roll < rate / 2:
            out.append(f"w{rng.randrange(2000)}")
        elif roll < rate * 3 / 4:
            out.extend((token, f"w{rng.randrange(2000)}"))
        elif roll > rate:
            out.append(token)
    return out


def test_identical_sequences_are_one_block():
    tokens = ["a", "b", "a", "c"]
    assert matching_blocks(tokens, list(tokens)) == [(0, 0, 4)]


def test_nothing_in_common_gives_no_block():
    assert matching_blocks(["a", "b"], ["c", "d"]) == []
    assert matching_blocks([], ["c"]) == [] and matching_blocks(["a"], []) == []


def test_a_short_pair_is_aligned_exactly_as_sequence_matcher_does():
    a, b = "the cat sat on the mat".split(), "the dog sat on a mat".split()
    expected = [
        block
        for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        if block.size
    ]
    assert matching_blocks(a, b) == [tuple(block) for block in expected]


@pytest.mark.parametrize("seed", range(10))
def test_long_edited_sequences_give_forward_runs_of_equal_tokens(seed):
    rng = random.Random(seed)
    a = prose(rng, rng.randrange(1000, 5000))
    b = edited(rng, a, rate=rng.uniform(0.05, 0.5))
    blocks = matching_blocks(a, b)
    assert_well_formed(blocks, a, b)
    # adjacent blocks are joined
    assert all(
        i1 + s1 != i2 or j1 + s1 != j2
        for (i1, j1, s1), (i2, j2, _) in zip(blocks, blocks[1:], strict=False)
    )


@pytest.mark.parametrize(
    ("common_share", "rate"), [(0.3, 0.1), (0.3, 0.3), (0.5, 0.3), (0.5, 0.4), (0.5, 0.5)]
)
def test_cutting_at_anchors_matches_as_many_tokens_as_sequence_matcher_alone(common_share, rate):
    # Text of few distinct words, heavily reworded, is where anchoring on single rare words
    # goes wrong: both sides use one in unrelated places, and the cut there costs matches.
    rng = random.Random(5)
    a = prose(rng, 3000, common_share)
    b = edited(rng, a, rate)
    alone = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    assert matched(matching_blocks(a, b)) >= 0.98 * matched(alone)


def test_texts_sharing_only_scattered_words_are_aligned_on_them_too():
    rng = random.Random(3)
    a = prose(rng, 3000)
    b = rng.sample(a, len(a))
    alone = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    assert matched(matching_blocks(a, b)) >= 0.98 * matched(alone)


def test_a_moved_stretch_keeps_the_larger_part_in_place():
    rng = random.Random(1)
    a = prose(rng, 4000)
    b = a[1000:2000] + a[:1000] + a[2000:]
    blocks = matching_blocks(a, b)
    assert_well_formed(blocks, a, b)
    assert matched(blocks) >= 3000


def test_two_different_repetition_loops_are_left_unmatched_rather_than_aligned_for_minutes():
    a = ["the", "model"] * 10_000
    b = ["model", "the", "the"] * 7_000
    blocks = matching_blocks(a, b)
    assert_well_formed(blocks, a, b)
    assert matched(blocks) <= 2  # at most what the shared start and end give
