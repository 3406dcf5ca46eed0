"""The user's journeys of issue 2, in real Chromium against a real Daphne."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_admin_through_setup
from tests.e2e.journeys import (
    add_connection,
    last_answer,
    new_conversation,
    send,
    wait_until_finished,
)
from tests.fakes.fake_provider import FakeProvider


def test_the_first_visit_creates_the_admin_and_explains_how_to_add_a_provider(
    page: Page, fresh_server
):
    page.goto(fresh_server.url + "/connections/")
    expect(page).to_have_url(re.compile(r"/setup/$"))
    create_admin_through_setup(page, fresh_server.url)
    expect(page.get_by_text("No provider is configured")).to_be_visible()
    expect(page.get_by_role("link", name="Add a connection").first).to_be_visible()
    page.goto(fresh_server.url + "/setup/")
    expect(page.get_by_role("button", name="Create admin account")).to_have_count(0)


def test_a_connection_shows_only_the_last_four_characters_of_its_key(signed_in: Page, server, fake):
    page = signed_in
    name = add_connection(page, server.url, fake.base_url, api_key="sk-super-secret-abcd")
    card = page.locator(".connection", has_text=name)
    expect(card.get_by_text("Key set, ending in abcd")).to_be_visible()
    assert "sk-super-secret" not in page.content()
    card.get_by_role("button", name="Test connection").click()
    expect(card.get_by_text(re.compile(r"Connected — \d+ models"))).to_be_visible()


def test_an_answer_streams_in_token_by_token_and_ends_with_its_figures(
    signed_in: Page, server, fake
):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(
        page, connection, "fake-slow", system_prompt="You are terse.", temperature="0.3"
    )
    send(page, "Stream something long")
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "streaming")
    body = answer.locator(".message-body")
    lengths = []
    for _ in range(6):
        lengths.append(len(body.inner_text()))
        page.wait_for_timeout(250)
    assert lengths[-1] > lengths[0] > 0 or lengths[-1] > lengths[1] > 0, lengths
    assert wait_until_finished(page) == "done"
    footer = last_answer(page).locator(".run-footer")
    expect(footer).to_contain_text("fake-slow")
    expect(footer).to_contain_text("TTFT")
    expect(footer).to_contain_text("tok/s")
    sent = fake.requests()[-1]["body"]
    assert sent["messages"][0] == {"role": "system", "content": "You are terse."}
    assert sent["temperature"] == 0.3
    expect(page.get_by_label("Message", exact=True)).to_have_value("")


def test_stop_closes_the_upstream_request_and_keeps_the_partial_answer(
    signed_in: Page, server, fake
):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-slow")
    send(page, "Start and be stopped")
    answer = last_answer(page)
    expect(answer.locator(".message-body")).to_contain_text("word3")
    page.get_by_role("region", name="Pane 1").get_by_role("button", name="Stop", exact=True).click()
    assert wait_until_finished(page) == "stopped"
    expect(last_answer(page)).to_contain_text("Stopped")
    expect(last_answer(page).locator(".message-body")).to_contain_text("Here is a small example")
    assert fake.wait_for_disconnect(timeout=5) is not None, "the upstream request was not closed"


def test_escape_stops_the_answer_too(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-slow")
    send(page, "Stop me with Escape")
    expect(last_answer(page).locator(".message-body")).to_contain_text("word1")
    page.keyboard.press("Escape")
    assert wait_until_finished(page) == "stopped"


def test_a_reload_and_a_second_tab_keep_streaming_without_gaps_or_duplicates(
    signed_in: Page, server, fake
):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-slow")
    send(page, "Keep going while I reload")
    expect(last_answer(page).locator(".message-body")).to_contain_text("word5")
    second = page.context.new_page()
    second.goto(page.url)
    expect(last_answer(second).locator(".message-body")).to_contain_text("word5")
    page.reload()
    assert wait_until_finished(page) == "done"
    assert wait_until_finished(second) == "done"
    first_text = last_answer(page).locator(".message-body").inner_text()
    second_text = last_answer(second).locator(".message-body").inner_text()
    assert first_text == second_text
    words = re.findall(r"word\d+", first_text)
    assert words == [f"word{i}" for i in range(200)]


def test_markdown_is_rendered_with_highlighted_code(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-markdown")
    send(page, "Show me markdown")
    assert wait_until_finished(page) == "done"
    answer = last_answer(page)
    expect(answer.get_by_role("heading", name="Result")).to_be_visible()
    expect(answer.locator("pre.highlight span.nb")).to_have_text("print")
    expect(answer.locator("strong")).to_have_text("bold")


def test_conversations_can_be_renamed_deleted_and_survive_a_restart(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    send(page, "Remember this across restarts")
    assert wait_until_finished(page) == "done"
    conversations = page.get_by_role("list", name="Conversations")
    item = conversations.get_by_role("listitem").filter(has=page.locator("[aria-current=page]"))
    expect(item).to_contain_text("Remember this across restarts")
    item.get_by_role("button", name="Rename conversation").click()
    page.get_by_label("Conversation title").fill("Renamed chat")
    page.get_by_role("button", name="Save title").click()
    expect(conversations.get_by_role("link", name="Renamed chat")).to_be_visible()
    url = page.url

    server.restart()
    page.goto(url)
    expect(last_answer(page)).to_contain_text("You said: Remember this across restarts")
    expect(conversations.get_by_role("link", name="Renamed chat")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    item = conversations.get_by_role("listitem").filter(has_text="Renamed chat")
    item.get_by_role("button", name="Delete conversation").click()
    expect(conversations.get_by_role("link", name="Renamed chat")).to_have_count(0)


def _error_for(page: Page, connection: str, model: str, **params: str):
    new_conversation(page, connection, model, **params)
    send(page, f"Trigger {model}")
    assert wait_until_finished(page) == "error"
    return last_answer(page).get_by_role("alert")


def test_provider_failures_are_explained_and_partial_answers_kept(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    expect(_error_for(page, connection, "fake-error-500", max_retries="0")).to_contain_text(
        "server error (HTTP 500)"
    )
    expect(_error_for(page, connection, "no-such-model")).to_contain_text("Pick a model")
    alert = _error_for(page, connection, "fake-mid-stream-error")
    expect(alert).to_contain_text("middle of the answer")
    expect(last_answer(page).locator(".message-body")).to_contain_text("This answer will")
    expect(_error_for(page, connection, "fake-no-done")).to_contain_text("[DONE]")
    expect(
        _error_for(page, connection, "fake-stall", timeout="1", max_retries="0")
    ).to_contain_text("Timed out")


def test_a_rate_limit_before_the_first_token_is_retried(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    fake.push_script(status=429, headers={"Retry-After": "0"},
                     error_body={"error": {"message": "slow down", "code": "rate_limit_exceeded"}})  # fmt: skip
    new_conversation(page, connection, "fake-model", max_retries="2")  # settings carry over
    send(page, "Retry me")
    status = wait_until_finished(page)
    assert status == "done", last_answer(page).inner_text()
    expect(last_answer(page).locator(".run-footer")).to_contain_text("1 retry")


def test_a_wrong_key_and_a_dead_server_are_explained(signed_in: Page, server):
    page = signed_in
    locked = FakeProvider(api_key="the-right-key").start()
    try:
        connection = add_connection(page, server.url, locked.base_url, api_key="the-wrong-key")
        expect(_error_for(page, connection, "fake-model")).to_contain_text("API key")
        assert "the-wrong-key" not in page.content()
    finally:
        locked.stop()
    dead = add_connection(page, server.url, locked.base_url)  # the server is gone now
    expect(_error_for(page, dead, "fake-model", max_retries="0")).to_contain_text(
        "Could not connect"
    )


def test_a_message_without_a_model_is_refused_and_kept(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "")
    send(page, "No model chosen")
    expect(page.locator("#composer-errors").get_by_role("alert")).to_contain_text("model")
    expect(page.get_by_label("Message", exact=True)).to_have_value("No model chosen")
    time.sleep(0)  # nothing to wait for: the refusal is synchronous


@pytest.mark.parametrize(
    ("kind", "label", "suffix", "path"),
    [
        ("anthropic", "Anthropic", "/v1", "/v1/messages"),
        ("google_genai", "Google Gemini", "/v1beta", "/v1beta/models/fake-markdown:streamGenerateContent?alt=sse"),
        ("ollama", "Ollama", "", "/api/chat"),
        ("azure_openai", "Azure OpenAI", "", "/openai/v1/chat/completions"),
        ("bedrock", "Amazon Bedrock", "", "/model/fake-markdown/converse-stream"),
        ("google_vertexai", "Google Vertex AI", "", "/projects/demo/locations/global/publishers/google/models/fake-markdown:streamGenerateContent?alt=sse"),
    ],
)  # fmt: skip
def test_every_provider_kind_streams_the_same_way(
    signed_in: Page, server, fake, kind, label, suffix, path
):
    page = signed_in
    root = fake.base_url.removesuffix("/v1")
    options = {"bedrock": {"Region": "us-east-1"},
               "google_vertexai": {"Project": "demo", "Location": "global"}}.get(kind)  # fmt: skip
    connection = add_connection(page, server.url, root + suffix, kind=kind, options=options)
    expect(page.locator(".connection", has_text=connection)).to_contain_text(label)
    new_conversation(page, connection, "fake-markdown", system_prompt="Answer in Markdown.")
    send(page, f"Markdown through {label}")
    assert wait_until_finished(page) == "done"
    expect(last_answer(page).locator("pre.highlight span.nb")).to_have_text("print")
    expect(last_answer(page).locator(".run-footer")).to_contain_text("tok/s")
    request = fake.requests()[-1]
    assert request["path"] == path
    assert "Answer in Markdown." in json.dumps(request["body"])


def test_the_panel_shows_only_the_parameters_the_provider_honours(signed_in: Page, server, fake):
    page = signed_in
    root = fake.base_url.removesuffix("/v1")
    anthropic = add_connection(page, server.url, root + "/v1", kind="anthropic")
    compatible = add_connection(page, server.url, fake.base_url)
    new_conversation(page, compatible, "fake-model")
    page.get_by_label("Seed").fill("7")
    expect(
        page.get_by_text("Takes: text, images, audio · tools · structured output")
    ).to_be_visible()
    page.get_by_label("Connection").select_option(label=f"{anthropic} (Anthropic)")
    expect(page.get_by_text("Takes: text, images · tools · structured output")).to_be_visible()
    expect(page.get_by_label("Seed")).to_be_hidden()
    expect(page.get_by_label("Temperature")).to_be_visible()
    send(page, "No seed for Claude")
    assert wait_until_finished(page) == "done"
    assert "seed" not in fake.requests()[-1]["body"]
