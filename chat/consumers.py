"""The conversation socket: validates what one browser tab sends and hands it to the engine
(chat.engine.turns), and relays what the engine publishes, rendered for this viewer by
chat/frames.py. Nothing else: turns, runs and their data live in chat.engine.

On every (re)connect the socket starts watching the conversation first (chat.engine.fanout),
then sends each pane's messages as the database has them (the whole panes block when the
panes changed since the page was drawn), then asks each streaming run for its text so far.
Live deltas that arrive meanwhile are held until that answer, then only what lies beyond it
is sent: no gap, no duplicate.

The conversation's events, and the catch-up answers, are taken in order by one task of the
socket's own (`pump`), one at a time: never while the snapshot is being read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from accounts import permissions
from accounts.sockets import REVOKED_CLOSE_CODE, REVOKED_REASON, user_group
from chat import frames, screen
from chat.engine import fanout, store, turns
from chat.engine.runs import request_catchup
from chat.models import Conversation

logger = logging.getLogger(__name__)

CATCHUP_TIMEOUT_SECONDS = 5.0
LIVE_METRICS_SECONDS = 0.5  # how often a tab's live figures under an answer are redrawn
ACTIONS = {"send", "tool_results", "regenerate", "rerun", "stop"}
READ_ONLY = "You can read this conversation but not change it: fork it to run your own copy."
UNREADABLE = (
    "Playground could not read that message (it was not a message from this page). "
    "Reload the page and try again."
)


def too_long(size: int, limit: int) -> str:
    return (
        f"This message is {megabytes(size)}; Playground takes at most {megabytes(limit)} per "
        "message (the text, the system prompt and the settings together). Shorten it and "
        "send it again."
    )


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 / 10 else f"{size / 1024:.0f} KB"


def parse_frame(text_data: str | None, limit: int) -> tuple[dict[str, Any] | None, str]:
    """The browser's message as a dict, or None and why it cannot be taken: a binary frame
    (the page never sends one), a frame over the application's limit, or one that is not a
    JSON object."""
    if text_data is None:
        return None, UNREADABLE
    # Characters first: a cheap bound that saves encoding a huge paste to measure it.
    if len(text_data) > limit or len(text_data.encode()) > limit:
        return None, too_long(len(text_data.encode()), limit)
    try:
        data = json.loads(text_data)
    except ValueError:
        return None, UNREADABLE
    return (data, "") if isinstance(data, dict) else (None, UNREADABLE)


def _results_from(data: dict[str, Any]) -> dict[str, str]:
    """The tool results of the form, by call id (fields named "result:<call id>")."""
    return {
        key.removeprefix("result:"): str(value if not isinstance(value, list) else value[-1])
        for key, value in data.items()
        if key.startswith("result:")
    }


def _attachments_from(data: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The composer's attachment ids and each image's detail level ("detail:<id>" fields)."""
    ids = data.get("attachments") or []
    ids = [str(i) for i in (ids if isinstance(ids, list) else [ids])]
    details = {
        key.removeprefix("detail:"): str(value[-1] if isinstance(value, list) else value)
        for key, value in data.items()
        if key.startswith("detail:")
    }
    return ids, details


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value if value is not None else "")


def _snapshot(conversation_id: int, shown_panes: list[int], user_id: int):
    """Each pane's messages as the database has them, or the whole panes block (with the
    connections `user_id` may pick) when the panes are not the ones the page was drawn
    with; the runs still streaming."""
    conversation = Conversation.objects.get(pk=conversation_id)
    panes = store.panes_of(conversation)
    blind = conversation.blind
    if [pane.pk for pane in panes] == shown_panes:
        views = frames.pane_views(panes, store.page_messages(conversation_id))
        shared: dict[int, str] = {}
        html = "".join(
            f'<div id="pane-{view.pane.pk}-messages" hx-swap-oob="innerHTML">'
            f"{frames.pane_messages_html(view, shared, blind=blind)}</div>"
            for view in views
        )
    else:
        teams = permissions.connection_teams([user_id]).get(user_id)
        viewer = get_user_model().objects.filter(pk=user_id).first()
        context = screen.panes_context(conversation, permissions.connections_of_teams(teams),
                                       viewer)  # fmt: skip
        views = context["pane_views"]
        html = frames.panes_snapshot(context)
    streaming = {
        str(message.run.pk): view.pane.pk
        for view in views
        for message in view.messages
        if message.status == "streaming" and message.run is not None
    }
    known = {message.pk for view in views for message in view.messages}
    return html, [view.pane.pk for view in views], streaming, known, blind


class ConversationConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        self.limit = settings.PLAYGROUND_MAX_MESSAGE_BYTES
        self.sent: dict[str, list[int]] = {}  # [answer, reasoning] characters this tab has
        self.waiting: dict[str, list[dict[str, Any]]] = {}  # deltas held until catch-up
        self.streaming: dict[str, int] = {}  # run id -> its pane
        self.live_at: dict[str, float] = {}
        self.known_messages: set[int] = set()
        self.pane_ids: list[int] = []
        self.blind = False  # Blind mode: frames name no model (chat.blind); set by snapshots
        self.inbox: deque[dict[str, Any]] = deque()
        self.wakeup: asyncio.Future[None] | None = None
        self.pump_task: asyncio.Task[None] | None = None
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        visible = await database_sync_to_async(permissions.still_visible)(
            user.pk, Conversation.objects, pk=self.conversation_id
        )
        if not visible:
            await self.close(code=4403)
            return
        self.user_id = user.pk
        await fanout.watch(self.conversation_id, self)
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.accept()
        await self.send_snapshot(self.panes_on_page())
        self.pump_task = asyncio.create_task(self.pump())

    def panes_on_page(self) -> list[int]:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        text = (query.get("panes") or [""])[0]
        return [int(part) for part in text.split(",") if part.isdigit()]

    async def send_snapshot(self, shown_panes: list[int]) -> None:
        html, self.pane_ids, streaming, known, self.blind = await database_sync_to_async(_snapshot)(
            self.conversation_id, shown_panes, self.user_id
        )
        self.known_messages = known
        await self.send(text_data=html)
        for run_id, pane_id in streaming.items():
            self.streaming[run_id] = pane_id
            self.waiting[run_id] = []
            await request_catchup(run_id, self.channel_name)
        await self.send(text_data=self.busy())
        if streaming:
            self.give_up_task = asyncio.create_task(
                self.give_up(list(streaming), after=CATCHUP_TIMEOUT_SECONDS)
            )

    def busy(self) -> str:
        return frames.busy(bool(self.streaming), self.streaming.values())

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, through the one
        # database thread: 300 sends at once queued behind each other there. Every database
        # visit here goes through database_sync_to_async, which closes them itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        # The runs go on: they belong to the process, not to this socket.
        for task in (getattr(self, "give_up_task", None), self.pump_task):
            if task is not None:
                task.cancel()
        if hasattr(self, "user_id"):
            await fanout.unwatch(self.conversation_id, self)
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    # -- the conversation's events, in order ---------------------------------------------------

    def hear(self, event: dict[str, Any]) -> None:
        self.inbox.append(event)
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

    async def pump(self) -> None:
        handlers = {
            "turn.started": self.turn_started,
            "run.delta": self.run_delta,
            "run.status": self.run_status,
            "run.finished": self.run_finished,
            "turn.finished": self.turn_finished,
            "panes.changed": self.panes_changed,
            "run.catchup.reply": self.catchup_reply,
        }
        while True:
            while self.inbox:
                event = self.inbox.popleft()
                try:
                    await handlers[event["type"]](event)
                except Exception:
                    # A bug drawing one event: this tab would drift from the truth, so it is
                    # closed, and the page reconnects to a fresh snapshot.
                    logger.exception("conversation %s: a socket could not show %s",
                                     self.conversation_id, event.get("type"))  # fmt: skip
                    await self.close(code=4500)
                    return
            self.wakeup = asyncio.get_running_loop().create_future()
            await self.wakeup

    async def lose_access(self) -> None:
        """Say why in the page, then close (Daphne does not pass a close reason on, so it
        travels as a frame first); the page does not reconnect after this code."""
        await self.send(text_data=frames.socket_closed(REVOKED_REASON))
        await self.close(code=REVOKED_CLOSE_CODE, reason=REVOKED_REASON)

    async def access_revoked(self, event: dict[str, Any]) -> None:
        await self.lose_access()

    # -- from the browser --------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        data, problem = parse_frame(text_data, self.limit)
        action = data.get("action") if data is not None else None
        if data is not None and action not in ACTIONS:
            problem = UNREADABLE
        if problem:
            # Answered, never dropped: the socket stays open, the next message may be fine.
            logger.info("conversation %s: refused a message: %s", self.conversation_id, problem)
            await self.send(text_data=frames.composer_errors({"socket": [problem]}))
            return
        try:
            if action == "send":
                await self.handle_send(data)
            elif action == "tool_results":
                await self.handle_tool_results(data)
            elif action in ("regenerate", "rerun"):
                await self.handle_run_again(action, data)
            else:
                pane = _field(data, "pane")
                await turns.stop(self.conversation_id, self.user_id,
                                 int(pane) if pane.isdigit() else None)  # fmt: skip
        except permissions.NoAccess:
            if await database_sync_to_async(permissions.still_visible)(
                self.user_id, Conversation.objects, pk=self.conversation_id
            ):  # a viewer: may read, not change
                await self.send(text_data=frames.composer_errors({"socket": [READ_ONLY]}))
                return
            await self.lose_access()

    async def handle_send(self, data: dict[str, Any]) -> None:
        text = _field(data, "message").strip()
        attachment_ids, details = _attachments_from(data)
        if not text and not attachment_ids:
            await self.send(
                text_data=frames.composer_errors({"message": ["Type a message first."]})
            )
            return
        try:
            await turns.start_turn(
                self.conversation_id, self.user_id, text, attachment_ids, details
            )
        except ValidationError as error:
            await self.send(text_data=frames.composer_errors(error.message_dict))
            return
        await self.send(
            text_data=frames.composer_errors(None) + frames.composer_ack(_field(data, "nonce"))
        )

    async def handle_tool_results(self, data: dict[str, Any]) -> None:
        """The user typed what a pane's tools returned: that pane goes on with them."""
        message_id = _field(data, "message_id")
        if not message_id.isdigit():
            await self.send(text_data=frames.composer_errors({"socket": [UNREADABLE]}))
            return
        try:
            await turns.answer_tool_calls(
                self.conversation_id, self.user_id, int(message_id), _results_from(data)
            )
        except turns.ToolResultsError as error:
            await self.send(text_data=frames.tool_errors(int(message_id), str(error)))

    async def handle_run_again(self, action: str, data: dict[str, Any]) -> None:
        """ "Regenerate" (a pane's answer, or every pane's for a shared message) or "Re-run
        from here" (a shared message, on a new branch); a refusal is shown by the message."""
        message_id = _field(data, "message_id")
        if not message_id.isdigit():
            await self.send(text_data=frames.composer_errors({"socket": [UNREADABLE]}))
            return
        try:
            if action == "regenerate":
                await turns.regenerate(self.conversation_id, self.user_id, int(message_id))
            else:
                await turns.rerun_from(self.conversation_id, self.user_id, int(message_id))
        except turns.NotRerun as refused:
            await self.send(text_data=frames.action_error(int(message_id), str(refused)))

    # -- from the channel layer --------------------------------------------------------------

    async def turn_started(self, event: dict[str, Any]) -> None:
        messages = [data for data in event["messages"] if data["pk"] not in self.known_messages]
        if not messages and not event.get("answered"):
            return
        self.known_messages.update(data["pk"] for data in messages)
        for data in messages:
            run = data.get("run")
            if run and run["status"] == "streaming":
                self.streaming[run["pk"]] = data["pane_id"]
                self.sent.setdefault(run["pk"], [0, 0])
        frame = frames.turn_started({**event, "messages": messages}, self.pane_ids,
                                    blind=self.blind)  # fmt: skip
        await self.send(text_data=frame + self.busy())

    async def run_delta(self, event: dict[str, Any]) -> None:
        run_id = event["run_id"]
        if run_id in self.waiting:
            self.waiting[run_id].append(event)
        else:
            await self.deliver(event)

    async def deliver(self, event: dict[str, Any]) -> None:
        run_id, message_id = event["run_id"], event["message_id"]
        have = self.sent.setdefault(run_id, [0, 0])
        pieces = []
        for index, (start_key, text_key) in enumerate(
            (("start", "text"), ("reasoning_start", "reasoning"))
        ):
            start, text = event[start_key], event[text_key]
            if start + len(text) <= have[index]:
                pieces.append("")
                continue
            if start > have[index]:
                # A gap (should not happen): ask for the whole text again rather than show holes.
                self.waiting[run_id] = [event]
                await request_catchup(run_id, self.channel_name)
                return
            pieces.append(text[have[index] - start :])
            have[index] = start + len(text)
        frame = frames.delta(message_id, pieces[0], pieces[1])
        now = time.monotonic()
        if now - self.live_at.get(run_id, 0.0) >= LIVE_METRICS_SECONDS:
            self.live_at[run_id] = now
            frame += frames.live_metrics(message_id, event["progress"])
        if frame:
            await self.send(text_data=frame)

    async def run_catchup_reply(self, event: dict[str, Any]) -> None:
        """A run's answer to this socket's catch-up request (through the channel layer): in
        line with the conversation's events."""
        self.hear(event)

    async def catchup_reply(self, event: dict[str, Any]) -> None:
        run_id = event["run_id"]
        held = self.waiting.pop(run_id, None)
        if held is None:
            return
        self.sent[run_id] = [len(event["text"]), len(event["reasoning"])]
        await self.send(
            text_data=frames.replace_body(event["message_id"], event["text"], event["reasoning"])
        )
        for delta in held:
            await self.deliver(delta)

    async def run_status(self, event: dict[str, Any]) -> None:
        await self.send(text_data=frames.status_line(event["message_id"], event, blind=self.blind))

    async def run_finished(self, event: dict[str, Any]) -> None:
        run_id = event["run_id"]
        for state in (self.waiting, self.sent, self.streaming, self.live_at):
            state.pop(run_id, None)
        await self.send(text_data=frames.final_answer(event, blind=self.blind) + self.busy())

    async def turn_finished(self, event: dict[str, Any]) -> None:
        """The compare panel (chart, fastest and cheapest) is drawn by the compare app;
        this tab fetches it anew."""
        trigger = render_to_string(
            "chat/partials/turn_compare.html", {"conversation_id": self.conversation_id}
        )
        await self.send(text_data=trigger)

    async def panes_changed(self, event: dict[str, Any]) -> None:
        await self.send_snapshot([])

    async def give_up(self, run_ids: list[str], *, after: float) -> None:
        """Runs that never answered a catch-up belong to a process that is gone."""
        await asyncio.sleep(after)
        for run_id in run_ids:
            if run_id in self.waiting:
                await turns.mark_interrupted(
                    self.conversation_id, run_id, older_than=CATCHUP_TIMEOUT_SECONDS
                )
