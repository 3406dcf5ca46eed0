"""The conversation socket and the run engine, through WebsocketCommunicator with an
in-process fake model (the provider side is tested in tests/providers)."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.utils import timezone

from chat import consumers
from chat.consumers import ConversationConsumer
from chat.engine import events
from chat.models import Conversation, Message, Pane, Run
from chat.pane_settings import apply
from chat.run_settings import parse_run_settings
from connections import llm
from tests.chat.fake_models import FakeChatModel

pytestmark = pytest.mark.django_db(transaction=True)

DELTA = re.compile(r'<div hx-swap-oob="beforeend:#message-(\d+)-body">(.*?)</div>', re.S)
REPLACE = re.compile(r'<div id="message-(\d+)-body" hx-swap-oob="innerHTML">(.*?)</div>', re.S)


SETTINGS = {"connection", "model", "system_prompt", "tools", "tool_choice", "output_schema",
            "temperature", "max_tokens", "top_p", "seed", "timeout", "max_retries", "stop"}  # fmt: skip


def save_first_pane(conversation_id: int, fields: dict) -> None:
    """What the first pane's settings form does with these fields (raises ValidationError
    for what it would refuse)."""
    pane = Pane.objects.filter(conversation_id=conversation_id).order_by("position").first()
    if pane is None:
        pane = Pane.objects.create(conversation_id=conversation_id, position=0)
    pane.save(update_fields=apply(pane, parse_run_settings(fields)))


class Tab:
    """One browser tab: a communicator and the text it would show per answer."""

    def __init__(self, user, conversation_id: int) -> None:
        self.communicator = WebsocketCommunicator(
            ConversationConsumer.as_asgi(), f"/ws/c/{conversation_id}/",
            headers=[(b"origin", b"http://127.0.0.1")],
        )  # fmt: skip
        self.communicator.scope["user"] = user
        self.conversation_id = conversation_id
        self.communicator.scope["url_route"] = {"kwargs": {"pk": conversation_id}}
        self.frames: list[str] = []
        self.texts: dict[int, str] = {}

    async def connect(self):
        return await self.communicator.connect()

    async def send(self, **fields) -> None:
        """Send as the page does: pane settings in the fields are saved first, as the pane's
        settings form autosaves them before the composer sends."""
        settings = {name: fields.pop(name) for name in list(fields) if name in SETTINGS}
        if settings:
            await sync_to_async(save_first_pane)(self.conversation_id, settings)
        await self.communicator.send_json_to(fields)

    async def next_frame(self, timeout: float = 5) -> str:
        frame = await self.communicator.receive_from(timeout)
        self.frames.append(frame)
        for message_id, text in REPLACE.findall(frame):
            self.texts[int(message_id)] = html.unescape(text)
        for message_id, text in DELTA.findall(frame):
            key = int(message_id)
            self.texts[key] = self.texts.get(key, "") + html.unescape(text)
        return frame

    async def until(self, needle: str, timeout: float = 10) -> str:
        """Read frames until one contains `needle` (a regex); return that frame."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no frame matched {needle!r}; got {self.frames[-5:]}")
            frame = await self.next_frame(remaining)
            if re.search(needle, frame):
                return frame

    async def close(self) -> None:
        await self.communicator.disconnect()


def send_fields(_connection=None, **extra) -> dict:
    """What the composer sends: the text and its nonce (each pane's settings are saved on
    the server already)."""
    return {"action": "send", "message": "Hi there", "nonce": "n1", **extra}


async def wait_for_status(run_id, status: str, timeout: float = 5) -> Run:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        run = await Run.objects.select_related("message").aget(pk=run_id)
        if run.status == status:
            return run
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"run is {run.status}, not {status}: {run.error_message}")
        await asyncio.sleep(0.02)


async def latest_run(conversation) -> Run:
    return await Run.objects.filter(conversation=conversation).order_by("-started_at").afirst()


async def test_connecting_sends_the_history_and_the_idle_state(user, conversation):
    await Message.objects.acreate(conversation=conversation, role="user", content="earlier <b>")
    tab = Tab(user, conversation.pk)
    assert (await tab.connect())[0]
    snapshot = await tab.next_frame()
    assert snapshot.startswith('<div id="panes-wrap" hx-swap-oob="innerHTML">')
    assert "earlier &lt;b&gt;" in snapshot and 'aria-label="Pane 1"' in snapshot
    assert 'data-busy="0"' in await tab.next_frame()
    await tab.close()


async def test_anonymous_sockets_and_other_peoples_conversations_are_refused(user, admin_user):
    from django.contrib.auth.models import AnonymousUser

    theirs = await Conversation.objects.acreate(owner=admin_user)
    anonymous = Tab(AnonymousUser(), theirs.pk)
    assert await anonymous.connect() == (False, 4401)
    stranger = Tab(user, theirs.pk)
    assert await stranger.connect() == (False, 4403)


async def test_a_sent_message_streams_and_ends_with_the_rendered_answer(
    user, conversation, connection, model, pane
):
    model.pieces = ["**Bold** ", "and ", "`code`"]
    await Pane.objects.filter(pk=pane.pk).aupdate(params={"temperature": 0.4})
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    started = await tab.until(r'data-status="streaming"')
    assert "Hi there" in started and 'id="conversation-title"' in started
    final = await tab.until(r'data-status="done"')
    answer_id = int(re.search(r'id="message-(\d+)"', final).group(1))
    assert tab.texts[answer_id] == model.text
    assert "<strong>Bold</strong>" in final and 'class="run-footer' in final
    assert 'data-nonce="n1"' in "".join(tab.frames)  # the sending tab may clear its composer
    run = await Run.objects.select_related("message").aget(message_id=answer_id)
    assert (run.status, run.message.content, run.model) == ("done", model.text, "fake")
    assert run.parameters == {"temperature": 0.4}
    assert (run.input_tokens, run.output_tokens) == (7, 2)
    assert run.time_to_first_token_ms is not None and run.duration_ms is not None
    assert [m.role for m in model.received] == ["system", "user"]
    await sync_to_async(conversation.refresh_from_db)()
    assert conversation.title == "Hi there"
    await tab.close()


async def test_the_answer_is_written_to_the_database_only_when_it_ends(
    user, conversation, connection, model
):
    gate = asyncio.Event()
    model.pieces, model.gate, model.gate_after = ["one ", "two"], gate, 1
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    await tab.until("one ")
    run = await latest_run(conversation)
    message = await Message.objects.aget(pk=run.message_id)
    assert (message.status, message.content) == ("streaming", "")
    gate.set()
    run = await wait_for_status(run.pk, "done")
    assert run.message.content == "one two"
    await tab.close()


@pytest.mark.parametrize(
    ("fields", "pane_fields", "words"),
    [
        ({"message": "  "}, {}, "Type a message first"),
        ({}, {"connection": None}, "Choose a connection"),
        ({}, {"model": ""}, "Type or pick a model"),
    ],
)
async def test_a_message_that_cannot_run_is_refused_and_nothing_is_saved(
    user, conversation, connection, model, pane, fields, pane_fields, words
):
    await Pane.objects.filter(pk=pane.pk).aupdate(**pane_fields)
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection, **fields))
    frame = await tab.until("composer-errors")
    assert 'role="alert"' in frame and words in frame
    assert await Message.objects.filter(conversation=conversation).acount() == 0
    assert "composer-ack" not in frame
    await tab.close()


async def test_stop_ends_the_run_keeps_the_partial_answer_and_closes_the_stream(
    user, conversation, connection, model
):
    gate = asyncio.Event()  # never set: the model waits forever after two pieces
    model.pieces, model.gate, model.gate_after = ["Partial ", "answer", " never"], gate, 2
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    await tab.until("answer")
    await tab.send(action="stop")
    final = await tab.until(r'data-status="stopped"')
    assert "Partial answer" in final and "Stopped" in final
    run = await wait_for_status((await latest_run(conversation)).pk, "stopped")
    assert run.message.content == "Partial answer"
    assert model.closed_early
    await tab.close()


async def test_a_run_stopped_through_the_channel_layer_stops_like_from_another_process(
    user, conversation, connection, model
):
    model.pieces, model.gate, model.gate_after = ["a", "b"], asyncio.Event(), 1
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    await tab.until(">a<")
    run = await latest_run(conversation)
    await get_channel_layer().group_send(events.run_group(str(run.pk)), {"type": "run.stop"})
    await tab.until(r'data-status="stopped"')
    await tab.close()


async def test_closing_the_tab_does_not_end_the_run(user, conversation, connection, model):
    gate = asyncio.Event()
    model.pieces, model.gate, model.gate_after = ["before ", "after"], gate, 1
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    await tab.until("before")
    await tab.close()
    gate.set()
    run = await wait_for_status((await latest_run(conversation)).pk, "done")
    assert run.message.content == "before after"
    assert not model.closed_early


@pytest.mark.parametrize("flush_ms", [1, 30])
async def test_a_tab_joining_mid_run_gets_the_text_so_far_then_the_rest_without_gaps_or_duplicates(
    user, conversation, connection, model, flush_ms
):
    model.pieces = [f"{i} " for i in range(400)]
    model.delay = 0.002
    with override_settings(PLAYGROUND_STREAM_FLUSH_MS=flush_ms):
        first = Tab(user, conversation.pk)
        await first.connect()
        await first.send(**send_fields(connection))
        await first.until(r">[^<]*\b50 ")
        second = Tab(user, conversation.pk)
        await second.connect()
        await second.until(r'data-status="done"', timeout=20)
        await first.until(r'data-status="done"', timeout=20)
    answer_id = (await latest_run(conversation)).message_id
    assert any(REPLACE.search(frame) for frame in second.frames), "no catch-up frame"
    assert second.texts[answer_id] == model.text
    assert first.texts[answer_id] == model.text
    await first.close()
    await second.close()


async def test_two_panes_stream_at_once_and_stop_independently(
    user, conversation, connection, pane, monkeypatch
):
    slow = FakeChatModel(pieces=["slow "] * 3, gate=asyncio.Event(), gate_after=1)
    quick = FakeChatModel(pieces=["quick"], delay=0.05)
    second = await Pane.objects.acreate(conversation=conversation, position=1,
                                        connection=connection, model="quick")  # fmt: skip
    models = {"fake": slow, "quick": quick}
    monkeypatch.setattr(llm, "chat_model_for", lambda c, name, *args, **box: models[name])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    await tab.until("slow")
    await tab.until(r'data-status="done"')  # the quick pane ends while the slow one waits
    runs = {run.pane_id: run async for run in Run.objects.filter(conversation=conversation)}
    assert runs[pane.pk].status == "streaming"
    await tab.send(action="stop", pane=str(pane.pk))
    await wait_for_status(runs[pane.pk].pk, "stopped")
    assert (await Run.objects.aget(pk=runs[second.pk].pk)).status == "done"
    assert slow.closed_early and not quick.closed_early
    await tab.close()


async def test_a_provider_error_before_any_text_is_explained(user, conversation, connection, model):
    model.fail = llm.AuthenticationError(
        "The provider refused the credentials (HTTP 401): bad key. Check the API key of this connection."
    )
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    final = await tab.until(r'data-status="error"')
    assert 'role="alert"' in final and "Check the API key of this connection." in final
    run = await wait_for_status((await latest_run(conversation)).pk, "error")
    assert run.error_kind == "AuthenticationError"
    await tab.close()


async def test_an_error_in_the_middle_keeps_the_partial_answer(
    user, conversation, connection, model
):
    model.pieces, model.fail_after = ["Half ", "of it", "never"], 2
    model.fail = llm.ProviderUnavailableError(
        "The provider failed in the middle of the answer: boom."
    )
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    final = await tab.until(r'data-status="error"')
    assert "Half of it" in final and "middle of the answer" in final
    await tab.close()


async def test_retries_are_shown_while_waiting_and_counted(user, conversation, connection, model):
    model.retries = 2
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    status = await tab.until("retrying")
    assert "retry 1 of 2" in status
    final = await tab.until(r'data-status="done"')
    assert "2 retries" in final
    await tab.close()


async def test_a_bug_in_a_run_ends_it_cleanly_and_the_next_run_works(
    user, conversation, connection, model
):
    model.fail = ZeroDivisionError("oops")
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection))
    final = await tab.until(r'data-status="error"')
    assert "Something went wrong inside Playground" in final and "ZeroDivisionError" in final
    model.fail = None
    await tab.send(**send_fields(connection, message="again"))
    await tab.until(r'data-status="done"')
    await tab.close()


async def test_a_run_whose_process_died_is_marked_interrupted_when_someone_looks(
    user, conversation, connection, pane, monkeypatch
):
    monkeypatch.setattr(consumers, "CATCHUP_TIMEOUT_SECONDS", 0.2)
    message = await Message.objects.acreate(
        conversation=conversation, pane=pane, role="assistant", status="streaming"
    )
    run = await Run.objects.acreate(conversation=conversation, pane=pane, message=message,
                                    connection=connection, provider="openai_compatible",
                                    model="m")  # fmt: skip
    await Run.objects.filter(pk=run.pk).aupdate(started_at=timezone.now() - timedelta(minutes=5))
    tab = Tab(user, conversation.pk)
    await tab.connect()
    final = await tab.until(r'data-status="error"')
    assert "interrupted" in final
    assert (await Run.objects.aget(pk=run.pk)).status == "error"
    await tab.close()


async def test_the_model_sees_the_system_prompt_and_earlier_answers_but_not_failed_ones(
    user, conversation, connection, model, pane
):
    def answer(content, status):
        return Message.objects.acreate(conversation=conversation, pane=pane, role="assistant",
                                       content=content, status=status)  # fmt: skip

    await Message.objects.acreate(conversation=conversation, role="user", content="q1")
    await answer("a1", "done")
    await Message.objects.acreate(conversation=conversation, role="user", content="q2")
    await answer("", "error")
    await Message.objects.acreate(conversation=conversation, role="user", content="q3")
    await answer("part", "stopped")
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**send_fields(connection, message="q4"))
    await tab.until(r'data-status="done"[^>]*hx-swap-oob="true"')  # not the history's "done"
    sent = [(m.role, m.text) for m in model.received]
    assert sent == [("system", "Be terse."), ("user", "q1"), ("assistant", "a1"), ("user", "q2"),
                    ("user", "q3"), ("assistant", "part"), ("user", "q4")]  # fmt: skip
    await tab.close()
