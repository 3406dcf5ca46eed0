"""Incremental Server-Sent Events parser that is indifferent to chunk boundaries.

Bytes arrive in whatever pieces the network delivers (a single byte, half a UTF-8 sequence,
several events at once); `SSEParser.feed` returns the events completed so far.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
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
        if self._buffer:
            events.extend(self._line(self._buffer))
            self._buffer = ""
        events.extend(self._dispatch())
        return events

    def _drain_lines(self) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        while True:
            index = _line_end(self._buffer)
            if index is None:
                return events
            end, width = index
            line = self._buffer[:end]
            self._buffer = self._buffer[end + width :]
            events.extend(self._line(line))

    def _line(self, line: str) -> list[SSEEvent]:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return []  # comment / keep-alive
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return []

    def _dispatch(self) -> list[SSEEvent]:
        if not self._data and not self._event:
            return []
        event = SSEEvent(event=self._event, data="\n".join(self._data))
        self._event = ""
        self._data = []
        return [event]


def _line_end(buffer: str) -> tuple[int, int] | None:
    """Position and width of the first line terminator (\\r\\n, \\n or \\r)."""
    newline = buffer.find("\n")
    carriage = buffer.find("\r", 0, newline if newline != -1 else len(buffer))
    if carriage == -1:
        return None if newline == -1 else (newline, 1)
    if carriage + 1 == len(buffer):
        return None  # could be the first half of \r\n: wait for more
    return carriage, 2 if buffer[carriage + 1] == "\n" else 1
