"""Each provider's base URL in the forms its own ecosystem accepts, so that a URL copied from
the vendor's SDK, LangChain or the server's docs just works."""

import httpx
import pytest

import providers
from providers import init_chat_model
from tests.providers.conftest import Recorder, sse, sse_response, text_chunk
from tests.providers.test_anthropic import START, STOP, named, text_delta
from tests.providers.test_gemini import events, final, part
from tests.providers.test_ollama import DONE, ndjson, piece


def sent_to(provider: str, model: str, answer, **params) -> str:
    recorder = Recorder(lambda _: answer())
    init_chat_model(f"{provider}:{model}", transport=recorder.transport, **params).invoke("x")
    return str(recorder.requests[0].url)


def listed_at(provider: str, payload: dict, **params) -> str:
    recorder = Recorder(lambda _: httpx.Response(200, json=payload))
    providers.list_models(provider, transport=recorder.transport, **params)
    return str(recorder.requests[0].url)


def anthropic_answer():
    return sse_response(named(START, text_delta("ok"), STOP))


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1",
     "http://127.0.0.1:8080/v1/"],
)  # fmt: skip
def test_anthropic_takes_its_base_url_with_or_without_v1(base_url):
    assert sent_to("anthropic", "claude", anthropic_answer, base_url=base_url, api_key="k") == (
        "http://127.0.0.1:8080/v1/messages"
    )
    assert listed_at("anthropic", {"data": []}, base_url=base_url, api_key="k") == (
        "http://127.0.0.1:8080/v1/models"
    )


def test_anthropic_base_url_from_the_environment_as_the_sdk_takes_it(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:8080")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    assert sent_to("anthropic", "claude", anthropic_answer) == "http://127.0.0.1:8080/v1/messages"


def test_a_gateway_path_before_v1_is_kept_for_anthropic():
    url = sent_to("anthropic", "claude", anthropic_answer, api_key="k",
                  base_url="https://gateway.example.com/acct/gw/anthropic")  # fmt: skip
    assert url == "https://gateway.example.com/acct/gw/anthropic/v1/messages"


def ollama_answer():
    return ndjson(piece("ok"), DONE)


@pytest.mark.parametrize(
    ("host", "root"),
    [
        ("127.0.0.1:11434", "http://127.0.0.1:11434"),
        ("gpu-box", "http://gpu-box:11434"),  # no scheme: http on Ollama's port
        (":8000", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:11434"),  # a bind address: reach it on loopback
        ("[::1]:9000", "http://[::1]:9000"),
        ("http://gpu-box", "http://gpu-box"),  # a scheme without a port: 80
        ("https://ollama.example.com", "https://ollama.example.com"),  # 443
        ("http://gpu-box:11434/api", "http://gpu-box:11434"),  # the API path is ours to add
        ("https://proxy.example.com/ollama/api/", "https://proxy.example.com/ollama"),
        ("'gpu-box:1234' ", "http://gpu-box:1234"),  # quoted, as shells leave it
        ("ollama.com", "https://ollama.com"),
    ],
)
def test_ollama_host_is_read_the_way_ollama_reads_it(monkeypatch, host, root):
    monkeypatch.setenv("OLLAMA_HOST", host)
    assert sent_to("ollama", "llama3.2", ollama_answer) == f"{root}/api/chat"
    assert listed_at("ollama", {"models": []}) == f"{root}/api/tags"


def test_an_ollama_base_url_given_directly_follows_the_same_rule():
    assert sent_to("ollama", "llama3.2", ollama_answer, base_url="gpu-box/api") == (
        "http://gpu-box:11434/api/chat"
    )


def gemini_answer():
    return sse_response(events(part("ok"), final()))


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        ("https://generativelanguage.googleapis.com", "https://generativelanguage.googleapis.com/v1beta"),
        ("https://generativelanguage.googleapis.com/", "https://generativelanguage.googleapis.com/v1beta"),
        ("https://generativelanguage.googleapis.com/v1beta", "https://generativelanguage.googleapis.com/v1beta"),
        ("https://generativelanguage.googleapis.com/v1", "https://generativelanguage.googleapis.com/v1"),
        ("https://generativelanguage.googleapis.com/v1alpha", "https://generativelanguage.googleapis.com/v1alpha"),
        ("http://127.0.0.1:8091/proxy", "http://127.0.0.1:8091/proxy/v1beta"),
    ],
)  # fmt: skip
def test_gemini_takes_its_base_url_with_or_without_the_api_version(base_url, root):
    url = sent_to("google_genai", "gemini-2.5-flash", gemini_answer, base_url=base_url, api_key="k")
    assert url == f"{root}/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert listed_at("google_genai", {"models": []}, base_url=base_url, api_key="k") == (
        f"{root}/models"
    )


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/openai/v1", "http://127.0.0.1:8080"]
)  # fmt: skip
def test_openai_compatible_servers_take_the_url_as_given_like_the_openai_sdk(base_url):
    def answer():
        return sse_response(sse(text_chunk("ok", "stop"), "[DONE]"))

    assert sent_to("openai_compatible", "m", answer, base_url=base_url) == (
        f"{base_url}/chat/completions"
    )
