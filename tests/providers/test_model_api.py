"""invoke, stream, batch, the rate limiter and model listing: the LangChain-shaped surface."""

import asyncio
import json
import threading

import httpx
import pytest

import providers
from providers import InMemoryRateLimiter, alist_models, init_chat_model, list_models
from providers.redact import redact
from tests.providers.conftest import Recorder, sse, sse_response, text_chunk, transcript

BASE = "http://127.0.0.1:9/v1"


def echo(request: httpx.Request) -> httpx.Response:
    prompt = json.loads(request.content)["messages"][-1]["content"]
    if prompt == "fail":
        return httpx.Response(400, json={"error": {"message": "bad prompt"}})
    return sse_response(sse(text_chunk(f"echo {prompt}", "stop"), "[DONE]"))


def echo_model(**params):
    return init_chat_model(
        "openai_compatible:m", base_url=BASE, transport=httpx.MockTransport(echo), **params
    )


def test_batch_keeps_the_order_and_returns_errors_in_place():
    answers = echo_model().batch(["a", "fail", "c"])
    assert answers[0].text == "echo a"
    assert isinstance(answers[1], providers.BadRequestError)
    assert answers[2].text == "echo c"


async def test_abatch_never_runs_more_than_max_concurrency_at_once():
    in_flight = 0
    peak = 0

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return echo(request)

    model = init_chat_model("openai_compatible:m", base_url=BASE, transport=Counting())
    answers = await model.abatch([str(i) for i in range(8)], max_concurrency=3)
    assert [answer.text for answer in answers] == [f"echo {i}" for i in range(8)]
    assert peak == 3


async def test_the_sync_methods_work_inside_a_running_event_loop():
    assert echo_model().invoke("inside").text == "echo inside"


def test_stream_is_a_plain_iterator_of_the_same_events():
    events = list(echo_model().stream("s"))
    assert [type(event) for event in events] == [
        providers.RequestEvent, providers.TextDelta, providers.FinishEvent]  # fmt: skip
    assert events[1].text == "echo s"


def test_stream_raises_the_providers_error_in_the_callers_thread():
    with pytest.raises(providers.BadRequestError):
        list(echo_model().stream("fail"))


def test_the_rate_limiter_lets_requests_through_at_its_rate():
    now = [0.0]
    limiter = InMemoryRateLimiter(requests_per_second=2, max_bucket_size=1, clock=lambda: now[0])
    assert limiter.acquire(blocking=False) is False  # the bucket starts empty
    now[0] = 0.5
    assert limiter.acquire(blocking=False) is True
    assert limiter.acquire(blocking=False) is False
    now[0] = 10.0  # a long pause fills the bucket only up to its size
    assert limiter.acquire(blocking=False) is True
    assert limiter.acquire(blocking=False) is False


def test_one_rate_limiter_is_shared_by_every_model_given_it():
    now = [1.0]
    limiter = InMemoryRateLimiter(requests_per_second=1, clock=lambda: now[0])
    limiter.acquire(blocking=False)
    now[0] = 2.0
    first, second = echo_model(rate_limiter=limiter), echo_model(rate_limiter=limiter)
    assert first.invoke("a").text == "echo a"  # takes the one token
    assert limiter.acquire(blocking=False) is False
    assert second.config.rate_limiter is first.config.rate_limiter


def test_the_rate_limiter_is_safe_across_threads():
    now = [0.0]
    limiter = InMemoryRateLimiter(
        requests_per_second=1000, max_bucket_size=50, clock=lambda: now[0]
    )
    limiter.acquire(blocking=False)
    now[0] = 1.0  # 50 tokens available, not more
    granted = []

    def take():
        granted.append(limiter.acquire(blocking=False))

    threads = [threading.Thread(target=take) for _ in range(80)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 50


def test_models_are_listed_from_the_llamacpp_answer():
    recorder = Recorder(lambda _: httpx.Response(200, content=transcript("llamacpp-models.json")))
    assert list_models("openai_compatible", base_url=BASE, transport=recorder.transport) == [
        "smollm2"
    ]
    assert str(recorder.requests[0].url) == f"{BASE}/models"


async def test_a_failed_model_listing_raises_the_mapped_error():
    recorder = Recorder(lambda _: httpx.Response(401, json={"error": {"message": "no key"}}))
    with pytest.raises(providers.AuthenticationError):
        await alist_models(
            "openai_compatible", base_url=BASE, api_key="k", transport=recorder.transport
        )


async def test_a_model_listing_that_is_not_a_list_is_malformed():
    recorder = Recorder(lambda _: httpx.Response(200, text="<html>hi</html>"))
    with pytest.raises(providers.MalformedResponseError):
        await alist_models("openai_compatible", base_url=BASE, transport=recorder.transport)


def test_redact_hides_keys_and_summarises_base64():
    payload = {
        "headers": {"Authorization": "Bearer sk-1"},
        "api_key": "sk-2",
        "messages": [{"image_url": {"url": "data:image/png;base64," + "A" * 1000}}],
        "blob": "B" * 600,
        "text": "short and plain",
    }
    cleaned = json.dumps(redact(payload))
    assert "sk-1" not in cleaned and "sk-2" not in cleaned
    assert "A" * 100 not in cleaned and "B" * 100 not in cleaned
    assert "short and plain" in cleaned
