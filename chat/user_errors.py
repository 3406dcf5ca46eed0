"""What a provider failure means for the person at the keyboard, and what to try."""

from __future__ import annotations

from connections.llm import ProviderError


def describe(error: ProviderError, *, retries: int = 0) -> str:
    """The provider layer's message (written for people: what happened, what to try, never
    a secret), plus how many retries were spent before giving up."""
    text = str(error)
    if retries:
        text += f" Retried {retries} time{'s' if retries != 1 else ''} before giving up."
    return text


UNEXPECTED = (
    "Something went wrong inside Playground while streaming this answer ({kind}). "
    "The partial answer is kept; the server log has the details."
)
INTERRUPTED = (
    "This answer was interrupted: the server process that streamed it stopped. "
    "The text received before that is kept; send the message again to retry."
)
