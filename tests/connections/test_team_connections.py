"""Connections of a team: its members use them (pickers, sends, tests, model lists), its
owners and admins change them; a site connection is everyone's and admins'; a personal
team's is its person's alone. One who may not use a connection gets 404 on every URL of it
and never reads its name: not on a page, in a picker, an error, View code, an export or an
import's matching. A member removed from the team can no longer send through it."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts import permissions, teams
from accounts.models import Membership, Role
from chat import attachments, transfer
from chat.engine import rerunning, starting
from chat.engine.starting import NOT_YOURS
from chat.models import Conversation, Message, Pane, Run
from chat.views.panes import GONE
from connections.models import Connection
from tests.chat.test_attachments import as_file, jpeg_with_gps
from tests.chat.test_consumers import Tab
from tests.chat.test_engine_turns import _finished
from tests.conftest import PASSWORD, numbers

ROLES = ("admin", "owner", "editor", "viewer", "outsider", "anonymous")
KINDS = ("site", "team", "private")
NAMES = {"site": "Site Alpha key", "team": "Crew Bravo key", "private": "Private Charlie key"}

# kind -> role -> (may use it, may manage it). The private connection is the team owner's
# own ("Only me"); admins manage every connection but use only the site's and their teams'.
EXPECTED = {
    "site": {"admin": (True, True), "owner": (True, False), "editor": (True, False),
             "viewer": (True, False), "outsider": (True, False), "anonymous": (False, False)},
    "team": {"admin": (False, True), "owner": (True, True), "editor": (True, False),
             "viewer": (True, False), "outsider": (False, False), "anonymous": (False, False)},
    "private": {"admin": (False, True), "owner": (True, True), "editor": (False, False),
                "viewer": (False, False), "outsider": (False, False),
                "anonymous": (False, False)},
}  # fmt: skip
ACTIONS = ("list", "pick", "send", "edit", "delete", "test", "model list")


def _people() -> dict:
    User = get_user_model()
    people = {
        name: User.objects.create_user(f"{name}{next(numbers)}", password=PASSWORD,
                                       is_staff=name == "admin")
        for name in ROLES if name != "anonymous"
    }  # fmt: skip
    team = teams.create_team("Crew", people["owner"])
    Membership.objects.create(team=team, user=people["editor"], role=Role.EDITOR)
    Membership.objects.create(team=team, user=people["viewer"], role=Role.VIEWER)
    people["team"] = team
    return people


@pytest.fixture
def world(make_connection):
    """Five accounts (and the signed-out), the team Crew (owner, editor, viewer), and three
    connections: the site's, Crew's, and the owner's own. Its connections point at a port
    nothing listens on, so a test or a model list fails fast, and says so."""
    people = _people()
    dead = "http://127.0.0.1:1/v1"
    connections = {
        "site": make_connection(name=NAMES["site"], base_url=dead),
        "team": make_connection(name=NAMES["team"], base_url=dead, team=people["team"]),
        "private": make_connection(name=NAMES["private"], base_url=dead,
                                   team=teams.personal_team(people["owner"])),
    }  # fmt: skip
    return people, connections


def _client(people: dict, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people[role])
    return client


def _own_pane(people: dict, role: str) -> Pane:
    owner = people["owner"] if role == "anonymous" else people[role]  # never reached by them
    conversation = Conversation.objects.create(owner=owner)
    return Pane.objects.create(conversation=conversation, position=0, model="gpt-4o")


def _signed_out(response) -> bool:
    return response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_who_may_use_and_who_may_manage_each_connection(world, kind, role):
    """One cell per action for each (connection, role): 3 x 6 x 7 = 126 cells."""
    people, connections = world
    connection = connections[kind]
    uses, manages = EXPECTED[kind][role]
    client = _client(people, role)
    name = NAMES[kind].encode()
    pane = _own_pane(people, role)
    conversation = pane.conversation
    anonymous = role == "anonymous"
    seen: dict[str, object] = {}

    # list: the Connections page names it (with its controls) only for who may use or manage
    page = client.get(reverse("connections"))
    seen["list"] = _signed_out(page) if anonymous else (
        page.status_code == 200 and (name in page.content) == (uses or manages)
        and (f"/connections/{connection.pk}/edit/".encode() in page.content) == manages
        and (f"/connections/{connection.pk}/test/".encode() in page.content) == uses
    )  # fmt: skip

    # pick: offered by the pane's select and the "Pick a model" groups, and saved to a pane
    shown = client.get(reverse("conversation", args=[conversation.pk]))
    picker = client.get(reverse("model-picker", args=[conversation.pk]), {"pane": pane.pk})
    saved = client.post(reverse("pane-settings", args=[conversation.pk, pane.pk]),
                        {"connection": str(connection.pk), "model": "gpt-4o"})  # fmt: skip
    pane.refresh_from_db()
    if anonymous:
        seen["pick"] = _signed_out(shown) and _signed_out(picker) and _signed_out(saved)
    else:
        offered = f'<option value="{connection.pk}"'.encode()
        seen["pick"] = (
            (offered in shown.content) == uses and (name in shown.content) == uses
            and (name in picker.content) == uses
            and (pane.connection_id == connection.pk) == uses
            and (GONE.encode() in saved.content) == (not uses)
        )  # fmt: skip

    # send: a pane on it answers, or is refused before any request without naming it
    Pane.objects.filter(pk=pane.pk).update(connection=connection)
    sender = None if anonymous else people[role].pk
    if anonymous:  # the rule a signed-out request is asked by (its socket is refused too)
        rule = permissions.usable_connections(AnonymousUser())
        seen["send"] = not Connection.objects.filter(rule, pk=connection.pk).exists()
    else:
        try:
            started = starting.start_turn(Conversation.objects.get(pk=conversation.pk), "Hi",
                                          user_id=sender)  # fmt: skip
        except ValidationError as refused:
            seen["send"] = not uses and refused.message_dict == {"connection": [NOT_YOURS]}
        else:
            seen["send"] = uses and len(started.runs) == 1 and not started.refused

    # test connection and model list: for who may use it (the dead port says so)
    tested = client.post(reverse("connection-test", args=[connection.pk]))
    listed = client.get(reverse("model-options", args=[conversation.pk]),
                        {"connection": connection.pk, "pane": pane.pk})  # fmt: skip
    for action, response, said in (("test", tested, b"Could not connect"),
                                   ("model list", listed, b"Could not list models")):  # fmt: skip
        if anonymous:
            seen[action] = _signed_out(response)
        elif uses:
            seen[action] = response.status_code == 200 and said in response.content
        else:
            seen[action] = response.status_code == 404 and name not in response.content

    # edit and delete: for who may manage it; a 404 for everyone else
    edit_page = client.get(reverse("connection-edit", args=[connection.pk]))
    edited = client.post(reverse("connection-edit", args=[connection.pk]),
                         {"kind": "openai_compatible", "name": NAMES[kind],
                          "base_url": "http://127.0.0.1:2/v1"})  # fmt: skip
    connection.refresh_from_db()
    moved = connection.base_url == "http://127.0.0.1:2/v1"
    deleted = client.post(reverse("connection-delete", args=[connection.pk]))
    gone = not Connection.objects.filter(pk=connection.pk).exists()
    if anonymous:
        seen["edit"] = _signed_out(edit_page) and _signed_out(edited) and not moved
        seen["delete"] = _signed_out(deleted) and not gone
    elif manages:
        seen["edit"] = edit_page.status_code == 200 and edited.status_code == 302 and moved
        seen["delete"] = deleted.status_code == 302 and gone
    else:
        seen["edit"] = (edit_page.status_code, edited.status_code, moved) == (404, 404, False)
        seen["edit"] = seen["edit"] and name not in edit_page.content
        seen["delete"] = deleted.status_code == 404 and not gone

    assert list(seen) == list(ACTIONS[:3]) + ["test", "model list", "edit", "delete"]
    assert {action: seen[action] for action in ACTIONS} == dict.fromkeys(ACTIONS, True)


@pytest.mark.django_db
def test_for_offers_the_site_to_admins_and_each_team_to_its_owners(world):
    people, _connections = world
    crew = people["team"]
    choices = {role: _client(people, role).get(reverse("connections")).context["form"]
               .fields["team"].choices for role in ("admin", "owner", "editor")}  # fmt: skip
    assert choices["admin"] == [("site", "Site — every account"),
                                (str(teams.personal_team(people["admin"]).pk), "Only me")]  # fmt: skip
    assert choices["owner"] == [(str(teams.personal_team(people["owner"]).pk), "Only me"),
                                (str(crew.pk), "Team: Crew")]  # fmt: skip
    assert choices["editor"] == [(str(teams.personal_team(people["editor"]).pk), "Only me")]
    editor = _client(people, "editor")
    fields = {"kind": "openai_compatible", "name": "Mine", "base_url": "http://127.0.0.1:9/v1"}
    for refused in ("site", str(crew.pk)):  # an editor adds neither the site's nor Crew's
        page = editor.post(reverse("connections"), {**fields, "team": refused})
        assert "Select a valid choice" in page.content.decode()
    mine = str(teams.personal_team(people["editor"]).pk)
    assert editor.post(reverse("connections"), {**fields, "team": mine}).status_code == 302
    added = Connection.objects.get(name="Mine")
    assert added.team == teams.personal_team(people["editor"]) and added.created_by_id
    page = editor.get(reverse("connections")).content.decode()
    assert "For: Only me" in page and f"/connections/{added.pk}/edit/" in page
    # the For stays as chosen: editing sends no team, and a team sent is not taken
    editor.post(reverse("connection-edit", args=[added.pk]),
                {**fields, "team": "site", "base_url": "http://127.0.0.1:3/v1"})  # fmt: skip
    added.refresh_from_db()
    assert added.team == teams.personal_team(people["editor"])
    assert added.base_url == "http://127.0.0.1:3/v1"


@pytest.mark.django_db
def test_a_name_is_unique_within_its_team_and_says_nothing_of_anyone_elses(world):
    people, _connections = world
    outsider = _client(people, "outsider")
    mine = str(teams.personal_team(people["outsider"]).pk)
    fields = {"kind": "openai_compatible", "base_url": "http://127.0.0.1:9/v1", "team": mine}
    # another's private name and Crew's are free for the outsider's own: nothing is told
    for taken in (NAMES["private"], NAMES["team"]):
        assert outsider.post(reverse("connections"), {**fields, "name": taken}).status_code == 302
    again = outsider.post(reverse("connections"), {**fields, "name": NAMES["private"].lower()})
    assert "A connection with this name exists" in again.content.decode()
    site = outsider.post(reverse("connections"), {**fields, "name": NAMES["site"]})
    assert site.status_code == 302  # the site's names do not bind one's own either
    owner = _client(people, "owner")
    clash = owner.post(reverse("connections"), {**fields, "team": str(people["team"].pk),
                                                "name": NAMES["team"]})  # fmt: skip
    assert "A connection with this name exists" in clash.content.decode()


@pytest.fixture
def shared(world):
    """The owner's conversation, shared with Crew, whose one pane uses the owner's private
    connection; one finished turn."""
    people, connections = world
    conversation = Conversation.objects.create(owner=people["owner"], team=people["team"],
                                               visibility="team", title="Shared plan")  # fmt: skip
    Pane.objects.create(conversation=conversation, position=0, model="gpt-4o",
                        connection=connections["private"])  # fmt: skip
    started = starting.start_turn(conversation, "Hello")  # the author may use it
    assert started.runs and not started.refused
    _finished(started.runs[0], "An answer.")
    return conversation, people, connections


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_a_teammate_never_learns_the_authors_private_connection(shared, role):
    conversation, people, connections = shared
    client = _client(people, role)
    name = NAMES["private"]
    pane = conversation.panes.get()
    responses = {
        "page": client.get(reverse("conversation", args=[conversation.pk])),
        "picker": client.get(reverse("model-picker", args=[conversation.pk]), {"pane": pane.pk}),
        "view code": client.get(reverse("pane-code", args=[conversation.pk, pane.pk])),
        "export": client.get(reverse("conversation-export-json", args=[conversation.pk])),
        "connections": client.get(reverse("connections")),
        "model list": client.get(reverse("model-options", args=[conversation.pk]),
                                 {"connection": connections["private"].pk, "pane": pane.pk}),
        "capabilities": client.get(reverse("model-capabilities", args=[conversation.pk]),
                                   {"connection": connections["private"].pk}),
    }  # fmt: skip
    for what, response in responses.items():
        assert name not in response.content.decode(), what
    assert responses["model list"].status_code == 404
    assert responses["capabilities"].status_code == 404
    page = responses["page"].content.decode()
    assert '<option value="kept" selected>A connection you may not use</option>' in page
    assert NAMES["site"] in page and NAMES["team"] in page  # what they may pick instead
    assert "is not one you may use" in responses["view code"].content.decode()
    exported = json.loads(responses["export"].content)
    assert exported["panes"][0]["connection"] is None
    # The author reads all of it.
    author = _client(people, "owner")
    assert name in author.get(reverse("conversation", args=[conversation.pk])).content.decode()
    exported = json.loads(author.get(reverse("conversation-export-json",
                                             args=[conversation.pk])).content)  # fmt: skip
    assert exported["panes"][0]["connection"] == {"name": name, "kind": "openai_compatible"}


@pytest.mark.django_db
def test_an_editor_changes_other_settings_and_keeps_the_connection_but_cannot_send(shared):
    conversation, people, connections = shared
    editor = _client(people, "editor")
    pane = conversation.panes.get()
    saved = editor.post(reverse("pane-settings", args=[conversation.pk, pane.pk]),
                        {"connection": "kept", "model": "gpt-4o", "temperature": "0.3"})  # fmt: skip
    assert "errorlist" not in saved.content.decode()
    assert NAMES["private"] not in saved.content.decode()  # the pane title it redraws
    pane.refresh_from_db()
    assert pane.connection == connections["private"] and pane.params == {"temperature": 0.3}
    with pytest.raises(ValidationError) as refused:
        starting.start_turn(conversation, "Me too", user_id=people["editor"].pk)
    assert refused.value.message_dict == {"connection": [NOT_YOURS]}
    assert NAMES["private"] not in str(refused.value)
    answer = Message.objects.get(conversation=conversation, role="assistant")
    again = rerunning.regenerate(conversation, answer.pk, every_pane=False,
                                 user_id=people["editor"].pk)  # fmt: skip
    assert again.runs == [] and [r.error_message for r in again.refused] == [NOT_YOURS]
    branch = rerunning.rerun_from(conversation, answer.turn.messages.get(role="user").pk,
                                  people["owner"], user_id=people["editor"].pk)  # fmt: skip
    assert branch.runs == [] and [r.error_message for r in branch.refused] == [NOT_YOURS]
    # choosing a connection they may use puts the pane back in their hands
    editor.post(reverse("pane-settings", args=[conversation.pk, pane.pk]),
                {"connection": str(connections["team"].pk), "model": "gpt-4o"})  # fmt: skip
    started = starting.start_turn(conversation, "Now", user_id=people["editor"].pk)
    assert len(started.runs) == 1 and not started.refused


@pytest.mark.django_db
def test_answering_tool_calls_is_refused_on_a_connection_one_may_not_use(shared):
    conversation, people, _connections = shared
    started = starting.start_turn(conversation, "What time is it?")
    _finished(started.runs[0], "", tool_calls=[{"id": "c1", "name": "clock", "arguments": {}}])
    answered = started.runs[0].message_id
    with pytest.raises(starting.ToolResultsError, match="not one you may use"):
        starting.start_tool_turn(conversation, answered, {"c1": "12:00"},
                                 user_id=people["editor"].pk)  # fmt: skip
    assert not Message.objects.filter(conversation=conversation, role="tool").exists()
    going_on = starting.start_tool_turn(conversation, answered, {"c1": "12:00"},
                                        user_id=people["owner"].pk)  # fmt: skip
    assert len(going_on.runs) == 1


@pytest.mark.django_db
def test_a_removed_member_can_no_longer_send_through_the_teams_connection(world):
    people, connections = world
    editor = people["editor"]
    conversation = Conversation.objects.create(owner=editor)
    Pane.objects.create(conversation=conversation, position=0, model="gpt-4o",
                        connection=connections["team"])  # fmt: skip
    started = starting.start_turn(conversation, "Before", user_id=editor.pk)
    assert len(started.runs) == 1
    _finished(started.runs[0], "Fine.")
    teams.remove(people["team"], people["owner"], editor.pk)
    with pytest.raises(ValidationError) as refused:
        starting.start_turn(conversation, "After", user_id=editor.pk)
    assert refused.value.message_dict == {"connection": [NOT_YOURS]}
    assert not Run.objects.filter(conversation=conversation, status="streaming").exists()
    client = _client(people, "editor")
    assert client.post(reverse("connection-test", args=[connections["team"].pk])).status_code == 404
    page = client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert NAMES["team"] not in page and "A connection you may not use" in page


@pytest.mark.django_db
def test_the_attachments_hint_names_only_connections_the_sender_may_use(world, make_connection):
    people, _connections = world
    owner = people["owner"]
    able_site = make_connection(name="Site Gemini", kind="google_genai", base_url="")
    make_connection(name="Hidden Gemini", kind="google_genai", base_url="",
                    team=teams.personal_team(people["outsider"]))  # fmt: skip
    mine = make_connection(name="Own Gemini", kind="google_genai", base_url="",
                           team=teams.personal_team(owner))  # fmt: skip
    text_only = make_connection(name="Local llama", kind="ollama", base_url="http://127.0.0.1:9")
    conversation = Conversation.objects.create(owner=owner)
    Pane.objects.create(conversation=conversation, position=0, model="llama3.2",
                        connection=text_only)  # fmt: skip
    photo = attachments.store_upload(conversation, owner,
                                     as_file(jpeg_with_gps(), "map.jpg", "image/jpeg"))  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        starting.start_turn(conversation, "What is this?", [str(photo.pk)], user_id=owner.pk)
    said = str(refused.value)
    assert "cannot take images" in said
    assert able_site.name in said and mine.name in said and "Hidden Gemini" not in said


@pytest.mark.django_db
def test_an_import_matches_only_a_connection_the_importer_may_use(shared, make_connection):
    conversation, people, connections = shared
    raw = transfer.export_json(conversation, usable=permissions.usable_connections(
        people["owner"]))  # fmt: skip
    assert NAMES["private"].encode() in raw  # the author's own file names it
    outsider = people["outsider"]
    copy = transfer.import_conversation(outsider, raw)
    assert copy.panes.get().connection is None  # the owner's is not theirs
    theirs = make_connection(name=NAMES["private"], team=teams.personal_team(outsider))
    again = transfer.import_conversation(outsider, raw)
    assert again.panes.get().connection == theirs
    back = transfer.import_conversation(people["owner"], raw)
    assert back.panes.get().connection == connections["private"]


@pytest.mark.django_db
def test_deleting_an_account_takes_its_private_connections_with_it(shared):
    conversation, people, connections = shared
    Conversation.objects.filter(pk=conversation.pk).update(owner=people["admin"])
    people["owner"].delete()
    assert not Connection.objects.filter(pk=connections["private"].pk).exists()
    assert Connection.objects.filter(pk=connections["site"].pk).exists()
    assert conversation.panes.get().connection is None  # the pane asks for another


@pytest.mark.django_db(transaction=True)
async def test_the_socket_hides_the_name_and_refuses_the_send_before_any_request(world):
    people, connections = world
    conversation = await Conversation.objects.acreate(owner=people["owner"], visibility="team",
                                                      team=people["team"])  # fmt: skip
    await Pane.objects.acreate(conversation=conversation, position=0, model="gpt-4o",
                               connection=connections["private"])  # fmt: skip
    tab = Tab(people["editor"], conversation.pk)
    assert (await tab.connect())[0]
    panes = await tab.until("panes-wrap")  # the whole panes block, drawn for this viewer
    assert NAMES["private"] not in panes and "A connection you may not use" in panes
    assert NAMES["team"] in panes
    await tab.communicator.send_json_to({"action": "send", "message": "Hi", "nonce": "n"})
    refused = await tab.until("not one you may use")
    assert NAMES["private"] not in refused
    assert not await Message.objects.filter(conversation=conversation).aexists()
    await tab.close()
