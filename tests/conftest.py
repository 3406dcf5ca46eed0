"""Test-wide guard: nothing in the test run may reach beyond 127.0.0.1 (design §5)."""

import ipaddress
import itertools
import os
import socket

import pytest
from django.contrib.auth import get_user_model

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo

LOCAL_NAMES = {"localhost", "localhost.localdomain", "testserver"}


class NetworkAccessDenied(RuntimeError):
    """Raised when a test tries to reach a host that is not this machine's loopback."""


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like never leave the machine
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if not _is_loopback(host):
        raise NetworkAccessDenied(
            f"Tests may only reach 127.0.0.1; this test tried {host!r}. Point it at the fake "
            "provider server (tests/fakes) instead."
        )


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is not None:
        name = host.decode() if isinstance(host, bytes) else str(host)
        _check((name,))
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


PROVIDER_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "GROQ_API_KEY",
    "HF_TOKEN",
    "GROQ_BASE_URL",
    "HF_BASE_URL",
    "OLLAMA_HOST",
    "GEMINI_BASE_URL",
    "OLLAMA_API_KEY",
)
# A developer's real keys must reach neither a test nor the test database (creating it runs
# migrate, whose start-up sync would turn them into connections): gone before anything runs.
for _name in PROVIDER_VARIABLES:
    os.environ.pop(_name, None)


@pytest.fixture(autouse=True)
def _no_provider_credentials_from_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nor may one test's environment leak into the next."""
    for name in PROVIDER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


numbers = itertools.count(1)
PASSWORD = "a-long-test-password-7"


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_user(
        f"admin{next(numbers)}", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def user(db, admin_user):
    """A team member (an admin exists too, as it always does after setup)."""
    return get_user_model().objects.create_user(f"member{next(numbers)}", password=PASSWORD)


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
    from connections.crypto import encrypt_secret
    from connections.models import Connection

    def make(base_url: str = "http://127.0.0.1:9/v1", api_key: str = "", **fields):
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
    from chat.models import Conversation

    def make(owner, **fields):
        return Conversation.objects.create(owner=owner, **fields)

    return make


@pytest.fixture
def fake_provider():
    from tests.fakes.fake_provider import FakeProvider

    server = FakeProvider().start()
    yield server
    server.stop()
