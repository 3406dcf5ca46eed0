"""Two prompt versions side by side: the system prompt and each message word by word (the
compare app's word diff), the parameters as a table of what changed, and the tools and
output schema as their JSON, word by word."""

from __future__ import annotations

import json
from itertools import zip_longest
from typing import Any

from compare.diff import word_diff
from library.models import PromptVersion


def _json(value: Any) -> str:
    return "" if value in (None, [], {}) else json.dumps(value, indent=2, sort_keys=True)


def _message_text(message: dict[str, Any] | None) -> str:
    if not message:
        return ""
    calls = "".join(f"\n→ {call.get('name')}({json.dumps(call.get('arguments') or {})})"
                    for call in message.get("tool_calls") or [])  # fmt: skip
    return f"{message.get('role', '')}: {message.get('content', '')}{calls}"


def version_diff(left: PromptVersion, right: PromptVersion) -> dict[str, Any]:
    """What the templates show: each part's diff, and whether anything changed at all."""
    system = word_diff(left.system_prompt, right.system_prompt)
    messages = [word_diff(_message_text(a), _message_text(b))
                for a, b in zip_longest(left.messages, right.messages)]  # fmt: skip
    settings = {"model": (left.model, right.model),
                "connection": (left.connection_name, right.connection_name),
                "tool choice": (left.tool_choice, right.tool_choice)}  # fmt: skip
    for name in sorted(set(left.params) | set(right.params)):
        settings[name] = (left.params.get(name), right.params.get(name))
    changed_settings = [(name, a, b) for name, (a, b) in settings.items() if a != b]
    tools = word_diff(_json(left.tools), _json(right.tools))
    schema = word_diff(_json(left.output_schema), _json(right.output_schema))
    unchanged = (system.identical and all(m.identical for m in messages) and not
                 changed_settings and tools.identical and schema.identical)  # fmt: skip
    return {
        "system": system, "messages": messages, "settings": changed_settings,
        "tools": tools, "schema": schema, "unchanged": unchanged,
    }  # fmt: skip
