"""The sidebar's actions on conversations: new, rename, delete (owners only)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import permissions
from accounts.models import Membership, Team
from accounts.sockets import announce_access_revoked
from chat.context_processors import sidebar
from chat.models import Conversation, Pane
from chat.pane_settings import copied_settings

TITLE_MAX = 200


@require_POST
def conversation_new(request: HttpRequest) -> HttpResponse:
    """A new conversation with the panes of the latest one (models and settings kept, no
    messages), so a comparison set up once can be asked something else."""
    latest = Conversation.objects.filter(owner=request.user).order_by("-updated_at").first()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            owner=request.user, sync_settings=latest.sync_settings if latest else False
        )
        panes = list(latest.panes.all()) if latest else []
        Pane.objects.bulk_create(
            [
                Pane(
                    conversation=conversation,
                    position=p.position,
                    **copied_settings(p, new_conversation=True),
                )
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
    """Delete a conversation (its owner only: a shared one is not the team's to delete); its
    streaming runs are stopped first (chat.signals)."""
    conversation = permissions.get_or_404(request.user, Conversation.objects.filter(
        owner=request.user), pk=pk)  # fmt: skip
    conversation.delete()
    if not request.htmx:
        return redirect("home")
    if request.POST.get("current") == "1":
        return HttpResponseClientRedirect(reverse("home"))
    return HttpResponse("")  # htmx removes the item from the list


@require_POST
def conversation_share(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Share with": only me, or one of my shared teams (its members see it by their role).
    Its owner decides; a teammate's open sockets close when it is made private again."""
    conversation = permissions.get_or_404(request.user, Conversation.objects.filter(
        owner=request.user), pk=pk)  # fmt: skip
    wanted = request.POST.get("share", "")
    was_shared_with = (conversation.team_id
                       if conversation.visibility == Conversation.Visibility.TEAM else None)  # fmt: skip
    if wanted == "private":
        conversation.visibility, conversation.team = Conversation.Visibility.PRIVATE, None
        messages.success(request, "Only you see this conversation now.")
    else:
        team = Team.objects.filter(personal_for__isnull=True, memberships__user=request.user,
                                   pk=wanted if wanted.isdigit() else None).first()  # fmt: skip
        if team is None:
            messages.error(request, "Pick one of your teams, or Only me.")
            return redirect("conversation", pk=pk)
        conversation.visibility, conversation.team = Conversation.Visibility.TEAM, team
        messages.success(request, f"Shared with {team.name}: viewers read and fork it, "
                                  "editors change it.")  # fmt: skip
    conversation.save(update_fields=["visibility", "team", "updated_at"])
    if was_shared_with and was_shared_with != conversation.team_id:
        for member_id in Membership.objects.filter(team_id=was_shared_with).exclude(
                user=request.user).values_list("user_id", flat=True):  # fmt: skip
            announce_access_revoked(member_id)
    return redirect("conversation", pk=pk)


def conversation_search(request: HttpRequest) -> HttpResponse:
    """The sidebar's list for what is typed in "Search conversations" (all of them when it is
    empty); htmx swaps it in place as the user types."""
    current = request.GET.get("current", "")
    context = {**sidebar(request), "current_pk": int(current) if current.isdigit() else None}
    return render(request, "chat/partials/conversation_list.html", context)
