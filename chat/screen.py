"""The playground screen's data: the conversation's panes with their settings and histories,
the connections to choose from, the composer's limits. The page view and the socket's
snapshots render from the same context, so what a reload shows is what a socket sends."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.safestring import mark_safe

from chat import attachments
from chat.engine import store
from chat.frames import PaneView, pane_messages_html, pane_views
from chat.models import Conversation, Pane
from chat.pane_settings import form_values, numeric_inputs
from chat.tool_settings import EXAMPLE_TOOLS
from connections.llm import available_connections, panel_limits, provider_label


def connections_for_panel() -> list[Any]:
    connections = available_connections()
    for connection in connections:
        connection.provider_label = provider_label(connection.kind)
    return connections


def panes_context(conversation: Conversation, connections: list[Any] | None = None) -> dict:
    """What the panes block needs: every pane with its history and form values. A constant
    number of queries whatever the number of messages or panes."""
    panes = store.panes_of(conversation)
    views = pane_views(panes, store.page_messages(conversation.pk))
    shared: dict[int, str] = {}  # each user message rendered once for every pane
    for view in views:
        view.values = form_values(view.pane)
        kind = view.pane.connection.kind if view.pane.connection else None
        view.numeric = numeric_inputs(view.values, kind)
        view.stop_limit = panel_limits(kind)["max_stop_sequences"]
        # Rendered by the same code as every live frame; our templates escape it.
        view.messages_html = mark_safe(pane_messages_html(view, shared))  # noqa: S308
    return {
        "conversation": conversation,
        "pane_views": views,
        "pane_count": len(views),
        "can_add_pane": len(views) < Pane.MAX_PER_CONVERSATION,
        "connections": connections if connections is not None else connections_for_panel(),
        "example_tools": json.dumps(EXAMPLE_TOOLS, indent=2),
    }


def playground_context(conversation: Conversation) -> dict:
    context = panes_context(conversation)
    context.update(
        {
            # Attached but not sent yet: back in the composer after a reload, nothing lost.
            "pending_attachments": attachments.pending(conversation),
            # The recorder stops itself at the limit, so a long recording is kept.
            "max_recording_seconds": attachments.max_recording_seconds(),
            # The composer refuses a longer message before sending it (the server would too).
            "max_message_bytes": settings.PLAYGROUND_MAX_MESSAGE_BYTES,
            "pane_ids": ",".join(str(view.pane.pk) for view in context["pane_views"]),
        }
    )
    return context


def streaming_panes(views: list[PaneView]) -> list[int]:
    return [view.pane.pk for view in views if view.streaming]
