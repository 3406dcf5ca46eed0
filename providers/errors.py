"""The provider error hierarchy. Every error knows whether a retry can help (`.retryable`).

    ProviderError
    ├── ConfigurationError        unknown provider, missing key or extra — before any request
    ├── UnsupportedFeatureError   the model cannot take this medium, tools or schema
    ├── AuthenticationError       401 / 403
    ├── RateLimitError            429 (and quota errors); .retry_after in seconds when known
    ├── BadRequestError           other 4xx; .status_code, .body
    ├── ProviderUnavailableError  5xx, 529, connection refused or reset
    ├── ProviderTimeoutError      connect, read or overall timeout
    └── MalformedResponseError    unparseable or truncated stream, invalid structured output

Messages are written for the person at the keyboard: what happened, then what to try. They
never carry a secret the model holds: every error leaving a model is scrubbed of them, in its
message, body, args and chained errors (`providers.secrets`).
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base class. `retryable` says whether the same request may succeed if sent again."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        body: str | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.body = body
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class ConfigurationError(ProviderError):
    """Unknown provider, missing key or extra, or a parameter the provider cannot honour."""


class UnsupportedFeatureError(ProviderError):
    """The model cannot take this medium, tools or schema."""


class AuthenticationError(ProviderError):
    """The provider refused the credentials (401 / 403)."""


class RateLimitError(ProviderError):
    """429 or a quota error. `.retry_after` is in seconds when the provider said so."""

    retryable = True


class BadRequestError(ProviderError):
    """Any other 4xx: the request itself is wrong (unknown model, bad parameter...)."""


class ProviderUnavailableError(ProviderError):
    """5xx, 529, connection refused or reset."""

    retryable = True


class ProviderTimeoutError(ProviderError):
    """Connect, read or overall timeout."""

    retryable = True


class MalformedResponseError(ProviderError):
    """Unparseable or truncated stream, or invalid structured output."""
