"""HTTP Range requests (RFC 9110 §14) for stored files: a single byte range, which is what
browsers' audio players ask for when they seek. Django's FileResponse has no Range support."""

from __future__ import annotations

import re

_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Unsatisfiable(ValueError):
    """The range lies outside the file: answer 416 with the file's size."""


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte, inclusive, of a `Range: bytes=...` header; None to send it all
    (no header, several ranges, or one we do not understand — all allowed by the RFC)."""
    match = _SINGLE_RANGE.match(header.strip())
    if not match or not any(match.groups()):
        return None
    first, last = match.groups()
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise Unsatisfiable(header)
        return max(0, size - length), size - 1
    start = int(first)
    if start >= size:
        raise Unsatisfiable(header)
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return None
    return start, end
