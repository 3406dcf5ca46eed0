"""The parameter panel's values: parsed and checked once, for the panel and for runs.

An empty field means "the provider's default" and is not sent at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError

from chat.models import Conversation
from chat.tool_settings import ToolSettings, parse_tool_settings, tool_settings_text

MAX_STOP_SEQUENCES = 4
# name in the form -> (label, kind, low, high)
NUMERIC_FIELDS: dict[str, tuple[str, type, float, float]] = {
    "temperature": ("Temperature", float, 0, 2),
    "max_tokens": ("Max tokens", int, 1, 1_000_000),
    "top_p": ("Top P", float, 0, 1),
    "seed": ("Seed", int, -(2**63), 2**63 - 1),
    "timeout": ("Timeout", float, 1, 600),
    "max_retries": ("Max retries", int, 0, 10),
}
DEFAULTS = {"timeout": 60.0, "max_retries": 2}


@dataclass(frozen=True)
class RunSettings:
    connection_id: int | None
    model: str
    system_prompt: str | None = None  # None: the form did not include it; keep the saved one
    params: dict[str, Any] = field(default_factory=dict)
    tools: ToolSettings | None = None  # None: the form did not include the tools box

    def as_saved(self) -> dict[str, Any]:
        saved = {"connection_id": self.connection_id, "model": self.model, "params": self.params}
        if self.tools is not None:
            saved.update(self.tools.as_saved())
        return saved

    def saved_over(self, previous: dict[str, Any] | None) -> dict[str, Any]:
        """The conversation's settings with these applied (a box not sent is kept)."""
        return {**(previous or {}), **self.as_saved()}


def _value(data: Mapping[str, Any], name: str) -> str:
    raw = data.get(name, "")
    if isinstance(raw, list):  # QueryDict.lists() or repeated JSON keys
        raw = raw[-1] if raw else ""
    return str(raw if raw is not None else "").strip()


def _number(name: str, text: str, errors: dict[str, str]) -> float | int | None:
    label, kind, low, high = NUMERIC_FIELDS[name]
    if text == "":
        return None
    try:
        value: float | int = int(text) if kind is int else float(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        errors[name] = f"{label} must be {noun}."
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors[name] = f"{label} must be a finite number."
        return None
    if not low <= value <= high:
        errors[name] = f"{label} must be between {low:g} and {high:g}."
        return None
    return value


def parse_run_settings(data: Mapping[str, Any]) -> RunSettings:
    """Read the panel's fields; raise ValidationError({field: message}) on bad input."""
    errors: dict[str, str] = {}
    connection_text = _value(data, "connection")
    connection_id: int | None = None
    if connection_text:
        try:
            connection_id = int(connection_text)
        except ValueError:
            errors["connection"] = "Choose a connection from the list."
    params: dict[str, Any] = {}
    for name in NUMERIC_FIELDS:
        value = _number(name, _value(data, name), errors)
        if value is not None:
            params[name] = value
    stops = [line for line in _value(data, "stop").splitlines() if line.strip()]
    if len(stops) > MAX_STOP_SEQUENCES:
        errors["stop"] = f"At most {MAX_STOP_SEQUENCES} stop sequences, one per line."
    elif stops:
        params["stop"] = stops
    model = _value(data, "model")
    if len(model) > 200:
        errors["model"] = "The model name is too long."
    system_prompt = _value(data, "system_prompt") if "system_prompt" in data else None
    limit = django_settings.PLAYGROUND_MAX_MESSAGE_BYTES
    if system_prompt is not None and len(system_prompt.encode()) > limit:
        errors["system_prompt"] = (
            f"The system prompt is {len(system_prompt.encode()) / 2**20:.1f} MB; it can be at "
            f"most {limit / 2**20:.1f} MB. Shorten it."
        )
    tools = None
    if "tools" in data or "output_schema" in data:
        tools, tool_errors = parse_tool_settings(
            _value(data, "tools"), _value(data, "tool_choice"), _value(data, "output_schema")
        )
        errors.update(tool_errors)
    if errors:
        raise ValidationError(errors)
    return RunSettings(
        connection_id=connection_id,
        model=model,
        system_prompt=system_prompt,
        params=params,
        tools=tools,
    )


def require_runnable(settings: RunSettings) -> None:
    """The extra checks before a run: something to run against."""
    errors = {}
    if settings.connection_id is None:
        errors["connection"] = "Choose a connection in the panel (or add one on Connections)."
    if not settings.model:
        errors["model"] = "Type or pick a model name in the panel."
    if errors:
        raise ValidationError(errors)


def settings_for_form(conversation: Conversation) -> dict[str, str]:
    """The saved settings as the panel's field values (strings; blank = provider default)."""
    saved = conversation.settings or {}
    params = {**DEFAULTS, **(saved.get("params") or {})}
    values = {
        "connection": str(saved.get("connection_id") or ""),
        "model": saved.get("model") or "",
        "system_prompt": conversation.system_prompt,
        "stop": "\n".join(params.get("stop") or []),
        **tool_settings_text(saved),
    }
    for name in NUMERIC_FIELDS:
        value = params.get(name)
        values[name] = (
            "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        )
    return values
