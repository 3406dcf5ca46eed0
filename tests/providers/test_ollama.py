"""Ollama's native /api/chat: NDJSON, options by Modelfile names, errors on a 200 line."""

import json

import httpx
import pytest

import providers
from providers import Audio, Image, assistant, init_chat_model, system, tool_result, user
from providers.events import ToolCall
from tests.providers.conftest import CHUNK_SIZES, ChunkedStream, Recorder

BASE = "http://127.0.0.1:11434"


def ndjson(*lines: dict, size: int = 4096) -> httpx.Response:
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return httpx.Response(
        200, headers={"content-type": "application/x-ndjson"}, stream=ChunkedStream(data, size)
    )


def piece(text: str) -> dict:
    return {"model": "m", "message": {"role": "assistant", "content": text}, "done": False}


DONE = {"model": "m", "message": {"role": "assistant", "content": ""}, "done": True,
        "done_reason": "stop", "prompt_eval_count": 26, "eval_count": 3, "total_duration": 488358}  # fmt: skip


def model_for(recorder, **params):
    return init_chat_model("ollama:llama3.2", base_url=BASE, transport=recorder.transport, **params)


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_an_ndjson_stream_is_read_whole_at_any_chunk_boundary(size):
    recorder = Recorder(lambda _: ndjson(piece("Hel"), piece("lo"), piece(" ✓"), DONE, size=size))
    response = model_for(recorder).invoke("hi")
    assert response.text == "Hello ✓"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (26, 3)
    assert response.finish_reason == "stop"
    assert response.raw["total_duration"] == 488358


def test_parameters_go_under_options_with_modelfile_names():
    recorder = Recorder(lambda _: ndjson(DONE))
    model_for(recorder, temperature=0.2, top_p=0.9, seed=3, max_tokens=50, stop=["###"],
              options={"num_ctx": 8192}).invoke([system("Be terse."), user("Hi", Image(b"\x89PNG", "image/png"))])  # fmt: skip
    request = recorder.requests[0]
    assert str(request.url) == f"{BASE}/api/chat"
    assert recorder.body() == {
        "model": "llama3.2",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi", "images": ["iVBORw=="]},
        ],
        "stream": True,
        "options": {"temperature": 0.2, "top_p": 0.9, "seed": 3, "num_predict": 50,
                    "stop": ["###"], "num_ctx": 8192},
    }  # fmt: skip


def test_an_error_line_after_http_200_is_raised_after_the_partial_text():
    recorder = Recorder(lambda _: ndjson(piece("Half"), {"error": "out of memory"}))
    with pytest.raises(providers.ProviderError, match="out of memory"):
        model_for(recorder, max_retries=0).invoke("x")


def test_a_stream_without_its_done_line_is_an_error():
    with pytest.raises(providers.MalformedResponseError, match="done"):
        model_for(Recorder(lambda _: ndjson(piece("cut")))).invoke("x")


def test_tool_calls_arrive_whole_with_object_arguments():
    call = {"model": "m", "message": {"role": "assistant", "content": "", "tool_calls": [
        {"function": {"name": "weather", "arguments": {"city": "Tokyo"}}}]}, "done": False}  # fmt: skip
    response = model_for(Recorder(lambda _: ndjson(call, DONE))).invoke("x")
    assert [(c.name, c.arguments) for c in response.tool_calls] == [("weather", {"city": "Tokyo"})]
    assert response.finish_reason == "tool_calls"


def test_a_missing_model_says_to_pick_another():
    recorder = Recorder(
        lambda _: httpx.Response(404, json={"error": "model 'x' not found, try pulling it first"})
    )
    with pytest.raises(providers.BadRequestError, match="model 'x' not found"):
        model_for(recorder).invoke("x")


def test_audio_is_refused_before_any_request():
    recorder = Recorder(lambda _: ndjson(DONE))
    with pytest.raises(providers.UnsupportedFeatureError):
        model_for(recorder).invoke([user("listen", Audio(b"RIFF", "audio/wav"))])
    assert recorder.requests == []


def test_models_come_from_api_tags_and_ollama_host_needs_no_scheme(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:11434")
    recorder = Recorder(
        lambda _: httpx.Response(
            200, json={"models": [{"name": "qwen3:8b"}, {"name": "llama3.2:latest"}]}
        )
    )
    assert providers.list_models("ollama", transport=recorder.transport) == [
        "llama3.2:latest",
        "qwen3:8b",
    ]
    assert str(recorder.requests[0].url) == "http://127.0.0.1:11434/api/tags"


def test_model_options_given_as_keywords_go_into_options():
    """A bare num_ctx at the top level is ignored by Ollama, which then truncates long chats
    to its default window without a word (pitfall 25)."""
    recorder = Recorder(lambda _: ndjson(piece("ok"), DONE))
    model_for(recorder, num_ctx=32768, top_k=20, max_tokens=5, keep_alive="5m").invoke("x")
    body = recorder.body()
    assert body["options"] == {"num_ctx": 32768, "top_k": 20, "num_predict": 5}
    assert body["keep_alive"] == "5m" and "num_ctx" not in body


def test_a_tool_result_names_its_tool_as_ollamas_docs_send_it():
    """Ollama's tool-calling docs send {"role": "tool", "tool_name", "content"}; the name is
    found from the call with the same id when tool_result was not given one."""
    recorder = Recorder(lambda _: ndjson(piece("18C"), DONE))
    history = [user("weather?"), assistant("", [ToolCall("call_0", "weather", {"city": "Paris"})]),
               tool_result("call_0", "18C")]  # fmt: skip
    model_for(recorder).invoke(history)
    assert recorder.body()["messages"][2] == {
        "role": "tool", "content": "18C", "tool_name": "weather", "tool_call_id": "call_0"}  # fmt: skip
    model_for(recorder).invoke([*history[:2], tool_result("call_0", "18C", name="forecast")])
    assert recorder.body()["messages"][2]["tool_name"] == "forecast"


def test_a_repeated_call_id_names_the_latest_earlier_call():
    """Ollama numbers calls per answer (call_0 again on the next turn)."""
    recorder = Recorder(lambda _: ndjson(DONE))
    model_for(recorder).invoke([
        user("a"), assistant("", [ToolCall("call_0", "weather", {})]), tool_result("call_0", "18C"),
        user("b"), assistant("", [ToolCall("call_0", "clock", {})]), tool_result("call_0", "12:00"),
    ])  # fmt: skip
    names = [m.get("tool_name") for m in recorder.body()["messages"] if m["role"] == "tool"]
    assert names == ["weather", "clock"]
