"""Add message by hand: user and assistant messages and a tool call with its result, written
without a model, shown in every pane and sent by every pane as history."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from chat.by_hand import ByHand, NotAdded, add_by_hand
from chat.engine import turns
from chat.models import Message, Pane
from tests.chat.test_engine_turns import SPEEDS, Listener, fakes, three_panes  # noqa: F401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (ByHand("system", "hi"), "Pick a role"),
        (ByHand("user", "   "), "Type the message first"),
        (ByHand("tool", tool_name="", result="x"), "Name the tool"),
        (ByHand("tool", tool_name="clock", result=" "), "Type what the tool returned"),
        (ByHand("tool", tool_name="clock", arguments="{nope", result="noon"), "not JSON"),
        (ByHand("tool", tool_name="clock", arguments="[1]", result="noon"), "JSON object"),
    ],
)  # fmt: skip
def test_what_cannot_be_added_says_why_and_adds_nothing(user, make_conversation, entry, says):
    conversation = make_conversation(user)
    with pytest.raises(NotAdded) as refused:
        add_by_hand(conversation, entry)
    assert says in str(refused.value)
    assert not conversation.messages.exists() and not conversation.turns.exists()


@pytest.mark.django_db
def test_nothing_is_added_while_an_answer_streams(user, make_conversation):
    conversation = make_conversation(user)
    Message.objects.create(conversation=conversation, role="assistant", status="streaming")
    with pytest.raises(NotAdded, match="Wait for the answers"):
        add_by_hand(conversation, ByHand("user", "hello"))


@pytest.mark.django_db(transaction=True)
async def test_every_pane_sends_what_was_written_by_hand_in_its_own_turns(
    user,
    three_panes,  # noqa: F811 - the engine tests' fixtures
    fakes,  # noqa: F811
):
    await sync_to_async(add_by_hand)(three_panes, ByHand("user", "What is 2+2?"))
    await sync_to_async(add_by_hand)(three_panes, ByHand("assistant", "4"))
    await sync_to_async(add_by_hand)(
        three_panes, ByHand("tool", tool_name="clock", arguments='{"zone": "UTC"}', result="noon")
    )
    async with Listener(three_panes.pk) as heard:
        await turns.start_turn(three_panes.pk, user.pk, "And the time?")
        await heard.until("turn.finished")
    for name, model in fakes.items():
        sent = [(m.role, m.text) for m in model.received]
        assert sent[:4] == [("system", f"You are {name}."), ("user", "What is 2+2?"),
                            ("assistant", "4"), ("assistant", "")], name  # fmt: skip
        call = model.received[3].tool_calls[0]
        assert (call.name, call.arguments) == ("clock", {"zone": "UTC"})
        assert (model.received[4].role, model.received[4].text) == ("tool", "noon")
        assert model.received[4].tool_call_id == call.id
        assert sent[-1] == ("user", "And the time?")
    assert set(SPEEDS) == set(fakes)


@pytest.mark.django_db
def test_the_form_adds_to_every_pane_or_says_what_is_wrong(
    member_client, user, make_conversation, monkeypatch
):
    conversation = make_conversation(user)
    Pane.objects.create(conversation=conversation, position=0, model="a")
    Pane.objects.create(conversation=conversation, position=1, model="b")
    told = []

    async def publish(conversation_id, event):
        told.append(event["type"])

    monkeypatch.setattr("chat.views.messages.fanout.publish", publish)
    url = reverse("message-add", args=[conversation.pk])
    added = member_client.post(url, {"role": "assistant", "text": "An example answer."})
    assert added.status_code == 204 and told == ["panes.changed"]
    page = member_client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert page.count("An example answer.") == 2  # shown in both panes
    refused = member_client.post(url, {"role": "user", "text": ""})
    assert refused.status_code == 400 and refused.content.decode() == "Type the message first."


@pytest.mark.django_db
def test_someone_else_cannot_add(client, admin_user, user, make_conversation):
    conversation = make_conversation(user)
    client.force_login(admin_user)
    response = client.post(reverse("message-add", args=[conversation.pk]),
                           {"role": "user", "text": "sneaky"})  # fmt: skip
    assert response.status_code == 404 and not conversation.messages.exists()
