"""Regenerate, Re-run from here and the alternatives they leave (chat.engine.rerunning,
chat.engine.paths, chat/choosing.py): what each pane shows and what later turns send is the
chosen alternative; a re-run branches, keeping what came after on the old branch."""

from __future__ import annotations

import pytest

from chat import choosing
from chat.engine import rerunning, starting, store
from chat.models import Conversation, Message, Pane, Run
from tests.chat.test_engine_turns import _finished

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_panes(user, make_connection):
    connection = make_connection()
    conversation = Conversation.objects.create(owner=user)
    for position, name in enumerate(("left", "right")):
        Pane.objects.create(conversation=conversation, position=position, connection=connection,
                            model=name)  # fmt: skip
    return conversation


def _answered(
    conversation: Conversation, text: str, answers: dict[str, str]
) -> starting.StartedTurn:
    """A turn whose every pane answered: `answers` by model name."""
    started = starting.start_turn(conversation, text)
    for run in started.runs:
        _finished(run, answers[run.pane.model])
    return started


def _history(run: Run) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in store.history_for(run)]


def _shown(conversation: Conversation, model: str) -> list[tuple[str, str, int, int]]:
    """What a pane shows: (role, text, which alternative, of how many)."""
    pane_id = conversation.panes.get(model=model).pk
    return [(m.role, m.content, *getattr(m, "shown_position", (1, 1)))
            for m in store.page_messages(conversation.pk)
            if m.pane_id in (None, pane_id)]  # fmt: skip


def test_regenerating_one_pane_keeps_the_old_answer_and_later_turns_send_the_chosen_one(two_panes):
    first = _answered(two_panes, "Name a colour", {"left": "Red", "right": "Blue"})
    left_answer = Message.objects.get(turn=first.turn, pane__model="left")
    again = rerunning.regenerate(two_panes, left_answer.pk, every_pane=False)
    assert [run.pane.model for run in again.runs] == ["left"]  # the other pane is untouched
    assert _history(again.runs[0]) == [("user", "Name a colour")]  # not its own old answer
    _finished(again.runs[0], "Green")
    assert _shown(two_panes, "left") == [("user", "Name a colour", 1, 1),
                                         ("assistant", "Green", 2, 2)]  # fmt: skip
    assert _shown(two_panes, "right")[-1] == ("assistant", "Blue", 1, 1)

    choosing.step(Message.objects.get(content="Green"), -1)  # back to "Red"
    assert _shown(two_panes, "left")[-1] == ("assistant", "Red", 1, 2)
    following = starting.start_turn(two_panes, "Another")
    left_run = next(run for run in following.runs if run.pane.model == "left")
    assert _history(left_run) == [("user", "Name a colour"), ("assistant", "Red"),
                                  ("user", "Another")]  # fmt: skip


def test_regenerating_a_turn_from_its_message_answers_again_in_every_pane(two_panes):
    first = _answered(two_panes, "Hi", {"left": "L1", "right": "R1"})
    question = Message.objects.get(turn=first.turn, role="user")
    again = rerunning.regenerate(two_panes, question.pk, every_pane=True)
    assert sorted(run.pane.model for run in again.runs) == ["left", "right"]
    assert {run.message.alternative for run in again.runs} == {2}
    for run in again.runs:
        _finished(run, run.pane.model.upper())
    assert _shown(two_panes, "right")[-1] == ("assistant", "RIGHT", 2, 2)


def test_stepping_past_the_ends_changes_nothing(two_panes):
    first = _answered(two_panes, "Hi", {"left": "L1", "right": "R1"})
    answer = Message.objects.get(turn=first.turn, pane__model="left")
    assert choosing.step(answer, -1) is False
    assert choosing.step(answer, 1) is False


def test_regenerating_while_a_pane_streams_is_refused(two_panes):
    started = starting.start_turn(two_panes, "Hi")  # still streaming
    with pytest.raises(rerunning.NotRerun, match="Wait for the answers"):
        rerunning.regenerate(two_panes, started.runs[0].message_id, every_pane=False)
    assert Message.objects.filter(role="assistant").count() == 2


def test_a_failed_alternative_chosen_sends_no_answer_for_its_turn(two_panes):
    first = _answered(two_panes, "Hi", {"left": "L1", "right": "R1"})
    answer = Message.objects.get(turn=first.turn, pane__model="left")
    again = rerunning.regenerate(two_panes, answer.pk, every_pane=False)
    store.finish_run(str(again.runs[0].pk), text="", reasoning="", status="error", fields={},
                     tool_calls=[])  # fmt: skip
    following = starting.start_turn(two_panes, "Next")
    left_run = next(run for run in following.runs if run.pane.model == "left")
    # The failed answer is the one shown; a failed answer is not said (L1 is not sent either).
    assert _history(left_run) == [("user", "Hi"), ("user", "Next")]


def test_rerun_from_a_message_branches_and_keeps_what_came_after(two_panes):
    first = _answered(two_panes, "Plan a trip", {"left": "Oslo", "right": "Rome"})
    _answered(two_panes, "How long?", {"left": "3 days", "right": "5 days"})
    question = Message.objects.get(turn=first.turn, role="user")
    branch = rerunning.rerun_from(two_panes, question.pk, two_panes.owner)
    assert branch.turn.parent_id is None and branch.turn.pk != first.turn.pk
    for run in branch.runs:
        assert _history(run) == [("user", "Plan a trip")]
        _finished(run, f"{run.pane.model} again")
    assert _shown(two_panes, "left") == [("user", "Plan a trip", 2, 2),
                                         ("assistant", "left again", 1, 1)]  # fmt: skip

    shown_question = Message.objects.get(turn=branch.turn, role="user")
    assert choosing.step(shown_question, -1)  # back to the first branch: nothing was lost
    assert [text for _r, text, *_ in _shown(two_panes, "left")] == [
        "Plan a trip", "Oslo", "How long?", "3 days"]  # fmt: skip
    # A new send follows the branch shown.
    following = starting.start_turn(two_panes, "And then?")
    left_run = next(run for run in following.runs if run.pane.model == "left")
    assert [text for _r, text in _history(left_run)] == [
        "Plan a trip", "Oslo", "How long?", "3 days", "And then?"]  # fmt: skip


def test_rerun_copies_the_turns_attachments_by_reference(two_panes, user):
    from chat import attachments
    from tests.chat.test_attachments import as_file, jpeg_with_gps

    photo = attachments.store_upload(two_panes, user, as_file(jpeg_with_gps(), "map.jpg",
                                                              "image/jpeg"))  # fmt: skip
    Pane.objects.filter(conversation=two_panes).update(model="gpt-4o")  # takes images
    first = starting.start_turn(two_panes, "Where?", [str(photo.pk)])
    for run in first.runs:
        _finished(run, "Here")
    question = Message.objects.get(turn=first.turn, role="user")
    branch = rerunning.rerun_from(two_panes, question.pk, user)
    copied = branch.attachments
    assert [a.blob_id for a in copied] == [photo.blob_id]
    assert copied[0].message_id == branch.new_messages[0].pk
    assert photo.blob_id and Message.objects.get(pk=question.pk).attachments.count() == 1


def test_only_shared_messages_rerun(two_panes):
    first = _answered(two_panes, "Hi", {"left": "L1", "right": "R1"})
    answer = Message.objects.get(turn=first.turn, pane__model="left")
    with pytest.raises(rerunning.NotRerun, match="every pane shares"):
        rerunning.rerun_from(two_panes, answer.pk, two_panes.owner)


def test_tool_results_continue_the_alternative_they_answer(two_panes):
    first = starting.start_turn(two_panes, "What time is it?")
    call = {"id": "c1", "name": "clock", "arguments": {}}
    for run in first.runs:
        _finished(run, "Noon" if run.pane.model == "right" else "", [] if run.pane.model ==
                  "right" else [call])  # fmt: skip
    answer = Message.objects.get(turn=first.turn, pane__model="left")
    again = rerunning.regenerate(two_panes, answer.pk, every_pane=False)
    _finished(again.runs[0], "", [{"id": "c2", "name": "clock", "arguments": {}}])
    going_on = starting.start_tool_turn(two_panes, again.runs[0].message_id, {"c2": "12:00"})
    assert Message.objects.get(role="tool").alternative == 2
    assert going_on.runs[0].message.alternative == 2
    assert [(m.role, m.tool_call_id or m.content) for m in store.history_for(going_on.runs[0])] == [
        ("user", "What time is it?"), ("assistant", ""), ("tool", "c2")]  # fmt: skip


def test_a_page_of_alternatives_and_branches_costs_the_same_queries(
    two_panes, django_assert_max_num_queries
):
    first = _answered(two_panes, "Hi", {"left": "L1", "right": "R1"})
    with django_assert_max_num_queries(4) as captured:
        store.page_messages(two_panes.pk)
    few = len(captured.captured_queries)
    for _ in range(3):
        answer = Message.objects.filter(turn=first.turn, pane__model="left").last()
        _finished(rerunning.regenerate(two_panes, answer.pk, every_pane=False).runs[0], "again")
    question = Message.objects.get(turn=first.turn, role="user")
    for run in rerunning.rerun_from(two_panes, question.pk, two_panes.owner).runs:
        _finished(run, "branch")
    _answered(two_panes, "More", {"left": "L", "right": "R"})
    with django_assert_max_num_queries(few):
        store.page_messages(two_panes.pk)
