"""Teams in Chromium: an owner makes a team and invites a newcomer as a viewer by link; the
newcomer makes their account on the link, opens a conversation shared with the team
read-only, and a prompt saved into the team read-only, which they open into a conversation of
their own; made private again, the conversation is gone for them."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.journeys import add_connection, new_conversation, send, wait_until_finished
from tests.e2e.test_workbench_journeys import SHOTS


def test_invite_a_newcomer_share_a_conversation_and_they_open_it_read_only(
    signed_in: Page, server, fake, browser
):
    page = signed_in
    suffix = uuid.uuid4().hex[:6]
    page.goto(server.url + "/team/")
    page.get_by_label("New team").fill(f"Crew {suffix}")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name=f"Crew {suffix}")).to_be_visible()
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_label("Invite link").input_value()
    assert "/invite/" in link
    page.screenshot(path=str(SHOTS / "team-invite.png"))

    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    title = f"Shared plan {suffix}"
    send(page, title)
    assert wait_until_finished(page) == "done"
    page.get_by_label("Share with").select_option(label=f"Team: Crew {suffix}")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_text(f"Shared with Crew {suffix}")).to_be_visible()
    shared_url = page.url

    newcomer_context = browser.new_context()
    newcomer = newcomer_context.new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name=f"Join Crew {suffix}")).to_be_visible()
    newcomer.get_by_label("Username").fill(f"newcomer{suffix}")
    newcomer.get_by_label("Password", exact=True).fill(PASSWORD)
    newcomer.get_by_label("Confirm password").fill(PASSWORD)
    newcomer.get_by_role("button", name="Join team").click()
    expect(newcomer.get_by_role("heading", name=f"Crew {suffix}")).to_be_visible()
    expect(newcomer.get_by_text("You joined")).to_be_visible()

    newcomer.goto(shared_url)
    expect(newcomer.locator(".message-user")).to_contain_text(title)
    expect(newcomer.get_by_role("status").filter(has_text="fork it")).to_be_visible()
    expect(newcomer.get_by_label("Message", exact=True)).to_have_count(0)  # no composer
    expect(newcomer.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(newcomer.get_by_role("button", name="Fork from here").first).to_be_visible()
    newcomer.screenshot(path=str(SHOTS / "shared-read-only.png"))

    # A prompt saved into the team: the viewer finds it, opens it read-only, and runs it in a
    # conversation of their own.
    page.goto(shared_url)
    page.get_by_role("region", name="Pane 1").get_by_role("button", name="Save prompt").click()
    page.get_by_label("Name", exact=True).fill(f"Planner {suffix}")
    page.get_by_label("Team").select_option(label=f"Crew {suffix}")
    page.get_by_role("button", name="Save prompt").click()
    expect(page.get_by_role("heading", name=f"Planner {suffix}")).to_be_visible()
    newcomer.goto(server.url + "/library/")
    newcomer.get_by_role("link", name=f"Planner {suffix}").click()
    expect(newcomer.get_by_text("you can open and compare it; editors change it")).to_be_visible()
    for control in ("Move label", "Delete prompt", "Restore"):
        expect(newcomer.get_by_role("button", name=control)).to_have_count(0)
    newcomer.screenshot(path=str(SHOTS / "shared-prompt-read-only.png"))
    expect(newcomer.get_by_role("button", name="Open in playground")).to_be_visible()
    newcomer.get_by_role("button", name="Open in playground").click()
    newcomer.wait_for_url("**/c/*/")
    expect(newcomer.get_by_label("Message", exact=True)).to_be_visible()  # theirs to run

    page.goto(shared_url)

    page.get_by_label("Share with").select_option(label="Only me")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_text("Only you see this conversation")).to_be_visible()
    response = newcomer.goto(shared_url)
    assert response is not None and response.status == 404
    assert title not in newcomer.content()
    newcomer_context.close()
