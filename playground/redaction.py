"""The secrets this process holds, and taking them out of text before it is shown, stored or
logged.

Every API key, AWS secret or token the process reads (decrypted from the database, taken
from the environment, resolved by a provider at request time) is remembered here, so that
the log formatter can take it out of any line, a traceback included, whatever code wrote it.
Values shorter than MIN_SECRET_CHARS are not remembered: replacing a three-letter string
everywhere would mangle ordinary text, and no real credential is that short.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

MIN_SECRET_CHARS = 4
REDACTED = "[redacted]"

_known: set[str] = set()
_longest_first: tuple[str, ...] = ()
_lock = threading.Lock()


def remember(values: Iterable[str | None]) -> None:
    """Add credentials to the set scrubbed from every log line."""
    global _longest_first
    fresh = {value for value in values if value and len(value) >= MIN_SECRET_CHARS} - _known
    if not fresh:
        return
    with _lock:
        _known.update(fresh)
        # Longest first, so a secret that contains another is replaced whole.
        _longest_first = tuple(sorted(_known, key=len, reverse=True))


def scrub(text: str, extra: Iterable[str | None] = ()) -> str:
    """`text` without any remembered secret, nor any of `extra`."""
    secrets = [*_longest_first, *(value for value in extra if value)]
    for secret in secrets:
        if len(secret) >= MIN_SECRET_CHARS and secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose output never carries a remembered secret."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
