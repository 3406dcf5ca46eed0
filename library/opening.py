"""Open in playground and Compare versions: a new conversation whose panes are set up from
prompt versions (one, or several × models), the variables filled in, the messages written as
they are compiled. The last message, when it is yours, is left unanswered for the page to
run (it asks every pane over its socket, as Regenerate does)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts import permissions
from chat import attachments
from chat.models import Conversation, Message, Pane, Turn
from connections.models import Connection
from library import variables
from library.models import Prompt, PromptVersion

MAX_PANES = Pane.MAX_PER_CONVERSATION


def names_of(version: PromptVersion) -> list[str]:
    texts = [version.system_prompt, *(m.get("content", "") for m in version.messages)]
    return variables.names_in(texts)


def media_of(version: PromptVersion) -> list[str]:
    """Its media variables ({{name:media}}); NotFilled when one stands where no file can go
    (the system prompt, an assistant or tool message)."""
    elsewhere = [version.system_prompt, *(m.get("content", "") for m in version.messages
                                          if m.get("role") != "user")]  # fmt: skip
    misplaced = variables.media_in(elsewhere)
    if misplaced:
        raise variables.NotFilled(f"{{{{{misplaced[0]}:media}}}} is outside a user message; "
                                  "only your messages take files. Move it there.")  # fmt: skip
    return variables.media_in(m.get("content", "") for m in version.messages)


Checked = tuple[str, str, bytes, str, Any]  # chat.attachments.checked_upload's answer


def _checked_files(files: Mapping[str, UploadedFile]) -> dict[str, Checked]:
    """Every media variable's file checked and normalised before anything is written."""
    checked = {}
    for name, upload in files.items():
        try:
            checked[name] = attachments.checked_upload(upload)
        except attachments.MediaRejected as refused:  # a file no model could take
            raise variables.NotFilled(f"{{{{{name}:media}}}}: {refused}") from None
    return checked


def _connection(version: PromptVersion, user: Any) -> Connection | None:
    """The opener's connection of the name and kind the version was saved with (a site one
    first); none when they have no such connection to use."""
    return (Connection.objects.filter(permissions.usable_connections(user),
                                      name=version.connection_name,
                                      kind=version.connection_kind)
            .order_by("team", "pk").first())  # fmt: skip


def _pane_fields(version: PromptVersion, values: Mapping[str, str], kept: Mapping[str, Any],
                 user: Any, model: str = "") -> dict:  # fmt: skip
    return {
        "connection": _connection(version, user), "model": model or version.model,
        "params": version.params, "tools": version.tools, "tool_choice": version.tool_choice,
        "output_schema": version.output_schema,
        "system_prompt": variables.compiled(version.system_prompt, values),
        "source": {"prompt": version.prompt_id, "version": version.pk,
                   "number": version.number, "name": version.prompt.name},
        "variables": dict(kept),
    }  # fmt: skip


def _write_messages(conversation: Conversation, version: PromptVersion,
                    values: Mapping[str, str], files: Mapping[str, Checked]
                    ) -> Message | None:  # fmt: skip
    """The version's messages as shared turns (a user message starts one), each media
    variable's file attached to the messages it stands in; the last user message, if
    nothing answers it yet, is returned to be run."""
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
        for name in variables.media_in([entry.get("content", "")]) if role == "user" else ():
            attachments.save_normalized(conversation, conversation.owner, *files[name],
                                        message=message)  # fmt: skip
        last_user = message if role == "user" else None
    return last_user


def open_versions(owner: Any, choices: Sequence[tuple[PromptVersion, str]],
                  values: Mapping[str, str], files: Mapping[str, UploadedFile] | None = None
                  ) -> tuple[Conversation, Message | None]:  # fmt: skip
    """A conversation with a pane per (version, model) — model "" keeps the version's — the
    messages of the first version. NotFilled when a variable is missing or unknown, or a
    media variable's file cannot be used (nothing is written then)."""
    if not 1 <= len(choices) <= MAX_PANES:
        raise variables.NotFilled(f"Pick between 1 and {MAX_PANES} versions × models.")
    files = files or {}
    names = list(dict.fromkeys(name for version, _ in choices for name in names_of(version)))
    media = list(dict.fromkeys(name for version, _ in choices for name in media_of(version)))
    filled = variables.check(names, values, media=media, files=files)
    checked = _checked_files(files)
    # Kept on each pane and run apart from the compiled text: a media value by its file.
    kept = {**filled, **{name: {"file": found[0], "kind": found[3]}
                         for name, found in checked.items()}}  # fmt: skip
    first = choices[0][0]
    title = f"{first.prompt.name} v{first.number}" if len(choices) == 1 else (
        f"{first.prompt.name}: " + " vs ".join(f"v{v.number}" + (f" {m}" if m else "")
                                               for v, m in choices))  # fmt: skip
    with transaction.atomic():
        conversation = Conversation.objects.create(owner=owner, title=title[:200])
        Pane.objects.bulk_create([
            Pane(conversation=conversation, position=position,
                 **_pane_fields(v, filled, kept, owner, m))  # fmt: skip
            for position, (v, m) in enumerate(choices)
        ])  # fmt: skip
        to_run = _write_messages(conversation, first, filled, checked)
        Prompt.objects.filter(pk__in={v.prompt_id for v, _ in choices}).update(
            used_at=timezone.now()
        )
    return conversation, to_run
