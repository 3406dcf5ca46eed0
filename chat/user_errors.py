"""What a provider failure means for the person at the keyboard, and what to try."""

from __future__ import annotations

from chat.llm import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)

HEADLINES: list[tuple[type[ProviderError], str]] = [
    (AuthenticationError, "The provider refused the API key."),
    (RateLimitError, "The provider is rate limiting these requests."),
    (ProviderTimeoutError, "The provider took too long to answer."),
    (ProviderUnavailableError, "The provider could not be reached or failed."),
    (MalformedResponseError, "The answer stream broke off or could not be read."),
    (ConfigurationError, "This run is not set up correctly."),
    (BadRequestError, "The provider rejected the request."),
]


def describe(error: ProviderError, *, retries: int = 0) -> str:
    """Headline, the provider's own words (already secret-free), and the retries made."""
    headline = next(
        (text for kind, text in HEADLINES if isinstance(error, kind)), "The provider failed."
    )
    parts = [headline, str(error)]
    if retries:
        parts.append(f"Retried {retries} time{'s' if retries != 1 else ''} before giving up.")
    return " ".join(parts)


UNEXPECTED = (
    "Something went wrong inside Playground while streaming this answer ({kind}). "
    "The partial answer is kept; the server log has the details."
)
INTERRUPTED = (
    "This answer was interrupted: the server process that streamed it stopped. "
    "The text received before that is kept; send the message again to retry."
)
