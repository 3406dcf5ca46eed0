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

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Exists, F, Model, Q, QuerySet
from django.http import Http404

from playground.prepared import Prepared

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
    """Owned by `user` (an account or its id), or shared with a team where it holds one of
    `roles` (any role when None). A subquery, so an object is never listed twice."""
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


_among: dict[tuple[type[Model], str], Prepared] = {}


def _changeable_among(model: type[Model], owner: str) -> Prepared:
    prepared = _among.get((model, owner))
    if prepared is not None:
        return prepared

    def build(user_id: int, pks: list[int]) -> QuerySet:
        active = get_user_model().objects.filter(pk=user_id, is_active=True)
        queryset = model._default_manager.all()
        rule = _rule(user_id, queryset, owner, EDITING_ROLES)
        return queryset.filter(Exists(active), rule, pk__in=pks).order_by()

    return _among.setdefault((model, owner), Prepared(model, build))


def visible_among(
    user_id: int, model: type[Model], pks: list[int], *, owner: str = "owner"
) -> dict[int, Model]:
    """visible_to_id for many objects in one query: those of `pks` the account (if still
    there and active) may change, by pk; the others are left out. The account is asked in
    the same query; the query is prepared (playground.prepared: every send asks this before
    its request can leave)."""
    found = _changeable_among(model, owner).objects(user_id, list(pks))
    return {instance.pk: instance for instance in found}


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
    """Add, edit and delete the site's connections (every account may use and test them);
    a team's are its owners' to manage too (may_manage_connection)."""
    return is_signed_in(user) and user.is_staff


# -- teams' own pages ---------------------------------------------------------------------------
# A team's leaderboard and its votes are its members' (any role) to read; the votes of a
# personal team are that person's alone.


def member_teams(user: Any) -> QuerySet:
    from accounts.models import Team  # models load after this module

    if not is_signed_in(user):
        return Team.objects.none()
    shared_first = F("personal_for").asc(nulls_first=True)
    return Team.objects.filter(memberships__user=user).order_by(shared_first, "name")


def member_team_or_404(user: Any, pk: Any) -> Model:
    try:
        return member_teams(user).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(NOT_FOUND) from None


# -- connections -------------------------------------------------------------------------------
# A connection with no team is the site's (the environment's, and every connection from before
# teams): every signed-in account uses it, admins manage it. A team's connection is used by
# that team's members, whatever their role, and managed by its owners and by admins; a
# personal team's is therefore its person's alone. Using means listed in a picker, sent
# through, tested, its models listed; one that may not use it finds it nowhere (404).
# Written over the lookups "team" and "team_id" of a connection, so accounts imports nothing
# of the connections app.

NOTHING = Q(pk__in=[])
EVERY = Q(pk__isnull=False)  # not Q(): an empty Q drops out of `a | Q()`, leaving just `a`


def connections_of_teams(teams: frozenset[int] | None) -> Q:
    """The connections members of `teams` use: the site's and those teams' (none when
    `teams` is None: no account, or one no longer active)."""
    if teams is None:
        return NOTHING
    return Q(team__isnull=True) | Q(team__in=sorted(teams))


def usable_connections(user: Any) -> Q:
    """The connections `user` may use, as a filter of a Connection query set (a subquery of
    their memberships, so it stays one query)."""
    from accounts.models import Membership  # models load after this module

    if not is_signed_in(user):
        return NOTHING
    return Q(team__isnull=True) | Q(team__in=Membership.objects.filter(user=user).values("team_id"))


def _memberships_of_active(user_ids: list[int]) -> QuerySet:
    """(account, team) of each active account; a left join: one in no team has one row,
    with None."""
    active = get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    return active.values_list("pk", "memberships__team_id")


_active_memberships = Prepared(settings.AUTH_USER_MODEL, _memberships_of_active)


def connection_teams(user_ids: Any) -> dict[int, frozenset[int]]:
    """For work that outlives a request (the engine, a socket): the teams of each active
    account, whose connections it may use, in one query whatever their number. An account
    that is gone or inactive is left out (it may use nothing)."""
    teams: dict[int, set[int]] = {}
    for user_id, team_id in _active_memberships.rows(list(user_ids)):
        teams.setdefault(user_id, set()).update({team_id} - {None})
    return {user_id: frozenset(found) for user_id, found in teams.items()}


def may_use_connection(team_id: int | None, teams: frozenset[int] | None) -> bool:
    """Whether a connection of team `team_id` (None: the site's) is one that an account in
    `teams` (from connection_teams; None when it has no active account) may use."""
    return teams is not None and (team_id is None or team_id in teams)


def manageable_connections(user: Any) -> Q:
    """The connections `user` may edit and delete: every one for admins; a team owner's
    team's. (Environment connections change only with the environment: the views say so.)"""
    from accounts.models import Membership

    if not is_signed_in(user):
        return NOTHING
    if user.is_staff:
        return EVERY
    owned = Membership.objects.filter(user=user, role="owner").values("team_id")
    return Q(team__in=owned)


def may_manage_connection(user: Any, connection: Any) -> bool:
    """Edit or delete this connection (a site one: admins; a team's: its owners, admins)."""
    from accounts.models import Membership

    if not is_signed_in(user):
        return False
    if user.is_staff:
        return True
    return (
        connection.team_id is not None
        and Membership.objects.filter(user=user, team_id=connection.team_id, role="owner").exists()
    )


def teams_for_new_connections(user: Any) -> QuerySet:
    """The teams `user` may add a connection for: those they own (their personal team among
    them). A site connection (no team) is for admins only: may_manage_connections."""
    from accounts.models import Team

    if not is_signed_in(user):
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user, memberships__role="owner")


def usable_connection_or_404(user: Any, queryset: QuerySet, **lookup: Any) -> Model:
    """One connection of `queryset` that `user` may use, or Http404: for one they may not,
    exactly as for one that does not exist (or an id that is not even a number)."""
    try:
        return queryset.filter(usable_connections(user)).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(NOT_FOUND) from None
