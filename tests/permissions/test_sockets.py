"""The permission matrix over the conversation's socket, through the project's own websocket
stack (origin check, session cookie, router: playground/asgi.py): who may subscribe, who may
send and act, and that a member removed from the team loses an already-open socket at once
and hears nothing of the conversation afterwards."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.sockets import REVOKED_CLOSE_CODE
from chat.consumers import READ_ONLY
from chat.models import Message
from chat.routing import websocket_urlpatterns
from connections import llm
from tests.chat.fake_models import FakeChatModel
from tests.permissions.conftest import (
    API_KEY,
    AUTHOR,
    EDITORS,
    MEMBERS,
    ROLES,
    STEM,
    World,
    build_world,
)

pytestmark = pytest.mark.django_db(transaction=True)

APP = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
WORLDS = ("team", "private")
SIGNED_OUT_CLOSE_CODE = 4401
REMOVED = "Your access to this conversation was removed."


def seers(visibility: str) -> frozenset[str]:
    return MEMBERS if visibility == "team" else AUTHOR


def changers(visibility: str) -> frozenset[str]:
    return EDITORS if visibility == "team" else AUTHOR


class Live:
    """A world and everyone's session cookie (signed in once, before any socket opens)."""

    def __init__(self, visibility: str) -> None:
        self.world: World = build_world(visibility)
        self.cookies = {role: self.world.client(role).cookies["sessionid"].value
                        for role in ROLES if role != "anonymous"}  # fmt: skip

    def socket(self, role: str) -> Socket:
        headers = [(b"origin", b"http://127.0.0.1")]  # as a page of this site sends it
        if role in self.cookies:
            headers.append((b"cookie", f"sessionid={self.cookies[role]}".encode()))
        return Socket(WebsocketCommunicator(APP, f"/ws/c/{self.world.conversation.pk}/",
                                            headers=headers))  # fmt: skip


class Socket:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.texts: list[str] = []  # every text frame received
        self.close_code: int | None = None

    async def connect(self) -> tuple[bool, Any]:
        return await self.communicator.connect(timeout=5)

    async def opened(self) -> None:
        """Connected, and the snapshot and idle state read."""
        assert (await self.connect())[0]
        await self.until("busy-flag")

    async def send(self, **fields: Any) -> None:
        await self.communicator.send_json_to(fields)

    async def next(self, timeout: float = 5) -> dict:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.send":
            self.texts.append(output.get("text") or "")
        elif output["type"] == "websocket.close":
            self.close_code = output.get("code")
        return output

    async def until(self, needle: str, timeout: float = 10) -> str:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            output = await self.next(max(0.01, deadline - asyncio.get_running_loop().time()))
            if output["type"] == "websocket.close":
                raise AssertionError(f"closed ({output.get('code')}) before {needle!r}")
            if needle in (output.get("text") or ""):
                return output["text"]

    async def closed(self, timeout: float = 5) -> int | None:
        while self.close_code is None:
            await self.next(timeout)
        return self.close_code

    async def everything(self, quiet: float = 1.0) -> str:
        """What arrives until the socket has been quiet for `quiet` seconds (or closed)."""
        start = len(self.texts)
        while self.close_code is None and not await self.communicator.receive_nothing(quiet):
            await self.next()
        return "".join(self.texts[start:])

    async def shut(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
def model(monkeypatch):
    """Every run answers from an in-process fake model: nothing leaves the test."""
    fake = FakeChatModel(pieces=["Fine", " thanks"])
    monkeypatch.setattr(llm, "chat_model_for", lambda *args, **kwargs: fake)
    return fake


def messages_of(world: World) -> list[tuple[int, str]]:
    return list(Message.objects.filter(conversation=world.conversation)
                .order_by("pk").values_list("pk", "content"))  # fmt: skip


def post_as(world: World, role: str, url: str, data: dict) -> int:
    client = Client()
    client.force_login(world.people[role])
    return client.post(url, data).status_code


# -- subscribe ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", WORLDS)
async def test_who_may_subscribe_to_the_conversation(visibility: str, role: str):
    here = await sync_to_async(Live)(visibility)
    socket = here.socket(role)
    accepted, code = await socket.connect()
    if role in seers(visibility):
        assert accepted
        snapshot = await socket.until("busy-flag")
        shown = "".join(socket.texts)
        assert "Private words" in shown and "An answer." in shown, snapshot[:300]
        assert API_KEY not in shown
        await socket.shut()
        return
    assert not accepted
    assert code == (SIGNED_OUT_CLOSE_CODE if role == "anonymous" else REVOKED_CLOSE_CODE)
    assert await socket.communicator.receive_nothing(timeout=0.2)
    assert not socket.texts


# -- run: send, and the other actions ---------------------------------------------------------

SUBSCRIBERS = [(v, role) for v in WORLDS for role in ROLES if role in seers(v)]


@pytest.mark.parametrize(("visibility", "role"), SUBSCRIBERS)
async def test_who_may_send_once_subscribed(visibility: str, role: str, model):
    here = await sync_to_async(Live)(visibility)
    before = await sync_to_async(messages_of)(here.world)
    socket = here.socket(role)
    await socket.opened()
    await socket.send(action="send", message=f"Hello from the {role}", nonce="n1")
    if role in changers(visibility):
        await socket.until("composer-ack")
        await socket.until('data-status="done"')
        after = await sync_to_async(messages_of)(here.world)
        assert f"Hello from the {role}" in [content for _pk, content in after]
    else:
        assert "fork it" in await socket.until(READ_ONLY[:40])
        assert await sync_to_async(messages_of)(here.world) == before
    await socket.shut()


def action_fields(world: World, action: str) -> dict:
    return {
        "stop": {"action": "stop"},
        "regenerate": {"action": "regenerate", "message_id": str(world.answer.pk)},
        "rerun": {"action": "rerun", "message_id": str(world.question.pk)},
        "tool_results": {"action": "tool_results", "message_id": str(world.answer.pk),
                         "result:c1": "typed"},
    }[action]  # fmt: skip


@pytest.mark.parametrize("action", ["stop", "regenerate", "rerun", "tool_results"])
async def test_a_viewer_may_watch_but_every_action_is_refused(action: str, model):
    here = await sync_to_async(Live)("team")
    before = await sync_to_async(messages_of)(here.world)
    socket = here.socket("viewer")
    await socket.opened()
    await socket.send(**action_fields(here.world, action))
    assert "fork it" in await socket.until(READ_ONLY[:40])
    assert await sync_to_async(messages_of)(here.world) == before
    await socket.shut()


# -- a member removed: at once, and for good -------------------------------------------------


async def author_says(here: Live, text: str) -> None:
    """The author sends in their own tab, and waits for the answer to end."""
    author = here.socket("author")
    await author.opened()
    await author.send(action="send", message=text, nonce="a1")
    await author.until('data-status="done"')
    await author.shut()


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_a_member_removed_by_an_owner_is_closed_at_once_and_hears_nothing_more(
    role: str, model
):
    here = await sync_to_async(Live)("team")
    world = here.world
    socket = here.socket(role)
    await socket.opened()
    removed = reverse("team-remove", args=[world.team.pk, world.people[role].pk])
    assert await sync_to_async(post_as)(world, "owner", removed, {}) == 302
    start = len(socket.texts)
    assert await socket.closed() == REVOKED_CLOSE_CODE
    said = "".join(socket.texts[start:])
    assert REMOVED in said and STEM not in said
    # The browser answers the close; the server then tells the consumer it is gone (until
    # then the server sends nothing more on a socket it closed: see the report).
    await socket.shut()
    await author_says(here, f"{STEM} said after the removal")
    assert await socket.communicator.receive_nothing(timeout=0.2)
    again = here.socket(role)
    assert await again.connect() == (False, REVOKED_CLOSE_CODE)


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_a_member_whose_membership_is_deleted_is_refused_their_next_message(role: str, model):
    """However the membership went (here: deleted outright), the next message asks again."""
    here = await sync_to_async(Live)("team")
    world = here.world
    socket = here.socket(role)
    await socket.opened()
    before = await sync_to_async(messages_of)(world)
    await Membership.objects.filter(team=world.team, user=world.people[role]).adelete()
    await socket.send(action="send", message="Still here?", nonce="n2")
    assert REMOVED in await socket.until(REMOVED)
    assert await socket.closed() == REVOKED_CLOSE_CODE
    assert await sync_to_async(messages_of)(world) == before


def remove_in_the_admin(world: World, role: str) -> int:
    """Team → its memberships → Delete, in the Django admin, by a superuser."""
    admin = get_user_model().objects.create_superuser(f"admin-for-{world.team.pk}")
    client = Client()
    client.force_login(admin)
    members = list(Membership.objects.filter(team=world.team).order_by("pk"))
    data = {"name": world.team.name, "personal_for": "", "_save": "Save",
            "memberships-TOTAL_FORMS": len(members), "memberships-INITIAL_FORMS": len(members),
            "memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000}  # fmt: skip
    for index, member in enumerate(members):
        fields = {"id": member.pk, "team": world.team.pk, "user": member.user_id,
                  "role": member.role}  # fmt: skip
        if member.user_id == world.people[role].pk:
            fields["DELETE"] = "on"
        data.update({f"memberships-{index}-{key}": value for key, value in fields.items()})
    return client.post(reverse("admin:accounts_team_change", args=[world.team.pk]), data)


@pytest.mark.parametrize("role", ["viewer"])
async def test_a_member_removed_in_the_admin_hears_nothing_more(role: str, model):
    here = await sync_to_async(Live)("team")
    world = here.world
    socket = here.socket(role)
    await socket.opened()
    answer = await sync_to_async(remove_in_the_admin)(world, role)
    assert answer.status_code == 302, answer.content[:500]
    assert not await Membership.objects.filter(user=world.people[role], team=world.team).aexists()
    start = len(socket.texts)
    await author_says(here, f"{STEM} said after the removal")
    heard = "".join(socket.texts[start:]) + await socket.everything()
    await socket.shut()
    assert STEM not in heard


# -- access that changes under an open socket ------------------------------------------------


async def test_making_it_private_closes_the_teammates_sockets(model):
    here = await sync_to_async(Live)("team")
    world = here.world
    viewer = here.socket("viewer")
    await viewer.opened()
    share = reverse("conversation-share", args=[world.conversation.pk])
    assert await sync_to_async(post_as)(world, "author", share, {"share": "private"}) == 302
    assert await viewer.closed() == REVOKED_CLOSE_CODE
    assert await here.socket("viewer").connect() == (False, REVOKED_CLOSE_CODE)


async def test_an_editor_made_viewer_is_refused_their_next_send(model):
    here = await sync_to_async(Live)("team")
    world = here.world
    editor = here.socket("editor")
    await editor.opened()
    role = reverse("team-role", args=[world.team.pk, world.people["editor"].pk])
    assert await sync_to_async(post_as)(world, "owner", role, {"role": "viewer"}) == 302
    before = await sync_to_async(messages_of)(world)
    await editor.send(action="send", message="Still an editor?", nonce="n3")
    assert "fork it" in await editor.until(READ_ONLY[:40])
    assert await sync_to_async(messages_of)(world) == before
    await editor.shut()
