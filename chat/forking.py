"""Fork from here: a new conversation holding a conversation up to one of its messages — its
panes and their settings, every earlier turn, and the messages of that message's own turn up
to it — to take the conversation another way without touching the original. Attachments are
shared by reference (the same stored bytes); runs are not copied (a fork has no history of
requests of its own)."""

from __future__ import annotations

from django.db import transaction

from chat import attachments
from chat.engine import paths
from chat.models import Attachment, Conversation, Message, Pane, Turn
from chat.pane_settings import copied_settings

FORK_SUFFIX = " (fork)"


def kept(conversation: Conversation, until: Message) -> list[Message]:
    """The messages a fork from `until` keeps, in order: its branch as shown (each pane's
    chosen answers, no replaced revision), and of its own turn what came up to it."""
    turns = paths.turns_of([conversation.pk])[conversation.pk]
    everything = list(conversation.messages.select_related("turn").prefetch_related("attachments"))
    path = paths.ancestry(turns, until.turn_id) if until.turn_id else []
    mark = (until.created_at, until.pk)
    return [
        message
        for message in paths.on_path(everything, path, paths.Alternatives.of(everything))
        if message.status != Message.Status.STREAMING
        and (message.turn_id != until.turn_id or (message.created_at, message.pk) <= mark)
        and (message.turn_id is not None or message.pk <= until.pk)
    ]


def fork(conversation: Conversation, until: Message, owner) -> Conversation:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        title = (conversation.title or "")[: 200 - len(FORK_SUFFIX)]
        copy = Conversation.objects.create(
            owner=owner, title=f"{title}{FORK_SUFFIX}" if title else "",
            sync_settings=conversation.sync_settings, blind=conversation.blind,
        )  # fmt: skip
        panes = {
            pane.pk: Pane.objects.create(
                conversation=copy, position=pane.position, **copied_settings(pane)
            )  # fmt: skip
            for pane in conversation.panes.order_by("position")
        }
        # One insert per table, however long the conversation.
        originals = kept(conversation, until)
        old_turns = {m.turn_id: m.turn for m in originals if m.turn_id is not None}
        turns = dict(zip(old_turns, Turn.objects.bulk_create([
            Turn(conversation=copy, requested_at=turn.requested_at,
                 finished_at=turn.finished_at or turn.requested_at)
            for turn in old_turns.values()
        ]), strict=True))  # fmt: skip
        paths.chain(list(turns.values()))
        attached = [list(message.attachments.all()) for message in originals]
        for message in originals:
            message.pk = None  # saved as a new row
            message.conversation, message.turn = copy, turns.get(message.turn_id)
            message.pane = panes.get(message.pane_id) if message.pane_id else None
            message.alternative, message.edited_from = 1, None  # only the shown ones come
        copies = Message.objects.bulk_create(originals)
        Attachment.objects.bulk_create([
            attachments.copied(a, copy, message, owner)
            for message, theirs in zip(copies, attached, strict=True) for a in theirs
        ])  # fmt: skip
    return copy
