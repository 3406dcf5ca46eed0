"""The database side of the engine: written once when a turn starts (one transaction: the
user message, one answer and one run per pane) and once when each run ends, never per token.

Plain synchronous ORM code; the async engine calls it through database_sync_to_async.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.attachments import attachments_for_send, check_model_takes
from chat.engine.specs import PaneSpec
from chat.models import Attachment, Conversation, Message, Pane, Run, Turn
from connections import prices

TITLE_CHARS = 60
NOT_RUNNABLE = "NotRunnable"


@dataclass(frozen=True)
class StartedTurn:
    turn: Turn
    new_messages: list[Message]  # the user's message, or the tool results typed
    runs: list[Run]  # to start now
    refused: list[Run] = field(default_factory=list)  # ended before any request
    attachments: list[Attachment] = field(default_factory=list)  # the user message's
    answered: Message | None = None  # the assistant message whose tool calls were answered

    @property
    def all_runs(self) -> list[Run]:
        return sorted(self.runs + self.refused, key=lambda run: run.pane.position)


class ToolResultsError(ValueError):
    """The tool results cannot be taken (shown to the user as it is)."""


def panes_of(conversation: Conversation) -> list[Pane]:
    """The conversation's panes in order; a conversation always has at least one."""
    panes = list(conversation.panes.select_related("connection"))
    if not panes:
        panes = [Pane.objects.create(conversation=conversation, position=0)]
    return panes


def _refusal(spec: PaneSpec, attachments: list[Attachment]) -> tuple[str, str]:
    """(the field it concerns, why this pane cannot answer), or ("", "") when it can."""
    if spec.connection is None:
        return "connection", spec.problem
    if not spec.model:
        return "model", spec.problem
    try:
        check_model_takes(spec.connection, spec.model, attachments)
    except ValidationError as error:
        return "attachments", " ".join(error.message_dict["attachments"])
    return "", ""


def _new_answer(turn: Turn, spec: PaneSpec, pane: Pane, refusal: str = "") -> Run:
    status = Run.Status.ERROR if refusal else Run.Status.STREAMING
    answer = Message.objects.create(
        conversation_id=turn.conversation_id, turn=turn, pane=pane,
        role=Message.Role.ASSISTANT, status=status,
    )  # fmt: skip
    run = Run.objects.create(
        conversation_id=turn.conversation_id, pane=pane, turn=turn, message=answer,
        status=status, **spec.run_fields(),
        **({"error_kind": NOT_RUNNABLE, "error_message": refusal,
            "finished_at": timezone.now()} if refusal else {}),
    )  # fmt: skip
    run.pane = pane
    return run


def start_turn(
    conversation: Conversation,
    text: str,
    attachment_ids: list[str] | None = None,
    details: dict[str, str] | None = None,
) -> StartedTurn:
    """Save the user's message with its attachments and, for every pane, an answer and its
    run, in one transaction. A pane that cannot answer (no model, a medium its model cannot
    take) gets its refusal as its answer and the others run; when no pane can, nothing is
    saved and the reasons are raised (ValidationError) for the composer."""
    panes = panes_of(conversation)
    attachments = attachments_for_send(conversation, attachment_ids or [], details or {})
    specs = [PaneSpec.of(pane) for pane in panes]
    refusals = [_refusal(spec, attachments) for spec in specs]
    if all(reason for _field, reason in refusals):
        if len(panes) == 1:
            raise ValidationError({refusals[0][0]: refusals[0][1]})
        raise ValidationError(
            {
                "panes": [
                    f"{spec.label}: {reason}"
                    for spec, (_f, reason) in zip(specs, refusals, strict=True)
                ]
            }
        )
    with transaction.atomic():
        if not conversation.title:
            first_line = " ".join(text.split())
            conversation.title = first_line[:TITLE_CHARS] + (
                "…" if len(first_line) > TITLE_CHARS else ""
            )
        conversation.save(update_fields=["title", "updated_at"])
        now = timezone.now()
        turn = Turn.objects.create(conversation=conversation, requested_at=now)
        user_message = Message.objects.create(
            conversation=conversation, turn=turn, role=Message.Role.USER, content=text
        )
        for attachment in attachments:
            # Claimed only if still unsent: a second tab sending the same chips gets an error.
            claimed = Attachment.objects.filter(pk=attachment.pk, message__isnull=True).update(
                message=user_message, detail=attachment.detail
            )
            if not claimed:
                raise ValidationError({"attachments": "An attachment was sent meanwhile; attach "
                                                      "it again."})  # fmt: skip
        runs, refused = [], []
        for pane, spec, (_field, reason) in zip(panes, specs, refusals, strict=True):
            run = _new_answer(turn, spec, pane, reason)
            (refused if reason else runs).append(run)
    return StartedTurn(turn, [user_message], runs, refused, attachments)


def start_tool_turn(
    conversation: Conversation, message_id: int, results: dict[str, str]
) -> StartedTurn:
    """Save what the user typed for the tool calls of a pane's latest answer, then start that
    pane's next answer in the same turn. All or nothing: refused input leaves no rows."""
    with transaction.atomic():
        answered = (
            Message.objects.select_for_update()
            .select_related("pane__connection", "turn")
            .filter(conversation=conversation, pk=message_id, role=Message.Role.ASSISTANT)
            .first()
        )
        if answered is None or not answered.tool_calls or answered.pane is None:
            raise ToolResultsError("Those tool calls are gone; reload the page.")
        later = Message.objects.filter(conversation=conversation, pk__gt=answered.pk).filter(
            Q(pane=answered.pane) | Q(pane__isnull=True)
        )
        if later.exists():
            raise ToolResultsError(
                "The conversation went on after these tool calls; only the latest answer's "
                "calls can be answered."
            )
        missing = [c["name"] for c in answered.tool_calls if not results.get(c["id"], "").strip()]
        if missing:
            raise ToolResultsError(f"Type a result for every call ({', '.join(missing)}).")
        spec = PaneSpec.of(answered.pane)
        if spec.problem:
            raise ToolResultsError(spec.problem)
        tool_messages = [
            Message.objects.create(
                conversation=conversation,
                turn=answered.turn,
                pane=answered.pane,
                role=Message.Role.TOOL,
                content=results[call["id"]].strip(),
                tool_call_id=call["id"],
                tool_name=call["name"],
            )  # fmt: skip
            for call in answered.tool_calls
        ]
        Turn.objects.filter(pk=answered.turn_id).update(finished_at=None)  # it goes on
        run = _new_answer(answered.turn, spec, answered.pane)
        conversation.save(update_fields=["updated_at"])
    return StartedTurn(answered.turn, tool_messages, [run], answered=answered)


def with_attachments(messages: list[Message]) -> list[Message]:
    """Load the attachments of every user message in one query. (A prefetch would build a
    query set per message: a thousand of them for a long conversation, a fifth of its
    page's time.)"""
    for message in messages:
        message._attached = []
    users = {m.pk: m for m in messages if m.role == Message.Role.USER}
    if users:
        for attachment in Attachment.objects.filter(message_id__in=users).select_related("blob"):
            users[attachment.message_id]._attached.append(attachment)
    return messages


def history_for(run: Run) -> list[Message]:
    """What the run's model sees before its answer: the shared user messages and its own
    pane's answers and tool results — never another pane's. A stopped answer counts as what
    was said; a failed one does not."""
    return with_attachments(list(
        Message.objects.filter(conversation_id=run.conversation_id, id__lt=run.message_id)
        .filter(Q(pane__isnull=True) | Q(pane_id=run.pane_id))
        .filter(
            Q(role__in=[Message.Role.USER, Message.Role.TOOL])
            | Q(status__in=[Message.Status.DONE, Message.Status.STOPPED], content__gt="")
            | (Q(status=Message.Status.DONE) & ~Q(tool_calls=[]))
        )
        .order_by("created_at", "id")
    ))  # fmt: skip


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
        ended_turn = _end_turn_if_done(run.turn_id)
    return message, ended_turn


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
    """A conversation's messages with their runs and attachments: three queries whatever the
    number of messages or panes."""
    return with_attachments(list(
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("run")
        .order_by("created_at", "id")
    ))  # fmt: skip


def message_with_run(message_id: int) -> Message:
    return Message.objects.select_related("run").get(pk=message_id)
