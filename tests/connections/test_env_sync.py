"""Environment connections are synced once when a process starts serving and after migrate,
keyed by a stable id; a page view only lists them."""

from __future__ import annotations

import importlib
import logging
import sys

import pytest
from django.core.management import call_command

from connections import env_connections, startup
from connections.env_connections import ENV_CONNECTIONS, sync_env_connections
from connections.models import Connection

pytestmark = pytest.mark.django_db


def env_rows() -> dict[str, str]:
    return dict(
        Connection.objects.filter(source=Connection.Source.ENV).values_list("env_key", "name")
    )


def test_a_page_view_neither_creates_nor_deletes_environment_connections(admin_client, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-page-view")
    admin_client.get("/connections/")
    assert env_rows() == {}  # not created by a page view...
    sync_env_connections()
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    page = admin_client.get("/connections/").content.decode()
    assert env_rows() == {"anthropic": "Anthropic (environment)"}  # ...nor deleted by one
    assert "Anthropic (environment)" in page


def test_a_new_display_name_renames_the_row_runs_point_at(monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "gsk-rename")
    sync_env_connections()
    before = Connection.objects.get(env_key="groq")
    renamed = [
        env_connections.EnvConnection(e.env_key, "Groq via the environment", e.key_variable,
                                      e.base_url_variable, e.kind)
        if e.env_key == "groq" else e
        for e in ENV_CONNECTIONS
    ]  # fmt: skip
    monkeypatch.setattr(env_connections, "ENV_CONNECTIONS", renamed)
    sync_env_connections()
    after = Connection.objects.get(env_key="groq")
    assert (after.pk, after.name) == (before.pk, "Groq via the environment")
    assert Connection.objects.filter(source=Connection.Source.ENV).count() == 1


def test_the_start_up_sync_adds_and_removes_rows_as_keys_come_and_go(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-one")
    startup.sync_at_start()
    assert set(env_rows()) == {"openai"}
    monkeypatch.setenv("HF_TOKEN", "hf-two")
    startup.sync_at_start()
    assert set(env_rows()) == {"openai", "huggingface"}
    first = Connection.objects.get(env_key="openai").pk
    monkeypatch.delenv("OPENAI_API_KEY")
    startup.sync_at_start()
    assert set(env_rows()) == {"huggingface"}
    monkeypatch.setenv("OPENAI_API_KEY", "sk-back")
    startup.sync_at_start()
    assert Connection.objects.get(env_key="openai").pk != first  # a new row, keyed the same


def test_an_unchanged_environment_leaves_its_rows_alone(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-same")
    sync_env_connections()
    stamp = Connection.objects.get(env_key="openai").updated_at
    sync_env_connections()
    assert Connection.objects.get(env_key="openai").updated_at == stamp  # model list cache kept


def test_rows_of_keys_this_version_no_longer_knows_are_removed(make_connection):
    make_connection(name="Old (environment)", source=Connection.Source.ENV)
    make_connection(name="Typed in", source=Connection.Source.USER)
    sync_env_connections()
    assert list(Connection.objects.values_list("name", flat=True)) == ["Typed in"]


def test_a_connection_added_by_hand_under_the_name_is_kept_and_said_so(
    make_connection, monkeypatch, caplog
):
    make_connection(name="OpenAI (environment)", kind="openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-clash")
    with caplog.at_level(logging.WARNING, logger="connections.env_connections"):
        sync_env_connections()
    assert env_rows() == {}
    assert Connection.objects.get(name="OpenAI (environment)").source == Connection.Source.USER
    assert "Rename that connection" in caplog.text and "sk-clash" not in caplog.text


def test_migrate_syncs_but_a_flush_does_not(monkeypatch):
    calls = []
    monkeypatch.setattr(startup, "sync_env_connections", lambda: calls.append("sync"))
    startup.sync_after_migrate(None, using="default")  # what flush sends: no plan
    assert calls == []
    call_command("migrate", verbosity=0)
    assert calls == ["sync"]


def test_a_database_that_is_not_migrated_stops_the_start_with_what_to_do(monkeypatch):
    monkeypatch.setattr(startup, "unapplied_migrations", lambda using="default": [
        "connections.0001_initial", "connections.0002_connection_env_key"])  # fmt: skip
    with pytest.raises(SystemExit) as stopped:
        startup.sync_at_start()
    message = str(stopped.value)
    assert "2 migration(s) not applied" in message and "manage.py migrate" in message


def test_the_asgi_application_syncs_once_when_it_is_built(monkeypatch):
    calls = []
    monkeypatch.setattr(startup, "sync_at_start", lambda: calls.append("start"))
    monkeypatch.delitem(sys.modules, "playground.asgi", raising=False)
    importlib.import_module("playground.asgi")
    assert calls == ["start"]


def test_the_asgi_application_makes_the_tls_context_before_the_first_request(monkeypatch):
    """Loading the CA bundle takes ~30 ms: not on the way of a serving process's first send."""
    from providers import http_client

    monkeypatch.setattr(startup, "sync_at_start", lambda: None)
    monkeypatch.setattr(http_client, "_ssl_context", None)
    monkeypatch.delitem(sys.modules, "playground.asgi", raising=False)
    importlib.import_module("playground.asgi")
    assert http_client._ssl_context is not None
