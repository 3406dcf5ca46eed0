"""RequestEvent: each attempt says, before its request is sent, where it goes (without a query
string or a secret) and how long it waited for the rate limiter — in every protocol."""

import dataclasses
import typing
from datetime import datetime

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import httpx
import pytest

import providers
from providers import InMemoryRateLimiter, init_chat_model
from tests.fakes.bedrock_wire import text_stream
from tests.providers.conftest import (
    ChunkedStream,
    Recorder,
    recording_sleep,
    sse,
    sse_response,
    text_chunk,
    transcript,
)
from tests.providers.test_gemini import events as gemini_events
from tests.providers.test_gemini import final, part

AWS_KEY, AWS_SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
OPENAI_OK = sse(text_chunk("hi", "stop"), "[DONE]")
OLLAMA_OK = b'{"message": {"role": "assistant", "content": "hi"}, "done": false}\n' + (
    b'{"message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop"}\n'
)


def body(data: bytes, content_type: str = "text/event-stream") -> httpx.Response:
    return httpx.Response(200, headers={"content-type": content_type},
                          stream=ChunkedStream(data, 4096))  # fmt: skip


# provider, init_chat_model arguments, a good streamed answer
PROTOCOLS = [
    ("openai", {"api_key": "sk-test-key-0000"}, lambda: sse_response(OPENAI_OK)),
    ("openai_compatible", {"base_url": "http://127.0.0.1:9/v1"}, lambda: sse_response(OPENAI_OK)),
    ("groq", {"api_key": "gsk-test-key"}, lambda: sse_response(OPENAI_OK)),
    ("huggingface", {"api_key": "hf-test-key"}, lambda: sse_response(OPENAI_OK)),
    ("azure_openai", {"base_url": "https://res.openai.azure.com", "api_key": "azure-key-4444",
                      "api_version": "2024-10-21"}, lambda: sse_response(OPENAI_OK)),
    ("anthropic", {"api_key": "sk-ant-test"},
     lambda: sse_response(transcript("llamacpp-anthropic-stream.sse"))),
    ("google_genai", {"api_key": "AIza-test-key-3333"},
     lambda: sse_response(gemini_events(part("hi"), final()))),
    ("google_vertexai", {"api_key": "ya29.token", "project": "my-proj"},
     lambda: sse_response(gemini_events(part("hi"), final()))),
    ("ollama", {"base_url": "http://127.0.0.1:11434"},
     lambda: body(OLLAMA_OK, "application/x-ndjson")),
    ("bedrock", {"region": "us-east-1", "aws_access_key_id": AWS_KEY,
                 "aws_secret_access_key": AWS_SECRET},
     lambda: body(text_stream(["hi"]), "application/vnd.amazon.eventstream")),
]  # fmt: skip


@pytest.mark.parametrize(("provider", "arguments", "answer"), PROTOCOLS)
async def test_the_request_event_comes_first_before_the_request_and_names_its_url(
    provider, arguments, answer
):
    recorder = Recorder(lambda _: answer())
    model = init_chat_model(model="m-1", model_provider=provider, transport=recorder.transport,
                            **arguments)  # fmt: skip
    seen = []
    async for event in model.astream("hello"):
        if isinstance(event, providers.RequestEvent):
            assert recorder.requests == []  # not sent yet
        seen.append(event)
    first, *rest = seen
    assert first == providers.RequestEvent(attempt=0, waited_s=0.0, url=first.url)
    assert not any(isinstance(event, providers.RequestEvent) for event in rest)
    assert "".join(e.text for e in rest if isinstance(e, providers.TextDelta))
    [request] = recorder.requests
    assert first.url == str(request.url.copy_with(query=None))
    assert "?" not in first.url
    for secret in model.secret_values():
        assert secret not in repr(first)


def test_the_query_string_is_left_out_of_the_url():
    azure = init_chat_model("azure_openai:dep", base_url="https://res.openai.azure.com",
                            api_key="azure-key-4444", api_version="2024-10-21")  # fmt: skip
    assert "?api-version=" in azure.endpoint
    assert (
        azure.request_url()
        == "https://res.openai.azure.com/openai/deployments/dep/chat/completions"
    )


def test_a_user_and_password_in_the_base_url_are_left_out_of_the_url():
    model = init_chat_model("openai_compatible:m", base_url="http://user:hunter22@127.0.0.1:9/v1")
    assert model.request_url() == "http://127.0.0.1:9/v1/chat/completions"


def test_bedrock_signs_the_url_it_reports_and_the_bytes_it_sends(monkeypatch):
    moment = datetime(2026, 1, 2, 3, 4, 5)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: moment)
    recorder = Recorder(lambda _: body(text_stream(["ok"]), "application/vnd.amazon.eventstream"))
    model = init_chat_model("bedrock:anthropic.claude-3-haiku-20240307-v1:0", region="us-east-1",
                            aws_access_key_id=AWS_KEY, aws_secret_access_key=AWS_SECRET,
                            transport=recorder.transport)  # fmt: skip
    [request_event] = [e for e in model.stream("x") if isinstance(e, providers.RequestEvent)]
    [sent] = recorder.requests
    expected = botocore.awsrequest.AWSRequest("POST", request_event.url, data=sent.content, headers={
        "Content-Type": "application/json", "Accept": "application/vnd.amazon.eventstream"})  # fmt: skip
    credentials = botocore.credentials.Credentials(AWS_KEY, AWS_SECRET)
    botocore.auth.SigV4Auth(credentials, "bedrock", "us-east-1").add_auth(expected)
    assert sent.headers["authorization"] == expected.headers["Authorization"]
    assert str(sent.url) == request_event.url


async def test_a_retryable_error_after_the_request_event_is_still_retried():
    delays: list[float] = []
    recorder = Recorder(lambda _: httpx.Response(503, json={"error": {"message": "busy"}}),
                        lambda _: sse_response(OPENAI_OK))  # fmt: skip
    model = init_chat_model("openai_compatible:m", base_url="http://127.0.0.1:9/v1",
                            transport=recorder.transport, sleep=recording_sleep(delays))  # fmt: skip
    seen = [event async for event in model.astream("x")]
    kinds = [type(event) for event in seen[:3]]
    assert kinds == [providers.RequestEvent, providers.RetryEvent, providers.RequestEvent]
    assert [seen[0].attempt, seen[1].attempt, seen[2].attempt] == [0, 1, 1]
    assert len(recorder.requests) == 2 and len(delays) == 1


def ticking_limiter(tick: float) -> InMemoryRateLimiter:
    """A limiter whose clock moves `tick` seconds each time it is read: at 2 requests per
    second from an empty bucket, the first request waits for exactly 1 s of its clock."""
    now = [0.0]

    def clock() -> float:
        now[0] += tick
        return now[0]

    return InMemoryRateLimiter(requests_per_second=2, check_every_n_seconds=0.001, clock=clock)


async def test_the_request_event_says_how_long_the_rate_limiter_held_the_attempt():
    recorder = Recorder(lambda _: sse_response(OPENAI_OK))
    model = init_chat_model("openai_compatible:m", base_url="http://127.0.0.1:9/v1",
                            rate_limiter=ticking_limiter(0.25), transport=recorder.transport)  # fmt: skip
    [request_event] = [e async for e in model.astream("x") if isinstance(e, providers.RequestEvent)]
    # Read at 0.25 (start), 0.5, 0.75, 1.0 (the bucket holds a token), 1.25 (end).
    assert request_event.waited_s == pytest.approx(1.0)


async def test_invoke_sums_the_rate_limiter_waits_of_every_attempt():
    recorder = Recorder(lambda _: httpx.Response(503, json={"error": {"message": "busy"}}),
                        lambda _: sse_response(OPENAI_OK))  # fmt: skip
    model = init_chat_model("openai_compatible:m", base_url="http://127.0.0.1:9/v1",
                            rate_limiter=ticking_limiter(0.25), transport=recorder.transport,
                            sleep=recording_sleep([]))  # fmt: skip
    response = await model.ainvoke("x")
    # The second attempt finds a token at once: read at 1.5 (start), 1.75, 2.0 (end).
    assert (response.retries, response.rate_limit_wait_s) == (1, pytest.approx(1.0 + 0.5))


async def test_without_a_rate_limiter_nothing_was_waited_for():
    recorder = Recorder(lambda _: sse_response(OPENAI_OK))
    model = init_chat_model("openai_compatible:m", base_url="http://127.0.0.1:9/v1",
                            transport=recorder.transport)  # fmt: skip
    assert (await model.ainvoke("x")).rate_limit_wait_s == 0.0


def test_the_request_event_is_one_of_the_stream_events():
    assert providers.RequestEvent in typing.get_args(providers.StreamEvent)


def test_the_request_event_carries_nothing_but_its_three_fields():
    event = providers.RequestEvent(attempt=0, waited_s=0.0, url="http://127.0.0.1:9/v1/x")
    assert dataclasses.asdict(event) == {
        "attempt": 0, "waited_s": 0.0, "url": "http://127.0.0.1:9/v1/x"}  # fmt: skip
