"""The compare panel and Show differences, through the views: only for the conversation's
owner, for the latest finished turn, with clear refusals."""

from __future__ import annotations

import pytest

from chat.engine import starting, store
from chat.models import Pane

pytestmark = pytest.mark.django_db


def _finish(run, text, **fields):
    store.finish_run(str(run.pk), text=text, reasoning="", status="done", tool_calls=[],
                     fields={"duration_ms": 900, "time_to_first_token_ms": 100,
                             "output_tokens": 40, **fields})  # fmt: skip


@pytest.fixture
def compared(user, make_conversation, make_connection):
    """A conversation of two panes with one finished turn."""
    connection = make_connection()
    conversation = make_conversation(user)
    first = Pane.objects.create(conversation=conversation, position=0, connection=connection,
                                model="alpha")  # fmt: skip
    second = Pane.objects.create(conversation=conversation, position=1, connection=connection,
                                 model="beta")  # fmt: skip
    turn = starting.start_turn(conversation, "Which is it?")
    by_pane = {run.pane_id: run for run in turn.runs}
    _finish(by_pane[first.pk], "The answer is red and round.", duration_ms=800)
    _finish(by_pane[second.pk], "The answer is blue and round.", duration_ms=1200)
    return conversation, first, second


def test_the_panel_charts_the_latest_turn_and_marks_the_fastest(member_client, compared):
    conversation, first, _second = compared
    page = member_client.get(f"/c/{conversation.pk}/compare/").content.decode()
    assert 'class="metrics-chart"' in page and 'aria-label="Metrics of 2 panes' in page
    assert "Show differences" in page
    fastest = first.messages.get(role="assistant")
    assert (
        f'id="message-{fastest.pk}-marks" hx-swap-oob="innerHTML"><span class="badge badge-mark">fastest'
        in page
    )


def test_differences_show_the_words_that_changed(member_client, compared):
    conversation, first, second = compared
    page = member_client.get(
        f"/c/{conversation.pk}/compare/diff/?a={first.pk}&b={second.pk}"
    ).content.decode()
    assert "<del>red</del><ins>blue</ins>" in page
    assert "1 word removed, 1 added" in page


@pytest.mark.parametrize("query", ["a=&b=", "a=999999&b=1", "a=x&b=y"])
def test_differences_between_panes_that_are_not_there_are_refused(member_client, compared, query):
    conversation, _first, _second = compared
    response = member_client.get(f"/c/{conversation.pk}/compare/diff/?{query}")
    assert response.status_code == 400 and "Choose two panes" in response.content.decode()


def test_a_pane_compared_with_itself_is_refused(member_client, compared):
    conversation, first, _second = compared
    response = member_client.get(f"/c/{conversation.pk}/compare/diff/?a={first.pk}&b={first.pk}")
    assert response.status_code == 400 and "two different panes" in response.content.decode()


def test_someone_else_gets_nothing(admin_client, compared):
    conversation, first, second = compared
    for path in (f"/c/{conversation.pk}/compare/",
                 f"/c/{conversation.pk}/compare/diff/?a={first.pk}&b={second.pk}"):  # fmt: skip
        assert admin_client.get(path).status_code == 404


def test_a_single_pane_has_no_panel(member_client, user, make_conversation):
    conversation = make_conversation(user)
    Pane.objects.create(conversation=conversation)
    assert member_client.get(f"/c/{conversation.pk}/compare/").content == b""


def test_the_panel_compares_the_answers_shown_not_the_newest(member_client, compared):
    from chat import choosing
    from chat.engine import rerunning

    conversation, first, second = compared
    red = first.messages.get(role="assistant")
    again = rerunning.regenerate(conversation, red.pk, every_pane=False)
    _finish(again.runs[0], "The answer is green and round.", duration_ms=3000)
    diff = f"/c/{conversation.pk}/compare/diff/?a={first.pk}&b={second.pk}"
    assert "<del>green</del><ins>blue</ins>" in member_client.get(diff).content.decode()
    newest = first.messages.get(content__contains="green")
    assert choosing.step(newest, -1)  # back to "red"
    assert "<del>red</del><ins>blue</ins>" in member_client.get(diff).content.decode()
    page = member_client.get(f"/c/{conversation.pk}/compare/").content.decode()
    # Red (800 ms) is the fastest again; the green answer (3000 ms) is not what is shown.
    assert (
        f'id="message-{red.pk}-marks" hx-swap-oob="innerHTML"><span class="badge badge-mark">fastest'
        in page
    )
