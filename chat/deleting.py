"""Delete message: a user message goes with its answers in every pane (the whole turn); an
answer goes with the tool results typed for its calls. Their streaming runs are stopped first
(the upstream closed), then every tab reloads its panes. Earlier runs' records of what they
sent are kept as they were (their snapshot names message ids, not copies that change)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.db import transaction
from django.db.models import Q

from chat.engine import fanout
from chat.engine.runs import request_stop
from chat.models import Message, Run, Turn


def doomed(message: Message):
    """The messages that go with `message`."""
    if message.role == Message.Role.USER and message.turn_id is not None:
        return Message.objects.filter(turn_id=message.turn_id)
    results = Q(pk__in=[])
    if message.role == Message.Role.ASSISTANT and message.tool_calls:
        results = Q(pane_id=message.pane_id, role=Message.Role.TOOL,
                    tool_call_id__in=[call.get("id") for call in message.tool_calls])  # fmt: skip
    return Message.objects.filter(conversation_id=message.conversation_id).filter(
        Q(pk=message.pk) | results
    )


def _remove_turn(turn_id: int) -> None:
    """The emptied turn leaves the tree: what followed it follows its parent, and when it was
    the shown branch of several, the newest other one is shown."""
    turn = Turn.objects.filter(pk=turn_id).first()
    if turn is None:
        return
    Turn.objects.filter(parent_id=turn.pk).update(parent_id=turn.parent_id)
    turn.delete()
    beside = Turn.objects.filter(conversation_id=turn.conversation_id, parent_id=turn.parent_id)
    if turn.active and not beside.filter(active=True).exists():
        newest = beside.order_by("-created_at", "-pk").first()
        if newest is not None:
            Turn.objects.filter(pk=newest.pk).update(active=True)


def delete_message(message: Message) -> int:
    """Delete `message` and what goes with it; how many messages went."""
    going = doomed(message)
    streaming = Run.objects.filter(message__in=going, status=Run.Status.STREAMING)
    for run_id in streaming.values_list("id", flat=True):
        async_to_sync(request_stop)(str(run_id))
    with transaction.atomic():
        count = going.count()
        whole_turn = message.role == Message.Role.USER and message.pane_id is None
        going.delete()
        if whole_turn and message.turn_id is not None:
            _remove_turn(message.turn_id)
    conversation_id = message.conversation_id
    fanout.panes_changed_from_sync(conversation_id)
    return count
