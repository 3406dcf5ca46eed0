"""Serve the playground with Daphne, with Daphne's websocket limit above the application's.

`python -m playground.serve -b 127.0.0.1 -p 8000` takes Daphne's own options. Daphne drops a
websocket whose message passes its limit (1 MB by default) without a word to the page; ours
answers an over-long message with an error frame instead, so Daphne's limit must sit above
PLAYGROUND_MAX_MESSAGE_MB. A message above even Daphne's limit closes the socket with code
1009 ("message too big"), which the page shows.
"""

from __future__ import annotations

import os
import sys

DAPHNE_LIMIT_FACTOR = 8
DAPHNE_LIMIT_FLOOR = 16 * 2**20


def daphne_message_limit(application_limit: int) -> int:
    """Bytes Daphne accepts in one websocket message: far above what the application takes,
    so that a client that ignores the composer's check (a 10 MB paste) still gets an answer."""
    return max(DAPHNE_LIMIT_FLOOR, application_limit * DAPHNE_LIMIT_FACTOR)


def daphne_arguments(arguments: list[str], application_limit: int) -> list[str]:
    limit = str(daphne_message_limit(application_limit))
    options = ["--websocket-max-message-size", limit, "--websocket-max-frame-size", limit]
    return [*options, *arguments, "playground.asgi:application"]


def main(arguments: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    from daphne.cli import CommandLineInterface
    from django.conf import settings

    limit = settings.PLAYGROUND_MAX_MESSAGE_BYTES  # loading settings checks every variable
    CommandLineInterface().run(daphne_arguments(arguments, limit))


if __name__ == "__main__":
    main(sys.argv[1:])
