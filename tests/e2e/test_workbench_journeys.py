"""The workbench issue, as a user meets it in Chromium: finding a conversation again."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.journeys import add_connection, new_conversation, send, wait_until_finished
from tests.fakes.builtin_scripts import MARKDOWN_ANSWER

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


def test_copy_message_gives_the_raw_markdown_and_copy_code_the_code(signed_in: Page, server, fake):
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-markdown")
    send(page, "Show me some Markdown")
    assert wait_until_finished(page) == "done"
    answer = page.locator(".message-assistant").last
    expect(answer.locator("h1")).to_have_text("Result")  # shown rendered

    answer.get_by_role("button", name="Copy message").click()
    expect(answer.get_by_role("button", name="Copy message")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == MARKDOWN_ANSWER

    answer.get_by_role("button", name="Copy code").click()
    assert page.evaluate("navigator.clipboard.readText()") == "print('hi')\n"
    page.screenshot(path=str(SHOTS / "copy-message.png"))

    mine = page.locator(".message-user").last
    mine.get_by_role("button", name="Copy message").click()
    expect(mine.get_by_role("button", name="Copy message")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "Show me some Markdown"


def test_export_a_conversation_and_import_it_back(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-markdown")
    word = f"export{uuid.uuid4().hex[:6]}"
    send(page, f"Remember {word}")
    assert wait_until_finished(page) == "done"

    page.get_by_text("Export", exact=True).click()
    with page.expect_download() as markdown:
        page.get_by_role("link", name="Markdown", exact=True).click()
    text = Path(markdown.value.path()).read_text()
    assert text.startswith(f"# Remember {word}") and "print('hi')" in text
    with page.expect_download() as exported:
        page.get_by_role("link", name="JSON (imports again)", exact=True).click()
    saved = exported.value.path()

    page.get_by_label("Conversation file (JSON)").set_input_files(saved)
    page.get_by_role("button", name="Import").click()
    expect(
        page.get_by_role("status").filter(has_text=f"Imported “Remember {word}”.")
    ).to_be_visible()
    expect(page.locator(".message-user").last).to_contain_text(f"Remember {word}")
    expect(page.locator(".message-assistant h1").last).to_have_text("Result")
    page.screenshot(path=str(SHOTS / "imported.png"))
    found = page.get_by_role("searchbox", name="Search conversations")
    found.fill(word)
    expect(
        page.get_by_role("list", name=f"Conversations matching {word}").get_by_role("listitem")
    ).to_have_count(2)

    page.get_by_label("Conversation file (JSON)").set_input_files(
        {"name": "other.json", "mimeType": "application/json", "buffer": b'{"hello": 1}'}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("That JSON is not a Playground conversation")).to_be_visible()


def test_fork_from_here_opens_a_new_conversation_up_to_that_answer(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    word = f"fork{uuid.uuid4().hex[:6]}"
    send(page, f"First {word}")
    assert wait_until_finished(page) == "done"
    send(page, "Second question")
    assert wait_until_finished(page) == "done"
    original = page.url

    page.locator(".message-assistant").first.get_by_role("button", name="Fork from here").click()
    page.wait_for_url(lambda url: url != original)
    expect(page.get_by_role("heading", name=f"First {word} (fork)")).to_be_visible()
    expect(page.locator(".message-user")).to_have_count(1)
    expect(page.locator(".message-assistant")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "forked.png"))
    page.goto(original)
    expect(page.locator(".message-user")).to_have_count(2)  # the original is untouched


def test_delete_message_asks_first_and_takes_the_answers_with_it(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    send(page, "Keep this one")
    assert wait_until_finished(page) == "done"
    send(page, "Delete this one")
    assert wait_until_finished(page) == "done"
    expect(page.locator(".message-user")).to_have_count(2)

    questions: list[str] = []

    def answer(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    delete = page.locator(".message-user").last.get_by_role("button", name="Delete message")
    delete.click()  # dismissed: nothing goes
    page.wait_for_timeout(300)
    expect(page.locator(".message-user")).to_have_count(2)
    delete.click()  # accepted
    expect(page.locator(".message-user")).to_have_count(1)
    expect(page.locator(".message-assistant")).to_have_count(1)
    assert questions == ["Delete this message and its answers in every pane?"] * 2
    page.reload()
    expect(page.locator(".message-user")).to_have_count(1)


def test_add_a_message_by_hand_then_run_with_it_as_history(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    page.get_by_text("Add message by hand").click()
    page.get_by_label("Role").select_option(label="User")
    page.get_by_label("Text", exact=True).fill("Say yes.")
    page.get_by_role("button", name="Add message").click()
    expect(page.locator(".message-user")).to_have_count(1)

    page.get_by_text("Add message by hand").click()
    page.get_by_label("Role").select_option(label="Tool call and result")
    page.get_by_role("button", name="Add message").click()
    expect(page.get_by_role("alert").filter(has_text="Name the tool")).to_be_visible()
    page.get_by_label("Role").select_option(label="Assistant")
    page.get_by_label("Text", exact=True).fill("Yes, written by hand.")
    page.get_by_role("button", name="Add message").click()
    expect(page.locator(".message-assistant")).to_contain_text("Yes, written by hand.")
    page.screenshot(path=str(SHOTS / "by-hand.png"))

    before = len(fake.requests())
    send(page, "And now?")
    assert wait_until_finished(page) == "done"
    sent = fake.requests()[before]["body"]["messages"]
    assert [(m["role"], m["content"]) for m in sent][-3:] == [
        ("user", "Say yes."),
        ("assistant", "Yes, written by hand."),
        ("user", "And now?"),
    ]


def test_view_code_shows_each_language_and_copies_it(signed_in: Page, server, fake):
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    send(page, "Show me the request")
    assert wait_until_finished(page) == "done"
    page.get_by_role("region", name="Pane 1").get_by_role("button", name="View code").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("tab", name="curl")).to_have_attribute("aria-selected", "true")
    expect(dialog.get_by_role("tabpanel")).to_contain_text("Show me the request")
    page.screenshot(path=str(SHOTS / "view-code.png"))
    dialog.get_by_role("tab", name="Python").click()
    expect(dialog.get_by_role("tabpanel")).to_contain_text("httpx.stream")
    dialog.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()").startswith("import json")
    dialog.get_by_role("tab", name="LangChain").click()
    expect(dialog.get_by_role("tabpanel")).to_contain_text("init_chat_model")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
