"""No secret a model holds leaves the provider layer in an error, whatever the upstream echoes
and wherever it echoes it: an HTTP error body, an error inside a 200 stream, a tool call's
arguments, a structured answer, the model list. Every wire format, against the fake provider
playing an upstream that echoes the credentials it was given."""

from __future__ import annotations

import asyncio
import json
import traceback
from dataclasses import dataclass, field

import pytest

import providers
import providers.vertex
from providers import init_chat_model
from tests.fakes.fake_provider import FakeProvider

pytestmark = pytest.mark.live

API_KEY = "Zq9-api/key+ThatMustNeverShow-0123456789"
AWS_SECRET = "Wk7AwsSecret/AccessKey+EXAMPLE-abcdefghij"
AWS_TOKEN = "Xj3AwsSessionToken//FwoGZXIvYXdzEXAMPLE+zz"
ADC_TOKEN = "Yh5.adc-access-token.resolved-at-request-time"


@dataclass(frozen=True)
class Variant:
    """One way of talking to one wire format, and the secrets it holds."""

    provider: str
    secrets: tuple[str, ...]
    params: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)


VARIANTS = {
    "openai": Variant("openai_compatible", (API_KEY,), {"api_key": API_KEY}),
    "azure": Variant("azure_openai", (API_KEY,), {"api_key": API_KEY}),
    "anthropic": Variant("anthropic", (API_KEY,), {"api_key": API_KEY}),
    "gemini": Variant("google_genai", (API_KEY,), {"api_key": API_KEY}),
    "vertex-adc": Variant("google_vertexai", (ADC_TOKEN,), {"project": "p"}),
    "ollama": Variant("ollama", (API_KEY,), {"api_key": API_KEY}),
    "bedrock-keys": Variant(
        "bedrock",
        (AWS_SECRET, AWS_TOKEN),
        {
            "region": "us-east-1",
            "aws_access_key_id": "AKIDGIVEN",
            "aws_secret_access_key": AWS_SECRET,
            "aws_session_token": AWS_TOKEN,
        },
    ),  # fmt: skip
    "bedrock-environment": Variant(
        "bedrock",
        (AWS_SECRET, AWS_TOKEN),
        {"region": "us-east-1"},
        {
            "AWS_ACCESS_KEY_ID": "AKIDFROMENV",
            "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
            "AWS_SESSION_TOKEN": AWS_TOKEN,
        },
    ),  # fmt: skip
    "bedrock-api-key": Variant("bedrock", (API_KEY,), {"region": "us-east-1", "api_key": API_KEY}),
}


@pytest.fixture(scope="module")
def fake():
    server = FakeProvider().start()  # takes any key: it is the echo that matters here
    yield server
    server.stop()


@pytest.fixture(params=sorted(VARIANTS))
def variant(request, fake, monkeypatch) -> Variant:
    fake.reset()
    chosen = VARIANTS[request.param]
    monkeypatch.setattr(providers.vertex, "adc_token", lambda: ADC_TOKEN)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    for name, value in chosen.env.items():
        monkeypatch.setenv(name, value)
    return chosen


def base_url(fake: FakeProvider, provider: str) -> str:
    root = fake.base_url.removesuffix("/v1")
    return {"openai_compatible": fake.base_url, "openai": fake.base_url,
            "anthropic": fake.base_url, "google_genai": root + "/v1beta"}.get(provider, root)  # fmt: skip


def model_for(fake, variant: Variant, **params):
    return init_chat_model(
        model="fake-model", model_provider=variant.provider,
        base_url=base_url(fake, variant.provider), **variant.params, **params,
    )  # fmt: skip


def echo(variant: Variant) -> str:
    return " and ".join(variant.secrets)


def assert_scrubbed(error: BaseException, variant: Variant) -> None:
    """Neither the secrets nor a telling piece of one (a prefix an excerpt cut) anywhere."""
    assert isinstance(error, providers.ProviderError)
    renderings = {
        "str": str(error),
        "body": error.body or "",
        "args": repr(error.args),
        "repr": repr(error),
        "traceback": "".join(traceback.format_exception(error)),
        "attributes": repr(vars(error)),
    }
    for secret in variant.secrets:
        for name, text in renderings.items():
            assert secret not in text, f"the secret is in the error's {name}"
            assert secret[:8] not in text, f"a piece of the secret is in the error's {name}"


async def stream_until_error(model, *messages) -> tuple[list, BaseException]:
    events = []
    with pytest.raises(providers.ProviderError) as caught:
        async for event in model.astream(list(messages) or "hello"):
            events.append(event)
    return events, caught.value


def retry_errors(events) -> list[BaseException]:
    return [event.error for event in events if isinstance(event, providers.RetryEvent)]


@pytest.mark.parametrize("body_style", ["json", "json-escaped-slashes", "long-html-page"])
async def test_an_http_error_body_that_echoes_the_secrets(fake, variant, body_style):
    text = f"Rate limit reached for the key {echo(variant)}; it was revoked"
    body: object = {"error": {"message": text, "code": "rate_limit_exceeded"}}
    if body_style == "json-escaped-slashes":  # what PHP and some proxies write
        body = json.dumps(body).replace("/", "\\/")
    elif body_style == "long-html-page":  # the secret straddles where the excerpt is cut
        body = f"<html><body><p>{'x' * 290} {echo(variant)}</p></body></html>"
    for _ in range(2):
        fake.push_script(status=429, headers={"Retry-After": "0"}, error_body=body)
    events, error = await stream_until_error(model_for(fake, variant, max_retries=1))
    assert isinstance(error, providers.RateLimitError)
    [retried] = retry_errors(events)
    assert_scrubbed(retried, variant)
    assert_scrubbed(error, variant)
    assert "[redacted" in str(error)  # (an excerpt may cut the marker itself)


async def test_an_error_inside_the_stream_that_echoes_the_secrets(fake, variant):
    message = f"server overloaded; the key {echo(variant)} was revoked"
    for _ in range(2):
        fake.push_script(error_after_tokens=0, error_message=message)
    events, error = await stream_until_error(model_for(fake, variant, max_retries=1))
    [retried] = retry_errors(events)
    assert_scrubbed(retried, variant)
    assert_scrubbed(error, variant)
    assert "the key [redacted]" in str(error)


async def test_an_error_after_some_text_keeps_the_text_and_hides_the_secrets(fake, variant):
    fake.push_script(error_after_tokens=2, error_message=f"invalid_api_key: {echo(variant)}")
    events, error = await stream_until_error(model_for(fake, variant, max_retries=3))
    assert "".join(e.text for e in events if isinstance(e, providers.TextDelta)) == "You said:"
    assert retry_errors(events) == []
    assert_scrubbed(error, variant)


def get_time(timezone: str) -> str:
    """The time now in a timezone."""
    return "12:00"


@pytest.mark.parametrize("padding", [0, 176], ids=["whole", "cut-by-the-excerpt"])
async def test_tool_arguments_that_are_not_json_and_echo_the_secrets(fake, variant, padding):
    # With 176 characters of padding the secret starts at 190: the 200-character excerpt cuts it.
    raw = '{"timezone": "' + "x" * padding + echo(variant)  # no closing quote nor brace
    fake.push_script(tokens=[], raw_tool_arguments=raw,
                     tool_calls=[{"id": "call_1", "name": "get_time", "arguments": {}}])  # fmt: skip
    model = model_for(fake, variant, max_retries=0).bind_tools([get_time])
    _, error = await stream_until_error(model)
    assert isinstance(error, providers.MalformedResponseError)
    assert "get_time" in str(error) and "not valid JSON" in str(error)
    assert_scrubbed(error, variant)


PRIME = {"type": "object", "properties": {"prime": {"type": "integer"}}, "required": ["prime"]}


@pytest.mark.parametrize("shape", ["does-not-fit", "not-json"])
async def test_a_structured_answer_that_echoes_the_secrets(fake, variant, shape):
    answer = json.dumps({"prime": echo(variant)}) if shape == "does-not-fit" else echo(variant)
    fake.push_script(tokens=[answer])
    model = model_for(fake, variant, max_retries=0).with_structured_output(PRIME)
    with pytest.raises(providers.MalformedResponseError, match=r"\[redacted\]") as caught:
        await model.ainvoke("A prime?")
    assert_scrubbed(caught.value, variant)


async def test_a_structured_answer_that_does_not_fit_is_scrubbed_in_a_batch_too(fake, variant):
    fake.push_script(tokens=[json.dumps({"prime": echo(variant)})])
    model = model_for(fake, variant, max_retries=0).with_structured_output(PRIME)
    [error] = await model.abatch(["A prime?"])
    assert isinstance(error, providers.MalformedResponseError)
    assert "does not fit" in str(error)
    assert_scrubbed(error, variant)


async def test_a_model_list_error_that_echoes_the_secrets(fake, variant):
    fake.push_models_error(401, {"error": {"message": f"invalid key {echo(variant)}"}})
    where = {"base_url": base_url(fake, variant.provider), **variant.params}
    with pytest.raises(providers.AuthenticationError, match=r"invalid key \[redacted\]") as caught:
        await providers.alist_models(variant.provider, **where)
    assert_scrubbed(caught.value, variant)
    # Once: the next listing answers normally.
    listed = await providers.alist_models(variant.provider, **where)
    assert any("fake-model" in name for name in listed)


def test_the_sync_faces_give_scrubbed_errors_too(fake, variant):
    fake.push_script(status=400, error_body={"error": {"message": f"bad key {echo(variant)}"}})
    with pytest.raises(providers.BadRequestError, match=r"bad key \[redacted\]") as caught:
        model_for(fake, variant, max_retries=0).invoke("x")
    assert_scrubbed(caught.value, variant)
    fake.push_models_error(403, f"<p>forbidden for {echo(variant)}</p>")
    with pytest.raises(
        providers.AuthenticationError, match=r"forbidden for \[redacted\]"
    ) as caught:
        providers.list_models(
            variant.provider, base_url=base_url(fake, variant.provider), **variant.params
        )
    assert_scrubbed(caught.value, variant)


def test_the_model_lists_the_secrets_it_holds_once_it_has_used_them(fake, variant):
    model = model_for(fake, variant)
    asyncio.run(model.ainvoke("hello"))
    assert set(variant.secrets) <= set(model.secret_values())
    leaked = f"an answer that quotes {echo(variant)}"
    assert providers.scrub_secrets(leaked, model.secret_values()) == (
        "an answer that quotes " + " and ".join(["[redacted]"] * len(variant.secrets))
    )


@pytest.mark.parametrize(
    ("provider", "variable"),
    [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY"),
     ("google_genai", "GEMINI_API_KEY"), ("ollama", "OLLAMA_API_KEY"),
     ("bedrock", "AWS_BEARER_TOKEN_BEDROCK")],
)  # fmt: skip
def test_a_key_read_from_the_environment_is_scrubbed_too(fake, monkeypatch, provider, variable):
    fake.reset()
    monkeypatch.setenv(variable, API_KEY)
    fake.push_script(error_after_tokens=1, error_message=f"key {API_KEY} revoked")
    region = {"region": "us-east-1"} if provider == "bedrock" else {}
    model = init_chat_model(model="fake-model", model_provider=provider, max_retries=0,
                            base_url=base_url(fake, provider), **region)  # fmt: skip
    with pytest.raises(providers.ProviderError, match=r"key \[redacted\] revoked") as caught:
        model.invoke("x")
    assert_scrubbed(caught.value, Variant(provider, (API_KEY,)))
