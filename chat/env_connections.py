"""Connections that come from environment variables (OPENAI_API_KEY, OPENAI_BASE_URL).

They are mirrored as rows so runs can reference them, but their key is never stored: it is
read from the environment each time it is used.
"""

from __future__ import annotations

import os

from chat.models import Connection

OPENAI_ENV_NAME = "OpenAI (environment)"


def env_api_key(connection: Connection) -> str | None:
    return os.environ.get("OPENAI_API_KEY") or None


def sync_env_connections() -> None:
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    base_url = os.environ.get("OPENAI_BASE_URL", "").strip()
    existing = Connection.objects.filter(source=Connection.Source.ENV, name=OPENAI_ENV_NAME)
    if not key:
        existing.delete()
        return
    kind = "openai" if not base_url or "api.openai.com" in base_url else "openai_compatible"
    wanted = {"kind": kind, "base_url": base_url, "api_key_last4": key[-4:]}
    row = existing.first()
    if row is None:
        Connection.objects.update_or_create(
            name=OPENAI_ENV_NAME, defaults={**wanted, "source": Connection.Source.ENV}
        )
    elif any(getattr(row, field) != value for field, value in wanted.items()):
        Connection.objects.filter(pk=row.pk).update(**wanted)
