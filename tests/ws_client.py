"""A plain websocket client for the playground socket, for the scale tier and benchmarks.

It signs in with a session cookie, sends the composer's JSON, and reads the HTML frames the
way htmx would apply them: deltas appended, catch-up replacing, final render with a status.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

import websockets

DELTA = re.compile(r'<div hx-swap-oob="beforeend:#message-(\d+)-body">(.*?)</div>', re.S)
REPLACE = re.compile(r'<div id="message-(\d+)-body" hx-swap-oob="innerHTML">(.*?)</div>', re.S)
FINAL = re.compile(r'<article id="message-(\d+)"[^>]*data-status="(\w+)"[^>]*hx-swap-oob="true"')
ARTICLE = re.compile(r'<article id="message-(\d+)"[^>]*data-status="(\w+)"')


@dataclass
class StreamView:
    """What one browser tab would show for each assistant message."""

    texts: dict[int, str] = field(default_factory=dict)
    finished: dict[int, str] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)  # from any render, snapshot included

    def apply(self, frame: str) -> None:
        for message_id, text in REPLACE.findall(frame):
            self.texts[int(message_id)] = html.unescape(text)
        for message_id, text in DELTA.findall(frame):
            key = int(message_id)
            self.texts[key] = self.texts.get(key, "") + html.unescape(text)
        for message_id, status in FINAL.findall(frame):
            self.finished[int(message_id)] = status
        for message_id, status in ARTICLE.findall(frame):
            self.statuses[int(message_id)] = status


class PlaygroundSocket:
    def __init__(self, base_url: str, conversation_id: int, session_id: str) -> None:
        self.url = base_url.replace("http://", "ws://") + f"/ws/c/{conversation_id}/"
        self.headers = {"Cookie": f"sessionid={session_id}", "Origin": base_url}
        self.view = StreamView()
        self.connection: Any = None

    async def __aenter__(self) -> PlaygroundSocket:
        self.connection = await websockets.connect(
            self.url, additional_headers=self.headers, max_size=None
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.connection.close()

    async def send(self, **fields: Any) -> None:
        await self.connection.send(json.dumps(fields))

    async def frame(self, timeout: float = 10.0) -> str:
        frame = await asyncio.wait_for(self.connection.recv(), timeout)
        self.view.apply(frame)
        return frame

    async def until(self, predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
        """Read frames until `predicate(view)` holds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate(self.view):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met; view={self.view}")
            await self.frame(remaining)


SETUP_SCRIPT = """
from django.contrib.auth import get_user_model
from django.test import Client
from chat.models import Conversation, Pane
from connections.models import Connection
user = get_user_model().objects.create_user({username!r}, password="a-long-password-123")
connection = Connection.objects.create(
    name={username!r}, kind="openai_compatible", base_url={base_url!r})
ids = []
for models in {models!r}:
    conversation = Conversation.objects.create(owner=user)
    for position, model in enumerate(models):
        Pane.objects.create(conversation=conversation, position=position, connection=connection,
                            model=model)
    ids.append(conversation.pk)
client = Client()
client.force_login(user)
print(",".join(map(str, ids)), connection.pk, client.cookies["sessionid"].value)
"""


@dataclass(frozen=True)
class Account:
    conversation_ids: list[int]
    connection_id: int
    session_id: str

    @property
    def conversation_id(self) -> int:
        return self.conversation_ids[0]


def create_account(
    server: Any,
    base_url: str,
    username: str,
    conversations: int = 1,
    models: list[str] | list[list[str]] = ("fake-model",),  # type: ignore[assignment]
) -> Account:
    """A user with a connection to `base_url` and empty conversations, made through the
    server's own manage.py (so it lands in that server's database), and a session for it.
    Each conversation gets one pane per model in `models`, or, given a list per
    conversation, those panes."""
    per_conversation = (
        [list(m) for m in models] if models and not isinstance(models[0], str)
        else [list(models)] * conversations
    )  # fmt: skip
    script = SETUP_SCRIPT.format(username=username, base_url=base_url, models=per_conversation)
    last_line = server.manage("shell", "-c", script).strip().splitlines()[-1]
    ids, connection_id, session_id = last_line.split()
    return Account([int(pk) for pk in ids.split(",")], int(connection_id), session_id)
