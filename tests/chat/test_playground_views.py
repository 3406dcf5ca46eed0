import re

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from chat.engine import starting, store
from chat.models import Conversation, Message, Pane

pytestmark = pytest.mark.django_db


def test_home_creates_a_first_conversation_then_returns_to_the_latest(member_client, user):
    first = member_client.get("/")
    conversation = Conversation.objects.get(owner=user)
    assert first["Location"] == f"/c/{conversation.pk}/"
    assert conversation.panes.count() == 1
    assert member_client.get("/")["Location"] == f"/c/{conversation.pk}/"


def test_without_any_connection_the_screen_explains_how_to_add_one(
    member_client, user, make_conversation
):
    page = member_client.get(f"/c/{make_conversation(user).pk}/").content.decode()
    assert "No provider is configured" in page
    assert "Add a connection" in page and "OPENAI_API_KEY" in page


def test_the_panel_shows_the_saved_settings(
    member_client, user, make_conversation, make_connection
):
    connection = make_connection(name="Local llama")
    conversation = make_conversation(user)
    pane = Pane.objects.create(
        conversation=conversation, connection=connection, model="smollm2",
        system_prompt="Be kind.",
        params={"temperature": 0.3, "stop": ["###", "END"], "max_retries": 1},
    )  # fmt: skip
    page = member_client.get(f"/c/{conversation.pk}/").content.decode()
    assert 'role="region" aria-label="Pane 1"' in page and f'id="pane-{pane.pk}-form"' in page
    assert "No provider is configured" not in page
    assert re.search(rf'<option value="{connection.pk}" selected>Local llama', page)
    assert 'value="smollm2"' in page and 'value="0.3"' in page and 'value="1"' in page
    assert "###\nEND</textarea>" in page and "Be kind.</textarea>" in page
    assert f'ws-connect="/ws/c/{conversation.pk}/?panes={pane.pk}"' in page


def test_valid_settings_are_saved_and_invalid_ones_explained(
    member_client, user, make_conversation
):
    conversation = make_conversation(user)
    pane = Pane.objects.create(conversation=conversation)
    url = f"/c/{conversation.pk}/panes/{pane.pk}/settings/"
    answer = member_client.post(url, {"model": "m", "temperature": "0.7", "system_prompt": "Hi"})
    assert 'role="alert"' not in answer.content.decode()
    pane.refresh_from_db()
    assert pane.params == {"temperature": 0.7} and pane.system_prompt == "Hi"
    answer = member_client.post(url, {"model": "m", "temperature": "5"}).content.decode()
    assert 'role="alert"' in answer and "Temperature must be between 0 and 2" in answer
    assert f'id="pane-{pane.pk}-errors"' in answer
    pane.refresh_from_db()
    assert pane.params == {"temperature": 0.7}


@pytest.mark.live
def test_the_model_list_comes_from_the_connections_server(
    member_client, user, make_conversation, make_connection, fake_provider
):
    connection = make_connection(base_url=fake_provider.base_url)
    conversation = make_conversation(user)
    pane = Pane.objects.create(conversation=conversation)
    page = member_client.get(
        f"/c/{conversation.pk}/models/?connection={connection.pk}&pane={pane.pk}"
    ).content.decode()
    assert '<option value="fake-model">' in page and "9 models available" in page
    assert f'id="pane-{pane.pk}-model-list"' in page


def test_a_model_list_that_fails_says_so_and_lets_you_type(
    member_client, user, make_conversation, make_connection
):
    connection = make_connection(base_url="http://127.0.0.1:1/v1")
    conversation = make_conversation(user)
    pane = Pane.objects.create(conversation=conversation)
    page = member_client.get(
        f"/c/{conversation.pk}/models/?connection={connection.pk}&pane={pane.pk}"
    ).content.decode()
    assert "Could not list models" in page and "Type the model name" in page


@pytest.mark.live
def test_the_picker_groups_every_connections_models_and_caches_them(
    member_client, user, make_conversation, make_connection, fake_provider
):
    live = make_connection(name="Live", base_url=fake_provider.base_url)
    make_connection(name="Dead", base_url="http://127.0.0.1:1/v1")
    conversation = make_conversation(user)
    pane = Pane.objects.create(conversation=conversation)
    picker = f"/c/{conversation.pk}/models/all/?pane={pane.pk}"
    page = member_client.get(picker).content.decode()
    assert '<optgroup label="Live (OpenAI-compatible server)">' in page
    assert f'<option value="{live.pk}" data-model="fake-slow">fake-slow</option>' in page
    dead_group = page.split('<optgroup label="Dead')[1].split("</optgroup>")[0]
    assert "Could not list models: Could not connect to 127.0.0.1:1" in dead_group
    fake_provider.state.api_key = "now-refused"  # a fresh request would fail...
    again = member_client.get(picker).content.decode()
    assert "fake-slow" in again  # ...but the list is the cached one
    live.save()  # a changed connection is asked again
    third = member_client.get(picker).content.decode()
    assert "fake-slow" not in third.split('<optgroup label="Live')[1].split("</optgroup>")[0]


def _finish(run, text: str, status: str = "done", **fields) -> None:
    store.finish_run(str(run.pk), text=text, reasoning="", status=status, fields=fields,
                     tool_calls=[])  # fmt: skip


def _conversation_with_turns(user, connection, turns: int, panes: int = 1) -> Conversation:
    conversation = Conversation.objects.create(owner=user)
    for position in range(panes):
        Pane.objects.create(conversation=conversation, position=position, connection=connection,
                            model=f"m{position}")  # fmt: skip
    for index in range(turns):
        turn = starting.start_turn(conversation, f"question {index}")
        for run in turn.runs:
            _finish(run, f"**answer** {index}", duration_ms=900, time_to_first_token_ms=100,
                    output_tokens=40)  # fmt: skip
    return conversation


@pytest.mark.parametrize("panes", [1, 3])
def test_a_page_of_history_costs_the_same_queries_however_long_and_wide(
    member_client, user, make_connection, panes
):
    connection = make_connection()
    short = _conversation_with_turns(user, connection, 1)
    long = _conversation_with_turns(user, connection, 10, panes=panes)
    member_client.get(f"/c/{short.pk}/")  # warm up: the first request checks for accounts
    with CaptureQueriesContext(db) as few:
        member_client.get(f"/c/{short.pk}/")
    with CaptureQueriesContext(db) as many:
        page = member_client.get(f"/c/{long.pk}/").content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.count('data-role="assistant"') == 10 * panes
    assert page.count('data-role="user"') == 10 * panes  # each pane shows the shared messages
    assert "<strong>answer</strong> 9" in page
    assert "TTFT 100 ms" in page and "50.0 tok/s" in page


def test_history_keeps_error_and_stopped_states(member_client, user, make_connection):
    connection = make_connection()
    conversation = Conversation.objects.create(owner=user)
    Pane.objects.create(conversation=conversation, connection=connection, model="m")
    _finish(starting.start_turn(conversation, "a").runs[0], "partial", "stopped")
    _finish(starting.start_turn(conversation, "b").runs[0], "", "error",
            error_kind="RateLimitError", error_message="Slow down.")  # fmt: skip
    page = member_client.get(f"/c/{conversation.pk}/").content.decode()
    assert 'data-status="stopped"' in page and "Stopped — the answer above is partial." in page
    assert 'role="alert"' in page and "Slow down." in page
    assert Message.objects.filter(conversation=conversation).count() == 4
