"""The database side of the engine: what runs read, and what is written when each run ends
(turns are started by chat.engine.starting); never anything per token.

Plain synchronous ORM code; the async engine calls it through database_sync_to_async.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat.engine import paths
from chat.models import Attachment, Conversation, Message, Pane, Run, Turn
from connections import prices
from playground.prepared import Prepared

TITLE_CHARS = 60
NOT_RUNNABLE = "NotRunnable"


# Prepared (playground.prepared): a send reads these before its request can leave.
_panes_with_connections = Prepared(Pane, lambda conversation_ids: Pane.objects.filter(
    conversation_id__in=conversation_ids).select_related("connection"))  # fmt: skip
_attachments_of = Prepared(Attachment, lambda message_ids: Attachment.objects.filter(
    message_id__in=message_ids).select_related("blob"))  # fmt: skip
_messages_of = Prepared(Message, lambda conversation_ids: Message.objects.filter(
    conversation_id__in=conversation_ids))  # fmt: skip


def panes_by_conversation(conversations: list[Conversation]) -> dict[int, list[Pane]]:
    """Each conversation's panes in order, one query for all; a conversation always has at
    least one (made here when it has none)."""
    found: dict[int, list[Pane]] = defaultdict(list)
    for pane in _panes_with_connections.objects([c.pk for c in conversations]):
        found[pane.conversation_id].append(pane)
    for conversation in conversations:
        if not found[conversation.pk]:
            found[conversation.pk] = [Pane.objects.create(conversation=conversation, position=0)]
    return found


def panes_of(conversation: Conversation) -> list[Pane]:
    return panes_by_conversation([conversation])[conversation.pk]


def with_attachments(messages: list[Message]) -> list[Message]:
    """Load the attachments of every user message in one query. (A prefetch would build a
    query set per message: a thousand of them for a long conversation, a fifth of its
    page's time.)"""
    for message in messages:
        message._attached = []
    users = {m.pk: m for m in messages if m.role == Message.Role.USER}
    if users:
        for attachment in _attachments_of.objects(list(users)):
            users[attachment.message_id]._attached.append(attachment)
    return messages


def said(message: Message) -> bool:
    """What counts as said: every user message and tool result, and answers that were given
    — a stopped answer counts as what was said; a failed one does not."""
    if message.role in (Message.Role.USER, Message.Role.TOOL):
        return True
    if message.status in (Message.Status.DONE, Message.Status.STOPPED) and message.content:
        return True
    return message.status == Message.Status.DONE and bool(message.tool_calls)


def _alternative_of(run: Run) -> int:
    return run.message.alternative if Run.message.is_cached(run) else 1


def _history(run: Run, turns: list[Turn], messages: list[Message]) -> list[Message]:
    """The run's branch up to its turn, each earlier turn with the pane's chosen answer, and
    in its own turn the alternative it answers in, before its answer."""
    if run.turn_id is not None:
        path, current = paths.ancestry(turns, run.turn_id), (run.turn_id, _alternative_of(run))
    else:  # what the pane would send now (View code before any run)
        path, current = paths.shown_path(turns), None
    shown = paths.on_path(messages, path, paths.Alternatives.of(messages),
                          pane_id=run.pane_id, current=current)  # fmt: skip
    return [m for m in shown if m.pk < run.message_id and said(m)]


def history_for(run: Run) -> list[Message]:
    """What the run's model sees before its answer: the shared user messages and its own
    pane's answers and tool results — never another pane's, nor another branch's."""
    return histories_for([run])[str(run.pk)]


def _has_turn(turns: dict[int, list[Turn]], run: Run) -> bool:
    return any(turn.pk == run.turn_id for turn in turns.get(run.conversation_id) or ())


def histories_for(runs: list[Run], turns: dict[int, list[Turn]] | None = None
                  ) -> dict[str, list[Message]]:  # fmt: skip
    """history_for of many runs, by run id, in three queries whatever their number (two when
    the caller has just read their conversations' `turns`, the runs' own among them)."""
    if not runs:
        return {}
    conversation_ids = {run.conversation_id for run in runs}
    if turns is None or not all(_has_turn(turns, run) for run in runs):
        turns = paths.turns_of(conversation_ids)
    everything: dict[int, list[Message]] = defaultdict(list)
    for message in Message.objects.filter(
        conversation_id__in=conversation_ids, id__lt=max(run.message_id for run in runs)
    ):
        everything[message.conversation_id].append(message)
    histories = {
        str(run.pk): _history(run, turns[run.conversation_id], everything[run.conversation_id])
        for run in runs
    }
    with_attachments(list({m.pk: m for h in histories.values() for m in h}.values()))
    return histories


def new_turn_histories(started: list[Any]) -> dict[str, list[Message]]:
    """What each run of turns built but not yet written will send (starting.start_turns'
    `before_writing`), by run id: the shown path up to the turn it follows, the pane's own
    answers on it, then the turn's user message — what history_for reads once they are
    written. Two queries for all of them."""
    conversation_ids = {turn.turn.conversation_id for turn in started}
    everything: dict[int, list[Message]] = defaultdict(list)
    for message in with_attachments(_messages_of.objects(list(conversation_ids))):
        everything[message.conversation_id].append(message)
    histories = {}
    for turn in started:
        messages = everything[turn.turn.conversation_id]
        before = turn.conversation_turns[:-1]  # the last is this turn, not written yet
        path = paths.ancestry(before, turn.turn.parent_id) if turn.turn.parent_id else []
        alternatives = paths.Alternatives.of(messages)
        for message in turn.new_messages:
            message._attached = []  # a plain send's: none (and no id to look them up by)
        for run in turn.runs:
            shown = paths.on_path(messages, path, alternatives, pane_id=run.pane_id)
            histories[str(run.pk)] = [m for m in shown if said(m)] + list(turn.new_messages)
    return histories


def load_run(run_id: str) -> Run:
    return Run.objects.select_related("conversation", "connection", "message", "pane").get(
        pk=run_id
    )


def finish_run(
    run_id: str, *, text: str, reasoning: str, status: str, fields: dict[str, Any],
    tool_calls: list[dict[str, Any]],
) -> tuple[Message, bool]:  # fmt: skip
    """Write the end of a run: its answer's text, thinking, tool calls and status, and its
    figures, its cost at the price table's rates. Returns the answer (with its run) and
    whether this ended the run's turn (true for exactly one run of the turn, whichever ends
    last)."""
    with transaction.atomic():
        run = Run.objects.select_related("message").get(pk=run_id)
        price = prices.price_for(run.provider, fields.get("resolved_model") or run.model)
        fields = {**fields, "cost": prices.cost(price, fields.get("input_tokens"),
                                                fields.get("output_tokens"))}  # fmt: skip
        Run.objects.filter(pk=run_id).update(status=status, finished_at=timezone.now(), **fields)
        run.refresh_from_db()
        message = run.message
        message.content, message.reasoning, message.status = text, reasoning, status
        message.tool_calls = tool_calls
        message.save(update_fields=["content", "reasoning", "status", "tool_calls"])
        message.run = run
        if message.alternative > 1:  # a regenerated answer shows where it stands among them
            _mark_position(message)
        ended_turn = _end_turn_if_done(run.turn_id)
    return message, ended_turn


def _mark_position(message: Message) -> None:
    numbers = sorted(set(
        Message.objects.filter(turn_id=message.turn_id, pane_id=message.pane_id, replaced=False)
        .values_list("alternative", flat=True)
    ))  # fmt: skip
    number = numbers.index(message.alternative) + 1 if message.alternative in numbers else 1
    message.shown_position = (number, len(numbers))
    message.first_in_turn = not Message.objects.filter(
        turn_id=message.turn_id, pane_id=message.pane_id, alternative=message.alternative,
        replaced=False, pk__lt=message.pk,
    ).exists()  # fmt: skip


def fail_run(run_id: str, text: str, message: str) -> None:
    """The last resort when ending a run normally failed: it is saved as failed."""
    with transaction.atomic():
        Run.objects.filter(pk=run_id).update(
            status=Run.Status.ERROR, finished_at=timezone.now(), error_kind="InternalError",
            error_message=message,
        )  # fmt: skip
        Message.objects.filter(run__id=run_id).update(status=Message.Status.ERROR, content=text)
        turn_id = Run.objects.filter(pk=run_id).values_list("turn_id", flat=True).first()
        _end_turn_if_done(turn_id)


def _end_turn_if_done(turn_id: int | None) -> bool:
    if turn_id is None or Run.objects.filter(turn_id=turn_id, status=Run.Status.STREAMING).exists():
        return False
    sent = [
        t
        for t in Run.objects.filter(turn_id=turn_id).values_list("request_sent_at", flat=True)
        if t
    ]
    spread = (max(sent) - min(sent)).total_seconds() * 1000 if sent else None
    # Only one ending run wins the update, however many end at once.
    return bool(
        Turn.objects.filter(pk=turn_id, finished_at__isnull=True).update(
            finished_at=timezone.now(), start_spread_ms=spread
        )
    )


def turn_results(turn_id: int) -> list[Run]:
    """The last run of each pane in a turn (a pane that called tools ran more than once), in
    pane order: what the turn's chart and marks compare."""
    last: dict[int, Run] = {}
    for run in Run.objects.filter(turn_id=turn_id).select_related("pane").order_by("started_at"):
        last[run.pane_id] = run
    return sorted(last.values(), key=lambda run: run.pane.position if run.pane else 0)


def pane_history(pane: Pane) -> list[Message]:
    """What the pane would send as history now: the path shown, its chosen answers (an
    unsaved run whose answer would come after every message)."""
    return history_for(Run(conversation_id=pane.conversation_id, pane=pane, message_id=2**62))


def latest_shown_turn(conversation_id: int) -> Turn | None:
    """The latest finished turn on the path the conversation shows (the compare panel's)."""
    finished = set(
        Turn.objects.filter(conversation_id=conversation_id, finished_at__isnull=False)
        .values_list("pk", flat=True)
    )  # fmt: skip
    path = paths.shown_path(paths.turns_of([conversation_id])[conversation_id])
    return next((turn for turn in reversed(path) if turn.pk in finished), None)


def shown_results(turn: Turn) -> tuple[dict[int, Message], list[Run]]:
    """Of a turn, each pane's shown answer (the last message of its chosen alternative) and
    the last run behind it, in pane order: what the compare panel compares."""
    answers = list(
        Message.objects.filter(turn=turn, pane__isnull=False, role=Message.Role.ASSISTANT,
                               replaced=False).order_by("created_at", "pk")
    )  # fmt: skip
    alternatives = paths.Alternatives.of(answers)
    shown = {m.pane_id: m for m in answers
             if m.alternative == alternatives.shown(turn, m.pane_id)}  # fmt: skip
    numbers = {pane_id: message.alternative for pane_id, message in shown.items()}
    last: dict[int, Run] = {}
    for run in (Run.objects.filter(turn=turn).select_related("pane", "message")
                .order_by("started_at")):  # fmt: skip
        if run.message and run.message.alternative == numbers.get(run.pane_id):
            last[run.pane_id] = run
    runs = sorted(last.values(), key=lambda run: run.pane.position if run.pane else 0)
    return shown, runs


def streaming_runs(conversation_id: int, pane_id: int | None = None) -> list[Run]:
    runs = Run.objects.filter(conversation_id=conversation_id, status=Run.Status.STREAMING)
    if pane_id is not None:
        runs = runs.filter(pane_id=pane_id)
    return list(runs.only("id", "message_id", "pane_id", "started_at"))


def mark_interrupted(run_id: str, message: str, *, older_than_seconds: float) -> Message | None:
    """Give up on a run nobody answers for (its process died). Only a run still marked
    streaming and old enough is touched; returns its answer when it was."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    with transaction.atomic():
        updated = Run.objects.filter(
            pk=run_id, status=Run.Status.STREAMING, started_at__lt=cutoff
        ).update(
            status=Run.Status.ERROR, finished_at=timezone.now(), error_kind="Interrupted",
            error_message=message,
        )  # fmt: skip
        if not updated:
            return None
        Message.objects.filter(run__id=run_id).update(status=Message.Status.ERROR)
        return message_with_run(Run.objects.values_list("message_id", flat=True).get(pk=run_id))


def page_messages(conversation_id: int) -> list[Message]:
    """The messages a conversation shows, with their runs and attachments, each marked with
    where it stands among its alternatives (chat.engine.paths): four queries whatever the
    number of messages, panes or branches."""
    turns = paths.turns_of([conversation_id])[conversation_id]
    everything = list(Message.objects.filter(conversation_id=conversation_id).select_related("run"))
    path = paths.shown_path(turns)
    alternatives = paths.Alternatives.of(everything)
    shown = paths.on_path(everything, path, alternatives)
    by_turn = {turn.pk: turn for turn in path}
    branches = paths.branch_positions(turns)
    first_of: set[tuple[int, int | None]] = set()
    for message in shown:
        turn = by_turn.get(message.turn_id)  # type: ignore[arg-type]
        if turn is None:
            continue
        if message.pane_id is None:
            message.shown_position = branches.get(turn.pk, (1, 1))
        else:
            message.shown_position = alternatives.position(turn, message.pane_id,
                                                           message.alternative)  # fmt: skip
        # The switcher sits on the first message of its pane's (or the shared) part of a turn.
        message.first_in_turn = (turn.pk, message.pane_id) not in first_of
        first_of.add((turn.pk, message.pane_id))
    return with_attachments(shown)


def message_with_run(message_id: int) -> Message:
    return Message.objects.select_related("run").get(pk=message_id)
