"""What the page shows of a message, as plain data: built from database rows for a page,
sent over the channel layer by the engine as JSON, and rendered by chat/frames.py the same
way either way (design §3: the engine publishes data, not HTML).

The attribute names are the templates' (`pk`, `role`, `run.output_tokens`...), so a row and
its display render alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from chat.models import Attachment, Message, Run


@dataclass
class AttachmentDisplay:
    pk: str
    conversation_id: int
    kind: str
    name: str
    media_type: str
    size: int
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentDisplay:
        return cls(
            pk=str(attachment.pk),
            conversation_id=attachment.conversation_id,
            kind=attachment.kind,
            name=attachment.name,
            media_type=attachment.media_type,
            size=attachment.blob.size,
            width=attachment.width,
            height=attachment.height,
            duration_s=attachment.duration_s,
            notes=list(attachment.notes or []),
        )


@dataclass
class RunDisplay:
    pk: str
    status: str
    provider: str = ""
    model: str = ""
    resolved_model: str = ""
    base_url: str = ""
    time_to_first_token_ms: int | None = None
    duration_ms: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    output_tokens_estimated: bool = False
    reasoning_tokens: int | None = None
    cost: str | None = None  # a Decimal as text: JSON has no decimals
    retries: int = 0
    rate_limit_wait_ms: int = 0
    finish_reason: str = ""
    error_kind: str = ""
    error_message: str = ""
    output_valid: bool | None = None
    output_problem: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    # The library prompt its pane was opened from, for "Replay with another version".
    source_prompt: int | None = None

    @classmethod
    def of(cls, run: Run) -> RunDisplay:
        return cls(
            pk=str(run.pk),
            status=run.status,
            provider=run.provider,
            model=run.model,
            resolved_model=run.resolved_model,
            base_url=run.base_url,
            time_to_first_token_ms=run.time_to_first_token_ms,
            duration_ms=run.duration_ms,
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            output_tokens_estimated=run.output_tokens_estimated,
            reasoning_tokens=run.reasoning_tokens,
            cost=None if run.cost is None else str(run.cost),
            retries=run.retries,
            rate_limit_wait_ms=run.rate_limit_wait_ms,
            finish_reason=run.finish_reason,
            error_kind=run.error_kind,
            error_message=run.error_message,
            output_valid=run.output_valid,
            output_problem=run.output_problem,
            received=list(run.received or []),
            source_prompt=(run.source or {}).get("prompt"),
        )

    @property
    def cost_usd(self) -> Decimal | None:
        return None if self.cost is None else Decimal(self.cost)

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens over the time after the first token (the rate the user watches)."""
        if not self.output_tokens or self.duration_ms is None:
            return None
        generating_ms = self.duration_ms - (self.time_to_first_token_ms or 0)
        if generating_ms <= 0:
            return None
        return self.output_tokens / (generating_ms / 1000)

    @property
    def shown_model(self) -> str:
        """The model as it answered, when the provider named it (a dated snapshot)."""
        return self.resolved_model or self.model


@dataclass
class MessageDisplay:
    pk: int
    role: str
    status: str
    content: str = ""
    reasoning: str = ""
    pane_id: int | None = None
    turn_id: int | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_call_id: str = ""
    tool_name: str = ""
    # Saved results for its tool calls, by call id (chat.tool_answers), when looked up
    # already: a finished run's frame is drawn on the event loop, which must not query.
    saved_answers: dict[str, str] | None = None
    auto_reply_note: str = ""  # why "Auto-reply with fixtures" paused on its calls
    attachments: list[AttachmentDisplay] = field(default_factory=list)
    run: RunDisplay | None = None
    alternative: int = 1
    # Where it stands among its alternatives (a pane's answers to its turn; for a shared
    # message, the turn's branches): which, 1-based, and how many. The switcher ("◀ 2 / 3 ▶")
    # is drawn on the first message of that part of the turn, when there is a choice.
    position: int = 1
    count: int = 1
    first_in_turn: bool = True
    edited: bool = False

    @classmethod
    def of(cls, message: Message, *, related: bool = True) -> MessageDisplay:
        """From a row whose run and attachments were loaded with it (select_related /
        prefetch_related), so that a page of messages costs a constant number of queries.
        `related=False` reads neither (the caller fills them from what it holds)."""
        assistant = related and message.role == Message.Role.ASSISTANT
        run = getattr(message, "run", None) if assistant else None
        attached = (
            [AttachmentDisplay.of(a) for a in message.attached]
            if related and message.role == Message.Role.USER
            else []
        )
        return cls(
            pk=message.pk,
            role=message.role,
            status=message.status,
            content=message.content,
            reasoning=message.reasoning,
            pane_id=message.pane_id,
            turn_id=message.turn_id,
            tool_calls=list(message.tool_calls or []),
            tool_call_id=message.tool_call_id,
            tool_name=message.tool_name,
            attachments=attached,
            run=RunDisplay.of(run) if run is not None else None,
            alternative=message.alternative,
            position=getattr(message, "shown_position", (1, 1))[0],
            count=getattr(message, "shown_position", (1, 1))[1],
            first_in_turn=getattr(message, "first_in_turn", True),
            edited=message.edited_from_id is not None,
        )

    @property
    def switcher(self) -> bool:
        return self.first_in_turn and self.count > 1

    @property
    def key(self) -> str:
        """The id as text for the templates (an int there is formatted for the locale, which
        costs more than the rest of a message's markup)."""
        return str(self.pk)

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> MessageDisplay:
        fields = dict(data)
        fields["attachments"] = [AttachmentDisplay(**a) for a in fields.get("attachments", [])]
        run = fields.get("run")
        fields["run"] = RunDisplay(**run) if run else None
        return cls(**fields)
