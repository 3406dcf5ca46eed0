"""A conversation made before panes, with tool calls and attachments, opens as one pane with
its history intact (chat migrations 0007–0009)."""

from __future__ import annotations

import pytest
from django.db import connection as database
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("chat", "0006_connection_moves_to_its_app"), ("connections", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(database)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(database)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_an_old_conversation_becomes_one_pane_with_its_history_intact():
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Connection = old.get_model("connections", "Connection")
    Conversation = old.get_model("chat", "Conversation")
    Message = old.get_model("chat", "Message")
    Run = old.get_model("chat", "Run")
    Blob = old.get_model("chat", "Blob")
    Attachment = old.get_model("chat", "Attachment")
    owner = User.objects.create(username="old-timer")
    local = Connection.objects.create(name="Local", kind="openai_compatible",
                                      base_url="http://127.0.0.1:9/v1")  # fmt: skip
    tools = [{"name": "get_time", "description": "", "parameters": {"type": "object"}}]
    conversation = Conversation.objects.create(
        owner=owner, title="Before panes", system_prompt="Be terse.",
        settings={"connection_id": local.pk, "model": "m", "params": {"temperature": 0.3},
                  "tools": tools, "tool_choice": "auto", "output_schema": None},
    )  # fmt: skip

    def say(role, content="", **fields):
        return Message.objects.create(conversation=conversation, role=role, content=content,
                                      **fields)  # fmt: skip

    first = say("user", "What time is it?")
    call = {"id": "c1", "name": "get_time", "arguments": {}}
    calling = say("assistant", tool_calls=[call])
    Run.objects.create(conversation=conversation, message=calling, connection=local,
                       provider="openai_compatible", model="m", status="done")  # fmt: skip
    result = say("tool", "12:00", tool_call_id="c1", tool_name="get_time")
    answer = say("assistant", "Noon.")
    Run.objects.create(conversation=conversation, message=answer, connection=local,
                       provider="openai_compatible", model="m", status="done")  # fmt: skip
    second = say("user", "And this photo?")
    blob = Blob.objects.create(sha256="a" * 64, file="blobs/aa/x", media_type="image/jpeg",
                               size=10)  # fmt: skip
    Attachment.objects.create(conversation=conversation, message=second, blob=blob,
                              kind="image", name="p.jpg", original_type="image/jpeg",
                              original_size=10, media_type="image/jpeg", created_by=owner)  # fmt: skip
    described = say("assistant", "A cat.")
    Run.objects.create(conversation=conversation, message=described, connection=local,
                       provider="openai_compatible", model="m", status="done")  # fmt: skip

    new = migrate(latest())
    Pane = new.get_model("chat", "Pane")
    Turn = new.get_model("chat", "Turn")
    NewMessage = new.get_model("chat", "Message")
    NewRun = new.get_model("chat", "Run")
    pane = Pane.objects.get(conversation_id=conversation.pk)
    assert (pane.position, pane.connection_id, pane.model) == (0, local.pk, "m")
    assert pane.params == {"temperature": 0.3} and pane.system_prompt == "Be terse."
    assert pane.tools == tools and pane.tool_choice == "auto"
    turns = list(Turn.objects.filter(conversation_id=conversation.pk).order_by("created_at"))
    assert len(turns) == 2
    by_id = {m.pk: m for m in NewMessage.objects.filter(conversation_id=conversation.pk)}
    assert [by_id[m.pk].turn_id for m in (first, calling, result, answer)] == [turns[0].pk] * 4
    assert [by_id[m.pk].turn_id for m in (second, described)] == [turns[1].pk] * 2
    assert by_id[first.pk].pane_id is None and by_id[second.pk].pane_id is None
    assert {by_id[m.pk].pane_id for m in (calling, result, answer, described)} == {pane.pk}
    assert by_id[calling.pk].tool_calls == [call] and by_id[result.pk].content == "12:00"
    runs = NewRun.objects.filter(conversation_id=conversation.pk)
    assert {(r.pane_id, r.system_prompt) for r in runs} == {(pane.pk, "Be terse.")}
    assert {r.turn_id for r in runs} == {turns[0].pk, turns[1].pk}
    assert new.get_model("chat", "Attachment").objects.get().message_id == second.pk
