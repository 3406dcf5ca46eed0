"""Who may see and change what: the one place every view, htmx partial, websocket connect and
message, and download asks (design §3).

An object a user may not see does not exist for them: lookups answer 404, never 403, with a
message that does not name it. Until teams arrive, a conversation and what hangs from it
(messages, runs, attachments) belong to the account that made it.

This app depends on no other: the rules are written over query sets and the lookup path to
each object's owner, so chat, compare and library ask here without accounts importing them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

NOT_FOUND = "There is nothing here, or it is not yours to see."


def is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def visible(user: Any, queryset: QuerySet, *, owner: str = "owner") -> QuerySet:
    """The objects of `queryset` that `user` may see; `owner` is the lookup path from an object
    to the account it belongs to ("conversation__owner" for an attachment)."""
    if not is_signed_in(user):
        return queryset.none()
    return queryset.filter(**{owner: user})


def get_or_404(user: Any, queryset: QuerySet, *, owner: str = "owner", **lookup: Any) -> Model:
    """One object the user may see, or Http404 — also for lookups that are not even valid
    (a word where an id belongs), which must not become a server error."""
    try:
        return visible(user, queryset, owner=owner).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(NOT_FOUND) from None


class NoAccess(Exception):
    """The account is gone or inactive, or may not (or no longer) see the object."""


def visible_to_id(
    user_id: int, queryset: QuerySet, *, owner: str = "owner", **lookup: Any
) -> Model:
    """For work that outlives a request (a socket, the engine): the object, if the account is
    still there and active and may still see it; NoAccess otherwise. Asked on connect and
    again on every message, in the same database visit as the work."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    found = visible(user, queryset, owner=owner).filter(**lookup).first() if user else None
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
    return {found.pk: found for found in visible(user, queryset, owner=owner).filter(pk__in=pks)}


def still_visible(user_id: int, queryset: QuerySet, *, owner: str = "owner", **lookup: Any) -> bool:
    try:
        visible_to_id(user_id, queryset, owner=owner, **lookup)
    except NoAccess:
        return False
    return True


def may_manage_team(user: Any) -> bool:
    """Add and remove members, unlock sign-ins."""
    return is_signed_in(user) and user.is_staff


def may_manage_connections(user: Any) -> bool:
    """Add, edit and delete connections (every member may use and test them)."""
    return is_signed_in(user) and user.is_staff
