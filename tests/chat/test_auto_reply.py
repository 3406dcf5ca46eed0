"""Auto-reply with fixtures (chat.engine.autoreply): with the pane's switch on, the library's
saved results answer a model's tool calls and the pane goes on by itself — parallel calls
together, at most the pane's step limit of rounds per turn — and a call no fixture matches
pauses the loop with a card that says which."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from accounts import teams
from chat import frames
from chat.engine import autoreply, store, turns
from chat.models import Conversation, Message, Pane, Run
from connections import llm
from library import tools
from providers import Usage
from tests.chat.fake_models import FakeConfig

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER = {"name": "weather", "description": "The weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}  # fmt: skip


@dataclass
class ToolCallingModel:
    """Each stream plays the next step of `script`: a list of (name, arguments) calls made at
    once, or a text answer; the last step repeats. Records what every stream was sent."""

    script: list[Any]
    config: FakeConfig = field(default_factory=FakeConfig)
    every_call: list[list[Any]] = field(default_factory=list)

    def secret_values(self) -> tuple[str, ...]:
        return ()

    async def astream_batches(self, messages: list[Any]):
        async for event in self.astream(messages):
            yield [event]

    async def astream(self, messages: list[Any]):
        step = self.script[min(len(self.every_call), len(self.script) - 1)]
        self.every_call.append(list(messages))
        if isinstance(step, str):
            yield llm.TextDelta(step)
        else:
            for index, (name, arguments) in enumerate(step):
                number = f"{len(self.every_call)}-{index}"
                yield llm.ToolCallEvent(llm.ToolCall(id=f"call-{number}", name=name,
                                                     arguments=arguments))  # fmt: skip
        yield llm.UsageEvent(Usage(input_tokens=5, output_tokens=3))
        yield llm.FinishEvent("stop" if isinstance(step, str) else "tool_calls")


@pytest.fixture
def library_weather(user):
    """The member's library holds a weather tool: any city is 'Mild.', Paris 'Rain.'."""
    tool = tools.save_tool(teams.personal_team(user), user, WEATHER).tool
    tools.add_fixture(tool, user, '{"city": "*"}', "Mild.")
    tools.add_fixture(tool, user, '{"city": "Paris"}', "Rain.")
    return tool


def _pane(user, make_connection, *, auto_reply=True, steps=8):
    conversation = Conversation.objects.create(owner=user)
    return Pane.objects.create(conversation=conversation, connection=make_connection(),
                               model="caller", tools=[WEATHER], auto_reply=auto_reply,
                               auto_reply_steps=steps)  # fmt: skip


def _scripted(monkeypatch, script):
    model = ToolCallingModel(script)
    monkeypatch.setattr(llm, "chat_model_for", lambda *args, **kwargs: model)
    return model


async def _until_settled(conversation_id: int, timeout: float = 10) -> None:
    """Until no run of the conversation streams, and none has for a moment (the next
    round of an auto-reply starts just after the last one ends)."""
    quiet = 0
    async with asyncio.timeout(timeout):
        while quiet < 5:
            busy = await sync_to_async(
                Run.objects.filter(conversation_id=conversation_id, status="streaming").exists
            )()
            quiet = 0 if busy else quiet + 1
            await asyncio.sleep(0.02)


def _pane_messages(pane: Pane) -> list[Message]:
    return list(Message.objects.filter(pane=pane).order_by("pk"))


async def test_fixtures_answer_a_tool_loop_to_its_end_parallel_calls_together(
    user, make_connection, library_weather, monkeypatch
):
    pane = await sync_to_async(_pane)(user, make_connection)
    model = _scripted(monkeypatch, [
        [("weather", {"city": "Paris"})],
        [("weather", {"city": "Oslo"}), ("weather", {"city": "Rome"})],  # parallel
        "Rain in Paris, mild elsewhere.",
    ])  # fmt: skip
    await turns.start_turn(pane.conversation_id, user.pk, "Weather in three cities?")
    await _until_settled(pane.conversation_id)

    messages = await sync_to_async(_pane_messages)(pane)
    assert [(m.role, m.content) for m in messages if m.role == "tool"] == [
        ("tool", "Rain."), ("tool", "Mild."), ("tool", "Mild.")]  # fmt: skip
    assert (
        messages[-1].content == "Rain in Paris, mild elsewhere." and messages[-1].status == "done"
    )
    assert len(model.every_call) == 3  # the two parallel calls went back in one request
    assert [m.role for m in model.every_call[2]][-2:] == ["tool", "tool"]
    runs = await sync_to_async(list)(Run.objects.filter(pane=pane).values_list("requested_by",
                                                                               flat=True))  # fmt: skip
    assert runs == [user.pk] * 3  # every step ran as the member who asked


async def test_the_loop_stops_at_the_panes_step_limit_and_says_so(
    user, make_connection, library_weather, monkeypatch
):
    pane = await sync_to_async(_pane)(user, make_connection, steps=2)
    model = _scripted(monkeypatch, [[("weather", {"city": "Paris"})]])  # calls for ever
    await turns.start_turn(pane.conversation_id, user.pk, "Keep checking.")
    await _until_settled(pane.conversation_id)

    messages = await sync_to_async(_pane_messages)(pane)
    assert len(model.every_call) == 3  # the first answer and two auto-replied steps
    assert sum(m.role == "tool" for m in messages) == 2
    page = await sync_to_async(_rendered)(pane)
    assert "Auto-reply stopped after 2 steps" in page
    assert "Send result and continue" in page  # the user can still answer by hand


async def test_a_call_no_fixture_matches_pauses_and_names_the_call(
    user, make_connection, monkeypatch
):
    tool = await sync_to_async(tools.save_tool)(
        await sync_to_async(teams.personal_team)(user), user, WEATHER
    )
    await sync_to_async(tools.add_fixture)(tool.tool, user, '{"city": "Paris"}', "Rain.")
    pane = await sync_to_async(_pane)(user, make_connection)
    model = _scripted(monkeypatch, [
        [("weather", {"city": "Paris"}), ("weather", {"city": "Oslo"})], "Done."])  # fmt: skip
    await turns.start_turn(pane.conversation_id, user.pk, "Two cities?")
    await _until_settled(pane.conversation_id)

    messages = await sync_to_async(_pane_messages)(pane)
    assert len(model.every_call) == 1 and not [m for m in messages if m.role == "tool"]
    page = await sync_to_async(_rendered)(pane)
    assert 'Auto-reply paused: no fixture matches weather({"city": "Oslo"})' in page.replace(
        "&quot;", '"'
    )
    assert page.count("Answer with fixture") == 1  # Paris still offers its fixture


async def test_with_the_switch_off_calls_wait_for_the_user(
    user, make_connection, library_weather, monkeypatch
):
    pane = await sync_to_async(_pane)(user, make_connection, auto_reply=False)
    model = _scripted(monkeypatch, [[("weather", {"city": "Paris"})], "Done."])
    await turns.start_turn(pane.conversation_id, user.pk, "Weather?")
    await _until_settled(pane.conversation_id)
    assert len(model.every_call) == 1
    page = await sync_to_async(_rendered)(pane)
    assert "Answer with fixture" in page and "Auto-reply" not in page.split("tool-calls")[1]


def _rendered(pane: Pane) -> str:
    conversation = pane.conversation
    views = frames.pane_views(store.panes_of(conversation), store.page_messages(conversation.pk))
    [view] = [v for v in views if v.pane.pk == pane.pk]
    return frames.pane_messages_html(view)


def test_the_decision_counts_rounds_and_lists_what_no_fixture_matches():
    calls = [{"id": "a", "name": "w", "arguments": {"city": "Oslo"}},
             {"id": "b", "name": "w", "arguments": {"city": "Rome"}}]  # fmt: skip
    assert autoreply.decide(calls, {"a": "x", "b": "y"}, 0, 8).results == {"a": "x", "b": "y"}
    paused = autoreply.decide(calls, {"a": "x"}, 0, 8)
    assert paused.results == {} and 'w({"city": "Rome"})' in paused.note
    assert "Oslo" not in paused.note  # a matched call is not named
    stopped = autoreply.decide(calls, {"a": "x", "b": "y"}, 8, 8)
    assert stopped.results == {} and "after 8 steps" in stopped.note
    assert "after 1 step," in autoreply.decide(calls, {}, 1, 1).note


@pytest.mark.django_db
def test_the_switch_and_its_limit_save_with_the_panes_settings(client, user, make_connection):
    client.force_login(user)
    pane = _pane(user, make_connection, auto_reply=False)
    url = reverse("pane-settings", args=[pane.conversation_id, pane.pk])
    form = {
        "connection": str(pane.connection_id),
        "model": "caller",
        "tools": "",
        "tool_choice": "",
        "output_schema": "",
    }
    client.post(url, {**form, "auto_reply": "on", "auto_reply_steps": "3"})
    pane.refresh_from_db()
    assert (pane.auto_reply, pane.auto_reply_steps) == (True, 3)
    refused = client.post(url, {**form, "auto_reply": "on", "auto_reply_steps": "0"})
    assert "Auto-reply steps is a whole number from 1 to 50" in refused.content.decode()
    pane.refresh_from_db()
    assert pane.auto_reply_steps == 3  # nothing of a refused form is saved
    client.post(url, form)  # unticked: a checkbox sends nothing
    pane.refresh_from_db()
    assert pane.auto_reply is False
    page = client.get(reverse("conversation", args=[pane.conversation_id])).content.decode()
    assert 'role="switch"' in page and "Auto-reply with fixtures" in page
