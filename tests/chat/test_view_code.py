"""View code: the curl and Python snippets of a pane actually run, against the fake provider,
and send exactly the body the playground sent; the key is read from the environment and
appears in no snippet."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async

from chat import view_code
from chat.engine import turns
from chat.models import Conversation, Pane
from tests.chat.test_engine_turns import Listener

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

KEY = "sk-view-code-key-0123456789"
KINDS = {
    "openai_compatible": ("/v1", {}, "fake-model"),
    "azure_openai": ("", {"api_version": "2024-10-21"}, "fake-model"),
    "anthropic": ("", {}, "fake-model"),
    "google_genai": ("", {}, "fake-model"),
    "ollama": ("", {}, "fake-model"),
}  # fmt: skip


def run_snippet(command: list[str], code: str, variable: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, variable: KEY}  # the host's provider keys are unset (conftest)
    return subprocess.run(command, input=code, env=environment, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.parametrize("kind", list(KINDS))
async def test_the_snippets_send_what_the_playground_sent(
    kind, user, make_connection, fake_provider
):
    suffix, options, model = KINDS[kind]
    root = fake_provider.base_url.removesuffix("/v1")
    connection = await sync_to_async(make_connection)(
        name=f"Code {kind}", kind=kind, base_url=root + suffix, api_key=KEY, options=options
    )
    conversation = await Conversation.objects.acreate(owner=user)
    pane = await Pane.objects.acreate(conversation=conversation, position=0,
                                      connection=connection, model=model,
                                      system_prompt="Be terse.", params={"temperature": 0.3})  # fmt: skip
    async with Listener(conversation.pk) as heard:
        await turns.start_turn(conversation.pk, user.pk, "Hello from the playground")
        await heard.until("turn.finished")
    sent_by_playground = fake_provider.requests()[-1]["body"]

    code = await sync_to_async(view_code.all_code)(pane)
    assert code["from_run"] and code["key_variable"]
    assert not any(KEY in text for text in code["tabs"].values())
    variable = code["key_variable"]

    for command, tab in ((["bash"], "curl"), ([sys.executable, "-"], "Python")):
        done = await asyncio.to_thread(run_snippet, command, code["tabs"][tab], variable)
        assert done.returncode == 0, (tab, done.stderr)
        assert fake_provider.requests()[-1]["body"] == sent_by_playground, tab
        assert fake_provider.requests()[-1]["api_key"] == "matched", tab
    compile(code["tabs"]["LangChain"], "langchain-snippet", "exec")
    assert f"os.environ[{variable!r}]" in code["tabs"]["LangChain"]


async def test_before_any_run_the_code_is_what_the_pane_would_send_now(
    user, make_connection, fake_provider
):
    connection = await sync_to_async(make_connection)(base_url=fake_provider.base_url,
                                                      api_key=KEY)  # fmt: skip
    conversation = await Conversation.objects.acreate(owner=user)
    pane = await Pane.objects.acreate(conversation=conversation, position=0,
                                      connection=connection, model="fake-model")  # fmt: skip
    code = await sync_to_async(view_code.all_code)(pane)
    assert not code["from_run"]
    assert '"content": "Hello!"' in code["tabs"]["curl"]


async def test_a_pane_without_a_model_says_what_to_do(user, make_connection):
    conversation = await Conversation.objects.acreate(owner=user)
    pane = await Pane.objects.acreate(conversation=conversation, position=0)
    code = await sync_to_async(view_code.all_code)(pane)
    assert "problem" in code and "connection" in code["problem"].lower()


async def test_the_dialog_is_for_the_owner_only(client, user, admin_user, make_connection,
                                                 fake_provider):  # fmt: skip
    connection = await sync_to_async(make_connection)(base_url=fake_provider.base_url,
                                                      api_key=KEY)  # fmt: skip
    conversation = await Conversation.objects.acreate(owner=user)
    pane = await Pane.objects.acreate(conversation=conversation, position=0,
                                      connection=connection, model="fake-model")  # fmt: skip
    url = f"/c/{conversation.pk}/panes/{pane.pk}/code/"
    await sync_to_async(client.force_login)(admin_user)
    refused = await sync_to_async(client.get)(url)
    assert refused.status_code == 404 and b"fake-model" not in refused.content
    await sync_to_async(client.force_login)(user)
    page = (await sync_to_async(client.get)(url)).content.decode()
    assert 'role="tab"' in page and ">curl</button>" in page and ">LangChain</button>" in page
    assert "OPENAI_API_KEY" in page and KEY not in page
