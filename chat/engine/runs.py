"""The run engine: one model answering one turn, owned by the process, not by a socket.

A run streams from its provider and publishes to the channel-layer group of its
conversation (`conversation.<pk>`); every socket in that group relays to its browser. Each
run listens on its own channel, joined to `run.<uuid>`, for "run.stop" and "run.catchup", so
Stop and a late joiner's catch-up work whichever process holds the run (Redis layer).

Text deltas are coalesced for PLAYGROUND_STREAM_FLUSH_MS; each published delta carries the
character offset where it starts, so a socket can drop what it already has. The database is
written when the turn starts (chat.run_store.start_turn) and when the run ends, never per token.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from chat import attachments, run_frames, run_store, user_errors
from chat.models import Message, Run
from connections import llm
from connections.crypto import SecretDecryptionError
from media import MediaRejected
from playground import redaction

logger = logging.getLogger(__name__)

ACTIVE_RUNS: dict[str, ActiveRun] = {}  # strong references: tasks must not be collected
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text, for estimates only


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def run_group(run_id: str) -> str:
    return f"run.{run_id}"


def build_messages(
    run: Run, history: list[Message], parts: dict[int, list[Any]] | None = None
) -> list[Any]:
    """The history as provider messages, user messages with their attachments' `parts`. A
    tool call the user never answered is left out (providers refuse a call without its
    result), its answer's text kept."""
    answered = {m.tool_call_id for m in history if m.role == Message.Role.TOOL}
    messages: list[Any] = []
    if run.conversation.system_prompt.strip():
        messages.append(llm.system(run.conversation.system_prompt))
    for message in history:
        if message.role == Message.Role.USER:
            messages.append(llm.user(message.content, *(parts or {}).get(message.pk, [])))
        elif message.role == Message.Role.TOOL:
            messages.append(
                llm.tool_result(message.tool_call_id, message.content, name=message.tool_name)
            )
        else:
            calls = [tool_call_from_saved(c) for c in message.tool_calls if c["id"] in answered]
            if message.content or calls:
                messages.append(llm.assistant(message.content, calls))
    return messages


def tool_call_from_saved(saved: dict[str, Any]) -> Any:
    return llm.ToolCall(
        id=saved["id"],
        name=saved["name"],
        arguments=saved.get("arguments") or {},
        signature=saved.get("signature"),
    )


def tool_call_for_saving(call: Any) -> dict[str, Any]:
    saved = {"id": call.id, "name": call.name, "arguments": call.arguments}
    if call.signature:
        saved["signature"] = call.signature  # Gemini's, replayed verbatim
    return saved


@dataclass(frozen=True)
class RunPlan:
    """What a run sends, read in the same database visit that saved the turn, so the
    request can leave as soon as the turn is stored. Attachments are fitted later, off the
    database thread (`fitted_messages`)."""

    run: Run
    model: Any
    history: list[Message]

    @property
    def has_media(self) -> bool:
        return any(message.attachments.all() for message in self.history)  # prefetched


def prepare(run: Run) -> RunPlan:
    """Build the chat model and read the history of a run (sync: touches the database)."""
    if run.connection is None:
        raise llm.ConfigurationError(
            "The connection of this run was deleted; choose another connection."
        )
    try:
        model = llm.chat_model_for(
            run.connection,
            run.model,
            run.parameters,
            tools=run.tools,
            tool_choice=run.tool_choice,
            schema=run.output_schema,
        )
    except SecretDecryptionError as error:
        raise llm.ConfigurationError(str(error)) from None
    run.conversation  # noqa: B018 - loaded here, so building the messages needs no query
    return RunPlan(run, model, run_store.history_for(run))


def fitted_messages(plan: RunPlan) -> tuple[list[Any], list[dict[str, Any]]]:
    """The provider messages of a plan and the records of the attachments sent. Decoding and
    re-encoding media takes up to seconds (a long recording to MP3), so this runs in a worker
    thread of its own, never on the database thread every request shares. It reads only
    stored files and what `prepare` loaded. Raises MediaRejected for a file that no longer
    converts."""
    run = plan.run
    parts, received = attachments.history_parts(run.provider, run.model, plan.history)
    return build_messages(run, plan.history, parts), received


def _load_and_prepare(run_id: str) -> RunPlan:
    return prepare(run_store.load_run(run_id))


def _save_received(run_id: str, received: list[dict[str, Any]]) -> None:
    Run.objects.filter(pk=run_id).update(received=received)


class ActiveRun:
    def __init__(
        self, run_id: str, conversation_id: int, message_id: int, plan: RunPlan | None = None
    ) -> None:
        self.run_id = run_id
        self.plan = plan
        self.conversation_id = conversation_id
        self.message_id = message_id
        self.layer = get_channel_layer()
        self.flush_seconds = settings.PLAYGROUND_STREAM_FLUSH_MS / 1000
        self.parts: list[str] = []
        self.deltas = 0  # text and reasoning pieces received: each carries one token or more
        self.reasoning_chars = 0
        self.length = 0  # characters received
        self.published = 0  # characters published to the group
        self.last_flush = 0.0
        self.flush_task: asyncio.Task[None] | None = None
        self.stream_task: asyncio.Task[None] | None = None
        self.stop_requested = False
        self.retries = 0
        self.usage: Any = None
        self.tool_calls: list[Any] = []
        self.model: Any = None
        self.finish_reason = ""
        self.started = 0.0
        self.first_token_at: float | None = None
        self.control_channel = ""
        self.task: asyncio.Task[None] | None = None

    @property
    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""

    async def publish(self, message: dict[str, Any]) -> None:
        message.setdefault("run_id", self.run_id)
        message.setdefault("message_id", self.message_id)
        await self.layer.group_send(conversation_group(self.conversation_id), message)

    # -- lifecycle ---------------------------------------------------------------------------

    async def main(self) -> None:
        listener: asyncio.Task[None] | None = None
        status, error_kind, error_message = Run.Status.DONE, "", ""
        try:
            self.started = time.monotonic()
            self.control_channel = await self.layer.new_channel()
            await self.layer.group_add(run_group(self.run_id), self.control_channel)
            listener = asyncio.create_task(self.listen())
            plan = self.plan or await database_sync_to_async(_load_and_prepare)(self.run_id)
            self.model = plan.model
            if plan.has_media:
                fit = sync_to_async(fitted_messages, thread_sensitive=False)
                messages, received = await fit(plan)
            else:  # text only: no thread hop before the first token
                messages, received = fitted_messages(plan)
            if received:
                await database_sync_to_async(_save_received)(self.run_id, received)
            self.stream_task = asyncio.create_task(self.consume(plan.model, messages))
            await self.stream_task
        except asyncio.CancelledError:
            if not self.stop_requested:
                raise  # the process is shutting down
            if self.task is asyncio.current_task() and self.task.cancelling():
                self.task.uncancel()  # stopped before streaming began: finish normally
            status = Run.Status.STOPPED
        except llm.ProviderError as error:
            status, error_kind = Run.Status.ERROR, type(error).__name__
            error_message = user_errors.describe(error, retries=self.retries)
        except MediaRejected as error:  # an attachment that no longer converts
            status, error_kind, error_message = Run.Status.ERROR, "MediaRejected", str(error)
        except Exception as error:  # noqa: BLE001 - a bug must end this run, not the process
            logger.exception("run %s failed unexpectedly", self.run_id)
            status, error_kind = Run.Status.ERROR, "InternalError"
            error_message = user_errors.UNEXPECTED.format(kind=type(error).__name__)
        finally:
            ACTIVE_RUNS.pop(self.run_id, None)
            if listener is not None:
                listener.cancel()
                await self.layer.group_discard(run_group(self.run_id), self.control_channel)
        await self.finish(status, error_kind, error_message)

    async def consume(self, model: Any, messages: list[Any]) -> None:
        async for batch in model.astream_batches(messages):
            texts: list[str] = []
            for event in batch:
                if isinstance(event, llm.TextDelta):
                    texts.append(event.text)
                    self.deltas += 1
                elif isinstance(event, llm.ReasoningDelta):
                    self.mark_first_token()
                    self.deltas += 1
                    self.reasoning_chars += len(event.reasoning)
                elif isinstance(event, llm.ToolCallEvent):
                    self.mark_first_token()
                    self.tool_calls.append(event.tool_call)
                    await self.publish({"type": "run.status", "text": self.calls_text()})
                elif isinstance(event, llm.UsageEvent):
                    self.usage = event.usage
                elif isinstance(event, llm.FinishEvent):
                    self.finish_reason = event.finish_reason or ""
                elif isinstance(event, llm.RetryEvent):
                    self.retries += 1
                    await self.publish({"type": "run.status", "text": retry_text(event, model)})
            if texts:
                await self.on_text("".join(texts))

    def calls_text(self) -> str:
        if self.model is not None and self.model.config.output is not None:
            return "Writing the structured answer…"
        return "Calling " + ", ".join(call.name for call in self.tool_calls) + "…"

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
        return answer, [], {"output_valid": valid, "output_problem": problem}

    def output_tokens(self) -> tuple[int | None, bool]:
        """(output tokens, whether estimated). What the provider reported wins; a stopped or
        failed answer it never reported is estimated from what arrived: at least one token
        per streamed piece, and about four characters per token."""
        reported = getattr(self.usage, "output_tokens", None)
        if reported is not None:
            return reported, False
        if not self.deltas:
            return None, False
        characters = self.length + self.reasoning_chars
        return max(self.deltas, math.ceil(characters / CHARS_PER_TOKEN)), True

    async def finish(self, status: str, error_kind: str, error_message: str) -> None:
        await self.flush_now()
        now = time.monotonic()
        text, calls, checked = self.structured_fields(status)
        output_tokens, estimated = self.output_tokens()
        if checked.get("output_problem"):  # it may quote the answer, and so an echoed key
            checked["output_problem"] = self.scrub(checked["output_problem"])
        fields = {
            **checked,
            "retries": self.retries,
            "finish_reason": self.finish_reason,
            "error_kind": error_kind,
            "error_message": self.scrub(error_message),
            "duration_ms": round((now - self.started) * 1000) if self.started else None,
            "time_to_first_token_ms": (
                round((self.first_token_at - self.started) * 1000) if self.first_token_at else None
            ),
            "input_tokens": getattr(self.usage, "input_tokens", None),
            "output_tokens": output_tokens,
            "output_tokens_estimated": estimated,
        }
        saved_calls = [tool_call_for_saving(call) for call in calls]
        try:
            message = await database_sync_to_async(run_store.finish_run)(
                self.run_id, text=text, status=status, fields=fields, tool_calls=saved_calls
            )
            final = await database_sync_to_async(render_final)(message.pk)
        except (Run.DoesNotExist, Message.DoesNotExist):
            # Its conversation was deleted meanwhile: nothing to save, but every tab still
            # watching must see the answer end rather than stream for ever.
            logger.warning("run %s ended (%s) after its conversation was deleted", self.run_id,
                           status)  # fmt: skip
            final = render_unsaved_final(self.message_id, text, status, fields, saved_calls)
        await self.publish({"type": "run.finished", "html": final})

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
                    {
                        "type": "run.catchup.reply",
                        "run_id": self.run_id,
                        "message_id": self.message_id,
                        "text": self.text[: self.published],
                    },
                )

    def stop(self) -> None:
        """Cancelling the stream task closes the upstream HTTP response at once."""
        self.stop_requested = True
        if self.stream_task is not None:
            self.stream_task.cancel()
        elif self.task is not None:
            self.task.cancel()

    # -- coalescing --------------------------------------------------------------------------

    def mark_first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()

    async def on_text(self, text: str) -> None:
        self.mark_first_token()
        self.parts.append(text)
        self.length += len(text)
        if self.flush_task is not None and not self.flush_task.done():
            return  # a flush is already due; this piece rides along
        delay = self.last_flush + self.flush_seconds - time.monotonic()
        if delay > 0:
            self.flush_task = asyncio.create_task(self.flush_after(delay))
            return
        # Due now (the first piece, or a pause longer than the interval): publish inline.
        first = self.published == 0
        await self.publish_pending()
        if first:
            # The sockets need a few loop turns to put it on the wire; a millisecond's pause
            # gives them those turns before the parser takes the loop for the next chunk.
            await asyncio.sleep(0.001)

    async def flush_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.publish_pending()

    async def flush_now(self) -> None:
        if self.flush_task is not None and not self.flush_task.done():
            await self.flush_task  # never cancel it: it may be inside group_send
        await self.publish_pending()

    async def publish_pending(self) -> None:
        if self.published >= self.length:
            return
        start = self.published
        chunk = self.text[start:]
        self.published = start + len(chunk)
        self.last_flush = time.monotonic()
        await self.publish({"type": "run.delta", "start": start, "text": chunk})


def retry_text(event: Any, model: Any) -> str:
    limit = model.config.max_retries
    return f"{event.error} — retrying in {event.delay:.1f} s (retry {event.attempt} of {limit})…"


def render_final(message_id: int) -> str:
    return run_frames.render_message(run_store.message_with_run(message_id), oob=True)


def render_unsaved_final(
    message_id: int, text: str, status: str, fields: dict[str, Any], calls: list[dict[str, Any]]
) -> str:
    """The final frame of a run whose rows are gone, from what the run holds in memory."""
    message = Message(pk=message_id, role=Message.Role.ASSISTANT, content=text, status=status,
                      tool_calls=calls)  # fmt: skip
    message.run = Run(status=status, **fields)
    return run_frames.render_message(message, oob=True)


def start_run(run: Run, plan: RunPlan | None = None) -> ActiveRun:
    """Start a run in this process's event loop; it lives until it ends or is stopped.
    Without a plan the run loads one itself; a plan that failed to build is passed as None
    so that the run reports the error in the conversation like any other failure."""
    active = ActiveRun(str(run.pk), run.conversation_id, run.message_id, plan)
    ACTIVE_RUNS[active.run_id] = active
    active.task = asyncio.get_running_loop().create_task(active.main())
    return active


async def request_stop(run_id: str) -> None:
    await get_channel_layer().group_send(run_group(run_id), {"type": "run.stop"})


async def request_catchup(run_id: str, reply_channel: str) -> None:
    await get_channel_layer().group_send(
        run_group(run_id), {"type": "run.catchup", "reply_channel": reply_channel}
    )
