"""Export and import of a prompt in Chromium: a prompt of two versions, a `production` label
on v1 and a pinned library tool with a fixture is exported from its page as one
.prompt.json file; imported from the Library page into another team, it lands on the new
prompt's page with both versions and the label, and its tool (with the fixture) is made in
that team; a malformed file is refused with what is wrong and where, and nothing is
written."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN
from tests.e2e.test_workbench_journeys import SHOTS

# Made through the server's own manage.py (so it lands in that server's database), as the
# admin who signed in: two shared teams they own, a tool with a fixture in the first, and a
# prompt there whose versions pin the tool, with `production` on v1.
SETUP_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from accounts import teams
from library import tools
from library.models import Label, LabelMove, Prompt, PromptVersion

admin = get_user_model().objects.get(username={username!r})
source = teams.create_team({source!r}, admin)
target = teams.create_team({target!r}, admin)
definition = {definition!r}
tool_version = tools.save_tool(source, admin, definition)
tools.add_fixture(tool_version.tool, admin, '{{"city": "Paris"}}', '{{"rain": "all day"}}')
pin = [{{"tool": tool_version.tool_id, "version": tool_version.pk,
         "number": tool_version.number, "name": definition["name"]}}]
prompt = Prompt.objects.create(team=source, name={name!r}, owner=admin)
common = dict(model="fake-model", tools=[definition], tool_versions=pin,
              messages=[{{"role": "user", "content": "Weather in {{{{city}}}}?"}}])
v1 = PromptVersion.objects.create(prompt=prompt, number=1, author=admin,
                                  system_prompt="You forecast.", commit_message="First try",
                                  **common)
PromptVersion.objects.create(prompt=prompt, number=2, author=admin,
                             system_prompt="You forecast, briefly.",
                             commit_message="Shorter answers", **common)
label = Label.objects.create(prompt=prompt, name="production", version=v1)
LabelMove.objects.create(label=label, from_version=None, to_version=v1, moved_by=admin)
print(json.dumps({{"prompt": prompt.pk, "source": source.pk, "target": target.pk}}))
"""

# What the server's database holds of the prompts (and tools) of a team, for the checks.
SURVEY_SCRIPT = """
import json
from library.models import Prompt, Tool
team = {team}
print(json.dumps({{
    "prompts": Prompt.objects.count(),
    "in_team": [
        {{"name": p.name, "versions": [v.number for v in p.versions.order_by("number")],
          "labels": {{label.name: label.version.number for label in p.labels.all()}},
          "pins": [pin["tool"] for v in p.versions.all() for pin in v.tool_versions]}}
        for p in Prompt.objects.filter(team_id=team)],
    "tools": [
        {{"pk": t.pk, "name": t.name, "versions": t.versions.count(),
          "fixtures": [[f.arguments, f.result] for f in t.fixtures.all()]}}
        for t in Tool.objects.filter(team_id=team)],
}}))
"""


def _run(server, script: str) -> dict:
    return json.loads(server.manage("shell", "-c", script).strip().splitlines()[-1])


def import_file(page: Page, path: Path, team: str) -> None:
    """Import prompt on the Library page: the file, the team, Import."""
    form = page.get_by_role("form", name="Import prompt")
    form.get_by_label("Prompt file").set_input_files(path)
    form.get_by_label("Team", exact=True).select_option(label=team)
    form.get_by_role("button", name="Import", exact=True).click()


def test_export_a_prompt_and_import_it_into_another_team_and_a_broken_file_is_refused(
    signed_in: Page, server, tmp_path
):
    page = signed_in
    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:6]
    name, tool_name = f"Forecaster {suffix}", f"weather_{suffix}"
    source_name, target_name = f"Writers {suffix}", f"Reviewers {suffix}"
    definition = {"name": tool_name, "description": "The weather in a city.",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                 "required": ["city"]}}  # fmt: skip
    made = _run(server, SETUP_SCRIPT.format(username=ADMIN[0], source=source_name,
                                            target=target_name, definition=definition,
                                            name=name))  # fmt: skip

    # 1. Export from the prompt's page: one file with both versions, the label, the tool.
    page.goto(f"{server.url}/library/p/{made['prompt']}/")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export", exact=True).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".prompt.json"), download.suggested_filename
    exported_path = tmp_path / download.suggested_filename
    download.save_as(exported_path)
    document = json.loads(exported_path.read_text())
    assert document["format"] == "playground.prompt"
    assert document["prompt"]["name"] == name
    assert [v["number"] for v in document["versions"]] == [1, 2]
    assert document["labels"] == [{"name": "production", "version": 1}]
    assert [tool["name"] for tool in document["tools"]] == [tool_name]
    assert document["tools"][0]["fixtures"] == [
        {"arguments": {"city": "Paris"}, "result": '{"rain": "all day"}'}]  # fmt: skip
    assert document["versions"][0]["tool_versions"] == [{"name": tool_name, "number": 1}]

    # 2. Import it on the Library page into the other team: it lands on the new prompt.
    assert _run(server, SURVEY_SCRIPT.format(team=made["target"]))["in_team"] == []
    page.goto(server.url + "/library/")
    import_file(page, exported_path, target_name)
    page.wait_for_url(f"{server.url}/library/p/*/")
    assert page.url != f"{server.url}/library/p/{made['prompt']}/"
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        f"Imported {name} into {target_name} with 2 versions.")  # fmt: skip
    expect(page.get_by_text(f"{target_name} · by {ADMIN[0]}")).to_be_visible()
    rows = page.get_by_role("table", name="Versions").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("v2")
    expect(rows.nth(0)).to_contain_text("Shorter answers")
    expect(rows.nth(1)).to_contain_text("v1")
    expect(rows.nth(1)).to_contain_text("First try")
    expect(rows.nth(1).locator(".badge", has_text="production")).to_be_visible()
    expect(page.get_by_role("link", name=f"{tool_name} v1")).to_be_visible()
    page.screenshot(path=str(SHOTS / "prompt-imported.png"), full_page=True)

    target = _run(server, SURVEY_SCRIPT.format(team=made["target"]))
    assert [p["name"] for p in target["in_team"]] == [name]
    imported = target["in_team"][0]
    assert imported["versions"] == [1, 2] and imported["labels"] == {"production": 1}
    assert [tool["name"] for tool in target["tools"]] == [tool_name]
    tool = target["tools"][0]
    assert tool["versions"] == 1
    assert tool["fixtures"] == [[{"city": "Paris"}, '{"rain": "all day"}']]
    assert imported["pins"] == [tool["pk"], tool["pk"]]  # the team's own tool, not the source's
    page.goto(server.url + "/library/tools/")
    tools_table = page.get_by_role("table", name="Tools")
    expect(tools_table.locator("tr", has_text=tool_name).filter(has_text=target_name)
           ).to_have_count(1)  # fmt: skip

    # 3. A malformed file (the first version's messages are not a list) is refused whole.
    broken = json.loads(exported_path.read_text())
    broken["versions"][0]["messages"] = "Weather in {{city}}?"
    broken_path = tmp_path / "broken.prompt.json"
    broken_path.write_text(json.dumps(broken))
    before = _run(server, SURVEY_SCRIPT.format(team=made["target"]))
    page.goto(server.url + "/library/")
    import_file(page, broken_path, target_name)
    page.wait_for_url(f"{server.url}/library/")
    refusal = page.get_by_role("status").filter(has_text="Nothing was imported.")
    expect(refusal).to_have_text("Nothing was imported. versions[0].messages: expected a list")
    page.screenshot(path=str(SHOTS / "prompt-import-refused.png"))

    # And a file that is not JSON at all says so.
    not_json = tmp_path / "notes.prompt.json"
    not_json.write_text("name: Forecaster\nversions: two\n")
    import_file(page, not_json, target_name)
    page.wait_for_url(f"{server.url}/library/")
    expect(page.get_by_role("status").filter(has_text="Nothing was imported.")).to_contain_text(
        "The file is not JSON")  # fmt: skip
    after = _run(server, SURVEY_SCRIPT.format(team=made["target"]))
    assert after == before  # no prompt, version, label, tool or fixture was written
