"""The sidebar's actions on conversations: new, rename, delete (owners only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import permissions
from chat.models import Conversation

TITLE_MAX = 200


@require_POST
def conversation_new(request: HttpRequest) -> HttpResponse:
    latest = permissions.visible(request.user, Conversation.objects).order_by("-updated_at").first()
    conversation = Conversation.objects.create(
        owner=request.user,
        system_prompt=latest.system_prompt if latest else "",
        settings=latest.settings if latest else {},  # keep the model and parameters chosen
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
