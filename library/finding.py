"""The Library page — the prompts, tools and output schemas one may see, searchable and
filtered by kind, team, tag and author (only through accounts.permissions.visible: an item
one may not see, and an author of nothing one may see, are never listed) — and the Tags
field of a prompt's, a tool's and a schema's page, for its editors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.models import Team
from accounts.teams import editing_teams
from library import tags
from library.models import OutputSchema, Prompt, Tool

KINDS = (("", "All"), ("prompts", "Prompts"), ("tools", "Tools"), ("schemas", "Schemas"))
TAGGED = {"prompt": (Prompt, "library-prompt"), "tool": (Tool, "library-tool"),
          "schema": (OutputSchema, "library-schema")}  # fmt: skip
LISTED = 200


def _visible(user) -> dict[str, QuerySet]:  # type: ignore[no-untyped-def]
    return {
        "prompts": permissions.visible(user, Prompt.objects.select_related("team", "owner")),
        "tools": permissions.visible(user, Tool.objects.select_related("team", "owner")),
        "schemas": permissions.visible(user, OutputSchema.objects.select_related("team",
                                                                                  "owner")),
    }  # fmt: skip


def _searched(kind: str, listed: QuerySet, query: str) -> QuerySet:
    if kind == "prompts":
        return listed.filter(
            Q(name__icontains=query) | Q(versions__system_prompt__icontains=query)
            | Q(versions__messages__icontains=query)
        ).distinct()  # fmt: skip
    if kind == "tools":
        return listed.filter(Q(name__icontains=query)
                             | Q(versions__description__icontains=query)).distinct()  # fmt: skip
    return listed.filter(name__icontains=query)


def index(request: HttpRequest) -> HttpResponse:
    """ "Library": what one may see, recently used prompts first; search by name and text."""
    every = _visible(request.user)
    query = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    kind = kind if kind in dict(KINDS) else ""
    team, tag, author = (request.GET.get(name, "").strip() for name in ("team", "tag", "author"))
    found: dict[str, QuerySet | None] = {}
    for name, listed in every.items():
        if kind and kind != name:
            found[name] = None
            continue
        if query:
            listed = _searched(name, listed, query)
        if team.isdigit():
            listed = listed.filter(team_id=int(team))
        if tag:
            listed = tags.tagged(listed, tag.lower())
        if author.isdigit():
            listed = listed.filter(owner_id=int(author))
        if request.GET.get("archived") != "1":
            listed = listed.filter(archived=False)
        found[name] = listed[:LISTED]
    owners = {pk for listed in every.values() for pk in listed.values_list("owner_id", flat=True)}
    known_tags = sorted({t for listed in every.values()
                         for item_tags in listed.values_list("tags", flat=True)
                         for t in item_tags or [] if isinstance(t, str)})  # fmt: skip
    context = {
        "prompts": found["prompts"], "tools": found["tools"], "schemas": found["schemas"],
        "query": query, "team": team, "kind": kind, "tag": tag, "author": author,
        "kinds": KINDS, "known_tags": known_tags,
        "authors": get_user_model().objects.filter(pk__in=owners).order_by("username"),
        "teams": Team.objects.filter(memberships__user=request.user)
        .order_by("personal_for", "name"),
        "editing_teams": editing_teams(request.user),
        "filtered": bool(query or team or tag or author),
    }  # fmt: skip
    return render(request, "library/index.html", context)


@require_POST
def set_tags(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The "Tags" field of a prompt's, tool's or schema's page (editors and owners)."""
    if kind not in TAGGED:
        raise Http404(permissions.NOT_FOUND)
    model, page = TAGGED[kind]
    item = permissions.get_or_404(request.user, model.objects, change=True, pk=pk)
    try:
        chosen = tags.parsed(request.POST.get("tags", ""))
    except tags.TagsRefused as refused:
        messages.error(request, str(refused))
    else:
        model.objects.filter(pk=item.pk).update(tags=chosen)
        messages.success(request, "Tags: " + ", ".join(chosen) + "." if chosen
                         else "No tags now.")  # fmt: skip
    return redirect(page, pk=item.pk)
