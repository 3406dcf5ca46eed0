"""Open in playground and Compare versions: a new conversation whose panes are set up from
prompt versions (one, or several × models), the variables filled in, the messages written as
they are compiled. The last message, when it is yours, is left unanswered for the page to
run (it asks every pane over its socket, as Regenerate does)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from chat.models import Conversation, Message, Pane, Turn
from connections.models import Connection
from library import variables
from library.models import Prompt, PromptVersion

MAX_PANES = Pane.MAX_PER_CONVERSATION


def names_of(version: PromptVersion) -> list[str]:
    texts = [version.system_prompt, *(m.get("content", "") for m in version.messages)]
    return variables.names_in(texts)


def _connection(version: PromptVersion, user: Any) -> Connection | None:
    """The opener's connection of the name and kind the version was saved with (a site one
    first); none when they have no such connection to use."""
    return (Connection.objects.filter(permissions.usable_connections(user),
                                      name=version.connection_name,
                                      kind=version.connection_kind)
            .order_by("team", "pk").first())  # fmt: skip


def _pane_fields(version: PromptVersion, values: Mapping[str, str], user: Any,
                 model: str = "") -> dict:  # fmt: skip
    return {
        "connection": _connection(version, user), "model": model or version.model,
        "params": version.params, "tools": version.tools, "tool_choice": version.tool_choice,
        "output_schema": version.output_schema,
        "system_prompt": variables.compiled(version.system_prompt, values),
        "source": {"prompt": version.prompt_id, "version": version.pk,
                   "number": version.number, "name": version.prompt.name},
        "variables": dict(values),
    }  # fmt: skip


def _write_messages(conversation: Conversation, version: PromptVersion,
                    values: Mapping[str, str]) -> Message | None:  # fmt: skip
    """The version's messages as shared turns (a user message starts one); the last user
    message, if nothing answers it yet, is returned to be run."""
    now, turn, last_user = timezone.now(), None, None
    for entry in version.messages:
        role = entry.get("role")
        if role not in ("user", "assistant", "tool"):
            continue
        if role == "user" or turn is None:
            turn = Turn.objects.create(conversation=conversation, parent=turn, requested_at=now,
                                       finished_at=now)  # fmt: skip
        message = Message.objects.create(
            conversation=conversation, turn=turn, role=role, status=Message.Status.DONE,
            content=variables.compiled(entry.get("content", ""), values),
            tool_calls=entry.get("tool_calls") or [], tool_call_id=entry.get("tool_call_id", ""),
            tool_name=entry.get("tool_name", ""),
        )  # fmt: skip
        last_user = message if role == "user" else None
    return last_user


def open_versions(owner: Any, choices: Sequence[tuple[PromptVersion, str]],
                  values: Mapping[str, str]) -> tuple[Conversation, Message | None]:  # fmt: skip
    """A conversation with a pane per (version, model) — model "" keeps the version's — the
    messages of the first version. NotFilled when a variable is missing or unknown."""
    if not 1 <= len(choices) <= MAX_PANES:
        raise variables.NotFilled(f"Pick between 1 and {MAX_PANES} versions × models.")
    names = list(dict.fromkeys(name for version, _ in choices for name in names_of(version)))
    filled = variables.check(names, values)
    first = choices[0][0]
    title = f"{first.prompt.name} v{first.number}" if len(choices) == 1 else (
        f"{first.prompt.name}: " + " vs ".join(f"v{v.number}" + (f" {m}" if m else "")
                                               for v, m in choices))  # fmt: skip
    with transaction.atomic():
        conversation = Conversation.objects.create(owner=owner, title=title[:200])
        Pane.objects.bulk_create([
            Pane(conversation=conversation, position=position,
                 **_pane_fields(v, filled, owner, m))  # fmt: skip
            for position, (v, m) in enumerate(choices)
        ])  # fmt: skip
        to_run = _write_messages(conversation, first, filled)
        Prompt.objects.filter(pk__in={v.prompt_id for v, _ in choices}).update(
            used_at=timezone.now()
        )
    return conversation, to_run
