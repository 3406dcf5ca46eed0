"""Turn HTTP failures into the error hierarchy, with messages that say what to try.

Bodies are never assumed to be JSON: proxies answer with HTML, some servers with plain text.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

import httpx

from providers.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from providers.retry import retry_after_seconds, should_retry_header
from providers.secrets import clip, scrub_secrets

_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
EXCERPT_CHARS = 300


def excerpt(body: str) -> str:
    """A short, tag-stripped, single-line excerpt of a body for an error message."""
    text = html.unescape(_TAGS.sub(" ", body))
    return clip(" ".join(text.split()), EXCERPT_CHARS)


def _sentence_body(text: str) -> str:
    """The provider's words without their closing full stop: ours follows them."""
    return text.rstrip().removesuffix(".") or text


class ErrorFields(NamedTuple):
    """What an error body says about itself: its message, its code and its type (OpenAI's
    `type`, Anthropic's `error.type`, Google's `status`, TGI's `error_type`)."""

    message: str | None = None
    code: str | None = None
    kind: str | None = None


def error_fields(body: str) -> ErrorFields:
    """The fields of the usual error shapes; empty ones when the body has none of them."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return ErrorFields()
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return ErrorFields()
    error = data.get("error", data)
    if isinstance(error, str):  # Ollama, and TGI with its error_type beside it
        return ErrorFields(error, None, _text(data.get("error_type")))
    if not isinstance(error, dict):
        return ErrorFields()
    message = error.get("message") or data.get("message") or data.get("Message")
    return ErrorFields(
        _text(message), _text(error.get("code")), _text(error.get("type") or error.get("status"))
    )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


# 429s are of two kinds: a rate limit (wait a little and retry) and an exhausted quota
# (retrying now cannot help). The error's code and type decide first, a retry hint next,
# the text last: Azure's ordinary rate limit mentions "quotaincrease" in its text.
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached", "billing_not_active",
                         "servicequotaexceededexception"})  # fmt: skip
RATE_CODES = frozenset({"rate_limit_exceeded", "rate_limit_error", "tokens", "requests",
                        "throttlingexception", "too_many_requests"})  # fmt: skip
RATE_WORDS = ("rate limit", "too many requests", "per minute", "throttl", "slow down")
QUOTA_WORDS = ("quota", "billing", "credit", "usage limit")


def limit_kind(fields: ErrorFields, *, retry_hint: float | None = None) -> str | None:
    """Whether an error is about an exhausted quota ("quota"), a rate limit ("rate") or
    neither (None)."""
    labels = {label.lower() for label in (fields.code, fields.kind) if label}
    if labels & QUOTA_CODES:
        return "quota"
    if labels & RATE_CODES or retry_hint is not None:
        return "rate"  # a server that says when to come back says retrying helps
    text = (fields.message or "").lower()
    if any(word in text for word in RATE_WORDS):
        return "rate"
    if any(word in text for word in QUOTA_WORDS):
        return "quota"
    return None


def _header_code(headers: httpx.Headers) -> str | None:
    """Bedrock names its error in a header: `x-amzn-ErrorType: ThrottlingException:http://...`."""
    value = headers.get("x-amzn-errortype", "")
    return value.split(":", 1)[0] or None


def error_from_response(
    response: httpx.Response,
    body: str,
    *,
    provider: str,
    secrets: Iterable[str | None] = (),
    retry_hint: float | None = None,
) -> ProviderError:
    """Map a non-2xx response to the right error class. `secrets` are scrubbed from the body
    before anything is cut from it; `retry_hint` is a delay the body itself gave (Gemini's
    RetryInfo), when the headers give none."""
    status = response.status_code
    body = scrub_secrets(body, secrets)
    fields = error_fields(body)
    if fields.code is None:
        fields = fields._replace(code=_header_code(response.headers))
    message, code = fields.message, fields.code or fields.kind
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
        retry_after = retry_after_seconds(response.headers)
        retry_after = retry_hint if retry_after is None else retry_after
        if limit_kind(fields, retry_hint=retry_after) == "quota":
            return RateLimitError(
                f"The account is out of quota (HTTP 429): {detail}. Retrying now will "
                "not help: wait for the quota to reset, or check the plan and billing of this "
                "account.",
                retryable=False,
                **common,
            )
        return RateLimitError(
            f"Rate limited by the provider (HTTP 429): {detail}.",
            retry_after=retry_after,
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


def error_from_stream_payload(payload: Any, *, provider: str) -> ProviderError:
    """An `{"error": ...}` object that arrived inside an HTTP 200 stream."""
    fields = error_fields(json.dumps(payload))
    text = _sentence_body(fields.message or "unknown error")
    kind = limit_kind(fields)
    if kind == "quota":
        return RateLimitError(
            f"The account ran out of quota in the middle of the answer: {text}. Retrying now "
            "will not help: wait for the quota to reset, or check the plan and billing of "
            "this account.",
            provider=provider,
            retryable=False,
        )
    if kind == "rate":
        return RateLimitError(
            f"Rate limited in the middle of the answer: {text}.", provider=provider
        )
    lowered = f"{fields.code or ''} {fields.kind or ''} {text}".lower()
    if any(word in lowered for word in ("overload", "unavailable", "server", "internal")):
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
