"""The library (library/): a pane saved as a prompt and saved again as new versions that
never change, labels moved with their history, {{variables}} filled when a version opens in
the playground, several versions × models compared as panes, and who may do what."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import teams
from accounts.models import Membership, Role
from chat.by_hand import ByHand, add_by_hand
from chat.models import Conversation, Message, Pane
from library import opening, saving, variables
from library.models import ImmutableVersion, LabelMove, Prompt, PromptVersion
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew():
    User = get_user_model()
    people = {name: User.objects.create_user(name, password=PASSWORD)
              for name in ("ada", "bob", "cy", "dee")}  # fmt: skip
    team = teams.create_team("Crew", people["ada"])
    Membership.objects.create(team=team, user=people["bob"], role=Role.EDITOR)
    Membership.objects.create(team=team, user=people["cy"], role=Role.VIEWER)
    return team, people


@pytest.fixture
def pane(crew, make_connection):
    _team, people = crew
    conversation = Conversation.objects.create(owner=people["ada"])
    pane = Pane.objects.create(conversation=conversation, position=0, model="small",
                               connection=make_connection(name="Local"),
                               system_prompt="You translate into {{language}}.",
                               params={"temperature": 0.2})  # fmt: skip
    add_by_hand(conversation, ByHand("user", "Translate: {{text}}"))
    return pane


def test_variables_are_found_checked_and_filled_in_one_pass():
    names = variables.names_in(["Hi {{ name }}, {{place}} and {{name}} again", "{{bad-name}}"])
    assert names == ["name", "place"]
    with pytest.raises(variables.NotFilled, match=r"Fill in \{\{place\}\}"):
        variables.check(names, {"name": "Ada", "place": " "})
    with pytest.raises(variables.NotFilled, match=r"has no \{\{plcae\}\}"):
        variables.check(names, {"name": "Ada", "place": "Oslo", "plcae": "x"})
    assert variables.compiled("{{name}} in {{ place }}", {"name": "{{place}}", "place": "Oslo"}
                              ) == "{{place}} in Oslo"  # a value is not a template  # fmt: skip


def test_saving_a_pane_makes_versions_that_never_change(crew, pane):
    team, people = crew
    first = saving.save_new_prompt(pane, people["ada"], team, "Translator", "First try")
    assert (first.number, first.model, first.connection_name) == (1, "small", "Local")
    assert first.messages == [{"role": "user", "content": "Translate: {{text}}"}]
    with pytest.raises(saving.NotSaved, match="Nothing changed since version 1"):
        saving.save_version(first.prompt, pane, people["ada"])
    pane.system_prompt = "You translate into {{language}}, formally."
    pane.save()
    second = saving.save_version(first.prompt, pane, people["bob"], "More formal")
    assert (second.number, second.commit_message, second.author) == (2, "More formal",
                                                                     people["bob"])  # fmt: skip
    first.system_prompt = "changed in place"
    with pytest.raises(ImmutableVersion):
        first.save()
    assert (
        PromptVersion.objects.get(pk=first.pk).system_prompt == "You translate into {{language}}."
    )
    restored = saving.restore(PromptVersion.objects.get(pk=first.pk), people["ada"])
    assert (restored.number, restored.system_prompt) == (3, "You translate into {{language}}.")
    assert restored.commit_message == "Restore version 1"


def test_a_name_taken_in_the_team_is_refused(crew, pane):
    team, people = crew
    saving.save_new_prompt(pane, people["ada"], team, "Translator")
    with pytest.raises(saving.NotSaved, match="has a prompt named 'Translator' already"):
        saving.save_new_prompt(pane, people["bob"], team, "Translator")


def test_labels_move_with_their_history_and_latest_is_not_a_label(crew, pane):
    team, people = crew
    first = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    pane.model = "large"
    pane.save()
    second = saving.save_version(first.prompt, pane, people["ada"])
    saving.move_label(first.prompt, "production", first, people["ada"])
    saving.move_label(first.prompt, "production", second, people["bob"])
    moves = [(m.from_version, m.to_version, m.moved_by) for m in
             LabelMove.objects.order_by("moved_at", "pk")]  # fmt: skip
    assert moves == [(None, first, people["ada"]), (first, second, people["bob"])]
    for bad, says in (("latest", "always points at the newest"), ("Prod!", "1 to 36"),
                      ("x" * 37, "1 to 36")):  # fmt: skip
        with pytest.raises(saving.NotSaved, match=says):
            saving.move_label(first.prompt, bad, first, people["ada"])


def test_open_in_playground_fills_the_variables_and_leaves_the_question_to_run(crew, pane):
    team, people = crew
    version = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    with pytest.raises(variables.NotFilled, match="language"):
        opening.open_versions(people["cy"], [(version, "")], {"text": "cat"})
    assert Conversation.objects.filter(owner=people["cy"]).count() == 0  # nothing half made
    conversation, to_run = opening.open_versions(people["cy"], [(version, "")],
                                                 {"text": "cat", "language": "French"})  # fmt: skip
    opened = conversation.panes.get()
    assert opened.system_prompt == "You translate into French."
    assert opened.variables == {"text": "cat", "language": "French"}
    assert opened.source["version"] == version.pk and opened.connection.name == "Local"
    assert to_run.content == "Translate: cat" and to_run.pane_id is None
    assert not Message.objects.filter(conversation=conversation, role="assistant").exists()


def test_compare_versions_makes_a_pane_per_version_and_model(crew, pane):
    team, people = crew
    first = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    pane.system_prompt = "Translate into {{language}} like a poet."
    pane.save()
    second = saving.save_version(first.prompt, pane, people["ada"])
    values = {"text": "cat", "language": "French"}
    conversation, _ = opening.open_versions(
        people["ada"], [(first, "m1"), (first, "m2"), (second, "m1"), (second, "m2")], values
    )
    panes = [(p.source["number"], p.model, p.system_prompt) for p in conversation.panes.all()]
    assert panes == [(1, "m1", "You translate into French."), (1, "m2", "You translate into French."),
                     (2, "m1", "Translate into French like a poet."),
                     (2, "m2", "Translate into French like a poet.")]  # fmt: skip


# -- through the pages, by role ------------------------------------------------------------


def _as(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_viewers_open_and_compare_editors_change_outsiders_find_nothing(crew, pane):
    team, people = crew
    version = saving.save_new_prompt(pane, people["ada"], team, "Secret translator")
    prompt = version.prompt
    page = reverse("library-prompt", args=[prompt.pk])
    for name in ("ada", "bob", "cy"):
        assert _as(people[name]).get(page).status_code == 200, name
    outsider = _as(people["dee"])
    for response in (
        outsider.get(page),
        outsider.get(reverse("library")),
        outsider.post(reverse("library-open", args=[prompt.pk])),
    ):
        assert b"Secret translator" not in response.content
    assert outsider.get(page).status_code == 404

    viewer = _as(people["cy"])
    opened = viewer.post(reverse("library-open", args=[prompt.pk]),
                         {"version": "latest", "var_text": "dog", "var_language": "German"})  # fmt: skip
    assert opened.status_code == 302 and "#answer-" in opened["Location"]
    for url, data in ((reverse("library-label", args=[prompt.pk]), {"label": "prod", "version": 1}),
                      (reverse("library-restore", args=[version.pk]), {}),
                      (reverse("library-delete", args=[prompt.pk]), {})):  # fmt: skip
        assert viewer.post(url, data).status_code == 404, url
    assert _as(people["bob"]).post(reverse("library-label", args=[prompt.pk]),
                                   {"label": "prod", "version": 1}).status_code == 302  # fmt: skip
    assert prompt.labels.get().name == "prod"


def test_the_save_page_shows_the_changes_then_saves_a_version_with_its_message(crew, pane):
    team, people = crew
    version = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    pane.system_prompt = "You translate into {{language}} briefly."
    pane.save()
    ada = _as(people["ada"])
    query = {"conversation": pane.conversation_id, "pane": pane.pk, "prompt": version.prompt_id}
    shown = ada.get(reverse("library-save"), query).content.decode()
    assert "<ins> briefly</ins>" in shown
    saved = ada.post(reverse("library-save"), {**query, "commit_message": "Shorter"})
    assert saved.status_code == 302
    assert version.prompt.versions.get(number=2).commit_message == "Shorter"
    diff = ada.get(reverse("library-diff", args=[version.prompt_id]), {"a": 1, "b": 2})
    assert b"Differences between version 1 and version 2" in diff.content


def test_a_prompt_a_conversation_was_opened_from_is_archived_not_deleted(crew, pane):
    team, people = crew
    version = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    opening.open_versions(people["ada"], [(version, "")], {"text": "a", "language": "b"})
    _as(people["ada"]).post(reverse("library-delete", args=[version.prompt_id]))
    assert Prompt.objects.get(pk=version.prompt_id).archived
    assert PromptVersion.objects.filter(pk=version.pk).exists()


def test_no_page_changes_a_saved_version_in_place(crew, pane):
    """Every library route, with every method and with garbage, leaves saved versions as they
    were (new versions may appear; none is edited)."""
    from library.urls import urlpatterns

    team, people = crew
    first = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    pane.model = "large"
    pane.save()
    saving.save_version(first.prompt, pane, people["ada"])
    before = {row["pk"]: row for row in PromptVersion.objects.values()
              for row in [{**row, "pk": row["id"]}]}  # fmt: skip
    client = _as(people["ada"])
    garbage = {"label": "production", "version": "1", "versions": ["1", "2"], "models": "m",
               "var_text": "x", "var_language": "y", "system_prompt": "hacked",
               "prompt": str(first.prompt_id), "commit_message": "c", "name": "New",
               "conversation": str(pane.conversation_id), "pane": str(pane.pk),
               "number": "1", "messages": "[]"}  # fmt: skip
    for pattern in sorted(urlpatterns, key=lambda p: "delete" in str(p.pattern)):  # last
        route = str(pattern.pattern).replace("<int:pk>", str(first.prompt_id))
        if "/v/" in route:
            route = str(pattern.pattern).replace("<int:pk>", str(first.pk))
        for method in (client.get, client.post):
            response = method("/" + route, garbage)
            assert response.status_code < 500, route
    after = list(PromptVersion.objects.values())
    # Open in playground made a conversation from it, so the delete (run last) archived it.
    assert len(after) >= len(before)
    for row in after:
        if row["id"] in before:
            assert {**row, "pk": row["id"]} == before[row["id"]], row["number"]


def test_a_version_pins_the_library_tool_versions_its_tools_are(crew, pane):
    from library import tools

    team, people = crew
    weather = {"name": "weather", "description": "", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}  # fmt: skip
    tool_version = tools.save_tool(team, people["ada"], weather)
    pane.tools = [weather, {"name": "unknown", "parameters": {"type": "object"}}]
    pane.save()
    version = saving.save_new_prompt(pane, people["ada"], team, "With tools")
    assert version.tool_versions == [{"tool": tool_version.tool_id, "version": tool_version.pk,
                                      "number": 1, "name": "weather"}]  # fmt: skip
    page = _as(people["cy"]).get(reverse("library-prompt", args=[version.prompt_id]))
    assert b"<code>weather</code> v1" in page.content


def test_the_admin_shows_versions_but_offers_no_way_to_change_them(crew, pane, admin_client):
    team, people = crew
    version = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    listed = admin_client.get("/admin/library/promptversion/")
    assert listed.status_code == 200 and b"Translator" in listed.content
    change = f"/admin/library/promptversion/{version.pk}/change/"
    page = admin_client.get(change)
    assert page.status_code == 200 and b'name="system_prompt"' not in page.content  # read-only
    posted = admin_client.post(change, {"system_prompt": "hacked", "number": 9})
    assert posted.status_code == 403
    assert (
        PromptVersion.objects.get(pk=version.pk).system_prompt == "You translate into {{language}}."
    )
    assert admin_client.get("/admin/library/promptversion/add/").status_code == 403


def test_a_connection_the_saver_or_opener_may_not_use_is_neither_named_nor_used(
    crew, pane, make_connection
):
    from accounts.teams import personal_team

    team, people = crew
    private = make_connection(name="Ada private", team=personal_team(people["ada"]))
    Pane.objects.filter(pk=pane.pk).update(connection=private)
    pane.refresh_from_db()
    by_bob = saving.save_new_prompt(pane, people["bob"], team, "Bob's save")
    assert by_bob.connection_name == ""  # bob may not use ada's key: not named
    by_ada = saving.save_new_prompt(pane, people["ada"], team, "Ada's save")
    assert by_ada.connection_name == "Ada private"
    conversation, _ = opening.open_versions(people["cy"], [(by_ada, "")],
                                            {"text": "a", "language": "b"})  # fmt: skip
    assert conversation.panes.get().connection is None  # cy may not use it either


def test_library_search_finds_a_prompt_by_its_text_and_filters_by_team(crew, pane):
    team, people = crew
    saving.save_new_prompt(pane, people["ada"], team, "Translator")
    saving.save_new_prompt(pane, people["ada"], teams.personal_team(people["ada"]), "Mine")
    ada = _as(people["ada"])
    found = ada.get(reverse("library"), {"q": "translate:"}).content.decode()  # in a message
    assert "Translator" in found and "Mine" in found
    assert "Mine" not in ada.get(reverse("library"), {"team": team.pk}).content.decode()
    none = ada.get(reverse("library"), {"q": "zebra"}).content.decode()
    assert "No prompt matches" in none


def test_random_battle_opens_two_of_the_pool_blind_on_the_prompt_teams_board(crew, pane):
    team, people = crew
    first = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    pane.system_prompt = "Translate into {{language}} like a poet."
    pane.save()
    saving.save_version(first.prompt, pane, people["ada"])
    form = {"versions": ["1", "2"], "models": "m1, m2", "battle": "1", "var_text": "cat",
            "var_language": "French"}  # fmt: skip
    opened = _as(people["bob"]).post(reverse("library-compare", args=[first.prompt_id]), form)
    conversation = Conversation.objects.exclude(pk=pane.conversation_id).get()
    assert opened.status_code == 302 and opened["Location"].startswith(f"/c/{conversation.pk}/")
    assert conversation.blind and conversation.title.startswith("Random battle")
    assert (conversation.team, conversation.visibility) == (team, "team")
    drawn = {(p.source["number"], p.model) for p in conversation.panes.all()}
    assert len(drawn) == 2 and drawn <= {(1, "m1"), (1, "m2"), (2, "m1"), (2, "m2")}
    page = _as(people["bob"]).get(f"/c/{conversation.pk}/").content.decode()
    assert page.count("hidden (blind mode)") == 2
    assert not any(f'value="{model}"' in page for model in ("m1", "m2"))


def test_a_random_battle_of_one_contestant_is_refused(crew, pane):
    team, people = crew
    first = saving.save_new_prompt(pane, people["ada"], team, "Translator")
    form = {"versions": ["1"], "models": "m1", "battle": "1", "var_text": "cat",
            "var_language": "French"}  # fmt: skip
    refused = _as(people["ada"]).post(reverse("library-compare", args=[first.prompt_id]), form,
                                      follow=True)  # fmt: skip
    assert "needs two different contestants" in refused.content.decode()
    assert Conversation.objects.count() == 1
