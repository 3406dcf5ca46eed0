"""The sidebar's actions on conversations: new, rename, delete (owners only)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import permissions
from chat.context_processors import sidebar
from chat.models import Conversation, Pane
from chat.pane_settings import copied_settings

TITLE_MAX = 200


@require_POST
def conversation_new(request: HttpRequest) -> HttpResponse:
    """A new conversation with the panes of the latest one (models and settings kept, no
    messages), so a comparison set up once can be asked something else."""
    latest = permissions.visible(request.user, Conversation.objects).order_by("-updated_at").first()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            owner=request.user, sync_settings=latest.sync_settings if latest else False
        )
        panes = list(latest.panes.all()) if latest else []
        Pane.objects.bulk_create(
            [
                Pane(conversation=conversation, position=p.position, **copied_settings(p))
                for p in panes
            ]
            or [Pane(conversation=conversation, position=0)]
        )
    return redirect("conversation", pk=conversation.pk)


def conversation_rename(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    context = {"item": conversation, "current": request.GET.get("current") == "1"}
    if request.method == "POST":
        conversation.title = request.POST.get("title", "").strip()[:TITLE_MAX]
        conversation.save(update_fields=["title", "updated_at"])
        context["current"] = request.POST.get("current") == "1"
        return render(request, "chat/partials/conversation_item.html", context)
    return render(request, "chat/partials/conversation_rename.html", context)


@require_POST
def conversation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a conversation; its streaming runs are stopped first (chat.signals)."""
    conversation = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    conversation.delete()
    if not request.htmx:
        return redirect("home")
    if request.POST.get("current") == "1":
        return HttpResponseClientRedirect(reverse("home"))
    return HttpResponse("")  # htmx removes the item from the list


def conversation_search(request: HttpRequest) -> HttpResponse:
    """The sidebar's list for what is typed in "Search conversations" (all of them when it is
    empty); htmx swaps it in place as the user types."""
    current = request.GET.get("current", "")
    context = {**sidebar(request), "current_pk": int(current) if current.isdigit() else None}
    return render(request, "chat/partials/conversation_list.html", context)
