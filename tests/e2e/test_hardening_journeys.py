"""What the hardening issue fixed, as a user (and an attacker) meets it in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN, create_admin_through_setup
from tests.e2e.journeys import add_connection, new_conversation, send, wait_for, wait_until_finished


def test_the_policy_blocks_an_injected_inline_script(signed_in: Page, expect_csp_violation):
    page = signed_in
    reports: list[str] = []
    page.on("console", lambda message: reports.append(message.text))
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__injected = true';
                             document.body.append(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__injected") is None
    assert any("Content Security Policy" in text for text in reports), reports


def test_an_over_long_message_is_refused_in_the_composer_and_kept(signed_in: Page, server, fake):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-model")
    requests_before = len(fake.requests())
    box = page.get_by_label("Message", exact=True)
    box.evaluate("(box) => { box.value = 'x'.repeat(3 * 1024 * 1024); }")
    box.press("Enter")
    alert = page.locator("#composer-errors [role=alert]")
    expect(alert).to_contain_text(re.compile(r"This message is 3\.0 MB; Playground takes at most "
                                             r"2\.0 MB per message"))  # fmt: skip
    assert box.evaluate("(box) => box.value.length") == 3 * 1024 * 1024
    assert len(fake.requests()) == requests_before
    box.fill("A short one")
    send(page, "A short one")
    assert wait_until_finished(page) == "done"


def test_repeated_wrong_passwords_lock_the_sign_in_and_say_until_when(page: Page, fresh_server):
    create_admin_through_setup(page, fresh_server.url)
    page.get_by_role("button", name="Sign out").click()
    for _ in range(5):
        page.get_by_label("Username").fill(ADMIN[0])
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Try again in 15 minutes"))
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")


def test_a_member_removed_while_their_page_is_open_is_told_why(
    signed_in: Page, server, browser: Browser
):
    admin = signed_in
    admin.goto(server.url + "/team/")
    name = f"removable{admin.evaluate('Date.now()')}"
    admin.get_by_label("Username").fill(name)
    admin.get_by_label("Password", exact=True).fill("a-long-member-password-5")
    admin.get_by_label("Confirm password").fill("a-long-member-password-5")
    admin.get_by_role("button", name="Add member").click()
    expect(admin.get_by_text(f"Added {name}")).to_be_visible()

    member_context = browser.new_context()
    member = member_context.new_page()
    member.goto(server.url + "/login/")
    member.get_by_label("Username").fill(name)
    member.get_by_label("Password").fill("a-long-member-password-5")
    member.get_by_role("button", name="Sign in").click()
    member.wait_for_url("**/c/*/")
    wait_for(member, "document.querySelector('#busy-flag') !== null")
    member.wait_for_timeout(300)  # the socket is open

    admin.get_by_role("button", name=f"Remove {name}").click()
    expect(admin.get_by_text(f"Removed {name}.")).to_be_visible()
    expect(member.locator("#socket-state")).to_contain_text(
        "Your access to this conversation was removed."
    )
    member_context.close()
