"""Export a conversation (JSON that imports again, Markdown to read) and import one
(chat/transfer.py); the checks are accounts.permissions', as everywhere."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from chat import blind, transfer
from chat.models import Conversation


def _file_name(conversation: Conversation, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", conversation.display_title).strip("-")[:60]
    return f"{stem or 'conversation'}.{extension}"


def _download(body: bytes | str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def export_json(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = permissions.get_or_404(request.user, Conversation.objects, change=False, pk=pk)
    if (refused := blind.refusal(conversation)) is not None:
        return refused
    usable = permissions.usable_connections(request.user)
    return _download(transfer.export_json(conversation, usable=usable), "application/json",
                     _file_name(conversation, "json"))  # fmt: skip


@require_GET
def export_markdown(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = permissions.get_or_404(request.user, Conversation.objects, change=False, pk=pk)
    if (refused := blind.refusal(conversation)) is not None:
        return refused
    return _download(transfer.export_markdown(conversation), "text/markdown; charset=utf-8",
                     _file_name(conversation, "md"))  # fmt: skip


@require_POST
def import_conversation(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a conversation file (exported as JSON) to import.")
        return redirect("home")
    if upload.size and upload.size > transfer.MAX_IMPORT_BYTES:
        raw = b"x" * (transfer.MAX_IMPORT_BYTES + 1)  # refused by size, unread
    else:
        raw = upload.read(transfer.MAX_IMPORT_BYTES + 1)
    try:
        conversation = transfer.import_conversation(request.user, raw)
    except transfer.ImportRefused as refused:
        messages.error(request, str(refused))
        return redirect("home")
    messages.success(request, f"Imported “{conversation.display_title}”.")
    return redirect("conversation", pk=conversation.pk)
