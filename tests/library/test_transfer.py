"""Export and import of a prompt file (library/transfer.py): a round trip into another team,
every malformed file refused with what and where and nothing written, and who may do what."""

from __future__ import annotations

import copy
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import teams
from accounts.models import Membership, Role
from library import saving, tools, transfer
from library.models import Label, Prompt, PromptVersion, Tool, ToolFixture, ToolVersion

pytestmark = pytest.mark.django_db

WEATHER = {"name": "weather", "description": "The weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}  # fmt: skip
MODELS = (Prompt, PromptVersion, Tool, ToolVersion, ToolFixture, Label)


@pytest.fixture
def crew():
    User = get_user_model()
    people = {name: User.objects.create_user(name) for name in ("ada", "bob", "cy", "dee")}
    people["ada"].first_name, people["ada"].last_name = "Ada", "Lovelace"
    people["ada"].email = "ada@example.com"
    people["ada"].save()
    team = teams.create_team("Crew", people["ada"])
    Membership.objects.create(team=team, user=people["bob"], role=Role.EDITOR)
    Membership.objects.create(team=team, user=people["cy"], role=Role.VIEWER)
    other = teams.create_team("Other", people["ada"])
    Membership.objects.create(team=other, user=people["cy"], role=Role.VIEWER)
    return team, other, people


def _pin(version: ToolVersion) -> dict:
    return {"tool": version.tool_id, "version": version.pk, "number": version.number,
            "name": version.tool.name}  # fmt: skip


@pytest.fixture
def prompt(crew):
    team, _other, people = crew
    first_tool = tools.save_tool(team, people["ada"], WEATHER)
    second_tool = tools.save_tool(team, people["ada"], {**WEATHER, "description": "In °C."})
    tools.add_fixture(first_tool.tool, people["ada"], '{"city": "Oslo"}', "Rain, 4 °C")
    tools.add_fixture(first_tool.tool, people["ada"], '{"city": "*"}', "Sunny")
    prompt = Prompt.objects.create(team=team, name="Forecaster", owner=people["ada"],
                                   tags=["weather", "eu"])  # fmt: skip
    Tool.objects.filter(pk=first_tool.tool_id).update(tags=["external"])
    common = {"model": "small", "connection_name": "Local", "connection_kind": "openai_compatible",
              "tools": [{"type": "function", "function": WEATHER}], "tool_choice": "auto"}  # fmt: skip
    one = PromptVersion.objects.create(
        prompt=prompt, number=1, author=people["ada"], system_prompt="Forecast {{city}}.",
        messages=[{"role": "user", "content": "Weather in {{city}}?"}],
        params={"temperature": 0.2}, tool_versions=[_pin(first_tool)], commit_message="First",
        **common)  # fmt: skip
    PromptVersion.objects.create(
        prompt=prompt, number=2, author=people["bob"], system_prompt="Forecast {{city}}, briefly.",
        messages=[{"role": "user", "content": "Weather in {{city}}?"},
                  {"role": "assistant", "content": "Let me look."}],
        params={"temperature": 0.5, "max_tokens": 100}, tool_versions=[_pin(second_tool)],
        commit_message="Briefer", **common)  # fmt: skip
    saving.move_label(prompt, "production", one, people["ada"])
    return prompt


def _counts() -> list[int]:
    return [model.objects.count() for model in MODELS]


def _as(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_prompt_exports_without_secrets_and_imports_into_another_team(crew, prompt):
    _team, other, people = crew
    text = transfer.exported_json(prompt, people["ada"])
    assert "ada@example.com" not in text and '"tool": ' not in text
    document = json.loads(text)
    assert (document["format"], document["version"]) == ("playground.prompt", 1)
    assert [v["author"] for v in document["versions"]] == ["Ada Lovelace", "bob"]
    imported = transfer.import_prompt(other, people["ada"], text)
    assert (imported.team, imported.name, imported.owner) == (other, "Forecaster", people["ada"])
    assert imported.tags == ["weather", "eu"]
    old, new = list(prompt.versions.order_by("number")), list(imported.versions.order_by("number"))
    for before, after in zip(old, new, strict=True):
        for field in ("number", "system_prompt", "messages", "model", "params", "tools",
                      "connection_name", "connection_kind", "tool_choice", "output_schema",
                      "commit_message"):  # fmt: skip
            assert getattr(before, field) == getattr(after, field)
        assert after.author == people["ada"]
    assert [(label.name, label.version.number) for label in imported.labels.all()] == [
        ("production", 1)]  # fmt: skip
    tool = Tool.objects.get(team=other, name="weather")
    assert tool.tags == ["external"]
    versions = list(tool.versions.order_by("number"))
    assert [v.description for v in versions] == ["The weather in a city.", "In °C."]
    assert sorted(f.result for f in tool.fixtures.all()) == ["Rain, 4 °C", "Sunny"]
    assert [pin["version"] for v in new for pin in v.tool_versions] == [v.pk for v in versions]
    assert all(pin["tool"] == tool.pk for v in new for pin in v.tool_versions)
    again = transfer.import_prompt(other, people["ada"], text)  # the tool is reused as it is
    assert again.name == "Forecaster (2)"
    assert (tool.versions.count(), tool.fixtures.count()) == (2, 2)
    assert again.versions.get(number=2).tool_versions[0]["version"] == versions[1].pk


def test_a_tool_the_team_has_gets_a_new_version_only_when_the_latest_differs(crew, prompt):
    _team, other, people = crew
    mine = tools.save_tool(other, people["ada"], {**WEATHER, "description": "Mine."})
    tools.add_fixture(mine.tool, people["ada"], '{"city": "Oslo"}', "Rain, 4 °C")
    imported = transfer.import_prompt(other, people["ada"], transfer.exported_json(
        prompt, people["ada"]))  # fmt: skip
    descriptions = list(mine.tool.versions.order_by("number").values_list("description",
                                                                          flat=True))  # fmt: skip
    assert descriptions == ["Mine.", "The weather in a city.", "In °C."]
    assert mine.tool.fixtures.count() == 2  # the identical fixture is not added twice
    pins = [v.tool_versions[0]["number"] for v in imported.versions.order_by("number")]
    assert pins == [2, 3]


def _broken(document: dict, change) -> str:  # type: ignore[no-untyped-def]
    broken = copy.deepcopy(document)
    change(broken)
    return json.dumps(broken)


def _set(path: list, value):  # type: ignore[no-untyped-def]
    def change(document: dict) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (None, "not JSON"),
        (_set(["format"], "other"), 'format: expected "playground.prompt"'),
        (_set(["version"], 2), "version: expected 1"),
        (_set(["versions", 1, "messages"], "hi"), r"versions\[1\].messages: expected a list"),
        (_set(["versions", 0, "messages", 0, "role"], "robot"),
         r"versions\[0\].messages\[0\].role: expected one of"),
        (_set(["versions", 0, "params"], []), r"versions\[0\].params: expected an object"),
        (_set(["versions", 1, "number"], 1), r"versions\[1\].number: versions go in order"),
        (lambda d: d["versions"][0].pop("messages"), r"versions\[0\].messages: missing"),
        (_set(["prompt", "name"], ""), "prompt.name: 1 to 120"),
        (_set(["tools", 0, "name"], "has space"), r"tools\[0\].versions\[0\]: .*letters"),
        (_set(["tools", 0, "versions", 0, "parameters"], {"type": "objekt"}),
         r"tools\[0\].versions\[0\]: "),
        (_set(["tools", 0, "fixtures", 0, "arguments"], "x"),
         r"tools\[0\].fixtures\[0\].arguments: expected an object"),
        (_set(["prompt", "tags"], ["ok", "Not ok"]), r"prompt.tags: “Not ok” is not a tag"),
        (_set(["tools", 0, "tags"], "x"), r"tools\[0\].tags: expected a list"),
        (_set(["labels", 0, "name"], "Bad Label"), r"labels\[0\].name: 'Bad Label' is not"),
        (_set(["labels", 0, "version"], 9), r"labels\[0\].version: there is no version 9"),
        (_set(["versions", 0, "tool_versions", 0, "number"], 7),
         r"versions\[0\].tool_versions\[0\]: no tool 'weather' version 7"),
        (_set(["versions", 0, "output_schema"], {"type": "objekt"}),
         r"versions\[0\].output_schema: "),
    ],
)  # fmt: skip
def test_a_malformed_file_is_refused_with_what_and_where_and_nothing_is_written(
        crew, prompt, change, says):  # fmt: skip
    _team, other, people = crew
    document = transfer.exported(prompt, people["ada"])
    text = "{not json" if change is None else _broken(document, change)
    before = _counts()
    with pytest.raises(transfer.TransferRefused, match=says):
        transfer.import_prompt(other, people["ada"], text)
    assert _counts() == before


def test_a_file_over_2_mb_is_refused_and_nothing_is_written(crew, prompt):
    _team, other, people = crew
    document = transfer.exported(prompt, people["ada"])
    document["versions"][0]["system_prompt"] = "x" * (2 * 1024 * 1024)
    before = _counts()
    response = _as(people["ada"]).post(reverse("library-import"), {
        "team": other.pk, "file": _upload(json.dumps(document))}, follow=True)  # fmt: skip
    assert "over 2 MB" in response.content.decode()
    assert _counts() == before


def _upload(text: str):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("forecaster.prompt.json", text.encode(), "application/json")


def test_export_downloads_a_file_and_import_lands_on_the_prompt(crew, prompt):
    _team, other, people = crew
    client = _as(people["ada"])
    response = client.get(reverse("library-export", args=[prompt.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="forecaster.prompt.json"'
    page = client.get(reverse("library-prompt", args=[prompt.pk])).content.decode()
    assert reverse("library-export", args=[prompt.pk]) in page
    assert "Prompt file" in client.get(reverse("library")).content.decode()
    landed = client.post(reverse("library-import"), {
        "team": other.pk, "file": _upload(response.content.decode())}, follow=True)  # fmt: skip
    imported = Prompt.objects.get(team=other)
    assert landed.redirect_chain[-1][0] == reverse("library-prompt", args=[imported.pk])
    assert "Imported Forecaster into Other" in landed.content.decode()
    refused = client.post(reverse("library-import"), {"team": other.pk,
                                                      "file": _upload("[]")}, follow=True)  # fmt: skip
    assert "Nothing was imported" in refused.content.decode()


def test_a_viewer_exports_but_imports_only_where_they_edit_and_an_outsider_gets_404(crew, prompt):
    _team, other, people = crew
    viewer = _as(people["cy"])
    response = viewer.get(reverse("library-export", args=[prompt.pk]))
    assert response.status_code == 200
    before = _counts()
    refused = viewer.post(reverse("library-import"), {
        "team": other.pk, "file": _upload(response.content.decode())}, follow=True)  # fmt: skip
    assert "Pick a team you may edit" in refused.content.decode()
    assert _counts() == before
    mine = viewer.post(reverse("library-import"), {
        "team": teams.personal_team(people["cy"]).pk,
        "file": _upload(response.content.decode())})  # fmt: skip
    assert mine.status_code == 302 and Prompt.objects.filter(owner=people["cy"]).count() == 1
    assert _as(people["dee"]).get(reverse("library-export", args=[prompt.pk])).status_code == 404
