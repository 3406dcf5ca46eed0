"""Edit message: a message's text (and a user message's attachments) changed in place, as the
page sees it ("Save"), or on a new branch ("Save and re-run", edit_into_branch). Underneath, the edit is a new revision: the old row stays, `replaced`, so a run
that sent it is still recorded as having sent exactly that (its snapshot names message ids),
and the new row takes its place in the turn — same turn, pane, alternative and moment.

The files a user adds are checked and normalised before anything is written; the edit is
saved in one transaction or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from chat import attachments
from chat.engine import rerunning
from chat.models import Attachment, Message

MAX_TEXT = 200_000


class NotEdited(ValueError):
    """Why the edit cannot be saved, for the person who made it."""


@dataclass(frozen=True)
class NewFile:
    """A file added in the edit, already checked and normalised (attachments.normalized)."""

    name: str
    claimed: str
    data: bytes
    kind: str
    processed: Any  # ImageFile | AudioFile


def _check(message: Message, text: str, kept: Sequence[Attachment], added: Sequence[NewFile]
           ) -> None:  # fmt: skip
    if message.status == Message.Status.STREAMING:
        raise NotEdited("Wait for the answer to finish (or stop it) before editing it.")
    if len(text) > MAX_TEXT:
        raise NotEdited(f"A message takes at most {MAX_TEXT:,} characters.")
    if message.role == Message.Role.USER and not text.strip() and not kept and not added:
        raise NotEdited("A message needs text or an attachment.")
    if message.role == Message.Role.TOOL and not text.strip():
        raise NotEdited("Type what the tool returned.")
    if (message.role == Message.Role.ASSISTANT and not text.strip()
            and not message.tool_calls):  # fmt: skip
        raise NotEdited("An answer needs text; delete it instead to remove it.")
    if added and message.role != Message.Role.USER:
        raise NotEdited("Only your own messages take attachments.")
    limit = settings.PLAYGROUND_MAX_ATTACHMENTS
    if len(kept) + len(added) > limit:
        raise NotEdited(f"A message takes at most {limit} attachments; keep fewer.")


def _locked(message: Message) -> Message:
    current = (
        Message.objects.select_for_update()
        .filter(pk=message.pk, replaced=False)
        .select_related("turn", "conversation")
        .prefetch_related("attachments")
        .first()
    )
    if current is None:
        raise NotEdited("That message was edited or deleted meanwhile; reload the page.")
    return current


def _write(current: Message, text: str, kept: Sequence[Attachment], added: Sequence[NewFile],
           owner: Any, **place: Any) -> Message:  # fmt: skip
    """The edited message, at `place` (its turn, pane, alternative), with its attachments."""
    revision = Message.objects.create(
        conversation_id=current.conversation_id, role=current.role, content=text,
        reasoning=current.reasoning, status=current.status, tool_calls=current.tool_calls,
        tool_call_id=current.tool_call_id, tool_name=current.tool_name, edited_from=current,
        **place,
    )  # fmt: skip
    Attachment.objects.bulk_create(
        [attachments.copied(a, current.conversation, revision, owner) for a in kept]
    )
    for new in added:
        attachments.save_normalized(
            current.conversation, owner, new.name, new.claimed, new.data, new.kind,
            new.processed, message=revision,
        )  # fmt: skip
    return revision


def _kept(current: Message, keep: Sequence[str]) -> list[Attachment]:
    wanted = set(keep)
    return [a for a in current.attachments.all() if str(a.pk) in wanted]


def edit_message(message: Message, text: str, *, keep: Sequence[str] = (),
                 added: Sequence[NewFile] = (), user: Any = None) -> Message:  # fmt: skip
    """Save `text` (and the attachments kept and added) as the message's new revision, in
    its place; returns it. Raises NotEdited (nothing saved then)."""
    with transaction.atomic():
        current = _locked(message)
        kept = _kept(current, keep)
        _check(current, text, kept, added)
        revision = _write(current, text, kept, added, user or current.conversation.owner,
                          turn_id=current.turn_id, pane_id=current.pane_id,
                          alternative=current.alternative)  # fmt: skip
        # It stands where the message stood (a page orders a turn's messages by this).
        Message.objects.filter(pk=revision.pk).update(created_at=current.created_at)
        revision.created_at = current.created_at
        Message.objects.filter(pk=current.pk).update(replaced=True)
    return revision


def edit_into_branch(message: Message, text: str, *, keep: Sequence[str] = (),
                     added: Sequence[NewFile] = (), user: Any = None) -> Message:  # fmt: skip
    """ "Save and re-run": the edited message starts a new branch beside its turn (the shared
    messages before it copied along), and the message stays as it was on the old branch with
    the answers it got. Returns the edited message, which no pane has answered yet (the
    caller has every pane answer it: chat.engine.turns.regenerate). Raises NotEdited."""
    with transaction.atomic():
        current = _locked(message)
        kept = _kept(current, keep)
        _check(current, text, kept, added)
        if current.turn_id is None or current.pane_id is not None:
            raise NotEdited("Only a message every pane shares re-runs; save it instead.")
        owner = user or current.conversation.owner
        try:
            turn, _copies, _sent = rerunning.branch(current.conversation, current, owner,
                                                    including=False)  # fmt: skip
        except rerunning.NotRerun as refused:
            raise NotEdited(str(refused)) from refused
        return _write(current, text, kept, added, owner, turn=turn)
