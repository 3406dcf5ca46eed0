"""Against a real Daphne started the way `make run` starts it: a message far over the
application's limit (a 10 MB paste from a client that skips the composer's check) gets an
error frame, and the socket stays open for the next message."""

from __future__ import annotations

import json

import pytest

from tests.e2e.servers import PlaygroundServer
from tests.ws_client import PlaygroundSocket, create_account

pytestmark = pytest.mark.live


@pytest.fixture
def daphne(tmp_path):
    server = PlaygroundServer(tmp_path)
    server.migrate()
    server.start()
    yield server
    server.stop()


async def test_a_ten_megabyte_message_is_answered_and_the_socket_stays(daphne):
    account = create_account(daphne, "http://127.0.0.1:9/v1", "paster")
    async with PlaygroundSocket(daphne.url, account.conversation_id, account.session_id) as tab:
        await tab.frame()  # the snapshot
        await tab.frame()  # the idle state
        huge = "x" * (10 * 2**20)
        await tab.connection.send(json.dumps({"action": "send", "message": huge}))
        answer = await tab.frame()
        assert "This message is 10.0 MB; Playground takes at most 2.0 MB" in answer
        await tab.connection.send("not json")
        assert "could not read that message" in await tab.frame()
