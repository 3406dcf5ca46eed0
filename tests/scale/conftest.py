"""The scale tier: several Daphne processes sharing PostgreSQL and the Redis channel layer.

Skipped with the reason printed when PostgreSQL or Redis is not on 127.0.0.1, except under
PLAYGROUND_REQUIRE_ALL_TIERS=1 (set by .ci/run), where their absence is a failure.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.e2e.servers import PlaygroundServer
from tests.fakes.fake_provider import FakeProvider

PG_ADMIN_DSN = os.environ.get("PLAYGROUND_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def _reachable(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def require(service: str, port: int) -> None:
    if _reachable(port):
        return
    message = f"{service} is not listening on 127.0.0.1:{port}"
    if os.environ.get("PLAYGROUND_REQUIRE_ALL_TIERS") == "1":
        pytest.fail(message + " (required by PLAYGROUND_REQUIRE_ALL_TIERS)")
    pytest.skip(message)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/scale" in str(item.fspath):
            item.add_marker(pytest.mark.scale)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of its own, dropped afterwards."""
    require("PostgreSQL", 5432)
    name = f"playground_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_env() -> dict[str, str]:
    require("Redis", REDIS_PORT)
    return {
        "REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
        "PLAYGROUND_CHANNEL_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
    }


@pytest.fixture
def two_servers(
    tmp_path, postgres_url, redis_env
) -> Iterator[tuple[PlaygroundServer, PlaygroundServer]]:
    env = {"DATABASE_URL": postgres_url, **redis_env}
    first = PlaygroundServer(tmp_path / "a", extra_env=env)
    (tmp_path / "a").mkdir()
    first.migrate()
    # Both processes must share secrets (sessions), as instances of one site do.
    (tmp_path / "b").mkdir()
    for secret in ("secret_key", "encryption_key"):
        (tmp_path / "b" / secret).write_text((tmp_path / "a" / secret).read_text())
    second = PlaygroundServer(tmp_path / "b", extra_env=env)
    first.start()
    second.start()
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    server = FakeProvider().start()
    yield server
    server.stop()
