"""The blind arena as a user meets it in Chromium: three panes set up, Blind mode on, a turn
whose page and socket frames name no model, a vote that reveals them, and the Leaderboard
that now lists them."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.journeys import add_connection, new_conversation, send, wait_for
from tests.e2e.test_compare_journeys import add_pane, configure
from tests.e2e.test_workbench_journeys import SHOTS

MODELS = ("fake-model", "fake-markdown", "fake-paced-12-5")
DONE = "document.querySelectorAll('article[data-role=assistant][data-status=done]').length"


def test_a_blind_three_pane_turn_names_no_model_until_the_vote(signed_in: Page, server, fake):
    page = signed_in
    SHOTS.mkdir(parents=True, exist_ok=True)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.append(str(payload))))  # fmt: skip
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, MODELS[0])
    for number, model in enumerate(MODELS[1:], start=2):
        add_pane(page, number)
        configure(page, number, model)
        expect(page.get_by_role("region", name=f"Pane {number}").locator(".pane-model")
               ).to_have_text(model)  # fmt: skip

    with page.expect_navigation():
        page.get_by_role("switch", name="Blind mode").check()
    expect(page.get_by_role("switch", name="Blind mode")).to_be_checked()
    expect(page.locator(".pane-model")).to_have_text(["hidden (blind mode)"] * 3)
    expect(page.get_by_role("button", name="View code")).to_have_count(0)
    frames.clear()  # from here on, everything this page is sent is searched

    send(page, "Which of you is kindest?")
    wait_for(page, f"{DONE} === 3")
    vote = page.get_by_role("form", name="Vote")
    expect(vote.get_by_role("button", name="Best: A")).to_be_visible()
    for text in ("Best: B", "Best: C", "Tie", "All bad"):
        expect(vote.get_by_role("button", name=text, exact=True)).to_be_visible()
    shown = page.content() + "".join(frames)
    assert len(frames) > 3
    assert not [model for model in MODELS if model in shown]
    assert not re.search(r"\$\d", page.locator(".run-footer").first.inner_text())  # no cost
    page.screenshot(path=str(SHOTS / "arena-blind-turn.png"), full_page=True)

    vote.get_by_role("button", name="Best: B").click()
    verdict = page.get_by_role("status").filter(has_text="You voted")
    expect(verdict).to_contain_text("Best: B")
    expect(verdict).to_contain_text("(blind)")
    for model in MODELS:
        expect(verdict).to_contain_text(model)
    page.screenshot(path=str(SHOTS / "arena-revealed.png"), full_page=True)

    page.get_by_role("link", name="Leaderboard").first.click()
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible()
    page.get_by_label("Team").select_option(label="Only me")
    page.get_by_role("button", name="Show").click()
    unrated = page.get_by_role("table", name="Unrated")
    for model in MODELS:
        expect(unrated).to_contain_text(model)
    expect(page.get_by_text("1 vote, 2 battles")).to_be_visible()
    page.screenshot(path=str(SHOTS / "arena-leaderboard.png"), full_page=True)
