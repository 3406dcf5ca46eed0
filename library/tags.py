"""Tags of the library's prompts, tools and output schemas: at most 10 lowercase names of
1 to 36 characters of a–z, 0–9, _ . and -, typed as one comma-separated field."""

from __future__ import annotations

import re

TAG_PATTERN = re.compile(r"^[a-z0-9_.\-]{1,36}$")
MAX_TAGS = 10


class TagsRefused(ValueError):
    """Which tag is wrong and why, said to the user as it is."""


def parsed(text: str) -> list[str]:
    """The tags of a "Tags" field ("prod, eu" → ["prod", "eu"]), lowercased, each once, in
    the order typed; TagsRefused names the first that is not a tag."""
    found: list[str] = []
    for part in (text or "").split(","):
        tag = part.strip().lower()
        if not tag:
            continue
        if not TAG_PATTERN.match(tag):
            raise TagsRefused(f"“{part.strip()[:60]}” is not a tag: a tag is 1 to 36 "
                              "characters of a–z, 0–9, _ . and -. Nothing was saved.")  # fmt: skip
        if tag not in found:
            found.append(tag)
    if len(found) > MAX_TAGS:
        raise TagsRefused(f"At most {MAX_TAGS} tags ({len(found)} given). Nothing was saved.")
    return found


def is_tag(text: str) -> bool:
    return bool(TAG_PATTERN.match(text))


def tagged(queryset, tag: str):  # type: ignore[no-untyped-def]
    """The items of `queryset` that carry `tag` (none for what is not a tag). The JSON text
    of a tag is the tag in quotes, since a tag holds nothing JSON escapes."""
    if not is_tag(tag):
        return queryset.none()
    return queryset.filter(tags__icontains=f'"{tag}"')
