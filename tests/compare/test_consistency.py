"""Repeat: a pane answering one turn several times at once, and the consistency figures
of its answers — by hand-made cases, through the engine and through the compare panel."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from chat.engine import starting, store
from chat.models import Message, Pane, Run
from chat.run_settings import parse_run_settings
from compare.consistency import Repetition, figures, normalised


def test_answers_differing_only_in_whitespace_and_case_are_one():
    assert normalised("  Paris\n is  the Capital. ") == "paris is the capital."
    found = figures([Repetition("Paris."), Repetition(" paris. "), Repetition("Lyon.")])
    assert (found.answers, found.distinct, found.most_common) == (3, 2, 2)


def test_tool_calls_are_the_same_when_names_and_arguments_agree_in_any_order():
    weather = {"name": "weather", "arguments": {"city": "Oslo", "unit": "C"}}
    reordered = {"name": "weather", "arguments": {"unit": "C", "city": "Oslo"}}
    other = {"name": "weather", "arguments": {"city": "Bergen"}}
    found = figures([Repetition.of("", [weather], None, 10), Repetition.of("", [reordered], None, 30),
                     Repetition.of("", [other], None, 20), Repetition.of("No call.", [], None, 40)])  # fmt: skip
    assert (found.with_tool_calls, found.same_tool_calls) == (3, 2)
    assert found.latency_ms == (10.0, 25.0, 40.0)


def test_structured_answers_count_the_valid_and_unchecked_ones_are_left_out():
    found = figures([Repetition("{}", (), True), Repetition("{", (), False), Repetition("x")])
    assert (found.structured, found.valid) == (2, 1)
    assert figures([Repetition("a", duration_ms=None)]).latency_ms is None


@pytest.mark.parametrize(("text", "error"), [("0", True), ("21", True), ("two", True),
                                             ("", False), ("20", False)])  # fmt: skip
def test_repeat_is_a_whole_number_from_1_to_20(text, error):
    if error:
        with pytest.raises(ValidationError, match="Repeat is a whole number from 1 to 20"):
            parse_run_settings({"model": "m", "repeat": text})
    else:
        assert parse_run_settings({"model": "m", "repeat": text}).repeat == int(text or 1)
    assert parse_run_settings({"model": "m"}).repeat is None  # a form without it keeps it


@pytest.mark.django_db
def test_a_repeated_pane_answers_the_turn_that_many_times_at_once(
    user, make_conversation, make_connection
):
    conversation = make_conversation(user)
    connection = make_connection()
    repeated = Pane.objects.create(conversation=conversation, position=0, connection=connection,
                                   model="alpha", repeat=3)  # fmt: skip
    unready = Pane.objects.create(conversation=conversation, position=1, repeat=5)  # no model
    started = starting.start_turn(conversation, "Again?")
    answers = Message.objects.filter(conversation=conversation, role="assistant")
    assert sorted(answers.filter(pane=repeated).values_list("alternative", flat=True)) == [1, 2, 3]
    assert answers.filter(pane=unready).count() == 1  # a refusal is said once
    assert len(started.runs) == 3 and {run.pane_id for run in started.runs} == {repeated.pk}
    for i, run in enumerate(started.runs):
        store.finish_run(str(run.pk), text=["Yes.", "yes. ", "No."][i], reasoning="",
                         status="done", fields={"duration_ms": 100 * (i + 1)}, tool_calls=[])  # fmt: skip
    assert Run.objects.filter(pane=repeated, status="done").count() == 3


@pytest.mark.django_db
def test_the_panel_shows_the_consistency_of_a_repeated_pane_even_alone(
    member_client, user, make_conversation, make_connection
):
    conversation = make_conversation(user)
    Pane.objects.create(conversation=conversation, position=0, connection=make_connection(),
                        model="alpha", repeat=3)  # fmt: skip
    started = starting.start_turn(conversation, "Again?")
    for i, run in enumerate(started.runs):
        store.finish_run(str(run.pk), text=["Yes.", "yes. ", "No."][i], reasoning="",
                         status="done", fields={"duration_ms": 100 * (i + 1)}, tool_calls=[])  # fmt: skip
    panel = member_client.get(f"/c/{conversation.pk}/compare/").content.decode()
    table = panel.split('aria-label="Consistency"')[1].split("</table>")[0]
    assert "Pane 1" in table and "2 of 3" in table and "no calls" in table
    assert "100 / 200 / 300 ms" in table
    assert "Show differences" not in panel  # one pane: nothing to compare it with


@pytest.mark.django_db
def test_a_blind_turn_shows_and_judges_a_random_repetition_of_each_pane(
    user, make_conversation, make_connection
):
    conversation = make_conversation(user)
    conversation.blind = True
    conversation.save()
    connection = make_connection()
    panes = [Pane.objects.create(conversation=conversation, position=i, connection=connection,
                                 model=model, repeat=4) for i, model in enumerate(("a", "b"))]  # fmt: skip
    seen = set()
    for _ in range(12):
        turn = starting.start_turn(conversation, "Which?").turn
        chosen = turn.chosen
        assert set(chosen) == {str(pane.pk) for pane in panes}
        assert all(1 <= number <= 4 for number in chosen.values())
        seen |= set(chosen.values())
        Run.objects.filter(turn=turn).update(status="done")
        Message.objects.filter(turn=turn).update(status="done")
    assert len(seen) > 1  # drawn, not always the last
