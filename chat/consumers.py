"""The conversation socket: relays a conversation's runs to one browser tab, and takes that
tab's "send" and "stop". Thin by design: runs live in chat.runs, data in chat.run_store.

On every (re)connect the socket joins the conversation group first, then sends the message
list as the database has it, then asks each streaming run for its text so far. Live deltas
that arrive meanwhile are held until that answer, then only what lies beyond it is sent: no
gap, no duplicate.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from accounts import permissions
from accounts.sockets import REVOKED_CLOSE_CODE, REVOKED_REASON, user_group
from chat import run_frames, run_store, runs, user_errors
from chat.models import Conversation, Run
from chat.run_settings import parse_run_settings, require_runnable
from connections.crypto import SecretDecryptionError
from connections.llm import ProviderError
from connections.models import Connection

logger = logging.getLogger(__name__)

CATCHUP_TIMEOUT_SECONDS = 5.0
ACTIONS = {"send", "tool_results", "stop"}
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


def _snapshot(conversation_id: int) -> tuple[str, set[int], list[tuple[str, int]]]:
    messages = run_store.messages_for_page(conversation_id)
    streaming = [
        (str(message.run.pk), message.pk)
        for message in messages
        if message.status == "streaming" and hasattr(message, "run")
    ]
    return run_frames.snapshot(messages), {m.pk for m in messages}, streaming


class AccessLost(Exception):
    """The account is gone, or may no longer see this conversation."""


def _visible_conversation(conversation_id: int, user_id: int) -> Conversation:
    """Asked on every message, in the same database visit as its work: access can end while
    a socket stays open (a member removed, a conversation deleted in another tab)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    conversation = (
        permissions.visible(user, Conversation.objects).filter(pk=conversation_id).first()
        if user is not None
        else None
    )
    if conversation is None:
        raise AccessLost
    return conversation


def _streaming_runs(conversation_id: int, user_id: int) -> list[Run]:
    _visible_conversation(conversation_id, user_id)
    return run_store.streaming_runs(conversation_id)


def _start_turn(conversation_id: int, user_id: int, start: Any):
    """Run `start(conversation)` (a run_store turn starter), then render what it added."""
    conversation = _visible_conversation(conversation_id, user_id)
    try:
        turn = start(conversation)
    except Connection.DoesNotExist:
        raise ValidationError(
            {"connection": "That connection no longer exists; choose another."}
        ) from None
    articles = "".join(
        [run_frames.render_message(message, attachments=turn.attachments)
         for message in turn.new_messages]
        + [run_frames.render_message(run.message) for run in turn.runs]
    )  # fmt: skip
    updates = run_frames.title(conversation.pk, conversation.display_title)
    if turn.answered is not None:  # its cards now say "answered", without the form
        calls = [call["id"] for call in turn.answered.tool_calls]
        updates += run_frames.render_message(
            run_store.message_with_run(turn.answered.pk), oob=True, answered=calls
        )
    plans = [_plan_or_none(run) for run in turn.runs]
    return turn, plans, articles, updates


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


def _plan_or_none(run: Run) -> runs.RunPlan | None:
    """A plan that cannot be built (missing key...) is left to the run, which reports it."""
    try:
        return runs.prepare(run)
    except (ProviderError, SecretDecryptionError):
        return None


class ConversationConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        self.sent: dict[str, int] = {}  # characters of each run this tab has
        self.waiting: dict[str, list[dict[str, Any]]] = {}  # deltas held until catch-up
        self.known_messages: set[int] = set()
        self.group = runs.conversation_group(self.conversation_id)
        self.limit = settings.PLAYGROUND_MAX_MESSAGE_BYTES
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
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.accept()
        html, self.known_messages, streaming = await database_sync_to_async(_snapshot)(
            self.conversation_id
        )
        await self.send(text_data=html)
        for run_id, _message_id in streaming:
            self.waiting[run_id] = []
            await runs.request_catchup(run_id, self.channel_name)
        if streaming:
            await self.send(text_data=run_frames.busy(True))
            self.give_up_task = asyncio.create_task(
                self.give_up([run_id for run_id, _ in streaming], after=CATCHUP_TIMEOUT_SECONDS)
            )
        else:
            await self.send(text_data=run_frames.busy(False))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, through a worker
        # thread. Deltas never touch the database, and that hop per delta per tab was a fifth
        # of the process's time with 300 streams (bench/concurrency.py).
        if message["type"] == "run.delta":
            await self.run_delta(message)
        else:
            await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        # The runs go on: they belong to the process, not to this socket.
        if getattr(self, "give_up_task", None) is not None:
            self.give_up_task.cancel()
        if hasattr(self, "user_id"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def lose_access(self) -> None:
        """Say why in the page, then close (Daphne does not pass a close reason on, so it
        travels as a frame first); the page does not reconnect after this code."""
        await self.send(text_data=run_frames.socket_closed(REVOKED_REASON))
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
            await self.send(text_data=run_frames.composer_errors({"socket": [problem]}))
            return
        try:
            if action == "send":
                await self.handle_send(data)
            elif action == "tool_results":
                await self.handle_tool_results(data)
            else:
                await self.handle_stop(str(data.get("run_id") or ""))
        except AccessLost:
            await self.lose_access()

    async def handle_send(self, data: dict[str, Any]) -> None:
        text = str(data.get("message") or "").strip()
        attachment_ids, details = _attachments_from(data)
        try:
            if not text and not attachment_ids:
                raise ValidationError({"message": "Type a message first."})
            chosen = parse_run_settings(data)
            require_runnable(chosen)
            started = await database_sync_to_async(_start_turn)(
                self.conversation_id,
                self.user_id,
                lambda conversation: run_store.start_turn(
                    conversation, text, chosen, attachment_ids, details
                ),
            )
        except ValidationError as error:
            await self.send(text_data=run_frames.composer_errors(error.message_dict))
            return
        await self.announce(*started)
        await self.send(
            text_data=run_frames.composer_errors(None)
            + run_frames.composer_ack(str(data.get("nonce") or ""))
        )

    async def handle_tool_results(self, data: dict[str, Any]) -> None:
        """The user typed what the tools returned: save it and let the model go on."""
        message_id = str(data.get("message_id") or "")
        if not message_id.isdigit():
            return
        results = _results_from(data)
        try:
            chosen = parse_run_settings(data)
            require_runnable(chosen)
            started = await database_sync_to_async(_start_turn)(
                self.conversation_id,
                self.user_id,
                lambda conversation: run_store.start_tool_turn(
                    conversation, int(message_id), results, chosen
                ),
            )
        except ValidationError as error:
            text = " ".join(m for messages in error.message_dict.values() for m in messages)
            await self.send(text_data=run_frames.tool_errors(int(message_id), text))
            return
        except run_store.ToolResultsError as error:
            await self.send(text_data=run_frames.tool_errors(int(message_id), str(error)))
            return
        await self.announce(*started)

    async def announce(self, turn: Any, plans: list[Any], articles: str, updates: str) -> None:
        """Tell every tab of the conversation about the new messages (and send `updates`,
        out-of-band swaps of what changed: the title, an answered message), then start the
        runs."""
        run_ids = [str(run.pk) for run in turn.runs]
        message_ids = [m.pk for m in turn.new_messages] + [run.message_id for run in turn.runs]
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "turn.started",
                "html": articles,
                "updates": updates,
                "message_ids": message_ids,
                "run_ids": run_ids,
            },
        )
        for run, plan in zip(turn.runs, plans, strict=True):
            runs.start_run(run, plan)

    async def handle_stop(self, run_id: str) -> None:
        active = await database_sync_to_async(_streaming_runs)(self.conversation_id, self.user_id)
        for run in active:
            if not run_id or str(run.pk) == run_id:
                await runs.request_stop(str(run.pk))

    # -- from the channel layer --------------------------------------------------------------

    async def turn_started(self, event: dict[str, Any]) -> None:
        new = [pk for pk in event["message_ids"] if pk not in self.known_messages]
        for run_id in event["run_ids"]:
            self.sent.setdefault(run_id, 0)
        if new:
            self.known_messages.update(new)
            await self.send(
                text_data=run_frames.append(event["html"])
                + event["updates"]
                + run_frames.busy(True)
            )

    async def run_delta(self, event: dict[str, Any]) -> None:
        run_id = event["run_id"]
        if run_id in self.waiting:
            self.waiting[run_id].append(event)
        else:
            await self.deliver(event)

    async def deliver(self, event: dict[str, Any]) -> None:
        run_id, start, text = event["run_id"], event["start"], event["text"]
        have = self.sent.get(run_id, 0)
        if start + len(text) <= have:
            return
        if start > have:
            # A gap (should not happen): ask for the whole text again rather than show holes.
            self.waiting[run_id] = [event]
            await runs.request_catchup(run_id, self.channel_name)
            return
        self.sent[run_id] = start + len(text)
        await self.send(text_data=run_frames.delta(event["message_id"], text[have - start :]))

    async def run_catchup_reply(self, event: dict[str, Any]) -> None:
        run_id = event["run_id"]
        held = self.waiting.pop(run_id, None)
        if held is None:
            return
        self.sent[run_id] = len(event["text"])
        await self.send(text_data=run_frames.replace_body(event["message_id"], event["text"]))
        for delta in held:
            await self.deliver(delta)

    async def run_status(self, event: dict[str, Any]) -> None:
        await self.send(text_data=run_frames.status_line(event["message_id"], event["text"]))

    async def run_finished(self, event: dict[str, Any]) -> None:
        self.waiting.pop(event["run_id"], None)
        self.sent.pop(event["run_id"], None)
        busy = bool(self.sent or self.waiting)
        await self.send(text_data=event["html"] + run_frames.busy(busy))

    async def give_up(self, run_ids: list[str], *, after: float) -> None:
        """Runs that never answered a catch-up belong to a process that is gone."""
        await asyncio.sleep(after)
        for run_id in run_ids:
            if run_id not in self.waiting:
                continue
            interrupted = await database_sync_to_async(run_store.mark_interrupted)(
                run_id, user_errors.INTERRUPTED, older_than_seconds=CATCHUP_TIMEOUT_SECONDS
            )
            if interrupted:
                html = await database_sync_to_async(runs.render_final)(
                    await database_sync_to_async(_message_id_of)(run_id)
                )
                await self.channel_layer.group_send(
                    self.group,
                    {"type": "run.finished", "run_id": run_id, "message_id": 0, "html": html},
                )


def _message_id_of(run_id: str) -> int:
    return Run.objects.values_list("message_id", flat=True).get(pk=run_id)
