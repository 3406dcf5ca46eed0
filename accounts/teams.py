"""What can be done to a team: a personal team for every account, the first shared team,
invites by a link that expires and works once, roles changed, members removed or leaving —
and the rule under all of it: a shared team always keeps an owner.

Each change is one transaction; a refusal raises TeamRefused with what to do instead.
Someone who loses a membership has their open sockets closed at once (accounts.sockets).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Invite, Membership, Role, Team

INVITE_HOURS = 24
FIRST_SHARED_TEAM = "Team"


class TeamRefused(ValueError):
    """Why the change cannot be made, said to the user as it is."""


def personal_team(user: Any) -> Team:
    """The user's own team (made with the account; made now for an account from before
    teams)."""
    team = Team.objects.filter(personal_for=user).first()
    if team is not None:
        return team
    with transaction.atomic():
        team, _made = Team.objects.get_or_create(
            personal_for=user, defaults={"name": f"{user.get_username()} (personal)"}
        )
        Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.OWNER})
    return team


def editing_teams(user: Any) -> list[Team]:
    """The teams where `user` may add and change things (owner or editor), shared teams first
    and the personal one ("Only me") last: the choices of every "Team" select of the library,
    whose first is the default — what you save is your team's unless you say otherwise."""
    return list(Team.objects.filter(memberships__user=user,
                                    memberships__role__in=(Role.OWNER, Role.EDITOR))
                .order_by(F("personal_for").asc(nulls_first=True), "name"))  # fmt: skip


def chosen_team(user: Any, wanted: str) -> Team | None:
    """The team a form chose, if it is one of the user's editing teams."""
    return next((team for team in editing_teams(user) if str(team.pk) == wanted), None)


def create_team(name: str, owner: Any) -> Team:
    name = name.strip()
    if not name:
        raise TeamRefused("Name the team first.")
    if len(name) > 100:
        raise TeamRefused("A team's name takes at most 100 characters.")
    with transaction.atomic():
        team = Team.objects.create(name=name)
        Membership.objects.create(team=team, user=owner, role=Role.OWNER)
    return team


def first_shared_team(owner: Any) -> Team:
    """The first account owns the first shared team (made at set-up)."""
    return create_team(FIRST_SHARED_TEAM, owner)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(team: Team, by: Any, role: str, hours: int = INVITE_HOURS) -> tuple[Invite, str]:
    """A new invite and its token (shown once, never stored). Only owners invite."""
    if team.is_personal:
        raise TeamRefused("A personal team is yours alone; invite people to a shared team.")
    if role not in Role.values:
        raise TeamRefused("Pick a role: owner, editor or viewer.")
    if not 1 <= hours <= 24 * 30:
        raise TeamRefused("An invite lasts between 1 hour and 30 days.")
    _require_owner(team, by)
    token = secrets.token_urlsafe(32)
    made = Invite.objects.create(team=team, role=role, token_sha256=_token_hash(token),
                                 created_by=by,
                                 expires_at=timezone.now() + timedelta(hours=hours))  # fmt: skip
    return made, token


def pending_invite(token: str) -> Invite | None:
    """The invite a link names while it can still be used, else None (expired, used, or
    never made look the same: the link does not work)."""
    if not token or len(token) > 100:
        return None
    return (
        Invite.objects.select_related("team")
        .filter(
            token_sha256=_token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now()
        )  # fmt: skip
        .first()
    )


def accept(token: str, user: Any) -> Membership:
    """Join the invite's team. A member already there keeps the higher of the two roles."""
    with transaction.atomic():
        found = (
            Invite.objects.select_for_update()
            .filter(
                token_sha256=_token_hash(token or ""),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )  # fmt: skip
            .first()
        )
        if found is None:
            raise TeamRefused("This invite link has expired or was used already; ask the "
                              "team's owner for a new one.")  # fmt: skip
        membership, made = Membership.objects.get_or_create(
            team_id=found.team_id, user=user, defaults={"role": found.role}
        )
        if not made and _rank(found.role) > _rank(membership.role):
            membership.role = found.role
            membership.save(update_fields=["role"])
        found.used_at, found.used_by = timezone.now(), user
        found.save(update_fields=["used_at", "used_by"])
    return membership


def _rank(role: str) -> int:
    return {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}.get(role, -1)


def role_of(team: Team, user: Any) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(team=team, user=user).values_list("role", flat=True).first()


def _require_owner(team: Team, user: Any) -> None:
    if role_of(team, user) != Role.OWNER:
        raise TeamRefused("Only the team's owners can do that.")


def _keeps_an_owner(team: Team, leaving: Membership) -> None:
    if leaving.role != Role.OWNER:
        return
    others = (Membership.objects.select_for_update()
              .filter(team=team, role=Role.OWNER).exclude(pk=leaving.pk))  # fmt: skip
    if not others.exists():
        raise TeamRefused("A team needs an owner: make someone else an owner first.")


def change_role(team: Team, by: Any, member_id: int, role: str) -> Membership:
    if role not in Role.values:
        raise TeamRefused("Pick a role: owner, editor or viewer.")
    with transaction.atomic():
        _require_owner(team, by)
        membership = _membership(team, member_id)
        if role != Role.OWNER:
            _keeps_an_owner(team, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def _membership(team: Team, member_id: int) -> Membership:
    membership = (Membership.objects.select_for_update().select_related("user")
                  .filter(team=team, user_id=member_id).first())  # fmt: skip
    if membership is None:
        raise TeamRefused("That person is not in this team.")
    return membership


def remove(team: Team, by: Any, member_id: int) -> None:
    """An owner removes a member (or a member leaves: `by` is them): access ends at once."""
    if team.is_personal:
        raise TeamRefused("A personal team keeps its one member.")
    with transaction.atomic():
        if by.pk != member_id:
            _require_owner(team, by)
        membership = _membership(team, member_id)
        _keeps_an_owner(team, membership)
        membership.delete()  # its post_delete closes the member's sockets
