"""The one error of `media`: a file refused, with a message the user can act on."""


class MediaRejected(ValueError):
    """A file that cannot be attached; the message says why and what to do instead."""


def size_text(n_bytes: float) -> str:
    """1.5 MB, 820 KB or 12 bytes: sizes in messages, readable at any scale."""
    if n_bytes >= 2**20:
        return f"{n_bytes / 2**20:.3g} MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:.3g} KB"
    return f"{int(n_bytes)} bytes"
