"""Who may see and change what: the one place every view, htmx partial, websocket connect and
message, and download asks (design §3).

An object a user may not see does not exist for them: lookups answer 404, never 403, with a
message that does not name it. A conversation and what hangs from it (messages, runs,
attachments) belong to the account that made it and, once shared, to its team: every member
sees it, owners and editors change it, viewers open and fork it.

This app depends on no other: the rules are written over query sets and the lookup path to
each object's owner, so chat, compare and library ask here without accounts importing them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

NOT_FOUND = "There is nothing here, or it is not yours to see."


def is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


EDITING_ROLES = ("owner", "editor")


def _shared_path(queryset: QuerySet, owner: str) -> str | None:
    """The lookup prefix of the object that says who it is shared with (its `team` and
    `visibility`), when the object behind `owner` has them: "conversation__" for an
    attachment, "" for a conversation; None for objects only their owner sees."""
    if not owner.endswith("owner"):
        return None
    prefix = owner[: -len("owner")]
    model = queryset.model
    for name in filter(None, prefix.split("__")):
        model = model._meta.get_field(name).related_model
    names = {field.name for field in model._meta.get_fields()}
    return prefix if {"team", "visibility"} <= names else None


def _rule(user: Any, queryset: QuerySet, owner: str, roles: tuple[str, ...] | None) -> Q:
    """Owned by `user`, or shared with a team where `user` holds one of `roles` (any role
    when None). A subquery, so an object is never listed twice."""
    from accounts.models import Membership  # models load after this module

    rule = Q(**{owner: user})
    prefix = _shared_path(queryset, owner)
    if prefix is not None:
        teams = Membership.objects.filter(user=user)
        if roles is not None:
            teams = teams.filter(role__in=roles)
        rule |= Q(**{f"{prefix}visibility": "team",
                     f"{prefix}team__in": teams.values("team_id")})  # fmt: skip
    return rule


def visible(user: Any, queryset: QuerySet, *, owner: str = "owner", change: bool = False
            ) -> QuerySet:  # fmt: skip
    """The objects of `queryset` that `user` may see (with `change`: may change); `owner` is
    the lookup path from an object to the account it belongs to ("conversation__owner" for
    an attachment). What a conversation shares with its team, every member sees and owners
    and editors change; viewers open and fork it."""
    if not is_signed_in(user):
        return queryset.none()
    return queryset.filter(_rule(user, queryset, owner, EDITING_ROLES if change else None))


def get_or_404(user: Any, queryset: QuerySet, *, owner: str = "owner", change: bool = True,
               **lookup: Any) -> Model:  # fmt: skip
    """One object the user may change (or, with change=False, see), or Http404 — also for
    lookups that are not even valid (a word where an id belongs), which must not become a
    server error. Changing is the default, so a view that forgets to say is the stricter."""
    try:
        return visible(user, queryset, owner=owner, change=change).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(NOT_FOUND) from None


def may_change(user: Any, queryset: QuerySet, *, owner: str = "owner", **lookup: Any) -> bool:
    return visible(user, queryset, owner=owner, change=True).filter(**lookup).exists()


class NoAccess(Exception):
    """The account is gone or inactive, or may not (or no longer) see the object."""


def visible_to_id(
    user_id: int, queryset: QuerySet, *, owner: str = "owner", change: bool = True, **lookup: Any
) -> Model:
    """For work that outlives a request (a socket, the engine): the object, if the account is
    still there and active and may still change (or, with change=False, see) it; NoAccess
    otherwise. Asked on connect and again on every message, in the same database visit as
    the work."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    found = (visible(user, queryset, owner=owner, change=change).filter(**lookup).first()
             if user else None)  # fmt: skip
    if found is None:
        raise NoAccess
    return found


def visible_among(
    user_id: int, queryset: QuerySet, pks: list[Any], *, owner: str = "owner"
) -> dict[Any, Model]:
    """visible_to_id for many objects in one query: those of `pks` the account (if still
    there and active) may see, by pk; the others are left out."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return {}
    changeable = visible(user, queryset, owner=owner, change=True)
    return {found.pk: found for found in changeable.filter(pk__in=pks)}


def still_visible(user_id: int, queryset: QuerySet, *, owner: str = "owner", **lookup: Any) -> bool:
    try:
        visible_to_id(user_id, queryset, owner=owner, change=False, **lookup)
    except NoAccess:
        return False
    return True


def may_manage_team(user: Any) -> bool:
    """Add and remove members, unlock sign-ins."""
    return is_signed_in(user) and user.is_staff


def may_manage_connections(user: Any) -> bool:
    """Add, edit and delete connections (every member may use and test them)."""
    return is_signed_in(user) and user.is_staff
