"""Connections that come from the ecosystem's environment variables (OPENAI_API_KEY,
ANTHROPIC_API_KEY, GOOGLE_API_KEY / GEMINI_API_KEY, GROQ_API_KEY, HF_TOKEN, with their
*_BASE_URL). Each key may also be given as <NAME>_FILE, a file holding it.

They are mirrored as rows so runs can reference them, but their key is never stored: it is
read from the environment each time it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from connections.models import Connection
from playground import env, redaction


@dataclass(frozen=True)
class EnvConnection:
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
    EnvConnection("OpenAI (environment)", "OPENAI_API_KEY", "OPENAI_BASE_URL", "openai"),
    EnvConnection(
        "Anthropic (environment)", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "anthropic"
    ),
    EnvConnection(
        "Google Gemini (environment)",
        "GOOGLE_API_KEY",
        "GEMINI_BASE_URL",
        "google_genai",
        key_variable_fallback="GEMINI_API_KEY",
    ),
    EnvConnection(
        "Azure OpenAI (environment)",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_ENDPOINT",
        "azure_openai",
    ),
    EnvConnection("Groq (environment)", "GROQ_API_KEY", "GROQ_BASE_URL", "groq"),
    EnvConnection("Hugging Face (environment)", "HF_TOKEN", "HF_BASE_URL", "huggingface"),
]
OPENAI_ENV_NAME = ENV_CONNECTIONS[0].name


def env_api_key(connection: Connection) -> str | None:
    for entry in ENV_CONNECTIONS:
        if entry.name == connection.name:
            return entry.key() or None
    return None


def sync_env_connections() -> None:
    for entry in ENV_CONNECTIONS:
        key = entry.key()
        base_url = env.text(entry.base_url_variable)
        existing = Connection.objects.filter(source=Connection.Source.ENV, name=entry.name)
        if not key:
            existing.delete()
            continue
        wanted = {"kind": entry.kind_for(base_url), "base_url": base_url, "api_key_last4": key[-4:]}
        row = existing.first()
        if row is None:
            Connection.objects.update_or_create(
                name=entry.name, defaults={**wanted, "source": Connection.Source.ENV}
            )
        elif any(getattr(row, field) != value for field, value in wanted.items()):
            Connection.objects.filter(pk=row.pk).update(**wanted)
