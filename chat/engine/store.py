"""Database side of runs: written once when a turn starts and once when each run ends.

Plain synchronous ORM code; the async engine (chat.runs) calls it through
database_sync_to_async.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from chat.attachments import attachments_for_send, check_model_takes
from chat.models import Attachment, Conversation, Message, Run
from chat.run_settings import RunSettings
from connections.models import Connection

TITLE_CHARS = 60
WITH_BLOBS = Prefetch("attachments", Attachment.objects.select_related("blob"))


@dataclass(frozen=True)
class Turn:
    new_messages: list[Message]  # the user's message, or the tool results typed
    runs: list[Run]
    answered: Message | None = None  # the assistant message whose tool calls were answered
    attachments: list[Attachment] = field(default_factory=list)  # the user message's


class ToolResultsError(ValueError):
    """The tool results cannot be taken (shown to the user as it is)."""


def _save_settings(conversation: Conversation, settings: RunSettings) -> None:
    if settings.system_prompt is not None:
        conversation.system_prompt = settings.system_prompt
    conversation.settings = settings.saved_over(conversation.settings)


def _start_answer(conversation: Conversation, connection: Connection, settings: RunSettings) -> Run:
    """A streaming assistant message and its run, offered the conversation's tools box."""
    answer = Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.STREAMING
    )
    box = conversation.settings or {}
    return Run.objects.create(
        conversation=conversation,
        message=answer,
        connection=connection,
        provider=connection.kind,
        model=settings.model,
        parameters=settings.params,
        tools=box.get("tools") or [],
        tool_choice=box.get("tool_choice") or "",
        output_schema=box.get("output_schema"),
    )


def start_turn(
    conversation: Conversation,
    text: str,
    settings: RunSettings,
    attachment_ids: list[str] | None = None,
    details: dict[str, str] | None = None,
) -> Turn:
    """Save the settings, the user's message with its attachments, and one streaming answer +
    run (one transaction). Attachments the model cannot take are refused before anything is
    saved (ValidationError).

    Taking a list of settings later lets side-by-side panes start several runs per turn."""
    connection = Connection.objects.get(pk=settings.connection_id)
    attachments = attachments_for_send(conversation, attachment_ids or [], details or {})
    check_model_takes(connection, settings.model, attachments)
    with transaction.atomic():
        _save_settings(conversation, settings)
        if not conversation.title:
            first_line = " ".join(text.split())
            conversation.title = first_line[:TITLE_CHARS] + (
                "…" if len(first_line) > TITLE_CHARS else ""
            )
        conversation.save()
        user_message = Message.objects.create(
            conversation=conversation, role=Message.Role.USER, content=text
        )
        for attachment in attachments:
            # Claimed only if still unsent: a second tab sending the same chips gets an error.
            claimed = Attachment.objects.filter(pk=attachment.pk, message__isnull=True).update(
                message=user_message, detail=attachment.detail
            )
            if not claimed:
                raise ValidationError({"attachments": "An attachment was sent meanwhile; attach "
                                                      "it again."})  # fmt: skip
        run = _start_answer(conversation, connection, settings)
    return Turn(new_messages=[user_message], runs=[run], attachments=attachments)


def start_tool_turn(
    conversation: Conversation, message_id: int, results: dict[str, str], settings: RunSettings
) -> Turn:
    """Save the results the user typed for the tool calls of the conversation's last answer,
    then start the next answer. All or nothing: refused input leaves no rows."""
    connection = Connection.objects.get(pk=settings.connection_id)
    with transaction.atomic():
        answered = (
            Message.objects.select_for_update()
            .filter(conversation=conversation, pk=message_id, role=Message.Role.ASSISTANT)
            .first()
        )
        if answered is None or not answered.tool_calls:
            raise ToolResultsError("Those tool calls are gone; reload the page.")
        if Message.objects.filter(conversation=conversation, pk__gt=answered.pk).exists():
            raise ToolResultsError(
                "The conversation went on after these tool calls; only the latest answer's "
                "calls can be answered."
            )
        missing = [c["name"] for c in answered.tool_calls if not results.get(c["id"], "").strip()]
        if missing:
            raise ToolResultsError(f"Type a result for every call ({', '.join(missing)}).")
        _save_settings(conversation, settings)
        conversation.save()
        tool_messages = [
            Message.objects.create(
                conversation=conversation,
                role=Message.Role.TOOL,
                content=results[call["id"]].strip(),
                tool_call_id=call["id"],
                tool_name=call["name"],
            )
            for call in answered.tool_calls
        ]
        run = _start_answer(conversation, connection, settings)
    return Turn(new_messages=tool_messages, runs=[run], answered=answered)


def history_for(run: Run) -> list[Message]:
    """The messages before this run's answer that a model should see: every user message and
    tool result, and every earlier answer with text or tool calls (a stopped answer counts as
    what was said)."""
    return list(
        Message.objects.filter(conversation_id=run.conversation_id, id__lt=run.message_id)
        .filter(
            Q(role__in=[Message.Role.USER, Message.Role.TOOL])
            | Q(status__in=[Message.Status.DONE, Message.Status.STOPPED], content__gt="")
            | (Q(status=Message.Status.DONE) & ~Q(tool_calls=[]))
        )
        .prefetch_related(WITH_BLOBS)
        .order_by("created_at", "id")
    )


def load_run(run_id: str) -> Run:
    return Run.objects.select_related("conversation", "connection", "message").get(pk=run_id)


def finish_run(
    run_id: str,
    *,
    text: str,
    status: str,
    fields: dict[str, Any],
    tool_calls: list[dict[str, Any]] | None = None,
) -> Message:
    """Write the end of a run: its answer's text, tool calls and status, and its figures."""
    with transaction.atomic():
        Run.objects.filter(pk=run_id).update(status=status, finished_at=timezone.now(), **fields)
        run = Run.objects.select_related("message").get(pk=run_id)
        message = run.message
        message.content = text
        message.status = status
        message.tool_calls = tool_calls or []
        message.save(update_fields=["content", "status", "tool_calls"])
    return message


def streaming_runs(conversation_id: int) -> list[Run]:
    return list(
        Run.objects.filter(conversation_id=conversation_id, status=Run.Status.STREAMING).only(
            "id", "message_id", "started_at"
        )
    )


def mark_interrupted(run_id: str, message: str, *, older_than_seconds: float) -> bool:
    """Give up on a run nobody answers for (its process died). Only a run still marked
    streaming and old enough is touched; a live run's own end would overwrite it anyway."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    with transaction.atomic():
        updated = Run.objects.filter(
            pk=run_id, status=Run.Status.STREAMING, started_at__lt=cutoff
        ).update(
            status=Run.Status.ERROR,
            finished_at=timezone.now(),
            error_kind="Interrupted",
            error_message=message,
        )
        if updated:
            Message.objects.filter(run__id=run_id).update(status=Message.Status.ERROR)
    return bool(updated)


def messages_for_page(conversation_id: int) -> list[Message]:
    """A conversation's messages with their runs and attachments: three queries whatever the
    length."""
    return list(
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("run")
        .prefetch_related(WITH_BLOBS)
        .order_by("created_at", "id")
    )


def message_with_run(message_id: int) -> Message:
    return Message.objects.select_related("run").prefetch_related(WITH_BLOBS).get(pk=message_id)
