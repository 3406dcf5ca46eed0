"""Azure OpenAI: the OpenAI wire format at Azure addresses, with an api-key header."""

import httpx
import pytest

import providers
from providers import init_chat_model
from tests.providers.conftest import Recorder, sse, sse_response, text_chunk

ENDPOINT = "https://example-resource.openai.azure.com"
KEY = "azure-test-key-4444"


def ok() -> httpx.Response:
    return sse_response(sse(text_chunk("hi", "stop"), "[DONE]"))


def test_the_v1_surface_takes_the_deployment_as_model_and_the_key_in_api_key():
    recorder = Recorder(lambda _: ok())
    init_chat_model("azure_openai:my-gpt-deployment", base_url=ENDPOINT, api_key=KEY, max_tokens=9,
                    transport=recorder.transport).invoke("x")  # fmt: skip
    request = recorder.requests[0]
    assert str(request.url) == f"{ENDPOINT}/openai/v1/chat/completions"
    assert request.headers["api-key"] == KEY and "authorization" not in request.headers
    assert recorder.body()["model"] == "my-gpt-deployment"
    assert recorder.body()["max_completion_tokens"] == 9


def test_an_api_version_selects_the_classic_deployment_url(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", ENDPOINT + "/openai/")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    recorder = Recorder(lambda _: ok())
    init_chat_model("azure_openai:dep-1", transport=recorder.transport).invoke("x")
    assert str(recorder.requests[0].url) == (
        f"{ENDPOINT}/openai/deployments/dep-1/chat/completions?api-version=2024-10-21"
    )
    assert "api_version" not in recorder.body()


def test_annotation_chunks_with_empty_choices_and_filtered_output_are_understood():
    data = sse(
        {"choices": [], "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}]},
        text_chunk("Part"),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "content_filter",
                      "content_filter_results": {"violence": {"filtered": True}}}]},
        "[DONE]",
    )  # fmt: skip
    recorder = Recorder(lambda _: sse_response(data, 9))
    response = init_chat_model("azure_openai:d", base_url=ENDPOINT, api_key=KEY,
                               transport=recorder.transport).invoke("x")  # fmt: skip
    assert (response.text, response.finish_reason) == ("Part", "content_filter")


def test_a_filtered_prompt_is_a_clear_bad_request():
    body = {"error": {"code": "content_filter", "message": "The response was filtered due to the prompt "
                      "triggering Azure OpenAI's content management policy."}}  # fmt: skip
    recorder = Recorder(lambda _: httpx.Response(400, json=body))
    with pytest.raises(providers.BadRequestError, match="content management policy"):
        init_chat_model("azure_openai:d", base_url=ENDPOINT, api_key=KEY,
                        transport=recorder.transport).invoke("x")  # fmt: skip


def test_models_are_listed_from_the_v1_surface():
    recorder = Recorder(lambda _: httpx.Response(200, json={"data": [{"id": "gpt-4.1"}]}))
    ids = providers.list_models(
        "azure_openai", base_url=ENDPOINT, api_key=KEY, transport=recorder.transport
    )
    assert ids == ["gpt-4.1"]
    assert str(recorder.requests[0].url) == f"{ENDPOINT}/openai/v1/models"
    assert recorder.requests[0].headers["api-key"] == KEY


def test_the_endpoint_and_key_are_required():
    with pytest.raises(providers.ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        init_chat_model("azure_openai:d", api_key=KEY)
    with pytest.raises(providers.ConfigurationError, match="AZURE_OPENAI_API_KEY"):
        init_chat_model("azure_openai:d", base_url=ENDPOINT)
