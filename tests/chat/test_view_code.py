"""View code: the curl and Python snippets of a pane actually run, against the fake provider,
for every provider kind it speaks, and send exactly the body the playground sent — an
attached photo read from the file the dialog offers; credentials are read from the
environment and appear in no snippet."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.db.models import Q

from chat import attachments, view_code
from chat.engine import turns
from chat.models import Conversation, Pane
from chat.renditions import RENDITIONS
from tests.chat.test_attachments import as_file, jpeg_with_gps
from tests.chat.test_engine_turns import Listener

EVERY = Q()  # every connection: these tests' are all the site's

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

KEY = "sk-view-code-key-0123456789"
ACCESS_KEY_ID = "AKIAVIEWCODE"
# case: (kind, URL suffix, connection options, a model of that kind that takes images)
CASES = {
    "openai_compatible": ("openai_compatible", "/v1", {}, "fake-model"),
    "azure_openai": ("azure_openai", "", {"api_version": "2024-10-21"}, "fake-model"),
    "anthropic": ("anthropic", "", {}, "fake-model"),
    "google_genai": ("google_genai", "", {}, "fake-model"),
    "google_vertexai": ("google_vertexai", "", {"project": "demo", "location": "global"},
                        "gemini-2.5-flash"),
    "ollama": ("ollama", "", {}, "llava"),
    "bedrock_sigv4": ("bedrock", "", {"region": "us-east-1", "aws_access_key_id": ACCESS_KEY_ID},
                      "anthropic.claude-3-haiku-20240307-v1:0"),
    "bedrock_api_key": ("bedrock", "", {"region": "eu-west-1"},
                        "anthropic.claude-3-haiku-20240307-v1:0"),
}  # fmt: skip


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    RENDITIONS.clear()


async def pane_on(case, user, make_connection, fake_provider, api_key=KEY) -> Pane:
    kind, suffix, options, model = CASES[case]
    root = fake_provider.base_url.removesuffix("/v1")
    connection = await sync_to_async(make_connection)(
        name=f"Code {case}{' keyless' * (not api_key)}", kind=kind, base_url=root + suffix,
        api_key=api_key, options=options,
    )  # fmt: skip
    conversation = await Conversation.objects.acreate(owner=user)
    return await Pane.objects.acreate(conversation=conversation, position=0,
                                      connection=connection, model=model,
                                      system_prompt="Be terse.", params={"temperature": 0.3})  # fmt: skip


async def run_turn(pane, user, fake_provider, text, attachment_ids=()) -> dict:
    """The playground's own request for one turn: its body, as the fake received it."""
    for _ in range(3):  # the playground's, the curl code's and the Python code's requests
        fake_provider.push_script()  # answered whatever the model's name
    async with Listener(pane.conversation_id) as heard:
        await turns.start_turn(pane.conversation_id, user.pk, text, list(attachment_ids))
        await heard.until("turn.finished")
    return fake_provider.requests()[-1]["body"]


def run_snippet(command: list[str], code: str, variables: list[str], folder: Path | None):
    # The host's provider keys are unset (conftest): only what the code is told to read.
    values = {name: ACCESS_KEY_ID if name == "AWS_ACCESS_KEY_ID" else KEY for name in variables}
    return subprocess.run(command, input=code, env={**os.environ, **values}, cwd=folder,
                          capture_output=True, text=True, errors="replace",  # Bedrock's frames
                          timeout=60)  # fmt: skip


async def assert_snippets_send(code, sent_by_playground, fake_provider, folder=None) -> None:
    assert code["variables"] and not any(KEY in text for text in code["tabs"].values())
    for command, tab in ((["bash"], "curl"), ([sys.executable, "-"], "Python")):
        done = await asyncio.to_thread(
            run_snippet, command, code["tabs"][tab], code["variables"], folder
        )
        assert done.returncode == 0, (tab, done.stderr)
        assert fake_provider.requests()[-1]["body"] == sent_by_playground, tab
        assert fake_provider.requests()[-1]["api_key"] == "matched", tab
    compile(code["tabs"]["LangChain"], "langchain-snippet", "exec")


@pytest.mark.parametrize("case", list(CASES))
async def test_the_snippets_send_what_the_playground_sent(
    case, user, make_connection, fake_provider
):
    pane = await pane_on(case, user, make_connection, fake_provider)
    sent_by_playground = await run_turn(pane, user, fake_provider, "Hello from the playground")
    code = await sync_to_async(view_code.all_code)(pane, usable=EVERY)
    assert code["from_run"] and not code["files"]
    await assert_snippets_send(code, sent_by_playground, fake_provider)
    if CASES[case][0] not in ("bedrock", "google_vertexai"):
        assert f'os.environ["{code["key_variable"]}"]' in code["tabs"]["LangChain"]


@pytest.mark.parametrize("case", list(CASES))
async def test_an_attached_photo_is_read_from_the_file_the_dialog_offers(
    case, user, client, make_connection, fake_provider, tmp_path
):
    pane = await pane_on(case, user, make_connection, fake_provider)
    conversation = await Conversation.objects.aget(pk=pane.conversation_id)
    photo = await sync_to_async(attachments.store_upload)(
        conversation, user, as_file(jpeg_with_gps(), "my photo.jpg", "image/jpeg")
    )
    sent_by_playground = await run_turn(pane, user, fake_provider, "What is this?", [str(photo.pk)])

    code = await sync_to_async(view_code.all_code)(pane, usable=EVERY)
    [sent] = code["files"]
    assert sent.name == "my-photo.jpg" and sent.media_type == "image/jpeg"
    assert not any(base64.b64encode(sent.data).decode() in text for text in code["tabs"].values())
    assert 'file_base64("my-photo.jpg")' in code["tabs"]["LangChain"]
    assert '"type": "image"' in code["tabs"]["LangChain"]  # a standard content block
    assert '"mime_type": "image/jpeg"' in code["tabs"]["LangChain"]

    await sync_to_async(client.force_login)(user)
    url = f"/c/{conversation.pk}/panes/{pane.pk}/code/"
    page = (await sync_to_async(client.get)(url)).content.decode()
    assert f"{url}?file=my-photo.jpg" in page and "Save the files next to the code" in page
    download = await sync_to_async(client.get)(url, {"file": sent.name})
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    (tmp_path / sent.name).write_bytes(download.content)  # as the user saves it
    assert (await sync_to_async(client.get)(url, {"file": "other.jpg"})).status_code == 404

    await assert_snippets_send(code, sent_by_playground, fake_provider, folder=tmp_path)


async def test_bedrock_code_is_signed_and_vertex_code_carries_a_token(
    user, make_connection, fake_provider
):
    signed = await pane_on("bedrock_sigv4", user, make_connection, fake_provider)
    code = (await sync_to_async(view_code.all_code)(signed, usable=EVERY))["tabs"]
    assert '--aws-sigv4 "aws:amz:us-east-1:bedrock"' in code["curl"]
    assert '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"' in code["curl"]
    assert 'SigV4Auth(credentials, "bedrock", "us-east-1")' in code["Python"]
    assert 'region_name="us-east-1"' in code["LangChain"]
    bearer = await pane_on("bedrock_api_key", user, make_connection, fake_provider)
    code = (await sync_to_async(view_code.all_code)(bearer, usable=EVERY))["tabs"]
    assert "Bearer $AWS_BEARER_TOKEN_BEDROCK" in code["curl"] and "SigV4" not in code["Python"]
    # Without a token the playground asks Application Default Credentials for one; the code
    # takes one from the environment all the same.
    vertex = await pane_on("google_vertexai", user, make_connection, fake_provider, api_key="")
    code = (await sync_to_async(view_code.all_code)(vertex, usable=EVERY))["tabs"]
    assert "Bearer $VERTEX_ACCESS_TOKEN" in code["curl"]
    assert "gcloud auth print-access-token" in code["curl"]
    assert 'project="demo"' in code["LangChain"] and 'location="global"' in code["LangChain"]


async def test_temporary_aws_credentials_send_their_session_token(
    user, make_connection, fake_provider, monkeypatch
):
    # No key on the connection: the server's own credentials, temporary ones here.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "server-secret-0123456789")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "server-session-token-0123456789")
    pane = await pane_on("bedrock_api_key", user, make_connection, fake_provider, api_key="")
    sent_by_playground = await run_turn(pane, user, fake_provider, "Hello from the playground")
    code = await sync_to_async(view_code.all_code)(pane, usable=EVERY)
    assert code["variables"][-1] == "AWS_SESSION_TOKEN"
    assert '-H "x-amz-security-token: $AWS_SESSION_TOKEN"' in code["tabs"]["curl"]
    assert not any("server-" in text for text in code["tabs"].values())
    await assert_snippets_send(code, sent_by_playground, fake_provider)


async def test_before_any_run_the_code_is_what_the_pane_would_send_now(
    user, make_connection, fake_provider
):
    connection = await sync_to_async(make_connection)(base_url=fake_provider.base_url,
                                                      api_key=KEY)  # fmt: skip
    conversation = await Conversation.objects.acreate(owner=user)
    pane = await Pane.objects.acreate(conversation=conversation, position=0,
                                      connection=connection, model="fake-model")  # fmt: skip
    code = await sync_to_async(view_code.all_code)(pane, usable=EVERY)
    assert not code["from_run"]
    assert '"content": "Hello!"' in code["tabs"]["curl"]


async def test_a_pane_without_a_model_says_what_to_do(user, make_connection):
    conversation = await Conversation.objects.acreate(owner=user)
    pane = await Pane.objects.acreate(conversation=conversation, position=0)
    code = await sync_to_async(view_code.all_code)(pane, usable=EVERY)
    assert "problem" in code and "connection" in code["problem"].lower()


async def test_the_dialog_and_its_files_are_for_the_owner_only(
    client, user, admin_user, make_connection, fake_provider
):
    pane = await pane_on("openai_compatible", user, make_connection, fake_provider)
    conversation = await Conversation.objects.aget(pk=pane.conversation_id)
    photo = await sync_to_async(attachments.store_upload)(
        conversation, user, as_file(jpeg_with_gps(), "photo.jpg", "image/jpeg")
    )
    await run_turn(pane, user, fake_provider, "What is this?", [str(photo.pk)])
    url = f"/c/{conversation.pk}/panes/{pane.pk}/code/"
    await sync_to_async(client.force_login)(admin_user)
    refused = await sync_to_async(client.get)(url)
    assert refused.status_code == 404 and b"fake-model" not in refused.content
    assert (await sync_to_async(client.get)(url, {"file": "photo.jpg"})).status_code == 404
    await sync_to_async(client.force_login)(user)
    page = (await sync_to_async(client.get)(url)).content.decode()
    assert 'role="tab"' in page and ">curl</button>" in page and ">LangChain</button>" in page
    assert "OPENAI_API_KEY" in page and KEY not in page
    assert (await sync_to_async(client.get)(url, {"file": "photo.jpg"})).status_code == 200
