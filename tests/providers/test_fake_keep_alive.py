"""The fake provider keeps connections alive as real providers do: chunked streams, the next
request served on the same connection, not a byte of it lost to the watch for a client that
leaves; and it notes when each request arrived and how many connections it accepted."""

import asyncio
import json
import time

import pytest

from providers import init_chat_model
from tests.fakes.fake_provider import FakeProvider

pytestmark = pytest.mark.live


@pytest.fixture
def fake():
    server = FakeProvider().start()
    yield server
    server.stop()


def chat_request(prompt: str) -> bytes:
    body = json.dumps({"model": "fake-model", "stream": True,
                       "messages": [{"role": "user", "content": prompt}]}).encode()  # fmt: skip
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    """One chunk of a chunked body; b"" for the terminating one."""
    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
    data = await reader.readexactly(size)
    await reader.readexactly(2)  # the CRLF after each chunk, the terminating one's too
    return data


async def read_rest(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while data := await read_chunk(reader):
        body += data
    return body


async def read_chunked_response(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    return head, await read_rest(reader)


async def test_a_streamed_answer_is_chunked_and_the_connection_serves_the_next_request(fake):
    reader, writer = await asyncio.open_connection("127.0.0.1", fake.port)
    try:
        for prompt in ("first", "second"):
            writer.write(chat_request(prompt))
            head, body = await read_chunked_response(reader)
            assert "Transfer-Encoding: chunked" in head and "Connection: close" not in head
            assert prompt.encode() in body and body.endswith(b"data: [DONE]\n\n")
    finally:
        writer.close()
    assert fake.connections_accepted() == 1


async def test_a_request_sent_before_the_previous_answer_is_answered_whole(fake):
    reader, writer = await asyncio.open_connection("127.0.0.1", fake.port)
    try:
        writer.write(chat_request("first") + chat_request("second"))  # pipelined
        answers = [await read_chunked_response(reader) for _ in range(2)]
    finally:
        writer.close()
    assert [b"first" in body for _, body in answers] == [True, False]
    assert b"second" in answers[1][1]
    assert [request["body"]["messages"][0]["content"] for request in fake.requests()] == [
        "first", "second"]  # fmt: skip


async def test_a_request_that_arrives_while_a_stream_runs_is_kept_for_after_it(fake):
    fake.push_script(tokens=["slow ", "answer"], delay_s=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", fake.port)
    try:
        writer.write(chat_request("first"))
        await reader.readuntil(b"\r\n\r\n")
        await read_chunk(reader)  # the stream has begun: the server is watching
        writer.write(chat_request("second"))
        first = await read_rest(reader)
        _, second = await read_chunked_response(reader)
    finally:
        writer.close()
    assert b"answer" in first and b"second" in second


def test_each_chat_request_notes_the_wall_clock_time_it_arrived(fake):
    before = time.time()
    init_chat_model("openai_compatible:fake-model", base_url=fake.base_url).invoke("x")
    assert before <= fake.requests()[-1]["received_at"] <= time.time()


def test_reset_clears_the_count_of_accepted_connections(fake):
    init_chat_model("openai_compatible:fake-model", base_url=fake.base_url).invoke("x")
    assert fake.connections_accepted() == 1
    fake.reset()
    assert fake.connections_accepted() == 0
