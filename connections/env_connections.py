"""Connections that come from the ecosystem's environment variables (OPENAI_API_KEY,
ANTHROPIC_API_KEY, GOOGLE_API_KEY / GEMINI_API_KEY, AZURE_OPENAI_API_KEY, GROQ_API_KEY,
HF_TOKEN, with their *_BASE_URL). Each key may also be given as <NAME>_FILE, a file holding it.

They are mirrored as rows so runs can reference them, keyed by a stable `env_key`, but their
key is never stored: it is read from the environment each time it is used. The rows are
brought up to date once when a process starts serving and after `migrate`
(connections.startup), never by a page view.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from connections.models import Connection
from playground import env, redaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnvConnection:
    env_key: str  # the row's stable id: never change it (the display name may change)
    name: str
    key_variable: str
    base_url_variable: str
    kind: str
    key_variable_fallback: str = ""  # an older name for the same key (GEMINI_API_KEY)

    def key(self) -> str:
        """The key from its variable (or that variable's _FILE), else the older name's."""
        key = env.secret(self.key_variable)
        if not key and self.key_variable_fallback:
            key = env.secret(self.key_variable_fallback)
        redaction.remember([key])
        return key

    def kind_for(self, base_url: str) -> str:
        # OPENAI_BASE_URL pointing elsewhere means "any OpenAI-compatible server".
        if self.kind == "openai" and base_url and "api.openai.com" not in base_url:
            return "openai_compatible"
        return self.kind


ENV_CONNECTIONS = [
    EnvConnection("openai", "OpenAI (environment)", "OPENAI_API_KEY", "OPENAI_BASE_URL", "openai"),
    EnvConnection(
        "anthropic",
        "Anthropic (environment)",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "anthropic",
    ),
    EnvConnection(
        "google_genai",
        "Google Gemini (environment)",
        "GOOGLE_API_KEY",
        "GEMINI_BASE_URL",
        "google_genai",
        key_variable_fallback="GEMINI_API_KEY",
    ),
    EnvConnection(
        "azure_openai",
        "Azure OpenAI (environment)",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_ENDPOINT",
        "azure_openai",
    ),
    EnvConnection("groq", "Groq (environment)", "GROQ_API_KEY", "GROQ_BASE_URL", "groq"),
    EnvConnection(
        "huggingface", "Hugging Face (environment)", "HF_TOKEN", "HF_BASE_URL", "huggingface"
    ),
]
OPENAI_ENV_NAME = ENV_CONNECTIONS[0].name
BY_KEY = {entry.env_key: entry for entry in ENV_CONNECTIONS}


def env_api_key(connection: Connection) -> str | None:
    entry = BY_KEY.get(connection.env_key or "")
    return (entry.key() or None) if entry else None


def sync_env_connections() -> None:
    """One row per environment key that is set, found by its env_key; rows of keys no longer
    set (or of entries this version no longer knows) are deleted."""
    present = []
    for entry in ENV_CONNECTIONS:
        key = entry.key()
        if key and _mirror(entry, key):
            present.append(entry.env_key)
    gone = Connection.objects.filter(source=Connection.Source.ENV).exclude(env_key__in=present)
    gone.delete()


def _mirror(entry: EnvConnection, key: str) -> bool:
    """Create or update the entry's row. False when there is none, because a connection
    added by hand holds its name (an existing row is then kept as it was)."""
    base_url = env.text(entry.base_url_variable)
    wanted = {
        "name": entry.name,
        "kind": entry.kind_for(base_url),
        "base_url": base_url,
        "api_key_last4": key[-4:],
        "source": Connection.Source.ENV,
    }
    row = Connection.objects.filter(env_key=entry.env_key).first()
    if row is not None and all(getattr(row, field) == value for field, value in wanted.items()):
        return True  # unchanged: leave updated_at (and the model list cached by it) alone
    try:
        with transaction.atomic():
            Connection.objects.update_or_create(env_key=entry.env_key, defaults=wanted)
    except IntegrityError:
        logger.warning(
            "%s is set, but a connection added by hand is already named %r, so the "
            "environment connection cannot take that name. Rename that connection, then "
            "restart Playground.",
            entry.key_variable,
            entry.name,
        )
        return row is not None
    return True
