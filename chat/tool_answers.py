"""Saved answers to tool calls, found by another app: the library registers a finder for its
fixtures (chat never imports the library; the library depends on chat). A finder gets the
conversation and the unanswered calls and returns the saved result for those it can answer,
by call id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Finder = Callable[[Any, Sequence[dict[str, Any]]], dict[str, str]]
_finders: list[Finder] = []


def register(finder: Finder) -> None:
    if finder not in _finders:
        _finders.append(finder)


def saved_answers(conversation: Any, calls: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The saved result of each call some finder can answer, by call id."""
    found: dict[str, str] = {}
    for finder in _finders:
        for call_id, result in finder(conversation, calls).items():
            found.setdefault(call_id, result)
    return found


def for_message(message_id: int, calls: Sequence[dict[str, Any]]) -> dict[str, str]:
    """saved_answers for a message's calls, in the conversation it belongs to (sync: it
    queries; a finished run looks them up before its frame is drawn on the event loop)."""
    from chat.models import Conversation  # the models import nothing from here

    if not calls or not _finders:
        return {}
    conversation = (Conversation.objects.filter(messages__pk=message_id)
                    .select_related("owner").first())  # fmt: skip
    return saved_answers(conversation, calls) if conversation else {}
