"""One message, as its author wrote it or its model answered it: the raw text behind "Copy
message" (the page shows the rendered Markdown)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts import permissions
from chat.models import Message


@require_GET
def raw(request: HttpRequest, pk: int) -> HttpResponse:
    message = permissions.get_or_404(
        request.user, Message.objects.only("content"), owner="conversation__owner", pk=pk
    )
    response = HttpResponse(message.content, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-store"  # it may change (edits, a stream's end)
    return response
