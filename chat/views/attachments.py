"""Attachments over HTTP: upload from the composer, remove before sending, and read back —
only by the owner of the conversation they belong to."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from accounts import permissions
from chat import attachments
from chat.byte_ranges import Unsatisfiable, requested_range
from chat.models import Attachment, Conversation
from media import MediaRejected


@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """One chip per accepted file, one clear message per refused one. Each file is stored or
    refused on its own: a refused file leaves nothing behind and does not undo the others."""
    conversation = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    files = request.FILES.getlist("file")
    accepted, refused = [], []
    if not files:
        refused.append(("", "Choose a file to attach."))
    for upload_file in files:
        try:
            attachments.check_room(conversation, 1)
            accepted.append(attachments.store_upload(conversation, request.user, upload_file))
        except MediaRejected as error:
            refused.append((upload_file.name, str(error)))
    context = {"accepted": accepted, "refused": refused, "pending": True}
    status = 200 if accepted or not refused else 422
    return render(request, "chat/partials/attachment_upload.html", context, status=status)


@require_POST
def remove(request: HttpRequest, pk: int, attachment_id: str) -> HttpResponse:
    conversation = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    attachments.remove_pending(attachment_id, conversation)
    return HttpResponse("")  # htmx removes the chip


def read(request: HttpRequest, attachment_id: str) -> HttpResponse:
    attachment = permissions.get_or_404(
        request.user,
        Attachment.objects.select_related("blob"),
        owner="conversation__owner",
        change=False,
        pk=attachment_id,
    )
    size = attachment.blob.size
    try:
        wanted = requested_range(request.headers.get("Range", ""), size)
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        response = FileResponse(attachment.blob.file.open("rb"), content_type=attachment.media_type)
    else:  # a player seeking in a recording
        first, last = wanted
        with attachment.blob.file.open("rb") as stored:
            stored.seek(first)
            part = stored.read(last - first + 1)
        response = HttpResponse(part, status=206, content_type=attachment.media_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
