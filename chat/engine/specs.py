"""What a pane runs, read once from its row: the connection, the model and everything the
pane's settings say, with the reason it cannot run when it cannot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chat.models import Pane
from connections.models import Connection


@dataclass(frozen=True)
class PaneSpec:
    pane_id: int
    position: int
    connection: Connection | None
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    system_prompt: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str = ""
    output_schema: dict[str, Any] | None = None
    source: dict[str, Any] | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    auto_reply: bool = False
    auto_reply_steps: int = 8

    @classmethod
    def of(cls, pane: Pane) -> PaneSpec:
        """From a pane row (its connection loaded with select_related)."""
        return cls(
            pane_id=pane.pk,
            position=pane.position,
            connection=pane.connection,
            model=pane.model,
            params=dict(pane.params or {}),
            system_prompt=pane.system_prompt,
            tools=list(pane.tools or []),
            tool_choice=pane.tool_choice,
            output_schema=pane.output_schema,
            source=pane.source,
            variables=dict(pane.variables or {}),
            auto_reply=pane.auto_reply,
            auto_reply_steps=pane.auto_reply_steps,
        )

    @property
    def label(self) -> str:
        return f"Pane {self.position + 1}"

    @property
    def problem(self) -> str:
        """Why this pane cannot run, or "" when it can."""
        if self.connection is None:
            return "Choose a connection in this pane's settings (or add one on Connections)."
        if not self.model:
            return "Type or pick a model in this pane's settings."
        return ""

    def run_fields(self) -> dict[str, Any]:
        """The snapshot a run keeps of what it was asked to send."""
        connection = self.connection
        return {
            "connection": connection,
            "provider": connection.kind if connection else "",
            "model": self.model,
            "parameters": self.params,
            "system_prompt": self.system_prompt,
            "tools": self.tools,
            "tool_choice": self.tool_choice,
            "output_schema": self.output_schema,
            "source": self.source,
            "variables": self.variables,
        }
