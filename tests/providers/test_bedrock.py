"""Bedrock ConverseStream: SigV4 by botocore, the binary event stream with CRCs, exceptions
inside a 200 stream, toolConfig resent with tool history, the schema as a JSON string."""

import json

import httpx
import pytest

import providers
from providers import Image, assistant, init_chat_model, system, tool_result, user
from providers.events import ToolCall
from tests.fakes.bedrock_wire import event, exception, frame, text_stream
from tests.providers.conftest import CHUNK_SIZES, ChunkedStream, Recorder

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def eventstream(data: bytes, size: int = 4096) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "application/vnd.amazon.eventstream"},
                          stream=ChunkedStream(data, size))  # fmt: skip


@pytest.fixture(autouse=True)
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv(
        "AWS_EC2_METADATA_DISABLED", "true"
    )  # never ask the instance metadata service


def model_for(recorder, **params):
    return init_chat_model(f"bedrock:{MODEL}", transport=recorder.transport, **params)


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_frames_are_decoded_whatever_the_chunk_boundaries(size):
    recorder = Recorder(lambda _: eventstream(text_stream(["Seven ", "is ", "prime."]), size))
    response = model_for(recorder).invoke("x")
    assert response.text == "Seven is prime."
    assert (response.usage.input_tokens, response.usage.output_tokens) == (7, 3)
    assert response.finish_reason == "stop"


def test_requests_are_signed_with_sigv4_for_bedrock_and_the_model_id_is_encoded():
    recorder = Recorder(lambda _: eventstream(text_stream(["ok"])))
    model_for(recorder).invoke("x")
    request = recorder.requests[0]
    assert (
        request.url.raw_path.decode()
        == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"
    )
    assert str(request.url).startswith("https://bedrock-runtime.us-east-1.amazonaws.com/")
    authorization = request.headers["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/bedrock/aws4_request" in authorization
    assert "x-amz-date" in request.headers


def test_a_bedrock_api_key_is_sent_as_a_bearer_instead():
    recorder = Recorder(lambda _: eventstream(text_stream(["ok"])))
    model_for(recorder, api_key="bedrock-api-key").invoke("x")
    assert recorder.requests[0].headers["authorization"] == "Bearer bedrock-api-key"


def test_the_body_uses_converse_blocks_and_inference_config():
    recorder = Recorder(lambda _: eventstream(text_stream(["ok"])))
    model_for(recorder, temperature=0.5, max_tokens=99, top_p=0.9, stop=["###"]).invoke(
        [
            system("Be terse."),
            user("Look", Image(b"\x89PNG", "image/png")),
            assistant("Done."),
            user("Next"),
        ]
    )
    assert recorder.body() == {
        "messages": [
            {"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": "iVBORw=="}}},
                                         {"text": "Look"}]},
            {"role": "assistant", "content": [{"text": "Done."}]},
            {"role": "user", "content": [{"text": "Next"}]},
        ],
        "system": [{"text": "Be terse."}],
        "inferenceConfig": {"maxTokens": 99, "temperature": 0.5, "topP": 0.9, "stopSequences": ["###"]},
    }  # fmt: skip


def test_an_exception_frame_after_http_200_is_raised_after_the_partial_text():
    data = (
        event("messageStart", {"role": "assistant"})
        + event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Half"}})
        + exception("throttlingException", "Too many tokens")
    )
    with pytest.raises(providers.RateLimitError, match="Too many tokens"):
        model_for(Recorder(lambda _: eventstream(data, 5)), max_retries=0).invoke("x")


def test_a_corrupt_frame_is_a_malformed_response():
    data = bytearray(text_stream(["ok"]))
    data[20] ^= 0xFF  # flip a bit inside the first frame
    with pytest.raises(providers.MalformedResponseError, match="corrupt"):
        model_for(Recorder(lambda _: eventstream(bytes(data)))).invoke("x")


def test_tool_use_is_assembled_and_tool_config_travels_with_tool_history():
    data = b"".join([
        event("messageStart", {"role": "assistant"}),
        event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tu1", "name": "weather"}}}),
        event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"city": "Pa'}}}),
        event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": 'ris"}'}}}),
        event("contentBlockStop", {"contentBlockIndex": 1}),
        event("messageStop", {"stopReason": "tool_use"}),
        event("metadata", {"usage": {"inputTokens": 1, "outputTokens": 2}}),
    ])  # fmt: skip
    recorder = Recorder(lambda _: eventstream(data, 9))
    response = model_for(recorder).invoke("x")
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("tu1", "weather", {"city": "Paris"})
    ]
    assert response.finish_reason == "tool_calls"
    # Later turns carry the tool blocks, so toolConfig must come along although no tool is bound.
    model_for(recorder).invoke([user("x"), assistant("", [ToolCall("tu1", "weather", {"city": "Paris"})]),
                                tool_result("tu1", "18C")])  # fmt: skip
    body = recorder.body()
    assert body["toolConfig"]["tools"][0]["toolSpec"]["name"] == "weather"
    assert body["messages"][2]["content"][0]["toolResult"]["toolUseId"] == "tu1"


def test_a_structured_output_schema_is_sent_as_a_json_string():
    schema = {"type": "object", "properties": {"prime": {"type": "integer"}}, "required": ["prime"]}
    recorder = Recorder(lambda _: eventstream(text_stream(['{"prime": 3}'])))
    assert model_for(recorder).with_structured_output(schema).invoke("x") == {"prime": 3}
    sent = recorder.body()["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["schema"]
    assert json.loads(sent) == schema


def test_what_bedrock_cannot_honour_is_refused_before_any_request(monkeypatch):
    with pytest.raises(providers.ConfigurationError, match="no seed"):
        init_chat_model(f"bedrock:{MODEL}", seed=1)
    monkeypatch.delenv("AWS_REGION")
    with pytest.raises(providers.ConfigurationError, match="AWS_REGION"):
        init_chat_model(f"bedrock:{MODEL}")


def test_missing_credentials_are_explained(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    recorder = Recorder(lambda _: eventstream(text_stream(["ok"])))
    with pytest.raises(providers.ConfigurationError, match="No AWS credentials"):
        model_for(recorder).invoke("x")
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("result", "block"),
    [('{"temp": 18}', {"json": {"temp": 18}}), ("[1, 2]", {"text": "[1, 2]"}),
     ("18C", {"text": "18C"}), ("", {"text": "(empty)"})],
)  # fmt: skip
def test_tool_results_are_json_blocks_only_when_they_are_objects(result, block):
    recorder = Recorder(lambda _: eventstream(text_stream(["ok"])))
    call = ToolCall("tu1", "weather", {"city": "Paris"})
    model_for(recorder).invoke([user("x"), assistant("", [call]), tool_result("tu1", result)])
    assert recorder.body()["messages"][2]["content"][0]["toolResult"]["content"] == [block]


def test_an_access_key_given_with_the_model_signs_and_stays_out_of_bodies_and_reprs():
    secret = "s3cr3t/AccessKeyEXAMPLE"
    recorder = Recorder(lambda _: eventstream(text_stream(["ok"])))
    model = model_for(recorder, aws_access_key_id="AKIAGIVEN", aws_secret_access_key=secret)
    model.invoke("x")
    request = recorder.requests[0]
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAGIVEN/")
    assert secret not in request.content.decode() and "AKIAGIVEN" not in request.content.decode()
    assert secret not in repr(model.config)
    with pytest.raises(providers.ConfigurationError, match="secret access key"):
        model_for(recorder, aws_access_key_id="AKIAGIVEN").invoke("x")


def test_an_unknown_profile_is_explained(monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    recorder = Recorder(lambda _: eventstream(text_stream(["ok"])))
    with pytest.raises(providers.ConfigurationError, match="no AWS profile named 'nope'"):
        model_for(recorder, credentials_profile_name="nope").invoke("x")
    assert recorder.requests == []


def test_models_are_listed_from_the_control_plane_with_a_signed_get():
    summaries = {"modelSummaries": [
        {"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "outputModalities": ["TEXT"],
         "responseStreamingSupported": True},
        {"modelId": "amazon.titan-embed-text-v2:0", "outputModalities": ["EMBEDDING"]},
        {"modelId": "stability.sd3", "outputModalities": ["IMAGE"]},
    ]}  # fmt: skip
    recorder = Recorder(lambda _: httpx.Response(200, json=summaries))
    ids = providers.list_models("bedrock", transport=recorder.transport, region="eu-west-1")
    assert ids == ["anthropic.claude-3-haiku-20240307-v1:0"]
    request = recorder.requests[0]
    assert request.method == "GET"
    assert str(request.url) == (
        "https://bedrock.eu-west-1.amazonaws.com/foundation-models?byOutputModality=TEXT"
    )
    assert "/eu-west-1/bedrock/aws4_request" in request.headers["authorization"]


def test_an_event_whose_payload_is_not_json_is_a_malformed_response():
    broken = frame({":message-type": "event", ":event-type": "contentBlockDelta",
                    ":content-type": "application/json"}, b"{not json")  # fmt: skip
    data = event("messageStart", {"role": "assistant"}) + broken
    with pytest.raises(
        providers.MalformedResponseError, match="contentBlockDelta event that is not JSON"
    ):
        model_for(Recorder(lambda _: eventstream(data))).invoke("x")
