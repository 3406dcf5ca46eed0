"""Fixtures for the chat app: users, signed-in clients, connections, the fake provider."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model

from chat.crypto import encrypt_secret
from chat.models import Connection, Conversation
from tests.fakes.fake_provider import FakeProvider

_numbers = itertools.count(1)
PASSWORD = "a-long-test-password-7"


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_user(
        f"admin{next(_numbers)}", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def user(db, admin_user):
    """A team member (an admin exists too, as it always does after setup)."""
    return get_user_model().objects.create_user(f"member{next(_numbers)}", password=PASSWORD)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def member_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def make_connection(db):
    def make(base_url: str = "http://127.0.0.1:9/v1", api_key: str = "", **fields) -> Connection:
        fields.setdefault("name", f"Connection {next(_numbers)}")
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
