"""The library's output schemas: a JSON Schema checked as a pane's Output schema box checks
it, saved as immutable versions, and put into a pane (which then answers in that shape;
a pane has tools or an output schema, not both)."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Max

from chat.models import Pane
from chat.tool_settings import parse_tool_settings
from library.claiming import item_to_extend
from library.models import OutputSchema, SchemaVersion


class SchemaRefused(ValueError):
    """What is wrong with the schema, said to the user as it is."""


def checked(text: str) -> dict[str, Any]:
    _settings, problems = parse_tool_settings("", "", text)
    if problems:
        raise SchemaRefused(" ".join(problems.values()))
    if not text.strip():
        raise SchemaRefused('Paste a JSON Schema: {"type": "object", "properties": {...}}.')
    return json.loads(text)


def save_schema(team: Any, author: Any, name: str, text: str) -> SchemaVersion:
    """A new schema, or a new version of the team's schema of that name."""
    name = name.strip()
    if not name or len(name) > 120:
        raise SchemaRefused("Name the schema (at most 120 characters).")
    body = checked(text)
    with transaction.atomic():
        schema, _made = item_to_extend(OutputSchema, team, name, author, SchemaRefused)
        latest = schema.versions.order_by("-number").first()
        if latest is not None and latest.body == body:
            raise SchemaRefused(f"Nothing changed since version {latest.number}.")
        number = (schema.versions.aggregate(Max("number"))["number__max"] or 0) + 1
        return SchemaVersion.objects.create(schema=schema, number=number, body=body,
                                            author=author)  # fmt: skip


def use_in_pane(version: SchemaVersion, pane: Pane) -> None:
    """The pane answers in this shape from its next turn on."""
    if pane.tools:
        raise SchemaRefused(f"{pane.label} has tools; a pane takes tools or an output schema, "
                            "not both. Remove its tools first.")  # fmt: skip
    Pane.objects.filter(pk=pane.pk).update(output_schema=version.body)
