"""The library's tools: definitions checked as a pane's Tools box checks them (the JSON
Schema meta-schema and every provider's rules for names), saved as immutable versions,
imported from and exported to an OpenAI-style `tools` array, and fixtures — saved results
matched to a call by its arguments (exact values, or "*")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max

from accounts import permissions
from chat.models import Conversation
from chat.tool_settings import parse_tool_settings
from library.claiming import item_to_extend
from library.models import Prompt, Tool, ToolFixture, ToolVersion

ANY = "*"
MAX_IMPORT = 128


class ToolRefused(ValueError):
    """What is wrong with the definition or the fixture, said to the user as it is."""


def checked(definition: Any) -> dict[str, Any]:
    """One tool definition (plain or OpenAI's {"type": "function", "function": {...}}) as
    {"name", "description", "parameters"}; ToolRefused says what no provider would take."""
    if not isinstance(definition, dict):
        raise ToolRefused('A tool is a JSON object: {"name": ..., "parameters": {...}}.')
    body = definition.get("function", definition) if definition.get("type") == "function" \
        else definition  # fmt: skip
    _settings, problems = parse_tool_settings(json.dumps([body]), "", "")
    if problems:
        raise ToolRefused(" ".join(problems.values()))
    parameters = body.get("parameters") or body.get("input_schema") or {
        "type": "object", "properties": {}}  # fmt: skip
    return {"name": body["name"], "description": str(body.get("description") or ""),
            "parameters": parameters}  # fmt: skip


def _new_version(tool: Tool, definition: dict[str, Any], author: Any) -> ToolVersion:
    latest = tool.versions.order_by("-number").first()
    if latest is not None and (latest.description, latest.parameters) == (
            definition["description"], definition["parameters"]):  # fmt: skip
        raise ToolRefused(f"Nothing changed since version {latest.number}.")
    number = (tool.versions.aggregate(Max("number"))["number__max"] or 0) + 1
    return ToolVersion.objects.create(tool=tool, number=number, author=author,
                                      description=definition["description"],
                                      parameters=definition["parameters"])  # fmt: skip


def save_tool(team: Any, author: Any, definition: Any) -> ToolVersion:
    """ "Add tool", or a new version of the team's tool of that name."""
    clean = checked(definition)
    with transaction.atomic():
        tool, _made = item_to_extend(Tool, team, clean["name"], author, ToolRefused)
        return _new_version(tool, clean, author)


def import_tools(team: Any, author: Any, text: str) -> list[ToolVersion]:
    """An OpenAI-style `tools` array (or one tool): all of it saved, or nothing."""
    try:
        value = json.loads(text)
    except ValueError:
        raise ToolRefused("That is not JSON: paste a tools array, [{\"type\": \"function\", "
                          "...}].") from None  # fmt: skip
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > MAX_IMPORT:
        raise ToolRefused(f"Import between 1 and {MAX_IMPORT} tools at once.")
    definitions = []
    for number, item in enumerate(items, 1):
        try:
            definitions.append(checked(item))
        except ToolRefused as refused:
            raise ToolRefused(f"Tool {number}: {refused} Nothing was imported.") from None
    names = [d["name"] for d in definitions]
    if len(set(names)) != len(names):
        raise ToolRefused("Two tools have the same name; nothing was imported.")
    with transaction.atomic():
        saved = []
        for definition in definitions:
            tool, _made = item_to_extend(Tool, team, definition["name"], author, ToolRefused)
            latest = tool.versions.order_by("-number").first()
            unchanged = latest is not None and (latest.description, latest.parameters) == (
                definition["description"], definition["parameters"])  # fmt: skip
            saved.append(latest if unchanged else _new_version(tool, definition, author))
    return saved


def exported(versions: Iterable[ToolVersion]) -> list[dict[str, Any]]:
    """As OpenAI's `tools` array takes them."""
    return [{"type": "function", "function": version.definition()} for version in versions]


def add_fixture(tool: Tool, author: Any, arguments_text: str, result: str) -> ToolFixture:
    try:
        arguments = json.loads(arguments_text or "{}")
    except ValueError:
        raise ToolRefused('The arguments are JSON: {"city": "Paris"}, or {"city": "*"} for '
                          "any city.") from None  # fmt: skip
    if not isinstance(arguments, dict):
        raise ToolRefused("The arguments are a JSON object, as the call's are.")
    if not result.strip():
        raise ToolRefused("Type the result the tool returns.")
    return ToolFixture.objects.create(tool=tool, arguments=arguments, result=result,
                                      created_by=author)  # fmt: skip


def _matches(pattern: dict[str, Any], arguments: dict[str, Any]) -> bool:
    return all(value == ANY and key in arguments or arguments.get(key, object()) == value
               for key, value in pattern.items())  # fmt: skip


def matching(fixtures: Sequence[ToolFixture], arguments: dict[str, Any]) -> ToolFixture | None:
    """The fixture for a call: of those that match, the one with the most exact values (then
    the oldest); None when none does."""
    found = [f for f in fixtures if _matches(f.arguments or {}, arguments or {})]
    if not found:
        return None
    return max(found, key=lambda f: (sum(v != ANY for v in (f.arguments or {}).values()),
                                     -f.pk))  # fmt: skip


def fixture_answers(conversation: Any, calls: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The fixture result for each call a fixture matches, by call id (chat.tool_answers
    asks, for the "Answer with fixture" buttons and auto-reply). Of the tools of that name
    the conversation's owner may see — and, in a conversation shared with a team, only the
    tools shared with that team: the result is on a page every member of it reads."""
    names = {call.get("name", "") for call in calls}
    seen = permissions.visible(conversation.owner, Tool.objects.filter(name__in=names,
                                                                       archived=False))  # fmt: skip
    if conversation.visibility == Conversation.Visibility.TEAM and conversation.team_id:
        seen = seen.filter(team_id=conversation.team_id, visibility=Prompt.Visibility.TEAM)
    fixtures: dict[str, list[ToolFixture]] = {}
    for fixture in ToolFixture.objects.filter(tool__in=seen).select_related("tool"):
        fixtures.setdefault(fixture.tool.name, []).append(fixture)
    found = {}
    for call in calls:
        match = matching(fixtures.get(call.get("name", ""), []), call.get("arguments") or {})
        if match is not None:
            found[call["id"]] = match.result
    return found
