"""One site, two Daphne processes, Redis channel layer, PostgreSQL: a run started through one
process is watched, caught up with and stopped through the other."""

from __future__ import annotations

import re

from tests.ws_client import PlaygroundSocket, create_account


async def test_a_run_in_one_process_is_caught_up_and_stopped_from_the_other(two_servers, fake):
    first, second = two_servers
    account = create_account(first, fake.base_url, "scale", models=["fake-slow"])
    conversation, connection, session = (
        account.conversation_id,
        account.connection_id,
        account.session_id,
    )
    async with PlaygroundSocket(first.url, conversation, session) as starter:
        await starter.frame()  # the snapshot
        await starter.send(
            action="send", message="hello", connection=str(connection), model="fake-slow", nonce="1"
        )
        await starter.until(lambda view: any("word3" in text for text in view.texts.values()))
        answer_id = next(iter(starter.view.texts))

        async with PlaygroundSocket(second.url, conversation, session) as watcher:
            # Joined mid-run in another process: catch-up first, then live deltas.
            await watcher.until(lambda view: "word8" in view.texts.get(answer_id, ""))
            await watcher.send(action="stop")
            await watcher.until(lambda view: answer_id in view.finished)
            await starter.until(lambda view: answer_id in view.finished)

    assert watcher.view.finished[answer_id] == "stopped"
    assert starter.view.finished[answer_id] == "stopped"
    assert fake.wait_for_disconnect(timeout=5) is not None, "Stop did not close the upstream"
    # Both tabs saw exactly the same text, with no gap and no duplicate.
    assert watcher.view.texts[answer_id] == starter.view.texts[answer_id]
    words = re.findall(r"word\d+", starter.view.texts[answer_id])
    assert words == [f"word{i}" for i in range(len(words))]


async def test_closing_the_socket_does_not_end_the_run(two_servers, fake):
    first, second = two_servers
    account = create_account(first, fake.base_url, "closer", models=["fake-markdown"])
    conversation, connection, session = (
        account.conversation_id,
        account.connection_id,
        account.session_id,
    )
    async with PlaygroundSocket(first.url, conversation, session) as starter:
        await starter.frame()
        await starter.send(
            action="send", message="finish without me", connection=str(connection),
            model="fake-markdown", nonce="1",
        )  # fmt: skip
        await starter.until(lambda view: bool(view.texts))
        answer_id = next(iter(starter.view.texts))
    async with PlaygroundSocket(second.url, conversation, session) as later:
        await later.until(lambda view: view.statuses.get(answer_id) == "done")
    assert fake.disconnects()[-1]["disconnected_at"] is None
