"""Secret values kept out of what leaves the provider layer.

An upstream may echo a credential back anywhere: in an HTTP error body, in an error inside a
200 stream, in a tool call's arguments, in a structured answer. Rather than trust every
decoder to remember, the model scrubs each error on its way out (`scrub_error`) with every
secret it holds (`BaseChatModel.secret_values()`); `scrub_secrets` does the same for any text
(the chat layer's own messages).

Values shorter than MIN_SECRET_CHARS are never scrubbed: replacing every "abc" or "42" in a
message would destroy ordinary text, and no real credential is that short.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import quote

from providers.errors import ProviderError

MIN_SECRET_CHARS = 4
REDACTED = "[redacted]"
# What `clip` puts where it cut: a secret cut short there leaves a prefix to scrub as well.
CLIP_MARK = "…"
RESOLVED_KEPT = 64  # the newest credentials resolved at request time that a model remembers


def usable_secrets(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """The distinct values worth scrubbing, longest first (so a secret that contains another
    is replaced whole)."""
    unique = {value for value in secrets if value and len(value) >= MIN_SECRET_CHARS}
    return tuple(sorted(unique, key=len, reverse=True))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, marked where it was cut."""
    return text if len(text) <= limit else text[:limit] + CLIP_MARK


def _forms(secret: str) -> list[str]:
    """How a secret can appear in text: as it is, JSON-escaped (with '/' escaped too, as some
    servers write it), escaped by repr() in a quoted excerpt, or percent-encoded in a URL."""
    json_form = json.dumps(secret)[1:-1]
    forms = [secret, json_form, json_form.replace("/", "\\/"), repr(secret)[1:-1],
             quote(secret, safe="")]  # fmt: skip
    return list(dict.fromkeys(forms))


def scrub_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret in `secrets` replaced by "[redacted]", including a secret
    that an excerpt cut short (its prefix right before the clip mark)."""
    for secret in usable_secrets(secrets):
        for form in _forms(secret):
            text = text.replace(form, REDACTED)
            if CLIP_MARK in text:
                text = _scrub_cut_prefix(text, form)
    return text


def _scrub_cut_prefix(text: str, form: str) -> str:
    """Replace the longest prefix of `form` that ends right before each clip mark."""
    pieces: list[str] = []
    start = 0
    mark = text.find(CLIP_MARK)
    while mark != -1:
        for length in range(min(len(form) - 1, mark - start), MIN_SECRET_CHARS - 1, -1):
            if text[mark - length : mark] == form[:length]:
                pieces += [text[start : mark - length], REDACTED]
                start = mark
                break
        mark = text.find(CLIP_MARK, mark + 1)
    return "".join(pieces) + text[start:]


def _renders_a_secret(error: BaseException, secrets: tuple[str, ...]) -> bool:
    rendered = "".join(traceback.format_exception(error)) + repr(error)
    return scrub_secrets(rendered, secrets) != rendered


def scrub_error(error: ProviderError, secrets: Iterable[str | None]) -> ProviderError:
    """Remove every secret from an error, in place, and return it: its message, body, args,
    notes and every other text attribute, and the errors chained to it. A chained exception
    that is not ours (a pydantic or jsonschema error quoting the raw answer) cannot be
    rewritten, so the chain is cut there."""
    values = usable_secrets(secrets)
    if values:
        _scrub(error, values, seen=set())
    return error


def _scrub(error: ProviderError, secrets: tuple[str, ...], seen: set[int]) -> None:
    if id(error) in seen:
        return
    seen.add(id(error))
    for name, value in list(vars(error).items()):
        if isinstance(value, str):
            setattr(error, name, scrub_secrets(value, secrets))
    error.args = tuple(
        scrub_secrets(arg, secrets) if isinstance(arg, str) else arg for arg in error.args
    )
    notes = getattr(error, "__notes__", None)
    if isinstance(notes, list):
        error.__notes__ = [scrub_secrets(str(note), secrets) for note in notes]
    for linked in (error.__cause__, error.__context__):
        if isinstance(linked, ProviderError):
            _scrub(linked, secrets, seen)
        elif linked is not None and _renders_a_secret(linked, secrets):
            error.__cause__ = None
            error.__context__ = None
            error.__suppress_context__ = True
            return


class ResolvedSecrets:
    """Credentials a model resolved at request time (a Vertex access token, the AWS secret
    key and session token botocore found), shared by the models derived from it. Only the
    newest RESOLVED_KEPT are kept: a token refreshed on every request must not grow a
    long-lived model without bound."""

    def __init__(self) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        with self._lock:
            for value in values:
                if value and len(value) >= MIN_SECRET_CHARS:
                    self._values[value] = None
                    self._values.move_to_end(value)
            while len(self._values) > RESOLVED_KEPT:
                self._values.popitem(last=False)

    def values(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._values)
