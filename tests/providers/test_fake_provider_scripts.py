"""The fake provider plays a scripted upstream in every dialect, pushed from Python or over
HTTP (`/_control/...`), so tests of any tier can make it misbehave the same way."""

import httpx
import pytest

import providers
from providers import init_chat_model
from tests.fakes.fake_provider import FakeProvider

pytestmark = pytest.mark.live
DIALECTS = ["openai_compatible", "azure_openai", "anthropic", "google_genai", "google_vertexai",
            "ollama", "bedrock"]  # fmt: skip
MODEL_LISTS = ["/v1/models", "/openai/v1/models", "/v1beta/models", "/api/tags",
               "/foundation-models", "/publishers/google/models"]  # fmt: skip


@pytest.fixture(scope="module")
def fake():
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset(fake):
    fake.reset()


def root(fake) -> str:
    return fake.base_url.removesuffix("/v1")


def model(fake, provider: str, **params):
    base = {"openai_compatible": fake.base_url, "anthropic": fake.base_url,
            "google_genai": root(fake) + "/v1beta"}.get(provider, root(fake))  # fmt: skip
    extra = {"bedrock": {"region": "us-east-1"}, "google_vertexai": {"project": "p"}}
    return init_chat_model(model="fake-model", model_provider=provider, base_url=base,
                           api_key="key-1234", **extra.get(provider, {}), **params)  # fmt: skip


def control(fake, name: str, payload: dict) -> None:
    response = httpx.post(f"{root(fake)}/_control/{name}", json=payload)
    assert response.json() == {"ok": True}


@pytest.mark.parametrize("provider", DIALECTS)
def test_the_in_stream_error_says_what_the_script_says(fake, provider):
    control(fake, "scripts", {"error_after_tokens": 1, "error_message": "the GPU caught fire"})
    with pytest.raises(providers.ProviderError, match="the GPU caught fire"):
        model(fake, provider, max_retries=0).invoke("hello")


@pytest.mark.parametrize("provider", DIALECTS)
def test_raw_tool_arguments_are_sent_instead_of_the_json_of_arguments(fake, provider):
    control(fake, "scripts", {"tokens": [], "raw_tool_arguments": '{"timezone": "Asia/Tokyo"}',
                              "tool_calls": [{"id": "c1", "name": "get_time", "arguments": {}}]})  # fmt: skip
    tools = [{"name": "get_time", "parameters": {"type": "object"}}]
    [call] = model(fake, provider).bind_tools(tools).invoke("time?").tool_calls
    assert (call.name, call.arguments) == ("get_time", {"timezone": "Asia/Tokyo"})


@pytest.mark.parametrize("provider", DIALECTS)
def test_an_error_body_is_sent_byte_for_byte_in_every_dialect(fake, provider):
    page = "<html><body>upstream says no: teapot</body></html>"
    fake.push_script(status=418, error_body=page)
    with pytest.raises(providers.BadRequestError) as caught:
        model(fake, provider, max_retries=0).invoke("x")
    assert caught.value.body == page


@pytest.mark.parametrize("path", MODEL_LISTS)
def test_a_model_list_answers_the_scripted_error_once(fake, path):
    control(fake, "models_error", {"status": 503, "body": "down for maintenance",
                                   "headers": {"Retry-After": "7"}})  # fmt: skip
    headers = {"authorization": "Bearer key-1234"}
    failed = httpx.get(root(fake) + path, headers=headers)
    assert (failed.status_code, failed.text, failed.headers["retry-after"]) == (
        503, "down for maintenance", "7")  # fmt: skip
    assert httpx.get(root(fake) + path, headers=headers).status_code == 200


def test_push_models_error_reaches_list_models(fake):
    fake.push_models_error(429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}})
    with pytest.raises(providers.RateLimitError, match="slow down"):
        providers.list_models("ollama", base_url=root(fake))
    assert "fake-model" in providers.list_models("ollama", base_url=root(fake))
