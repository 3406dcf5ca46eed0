"""The OpenAI Chat Completions wire format, replayed through httpx.MockTransport."""

import json

import pytest

import providers
from providers import Image, assistant, init_chat_model, system, user
from tests.providers.conftest import (
    CHUNK_SIZES,
    Recorder,
    sse,
    sse_response,
    text_chunk,
    transcript,
)

BASE = "http://127.0.0.1:9/v1"


def model_for(recorder: Recorder, provider: str = "openai_compatible", **params):
    key = params.pop("api_key", "sk-test-key-0000")
    return init_chat_model(
        f"{provider}:smollm2", base_url=BASE, api_key=key, transport=recorder.transport, **params
    )


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_the_llamacpp_stream_is_read_whole_at_any_chunk_boundary(size):
    recorder = Recorder(
        lambda _: sse_response(transcript("llamacpp-openai-stream-usage.sse"), size)
    )
    response = model_for(recorder).invoke("Name the primary colours")
    assert response.text == "The three primary colours are: red, blue, and yellow."
    assert response.usage.input_tokens == 21
    assert response.usage.output_tokens == 14
    assert response.finish_reason == "stop"


@pytest.mark.parametrize("size", [1, 13])
async def test_streamed_text_events_join_into_the_invoked_text(size):
    data = transcript("llamacpp-openai-stream-usage.sse")
    recorder = Recorder(lambda _: sse_response(data, size))
    model = model_for(recorder)
    events = [event async for event in model.astream("hi")]
    texts = [event.text for event in events if isinstance(event, providers.TextDelta)]
    assert "".join(texts) == (await model.ainvoke("hi")).text
    assert isinstance(events[-1], providers.FinishEvent)
    assert isinstance(events[-2], providers.UsageEvent)


def test_the_request_body_carries_every_parameter_under_the_providers_own_name():
    recorder = Recorder(lambda _: sse_response(sse(text_chunk("ok", "stop"), "[DONE]")))
    model = model_for(
        recorder, temperature=0.2, max_tokens=64, top_p=0.9, stop=["###"], seed=7,
        frequency_penalty=0.5,
    )  # fmt: skip
    history = [system("Be terse."), user("Hi"), assistant("Hello."), user("Name a prime.")]
    model.invoke(history)
    request = recorder.requests[0]
    body = recorder.body()
    assert request.url == f"{BASE}/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-key-0000"
    assert body == {
        "model": "smollm2",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Name a prime."},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 64,
        "stop": ["###"],
        "seed": 7,
        "frequency_penalty": 0.5,
    }


def test_openai_itself_gets_max_completion_tokens_and_no_unset_parameters():
    recorder = Recorder(lambda _: sse_response(sse(text_chunk("ok", "stop"), "[DONE]")))
    model_for(recorder, provider="openai", max_tokens=10).invoke("hi")
    body = recorder.body()
    assert body["max_completion_tokens"] == 10
    assert "max_tokens" not in body
    assert not {"temperature", "top_p", "stop", "seed"} & body.keys()


def test_an_image_travels_as_a_data_url_with_its_detail():
    recorder = Recorder(lambda _: sse_response(sse(text_chunk("a cat", "stop"), "[DONE]")))
    model_for(recorder).invoke([user("What is it?", Image(b"\x89PNG", "image/png", detail="low"))])
    parts = recorder.body()["messages"][0]["content"]
    assert parts == [
        {"type": "text", "text": "What is it?"},
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64,iVBORw==", "detail": "low"},
        },
    ]


def test_a_usage_chunk_with_empty_choices_does_not_break_the_stream():
    data = sse(
        text_chunk("Hi"),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]},
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}},
        "[DONE]",
    )
    response = model_for(Recorder(lambda _: sse_response(data, 5))).invoke("x")
    assert (response.text, response.finish_reason) == ("Hi", "length")
    assert (response.usage.input_tokens, response.usage.output_tokens) == (3, 1)
    assert response.usage.reasoning_tokens is None  # not reported: not guessed


def test_a_reasoning_models_thinking_tokens_are_read_from_the_usage_details():
    usage = {"prompt_tokens": 3, "completion_tokens": 40,
             "completion_tokens_details": {"reasoning_tokens": 32}}  # fmt: skip
    data = sse(text_chunk("Hi"), {"choices": [], "usage": usage}, "[DONE]")
    response = model_for(Recorder(lambda _: sse_response(data, 7))).invoke("x")
    assert (response.usage.output_tokens, response.usage.reasoning_tokens) == (40, 32)


async def test_an_error_inside_a_200_stream_is_raised_after_the_partial_text():
    data = sse(text_chunk("Partial "), {"error": {"message": "overloaded", "type": "server_error"}})
    model = model_for(Recorder(lambda _: sse_response(data, 3)), max_retries=0)
    seen = []
    with pytest.raises(providers.ProviderError, match="overloaded"):
        async for event in model.astream("x"):
            seen.append(event)
    request, *output = seen
    assert isinstance(request, providers.RequestEvent)
    assert [event.text for event in output] == ["Partial "]


async def test_a_stream_that_ends_without_done_is_an_error_not_a_short_answer():
    data = sse(text_chunk("Cut "), text_chunk("short"))
    model = model_for(Recorder(lambda _: sse_response(data, 4)))
    seen = []
    with pytest.raises(providers.MalformedResponseError, match=r"\[DONE\]"):
        async for event in model.astream("x"):
            seen.append(event)
    request, *output = seen
    assert isinstance(request, providers.RequestEvent)
    assert "".join(event.text for event in output) == "Cut short"


def test_a_chunk_that_is_not_json_is_a_malformed_response():
    data = b"data: {not json\n\n"
    with pytest.raises(providers.MalformedResponseError, match="not JSON"):
        model_for(Recorder(lambda _: sse_response(data))).invoke("x")


def test_tool_call_fragments_are_assembled_by_index_and_by_id():
    def call(index, **fields):
        return {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": index, **fields}]}}]}

    data = sse(
        call(0, id="call_a", type="function", function={"name": "weather", "arguments": ""}),
        call(1, id="call_b", type="function", function={"name": "time", "arguments": '{"tz":'}),
        call(0, function={"arguments": '{"city": '}),
        call(1, function={"arguments": ' "UTC"}'}),
        call(0, function={"arguments": '"Paris"}'}),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        "[DONE]",
    )
    response = model_for(Recorder(lambda _: sse_response(data, 11))).invoke("x")
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_a", "weather", {"city": "Paris"}),
        ("call_b", "time", {"tz": "UTC"}),
    ]
    assert response.finish_reason == "tool_calls"
    assert response.message.tool_calls == tuple(response.tool_calls)


def test_a_tool_call_without_an_index_goes_to_the_current_call():
    data = sse(
        {"choices": [{"delta": {"tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": '{"a"'}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"function": {"arguments": ": 1}"}}]}}]},
        "[DONE]",
    )  # fmt: skip
    response = model_for(Recorder(lambda _: sse_response(data))).invoke("x")
    assert [(c.id, c.arguments) for c in response.tool_calls] == [("c1", {"a": 1})]


def test_reasoning_is_kept_apart_from_the_answer_and_refusals_are_shown():
    data = sse(
        {"choices": [{"index": 0, "delta": {"reasoning_content": "thinking"}}]},
        {"choices": [{"index": 0, "delta": {"refusal": "I can't help with that."}}]},
        "[DONE]",
    )
    response = model_for(Recorder(lambda _: sse_response(data))).invoke("x")
    assert response.reasoning == "thinking"
    assert response.text == "I can't help with that."
    assert response.finish_reason == "content_filter"


def test_a_server_that_ignores_stream_true_and_answers_json_is_understood():
    body = transcript("llamacpp-openai-nonstream.json")
    recorder = Recorder(
        lambda _: __import__("httpx").Response(200, content=body, headers={"content-type": "application/json"})
    )  # fmt: skip
    response = model_for(recorder).invoke("x")
    whole = json.loads(body)
    assert response.text == whole["choices"][0]["message"]["content"]
    assert response.usage.output_tokens == whole["usage"]["completion_tokens"]
    assert response.finish_reason == "length"


def test_a_server_that_rejects_stream_options_is_asked_again_without_them_and_remembered():
    rejection = {"error": {"message": "Unrecognized request argument supplied: stream_options"}}
    import httpx

    base = "http://127.0.0.1:19/v1"
    recorder = Recorder(
        lambda _: httpx.Response(400, json=rejection),
        lambda _: sse_response(sse(text_chunk("ok", "stop"), "[DONE]")),
        lambda _: sse_response(sse(text_chunk("again", "stop"), "[DONE]")),
    )
    model = init_chat_model("openai_compatible:m", base_url=base, transport=recorder.transport)
    assert model.invoke("x").text == "ok"
    assert model.invoke("y").text == "again"
    sent = [json.loads(request.content) for request in recorder.requests]
    assert ["stream_options" in body for body in sent] == [True, False, False]


def test_the_raw_answer_keeps_the_providers_own_fields_and_the_text():
    data = transcript("llamacpp-openai-stream-usage.sse")
    response = model_for(Recorder(lambda _: sse_response(data))).invoke("x")
    assert response.raw["id"] == "chatcmpl-UvCqJnegLr9JJFSXmsksik78VJRZD3F3"
    assert response.raw["system_fingerprint"] == "b0-unknown"
    assert response.raw["usage"]["prompt_tokens"] == 21
    assert response.raw["finish_reason"] == "stop"
    assert response.raw["text"] == response.text
    assert "sk-test-key" not in json.dumps(response.raw)


def test_groq_usage_in_x_groq_is_read():
    data = sse(
        text_chunk("hi", "stop"),
        {"choices": [], "x_groq": {"usage": {"prompt_tokens": 4, "completion_tokens": 1}}},
        "[DONE]",
    )
    response = model_for(Recorder(lambda _: sse_response(data)), provider="groq").invoke("x")
    assert (response.usage.input_tokens, response.usage.output_tokens) == (4, 1)


@pytest.mark.parametrize(("media_type", "wire"), [("audio/wav", "wav"), ("audio/x-wav", "wav"),
                                                  ("audio/mpeg", "mp3")])  # fmt: skip
def test_wav_and_mp3_audio_are_input_audio_parts(media_type, wire):
    model = init_chat_model("openai:gpt-4o-audio-preview", api_key="k")
    body = model.build_body([user("transcribe", providers.Audio.from_bytes(b"RIFF", media_type))])
    part = body["messages"][0]["content"][1]
    assert part == {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": wire}}


def test_audio_openai_cannot_take_is_refused_before_any_request():
    """Chat Completions takes wav or mp3 only; Groq and the HF router none (pitfall 18)."""
    ogg = providers.Audio.from_bytes(b"OggS", "audio/ogg")
    with pytest.raises(providers.UnsupportedFeatureError, match="wav or mp3 audio, not audio/ogg"):
        init_chat_model("openai:gpt-4o-audio-preview", api_key="k").build_body([user("x", ogg)])
    wav = providers.Audio.from_bytes(b"RIFF", "audio/wav")
    for provider in ("groq", "huggingface"):
        model = init_chat_model(f"{provider}:m", api_key="k")
        with pytest.raises(providers.UnsupportedFeatureError, match="takes no audio in chat"):
            model.build_body([user("x", wav)])
