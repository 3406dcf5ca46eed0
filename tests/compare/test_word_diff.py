"""The word diff between two answers (compare/diff.py: split_tokens, word_diff)."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from difflib import SequenceMatcher

import pytest

from compare.diff import DiffOp, split_tokens, word_diff


def left_of(ops: tuple[DiffOp, ...]) -> str:
    return "".join(op.text for op in ops if op.kind != "insert")


def right_of(ops: tuple[DiffOp, ...]) -> str:
    return "".join(op.text for op in ops if op.kind != "delete")


def changes(diff) -> list[tuple[str, str]]:
    return [(op.kind, op.text) for op in diff.ops if op.kind != "equal"]


def parsed(html: str) -> ET.Element:
    return ET.fromstring(f"<div>{html}</div>")  # it would not parse if markup got through


def read_back(html: str, leaving_out: str) -> str:
    """The text a reader sees in the rendered diff, leaving out the <del> or the <ins> parts."""
    root = parsed(html)
    parts = [root.text or ""]
    for element in root:
        if element.tag != leaving_out:
            parts.append(element.text or "")
        parts.append(element.tail or "")
    return "".join(parts)


# A deterministic "answer": words drawn from a skewed vocabulary, as in prose, with commas,
# full stops and paragraphs.
VOCABULARY = [f"w{n}" for n in range(3000)] + ["the", "of", "and", "to", "a", "in", "is"] * 40


def answer(rng: random.Random, words: int) -> list[str]:
    tokens: list[str] = []
    for n in range(words):
        tokens.append(rng.choice(VOCABULARY))
        if n % 97 == 96:
            tokens.append(".\n\n")
        elif n % 13 == 12:
            tokens.append(", ")
        else:
            tokens.append(" ")
    return tokens


def reworded(rng: random.Random, tokens: list[str], rate: float) -> list[str]:
    """Some words replaced, some added, some left out, the way a second model answers."""
    out: list[str] = []
    for token in tokens:
        roll = rng.random()
        if token.strip() in {"", ".", ","} or roll > rate:
            out.append(token)
        elif roll < rate / 2:
            out.append(rng.choice(VOCABULARY))
        elif roll < rate * 3 / 4:
            out.extend((token, " ", rng.choice(VOCABULARY)))
    return out


# --- tokens ----------------------------------------------------------------------------------


def test_text_is_split_into_words_punctuation_and_whitespace_runs():
    assert split_tokens("Hello, world!\n\n  Bye.") == [
        "Hello", ",", " ", "world", "!", "\n\n  ", "Bye", ".",
    ]  # fmt: skip


def test_contractions_numbers_and_identifiers_stay_whole():
    assert split_tokens("don't pay 1,000.50 at 12:30 for snake_case") == [
        "don't", " ", "pay", " ", "1,000.50", " ", "at", " ", "12:30", " ", "for", " ",
        "snake_case",
    ]  # fmt: skip


def test_a_number_at_the_end_of_a_sentence_keeps_its_full_stop_apart():
    assert split_tokens("in 2024.") == ["in", " ", "2024", "."]


def test_accents_and_vowel_signs_stay_in_their_word():
    decomposed_cafe = "cafe\u0301"
    assert split_tokens(f"{decomposed_cafe} नमस्ते दुनिया") == [
        decomposed_cafe, " ", "नमस्ते", " ", "दुनिया",
    ]  # fmt: skip


def test_each_chinese_or_japanese_character_is_a_word_since_those_scripts_use_no_spaces():
    assert split_tokens("中文字ひら") == ["中", "文", "字", "ひ", "ら"]


def test_an_emoji_with_its_modifiers_and_joiners_is_one_token():
    family, thumbs_up, heart = "👨\u200d👩\u200d👧", "👍🏽", "❤️"
    assert split_tokens(f"{family} {thumbs_up}{heart}") == [family, " ", thumbs_up, heart]


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\n", "a", " leading and trailing \n", "x\t\ty", "«quoted» — yes…", "a\r\nb"],
)
def test_the_tokens_join_back_into_the_text(text):
    assert "".join(split_tokens(text)) == text


# --- what differs ----------------------------------------------------------------------------


def test_a_paraphrase_differs_word_by_word_not_character_by_character():
    diff = word_diff(
        "The quick brown fox jumps over the lazy dog.",
        "The slow red fox leaps over the lazy cat.",
    )
    assert changes(diff) == [
        ("delete", "quick brown"),
        ("insert", "slow red"),
        ("delete", "jumps"),
        ("insert", "leaps"),
        ("delete", "dog"),
        ("insert", "cat"),
    ]


def test_it_counts_the_words_removed_added_and_unchanged_but_not_the_punctuation():
    diff = word_diff("The cat sat on the mat.", "The big dog sat on the mat!")
    assert (diff.words_removed, diff.words_added, diff.words_unchanged) == (1, 2, 5)


def test_a_replace_is_a_removal_followed_by_an_addition():
    assert word_diff("say yes", "say no").html() == "say <del>yes</del><ins>no</ins>"


def test_identical_texts_render_with_nothing_removed_or_added():
    text = "# Title\n\nSome **bold** text,\n  indented.\n"
    diff = word_diff(text, text)
    assert diff.identical
    assert diff.ops == (DiffOp("equal", text),)
    assert diff.html() == text
    assert diff.similarity == 1.0
    assert (diff.words_removed, diff.words_added, diff.words_unchanged) == (0, 0, 5)


def test_two_empty_answers_are_identical():
    diff = word_diff("", "")
    assert diff.identical and diff.ops == () and diff.html() == "" and diff.similarity == 1.0


def test_against_an_empty_answer_everything_is_added_or_removed():
    added = word_diff("", "Hello there.")
    assert added.ops == (DiffOp("insert", "Hello there."),)
    assert (added.words_added, added.words_removed, added.similarity) == (2, 0, 0.0)
    removed = word_diff("Hello there.", "")
    assert removed.html() == "<del>Hello there.</del>"
    assert removed.words_removed == 2


def test_texts_with_no_word_in_common_have_similarity_zero():
    assert word_diff("alpha beta", "gamma delta").similarity == 0.0


def test_similarity_is_the_share_of_words_and_marks_in_common():
    assert word_diff("a b c d", "a b c e").similarity == pytest.approx(0.75)


def test_it_is_case_sensitive():
    assert changes(word_diff("Use Python", "Use python")) == [
        ("delete", "Python"),
        ("insert", "python"),
    ]


# --- whitespace ------------------------------------------------------------------------------


def test_a_new_paragraph_break_is_shown_as_added_whitespace_not_as_changed_words():
    diff = word_diff("one two\nthree", "one two\n\nthree")
    assert diff.ops == (
        DiffOp("equal", "one two\n"),
        DiffOp("insert", "\n"),
        DiffOp("equal", "three"),
    )
    assert (diff.words_removed, diff.words_added, diff.words_unchanged) == (0, 0, 3)
    assert not diff.identical


def test_whitespace_both_sides_share_is_kept_outside_the_change():
    diff = word_diff("keep\n\nold\n\nend", "keep\n\nnew\n\nend")
    assert diff.html() == "keep\n\n<del>old</del><ins>new</ins>\n\nend"


def test_leading_whitespace_that_differs_is_a_change_too():
    diff = word_diff("  indented", "indented")
    assert diff.ops == (DiffOp("delete", "  "), DiffOp("equal", "indented"))


def test_windows_line_endings_do_not_count_as_changes():
    assert word_diff("a\r\nb\r\n", "a\nb\n").identical


def test_the_html_keeps_every_space_and_line_break_for_a_pre_wrap_container():
    left, right = "  a  b\n\n\tc \n", "  a  x\n\n\tc \n"
    html = word_diff(left, right).html()
    assert read_back(html, leaving_out="ins") == left
    assert read_back(html, leaving_out="del") == right


# --- where a change is shown ------------------------------------------------------------------


def test_an_added_list_item_is_shown_on_its_own_line_not_one_word_off():
    diff = word_diff("- **A**: x\n- **C**: z\n", "- **A**: x\n- **B**: y\n- **C**: z\n")
    assert diff.html() == "- **A**: x\n<ins>- **B**: y\n</ins>- **C**: z\n"


def test_a_removed_paragraph_is_shown_whole():
    left = "Intro here.\n\nNote that this matters.\n\nNote that this ends."
    diff = word_diff(left, "Intro here.\n\nNote that this ends.")
    assert changes(diff) == [("delete", "Note that this matters.\n\n")]


def test_an_addition_slides_to_the_start_of_its_line_but_not_over_a_different_line_break():
    # "a\n" and "a " are the same word with different spacing: sliding over it would change
    # what the equal text shows.
    diff = word_diff("x a\nb a c", "x a\nb a b a c")
    assert diff.html() == "x a\n<ins>b a </ins>b a c"


# --- escaping --------------------------------------------------------------------------------


def test_what_the_models_wrote_is_escaped():
    diff = word_diff(
        'Use <script>alert("a")</script> & more',
        "Use <img src=x onerror=alert(1)> & more",
    )
    html = diff.html()
    root = parsed(html)
    assert {element.tag for element in root.iter()} <= {"div", "del", "ins"}
    assert "<script" not in html and "<img" not in html and "&lt;" in html
    assert read_back(html, leaving_out="ins") == 'Use <script>alert("a")</script> & more'
    assert read_back(html, leaving_out="del") == "Use <img src=x onerror=alert(1)> & more"


def test_the_html_has_no_inline_style_for_the_content_security_policy_to_block():
    html = word_diff("a b c", "a x c").html()
    assert all("style" not in element.attrib for element in parsed(html).iter())


# --- the texts can always be read back ---------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_the_left_text_is_what_is_not_added_and_the_right_text_what_is_not_removed(seed):
    rng = random.Random(seed)
    left = "".join(answer(rng, rng.randrange(0, 300)))
    right = "".join(reworded(rng, split_tokens(left), rate=rng.random()))
    diff = word_diff(left, right)
    assert (left_of(diff.ops), right_of(diff.ops)) == (left, right)


@pytest.mark.parametrize("seed", range(20))
def test_a_removal_is_always_followed_by_its_addition_and_neighbours_are_joined(seed):
    rng = random.Random(seed)
    left = "".join(answer(rng, 200))
    diff = word_diff(left, "".join(reworded(rng, split_tokens(left), rate=0.3)))
    kinds = [op.kind for op in diff.ops]
    assert all(a != b for a, b in zip(kinds, kinds[1:], strict=False))
    assert ("insert", "delete") not in set(zip(kinds, kinds[1:], strict=False))
    assert all(op.text for op in diff.ops)


def test_a_moved_paragraph_is_shown_once_removed_and_once_added_and_the_rest_is_equal():
    paragraphs = [f"Paragraph {n} talks about topic{n} at length." for n in range(6)]
    moved = [paragraphs[0], paragraphs[2], paragraphs[1], *paragraphs[3:]]
    diff = word_diff("\n\n".join(paragraphs), "\n\n".join(moved))
    assert diff.words_removed == diff.words_added == 7
    assert changes(diff) == [
        ("insert", paragraphs[2] + "\n\n"),
        ("delete", paragraphs[2] + "\n\n"),
    ]
    assert (left_of(diff.ops), right_of(diff.ops)) == ("\n\n".join(paragraphs), "\n\n".join(moved))


# --- long answers ----------------------------------------------------------------------------


def test_two_20000_word_answers_are_diffed_word_by_word():
    # Not a timing test (budgets are benchmarks' business): this only has to finish, which
    # difflib alone on 40,000 tokens a side takes tens of seconds to do.
    rng = random.Random(20_000)
    left_tokens = answer(rng, 20_000)
    left = "".join(left_tokens)
    right = "".join(reworded(rng, split_tokens(left), rate=0.2))
    diff = word_diff(left, right)
    assert diff.words_unchanged + diff.words_removed == 20_000
    assert 0.7 < diff.similarity < 0.95
    assert (left_of(diff.ops), right_of(diff.ops)) == (left, right)
    assert diff.html().count("<del>") > 1000


def test_cutting_large_texts_aligns_them_as_well_as_sequence_matcher_alone():
    rng = random.Random(7)
    left = "".join(answer(rng, 1500))
    right = "".join(reworded(rng, split_tokens(left), rate=0.4))
    words = [
        [token for token in split_tokens(text) if not token.isspace()] for text in (left, right)
    ]
    alone = SequenceMatcher(None, *words, autojunk=False).ratio()
    assert word_diff(left, right).similarity >= alone * 0.98


def test_long_repetition_loops_with_no_word_in_common_once_are_shown_replaced_and_do_not_hang():
    left = "the model " * 10_000
    right = "model the the " * 7_000
    diff = word_diff(left, right)
    assert (left_of(diff.ops), right_of(diff.ops)) == (left, right)
    assert diff.words_removed == 20_000 and diff.words_added == 21_000


def test_a_short_repetitive_pair_is_still_aligned():
    diff = word_diff("a b " * 100, "b a a " * 70)
    assert diff.words_unchanged > 100
