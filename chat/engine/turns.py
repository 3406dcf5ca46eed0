"""Turns: one user message answered by every pane of a conversation — callable without a
socket (a test, the compare screen or a batch run call these as the socket does).

Each function checks access through accounts.permissions in the same database visit as its
work, saves in one transaction (chat.engine.store), publishes what happened
(chat.engine.events) and starts the runs together, in this process's event loop.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from accounts import permissions
from chat import user_errors
from chat.display import AttachmentDisplay, MessageDisplay
from chat.engine import events, store
from chat.engine.plans import RunPlan, prepared_or_none
from chat.engine.runs import request_stop, start_run
from chat.models import Conversation, Message, Run

NoAccess = permissions.NoAccess
ToolResultsError = store.ToolResultsError


def _conversation(conversation_id: int, user_id: int) -> Conversation:
    return permissions.visible_to_id(user_id, Conversation.objects, pk=conversation_id)


def _shown(started: store.StartedTurn) -> list[MessageDisplay]:
    """The turn's new messages as every tab shows them, built from what the turn already
    holds (no query per message)."""
    shown = []
    for message in started.new_messages:
        display = MessageDisplay.of(message, related=False)
        if message.role == Message.Role.USER:
            display.attachments = [AttachmentDisplay.of(a) for a in started.attachments]
        shown.append(display)
    for run in started.all_runs:
        run.message.run = run  # the answer's run, without a query
        shown.append(MessageDisplay.of(run.message))
    return shown


def _started(conversation_id: int, user_id: int, start: Any):
    """Run `start(conversation)` (a store turn starter) and prepare what the runs send, in
    one visit to the database."""
    conversation = _conversation(conversation_id, user_id)
    started = start(conversation)
    plans = [prepared_or_none(run) for run in started.runs]
    answered = None
    if started.answered is not None:
        answered = MessageDisplay.of(store.message_with_run(started.answered.pk))
    return conversation, started, _shown(started), plans, answered


async def _announce_and_run(conversation: Conversation, started: store.StartedTurn,
                            shown: list[MessageDisplay], plans: list[RunPlan | None],
                            answered: MessageDisplay | None) -> None:  # fmt: skip
    """Tell every tab about the new messages, then start the runs together."""
    await get_channel_layer().group_send(
        events.conversation_group(conversation.pk),
        events.turn_started(conversation.pk, conversation.display_title, started.turn.pk,
                            shown, answered),
    )  # fmt: skip
    for run, plan in zip(started.runs, plans, strict=True):
        start_run(run, plan)


async def start_turn(
    conversation_id: int,
    user_id: int,
    text: str,
    attachment_ids: list[str] | None = None,
    details: dict[str, str] | None = None,
) -> store.StartedTurn:
    """Send a message to every pane. Raises NoAccess, or ValidationError when no pane can
    answer (nothing is saved then)."""
    conversation, started, shown, plans, answered = await database_sync_to_async(_started)(
        conversation_id,
        user_id,
        lambda conversation: store.start_turn(conversation, text, attachment_ids, details),
    )
    await _announce_and_run(conversation, started, shown, plans, answered)
    return started


async def answer_tool_calls(
    conversation_id: int, user_id: int, message_id: int, results: dict[str, str]
) -> store.StartedTurn:
    """The user typed what a pane's tools returned: save it and let that pane go on. Raises
    NoAccess or ToolResultsError."""
    conversation, started, shown, plans, answered = await database_sync_to_async(_started)(
        conversation_id,
        user_id,
        lambda conversation: store.start_tool_turn(conversation, message_id, results),
    )
    await _announce_and_run(conversation, started, shown, plans, answered)
    return started


def _streaming(conversation_id: int, user_id: int, pane_id: int | None) -> list[Run]:
    _conversation(conversation_id, user_id)
    return store.streaming_runs(conversation_id, pane_id)


async def stop(conversation_id: int, user_id: int, pane_id: int | None = None) -> int:
    """Stop every streaming run of a pane, or of every pane; returns how many were asked.
    Each run's upstream request is closed wherever the run lives (the channel layer)."""
    active = await database_sync_to_async(_streaming)(conversation_id, user_id, pane_id)
    for run in active:
        await request_stop(str(run.pk))
    return len(active)


async def mark_interrupted(conversation_id: int, run_id: str, *, older_than: float) -> bool:
    """A run nobody answers for belongs to a process that is gone: end it, saying so."""
    message = await database_sync_to_async(store.mark_interrupted)(
        run_id, user_errors.INTERRUPTED, older_than_seconds=older_than
    )
    if message is None:
        return False
    await get_channel_layer().group_send(
        events.conversation_group(conversation_id),
        {**events.finished(MessageDisplay.of(message)), "run_id": run_id,
         "message_id": message.pk, "pane_id": message.pane_id},
    )  # fmt: skip
    return True
