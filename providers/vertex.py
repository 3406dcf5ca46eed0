"""Gemini on Google Cloud (`google_vertexai`): the Gemini body at Vertex AI addresses, with an
OAuth bearer token.

The token is the `api_key` when one is given (e.g. `gcloud auth print-access-token`),
otherwise Application Default Credentials through google-auth (the `vertex` extra). Project
and location come from `project=` / `location=` or GOOGLE_CLOUD_PROJECT /
GOOGLE_CLOUD_LOCATION (default us-central1; `global` uses the global host).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import quote

from providers.errors import ConfigurationError
from providers.gemini import GeminiChatModel
from providers.messages import Message

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def vertex_host(location: str) -> str:
    if location == "global":
        return "https://aiplatform.googleapis.com/v1"
    return f"https://{location}-aiplatform.googleapis.com/v1"


def adc_token() -> str:
    """An access token from Application Default Credentials (blocking: run in a thread)."""
    try:
        import google.auth
        import google.auth.exceptions
        import google.auth.transport.requests
    except ImportError:
        raise ConfigurationError(
            "Vertex AI without an access token needs google-auth: pip install "
            "'playground[vertex]', or pass api_key=<an OAuth access token>."
        ) from None
    try:
        credentials, _ = google.auth.default(scopes=[SCOPE])
        credentials.refresh(google.auth.transport.requests.Request())
    except google.auth.exceptions.GoogleAuthError as error:
        raise ConfigurationError(
            f"No Google Cloud credentials: {error}. Run `gcloud auth application-default "
            "login` or set GOOGLE_APPLICATION_CREDENTIALS."
        ) from None
    return credentials.token


class VertexChatModel(GeminiChatModel):
    @classmethod
    def auth_headers(cls, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @classmethod
    def normalise_base_url(cls, base_url: str) -> str:
        """Used as given: it is the root the project and publisher paths go under."""
        return base_url

    @classmethod
    def model_ids(cls, payload: Any) -> list[str]:
        """Google's publisher models; only Gemini ones speak generateContent."""
        names = (str(entry["name"]).rsplit("/", 1)[-1] for entry in payload["publisherModels"])
        return [name for name in names if name.startswith("gemini")]

    async def models_request(self) -> tuple[str, dict[str, str]]:
        # The publisher-model list lives in v1beta1, not under the project.
        root = self.config.base_url.rstrip("/") or vertex_host(self.location) + "beta1"
        return f"{root}/publishers/google/models?pageSize=200", await self.request_auth_headers()

    @property
    def project(self) -> str:
        project = self.config.extra.get("project") or os.environ.get("GOOGLE_CLOUD_PROJECT")
        if not project:
            raise ConfigurationError(
                "Vertex AI needs a project: pass project=... or set GOOGLE_CLOUD_PROJECT."
            )
        return str(project)

    @property
    def location(self) -> str:
        return str(
            self.config.extra.get("location")
            or os.environ.get("GOOGLE_CLOUD_LOCATION")
            or "us-central1"
        )

    @property
    def endpoint(self) -> str:
        root = self.config.base_url.rstrip("/") or vertex_host(self.location)
        model = quote(self.config.model.removeprefix("models/"), safe="")
        return (
            f"{root}/projects/{quote(self.project, safe='')}/locations/{self.location}"
            f"/publishers/google/models/{model}:streamGenerateContent?alt=sse"
        )

    def check_parameters(self) -> None:
        self.project  # noqa: B018 - refuses a missing project before any request

    def build_body(self, messages: list[Message]) -> dict[str, Any]:
        body = super().build_body(messages)
        for key in ("project", "location"):  # addresses, not body fields
            body.pop(key, None)
        return body

    async def request_auth_headers(self) -> dict[str, str]:
        token = self.config.api_key or await asyncio.to_thread(adc_token)
        self.resolved_secrets.add(token)  # an ADC token is a secret too
        return self.auth_headers(token)
