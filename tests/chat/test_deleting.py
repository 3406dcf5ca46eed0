"""Delete message: a question with its answers in every pane, an answer with its tool results;
streaming runs stopped first; every tab told to reload its panes; others get a 404."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from chat import deleting
from chat.display import MessageDisplay
from chat.frames import message_html
from chat.models import Message, Pane, Run, Turn

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation_of_two_turns(user, make_conversation):
    conversation = make_conversation(user, title="Two turns")
    left = Pane.objects.create(conversation=conversation, position=0, model="a")
    right = Pane.objects.create(conversation=conversation, position=1, model="b")
    said = {}
    turn = None
    for number in (1, 2):
        turn = Turn.objects.create(conversation=conversation, parent=turn)
        said[f"q{number}"] = Message.objects.create(conversation=conversation, turn=turn,
                                                    role="user", content=f"Q{number}")  # fmt: skip
        for pane in (left, right):
            said[f"{pane.model}{number}"] = Message.objects.create(
                conversation=conversation, turn=turn, pane=pane, role="assistant",
                content=f"{pane.model}{number}")  # fmt: skip
    said["a2"].tool_calls = [{"id": "c1", "name": "clock", "arguments": {}}]
    said["a2"].save()
    said["t2"] = Message.objects.create(conversation=conversation, turn=said["a2"].turn,
                                        pane=left, role="tool", content="noon",
                                        tool_call_id="c1", tool_name="clock")  # fmt: skip
    return conversation, said


@pytest.fixture
def published(monkeypatch):
    heard = []

    async def publish(conversation_id, event):
        heard.append((conversation_id, event["type"]))

    monkeypatch.setattr(deleting.fanout, "publish", publish)
    return heard


def left(conversation) -> list[str]:
    return list(conversation.messages.order_by("pk").values_list("content", flat=True))


def test_a_question_goes_with_its_answers_in_every_pane(
    member_client, conversation_of_two_turns, published
):
    conversation, said = conversation_of_two_turns
    response = member_client.post(reverse("message-delete", args=[said["q1"].pk]))
    assert response.status_code == 204
    assert left(conversation) == ["Q2", "a2", "b2", "noon"]
    assert published == [(conversation.pk, "panes.changed")]


def test_an_answer_goes_with_the_results_of_its_tool_calls_only(
    member_client, conversation_of_two_turns, published
):
    conversation, said = conversation_of_two_turns
    member_client.post(reverse("message-delete", args=[said["a2"].pk]))
    assert left(conversation) == ["Q1", "a1", "b1", "Q2", "b2"]


def test_a_streaming_answer_is_stopped_before_its_question_goes(
    member_client, conversation_of_two_turns, published, monkeypatch
):
    conversation, said = conversation_of_two_turns
    run = Run.objects.create(conversation=conversation, pane=said["b2"].pane, turn=said["b2"].turn,
                             message=said["b2"], status=Run.Status.STREAMING, model="b")  # fmt: skip
    stopped = []

    async def request_stop(run_id):
        exists = await sync_to_async(Message.objects.filter(pk=said["b2"].pk).exists)()
        stopped.append((run_id, exists))

    monkeypatch.setattr(deleting, "request_stop", request_stop)
    member_client.post(reverse("message-delete", args=[said["q2"].pk]))
    assert stopped == [(str(run.pk), True)]  # asked while its answer still existed
    assert left(conversation) == ["Q1", "a1", "b1"]


def test_someone_else_gets_a_404_and_nothing_goes(client, admin_user, conversation_of_two_turns):
    conversation, said = conversation_of_two_turns
    client.force_login(admin_user)
    assert client.post(reverse("message-delete", args=[said["q1"].pk])).status_code == 404
    assert len(left(conversation)) == 7


def test_the_button_asks_first(conversation_of_two_turns):
    _conversation, said = conversation_of_two_turns
    question = message_html(MessageDisplay.of(said["q1"], related=False), 0)
    assert 'aria-label="Delete message"' in question
    assert 'hx-confirm="Delete this message and its answers in every pane?"' in question
    assert f'hx-post="{reverse("message-delete", args=[said["q1"].pk])}"' in question
    answer = message_html(MessageDisplay.of(said["a1"], related=False), 0)
    assert 'hx-confirm="Delete this answer?"' in answer
