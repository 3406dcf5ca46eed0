"""The conversation's tools box: tool definitions, a tool choice and an output schema, parsed
from the JSON the user typed and checked with the provider layer's own rules, so that a
mistake is shown next to the box instead of failing the next run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connections.llm import ConfigurationError, output_schema, safe_tool_name, tool_spec

TOOL_CHOICES = ("auto", "required", "none")
EXAMPLE_TOOLS = [
    {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "e.g. Paris"}},
            "required": ["city"],
        },
    }
]


@dataclass(frozen=True)
class ToolSettings:
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str = ""  # "" means auto when tools are given
    output_schema: dict[str, Any] | None = None


def _json(text: str, what: str, errors: dict[str, str], key: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        line_hint = (
            f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
        )
        errors[key] = f"{what} is not valid JSON{line_hint}: {getattr(error, 'msg', error)}."
        return None


def parse_tool_settings(
    tools_text: str, choice_text: str, schema_text: str
) -> tuple[ToolSettings, dict[str, str]]:
    """The box's settings and, by field name, what is wrong with it (empty when nothing)."""
    errors: dict[str, str] = {}
    tools: list[dict[str, Any]] = []
    if tools_text.strip():
        value = _json(tools_text, "Tools", errors, "tools")
        if isinstance(value, dict):
            value = [value]  # one tool without the brackets
        if value is not None and not isinstance(value, list):
            errors["tools"] = 'Tools are a JSON array of tool definitions: [{"name": ...}].'
        elif value is not None:
            tools = _checked_tools(value, errors)
    schema: dict[str, Any] | None = None
    if schema_text.strip():
        value = _json(schema_text, "The output schema", errors, "output_schema")
        if value is not None and not isinstance(value, dict):
            errors["output_schema"] = 'The output schema is a JSON object: {"type": "object", ...}.'
        elif value is not None:
            try:
                output_schema(value)
            except ConfigurationError as error:
                errors["output_schema"] = str(error)
            else:
                schema = value
    choice = choice_text.strip()
    names = [tool_spec(tool).name for tool in tools]  # checked above: safe for every provider
    if choice and choice not in TOOL_CHOICES and "tools" not in errors and choice not in names:
        listed = ", ".join([*TOOL_CHOICES, *names])
        errors["tool_choice"] = f"Tool choice is one of: {listed}."
    if tools and schema is not None:
        errors["output_schema"] = (
            "Use tools or an output schema on a conversation, not both: empty one of the boxes."
        )
    return ToolSettings(tools=tools, tool_choice=choice, output_schema=schema), errors


def _checked_tools(values: list[Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for position, value in enumerate(values, start=1):
        if not isinstance(value, dict):
            errors["tools"] = f"Tool {position} is not a JSON object."
            return []
        try:
            name = tool_spec(value).name
        except ConfigurationError as error:
            errors["tools"] = f"Tool {position}: {error}"
            return []
        if safe_tool_name(name) != name:
            errors["tools"] = (
                f"Tool {position}: the name {name!r} may hold only letters, digits, _ and - "
                "(at most 64 characters), as every provider requires."
            )
            return []
        if name in seen:
            errors["tools"] = f"Two tools are named {name!r}; tool names must differ."
            return []
        seen.add(name)
    return values


MOST_AUTO_REPLY_STEPS = 50


@dataclass(frozen=True)
class AutoReply:
    """ "Auto-reply with fixtures": on, and for how many rounds of tool calls per turn."""

    enabled: bool = False
    steps: int = 8


def parse_auto_reply(switch_text: str, steps_text: str) -> tuple[AutoReply, dict[str, str]]:
    """The switch (a checkbox: present when on) and its step limit, 1 to 50."""
    steps = AutoReply.steps
    errors: dict[str, str] = {}
    if steps_text:
        try:
            steps = int(steps_text)
        except ValueError:
            steps = 0
        if not 1 <= steps <= MOST_AUTO_REPLY_STEPS:
            errors["auto_reply_steps"] = (
                f"Auto-reply steps is a whole number from 1 to {MOST_AUTO_REPLY_STEPS}."
            )
    return AutoReply(enabled=switch_text.lower() in {"on", "true", "1"}, steps=steps), errors


def tool_settings_text(saved: dict[str, Any]) -> dict[str, str]:
    """The saved box as the panel's field values."""
    tools = saved.get("tools") or []
    schema = saved.get("output_schema")
    return {
        "tools": json.dumps(tools, indent=2) if tools else "",
        "tool_choice": saved.get("tool_choice") or "",
        "output_schema": json.dumps(schema, indent=2) if schema else "",
    }
