"""Keep secret fields and bulky base64 out of the JSON we store or show (secret *values* in
free text are `providers.secrets`' job)."""

from __future__ import annotations

import re
from typing import Any

SECRET_KEYS = {"api_key", "api-key", "authorization", "x-api-key", "x-goog-api-key", "key"}
_DATA_URL = re.compile(r"^data:([\w.+/-]+);base64,", re.IGNORECASE)
_LONG_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]{512,}$")


def redact(value: Any) -> Any:
    """A copy of a JSON-like value with secrets replaced and base64 payloads summarised."""
    if isinstance(value, dict):
        return {
            key: "[redacted]" if str(key).lower() in SECRET_KEYS else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        match = _DATA_URL.match(value)
        if match:
            return f"data:{match.group(1)};base64,[{len(value) - match.end()} chars redacted]"
        if _LONG_BASE64.match(value):
            return f"[{len(value)} chars of base64 redacted]"
    return value
