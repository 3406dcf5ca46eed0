"""Delete for a library tool and an output schema (library/tool_views.py, schema_views.py):
one nothing uses goes, with its versions (and fixtures); one a prompt version uses is
archived instead — kept, readable, listed nowhere — with a message naming the prompts, so
no saved version and no old run breaks. Editors and owners delete; the others get 404."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts import teams
from accounts.models import Membership, Role
from chat.by_hand import ByHand, add_by_hand
from chat.models import Conversation, Pane
from library import saving, schemas, tools
from library.models import OutputSchema, Prompt, SchemaVersion, Tool, ToolFixture, ToolVersion

pytestmark = pytest.mark.django_db

WEATHER = {"name": "weather", "description": "The weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}  # fmt: skip
ANSWER = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


@pytest.fixture
def crew():
    User = get_user_model()
    people = {name: User.objects.create_user(name) for name in ("ada", "bob", "cy", "dee")}
    team = teams.create_team("Crew", people["ada"])
    Membership.objects.create(team=team, user=people["bob"], role=Role.EDITOR)
    Membership.objects.create(team=team, user=people["cy"], role=Role.VIEWER)
    return team, people  # dee is in no team of theirs


@pytest.fixture
def pane(crew, make_connection):
    _team, people = crew
    conversation = Conversation.objects.create(owner=people["ada"])
    pane = Pane.objects.create(conversation=conversation, position=0, model="small",
                               connection=make_connection(name="Local"),
                               system_prompt="You help.")  # fmt: skip
    add_by_hand(conversation, ByHand("user", "What is the weather in Oslo?"))
    return pane


def _as(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _said(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in get_messages(response.wsgi_request)]


def _tool(crew) -> Tool:  # type: ignore[no-untyped-def]
    team, people = crew
    version = tools.save_tool(team, people["ada"], WEATHER)
    tools.add_fixture(version.tool, people["ada"], '{"city": "*"}', "Mild.")
    return version.tool


def _schema(crew) -> OutputSchema:  # type: ignore[no-untyped-def]
    team, people = crew
    return schemas.save_schema(team, people["ada"], "Answer", json.dumps(ANSWER)).schema


def _saved_twice(crew, pane, name: str = "Support bot", **changes):  # type: ignore[no-untyped-def]
    """A prompt of two versions, both saved from `pane` once `changes` are made to it."""
    team, people = crew
    Pane.objects.filter(pk=pane.pk).update(**changes)
    pane.refresh_from_db()
    first = saving.save_new_prompt(pane, people["ada"], team, name)
    pane.model = "large"
    pane.save()
    return first, saving.save_version(first.prompt, pane, people["ada"])


# -- tools -------------------------------------------------------------------------------------


def test_a_tool_nothing_pins_is_deleted_with_its_versions_and_fixtures(crew):
    tool = _tool(crew)
    response = _as(crew[1]["ada"]).post(reverse("library-tool-delete", args=[tool.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("library-tools")
    assert _said(response) == ["Deleted weather."]
    assert not Tool.objects.exists() and not ToolVersion.objects.exists()
    assert not ToolFixture.objects.exists()


def test_a_pinned_tool_is_archived_naming_the_prompt_and_its_versions_still_open(crew, pane):
    tool = _tool(crew)
    first, second = _saved_twice(crew, pane, tools=[WEATHER])
    assert [pin["tool"] for pin in second.tool_versions] == [tool.pk]  # the premise
    ada, cy = _as(crew[1]["ada"]), _as(crew[1]["cy"])
    response = ada.post(reverse("library-tool-delete", args=[tool.pk]))
    assert response["Location"] == reverse("library-tools")
    assert _said(response) == ["Archived weather: prompt “Support bot” v1 and v2 pin it, so it "
                               "is kept for them."]  # fmt: skip
    kept = Tool.objects.get(pk=tool.pk)
    assert kept.archived and kept.versions.count() == 1 and kept.fixtures.count() == 1
    # Still readable by the versions and prompts that pin it...
    prompt_page = cy.get(reverse("library-prompt", args=[first.prompt_id]))
    assert prompt_page.status_code == 200
    assert reverse("library-tool", args=[tool.pk]) in prompt_page.content.decode()
    tool_page = cy.get(reverse("library-tool", args=[tool.pk]))
    assert tool_page.status_code == 200 and b"archived" in tool_page.content
    opened = cy.post(reverse("library-open", args=[first.prompt_id]), {"version": "1"})
    assert opened.status_code == 302
    new_pane = Pane.objects.filter(conversation__owner=crew[1]["cy"]).get()
    assert new_pane.tools == [WEATHER] and new_pane.source["version"] == first.pk
    # ...and listed nowhere.
    assert b"<code>weather</code>" not in ada.get(reverse("library-tools")).content
    assert b"<code>weather</code>" not in ada.get(reverse("library")).content
    assert b"<code>weather</code>" in ada.get(reverse("library"), {"archived": "1"}).content


def test_the_archiving_message_names_no_prompt_the_deleter_cannot_see(crew, pane):
    tool = _tool(crew)
    _first, second = _saved_twice(crew, pane, "Private bot", tools=[WEATHER])
    Prompt.objects.filter(pk=second.prompt_id).update(visibility=Prompt.Visibility.PRIVATE)
    response = _as(crew[1]["bob"]).post(reverse("library-tool-delete", args=[tool.pk]))
    assert _said(response) == ["Archived weather: 1 prompt you cannot see pins it, so it is "
                               "kept for that prompt."]  # fmt: skip
    assert Tool.objects.get(pk=tool.pk).archived


def test_a_tool_is_deleted_by_editors_only_by_post_and_others_find_nothing(crew):
    tool = _tool(crew)
    url = reverse("library-tool-delete", args=[tool.pk])
    for name in ("cy", "dee"):
        assert _as(crew[1][name]).post(url).status_code == 404, name
    assert _as(crew[1]["ada"]).get(url).status_code == 405
    assert Tool.objects.filter(pk=tool.pk, archived=False).exists()
    assert ToolVersion.objects.count() == 1 and ToolFixture.objects.count() == 1
    page = reverse("library-tool", args=[tool.pk])
    assert b">Delete tool</button>" not in _as(crew[1]["cy"]).get(page).content
    shown = _as(crew[1]["bob"]).get(page).content.decode()
    assert ">Delete tool</button>" in shown and f'action="{url}"' in shown
    assert "data-confirm=" in shown and "csrfmiddlewaretoken" in shown
    assert _as(crew[1]["bob"]).post(url).status_code == 302
    assert not Tool.objects.exists()


def test_the_delete_needs_the_csrf_token(crew):
    tool = _tool(crew)
    client = Client(enforce_csrf_checks=True)
    client.force_login(crew[1]["ada"])
    assert client.post(reverse("library-tool-delete", args=[tool.pk])).status_code == 403
    assert Tool.objects.filter(pk=tool.pk).exists()


def test_adding_a_tool_of_an_archived_ones_name_lists_it_again(crew):
    team, people = crew
    tool = _tool(crew)
    Tool.objects.filter(pk=tool.pk).update(archived=True)
    changed = {**WEATHER, "description": "Weather, in Celsius."}
    _as(people["ada"]).post(reverse("library-tool-add"),
                            {"team": team.pk, "definition": json.dumps(changed)})  # fmt: skip
    again = Tool.objects.get(pk=tool.pk)
    assert not again.archived and again.versions.count() == 2


# -- output schemas ----------------------------------------------------------------------------


def test_a_schema_no_version_answers_in_is_deleted_with_its_versions(crew, pane):
    schema = _schema(crew)
    _saved_twice(crew, pane, output_schema={"type": "object"})  # another shape: not a use
    response = _as(crew[1]["ada"]).post(reverse("library-schema-delete", args=[schema.pk]))
    assert response["Location"] == reverse("library-schemas")
    assert _said(response) == ["Deleted Answer."]
    assert not OutputSchema.objects.exists() and not SchemaVersion.objects.exists()


def test_a_schema_a_prompt_version_answers_in_is_archived_and_its_versions_still_open(crew,
                                                                                      pane):  # fmt: skip
    schema = _schema(crew)
    version = SchemaVersion.objects.get(schema=schema)
    Pane.objects.filter(pk=pane.pk).update(output_schema=version.body)  # as "Use in pane" does
    first, _second = _saved_twice(crew, pane)
    ada, cy = _as(crew[1]["ada"]), _as(crew[1]["cy"])
    response = ada.post(reverse("library-schema-delete", args=[schema.pk]))
    assert _said(response) == ["Archived Answer: prompt “Support bot” v1 and v2 answer in its "
                               "shape, so it is kept for them."]  # fmt: skip
    kept = OutputSchema.objects.get(pk=schema.pk)
    assert kept.archived and kept.versions.get().body == ANSWER
    schema_page = cy.get(reverse("library-schema", args=[schema.pk]))
    assert schema_page.status_code == 200 and b"archived" in schema_page.content
    assert cy.get(reverse("library-prompt", args=[first.prompt_id])).status_code == 200
    assert cy.post(reverse("library-open", args=[first.prompt_id]),
                   {"version": "1"}).status_code == 302  # fmt: skip
    assert Pane.objects.filter(conversation__owner=crew[1]["cy"]).get().output_schema == ANSWER
    listed = f'href="{reverse("library-schema", args=[schema.pk])}"'
    assert listed not in ada.get(reverse("library-schemas")).content.decode()
    assert listed not in ada.get(reverse("library")).content.decode()
    assert listed in ada.get(reverse("library"), {"archived": "1"}).content.decode()


def test_a_schema_is_deleted_by_editors_only_by_post_and_others_find_nothing(crew):
    schema = _schema(crew)
    url = reverse("library-schema-delete", args=[schema.pk])
    for name in ("cy", "dee"):
        assert _as(crew[1][name]).post(url).status_code == 404, name
    assert _as(crew[1]["ada"]).get(url).status_code == 405
    assert OutputSchema.objects.filter(pk=schema.pk, archived=False).exists()
    assert SchemaVersion.objects.count() == 1
    page = reverse("library-schema", args=[schema.pk])
    assert b">Delete schema</button>" not in _as(crew[1]["cy"]).get(page).content
    shown = _as(crew[1]["bob"]).get(page).content.decode()
    assert ">Delete schema</button>" in shown and "data-confirm=" in shown
    assert _as(crew[1]["bob"]).post(url).status_code == 302
    assert not OutputSchema.objects.exists()


def test_the_users_are_named_by_prompt_and_version_the_unseen_only_counted(crew):
    from library.models import PromptVersion
    from library.tool_views import users_named

    team, people = crew
    made = []
    for name, numbers, visibility in (
        ("Triage", [1], "team"),
        ("Support bot", [3, 2], "team"),
        ("Secret", [1], "private"),
        ("Other", [4], "private"),
    ):
        prompt = Prompt.objects.create(team=team, name=name, owner=people["ada"],
                                       visibility=visibility)  # fmt: skip
        made += [PromptVersion.objects.create(prompt=prompt, number=n) for n in numbers]
    verbs = ("pins it", "pin it")
    assert users_named(people["bob"], made, verbs) == (
        "prompts “Triage” v1, “Support bot” v2 and v3, plus 2 prompts you cannot see pin it, "
        "so it is kept for them")  # fmt: skip
    assert users_named(people["bob"], made[:1], verbs) == (
        "prompt “Triage” v1 pins it, so it is kept for that version")  # fmt: skip
    assert users_named(people["ada"], made[3:], verbs) == (
        "prompts “Secret” v1, “Other” v4 pin it, so it is kept for them")  # fmt: skip
