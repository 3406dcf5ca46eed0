"""One message: its raw text behind "Copy message" (the page shows the rendered Markdown),
"Fork from here" (chat/forking.py), "Delete message" (chat/deleting.py) and "Add message by
hand" (chat/by_hand.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import permissions
from chat.by_hand import ByHand, NotAdded, add_by_hand
from chat.deleting import delete_message
from chat.engine import fanout
from chat.forking import fork
from chat.models import Conversation, Message


@require_GET
def raw(request: HttpRequest, pk: int) -> HttpResponse:
    message = permissions.get_or_404(
        request.user, Message.objects.only("content"), owner="conversation__owner",
        change=False, pk=pk,
    )  # fmt: skip
    response = HttpResponse(message.content, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-store"  # it may change (edits, a stream's end)
    return response


@require_POST
def fork_from_here(request: HttpRequest, pk: int) -> HttpResponse:
    message = permissions.get_or_404(
        request.user, Message.objects.select_related("conversation"),
        owner="conversation__owner", change=False, pk=pk,
    )  # fmt: skip
    copy = fork(message.conversation, message, request.user)
    if request.htmx:
        return HttpResponseClientRedirect(reverse("conversation", args=[copy.pk]))
    return redirect("conversation", pk=copy.pk)


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    message = permissions.get_or_404(
        request.user, Message.objects.all(), owner="conversation__owner", pk=pk
    )
    delete_message(message)
    return HttpResponse(status=204)  # every tab, this one too, reloads its panes


@require_POST
def add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add message by hand; 400 with the reason (shown under the form) when it cannot be."""
    conversation = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    fields = ("role", "text", "tool_name", "arguments", "result")
    entry = ByHand(**{name: request.POST.get(name, "") for name in fields})
    try:
        add_by_hand(conversation, entry)
    except NotAdded as refused:
        return HttpResponse(str(refused), status=400, content_type="text/plain; charset=utf-8")
    fanout.panes_changed_from_sync(conversation.pk)
    return HttpResponse(status=204)  # every tab, this one too, redraws its panes
