"""Pooled connections: one httpx client per event loop and origin, keep-alive against the fake
provider (which counts the TCP connections it accepts), Stop still closing its connection."""

import asyncio
import gc
import weakref

import httpx
import pytest

import providers
from providers import init_chat_model
from providers.http_client import pooled_client
from tests.fakes.fake_provider import FakeProvider

pytestmark = pytest.mark.live
DIALECTS = ["openai_compatible", "azure_openai", "anthropic", "google_genai", "google_vertexai",
            "ollama", "bedrock"]  # fmt: skip


@pytest.fixture(scope="module")
def fake():
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset(fake):
    fake.reset()


def model(fake, provider: str = "openai_compatible", name: str = "fake-model", **params):
    root = fake.base_url.removesuffix("/v1")
    base = {"openai_compatible": fake.base_url, "anthropic": fake.base_url,
            "google_genai": root + "/v1beta"}.get(provider, root)  # fmt: skip
    extra = {"bedrock": {"region": "us-east-1"}, "google_vertexai": {"project": "p"}}
    return init_chat_model(model=name, model_provider=provider, base_url=base, api_key="key-1234",
                           **extra.get(provider, {}), **params)  # fmt: skip


@pytest.mark.parametrize("provider", DIALECTS)
async def test_sequential_streams_to_one_server_share_one_connection(fake, provider):
    try:
        for prompt in ("one", "two", "three", "four"):
            assert (await model(fake, provider).ainvoke(prompt)).text == f"You said: {prompt}"
        assert fake.connections_accepted() == 1
    finally:
        await providers.aclose_clients()


async def test_listing_models_and_chatting_share_the_connection_of_their_origin(fake):
    root = fake.base_url.removesuffix("/v1")
    try:
        assert "fake-model" in await providers.alist_models("ollama", base_url=root)
        assert (await model(fake, "ollama").ainvoke("hi")).text == "You said: hi"
        assert "fake-model" in await providers.alist_models("ollama", base_url=root)
        assert fake.connections_accepted() == 1
    finally:
        await providers.aclose_clients()


async def test_each_request_keeps_its_own_timeout_on_a_shared_client(fake):
    try:
        await model(fake).ainvoke("warm the client up")  # with the default 60 s
        stalled = model(fake, name="fake-stall", timeout=0.3, max_retries=0).ainvoke("x")
        with pytest.raises(providers.ProviderTimeoutError):
            await asyncio.wait_for(stalled, 30)  # a builtin TimeoutError here would be a failure
        assert fake.connections_accepted() == 1  # the stalled request went over the warm one
        record = await asyncio.to_thread(fake.wait_for_disconnect, 5)
        assert record is not None and record["model"] == "fake-stall"  # and it was closed
    finally:
        await providers.aclose_clients()


async def test_a_stream_cut_short_by_the_server_leaves_its_connection_reusable(fake):
    try:
        with pytest.raises(providers.MalformedResponseError):
            await model(fake, name="fake-no-done").ainvoke("x")
        assert (await model(fake).ainvoke("next")).text == "You said: next"
        assert fake.connections_accepted() == 1
    finally:
        await providers.aclose_clients()


async def test_six_concurrent_streams_to_one_origin_all_arrive_and_warm_the_pool(fake):
    for _ in range(12):
        fake.push_script(tokens=["a ", "b ", "c"], delay_s=0.02)
    try:
        for _ in range(2):  # the second turn finds six warm connections
            answers = await asyncio.gather(*(model(fake).ainvoke(str(i)) for i in range(6)))
            assert [answer.text for answer in answers] == ["a b c"] * 6
        assert fake.connections_accepted() == 6
    finally:
        await providers.aclose_clients()


async def test_a_stopped_stream_closes_its_connection_and_the_next_request_still_works(fake):
    slow = model(fake, name="fake-slow")
    first_text = asyncio.Event()

    async def consume():
        async for event in slow.astream("go"):
            if isinstance(event, providers.TextDelta):
                first_text.set()

    try:
        task = asyncio.create_task(consume())
        await asyncio.wait_for(first_text.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        record = await asyncio.to_thread(fake.wait_for_disconnect, 5)
        assert record is not None and record["finished"] is None
        assert (await model(fake).ainvoke("after")).text == "You said: after"
        assert fake.connections_accepted() == 2  # the stopped one was not put back
    finally:
        await providers.aclose_clients()


async def a_client_of_a_loop_that_ends(url: str) -> httpx.AsyncClient:
    try:
        return pooled_client(url)
    finally:
        await providers.aclose_clients()


def test_each_event_loop_gets_clients_of_its_own(fake):
    first = asyncio.run(a_client_of_a_loop_that_ends(fake.base_url))
    second = asyncio.run(a_client_of_a_loop_that_ends(fake.base_url))
    assert first is not second


async def test_one_loop_shares_a_client_per_origin_and_transport(fake):
    try:
        client = pooled_client(fake.base_url + "/chat/completions")
        assert pooled_client(fake.base_url.removesuffix("/v1") + "/api/chat") is client
        assert pooled_client("http://127.0.0.1:9/v1") is not client
        assert pooled_client(fake.base_url, transport=httpx.MockTransport(print)) is not client
    finally:
        await providers.aclose_clients()


async def test_closed_clients_are_replaced_by_new_ones(fake):
    first = pooled_client(fake.base_url)
    await providers.aclose_clients()
    try:
        assert pooled_client(fake.base_url) is not first
        assert (await model(fake).ainvoke("again")).text == "You said: again"
    finally:
        await providers.aclose_clients()


def test_the_sync_invoke_closes_the_connections_of_its_loop_when_it_returns(fake):
    assert model(fake).invoke("sync").text == "You said: sync"
    assert fake.wait_for_connections_closed(5)


def test_the_sync_stream_closes_the_connections_of_its_loop_when_it_ends(fake):
    texts = [e.text for e in model(fake).stream("sync") if isinstance(e, providers.TextDelta)]
    assert "".join(texts) == "You said: sync"
    assert fake.wait_for_connections_closed(5)


def test_sync_invoke_inside_a_running_loop_closes_its_own_loops_connections(fake):
    async def inside() -> str:
        return model(fake).invoke("nested").text  # runs on a loop of its own, in a thread

    assert asyncio.run(inside()) == "You said: nested"
    assert fake.wait_for_connections_closed(5)


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # the orphaned socket, collected
def test_the_clients_of_a_loop_that_closed_without_closing_them_are_let_go(fake):
    async def request_and_leave_the_client_open() -> weakref.ref:
        await model(fake).ainvoke("x")  # its connection refers to this loop
        return weakref.ref(pooled_client(fake.base_url))

    orphan = asyncio.run(request_and_leave_the_client_open())
    asyncio.run(a_client_of_a_loop_that_ends(fake.base_url))  # a new loop prunes the old
    gc.collect()
    assert orphan() is None
