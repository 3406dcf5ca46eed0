"""The database visit of a send, which every request waits for before it can leave: access
asked in one query, the turns read once (the histories reuse them), and the histories it
prepares the same as a run would read for itself."""

from __future__ import annotations

import pytest
from django.db import connection as database
from django.test.utils import CaptureQueriesContext

from chat.engine import store, turns
from chat.models import Conversation, Pane
from connections import llm
from tests.chat.fake_models import FakeChatModel

pytestmark = pytest.mark.django_db


def _send(conversation: Conversation, user, text: str):  # type: ignore[no-untyped-def]
    [result] = turns._start_sends([turns.SendRequest(conversation.pk, user.pk, text)])
    assert not isinstance(result, Exception), result
    _conversation, started, _shown, plans, _answered = result
    return started, plans


def test_a_send_reads_its_turns_once_and_asks_access_in_one_query(
    user, make_connection, monkeypatch
):
    monkeypatch.setattr(llm, "chat_model_for", lambda *a, **k: FakeChatModel(pieces=["hi"]))
    conversation = Conversation.objects.create(owner=user)
    for position in range(2):
        Pane.objects.create(conversation=conversation, position=position,
                            connection=make_connection(), model=f"m{position}")  # fmt: skip
    first, _plans = _send(conversation, user, "First question")
    for run in first.runs:
        store.finish_run(str(run.pk), text=f"Answer of {run.model}", reasoning="", status="done",
                         tool_calls=[], fields={})  # fmt: skip
    with CaptureQueriesContext(database) as visit:
        second, plans = _send(conversation, user, "Second question")
    selects = [q["sql"] for q in visit.captured_queries if q["sql"].startswith("SELECT")]
    # Access (the account inside it), panes, the sender's teams, turns, messages, attachments.
    assert len(selects) == 6, selects
    assert sum('FROM "chat_turn"' in sql for sql in selects) == 1
    assert selects[0].startswith('SELECT "chat_conversation"') and "auth_user" in selects[0]
    for run, plan in zip(second.runs, plans, strict=True):
        fresh = store.history_for(store.load_run(str(run.pk)))
        assert [m.pk for m in plan.history] == [m.pk for m in fresh]
        assert [m.content for m in plan.history] == [
            "First question", f"Answer of {run.model}", "Second question"]  # fmt: skip


def test_an_inactive_account_is_refused_by_the_same_query(user, make_connection):
    conversation = Conversation.objects.create(owner=user)
    Pane.objects.create(conversation=conversation, connection=make_connection(), model="m")
    user.is_active = False
    user.save()
    [result] = turns._start_sends([turns.SendRequest(conversation.pk, user.pk, "Hello?")])
    assert isinstance(result, turns.NoAccess)
