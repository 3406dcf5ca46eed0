"""Tools and structured output in real Chromium, over every wire format the fake speaks."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.journeys import (
    add_connection,
    expect_new_answer,
    last_answer,
    new_conversation,
    send,
    wait_until_finished,
)

CALL = {"id": "call_7", "name": "get_weather", "arguments": {"city": "Paris"}}
SCHEMA = {"title": "verdict", "type": "object",
          "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
          "required": ["answer", "confidence"]}  # fmt: skip
KINDS = [
    ("openai_compatible", "/v1", None),
    ("anthropic", "/v1", None),
    ("google_genai", "/v1beta", None),
    ("ollama", "", None),
    ("bedrock", "", {"Region": "us-east-1"}),
    ("google_vertexai", "", {"Project": "demo", "Location": "global"}),
]


def connect(page: Page, server, fake, kind: str, suffix: str, options) -> str:
    root = fake.base_url.removesuffix("/v1")
    return add_connection(page, server.url, root + suffix, kind=kind, options=options)


@pytest.mark.parametrize(("kind", "suffix", "options"), KINDS)
def test_a_tool_call_is_answered_in_the_browser_and_the_model_goes_on(
    signed_in: Page, server, fake, kind, suffix, options
):
    page = signed_in
    connection = connect(page, server, fake, kind, suffix, options)
    new_conversation(page, connection, "fake-model")
    page.get_by_role("button", name="Insert an example tool").click()
    expect(page.get_by_label("Tools (JSON array)")).to_have_value(
        json.dumps(json.loads(page.get_by_label("Tools (JSON array)").input_value()), indent=2)
    )
    fake.push_script(tokens=[], tool_calls=[CALL])
    fake.push_script(tokens=["Sunny ", "in ", "Paris."])
    send(page, "What is the weather in Paris?")
    assert wait_until_finished(page) == "done"
    card = last_answer(page).locator(".tool-card")
    expect(card).to_contain_text("get_weather")
    expect(card.locator("pre")).to_contain_text('"city": "Paris"')
    card.get_by_label("Result of get_weather").fill('{"temperature": 21}')
    expect_new_answer(page)
    page.get_by_role("button", name="Send result and continue").click()
    expect(page.locator("article[data-role=tool]")).to_contain_text('"temperature": 21')
    assert wait_until_finished(page) == "done"
    expect(last_answer(page)).to_contain_text("Sunny in Paris.")
    expect(page.get_by_role("button", name="Send result and continue")).to_have_count(0)
    sent = json.dumps(fake.requests()[-1]["body"])
    assert "temperature" in sent and "get_weather" in sent
    page.reload()  # the cards and the result survive a reload
    expect(page.locator(".tool-card")).to_contain_text("answered")
    expect(page.locator("article[data-role=tool]")).to_contain_text('"temperature": 21')


@pytest.mark.parametrize(("kind", "suffix", "options"), KINDS)
def test_a_structured_answer_is_formatted_and_checked(
    signed_in: Page, server, fake, kind, suffix, options
):
    page = signed_in
    connection = connect(page, server, fake, kind, suffix, options)
    new_conversation(page, connection, "fake-model")
    page.get_by_label("Tools (JSON array)").fill("")  # a new conversation keeps the last box
    page.get_by_label("Output schema (JSON Schema)").fill(json.dumps(SCHEMA))
    fake.push_script(tokens=['{"answer": "yes", "confidence": 0.9}'])
    send(page, "Is it sunny?")
    assert wait_until_finished(page) == "done"
    expect(last_answer(page).locator(".badge-ok")).to_have_text("✓ Valid JSON for the schema")
    expect(last_answer(page).locator(".structured-answer pre")).to_contain_text('"confidence": 0.9')
    fake.push_script(tokens=['{"answer": "maybe"}'])
    send(page, "And tomorrow?")
    assert wait_until_finished(page) == "done"
    expect(last_answer(page).locator(".badge-bad")).to_have_text("✗ Does not fit the schema")
    expect(last_answer(page)).to_contain_text("'confidence' is a required property")


def test_a_broken_tools_box_is_explained_next_to_it(signed_in: Page, server, fake):
    page = signed_in
    connection = connect(page, server, fake, "openai_compatible", "/v1", None)
    new_conversation(page, connection, "fake-model")
    page.get_by_label("Output schema (JSON Schema)").fill("")
    page.get_by_label("Tools (JSON array)").fill('[{"name": "get weather"}]')
    expect(page.locator("[id$=-errors][id^=pane-]")).to_contain_text("may hold only letters")
    send(page, "Hello")
    expect(page.locator("#composer-errors")).to_contain_text("may hold only letters")
    expect(page.get_by_label("Message", exact=True)).to_have_value("Hello")  # nothing lost


def test_the_picker_groups_models_by_connection_and_fills_in_both(signed_in: Page, server, fake):
    page = signed_in
    first = connect(page, server, fake, "openai_compatible", "/v1", None)
    second = connect(page, server, fake, "anthropic", "/v1", None)
    new_conversation(page, first, "fake-model")
    picker = page.get_by_label("Pick a model")
    expect(picker.locator(f'optgroup[label="{second} (Anthropic)"] option')).to_have_count(9)
    group = f"{second} (Anthropic)"
    index = picker.evaluate(
        "(el, group) => [...el.options].findIndex("
        "o => o.parentElement.label === group && o.dataset.model === 'fake-markdown')",
        group,
    )
    picker.select_option(index=index)  # the same model name exists in both groups
    option = picker.locator("option").nth(index)
    expect(page.get_by_label("Connection")).to_have_value(option.get_attribute("value"))
    expect(page.get_by_label("Model", exact=True)).to_have_value("fake-markdown")
    send(page, "Which model?")
    assert wait_until_finished(page) == "done"
    assert fake.requests()[-1]["path"] == "/v1/messages"
    assert fake.requests()[-1]["body"]["model"] == "fake-markdown"
