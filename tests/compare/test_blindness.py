"""Blind mode hides who is who: every HTML answer and every websocket frame of a blind
three-pane turn, from switching it on to the vote, is searched for the panes' models, the
models the provider says answered, the prompt version one pane came from and the connection's
name — none may appear. The vote then names them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from chat.engine import store
from chat.models import Conversation, Pane, Run
from compare.models import Vote
from connections import llm
from providers.events import FinishEvent
from tests.chat.fake_models import FakeChatModel
from tests.chat.test_consumers import Tab

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = ("zorblax-7b", "quuxnet-large", "flimflam-mini")
RESOLVED = {name: f"{name}-2026-11-01" for name in MODELS}
PROMPT = "Persona Vesuvius"
CONNECTION = "Conn Ytterbium"
SECRETS = (*MODELS, *RESOLVED.values(), PROMPT, CONNECTION)


@dataclass
class NamingModel(FakeChatModel):
    """A fake that, like a real provider, names the snapshot that answered when it ends."""

    resolved: str = ""

    async def astream(self, messages):  # type: ignore[no-untyped-def]
        async for event in super().astream(messages):
            if isinstance(event, FinishEvent):
                event = FinishEvent("stop", raw={"model": self.resolved, "id": "r1"})
            yield event


def leaks(text: str) -> list[str]:
    return [name for name in SECRETS if name.lower() in text.lower()]


@pytest.fixture
def arena(user, make_connection, monkeypatch):
    connection = make_connection(name=CONNECTION)
    conversation = Conversation.objects.create(owner=user, title="Which is kinder?")
    source = {"prompt": 1, "version": 1, "number": 4, "name": PROMPT}
    for position, name in enumerate(MODELS):
        Pane.objects.create(conversation=conversation, position=position, connection=connection,
                            model=name, source=source if position == 0 else None)  # fmt: skip
    fakes = {name: NamingModel(pieces=[f"Answer {i} ", "here."], delay=0.01,
                               resolved=RESOLVED[name]) for i, name in enumerate(MODELS)}  # fmt: skip
    monkeypatch.setattr(llm, "chat_model_for", lambda c, name, *args, **kw: fakes[name])
    client = Client()
    client.force_login(user)
    return conversation, client


async def test_nothing_names_a_model_before_the_vote_and_the_vote_names_them(user, arena):
    conversation, client = arena
    get, post = sync_to_async(client.get), sync_to_async(client.post)
    seen: list[tuple[str, str]] = []  # (where, body)

    def keep(where: str, response) -> None:  # type: ignore[no-untyped-def]
        seen.append((where, response.content.decode()))

    switched = await post(f"/c/{conversation.pk}/compare/blind/", {"blind": "on"},
                          HTTP_HX_REQUEST="true")  # fmt: skip
    assert switched.status_code == 204 and switched["HX-Refresh"] == "true"
    keep("switch", switched)
    page = await get(f"/c/{conversation.pk}/")
    keep("page", page)
    assert 'role="switch" name="blind" id="blind-mode" checked' in page.content.decode()

    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(action="send", message="Be kind", nonce="n1")
    runs: list[Run] = []
    for _ in range(200):
        runs = [run async for run in Run.objects.filter(conversation=conversation)]
        if len(runs) == 3 and all(run.status == "done" for run in runs):
            break
        await asyncio.sleep(0.02)
    await tab.until(r'id="turn-compare"')  # the turn's end: the compare panel is fetched
    while not await tab.communicator.receive_nothing(timeout=0.3):  # the rest of the turn
        await tab.next_frame()
    seen += [("frame", frame) for frame in tab.frames]
    assert {run.resolved_model for run in runs} == set(RESOLVED.values())  # it was told

    turn = await sync_to_async(store.latest_shown_turn)(conversation.pk)
    assert sorted(turn.arena_order) == sorted([run.pane_id for run in runs])
    pane_ids = sorted(run.pane_id for run in runs)
    for where, path in (
        ("page after", f"/c/{conversation.pk}/"),
        ("panel", f"/c/{conversation.pk}/compare/"),
        ("differences", f"/c/{conversation.pk}/compare/diff/?a={pane_ids[0]}&b={pane_ids[1]}"),
        ("view code", f"/c/{conversation.pk}/panes/{pane_ids[0]}/code/"),
        ("export", f"/c/{conversation.pk}/export.json"),
        ("export md", f"/c/{conversation.pk}/export.md"),
        ("save prompt", f"/library/save/?conversation={conversation.pk}&pane={pane_ids[0]}"),
        ("sidebar search", "/c/search/?q=kind"),
    ):
        keep(where, await get(path))
    for refused in ("view code", "export", "export md", "save prompt"):
        assert dict(seen)[refused].startswith("Blind mode hides")
    changed = await post(f"/c/{conversation.pk}/panes/{pane_ids[0]}/settings/",
                         {"model": "other"}, HTTP_HX_REQUEST="true")  # fmt: skip
    keep("settings", changed)
    assert changed.status_code == 409
    assert await Pane.objects.filter(model="other").aexists() is False

    found = [(where, leaks(body)) for where, body in seen if leaks(body)]
    assert not found, found
    assert len([1 for where, _ in seen if where == "frame"]) >= 5
    await tab.close()

    voted = await post(f"/c/{conversation.pk}/compare/vote/", {"turn": turn.pk, "choice": "best:B"},
                       HTTP_HX_REQUEST="true")  # fmt: skip
    verdict = voted.content.decode()
    assert all(name in verdict for name in MODELS) and PROMPT in verdict
    vote = await Vote.objects.aget()
    assert vote.blind and vote.winner == "B"
    by_label = {entry["label"]: entry["pane"] for entry in vote.contestants}
    assert [by_label[label] for label in "ABC"] == turn.arena_order


def test_blind_mode_needs_two_panes_with_a_model(user, make_connection):
    conversation = Conversation.objects.create(owner=user)
    Pane.objects.create(conversation=conversation, position=0, connection=make_connection(),
                        model="solo")  # fmt: skip
    Pane.objects.create(conversation=conversation, position=1)
    client = Client()
    client.force_login(user)
    refused = client.post(f"/c/{conversation.pk}/compare/blind/", {"blind": "on"})
    assert refused.status_code == 400 and "two panes or more" in refused.content.decode()
    conversation.refresh_from_db()
    assert not conversation.blind


def test_only_editors_switch_blind_mode_and_off_shows_the_models_again(
    user, make_connection, django_user_model
):
    conversation = Conversation.objects.create(owner=user)
    for position, name in enumerate(MODELS[:2]):
        Pane.objects.create(conversation=conversation, position=position,
                            connection=make_connection(), model=name)  # fmt: skip
    stranger = Client()
    stranger.force_login(django_user_model.objects.create_user("stranger"))
    assert stranger.post(f"/c/{conversation.pk}/compare/blind/", {"blind": "on"}).status_code == 404
    owner = Client()
    owner.force_login(user)
    owner.post(f"/c/{conversation.pk}/compare/blind/", {"blind": "on"})
    assert not leaks(owner.get(f"/c/{conversation.pk}/").content.decode())
    owner.post(f"/c/{conversation.pk}/compare/blind/", {})
    page = owner.get(f"/c/{conversation.pk}/").content.decode()
    assert all(name in page for name in MODELS[:2])


def test_one_blind_vote_per_voter_and_conversation_later_ones_count_as_open(
    user, make_connection, monkeypatch
):
    from chat.engine import starting
    from compare import arena

    conversation = Conversation.objects.create(owner=user, blind=True)
    for position, name in enumerate(MODELS[:2]):
        Pane.objects.create(conversation=conversation, position=position,
                            connection=make_connection(), model=name)  # fmt: skip
    votes = []
    for text in ("First", "Second"):
        started = starting.start_turn(conversation, text)
        for run in started.runs:
            store.finish_run(str(run.pk), text=f"{text} {run.model}", reasoning="",
                             status="done", fields={}, tool_calls=[])  # fmt: skip
        turn = store.latest_shown_turn(conversation.pk)
        assert len(turn.arena_order) == 2
        votes.append(arena.cast(conversation, turn, user, "a"))
    assert [vote.blind for vote in votes] == [True, False]
    changed = arena.cast(conversation, votes[0].turn, user, "b")
    assert not changed.blind  # changed after the names were shown


def test_a_title_that_names_a_pane_is_replaced_when_blind_mode_turns_on(user, make_connection):
    conversation = Conversation.objects.create(owner=user, title=f"Hi: v1 {MODELS[0]} vs v2")
    for position, name in enumerate(MODELS[:2]):
        Pane.objects.create(conversation=conversation, position=position,
                            connection=make_connection(), model=name)  # fmt: skip
    client = Client()
    client.force_login(user)
    client.post(f"/c/{conversation.pk}/compare/blind/", {"blind": "on"})
    conversation.refresh_from_db()
    assert conversation.blind and conversation.title == "Blind comparison"
