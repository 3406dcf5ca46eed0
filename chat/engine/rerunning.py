"""Running a turn again, saved in one transaction like a send (chat.engine.starting):

- Regenerate: a pane (or every pane) answers a turn anew; the earlier answers stay beside it
  as alternatives, and the new one is chosen (shown, and sent on by later turns).
- Re-run from here: the turn's shared messages up to one of them are copied into a new turn
  beside it (a branch), which every pane answers; the old turn and everything after it stay
  as the other branch, one click away.

Plain synchronous ORM code.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chat import attachments, blind
from chat.engine.specs import PaneSpec
from chat.engine.starting import StartedTurn, refusal, run_row, sender_teams
from chat.engine.store import panes_of
from chat.models import Attachment, Conversation, Message, Pane, Run, Turn


class NotRerun(ValueError):
    """Why the turn cannot run again (shown to the user as it is)."""


BUSY = "Wait for the answers to finish (or stop them) first."


def _message(conversation: Conversation, message_id: int) -> Message:
    message = (
        Message.objects.select_related("turn", "pane")
        .filter(conversation=conversation, pk=message_id, replaced=False)
        .first()
    )
    if message is None or message.turn is None:
        raise NotRerun("That message is gone; reload the page.")
    return message


def _refuse_if_streaming(conversation: Conversation, panes: list[Pane]) -> None:
    if Run.objects.filter(
        conversation=conversation, pane__in=panes, status=Run.Status.STREAMING
    ).exists():
        raise NotRerun(BUSY)


def _shared_attachments(turn: Turn) -> list[Attachment]:
    return list(
        Attachment.objects.filter(message__turn=turn, message__pane__isnull=True,
                                  message__replaced=False).select_related("blob")
    )  # fmt: skip


def _sender(conversation: Conversation, user_id: int | None) -> int:
    return user_id if user_id is not None else conversation.owner_id


def _answers(turn: Turn, panes: list[Pane], sent: list[Attachment], numbers: dict[int, int],
             user_id: int) -> tuple[list[Run], list[Run]]:  # fmt: skip
    """Each pane's new answer and run (refused at once when the pane cannot answer, for
    `user_id` too: a connection they may not use), as alternative `numbers[pane]`; returns
    (to start, refused)."""
    started, refused = [], []
    teams = sender_teams([user_id]).get(user_id)
    for pane in panes:
        spec = PaneSpec.of(pane)
        _field, reason = refusal(spec, sent, teams)
        answer = Message.objects.create(
            conversation_id=turn.conversation_id, turn=turn, pane=pane,
            role=Message.Role.ASSISTANT, alternative=numbers.get(pane.pk, 1),
            status=Message.Status.ERROR if reason else Message.Status.STREAMING,
        )  # fmt: skip
        run = run_row(turn, pane, spec, reason, answer, user_id)
        run.save(force_insert=True)
        (refused if reason else started).append(run)
    return started, refused


def regenerate(conversation: Conversation, message_id: int, *, every_pane: bool,
               user_id: int | None = None) -> StartedTurn:  # fmt: skip
    """Answer `message_id`'s turn anew, asked by `user_id` (the author when None): in the
    message's pane, or in every pane when `every_pane` (or when it is a shared message).
    Raises NotRerun."""
    with transaction.atomic():
        message = _message(conversation, message_id)
        turn = message.turn
        assert turn is not None
        all_panes = panes_of(conversation)
        panes = all_panes if every_pane or message.pane is None else [
            pane for pane in all_panes if pane.pk == message.pane_id
        ]  # fmt: skip
        _refuse_if_streaming(conversation, panes)
        highest = dict(
            Message.objects.filter(turn=turn, pane__in=panes)
            .values_list("pane_id").annotate(Max("alternative"))
        )  # fmt: skip
        numbers = {pane.pk: (highest.get(pane.pk) or 0) + 1 for pane in panes}
        started, refused = _answers(turn, panes, _shared_attachments(turn), numbers,
                                    _sender(conversation, user_id))  # fmt: skip
        turn.chosen = {**(turn.chosen or {}), **{str(pk): n for pk, n in numbers.items()}}
        turn.requested_at, turn.finished_at = timezone.now(), None
        turn.save(update_fields=["chosen", "requested_at", "finished_at"])
        conversation.save(update_fields=["updated_at"])
    return StartedTurn(turn, [], started, refused)


def branch(conversation: Conversation, message: Message, owner, *, including: bool = True
           ) -> tuple[Turn, list[Message], list[Attachment]]:  # type: ignore[no-untyped-def]  # fmt: skip
    """A new branch beside `message`'s turn, made the active one: a turn holding copies of the
    turn's shared messages before `message` (and `message` itself when `including`), their
    attachments by reference. Returns (the turn, the copies, their attachments). Raises
    NotRerun while a pane streams. Call inside a transaction."""
    if message.pane_id is not None:
        raise NotRerun("Re-run from a message every pane shares: yours, or one you added.")
    old = message.turn
    assert old is not None
    panes = panes_of(conversation)
    _refuse_if_streaming(conversation, panes)
    Turn.objects.filter(conversation=conversation, parent_id=old.parent_id).update(active=False)
    order = blind.shuffled(conversation, [pane.pk for pane in panes])
    turn = Turn.objects.create(conversation=conversation, parent_id=old.parent_id, active=True,
                               requested_at=timezone.now(), arena_order=order)  # fmt: skip
    last = (message.created_at, message.pk)
    originals = [
        m for m in Message.objects.filter(turn=old, pane__isnull=True, replaced=False)
        .prefetch_related("attachments").order_by("created_at", "pk")
        if (m.created_at, m.pk) < last or (including and (m.created_at, m.pk) == last)
    ]  # fmt: skip
    copies = [
        Message.objects.create(
            conversation=conversation,
            turn=turn,
            role=m.role,
            content=m.content,
            tool_calls=m.tool_calls,
            tool_call_id=m.tool_call_id,
            tool_name=m.tool_name,
            status=Message.Status.DONE,
        )  # fmt: skip
        for m in originals
    ]
    sent = Attachment.objects.bulk_create([
        attachments.copied(a, conversation, copy, owner)
        for original, copy in zip(originals, copies, strict=True)
        for a in original.attachments.all()
    ])  # fmt: skip
    return turn, copies, sent


def rerun_from(conversation: Conversation, message_id: int, owner,  # type: ignore[no-untyped-def]
               user_id: int | None = None) -> StartedTurn:  # fmt: skip
    """Re-run from a shared message (the user's, or one added by hand), asked by `user_id`
    (the author when None): a new branch beside its turn holding the turn's shared messages
    up to it, answered by every pane. Raises NotRerun."""
    with transaction.atomic():
        message = _message(conversation, message_id)
        turn, copies, sent = branch(conversation, message, owner)
        started, refused = _answers(turn, panes_of(conversation), sent, {},
                                    _sender(conversation, user_id))  # fmt: skip
        conversation.save(update_fields=["updated_at"])
    return StartedTurn(turn, copies, started, refused, sent)
