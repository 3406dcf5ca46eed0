"""The permission matrix over HTTP: every case of table_views.py for every role, in the team
world and in the private one. Whoever may not see an object gets 404 and reads its name
nowhere; a refused write changes nothing in the database; the team connection's key is in
no answer to anyone; signed out, every page leads to sign-in (the project's rule:
accounts.middleware sends every path but sign-in, set-up and invites to /login/)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse

from accounts import permissions
from chat.models import Pane
from compare.models import Vote
from library import tools, transfer
from library.models import SchemaVersion, ToolVersion
from tests.permissions.conftest import (
    API_KEY,
    AUTHOR,
    MEMBERS,
    ROLES,
    STEM,
    build_world,
    name,
)
from tests.permissions.table_views import CASES, LISTINGS, Case, Listing, tool_definition

pytestmark = pytest.mark.django_db

WORLDS = ("team", "private")
LOGIN = reverse("login")
STATE_APPS = ("accounts", "chat", "connections", "library", "compare")


def cells(items: list[Any]) -> list[Any]:
    out = []
    for item in items:
        for visibility in WORLDS:
            for role in ROLES:
                out.append(pytest.param(item, visibility, role,
                                        id=f"{item.id}-{visibility}-{role}"))  # fmt: skip
    return out


def database_state() -> list[tuple[str, list[dict]]]:
    """Every row of the project's own tables and the accounts: what a refused request must
    leave exactly as it was."""
    models = [model for label in STATE_APPS for model in apps.get_app_config(label).get_models()]
    models.append(get_user_model())
    return [(model._meta.label, list(model.objects.order_by("pk").values())) for model in models]


def answer_text(response) -> str:  # type: ignore[no-untyped-def]
    """The body and the headers (a file name, a redirect's Location) as one text."""
    if response.streaming:
        body = b"".join(response.streaming_content)
        response.close()
    else:
        body = response.content
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    return body.decode("utf-8", "replace") + "\n" + headers


def seers(visibility: str) -> frozenset[str]:
    """Who may see the world's objects."""
    return MEMBERS if visibility == "team" else AUTHOR


def signed_out(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and response["Location"].startswith(f"{LOGIN}?next=")


def landed(response) -> bool:  # type: ignore[no-untyped-def]
    """A success: not a redirect to sign-in."""
    return response.status_code != 302 or not response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(("case", "visibility", "role"), cells(CASES))
def test_each_action_for_each_role(case: Case, visibility: str, role: str):
    world = build_world(visibility)
    if case.setup:
        case.setup(world)
    client = world.client(role)
    url = case.url(world, role)
    data = case.data(world, role) if case.data else {}
    before = database_state()
    send = client.post if case.method == "POST" else client.get
    response = send(url, data)
    text = answer_text(response)
    status = response.status_code
    assert API_KEY not in text

    if role == "anonymous":
        assert signed_out(response), (status, response.get("Location"))
        assert STEM not in text
        assert database_state() == before
        return
    if role in case.allowed_in(visibility):
        assert status in case.ok and landed(response), (status, text[:300])
        if case.writes:
            assert database_state() != before, "an allowed write changed nothing"
        return
    hidden = case.names_object and role not in case.sees_in(visibility)
    assert status in ({404} if hidden else case.refused), (status, text[:300])
    if status == 404 or role not in seers(visibility):
        # A refusal names nothing; a page that says why (400) still has the sidebar, which
        # lists the shared conversation for the members who may see it.
        assert STEM not in text
    assert database_state() == before


@pytest.mark.parametrize(("listing", "visibility", "role"), cells(LISTINGS))
def test_each_list_names_exactly_what_one_may_see(listing: Listing, visibility: str, role: str):
    world = build_world(visibility)
    if listing.setup:
        listing.setup(world, role)
    response = world.client(role).get(listing.url(world, role))
    text = answer_text(response)
    assert API_KEY not in text
    if role == "anonymous":
        assert signed_out(response)
        assert STEM not in text
        return
    assert response.status_code == 200
    assert (listing.wanted in text) == (role in listing.allowed_in(visibility))
    if role not in seers(visibility) and listing.stem_free:
        assert STEM not in text


@pytest.mark.parametrize("role", ROLES)
def test_the_team_key_is_in_no_answer_even_where_it_is_used(role: str):
    """The shared conversation's pane on the team connection: its page, View code, the
    exports, the pickers, the Connections page and its forms never carry the key."""
    world = build_world("team")
    pane = world.conversation.panes.get()
    Pane.objects.filter(pk=pane.pk).update(connection=world.connection)
    client = world.client(role)
    c, conn = world.conversation.pk, world.connection.pk
    urls = [
        reverse("conversation", args=[c]),
        reverse("pane-code", args=[c, pane.pk]),
        reverse("pane-code", args=[c, pane.pk]) + "?file=request.json",
        reverse("conversation-export-json", args=[c]),
        reverse("conversation-export-markdown", args=[c]),
        reverse("model-picker", args=[c]) + f"?pane={pane.pk}",
        reverse("model-options", args=[c]) + f"?pane={pane.pk}&connection={conn}",
        reverse("connections"),
        reverse("connection-edit", args=[conn]),
    ]
    for url in urls:
        assert API_KEY not in answer_text(client.get(url)), url
    assert API_KEY not in answer_text(client.post(reverse("connection-test", args=[conn])))


# -- votes: no views yet (they arrive with the arena); the rule they will be asked by ---------


@pytest.mark.parametrize("visibility", WORLDS)
def test_a_vote_is_visible_only_to_those_who_may_see_its_conversation(visibility: str):
    world = build_world(visibility)
    vote = Vote.objects.create(turn=world.question.turn, team=world.team,
                               voter=world.people["author"], outcome=Vote.Outcome.A,
                               contestants=[{"label": "A", "name": name("vote")}])  # fmt: skip
    for role in ROLES:
        user = world.user(role) or AnonymousUser()
        found = permissions.visible(user, Vote.objects, owner="turn__conversation__owner")
        assert list(found) == ([vote] if role in seers(visibility) else []), role


def test_votes_have_no_page_yet_not_even_in_the_admin(admin_client):
    """Until the arena's views, no URL serves a vote: the admin does not list them either."""
    assert admin_client.get("/admin/compare/vote/").status_code == 404


@pytest.mark.parametrize("kind", ["tool", "schema"])
def test_a_private_items_name_is_no_way_into_it(kind: str):
    world = build_world("private")
    if kind == "tool":
        url = reverse("library-tool-add")
        data = {"team": str(world.team.pk), "definition": tool_definition(name("tool"), "Mine.")}
        versions = ToolVersion.objects.filter(tool=world.tool)
    else:
        url = reverse("library-schema-add")
        data = {"team": str(world.team.pk), "name": name("schema"),
                "body": '{"type": "object", "properties": {"mine": {"type": "string"}}}'}  # fmt: skip
        versions = SchemaVersion.objects.filter(schema=world.schema)
    before = list(versions.values())
    answer = world.client("editor").post(url, data, follow=True)
    assert list(versions.values()) == before
    assert "pick another name" in answer.content.decode()


@pytest.mark.parametrize("world_kind", ["private", "team"])
def test_a_tools_name_in_an_imported_array_or_prompt_file_is_no_way_into_it(world_kind: str):
    """The import paths find tools by name too: into a private tool, refused whole; into the
    team's own tool, the editor's new definition is its next version."""
    world = build_world(world_kind)
    editor = world.people["editor"]
    before = list(ToolVersion.objects.filter(tool=world.tool).values())
    definition = json.loads(tool_definition(name("tool"), "Theirs now."))
    if world_kind == "private":
        with pytest.raises(tools.ToolRefused, match="pick another name"):
            tools.import_tools(world.team, editor, json.dumps([definition]))
        item = {"name": name("tool"), "tags": [], "fixtures": [],
                "versions": [{"number": 1, **definition}]}  # fmt: skip
        with pytest.raises(transfer.TransferRefused, match="pick another name"):
            with transaction.atomic():
                transfer._imported_tool(world.team, editor, item, set())
        assert list(ToolVersion.objects.filter(tool=world.tool).values()) == before
    else:
        [saved] = tools.import_tools(world.team, editor, json.dumps([definition]))
        assert saved.tool_id == world.tool.pk and saved.description == "Theirs now."
