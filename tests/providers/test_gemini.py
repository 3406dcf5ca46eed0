"""Gemini: roles user/model, systemInstruction, generationConfig, blocked prompts, STOP on
function calls, retryDelay in the body of a 429, and the key only ever in a header."""

import json

import httpx
import pytest

import providers
from providers import Audio, Image, assistant, init_chat_model, system, tool_result, user
from providers.events import ToolCall
from tests.providers.conftest import CHUNK_SIZES, Recorder, sse_response

BASE = "http://127.0.0.1:9/v1beta"
KEY = "AIza-test-key-3333"


def events(*payloads: dict) -> bytes:
    return "".join(f"data: {json.dumps(p)}\r\n\r\n" for p in payloads).encode()


def part(text: str, **extra) -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text, **extra}]}}]}


def final(reason: str = "STOP", parts=None) -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": parts or [{"text": ""}]},
                            "finishReason": reason}],
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 3,
                              "thoughtsTokenCount": 4}}  # fmt: skip


def model_for(recorder, **params):
    return init_chat_model("google_genai:gemini-2.5-flash", base_url=BASE, api_key=KEY,
                           transport=recorder.transport, **params)  # fmt: skip


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_text_pieces_join_and_usage_counts_thoughts_as_output(size):
    data = events(part("Seven"), part(" is "), part("prime."), final())
    response = model_for(Recorder(lambda _: sse_response(data, size))).invoke("x")
    assert response.text == "Seven is prime."
    assert (response.usage.input_tokens, response.usage.output_tokens) == (9, 7)
    assert response.usage.reasoning_tokens == 4
    assert response.finish_reason == "stop"


def test_the_request_uses_gemini_roles_fields_and_a_header_key():
    recorder = Recorder(lambda _: sse_response(events(final())))
    model_for(recorder, temperature=0.3, top_p=0.8, max_tokens=64, stop=["###"], seed=5).invoke(
        [system("Be terse."), user("Hi", Image(b"\x89PNG", "image/png")), assistant("Hello."),
         user("Listen", Audio(b"RIFF", "audio/wav"))]
    )  # fmt: skip
    request = recorder.requests[0]
    assert str(request.url) == f"{BASE}/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert request.headers["x-goog-api-key"] == KEY
    assert KEY not in str(request.url)
    assert recorder.body() == {
        "contents": [
            {"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBORw=="}},
                                       {"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Hello."}]},
            {"role": "user", "parts": [{"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}},
                                       {"text": "Listen"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Be terse."}]},
        "generationConfig": {"temperature": 0.3, "topP": 0.8, "maxOutputTokens": 64, "seed": 5,
                             "stopSequences": ["###"]},
    }  # fmt: skip


def test_a_function_call_finishes_as_tool_calls_although_gemini_says_stop():
    call = {"functionCall": {"name": "weather", "args": {"city": "Paris"}, "id": "c1"}}
    response = model_for(Recorder(lambda _: sse_response(events(final("STOP", [call]))))).invoke(
        "x"
    )
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("c1", "weather", {"city": "Paris"})
    ]
    assert response.finish_reason == "tool_calls"


def test_a_tool_result_goes_back_as_a_function_response_with_the_calls_name():
    recorder = Recorder(lambda _: sse_response(events(final())))
    model_for(recorder).invoke([
        user("weather?"), assistant("", [ToolCall("c1", "weather", {"city": "Paris"})]),
        tool_result("c1", "18C"),
    ])  # fmt: skip
    contents = recorder.body()["contents"]
    assert contents[1]["parts"] == [
        {"functionCall": {"name": "weather", "args": {"city": "Paris"}, "id": "c1"}}
    ]
    assert contents[2] == {"role": "user", "parts": [{"functionResponse": {
        "name": "weather", "response": {"result": "18C"}, "id": "c1"}}]}  # fmt: skip


def test_a_blocked_prompt_is_an_error_not_an_empty_answer():
    blocked = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 3},
    }
    with pytest.raises(providers.BadRequestError, match=r"blocked the prompt \(SAFETY\)"):
        model_for(Recorder(lambda _: sse_response(events(blocked)))).invoke("x")


def test_an_answer_stopped_for_safety_is_marked_filtered():
    response = model_for(
        Recorder(lambda _: sse_response(events(part("Par"), final("SAFETY"))))
    ).invoke("x")
    assert (response.text, response.finish_reason) == ("Par", "content_filter")


def test_thoughts_are_reasoning_not_answer():
    data = events(part("pondering", thought=True), part("42"), final())
    response = model_for(Recorder(lambda _: sse_response(data))).invoke("x")
    assert (response.reasoning, response.text) == ("pondering", "42")


def test_a_stream_that_ends_without_a_finish_reason_is_an_error():
    with pytest.raises(providers.MalformedResponseError, match="finish reason"):
        model_for(Recorder(lambda _: sse_response(events(part("cut"))))).invoke("x")


def test_a_429_is_retried_after_the_retry_delay_in_its_body():
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded",
                      "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                   "retryDelay": "37s"}]}}  # fmt: skip
    delays = []

    async def sleep(seconds):
        delays.append(seconds)

    recorder = Recorder(
        lambda _: httpx.Response(429, json=body),
        lambda _: sse_response(events(part("ok"), final())),
    )
    model = model_for(recorder, sleep=sleep)
    assert model.invoke("x").text == "ok"
    assert delays == [37.0]


def test_models_are_listed_without_their_prefix(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-env")
    recorder = Recorder(
        lambda _: httpx.Response(200, json={"models": [{"name": "models/gemini-2.5-pro"}]})
    )
    assert providers.list_models("google_genai", transport=recorder.transport) == ["gemini-2.5-pro"]
    assert recorder.requests[0].headers["x-goog-api-key"] == "AIza-env"


def test_thought_signatures_are_kept_and_replayed_verbatim():
    call = {"functionCall": {"name": "weather", "args": {"city": "Paris"}, "id": "c1"},
            "thoughtSignature": "c2lnbmF0dXJl"}  # fmt: skip
    recorder = Recorder(
        lambda _: sse_response(events(final("STOP", [call]))),
        lambda _: sse_response(events(part("18C in Paris"), final())),
    )
    model = model_for(recorder)
    first = model.invoke("weather?")
    assert first.tool_calls[0].signature == "c2lnbmF0dXJl"
    model.invoke([user("weather?"), first.message, tool_result("c1", "18C")])
    replayed = recorder.body()["contents"][1]["parts"][0]
    assert replayed["thoughtSignature"] == "c2lnbmF0dXJl"


def test_mp3_is_named_as_gemini_documents_it():
    recorder = Recorder(lambda _: sse_response(events(final())))
    model_for(recorder).invoke([user("Listen", Audio(b"ID3", "audio/mpeg"))])
    part = recorder.body()["contents"][0]["parts"][0]
    assert part == {"inlineData": {"mimeType": "audio/mp3", "data": "SUQz"}}


async def test_usage_metadata_is_passed_on_with_each_event_that_carries_it():
    """A stopped answer still knows what the chunks so far reported."""
    early = {**part("Seven"), "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 1}}
    model = model_for(Recorder(lambda _: sse_response(events(early, part(" is")))), max_retries=0)
    usages = []
    with pytest.raises(providers.MalformedResponseError):
        async for event in model.astream("x"):
            if isinstance(event, providers.UsageEvent):
                usages.append((event.usage.input_tokens, event.usage.output_tokens))
    assert usages == [(9, 1)]
    response = model_for(Recorder(lambda _: sse_response(events(early, final())))).invoke("x")
    assert (response.usage.input_tokens, response.usage.output_tokens) == (9, 7)
