"""The engine without a socket (chat.engine.turns): a turn over several panes starts every
pane's run together, keeps each pane's history to itself, stops one pane without touching
the others, and says when the turn is over — exactly once."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from chat.engine import fanout, runs, starting, turns
from chat.models import Conversation, Message, Pane, Run, Turn
from connections import llm
from tests.chat.fake_models import FakeChatModel

pytestmark = pytest.mark.django_db(transaction=True)

SPEEDS = {"fast": 0.0, "medium": 0.01, "slow": 0.03}


@pytest.fixture
def fakes(monkeypatch):
    """One scripted model per pane, picked by the pane's model name."""
    models = {name: FakeChatModel(pieces=[f"{name} ", "says ", "hi"], delay=delay)
              for name, delay in SPEEDS.items()}  # fmt: skip
    monkeypatch.setattr(llm, "chat_model_for",
                        lambda connection, model_name, params, **box: models[model_name])  # fmt: skip
    return models


@pytest.fixture
def three_panes(user, make_connection):
    connection = make_connection(name="Fake")
    conversation = Conversation.objects.create(owner=user)
    for position, name in enumerate(SPEEDS):
        Pane.objects.create(conversation=conversation, position=position, connection=connection,
                            model=name, system_prompt=f"You are {name}.")  # fmt: skip
    return conversation


class Listener:
    """The conversation's events, heard as a socket hears them (chat.engine.fanout)."""

    def __init__(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        self.queue: asyncio.Queue[dict] = asyncio.Queue()
        self.heard: list[dict] = []

    def hear(self, event: dict) -> None:
        self.queue.put_nowait(event)

    async def __aenter__(self) -> Listener:
        await fanout.watch(self.conversation_id, self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await fanout.unwatch(self.conversation_id, self)

    async def until(self, kind: str, count: int = 1, timeout: float = 10) -> list[dict]:
        async def wait() -> None:
            while sum(event["type"] == kind for event in self.heard) < count:
                self.heard.append(await self.queue.get())

        await asyncio.wait_for(wait(), timeout)
        return [event for event in self.heard if event["type"] == kind]

    async def quiet_for(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._forever(), seconds)
        except TimeoutError:
            return

    async def _forever(self) -> None:
        while True:
            self.heard.append(await self.queue.get())


async def test_a_turn_starts_every_pane_and_ends_once(user, three_panes, fakes):
    async with Listener(three_panes.pk) as heard:
        started = await turns.start_turn(three_panes.pk, user.pk, "Hello")
        assert len(started.runs) == 3
        await heard.until("run.finished", 3)
        await heard.until("turn.finished")
        await heard.quiet_for(0.2)
    assert [e["type"] for e in heard.heard].count("turn.started") == 1
    assert [e["type"] for e in heard.heard].count("turn.finished") == 1
    runs = await sync_to_async(list)(Run.objects.filter(turn=started.turn).select_related("pane"))
    assert {run.status for run in runs} == {"done"}
    assert all(run.request_sent_at is not None for run in runs)
    turn = await Turn.objects.aget(pk=started.turn.pk)
    assert turn.finished_at is not None and turn.start_spread_ms is not None
    assert turn.start_spread_ms < 1000  # started together, not one after another
    answers = {run.pane.model: (await Message.objects.aget(pk=run.message_id)).content
               for run in runs}  # fmt: skip
    assert answers == {name: f"{name} says hi" for name in SPEEDS}
    finished = (await heard.until("turn.finished"))[0]
    assert [result["model"] for result in finished["results"]] == list(SPEEDS)


async def test_each_pane_sees_the_shared_messages_and_only_its_own_answers(
    user, three_panes, fakes
):
    async with Listener(three_panes.pk) as heard:
        await turns.start_turn(three_panes.pk, user.pk, "First question")
        await heard.until("turn.finished")
        await turns.start_turn(three_panes.pk, user.pk, "Second question")
        await heard.until("turn.finished", 2)
    for name, model in fakes.items():
        received = [(m.role, m.text) for m in model.received]
        assert received == [
            ("system", f"You are {name}."),
            ("user", "First question"),
            ("assistant", f"{name} says hi"),
            ("user", "Second question"),
        ], name


async def test_stopping_one_pane_leaves_the_others_streaming_to_their_end(user, three_panes, fakes):
    fakes["medium"].gate, fakes["medium"].gate_after = asyncio.Event(), 1  # waits forever
    medium = await Pane.objects.aget(conversation=three_panes, model="medium")
    async with Listener(three_panes.pk) as heard:
        await turns.start_turn(three_panes.pk, user.pk, "Go")
        await heard.until("run.finished", 2)  # fast and slow end; medium waits at its gate
        assert await turns.stop(three_panes.pk, user.pk, pane_id=medium.pk) == 1
        await heard.until("run.finished", 3)
        await heard.until("turn.finished")
    statuses = {run.pane.model: run.status
                async for run in Run.objects.filter(conversation=three_panes).select_related("pane")}  # fmt: skip
    assert statuses == {"fast": "done", "medium": "stopped", "slow": "done"}
    assert fakes["medium"].closed_early
    assert not fakes["fast"].closed_early and not fakes["slow"].closed_early


async def test_a_pane_that_cannot_answer_says_so_in_its_pane_and_the_others_run(
    user, three_panes, fakes
):
    await Pane.objects.filter(conversation=three_panes, model="slow").aupdate(model="")
    async with Listener(three_panes.pk) as heard:
        started = await turns.start_turn(three_panes.pk, user.pk, "Go")
        await heard.until("turn.finished")
    assert len(started.runs) == 2 and len(started.refused) == 1
    refused = await Run.objects.aget(pk=started.refused[0].pk)
    assert refused.status == "error" and "Type or pick a model" in refused.error_message


async def test_when_no_pane_can_answer_nothing_is_saved(user, three_panes, fakes):
    await Pane.objects.filter(conversation=three_panes).aupdate(model="")
    with pytest.raises(ValidationError) as refused:
        await turns.start_turn(three_panes.pk, user.pk, "Go")
    assert "Pane 1: Type or pick a model" in str(refused.value)
    assert not await Message.objects.filter(conversation=three_panes).aexists()


async def test_someone_else_cannot_start_a_turn(admin_user, three_panes, fakes):
    with pytest.raises(turns.NoAccess):
        await turns.start_turn(three_panes.pk, admin_user.pk, "Not mine")


@pytest.mark.live
async def test_a_warm_six_pane_turn_opens_no_new_connection(user, make_connection, fake_provider):
    """The real provider layer against the fake server: the second turn of six panes on one
    provider reuses the first turn's pooled connections."""
    connection = await sync_to_async(make_connection)(base_url=fake_provider.base_url)
    conversation = await Conversation.objects.acreate(owner=user)
    for position in range(6):
        await Pane.objects.acreate(conversation=conversation, position=position,
                                   connection=connection, model="fake-model")  # fmt: skip
    async with Listener(conversation.pk) as heard:
        await turns.start_turn(conversation.pk, user.pk, "Warm up")
        await heard.until("turn.finished")
        warm = fake_provider.connections_accepted()
        await turns.start_turn(conversation.pk, user.pk, "Again")
        await heard.until("turn.finished", 2)
    assert warm <= 6
    assert fake_provider.connections_accepted() == warm
    runs = [run async for run in Run.objects.filter(conversation=conversation)]
    assert {run.status for run in runs} == {"done"} and len(runs) == 12
    assert {run.base_url for run in runs} == {fake_provider.base_url + "/chat/completions"}


async def test_thinking_is_kept_apart_from_the_answer_and_never_sent_back(user, three_panes, fakes):
    fakes["fast"].reasoning = ["Let me ", "think."]
    async with Listener(three_panes.pk) as heard:
        await turns.start_turn(three_panes.pk, user.pk, "First")
        deltas = await heard.until("run.finished", 3)
        await heard.until("turn.finished")
        await turns.start_turn(three_panes.pk, user.pk, "Second")
        await heard.until("turn.finished", 2)
    fast = await Message.objects.filter(pane__model="fast", role="assistant").afirst()
    assert (fast.reasoning, fast.content) == ("Let me think.", "fast says hi")
    finished = next(e for e in deltas if e["message"]["pk"] == fast.pk)
    assert finished["message"]["reasoning"] == "Let me think."
    streamed = "".join(e["reasoning"] for e in heard.heard
                       if e["type"] == "run.delta" and e["message_id"] == fast.pk)  # fmt: skip
    assert streamed == "Let me think."
    sent_back = [m.text for m in fakes["fast"].received if m.role == "assistant"]
    assert sent_back == ["fast says hi"]


async def test_thinking_shows_its_own_token_count_where_the_provider_reports_it(
    user, three_panes, fakes
):
    from django.template.loader import render_to_string

    from chat.display import MessageDisplay, RunDisplay
    from providers.events import Usage

    fakes["fast"].reasoning = ["Hmm."]
    fakes["fast"].usage = Usage(input_tokens=5, output_tokens=40, reasoning_tokens=32)
    async with Listener(three_panes.pk) as heard:
        await turns.start_turn(three_panes.pk, user.pk, "Think")
        await heard.until("turn.finished")
    fast = await Run.objects.aget(pane__model="fast")
    slow = await Run.objects.aget(pane__model="slow")
    assert (fast.output_tokens, fast.reasoning_tokens, slow.reasoning_tokens) == (40, 32, None)
    message = await Message.objects.aget(pk=fast.message_id)
    html = await sync_to_async(render_to_string)(
        "chat/partials/message.html",
        {"message": MessageDisplay.of(message, related=False), "run": RunDisplay.of(fast)},
    )
    assert "Thinking" in html and "· 32 tokens" in html


@pytest.mark.live
async def test_a_run_records_what_it_sent_and_what_came_back(user, make_connection, fake_provider):
    from decimal import Decimal

    from connections.models import ModelPrice

    connection = await sync_to_async(make_connection)(base_url=fake_provider.base_url)
    await ModelPrice.objects.acreate(provider="", model="fake-model",
                                     input_usd_per_million=Decimal("2"),
                                     output_usd_per_million=Decimal("8"),
                                     checked_on="2026-11-30")  # fmt: skip
    conversation = await Conversation.objects.acreate(owner=user)
    source = {"prompt": 4, "version": 9, "number": 2, "name": "Brief"}
    await Pane.objects.acreate(conversation=conversation, connection=connection, model="fake-model",
                               system_prompt="Be brief.", params={"temperature": 0.2},
                               source=source, variables={"topic": "tides"})  # fmt: skip
    fake_provider.push_script(tokens=["Brief ", "answer."],
                              usage={"prompt_tokens": 1000, "completion_tokens": 500})  # fmt: skip
    async with Listener(conversation.pk) as heard:
        started = await turns.start_turn(conversation.pk, user.pk, "Hi")
        await heard.until("turn.finished")
    run = await Run.objects.aget(pk=started.runs[0].pk)
    user_message = await Message.objects.aget(conversation=conversation, role="user")
    assert run.system_prompt == "Be brief." and run.parameters == {"temperature": 0.2}
    assert run.history == [user_message.pk]
    # The prompt version and its filled variables, apart from the compiled text, and who asked.
    assert (run.source, run.variables, run.requested_by_id) == (source, {"topic": "tides"}, user.pk)
    assert run.resolved_model == "fake-model" and run.base_url.endswith("/v1/chat/completions")
    assert run.request_sent_at is not None and run.first_token_at >= run.request_sent_at
    assert run.finished_at >= run.first_token_at
    assert (run.input_tokens, run.output_tokens, run.finish_reason) == (1000, 500, "stop")
    assert run.cost == Decimal("0.006")  # 1,000 in at $2 and 500 out at $8 per million
    assert run.rate_limit_wait_ms == 0 and run.retries == 0


def _finished(run, text: str, tool_calls=()) -> None:
    from chat.engine import store

    store.finish_run(str(run.pk), text=text, reasoning="", status="done", fields={},
                     tool_calls=list(tool_calls))  # fmt: skip


@pytest.mark.django_db
def test_tool_calls_are_answered_in_the_pane_that_made_them(user, make_connection):
    from chat.engine import starting, store

    connection = make_connection()
    conversation = Conversation.objects.create(owner=user)
    caller = Pane.objects.create(conversation=conversation, position=0, connection=connection,
                                 model="caller")  # fmt: skip
    other = Pane.objects.create(conversation=conversation, position=1, connection=connection,
                                model="other")  # fmt: skip
    turn = starting.start_turn(conversation, "What time is it?")
    runs = {run.pane_id: run for run in turn.runs}
    call = {"id": "c1", "name": "clock", "arguments": {}}
    _finished(runs[caller.pk], "", [call])
    _finished(runs[other.pk], "It is noon.")  # the other pane answered after the call
    answered = Message.objects.get(pane=caller, role="assistant")
    going_on = starting.start_tool_turn(conversation, answered.pk, {"c1": "12:00"})
    assert [run.pane_id for run in going_on.runs] == [caller.pk]
    assert going_on.turn.pk == turn.turn.pk  # the same turn goes on in that pane
    result = Message.objects.get(role="tool")
    assert (result.pane_id, result.tool_name, result.content) == (caller.pk, "clock", "12:00")
    history = store.history_for(going_on.runs[0])
    assert [m.role for m in history] == ["user", "assistant", "tool"]  # not the other pane's


async def test_sends_made_at_once_are_saved_together_and_each_gets_its_own_answer(
    user, admin_user, three_panes, make_connection, fakes
):
    """Group commit (chat.engine.batching): sends arriving together share one database visit,
    yet a refused or forbidden send fails alone and two sends to one conversation become two
    turns, the second seeing the first."""
    connection = await sync_to_async(make_connection)(name="Other")
    others = await Conversation.objects.acreate(owner=admin_user)
    await Pane.objects.acreate(conversation=others, position=0, connection=connection,
                               model="fast")  # fmt: skip
    modelless = await Conversation.objects.acreate(owner=user)
    await Pane.objects.acreate(conversation=modelless, position=0, connection=connection)
    async with Listener(three_panes.pk) as heard:
        results = await asyncio.gather(
            turns.start_turn(three_panes.pk, user.pk, "One"),
            turns.start_turn(others.pk, user.pk, "Not mine"),
            turns.start_turn(modelless.pk, user.pk, "No model"),
            turns.start_turn(three_panes.pk, user.pk, "Two"),
            return_exceptions=True,
        )
        await heard.until("turn.finished", 2)
    first, forbidden, refused, second = results
    assert isinstance(forbidden, turns.NoAccess)
    assert isinstance(refused, ValidationError) and "model" in str(refused)
    assert first.turn.pk < second.turn.pk
    assert not await Message.objects.filter(conversation__in=[others, modelless]).aexists()
    said = [m.content async for m in Message.objects.filter(conversation=three_panes, role="user")
            .order_by("pk")]  # fmt: skip
    assert said == ["One", "Two"]
    assert sum(e["type"] == "turn.started" for e in heard.heard) == 2
    # The second turn was saved after the first, so its runs send "One" (still unanswered,
    # as its answers were streaming) before "Two".
    for model in fakes.values():
        sent = sorted([m.text for m in call if m.role == "user"] for call in model.every_call)
        assert sent == [["One"], ["One", "Two"]]


async def test_the_last_text_goes_out_when_the_answer_says_it_is_complete(
    user, three_panes, fakes, settings
):
    """Not when the rest of the body (usage, the end marker, the end of the chunked
    encoding) has come, and not when the coalescing timer fires."""
    settings.PLAYGROUND_STREAM_FLUSH_MS = 1000
    fakes["fast"].tail = asyncio.Event()
    fast = await Pane.objects.aget(conversation=three_panes, model="fast")
    async with Listener(three_panes.pk) as heard:
        await turns.start_turn(three_panes.pk, user.pk, "Go")

        def streamed() -> str:
            return "".join(e["text"] for e in heard.heard
                           if e["type"] == "run.delta" and e["pane_id"] == fast.pk)  # fmt: skip

        async def whole_text() -> None:
            while streamed() != "fast says hi":
                heard.heard.append(await heard.queue.get())

        await asyncio.wait_for(whole_text(), 0.5)  # well before the 1 s timer
        assert not any(e["type"] == "run.finished" and e["pane_id"] == fast.pk
                       for e in heard.heard)  # fmt: skip
        fakes["fast"].tail.set()
        await heard.until("turn.finished")


async def test_a_sends_requests_leave_before_its_rows_are_written(
    user, three_panes, fakes, monkeypatch
):
    """Writing the turn is the slowest part of a send (Django building the inserts): the
    requests go out first, and nothing of the runs is heard before the turn is."""
    asked_before_writing: list[str] = []
    write = starting._write

    def slow_write(plans):  # type: ignore[no-untyped-def]
        time.sleep(0.2)  # meanwhile, on the loop, every pane's request goes out
        asked_before_writing.extend(name for name, fake in fakes.items() if fake.every_call)
        write(plans)

    monkeypatch.setattr(starting, "_write", slow_write)
    async with Listener(three_panes.pk) as heard:
        started = await turns.start_turn(three_panes.pk, user.pk, "Hello")
        await heard.until("turn.finished")
    assert sorted(asked_before_writing) == sorted(SPEEDS)
    assert heard.heard[0]["type"] == "turn.started"
    ids = {run.message_id for run in started.runs}
    assert {e["message_id"] for e in heard.heard if e["type"] == "run.finished"} == ids
    assert not runs.ACTIVE_RUNS


async def test_a_write_that_fails_stops_the_runs_it_started_and_shows_nothing(
    user, three_panes, fakes, monkeypatch
):
    def failing_write(plans):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        raise IntegrityError("the conversation went away meanwhile")

    monkeypatch.setattr(starting, "_write", failing_write)
    async with Listener(three_panes.pk) as heard:
        with pytest.raises(IntegrityError):
            await turns.start_turn(three_panes.pk, user.pk, "Hello")
        await heard.quiet_for(0.3)
    assert heard.heard == []
    assert not runs.ACTIVE_RUNS
    assert not await Run.objects.aexists() and not await Message.objects.aexists()


async def test_runs_started_early_stop_unseen_when_their_turn_cannot_be_announced(
    user, three_panes, fakes, monkeypatch
):
    """They would otherwise wait for ever to be heard, their requests left open."""
    publish = fanout.publish

    async def failing(conversation_id, event):  # type: ignore[no-untyped-def]
        if event["type"] == "turn.started":
            raise ConnectionError("the channel layer is down")
        await publish(conversation_id, event)

    started: list[runs.ActiveRun] = []
    start_run = turns.start_run

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(start_run(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(fanout, "publish", failing)
    monkeypatch.setattr(turns, "start_run", recorded)
    with pytest.raises(ConnectionError):
        await turns.start_turn(three_panes.pk, user.pk, "Hello")
    assert len(started) == 3
    await asyncio.wait_for(asyncio.gather(*(active.task for active in started)), 5)
    assert all(active.stop_requested for active in started)


class SlowToSend(FakeChatModel):
    """A provider model whose request leaves late (a busy loop, a slow connect): it says
    when, as every providers model does, with a RequestEvent."""

    sent = False

    async def astream_batches(self, messages):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.2)
        yield [llm.RequestEvent(attempt=0, waited_s=0.0, url=self.config.base_url)]
        self.sent = True  # resumed past its RequestEvent: the request is on its way
        async for batch in super().astream_batches(messages):
            yield batch


async def test_a_sends_rows_are_written_once_its_requests_have_left(user, three_panes, monkeypatch):
    """The write would take the interpreter from the loop that sends the requests (300 sends'
    rows held it for 100–200 ms): it waits for them, not for a fixed moment."""
    models = {name: SlowToSend(pieces=[f"{name} says hi"]) for name in SPEEDS}
    monkeypatch.setattr(llm, "BaseChatModel", SlowToSend)  # it reports its requests
    monkeypatch.setattr(
        llm, "chat_model_for", lambda connection, model, params, **box: models[model]
    )
    sent_before_writing: list[bool] = []
    write = starting._write

    def watched_write(plans):  # type: ignore[no-untyped-def]
        sent_before_writing.extend(model.sent for model in models.values())
        write(plans)

    monkeypatch.setattr(starting, "_write", watched_write)
    async with Listener(three_panes.pk) as heard:
        await turns.start_turn(three_panes.pk, user.pk, "Hello")
        await heard.until("turn.finished")
    assert sent_before_writing == [True, True, True]


def test_the_rows_wait_for_requests_no_longer_than_the_hand_overs_limit():
    hand_over = turns.HandOver()
    hand_over.wait(5)  # nothing expected: no wait
    hand_over.expect(2)
    hand_over.one_left()
    hand_over.wait(0.05)  # one never leaves (a request held by the loop): the write goes on
    hand_over.one_left()
    assert hand_over._all_left.is_set()


async def test_the_rows_do_not_wait_for_a_request_a_rate_limiter_holds(monkeypatch):
    """A rate limiter may hold a request for seconds: its run is started without being
    counted, so the rows are written at once."""
    started: dict[str, object] = {}
    monkeypatch.setattr(turns, "start_run", lambda run, plan, **kw: started.setdefault(
        str(run.pk), kw["on_leaving"]))  # fmt: skip

    class Config:
        def __init__(self, limiter: object) -> None:
            self.rate_limiter = limiter

    def plan(limiter: object):  # type: ignore[no-untyped-def]
        return type("Plan", (), {"model": type("Model", (), {"config": Config(limiter)})()})()

    held, free = Run(), Run()
    hand_over = turns.HandOver()
    turns._start_unwritten([(held, plan(object())), (free, plan(None))], {}, hand_over)
    assert started[str(held.pk)] is None
    assert started[str(free.pk)] == hand_over.one_left
