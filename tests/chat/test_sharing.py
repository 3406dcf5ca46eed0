"""A conversation shared with a team, through the views and the socket: every member sees it,
owners and editors change it, viewers read, download and fork it; someone outside (or signed
out) finds nothing — a 404 that names nothing — and a member removed loses it at once."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import teams
from accounts.models import Membership, Role
from chat import attachments
from chat.engine import starting
from chat.models import Conversation, Message, Pane
from tests.chat.test_attachments import as_file, jpeg_with_gps
from tests.chat.test_consumers import Tab
from tests.chat.test_engine_turns import _finished
from tests.conftest import PASSWORD

SECRET_TITLE = "Quarterly plan zebra"
ROLES = ("author", "owner", "editor", "viewer", "outsider", "anonymous")


def _people():
    User = get_user_model()
    people = {name: User.objects.create_user(f"{name}-{id(object())}", password=PASSWORD)
              for name in ROLES if name != "anonymous"}  # fmt: skip
    team = teams.create_team("Crew", people["owner"])
    for name, role in (("author", Role.EDITOR), ("editor", Role.EDITOR),
                       ("viewer", Role.VIEWER)):  # fmt: skip
        Membership.objects.create(team=team, user=people[name], role=role)
    return people, team


@pytest.fixture
def shared(make_connection):
    people, team = _people()
    conversation = Conversation.objects.create(owner=people["author"], title=SECRET_TITLE,
                                               team=team, visibility="team")  # fmt: skip
    Pane.objects.create(conversation=conversation, position=0, connection=make_connection(),
                        model="gpt-4o")  # fmt: skip
    photo = attachments.store_upload(conversation, people["author"],
                                     as_file(jpeg_with_gps(), "map.jpg", "image/jpeg"))  # fmt: skip
    started = starting.start_turn(conversation, "Private words", [str(photo.pk)])
    _finished(started.runs[0], "An answer.")
    return conversation, people, team, started.new_messages[0], photo


def _client(people, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    return client


# role -> may it: (see, change)
EXPECTED = {"author": (True, True), "owner": (True, True), "editor": (True, True),
            "viewer": (True, False), "outsider": (False, False), "anonymous": (False, False)}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_and_who_may_change_a_shared_conversation(shared, role):
    conversation, people, _team, question, photo = shared
    client = _client(people, role)
    sees, changes = EXPECTED[role]
    reads = {
        "open": client.get(reverse("conversation", args=[conversation.pk])),
        "raw": client.get(reverse("message-raw", args=[question.pk])),
        "download": client.get(reverse("attachment", args=[photo.pk])),
        "export": client.get(reverse("conversation-export-json", args=[conversation.pk])),
        "compare": client.get(reverse("compare-turn", args=[conversation.pk])),
    }
    for action, response in reads.items():
        if role == "anonymous":
            assert response.status_code == 302, action  # to sign in
        else:
            assert response.status_code == (200 if sees else 404), (role, action)
        if not sees:
            assert SECRET_TITLE.encode() not in response.content
    sidebar = client.get(reverse("conversation-search"), {"q": ""}).content
    assert (SECRET_TITLE.encode() in sidebar) == (sees and role != "anonymous")
    changes_made = {
        "edit": client.post(reverse("message-edit", args=[question.pk]), {"text": "Changed"}),
        "rename": client.post(
            reverse("conversation-rename", args=[conversation.pk]), {"title": "Renamed"}
        ),  # fmt: skip
        "add": client.post(
            reverse("message-add", args=[conversation.pk]), {"role": "user", "text": "Added"}
        ),  # fmt: skip
    }
    for action, response in changes_made.items():
        if role == "anonymous":
            assert response.status_code == 302, action
        else:
            assert (response.status_code < 400) == changes, (role, action, response.status_code)
    if not changes:
        assert Message.objects.get(pk=question.pk).replaced is False
        assert Conversation.objects.get(pk=conversation.pk).title == SECRET_TITLE


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_members_fork_it_into_their_own_copy(shared, role):
    conversation, people, *_ = shared
    client = _client(people, role)
    answer = Message.objects.get(conversation=conversation, role="assistant")
    forked = client.post(reverse("message-fork", args=[answer.pk]))
    assert forked.status_code == 302
    copy = Conversation.objects.exclude(pk=conversation.pk).get()
    assert copy.owner == people[role] and copy.visibility == "private"


@pytest.mark.django_db
def test_only_its_author_deletes_or_reshares_it(shared):
    conversation, people, team, *_ = shared
    for role in ("owner", "editor"):
        client = _client(people, role)
        assert (
            client.post(reverse("conversation-delete", args=[conversation.pk])).status_code == 404
        )
        assert client.post(reverse("conversation-share", args=[conversation.pk]),
                           {"share": "private"}).status_code == 404  # fmt: skip
    author = _client(people, "author")
    page = author.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert 'id="share-with"' in page and f'value="{team.pk}" selected' in page
    assert author.post(reverse("conversation-share", args=[conversation.pk]),
                       {"share": "private"}).status_code == 302  # fmt: skip
    viewer = _client(people, "viewer")
    assert viewer.get(reverse("conversation", args=[conversation.pk])).status_code == 404


@pytest.mark.django_db
def test_a_viewer_reads_a_page_without_a_composer(shared):
    conversation, people, *_ = shared
    page = _client(people, "viewer").get(reverse("conversation", args=[conversation.pk]))
    html = page.content.decode()
    assert 'class="conversation read-only"' in html and "fork it" in html
    assert 'id="composer"' not in html and 'id="share-with"' not in html


@pytest.mark.django_db(transaction=True)
async def test_the_socket_lets_viewers_watch_refuses_their_sends_and_drops_the_removed(
    make_connection, model
):
    people, team = await sync_to_async(_people)()
    conversation = await Conversation.objects.acreate(owner=people["author"], team=team,
                                                      visibility="team", title=SECRET_TITLE)  # fmt: skip
    await Pane.objects.acreate(conversation=conversation, position=0,
                               connection=await sync_to_async(make_connection)(), model="m")  # fmt: skip
    outsider = Tab(people["outsider"], conversation.pk)
    assert await outsider.connect() == (False, 4403)

    viewer = Tab(people["viewer"], conversation.pk)
    assert (await viewer.connect())[0]
    await viewer.communicator.send_json_to({"action": "send", "message": "Hi", "nonce": "n"})
    refused = await viewer.until("not change it")
    assert "fork it" in refused
    assert not await Message.objects.filter(conversation=conversation).aexists()

    await sync_to_async(teams.remove)(team, people["owner"], people["viewer"].pk)
    closed = await viewer.communicator.receive_output(timeout=5)
    while closed["type"] != "websocket.close":
        closed = await viewer.communicator.receive_output(timeout=5)
    assert closed["code"] == 4403
    again = Tab(people["viewer"], conversation.pk)
    assert await again.connect() == (False, 4403)
