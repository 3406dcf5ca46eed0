"""What every benchmark stands on: the fake provider in its own process, a migrated
playground with an account and empty conversations, and Daphne serving it."""

from __future__ import annotations

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
