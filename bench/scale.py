"""Two Daphne processes on PostgreSQL and the Redis channel layer (design §7: they hold twice
what one process holds): paced streams split between them, each answer read through a socket
of the process the other one started it in, so every delta crosses Redis, against bare httpx
readers of the same answers, interleaved A B B A.

Needs PostgreSQL and Redis on 127.0.0.1 (as the scale tier does); without them it prints why
it did not run. On a 2-core machine the two processes, the fake provider and every client
share two cores: the figure says what this machine holds, not what two servers would.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import tempfile
import uuid
from pathlib import Path

import httpx
import psycopg

from bench.concurrency import PACED, bare_lateness, p, playground_lateness
from bench.setup import open_sockets, start_fake
from tests.e2e.servers import PlaygroundServer
from tests.ws_client import PlaygroundSocket, create_account

STREAMS = int(os.environ.get("BENCH_SCALE_STREAMS", "600"))
PG_ADMIN_DSN = os.environ.get("PLAYGROUND_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _two_servers(data: Path, database_url: str) -> tuple[PlaygroundServer, PlaygroundServer]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "PLAYGROUND_CHANNEL_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
    }
    (data / "a").mkdir()
    (data / "b").mkdir()
    first = PlaygroundServer(data / "a", extra_env=env)
    first.migrate()
    for secret in ("secret_key", "encryption_key"):  # one site: shared sessions and keys
        (data / "b" / secret).write_text((data / "a" / secret).read_text())
    return first, PlaygroundServer(data / "b", extra_env=env)


async def _rounds(servers, fake_url: str, account) -> tuple[list[float], list[float]]:
    half = STREAMS // 2
    starters, watchers = [], []
    for index, conversation in enumerate(account.conversation_ids):
        here, there = servers[index % 2], servers[(index + 1) % 2]
        starters.append(PlaygroundSocket(here.url, conversation, account.session_id))
        watchers.append(PlaygroundSocket(there.url, conversation, account.session_id))
    sockets = starters + watchers
    await open_sockets(sockets)
    relay: list[float] = []
    bare: list[float] = []
    try:
        for s in sockets:
            await s.frame(60)  # the snapshot
            await s.frame(60)  # the idle state
        limits = httpx.Limits(max_connections=None)
        for path in ("bare", "relay", "relay", "bare"):
            if path == "bare":
                bare += await asyncio.gather(
                    *(bare_lateness(fake_url, limits) for _ in range(half * 2))
                )
            else:
                relay += await asyncio.gather(
                    *(_watched_lateness(starter, watcher)
                      for starter, watcher in zip(starters, watchers, strict=True))
                )  # fmt: skip
    finally:
        await asyncio.gather(*(s.__aexit__(None, None, None) for s in sockets))
    return relay, bare


async def _watched_lateness(starter: PlaygroundSocket, watcher: PlaygroundSocket) -> float:
    """Send through one process; read the answer through the other's socket."""
    reading = asyncio.ensure_future(playground_lateness(watcher, send=False))
    try:
        await playground_lateness(starter)
    except BaseException:
        reading.cancel()
        raise
    return await reading


async def main() -> None:
    missing = [name for name, port in (("PostgreSQL", 5432), ("Redis", 6379))
               if not _listening(port)]  # fmt: skip
    if missing:
        print(f"scale: not run ({' and '.join(missing)} not listening on 127.0.0.1)")
        return
    name = f"playground_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    fake, fake_url = start_fake()
    try:
        with tempfile.TemporaryDirectory() as data:
            servers = _two_servers(Path(data), PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}")
            account = create_account(servers[0], fake_url, "scale", STREAMS // 2 * 2, [PACED])
            for server in servers:
                server.start()
            try:
                relay, bare = await _rounds(servers, fake_url, account)
            except Exception:
                for server in servers:  # what the servers said, before their logs go
                    said = [line for line in server.log().splitlines() if '"WS' not in line]
                    print(f"--- {server.log_path}\n" + "\n".join(said[-60:]))
                raise
            finally:
                for server in servers:
                    server.stop()
    finally:
        fake.terminate()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    relay_ms = [late * 1000 for late in relay]
    bare_ms = [late * 1000 for late in bare]
    print(f"scale: two Daphne processes, Redis layer, PostgreSQL; {len(relay) // 2} paced "
          "streams per round, each read through the other process")  # fmt: skip
    print(f"  last delta late: playground p50 {statistics.median(relay_ms):7.1f} ms "
          f"p99 {p(relay_ms, 0.99):7.1f} ms   bare p50 {statistics.median(bare_ms):6.1f} ms "
          f"p99 {p(bare_ms, 0.99):6.1f} ms   beyond bare at p99 "
          f"{p(relay_ms, 0.99) - p(bare_ms, 0.99):+7.1f} ms (budget ≤ +100 ms at 600)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
