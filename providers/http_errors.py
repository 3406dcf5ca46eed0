"""Turn HTTP failures into the error hierarchy, with messages that say what to try.

Bodies are never assumed to be JSON: proxies answer with HTML, some servers with plain text.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx

from providers.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from providers.redact import scrub
from providers.retry import retry_after_seconds, should_retry_header

_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
EXCERPT_CHARS = 300


def excerpt(body: str) -> str:
    """A short, tag-stripped, single-line excerpt of a body for an error message."""
    text = html.unescape(_TAGS.sub(" ", body))
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _sentence_body(text: str) -> str:
    """The provider's words without their closing full stop: ours follows them."""
    return text.rstrip().removesuffix(".") or text


def error_details(body: str) -> tuple[str | None, str | None]:
    """(message, code) from the usual error shapes, or (None, None) when there are none."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None, None
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return None, None
    error = data.get("error", data)
    if isinstance(error, str):  # Ollama, and TGI with its error_type beside it
        error_type = data.get("error_type")
        return error, (str(error_type) if error_type else None)
    if not isinstance(error, dict):
        return None, None
    message = error.get("message") or data.get("message")
    code = error.get("code") or error.get("type")
    return (str(message) if message else None), (str(code) if code is not None else None)


def error_from_response(
    response: httpx.Response, body: str, *, provider: str, secrets: tuple[str | None, ...] = ()
) -> ProviderError:
    """Map a non-2xx response to the right error class."""
    status = response.status_code
    body = scrub(body, *secrets)
    message, code = error_details(body)
    detail = _sentence_body(message or excerpt(body) or response.reason_phrase or "no details")
    hint = should_retry_header(response.headers)
    common: dict[str, Any] = {"provider": provider, "status_code": status, "body": body}

    if status in (401, 403):
        return AuthenticationError(
            f"The provider refused the credentials (HTTP {status}): {detail}. "
            "Check the API key of this connection.",
            **common,
        )
    if status == 429:
        quota = code in {"insufficient_quota", "billing_hard_limit_reached"} or "quota" in (
            (message or "").lower()
        )
        if quota:
            return RateLimitError(
                f"The account is out of quota (HTTP 429): {detail}. Check the plan and billing "
                "of this account; retrying will not help.",
                retryable=False,
                **common,
            )
        return RateLimitError(
            f"Rate limited by the provider (HTTP 429): {detail}.",
            retry_after=retry_after_seconds(response.headers),
            retryable=hint if hint is not None else True,
            **common,
        )
    if status == 404 and (code == "model_not_found" or "model" in detail.lower()):
        return BadRequestError(
            f"The provider does not know this model (HTTP 404): {detail}. "
            "Pick a model from the list of the connection.",
            **common,
        )
    if status >= 500 or status == 529:
        return ProviderUnavailableError(
            f"The provider had a server error (HTTP {status}): {detail}.",
            retry_after=retry_after_seconds(response.headers),
            retryable=hint if hint is not None else True,
            **common,
        )
    if status == 424:  # TGI: the model failed while generating
        return ProviderUnavailableError(
            f"The model server failed to generate (HTTP 424): {detail}.", retryable=False, **common
        )
    retryable = status in (408, 409)
    return BadRequestError(
        f"The provider rejected the request (HTTP {status}): {detail}.{_hint(detail)}",
        retry_after=retry_after_seconds(response.headers) if retryable else None,
        retryable=hint if hint is not None else retryable,
        **common,
    )


def _hint(detail: str) -> str:
    """What to do about refusals that name a server setting rather than the request."""
    if "enable-auto-tool-choice" in detail:  # vLLM (pitfall 29)
        return (
            " This vLLM server was started without automatic tool choice: start it with "
            "--enable-auto-tool-choice --tool-call-parser <parser for the model>, or set the "
            "tool choice to 'required' or a tool's name."
        )
    return ""


def error_from_stream_payload(payload: dict[str, Any], *, provider: str) -> ProviderError:
    """An `{"error": ...}` object that arrived inside an HTTP 200 stream."""
    message, code = error_details(json.dumps(payload))
    text = _sentence_body(message or "unknown error")
    lowered = f"{code or ''} {text}".lower()
    if "rate" in lowered and "limit" in lowered:
        return RateLimitError(
            f"Rate limited in the middle of the answer: {text}.", provider=provider
        )
    if "overload" in lowered or "unavailable" in lowered or "server" in lowered:
        return ProviderUnavailableError(
            f"The provider failed in the middle of the answer: {text}.", provider=provider
        )
    return ProviderError(
        f"The provider reported an error in the middle of the answer: {text}.", provider=provider
    )


def error_from_transport(exc: httpx.HTTPError, *, provider: str, url: str) -> ProviderError:
    """Connection and timeout failures, naming the host so the user knows what to check."""
    target = httpx.URL(url)
    where = f"{target.host}:{target.port}" if target.port else target.host
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting to",
            httpx.ReadTimeout: "waiting for data from",
            httpx.WriteTimeout: "sending the request to",
            httpx.PoolTimeout: "waiting for a free connection to",
        }.get(type(exc), "talking to")
        return ProviderTimeoutError(
            f"Timed out {phase} {where}. The server may be overloaded or the model slow to "
            "start; raise the timeout or try again.",
            provider=provider,
        )
    if isinstance(exc, httpx.ConnectError):
        return ProviderUnavailableError(
            f"Could not connect to {where}. Is the server running and the base URL right?",
            provider=provider,
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return ProviderUnavailableError(
            f"The connection to {where} broke off: {exc}. Try again.", provider=provider
        )
    return ProviderUnavailableError(
        f"Network error talking to {where}: {type(exc).__name__}. Try again.", provider=provider
    )
