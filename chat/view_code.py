"""View code: the exact request behind a pane, for chat/code_snippets.py to write as curl,
Python with httpx, and LangChain — with credentials read from environment variables, never
written out, and attachments read from files the dialog offers.

The request is rebuilt by the provider layer itself (its `endpoint`, `headers` and
`build_body`), from the pane's last run as that run recorded it (its settings snapshot and
the ids of the messages it sent), or, before any run, from what the pane would send now.
Attachments are fitted as the run fitted them (`fitted_messages`), so each file offered holds
the very bytes the request carries.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
from pathlib import Path
from typing import Any

from django.db.models import Q

from chat.code_snippets import KEY, LANGUAGES, NoCode, PaneRequest, SentFile
from chat.engine import store
from chat.engine.plans import RunPlan, fitted_messages, model_for
from chat.engine.specs import PaneSpec
from chat.models import Message, Pane, Run
from connections.env_connections import ENV_CONNECTIONS
from connections.llm import ProviderError
from connections.models import Connection
from media import MediaRejected

PLACEHOLDER_MESSAGE = "Hello!"
KEY_VARIABLES = {entry.kind: entry.key_variable for entry in ENV_CONNECTIONS}
KEY_VARIABLES.update({"openai_compatible": "OPENAI_API_KEY", "ollama": "OLLAMA_API_KEY",
                      "bedrock": "AWS_BEARER_TOKEN_BEDROCK",
                      "google_vertexai": "VERTEX_ACCESS_TOKEN"})  # fmt: skip
# What Bedrock's ConverseStream is sent with (providers/bedrock.py sends the same).
BEDROCK_HEADERS = {"Content-Type": "application/json",
                   "Accept": "application/vnd.amazon.eventstream"}  # fmt: skip
EXTENSIONS = {"image/jpeg": ".jpg", "audio/mpeg": ".mp3", "audio/wav": ".wav",
              "audio/webm": ".webm", "audio/ogg": ".ogg", "audio/mp4": ".m4a",
              "audio/flac": ".flac", "audio/aac": ".aac"}  # fmt: skip


def _run_and_history(pane: Pane) -> tuple[Run, list[Message], bool]:
    last = (
        pane.runs.exclude(status=Run.Status.STREAMING)
        .exclude(history=[])
        .order_by("-started_at", "-pk")
        .first()
    )
    if last is not None:
        by_id = {
            m.pk: m
            for m in store.with_attachments(list(Message.objects.filter(pk__in=last.history)))
        }
        return last, [by_id[pk] for pk in last.history if pk in by_id], True
    spec = PaneSpec.of(pane)
    if spec.connection is None or not spec.model:
        raise NoCode(spec.problem or "Choose a connection and a model first.")
    # An unsaved run whose answer would come after every message: its history is all of them.
    run = Run(conversation_id=pane.conversation_id, pane=pane, message_id=2**62,
              **spec.run_fields())  # fmt: skip
    history = store.history_for(run)
    if not history or history[-1].role != Message.Role.USER:
        placeholder = Message(role=Message.Role.USER, content=PLACEHOLDER_MESSAGE)
        placeholder._attached = []  # nothing attached, and no query to learn it
        history.append(placeholder)
    return run, history, False


NOT_YOURS = "This pane's connection is not one you may use; pick another in its settings."


def pane_request(pane: Pane, *, usable: Q) -> PaneRequest:
    """The request behind the pane's code, built from a connection `usable` (the viewer's
    rule from accounts.permissions) lets them use: another's would show its address."""
    run, history, from_run = _run_and_history(pane)
    if (
        run.connection_id is not None
        and not Connection.objects.filter(usable, pk=run.connection_id).exists()
    ):
        raise NoCode(NOT_YOURS)
    kind = run.provider
    try:
        model = model_for(run)
        messages, received = fitted_messages(RunPlan(run, model, history))
        url, address, body = model.endpoint, _address(kind, model), model.build_body(messages)
    except (ProviderError, MediaRejected) as error:  # the run would have failed the same way
        raise NoCode(str(error)) from None
    files = _sent_files(messages, received, body)
    by_data = {f.data: f.placeholder for f in files}
    sigv4 = kind == "bedrock" and not _bedrock_api_key(model)
    headers, key_variable = _shown_headers(kind, model, sigv4)
    # Only the server's own AWS credentials can be temporary (a connection holds no session
    # token); they are when its environment has one.
    temporary = sigv4 and not model.config.extra.get("aws_access_key_id")
    request = PaneRequest(
        provider=kind, model=run.model, url=url, headers=headers,
        body=_with_placeholders(body, files),
        key_variable=key_variable, from_run=from_run, parameters=run.parameters or {},
        tools=run.tools or [], tool_choice=run.tool_choice or "",
        output_schema=run.output_schema, base_url=model.config.base_url or "",
        messages=_langchain_messages(messages, by_data), files=tuple(files), address=address,
        sigv4=sigv4, session_token=temporary and bool(os.environ.get("AWS_SESSION_TOKEN")),
    )  # fmt: skip
    _no_secret_in(request, model.secret_values())
    return request


def _bedrock_api_key(model: Any) -> bool:
    """Whether Bedrock is reached with an API key (a bearer) rather than SigV4: the test
    providers/bedrock.py's `signed_headers` makes."""
    return bool(model.config.api_key and not model.config.extra.get("aws_access_key_id"))


def _shown_headers(kind: str, model: Any, sigv4: bool) -> tuple[dict[str, str], str]:
    """The request's headers with KEY where the credential goes, and the variable holding
    it. Signed Bedrock requests get their credentials from curl's or botocore's signer."""
    if kind == "bedrock":
        headers = dict(BEDROCK_HEADERS)
        if sigv4:
            return headers, "AWS_SECRET_ACCESS_KEY"
        return {**headers, **type(model).auth_headers(KEY)}, KEY_VARIABLES["bedrock"]
    if kind == "google_vertexai":  # a token (or ADC, which fetches one): always a bearer
        headers = {"content-type": "application/json", **type(model).auth_headers(KEY)}
        return headers, KEY_VARIABLES[kind]
    headers = dict(model.headers())
    real = type(model).auth_headers(model.config.api_key)
    shown = type(model).auth_headers(KEY)
    for name in real:
        headers[name] = shown.get(name, "")
    variable = KEY_VARIABLES.get(kind, "API_KEY") if model.config.api_key else ""
    return headers, variable


def _address(kind: str, model: Any) -> dict[str, str]:
    """What besides the URL names where the request goes, for the signer and LangChain."""
    if kind == "bedrock":
        return {"region": model.region}
    if kind == "google_vertexai":
        return {"project": model.project, "location": model.location}
    if kind == "azure_openai" and model.api_version:
        return {"api_version": model.api_version}
    return {}


# -- attachments as files --------------------------------------------------------------------


def _sent_files(
    messages: list[Any], received: list[dict[str, Any]], body: dict[str, Any]
) -> list[SentFile]:
    """One file per distinct attachment the messages carry, named after the attachment
    (its extension that of the type sent), with a placeholder found nowhere in the body."""
    names = [record["name"] for record in received if "left_out" not in record]
    parts = [part for message in messages for part in message.attachments]
    text = json.dumps(body)
    files: dict[bytes, SentFile] = {}  # the same bytes attached twice are one file
    for name, part in zip(names, parts, strict=True):
        if part.data in files:
            continue
        placeholder = f"__FILE_{len(files) + 1}__"
        while placeholder in text:  # someone typed it: make it longer until it is unique
            placeholder = placeholder[:-2] + "X__"
        taken = {f.name for f in files.values()}
        files[part.data] = SentFile(_file_name(name, part.media_type, taken), part.media_type,
                                    part.data, placeholder)  # fmt: skip
    return list(files.values())


def _file_name(name: str, media_type: str, taken: set[str]) -> str:
    """A name safe in a shell and a path, not yet taken, ending as its type does."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).stem).strip(".-") or "file"
    extension = EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type) or ".bin"
    candidate, number = stem + extension, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}{extension}"
    return candidate


def _with_placeholders(value: Any, files: list[SentFile]) -> Any:
    """The body with each file's base64 — bare, or as a data URL's data — replaced by the
    file's placeholder."""
    encoded = {base64.b64encode(f.data).decode("ascii"): f.placeholder for f in files}
    return _replace_base64(value, encoded) if encoded else value


def _replace_base64(value: Any, encoded: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _replace_base64(item, encoded) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_base64(item, encoded) for item in value]
    if isinstance(value, str):
        if value in encoded:
            return encoded[value]
        head, comma, data = value.partition(",")
        if comma and head.startswith("data:") and data in encoded:
            return head + comma + encoded[data]
    return value


def _langchain_messages(messages: list[Any], placeholders: dict[bytes, str]) -> list[dict]:
    """The provider messages in LangChain's dict form, attachments as its standard content
    blocks (`{"type": "image", "base64": ..., "mime_type": ...}`) reading the same files."""
    shown: list[dict[str, Any]] = []
    for message in messages:
        content: Any = message.text
        if message.attachments:
            content = [{"type": "text", "text": message.text}] if message.text else []
            content += [{"type": part.media_type.split("/")[0], "base64": placeholders[part.data],
                         "mime_type": part.media_type} for part in message.attachments]  # fmt: skip
        entry: dict[str, Any] = {"role": message.role, "content": content}
        if message.tool_calls:
            entry["tool_calls"] = [{"id": call.id, "name": call.name, "args": call.arguments}
                                   for call in message.tool_calls]  # fmt: skip
        if message.role == "tool":
            entry["tool_call_id"] = message.tool_call_id
        shown.append(entry)
    return shown


def _no_secret_in(request: PaneRequest, secrets: tuple[str, ...]) -> None:
    """Belt and braces: a secret found anywhere the code is written from stops the page."""
    shown = json.dumps([request.model, request.url, request.headers, request.body,
                        request.base_url, request.messages, request.address, request.parameters,
                        request.tools, request.output_schema], default=str)  # fmt: skip
    if any(secret and secret in shown for secret in secrets):
        raise NoCode("This request would show a credential; its code is not shown.")


# -- what the dialog shows -------------------------------------------------------------------


def all_code(pane: Pane, *, usable: Q) -> dict[str, Any]:
    """What the View code dialog shows: each tab's code and the files it reads, or why there
    is no code."""
    try:
        request = pane_request(pane, usable=usable)
    except NoCode as reason:
        return {"problem": str(reason)}
    tabs = {name: render(request) for name, render in LANGUAGES}
    return {"tabs": tabs, "from_run": request.from_run, "key_variable": request.key_variable,
            "variables": request.variables, "files": request.files}  # fmt: skip


def sent_file(pane: Pane, name: str, *, usable: Q) -> SentFile | None:
    """The file `name` of the pane's request, as the request carries it; None when it has
    no such file (or no request)."""
    try:
        files = pane_request(pane, usable=usable).files
    except NoCode:
        return None
    return next((f for f in files if f.name == name), None)
