"""The socket answers what it cannot take instead of dropping it, checks access on every
message, and closes with a reason when access ends; deleting a conversation stops its runs;
a stopped answer says how far it got."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import override_settings

from accounts.sockets import announce_access_revoked
from chat.models import Conversation, Run
from tests.chat.test_consumers import Tab, latest_run, send_fields, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)


async def connected(user, conversation) -> Tab:
    tab = Tab(user, conversation.pk)
    assert (await tab.connect())[0]
    await tab.until("busy-flag")
    return tab


async def test_an_over_long_message_is_answered_with_its_size_and_the_limit(
    user, conversation, connection, model
):
    with override_settings(PLAYGROUND_MAX_MESSAGE_BYTES=10_000):
        tab = await connected(user, conversation)
        await tab.send(**send_fields(connection, message="x" * 20_000))
        frame = await tab.until("composer-errors")
    assert "This message is 20 KB; Playground takes at most 10 KB per message" in frame
    assert not await Run.objects.filter(conversation=conversation).aexists()
    await tab.send(**send_fields(connection, message="short enough"))  # still open
    await tab.until(r'data-status="done"')
    await tab.close()


@pytest.mark.parametrize(
    "frame",
    [{"text_data": "this is not JSON"}, {"text_data": "[1, 2, 3]"},
     {"text_data": json.dumps({"action": "dance"})}, {"text_data": "{}"},
     {"bytes_data": b"\x00\x01binary"}],
)  # fmt: skip
async def test_an_unreadable_message_is_answered_and_the_socket_stays(
    user, conversation, connection, model, frame
):
    tab = await connected(user, conversation)
    await tab.communicator.send_to(**frame)
    answer = await tab.until("composer-errors")
    assert "Playground could not read that message" in answer
    await tab.send(**send_fields(connection))
    await tab.until(r'data-status="done"')
    await tab.close()


async def test_a_removed_member_is_closed_with_a_reason_on_their_next_message(
    user, conversation, connection, model
):
    tab = await connected(user, conversation)
    await sync_to_async(get_user_model().objects.filter(pk=user.pk).delete)()
    await tab.send(**send_fields(connection))
    said = await tab.next_frame()
    assert 'id="socket-state"' in said and "Your access to this conversation was removed." in said
    closed = await tab.communicator.receive_output(5)
    assert closed == {"type": "websocket.close", "code": 4403,
                      "reason": "Your access to this conversation was removed."}  # fmt: skip


async def test_a_conversation_deleted_elsewhere_closes_the_socket_on_stop_too(
    user, conversation, connection, model
):
    tab = await connected(user, conversation)
    await Conversation.objects.filter(pk=conversation.pk).adelete()
    await tab.send(action="stop")
    await tab.until("socket-state")
    closed = await tab.communicator.receive_output(5)
    assert closed["type"] == "websocket.close" and closed["code"] == 4403


async def test_removing_a_member_closes_their_open_sockets_at_once(user, conversation):
    tab = await connected(user, conversation)
    await sync_to_async(announce_access_revoked)(user.pk)
    await tab.until("was removed")
    closed = await tab.communicator.receive_output(5)
    assert closed["code"] == 4403 and "removed" in closed["reason"]


async def test_deleting_a_conversation_stops_its_run_and_every_tab_sees_it_end(
    user, conversation, connection, model, caplog
):
    model.pieces, model.gate, model.gate_after = (
        ["Partial ", "answer", " never"],
        asyncio.Event(),
        2,
    )
    tab = await connected(user, conversation)
    await tab.send(**send_fields(connection))
    await tab.until("answer")
    await sync_to_async(lambda: Conversation.objects.get(pk=conversation.pk).delete())()
    final = await tab.until(r'data-status="stopped"')
    assert "Partial answer" in final
    assert model.closed_early  # the upstream stream was closed, not left to run on
    assert "after its conversation was deleted" in caplog.text
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_a_stopped_answer_says_how_many_tokens_it_got_as_an_estimate(
    user, conversation, connection, model
):
    model.pieces = ["one", "two", "six", "never"]  # three pieces of about a token each
    model.gate, model.gate_after = asyncio.Event(), 3
    tab = await connected(user, conversation)
    await tab.send(**send_fields(connection))
    await tab.until("six")
    await tab.send(action="stop")
    final = await tab.until(r'data-status="stopped"')
    run = await wait_for_status((await latest_run(conversation)).pk, "stopped")
    assert run.output_tokens == 3 and run.output_tokens_estimated
    assert "≈3 tokens (estimated)" in final and "? → ?" not in final
    await tab.close()
