"""bind_tools and with_structured_output, encoded the way each provider wants them."""

import json

import pydantic
import pytest

import providers
from providers import ConfigurationError, init_chat_model, user
from providers.events import ToolCall
from providers.openai_chat import encode_message
from providers.tools import tool_spec
from tests.providers.conftest import Recorder, sse, sse_response, text_chunk
from tests.providers.test_anthropic import START, STOP, message_delta, named
from tests.providers.test_gemini import events, final, part
from tests.providers.test_ollama import DONE, ndjson, piece


class Weather(pydantic.BaseModel):
    """Current weather in a city."""

    city: str
    celsius: float


def get_time(timezone: str, twenty_four_hours: bool = True) -> str:
    """The time now in a timezone."""
    return "12:00"


SCHEMA = {"type": "object", "properties": {"prime": {"type": "integer"}}, "required": ["prime"]}


def test_tools_may_be_dicts_pydantic_models_or_functions():
    assert (
        tool_spec({"type": "function", "function": {"name": "f", "parameters": SCHEMA}}).parameters
        == SCHEMA
    )
    spec = tool_spec(Weather)
    assert (spec.name, spec.description) == ("Weather", "Current weather in a city.")
    assert spec.parameters["required"] == ["city", "celsius"]
    spec = tool_spec(get_time)
    assert spec.name == "get_time" and spec.description == "The time now in a timezone."
    assert spec.parameters["properties"]["twenty_four_hours"]["default"] is True
    assert spec.parameters["required"] == ["timezone"]


def test_a_bad_schema_or_tool_choice_is_refused_before_any_request():
    model = init_chat_model("openai_compatible:m", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(providers.ConfigurationError, match="not valid JSON Schema"):
        model.bind_tools([{"name": "f", "parameters": {"type": "nonsense"}}])
    with pytest.raises(providers.ConfigurationError, match="tool_choice"):
        model.bind_tools([get_time], tool_choice="other")


def test_bind_tools_returns_a_new_model_and_never_mutates():
    model = init_chat_model("openai_compatible:m", base_url="http://127.0.0.1:9/v1")
    bound = model.bind_tools([get_time])
    assert model.config.tools == () and len(bound.config.tools) == 1


def test_openai_gets_function_tools_a_named_choice_and_a_json_schema_response_format():
    recorder = Recorder(lambda _: sse_response(sse(text_chunk('{"prime": 7}', "stop"), "[DONE]")))
    model = init_chat_model(
        "openai_compatible:m", base_url="http://127.0.0.1:9/v1", transport=recorder.transport
    )
    model.bind_tools([get_time], tool_choice="get_time").invoke("x")
    body = recorder.body()
    assert body["tools"][0]["function"]["name"] == "get_time"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert model.with_structured_output(SCHEMA).invoke("x") == {"prime": 7}
    assert recorder.body()["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}}  # fmt: skip


def test_structured_output_validates_and_says_what_is_wrong_with_the_raw_text():
    recorder = Recorder(
        lambda _: sse_response(sse(text_chunk('{"city": "Paris"}', "stop"), "[DONE]"))
    )
    model = init_chat_model(
        "openai_compatible:m", base_url="http://127.0.0.1:9/v1", transport=recorder.transport
    )
    with pytest.raises(
        providers.MalformedResponseError, match=r"does not fit Weather.*celsius.*Paris"
    ) as caught:
        model.with_structured_output(Weather).invoke("x")
    assert caught.value.body == '{"city": "Paris"}'


def test_a_pydantic_schema_returns_an_instance():
    answer = '{"city": "Oslo", "celsius": -3.5}'
    recorder = Recorder(lambda _: sse_response(sse(text_chunk(answer, "stop"), "[DONE]")))
    model = init_chat_model(
        "openai_compatible:m", base_url="http://127.0.0.1:9/v1", transport=recorder.transport
    )
    assert model.with_structured_output(Weather).invoke("x") == Weather(city="Oslo", celsius=-3.5)


def test_anthropic_uses_a_forced_tool_for_structured_output():
    call = named(
        START,
        ("content_block_start", {"type": "content_block_start", "index": 0,
          "content_block": {"type": "tool_use", "id": "t1", "name": "Weather", "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
          "delta": {"type": "input_json_delta", "partial_json": '{"city": "Rome", "celsius": 21}'}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        message_delta("tool_use", 9), STOP,
    )  # fmt: skip
    recorder = Recorder(lambda _: sse_response(call))
    model = init_chat_model(
        "anthropic:c", base_url="http://127.0.0.1:9/v1", api_key="k", transport=recorder.transport
    )
    assert model.with_structured_output(Weather).invoke("x") == Weather(city="Rome", celsius=21)
    body = recorder.body()
    assert body["tool_choice"] == {"type": "tool", "name": "Weather"}
    assert body["tools"][0]["input_schema"]["required"] == ["city", "celsius"]


def test_anthropic_tool_choice_required_is_any():
    recorder = Recorder(lambda _: sse_response(named(START, STOP)))
    model = init_chat_model(
        "anthropic:c", base_url="http://127.0.0.1:9/v1", api_key="k", transport=recorder.transport
    )
    model.bind_tools([get_time], tool_choice="required").invoke("x")
    assert recorder.body()["tool_choice"] == {"type": "any"}
    assert recorder.body()["tools"][0]["name"] == "get_time"


def test_gemini_gets_function_declarations_and_a_response_json_schema():
    recorder = Recorder(lambda _: sse_response(events(part('{"prime": 11}'), final())))
    model = init_chat_model("google_genai:g", base_url="http://127.0.0.1:9/v1beta", api_key="k",
                            transport=recorder.transport)  # fmt: skip
    model.bind_tools([get_time], tool_choice="get_time").invoke("x")
    body = recorder.body()
    assert body["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"]["required"] == [
        "timezone"
    ]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}
    }
    assert model.with_structured_output(SCHEMA).invoke("x") == {"prime": 11}
    config = recorder.body()["generationConfig"]
    assert (config["responseMimeType"], config["responseJsonSchema"]) == (
        "application/json",
        SCHEMA,
    )


def test_ollama_gets_tools_and_a_format_schema_but_no_forced_choice():
    recorder = Recorder(lambda _: ndjson(piece('{"prime": 13}'), DONE))
    model = init_chat_model(
        "ollama:l", base_url="http://127.0.0.1:11434", transport=recorder.transport
    )
    assert model.with_structured_output(SCHEMA).invoke("x") == {"prime": 13}
    assert recorder.body()["format"] == SCHEMA
    model.bind_tools([get_time]).invoke("x")
    assert recorder.body()["tools"][0]["function"]["name"] == "get_time"
    with pytest.raises(providers.ConfigurationError, match="tool_choice"):
        model.bind_tools([get_time], tool_choice="required")


def test_a_tool_call_round_trip_keeps_the_history_the_provider_needs():
    calls = sse(
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c1", "type": "function",
          "function": {"name": "get_time", "arguments": '{"timezone": "UTC"}'}}]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}, "[DONE]",
    )  # fmt: skip
    recorder = Recorder(
        lambda _: sse_response(calls),
        lambda _: sse_response(sse(text_chunk("Noon.", "stop"), "[DONE]")),
    )
    model = init_chat_model("openai_compatible:m", base_url="http://127.0.0.1:9/v1",
                            transport=recorder.transport).bind_tools([get_time])  # fmt: skip
    history = [providers.user("What time is it in UTC?")]
    first = model.invoke(history)
    [call] = first.tool_calls
    history += [first.message, providers.tool_result(call.id, get_time(**call.arguments))]
    assert model.invoke(history).text == "Noon."
    sent = recorder.body()["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {
        "name": "get_time",
        "arguments": json.dumps({"timezone": "UTC"}),
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "c1", "content": "12:00"}


def test_an_assistant_turn_of_tool_calls_only_is_sent_with_empty_content_not_null():
    """llama-cpp-python's OpenAI-compatible server refuses "content": null (7 validation
    errors), so the tool-result round trip failed there; OpenAI, vLLM and llama.cpp all take
    ""."""
    call = ToolCall("c1", "get_time", {"timezone": "UTC"})
    encoded = encode_message(providers.assistant("", [call]))
    assert encoded["content"] == ""
    assert encoded["tool_calls"][0]["id"] == "c1"


def test_a_tgi_server_gets_its_grammar_shape_and_cannot_mix_it_with_tools():
    """Hugging Face TGI takes {"type": "json", "value": schema} and not tools with it
    (pitfall 28)."""
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    model = init_chat_model("openai_compatible:tgi", base_url="http://127.0.0.1:9/v1",
                            json_schema_style="tgi")  # fmt: skip
    body = model.with_structured_output(schema).model.build_body([user("x")])
    assert body["response_format"] == {"type": "json", "value": schema}
    assert "json_schema_style" not in body
    with pytest.raises(ConfigurationError, match="TGI cannot use tools and a response format"):
        model.bind_tools([{"name": "t"}]).with_structured_output(schema)
    with pytest.raises(ConfigurationError, match="'openai' or 'tgi'"):
        init_chat_model("openai_compatible:x", base_url="http://h/v1", json_schema_style="xml")
