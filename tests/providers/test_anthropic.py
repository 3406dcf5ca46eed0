"""Anthropic Messages: named SSE events, top-level system, cumulative usage, errors in 200."""

import json

import httpx
import pytest

import providers
from providers import Audio, Image, assistant, init_chat_model, system, user
from tests.providers.conftest import CHUNK_SIZES, Recorder, sse_response, transcript

BASE = "http://127.0.0.1:9/v1"
KEY = "sk-ant-test-key-7777"


def named(*events: tuple[str, dict]) -> bytes:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


def model_for(recorder: Recorder, **params):
    return init_chat_model(
        "anthropic:claude-test", base_url=BASE, api_key=KEY, transport=recorder.transport, **params
    )


START = ("message_start", {"type": "message_start", "message": {"id": "msg_1", "model": "m",
         "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 1}}})  # fmt: skip
STOP = ("message_stop", {"type": "message_stop"})


def text_delta(text: str) -> tuple[str, dict]:
    return ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                    "delta": {"type": "text_delta", "text": text}})  # fmt: skip


def message_delta(reason: str, output_tokens: int) -> tuple[str, dict]:
    return ("message_delta", {"type": "message_delta", "delta": {"stop_reason": reason},
                              "usage": {"output_tokens": output_tokens}})  # fmt: skip


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_the_llamacpp_anthropic_stream_is_read_whole_at_any_chunk_boundary(size):
    recorder = Recorder(lambda _: sse_response(transcript("llamacpp-anthropic-stream.sse"), size))
    response = model_for(recorder).invoke("Name the primary colours")
    assert response.text == "The three primary colours are: red, blue, and yellow."
    assert response.finish_reason == "stop"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (21, 14)  # 1 + 20 cached


def test_the_request_puts_the_system_prompt_on_top_and_uses_anthropic_headers():
    recorder = Recorder(lambda _: sse_response(named(START, text_delta("ok"), STOP)))
    model_for(recorder, temperature=0.5, max_tokens=100, stop=["###"]).invoke(
        [system("Be terse."), user("Hi"), assistant("Hello."), user("Prime?")]
    )
    request = recorder.requests[0]
    assert str(request.url) == f"{BASE}/messages"
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers
    assert recorder.body() == {
        "model": "claude-test",
        "max_tokens": 100,
        "system": "Be terse.",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Prime?"},
        ],
        "temperature": 0.5,
        "stop_sequences": ["###"],
        "stream": True,
    }


def test_max_tokens_is_always_sent_because_the_api_requires_it():
    recorder = Recorder(lambda _: sse_response(named(START, STOP)))
    model_for(recorder).invoke("x")
    assert recorder.body()["max_tokens"] == 4096


def test_images_go_as_bare_base64_with_their_media_type():
    recorder = Recorder(lambda _: sse_response(named(START, STOP)))
    model_for(recorder).invoke([user("What is it?", Image(b"\x89PNG", "image/png"))])
    assert recorder.body()["messages"][0]["content"] == [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw=="},
        },
        {"type": "text", "text": "What is it?"},
    ]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"seed": 1}, "no seed"),
        ({"temperature": 1.5}, "0 to 1"),
        ({"temperature": 0.5, "top_p": 0.9}, "set only one"),
    ],
)
def test_parameters_anthropic_cannot_honour_are_refused_before_any_request(params, words):
    with pytest.raises(providers.ConfigurationError, match=words):
        init_chat_model("anthropic:m", api_key=KEY, **params)


def test_audio_is_refused_before_any_request():
    recorder = Recorder(lambda _: sse_response(named(START, STOP)))
    with pytest.raises(providers.UnsupportedFeatureError, match="cannot take audio"):
        model_for(recorder).invoke([user("listen", Audio(b"RIFF", "audio/wav"))])
    assert recorder.requests == []


def test_output_usage_is_cumulative_so_the_last_value_wins():
    data = named(
        START, text_delta("a"), message_delta("max_tokens", 3), message_delta("max_tokens", 9), STOP
    )
    response = model_for(Recorder(lambda _: sse_response(data, 5))).invoke("x")
    assert (response.usage.input_tokens, response.usage.output_tokens) == (15, 9)
    assert response.finish_reason == "length"


async def test_an_error_event_after_http_200_is_raised_after_the_partial_text():
    error = (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    model = model_for(
        Recorder(lambda _: sse_response(named(START, text_delta("Half"), error), 3)), max_retries=0
    )
    seen = []
    with pytest.raises(providers.ProviderUnavailableError, match="Overloaded"):
        async for event in model.astream("x"):
            seen.append(event)
    assert [e.text for e in seen if isinstance(e, providers.TextDelta)] == ["Half"]


def test_a_stream_without_message_stop_is_an_error():
    data = named(START, text_delta("cut"))
    with pytest.raises(providers.MalformedResponseError, match="message_stop"):
        model_for(Recorder(lambda _: sse_response(data))).invoke("x")


def test_tool_use_blocks_are_assembled_from_partial_json():
    data = named(
        START,
        ("content_block_start", {"type": "content_block_start", "index": 1,
          "content_block": {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 1,
          "delta": {"type": "input_json_delta", "partial_json": '{"city": "Pa'}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 1,
          "delta": {"type": "input_json_delta", "partial_json": 'ris"}'}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        message_delta("tool_use", 20),
        STOP,
    )  # fmt: skip
    response = model_for(Recorder(lambda _: sse_response(data, 7))).invoke("x")
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("toolu_1", "weather", {"city": "Paris"})
    ]
    assert response.finish_reason == "tool_calls"


def test_a_529_overloaded_is_retried():
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    delays = []

    async def sleep(seconds):
        delays.append(seconds)

    recorder = Recorder(
        lambda _: httpx.Response(529, json=overloaded),
        lambda _: sse_response(named(START, text_delta("fine"), STOP)),
    )
    model = init_chat_model(
        "anthropic:m", base_url=BASE, api_key=KEY, transport=recorder.transport, sleep=sleep
    )
    assert model.invoke("x").text == "fine"
    assert len(delays) == 1


def test_an_anthropic_error_body_is_read_and_the_key_hidden():
    body = {
        "type": "error",
        "error": {"type": "authentication_error", "message": f"invalid x-api-key {KEY}"},
    }
    with pytest.raises(providers.AuthenticationError) as caught:
        model_for(Recorder(lambda _: httpx.Response(401, json=body))).invoke("x")
    assert "invalid x-api-key" in str(caught.value) and KEY not in str(caught.value)


def test_models_are_listed_with_anthropic_headers():
    recorder = Recorder(
        lambda _: httpx.Response(200, json={"data": [{"id": "claude-b"}, {"id": "claude-a"}]})
    )
    ids = providers.list_models(
        "anthropic", base_url=BASE, api_key=KEY, transport=recorder.transport
    )
    assert ids == ["claude-a", "claude-b"]
    assert recorder.requests[0].headers["x-api-key"] == KEY


def test_the_key_comes_from_anthropic_api_key(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    assert init_chat_model("anthropic:m").config.api_key == "sk-ant-env"


async def test_usage_is_passed_on_as_soon_as_anthropic_reports_it():
    """An answer stopped before message_stop still knows its input tokens and the output so
    far (it showed "? → ? tokens" before)."""
    data = named(START, text_delta("Half"), message_delta("max_tokens", 7), text_delta(" more"))
    model = model_for(Recorder(lambda _: sse_response(data, 11)), max_retries=0)
    usages = []
    with pytest.raises(providers.MalformedResponseError):
        async for event in model.astream("x"):
            if isinstance(event, providers.UsageEvent):
                usages.append((event.usage.input_tokens, event.usage.output_tokens))
    assert usages == [(15, 1), (15, 7)]


def test_the_final_usage_still_wins_after_the_early_ones():
    data = named(START, text_delta("a"), message_delta("end_turn", 3), STOP)
    response = model_for(Recorder(lambda _: sse_response(data))).invoke("x")
    assert (response.usage.input_tokens, response.usage.output_tokens) == (15, 3)
