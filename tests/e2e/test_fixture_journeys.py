"""Mock tool results in Chromium: define a tool in the library with a fixture, let a fake
model call it and answer with the fixture in one click; then turn on "Auto-reply with
fixtures" and watch a multi-step tool loop (parallel calls among them) run by itself, and
pause on a call no fixture matches."""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.journeys import (
    add_connection,
    expect_new_answer,
    last_answer,
    new_conversation,
    send,
    wait_until_finished,
)
from tests.e2e.test_workbench_journeys import SHOTS


def _define_tool(page: Page, server_url: str, fixtures: dict[str, str]) -> dict:
    """A new library tool (a name of its own, so other journeys' tools never match) with
    `fixtures` (argument pattern → result); returns its definition."""
    name = f"weather_{uuid.uuid4().hex[:6]}"
    definition = {"name": name, "description": "The weather in a city.",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                 "required": ["city"]}}  # fmt: skip
    page.goto(server_url + "/library/tools/")
    page.get_by_label("Team").first.select_option(label="Only me")
    page.get_by_label("Definition").fill(json.dumps(definition))
    page.get_by_role("button", name="Add tool").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    for arguments, result in fixtures.items():
        page.get_by_label("Arguments").fill(arguments)
        page.get_by_label("Result", exact=True).fill(result)
        page.get_by_role("button", name="Add fixture").click()
        expect(page.get_by_role("table", name="Fixtures")).to_contain_text(result)
    return definition


def _conversation_with(page: Page, server, fake, tool: dict) -> None:
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    page.get_by_label("Tools (JSON array)").fill(json.dumps([tool]))


def test_a_tools_call_is_answered_with_its_fixture_in_one_click(signed_in: Page, server, fake):
    page = signed_in
    tool = _define_tool(page, server.url, {'{"city": "Paris"}': '{"rain": "all day"}'})
    _conversation_with(page, server, fake, tool)
    fake.push_script(tokens=[], tool_calls=[
        {"id": "call_1", "name": tool["name"], "arguments": {"city": "Paris"}}])  # fmt: skip
    fake.push_script(tokens=["Take ", "an ", "umbrella."])
    send(page, "Weather in Paris?")
    assert wait_until_finished(page) == "done"
    card = last_answer(page).locator(".tool-card")
    expect_new_answer(page)
    card.get_by_role("button", name="Answer with fixture").click()  # one call: sent at once
    expect(page.locator("article[data-role=tool]")).to_contain_text('"rain": "all day"')
    assert wait_until_finished(page) == "done"
    expect(last_answer(page)).to_contain_text("Take an umbrella.")
    assert "all day" in json.dumps(fake.requests()[-1]["body"])  # the fixture went back


def test_auto_reply_runs_a_tool_loop_by_itself_and_pauses_on_an_unmatched_call(
    signed_in: Page, server, fake
):
    page = signed_in
    tool = _define_tool(page, server.url, {'{"city": "*"}': "Mild.",
                                           '{"city": "Paris"}': "Rain."})  # fmt: skip
    _conversation_with(page, server, fake, tool)
    settings = page.get_by_role("region", name="Pane 1")
    switch = settings.get_by_role("switch", name="Auto-reply with fixtures")
    switch.check()
    expect(switch).to_be_checked()
    name = tool["name"]
    fake.push_script(tokens=[], tool_calls=[{"id": "c1", "name": name,
                                             "arguments": {"city": "Paris"}}])  # fmt: skip
    fake.push_script(tokens=[], tool_calls=[  # two calls at once, answered together
        {"id": "c2", "name": name, "arguments": {"city": "Oslo"}},
        {"id": "c3", "name": name, "arguments": {"city": "Rome"}}])  # fmt: skip
    fake.push_script(tokens=["Rain ", "in ", "Paris, ", "mild ", "elsewhere."])
    asked = len(fake.requests())
    send(page, "Weather in Paris, Oslo and Rome?")
    expect(last_answer(page)).to_contain_text("Rain in Paris, mild elsewhere.", timeout=20_000)
    tool_results = page.locator("article[data-role=tool]")
    expect(tool_results).to_have_count(3)
    expect(tool_results.nth(0)).to_contain_text("Rain.")
    assert len(fake.requests()) - asked == 3  # the parallel calls went back in one request
    page.screenshot(path=str(SHOTS / "auto-reply-loop.png"))

    fake.push_script(tokens=[], tool_calls=[{"id": "c4", "name": "unknown_tool",
                                             "arguments": {"q": "x"}}])  # fmt: skip
    send(page, "And the tides?")
    assert wait_until_finished(page) == "done"
    note = last_answer(page).get_by_role("status").filter(has_text="Auto-reply paused")
    expect(note).to_contain_text('no fixture matches unknown_tool({"q": "x"})')
    expect(page.get_by_role("button", name="Send result and continue")).to_be_visible()
    page.screenshot(path=str(SHOTS / "auto-reply-paused.png"))
    page.reload()  # the card still says why it waits
    expect(last_answer(page).get_by_role("status").filter(has_text="Auto-reply paused")
           ).to_be_visible()  # fmt: skip
