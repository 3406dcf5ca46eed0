"""Deleting a conversation — by its owner, or with a removed member's account — stops its
streaming runs first, so no provider goes on streaming (and billing) into a row that is gone."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from chat.engine.runs import request_stop
from chat.models import Conversation, Run


@receiver(pre_delete, sender=Conversation, dispatch_uid="stop-runs-of-deleted-conversation")
def stop_runs_of_deleted_conversation(sender, instance: Conversation, **kwargs) -> None:  # type: ignore[no-untyped-def]
    streaming = Run.objects.filter(conversation=instance, status=Run.Status.STREAMING)
    for run_id in streaming.values_list("id", flat=True):
        async_to_sync(request_stop)(str(run_id))
