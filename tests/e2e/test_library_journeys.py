"""The library in Chromium: save a pane as a prompt, change it and save a version with a
commit message after seeing the changes, compare the two versions, move a label, open it with
its variables filled and watch it run, and compare two versions across two models."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.e2e.journeys import add_connection, new_conversation
from tests.e2e.test_workbench_journeys import SHOTS


def test_save_version_label_open_with_variables_and_compare(signed_in: Page, server, fake):
    page = signed_in
    name = f"Translator {uuid.uuid4().hex[:6]}"
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model",
                     system_prompt="You translate into {{language}}.")  # fmt: skip
    page.get_by_text("Add message by hand").click()
    page.get_by_label("Role").select_option(label="User")
    page.get_by_label("Text", exact=True).fill("Translate: {{text}}")
    page.get_by_role("button", name="Add message").click()
    expect(page.locator(".message-user")).to_contain_text("Translate: {{text}}")
    conversation_url = page.url

    page.get_by_role("region", name="Pane 1").get_by_role("button", name="Save prompt").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Commit message").fill("First try")
    page.get_by_role("button", name="Save prompt").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("table", name="Versions")).to_contain_text("First try")

    # Change the pane, then save a version: the changes are shown before saving.
    page.goto(conversation_url)
    settings = page.get_by_role("region", name="Pane 1")
    settings.get_by_label("System prompt", exact=True).fill(
        "You translate into {{language}}, briefly."
    )
    page.wait_for_timeout(900)  # the settings save as you type
    settings.get_by_role("button", name="Save prompt").click()
    page.get_by_label("Save as").select_option(label=f"New version of {name} (Team)")
    page.get_by_role("button", name="Show changes").click()
    expect(page.locator(".version-diff ins")).to_contain_text("briefly")
    page.get_by_label("Commit message").fill("Shorter answers")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_role("table", name="Versions")).to_contain_text("Shorter answers")

    page.get_by_role("button", name="Show changes").click()
    expect(page.get_by_role("region", name="Differences between version 1 and version 2")
           .locator("ins")).to_contain_text("briefly")  # fmt: skip
    page.screenshot(path=str(SHOTS / "library-diff.png"))
    page.go_back()

    page.get_by_label("Label", exact=True).fill("production")
    page.get_by_label("points at").select_option("1")
    page.get_by_role("button", name="Move label").click()
    expect(page.locator(".label-moves")).to_contain_text("moved production to v1")
    page.screenshot(path=str(SHOTS / "library-prompt.png"))

    # Open the production label with its variables: it runs at once.
    before = len(fake.requests())
    open_form = page.get_by_role("form", name="Open in playground")
    open_form.get_by_label("Version").select_option("production")
    open_form.get_by_label("language").fill("French")
    open_form.get_by_label("text").fill("the cat")
    open_form.get_by_role("button", name="Open in playground").click()
    expect(page.locator(".message-user")).to_contain_text("Translate: the cat")
    expect(page.locator("article[data-role=assistant]")).to_have_attribute("data-status", "done")
    sent = fake.requests()[before]["body"]["messages"]
    assert sent[0] == {"role": "system", "content": "You translate into French."}
    assert sent[-1]["content"] == "Translate: the cat"

    # Two versions × two models, as four panes answering at once.
    page.go_back()
    compare = page.get_by_role("form", name="Compare versions")
    compare.get_by_label("v1", exact=True).check()
    compare.get_by_label("v2", exact=True).check()
    compare.get_by_label("Models").fill("fake-model, fake-markdown")
    compare.get_by_label("language").fill("German")
    compare.get_by_label("text").fill("a dog")
    before = len(fake.requests())
    compare.get_by_role("button", name="Compare versions").click()
    answers = page.locator("article[data-role=assistant]")
    expect(answers).to_have_count(4)
    for number in range(4):
        expect(answers.nth(number)).to_have_attribute("data-status", "done")
    systems = sorted(r["body"]["messages"][0]["content"] for r in fake.requests()[before:])
    assert (
        systems == ["You translate into German, briefly."] * 2 + ["You translate into German."] * 2
    )
    page.screenshot(path=str(SHOTS / "library-compare.png"))
