"""Which messages a conversation shows and sends: the path through its tree of turns, and in
each turn of it the alternative each pane has chosen.

A turn follows its `parent`; "Re-run from here" adds a sibling (a branch), and the `active`
sibling is the one on the shown path. Regenerate adds an alternative to a pane's answer of a
turn; `Turn.chosen` names the one the pane shows and sends on (the newest when unset or
gone). An edited message's earlier revisions are `replaced`: kept for the runs that sent
them, never shown or sent again.

Plain functions over rows already loaded: the page and the engine read a conversation's
turns and messages in one query each, whatever their number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chat.models import Message, Turn
from playground.prepared import Prepared

TURN_FIELDS = ("id", "conversation_id", "parent_id", "active", "chosen", "created_at", "finished_at",
               "arena_order")  # fmt: skip

# Prepared (playground.prepared): every send reads them before its request can leave.
_turns_of = Prepared(Turn, lambda conversation_ids: Turn.objects.filter(
    conversation_id__in=conversation_ids).only(*TURN_FIELDS))  # fmt: skip


def chain(turns: Sequence[Turn]) -> None:
    """Make saved turns one branch, each following the one before (a fork, an import)."""
    for previous, turn in zip(turns, turns[1:], strict=False):
        turn.parent_id = previous.pk
    Turn.objects.bulk_update(turns[1:], ["parent"], batch_size=500)


def turns_of(conversation_ids: Iterable[int]) -> dict[int, list[Turn]]:
    """Each conversation's turns, oldest first (one query)."""
    found: dict[int, list[Turn]] = defaultdict(list)
    for turn in _turns_of.objects(list(set(conversation_ids))):
        found[turn.conversation_id].append(turn)
    return found


def _children(turns: Sequence[Turn]) -> dict[int | None, list[Turn]]:
    known = {turn.pk for turn in turns}
    children: dict[int | None, list[Turn]] = defaultdict(list)
    for turn in sorted(turns, key=lambda t: (t.created_at, t.pk)):
        # A parent deleted under a turn leaves it a root (SET_NULL), as does a missing one.
        children[turn.parent_id if turn.parent_id in known else None].append(turn)
    return children


def _pick(siblings: list[Turn]) -> Turn:
    """The active sibling; the newest when none (or several) say so."""
    active = [turn for turn in siblings if turn.active]
    return (active or siblings)[-1]


def shown_path(turns: Sequence[Turn]) -> list[Turn]:
    """The turns the conversation shows, from the first to the latest."""
    children = _children(turns)
    path: list[Turn] = []
    level = children.get(None, [])
    while level:
        turn = _pick(level)
        path.append(turn)
        level = children.get(turn.pk, [])
    return path


def leaf(turns: Sequence[Turn]) -> Turn | None:
    """The turn a new send follows."""
    path = shown_path(turns)
    return path[-1] if path else None


def ancestry(turns: Sequence[Turn], turn_id: int) -> list[Turn]:
    """The path from the first turn to `turn_id` (whichever branch it is on)."""
    by_id = {turn.pk: turn for turn in turns}
    path: list[Turn] = []
    current = by_id.get(turn_id)
    while current is not None and current not in path:
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return path[::-1]


def branch_positions(turns: Sequence[Turn]) -> dict[int, tuple[int, int]]:
    """For each turn, where it stands among the branches beside it: (which, 1-based, of
    how many) — for the ◀ 2 / 3 ▶ on its user message."""
    positions: dict[int, tuple[int, int]] = {}
    for group in _children(turns).values():
        for number, turn in enumerate(group, 1):
            positions[turn.pk] = (number, len(group))
    return positions


def siblings(turns: Sequence[Turn], turn_id: int) -> list[Turn]:
    """The turn and the branches beside it, oldest first."""
    for group in _children(turns).values():
        if any(member.pk == turn_id for member in group):
            return group
    return []


@dataclass
class Alternatives:
    """The alternatives present for each (turn, pane), and the one each pane shows."""

    present: dict[tuple[int, int], list[int]]

    @classmethod
    def of(cls, messages: Iterable[Message]) -> Alternatives:
        present: dict[tuple[int, int], set[int]] = defaultdict(set)
        for message in messages:
            if message.pane_id is not None and message.turn_id is not None and not message.replaced:
                present[(message.turn_id, message.pane_id)].add(message.alternative)
        return cls({key: sorted(numbers) for key, numbers in present.items()})

    def shown(self, turn: Turn, pane_id: int) -> int:
        numbers = self.present.get((turn.pk, pane_id), [])
        wanted = (turn.chosen or {}).get(str(pane_id))
        if wanted in numbers:
            return wanted
        return numbers[-1] if numbers else 1

    def position(self, turn: Turn, pane_id: int, number: int) -> tuple[int, int]:
        """(which of them, 1-based, how many) — for "◀ 2 / 3 ▶"."""
        numbers = self.present.get((turn.pk, pane_id), [number])
        return (numbers.index(number) + 1 if number in numbers else 1), len(numbers)


def on_path(
    messages: Iterable[Message],
    path: Sequence[Turn],
    alternatives: Alternatives,
    *,
    pane_id: int | None = None,
    current: tuple[int, int] | None = None,
) -> list[Message]:
    """The messages of `path` that are shown, in order: no replaced revision, and of each
    pane's answers to a turn only its shown alternative. With `pane_id`, only the shared
    messages and that pane's. `current` = (turn id, alternative) overrides the choice for a
    run's own turn (its history is the alternative it answers in)."""
    index = {turn.pk: number for number, turn in enumerate(path)}
    by_id = {turn.pk: turn for turn in path}
    kept = []
    for message in messages:
        if message.replaced:
            continue
        if message.turn_id is None:
            kept.append(message)  # from before turns existed: always shown
            continue
        turn = by_id.get(message.turn_id)
        if turn is None:
            continue
        if message.pane_id is not None:
            if pane_id is not None and message.pane_id != pane_id:
                continue
            if current is not None and current[0] == turn.pk:
                wanted = current[1]
            else:
                wanted = alternatives.shown(turn, message.pane_id)
            if message.alternative != wanted:
                continue
        kept.append(message)
    return sorted(
        kept,
        key=lambda m: (index.get(m.turn_id, -1), m.created_at, m.pk),  # type: ignore[arg-type]
    )
