"""Comparing models side by side, as a user does it in Chromium against a real Daphne and
the fake provider: panes, one composer, streaming at once, Stop per pane, reload, the
metrics strips, the chart, differences, sync, and every width."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.journeys import add_connection, expect_new_answer, new_conversation, wait_for
from tests.media import corpus


def pane(page: Page, number: int):
    return page.get_by_role("region", name=f"Pane {number}")


def add_pane(page: Page, count_after: int) -> None:
    page.get_by_role("button", name="Add pane").click()
    expect(page.get_by_role("region", name=re.compile(r"^Pane \d$"))).to_have_count(count_after)


def open_settings(page: Page, number: int):
    region = pane(page, number)
    toggle = region.get_by_role("button", name="Settings")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return region


def configure(page: Page, number: int, model: str, **params: str) -> None:
    region = open_settings(page, number)
    region.get_by_label("Model", exact=True).fill(model)
    labels = {"max_retries": "Max retries", "temperature": "Temperature", "timeout": "Timeout"}
    for key, value in params.items():
        region.get_by_label(labels[key], exact=True).fill(value)
    region.get_by_role("button", name="Settings").click()  # close it again


def answer_in(page: Page, number: int):
    return pane(page, number).locator("article[data-role=assistant]").last


def test_three_panes_stream_at_once_and_each_keeps_its_own_fate(
    signed_in: Page, server, fake, tmp_path
):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-slow")
    add_pane(page, 2)
    add_pane(page, 3)
    configure(page, 2, "fake-error-429", max_retries="0")
    configure(page, 3, "fake-paced-400-15")
    expect(pane(page, 2).locator(".pane-model")).to_have_text("fake-error-429")

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(corpus.encoded(corpus.photo_like((800, 600)), "JPEG", quality=80))
    page.locator("#file-input").set_input_files(str(photo))
    expect(page.locator("#attachment-chips .chip")).to_have_count(1)
    expect_new_answer(page)
    page.get_by_label("Message", exact=True).fill("Compare these")
    page.get_by_label("Message", exact=True).press("Enter")

    # All three at once: two stream while the third says why it failed, in its own pane.
    expect(answer_in(page, 1)).to_have_attribute("data-status", "streaming")
    expect(answer_in(page, 3)).to_have_attribute("data-status", "streaming")
    expect(answer_in(page, 2)).to_have_attribute("data-status", "error")
    expect(answer_in(page, 2).get_by_role("alert")).to_contain_text("Rate limited")
    expect(answer_in(page, 1).locator(".message-body")).to_contain_text("word2")
    expect(answer_in(page, 3).locator(".message-body")).to_contain_text("tok5")
    expect(pane(page, 1).locator(".message-user")).to_contain_text("Compare these")
    expect(pane(page, 3).locator(".message-user img")).to_have_count(1)
    received = [request["received"] for request in fake.requests()]
    assert all(len(parts) == 1 for parts in received[-3:]), received  # every pane got the photo

    # Stop one pane: the others go on.
    pane(page, 3).get_by_role("button", name="Stop", exact=True).click()
    expect(answer_in(page, 3)).to_have_attribute("data-status", "stopped")
    expect(answer_in(page, 1)).to_have_attribute("data-status", "streaming")

    # Reload mid-stream: pane 1 catches up from where it is and goes on.
    before = len(answer_in(page, 1).locator(".message-body").inner_text())
    page.reload()
    expect(answer_in(page, 1).locator(".message-body")).to_contain_text("word")
    wait_for(page, f"document.querySelector('#{answer_in(page, 1).get_attribute('id')}-body')"
                   f"?.innerText.length > {before}")  # fmt: skip
    expect(answer_in(page, 1)).to_have_attribute("data-status", "done", timeout=30_000)
    assert "word199" in answer_in(page, 1).inner_text()

    # The metrics strip under each answer; the chart and the marks of the turn.
    strip = answer_in(page, 1).locator(".run-footer")
    for figure in ("fake-slow", "TTFT", "tok/s", "total", "tokens", "no price"):
        expect(strip).to_contain_text(figure)
    expect(answer_in(page, 3).locator(".run-footer")).to_contain_text("(estimated)")
    chart = page.get_by_role("img", name=re.compile("Metrics of 3 panes"))
    expect(chart).to_be_visible()
    expect(page.locator(".badge-mark", has_text="fastest")).to_have_count(1)

    # Show differences between two panes' answers of the latest turn.
    page.get_by_label("Compare", exact=True).select_option(index=0)  # Pane 1
    page.get_by_label("with", exact=True).select_option(index=2)  # Pane 3
    page.get_by_role("button", name="Show differences").click()
    differences = page.get_by_role("region", name="Differences between Pane 1 and Pane 3")
    expect(differences.locator("del").first).to_be_visible()
    expect(differences.locator("ins").first).to_be_visible()

    # Remove the failing pane: it asks first, because it has an answer.
    page.once("dialog", lambda dialog: dialog.accept())
    pane(page, 2).get_by_role("button", name="Remove pane").click()
    expect(page.get_by_role("region", name=re.compile(r"^Pane \d$"))).to_have_count(2)
    expect(pane(page, 2).locator(".pane-model")).to_have_text("fake-paced-400-15")


def test_sync_settings_applies_an_edit_to_every_pane(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    add_pane(page, 2)
    page.get_by_role("switch", name="Sync settings").check()
    first = open_settings(page, 1)
    first.get_by_label("Temperature", exact=True).fill("0.25")
    first.get_by_label("System prompt").fill("Answer in one line.")
    second = open_settings(page, 2)
    expect(second.get_by_label("Temperature", exact=True)).to_have_value("0.25")
    expect(second.get_by_label("System prompt")).to_have_value("Answer in one line.")
    page.wait_for_timeout(1500)  # both autosaves
    page.reload()
    expect(open_settings(page, 2).get_by_label("Temperature", exact=True)).to_have_value("0.25")
    expect(page.get_by_role("switch", name="Sync settings")).to_be_checked()
    page.get_by_role("switch", name="Sync settings").uncheck()
    open_settings(page, 1).get_by_label("Temperature", exact=True).fill("0.9")
    expect(open_settings(page, 2).get_by_label("Temperature", exact=True)).to_have_value("0.25")


def test_panes_can_be_duplicated_moved_and_are_eight_at_most(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    add_pane(page, 2)
    configure(page, 2, "fake-markdown")
    pane(page, 2).get_by_role("button", name="Duplicate pane").click()
    expect(page.get_by_role("region", name=re.compile(r"^Pane \d$"))).to_have_count(3)
    expect(pane(page, 3).locator(".pane-model")).to_have_text("fake-markdown")
    copy = pane(page, 3).get_attribute("data-pane")
    pane(page, 3).get_by_role("button", name="Move pane left").click()
    expect(page.locator("section.pane").nth(1)).to_have_attribute("data-pane", copy)
    pane(page, 2).get_by_role("button", name="Move pane left").click()
    expect(page.locator("section.pane").nth(0)).to_have_attribute("data-pane", copy)
    expect(pane(page, 1).locator(".pane-model")).to_have_text("fake-markdown")
    expect(pane(page, 1).get_by_role("button", name="Move pane left")).to_be_disabled()
    for count in range(4, 9):
        add_pane(page, count)
    expect(page.get_by_role("button", name="Add pane")).to_be_disabled()
    # More than four scroll sideways rather than squeezing.
    overflow = page.evaluate("(() => { const p = document.getElementById('panes');"
                             " return p.scrollWidth > p.clientWidth; })()")  # fmt: skip
    assert overflow


def test_a_phone_sees_the_conversation_first_and_panes_as_tabs(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    add_pane(page, 2)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_label("Message", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Sidebar")).to_be_hidden()
    page.get_by_role("button", name="Conversations").click()
    expect(page.get_by_role("navigation", name="Sidebar")).to_be_visible()
    page.get_by_role("button", name="Conversations").click()
    expect(pane(page, 1)).to_be_visible()
    expect(pane(page, 2)).to_be_hidden()
    page.get_by_role("tab", name="Pane 2").click()
    expect(pane(page, 2)).to_be_visible()
    expect(pane(page, 1)).to_be_hidden()
    expect(pane(page, 2).get_by_label("Model", exact=True)).to_be_hidden()
    pane(page, 2).get_by_role("button", name="Settings").click()
    expect(pane(page, 2).get_by_label("Model", exact=True)).to_be_visible()
    pane(page, 2).get_by_role("button", name="Settings").click()
    # Both panes answer; the hidden one streams too.
    expect_new_answer(page)
    page.get_by_label("Message", exact=True).fill("From a phone")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(answer_in(page, 2)).to_have_attribute("data-status", "done")
    page.get_by_role("tab", name="Pane 1").click()
    expect(answer_in(page, 1)).to_have_attribute("data-status", "done")
    expect(answer_in(page, 1)).to_contain_text("You said: From a phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
