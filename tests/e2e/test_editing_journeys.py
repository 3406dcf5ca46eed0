"""Changing a conversation and running it again, as a user does in Chromium: edit and re-run
on a new branch, regenerate and step through the alternatives (one pane and a comparison),
edit an answer, and write an assistant message by hand then run."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.journeys import (
    add_connection,
    expect_new_answer,
    new_conversation,
    send,
    wait_until_finished,
)
from tests.e2e.test_compare_journeys import add_pane, answer_in, configure, pane
from tests.e2e.test_workbench_journeys import SHOTS


def _sent_texts(fake, index: int = -1) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in fake.requests()[index]["body"]["messages"]]


def _edit(message, text: str, button: str = "Save") -> None:
    message.get_by_role("button", name="Edit message").click()
    form = message.page.get_by_role("form", name="Edit message")
    form.get_by_label(re.compile("Message text|What the tool returned")).fill(text)
    form.get_by_role("button", name=button, exact=True).click()
    expect(form).to_have_count(0)


def test_edit_and_rerun_branches_and_the_old_branch_is_one_click_away(
    signed_in: Page, server, fake
):
    page = signed_in
    word = f"river{uuid.uuid4().hex[:6]}"
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    send(page, f"Name a {word}")
    assert wait_until_finished(page) == "done"
    send(page, "How long is it?")
    assert wait_until_finished(page) == "done"

    first_question = page.locator(".message-user").first
    _edit(first_question, "Name a lake", button="Save and re-run")
    expect(page.locator(".message-user")).to_have_count(1)  # the later turn is on the old branch
    expect(page.locator(".message-assistant")).to_have_attribute("data-status", "done")
    assert _sent_texts(fake)[-1] == ("user", "Name a lake")  # only what led up to it
    question = page.locator(".message-user").first
    expect(question).to_contain_text("Name a lake")
    expect(question.locator(".alternative-count")).to_have_text("2 / 2")
    expect(page.locator(".message-assistant").last).to_contain_text("You said: Name a lake")
    page.screenshot(path=str(SHOTS / "edit-and-rerun.png"))

    question.get_by_role("button", name="Previous alternative").click()
    expect(page.locator(".message-user")).to_have_count(2)
    expect(page.locator(".message-user").first).to_contain_text(f"Name a {word}")
    expect(page.locator(".message-user").first.locator(".alternative-count")).to_have_text("1 / 2")
    expect(page.locator(".message-user").last).to_contain_text("How long is it?")
    page.reload()  # the choice is saved, not only drawn
    expect(page.locator(".message-user")).to_have_count(2)
    send(page, "And its depth?")
    assert wait_until_finished(page) == "done"
    assert [text for role, text in _sent_texts(fake) if role == "user"] == [
        f"Name a {word}", "How long is it?", "And its depth?"]  # fmt: skip


def test_regenerate_in_one_pane_of_a_comparison_and_step_through_alternatives(
    signed_in: Page, server, fake
):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    add_pane(page, 2)
    configure(page, 2, "fake-markdown")
    expect_new_answer(page)
    send(page, "Tell me something")
    expect(answer_in(page, 2)).to_have_attribute("data-status", "done")
    assert wait_until_finished(page) == "done"

    fake.push_script(tokens=["A ", "second ", "answer."])
    answer_in(page, 1).get_by_role("button", name="Regenerate").click()
    expect(answer_in(page, 1)).to_contain_text("A second answer.")
    expect(answer_in(page, 1)).to_have_attribute("data-status", "done")
    expect(answer_in(page, 1).locator(".alternative-count")).to_have_text("2 / 2")
    expect(answer_in(page, 2).locator(".alternative-count")).to_have_count(0)  # untouched
    expect(answer_in(page, 2).locator("h1")).to_have_text("Result")
    page.screenshot(path=str(SHOTS / "regenerate-alternatives.png"))

    answer_in(page, 1).get_by_role("button", name="Previous alternative").click()
    expect(answer_in(page, 1).locator(".alternative-count")).to_have_text("1 / 2")
    expect(answer_in(page, 1)).to_contain_text("You said: Tell me something")
    expect(answer_in(page, 1).get_by_role("button", name="Previous alternative")).to_be_disabled()
    answer_in(page, 1).get_by_role("button", name="Next alternative").click()
    expect(answer_in(page, 1)).to_contain_text("A second answer.")

    before = len(fake.requests())
    send(page, "Go on")
    expect(pane(page, 2).locator("article[data-role=assistant]")).to_have_count(2)
    expect(answer_in(page, 1)).to_have_attribute("data-status", "done")
    expect(answer_in(page, 2)).to_have_attribute("data-status", "done")
    bodies = [request["body"] for request in fake.requests()[before:]]
    first_pane = next(body for body in bodies if body["model"] == "fake-model")
    assert [(m["role"], m["content"]) for m in first_pane["messages"] if m["role"] != "system"] == [
        ("user", "Tell me something"),
        ("assistant", "A second answer."),
        ("user", "Go on"),
    ]


def test_regenerate_every_pane_from_the_question(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    add_pane(page, 2)
    send(page, "Hello both")
    assert wait_until_finished(page) == "done"
    expect(answer_in(page, 2)).to_have_attribute("data-status", "done")
    before = len(fake.requests())
    pane(page, 1).locator(".message-user").get_by_role("button", name="Regenerate").click()
    for number in (1, 2):
        expect(answer_in(page, number).locator(".alternative-count")).to_have_text("2 / 2")
        expect(answer_in(page, number)).to_have_attribute("data-status", "done")
    assert len(fake.requests()) == before + 2


def test_edit_an_answer_and_then_a_written_by_hand_answer_is_sent(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    send(page, "Say something short")
    assert wait_until_finished(page) == "done"
    answer = page.locator(".message-assistant").last
    _edit(answer, "Something **short**.")
    answer = page.locator(".message-assistant").last
    expect(answer.locator("strong")).to_have_text("short")
    expect(answer.locator(".edited-mark")).to_have_text("edited")

    # A refused edit says why in the form, and the message stays as it was.
    answer.get_by_role("button", name="Edit message").click()
    form = page.get_by_role("form", name="Edit message")
    form.get_by_label("Message text").fill("   ")
    form.get_by_role("button", name="Save", exact=True).click()
    expect(form.get_by_role("alert")).to_contain_text("delete it instead")
    page.screenshot(path=str(SHOTS / "edit-refused.png"))
    form.get_by_role("button", name="Cancel").click()
    expect(page.locator(".message-assistant").last).to_contain_text("Something short.")

    send(page, "Now longer")
    assert wait_until_finished(page) == "done"
    assert _sent_texts(fake)[-2:] == [("assistant", "Something **short**."),
                                      ("user", "Now longer")]  # fmt: skip
