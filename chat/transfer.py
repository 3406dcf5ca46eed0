"""A conversation as one file and back: "Export" (JSON that imports again, or Markdown to read)
and "Import" (a new conversation from such a JSON file).

The JSON holds the panes and their settings, every message with its pane and turn, the
turns' tree (branches from "Re-run from here", and which one is shown) and each pane's chosen
alternative, each answer's recorded figures, and the attachments' bytes; an edited message
travels as it reads now. The Markdown is what the conversation shows. Connections travel by
name and kind, never with a key, and only those the exporter may use: an imported pane uses
the importer's connection of that name and kind (one they may use), or none (its settings
then say to pick one). An import is all or nothing: the file is checked against the format,
every attachment is checked and normalised as an upload is, and only then is anything
written, in one transaction; a refused file leaves no row and no file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

import jsonschema
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import permissions
from chat import attachments
from chat.engine import paths
from chat.models import Attachment, Blob, Conversation, Message, Pane, Turn, blob_path
from chat.run_settings import FIELDS
from chat.tool_settings import parse_tool_settings
from connections.models import Connection
from media import MediaRejected

FORMAT = "playground.conversation"
VERSION = 1
MAX_IMPORT_BYTES = 64 * 2**20
RUN_FIGURES = ("model", "resolved_model", "status", "finish_reason", "input_tokens",
               "output_tokens", "cost", "time_to_first_token_ms", "duration_ms")  # fmt: skip


class ImportRefused(ValueError):
    """Why a file cannot be imported, said to the user as it is."""


_TEXT = {"type": "string", "maxLength": 2_000_000}
_ATTACHMENT = {
    "type": "object",
    "required": ["name", "media_type", "data"],
    "properties": {"name": {"type": "string", "maxLength": 255},
                   "media_type": {"type": "string", "maxLength": 100},
                   "detail": {"enum": ["", "low", "high", "auto"]},
                   "data": {"type": "string"}},
}  # fmt: skip
SCHEMA = {
    "type": "object",
    "required": ["format", "version", "panes", "messages"],
    "properties": {
        "format": {"const": FORMAT},
        "version": {"const": VERSION},
        "title": {"type": "string", "maxLength": 200},
        "sync_settings": {"type": "boolean"},
        "panes": {"type": "array", "minItems": 1, "maxItems": 8, "items": {
            "type": "object",
            "properties": {
                "connection": {"type": ["object", "null"],
                               "properties": {"name": {"type": "string"},
                                              "kind": {"type": "string"}}},
                "model": {"type": "string", "maxLength": 200},
                "params": {"type": "object", "additionalProperties": False, "properties": {
                    **{name: {"type": "number"} for name in FIELDS},
                    "stop": {"type": "array", "maxItems": 16, "items": {"type": "string"}},
                }},
                "system_prompt": _TEXT,
                "tools": {"type": "array", "items": {"type": "object"}},
                "tool_choice": {"type": "string", "maxLength": 200},
                "output_schema": {"type": ["object", "null"]},
            },
        }},
        "turns": {"type": "array", "maxItems": 100_000, "items": {
            "type": "object",
            "properties": {
                "parent": {"type": ["integer", "null"], "minimum": 0},
                "active": {"type": "boolean"},
                "chosen": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        }},
        "messages": {"type": "array", "maxItems": 100_000, "items": {
            "type": "object",
            "required": ["role"],
            "properties": {
                "role": {"enum": ["user", "assistant", "tool"]},
                "pane": {"type": ["integer", "null"], "minimum": 0},
                "turn": {"type": ["integer", "null"], "minimum": 0},
                "alternative": {"type": "integer", "minimum": 1, "maximum": 10_000},
                "content": _TEXT,
                "reasoning": _TEXT,
                "status": {"enum": ["done", "stopped", "error"]},
                "tool_calls": {"type": "array", "items": {
                    "type": "object", "required": ["id", "name", "arguments"],
                    "properties": {"id": {"type": "string", "maxLength": 200},
                                   "name": {"type": "string", "maxLength": 200},
                                   "arguments": {"type": "object"},
                                   "signature": {"type": "string"}},
                }},
                "tool_call_id": {"type": "string", "maxLength": 200},
                "tool_name": {"type": "string", "maxLength": 200},
                "attachments": {"type": "array", "items": _ATTACHMENT},
            },
        }},
    },
}  # fmt: skip


# -- export -------------------------------------------------------------------------------


def _every_message(conversation: Conversation) -> list[Message]:
    """Every message as it reads now (no earlier revision), every branch and alternative."""
    return list(
        conversation.messages.exclude(status=Message.Status.STREAMING)
        .filter(replaced=False)
        .select_related("run")
        .prefetch_related("attachments__blob")
        .order_by("created_at", "pk")
    )


def _shown_messages(conversation: Conversation) -> list[Message]:
    """What the conversation shows: its shown branch, each pane's chosen answers."""
    turns = paths.turns_of([conversation.pk])[conversation.pk]
    everything = _every_message(conversation)
    return paths.on_path(everything, paths.shown_path(turns), paths.Alternatives.of(everything))


def _turns(conversation: Conversation, pane_index: dict[int, int]) -> tuple[list[dict], dict]:
    """The turns' tree, oldest first (so a parent comes before its children), and each
    turn's index in it."""
    turns = sorted(paths.turns_of([conversation.pk])[conversation.pk],
                   key=lambda turn: (turn.created_at, turn.pk))  # fmt: skip
    index = {turn.pk: number for number, turn in enumerate(turns)}
    tree = [{
        "parent": index.get(turn.parent_id), "active": turn.active,
        "chosen": {str(pane_index[int(pane)]): number
                   for pane, number in (turn.chosen or {}).items()
                   if pane.isdigit() and int(pane) in pane_index},
    } for turn in turns]  # fmt: skip
    return tree, index


def export_data(conversation: Conversation, *, usable: Q) -> dict[str, Any]:
    """The conversation as its file holds it, for one whose rule (accounts.permissions) is
    `usable`: a pane's connection they may not use is left out, name and all."""
    panes = list(conversation.panes.select_related("connection").order_by("position"))
    theirs = set(
        Connection.objects.filter(usable, pk__in=[p.connection_id for p in panes if p.connection_id])
        .values_list("pk", flat=True)
    )  # fmt: skip
    pane_index = {pane.pk: index for index, pane in enumerate(panes)}
    tree, turn_index = _turns(conversation, pane_index)
    messages = []
    for message in _every_message(conversation):
        entry: dict[str, Any] = {
            "role": message.role, "pane": pane_index.get(message.pane_id),
            "turn": turn_index.get(message.turn_id), "alternative": message.alternative,
            "content": message.content, "reasoning": message.reasoning, "status": message.status,
            "tool_calls": message.tool_calls or [], "tool_call_id": message.tool_call_id,
            "tool_name": message.tool_name,
        }  # fmt: skip
        attached = list(message.attachments.all())
        if attached:
            entry["attachments"] = [_attachment(a) for a in attached]
        run = getattr(message, "run", None)
        if run is not None:
            entry["run"] = {name: _plain(getattr(run, name, None)) for name in RUN_FIGURES}
        messages.append(entry)
    return {
        "format": FORMAT, "version": VERSION, "exported_at": timezone.now().isoformat(),
        "title": conversation.title, "sync_settings": conversation.sync_settings,
        "panes": [_pane(pane, theirs) for pane in panes], "turns": tree, "messages": messages,
    }  # fmt: skip


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _pane(pane: Pane, theirs: set[int]) -> dict[str, Any]:
    connection = pane.connection if pane.connection_id in theirs else None
    return {
        "connection": {"name": connection.name, "kind": connection.kind} if connection else None,
        "model": pane.model, "params": pane.params or {}, "system_prompt": pane.system_prompt,
        "tools": pane.tools or [], "tool_choice": pane.tool_choice,
        "output_schema": pane.output_schema,
    }  # fmt: skip


def _attachment(attachment: Attachment) -> dict[str, Any]:
    with attachment.blob.file.open("rb") as stored:
        data = stored.read()
    return {"name": attachment.name, "media_type": attachment.media_type,
            "detail": attachment.detail, "data": base64.b64encode(data).decode("ascii")}  # fmt: skip


def export_json(conversation: Conversation, *, usable: Q) -> bytes:
    return json.dumps(export_data(conversation, usable=usable), ensure_ascii=False,
                      indent=1).encode()  # fmt: skip


def export_markdown(conversation: Conversation) -> str:
    """To read or paste elsewhere: each turn's message, then each pane's answer under its
    model's name."""
    panes = {pane.pk: pane for pane in conversation.panes.order_by("position")}
    several = len(panes) > 1
    lines = [f"# {conversation.display_title}", ""]
    for message in _shown_messages(conversation):
        pane = panes.get(message.pane_id)
        label = ""
        if pane is not None:
            label = (pane.model or "no model") + (f" (pane {pane.position + 1})" if several else "")
        if message.role == Message.Role.USER:
            lines += ["## You", ""]
            lines += [f"*Attached: {a.name}*" for a in message.attachments.all()]
        elif message.role == Message.Role.TOOL:
            lines += [f"### Result of `{message.tool_name}`" + (f" — {label}" if pane else ""), ""]
        else:
            lines += [f"### {label}" if pane else "### Assistant", ""]
            lines += [f"*Called `{call.get('name')}`*" for call in message.tool_calls or []]
        lines += [message.content, ""]
    return "\n".join(lines).rstrip() + "\n"


# -- import -------------------------------------------------------------------------------


def _parsed(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"That file is over {MAX_IMPORT_BYTES // 2**20} MB; Playground "
                            "imports conversations up to that size.")  # fmt: skip
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ImportRefused("That file is not JSON: import a file Playground exported "
                            "(Export → JSON).") from None  # fmt: skip
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportRefused("That JSON is not a Playground conversation: import a file "
                            "Playground exported (Export → JSON).")  # fmt: skip
    try:
        jsonschema.validate(data, SCHEMA)
    except jsonschema.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "the file"
        raise ImportRefused(f"That conversation file is damaged at {where}: {error.message}. "
                            "Nothing was imported.") from None  # fmt: skip
    for number, pane in enumerate(data["panes"], 1):
        _settings, problems = parse_tool_settings(
            json.dumps(pane.get("tools") or []) if pane.get("tools") else "",
            pane.get("tool_choice", ""),
            json.dumps(pane["output_schema"]) if pane.get("output_schema") else "",
        )
        if problems:
            raise ImportRefused(f"Pane {number}'s tools or output schema cannot be used: "
                                f"{' '.join(problems.values())} Nothing was imported.")  # fmt: skip
    panes = len(data["panes"])
    for number, message in enumerate(data["messages"], 1):
        pane = message.get("pane")
        if pane is not None and pane >= panes:
            raise ImportRefused(f"Message {number} names pane {pane + 1}, but the file has "
                                f"{panes}. Nothing was imported.")  # fmt: skip
    _check_tree(data)
    return data


def _check_tree(data: dict[str, Any]) -> None:
    """A file with a turns' tree: every turn a message names is in it, and every parent comes
    before its child (so the tree has no loop)."""
    if "turns" not in data:
        return  # an older file: its turns follow one another
    tree = data["turns"]
    for number, turn in enumerate(tree):
        parent = turn.get("parent")
        if parent is not None and parent >= number:
            raise ImportRefused(f"Turn {number + 1} follows turn {parent + 1}, which does not "
                                "come before it. Nothing was imported.")  # fmt: skip
    for number, message in enumerate(data["messages"], 1):
        turn = message.get("turn")
        if turn is not None and turn >= len(tree):
            raise ImportRefused(f"Message {number} names turn {turn + 1}, but the file has "
                                f"{len(tree)}. Nothing was imported.")  # fmt: skip


def _checked_media(data: dict[str, Any]) -> dict[tuple[int, int], tuple[bytes, str, Any]]:
    """Every attachment decoded and normalised as an upload is, before anything is written."""
    checked = {}
    for number, message in enumerate(data["messages"]):
        for index, item in enumerate(message.get("attachments", [])):
            try:
                raw = base64.b64decode(item["data"], validate=True)
                kind, processed = attachments.normalized(raw, item["media_type"].lower())
            except (binascii.Error, ValueError):
                raise ImportRefused(f"Attachment {item['name']!r} of message {number + 1} is "
                                    "not readable. Nothing was imported.") from None  # fmt: skip
            except MediaRejected as error:
                raise ImportRefused(f"Attachment {item['name']!r}: {error} Nothing was "
                                    "imported.") from None  # fmt: skip
            checked[(number, index)] = (raw, kind, processed)
    return checked


def import_conversation(user: Any, raw: bytes) -> Conversation:
    """A new conversation of `user` from an exported file; ImportRefused, with nothing
    written, when the file is not one or is damaged."""
    data = _parsed(raw)
    media = _checked_media(data)
    written: list[str] = []
    try:
        with transaction.atomic():
            return _write(user, data, media, written)
    except BaseException:
        for name in written:  # files of blobs whose rows were rolled back
            default_storage.delete(name)
        raise


def _connection_for(wanted: dict[str, Any] | None, user: Any) -> Connection | None:
    """The importer's connection of that name and kind: one of those they may use (the
    site's first, then their teams'), never another's; its key stays on the server."""
    if not wanted:
        return None
    return (
        Connection.objects.filter(permissions.usable_connections(user),
                                  name=wanted.get("name", ""), kind=wanted.get("kind", ""))
        .order_by(F("team").asc(nulls_first=True), "pk")
        .first()
    )  # fmt: skip


def _write_turns(conversation: Conversation, data: dict[str, Any], panes: list[Pane]
                 ) -> dict[int, Turn]:  # fmt: skip
    """The file's turns, by their number in it: its tree, or (an older file) one after
    another. One insert and one update, whatever their number."""
    now = timezone.now()
    tree = data.get("turns")
    if tree is None:
        numbers = sorted({m["turn"] for m in data["messages"] if m.get("turn") is not None})
        tree = [{"parent": n - 1 if n else None} for n in range(max(numbers, default=-1) + 1)]
    pane_ids = [str(pane.pk) for pane in panes]
    made = Turn.objects.bulk_create([
        Turn(conversation=conversation, requested_at=now, finished_at=now,
             active=bool(turn.get("active", True)),
             chosen={pane_ids[int(pane)]: number for pane, number in
                     (turn.get("chosen") or {}).items()
                     if pane.isdigit() and int(pane) < len(pane_ids)})
        for turn in tree
    ])  # fmt: skip
    for turn, made_turn in zip(tree, made, strict=True):
        if turn.get("parent") is not None:
            made_turn.parent_id = made[turn["parent"]].pk
    Turn.objects.bulk_update([t for t in made if t.parent_id], ["parent"], batch_size=500)
    return dict(enumerate(made))


def _write(user: Any, data: dict[str, Any], media: dict, written: list[str]) -> Conversation:
    conversation = Conversation.objects.create(
        owner=user, title=(data.get("title") or "")[:200],
        sync_settings=bool(data.get("sync_settings")),
    )  # fmt: skip
    panes = [
        Pane.objects.create(
            conversation=conversation,
            position=position,
            connection=_connection_for(pane.get("connection"), user),
            model=pane.get("model", ""),
            params=pane.get("params") or {},
            system_prompt=pane.get("system_prompt", ""),
            tools=pane.get("tools") or [],
            tool_choice=pane.get("tool_choice", ""),
            output_schema=pane.get("output_schema"),
        )  # fmt: skip
        for position, pane in enumerate(data["panes"])
    ]
    # One insert per table, whatever the number of messages (a file may hold thousands).
    turns = _write_turns(conversation, data, panes)
    messages = Message.objects.bulk_create([
        Message(
            conversation=conversation, turn=turns.get(item.get("turn")),
            alternative=item.get("alternative", 1),
            pane=panes[item["pane"]] if item.get("pane") is not None else None,
            role=item["role"], content=item.get("content", ""),
            reasoning=item.get("reasoning", ""), status=item.get("status", "done"),
            tool_calls=item.get("tool_calls") or [], tool_call_id=item.get("tool_call_id", ""),
            tool_name=item.get("tool_name", ""),
        )
        for item in data["messages"]
    ])  # fmt: skip
    for number, item in enumerate(data["messages"]):
        for index, attachment in enumerate(item.get("attachments", [])):
            raw, kind, processed = media[(number, index)]
            sha = hashlib.sha256(processed.data).hexdigest()
            if not Blob.objects.filter(pk=sha).exists():
                written.append(blob_path(Blob(sha256=sha), sha))
            attachments.save_normalized(
                conversation, user, attachment["name"], attachment["media_type"], raw, kind,
                processed, message=messages[number], detail=attachment.get("detail", ""),
            )  # fmt: skip
    return conversation
