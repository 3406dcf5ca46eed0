"""What differs between two panes' answers to one turn: their text, word by word, and their
tool calls, call by call.

Texts are split into words, punctuation marks and whitespace runs, and aligned on the words and
marks alone (compare/alignment.py): a paraphrase then reads as a few words struck out and a few
added, not as confetti of changed characters (elastic/kibana#283907), and a changed line break
reads as a changed line break, not as a changed word.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from compare.alignment import Block, matching_blocks

__all__ = [
    "ArgumentChange",
    "DiffOp",
    "ToolCallDiff",
    "ToolCallRow",
    "WordDiff",
    "split_tokens",
    "tool_call_diff",
    "word_diff",
]

# Scripts written without spaces between words: each character is a word of its own.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Combining marks that Python's \w leaves out (accents, Hebrew points, Arabic harakat, Indic
# vowel signs, Thai marks): they belong to the word they sit on.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0963\u0966-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u1ab0-\u1aff\u1dc0-\u1dff"
    "\u20d0-\u20ff\ufe20-\ufe2f"
)
# What an emoji carries after it: variation selectors, skin tones, a non-joiner; a zero-width
# joiner glues the next emoji on (👨‍👩‍👧 is one token).
_EMOJI_TAIL = rf"[{_MARKS}\u200c\ufe00-\ufe0f\U0001f3fb-\U0001f3ff]*"
_WORD_CHAR = rf"(?:[^\W{_UNSPACED}]|[{_MARKS}])"
_TOKEN = re.compile(
    rf"\d+(?:[.,:]\d+)+(?!\w)"  # 3.14, 1,000, 12:30 as one word
    rf"|{_WORD_CHAR}+(?:['’]{_WORD_CHAR}+)*"  # words, with their contractions (don't, it's)
    rf"|[{_UNSPACED}][{_MARKS}]*"
    rf"|[^\w\s]{_EMOJI_TAIL}(?:\u200d[^\w\s]{_EMOJI_TAIL})*"  # a punctuation mark, an emoji
    r"|\s+"
)


def split_tokens(text: str) -> list[str]:
    """Words, punctuation marks and whitespace runs, in order; joined they give back `text`."""
    return _TOKEN.findall(text)


def _is_word(token: str) -> bool:
    return any(character.isalnum() for character in token)


class _Unit(NamedTuple):
    """A word or mark and the whitespace after it; units are aligned on `token` alone, so a
    changed line break is shown as such and not as a changed word."""

    token: str
    space: str


def _units(text: str) -> tuple[str, list[_Unit]]:
    """The leading whitespace of `text` and its units."""
    tokens = split_tokens(text)
    leading = tokens[0] if tokens and tokens[0].isspace() else ""
    units = []
    # Whitespace runs are whole tokens, so at most one follows each word or mark.
    for position in range(1 if leading else 0, len(tokens)):
        token = tokens[position]
        if token.isspace():
            continue
        after = tokens[position + 1] if position + 1 < len(tokens) else ""
        units.append(_Unit(token, after if after.isspace() else ""))
    return leading, units


# --- word diff -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffOp:
    """A stretch of text both answers share (equal), only the left has (delete) or only the
    right has (insert)."""

    kind: Literal["equal", "delete", "insert"]
    text: str


@dataclass(frozen=True)
class WordDiff:
    """The ops read in order give both texts: the left one without the inserts, the right
    one without the deletes. Counts are of words (punctuation is not counted)."""

    ops: tuple[DiffOp, ...]
    words_removed: int
    words_added: int
    words_unchanged: int
    similarity: float  # 0 (nothing shared) to 1 (the same words and marks, in the same order)

    @property
    def identical(self) -> bool:
        return all(op.kind == "equal" for op in self.ops)

    def html(self) -> SafeString:
        """The whole text, removed words in <del>, added ones in <ins>, all of it escaped;
        whitespace is kept as it is, for a container with `white-space: pre-wrap`."""
        wrap = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
        # escape() per op and a join: format_html per op costs more for 20,000-word answers.
        return mark_safe(  # every piece of text is escaped here
            "".join(wrap[op.kind].format(escape(op.text)) for op in self.ops)
        )


def _common_space(left: str, right: str, *, at_end: bool) -> str:
    """The whitespace both texts start (or end) with."""
    if at_end:
        left_space = left[len(left.rstrip()) :][::-1]
        right_space = right[len(right.rstrip()) :][::-1]
    else:
        left_space = left[: len(left) - len(left.lstrip())]
        right_space = right[: len(right) - len(right.lstrip())]
    common = 0
    while common < min(len(left_space), len(right_space)):
        if left_space[common] != right_space[common]:
            break
        common += 1
    return left_space[:common][::-1] if at_end else left_space[:common]


class _OpsBuilder:
    """Collects text as it is walked and gives the ops: each run of changes as one removal
    then one addition (a replace reads <del>old</del><ins>new</ins>), with whitespace both
    sides of it share moved out, and neighbouring equal text joined."""

    def __init__(self) -> None:
        self._ops: list[DiffOp] = []
        self._equal: list[str] = []
        self._removed: list[str] = []
        self._added: list[str] = []

    def equal(self, text: str) -> None:
        if self._removed or self._added:
            self._close_changes()
        self._equal.append(text)

    def delete(self, text: str) -> None:
        self._removed.append(text)

    def insert(self, text: str) -> None:
        self._added.append(text)

    def ops(self) -> tuple[DiffOp, ...]:
        self._close_changes()
        self._close_equal()
        return tuple(self._ops)

    def _close_equal(self) -> None:
        text = "".join(self._equal)
        self._equal.clear()
        if text:
            self._ops.append(DiffOp("equal", text))

    def _close_changes(self) -> None:
        left, right = "".join(self._removed), "".join(self._added)
        self._removed.clear()
        self._added.clear()
        before = _common_space(left, right, at_end=False)
        left, right = left[len(before) :], right[len(before) :]
        after = _common_space(left, right, at_end=True) if left and right else ""
        if after:
            left, right = left[: -len(after)], right[: -len(after)]
        self._equal.append(before)
        if left or right:
            self._close_equal()
        if left:
            self._ops.append(DiffOp("delete", left))
        if right:
            self._ops.append(DiffOp("insert", right))
        self._equal.append(after)


def _text(units: Sequence[_Unit]) -> str:
    return "".join(unit.token + unit.space for unit in units)


def _word_count(units: Sequence[_Unit]) -> int:
    return sum(1 for unit in units if _is_word(unit.token))


_Opcode = tuple[str, int, int, int, int]  # SequenceMatcher's: tag, a[i1:i2], b[j1:j2]


def _opcodes(blocks: list[Block], a_length: int, b_length: int) -> list[_Opcode]:
    opcodes: list[_Opcode] = []
    i = j = 0
    for block_i, block_j, size in [*blocks, (a_length, b_length, 0)]:
        if i < block_i or j < block_j:
            opcodes.append(("change", i, block_i, j, block_j))
        if size:
            opcodes.append(("equal", block_i, block_i + size, block_j, block_j + size))
        i, j = block_i + size, block_j + size
    return opcodes


def _break_strength(units: Sequence[_Unit], position: int) -> int:
    """How natural a place the start of units[position] is for a change to begin or end."""
    if position == 0 or position == len(units):
        return 5
    before = units[position - 1]
    if "\n\n" in before.space:
        return 4
    if "\n" in before.space:
        return 3
    if before.token in {".", "!", "?", ":", ";"} and before.space:
        return 2
    return 1 if before.space else 0


def _slid(opcodes: list[_Opcode], a: Sequence[_Unit], b: Sequence[_Unit]) -> list[_Opcode]:
    """Pure additions and removals moved to where they read best. An added list item or
    paragraph is often found one word off ("- **<ins>B**: y\n- **</ins>C**"), since the words
    it starts with are also the next item's; sliding it over words equal at both of its ends
    shows the same change on the item's boundaries instead."""
    slid = list(opcodes)
    for index in range(1, len(slid) - 1):
        before, change, after = slid[index - 1], slid[index], slid[index + 1]
        if change[0] != "change" or before[0] != "equal" or after[0] != "equal":
            continue
        _, i1, i2, j1, j2 = change
        if i1 != i2:
            if j1 != j2:
                continue  # a replace has no equal neighbour to slide over
            units, start, end = a, i1, i2  # a removal: slide over the left text
        else:
            units, start, end = b, j1, j2  # an addition: slide over the right text
        room_before = before[2] - before[1]
        room_after = after[2] - after[1]
        lowest = 0
        while lowest < room_before and units[start - lowest - 1] == units[end - lowest - 1]:
            lowest += 1
        highest = 0
        while highest < room_after and units[start + highest] == units[end + highest]:
            highest += 1
        shift = max(
            range(-lowest, highest + 1),
            key=lambda by: (
                _break_strength(units, start + by) + _break_strength(units, end + by),
                -abs(by),  # between equally good places, keep the matcher's
            ),
        )
        if shift:
            _, bi1, bi2, bj1, bj2 = before
            _, ai1, ai2, aj1, aj2 = after
            slid[index - 1] = ("equal", bi1, bi2 + shift, bj1, bj2 + shift)
            slid[index] = ("change", i1 + shift, i2 + shift, j1 + shift, j2 + shift)
            slid[index + 1] = ("equal", ai1 + shift, ai2, aj1 + shift, aj2)
    return slid


def word_diff(left: str, right: str) -> WordDiff:
    """How the right answer differs from the left one, word by word."""
    left, right = left.replace("\r\n", "\n"), right.replace("\r\n", "\n")
    left_leading, a = _units(left)
    right_leading, b = _units(right)
    built = _OpsBuilder()
    if left_leading == right_leading:
        built.equal(left_leading)
    else:
        built.delete(left_leading)
        built.insert(right_leading)
    removed = added = unchanged = shared_tokens = 0
    blocks = matching_blocks([unit.token for unit in a], [unit.token for unit in b])
    for tag, i1, i2, j1, j2 in _slid(_opcodes(blocks, len(a), len(b)), a, b):
        if tag == "change":
            built.delete(_text(a[i1:i2]))
            built.insert(_text(b[j1:j2]))
            removed += _word_count(a[i1:i2])
            added += _word_count(b[j1:j2])
            continue
        for left_unit, right_unit in zip(a[i1:i2], b[j1:j2], strict=True):
            if left_unit.space == right_unit.space:
                built.equal(left_unit.token + left_unit.space)
            else:  # the same word, then a changed space or line break
                built.equal(left_unit.token)
                built.delete(left_unit.space)
                built.insert(right_unit.space)
        unchanged += _word_count(a[i1:i2])
        shared_tokens += i2 - i1
    total_tokens = len(a) + len(b)
    return WordDiff(
        ops=built.ops(),
        words_removed=removed,
        words_added=added,
        words_unchanged=unchanged,
        similarity=2 * shared_tokens / total_tokens if total_tokens else 1.0,
    )


# --- tool calls ------------------------------------------------------------------------------


def _as_json(value: Any) -> str:
    """The canonical JSON of a value: what two arguments are compared by (so 1 and 1.0, or
    true and 1, differ as they would to the tool, and key order does not matter)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class ArgumentChange:
    """One argument whose value differs; `left`/`right` are its JSON, None where absent."""

    key: str
    left: str | None
    right: str | None

    @property
    def kind(self) -> Literal["changed", "only-left", "only-right"]:
        if self.left is None:
            return "only-right"
        if self.right is None:
            return "only-left"
        return "changed"


@dataclass(frozen=True)
class ToolCallRow:
    """A call of the left pane and the call of the right pane it is paired with; one side is
    None for a call only one pane made."""

    left_index: int | None
    right_index: int | None
    left_name: str | None
    right_name: str | None
    changes: tuple[ArgumentChange, ...]

    @property
    def paired(self) -> bool:
        return self.left_index is not None and self.right_index is not None

    @property
    def name_matches(self) -> bool:
        return self.paired and self.left_name == self.right_name

    @property
    def same(self) -> bool:
        return self.name_matches and not self.changes

    @property
    def keys_only_left(self) -> tuple[str, ...]:
        return tuple(change.key for change in self.changes if change.kind == "only-left")

    @property
    def keys_only_right(self) -> tuple[str, ...]:
        return tuple(change.key for change in self.changes if change.kind == "only-right")

    @property
    def keys_differing(self) -> tuple[str, ...]:
        return tuple(change.key for change in self.changes if change.kind == "changed")


_SHOWN_VALUE = 120  # characters of an argument's JSON shown in the table; the rest on hover


def _shown(value_json: str) -> SafeString:
    if len(value_json) <= _SHOWN_VALUE:
        return format_html("<code>{}</code>", value_json)
    return format_html('<code title="{}">{}…</code>', value_json, value_json[: _SHOWN_VALUE - 1])


def _change_html(change: ArgumentChange, left_label: str, right_label: str) -> SafeString:
    if change.kind == "only-left":
        detail = format_html("only {}: {}", left_label, _shown(change.left or ""))
    elif change.kind == "only-right":
        detail = format_html("only {}: {}", right_label, _shown(change.right or ""))
    else:
        detail = format_html("{} → {}", _shown(change.left or ""), _shown(change.right or ""))
    return format_html(
        '<li class="argument argument-{}"><code>{}</code> {}</li>', change.kind, change.key, detail
    )


@dataclass(frozen=True)
class ToolCallDiff:
    """Every call of both panes, one row each pair or unpaired call, in the left pane's call
    order (a call only the right pane made comes after the left call at its position)."""

    rows: tuple[ToolCallRow, ...]
    identical: bool  # the same calls, with the same arguments, in the same order

    @property
    def pairs(self) -> tuple[ToolCallRow, ...]:
        return tuple(row for row in self.rows if row.paired)

    @property
    def only_left(self) -> tuple[ToolCallRow, ...]:
        return tuple(row for row in self.rows if row.right_index is None)

    @property
    def only_right(self) -> tuple[ToolCallRow, ...]:
        return tuple(row for row in self.rows if row.left_index is None)

    def html(self, left_label: str = "Left", right_label: str = "Right") -> SafeString:
        """A table of the calls side by side, escaped; rows are classed `same` or
        `different` (and `only-left`, `only-right`, `name-differs`)."""
        if not self.rows:
            return format_html(
                '<p class="tool-call-diff empty">{}</p>', "Neither made a tool call."
            )
        body = format_html_join(
            "", "{}", ((self._row_html(row, left_label, right_label),) for row in self.rows)
        )
        return format_html(
            '<table class="tool-call-diff{}"><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">Arguments</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            " identical" if self.identical else "",
            left_label,
            right_label,
            body,
        )

    @staticmethod
    def _row_html(row: ToolCallRow, left_label: str, right_label: str) -> SafeString:
        classes = ["tool-call", "same" if row.same else "different"]
        if row.left_index is None:
            classes.append("only-right")
            arguments = format_html("only {}", right_label)
        elif row.right_index is None:
            classes.append("only-left")
            arguments = format_html("only {}", left_label)
        else:
            if not row.name_matches:
                classes.append("name-differs")
            if row.changes:
                arguments = format_html(
                    '<ul class="argument-changes">{}</ul>',
                    format_html_join(
                        "",
                        "{}",
                        (
                            (_change_html(change, left_label, right_label),)
                            for change in row.changes
                        ),
                    ),
                )
            else:
                arguments = format_html("{}", "same arguments")
        names = [
            format_html("<code>{}</code>", name) if name is not None else "—"
            for name in (row.left_name, row.right_name)
        ]
        return format_html(
            '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td></tr>',
            " ".join(classes),
            names[0],
            names[1],
            arguments,
        )


def _arguments(call: Mapping[str, Any]) -> Mapping[str, Any]:
    arguments = call.get("arguments") or {}
    if not isinstance(arguments, Mapping):
        raise TypeError(f"A tool call's arguments must be a mapping, got {arguments!r}")
    return arguments


def _argument_changes(
    left: Mapping[str, Any], right: Mapping[str, Any]
) -> tuple[ArgumentChange, ...]:
    """The arguments that differ, in the left call's key order then the right's new keys."""
    changes = []
    for key in [*left, *(key for key in right if key not in left)]:
        left_json = _as_json(left[key]) if key in left else None
        right_json = _as_json(right[key]) if key in right else None
        if left_json != right_json:
            changes.append(ArgumentChange(str(key), left_json, right_json))
    return tuple(changes)


def _pairing(
    left_keys: list[str], right_keys: list[str], left_names: list[str], right_names: list[str]
) -> list[tuple[int | None, int | None]]:
    """Which left call goes with which right one: the same call (tool and arguments) first,
    then the same tool, each in call order, then whatever is left at the same position.
    Pairing a tool's calls in order rather than by position keeps one extra call at the
    start from making every later pair look different."""
    right_of: dict[int, int] = {}
    free_right = list(range(len(right_names)))  # in order, so the first free match is taken
    for left_values, right_values in ((left_keys, right_keys), (left_names, right_names)):
        for index, value in enumerate(left_values):
            if index in right_of:
                continue
            match = next((j for j in free_right if right_values[j] == value), None)
            if match is not None:
                right_of[index] = match
                free_right.remove(match)
    for index in range(len(left_names)):
        if index not in right_of and index in free_right:
            right_of[index] = index
            free_right.remove(index)
    pairs: list[tuple[int | None, int | None]] = [
        (index, right_of.get(index)) for index in range(len(left_names))
    ]
    pairs.extend((None, j) for j in free_right)

    def position(pair: tuple[int | None, int | None]) -> tuple[int, int]:
        left_index, right_index = pair
        anchor = left_index if left_index is not None else right_index
        return (anchor or 0, 1 if left_index is None else 0)

    return sorted(pairs, key=position)


def tool_call_diff(
    left_calls: Sequence[Mapping[str, Any]], right_calls: Sequence[Mapping[str, Any]]
) -> ToolCallDiff:
    """How the right pane's tool calls differ from the left's; each call a mapping with
    "name" and "arguments" (other keys, such as the provider's call id, are ignored)."""
    left_names = [str(call["name"]) for call in left_calls]
    right_names = [str(call["name"]) for call in right_calls]
    left_keys = [
        _as_json([name, _arguments(call)])
        for name, call in zip(left_names, left_calls, strict=True)
    ]
    right_keys = [
        _as_json([name, _arguments(call)])
        for name, call in zip(right_names, right_calls, strict=True)
    ]
    rows = []
    for left_index, right_index in _pairing(left_keys, right_keys, left_names, right_names):
        left_arguments = _arguments(left_calls[left_index]) if left_index is not None else {}
        right_arguments = _arguments(right_calls[right_index]) if right_index is not None else {}
        both = left_index is not None and right_index is not None
        rows.append(
            ToolCallRow(
                left_index=left_index,
                right_index=right_index,
                left_name=left_names[left_index] if left_index is not None else None,
                right_name=right_names[right_index] if right_index is not None else None,
                changes=_argument_changes(left_arguments, right_arguments) if both else (),
            )
        )
    identical = len(left_calls) == len(right_calls) and all(
        row.same and row.left_index == row.right_index for row in rows
    )
    return ToolCallDiff(rows=tuple(rows), identical=identical)
