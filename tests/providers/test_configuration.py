"""Everything a provider cannot honour is refused before any request is sent."""

import pytest

import providers
from providers import ConfigurationError, init_chat_model

LOCAL = {"base_url": "http://127.0.0.1:9/v1"}


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"model": "nope:m"}, "Unknown provider"),
        ({"model": "mistralai:mistral-large"}, "Unknown provider"),
        ({"model": "just-a-name"}, "Say which provider"),
        ({"model": "openai_compatible:m", "temperature": 3, **LOCAL}, "temperature"),
        ({"model": "openai_compatible:m", "top_p": -0.1, **LOCAL}, "top_p"),
        ({"model": "openai_compatible:m", "max_tokens": 0, **LOCAL}, "max_tokens"),
        ({"model": "openai_compatible:m", "max_retries": -1, **LOCAL}, "max_retries"),
        ({"model": "openai_compatible:m", "stop": ["a", "b", "c", "d", "e"], **LOCAL}, "at most 4"),
        ({"model": "openai_compatible:m", "stop": [""], **LOCAL}, "non-empty"),
        ({"model": "openai_compatible:m"}, "needs base_url"),
        ({"model": "openai_compatible:m", "base_url": "ftp://host/v1"}, "http"),
        ({"model": "openai:gpt-4.1-mini"}, "OPENAI_API_KEY"),
        (
            {"model": "openai_compatible:m", "rate_limiter": object(), **LOCAL},
            "InMemoryRateLimiter",
        ),
    ],
)
def test_nonsense_is_refused_with_a_clear_message(kwargs, words):
    with pytest.raises(ConfigurationError, match=words):
        init_chat_model(**kwargs)


def test_credentials_and_base_url_come_from_the_usual_environment_variables(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1/")
    model = init_chat_model("openai:gpt-4.1-mini")
    assert model.config.api_key == "sk-from-env"
    assert model.config.base_url == "http://127.0.0.1:8080/v1"


def test_the_langchain_style_model_and_model_provider_arguments_work():
    model = init_chat_model(model="m", model_provider="openai_compatible", **LOCAL)
    assert (model.provider, model.model) == ("openai_compatible", "m")


def test_the_api_key_is_not_in_the_repr():
    model = init_chat_model("openai_compatible:m", api_key="sk-hidden", **LOCAL)
    assert "sk-hidden" not in repr(model) and "sk-hidden" not in repr(model.config)


def test_with_params_returns_a_new_model_and_leaves_the_old_one_alone():
    model = init_chat_model("openai_compatible:m", temperature=0.1, **LOCAL)
    warmer = model.with_params(temperature=0.9)
    assert (model.config.temperature, warmer.config.temperature) == (0.1, 0.9)


def test_messages_must_be_built_with_the_builders():
    model = init_chat_model("openai_compatible:m", **LOCAL)
    with pytest.raises(ConfigurationError, match="system\\(\\), user\\(\\)"):
        model.invoke([{"role": "user", "content": "hi"}])
    with pytest.raises(ConfigurationError, match="no messages"):
        model.invoke([])


def test_an_empty_attachment_is_refused():
    with pytest.raises(ConfigurationError, match="empty"):
        providers.Image.from_bytes(b"", "image/png")


@pytest.mark.parametrize(
    ("provider", "base_url", "variable"),
    [
        ("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
        ("huggingface", "https://router.huggingface.co/v1", "HF_TOKEN"),
        ("anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY"),
    ],
)
def test_presets_know_their_base_url_and_key_variable(monkeypatch, provider, base_url, variable):
    with pytest.raises(ConfigurationError, match=variable):
        init_chat_model(f"{provider}:m")
    monkeypatch.setenv(variable, "key-from-env")
    model = init_chat_model(f"{provider}:m")
    assert (model.config.base_url, model.config.api_key) == (base_url, "key-from-env")


def test_groq_fields_that_groq_rejects_are_refused_before_any_request():
    with pytest.raises(ConfigurationError, match="Groq refuses logprobs"):
        init_chat_model("groq:llama", api_key="gsk", logprobs=True)
