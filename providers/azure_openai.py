"""Azure OpenAI (`azure_openai`): Chat Completions on an Azure resource.

The same wire format as OpenAI, addressed differently: the v1 surface
(`{endpoint}/openai/v1/chat/completions`, the deployment name as `model`) unless an
`api_version` is given, which selects the classic deployment URL
(`{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`). The key
travels in an `api-key` header.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from providers.messages import Message
from providers.openai_chat import OpenAIChatModel


class AzureOpenAIChatModel(OpenAIChatModel):
    @classmethod
    def auth_headers(cls, api_key: str | None) -> dict[str, str]:
        return {"api-key": api_key} if api_key else {}

    @classmethod
    def models_url(cls, base_url: str) -> str:
        return _resource(base_url) + "/openai/v1/models"

    @property
    def api_version(self) -> str | None:
        version = self.config.extra.get("api_version") or os.environ.get("OPENAI_API_VERSION")
        return None if version in (None, "", "v1") else str(version)

    @property
    def endpoint(self) -> str:
        resource = _resource(self.config.base_url)
        if self.api_version is None:
            return resource + "/openai/v1/chat/completions"
        deployment = quote(self.config.model, safe="")
        return (
            f"{resource}/openai/deployments/{deployment}/chat/completions"
            f"?api-version={quote(self.api_version, safe='')}"
        )

    def build_body(self, messages: list[Message], *, include_usage: bool = True) -> dict[str, Any]:
        body = super().build_body(messages, include_usage=include_usage)
        body.pop("api_version", None)  # an address, not a body field
        return body


def _resource(base_url: str) -> str:
    """The resource endpoint, whether given bare or with /openai or /openai/v1 after it."""
    url = base_url.rstrip("/")
    for suffix in ("/openai/v1", "/openai"):
        url = url.removesuffix(suffix)
    return url
