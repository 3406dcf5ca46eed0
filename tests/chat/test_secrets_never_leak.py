"""An upstream that echoes the key back — in an HTTP error body, an error inside the stream,
a tool call's arguments, a model list — never gets it into a frame, a page, a database row or
a log line, for any wire format (the provider layer scrubs its errors; the chat layer scrubs
what it writes itself and the log formatter takes out every credential the process holds)."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from chat.models import Message, Run
from playground.redaction import RedactingFormatter
from tests.chat.test_consumers import Tab, latest_run

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "sk-leaky-key-0123456789abcdef"
SESSION_TOKEN = "aws-session-token-ffffeeeedddd"
KINDS = {
    "openai_compatible": ("/v1", {}, "fake-model"),
    "azure_openai": ("", {"api_version": "2024-10-21"}, "gpt-4o"),
    "anthropic": ("", {}, "claude-sonnet-4-5"),  # the SDK's form: no /v1
    "google_genai": ("", {}, "gemini-2.5-flash"),
    "ollama": ("", {}, "llama3.2"),
    "bedrock": ("", {"region": "us-east-1", "aws_access_key_id": "AKIATESTLEAKY"},
                "anthropic.claude-3-haiku-20240307-v1:0"),
}  # fmt: skip
TOOLS = '[{"name": "lookup", "description": "Look it up", "parameters": {"type": "object"}}]'
SCENARIOS = {
    "http error": {"status": 401, "error_body": {"error": {
        "message": f"invalid_api_key: {KEY} was revoked", "type": "invalid_request_error"}}},
    "retried error": {"status": 503, "error_body": {"error": {
        "message": f"upstream for {KEY} is down", "type": "server_error"}}},
    "error in the stream": {"tokens": ["Partial ", "answer ", "then"], "error_after_tokens": 2,
                            "error_message": f"invalid_api_key: {KEY} was revoked"},
    "tool call": {"tokens": [], "tool_calls": [{"id": "call_1", "name": "lookup",
                                                "arguments": {}}],
                  "raw_tool_arguments": '{"key": "' + KEY},
}  # fmt: skip


@pytest.fixture
def connect(make_connection, fake_provider):
    def make(kind: str):
        suffix, options, _model = KINDS[kind]
        root = fake_provider.base_url.removesuffix("/v1")
        return make_connection(name=f"Leaky {kind}", kind=kind, base_url=root + suffix,
                               api_key=KEY, options=options)  # fmt: skip

    return make


def everything_written(conversation_id: int) -> str:
    rows = [str(list(Run.objects.filter(conversation_id=conversation_id).values()))]
    rows.append(str(list(Message.objects.filter(conversation_id=conversation_id).values())))
    return "\n".join(rows)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("kind", list(KINDS))
async def test_an_echoed_key_reaches_no_frame_page_row_or_log(
    user, conversation, connect, fake_provider, kind, scenario, caplog, monkeypatch
):
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    caplog.set_level(logging.DEBUG)
    connection = await sync_to_async(connect)(kind)
    fake_provider.push_script(**SCENARIOS[scenario])
    if scenario == "retried error":
        fake_provider.push_script(**SCENARIOS[scenario])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(action="send", message="Hi", connection=str(connection.pk),
                   model=KINDS[kind][2], nonce="n", max_retries="1" if "retried" in scenario else "0",
                   tools=TOOLS if scenario == "tool call" else "", tool_choice="", output_schema="")  # fmt: skip
    await tab.until(r'data-status="(error|done)"', timeout=15)
    run = await latest_run(conversation)
    assert run.status == "error", run.error_message
    if scenario == "retried error":
        assert run.retries == 1
    client = Client()
    await sync_to_async(client.force_login)(user)
    page = (await sync_to_async(client.get)(f"/c/{conversation.pk}/")).content.decode()
    written = await sync_to_async(everything_written)(conversation.pk)
    logged = caplog.text + "\n".join(RedactingFormatter().format(r) for r in caplog.records)
    for where, text in {"frames": "\n".join(tab.frames), "page": page, "database": written,
                        "log": logged}.items():  # fmt: skip
        assert KEY not in text, f"{kind}, {scenario}: the key reached the {where}"
        assert SESSION_TOKEN not in text, f"{kind}, {scenario}: the token reached the {where}"
    assert "[redacted]" in run.error_message or scenario == "tool call"
    await tab.close()


@pytest.mark.parametrize("kind", list(KINDS))
def test_test_connection_and_the_model_picker_never_show_an_echoed_key(
    admin_client, admin_user, make_conversation, connect, fake_provider, kind
):
    connection = connect(kind)
    conversation = make_conversation(admin_user)
    body = {"error": {"message": f"key {KEY} is not allowed to list models", "code": 403}}
    fake_provider.push_models_error(403, body)
    tested = admin_client.post(f"/connections/{connection.pk}/test/").content.decode()
    assert "not allowed to list models" in tested and KEY not in tested
    fake_provider.push_models_error(403, body)
    picked = admin_client.get(f"/c/{conversation.pk}/models/?connection={connection.pk}")
    assert KEY not in picked.content.decode()
    fake_provider.push_models_error(403, body)
    listed = admin_client.get(f"/c/{conversation.pk}/models/all/").content.decode()
    assert KEY not in listed
