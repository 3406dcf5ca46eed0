"""The library's tool pages: the list with "Add tool" and an import of an OpenAI `tools`
array, a tool with its versions and fixtures, the export, and Delete — archived instead
while a prompt version pins it. Viewers read and export; editors and owners add, change
and delete (accounts.permissions)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import permissions, teams
from accounts.models import Team
from accounts.teams import personal_team
from chat.models import Message
from library import tools
from library.models import Prompt, PromptVersion, Tool


def _tool(request: HttpRequest, pk: int, *, change: bool = False) -> Tool:
    return permissions.get_or_404(request.user, Tool.objects.select_related("team"),
                                  change=change, pk=pk)  # fmt: skip


def index(request: HttpRequest) -> HttpResponse:
    listed = permissions.visible(request.user, Tool.objects.filter(archived=False)
                                 .select_related("team").prefetch_related("versions"))  # fmt: skip
    query = request.GET.get("q", "").strip()[:200]
    if query:
        listed = listed.filter(name__icontains=query)
    context = {"tools": listed[:500], "teams": teams.editing_teams(request.user), "query": query}
    return render(request, "library/tools.html", context)


def _team_from(request: HttpRequest) -> Team:
    team = teams.chosen_team(request.user, request.POST.get("team", ""))
    if team is None:
        raise tools.ToolRefused("Pick the team the tool belongs to.")
    return team


@require_POST
def add(request: HttpRequest) -> HttpResponse:
    """ "Add tool": one definition, or (Import) an OpenAI-style array of them."""
    try:
        team = _team_from(request)
        if request.POST.get("import"):
            saved = tools.import_tools(team, request.user, request.POST["import"])
        else:
            text = request.POST.get("definition", "")
            try:
                definition = json.loads(text)
            except ValueError:
                raise tools.ToolRefused('A tool is JSON: {"name": ..., "description": ..., '
                                        '"parameters": {...}}.') from None  # fmt: skip
            saved = [tools.save_tool(team, request.user, definition)]
    except tools.ToolRefused as refused:
        messages.error(request, str(refused))
        return redirect("library-tools")
    # Adding a tool of an archived one's name is a new version of it: listed again.
    Tool.objects.filter(pk__in=[v.tool_id for v in saved], archived=True).update(archived=False)
    messages.success(request, "Saved " + ", ".join(
        f"{v.tool.name} v{v.number}" for v in saved) + ".")  # fmt: skip
    return redirect("library-tool", pk=saved[0].tool_id) if len(saved) == 1 else redirect(
        "library-tools")  # fmt: skip


def tool_page(request: HttpRequest, pk: int) -> HttpResponse:
    tool = _tool(request, pk)
    versions = list(tool.versions.select_related("author"))
    context = {
        "tool": tool, "versions": versions, "latest": versions[0] if versions else None,
        "fixtures": list(tool.fixtures.select_related("created_by")),
        "may_change": permissions.may_change(request.user, Tool.objects, pk=tool.pk),
        "definition": json.dumps(versions[0].definition(), indent=2) if versions else "",
    }  # fmt: skip
    return render(request, "library/tool.html", context)


@require_POST
def save_version(request: HttpRequest, pk: int) -> HttpResponse:
    tool = _tool(request, pk, change=True)
    try:
        definition = json.loads(request.POST.get("definition", ""))
        if isinstance(definition, dict) and definition.get("name", tool.name) != tool.name:
            raise tools.ToolRefused("A new version keeps the tool's name; add a tool to rename.")
        version = tools.save_tool(tool.team, request.user, definition)
    except ValueError as refused:  # ToolRefused, or not JSON
        messages.error(request, str(refused) if isinstance(refused, tools.ToolRefused)
                       else "That is not JSON.")  # fmt: skip
    else:
        messages.success(request, f"Saved {tool.name} v{version.number}.")
    return redirect("library-tool", pk=pk)


@require_POST
def add_fixture(request: HttpRequest, pk: int) -> HttpResponse:
    tool = _tool(request, pk, change=True)
    try:
        tools.add_fixture(tool, request.user, request.POST.get("arguments", ""),
                          request.POST.get("result", ""))  # fmt: skip
    except tools.ToolRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Saved the fixture: calls that match get it in one click.")
    return redirect("library-tool", pk=pk)


def export(request: HttpRequest) -> HttpResponse:
    """Every tool one may see (or one team's), latest versions, as an OpenAI `tools` array."""
    listed = permissions.visible(request.user, Tool.objects.filter(archived=False))
    team = request.GET.get("team", "")
    if team.isdigit():
        listed = listed.filter(team_id=int(team))
    latest = [t.versions.order_by("-number").first() for t in listed.prefetch_related("versions")]
    body = json.dumps(tools.exported(v for v in latest if v), indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="tools.json"'
    return response


@require_POST
def fixture_from_message(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Save as fixture" under a typed tool result: kept as a fixture of the library's tool
    of that name (one you may change; else the pane's definition, saved for you alone), for
    calls with exactly these arguments. 204, or 400 with the reason (shown by the message)."""
    result = permissions.get_or_404(request.user, Message.objects.select_related("pane"),
                                    owner="conversation__owner", change=False,
                                    pk=pk, role=Message.Role.TOOL)  # fmt: skip
    call = next((c for m in Message.objects.filter(turn_id=result.turn_id,
                                                   role=Message.Role.ASSISTANT)
                 for c in m.tool_calls or [] if c.get("id") == result.tool_call_id), None)  # fmt: skip
    tool = (permissions.visible(request.user, Tool.objects.filter(name=result.tool_name,
                                                                   archived=False), change=True)
            .order_by("-created_at").first())  # fmt: skip
    try:
        if tool is None:
            definition = next((d for d in (result.pane.tools if result.pane else [])
                               if tools.checked(d)["name"] == result.tool_name), None)  # fmt: skip
            if definition is None:
                raise tools.ToolRefused("Add this tool to the library first (Library → Tools).")
            team = personal_team(request.user)
            tool = tools.save_tool(team, request.user, definition).tool
        tools.add_fixture(tool, request.user, json.dumps((call or {}).get("arguments") or {}),
                          result.content)  # fmt: skip
    except tools.ToolRefused as refused:
        return HttpResponse(str(refused), status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204, headers={"HX-Trigger": "fixture-saved"})


def users_named(user: Any, versions: Iterable[PromptVersion], verbs: tuple[str, str]) -> str:
    """ "prompt “Support bot” v2 and v3 pin it, so it is kept for them": the prompts `user`
    may see by name with their versions, the others only counted (their names are not
    theirs to learn). `verbs` agrees with one user and with several: ("pins it", "pin it")."""
    by_prompt: dict[int, list[PromptVersion]] = {}
    for version in versions:
        by_prompt.setdefault(version.prompt_id, []).append(version)
    shown = set(permissions.visible(user, Prompt.objects.filter(pk__in=by_prompt))
                .values_list("pk", flat=True))  # fmt: skip
    named = {pk: sorted(found, key=lambda v: v.number) for pk, found in sorted(by_prompt.items())
             if pk in shown}  # fmt: skip
    hidden = len(by_prompt) - len(named)
    parts = [("prompts " if len(named) > 1 else "prompt ") + ", ".join(
        f"“{found[0].prompt.name}” " + _and([f"v{v.number}" for v in found])
        for found in named.values())] if named else []  # fmt: skip
    if hidden:
        parts.append(f"{hidden} prompt{'s' if hidden > 1 else ''} you cannot see")
    one = len(parts) == 1 and (sum(map(len, named.values())) == 1 if named else hidden == 1)
    kept_for = ("that version" if named else "that prompt") if one else "them"
    return f"{', plus '.join(parts)} {verbs[not one]}, so it is kept for {kept_for}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def pinning(tool: Tool) -> list[PromptVersion]:
    """The prompt versions that pin one of the tool's versions (by the tool's id; its name,
    which never changes, narrows the search first)."""
    found = PromptVersion.objects.filter(tool_versions__icontains=f'"{tool.name}"')
    return [version for version in found.select_related("prompt").only(
                "number", "tool_versions", "prompt", "prompt__name")
            if any(isinstance(pin, dict) and pin.get("tool") == tool.pk
                   for pin in version.tool_versions or [])]  # fmt: skip


def delete_or_archive(request: HttpRequest, item: Any, using: Callable[[Any], list[PromptVersion]],
                      verbs: tuple[str, str], listed: str) -> HttpResponse:  # fmt: skip
    """Delete a tool or schema with its versions; archive it instead — kept, listed nowhere —
    while `using(item)` finds prompt versions that need it, saying which."""
    with transaction.atomic():
        users = using(item)
        if not users:
            item.delete()
    if not users:
        messages.success(request, f"Deleted {item.name}.")
        return redirect(listed)
    type(item).objects.filter(pk=item.pk).update(archived=True)
    messages.success(request, f"Archived {item.name}: {users_named(request.user, users, verbs)}.")
    return redirect(listed)


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Deleted with its versions and fixtures, or archived while a prompt version pins it,
    so no saved version loses its tool."""
    return delete_or_archive(request, _tool(request, pk, change=True), pinning,
                             ("pins it", "pin it"), "library-tools")  # fmt: skip
