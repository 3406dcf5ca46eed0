"""The same scenarios over every provider the fake server speaks, with the same normalised
results: what users see must not depend on the wire format underneath."""

import asyncio
import json

import pytest

import providers
from providers import Image, assistant, init_chat_model, system, user
from tests.fakes.fake_provider import FakeProvider

pytestmark = pytest.mark.live
PROVIDERS = ["openai_compatible", "azure_openai", "anthropic", "ollama", "google_genai", "bedrock"]


@pytest.fixture(scope="module")
def fake():
    server = FakeProvider(api_key="contract-key").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset(fake):
    fake.reset()


def base(fake, provider: str) -> str:
    # Ollama's native API lives at the server's root, Gemini's under /v1beta, others /v1.
    root = fake.base_url.removesuffix("/v1")
    return {
        "ollama": root,
        "google_genai": root + "/v1beta",
        "azure_openai": root,
        "bedrock": root,
    }.get(provider, fake.base_url)


def model(fake, provider: str, name: str = "fake-model", **params):
    if provider == "bedrock":
        params.setdefault("region", "us-east-1")
    return init_chat_model(
        model=name,
        model_provider=provider,
        base_url=base(fake, provider),
        api_key="contract-key",
        **params,
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_text_with_a_system_prompt_and_history(fake, provider):
    response = model(fake, provider).invoke(
        [system("Be terse."), user("first"), assistant("ok"), user("hello there")]
    )
    assert response.text == "You said: hello there"
    assert response.finish_reason == "stop"
    assert response.usage.output_tokens == 4


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_system_prompt_reaches_the_provider_in_its_own_place(fake, provider):
    model(fake, provider).invoke([system("Be terse."), user("hi")])
    body = fake.requests()[-1]["body"]
    where = {
        "anthropic": lambda: body["system"],
        "google_genai": lambda: body["systemInstruction"]["parts"][0]["text"],
        "bedrock": lambda: body["system"][0]["text"],
    }.get(provider, lambda: body["messages"][0]["content"])
    assert where() == "Be terse."


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_stop_sequence_ends_the_answer_before_it(fake, provider):
    response = model(fake, provider, stop=["hello"]).invoke("hello there")
    assert (response.text, response.finish_reason) == ("You said: ", "stop")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_max_tokens_cuts_the_answer_and_says_so(fake, provider):
    response = model(fake, provider, max_tokens=2).invoke("hello there")
    assert (response.text, response.finish_reason) == ("You said:", "length")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_error_in_the_middle_keeps_what_came_before(fake, provider):
    seen = []

    async def run():
        async for event in model(fake, provider, "fake-mid-stream-error", max_retries=0).astream(
            "x"
        ):
            seen.append(event)

    with pytest.raises(providers.ProviderError):
        asyncio.run(run())
    assert "".join(e.text for e in seen if isinstance(e, providers.TextDelta)).startswith(
        "This answer"
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_cut_stream_is_an_error(fake, provider):
    with pytest.raises(providers.MalformedResponseError):
        model(fake, provider, "fake-no-done").invoke("x")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_stalled_stream_times_out(fake, provider):
    with pytest.raises(providers.ProviderTimeoutError):
        model(fake, provider, "fake-stall", timeout=0.5, max_retries=0).invoke("x")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_rate_limit_then_success_is_retried(fake, provider):
    fake.push_script(status=429, headers={"Retry-After": "0"},
                     error_body={"error": {"message": "slow down", "code": "rate_limit_exceeded"}})  # fmt: skip
    response = model(fake, provider).invoke("again")
    assert (response.text, response.retries) == ("You said: again", 1)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unknown_model_and_a_wrong_key_are_explained(fake, provider):
    with pytest.raises(providers.BadRequestError, match="model"):
        model(fake, provider, "no-such-model").invoke("x")
    region = {"region": "us-east-1"} if provider == "bedrock" else {}
    wrong = init_chat_model(
        model="fake-model", model_provider=provider, base_url=base(fake, provider),
        api_key="wrong-key", **region,
    )  # fmt: skip
    with pytest.raises(providers.AuthenticationError):
        wrong.invoke("x")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_cancelling_closes_the_upstream_connection(fake, provider):
    first = asyncio.Event()

    async def consume():
        async for event in model(fake, provider, "fake-slow").astream("go"):
            if isinstance(event, providers.TextDelta):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(fake.wait_for_disconnect, 5) is not None


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p != "bedrock"])
def test_models_are_listed(fake, provider):
    assert "fake-model" in providers.list_models(
        provider, base_url=base(fake, provider), api_key="contract-key"
    )


def get_time(timezone: str) -> str:
    """The time now in a timezone."""
    return "12:00"


PRIME = {"type": "object", "properties": {"prime": {"type": "integer"}}, "required": ["prime"]}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_tool_call_round_trip(fake, provider):
    fake.push_script(tokens=[], tool_calls=[{"id": "call_1", "name": "get_time",
                                             "arguments": {"timezone": "UTC"}}])  # fmt: skip
    timed = model(fake, provider).bind_tools([get_time])
    history = [user("What time is it in UTC?")]
    first = timed.invoke(history)
    [call] = first.tool_calls
    assert (call.name, call.arguments, first.finish_reason) == (
        "get_time",
        {"timezone": "UTC"},
        "tool_calls",
    )
    history += [first.message, providers.tool_result(call.id, get_time(**call.arguments))]
    second = timed.invoke(history)
    assert second.finish_reason == "stop"
    assert "12:00" in json.dumps(fake.requests()[-1]["body"])  # the result went back


@pytest.mark.parametrize("provider", PROVIDERS)
def test_structured_output_is_parsed_and_validated(fake, provider):
    fake.push_script(tokens=['{"prime": ', "7}"])
    assert model(fake, provider).with_structured_output(PRIME).invoke("A prime?") == {"prime": 7}
    fake.push_script(tokens=['{"prime": "seven"}'])
    with pytest.raises(providers.MalformedResponseError, match="seven"):
        model(fake, provider).with_structured_output(PRIME).invoke("A prime?")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_image_part_reaches_the_provider(fake, provider):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    answer = model(fake, provider).invoke([user("What is it?", Image.from_bytes(png, "image/png"))])
    assert answer.text == "You said: What is it?"
    assert fake.requests()[-1]["media"] in (["image/png"], ["image"])  # Ollama sends no type
