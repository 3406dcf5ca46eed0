"""The data the engine publishes about a conversation.

Every event goes to every socket watching the conversation (chat.engine.fanout: directly in
this process, through the channel layer to others), which renders it for its viewer
(chat/frames.py). Events are plain JSON-able dicts (the Redis layer serialises them), never
HTML:

    turn.started    a turn's user message (or tool results) and each pane's new answer
    run.delta       text and reasoning from `start` / `reasoning_start`, with live figures
    run.status      what a run is doing while no text comes: retrying, calling tools
    run.finished    a run's answer as it ended (a MessageDisplay)
    turn.finished   the last run of a turn ended: each pane's figures, for the chart
    panes.changed   panes were added, removed, moved or reconfigured: every tab reloads them
    run.catchup.reply   (to one socket) a run's text and reasoning so far
"""

from __future__ import annotations

from typing import Any

from chat.display import MessageDisplay, RunDisplay
from chat.models import Message, Run


def run_group(run_id: str) -> str:
    return f"run.{run_id}"


def turn_started(conversation_id: int, title: str, turn_id: int, shown: list[MessageDisplay],
                 answered: MessageDisplay | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "type": "turn.started",
        "conversation_id": conversation_id,
        "title": title,
        "turn_id": turn_id,
        "messages": [message.to_data() for message in shown],
        "answered": answered.to_data() if answered else None,
        "run_ids": [str(m.run.pk) for m in shown if m.run and m.run.status == Run.Status.STREAMING],
    }


def delta(run: Any, start: int, text: str, reasoning_start: int, reasoning: str) -> dict[str, Any]:
    return {
        "type": "run.delta",
        "start": start,
        "text": text,
        "reasoning_start": reasoning_start,
        "reasoning": reasoning,
        "progress": run.progress(),
    }


def retrying(event: Any, limit: int) -> dict[str, Any]:
    return {
        "type": "run.status",
        "kind": "retrying",
        "error": str(event.error),
        "delay": event.delay,
        "attempt": event.attempt,
        "limit": limit,
    }


def calling(tool_calls: list[Any], model: Any) -> dict[str, Any]:
    structured = model is not None and model.config.output is not None
    return {
        "type": "run.status",
        "kind": "writing" if structured else "calling",
        "names": [call.name for call in tool_calls],
    }


def finished(shown: MessageDisplay) -> dict[str, Any]:
    return {"type": "run.finished", "message": shown.to_data(), "status": shown.status}


def turn_finished(turn_id: int, results: list[Run]) -> dict[str, Any]:
    return {
        "type": "turn.finished",
        "turn_id": turn_id,
        "results": [
            {"pane_id": run.pane_id, "message_id": run.message_id, **RunDisplay.of(run).__dict__}
            for run in results
        ],
    }


def catchup_reply(run: Any, text: str, reasoning: str) -> dict[str, Any]:
    return {
        "type": "run.catchup.reply",
        "run_id": run.run_id,
        "message_id": run.message_id,
        "pane_id": run.pane_id,
        "text": text,
        "reasoning": reasoning,
    }


def panes_changed(conversation_id: int) -> dict[str, Any]:
    return {"type": "panes.changed", "conversation_id": conversation_id}


def resolved_model(raw: dict[str, Any] | None) -> str:
    """The model the provider says answered (a dated snapshot of an alias), where it says."""
    if not raw:
        return ""
    return str(raw.get("model") or raw.get("modelVersion") or "")


def unsaved_answer(run: Any, text: str, status: str, fields: dict[str, Any],
                   calls: list[dict[str, Any]]) -> MessageDisplay:  # fmt: skip
    """The final state of a run whose rows are gone, from what it holds in memory."""
    shown = RunDisplay(
        pk=run.run_id, status=status, provider=run.provider, model=run.requested_model,
        **{key: value for key, value in fields.items()
           if key in RunDisplay.__dataclass_fields__ and key != "cost"},
    )  # fmt: skip
    return MessageDisplay(
        pk=run.message_id, role=Message.Role.ASSISTANT, status=status, content=text,
        reasoning=run.reasoning, pane_id=run.pane_id, turn_id=run.turn_id, tool_calls=calls,
        run=shown,
    )  # fmt: skip
