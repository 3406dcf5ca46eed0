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

from chat.tool_settings import AutoReply, ToolSettings, parse_auto_reply, parse_tool_settings
from connections.llm import CLIENT_RANGES, panel_limits, provider_label

# name in the form -> (label, type). Each field's range, and the most stop sequences, come
# from the chosen connection's provider record (connections.llm.panel_limits).
FIELDS: dict[str, tuple[str, type]] = {
    "temperature": ("Temperature", float),
    "max_tokens": ("Max tokens", int),
    "top_p": ("Top P", float),
    "seed": ("Seed", int),
    "timeout": ("Timeout", float),
    "max_retries": ("Max retries", int),
}
_LOOSEST = panel_limits(None)["ranges"]
# name -> (label, type, low, high) with the loosest range of any provider, for a panel that
# has no connection chosen.
NUMERIC_FIELDS: dict[str, tuple[str, type, float, float]] = {
    name: (label, kind, *_LOOSEST[name]) for name, (label, kind) in FIELDS.items()
}
DEFAULTS = {"timeout": 60.0, "max_retries": 2}


@dataclass(frozen=True)
class RunSettings:
    connection_id: int | None
    model: str
    system_prompt: str | None = None  # None: the form did not include it; keep the saved one
    params: dict[str, Any] = field(default_factory=dict)
    tools: ToolSettings | None = None  # None: the form did not include the tools box
    auto_reply: AutoReply | None = None  # likewise
    repeat: int | None = None  # "Repeat": answers per turn; None when the form left it out


MOST_REPEATS = 20


def parse_repeat(text: str, errors: dict[str, str]) -> int | None:
    """ "Repeat", a whole number from 1 to 20 (blank: once)."""
    if not text:
        return 1
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MOST_REPEATS:
        errors["repeat"] = (
            f"Repeat is a whole number from 1 to {MOST_REPEATS}: the answers per turn."
        )
        return None
    return count


def _value(data: Mapping[str, Any], name: str) -> str:
    raw = data.get(name, "")
    if isinstance(raw, list):  # QueryDict.lists() or repeated JSON keys
        raw = raw[-1] if raw else ""
    return str(raw if raw is not None else "").strip()


def _number(
    name: str, text: str, errors: dict[str, str], bounds: tuple[float, float], whose: str
) -> float | int | None:
    label, kind = FIELDS[name]
    low, high = bounds
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
        errors[name] = f"{label} must be between {_shown(low)} and {_shown(high)}{whose}."
        return None
    return value


def _shown(bound: float) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)  # every digit of an int


def parse_run_settings(data: Mapping[str, Any], *, kind: str | None = None) -> RunSettings:
    """Read the panel's fields; raise ValidationError({field: message}) on bad input.

    `kind` is the chosen connection's provider: its record's ranges and most stop sequences
    apply. Without one, the loosest of any provider (the run is checked again once built).
    """
    limits = panel_limits(kind)
    whose = f" for {provider_label(kind)}" if kind else ""
    errors: dict[str, str] = {}
    connection_text = _value(data, "connection")
    connection_id: int | None = None
    if connection_text:
        try:
            connection_id = int(connection_text)
        except ValueError:
            errors["connection"] = "Choose a connection from the list."
    params: dict[str, Any] = {}
    for name in FIELDS:
        own = "" if name in CLIENT_RANGES else whose  # the playground's own limit, not theirs
        value = _number(name, _value(data, name), errors, limits["ranges"][name], own)
        if value is not None:
            params[name] = value
    stops = [line for line in _value(data, "stop").splitlines() if line.strip()]
    most = limits["max_stop_sequences"]
    if len(stops) > most:
        errors["stop"] = f"At most {most} stop sequences{whose}, one per line."
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
    auto_reply = None
    if "tools" in data:  # the switch sits in the tools box; unticked, a checkbox sends nothing
        auto_reply, reply_errors = parse_auto_reply(
            _value(data, "auto_reply"), _value(data, "auto_reply_steps")
        )
        errors.update(reply_errors)
    repeat = parse_repeat(_value(data, "repeat"), errors) if "repeat" in data else None
    if errors:
        raise ValidationError(errors)
    return RunSettings(
        connection_id=connection_id,
        model=model,
        system_prompt=system_prompt,
        params=params,
        tools=tools,
        auto_reply=auto_reply,
        repeat=repeat,
    )
