"""Starting turns: the user's message and, for every pane, an answer and its run, saved in one
transaction — for one send or for many at once.

Sends that arrive while the database thread is busy are saved together (chat.engine.batching):
one query per table for all of them instead of a dozen per send, which is what lets hundreds
of simultaneous sends reach their providers together (bench/concurrency.py). A send with
attachments is saved on its own, inside the same transaction, so that one whose attachment
was taken meanwhile fails alone. Plain synchronous ORM code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import permissions
from chat import blind
from chat.attachments import attachments_for_send, check_model_takes
from chat.engine import paths
from chat.engine.specs import PaneSpec
from chat.engine.store import panes_by_conversation
from chat.models import Attachment, Conversation, Message, Pane, Run, Turn

TITLE_CHARS = 60
NOT_RUNNABLE = "NotRunnable"
# A pane whose connection the sender may not use (another's private one, or a team's they
# left): refused before any request, without naming the connection.
NOT_YOURS = "This pane's connection is not one you may use; pick another in its settings."


@dataclass(frozen=True)
class StartedTurn:
    turn: Turn
    new_messages: list[Message]  # the user's message, or the tool results typed
    runs: list[Run]  # to start now
    refused: list[Run] = field(default_factory=list)  # ended before any request
    attachments: list[Attachment] = field(default_factory=list)  # the user message's
    answered: Message | None = None  # the assistant message whose tool calls were answered
    # Its conversation's turns, this one among them, as read to save it (so the histories
    # of its runs need not read them again); None when not at hand.
    conversation_turns: list[Turn] | None = None

    @property
    def all_runs(self) -> list[Run]:
        return sorted(self.runs + self.refused, key=lambda run: run.pane.position)


# Handed the turns built for plain sends before they are written (start_turns).
BeforeWriting = Callable[[list[StartedTurn]], None]


class ToolResultsError(ValueError):
    """The tool results cannot be taken (shown to the user as it is)."""


@dataclass(frozen=True)
class Send:
    conversation: Conversation
    text: str
    attachment_ids: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    user_id: int | None = None  # who sends: its author when not said

    @property
    def sender_id(self) -> int:
        return self.user_id if self.user_id is not None else self.conversation.owner_id


@dataclass
class _Plan:
    """A send checked, before anything is written."""

    send: Send
    panes: list[Pane]
    specs: list[PaneSpec]
    refusals: list[tuple[str, str]]
    attachments: list[Attachment]
    turn: Turn | None = None
    user_message: Message | None = None
    runs: list[Run] = field(default_factory=list)
    refused: list[Run] = field(default_factory=list)
    built: list[Run] = field(default_factory=list)  # runs and refused, in the panes' order
    conversation_turns: list[Turn] = field(default_factory=list)


def sender_teams(user_ids: list[int]) -> dict[int, frozenset[int]]:
    """Whose connections each sender may use (accounts.permissions), one query for all."""
    return permissions.connection_teams(user_ids)


def refusal(spec: PaneSpec, attachments: list[Attachment], teams: frozenset[int] | None
            ) -> tuple[str, str]:  # fmt: skip
    """(the field it concerns, why this pane cannot answer), or ("", "") when it can; `teams`
    are the sender's (sender_teams), which say whether they may use the pane's connection."""
    if spec.connection is None:
        return "connection", spec.problem
    if not permissions.may_use_connection(spec.connection.team_id, teams):
        return "connection", NOT_YOURS
    if not spec.model:
        return "model", spec.problem
    try:
        check_model_takes(spec.connection, spec.model, attachments,
                          permissions.connections_of_teams(teams))  # fmt: skip
    except ValidationError as error:
        return "attachments", " ".join(error.message_dict["attachments"])
    return "", ""


def _check(send: Send, panes: list[Pane], teams: frozenset[int] | None) -> _Plan:
    """What a send would save; ValidationError when no pane can answer it (the reasons, for
    the composer) or its attachments cannot be sent."""
    attachments = attachments_for_send(send.conversation, send.attachment_ids, send.details)
    specs = [PaneSpec.of(pane) for pane in panes]
    refusals = [refusal(spec, attachments, teams) for spec in specs]
    if all(reason for _field, reason in refusals):
        if len(panes) == 1:
            raise ValidationError({refusals[0][0]: refusals[0][1]})
        raise ValidationError(
            {"panes": [f"{spec.label}: {reason}"
                       for spec, (_f, reason) in zip(specs, refusals, strict=True)]}
        )  # fmt: skip
    return _Plan(send, panes, specs, refusals, attachments)


def _title(text: str) -> str:
    first_line = " ".join(text.split())
    return first_line[:TITLE_CHARS] + ("…" if len(first_line) > TITLE_CHARS else "")


def _answer_rows(plan: _Plan) -> list[tuple[Pane, PaneSpec, str, Message]]:
    """Each pane's (unsaved) answer to the plan's turn."""
    turn = plan.turn
    assert turn is not None
    rows = []
    for pane, spec, (_field, reason) in zip(plan.panes, plan.specs, plan.refusals, strict=True):
        # "Repeat": the pane answers that many times at once, each answer an alternative.
        for alternative in range(1, 1 + (1 if reason else max(1, pane.repeat))):
            answer = Message(conversation_id=turn.conversation_id, turn=turn, pane=pane,
                             role=Message.Role.ASSISTANT, alternative=alternative,
                             status=Message.Status.ERROR if reason else Message.Status.STREAMING)  # fmt: skip
            rows.append((pane, spec, reason, answer))
    return rows


def run_row(turn: Turn, pane: Pane, spec: PaneSpec, reason: str, answer: Message,
            requested_by: int | None = None) -> Run:  # fmt: skip
    run = Run(
        conversation_id=turn.conversation_id, pane=pane, turn=turn, message=answer,
        requested_by_id=requested_by,
        status=Run.Status.ERROR if reason else Run.Status.STREAMING, **spec.run_fields(),
        **({"error_kind": NOT_RUNNABLE, "error_message": reason,
            "finished_at": timezone.now()} if reason else {}),
    )  # fmt: skip
    run.pane = pane
    return run


def _build(plans: list[_Plan]) -> None:
    """The rows of checked sends' turns, not yet written: each turn follows its
    conversation's latest (one query for all of them)."""
    now = timezone.now()
    turns = paths.turns_of(plan.send.conversation.pk for plan in plans)
    for plan in plans:
        conversation = plan.send.conversation
        follows = paths.leaf(turns[conversation.pk])
        plan.turn = Turn(conversation=conversation, requested_at=now, parent=follows,
                         chosen=blind.repetition_shown(conversation, plan.panes),
                         arena_order=blind.shuffled(conversation,
                                                    [pane.pk for pane in plan.panes]))  # fmt: skip
        plan.conversation_turns = [*turns[conversation.pk], plan.turn]
        plan.user_message = Message(conversation=conversation, turn=plan.turn,
                                    role=Message.Role.USER, content=plan.send.text)  # fmt: skip
        for pane, spec, reason, answer in _answer_rows(plan):
            run = run_row(plan.turn, pane, spec, reason, answer, plan.send.sender_id)
            plan.built.append(run)
            (plan.refused if run.status == Run.Status.ERROR else plan.runs).append(run)


def _write(plans: list[_Plan]) -> None:
    """Write built turns: one query per table for all of them (the turn's frame waits for
    it). The row objects are the ones _build made, so whoever holds them (a run already
    streaming) sees their ids."""
    now = timezone.now()
    untitled: dict[str, list[int]] = defaultdict(list)  # a title -> the conversations it names
    titled = []
    for plan in plans:
        conversation = plan.send.conversation
        if not conversation.title:
            conversation.title = _title(plan.send.text)
            untitled[conversation.title].append(conversation.pk)
        else:
            titled.append(conversation.pk)
        conversation.updated_at = now
    # One UPDATE per distinct title, not bulk_update: its CASE of a row per conversation cost
    # more in Django than every other write of 300 sends together.
    if titled:
        Conversation.objects.filter(pk__in=titled).update(updated_at=now)
    for title, pks in untitled.items():
        Conversation.objects.filter(pk__in=pks).update(title=title, updated_at=now)
    Turn.objects.bulk_create([plan.turn for plan in plans])
    runs = [run for plan in plans for run in plan.built]
    # The user messages first, so that each gets a lower id than the answers to it.
    Message.objects.bulk_create([plan.user_message for plan in plans]
                                + [run.message for run in runs])  # fmt: skip
    Run.objects.bulk_create(runs)


def _save(plans: list[_Plan]) -> None:
    _build(plans)
    _write(plans)


def _claim_attachments(plan: _Plan) -> None:
    for attachment in plan.attachments:
        # Claimed only if still unsent: a second tab sending the same chips gets an error.
        claimed = Attachment.objects.filter(pk=attachment.pk, message__isnull=True).update(
            message=plan.user_message, detail=attachment.detail
        )
        if not claimed:
            raise ValidationError(
                {"attachments": "An attachment was sent meanwhile; attach it again."}
            )


def _started(plan: _Plan) -> StartedTurn:
    return StartedTurn(plan.turn, [plan.user_message], plan.runs, plan.refused, plan.attachments,
                       conversation_turns=plan.conversation_turns)  # fmt: skip


def start_turns(sends: list[Send], before_writing: BeforeWriting | None = None
                ) -> list[StartedTurn | ValidationError]:  # fmt: skip
    """Start a turn for each send (at most one per conversation), in one transaction; each
    result is the started turn or why that send was refused (nothing of it is saved then).
    A pane that cannot answer (no model, a connection the sender may not use, a medium its
    model cannot take) gets its refusal as its answer while the others run.

    `before_writing` is handed the turns of the sends without attachments once their rows
    are built and before they are written (chat.engine.turns starts their requests then);
    the rows it holds get their ids when the write is done."""
    panes = panes_by_conversation([send.conversation for send in sends])
    teams = sender_teams([send.sender_id for send in sends])
    checked: list[_Plan | ValidationError] = []
    for send in sends:
        try:
            checked.append(_check(send, panes[send.conversation.pk], teams.get(send.sender_id)))
        except ValidationError as error:
            checked.append(error)
    plain = [p for p in checked if isinstance(p, _Plan) and not p.attachments]
    started: dict[int, StartedTurn] = {}
    if plain:
        _build(plain)
        started = {id(plan): _started(plan) for plan in plain}
        if before_writing is not None:
            before_writing(list(started.values()))
    with transaction.atomic():
        if plain:
            _write(plain)
        for index, plan in enumerate(checked):
            if not isinstance(plan, _Plan) or not plan.attachments:
                continue
            try:
                with transaction.atomic():  # a savepoint: this send fails alone
                    _save([plan])
                    _claim_attachments(plan)
            except ValidationError as error:
                checked[index] = error
    return [
        plan if isinstance(plan, ValidationError) else started.get(id(plan)) or _started(plan)
        for plan in checked
    ]


def start_turn(
    conversation: Conversation,
    text: str,
    attachment_ids: list[str] | None = None,
    details: dict[str, str] | None = None,
    *,
    user_id: int | None = None,
) -> StartedTurn:
    """One send (start_turns) by `user_id` (the author when None); raises ValidationError
    when it is refused."""
    [result] = start_turns([Send(conversation, text, attachment_ids or [], details or {}, user_id)])
    if isinstance(result, ValidationError):
        raise result
    return result


def start_tool_turn(
    conversation: Conversation, message_id: int, results: dict[str, str], *,
    user_id: int | None = None,
) -> StartedTurn:  # fmt: skip
    """Save what `user_id` (the author when None) typed for the tool calls of a pane's latest
    answer, then start that pane's next answer in the same turn. All or nothing: refused
    input leaves no rows."""
    with transaction.atomic():
        answered = (
            Message.objects.select_for_update()
            .select_related("pane__connection", "turn")
            .filter(conversation=conversation, pk=message_id, role=Message.Role.ASSISTANT)
            .first()
        )
        if answered is None or not answered.tool_calls or answered.pane is None:
            raise ToolResultsError("Those tool calls are gone; reload the page.")
        later = Message.objects.filter(
            turn=answered.turn, pane=answered.pane, alternative=answered.alternative,
            replaced=False, pk__gt=answered.pk,
        )  # fmt: skip
        if later.exists() or Turn.objects.filter(parent=answered.turn_id).exists():
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
        sender = user_id if user_id is not None else conversation.owner_id
        if not permissions.may_use_connection(
            spec.connection.team_id, sender_teams([sender]).get(sender)
        ):
            raise ToolResultsError(NOT_YOURS)
        tool_messages = [
            Message.objects.create(
                conversation=conversation,
                turn=answered.turn,
                pane=answered.pane,
                role=Message.Role.TOOL,
                content=results[call["id"]].strip(),
                tool_call_id=call["id"],
                tool_name=call["name"],
                alternative=answered.alternative,
            )  # fmt: skip
            for call in answered.tool_calls
        ]
        Turn.objects.filter(pk=answered.turn_id).update(finished_at=None)  # it goes on
        answer = Message.objects.create(
            conversation=conversation, turn=answered.turn, pane=answered.pane,
            role=Message.Role.ASSISTANT, status=Message.Status.STREAMING,
            alternative=answered.alternative,
        )  # fmt: skip
        run = run_row(answered.turn, answered.pane, spec, "", answer, sender)
        run.save(force_insert=True)
        conversation.save(update_fields=["updated_at"])
    return StartedTurn(answered.turn, tool_messages, [run], answered=answered)
