"""Fixtures for the chat app: a conversation, a connection and the in-process fake model
(users, clients, connections and the fake provider server are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from chat.models import Conversation, Pane
from connections import llm
from tests.chat.fake_models import FakeChatModel
from tests.conftest import PASSWORD, numbers  # noqa: F401 - PASSWORD is imported from here


@pytest.fixture
def connection(make_connection):
    return make_connection(name="Fake")


@pytest.fixture
def conversation(user, connection):
    """A conversation of `user` with one pane on `connection`, model "fake" (test modules
    with other needs define their own)."""
    conversation = Conversation.objects.create(owner=user)
    Pane.objects.create(conversation=conversation, position=0, connection=connection,
                        model="fake", system_prompt="Be terse.")  # fmt: skip
    return conversation


@pytest.fixture
def pane(conversation):
    return conversation.panes.get()


@pytest.fixture
def model(monkeypatch):
    """The in-process fake model every run of the test gets (tests/chat/fake_models.py);
    tests change its script before sending."""
    fake = FakeChatModel()
    monkeypatch.setattr(llm, "chat_model_for", lambda connection, model_name, params, **box: fake)
    return fake
