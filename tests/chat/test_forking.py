"""Fork from here: a new conversation up to a message, panes and settings copied, attachments
shared by reference, the original untouched."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chat import attachments
from chat.display import MessageDisplay
from chat.frames import message_html
from chat.models import Attachment, Conversation, Message, Pane, Turn
from tests.chat.test_attachments import as_file, jpeg_with_gps

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_turns(user, make_conversation):
    conversation = make_conversation(user, title="Plan a trip", sync_settings=True)
    left = Pane.objects.create(conversation=conversation, position=0, model="a",
                               system_prompt="Be brief.", params={"temperature": 0.1})  # fmt: skip
    right = Pane.objects.create(conversation=conversation, position=1, model="b")
    said = {}
    turn = None
    for number in (1, 2):
        turn = Turn.objects.create(conversation=conversation, parent=turn)
        said[f"q{number}"] = Message.objects.create(conversation=conversation, turn=turn,
                                                    role="user", content=f"Question {number}")  # fmt: skip
        for pane in (left, right):
            said[f"{pane.model}{number}"] = Message.objects.create(
                conversation=conversation, turn=turn, pane=pane, role="assistant",
                content=f"{pane.model} answers {number}")  # fmt: skip
    photo = attachments.store_upload(conversation, user, as_file(jpeg_with_gps(), "map.jpg",
                                                                 "image/jpeg"))  # fmt: skip
    Attachment.objects.filter(pk=photo.pk).update(message=said["q1"])
    return conversation, said


def contents(conversation: Conversation) -> list[tuple]:
    return [(m.role, m.pane.model if m.pane else None, m.content)
            for m in conversation.messages.select_related("pane").order_by("pk")]  # fmt: skip


def test_a_fork_keeps_earlier_turns_and_its_own_turn_up_to_the_message(
    member_client, user, two_turns
):
    conversation, said = two_turns
    before = contents(conversation)
    response = member_client.post(reverse("message-fork", args=[said["a2"].pk]),
                                  HTTP_HX_REQUEST="true")  # fmt: skip
    fork = Conversation.objects.filter(owner=user).order_by("-pk").first()
    assert response["HX-Redirect"] == reverse("conversation", args=[fork.pk])
    assert fork.title == "Plan a trip (fork)" and fork.sync_settings
    assert contents(fork) == [
        ("user", None, "Question 1"), ("assistant", "a", "a answers 1"),
        ("assistant", "b", "b answers 1"), ("user", None, "Question 2"),
        ("assistant", "a", "a answers 2"),
    ]  # fmt: skip
    panes = list(fork.panes.order_by("position").values_list("model", "system_prompt", "params"))
    assert panes == [("a", "Be brief.", {"temperature": 0.1}), ("b", "", {})]
    assert fork.turns.count() == 2
    shared = Attachment.objects.get(message__conversation=fork)
    assert shared.blob_id == Attachment.objects.get(message=said["q1"]).blob_id
    assert contents(conversation) == before  # the original is untouched


def test_a_fork_from_the_first_question_holds_only_it(member_client, user, two_turns):
    conversation, said = two_turns
    member_client.post(reverse("message-fork", args=[said["q1"].pk]))
    fork = Conversation.objects.filter(owner=user).order_by("-pk").first()
    assert contents(fork) == [("user", None, "Question 1")]


def test_someone_else_cannot_fork(client, admin_user, two_turns):
    conversation, said = two_turns
    client.force_login(admin_user)
    response = client.post(reverse("message-fork", args=[said["a1"].pk]))
    assert response.status_code == 404
    assert not Conversation.objects.filter(owner=admin_user).exists()


def test_each_finished_message_offers_fork_from_here(two_turns):
    _conversation, said = two_turns
    html = message_html(MessageDisplay.of(said["b2"], related=False), 0)
    assert f'hx-post="{reverse("message-fork", args=[said["b2"].pk])}"' in html
    assert ">Fork from here</button>" in html


def test_an_answer_of_tool_calls_only_can_be_forked_and_deleted_but_has_nothing_to_copy(
    two_turns,
):
    _conversation, said = two_turns
    calls = said["a2"]
    calls.content, calls.tool_calls = "", [{"id": "c1", "name": "clock", "arguments": {}}]
    html = message_html(MessageDisplay.of(calls, related=False), 0)
    assert ">Fork from here</button>" in html and 'aria-label="Delete message"' in html
    assert 'aria-label="Copy message"' not in html


def test_a_fork_costs_the_same_queries_however_long_the_conversation(user, two_turns):
    from django.db import connection as database
    from django.test.utils import CaptureQueriesContext

    from chat.forking import fork

    conversation, said = two_turns

    def queries() -> int:
        last = conversation.messages.order_by("-pk").first()
        with CaptureQueriesContext(database) as captured:
            fork(conversation, last, user)
        return len(captured.captured_queries)

    short = queries()
    turn = conversation.turns.order_by("pk").last()
    for number in range(10):
        turn = Turn.objects.create(conversation=conversation, parent=turn)
        Message.objects.create(conversation=conversation, turn=turn, role="user",
                               content=f"More {number}")  # fmt: skip
    assert queries() == short
