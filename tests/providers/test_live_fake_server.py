"""Real sockets against the scripted fake provider on 127.0.0.1: timeouts, refused
connections, and cancellation closing the upstream connection (what Stop relies on)."""

import asyncio
import socket

import pytest

import providers
from providers import init_chat_model
from tests.fakes.fake_provider import FakeProvider

pytestmark = pytest.mark.live


@pytest.fixture
def fake():
    server = FakeProvider().start()
    yield server
    server.stop()


def test_a_streamed_answer_arrives_whole_with_usage(fake):
    model = init_chat_model("openai_compatible:fake-model", base_url=fake.base_url)
    response = model.invoke("hello there")
    assert response.text == "You said: hello there"
    assert response.usage.output_tokens == 4
    assert fake.requests()[-1]["body"]["stream_options"] == {"include_usage": True}


def test_a_stalled_stream_times_out(fake):
    model = init_chat_model(
        "openai_compatible:fake-stall", base_url=fake.base_url, timeout=0.5, max_retries=0
    )
    with pytest.raises(providers.ProviderTimeoutError):
        model.invoke("x")


def test_a_closed_port_is_reported_as_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends
    model = init_chat_model(
        "openai_compatible:m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )
    with pytest.raises(providers.ProviderUnavailableError, match=f"127.0.0.1:{port}"):
        model.invoke("x")


async def test_cancelling_the_consumer_closes_the_upstream_connection(fake):
    model = init_chat_model("openai_compatible:fake-slow", base_url=fake.base_url)
    first_text = asyncio.Event()

    async def consume():
        async for event in model.astream("go"):
            if isinstance(event, providers.TextDelta):
                first_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_text.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = await asyncio.to_thread(fake.wait_for_disconnect, 5)
    assert record is not None and record["finished"] is None


def test_a_429_then_success_goes_through_the_real_retry_after_path(fake):
    fake.push_script(
        status=429, headers={"Retry-After": "0"},
        error_body={"error": {"message": "slow down", "code": "rate_limit_exceeded"}},
    )  # fmt: skip
    model = init_chat_model("openai_compatible:fake-model", base_url=fake.base_url)
    response = model.invoke("again")
    assert (response.text, response.retries) == ("You said: again", 1)


def test_a_wrong_key_is_an_authentication_error(fake):
    fake.state.api_key = "right"
    model = init_chat_model("openai_compatible:fake-model", base_url=fake.base_url, api_key="wrong")
    with pytest.raises(providers.AuthenticationError):
        model.invoke("x")
    assert fake.requests()[-1]["api_key"] == "wrong"
