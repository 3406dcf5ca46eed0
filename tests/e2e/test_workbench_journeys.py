"""The workbench issue, as a user meets it in Chromium: finding a conversation again."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.journeys import add_connection, new_conversation, send, wait_until_finished

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_search_conversations_finds_one_by_what_was_said_and_marks_where(
    signed_in: Page, server, fake
):
    page = signed_in
    word = f"quokka{uuid.uuid4().hex[:6]}"  # the shared server keeps other tests' conversations
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    send(page, "Hello there")  # the title: the word is found in a later message
    assert wait_until_finished(page) == "done"
    send(page, f"Tell me about the {word} of Rottnest")
    assert wait_until_finished(page) == "done"
    new_conversation(page, connection, "fake-model")  # the page now shows another conversation

    search = page.get_by_role("searchbox", name="Search conversations")
    search.fill(word.upper())
    found = page.get_by_role("list", name=f"Conversations matching {word.upper()}")
    expect(found.get_by_role("listitem")).to_have_count(1)
    expect(found.locator("mark")).to_have_text(word)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-conversations.png"))
    found.get_by_role("link").click()
    expect(page.locator(".message-user").last).to_contain_text(f"the {word} of Rottnest")

    search = page.get_by_role("searchbox", name="Search conversations")
    search.fill("no such words anywhere zz")
    expect(page.get_by_role("status").filter(has_text="No conversation matches")).to_be_visible()
    search.fill("")
    expect(
        page.get_by_role("list", name="Conversations").get_by_role("listitem").first
    ).to_be_visible()
