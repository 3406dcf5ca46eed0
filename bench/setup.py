"""What every benchmark stands on: the fake provider in its own process, a migrated
playground with an account and empty conversations, and Daphne serving it."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.servers import PlaygroundServer
from tests.ws_client import Account, create_account

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stage:
    server: PlaygroundServer
    account: Account
    fake_url: str


def start_fake() -> tuple[subprocess.Popen, str]:
    """The fake provider as a process (so its work is not the benchmark's) and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_provider", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def unstreamed(frame: str) -> AssertionError:
    """An answer that ended without one streamed delta failed: it is no lateness of 0 ms
    (the two-process figure once counted 677 failed answers of 1,200 that way)."""
    said = " ".join(re.sub(r"<[^>]+>", " ", frame).split())
    return AssertionError(f"an answer ended without streaming: {said[:300]}")


async def open_sockets(sockets: list, wave: int = 100) -> None:
    """Open the sockets a wave at a time: a thousand handshakes at once, each with its page
    snapshot to read, outlast Daphne's handshake timeout on two cores, and the benchmarks
    measure streaming, not a connection storm."""
    for start in range(0, len(sockets), wave):
        await asyncio.gather(*(socket.__aenter__() for socket in sockets[start : start + wave]))


@contextmanager
def stage(username: str, conversations: int, models: list | None = None) -> Iterator[Stage]:
    """`models`: the pane models of every conversation, or a list of them per conversation
    (see tests.ws_client.create_account)."""
    fake, fake_url = start_fake()
    try:
        with tempfile.TemporaryDirectory() as data:
            server = PlaygroundServer(Path(data))
            server.migrate()
            account = create_account(server, fake_url, username, conversations,
                                     models or ["fake-model"])  # fmt: skip
            server.start()
            try:
                yield Stage(server, account, fake_url)
            finally:
                server.stop()
    finally:
        fake.terminate()
