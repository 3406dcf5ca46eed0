"""The library's tools (library/tools.py): definitions checked as every provider requires,
versions that never change, import and export of an OpenAI `tools` array, and fixtures
matched to a call by its arguments."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from accounts import teams
from library import tools
from library.models import ImmutableVersion, Tool, ToolFixture, ToolVersion

pytestmark = pytest.mark.django_db

WEATHER = {"type": "function", "function": {
    "name": "weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}  # fmt: skip


@pytest.fixture
def team():
    ada = get_user_model().objects.create_user("ada")
    return teams.create_team("Crew", ada), ada


@pytest.mark.parametrize(
    ("definition", "says"),
    [({"description": "no name"}, "needs a name"), ({"name": "has space"}, "letters, digits"),
     ({"name": "w", "parameters": {"type": "objekt"}}, "not valid JSON Schema"),
     ("not an object", "JSON object")],
)  # fmt: skip
def test_definitions_no_provider_would_take_are_refused_with_the_reason(team, definition, says):
    with pytest.raises(tools.ToolRefused, match=says):
        tools.save_tool(*team, definition)
    assert not Tool.objects.exists()


def test_saving_again_makes_a_version_and_versions_never_change(team):
    first = tools.save_tool(*team, WEATHER)
    assert (first.number, first.tool.name, first.parameters["required"]) == (1, "weather", ["city"])
    with pytest.raises(tools.ToolRefused, match="Nothing changed"):
        tools.save_tool(*team, WEATHER)
    changed = {**WEATHER["function"], "description": "Weather, in Celsius."}
    second = tools.save_tool(*team, changed)
    assert second.number == 2 and second.tool_id == first.tool_id
    first.description = "edited"
    with pytest.raises(ImmutableVersion):
        first.save()


def test_an_openai_tools_array_imports_whole_or_not_at_all_and_exports_back(team):
    clock = {"name": "clock", "parameters": {"type": "object", "properties": {}}}
    with pytest.raises(tools.ToolRefused, match="Tool 2: .*Nothing was imported"):
        tools.import_tools(*team, json.dumps([WEATHER, {"name": "bad name"}]))
    assert not Tool.objects.exists()
    saved = tools.import_tools(*team, json.dumps([WEATHER, clock]))
    assert [v.tool.name for v in saved] == ["weather", "clock"]
    again = tools.import_tools(*team, json.dumps([WEATHER]))  # unchanged: no new version
    assert again[0].pk == saved[0].pk and ToolVersion.objects.count() == 2
    assert tools.exported(saved)[0] == {"type": "function", "function": {
        "name": "weather", "description": "The weather in a city.",
        "parameters": WEATHER["function"]["parameters"]}}  # fmt: skip


def test_the_most_exact_matching_fixture_answers_a_call(team):
    version = tools.save_tool(*team, WEATHER)
    tool, ada = version.tool, team[1]
    anywhere = tools.add_fixture(tool, ada, '{"city": "*"}', "Mild.")
    paris = tools.add_fixture(tool, ada, '{"city": "Paris"}', "Rain in Paris.")
    fixtures = list(ToolFixture.objects.all())
    assert tools.matching(fixtures, {"city": "Paris"}) == paris
    assert tools.matching(fixtures, {"city": "Oslo"}) == anywhere
    assert tools.matching(fixtures, {}) is None  # "*" needs the argument to be there
    with pytest.raises(tools.ToolRefused, match="JSON object"):
        tools.add_fixture(tool, ada, "[1]", "x")
    with pytest.raises(tools.ToolRefused, match="Type the result"):
        tools.add_fixture(tool, ada, "{}", "  ")


def test_the_tool_pages_add_refuse_and_keep_others_out(team, client, django_user_model):
    from django.urls import reverse

    from accounts.models import Membership

    crew, ada = team
    viewer = django_user_model.objects.create_user("cy")
    Membership.objects.create(team=crew, user=viewer, role="viewer")
    outsider = django_user_model.objects.create_user("dee")
    client.force_login(ada)
    added = client.post(reverse("library-tool-add"),
                        {"team": crew.pk, "definition": json.dumps(WEATHER)})  # fmt: skip
    tool = Tool.objects.get()
    assert added.status_code == 302 and added["Location"] == f"/library/t/{tool.pk}/"
    refused = client.post(reverse("library-tool-add"),
                          {"team": crew.pk, "definition": "{nope"}, follow=True)  # fmt: skip
    assert b"A tool is JSON" in refused.content and Tool.objects.count() == 1

    client.force_login(viewer)
    assert client.get(reverse("library-tool", args=[tool.pk])).status_code == 200
    fixture = client.post(reverse("library-tool-fixture", args=[tool.pk]),
                          {"arguments": "{}", "result": "x"})  # fmt: skip
    assert fixture.status_code == 404 and not ToolFixture.objects.exists()
    exported = json.loads(client.get(reverse("library-tools-export")).content)
    assert [t["function"]["name"] for t in exported] == ["weather"]

    client.force_login(outsider)
    assert client.get(reverse("library-tool", args=[tool.pk])).status_code == 404
    assert b"<code>weather</code>" not in client.get(reverse("library-tools")).content
    assert json.loads(client.get(reverse("library-tools-export")).content) == []


def test_save_as_fixture_keeps_a_typed_result_for_calls_with_the_same_arguments(team, client):
    from django.urls import reverse

    from chat.models import Conversation, Message, Pane, Turn

    crew, ada = team
    conversation = Conversation.objects.create(owner=ada)
    pane = Pane.objects.create(conversation=conversation, position=0, tools=[WEATHER])
    turn = Turn.objects.create(conversation=conversation)
    Message.objects.create(conversation=conversation, turn=turn, pane=pane, role="assistant",
                           tool_calls=[{"id": "c1", "name": "weather",
                                        "arguments": {"city": "Oslo"}}])  # fmt: skip
    typed = Message.objects.create(conversation=conversation, turn=turn, pane=pane, role="tool",
                                   content="Snow.", tool_call_id="c1", tool_name="weather")  # fmt: skip
    client.force_login(ada)
    saved = client.post(reverse("library-fixture-from-message", args=[typed.pk]))
    assert saved.status_code == 204
    fixture = ToolFixture.objects.get()
    assert (fixture.arguments, fixture.result, fixture.tool.name) == ({"city": "Oslo"}, "Snow.",
                                                                      "weather")  # fmt: skip
    assert fixture.tool.team.personal_for == ada  # no library tool yet: the pane's, for ada
    Pane.objects.filter(pk=pane.pk).update(tools=[])
    tools.save_tool(crew, ada, WEATHER)  # now the team has one too (newest first)
    client.post(reverse("library-fixture-from-message", args=[typed.pk]))
    assert ToolFixture.objects.latest("pk").tool.team == crew


def test_the_chat_finds_fixture_answers_for_its_owners_calls_only(team, django_user_model):
    from chat import tool_answers
    from chat.models import Conversation

    crew, ada = team
    tool = tools.save_tool(crew, ada, WEATHER).tool
    tools.add_fixture(tool, ada, '{"city": "*"}', "Mild.")
    calls = [{"id": "c1", "name": "weather", "arguments": {"city": "Rome"}},
             {"id": "c2", "name": "clock", "arguments": {}}]  # fmt: skip
    mine = Conversation.objects.create(owner=ada)
    assert tool_answers.saved_answers(mine, calls) == {"c1": "Mild."}
    stranger = Conversation.objects.create(owner=django_user_model.objects.create_user("zed"))
    assert tool_answers.saved_answers(stranger, calls) == {}


def test_a_shared_conversation_offers_only_the_fixtures_its_team_may_see(team):
    """Its cards are one page for every member: the author's private tools, and the tools of
    their other teams, give no result there; in their own conversation they do."""
    from chat import tool_answers
    from chat.models import Conversation

    crew, ada = team
    other = teams.create_team("Elsewhere", ada)
    shared_tool = tools.save_tool(crew, ada, WEATHER).tool  # a tool is the team's by default
    tools.add_fixture(shared_tool, ada, '{"city": "Rome"}', "Shared: mild.")
    private = tools.save_tool(crew, ada, {**WEATHER["function"], "name": "clock"}).tool
    Tool.objects.filter(pk=private.pk).update(visibility="private")
    tools.add_fixture(private, ada, "{}", "Private: noon.")
    elsewhere = tools.save_tool(other, ada, {**WEATHER["function"], "name": "moon"}).tool
    tools.add_fixture(elsewhere, ada, "{}", "Elsewhere: full.")
    calls = [{"id": "w", "name": "weather", "arguments": {"city": "Rome"}},
             {"id": "c", "name": "clock", "arguments": {}},
             {"id": "m", "name": "moon", "arguments": {}}]  # fmt: skip
    own = Conversation.objects.create(owner=ada)
    assert tool_answers.saved_answers(own, calls) == {
        "w": "Shared: mild.", "c": "Private: noon.", "m": "Elsewhere: full."}  # fmt: skip
    shared = Conversation.objects.create(owner=ada, team=crew, visibility="team")
    assert tool_answers.saved_answers(shared, calls) == {"w": "Shared: mild."}


def test_a_call_card_offers_answer_with_fixture_when_a_fixture_matches(team):
    from chat import frames
    from chat.display import MessageDisplay
    from chat.models import Conversation, Message

    crew, ada = team
    tools.add_fixture(tools.save_tool(crew, ada, WEATHER).tool, ada, '{"city": "Paris"}',
                      'Rain "all day"')  # fmt: skip
    conversation = Conversation.objects.create(owner=ada)

    def card(city: str) -> str:
        asked = Message.objects.create(conversation=conversation, role="assistant", tool_calls=[
            {"id": f"c-{city}", "name": "weather", "arguments": {"city": city}}])  # fmt: skip
        return frames.message_html(MessageDisplay.of(asked, related=False), 0)

    offered = card("Paris")
    assert "Answer with fixture" in offered and 'data-result="Rain &quot;all day&quot;"' in offered
    assert "Answer with fixture" not in card("Oslo")


def test_a_finished_runs_frame_uses_the_answers_looked_up_before_it_is_drawn():
    from chat import frames
    from chat.display import MessageDisplay

    call = {"id": "c9", "name": "weather", "arguments": {"city": "Rome"}}
    shown = MessageDisplay(pk=10**9, role="assistant", status="done", pane_id=1,
                           tool_calls=[call], saved_answers={"c9": "Sunny."})  # fmt: skip
    frame = frames.final_answer({"run_id": "r-fixture", "message": shown.to_data()})
    assert 'data-result="Sunny."' in frame  # and no query was needed to draw it
