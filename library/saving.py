"""Save prompt and Save version: a pane's state (system prompt, its messages as templates,
model and parameters, tools and output schema) written as a new immutable version. Restore
writes an old version again as the newest; Move label points a label elsewhere, recorded.

Each change is one transaction; a refusal raises NotSaved with what to do instead."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts import permissions
from chat.engine import store
from chat.models import Message, Pane
from connections.models import Connection
from library.models import LABEL_PATTERN, Label, LabelMove, Prompt, PromptVersion, ToolVersion

COMPARED = ("system_prompt", "messages", "connection_name", "connection_kind", "model",
            "params", "tools", "tool_versions", "tool_choice", "output_schema")  # fmt: skip


class NotSaved(ValueError):
    """Why it cannot be saved, said to the user as it is."""


def _pinned(tools: list[dict[str, Any]], author: Any) -> list[dict[str, Any]]:
    """For each of the pane's tools that the library keeps with the same definition (a tool
    the author may see), that tool version."""
    pins = []
    for tool in tools:
        body = tool.get("function", tool) if tool.get("type") == "function" else tool
        found = (permissions.visible(author, ToolVersion.objects.select_related("tool"),
                                     owner="tool__owner")
                 .filter(tool__name=body.get("name", ""), parameters=body.get("parameters")
                         or {"type": "object", "properties": {}})
                 .order_by("-created_at").first())  # fmt: skip
        if found is not None:
            pins.append({"tool": found.tool_id, "version": found.pk, "number": found.number,
                         "name": found.tool.name})  # fmt: skip
    return pins


def pane_state(pane: Pane, author: Any = None) -> dict[str, Any]:
    """What a version keeps of a pane, as the fields of PromptVersion."""
    messages = []
    for message in store.pane_history(pane):
        entry: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            entry["tool_calls"] = message.tool_calls
        if message.role == Message.Role.TOOL:
            entry.update(tool_call_id=message.tool_call_id, tool_name=message.tool_name)
        messages.append(entry)
    connection = pane.connection
    if connection is not None and author is not None and not Connection.objects.filter(
            permissions.usable_connections(author), pk=connection.pk).exists():  # fmt: skip
        connection = None  # not the saver's to use: its name stays out of the team's library
    return {
        "system_prompt": pane.system_prompt, "messages": messages,
        "connection_name": connection.name if connection else "",
        "connection_kind": connection.kind if connection else "",
        "model": pane.model, "params": pane.params or {}, "tools": pane.tools or [],
        "tool_versions": _pinned(pane.tools or [], author) if author else [],
        "tool_choice": pane.tool_choice, "output_schema": pane.output_schema,
    }  # fmt: skip


def state_of(version: PromptVersion) -> dict[str, Any]:
    return {name: getattr(version, name) for name in COMPARED}


def _write(prompt: Prompt, state: dict[str, Any], author: Any, message: str) -> PromptVersion:
    if len(message) > 300:
        raise NotSaved("A commit message takes at most 300 characters.")
    latest = prompt.versions.select_for_update().order_by("-number").first()
    if latest is not None and state_of(latest) == state:
        raise NotSaved(f"Nothing changed since version {latest.number}; change the pane first.")
    number = (prompt.versions.aggregate(Max("number"))["number__max"] or 0) + 1
    version = PromptVersion.objects.create(prompt=prompt, number=number, author=author,
                                           commit_message=message.strip(), **state)  # fmt: skip
    Prompt.objects.filter(pk=prompt.pk).update(used_at=timezone.now())
    return version


def save_new_prompt(pane: Pane, author: Any, team: Any, name: str, message: str = ""
                    ) -> PromptVersion:  # fmt: skip
    name = name.strip()
    if not name:
        raise NotSaved("Name the prompt first.")
    if len(name) > 120:
        raise NotSaved("A prompt's name takes at most 120 characters.")
    try:
        with transaction.atomic():
            prompt = Prompt.objects.create(team=team, name=name, owner=author)
            return _write(prompt, pane_state(pane, author), author, message)
    except IntegrityError:
        raise NotSaved(f"{team.name} has a prompt named {name!r} already; save a version "
                       "of it, or pick another name.") from None  # fmt: skip


def save_version(prompt: Prompt, pane: Pane, author: Any, message: str = "") -> PromptVersion:
    with transaction.atomic():
        return _write(prompt, pane_state(pane, author), author, message)


def restore(version: PromptVersion, author: Any) -> PromptVersion:
    """The old version again, as the newest (its history stays as it was)."""
    with transaction.atomic():
        return _write(version.prompt, state_of(version), author,
                      f"Restore version {version.number}")  # fmt: skip


def move_label(prompt: Prompt, name: str, version: PromptVersion, by: Any) -> Label:
    name = name.strip()
    if name == "latest":
        raise NotSaved('"latest" always points at the newest version; pick another label.')
    if not re.match(LABEL_PATTERN, name):
        raise NotSaved("A label is 1 to 36 characters of a–z, 0–9, _ . and -.")
    if version.prompt_id != prompt.pk:
        raise NotSaved("That version is not one of this prompt's.")
    with transaction.atomic():
        label = Label.objects.select_for_update().filter(prompt=prompt, name=name).first()
        before = label.version if label else None
        if label is None:
            label = Label.objects.create(prompt=prompt, name=name, version=version)
        elif label.version_id != version.pk:
            Label.objects.filter(pk=label.pk).update(version=version)
            label.version = version
        else:
            raise NotSaved(f"{name} points at version {version.number} already.")
        LabelMove.objects.create(label=label, from_version=before, to_version=version,
                                 moved_by=by)  # fmt: skip
    return label
