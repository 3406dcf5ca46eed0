"""Previous alternative / Next alternative: step through a pane's answers to a turn (what
the pane shows and later turns send is the chosen one), or, on a shared message, through the
branches "Re-run from here" made (the branch shown is the one new sends follow)."""

from __future__ import annotations

from django.db import transaction

from chat.engine import paths
from chat.models import Message, Turn


def step(message: Message, by: int) -> bool:
    """Show the alternative `by` places from the one shown now; False when there is none
    that way (the first or the last is shown)."""
    with transaction.atomic():
        turn = Turn.objects.select_for_update().filter(pk=message.turn_id).first()
        if turn is None:
            return False
        if message.pane_id is None:
            return _step_branch(turn, by)
        return _step_alternative(turn, message.pane_id, by)


def _step_branch(turn: Turn, by: int) -> bool:
    group = paths.siblings(paths.turns_of([turn.conversation_id])[turn.conversation_id], turn.pk)
    index = [member.pk for member in group].index(turn.pk) + by
    if not 0 <= index < len(group):
        return False
    Turn.objects.filter(conversation_id=turn.conversation_id, parent_id=turn.parent_id).update(
        active=False
    )
    Turn.objects.filter(pk=group[index].pk).update(active=True)
    return True


def _step_alternative(turn: Turn, pane_id: int, by: int) -> bool:
    messages = Message.objects.filter(turn=turn, pane_id=pane_id).only(
        "turn_id", "pane_id", "alternative", "replaced"
    )
    alternatives = paths.Alternatives.of(messages)
    numbers = alternatives.present.get((turn.pk, pane_id), [])
    shown = alternatives.shown(turn, pane_id)
    index = numbers.index(shown) + by if shown in numbers else -1
    if not 0 <= index < len(numbers):
        return False
    turn.chosen = {**(turn.chosen or {}), str(pane_id): numbers[index]}
    turn.save(update_fields=["chosen"])
    return True
