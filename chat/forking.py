"""Fork from here: a new conversation holding a conversation up to one of its messages — its
panes and their settings, every earlier turn, and the messages of that message's own turn up
to it — to take the conversation another way without touching the original. Attachments are
shared by reference (the same stored bytes); runs are not copied (a fork has no history of
requests of its own)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from chat.models import Attachment, Conversation, Message, Pane, Turn
from chat.pane_settings import copied_settings

FORK_SUFFIX = " (fork)"


def kept(conversation: Conversation, until: Message):
    """The messages a fork from `until` keeps, in order."""
    earlier = Q(turn__isnull=False, turn_id__lt=until.turn_id) if until.turn_id else Q(pk__lt=0)
    same_turn = Q(turn_id=until.turn_id, pk__lte=until.pk) if until.turn_id else Q()
    no_turn = Q(turn__isnull=True, pk__lte=until.pk)
    return (
        conversation.messages.filter(earlier | same_turn | no_turn)
        .exclude(status=Message.Status.STREAMING)
        .select_related("turn")
        .prefetch_related("attachments")
        .order_by("pk")
    )


def fork(conversation: Conversation, until: Message, owner) -> Conversation:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        title = (conversation.title or "")[: 200 - len(FORK_SUFFIX)]
        copy = Conversation.objects.create(
            owner=owner, title=f"{title}{FORK_SUFFIX}" if title else "",
            sync_settings=conversation.sync_settings,
        )  # fmt: skip
        panes = {
            pane.pk: Pane.objects.create(
                conversation=copy, position=pane.position, **copied_settings(pane)
            )  # fmt: skip
            for pane in conversation.panes.order_by("position")
        }
        # One insert per table, however long the conversation.
        originals = list(kept(conversation, until))
        old_turns = {m.turn_id: m.turn for m in originals if m.turn_id is not None}
        turns = dict(zip(old_turns, Turn.objects.bulk_create([
            Turn(conversation=copy, requested_at=turn.requested_at,
                 finished_at=turn.finished_at or turn.requested_at)
            for turn in old_turns.values()
        ]), strict=True))  # fmt: skip
        attached = [list(message.attachments.all()) for message in originals]
        for message in originals:
            message.pk = None  # saved as a new row
            message.conversation, message.turn = copy, turns.get(message.turn_id)
            message.pane = panes.get(message.pane_id) if message.pane_id else None
        copies = Message.objects.bulk_create(originals)
        Attachment.objects.bulk_create([
            Attachment(conversation=copy, message=message, blob_id=a.blob_id, kind=a.kind,
                       name=a.name, original_type=a.original_type,
                       original_size=a.original_size, media_type=a.media_type,
                       width=a.width, height=a.height, duration_s=a.duration_s,
                       detail=a.detail, notes=a.notes, created_by=owner)
            for message, theirs in zip(copies, attached, strict=True) for a in theirs
        ])  # fmt: skip
    return copy
