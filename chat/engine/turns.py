"""Turns: one user message answered by every pane of a conversation — callable without a
socket (a test, the compare screen or a batch run call these as the socket does).

Each function checks access through accounts.permissions in the same database visit as its
work, saves in one transaction (chat.engine.starting), publishes what happened
(chat.engine.events) and starts the runs together, in this process's event loop. A send
without attachments starts its runs before its rows are written — its requests leave while
they are — and they are heard once the turn is written. Sends made at the same time share
that visit and that transaction (chat.engine.batching).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from accounts import permissions
from chat import user_errors
from chat.display import AttachmentDisplay, MessageDisplay
from chat.engine import events, fanout, rerunning, starting, store
from chat.engine.batching import Batched
from chat.engine.plans import RunPlan, prepared_or_none
from chat.engine.runs import ActiveRun, request_stop, start_run
from chat.models import Conversation, Message, Run

NoAccess = permissions.NoAccess
ToolResultsError = starting.ToolResultsError
NotRerun = rerunning.NotRerun


def _conversation(conversation_id: int, user_id: int) -> Conversation:
    return permissions.visible_to_id(user_id, Conversation.objects, pk=conversation_id)


def _shown(started: starting.StartedTurn) -> list[MessageDisplay]:
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
    """Run `start(conversation)` (a turn starter of chat.engine.starting) and prepare what
    the runs send, in one visit to the database."""
    conversation = _conversation(conversation_id, user_id)
    started = start(conversation)
    plans = prepared_or_none(started.runs)
    answered = None
    if started.answered is not None:
        answered = MessageDisplay.of(store.message_with_run(started.answered.pk))
    return conversation, started, _shown(started), plans, answered


@dataclass(frozen=True)
class SendRequest:
    conversation_id: int
    user_id: int
    text: str
    attachment_ids: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    # The sender's event loop: given, the runs of a send without attachments start there
    # before their rows are written, and `launched` holds them (by run id) until admitted;
    # `plans` are those runs' plans, made then.
    loop: asyncio.AbstractEventLoop | None = None
    context: contextvars.Context | None = None  # the sender's (not the database thread's)
    launched: dict[str, ActiveRun] = field(default_factory=dict)
    plans: dict[str, RunPlan] = field(default_factory=dict)


# After handing runs to the loop, the database thread waits (at most this long) until their
# requests have gone before it takes the interpreter for the turns' writes: written at once,
# 300 sends' rows held it for 100–200 ms while the loop waited to send their requests.
HAND_OVER_AT_MOST_S = 0.5


class HandOver:
    """Counts the runs handed to the loop whose requests have not left yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting = 0
        self._all_left = threading.Event()

    def expect(self, count: int) -> None:
        with self._lock:
            self._waiting += count

    def one_left(self) -> None:
        with self._lock:
            self._waiting -= 1
            if self._waiting <= 0:
                self._all_left.set()

    def wait(self, at_most: float) -> None:
        with self._lock:
            if self._waiting <= 0:
                return
        self._all_left.wait(at_most)


def _rate_limited(plan: RunPlan) -> bool:
    return getattr(plan.model.config, "rate_limiter", None) is not None


def _start_unwritten(ready: list[tuple[Run, RunPlan]], launched: dict[str, ActiveRun],
                     hand_over: HandOver) -> None:  # fmt: skip
    for run, plan in ready:
        told = None if _rate_limited(plan) else hand_over.one_left
        launched[str(run.pk)] = start_run(run, plan, unwritten=True, on_leaving=told)


def _launcher(request_of: dict[int, SendRequest]) -> starting.BeforeWriting:
    """start_turns' `before_writing`: each send's runs, their histories read now (the turn
    they follow and the new user message), start on the sender's loop while the database
    thread writes the rows (bench/relay.py: the inserts no longer delay the request)."""

    def launch(started: list[starting.StartedTurn]) -> None:
        histories = store.new_turn_histories(started)
        runs = [run for turn in started for run in turn.runs]
        plans = dict(zip((str(run.pk) for run in runs),
                         prepared_or_none(runs, histories=histories), strict=True))  # fmt: skip
        hand_over = HandOver()
        for turn in started:
            request = request_of[turn.turn.conversation_id]
            request.plans.update((str(run.pk), plans[str(run.pk)]) for run in turn.runs)
            ready = [(run, plans[str(run.pk)]) for run in turn.runs if plans[str(run.pk)]]
            if request.loop is None or not ready:
                continue  # started once written (a plan that failed reports it then)
            # A rate limiter may hold a request for seconds: the rows do not wait for it.
            hand_over.expect(sum(1 for _run, plan in ready if not _rate_limited(plan)))
            request.loop.call_soon_threadsafe(_start_unwritten, ready, request.launched,
                                              hand_over, context=request.context)  # fmt: skip
        hand_over.wait(HAND_OVER_AT_MOST_S)

    return launch


def _start_sends(requests: list[SendRequest]) -> list[Any]:
    """Many sends in one database visit; for each, what _started returns, or why it was
    refused (NoAccess, ValidationError). A conversation sent to twice gets its turns one
    after the other, the second seeing the first."""
    results: list[Any] = [None] * len(requests)
    remaining = list(range(len(requests)))
    while remaining:
        this_round, later, seen = [], [], set()
        for index in remaining:
            conversation_id = requests[index].conversation_id
            (later if conversation_id in seen else this_round).append(index)
            seen.add(conversation_id)
        _start_round(requests, this_round, results)
        remaining = later
    return results


def _start_round(requests: list[SendRequest], indexes: list[int], results: list[Any]) -> None:
    visible: dict[int, dict[Any, Any]] = {}
    for user_id in {requests[index].user_id for index in indexes}:
        wanted = [requests[i].conversation_id for i in indexes if requests[i].user_id == user_id]
        visible[user_id] = permissions.visible_among(user_id, Conversation, wanted)
    allowed: list[tuple[int, Conversation]] = []
    for index in indexes:
        request = requests[index]
        conversation = visible[request.user_id].get(request.conversation_id)
        if conversation is None:
            results[index] = NoAccess()
        else:
            allowed.append((index, conversation))
    sends = [
        starting.Send(conversation, requests[index].text, requests[index].attachment_ids,
                      requests[index].details, requests[index].user_id)
        for index, conversation in allowed
    ]  # fmt: skip
    begun = []
    launch = _launcher({conversation.pk: requests[index] for index, conversation in allowed})
    for (index, conversation), started in zip(allowed, starting.start_turns(sends, launch),
                                              strict=True):  # fmt: skip
        if isinstance(started, ValidationError):
            results[index] = started
        else:
            begun.append((index, conversation, started))
    turns = {conversation.pk: started.conversation_turns for _i, conversation, started in begun}
    unplanned = [run for index, _c, started in begun for run in started.runs
                 if str(run.pk) not in requests[index].plans]  # fmt: skip
    planned = dict(zip((str(run.pk) for run in unplanned), prepared_or_none(unplanned, turns),
                       strict=True))  # fmt: skip
    for index, conversation, started in begun:
        chosen = {**planned, **requests[index].plans}
        own = [chosen[str(run.pk)] for run in started.runs]
        results[index] = (conversation, started, _shown(started), own, None)


_send = Batched(_start_sends)


async def _announce_and_run(conversation: Conversation, started: starting.StartedTurn,
                            shown: list[MessageDisplay], plans: list[RunPlan | None],
                            answered: MessageDisplay | None,
                            launched: dict[str, ActiveRun] | None = None) -> None:  # fmt: skip
    """Tell every tab about the new messages, then start the runs together (or, for runs
    already `launched` before their rows were written, let them be heard)."""
    try:
        await fanout.publish(
            conversation.pk,
            events.turn_started(conversation.pk, conversation.display_title, started.turn.pk,
                                shown, answered),
        )  # fmt: skip
    except BaseException:
        for active in (launched or {}).values():  # never announced: they would wait for ever
            active.discard()
        raise
    for run, plan in zip(started.runs, plans, strict=True):
        active = (launched or {}).get(str(run.pk))
        if active is not None:
            active.admit(run)
        else:
            start_run(run, plan)


async def start_turn(
    conversation_id: int,
    user_id: int,
    text: str,
    attachment_ids: list[str] | None = None,
    details: dict[str, str] | None = None,
) -> starting.StartedTurn:
    """Send a message to every pane. Raises NoAccess, or ValidationError when no pane can
    answer (nothing is saved then)."""
    request = SendRequest(conversation_id, user_id, text, attachment_ids or [], details or {},
                          loop=asyncio.get_running_loop(),
                          context=contextvars.copy_context())  # fmt: skip
    try:
        conversation, started, shown, plans, answered = await _send(request)
    except BaseException:
        for active in request.launched.values():  # started, but their rows were not written
            active.discard()
        raise
    await _announce_and_run(conversation, started, shown, plans, answered, request.launched)
    return started


async def answer_tool_calls(
    conversation_id: int, user_id: int, message_id: int, results: dict[str, str]
) -> starting.StartedTurn:
    """The user typed what a pane's tools returned: save it and let that pane go on. Raises
    NoAccess or ToolResultsError."""
    conversation, started, shown, plans, answered = await database_sync_to_async(_started)(
        conversation_id,
        user_id,
        lambda conversation: starting.start_tool_turn(
            conversation, message_id, results, user_id=user_id
        ),  # fmt: skip
    )
    await _announce_and_run(conversation, started, shown, plans, answered)
    return started


async def _redraw_and_run(conversation_id: int, user_id: int, start: Any) -> starting.StartedTurn:
    """Start runs that change an earlier part of the conversation: every tab redraws its
    panes (the new answers among them, their streams caught up), then the runs start."""
    _conversation, started, _shown_messages, plans, _answered = await database_sync_to_async(
        _started
    )(conversation_id, user_id, start)
    await fanout.publish(conversation_id, events.panes_changed(conversation_id))
    for run, plan in zip(started.runs, plans, strict=True):
        start_run(run, plan)
    return started


async def regenerate(
    conversation_id: int, user_id: int, message_id: int, *, every_pane: bool = False
) -> starting.StartedTurn:
    """Regenerate the answer of one pane to a turn, or of every pane (chat.engine.rerunning).
    Raises NoAccess or NotRerun."""
    return await _redraw_and_run(
        conversation_id, user_id,
        lambda conversation: rerunning.regenerate(conversation, message_id,
                                                  every_pane=every_pane, user_id=user_id),
    )  # fmt: skip


async def rerun_from(conversation_id: int, user_id: int, message_id: int) -> starting.StartedTurn:
    """Re-run every pane from a shared message, on a new branch (chat.engine.rerunning).
    Raises NoAccess or NotRerun."""
    return await _redraw_and_run(
        conversation_id, user_id,
        lambda conversation: rerunning.rerun_from(conversation, message_id,
                                                  conversation.owner, user_id),
    )  # fmt: skip


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
    await fanout.publish(
        conversation_id,
        {**events.finished(MessageDisplay.of(message)), "run_id": run_id,
         "message_id": message.pk, "pane_id": message.pane_id},
    )  # fmt: skip
    return True
