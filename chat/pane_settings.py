"""A pane's settings between its row and its settings form: the form's field values, what a
saved form changes, and copying settings to a new pane."""

from __future__ import annotations

from typing import Any

from chat.models import Pane
from chat.run_settings import DEFAULTS, FIELDS, NUMERIC_FIELDS, RunSettings
from chat.tool_settings import tool_settings_text
from connections.llm import panel_limits

COPIED = ("connection_id", "model", "params", "system_prompt", "tools", "tool_choice",
          "output_schema", "auto_reply", "auto_reply_steps", "repeat")  # fmt: skip
# What "New conversation" leaves behind: Repeat multiplies every later turn's requests, so a
# fresh conversation answers once until asked otherwise.
NOT_CARRIED_OVER = ("repeat",)


def form_values(pane: Pane) -> dict[str, str]:
    """The saved settings as the form's field values (strings; blank = provider default)."""
    params = {**DEFAULTS, **(pane.params or {})}
    values = {
        "connection": str(pane.connection_id or ""),
        "model": pane.model,
        "system_prompt": pane.system_prompt,
        "stop": "\n".join(params.get("stop") or []),
        **tool_settings_text(
            {"tools": pane.tools, "tool_choice": pane.tool_choice,
             "output_schema": pane.output_schema}
        ),
        "auto_reply": "on" if pane.auto_reply else "",
        "auto_reply_steps": str(pane.auto_reply_steps),
        "repeat": str(pane.repeat),
    }  # fmt: skip
    for name in NUMERIC_FIELDS:
        value = params.get(name)
        values[name] = (
            "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        )
    return values


def apply(pane: Pane, chosen: RunSettings) -> list[str]:
    """Apply a saved form to a pane (a box the form did not carry is kept); returns the
    fields to save."""
    pane.connection_id = chosen.connection_id
    pane.model = chosen.model
    pane.params = chosen.params
    changed = ["connection", "model", "params"]
    if chosen.system_prompt is not None:
        pane.system_prompt = chosen.system_prompt
        changed.append("system_prompt")
    if chosen.tools is not None:
        pane.tools = chosen.tools.tools
        pane.tool_choice = chosen.tools.tool_choice
        pane.output_schema = chosen.tools.output_schema
        changed += ["tools", "tool_choice", "output_schema"]
    if chosen.auto_reply is not None:
        pane.auto_reply = chosen.auto_reply.enabled
        pane.auto_reply_steps = chosen.auto_reply.steps
        changed += ["auto_reply", "auto_reply_steps"]
    if chosen.repeat is not None:
        pane.repeat = chosen.repeat
        changed.append("repeat")
    return changed


def copied_settings(pane: Pane, *, new_conversation: bool = False) -> dict[str, Any]:
    """What a new pane starting as a copy of `pane` takes from it (in a new conversation,
    all but NOT_CARRIED_OVER)."""
    left = NOT_CARRIED_OVER if new_conversation else ()
    return {name: getattr(pane, name) for name in COPIED if name not in left}


UNBOUNDED = {"seed"}  # its range is the whole of int64: no point in showing it


def numeric_inputs(values: dict[str, str], kind: str | None) -> list[dict[str, Any]]:
    """The numeric fields of the form: name, label, value and the input's bounds, from the
    pane's provider record (the loosest of all without a connection)."""
    ranges = panel_limits(kind)["ranges"]
    fields = []
    for name, (label, value_type) in FIELDS.items():
        low, high = ranges[name]
        bounded = name not in UNBOUNDED
        fields.append({
            "name": name, "label": label, "value": values.get(name, ""),
            # Any decimal: a browser's step check would refuse a temperature of 0.25.
            "step": "1" if value_type is int else "any",
            "min": f"{low:g}" if bounded else None,
            "max": f"{high:g}" if bounded and high < 1_000_000 else None,
        })  # fmt: skip
    return fields
