import pytest
from django.db.models import Q

from connections.env_connections import OPENAI_ENV_NAME, sync_env_connections
from connections.llm import api_key_for, available_connections
from connections.models import Connection

pytestmark = pytest.mark.django_db


def synced() -> list[Connection]:
    """The connections after a start-up sync (what a serving process does once)."""
    sync_env_connections()
    return available_connections(Q())  # every connection: these are all the site's


def test_openai_api_key_in_the_environment_becomes_a_connection_whose_key_is_not_stored(
    monkeypatch,
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-secret-abcd")
    [connection] = synced()
    assert connection.name == OPENAI_ENV_NAME
    assert connection.source == Connection.Source.ENV
    assert (connection.kind, connection.env_key) == ("openai", "openai")
    assert bytes(connection.api_key_encrypted) == b""
    assert api_key_for(connection) == "sk-env-secret-abcd"


def test_the_env_connection_follows_openai_base_url_and_disappears_with_the_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    [connection] = synced()
    assert (connection.kind, connection.base_url) == (
        "openai_compatible",
        "http://127.0.0.1:8080/v1",
    )
    monkeypatch.delenv("OPENAI_API_KEY")
    assert synced() == []


def test_env_connections_cannot_be_edited_in_the_browser(admin_client, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    [connection] = synced()
    assert admin_client.get(f"/connections/{connection.pk}/edit/").status_code == 404
    page = admin_client.get("/connections/").content.decode()
    assert "From environment" in page and "sk-env" not in page


def test_anthropic_api_key_becomes_an_anthropic_connection(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env-wxyz")
    [connection] = synced()
    assert (connection.name, connection.kind) == ("Anthropic (environment)", "anthropic")
    assert api_key_for(connection) == "sk-ant-env-wxyz"


def test_groq_and_hugging_face_keys_become_connections(monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "gsk-env")
    monkeypatch.setenv("HF_TOKEN", "hf-env")
    kinds = {connection.kind for connection in synced()}
    assert kinds == {"groq", "huggingface"}


def test_gemini_api_key_is_read_under_its_older_name_too(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-old-name")
    [connection] = synced()
    assert (connection.kind, api_key_for(connection)) == ("google_genai", "AIza-old-name")
