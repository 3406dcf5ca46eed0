"""Which battles a leaderboard counts: the pool, the prompt version and the contestant act on
the battles a vote makes, not on whole votes; and the page and export apply them."""

from __future__ import annotations

import json

import pytest

from accounts import teams
from compare import arena, selection
from compare.models import Vote
from compare.selection import Filters
from tests.compare.test_arena import compared, seeded_votes


def vote(outcome: str, *entries: dict | str, winner: str = "") -> Vote:
    """An unsaved vote among `entries` (names, or saved contestants), labelled A, B, …"""
    saved = []
    for label, entry in zip(arena.LABELS, entries, strict=False):
        entry = {"name": entry} if isinstance(entry, str) else entry
        saved.append({"label": label, "style": [10, 0, 0, 0], **entry})
    return Vote(outcome=outcome, winner=winner, contestants=saved)


def pairs(battles) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(b.a, b.b, b.outcome) for b in battles]


def test_a_pool_keeps_only_the_battles_between_two_of_its_members():
    won_by_c = vote("best", "alpha", "beta", "gamma", winner="C")
    assert pairs(selection.vote_battles(won_by_c)) == [("gamma", "alpha", "a"),
                                                       ("gamma", "beta", "a")]  # fmt: skip
    assert selection.vote_battles(won_by_c, Filters(pool=frozenset({"alpha", "beta"}))) == []
    kept = selection.vote_battles(won_by_c, Filters(pool=frozenset({"alpha", "gamma"})))
    assert pairs(kept) == [("gamma", "alpha", "a")]


def test_one_contestants_battles_are_those_it_fought_not_the_whole_vote():
    tie = vote("tie", "alpha", "beta", "gamma")
    assert len(selection.vote_battles(tie)) == 3
    assert pairs(selection.vote_battles(tie, Filters(contestant="beta"))) == [
        ("alpha", "beta", "tie"), ("beta", "gamma", "tie")]  # fmt: skip


def test_a_prompt_keeps_the_battles_between_its_answers_and_a_version_between_that_versions():
    v1 = {"name": "alpha · Bot v1", "prompt": "Bot", "version": 1}
    v2a = {"name": "alpha · Bot v2", "prompt": "Bot", "version": 2}
    v2b = {"name": "beta · Bot v2", "prompt": "Bot", "version": 2}
    votes = [vote("a", v1, v2a), vote("b", v2a, v2b), vote("a", v2b, "gamma")]
    assert pairs(selection.battles_of(votes, Filters(prompt="Bot"))) == [
        ("alpha · Bot v1", "alpha · Bot v2", "a"), ("alpha · Bot v2", "beta · Bot v2", "b")]  # fmt: skip
    assert pairs(selection.battles_of(votes, Filters(prompt="Bot", version=2))) == [
        ("alpha · Bot v2", "beta · Bot v2", "b")]  # fmt: skip
    assert selection.battles_of(votes, Filters(prompt="Other")) == []
    assert selection.prompt_versions(votes) == [("Bot", [1, 2])]


def test_a_vote_whose_contestants_repeat_a_name_makes_no_battle():
    assert selection.vote_battles(vote("a", "alpha", "alpha")) == []


@pytest.mark.django_db
def test_a_cast_vote_keeps_the_prompt_version_each_answer_came_from(
    user, make_conversation, make_connection
):
    conversation = make_conversation(user)
    source = {"prompt": 1, "version": 1, "number": 3, "name": "Support bot"}
    turn, _panes = compared(conversation, make_connection(), ["alpha", "beta"], source=source)
    saved = arena.cast(conversation, turn, user, "a").contestants
    assert (saved[0]["prompt"], saved[0]["version"]) == ("Support bot", 3)
    assert "prompt" not in saved[1]


@pytest.fixture
def three_way(user, make_conversation, make_connection):
    """Blind votes of a crew: alpha beats beta 6 times, gamma beats alpha 6 times."""
    crew = teams.create_team("Pool crew", user)
    plan = [(["alpha", "beta"], "a", True)] * 6 + [(["alpha", "gamma"], "b", True)] * 6
    seeded_votes(user, crew, make_conversation, make_connection, plan)
    return crew


@pytest.mark.django_db
def test_the_leaderboard_and_its_export_take_a_pool(member_client, three_way):
    url = f"/arena/leaderboard/?team={three_way.pk}"
    page = member_client.get(url).content.decode()
    assert "Pool: every contestant" in page and "12 votes" in page
    assert page.count('name="pool"') == 3
    page = member_client.get(url + "&pool=alpha&pool=beta").content.decode()
    assert "Pool: 2 of 3" in page and "6 votes" in page
    rated = page.split('aria-label="Ratings"')[1].split("</table>")[0]
    assert "alpha" in rated and "beta" in rated and "gamma" not in rated
    listed = json.loads(member_client.get(f"/arena/votes.json?team={three_way.pk}"
                                          "&pool=alpha&pool=gamma").content)  # fmt: skip
    assert len(listed["votes"]) == 6
    assert all({e["name"] for e in v["contestants"]} == {"alpha", "gamma"}
               for v in listed["votes"])  # fmt: skip


@pytest.mark.django_db
def test_the_prompt_version_field_lists_the_judged_versions_and_narrows_the_board(
    member_client, user, make_conversation, make_connection
):
    """With version 1, alpha beats beta 4 times in 6; with version 2, beta wins 4 in 6."""
    crew = teams.create_team("Prompt crew", user)
    connection = make_connection()
    plan = [(1, "a")] * 4 + [(1, "b")] * 2 + [(2, "b")] * 4 + [(2, "a")] * 2
    for number, choice in plan:
        conversation = make_conversation(user)
        source = {"prompt": 1, "version": number, "number": number, "name": "Bot"}
        turn, _ = compared(conversation, connection, ["alpha", "beta"], source=[source, source])
        cast = arena.cast(conversation, turn, user, choice, blind=True)
        Vote.objects.filter(pk=cast.pk).update(team=crew)
    url = f"/arena/leaderboard/?team={crew.pk}"
    page = member_client.get(url).content.decode()
    assert '<label for="lb-prompt">Prompt version</label>' in page
    assert '<option value="0:Bot">Bot: every version</option>' in page
    assert '<option value="2:Bot">Bot v2</option>' in page
    page = member_client.get(url + "&prompt=2:Bot").content.decode()
    assert '<option value="2:Bot" selected>Bot v2</option>' in page and "6 votes" in page
    rated = page.split('aria-label="Ratings"')[1].split("</table>")[0]
    assert rated.index("beta · Bot v2") < rated.index("alpha · Bot v2") and "v1" not in rated
