"""Add message by hand: a user or assistant message, or a tool call with its result, written
into the conversation without running a model — few-shot examples, a simulated tool exchange.
Such messages belong to every pane (no pane of their own), so every pane's next request
sends them, each provider in its own format (chat.engine.plans)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from chat.engine import paths
from chat.models import Conversation, Message, Turn

ROLES = {"user": "User", "assistant": "Assistant", "tool": "Tool call and result"}
MAX_TEXT = 200_000


class NotAdded(ValueError):
    """Why the message cannot be added, for the person who wrote it."""


@dataclass(frozen=True)
class ByHand:
    role: str
    text: str = ""
    tool_name: str = ""
    arguments: str = ""
    result: str = ""

    def checked(self) -> ByHand:
        if self.role not in ROLES:
            raise NotAdded("Pick a role: user, assistant, or a tool call with its result.")
        if self.role != "tool":
            if not self.text.strip():
                raise NotAdded("Type the message first.")
            if len(self.text) > MAX_TEXT:
                raise NotAdded(f"A message written by hand takes at most {MAX_TEXT:,} characters.")
            return self
        if not self.tool_name.strip():
            raise NotAdded("Name the tool that was called.")
        if not self.result.strip():
            raise NotAdded("Type what the tool returned.")
        return self

    def parsed_arguments(self) -> dict:
        if not self.arguments.strip():
            return {}
        try:
            parsed = json.loads(self.arguments)
        except ValueError as error:
            raise NotAdded(f"The arguments are not JSON: {error.msg} (line {error.lineno}, "
                           f"column {error.colno}).") from None  # fmt: skip
        if not isinstance(parsed, dict):
            raise NotAdded('The arguments must be a JSON object, like {"city": "Oslo"}.')
        return parsed


def add_by_hand(conversation: Conversation, entry: ByHand) -> list[Message]:
    """Write the message (or the call and its result) as a finished turn of its own."""
    entry = entry.checked()
    arguments = entry.parsed_arguments() if entry.role == "tool" else {}
    if conversation.messages.filter(status=Message.Status.STREAMING).exists():
        raise NotAdded("Wait for the answers to finish (or stop them) before adding a message.")
    now = timezone.now()
    with transaction.atomic():
        follows = paths.leaf(paths.turns_of([conversation.pk])[conversation.pk])
        turn = Turn.objects.create(conversation=conversation, requested_at=now, finished_at=now,
                                   parent=follows)  # fmt: skip
        common = {"conversation": conversation, "turn": turn, "status": Message.Status.DONE}
        if entry.role == "user":
            added = [Message.objects.create(role=Message.Role.USER, content=entry.text, **common)]
        elif entry.role == "assistant":
            added = [Message.objects.create(role=Message.Role.ASSISTANT, content=entry.text,
                                            **common)]  # fmt: skip
        else:
            call_id = f"call_{uuid.uuid4().hex[:12]}"
            name = entry.tool_name.strip()
            call = Message.objects.create(
                role=Message.Role.ASSISTANT, content="",
                tool_calls=[{"id": call_id, "name": name, "arguments": arguments}], **common,
            )  # fmt: skip
            result = Message.objects.create(role=Message.Role.TOOL, content=entry.result.strip(),
                                            tool_call_id=call_id, tool_name=name, **common)  # fmt: skip
            added = [call, result]
        conversation.save(update_fields=["updated_at"])
    return added
