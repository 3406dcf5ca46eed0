import pytest

from providers.sse import SSEEvent, SSEParser
from tests.providers.conftest import CHUNK_SIZES, transcript


def parse(data: bytes, size: int) -> list[SSEEvent]:
    parser = SSEParser()
    events = []
    for start in range(0, len(data), size):
        events += parser.feed(data[start : start + size])
    return events + parser.close()


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_it_finds_the_same_events_whatever_the_chunk_boundaries(size):
    data = transcript("llamacpp-openai-stream-usage.sse")
    assert parse(data, size) == parse(data, len(data))
    assert parse(data, size)[-1] == SSEEvent(event="", data="[DONE]")


@pytest.mark.parametrize("size", [1, 2, 3])
def test_it_reassembles_utf8_characters_split_across_chunks(size):
    data = 'data: {"t": "héllo wörld 🌍"}\n\n'.encode()
    assert parse(data, size) == [SSEEvent("", '{"t": "héllo wörld 🌍"}')]


@pytest.mark.parametrize("size", [1, 5, 100])
def test_it_accepts_crlf_comments_names_and_multiline_data(size):
    data = b": keep-alive\r\nevent: delta\r\ndata: one\r\ndata: two\r\n\r\ndata:x\n\n"
    assert parse(data, size) == [SSEEvent("delta", "one\ntwo"), SSEEvent("", "x")]


def test_a_final_event_without_its_blank_line_still_counts_at_the_end():
    assert parse(b"data: last", 3) == [SSEEvent("", "last")]


def test_a_lone_carriage_return_ends_a_line():
    assert parse(b"data: a\r\rdata: b\r\r", 1) == [SSEEvent("", "a"), SSEEvent("", "b")]
