"""Incremental Server-Sent Events parser that is indifferent to chunk boundaries.

Bytes arrive in whatever pieces the network delivers (a single byte, half a UTF-8 sequence,
several events at once); `SSEParser.feed` returns the events completed so far.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple


class SSEEvent(NamedTuple):
    """One dispatched event (a tuple: made once per streamed token, so it must be cheap)."""

    event: str
    data: str


class SSEParser:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        self._buffer += self._decoder.decode(chunk)
        return self._drain_lines()

    def close(self) -> list[SSEEvent]:
        """End of body: a final event without its blank line still counts."""
        self._buffer += self._decoder.decode(b"", final=True)
        events = self._drain_lines()
        rest = self._buffer.rstrip("\r")  # a final lone \r is a line end, not data
        for event in (self._line(rest) if rest else None, self._dispatch()):
            if event is not None:
                events.append(event)
        self._buffer = ""
        return events

    def _drain_lines(self) -> list[SSEEvent]:
        """Complete lines are consumed by moving an index: one slice of the buffer per
        network chunk, not one per line (a chunk can hold hundreds of lines)."""
        events: list[SSEEvent] = []
        buffer = self._buffer
        position = 0
        if "\r" not in buffer:
            # The usual case, LF only: let str.split find the lines in C.
            *lines, self._buffer = buffer.split("\n")
            for line in lines:
                event = self._line(line)
                if event is not None:
                    events.append(event)
            return events
        while True:
            found = _line_end(buffer, position)
            if found is None:
                break
            end, following = found
            event = self._line(buffer[position:end])
            if event is not None:
                events.append(event)
            position = following
        self._buffer = buffer[position:]
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # comment / keep-alive
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data and not self._event:
            return None
        event = SSEEvent(event=self._event, data="\n".join(self._data))
        self._event = ""
        self._data = []
        return event


def _line_end(buffer: str, start: int) -> tuple[int, int] | None:
    """(end of the line, start of the next) for the first terminator (\\r\\n, \\n or \\r)
    at or after `start`, or None when the line is not complete yet."""
    newline = buffer.find("\n", start)
    carriage = buffer.find("\r", start, newline if newline != -1 else len(buffer))
    if carriage == -1:
        return None if newline == -1 else (newline, newline + 1)
    if carriage + 1 == len(buffer):
        return None  # could be the first half of \r\n: wait for more
    return carriage, carriage + (2 if buffer[carriage + 1] == "\n" else 1)
