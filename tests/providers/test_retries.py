"""Retries: backoff with jitter, the server's hints honoured, never after output began."""

import httpx
import pytest

import providers
from providers import init_chat_model
from providers.retry import Backoff, retry_after_seconds
from tests.providers.conftest import Recorder, recording_sleep, sse, sse_response, text_chunk

OK = sse(text_chunk("fine", "stop"), "[DONE]")


def model_with(recorder, delays, **params):
    return init_chat_model(
        "openai_compatible:m", base_url="http://127.0.0.1:9/v1", transport=recorder.transport,
        sleep=recording_sleep(delays), **params,
    )  # fmt: skip


def test_a_429_is_retried_after_its_retry_after():
    delays: list[float] = []
    recorder = Recorder(
        lambda _: httpx.Response(429, json={"error": {"message": "slow"}}, headers={"Retry-After": "3"}),
        lambda _: sse_response(OK),
    )  # fmt: skip
    response = model_with(recorder, delays, max_retries=2).invoke("x")
    assert response.text == "fine"
    assert response.retries == 1
    assert delays == [3.0]


def test_retry_after_ms_wins_over_retry_after():
    delays: list[float] = []
    headers = {"retry-after-ms": "250", "Retry-After": "9"}
    recorder = Recorder(
        lambda _: httpx.Response(429, json={"error": {"message": "x"}}, headers=headers),
        lambda _: sse_response(OK),
    )
    model_with(recorder, delays).invoke("x")
    assert delays == [0.25]


def test_without_a_hint_the_backoff_grows_and_stays_under_its_ceiling():
    delays: list[float] = []
    recorder = Recorder(
        lambda _: httpx.Response(503, json={"error": {"message": "x"}}),
        lambda _: httpx.Response(503, json={"error": {"message": "x"}}),
        lambda _: httpx.Response(503, json={"error": {"message": "x"}}),
        lambda _: sse_response(OK),
    )
    model_with(recorder, delays, max_retries=3).invoke("x")
    assert len(delays) == 3
    assert all(
        0 <= delay <= ceiling for delay, ceiling in zip(delays, [0.5, 1.0, 2.0], strict=True)
    )


async def test_each_retry_is_announced_by_a_retry_event():
    delays: list[float] = []
    recorder = Recorder(lambda _: httpx.Response(500, json={}), lambda _: sse_response(OK))
    events = [event async for event in model_with(recorder, delays).astream("x")]
    first_request, retry, second_request = events[:3]
    assert isinstance(retry, providers.RetryEvent)
    assert retry.attempt == 1
    assert isinstance(retry.error, providers.ProviderUnavailableError)
    assert (first_request.attempt, second_request.attempt) == (0, 1)


def test_max_retries_zero_means_a_single_attempt():
    delays: list[float] = []
    recorder = Recorder(lambda _: httpx.Response(500, json={}))
    with pytest.raises(providers.ProviderUnavailableError):
        model_with(recorder, delays, max_retries=0).invoke("x")
    assert len(recorder.requests) == 1
    assert delays == []


def test_a_failure_after_the_first_token_is_raised_not_retried():
    delays: list[float] = []
    broken = sse(text_chunk("half"), {"error": {"message": "server overloaded"}})
    recorder = Recorder(lambda _: sse_response(broken))
    with pytest.raises(providers.ProviderUnavailableError):
        model_with(recorder, delays, max_retries=3).invoke("x")
    assert len(recorder.requests) == 1


def test_a_retry_after_longer_than_a_minute_is_reported_instead_of_waited_for():
    delays: list[float] = []
    recorder = Recorder(
        lambda _: httpx.Response(
            429, json={"error": {"message": "x"}}, headers={"Retry-After": "3600"}
        )
    )
    with pytest.raises(providers.RateLimitError) as caught:
        model_with(recorder, delays, max_retries=5).invoke("x")
    assert caught.value.retry_after == 3600
    assert delays == []


def test_retry_after_may_be_an_http_date():
    headers = httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"})
    assert retry_after_seconds(headers, now=1445412480.0) == 10.0


def test_a_hint_replaces_the_computed_backoff():
    assert Backoff().delay(5, hint=1.5) == 1.5
