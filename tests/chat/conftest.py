"""Fixtures for the chat app: connections, conversations, the fake provider (users and
signed-in clients are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from chat import llm
from chat.crypto import encrypt_secret
from chat.models import Connection, Conversation
from tests.chat.fake_models import FakeChatModel
from tests.conftest import PASSWORD, numbers  # noqa: F401 - PASSWORD is imported from here
from tests.fakes.fake_provider import FakeProvider


@pytest.fixture
def make_connection(db):
    def make(base_url: str = "http://127.0.0.1:9/v1", api_key: str = "", **fields) -> Connection:
        fields.setdefault("name", f"Connection {next(numbers)}")
        fields.setdefault("kind", "openai_compatible")
        connection = Connection(base_url=base_url, **fields)
        if api_key:
            connection.api_key_encrypted = encrypt_secret(api_key)
            connection.api_key_last4 = api_key[-4:]
        connection.save()
        return connection

    return make


@pytest.fixture
def make_conversation(db):
    def make(owner, **fields) -> Conversation:
        return Conversation.objects.create(owner=owner, **fields)

    return make


@pytest.fixture
def fake_provider():
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture
def conversation(user):
    """A conversation of `user` (test modules with other needs define their own)."""
    return Conversation.objects.create(owner=user, system_prompt="Be terse.")


@pytest.fixture
def connection(make_connection):
    return make_connection(name="Fake")


@pytest.fixture
def model(monkeypatch):
    """The in-process fake model every run of the test gets (tests/chat/fake_models.py);
    tests change its script before sending."""
    fake = FakeChatModel()
    monkeypatch.setattr(llm, "chat_model_for", lambda connection, model_name, params, **box: fake)
    return fake
