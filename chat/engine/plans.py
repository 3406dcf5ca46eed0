"""What a run sends, prepared before it starts: its chat model and its pane's history, read
in the same database visit that saves the turn (for a plain send, before the turn's rows are
written, so the request leaves while they are). Attachments are fitted later, off the
database thread (`fitted_messages`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chat import attachments
from chat.engine import store
from chat.models import Message, Run, Turn
from connections import llm
from connections.crypto import SecretDecryptionError


@dataclass(frozen=True)
class RunPlan:
    run: Run
    model: Any
    history: list[Message]

    @property
    def has_media(self) -> bool:
        return any(message.attached for message in self.history)  # loaded with the history


def model_for(run: Run) -> Any:
    """The chat model a run talks to, built from its snapshot and its connection."""
    if run.connection is None:
        raise llm.ConfigurationError(
            "The connection of this pane was deleted; choose another connection."
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
    return model


def prepare(run: Run) -> RunPlan:
    """Build the chat model and read the history of a run (sync: touches the database)."""
    return RunPlan(run, model_for(run), store.history_for(run))


def prepared_or_none(runs: list[Run], turns: dict[int, list[Turn]] | None = None, *,
                     histories: dict[str, list[Message]] | None = None
                     ) -> list[RunPlan | None]:  # fmt: skip
    """The plans of runs about to start, their histories read together (with `turns`, the
    turns of their conversations, when the caller has them), or as given. A plan that cannot
    be built (a missing key...) is None: the run reports it in its pane like any other
    failure."""
    if histories is None:
        histories = store.histories_for(runs, turns)
    plans: list[RunPlan | None] = []
    for run in runs:
        try:
            plans.append(RunPlan(run, model_for(run), histories[str(run.pk)]))
        except (llm.ProviderError, SecretDecryptionError):
            plans.append(None)
    return plans


def load_plan(run_id: str) -> RunPlan:
    return prepare(store.load_run(run_id))


def fitted_messages(plan: RunPlan) -> tuple[list[Any], list[dict[str, Any]]]:
    """The provider messages of a plan and the records of the attachments sent. Decoding and
    re-encoding media takes up to seconds (a long recording to MP3), so this runs in a worker
    thread of its own, never on the database thread every request shares. It reads only
    stored files and what `prepare` loaded. Raises MediaRejected for a file that no longer
    converts."""
    run = plan.run
    parts, received = attachments.history_parts(run.provider, run.model, plan.history)
    return build_messages(run, plan.history, parts), received


def build_messages(
    run: Run, history: list[Message], parts: dict[int, list[Any]] | None = None
) -> list[Any]:
    """The history as provider messages, user messages with their attachments' `parts`. A
    tool call the user never answered is left out (providers refuse a call without its
    result), its answer's text kept. Reasoning is never sent back as answer text."""
    answered = {m.tool_call_id for m in history if m.role == Message.Role.TOOL}
    messages: list[Any] = []
    if run.system_prompt.strip():
        messages.append(llm.system(run.system_prompt))
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
