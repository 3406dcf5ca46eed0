"""Voting on a compared turn and the leaderboard built from the votes: who the contestants
are, the choices, one vote per voter per turn, refusals that say what to do, the team whose
board a vote counts on, and the page and exports of a team's board (its members' only)."""

from __future__ import annotations

import csv
import io
import json
import math
import random

import pytest
from django.test import Client

from accounts import teams
from accounts.models import Membership, Role
from chat.engine import starting, store
from chat.models import Pane
from compare import arena, ratings, selection
from compare.models import Vote

pytestmark = pytest.mark.django_db


def _finish(run, text):
    store.finish_run(str(run.pk), text=text, reasoning="", status="done", tool_calls=[],
                     fields={"duration_ms": 900})  # fmt: skip


def compared(conversation, connection, models, answers=None, source=None):
    """A finished turn of one pane per model; `source`, a prompt version, for the first pane
    (or a list: one per pane)."""
    sources = source if isinstance(source, list) else [source] + [None] * (len(models) - 1)
    panes = [Pane.objects.create(conversation=conversation, position=i, connection=connection,
                                 model=model, source=sources[i])
             for i, model in enumerate(models)]  # fmt: skip
    started = starting.start_turn(conversation, "Which is it?")
    by_pane = {run.pane_id: run for run in started.runs}
    for i, pane in enumerate(panes):
        _finish(by_pane[pane.pk], (answers or {}).get(i, f"Answer of {pane.model}."))
    return store.latest_shown_turn(conversation.pk), panes


@pytest.fixture
def two(user, make_conversation, make_connection):
    conversation = make_conversation(user)
    turn, _panes = compared(conversation, make_connection(), ["alpha", "beta"])
    return conversation, turn


def test_the_contestants_are_the_panes_in_order_a_prompt_version_by_its_name(
    user, make_conversation, make_connection
):
    conversation = make_conversation(user)
    source = {"prompt": 1, "version": 1, "number": 3, "name": "Support bot"}
    turn, panes = compared(conversation, make_connection(), ["alpha", "beta", "gamma"],
                           answers={1: "# Title\n- one\n- two **bold**"}, source=source)  # fmt: skip
    found = arena.contestants_of(turn)
    assert [(c.label, c.pane_id, c.name) for c in found] == [
        ("A", panes[0].pk, "alpha · Support bot v3"), ("B", panes[1].pk, "beta"),
        ("C", panes[2].pk, "gamma")]  # fmt: skip
    assert found[1].style == ratings.Style(len("# Title\n- one\n- two **bold**"), 1, 2, 1)


def test_two_answers_offer_four_choices_more_offer_a_best_of_each_tie_and_all_bad():
    assert [c.text for c in arena.choices(2)] == ["A is better", "B is better", "Tie",
                                                  "Both are bad"]  # fmt: skip
    assert [c.text for c in arena.choices(3)] == ["Best: A", "Best: B", "Best: C", "Tie", "All bad"]
    assert [c.value for c in arena.choices(3)][:3] == ["best:A", "best:B", "best:C"]


def test_a_vote_is_kept_once_per_voter_and_turn_and_voting_again_replaces_it(user, two):
    conversation, turn = two
    arena.cast(conversation, turn, user, "a")
    vote = arena.cast(conversation, turn, user, "tie")
    assert Vote.objects.count() == 1 and vote.outcome == "tie" and not vote.blind
    assert [c["name"] for c in vote.contestants] == ["alpha", "beta"]
    assert vote.team == teams.personal_team(user)  # a private conversation: its author's board


def test_a_shared_conversation_votes_on_its_team_board(user, two):
    conversation, turn = two
    crew = teams.create_team("Crew", user)
    conversation.team, conversation.visibility = crew, "team"
    conversation.save()
    assert arena.cast(conversation, turn, user, "b").team == crew


@pytest.mark.parametrize(("value", "words"), [("best:C", "vote buttons"), ("", "vote buttons"),
                                              ("a; drop", "vote buttons")])  # fmt: skip
def test_a_choice_that_is_not_a_button_is_refused(user, two, value, words):
    conversation, turn = two
    with pytest.raises(arena.VoteRefused, match=words):
        arena.cast(conversation, turn, user, value)
    assert not Vote.objects.exists()


def test_two_panes_of_the_same_model_are_not_a_battle(user, make_conversation, make_connection):
    conversation = make_conversation(user)
    turn, _ = compared(conversation, make_connection(), ["alpha", "alpha"])
    with pytest.raises(arena.VoteRefused, match="same model"):
        arena.cast(conversation, turn, user, "a")


def test_a_turn_still_answering_takes_no_vote(user, make_conversation, make_connection):
    conversation = make_conversation(user)
    connection = make_connection()
    for i, model in enumerate(("alpha", "beta")):
        Pane.objects.create(conversation=conversation, position=i, connection=connection,
                            model=model)  # fmt: skip
    started = starting.start_turn(conversation, "Which?")
    turn = started.runs[0].turn
    with pytest.raises(arena.VoteRefused, match="Wait for every pane"):
        arena.cast(conversation, turn, user, "a")


def test_the_panel_offers_the_vote_and_after_it_names_the_contestants(member_client, two):
    conversation, turn = two
    panel = member_client.get(f"/c/{conversation.pk}/compare/").content.decode()
    assert all(f">{text}</button>" in panel for text in ("A is better", "Both are bad"))
    assert "You voted" not in panel
    answer = member_client.post(f"/c/{conversation.pk}/compare/vote/",
                                {"turn": turn.pk, "choice": "b"}, HTTP_HX_REQUEST="true")  # fmt: skip
    page = answer.content.decode()
    assert answer.status_code == 200 and "You voted <strong>B is better" in page
    assert "<strong>A</strong> alpha" in page and "<strong>B</strong> beta" in page
    assert 'value="b" aria-pressed="true"' in page


def test_a_vote_on_a_turn_no_longer_shown_is_refused_and_a_bad_choice_says_so(member_client, two):
    conversation, turn = two
    stale = member_client.post(f"/c/{conversation.pk}/compare/vote/",
                               {"turn": turn.pk + 1000, "choice": "a"})  # fmt: skip
    assert stale.status_code == 409 and "A newer turn" in stale.content.decode()
    bad = member_client.post(f"/c/{conversation.pk}/compare/vote/", {"turn": turn.pk})
    assert bad.status_code == 400 and "Choose one of the vote buttons" in bad.content.decode()
    assert not Vote.objects.exists()


def test_viewers_of_a_shared_conversation_vote_and_outsiders_find_nothing(
    user, two, django_user_model
):
    conversation, turn = two
    crew = teams.create_team("Crew", user)
    conversation.team, conversation.visibility = crew, "team"
    conversation.save()
    viewer, outsider = (django_user_model.objects.create_user(n) for n in ("vi", "out"))
    Membership.objects.create(team=crew, user=viewer, role=Role.VIEWER)
    path = f"/c/{conversation.pk}/compare/vote/"
    as_viewer, as_outsider = Client(), Client()
    as_viewer.force_login(viewer)
    as_outsider.force_login(outsider)
    assert as_viewer.get(path).status_code == 405
    assert as_viewer.post(path, {"turn": turn.pk, "choice": "a"}).status_code == 302
    refused = as_outsider.post(path, {"turn": turn.pk, "choice": "b"})
    assert refused.status_code == 404 and "alpha" not in refused.content.decode()
    assert [(v.voter, v.outcome) for v in Vote.objects.all()] == [(viewer, "a")]


# -- the leaderboard ----------------------------------------------------------------------------


def seeded_votes(user, team, make_conversation, make_connection, plan):
    """Votes on real turns: `plan` is a list of (models, choice, blind)."""
    connection = make_connection()
    for models, choice, blind in plan:
        conversation = make_conversation(user)
        turn, _ = compared(conversation, connection, models)
        vote = arena.cast(conversation, turn, user, choice, blind=blind)
        Vote.objects.filter(pk=vote.pk).update(team=team)


@pytest.fixture
def board(user, make_conversation, make_connection):
    """Crew's votes: alpha beats beta 7 times, loses 3, ties 2 (the reference's hand check),
    all blind; one open vote; gamma met once (too few to rate)."""
    crew = teams.create_team("Crew", user)
    plan = ([(["alpha", "beta"], "a", True)] * 7 + [(["alpha", "beta"], "b", True)] * 3
            + [(["alpha", "beta"], "tie", True)] * 2 + [(["alpha", "gamma"], "a", True)]
            + [(["beta", "alpha"], "a", False)])  # fmt: skip
    seeded_votes(user, crew, make_conversation, make_connection, plan)
    return crew


def test_the_leaderboard_ranks_blind_votes_with_intervals_and_lists_the_barely_seen_apart(
    member_client, board
):
    page = member_client.get(f"/arena/leaderboard/?team={board.pk}").content.decode()
    assert '<table class="table leaderboard" aria-label="Ratings">' in page
    rows = page.split('aria-label="Ratings"')[1].split("</table>")[0]
    assert rows.index("alpha") < rows.index("beta")
    board_fit = ratings.fit(selection.battles_of(Vote.objects.filter(team=board, blind=True)))
    gap = board_fit.row("alpha").rating - board_fit.row("beta").rating
    assert 110 < gap < 130  # 7 wins, 3 losses, 2 ties and one win over gamma
    low, high = board_fit.row("alpha").ci_low, board_fit.row("alpha").ci_high
    assert f"{round(low)} – {round(high)}" in rows
    assert "Too few battles to rate" in page and "gamma" in page.split("Too few battles")[1]
    assert "13 votes" in page  # blind only: the open vote is left out by default
    assert (
        "14 votes"
        in member_client.get(f"/arena/leaderboard/?team={board.pk}&blind=0").content.decode()
    )


def test_the_win_rate_matrix_counts_ties_as_half(member_client, board):
    page = member_client.get(f"/arena/leaderboard/?team={board.pk}").content.decode()
    matrix = page.split('aria-label="Win rates"')[1].split("</table>")[0]
    assert "67%" in matrix and "(12)" in matrix  # (7 + 1) / 12 and 12 battles
    assert "33%" in matrix


def test_control_for_length_shows_a_second_ranking(member_client, board):
    page = member_client.get(f"/arena/leaderboard/?team={board.pk}&control=1").content.decode()
    assert 'aria-label="Ratings controlled for length"' in page and "length " in page


def test_a_date_range_with_no_votes_says_so(member_client, board):
    page = member_client.get(f"/arena/leaderboard/?team={board.pk}&since=2001-01-01"
                             "&until=2001-01-31").content.decode()  # fmt: skip
    assert "No votes from blind turns yet with these filters" in page


def test_the_votes_export_as_csv_and_json_with_the_filters_applied(member_client, board):
    listed = json.loads(member_client.get(f"/arena/votes.json?team={board.pk}").content)
    assert listed["team"] == "Crew" and len(listed["votes"]) == 13
    first = listed["votes"][0]
    assert {e["name"] for e in first["contestants"]} <= {"alpha", "beta", "gamma"}
    assert all(v["blind"] for v in listed["votes"])
    response = member_client.get(f"/arena/votes.csv?team={board.pk}&blind=0&contestant=gamma")
    assert response["Content-Disposition"] == f'attachment; filename="votes-{board.pk}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["outcome"], r["winner_name"], r["contestants"]) for r in rows] == [
        ("a", "", "A=alpha | B=gamma")]  # fmt: skip


def test_a_team_one_is_not_in_has_no_leaderboard(board, django_user_model):
    outsider = Client()
    outsider.force_login(django_user_model.objects.create_user("outsider"))
    for path in (f"/arena/leaderboard/?team={board.pk}", f"/arena/votes.csv?team={board.pk}",
                 f"/arena/votes.json?team={board.pk}", "/arena/votes.xml"):  # fmt: skip
        response = outsider.get(path)
        assert response.status_code == 404 and "alpha" not in response.content.decode()
        assert "Crew" not in response.content.decode()


def test_the_fit_of_many_random_votes_orders_contestants_by_their_true_strength(
    user, make_conversation, make_connection
):
    """Twenty votes per pair drawn from known strengths: the board puts them in that order."""
    crew = teams.create_team("Crew", user)
    strength = {"weak": -1.5, "fair": 0.0, "strong": 1.5}  # logits
    rng = random.Random(3)
    plan = []
    for a, b in (("weak", "fair"), ("fair", "strong"), ("weak", "strong")):
        for _ in range(20):
            p = 1 / (1 + math.exp(strength[b] - strength[a]))
            plan.append(([a, b], "a" if rng.random() < p else "b", True))
    seeded_votes(user, crew, make_conversation, make_connection, plan)
    found = ratings.fit(selection.battles_of(Vote.objects.filter(team=crew)))
    assert [row.contestant for row in found.rows] == ["strong", "fair", "weak"]


def test_random_battles_draw_the_pairs_with_fewest_votes_most_often():
    from collections import Counter

    names = ["a", "b", "c"]
    counts = Counter({frozenset(("a", "b")): 99})  # a–b has a hundred votes, the others none
    rng = random.Random(7)
    drawn = Counter(arena.draw_pair(names, counts, rng) for _ in range(3000))
    assert drawn[(0, 1)] < 60 < drawn[(0, 2)] and drawn[(1, 2)] > 1200
    with pytest.raises(arena.VoteRefused, match="two different contestants"):
        arena.draw_pair(["a", "a"], Counter())


def test_pair_counts_count_every_pair_a_vote_compared(user, make_conversation, make_connection):
    crew = teams.create_team("Crew", user)
    seeded_votes(user, crew, make_conversation, make_connection,
                 [(["alpha", "beta", "gamma"], "best:A", True), (["alpha", "beta"], "tie", True)])  # fmt: skip
    counts = arena.pair_counts(crew)
    assert counts[frozenset(("alpha", "beta"))] == 2 and counts[frozenset(("beta", "gamma"))] == 1
