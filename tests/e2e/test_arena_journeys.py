"""The blind arena as a user meets it in Chromium: three panes set up, Blind mode on, a turn
whose page and socket frames name no model, a vote that reveals them, and the Leaderboard
that now lists them, narrowed to a pool."""

from __future__ import annotations

import json
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
    # The page's own part and title: the sidebar lists other conversations, whose titles
    # (a "Compare versions" one names its models) are not this turn's to hide.
    shown = page.title() + page.locator("main").inner_html() + "".join(frames)
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
    winner = verdict.locator("li", has=page.locator("strong", has_text="B")).inner_text()
    winner = winner.removeprefix("B").strip()
    assert winner in MODELS
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

    # A pool of the winner and one loser keeps that one battle; of the two losers, none.
    losers = [model for model in MODELS if model != winner]
    for pool, says in (([winner, losers[0]], "1 vote, 1 battle"),
                       (losers, "No votes from blind turns yet with these filters")):  # fmt: skip
        pool_list = page.locator("details.pool")
        if pool_list.get_attribute("open") is None:
            page.get_by_text("Pool:").click()
        for model in MODELS:
            page.get_by_role("checkbox", name=model, exact=True).set_checked(model in pool)
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_text("Pool: 2 of 3")).to_be_visible()
        expect(page.get_by_text(says)).to_be_visible()
    page.screenshot(path=str(SHOTS / "arena-leaderboard-pool.png"), full_page=True)


BATTLE_SETUP = """
import json
from django.contrib.auth import get_user_model
from accounts.models import Team
from library.models import Prompt, PromptVersion

admin = get_user_model().objects.get(username="admin")
# The team made at set-up, not a new one: other journeys expect it to be the first choice.
team = Team.objects.filter(personal_for__isnull=True, memberships__user=admin).order_by("pk")[0]
prompt = Prompt.objects.create(team=team, name={name!r}, owner=admin)
for number, system in ((1, "You are terse."), (2, "You are warm.")):
    PromptVersion.objects.create(prompt=prompt, number=number, author=admin, system_prompt=system,
                                 messages=[{{"role": "user", "content": "Greet me"}}],
                                 connection_name={connection!r}, connection_kind="openai_compatible",
                                 model="fake-model", commit_message=system)
print(json.dumps({{"prompt": prompt.pk, "team": team.pk}}))
"""


def test_a_random_battle_draws_two_versions_blind_and_the_vote_reveals_them(
    signed_in: Page, server, fake
):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    name = "Greeter " + re.sub(r"\D", "", connection)
    made = json.loads(server.manage("shell", "-c", BATTLE_SETUP.format(
        name=name, connection=connection)).strip().splitlines()[-1])  # fmt: skip

    page.goto(f"{server.url}/library/p/{made['prompt']}/")
    form = page.get_by_role("form", name="Compare versions")
    form.get_by_role("checkbox", name="v1").check()
    form.get_by_role("checkbox", name="v2").check()
    form.get_by_label("Models").fill("fake-model, fake-markdown")
    form.get_by_role("button", name="Random battle").click()
    page.wait_for_url("**/c/*/**")
    expect(page.get_by_role("heading", name=re.compile("^Random battle"))).to_be_visible()
    expect(page.locator(".pane-model")).to_have_text(["hidden (blind mode)"] * 2)
    wait_for(page, f"{DONE} === 2")
    vote = page.get_by_role("form", name="Vote")
    expect(vote.get_by_role("button", name="A is better")).to_be_visible()
    own = page.title() + page.locator("main").inner_html()
    assert "fake-markdown" not in own and f"{name} v" not in own
    vote.get_by_role("button", name="A is better").click()
    verdict = page.get_by_role("status").filter(has_text="You voted")
    expect(verdict).to_contain_text("(blind)")
    expect(verdict).to_contain_text(f"· {name} v")
    page.screenshot(path=str(SHOTS / "arena-random-battle.png"), full_page=True)

    verdict.get_by_role("link", name="Leaderboard").click()
    expect(page.get_by_label("Team")).to_have_value(str(made["team"]))
    expect(page.get_by_role("table", name="Unrated")).to_contain_text(f"{name} v")


def test_repeat_five_times_shows_every_answer_and_how_consistent_they_are(
    signed_in: Page, server, fake
):
    page = signed_in
    connection = add_connection(page, server.url, fake.base_url)
    new_conversation(page, connection, "fake-paced-6-10")
    region = page.get_by_role("region", name="Pane 1")
    repeat = region.get_by_label("Repeat", exact=True)
    repeat.fill("25")
    expect(region.get_by_role("alert")).to_contain_text("Repeat is a whole number from 1 to 20")
    repeat.fill("5")
    expect(region.get_by_role("alert")).to_have_count(0)

    send(page, "Say it five times")
    # All five stream at once, stacked in the pane.
    expect(region.locator("article[data-role=assistant]")).to_have_count(5)
    wait_for(page, f"{DONE} === 5")
    table = page.get_by_role("table", name="Consistency")
    expect(table).to_contain_text("Pane 1")
    row = table.locator("tbody tr").first
    expect(row.locator("td").nth(0)).to_have_text("5")
    expect(row.locator("td").nth(1)).to_have_text(re.compile(r"^[1-5] of 5$"))
    expect(row.locator("td").nth(2)).to_have_text("no calls")
    expect(row.locator("td").nth(4)).to_have_text(re.compile(r"^\d+ / \d+ / \d+ ms$"))
    page.screenshot(path=str(SHOTS / "repeat-consistency.png"), full_page=True)

    # After a reload, one answer at a time with ◀ ▶ through the five.
    page.reload()
    switcher = region.get_by_role("group", name="Answers to this turn")
    expect(switcher).to_contain_text("5 / 5")
    switcher.get_by_role("button", name="Previous alternative").click()
    expect(region.get_by_role("group", name="Answers to this turn")).to_contain_text("4 / 5")
