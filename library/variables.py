"""{{variables}} in a prompt's text, mustache style (as Langfuse and Agenta default to): a name
of letters, digits and underscores between double braces, spaces allowed inside. Only plain
substitution: a value is put in as it is, never read as a template itself.

`{{photo:media}}` marks a media variable: it takes an image or audio file, attached to the
user message it stands in (its place in the text is left empty)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*(?::\s*(media)\s*)?\}\}")
MAX_VALUE = 100_000


class NotFilled(ValueError):
    """What is missing or wrong in the values, said to the user as it is."""


def names_in(texts: Iterable[str]) -> list[str]:
    """The variables the texts use, in the order they first appear."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in VARIABLE.finditer(text or ""):
            seen.setdefault(match.group(1), None)
    return list(seen)


def media_in(texts: Iterable[str]) -> list[str]:
    """The variables the texts mark as media ({{name:media}}), in order."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in VARIABLE.finditer(text or ""):
            if match.group(2):
                seen.setdefault(match.group(1), None)
    return list(seen)


def check(names: Iterable[str], values: Mapping[str, str], *, media: Iterable[str] = (),
          files: Iterable[str] = ()) -> dict[str, str]:  # fmt: skip
    """The text values for `names`; NotFilled names what is missing, too long, or not a
    variable of the prompt (a typo would otherwise be dropped without a word). A media
    variable takes a file (named in `files`) instead of text."""
    names, media, files = list(names), set(media), set(files)
    missing_files = [name for name in names if name in media and name not in files]
    if missing_files:
        raise NotFilled("Choose a file for " + ", ".join(f"{{{{{n}}}}}" for n in missing_files)
                        + " first (an image or audio).")  # fmt: skip
    stray = sorted(files - media)
    if stray:
        raise NotFilled("Only media variables take a file; " + ", ".join(
            f"{{{{{n}}}}}" for n in stray) + " takes text.")  # fmt: skip
    names = [name for name in names if name not in media]
    missing = [name for name in names if not (values.get(name) or "").strip()]
    extra = sorted(set(values) - set(names) - media)
    if missing:
        raise NotFilled("Fill in " + ", ".join(f"{{{{{n}}}}}" for n in missing) + " first.")
    if extra:
        raise NotFilled("This prompt has no " + ", ".join(f"{{{{{n}}}}}" for n in extra) + ".")
    too_long = [name for name in names if len(values[name]) > MAX_VALUE]
    if too_long:
        raise NotFilled(f"A value takes at most {MAX_VALUE:,} characters ({too_long[0]}).")
    return {name: values[name] for name in names}


def compiled(text: str, values: Mapping[str, str]) -> str:
    """The text with each variable replaced by its value (one pass: values are not read as
    templates); a media variable leaves its place empty (its file is attached instead)."""

    emptied = False

    def value(match: re.Match[str]) -> str:
        nonlocal emptied
        if match.group(2):
            emptied = True
            return ""
        return values.get(match.group(1), match.group(0))

    result = VARIABLE.sub(value, text or "")
    return result.strip() if emptied else result  # "{{photo:media}} Describe it." reads well
