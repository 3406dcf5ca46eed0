"""The sidebar's actions on conversations: new, rename, delete (owners only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chat.models import Conversation

TITLE_MAX = 200


@require_POST
def conversation_new(request: HttpRequest) -> HttpResponse:
    latest = Conversation.objects.filter(owner=request.user).order_by("-updated_at").first()
    conversation = Conversation.objects.create(
        owner=request.user,
        system_prompt=latest.system_prompt if latest else "",
        settings=latest.settings if latest else {},  # keep the model and parameters chosen
    )
    return redirect("conversation", pk=conversation.pk)


def conversation_rename(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation, pk=pk, owner=request.user)
    context = {"item": conversation, "current": request.GET.get("current") == "1"}
    if request.method == "POST":
        conversation.title = request.POST.get("title", "").strip()[:TITLE_MAX]
        conversation.save(update_fields=["title", "updated_at"])
        context["current"] = request.POST.get("current") == "1"
        return render(request, "chat/partials/conversation_item.html", context)
    return render(request, "chat/partials/conversation_rename.html", context)


@require_POST
def conversation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation, pk=pk, owner=request.user)
    conversation.delete()
    if request.POST.get("current") == "1" or not request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("home")
        return response if request.headers.get("HX-Request") else redirect("home")
    return HttpResponse("")  # htmx removes the item from the list
