"""ActiveRun: one model answering in one pane, owned by the process, not by a socket.

A run streams from its provider and publishes data (never HTML) to the watchers of its
conversation (chat.engine.fanout); each socket renders it for its viewer (chat/frames.py).
Each run listens on its own channel, joined to `run.<uuid>`, for "run.stop" and
"run.catchup", so Stop and a late joiner's catch-up work whichever process holds the run.

Text and reasoning are published in pieces (chat.engine.coalescing), the last one the moment
the stream ends. The database is written when the turn starts and when the run ends, never
per token (chat.engine.store).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from chat import user_errors
from chat.display import MessageDisplay
from chat.engine import autoreply, events, fanout, store
from chat.engine.coalescing import Coalescer
from chat.engine.plans import RunPlan, fitted_messages, load_plan, tool_call_for_saving
from chat.models import Message, Run
from connections import llm
from connections.crypto import SecretDecryptionError
from media import MediaRejected
from playground import redaction

logger = logging.getLogger(__name__)

ACTIVE_RUNS: dict[str, ActiveRun] = {}  # strong references: tasks must not be collected
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text, for estimates only
FINAL_TEXT_PAUSE_S = 0.001


class ActiveRun:
    def __init__(self, run: Run, plan: RunPlan | None = None) -> None:
        self.run_id = str(run.pk)
        self.conversation_id = run.conversation_id
        self.message_id = run.message_id
        self.pane_id = run.pane_id
        self.turn_id = run.turn_id
        self.requested_by_id = run.requested_by_id
        self.provider = run.provider
        self.requested_model = run.model
        self.plan = plan
        self.layer = get_channel_layer()
        self.pieces = Coalescer(self.publish_piece, lambda: len(ACTIVE_RUNS))
        self.deltas = 0  # text and reasoning pieces received: each carries one token or more
        self.stream_task: asyncio.Task[None] | None = None
        self.stop_requested = False
        self.retries = 0
        self.usage: Any = None
        self.tool_calls: list[Any] = []
        self.model: Any = None
        self.finish_reason = ""
        self.resolved_model = ""
        self.base_url = ""
        self.rate_limit_wait = 0.0
        self.started = 0.0
        self.request_sent: float | None = None  # monotonic
        self.request_sent_wall: float | None = None
        self.first_token_at: float | None = None
        self.control_channel = ""
        self.sent: dict[str, Any] = {}  # its history's message ids and attachments as fitted
        self.history: list[Message] = []
        self.task: asyncio.Task[None] | None = None
        # Started before its rows were written (chat.engine.turns): what it publishes, and
        # its end, wait for admit() (written: now it has its ids) or discard() (not).
        self.written: asyncio.Future[bool] | None = None
        # Told once its request has left (or it ended first): the database thread waits for
        # that before writing its rows (chat.engine.turns).
        self.on_leaving: Callable[[], None] | None = None

    @property
    def text(self) -> str:
        return self.pieces.text

    @property
    def reasoning(self) -> str:
        return self.pieces.reasoning

    def left(self) -> None:
        """Its request has gone (or will never go): say so once."""
        told, self.on_leaving = self.on_leaving, None
        if told is not None:
            told()

    def admit(self, run: Run) -> None:
        """Its rows are written: it has its answer's and turn's ids, and may be heard."""
        self.message_id, self.turn_id = run.message_id, run.turn_id
        if self.written is not None and not self.written.done():
            self.written.set_result(True)

    def discard(self) -> None:
        """Its rows could not be written: it stops, and nothing of it is shown or saved."""
        if self.written is not None and not self.written.done():
            self.written.set_result(False)
        self.stop()

    async def heard(self) -> bool:
        """Whether what it says may go out (waiting, for a run started before its rows)."""
        return self.written is None or await self.written

    async def publish(self, message: dict[str, Any]) -> None:
        if not await self.heard():
            return
        message.setdefault("run_id", self.run_id)
        message.setdefault("message_id", self.message_id)
        message.setdefault("pane_id", self.pane_id)
        await fanout.publish(self.conversation_id, message)

    # -- lifecycle ---------------------------------------------------------------------------

    async def main(self) -> None:
        listener: asyncio.Task[None] | None = None
        status, error_kind, error_message = Run.Status.DONE, "", ""
        try:
            self.started = time.monotonic()
            self.control_channel = await self.layer.new_channel()
            await self.layer.group_add(events.run_group(self.run_id), self.control_channel)
            listener = asyncio.create_task(self.listen())
            plan = self.plan or await database_sync_to_async(load_plan)(self.run_id)
            self.model = plan.model
            if plan.has_media:
                fit = sync_to_async(fitted_messages, thread_sensitive=False)
                messages, received = await fit(plan)
            else:  # text only: no thread hop before the first token
                messages, received = fitted_messages(plan)
            # Saved with the run's end, not now: a write here would queue every pane's
            # request behind the others' on the one database thread.
            self.history, self.sent = plan.history, {"received": received}
            self.stream_task = asyncio.create_task(self.consume(plan.model, messages))
            await self.stream_task
        except asyncio.CancelledError:
            if not self.stop_requested:
                raise  # the process is shutting down
            if self.task is asyncio.current_task() and self.task.cancelling():
                self.task.uncancel()  # stopped before streaming began: finish normally
            status = Run.Status.STOPPED
        except (llm.ProviderError, SecretDecryptionError) as error:
            status, error_kind = Run.Status.ERROR, type(error).__name__
            retries = self.retries if isinstance(error, llm.ProviderError) else 0
            error_message = (
                user_errors.describe(error, retries=retries)
                if isinstance(error, llm.ProviderError)
                else str(error)
            )
        except MediaRejected as error:  # an attachment that no longer converts
            status, error_kind, error_message = Run.Status.ERROR, "MediaRejected", str(error)
        except Exception as error:  # noqa: BLE001 - a bug must end this run, not the process
            logger.exception("run %s failed unexpectedly", self.run_id)
            status, error_kind = Run.Status.ERROR, "InternalError"
            error_message = user_errors.UNEXPECTED.format(kind=type(error).__name__)
        finally:
            self.left()
            ACTIVE_RUNS.pop(self.run_id, None)
            if listener is not None:
                listener.cancel()
                await self.layer.group_discard(events.run_group(self.run_id), self.control_channel)
        try:
            await self.finish(status, error_kind, error_message)
        except Exception:  # noqa: BLE001 - the answer must never be left "streaming"
            logger.exception("run %s could not be ended normally", self.run_id)
            await self.finish_after_a_bug()

    async def consume(self, model: Any, messages: list[Any]) -> None:
        self.mark_request_sent()  # a model that says nothing of its requests (a fake)
        if not isinstance(model, llm.BaseChatModel):  # nor when they leave: once it waits
            asyncio.get_running_loop().call_soon(self.left)
        async for batch in model.astream_batches(messages):
            texts: list[str] = []
            reasoning: list[str] = []
            ended = False
            for event in batch:
                if isinstance(event, llm.TextDelta):
                    texts.append(event.text)
                elif isinstance(event, llm.ReasoningDelta):
                    reasoning.append(event.reasoning)
                elif isinstance(event, llm.RequestEvent):
                    self.on_request(event)
                elif isinstance(event, llm.ToolCallEvent):
                    self.mark_first_token()
                    self.tool_calls.append(event.tool_call)
                    await self.publish(events.calling(self.tool_calls, model))
                elif isinstance(event, llm.UsageEvent):
                    self.usage = event.usage
                elif isinstance(event, llm.FinishEvent):
                    self.finish_reason = event.finish_reason or ""
                    self.resolved_model = events.resolved_model(event.raw)
                    ended = True
                elif isinstance(event, llm.RetryEvent):
                    self.retries += 1
                    await self.publish(events.retrying(event, model.config.max_retries))
            if texts or reasoning:
                self.deltas += len(texts) + len(reasoning)
                self.mark_first_token()
                await self.pieces.add("".join(texts), "".join(reasoning))
            if ended:
                # The answer is complete: its last text goes out now, not after the rest of
                # the body (usage, the end marker, the end of the chunked encoding).
                await self.pieces.flush()
        await self.pieces.flush()  # the upstream's last byte is in: its text goes out now

    def mark_request_sent(self) -> None:
        self.request_sent = time.monotonic()
        self.request_sent_wall = time.time()

    def on_request(self, event: Any) -> None:
        """An attempt's request is leaving: the first one's time is the run's, every
        attempt's rate-limiter wait counts."""
        self.rate_limit_wait += event.waited_s
        self.base_url = event.url
        if event.attempt == 0:
            self.mark_request_sent()
            # Once this task has sent the request and waits for the answer.
            asyncio.get_running_loop().call_soon(self.left)

    # -- the end -----------------------------------------------------------------------------

    def structured_fields(self, status: str) -> tuple[str, list[Any], dict[str, Any]]:
        """The text, tool calls and output check to save. A structured answer is checked
        against its schema once complete; a forced tool call that carried it is not a call."""
        text, calls = self.text, self.tool_calls
        if self.model is None or self.model.config.output is None or status != Run.Status.DONE:
            return text, calls, {}
        try:
            answer, valid, problem = llm.structured_answer(self.model, text, calls)
        except Exception as error:  # noqa: BLE001 - the run must still end and say so
            logger.exception("run %s: checking the structured answer failed", self.run_id)
            return text, calls, {"output_valid": False,
                                 "output_problem": f"It could not be checked ({type(error).__name__})."}  # fmt: skip
        return answer, [], {"output_valid": valid, "output_problem": self.scrub(problem)}

    def output_tokens(self) -> tuple[int | None, bool]:
        """(output tokens, whether estimated). What the provider reported wins; a stopped or
        failed answer it never reported is estimated from what arrived: at least one token
        per streamed piece, and about four characters per token."""
        reported = getattr(self.usage, "output_tokens", None)
        if reported is not None:
            return reported, False
        if not self.deltas:
            return None, False
        characters = self.pieces.length + self.pieces.reasoning_length
        return max(self.deltas, math.ceil(characters / CHARS_PER_TOKEN)), True

    def figures(self, now: float) -> dict[str, Any]:
        sent = self.request_sent if self.request_sent is not None else self.started
        output_tokens, estimated = self.output_tokens()
        input_tokens = getattr(self.usage, "input_tokens", None)
        return {
            "retries": self.retries,
            "finish_reason": self.finish_reason,
            "resolved_model": self.resolved_model,
            "base_url": self.base_url or (self.model.config.base_url if self.model else ""),
            "request_sent_at": _wall(self.request_sent_wall),
            "first_token_at": _wall(
                self.request_sent_wall + (self.first_token_at - sent)
                if self.first_token_at and self.request_sent_wall
                else None
            ),
            "duration_ms": round((now - sent) * 1000) if self.started else None,
            "time_to_first_token_ms": (
                round((self.first_token_at - sent) * 1000) if self.first_token_at else None
            ),
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "output_tokens_estimated": estimated,
            "reasoning_tokens": getattr(self.usage, "reasoning_tokens", None),
            "rate_limit_wait_ms": round(self.rate_limit_wait * 1000),
        }

    async def finish(self, status: str, error_kind: str, error_message: str) -> None:
        if not await self.heard():
            return  # discarded: its rows were never written
        if self.history:
            self.sent["history"] = [message.pk for message in self.history]  # written by now
        await self.pieces.flush()
        # The last text is handed to the sockets, not yet on the wire: the write below keeps
        # the database thread busy in Python for milliseconds, and the loop would wait for
        # the interpreter to send it. A millisecond first lets it go out (bench/relay.py:
        # the last delta reached the socket 5.9 ms after the upstream sent it, now 1.9).
        await asyncio.sleep(FINAL_TEXT_PAUSE_S)
        text, calls, checked = self.structured_fields(status)
        fields = {**checked, **self.figures(time.monotonic()), **self.sent,
                  "error_kind": error_kind, "error_message": self.scrub(error_message)}  # fmt: skip
        saved_calls = [tool_call_for_saving(call) for call in calls]
        ended_turn = False
        going_on: autoreply.Decision | None = None
        try:
            message, ended_turn = await database_sync_to_async(store.finish_run)(
                self.run_id, text=text, reasoning=self.reasoning, status=status, fields=fields,
                tool_calls=saved_calls,
            )  # fmt: skip
            shown = MessageDisplay.of(message)
            if shown.tool_calls and status == Run.Status.DONE:
                # Its card offers "Answer with fixture" where one matches; with auto-reply
                # on, the fixtures answer by themselves.
                found, going_on = await database_sync_to_async(autoreply.for_finished)(
                    message.pk, shown.tool_calls
                )
                shown.saved_answers = found
                shown.auto_reply_note = going_on.note if going_on else ""
        except (Run.DoesNotExist, Message.DoesNotExist):
            # Its conversation was deleted meanwhile: nothing to save, but every tab still
            # watching must see the answer end rather than stream for ever.
            logger.warning("run %s ended (%s) after its conversation was deleted", self.run_id,
                           status)  # fmt: skip
            shown = events.unsaved_answer(self, text, status, fields, saved_calls)
        await self.publish(events.finished(shown))
        if ended_turn:
            results = await database_sync_to_async(store.turn_results)(self.turn_id)
            await self.publish(events.turn_finished(self.turn_id, results))
        if going_on is not None and going_on.results:
            await self.auto_reply(shown, going_on.results)

    async def auto_reply(self, shown: MessageDisplay, results: dict[str, str]) -> None:
        """Answer the calls with their fixtures, as whoever asked for this answer; if that
        cannot be done, the card says why and waits for the user."""
        problem = await autoreply.go_on(self.conversation_id, self.requested_by_id, shown.pk,
                                        results)  # fmt: skip
        if problem:
            logger.info("auto-reply of run %s did not go on: %s", self.run_id, problem)
            shown.auto_reply_note = problem
            await self.publish(events.finished(shown))

    async def finish_after_a_bug(self) -> None:
        """Ending the run failed (a bug): save and show it as failed with what arrived."""
        message = user_errors.UNEXPECTED.format(kind="ending the run")
        fields = {"error_kind": "InternalError", "error_message": message}
        try:
            await database_sync_to_async(store.fail_run)(self.run_id, self.text, message)
        finally:
            shown = events.unsaved_answer(self, self.text, Run.Status.ERROR, fields, [])
            await self.publish(events.finished(shown))

    def scrub(self, text: str) -> str:
        """No secret of this run's connection in what is shown and saved (the provider layer
        already scrubs its errors; this also covers the chat layer's own messages)."""
        secrets = self.model.secret_values() if self.model else ()
        redaction.remember(secrets)  # credentials resolved while streaming, for the logs too
        return redaction.scrub(text, secrets)

    # -- control through the channel layer ---------------------------------------------------

    async def listen(self) -> None:
        while True:
            message = await self.layer.receive(self.control_channel)
            kind = message.get("type")
            if kind == "run.stop":
                self.stop()
            elif kind == "run.catchup":
                await self.layer.send(
                    message["reply_channel"],
                    events.catchup_reply(
                        self,
                        self.text[: self.pieces.published],
                        self.reasoning[: self.pieces.reasoning_published],
                    ),
                )

    def stop(self) -> None:
        """Cancelling the stream task closes the upstream HTTP response at once."""
        self.stop_requested = True
        if self.stream_task is not None:
            self.stream_task.cancel()
        elif self.task is not None:
            self.task.cancel()

    async def publish_piece(self, start: int, text: str, reasoning_start: int,
                            reasoning: str) -> None:  # fmt: skip
        await self.publish(events.delta(self, start, text, reasoning_start, reasoning))

    def mark_first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()

    def progress(self) -> dict[str, Any]:
        """The live figures a delta carries for the pane's metrics strip."""
        now = time.monotonic()
        sent = self.request_sent if self.request_sent is not None else self.started
        ttft = round((self.first_token_at - sent) * 1000) if self.first_token_at else None
        tokens = max(
            self.deltas,
            math.ceil((self.pieces.length + self.pieces.reasoning_length) / CHARS_PER_TOKEN),
        )
        generating = now - (self.first_token_at or now)
        return {
            "elapsed_ms": round((now - sent) * 1000),
            "ttft_ms": ttft,
            "tokens": tokens,
            "rate": round(tokens / generating, 1) if generating > 0.2 else None,
        }


def _wall(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds is not None else None


def start_run(run: Run, plan: RunPlan | None = None, *, unwritten: bool = False,
              on_leaving: Callable[[], None] | None = None) -> ActiveRun:  # fmt: skip
    """Start a run in this process's event loop; it lives until it ends or is stopped.
    Without a plan the run loads one itself; a plan that failed to build is passed as None
    so that the run reports the error in its pane like any other failure. An `unwritten`
    run (its plan given) sends its request now and is heard once admitted; `on_leaving` is
    called once its request has gone, or it ended before sending one."""
    active = ActiveRun(run, plan)
    active.on_leaving = on_leaving
    if unwritten:
        active.written = asyncio.get_running_loop().create_future()
    ACTIVE_RUNS[active.run_id] = active
    active.task = asyncio.get_running_loop().create_task(active.main())
    return active


async def request_stop(run_id: str) -> None:
    await get_channel_layer().group_send(events.run_group(run_id), {"type": "run.stop"})


async def request_catchup(run_id: str, reply_channel: str) -> None:
    await get_channel_layer().group_send(
        events.run_group(run_id), {"type": "run.catchup", "reply_channel": reply_channel}
    )
