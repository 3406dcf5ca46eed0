"""Environment connections are brought up to date once per serving process, when it starts
(playground/asgi.py), and after `migrate` (a post_migrate receiver): page views only list."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from connections.env_connections import sync_env_connections

NOT_MIGRATED = (
    "Playground's database is not set up for this version: {count} migration(s) not applied, "
    "starting with {first}. Run `.venv/bin/python manage.py migrate` (or `make migrate`), "
    "then start Playground again."
)


def unapplied_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations the connections tables still need (with what they depend on)."""
    executor = MigrationExecutor(connections[using])
    targets = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "connections"]
    return [f"{migration.app_label}.{migration.name}" for migration, _ in
            executor.migration_plan(targets)]  # fmt: skip


def sync_at_start() -> None:
    """For a process about to serve: a database without the tables ends it with what to do
    rather than with a traceback on the first page."""
    pending = unapplied_migrations()
    if pending:
        raise SystemExit(NOT_MIGRATED.format(count=len(pending), first=pending[0]))
    sync_env_connections()


def sync_after_migrate(sender: Any, *, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver. A flush sends the signal too, without a plan: not a migrate."""
    if kwargs.get("plan") is None or using != DEFAULT_DB_ALIAS:
        return
    if unapplied_migrations(using):
        return  # migrated backwards: the tables are not what this code reads
    sync_env_connections()
