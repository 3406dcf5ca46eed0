"""A team's page (members, "Role", "Invite", remove, leave), new teams, and the invite link
that lets someone in — signed in already, or making their account on the spot.

A team one is not in answers 404 and is named nowhere (accounts.permissions)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import permissions, teams
from accounts.forms import NewAccountForm
from accounts.models import Membership, Role, Team


def _team(request: HttpRequest, pk: int) -> Team:
    return permissions.get_or_404(request.user, Team.objects, owner="memberships__user", pk=pk)


def team_page(request: HttpRequest, pk: int, *, invite_link: str = "", status: int = 200
              ) -> HttpResponse:  # fmt: skip
    team = _team(request, pk)
    role = teams.role_of(team, request.user)
    context = {
        "team": team, "role": role, "is_owner": role == Role.OWNER,
        "members": Membership.objects.filter(team=team).select_related("user")
        .order_by("user__username"),
        "roles": Role.choices, "invite_link": invite_link,
        "invites": team.invites.filter(used_at__isnull=True).select_related("created_by")
        if role == Role.OWNER else [],
    }  # fmt: skip
    return render(request, "accounts/team_detail.html", context, status=status)


def _refused(request: HttpRequest, pk: int, reason: object) -> HttpResponse:
    messages.error(request, str(reason))
    return team_page(request, pk, status=400)


@require_POST
def create(request: HttpRequest) -> HttpResponse:
    try:
        team = teams.create_team(request.POST.get("name", ""), request.user)
    except teams.TeamRefused as refused:
        messages.error(request, str(refused))
        return redirect("team")
    messages.success(request, f"Made {team.name}; you own it. Invite people from here.")
    return redirect("team-detail", pk=team.pk)


@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team(request, pk)
    try:
        hours = int(request.POST.get("hours") or teams.INVITE_HOURS)
        _invite, token = teams.invite(team, request.user, request.POST.get("role", ""), hours)
    except ValueError as refused:  # TeamRefused, or hours that are not a number
        return _refused(request, pk, refused if isinstance(refused, teams.TeamRefused)
                        else "Give the invite's lifetime in hours.")  # fmt: skip
    link = request.build_absolute_uri(reverse("invite", args=[token]))
    return team_page(request, pk, invite_link=link)


@require_POST
def change_role(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    team = _team(request, pk)
    try:
        membership = teams.change_role(team, request.user, member_id, request.POST.get("role", ""))
    except teams.TeamRefused as refused:
        return _refused(request, pk, refused)
    messages.success(request, f"{membership.user.get_username()} is now "
                              f"{membership.get_role_display().lower()}.")  # fmt: skip
    return redirect("team-detail", pk=pk)


@require_POST
def remove(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    team = _team(request, pk)
    leaving = member_id == request.user.pk
    try:
        teams.remove(team, request.user, member_id)
    except teams.TeamRefused as refused:
        return _refused(request, pk, refused)
    if leaving:
        messages.success(request, f"You left {team.name}.")
        return redirect("team")
    messages.success(request, "Removed from the team; their access ended at once.")
    return redirect("team-detail", pk=pk)


def accept_invite(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link offers. POST: join (making the account first when signed out)."""
    found = teams.pending_invite(token)
    if found is None:
        return render(request, "accounts/invite.html", {"expired": True}, status=404)
    signed_in = request.user.is_authenticated
    form = None if signed_in else NewAccountForm(request.POST or None)
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            with transaction.atomic():
                user = request.user if signed_in else form.create_user(admin=False)
                teams.accept(token, user)
        except teams.TeamRefused as refused:
            return render(request, "accounts/invite.html", {"expired": True,
                          "reason": str(refused)}, status=404)  # fmt: skip
        if not signed_in:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"You joined {found.team.name} as "
                                  f"{found.get_role_display().lower()}.")  # fmt: skip
        return redirect("team-detail", pk=found.team_id)
    context = {"invite": found, "form": form}
    return render(request, "accounts/invite.html", context, status=400 if form and form.errors
                  else 200)  # fmt: skip
