"""Messages and their builders: `system()`, `user()`, `assistant()`, `tool_result()`.

A conversation is a list of `Message`; a plain string is shorthand for one user message.
Attachments (`Image`, `Audio`) ride on user messages and are encoded per provider.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from providers.errors import ConfigurationError
from providers.events import ToolCall

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class Attachment:
    data: bytes
    media_type: str

    @classmethod
    def from_bytes(cls, data: bytes, media_type: str) -> Attachment:
        if not data:
            raise ConfigurationError(f"{cls.__name__} is empty: attach a file with content.")
        return cls(data=bytes(data), media_type=media_type.lower())

    @classmethod
    def from_path(cls, path: str | Path) -> Attachment:
        path = Path(path)
        media_type, _ = mimetypes.guess_type(path.name)
        if media_type is None:
            raise ConfigurationError(
                f"Cannot tell the media type of {path.name}; use "
                f"{cls.__name__}.from_bytes(data, media_type) instead."
            )
        return cls.from_bytes(path.read_bytes(), media_type)


@dataclass(frozen=True, slots=True)
class Image(Attachment):
    """An image part. `detail` is OpenAI's low/high/auto hint, ignored elsewhere."""

    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Audio(Attachment):
    pass


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    metadata: dict = field(default_factory=dict, compare=False)
    tool_name: str | None = None  # on a tool result: the tool that was called


def system(text: str) -> Message:
    return Message(role="system", text=text)


def user(text: str = "", *attachments: Attachment) -> Message:
    return Message(role="user", text=text, attachments=tuple(attachments))


def assistant(text: str = "", tool_calls: Sequence[ToolCall] = ()) -> Message:
    return Message(role="assistant", text=text, tool_calls=tuple(tool_calls))


def tool_result(call_id: str, content: str, *, name: str | None = None) -> Message:
    """What a tool returned for the call `call_id`. `name` is the tool's; when it is not
    given it is found from the call earlier in the history (see `with_tool_names`)."""
    return Message(role="tool", text=content, tool_call_id=call_id, tool_name=name)


def with_tool_names(messages: Sequence[Message]) -> list[Message]:
    """The messages with every tool result naming its tool: the name it was given, else that
    of the latest earlier assistant call with its id (ids repeat across turns on servers
    that number calls per answer). Gemini and Ollama need the name; results carry only ids."""
    names: dict[str, str] = {}
    named: list[Message] = []
    for message in messages:
        for call in message.tool_calls:
            names[call.id] = call.name
        if message.role == "tool" and not message.tool_name:
            name = names.get(message.tool_call_id or "")
            if name:
                message = replace(message, tool_name=name)
        named.append(message)
    return named


MessagesInput = str | Message | Sequence[Message]


def as_messages(messages: MessagesInput) -> list[Message]:
    """Normalise the accepted inputs to a list of messages, refusing anything else clearly."""
    if isinstance(messages, str):
        return [user(messages)]
    if isinstance(messages, Message):
        return [messages]
    result = list(messages)
    for item in result:
        if not isinstance(item, Message):
            raise ConfigurationError(
                f"Messages must be built with system(), user(), assistant() or tool_result(); "
                f"got {type(item).__name__}."
            )
    if not result:
        raise ConfigurationError("There are no messages to send.")
    return result
